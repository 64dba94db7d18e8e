/* rsapriv_test.c - rsapriv against BearSSL: the private operation on
 * random and edge inputs, PKCS#1 v1.5 signatures byte for byte, keys of
 * 1024 to 4096 bits (odd sizes, e = 3, p < q and p > q, leading zero
 * bytes, an openssl key), invalid keys and inputs.
 *
 * "rsapriv_test ct" is the constant-time check instead (ctgrind style):
 * built with -DRSAPRIV_CTGRIND and run under valgrind, every byte of the
 * secrets (p and q but their first byte, whose position gives their
 * public length; dp, dq, iq) and of the input is marked undefined, so
 * memcheck reports any branch or memory address that depends on them:
 *   cc ... -DRSAPRIV_CTGRIND -o /tmp/rsapriv_ct tests/unit/rsapriv_test.c \
 *       lib/rsapriv.c -lbearssl
 *   valgrind --error-exitcode=1 /tmp/rsapriv_ct ct
 * (with clang 14 and -g, add -gdwarf-4 for valgrind 3.19).  A branch
 * or a table read put in on purpose is reported: the check works.
 */
#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsapriv.h"
#include "tap.h"

/* Without valgrind's header (not installed) the ct build marks nothing,
 * and tests/sh/0710 skips: valgrind is not there to run it either. */
#if defined(RSAPRIV_CTGRIND) && defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#define RSAPRIV_CT_MARK 1
#endif
#endif
#ifdef RSAPRIV_CT_MARK
#include <valgrind/memcheck.h>
#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED(p, n)
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)
#else
#define SECRET(p, n) ((void)(p), (void)(n))
#define PUBLIC(p, n) ((void)(p), (void)(n))
#endif

#define MAXB 512 /* bytes of the largest modulus */

struct key {
    br_rsa_private_key sk;
    br_rsa_public_key pk;
    unsigned char priv[BR_RSA_KBUF_PRIV_SIZE(4096)];
    unsigned char pub[BR_RSA_KBUF_PUB_SIZE(4096)];
    unsigned char n[MAXB]; /* the modulus, xlen bytes */
    size_t xlen;
};

static br_hmac_drbg_context rng;

static void
rnd(void *p, size_t n)
{
    br_hmac_drbg_generate(&rng, p, n);
}

/* The modulus, big-endian, in xlen bytes (BearSSL's compute_modulus
 * gives up at 4096 bits: the key generator's is used there). */
static int
set_n(struct key *k)
{
    k->xlen = (k->sk.n_bitlen + 7) / 8;
    memset(k->n, 0, sizeof k->n);
    return br_rsa_compute_modulus_get_default()(k->n, &k->sk) == k->xlen;
}

/* A key from BearSSL's generator, the random generator seeded with
 * "rsapriv <bits> <seed>" (seeds picked for a quick generation). */
static int
keygen(struct key *k, unsigned bits, uint32_t e, int seed)
{
    char s[64];

    snprintf(s, sizeof s, "rsapriv %u %d", bits, seed);
    br_hmac_drbg_init(&rng, &br_sha256_vtable, s, strlen(s));
    if (!br_rsa_keygen_get_default()(&rng.vtable, &k->sk, k->priv, &k->pk,
            k->pub, bits, e))
        return 0;
    k->xlen = (bits + 7) / 8;
    if (!set_n(k) && k->pk.nlen == k->xlen)
        memcpy(k->n, k->pk.n, k->xlen);
    return k->pk.nlen == k->xlen && memcmp(k->pk.n, k->n, k->xlen) == 0;
}

/* ---- big-endian byte arithmetic, all values len bytes ---------------- */

/* dst (len bytes) = src (slen bytes), right-aligned. */
static void
be_set(unsigned char *dst, size_t len, const unsigned char *src,
    size_t slen)
{
    while (slen > len && *src == 0) {
        src++;
        slen--;
    }
    memset(dst, 0, len - slen);
    memcpy(dst + len - slen, src, slen);
}

/* a += d (d may be negative), mod 256^len. */
static void
be_add_small(unsigned char *a, size_t len, int d)
{
    int c = d;
    size_t i;

    for (i = len; i-- > 0 && c != 0;) {
        int v = a[i] + c;

        a[i] = (unsigned char)(v & 0xff);
        c = (v - (v & 0xff)) / 256;
    }
}

/* a -= b (len bytes each). */
static void
be_sub(unsigned char *a, const unsigned char *b, size_t len)
{
    int c = 0;
    size_t i;

    for (i = len; i-- > 0;) {
        int v = a[i] - b[i] - c;

        c = v < 0;
        a[i] = (unsigned char)(v + (c ? 256 : 0));
    }
}

