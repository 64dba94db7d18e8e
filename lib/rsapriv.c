/* rsapriv.c - the RSA private key operation (CRT), see rsapriv.h.
 *
 * Written from RFC 8017 (5.1.2 RSADP with the CRT, 9.2 EMSA-PKCS1-v1_5),
 * HAC 14.32 and 14.36 (Montgomery reduction and multiplication), HAC
 * 14.82 (fixed-window exponentiation) and Koc, Acar and Kaliski,
 * "Analyzing and comparing Montgomery multiplication algorithms" (IEEE
 * Micro, 1996: the product-scanning FIPS method).
 *
 * Numbers: little-endian arrays of 64-bit limbs, products in unsigned
 * __int128.  A factor m of k limbs works in Montgomery form with R =
 * 2^(64k): a is held as aR mod m, always fully reduced (< m).
 *   mont_mul  product scanning: each column of a b and of the
 *             reduction's U m is summed in a three-limb accumulator
 *             (mul, add, adc, adc a limb product); the result is below
 *             2m, and one subtraction of m, kept or not by a mask, ends
 *             it.
 *   mont_sq   the same with each a[i]a[j], i < j, once, doubled: 1.5 k^2
 *             limb products instead of 2 k^2.
 * For 8 and 16 limbs (1024- and 2048-bit keys) both are also compiled
 * with k a constant, their loops completely unrolled: twice as fast.
 * The precomputed values need no division: R mod m is 2^(64(k-1))
 * (< m, as m's top limb is not zero and m is odd) doubled 64 times
 * modulo m; R^2 mod m is R 2^k mod m (k more doublings) squared six
 * times in Montgomery form ((2^k)^64 = R).  An input (x, or mq for the
 * recombination) is brought to Montgomery form modulo m by Horner's
 * rule on its k-limb chunks, each multiplied by R^2.
 *
 * Exponentiation: 5-bit fixed windows over the exponent's public length
 * (8 times the factor's byte length), from the top: five squarings and
 * one multiplication per window, by the table entry (x^0 .. x^31, in
 * Montgomery form) that a scan of the whole table picks with masks.
 *
 * CRT: mp = x^dp mod p, mq = x^dq mod q; h = iq (mp - mq) mod p (mq
 * reduced modulo p first: p need not be larger than q); the result is
 * mq + q h, below p q = n.  The key's validity and x < n are computed
 * as masks and only decide the returned value and whether x is zeroed.
 *
 * Checked for secret-dependent branches and addresses with valgrind
 * (tests/unit/rsapriv_test.c, "ct"), built by gcc 12 and clang 14 at
 * -O0 to -O3 and -Os.  Timings (AMD EPYC, gcc -O2), 2048 bits: 0.85 to
 * 0.95 ms (BearSSL 0.6 i62: 3.2 ms); 4096 bits: 9 to 10.5 ms (BearSSL: 35).
 */
#include <bearssl.h>
#include <stdint.h>
#include <string.h>

#include "rsapriv.h"

#ifndef __SIZEOF_INT128__
#error "rsapriv.c needs unsigned __int128 (gcc or clang, 64-bit target)"
#endif
__extension__ typedef unsigned __int128 u128;
typedef uint64_t limb;

#define FLIMBS ((RSAPRIV_FACTOR_BITS_MAX + 63) / 64) /* limbs of a factor */
#define WBITS 5                                      /* window width */
#define WSIZE (1 << WBITS)

/* A factor and its Montgomery constants. */
struct mod {
    limb m[FLIMBS];
    limb one[FLIMBS]; /* R mod m */
    limb r2[FLIMBS];  /* R^2 mod m */
    limb m0i;         /* -1/m mod 2^64 */
    size_t n;         /* limbs */
    size_t len;       /* bytes, leading zeros skipped */
};

/* Every secret temporary, wiped at the end. */
struct work {
    struct mod p, q;
    limb x[2 * FLIMBS];  /* the input */
    limb e[FLIMBS + 1];  /* dp, then dq (the extra limb stays zero) */
    limb iq[FLIMBS];
    limb tab[WSIZE][FLIMBS];
    limb sel[FLIMBS], acc[FLIMBS], mp[FLIMBS], mq[FLIMBS], u[FLIMBS];
    limb t[FLIMBS]; /* scratch of the modular operations */
    limb pq[2 * FLIMBS], res[2 * FLIMBS];
};

