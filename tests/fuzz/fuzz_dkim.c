/* fuzz_dkim.c - DKIM's relaxed canonicalizers and the From: domain.
 *
 * The body canonicalizer gives the same bytes however its input is cut,
 * and the same as a plain rewrite of RFC 6376 3.4.4 (the regular
 * expressions dkimpy uses; the end of the input counts as a line end:
 * dkim-sign's input always ends with CRLF).  The header canonicalizer
 * makes one line: its value has no CR, LF, HTAB or SP run, and no SP at
 * either end; its name no upper case and no SP/HTAB before the ':'.
 * The From: domain, when found, is a lower-case host name; the header
 * section's length stays within the message.  A key file either parses
 * into a key whose public half checks, or is refused with a reason. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "dnsname.h"

static void
put_sa(void *ctx, const void *p, size_t n)
{
    if (sa_append(ctx, p, n) == -1)
        abort();
}

static void
body(const uint8_t *d, size_t n, size_t k, struct sa *out)
{
    struct dkim_body b;
    size_t i;

    dkim_body_init(&b, put_sa, out);
    for (i = 0; i < n; i += k)
        dkim_body_feed(&b, d + i, n - i < k ? n - i : k);
    dkim_body_finish(&b);
    if (b.len != out->len)
        abort();
}

static int
wsp(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* RFC 6376 3.4.4 the plain way, into out (n + 2 bytes). */
static size_t
reference(const uint8_t *d, size_t n, uint8_t *out)
{
    size_t i, j, o = 0;

    for (i = 0; i < n; i++) {
        if (wsp(d[i])) {
            for (j = i; j < n && wsp(d[j]); j++)
                ;
            if (j < n && !(j + 1 < n && d[j] == '\r' && d[j + 1] == '\n'))
                out[o++] = ' '; /* a run inside a line: one SP */
            i = j - 1;
            continue;
        }
        out[o++] = d[i];
    }
    if (o < 2 || out[o - 2] != '\r' || out[o - 1] != '\n') {
        out[o++] = '\r';
        out[o++] = '\n';
    } else {
        while (o >= 4 && memcmp(out + o - 4, "\r\n\r\n", 4) == 0)
            o -= 2;
    }
    return o == 2 && memcmp(out, "\r\n", 2) == 0 ? 0 : o;
}

static void
header(const uint8_t *d, size_t n)
{
    struct sa out = SA_INIT(2 * 65536);
    const char *colon;
    size_t i;

    if (dkim_canon_header((const char *)d, n, &out) == -1) {
        if (memchr(d, ':', n) != NULL)
            abort();
        return;
    }
    colon = memchr(out.s, ':', out.len);
    if (colon == NULL || out.len < 3
        || memcmp(out.s + out.len - 2, "\r\n", 2) != 0)
        abort();
    for (i = 0; out.s + i < colon; i++)
        if ((out.s[i] >= 'A' && out.s[i] <= 'Z')
            || (i + 1 == (size_t)(colon - out.s) && wsp((uint8_t)out.s[i])))
            abort();
    for (i = (size_t)(colon - out.s) + 1; i + 2 < out.len; i++) {
        char c = out.s[i];
        if (c == '\r' || c == '\n' || c == '\t'
            || (c == ' ' && (out.s[i + 1] == ' ' || i + 3 == out.len
                                || out.s + i == colon + 1)))
            abort();
    }
    sa_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sa a = SA_INIT(2 * 65536 + 2), b = SA_INIT(2 * 65536 + 2);
    uint8_t *ref;
    char domain[256];
    size_t hlen, bodyoff, rn;
    int r;

    if (size > 65536)
        return 0;
    body(data, size, size ? size : 1, &a);
    body(data, size, 1 + (size ? data[0] % 13 : 0), &b);
    ref = malloc(size + 2);
    if (ref == NULL)
        abort();
    rn = reference(data, size, ref);
    if (a.len != b.len || memcmp(a.s ? a.s : "", b.s ? b.s : "", a.len) != 0
        || a.len != rn || memcmp(a.s ? a.s : "", ref, rn) != 0)
        abort();
    free(ref);
    sa_free(&a);
    sa_free(&b);

    header(data, size);

    hlen = dkim_header_len((const char *)data, size, &bodyoff);
    if (hlen > size || bodyoff > size || bodyoff < hlen)
        abort();
    r = dkim_from_domain((const char *)data, hlen, domain, sizeof domain);
    if (r == 1) {
        size_t i, n = strlen(domain);
        if (!dnsname_valid(domain, n))
            abort();
        for (i = 0; i < n; i++)
            if (domain[i] >= 'A' && domain[i] <= 'Z')
                abort();
    } else if (r == -1 && errno != EEXIST && errno != EINVAL
        && errno != ERANGE && errno != E2BIG) {
        abort();
    }

    {
        static struct dkim_key k;
        char err[256];
        err[0] = 0;
        if (dkim_key_parse(&k, data, size, err, sizeof err) == 0) {
            if (k.sk.n_bitlen < DKIM_RSA_BITS_MIN || k.pk.nlen == 0)
                abort();
        } else if (err[0] == 0) {
            abort();
        }
        dkim_key_wipe(&k);
    }
    return 0;
}
