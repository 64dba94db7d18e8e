/* dnsq.c - ask the resolver one question through lib/dns, for the tests.
 *
 *   dnsq TYPE NAME      TYPE: a aaaa mx txt tlsa cname
 *
 * Prints, in a stable form, the first line
 *   STATUS ad=N rcode=N name=NAME n=N
 * (STATUS: ok nodata nxdomain temp), then one line a record:
 *   a ADDR | aaaa ADDR | mx PREF HOST ("." for the null MX) |
 *   txt "TEXT" (bytes outside printable ASCII, '"' and '\' as \ooo) |
 *   tlsa USAGE SELECTOR MTYPE HEX
 * Exits with the dns_status (0 ok, 1 nodata, 2 nxdomain, 3 temp); 100
 * for bad usage, 111 when dns_init fails.  The resolver is chosen as by
 * every program (FACTEUR_RESOLVER, the resolver file, resolv.conf).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "exitcode.h"

static const struct {
    const char *name;
    enum dns_type type;
} types[] = {
    { "a", DNS_T_A }, { "aaaa", DNS_T_AAAA }, { "mx", DNS_T_MX },
    { "txt", DNS_T_TXT }, { "tlsa", DNS_T_TLSA }, { "cname", DNS_T_CNAME },
};

static const char *const status[] = { "ok", "nodata", "nxdomain", "temp" };

/* Too big for the stack of a small thread; one answer is all we need. */
static struct dns_answer ans;

static void
print_txt(const char *s, size_t n)
{
    size_t i;

    printf("txt \"");
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            printf("\\%03o", c);
        else
            putchar(c);
    }
    printf("\"\n");
}

static void
print_record(enum dns_type type, size_t i)
{
    char ip[INET6_ADDRSTRLEN];
    size_t j;

    switch (type) {
    case DNS_T_A:
    case DNS_T_AAAA:
        inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6, ans.u.a[i], ip,
            sizeof ip);
        printf("%s %s\n", type == DNS_T_A ? "a" : "aaaa", ip);
        break;
    case DNS_T_MX:
        printf("mx %u %s\n", ans.u.mx[i].pref,
            ans.u.mx[i].host[0] ? ans.u.mx[i].host : ".");
        break;
    case DNS_T_TXT:
        print_txt(ans.txt[i], ans.txtlen[i]);
        break;
    case DNS_T_TLSA:
        printf("tlsa %u %u %u ", ans.u.tlsa[i].usage, ans.u.tlsa[i].selector,
            ans.u.tlsa[i].mtype);
        for (j = 0; j < ans.u.tlsa[i].len; j++)
            printf("%02x", ans.u.tlsa[i].data[j]);
        printf("\n");
        break;
    case DNS_T_CNAME:
        break; /* the chain's end is in name= */
    }
}

int
main(int argc, char **argv)
{
    struct dns d;
    size_t i, t;
    int r;

    if (argc != 3)
        goto usage;
    for (t = 0; t < sizeof types / sizeof types[0]; t++)
        if (strcmp(argv[1], types[t].name) == 0)
            break;
    if (t == sizeof types / sizeof types[0])
        goto usage;
    if (dns_init(&d) == -1) {
        perror("dnsq: dns_init");
        return EXIT_TEMP;
    }
    r = dns_query(&d, argv[2], types[t].type, &ans);
    printf("%s ad=%d rcode=%d name=%s n=%zu\n", status[r], ans.ad, ans.rcode,
        ans.name, ans.n);
    for (i = 0; r == DNS_OK && i < ans.n; i++)
        print_record(types[t].type, i);
    return r;
usage:
    fprintf(stderr, "usage: dnsq a|aaaa|mx|txt|tlsa|cname NAME\n");
    return EXIT_PERM;
}
