/* fuzz_spf.c - SPF record evaluation and macro expansion on hostile
 * records: the input is the TXT record of every name asked (so include
 * and redirect recurse into it); A/AAAA/MX answers are empty.  No crash,
 * a result within the enum, a reason that is a C string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"

static const uint8_t *in;
static size_t inlen;

static int
fake(void *ctx, const char *name, enum dns_type type, struct dns_answer *a)
{
    (void)ctx;
    (void)name;
    memset(a, 0, sizeof *a);
    if (type != DNS_T_TXT)
        return DNS_NODATA;
    if (inlen > DNS_TXT_MAX)
        return DNS_TEMP;
    memcpy(a->txt[0], in, inlen);
    a->txt[0][inlen] = 0;
    a->txtlen[0] = inlen;
    a->n = 1;
    return DNS_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct spf_dns d = { fake, NULL };
    struct spf_req r = { "192.0.2.1", "user-a.b@example.test", "helo.test" };
    char why[300], out[300];
    int res;

    in = data;
    inlen = size;
    res = spf_check(&d, &r, "example.test", why, sizeof why);
    if (res < SPF_NONE || res > SPF_PERMERROR || strlen(why) >= sizeof why)
        abort();
    r.ip = "2001:db8::1";
    (void)spf_check(&d, &r, "example.test", why, sizeof why);
    if (spf_expand(&r, "example.test", (const char *)data, size, out,
            sizeof out) == 0 && strlen(out) > 253)
        abort();
    return 0;
}
