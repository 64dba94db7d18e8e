/* fuzz_mtasts.c - the MTA-STS TXT record and policy parsers: no crash; a
 * parsed policy is within its limits, its patterns are names (or "*."
 * and a name) in lower case, and matching a pattern's own name works. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mtasts_policy pol;
    char id[MTASTS_ID_MAX + 1];
    size_t i;

    if (mtasts_txt((const char *)data, size, id) == 0
        && (strlen(id) == 0 || strlen(id) > MTASTS_ID_MAX))
        abort();
    if (mtasts_parse((const char *)data, size, &pol) == -1)
        return 0;
    if (pol.nmx > MTASTS_MX_MAX || pol.max_age > MTASTS_MAXAGE_MAX
        || (pol.mode != MTASTS_NONE && pol.nmx == 0))
        abort();
    for (i = 0; i < pol.nmx; i++) {
        const char *m = pol.mx[i];
        if (strlen(m) == 0)
            abort();
        for (const char *c = m; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                abort();
        if (m[0] != '*' && !mtasts_mx_ok(&pol, m))
            abort();
    }
    return 0;
}
