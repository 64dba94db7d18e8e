/* fuzz_addr.c - the envelope address grammar: whatever parses must give
 * a canonical form that parses to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct addr a, b;

    if (addr_parse((const char *)data, size, 1, &a) == -1)
        return 0;
    if (strlen(a.full) > ADDR_MAX)
        abort();
    if (a.full[0] == 0)
        return 0;
    if (addr_parse(a.full, strlen(a.full), 0, &b) == -1
        || strcmp(a.full, b.full) != 0)
        abort();
    return 0;
}
