/* spfq.c - print the SPF result of IP SENDER HELO [DOMAIN] (lib/spf.h)
 * through the resolver of lib/dns.h: "result: why".  For the tests. */
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "spf.h"

static int
ask(void *ctx, const char *name, enum dns_type type, struct dns_answer *a)
{
    return dns_query(ctx, name, type, a);
}

int
main(int argc, char **argv)
{
    struct dns d;
    struct spf_dns sd;
    struct spf_req r;
    char why[512];
    const char *dom;
    int res;

    if (argc < 4 || dns_init(&d) == -1) {
        fprintf(stderr, "usage: spfq ip sender helo [domain]\n");
        return 100;
    }
    sd.query = ask;
    sd.ctx = &d;
    r.ip = argv[1];
    r.sender = argv[2];
    r.helo = argv[3];
    dom = argc > 4 ? argv[4] : strrchr(argv[2], '@') + 1;
    res = spf_check(&sd, &r, dom, why, sizeof why);
    printf("%s: %s\n", spf_name(res), why);
    return 0;
}