/* d = a b mod 256^len (a, b len bytes; d is neither).  A column sums at
 * most MAXB products below 2^16: it fits in 32 bits. */
static void
be_mul(unsigned char *d, const unsigned char *a, const unsigned char *b,
    size_t len)
{
    uint32_t col[MAXB] = { 0 };
    uint64_t c = 0;
    size_t i, j;

    for (i = 0; i < len; i++)
        for (j = 0; i + j < len; j++)
            col[i + j] += (uint32_t)a[len - 1 - i] * b[len - 1 - j];
    for (i = 0; i < len; i++) {
        c += col[i];
        d[len - 1 - i] = (unsigned char)c;
        c >>= 8;
    }
}

/* ---- comparisons ----------------------------------------------------- */

/* rsapriv_private and BearSSL's on x (k->xlen bytes) agree: the same
 * result and, on success, the same value. */
static int
same(const br_rsa_private_key *sk, const br_rsa_private_key *ref,
    const unsigned char *x, size_t xlen)
{
    unsigned char a[MAXB], b[MAXB];
    int ra, rb;

    memcpy(a, x, xlen);
    memcpy(b, x, xlen);
    ra = rsapriv_private(a, sk);
    rb = (int)br_rsa_private_get_default()(b, ref);
    return ra == rb && (ra == 0 || memcmp(a, b, xlen) == 0);
}

/* A random value below n: xlen random bytes, the top bits cleared below
 * n's top bit. */
static void
rnd_below_n(const struct key *k, unsigned char *x)
{
    unsigned top = (k->sk.n_bitlen - 1) % 8; /* bits in x's first byte */

    rnd(x, k->xlen);
    x[0] &= (unsigned char)((1u << top) - 1);
}

/* count random inputs and the edge ones agree, with sk (which may be k's
 * key rearranged) against k's key in BearSSL: 0, 1, 2, n - 1, n - 2, and
 * f m - 1, f m, f m + 1 for f = p and q, m = 1..4 then mults - 4 random
 * multipliers below the other factor. */
static int
check_inputs(const struct key *k, const br_rsa_private_key *sk, int count,
    int mults)
{
    const br_rsa_private_key *ref = &k->sk;
    unsigned char x[MAXB], f[MAXB], r[MAXB];
    size_t len = k->xlen;
    int i, bad = 0, fac;

    for (i = 0; i < count; i++) {
        rnd_below_n(k, x);
        if (i % 4 == 3) { /* n minus a random 32-bit value */
            memcpy(f, x, len);
            memcpy(x, k->n, len);
            memset(f, 0, len - 4);
            be_sub(x, f, len);
        }
        bad += !same(sk, ref, x, len);
    }
    /* 0, 1, 2, n - 1, n - 2 */
    memset(x, 0, len);
    bad += !same(sk, ref, x, len);
    for (i = 0; i < 2; i++) {
        be_add_small(x, len, 1);
        bad += !same(sk, ref, x, len);
    }
    memcpy(x, k->n, len);
    for (i = 0; i < 2; i++) {
        be_add_small(x, len, -1);
        bad += !same(sk, ref, x, len);
    }
    /* around p, q and their multiples: m f - 1, m f, m f + 1 */
    for (fac = 0; fac < 2; fac++) {
        const unsigned char *fb = fac == 0 ? ref->p : ref->q;
        size_t flen = fac == 0 ? ref->plen : ref->qlen;

        be_set(f, len, fb, flen);
        for (i = 0; i < mults; i++) {
            memset(r, 0, len);
            if (i < 4) {
                r[len - 1] = (unsigned char)(i + 1);
            } else { /* a random multiplier below the other factor */
                size_t ol = (fac == 0 ? ref->qlen : ref->plen) - 1;

                rnd(r + len - ol, ol);
            }
            be_mul(x, f, r, len);
            be_add_small(x, len, -1);
            bad += !same(sk, ref, x, len);
            be_add_small(x, len, 1);
            bad += !same(sk, ref, x, len);
            be_add_small(x, len, 1);
            bad += !same(sk, ref, x, len);
        }
    }
    return bad == 0;
}

/* n, n + 1 and all 0xff: 0 from both. */
static int
check_too_big(const struct key *k)
{
    unsigned char x[MAXB], a[MAXB];
    size_t len = k->xlen;
    int bad = 0;

    memcpy(x, k->n, len);
    bad += !same(&k->sk, &k->sk, x, len);
    memcpy(a, x, len);
    bad += rsapriv_private(a, &k->sk) != 0;
    bad += a[0] != 0 || memcmp(a, a + 1, len - 1) != 0; /* zeroed */
    be_add_small(x, len, 1);
    bad += rsapriv_private(x, &k->sk) != 0;
    memset(x, 0xff, len);
    x[0] = (unsigned char)((1u << ((k->sk.n_bitlen - 1) % 8 + 1)) - 1);
    bad += !same(&k->sk, &k->sk, x, len) || rsapriv_private(x, &k->sk);
    return bad == 0;
}

