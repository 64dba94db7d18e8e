/* sha256.c - SHA-256 on SHA-NI when the processor has it, else BearSSL
 * (see sha256.h).
 *
 * The SHA-NI block function follows the instructions' definitions in
 * Intel's Software Developer's Manual (SHA256RNDS2, SHA256MSG1,
 * SHA256MSG2) and FIPS 180-4 6.2.2.  It is compiled for those
 * instructions alone (a function attribute), so the rest of the build
 * needs no -m flag and runs on any x86-64; it is called only after
 * CPUID said the processor has them.
 */
#include <string.h>

#include "sha256.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHA256_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
    0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

/* -1: not asked yet; 0: BearSSL; 1: SHA-NI.  Set once per process (a
 * race between threads would store the same value). */
static int mode = -1;
static int forced;

#ifdef SHA256_NI

static const uint32_t K[64] = { 0x428a2f98, 0x71374491, 0xb5c0fbcf,
    0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
    0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
    0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
    0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c,
    0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee,
    0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2 };

static int
cpu_has_sha(void)
{
    unsigned int a, b, c, d;

    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid(1, a, b, c, d);
    if (!(c & (1u << 9)) || !(c & (1u << 19))) /* SSSE3, SSE4.1 */
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 29)) != 0; /* SHA */
}

/*
 * Four rounds from the message words in m (W[t..t+3], lane 0 first).
 * SHA256RNDS2 does two rounds: its first operand holds C, D, G, H and
 * the second A, B, E, F (lanes 3 to 0); the result is the new A, B, E,
 * F, and the old A, B, E, F are the new C, D, G, H.  It takes W+K of
 * the two rounds from the low half of its third operand.
 */
#define ROUNDS4(m, t)                                                       \
    do {                                                                    \
        __m128i wk_ = _mm_add_epi32((m),                                    \
            _mm_loadu_si128((const __m128i *)(const void *)(K + (t))));     \
        __m128i n_ = _mm_sha256rnds2_epu32(cdgh, abef, wk_);                \
        cdgh = abef;                                                        \
        abef = n_;                                                          \
        n_ = _mm_sha256rnds2_epu32(cdgh, abef,                              \
            _mm_shuffle_epi32(wk_, 0x0e));                                  \
        cdgh = abef;                                                        \
        abef = n_;                                                          \
    } while (0)

/*
 * W[t..t+3] into a from the four groups before it: a = W[t-16..t-13],
 * b = W[t-12..t-9], c = W[t-8..t-5], d = W[t-4..t-1].  SHA256MSG1 adds
 * sigma0 of W[t-15..t-12] to W[t-16..t-13]; W[t-7..t-4] (the alignr of
 * d and c) is added; SHA256MSG2 adds sigma1 of W[t-2], W[t-1] and of the
 * two words it makes itself.
 */
#define SCHEDULE(a, b, c, d)                                                \
    ((a) = _mm_sha256msg2_epu32(                                            \
         _mm_add_epi32(_mm_sha256msg1_epu32((a), (b)),                      \
             _mm_alignr_epi8((d), (c), 4)),                                 \
         (d)))