/* 1 if x != 0, else 0; no branch. */
static limb
ct_nz(limb x)
{
    return (x | (0 - x)) >> 63;
}

/* All ones if bit (0 or 1) is 1, else zero.  The mask goes through a
 * volatile zero, so that the compiler cannot know it is one of two
 * values and make a branch of its use (clang 14 does in lookup()). */
static const volatile limb opaque_zero = 0;

static limb
ct_mask(limb bit)
{
    return (0 - bit) ^ opaque_zero;
}

/* d = mask ? a : d, mask all ones or zero. */
static void
ct_sel(limb *d, limb mask, const limb *a, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        d[i] ^= mask & (d[i] ^ a[i]);
}

/* d = a + b, returns the carry. */
static limb
add_n(limb *d, const limb *a, const limb *b, size_t n)
{
    limb c = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        u128 z = (u128)a[i] + b[i] + c;
        d[i] = (limb)z;
        c = (limb)(z >> 64);
    }
    return c;
}

/* d = a - b, returns the borrow. */
static limb
sub_n(limb *d, const limb *a, const limb *b, size_t n)
{
    limb c = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        u128 z = (u128)a[i] - b[i] - c;
        d[i] = (limb)z;
        c = (limb)(z >> 64) & 1;
    }
    return c;
}

/* d = a b (na and nb limbs; d has na + nb, and is neither). */
static void
mul_n(limb *d, const limb *a, size_t na, const limb *b, size_t nb)
{
    size_t i, j;

    memset(d, 0, (na + nb) * sizeof *d);
    for (i = 0; i < na; i++) {
        limb c = 0;

        for (j = 0; j < nb; j++) {
            u128 z = (u128)a[i] * b[j] + d[i + j] + c;
            d[i + j] = (limb)z;
            c = (limb)(z >> 64);
        }
        d[i + nb] = c;
    }
}

/* The big-endian src (len bytes) into d (n limbs); the bytes from the
 * max-th one on (from the right) must be zero: returns their OR. */
static limb
decode(limb *d, size_t n, size_t max, const unsigned char *src, size_t len)
{
    limb over = 0;
    size_t i;

    memset(d, 0, n * sizeof *d);
    for (i = 0; i < len; i++) {
        limb b = src[len - 1 - i];

        if (i < max && i / 8 < n)
            d[i / 8] |= b << (8 * (i % 8));
        else
            over |= b;
    }
    return over;
}

/* s (n limbs) into dst, big-endian, len bytes (higher limbs dropped). */
static void
encode(unsigned char *dst, size_t len, const limb *s, size_t n)
{
    size_t i;

    for (i = 0; i < len; i++)
        dst[len - 1 - i] =
            i / 8 < n ? (unsigned char)(s[i / 8] >> (8 * (i % 8))) : 0;
}

/* d = t - m if t (n limbs and a top bit hi) >= m, else t; t < 2m; d is
 * not t. */
static void
mod_final(limb *d, const limb *t, limb hi, const struct mod *M)
{
    limb b = sub_n(d, t, M->m, M->n);

    ct_sel(d, ct_mask(1 ^ (hi | (b ^ 1))), t, M->n);
}

/* d = a + b mod m (a, b < m). */
static void
mod_add(limb *d, const limb *a, const limb *b, const struct mod *M,
    limb *t)
{
    limb c = add_n(t, a, b, M->n);

    mod_final(d, t, c, M);
}

/* d = a - b mod m (a, b < m). */
static void
mod_sub(limb *d, const limb *a, const limb *b, const struct mod *M,
    limb *t)
{
    limb c = sub_n(d, a, b, M->n);

    add_n(t, d, M->m, M->n);
    ct_sel(d, ct_mask(c), t, M->n);
}

/* d = 2d mod m (d < m). */
static void
mod_dbl(limb *d, const struct mod *M, limb *t)
{
    limb c = 0, h;
    size_t i;

    for (i = 0; i < M->n; i++) {
        h = d[i] >> 63;
        t[i] = (d[i] << 1) | c;
        c = h;
    }
    mod_final(d, t, c, M);
}

/*
 * (c2 c1 c0) += a b.  Optimizing, gcc and clang make the comparison
 * the carry of the addition: mul, add, adc, adc.  Not optimizing, gcc
 * makes a branch of a comparison of 128-bit values (a secret one): then
 * the carries are taken from the upper halves instead, slower but
 * without a branch.  The same for ADD2X below.
 */