/* Signatures of count random hashes: the same bytes as BearSSL's, and
 * they verify. */
static int
check_sign(const struct key *k, const br_rsa_private_key *sk, int count)
{
    unsigned char h[32], back[32], a[MAXB + 1], b[MAXB];
    int i, bad = 0;

    for (i = 0; i < count; i++) {
        rnd(h, sizeof h);
        memset(a, 0x55, sizeof a);
        bad += rsapriv_pkcs1_sign_sha256(h, sk, a) != 1;
        bad += br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, h, 32,
                   &k->sk, b) != 1;
        bad += memcmp(a, b, k->xlen) != 0 || a[k->xlen] != 0x55;
        bad += br_rsa_pkcs1_vrfy_get_default()(a, k->xlen,
                   BR_HASH_OID_SHA256, 32, &k->pk, back) != 1
            || memcmp(back, h, 32) != 0;
        /* and rsapriv's own verification: yes, then no for another hash,
         * another signature, one that is n or over */
        bad += rsapriv_pkcs1_verify_sha256(a, k->xlen, &k->pk, h) != 1;
        h[i % 32] ^= 1;
        bad += rsapriv_pkcs1_verify_sha256(a, k->xlen, &k->pk, h) != 0;
        h[i % 32] ^= 1;
        a[k->xlen - 1 - i % 16] ^= 0x80;
        bad += rsapriv_pkcs1_verify_sha256(a, k->xlen, &k->pk, h) != 0;
        bad += rsapriv_pkcs1_verify_sha256(a, k->xlen - 1, &k->pk, h) != 0;
    }
    memcpy(a, k->pk.n + (k->pk.nlen - k->xlen), k->xlen);
    bad += rsapriv_pkcs1_verify_sha256(a, k->xlen, &k->pk, h) != 0;
    memset(a, 0xff, k->xlen);
    bad += rsapriv_pkcs1_verify_sha256(a, k->xlen, &k->pk, h) != 0;
    return bad == 0;
}

/* ---- rearranged keys -------------------------------------------------- */

struct alt {
    br_rsa_private_key sk;
    unsigned char p[MAXB], q[MAXB], dp[MAXB], dq[MAXB], iq[MAXB];
};

/* The key with p and q swapped (dp, dq too), iq = p^-1 mod q computed as
 * p^(q-2) mod q (Fermat) with BearSSL's public operation. */
static int
swap_key(struct alt *a, const br_rsa_private_key *sk)
{
    br_rsa_public_key pk;
    unsigned char qm2[MAXB], pmod[MAXB], q[MAXB], qq[MAXB];
    size_t ql = sk->qlen, l = sk->plen > ql ? sk->plen : ql;
    int i;

    memset(a, 0, sizeof *a);
    be_set(q, ql, sk->q, sk->qlen);
    /* p mod q, by subtractions (p < 8q for our keys) */
    be_set(pmod, l, sk->p, sk->plen);
    be_set(qq, l, sk->q, sk->qlen);
    for (i = 0; i < 8 && memcmp(pmod, qq, l) >= 0; i++)
        be_sub(pmod, qq, l);
    if (i == 8)
        return 0;
    be_set(a->iq, ql, pmod, l);
    memcpy(qm2, q, ql);
    be_add_small(qm2, ql, -2);
    pk.n = q;
    pk.nlen = ql;
    pk.e = qm2;
    pk.elen = ql;
    if (!br_rsa_i31_public(a->iq, ql, &pk))
        return 0;
    memcpy(a->p, sk->q, sk->qlen);
    memcpy(a->q, sk->p, sk->plen);
    memcpy(a->dp, sk->dq, sk->dqlen);
    memcpy(a->dq, sk->dp, sk->dplen);
    a->sk.n_bitlen = sk->n_bitlen;
    a->sk.p = a->p;
    a->sk.plen = sk->qlen;
    a->sk.q = a->q;
    a->sk.qlen = sk->plen;
    a->sk.dp = a->dp;
    a->sk.dplen = sk->dqlen;
    a->sk.dq = a->dq;
    a->sk.dqlen = sk->dplen;
    a->sk.iq = a->iq;
    a->sk.iqlen = ql;
    return 1;
}

