/* fuzz_tlskey.c - the key process's request parser (its only input). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlskey.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tlskey_req r;
    unsigned char out[TLSKEY_REQ_MAX];
    size_t n;

    if (tlskey_req_decode(data, size, &r) != 1)
        return 0;
    if (r.hv_len != tlskey_hash_len(r.hash_id) || r.hv_len > sizeof r.hv)
        abort();
    n = tlskey_req_encode(out, sizeof out, r.index, r.hash_id, r.hv,
        r.hv_len);
    if (n != size || memcmp(out, data, n) != 0)
        abort();
    return 0;
}
