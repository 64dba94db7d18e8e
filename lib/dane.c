/* dane.c - TLSA matching (see dane.h). */
#include <bearssl.h>
#include <string.h>

#include "dane.h"

int
dane_usable(const struct dns_tlsa *t)
{
    return (t->usage == 2 || t->usage == 3) && t->selector <= 1
        && ((t->mtype == 1 && t->len == 32) || (t->mtype == 2 && t->len == 64));
}

/* One DER element at p (n bytes left): its tag, where its content starts
 * and how long the whole element is.  0, or -1. */
static int
der_elem(const unsigned char *p, size_t n, unsigned *tag, size_t *hdr,
    size_t *total)
{
    size_t len, h = 2, i;

    if (n < 2)
        return -1;
    *tag = p[0];
    if (p[1] < 0x80) {
        len = p[1];
    } else {
        size_t k = p[1] & 0x7f;
        if (k == 0 || k > 4 || n < 2 + k)
            return -1;
        for (len = 0, i = 0; i < k; i++)
            len = len << 8 | p[2 + i];
        h += k;
    }
    if (len > n - h)
        return -1;
    *hdr = h;
    *total = h + len;
    return 0;
}

int
dane_spki(const unsigned char *der, size_t len, const unsigned char **spki,
    size_t *spkilen)
{
    unsigned tag;
    size_t hdr, total, i;
    const unsigned char *p;
    size_t n;

    /* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { ... } ... } */
    if (der_elem(der, len, &tag, &hdr, &total) == -1 || tag != 0x30)
        return -1;
    p = der + hdr;
    n = total - hdr;
    if (der_elem(p, n, &tag, &hdr, &total) == -1 || tag != 0x30)
        return -1;
    p += hdr;
    n = total - hdr;
    /* [0] version (optional), serial, signature, issuer, validity,
     * subject, then subjectPublicKeyInfo. */
    if (der_elem(p, n, &tag, &hdr, &total) == -1)
        return -1;
    if (tag == 0xa0) {
        p += total;
        n -= total;
    }
    for (i = 0; i < 5; i++) {
        if (der_elem(p, n, &tag, &hdr, &total) == -1)
            return -1;
        p += total;
        n -= total;
    }
    if (der_elem(p, n, &tag, &hdr, &total) == -1 || tag != 0x30)
        return -1;
    *spki = p;
    *spkilen = total;
    return 0;
}

int
dane_match(const struct dns_tlsa *t, const unsigned char *der, size_t len)
{
    unsigned char h[64];
    const unsigned char *data = der;
    size_t n = len;

    if (!dane_usable(t))
        return 0;
    if (t->selector == 1 && dane_spki(der, len, &data, &n) == -1)
        return 0;
    if (t->mtype == 1) {
        br_sha256_context c;
        br_sha256_init(&c);
        br_sha256_update(&c, data, n);
        br_sha256_out(&c, h);
    } else {
        br_sha512_context c;
        br_sha512_init(&c);
        br_sha512_update(&c, data, n);
        br_sha512_out(&c, h);
    }
    return memcmp(h, t->data, t->len) == 0;
}
