/* fuzz_dane.c - the DER walk that finds a certificate's public key for
 * TLSA matching: no crash, and the key found lies inside the input and
 * is a SEQUENCE. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *spki;
    size_t n;
    struct dns_tlsa t;

    if (dane_spki(data, size, &spki, &n) == 0
        && (spki < data || spki + n > data + size || n < 2 || spki[0] != 0x30))
        abort();
    memset(&t, 0, sizeof t);
    t.usage = 3;
    t.selector = size & 1;
    t.mtype = 1;
    t.len = 32;
    (void)dane_match(&t, data, size);
    return 0;
}
