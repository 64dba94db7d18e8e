/* dnsbl_test.c - the dnsbl file's lines, the names asked (RFC 5782 2.1,
 * 2.4), what an answer means, the TXT made safe for a reply, and the
 * file read whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsbl.h"
#include "tap.h"

static int
parses(const char *line, const char *zone, int match)
{
    struct dnsbl_zone z;

    return dnsbl_parse(line, strlen(line), &z) == 1
        && strcmp(z.name, zone) == 0 && z.match == match;
}

static int
bad(const char *line)
{
    struct dnsbl_zone z;

    return dnsbl_parse(line, strlen(line), &z) == -1;
}

static int
qname(const char *ip, const char *want)
{
    char out[DNSNAME_MAX + 1];

    return dnsbl_qname(ip, "bl.test", out, sizeof out) == 0
        && strcmp(out, want) == 0;
}

/* An A answer of the given addresses. */
static int
answer(const char *filter, int n, const char *const *addrs)
{
    static struct dns_answer a;
    struct dnsbl_zone z;
    char line[100];
    int i;

    snprintf(line, sizeof line, "bl.test%s%s", filter ? "=" : "",
        filter ? filter : "");
    if (dnsbl_parse(line, strlen(line), &z) != 1)
        return -9;
    memset(&a, 0, sizeof a);
    a.n = (size_t)n;
    for (i = 0; i < n; i++) {
        unsigned x[4];
        sscanf(addrs[i], "%u.%u.%u.%u", &x[0], &x[1], &x[2], &x[3]);
        a.u.a[i][0] = (unsigned char)x[0];
        a.u.a[i][1] = (unsigned char)x[1];
        a.u.a[i][2] = (unsigned char)x[2];
        a.u.a[i][3] = (unsigned char)x[3];
    }
    return dnsbl_answer(&a, &z);
}

int
main(void)
{
    static const char *const two[] = { "127.0.0.2" };
    static const char *const four[] = { "127.0.0.4" };
    static const char *const both[] = { "127.0.0.4", "127.0.0.2" };
    static const char *const refused[] = { "127.255.255.254" };
    static const char *const wild[] = { "192.0.2.1" };
    struct dnsbl_zone z[DNSBL_ZONES_MAX];
    char out[64], dir[] = "/tmp/dnsbl_test.XXXXXX", path[100];
    char big[DNSBL_LINE_MAX + 10];
    size_t n;
    unsigned line;
    FILE *f;
    int i;

    ok(parses("zen.spamhaus.org", "zen.spamhaus.org", 0), "a zone");
    ok(parses("  BL.Example.NET.  ", "bl.example.net", 0),
        "spaces around, upper case, the final dot");
    ok(parses("bl.test=127.0.0.2", "bl.test", 1), "a zone and its answer");
    ok(dnsbl_parse("# bl.test", 9, &z[0]) == 0, "a comment");
    ok(dnsbl_parse("   ", 3, &z[0]) == 0, "a blank line");
    ok(bad("bl_test"), "not a host name");
    ok(bad("bl.test=192.0.2.1"), "an answer outside 127/8");
    ok(bad("bl.test=127.0.0"), "an answer that is not an address");
    ok(bad("bl.test=127.0.0.2 # x"), "no comment after the line");
    ok(bad("bl.test="), "an empty answer");
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ok(bad(big), "a zone longer than a name");

    ok(qname("192.0.2.99", "99.2.0.192.bl.test"), "IPv4 reversed");
    ok(qname("::ffff:192.0.2.99", "99.2.0.192.bl.test"),
        "IPv4-mapped IPv6 asked as IPv4");
    ok(qname("2001:db8:1:2:3:4:567:89ab",
           "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2"
           ".bl.test"),
        "IPv6 by nibbles (RFC 5782 2.4)");
    ok(dnsbl_qname("unknown", "bl.test", out, sizeof out) == -1,
        "not an address");
    ok(dnsbl_qname("2001:db8::1", "bl.test", out, 40) == -1,
        "a name that does not fit");

    ok(answer(NULL, 1, two) == 1, "127.0.0.2 lists");
    ok(answer(NULL, 1, wild) == 0, "an answer outside 127/8 does not");
    ok(answer(NULL, 1, refused) == -1, "127.255.255.254: the list refused");
    ok(answer("127.0.0.2", 1, four) == 0, "a filter: another answer");
    ok(answer("127.0.0.2", 2, both) == 1, "a filter: one of the answers");
    ok(answer(NULL, 0, two) == 0, "no record");

    dnsbl_text("Listed: see https://bl.test/?ip=192.0.2.99", 42, out,
        sizeof out);
    ok(strcmp(out, "Listed: see https://bl.test/?ip=192.0.2.99") == 0,
        "a TXT kept");
    dnsbl_text("a\r\nb\001\xff", 6, out, sizeof out);
    ok(strcmp(out, "a??b??") == 0,
        "control and 8-bit bytes replaced: %s", out);
    dnsbl_text(big, strlen(big), out, sizeof out);
    ok(strlen(out) == sizeof out - 1, "cut to the buffer");

    if (mkdtemp(dir) == NULL)
        return 1;
    ok(dnsbl_load(dir, z, DNSBL_ZONES_MAX, &n, &line) == 0 && n == 0,
        "no file: no lists");
    snprintf(path, sizeof path, "%s/dnsbl", dir);
    f = fopen(path, "w");
    fputs("# the lists\n\nbl.test\nbl2.test=127.0.0.4\n", f);
    fclose(f);
    ok(dnsbl_load(dir, z, DNSBL_ZONES_MAX, &n, &line) == 0 && n == 2
            && strcmp(z[1].name, "bl2.test") == 0 && z[1].match,
        "two lists read");
    f = fopen(path, "a");
    fputs("bl3.test=127.1\n", f);
    fclose(f);
    ok(dnsbl_load(dir, z, DNSBL_ZONES_MAX, &n, &line) == -1
            && errno == EINVAL && line == 5 && n == 0,
        "a malformed line: an error with its number");
    f = fopen(path, "w");
    for (i = 0; i <= DNSBL_ZONES_MAX; i++)
        fprintf(f, "bl%d.test\n", i);
    fclose(f);
    ok(dnsbl_load(dir, z, DNSBL_ZONES_MAX, &n, &line) == -1
            && errno == E2BIG,
        "too many lists");
    unlink(path);
    rmdir(dir);
    return done();
}
