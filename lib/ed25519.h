/* ed25519.h - Ed25519 signatures (RFC 8032 5.1, pure Ed25519: no
 * context, no prehash), for DKIM's ed25519-sha256 (RFC 8463).  BearSSL
 * 0.6 has no Ed25519; its SHA-512 is the hash.
 *
 * The secret key is the 32-byte seed of RFC 8032 5.1.5 (the "private
 * key" of RFC 8463 and of libsodium's seed functions), not the 64-byte
 * expanded form: the signer hashes it each time.  The public key is the
 * 32-byte encoding of RFC 8032 5.1.2, which RFC 8463 puts in the p= tag
 * (base64) as is.  A signature is R || S, 64 bytes.
 *
 * Limits: none beyond size_t; messages of any length, 0 included (msg
 * may then be NULL).  No allocation, no errno, nothing to fail.
 *
 * Timing: ed25519_public and ed25519_sign run in time independent of the
 * seed and of the secret nonce (no branch and no table index depends on
 * them; the fixed-base scalar multiplication reads every table entry);
 * their time depends only on the message length.  The buffers that held
 * the seed's hash, the scalars and the nonce are wiped (explicit_bzero)
 * before returning.  ed25519_verify handles only public data and runs
 * in variable time.
 *
 * What ed25519_verify rejects (returns 0):
 *   - S >= L, the group order (RFC 8032 5.1.7: the signature must be
 *     canonical, else S + L would be a second valid signature);
 *   - a public key that does not decode (RFC 8032 5.1.3): y >= p (a
 *     non-canonical encoding), no x for y (x^2 not a square), or x = 0
 *     with the sign bit set;
 *   - an R that is not the encoding of [S]B - [k]A.  The check is the
 *     cofactorless one, [S]B = R + [k]A, made by encoding [S]B - [k]A
 *     (always canonical) and comparing it with R's 32 bytes; so an R that
 *     does not decode, or decodes only non-canonically, never matches.
 * Public keys and R of small order are not refused (RFC 8032 does not
 * ask it); with the cofactorless check a verifier and a batch verifier
 * could disagree only on signatures no honest signer makes.
 */
#ifndef MAIL_ED25519_H
#define MAIL_ED25519_H

#include <stddef.h>

#define ED25519_SEED_LEN 32
#define ED25519_PUB_LEN 32
#define ED25519_SIG_LEN 64

/**
 * ed25519_public - the public key of seed into pub (RFC 8032 5.1.5).
 * Constant time.
 */
void ed25519_public(unsigned char pub[32], const unsigned char seed[32]);

/**
 * ed25519_sign - the signature of msg (len bytes) by seed into sig (RFC
 * 8032 5.1.6; deterministic: the same input gives the same bytes).  pub
 * must be ed25519_public(seed): it is hashed into the signature, and a
 * wrong pub signed with the same seed and message would give two
 * signatures with the same nonce, which reveals the secret scalar.  sig
 * is written last, so it may overlap msg.  Constant time.
 */
void ed25519_sign(unsigned char sig[64], const void *msg, size_t len,
    const unsigned char seed[32], const unsigned char pub[32]);

/**
 * ed25519_verify - 1 if sig is a valid signature of msg (len bytes) by
 * pub (RFC 8032 5.1.7, with the checks listed above), else 0.
 */
int ed25519_verify(const unsigned char sig[64], const void *msg,
    size_t len, const unsigned char pub[32]);

#endif