__attribute__((target("sha,sse4.1,ssse3"))) static void
blocks_ni(uint32_t h[8], const unsigned char *p, size_t nblocks)
{
    /* Big-endian words to lanes: reverse the bytes of each 32 bits. */
    const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5,
        6, 7, 0, 1, 2, 3);
    __m128i abef = _mm_set_epi32((int)h[0], (int)h[1], (int)h[4],
        (int)h[5]);
    __m128i cdgh = _mm_set_epi32((int)h[2], (int)h[3], (int)h[6],
        (int)h[7]);
    __m128i abef0, cdgh0, m0, m1, m2, m3;

    for (; nblocks > 0; nblocks--, p += 64) {
        abef0 = abef;
        cdgh0 = cdgh;
        m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)p),
            bswap);
        m1 = _mm_shuffle_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)(p + 16)), bswap);
        m2 = _mm_shuffle_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)(p + 32)), bswap);
        m3 = _mm_shuffle_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)(p + 48)), bswap);
        ROUNDS4(m0, 0);
        ROUNDS4(m1, 4);
        ROUNDS4(m2, 8);
        ROUNDS4(m3, 12);
        SCHEDULE(m0, m1, m2, m3);
        ROUNDS4(m0, 16);
        SCHEDULE(m1, m2, m3, m0);
        ROUNDS4(m1, 20);
        SCHEDULE(m2, m3, m0, m1);
        ROUNDS4(m2, 24);
        SCHEDULE(m3, m0, m1, m2);
        ROUNDS4(m3, 28);
        SCHEDULE(m0, m1, m2, m3);
        ROUNDS4(m0, 32);
        SCHEDULE(m1, m2, m3, m0);
        ROUNDS4(m1, 36);
        SCHEDULE(m2, m3, m0, m1);
        ROUNDS4(m2, 40);
        SCHEDULE(m3, m0, m1, m2);
        ROUNDS4(m3, 44);
        SCHEDULE(m0, m1, m2, m3);
        ROUNDS4(m0, 48);
        SCHEDULE(m1, m2, m3, m0);
        ROUNDS4(m1, 52);
        SCHEDULE(m2, m3, m0, m1);
        ROUNDS4(m2, 56);
        SCHEDULE(m3, m0, m1, m2);
        ROUNDS4(m3, 60);
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    h[0] = (uint32_t)_mm_extract_epi32(abef, 3);
    h[1] = (uint32_t)_mm_extract_epi32(abef, 2);
    h[4] = (uint32_t)_mm_extract_epi32(abef, 1);
    h[5] = (uint32_t)_mm_extract_epi32(abef, 0);
    h[2] = (uint32_t)_mm_extract_epi32(cdgh, 3);
    h[3] = (uint32_t)_mm_extract_epi32(cdgh, 2);
    h[6] = (uint32_t)_mm_extract_epi32(cdgh, 1);
    h[7] = (uint32_t)_mm_extract_epi32(cdgh, 0);
}

#else

static int
cpu_has_sha(void)
{
    return 0;
}

/* Never called: no context is on this path without SHA256_NI. */
static void
blocks_ni(uint32_t h[8], const unsigned char *p, size_t nblocks)
{
    (void)h;
    (void)p;
    (void)nblocks;
}

#endif

int
sha256_force_portable(int on)
{
    forced = on != 0;
    if (mode == -1)
        mode = cpu_has_sha();
    return mode && !forced;
}

void
sha256_init(struct sha256 *c)
{
    if (mode == -1)
        mode = cpu_has_sha();
    c->ni = mode && !forced;
    if (!c->ni) {
        br_sha256_init(&c->u.br);
        return;
    }
    memcpy(c->u.x.h, iv, sizeof iv);
    c->u.x.count = 0;
}

void
sha256_update(struct sha256 *c, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t have, k;

    if (!c->ni) {
        br_sha256_update(&c->u.br, p, n);
        return;
    }
    if (n == 0)
        return; /* p may be NULL */
    have = (size_t)(c->u.x.count & 63);
    c->u.x.count += n;
    if (have > 0) {
        k = 64 - have < n ? 64 - have : n;
        memcpy(c->u.x.buf + have, s, k);
        s += k;
        n -= k;
        if (have + k < 64)
            return;
        blocks_ni(c->u.x.h, c->u.x.buf, 1);
    }
    if (n >= 64) {
        blocks_ni(c->u.x.h, s, n / 64);
        s += n & ~(size_t)63;
        n &= 63;
    }
    if (n > 0)
        memcpy(c->u.x.buf, s, n);
}

void
sha256_out(const struct sha256 *c, unsigned char out[32])
{
    unsigned char last[128];
    uint32_t h[8];
    uint64_t bits;
    size_t have, pad, i;

    if (!c->ni) {
        br_sha256_out(&c->u.br, out);
        return;
    }
    /* FIPS 180-4 5.1.1: 0x80, zeros, the length in bits (64 bits,
     * big-endian), to a multiple of 64 bytes; on a copy of the state. */
    have = (size_t)(c->u.x.count & 63);
    pad = have < 56 ? 64 : 128;
    memcpy(last, c->u.x.buf, have);
    last[have] = 0x80;
    memset(last + have + 1, 0, pad - have - 9);
    bits = c->u.x.count << 3;
    for (i = 0; i < 8; i++)
        last[pad - 1 - i] = (unsigned char)(bits >> (8 * i));
    memcpy(h, c->u.x.h, sizeof h);
    blocks_ni(h, last, pad / 64);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(h[i] >> 8);
        out[4 * i + 3] = (unsigned char)h[i];
    }
}
