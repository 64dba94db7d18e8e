/* tlshello_test.c - SNI from raw ClientHello bytes. */
#include <string.h>

#include "tap.h"
#include "tlshello.h"

static size_t
put16(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
    return 2;
}

/* Build a ClientHello record; name NULL: no SNI extension. */
static size_t
hello(unsigned char *b, const char *name, int name_type)
{
    unsigned char body[600];
    size_t o = 0, n, e0, l0;

    body[o++] = 3;
    body[o++] = 3;
    memset(body + o, 0xab, 32);
    o += 32;
    body[o++] = 32; /* session id */
    memset(body + o, 1, 32);
    o += 32;
    o += put16(body + o, 2);
    o += put16(body + o, 0xc02b);
    body[o++] = 1;
    body[o++] = 0;
    e0 = o;
    o += 2;
    o += put16(body + o, 0x000b); /* ec_point_formats, before SNI */
    o += put16(body + o, 2);
    body[o++] = 1;
    body[o++] = 0;
    if (name != NULL) {
        n = strlen(name);
        o += put16(body + o, 0);
        o += put16(body + o, n + 5);
        l0 = o;
        o += put16(body + o, n + 3);
        body[o++] = (unsigned char)name_type;
        o += put16(body + o, n);
        memcpy(body + o, name, n);
        o += n;
        (void)l0;
    }
    put16(body + e0, o - e0 - 2);
    b[0] = 22;
    b[1] = 3;
    b[2] = 1;
    put16(b + 3, o + 4);
    b[5] = 1;
    b[6] = 0;
    put16(b + 7, o);
    memcpy(b + 9, body, o);
    return o + 9;
}

int
main(void)
{
    unsigned char b[700];
    char out[256];
    size_t n, i;
    int r;

    n = hello(b, "Mail.Example.ORG", 0);
    r = tlshello_sni(b, n, out, sizeof out);
    ok(r == 1 && strcmp(out, "mail.example.org") == 0, "SNI found, canonical");
    for (i = 0; i < n; i++)
        if (tlshello_sni(b, i, out, sizeof out) != -1)
            break;
    ok(i == n, "every truncation is 'unknown'");
    ok(tlshello_sni(b, n + 10, out, sizeof out) == 1,
        "bytes after the first record are ignored");
    n = hello(b, NULL, 0);
    ok(tlshello_sni(b, n, out, sizeof out) == 0 && out[0] == 0, "no SNI");
    n = hello(b, "bad name", 0);
    ok(tlshello_sni(b, n, out, sizeof out) == 0, "invalid name is none");
    n = hello(b, "mail.example.org", 7);
    ok(tlshello_sni(b, n, out, sizeof out) == 0, "other name types skipped");
    n = hello(b, "mail.example.org", 0);
    b[0] = 23;
    ok(tlshello_sni(b, n, out, sizeof out) == -1, "not a handshake record");
    b[0] = 22;
    b[5] = 2;
    ok(tlshello_sni(b, n, out, sizeof out) == -1, "not a ClientHello");
    b[5] = 1;
    b[n - 20] ^= 0; /* unchanged */
    b[4] = (unsigned char)(b[4] - 1); /* record one byte short */
    ok(tlshello_sni(b, n, out, sizeof out) == -1,
        "hello longer than its record");
    return done();
}
