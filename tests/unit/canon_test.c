/* canon_test.c - line ends to CRLF, stray CRs, NUL, hop counting, across
 * buffer boundaries. */
#include <string.h>

#include "canon.h"
#include "tap.h"

static char res[4096];

/* Feed s in pieces of k bytes; the canonical text in res. */
static struct canon
run(const char *s, size_t k)
{
    struct canon c;
    unsigned char out[2 * 4096 + 2];
    size_t n = strlen(s), i, o = 0, len;

    canon_init(&c);
    for (i = 0; i < n; i += len) {
        len = n - i < k ? n - i : k;
        o += canon_feed(&c, (const unsigned char *)s + i, len, out + o);
    }
    o += canon_finish(&c, out + o);
    memcpy(res, out, o);
    res[o] = 0;
    return c;
}

int
main(void)
{
    struct canon c;
    size_t k;
    int all = 1;

    c = run("a\nb\r\nc\rd", 100);
    ok(strcmp(res, "a\r\nb\r\nc\r\nd\r\n") == 0,
        "LF, CRLF, bare CR to CRLF; final line end added");
    for (k = 1; k <= 6; k++) {
        run("x\r\n\r\ny\r\rz\n", k);
        all &= strcmp(res, "x\r\n\r\ny\r\n\r\nz\r\n") == 0;
    }
    ok(all, "same result for every split of the input");
    run("\r\n.\r\n", 1);
    ok(strcmp(res, "\r\n.\r\n") == 0, "dot lines kept as they are");
    run("a\r", 1);
    ok(strcmp(res, "a\r\n") == 0, "trailing CR completed");
    run("", 1);
    ok(res[0] == 0, "empty message stays empty");
    c = run("Received: a\nreceived: b\nDelivered-To: c\nX: d\n\nReceived: "
            "in body\n",
        3);
    ok(c.hops == 3 && !c.in_header, "hops counted in the header only");
    c = run("Received: a\n Received: folded\n\n", 2);
    ok(c.hops == 1, "continuation lines are not fields");
    {
        struct canon d;
        unsigned char out[16];
        canon_init(&d);
        canon_feed(&d, (const unsigned char *)"a\0b", 3, out);
        ok(d.nul == 1, "NUL noticed");
    }
    c = run("0123456789\n", 4);
    ok(c.size == 12, "size counts output bytes");
    return done();
}
