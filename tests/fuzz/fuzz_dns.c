/* fuzz_dns.c - DNS answers (lib/dns.c dns_parse): untrusted network input.
 *
 * Input: one byte that picks the question (low 4 bits: the type, high
 * 4: the name), then the answer.  The id is taken from the answer itself
 * so that the fuzzer gets past the id check; the names are fixed, the
 * corpus teaches them.
 * Checks the contract: a status in range, the limits kept, MX sorted,
 * every name handed back lower case and askable again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnsname.h"
#include "limits.h"

static const enum dns_type types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_MX,
    DNS_T_TXT, DNS_T_TLSA, DNS_T_CNAME };
static const char *const names[] = { "example.test", "_25._tcp.mx.example.test",
    "www.example.test", "Example.TEST." };

static struct dns_answer ans;

/* Lower case, and valid once each label's leading underscore reads as a
 * letter (the grammar dns_query asks). */
static void
check_name(const char *s)
{
    char tmp[DNSNAME_MAX + 2];
    size_t i, n = strlen(s);

    if (n > DNSNAME_MAX)
        abort();
    if (n == 0)
        return; /* the root */
    memcpy(tmp, s, n + 1);
    for (i = 0; i < n; i++) {
        if (tmp[i] >= 'A' && tmp[i] <= 'Z')
            abort();
        if (tmp[i] == '_' && (i == 0 || tmp[i - 1] == '.'))
            tmp[i] = 'x';
    }
    if (!dnsname_valid(tmp, n))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char q[512];
    enum dns_type type;
    const char *name;
    uint16_t id;
    size_t i;
    int r;

    if (size < 1 + 2)
        return 0;
    type = types[(data[0] & 0x0f) % (sizeof types / sizeof types[0])];
    name = names[(data[0] >> 4) % (sizeof names / sizeof names[0])];
    id = (uint16_t)(data[1] << 8 | data[2]);
    r = dns_parse(data + 1, size - 1, id, name, type, &ans);
    if (r < DNS_OK || r > DNS_TEMP || ans.n > DNS_ANSWERS_MAX)
        abort();
    if (r != DNS_OK && type != DNS_T_CNAME && ans.n != 0)
        abort();
    if (r != DNS_TEMP) {
        check_name(ans.name);
        /* What comes back can be asked again. */
        if (ans.name[0] != 0 && dns_build(q, sizeof q, 1, ans.name, type) < 0)
            abort();
    }
    for (i = 0; r == DNS_OK && i < ans.n; i++) {
        switch (type) {
        case DNS_T_MX:
            if (i > 0 && ans.u.mx[i - 1].pref > ans.u.mx[i].pref)
                abort();
            check_name(ans.u.mx[i].host);
            if (ans.u.mx[i].host[0] != 0
                && !dnsname_valid(ans.u.mx[i].host, strlen(ans.u.mx[i].host)))
                abort();
            break;
        case DNS_T_TXT:
            if (ans.txtlen[i] > DNS_TXT_MAX || ans.txt[i][ans.txtlen[i]] != 0)
                abort();
            break;
        case DNS_T_TLSA:
            if (ans.u.tlsa[i].len > DNS_TLSA_DATA_MAX)
                abort();
            break;
        default:
            break;
        }
    }
    return 0;
}
