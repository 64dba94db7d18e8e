/* route_test.c - the routes table's text form and cdb value: the host
 * grammar, policies, auth rules, canonical forms, round trips. */
#include <string.h>

#include "route.h"
#include "sa.h"
#include "tap.h"

/* route_parse_value over a literal without its final NUL. */
#define PV(lit) route_parse_value(&back, lit, sizeof lit - 1, &why)

static struct route r;
static const char *why;

static int
text(const char *s)
{
    return route_parse_text(&r, s, strlen(s), &why) == 0;
}

/* s parses and its canonical text form is want. */
static int
canon(const char *s, const char *want)
{
    char out[ROUTE_TEXT_MAX];

    return text(s) && route_format_text(&r, out, sizeof out) == 0
        && strcmp(out, want) == 0;
}

int
main(void)
{
    struct sa v = SA_INIT(4096);
    struct route back;
    char key[300];
    static const char value[] = "smtp.example.org\0" "587\0" "verify\0"
                                "me@example.org\0" "s3cr\rt:x";

    ok(route_key(key, sizeof key, "*", 1) == 0 && strcmp(key, "*") == 0
            && route_key(key, sizeof key, "Example.ORG", 11) == 0
            && strcmp(key, "example.org") == 0
            && route_key(key, sizeof key, "*.example.org", 13) == -1
            && route_key(key, sizeof key, "a_b", 3) == -1,
        "keys: * or a canonical domain");
    ok(canon("MX.Example.NET", "mx.example.net:25 tls=may"),
        "host name lower-cased, port 25 and policy may by default");
    ok(canon("mx.example.net:2525  tls=none", "mx.example.net:2525 tls=none")
            && canon("\tmx.example.net:465 tls=may",
                "mx.example.net:465 tls=may"),
        "port and policy kept; blanks are separators");
    ok(canon("[192.0.2.1]:465 tls=encrypt", "[192.0.2.1]:465 tls=encrypt")
            && canon("[ipv6:2001:DB8:0::1]", "[IPv6:2001:db8::1]:25 tls=may"),
        "address literals, IPv6 in inet_ntop form");
    ok(!text("192.0.2.1") && !text("[192.0.2.256]") && !text("[2001:db8::1]")
            && !text("[IPv6:1.2.3.4]") && !text("[192.0.2.1]x")
            && !text("[192.0.2.1"),
        "refused: a bare address, bad literals");
    ok(!text("h:0") && !text("h:65536") && !text("h:025") && !text("h:")
            && !text("h:2x") && !text("h:1:2") && text("h:65535")
            && text("h:1"),
        "ports 1..65535 without leading zero");
    ok(!text("") && !text("   ") && !text("bad_host") && !text("h tls=maybe")
            && !text("h tls=may tls=may") && !text("h foo=bar")
            && !text("h extra"),
        "refused: no host, bad host, bad or repeated policy, unknown field");
    ok(canon("h tls=verify auth=me@example.org pass=czNjcg10Ong=",
           "h:25 tls=verify auth=me@example.org pass=czNjcg10Ong=")
            && r.passlen == 8 && memcmp(r.pass, "s3cr\rt:x", 8) == 0,
        "auth: the password's bytes from base64, CR included");
    ok(!text("h tls=may auth=u pass=cA==") && !text("h auth=u pass=cA==")
            && !text("h tls=none auth=u pass=cA=="),
        "auth refused without encrypt or verify: %s", why ? why : "");
    ok(!text("h tls=verify auth=u") && !text("h tls=verify pass=cA==")
            && !text("h tls=verify auth=u pass=") && !text("h tls=verify auth= pass=cA==")
            && !text("h tls=verify auth=u pass=cA") && !text("h tls=verify auth=u pass=AA==")
            && !text("h tls=verify auth=u pass=Cg=="),
        "auth and pass together; pass canonical base64, no NUL or LF");
    ok(!text("h:465 tls=none") && text("h:465 tls=may"),
        "port 465 is implicit TLS: tls=none refused");
    {
        char big[600], b64[400];
        memset(b64, 'A', 340); /* 255 zero bytes: NUL, refused */
        b64[340] = 0;
        snprintf(big, sizeof big, "h tls=verify auth=u pass=%s", b64);
        ok(!text(big), "a password with NUL bytes refused");
        memset(b64, 'Q', 344); /* 258 bytes: too long */
        b64[344] = 0;
        snprintf(big, sizeof big, "h tls=verify auth=u pass=%s", b64);
        ok(!text(big), "a password longer than 255 bytes refused");
    }

    ok(text("smtp.example.org:587 tls=verify auth=me@example.org "
            "pass=czNjcg10Ong=")
            && route_format_value(&r, &v) == 0 && v.len == sizeof value
            && memcmp(v.s, value, sizeof value) == 0,
        "cdb value: host, port, policy, user, password, each NUL-ended");
    ok(route_parse_value(&back, v.s, v.len, &why) == 0
            && strcmp(back.host, r.host) == 0 && back.port == r.port
            && back.tls == r.tls && strcmp(back.user, r.user) == 0
            && back.passlen == r.passlen
            && memcmp(back.pass, r.pass, r.passlen) == 0,
        "cdb value parses back to the same route");
    ok(text("[IPv6:2001:db8::1]:2525 tls=none") && route_format_value(&r, &v) == 0
            && v.len == 31 && route_parse_value(&back, v.s, v.len, &why) == 0
            && back.port == 2525 && back.passlen == 0 && back.user[0] == 0,
        "cdb value without auth: empty user and password");
    ok(PV("h\0" "25\0" "may\0" "\0") == -1
            && PV("H\0" "25\0" "may\0" "\0" "\0") == -1
            && PV("h:25\0" "25\0" "may\0" "\0" "\0") == -1
            && PV("h\0" "025\0" "may\0" "\0" "\0") == -1
            && PV("h\0" "25\0" "may\0" "u\0" "p\0") == -1
            && PV("h\0" "25\0" "may\0" "\0" "\0" "x") == -1
            && PV("h\0" "25\0" "verify\0" "u\0" "\0") == -1
            && PV("h\0" "25\0" "may\0" "\0" "\0") == 0
            && PV("h\0" "25\0" "verify\0" "u\0" "p\0") == 0,
        "cdb value refused: too few fields, not canonical, auth with may, "
        "trailing bytes, user without password");
    route_wipe(&r);
    route_wipe(&back);
    sa_wipe(&v);
    return done();
}
