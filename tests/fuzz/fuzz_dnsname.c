/* fuzz_dnsname.c - host name checks (SNI, certificate directory names). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname.h"
#include "limits.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[DNSNAME_MAX + 2];
    const char *s = (const char *)data;
    int v = dnsname_valid(s, size);

    if (v && (size > DNSNAME_MAX || memchr(s, 0, size) != NULL))
        abort();
    if (dnsname_canon(out, sizeof out, s, size) == 0) {
        size_t n = strlen(out);
        if (!dnsname_valid(out, n) || n > DNSNAME_MAX)
            abort();
    } else if (v) {
        abort(); /* a valid name must canonicalize */
    }
    return 0;
}