/* The key with z leading zero bytes on every part. */
static void
pad_key(struct alt *a, const br_rsa_private_key *sk, size_t z)
{
    memset(a, 0, sizeof *a);
    a->sk = *sk;
    memcpy(a->p + z, sk->p, sk->plen);
    memcpy(a->q + z, sk->q, sk->qlen);
    memcpy(a->dp + z, sk->dp, sk->dplen);
    memcpy(a->dq + z, sk->dq, sk->dqlen);
    memcpy(a->iq + z, sk->iq, sk->iqlen);
    a->sk.p = a->p;
    a->sk.plen += z;
    a->sk.q = a->q;
    a->sk.qlen += z;
    a->sk.dp = a->dp;
    a->sk.dplen += z;
    a->sk.dq = a->dq;
    a->sk.dqlen += z;
    a->sk.iq = a->iq;
    a->sk.iqlen += z;
}

/* rsapriv refuses sk (returns 0, x zeroed). */
static int
refused(const br_rsa_private_key *sk, const struct key *k)
{
    unsigned char x[MAXB + 8], h[32] = { 1 };
    size_t i;

    memset(x, 0, sizeof x);
    x[k->xlen - 1] = 7;
    if (rsapriv_private(x, sk) != 0)
        return 0;
    /* zeroed, unless n_bitlen itself is out of range */
    if (sk->n_bitlen >= RSAPRIV_BITS_MIN && sk->n_bitlen <= RSAPRIV_BITS_MAX)
        for (i = 0; i < (sk->n_bitlen + 7) / 8; i++)
            if (x[i] != 0)
                return 0;
    return rsapriv_pkcs1_sign_sha256(h, sk, x) == 0;
}

static int
check_invalid(const struct key *k)
{
    struct alt a;
    br_rsa_private_key sk;
    int bad = 0;

    pad_key(&a, &k->sk, 0);
    a.p[a.sk.plen - 1] ^= 1; /* p even */
    bad += !refused(&a.sk, k);
    pad_key(&a, &k->sk, 0);
    a.q[a.sk.qlen - 1] ^= 1; /* q even */
    bad += !refused(&a.sk, k);
    pad_key(&a, &k->sk, 1); /* dp one byte longer than p */
    a.dp[0] = 1;
    bad += !refused(&a.sk, k);
    pad_key(&a, &k->sk, 1); /* iq one byte longer than p */
    a.iq[0] = 1;
    bad += !refused(&a.sk, k);
    sk = k->sk; /* n_bitlen one more, one less (1023 and 4097 too) */
    sk.n_bitlen++;
    bad += !refused(&sk, k);
    sk.n_bitlen -= 2;
    bad += !refused(&sk, k);
    sk = k->sk; /* a factor too short */
    sk.plen = RSAPRIV_FACTOR_BYTES_MIN - 1;
    sk.p += k->sk.plen - sk.plen;
    bad += !refused(&sk, k);
    return bad == 0;
}

/* ---- an openssl key (PKCS#1 PEM, from dkim_test.c) ------------------- */

#include "testkey.h"

struct der {
    unsigned char b[4096];
    size_t len;
};

static void
der_put(void *ctx, const void *p, size_t n)
{
    struct der *d = ctx;

    if (n > sizeof d->b - d->len)
        abort();
    memcpy(d->b + d->len, p, n);
    d->len += n;
}

/* The openssl key into k (its parts stay in dc). */
static int
openssl_load(struct key *k, br_skey_decoder_context *dc)
{
    br_pem_decoder_context pc;
    struct der d;
    const char *s = openssl_key;
    size_t len = strlen(s);

    d.len = 0;
    br_pem_decoder_init(&pc);
    while (len > 0) {
        size_t m = br_pem_decoder_push(&pc, s, len);

        s += m;
        len -= m;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            br_pem_decoder_setdest(&pc, der_put, &d);
            break;
        case BR_PEM_ERROR:
            return 0;
        }
    }
    br_skey_decoder_init(dc);
    br_skey_decoder_push(dc, d.b, d.len);
    if (br_skey_decoder_last_error(dc) != 0
        || br_skey_decoder_key_type(dc) != BR_KEYTYPE_RSA)
        return 0;
    memset(k, 0, sizeof *k);
    k->sk = *br_skey_decoder_get_rsa(dc);
    if (!set_n(k))
        return 0;
    k->pk.n = k->n;
    k->pk.nlen = k->xlen;
    k->pk.e = k->pub;
    k->pk.elen = 3;
    memcpy(k->pub, "\1\0\1", 3);
    return 1;
}

/* ---- the constant-time check ----------------------------------------- */

