/* fuzz_tlsfacts.c - the TLS facts parser (UCSPI-TLS "Y" answer and the
 * implicit-TLS report), with an encode/parse round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsfacts.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tlsfacts f, g;
    unsigned char out[TLSFACTS_MAX + 1];
    long n, m;

    n = tlsfacts_parse(data, size, &f);
    if (n <= 0)
        return 0;
    if ((size_t)n > size || (size_t)n > TLSFACTS_MAX)
        abort();
    m = tlsfacts_encode(&f, out, sizeof out);
    if (m != n || memcmp(out, data, (size_t)n) != 0)
        abort();
    if (tlsfacts_parse(out, (size_t)m, &g) != m || g.n != f.n)
        abort();
    return 0;
}
