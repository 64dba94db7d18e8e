/* addr_test.c - the envelope address grammar, including relay tricks. */
#include <errno.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

static struct addr a;

static int
good(const char *s, const char *canon)
{
    return addr_parse(s, strlen(s), 0, &a) == 0 && strcmp(a.full, canon) == 0;
}

static int
bad(const char *s)
{
    return addr_parse(s, strlen(s), 0, &a) == -1;
}

int
main(void)
{
    char big[400];

    ok(good("alice@example.org", "alice@example.org"), "plain");
    ok(good("Alice.B+tag@EXAMPLE.Org", "Alice.B+tag@example.org"),
        "local part kept, domain lowercased");
    ok(good("alice@example.org.", "alice@example.org"), "trailing dot dropped");
    ok(good("\"alice\"@example.org", "alice@example.org"),
        "needless quotes removed");
    ok(good("\"a b\"@example.org", "\"a b\"@example.org"), "quoted space");
    ok(good("\"a\\\"b\"@example.org", "\"a\\\"b\"@example.org"),
        "quoted quote kept escaped");
    ok(good("\"user@other\"@example.org", "\"user@other\"@example.org"),
        "quoted @ stays in the local part (no relay)");
    ok(good("user%other.net@example.org", "user%other.net@example.org"),
        "%% is part of the local name, not routing");
    ok(good("user!other@example.org", "user!other@example.org"),
        "! is part of the local name, not routing");
    ok(good("u@[192.0.2.1]", "u@[192.0.2.1]"), "IPv4 literal");
    ok(good("u@[ipv6:2001:DB8::1]", "u@[IPv6:2001:db8::1]"), "IPv6 literal");
    ok(good("j\xc3\xb6rg@example.org", "j\xc3\xb6rg@example.org"),
        "UTF-8 local part (SMTPUTF8)");
    ok(bad("@a,@b:user@example.org") && bad("@b:user@example.org"),
        "source routes refused");
    ok(bad("user") && bad("user@") && bad("@example.org") && bad(""),
        "missing parts refused");
    ok(bad("a..b@example.org") && bad(".a@example.org")
            && bad("a.@example.org"),
        "bad dots refused");
    ok(bad("a b@example.org") && bad("a\r@example.org")
            && bad("a\n@example.org") && bad("a<b@example.org"),
        "specials and controls refused");
    ok(bad("a@exa_mple.org") && bad("a@-x.org") && bad("a@[300.1.1.1]")
            && bad("a@[IPv6:zz]") && bad("a@[192.0.2.1"),
        "bad domains refused");
    ok(bad("\"a\nb\"@example.org") && bad("\"a\"b@example.org")
            && bad("\"unterminated@example.org"),
        "bad quoted strings refused");
    ok(bad("\xc3@example.org") && bad("\xc0\xaf@example.org")
            && bad("\xed\xa0\x80@example.org"),
        "malformed UTF-8 refused");
    ok(addr_parse("a\0b@example.org", 15, 0, &a) == -1, "NUL refused");
    memset(big, 'a', sizeof big);
    memcpy(big + 64, "@example.org", 13);
    ok(good(big, big), "64-byte local part");
    memset(big, 'a', sizeof big);
    memcpy(big + 65, "@example.org", 13);
    errno = 0;
    ok(bad(big) && errno == E2BIG, "65-byte local part refused");
    ok(addr_parse("", 0, 1, &a) == 0 && a.full[0] == 0, "null sender");
    ok(addr_parse("", 0, 0, &a) == -1, "null refused where not allowed");
    return done();
}
