/* rsapriv.h - the RSA private key operation (CRT), constant-time, on
 * 64-bit limbs: what DKIM signing spends its time in.
 *
 * It reads BearSSL's br_rsa_private_key (p, q, dp, dq, iq; there is no
 * d nor e in it) and gives BearSSL's results, about 3.5 times faster
 * than its i62 code: ~0.9 ms for 2048 bits, ~9.5 ms for 4096 (rsapriv.c
 * has the method).  It needs unsigned __int128 (gcc or clang, 64-bit).
 *
 * Constant-time: the instructions run and the memory addresses used
 * depend only on public sizes: n_bitlen, the byte lengths of p and q
 * once their leading zero bytes are skipped (the skipping reads their
 * first bytes: those lengths are public, as in BearSSL), and the byte
 * lengths given for dp, dq and iq.  Never on the values of p, q, dp,
 * dq, iq or x, nor on whether the key is valid or x < n: those checks
 * are masks, turned into the returned value at the very end.  Table
 * entries are read by a scan of the whole table under masks, Montgomery
 * reduction's final subtraction is a masked select, the exponent windows
 * are read at public positions, there is no secret-dependent branch.
 * This is checked on the compiled code with valgrind, the secrets
 * marked undefined (tests/unit/rsapriv_test.c, "ct").
 * Not covered: power or electromagnetic analysis (no blinding), and
 * faults: a fault in one half of the CRT gives a signature that reveals
 * a factor, so the caller must verify each result with the public key
 * before using it (dkim_sign does, for every signature).
 * Secret temporaries are wiped before returning (the work area, then
 * 4 KB of the stack below it); registers are not.
 *
 * Sizes: a modulus of RSAPRIV_BITS_MIN..RSAPRIV_BITS_MAX bits, factors
 * of RSAPRIV_FACTOR_BYTES_MIN bytes to RSAPRIV_FACTOR_BITS_MAX bits
 * (BearSSL: 2080 bits) in either order.  Stack: about 19 KB.
 */
#ifndef MAIL_RSAPRIV_H
#define MAIL_RSAPRIV_H

#include <bearssl.h>

#define RSAPRIV_BITS_MIN 1024
#define RSAPRIV_BITS_MAX 4096
#define RSAPRIV_FACTOR_BITS_MAX 2112 /* 33 limbs */
#define RSAPRIV_FACTOR_BYTES_MIN 16

/**
 * rsapriv_private - x (the modulus length, (n_bitlen + 7) / 8 bytes,
 * big-endian) replaced by x^d mod n, as BearSSL's br_rsa_private.
 * Returns 1, or 0 when the key is not valid (sizes out of range, p or q
 * even, dp, dq or iq longer than their factor, p q not of n_bitlen
 * bits) or x >= p q, as BearSSL; then x is all zeros (left alone if
 * n_bitlen is out of range).
 */
int rsapriv_private(unsigned char *x, const br_rsa_private_key *sk);

/**
 * rsapriv_pkcs1_sign_sha256 - the RSASSA-PKCS1-v1_5 signature (RFC 8017
 * 8.2.1, DigestInfo with the NULL parameters, as BearSSL makes it) of the
 * SHA-256 value hash into sig ((n_bitlen + 7) / 8 bytes).  Returns 1, or
 * 0 as rsapriv_private, sig then all zeros (left alone if n_bitlen is
 * out of range).  The caller verifies the signature with the public key.
 */
int rsapriv_pkcs1_sign_sha256(const unsigned char hash[32],
    const br_rsa_private_key *sk, unsigned char *sig);

/**
 * rsapriv_pkcs1_verify_sha256 - does sig (siglen bytes) verify as the
 * RSASSA-PKCS1-v1_5 signature of the SHA-256 value hash with pk?  The
 * public operation on the same arithmetic, variable-time (nothing is
 * secret), for moduli of RSAPRIV_BITS_MIN to RSAPRIV_FACTOR_BITS_MAX
 * bits and odd exponents of 3 to 2^64 - 1; BearSSL's code for the
 * others (4096-bit keys).  1 yes, 0 no.  Not reentrant (static work
 * area): facteur's programs have one thread.
 */
int rsapriv_pkcs1_verify_sha256(const unsigned char *sig, size_t siglen,
    const br_rsa_public_key *pk, const unsigned char hash[32]);

#endif
