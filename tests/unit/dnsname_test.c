/* dnsname_test.c - the host name grammar. */
#include <string.h>

#include "dnsname.h"
#include "tap.h"

static int
v(const char *s)
{
    return dnsname_valid(s, strlen(s));
}

int
main(void)
{
    char out[300], long1[300];

    ok(v("mx.example.org") && v("a") && v("xn--bcher-kva.example")
            && v("1.2.3.4") && v("a-b.c"),
        "valid names");
    ok(!v("") && !v(".") && !v("a..b") && !v(".a") && !v("a.") && !v("-a")
            && !v("a-") && !v("a-.b") && !v("a.-b") && !v("a_b")
            && !v("a b") && !v("a\nb") && !v("*.example.org")
            && !v("\xc3\xa9t\xc3\xa9"),
        "invalid names");
    memset(long1, 'a', 63);
    long1[63] = 0;
    ok(v(long1), "63-byte label");
    long1[63] = 'a';
    long1[64] = 0;
    ok(!v(long1), "64-byte label refused");
    {
        char n[260];
        size_t i;
        for (i = 0; i < 253; i++)
            n[i] = (i % 2) ? '.' : 'a';
        n[253] = 0;
        ok(v(n), "253 bytes");
        n[253] = 'a';
        n[254] = 0;
        ok(!v(n), "254 bytes refused");
    }
    ok(dnsname_valid("a\0b", 3) == 0, "embedded NUL refused");
    ok(dnsname_canon(out, sizeof out, "MX.Example.ORG.", 15) == 0
            && strcmp(out, "mx.example.org") == 0,
        "canon lowercases and drops a trailing dot");
    ok(dnsname_canon(out, 5, "example", 7) == -1, "canon checks room");
    ok(dnsname_canon(out, sizeof out, "..", 2) == -1, "canon refuses ..");
    return done();
}
