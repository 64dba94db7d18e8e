/* tlshello.c - SNI from a raw ClientHello (RFC 5246 7.4.1.2, RFC 6066 3).
 * Every field is bounds-checked against its enclosing length before use. */
#include <string.h>

#include "dnsname.h"
#include "tlshello.h"

struct rd {
    const unsigned char *p;
    size_t len, pos;
};

static int
get(struct rd *r, size_t n, size_t *v)
{
    size_t i;

    if (n > r->len - r->pos)
        return -1;
    *v = 0;
    for (i = 0; i < n; i++)
        *v = (*v << 8) | r->p[r->pos++];
    return 0;
}

static int
skip(struct rd *r, size_t n)
{
    if (n > r->len - r->pos)
        return -1;
    r->pos += n;
    return 0;
}

/* A sub-reader over the next n bytes. */
static int
sub(struct rd *r, size_t n, struct rd *s)
{
    if (n > r->len - r->pos)
        return -1;
    s->p = r->p + r->pos;
    s->len = n;
    s->pos = 0;
    r->pos += n;
    return 0;
}

int
tlshello_sni(const unsigned char *p, size_t len, char *out, size_t outlen)
{
    struct rd r = { p, len, 0 }, rec, hs, exts, ext, list;
    size_t v, n, type;

    if (outlen == 0)
        return -1;
    out[0] = 0;
    /* Record: type 22 (handshake), version, length. */
    if (get(&r, 1, &v) || v != 22 || get(&r, 2, &v) || (v >> 8) != 3
        || get(&r, 2, &n) || sub(&r, n, &rec))
        return -1;
    /* Handshake: type 1 (ClientHello), 3-byte length, whole in the record. */
    if (get(&rec, 1, &v) || v != 1 || get(&rec, 3, &n) || sub(&rec, n, &hs))
        return -1;
    if (skip(&hs, 2 + 32)                      /* version, random */
        || get(&hs, 1, &n) || skip(&hs, n)     /* session id */
        || get(&hs, 2, &n) || skip(&hs, n)     /* cipher suites */
        || get(&hs, 1, &n) || skip(&hs, n))    /* compression */
        return -1;
    if (hs.pos == hs.len)
        return 0; /* no extensions at all */
    if (get(&hs, 2, &n) || sub(&hs, n, &exts) || hs.pos != hs.len)
        return -1;
    while (exts.pos < exts.len) {
        if (get(&exts, 2, &type) || get(&exts, 2, &n) || sub(&exts, n, &ext))
            return -1;
        if (type != 0)
            continue;
        /* server_name: list length, then entries of type 0 (host_name). */
        if (get(&ext, 2, &n) || sub(&ext, n, &list) || ext.pos != ext.len)
            return -1;
        while (list.pos < list.len) {
            size_t nt;
            if (get(&list, 1, &nt) || get(&list, 2, &n)
                || n > list.len - list.pos)
                return -1;
            if (nt == 0) {
                if (dnsname_canon(out, outlen,
                        (const char *)list.p + list.pos, n) == -1) {
                    out[0] = 0;
                    return 0; /* not a host name: treated as none */
                }
                return 1;
            }
            list.pos += n;
        }
        return 0;
    }
    return 0;
}
