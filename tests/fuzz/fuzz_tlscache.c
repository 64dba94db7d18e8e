/* fuzz_tlscache.c - decoding a session-cache slot read from disk: a slot
 * may be corrupt or written by another version, and must never yield
 * parameters tlswrap would not negotiate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlscache.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t suites[] = {
        BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    };
    unsigned char slot[TLSCACHE_SLOT_SIZE];
    br_ssl_session_parameters p;
    struct tlscache c;

    if (size < TLSCACHE_SLOT_SIZE + 32)
        return 0;
    memset(&c, 0, sizeof c);
    c.suites = suites;
    c.nsuites = 2;
    c.now = 1;
    memcpy(slot, data, TLSCACHE_SLOT_SIZE);
    /* The binding comes from the input too, to reach the deep checks. */
    memcpy(c.bind, slot + 85, 32);
    if (tlscache_slot_decode(&c, slot, data + TLSCACHE_SLOT_SIZE, &p)) {
        if (p.version != BR_TLS12 || p.session_id_len != 32
            || (p.cipher_suite != suites[0] && p.cipher_suite != suites[1]))
            abort();
    }
    return 0;
}