#ifdef __OPTIMIZE__
#define MAC(c0, c1, c2, a, b)                                                \
    do {                                                                     \
        u128 p_ = (u128)(a) * (b);                                           \
        u128 s_ = (((u128)(c1) << 64) | (c0)) + p_;                          \
        (c2) += s_ < p_;                                                     \
        (c0) = (limb)s_;                                                     \
        (c1) = (limb)(s_ >> 64);                                             \
    } while (0)
#else
#define MAC(c0, c1, c2, a, b)                                                \
    do {                                                                     \
        u128 p_ = (u128)(a) * (b);                                           \
        u128 l_ = (u128)(c0) + (limb)p_;                                     \
        u128 h_ = (u128)(c1) + (limb)(p_ >> 64) + (limb)(l_ >> 64);          \
        (c0) = (limb)l_;                                                     \
        (c1) = (limb)h_;                                                     \
        (c2) += (limb)(h_ >> 64);                                            \
    } while (0)
#endif

/*
 * Product scanning (Koc et al.'s FIPS): column i of a b and of U m
 * summed in a three-limb accumulator (c2 c1 c0); U's limb u[i] is made
 * in column i so that the column's low limb becomes zero.  u[j] is
 * last needed in column j + n - 1: column i >= n leaves its low limb
 * (the result's limb i - n) in its place, so t (n limbs) holds U, then
 * the result, whose top bit is returned.  The product is below 2 m R
 * when a b < m R.
 *
 * Each comes in two copies: with n a constant (8 or 16 limbs, the
 * factors of 1024- and 2048-bit keys), where every loop unrolls
 * completely (a few kilobytes of straight code, half the time of the
 * loops), and for any n.
 */
#define UNROLL_ALL _Pragma("GCC unroll 32")
#define UNROLL_SOME _Pragma("GCC unroll 4")

