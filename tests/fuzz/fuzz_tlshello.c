/* fuzz_tlshello.c - SNI extraction from raw ClientHello bytes (network
 * input, parsed before BearSSL sees the extensions). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname.h"
#include "limits.h"
#include "tlshello.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[DNSNAME_MAX + 1];
    int r = tlshello_sni(data, size, out, sizeof out);

    if (r == 1 && !dnsname_valid(out, strlen(out)))
        abort();
    if (r == 0 && out[0] != 0)
        abort();
    return 0;
}
