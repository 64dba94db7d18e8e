/* sha256.h - SHA-256 (FIPS 180-4) for the DKIM hashes.
 *
 * On x86-64 processors with the SHA extensions (and SSSE3, SSE4.1) the
 * compression function runs on the SHA-NI instructions, found once at
 * run time through CPUID; everywhere else (other processors, other
 * architectures, compilers without the intrinsics) this is BearSSL's
 * br_sha256.  Both give the same bytes; only the speed differs (here
 * ~0.7 ms/MB against ~5.5 ms/MB).
 *
 * A context is plain memory: copying one copies the hash state.  Not
 * for secrets' sake: nothing is wiped.
 */
#ifndef MAIL_SHA256_H
#define MAIL_SHA256_H

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

struct sha256 {
    int ni; /* which path this context runs on, chosen by sha256_init */
    union {
        br_sha256_context br; /* the portable path */
        struct {
            uint32_t h[8];
            uint64_t count;         /* bytes hashed */
            unsigned char buf[64];  /* count % 64 of them wait here */
        } x;
    } u;
};

/** sha256_init - start a hash. */
void sha256_init(struct sha256 *c);

/** sha256_update - n more bytes of the message (n may be 0). */
void sha256_update(struct sha256 *c, const void *p, size_t n);

/**
 * sha256_out - the hash of the bytes given so far into out.  c is left
 * as it was: more bytes may follow, and out called again.
 */
void sha256_out(const struct sha256 *c, unsigned char out[32]);

/**
 * sha256_force_portable - for tests: on non-zero, contexts initialized
 * from now on use BearSSL even when the SHA extensions are there; on 0,
 * the run-time choice again.  Returns 1 when new contexts use the SHA
 * extensions, else 0.  Not thread-safe (tests only).
 */
int sha256_force_portable(int on);

#endif
