/* fuzz_ed25519.c - Ed25519 verification of hostile keys and signatures.
 *
 * The input is a 32-byte public key, a 64-byte signature, then the
 * message (shorter inputs are padded with zeros).  No crash, no read out
 * of bounds, a result of 0 or 1, the same result a second time.  Then the
 * whole input, as a message, is signed with a fixed seed: that signature
 * must verify, and must not once the message has one bit changed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"

#define HEAD (ED25519_PUB_LEN + ED25519_SIG_LEN)

/* 31 characters and the NUL */
static const unsigned char seed[ED25519_SEED_LEN] =
    "facteur fuzz_ed25519 fixed seed";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char pub[ED25519_PUB_LEN];
    static int have_pub;
    unsigned char head[HEAD], sig[ED25519_SIG_LEN], *m;
    const uint8_t *msg = size > HEAD ? data + HEAD : NULL;
    size_t len = size > HEAD ? size - HEAD : 0;
    int r;

    memset(head, 0, sizeof head);
    memcpy(head, data, size < HEAD ? size : HEAD);
    r = ed25519_verify(head + ED25519_PUB_LEN, msg, len, head);
    if ((r != 0 && r != 1)
        || ed25519_verify(head + ED25519_PUB_LEN, msg, len, head) != r)
        abort();

    if (!have_pub) {
        ed25519_public(pub, seed);
        have_pub = 1;
    }
    ed25519_sign(sig, data, size, seed, pub);
    if (ed25519_verify(sig, data, size, pub) != 1)
        abort();
    if (size > 0) {
        /* An exact-size copy, so ASan sees a read past the end. */
        if ((m = malloc(size)) == NULL)
            abort();
        memcpy(m, data, size);
        m[size / 2] ^= 0x10;
        if (ed25519_verify(sig, m, size, pub) != 0)
            abort();
        free(m);
    }
    return 0;
}