/* Sign, and run the raw operation on a random x, with every secret
 * byte undefined for memcheck; the results must still be BearSSL's. */
static int
ct_sign(const struct key *k)
{
    struct alt a;
    unsigned char h[32], sig[MAXB], want[MAXB], x[MAXB], y[MAXB];
    int r, rx;

    rnd(h, sizeof h);
    br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, h, 32, &k->sk, want);
    rnd_below_n(k, x);
    memcpy(y, x, k->xlen);
    br_rsa_private_get_default()(y, &k->sk);
    pad_key(&a, &k->sk, 0);
    SECRET(a.p + 1, a.sk.plen - 1);
    SECRET(a.q + 1, a.sk.qlen - 1);
    SECRET(a.dp, a.sk.dplen);
    SECRET(a.dq, a.sk.dqlen);
    SECRET(a.iq, a.sk.iqlen);
    SECRET(h, sizeof h);
    SECRET(x, k->xlen);
    r = rsapriv_pkcs1_sign_sha256(h, &a.sk, sig);
    rx = rsapriv_private(x, &a.sk);
    PUBLIC(&r, sizeof r);
    PUBLIC(&rx, sizeof rx);
    PUBLIC(sig, k->xlen);
    PUBLIC(x, k->xlen);
    return r == 1 && memcmp(sig, want, k->xlen) == 0 && rx == 1
        && memcmp(x, y, k->xlen) == 0;
}

static int
ct_main(void)
{
    static struct key k;
    static const unsigned sizes[] = { 1024, 1025, 1536, 2048 };
    size_t i;

    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ok(keygen(&k, sizes[i], 65537, 0), "ct: %u-bit key", sizes[i]);
        ok(ct_sign(&k), "ct: %u bits, a signature and an operation with "
            "undefined secrets", sizes[i]);
    }
    return done();
}

int
main(int argc, char **argv)
{
    static struct key k;
    static struct alt a;
    /* BearSSL takes ~35 ms for a 4096-bit operation, 3 ms for 2048 */
    static const struct {
        unsigned bits;
        uint32_t e;
        int seed, count, mults;
    } keys[] = { { 1024, 65537, 0, 300, 12 }, { 2048, 65537, 0, 300, 12 },
        { 3072, 65537, 5, 40, 4 }, { 4096, 65537, 39, 20, 4 },
        { 2048, 3, 0, 100, 12 }, { 1025, 65537, 0, 100, 12 },
        { 1536, 65537, 0, 100, 12 }, { 2056, 3, 0, 100, 12 } };
    br_skey_decoder_context dc;
    size_t i;

    if (argc > 1 && strcmp(argv[1], "ct") == 0)
        return ct_main();

    for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        unsigned bits = keys[i].bits;
        int p_gt_q, big;

        if (!keygen(&k, bits, keys[i].e, keys[i].seed)) {
            ok(0, "%u-bit key, e = %u", bits, (unsigned)keys[i].e);
            continue;
        }
        p_gt_q = k.sk.plen > k.sk.qlen
            || (k.sk.plen == k.sk.qlen
                && memcmp(k.sk.p, k.sk.q, k.sk.plen) > 0);
        big = bits > 2100;
        ok(check_inputs(&k, &k.sk, keys[i].count, keys[i].mults),
            "%u bits, e = %u: %d random and %d edge inputs as BearSSL", bits,
            (unsigned)keys[i].e, keys[i].count, 5 + 6 * keys[i].mults);
        ok(swap_key(&a, &k.sk)
                && check_inputs(&k, &a.sk, big ? 5 : 20, big ? 0 : 2),
            "%u bits: p and q swapped (p %s q)", bits, p_gt_q ? "<" : ">");
        pad_key(&a, &k.sk, 3);
        ok(check_inputs(&k, &a.sk, big ? 5 : 10, big ? 0 : 2),
            "%u bits: leading zero bytes", bits);
        ok(check_too_big(&k), "%u bits: x >= n refused as by BearSSL", bits);
        ok(check_sign(&k, &k.sk, big ? 5 : 20),
            "%u bits: %d signatures, BearSSL's bytes", bits, big ? 5 : 20);
        ok(check_invalid(&k), "%u bits: invalid keys refused", bits);
    }

    ok(openssl_load(&k, &dc), "openssl key loaded");
    ok(check_inputs(&k, &k.sk, 100, 12) && check_sign(&k, &k.sk, 10),
        "openssl key (p %s q): as BearSSL",
        memcmp(k.sk.p, k.sk.q, k.sk.plen) > 0 ? ">" : "<");
    explicit_bzero(&k, sizeof k);
    explicit_bzero(&a, sizeof a);
    return done();
}