static inline __attribute__((always_inline)) limb
mul_fixed(limb *t, const limb *a, const limb *b, const limb *m, limb m0i,
    size_t n)
{
    limb c0 = 0, c1 = 0, c2 = 0;
    size_t i, j;

    UNROLL_ALL
    for (i = 0; i < n; i++) {
        UNROLL_ALL
        for (j = 0; j < i; j++) {
            MAC(c0, c1, c2, a[j], b[i - j]);
            MAC(c0, c1, c2, t[j], m[i - j]);
        }
        MAC(c0, c1, c2, a[i], b[0]);
        t[i] = c0 * m0i;
        MAC(c0, c1, c2, t[i], m[0]);
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
    UNROLL_ALL
    for (i = n; i < 2 * n; i++) {
        UNROLL_ALL
        for (j = i - n + 1; j < n; j++) {
            MAC(c0, c1, c2, a[j], b[i - j]);
            MAC(c0, c1, c2, t[j], m[i - j]);
        }
        t[i - n] = c0;
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
    return c0;
}

/* mul_fixed for any n: the same loops, partly unrolled (only a constant
 * n unrolls whole; mul8 and mul16 get those). */
static limb
mul_any(limb *t, const limb *a, const limb *b, const limb *m, limb m0i,
    size_t n)
{
    limb c0 = 0, c1 = 0, c2 = 0;
    size_t i, j;

    for (i = 0; i < n; i++) {
        UNROLL_SOME
        for (j = 0; j < i; j++) {
            MAC(c0, c1, c2, a[j], b[i - j]);
            MAC(c0, c1, c2, t[j], m[i - j]);
        }
        MAC(c0, c1, c2, a[i], b[0]);
        t[i] = c0 * m0i;
        MAC(c0, c1, c2, t[i], m[0]);
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
    for (i = n; i < 2 * n; i++) {
        UNROLL_SOME
        for (j = i - n + 1; j < n; j++) {
            MAC(c0, c1, c2, a[j], b[i - j]);
            MAC(c0, c1, c2, t[j], m[i - j]);
        }
        t[i - n] = c0;
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
    return c0;
}

/* (c2 c1 c0) += 2 (s2 s1 s0) */
#ifdef __OPTIMIZE__
#define ADD2X(c0, c1, c2, s0, s1, s2)                                        \
    do {                                                                     \
        u128 s_ = ((u128)((s1) << 1 | (s0) >> 63) << 64) | (limb)((s0) << 1); \
        u128 z_ = (((u128)(c1) << 64) | (c0)) + s_;                          \
        (c2) += ((s2) << 1 | (s1) >> 63) + (z_ < s_);                        \
        (c0) = (limb)z_;                                                     \
        (c1) = (limb)(z_ >> 64);                                             \
    } while (0)
#else
#define ADD2X(c0, c1, c2, s0, s1, s2)                                        \
    do {                                                                     \
        u128 l_ = (u128)(c0) + (limb)((s0) << 1);                            \
        u128 h_ = (u128)(c1) + (limb)((s1) << 1 | (s0) >> 63)                \
            + (limb)(l_ >> 64);                                              \
        (c0) = (limb)l_;                                                     \
        (c1) = (limb)h_;                                                     \
        (c2) += ((s2) << 1 | (s1) >> 63) + (limb)(h_ >> 64);                 \
    } while (0)
#endif

/* The squaring: column i has each a[j] a[i - j], j < i - j, once
 * (summed apart, then doubled), a[i/2]^2, and U m as in the product. */
static inline __attribute__((always_inline)) limb
sq_fixed(limb *t, const limb *a, const limb *m, limb m0i, size_t n)
{
    limb c0 = 0, c1 = 0, c2 = 0;
    size_t i, j;

    UNROLL_ALL
    for (i = 0; i < 2 * n; i++) {
        limb s0 = 0, s1 = 0, s2 = 0;
        size_t lo = i < n ? 0 : i - n + 1;

        UNROLL_ALL
        for (j = lo; 2 * j < i; j++)
            MAC(s0, s1, s2, a[j], a[i - j]);
        ADD2X(c0, c1, c2, s0, s1, s2);
        if (i % 2 == 0 && i / 2 < n)
            MAC(c0, c1, c2, a[i / 2], a[i / 2]);
        UNROLL_ALL
        for (j = lo; j < (i < n ? i : n); j++)
            MAC(c0, c1, c2, t[j], m[i - j]);
        if (i < n) {
            t[i] = c0 * m0i;
            MAC(c0, c1, c2, t[i], m[0]);
        } else {
            t[i - n] = c0;
        }
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
    return c0;
}

/* sq_fixed for any n, partly unrolled (as mul_any). */
static limb
sq_any(limb *t, const limb *a, const limb *m, limb m0i, size_t n)
{
    limb c0 = 0, c1 = 0, c2 = 0;
    size_t i, j;

    for (i = 0; i < 2 * n; i++) {
        limb s0 = 0, s1 = 0, s2 = 0;
        size_t lo = i < n ? 0 : i - n + 1;

        UNROLL_SOME
        for (j = lo; 2 * j < i; j++)
            MAC(s0, s1, s2, a[j], a[i - j]);
        ADD2X(c0, c1, c2, s0, s1, s2);
        if (i % 2 == 0 && i / 2 < n)
            MAC(c0, c1, c2, a[i / 2], a[i / 2]);
        UNROLL_SOME
        for (j = lo; j < (i < n ? i : n); j++)
            MAC(c0, c1, c2, t[j], m[i - j]);
        if (i < n) {
            t[i] = c0 * m0i;
            MAC(c0, c1, c2, t[i], m[0]);
        } else {
            t[i - n] = c0;
        }
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
    return c0;
}

static limb
mul8(limb *t, const limb *a, const limb *b, const limb *m, limb m0i)
{
    return mul_fixed(t, a, b, m, m0i, 8);
}

static limb
mul16(limb *t, const limb *a, const limb *b, const limb *m, limb m0i)
{
    return mul_fixed(t, a, b, m, m0i, 16);
}

static limb
sq8(limb *t, const limb *a, const limb *m, limb m0i)
{
    return sq_fixed(t, a, m, m0i, 8);
}

static limb
sq16(limb *t, const limb *a, const limb *m, limb m0i)
{
    return sq_fixed(t, a, m, m0i, 16);
}

/* d = a b / R mod m, a b < R m; d may be a or b; t has n limbs. */
static void
mont_mul(limb *d, const limb *a, const limb *b, const struct mod *M,
    limb *t)
{
    limb top;

    if (M->n == 16)
        top = mul16(t, a, b, M->m, M->m0i);
    else if (M->n == 8)
        top = mul8(t, a, b, M->m, M->m0i);
    else
        top = mul_any(t, a, b, M->m, M->m0i, M->n);
    mod_final(d, t, top, M);
}

/* d = a^2 / R mod m, a < m; d may be a; t has n limbs. */
static void
mont_sq(limb *d, const limb *a, const struct mod *M, limb *t)
{
    limb top;

    if (M->n == 16)
        top = sq16(t, a, M->m, M->m0i);
    else if (M->n == 8)
        top = sq8(t, a, M->m, M->m0i);
    else
        top = sq_any(t, a, M->m, M->m0i, M->n);
    mod_final(d, t, top, M);
}

/* -1/m mod 2^64 for an odd m (Newton: each step doubles the bits). */
static limb
ninv64(limb m)
{
    limb y = m; /* m m = 1 mod 8 */
    int i;

    for (i = 0; i < 5; i++)
        y *= 2 - m * y;
    return 0 - y;
}

/* M from the big-endian factor b (len bytes).  0 if its length is out
 * of range; else its low limb is in M->m[0] (for the parity check). */
static int
mod_init(struct mod *M, const unsigned char *b, size_t len, limb *t)
{
    size_t i;

    while (len > 0 && *b == 0) { /* the length is public */
        b++;
        len--;
    }
    if (len < RSAPRIV_FACTOR_BYTES_MIN || len > FLIMBS * 8)
        return 0;
    M->len = len;
    M->n = (len + 7) / 8;
    decode(M->m, M->n, len, b, len);
    M->m0i = ninv64(M->m[0]);
    memset(M->one, 0, sizeof M->one);
    M->one[M->n - 1] = 1;
    for (i = 0; i < 64; i++)
        mod_dbl(M->one, M, t);
    memcpy(M->r2, M->one, sizeof M->r2);
    for (i = 0; i < M->n; i++)
        mod_dbl(M->r2, M, t);
    for (i = 0; i < 6; i++)
        mont_sq(M->r2, M->r2, M, t);
    return 1;
}

/* d = a R mod m, a of na limbs (any value); d is not a. */
static void
mod_tomont(limb *d, const limb *a, size_t na, const struct mod *M,
    struct work *w)
{
    size_t n = M->n, k = (na + n - 1) / n, i;

    while (k-- > 0) {
        for (i = 0; i < n; i++)
            w->u[i] = k * n + i < na ? a[k * n + i] : 0;
        mont_mul(w->u, w->u, M->r2, M, w->t);
        if (k * n + n >= na) {
            memcpy(d, w->u, n * sizeof *d);
        } else {
            mont_mul(d, d, M->r2, M, w->t);
            mod_add(d, d, w->u, M, w->t);
        }
    }
}

/* d = tab[idx], reading all of every entry.  With a constant n the
 * accumulator stays in (vector) registers: three times faster. */
static inline __attribute__((always_inline)) void
lookup_fixed(limb *d, limb (*tab)[FLIMBS], limb idx, size_t n)
{
    limb acc[FLIMBS];
    size_t k, i;

    UNROLL_ALL
    for (i = 0; i < n; i++)
        acc[i] = 0;
    for (k = 0; k < WSIZE; k++) {
        limb mask = ct_mask(1 ^ ct_nz((limb)k ^ idx));

        UNROLL_ALL
        for (i = 0; i < n; i++)
            acc[i] |= tab[k][i] & mask;
    }
    UNROLL_ALL
    for (i = 0; i < n; i++)
        d[i] = acc[i];
}

static void
lookup(limb *d, limb (*tab)[FLIMBS], limb idx, size_t n)
{
    size_t k, i;

    if (n == 16) {
        lookup_fixed(d, tab, idx, 16);
    } else if (n == 8) {
        lookup_fixed(d, tab, idx, 8);
    } else {
        memset(d, 0, n * sizeof *d);
        for (k = 0; k < WSIZE; k++) {
            limb mask = ct_mask(1 ^ ct_nz((limb)k ^ idx));

            for (i = 0; i < n; i++)
                d[i] |= tab[k][i] & mask;
        }
    }
}

/* d = xm^e in Montgomery form (xm in Montgomery form), e of bits bits. */
static void
mod_pow(limb *d, const limb *xm, const limb *e, size_t bits,
    const struct mod *M, struct work *w)
{
    size_t n = M->n, nwin = (bits + WBITS - 1) / WBITS, k, s, pos;

    memcpy(w->tab[0], M->one, n * sizeof *d);
    memcpy(w->tab[1], xm, n * sizeof *d);
    for (k = 2; k < WSIZE; k++)
        if (k % 2 == 0)
            mont_sq(w->tab[k], w->tab[k / 2], M, w->t);
        else
            mont_mul(w->tab[k], w->tab[k - 1], xm, M, w->t);
    for (k = nwin; k-- > 0;) {
        limb win;

        pos = k * WBITS; /* public */
        win = e[pos / 64] >> (pos % 64);
        if (pos % 64 > 64 - WBITS)
            win |= e[pos / 64 + 1] << (64 - pos % 64);
        win &= WSIZE - 1;
        lookup(w->sel, w->tab, win, n);
        if (k == nwin - 1) {
            memcpy(d, w->sel, n * sizeof *d);
        } else {
            for (s = 0; s < WBITS; s++)
                mont_sq(d, d, M, w->t);
            mont_mul(d, d, w->sel, M, w->t);
        }
    }
}

/* Overwrite the stack below the caller's frame, where the functions it
 * called left spilled limbs (registers are not wiped). */
static __attribute__((noinline)) void
burn_stack(void)
{
    unsigned char b[4096];

    explicit_bzero(b, sizeof b);
}

int
rsapriv_private(unsigned char *x, const br_rsa_private_key *sk)
{
    struct work w;
    size_t xlen, xl, np, nq, nl, i, top;
    limb ok, over, c;
    uint32_t bits = sk->n_bitlen;

    if (bits < RSAPRIV_BITS_MIN || bits > RSAPRIV_BITS_MAX)
        return 0;
    xlen = (bits + 7) / 8;
    xl = (xlen + 7) / 8;
    if (!mod_init(&w.p, sk->p, sk->plen, w.t)
        || !mod_init(&w.q, sk->q, sk->qlen, w.t))
        goto fail;
    np = w.p.n;
    nq = w.q.n;
    nl = np + nq;
    if (bits > 64 * nl)
        goto fail;

    /* The key: p and q odd, p q of exactly n_bitlen bits (and dp, dq,
     * iq no longer than their factor, below). */
    ok = w.p.m[0] & w.q.m[0] & 1;
    mul_n(w.pq, w.p.m, np, w.q.m, nq);
    top = bits - 1;
    ok &= w.pq[top / 64] >> (top % 64);
    if (bits % 64 != 0)
        ok &= 1 ^ ct_nz(w.pq[bits / 64] >> (bits % 64));
    for (i = (bits + 63) / 64; i < nl; i++)
        ok &= 1 ^ ct_nz(w.pq[i]);

    /* x < p q */
    memset(w.x, 0, sizeof w.x);
    decode(w.x, xl, xlen, x, xlen);
    ok &= sub_n(w.res, w.x, w.pq, nl);

    /* mp = x^dp mod p, in Montgomery form */
    over = decode(w.e, np, w.p.len, sk->dp, sk->dplen);
    w.e[np] = 0;
    mod_tomont(w.acc, w.x, xl, &w.p, &w);
    mod_pow(w.mp, w.acc, w.e, 8 * w.p.len, &w.p, &w);

    /* mq = x^dq mod q */
    over |= decode(w.e, nq, w.q.len, sk->dq, sk->dqlen);
    w.e[nq] = 0;
    mod_tomont(w.acc, w.x, xl, &w.q, &w);
    mod_pow(w.mq, w.acc, w.e, 8 * w.q.len, &w.q, &w);
    memset(w.u, 0, sizeof w.u);
    w.u[0] = 1;
    mont_mul(w.mq, w.mq, w.u, &w.q, w.t);

    /* h = iq (mp - mq) mod p: (mp - mq) R times iq, divided by R */
    over |= decode(w.iq, np, w.p.len, sk->iq, sk->iqlen);
    ok &= 1 ^ ct_nz(over);
    mod_tomont(w.acc, w.mq, nq, &w.p, &w);
    mod_sub(w.acc, w.mp, w.acc, &w.p, w.t);
    mont_mul(w.acc, w.acc, w.iq, &w.p, w.t);

    /* mq + q h (< n), or zero when something was wrong */
    mul_n(w.res, w.q.m, nq, w.acc, np);
    c = add_n(w.res, w.res, w.mq, nq);
    for (i = nq; i < nl; i++) {
        u128 z = (u128)w.res[i] + c;

        w.res[i] = (limb)z;
        c = (limb)(z >> 64);
    }
    c = ct_mask(ok);
    for (i = 0; i < nl; i++)
        w.res[i] &= c;
    encode(x, xlen, w.res, nl);
    explicit_bzero(&w, sizeof w);
    burn_stack();
    return (int)ok;
fail:
    memset(x, 0, xlen);
    explicit_bzero(&w, sizeof w);
    burn_stack();
    return 0;
}

/* EM = 00 01 FF..FF 00 T (RFC 8017 9.2), T the DigestInfo of SHA-256
 * and the hash, into em (len bytes, at least 128). */
static void
pkcs1_sha256(unsigned char *em, size_t len, const unsigned char hash[32])
{
    /* DigestInfo for SHA-256 (RFC 8017 9.2, note 1), then the hash */
    static const unsigned char prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06,
        0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
        0x00, 0x04, 0x20 };
    size_t t = sizeof prefix + 32;

    em[0] = 0x00;
    em[1] = 0x01;
    memset(em + 2, 0xff, len - t - 3);
    em[len - t - 1] = 0x00;
    memcpy(em + len - t, prefix, sizeof prefix);
    memcpy(em + len - 32, hash, 32);
}

int
rsapriv_pkcs1_sign_sha256(const unsigned char hash[32],
    const br_rsa_private_key *sk, unsigned char *sig)
{
    if (sk->n_bitlen < RSAPRIV_BITS_MIN || sk->n_bitlen > RSAPRIV_BITS_MAX)
        return 0;
    pkcs1_sha256(sig, (sk->n_bitlen + 7) / 8, hash);
    return rsapriv_private(sig, sk);
}

/* BearSSL's verification, for the keys the code below does not take. */
static int
bearssl_verify(const unsigned char *sig, size_t siglen,
    const br_rsa_public_key *pk, const unsigned char hash[32])
{
    unsigned char back[32];

    return br_rsa_pkcs1_vrfy_get_default()(sig, siglen, BR_HASH_OID_SHA256,
               sizeof back, pk, back)
        && memcmp(back, hash, sizeof back) == 0;
}

int
rsapriv_pkcs1_verify_sha256(const unsigned char *sig, size_t siglen,
    const br_rsa_public_key *pk, const unsigned char hash[32])
{
    /* Nothing here is secret: plain code, no masks needed. */
    static struct mod M;
    static limb x[FLIMBS], acc[FLIMBS], xm[FLIMBS], t[FLIMBS], one[FLIMBS];
    static unsigned char em[FLIMBS * 8], want[FLIMBS * 8];
    const unsigned char *n = pk->n;
    size_t nlen = pk->nlen, i;
    uint64_t e = 0;
    int bit;

    while (nlen > 0 && *n == 0) {
        n++;
        nlen--;
    }
    if (nlen * 8 < RSAPRIV_BITS_MIN || nlen > FLIMBS * 8 || pk->elen > 8
        || (n[nlen - 1] & 1) == 0)
        return bearssl_verify(sig, siglen, pk, hash);
    for (i = 0; i < pk->elen; i++)
        e = e << 8 | pk->e[i];
    if (e < 3 || (e & 1) == 0)
        return bearssl_verify(sig, siglen, pk, hash);
    if (siglen != nlen || !mod_init(&M, n, nlen, t))
        return 0;
    /* x < n, then x^e: square and multiply from the top bit */
    if (decode(x, M.n, siglen, sig, siglen) != 0 || sub_n(t, x, M.m, M.n) == 0)
        return 0;
    mont_mul(xm, x, M.r2, &M, t);
    memcpy(acc, xm, M.n * sizeof *acc);
    for (bit = 62; bit >= 0 && (e >> (bit + 1)) == 0; bit--)
        ;
    for (; bit >= 0; bit--) {
        mont_sq(acc, acc, &M, t);
        if ((e >> bit) & 1)
            mont_mul(acc, acc, xm, &M, t);
    }
    memset(one, 0, sizeof one);
    one[0] = 1;
    mont_mul(acc, acc, one, &M, t);
    encode(em, siglen, acc, M.n);
    pkcs1_sha256(want, siglen, hash);
    return memcmp(em, want, siglen) == 0;
}
