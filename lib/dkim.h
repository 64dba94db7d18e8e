/* dkim.h - DKIM signatures (RFC 6376): relaxed/relaxed, rsa-sha256 and
 * ed25519-sha256 (RFC 8463).
 *
 * A message is given in canonical form (canon.h: CRLF lines, as the
 * queue holds it); the header section is everything before the first
 * empty line.  A header field is a line that starts with a printable
 * byte, with its continuation lines (starting with SP or HTAB); its
 * name is the bytes before the first ':' and must be printable ASCII
 * without space (what verifiers such as dkimpy recognize), or the field
 * is never signed nor read as From:.
 *
 * Canonicalization (RFC 6376 3.4.2 and 3.4.4, "relaxed"):
 *   header  name in lower case; CRLFs of the folding removed; runs of
 *           SP/HTAB made one SP; SP/HTAB around the ':' and at the end
 *           removed; then CRLF.
 *   body    SP/HTAB at the end of a line removed, runs of them made one
 *           SP; empty lines at the end removed; a missing final CRLF
 *           added to a non-empty body; an empty body stays empty.
 *
 * The signature: d= the domain of the (one) From: address, s= the
 * selector, t= the signing time, h= the fields of dkim_signed_names
 * present (each instance, signed from the bottom up as verifiers pick
 * them) with "from" listed once more than present (over-signing: a
 * From: added later breaks the signature), bh= the body hash, b= the
 * RSA PKCS#1 v1.5 signature of SHA-256 (rsa-sha256; lib/rsapriv.h,
 * constant-time, 3.5 times BearSSL's speed), or the Ed25519
 * signature (lib/ed25519.h) of that SHA-256 (ed25519-sha256, RFC 8463
 * 3), checked with the public key before it is returned (a faulty
 * signature is never handed out).
 *
 * Keys: RSA, DKIM_RSA_BITS_MIN..DKIM_RSA_BITS_MAX bits, in PEM
 * ("PRIVATE KEY", PKCS#8, or "RSA PRIVATE KEY"), or Ed25519 in PKCS#8
 * (RFC 8410: "PRIVATE KEY", the 48-byte form openssl genpkey writes),
 * in a regular file of at
 * most DKIM_KEYFILE_MAX bytes that others cannot read.  The public key
 * is what the DNS record publishes (p= is the SubjectPublicKeyInfo).
 * Limits: DKIM_HEADER_MAX bytes of header section, DKIM_SIGNED_MAX
 * fields signed, DKIM_FROM_MAX bytes of From: value; no line length of
 * its own (the canonicalizers keep no line, only a little state).
 */
#ifndef MAIL_DKIM_H
#define MAIL_DKIM_H

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

#include "sa.h"

#define DKIM_HEADER_MAX (1024 * 1024)
#define DKIM_SIGNED_MAX 256
#define DKIM_FROM_MAX 8192
#define DKIM_SELECTOR_MAX 63   /* one DNS label's worth */
#define DKIM_KEYFILE_MAX 16384 /* a 4096-bit PKCS#8 PEM is ~3.3 KB */
#define DKIM_RSA_BITS_MIN 1024 /* RFC 8301 3.2: signers MUST use >= 1024 */
#define DKIM_RSA_BITS_MAX 4096
#define DKIM_KEYGEN_BITS 2048  /* RFC 8301 3.2: SHOULD use >= 2048 */
#define DKIM_KEYGEN_PEM_MAX 4096
#define DKIM_SPKI_MAX (DKIM_RSA_BITS_MAX / 8 + 64)
/* "v=DKIM1; k=rsa; p=" and the base64 of the largest SPKI */
#define DKIM_RECORD_MAX (32 + (DKIM_SPKI_MAX + 2) / 3 * 4)

/* The header fields signed when present (RFC 6376 5.4.1, plus the MIME
 * fields, Message-ID and RFC 8058's List-Unsubscribe-Post); NULL ends. */
extern const char *const dkim_signed_names[];

/* A key holds pointers into itself: never copy one. */
#define DKIM_KEY_RSA 0
#define DKIM_KEY_ED25519 1

struct dkim_key {
    int type;                   /* DKIM_KEY_RSA or DKIM_KEY_ED25519 */
    unsigned char ed_seed[32];  /* Ed25519: the secret (RFC 8032) */
    unsigned char ed_pub[32];   /* and its public key */
    br_skey_decoder_context dc; /* RSA: holds the private key's parts */
    br_rsa_private_key sk;      /* points into dc */
    br_rsa_public_key pk;
    unsigned char n[DKIM_RSA_BITS_MAX / 8 + 1];
    unsigned char e[4];
};

/**
 * dkim_header_len - the length of the header section of msg (len bytes,
 * canonical): the fields, without the empty line.  *body receives where
 * the body starts (after the empty line; len when there is none).
 */
size_t dkim_header_len(const char *msg, size_t len, size_t *body);

/**
 * dkim_next_field - the next header field of hdr[0..len) from *pos (a
 * line and its continuation lines): its offset in *off and its length,
 * through the LF of its last line, in *flen; *pos moves past it.  1, or
 * 0 at the end.
 */
int dkim_next_field(const char *hdr, size_t len, size_t *pos, size_t *off,
    size_t *flen);

/**
 * dkim_canon_header - append the relaxed form of one field (n bytes, its
 * folding and final CRLF included or not) to out, ending with CRLF.
 * 0, or -1 with errno: EINVAL (no ':'), E2BIG/ENOMEM (out is full).
 */
int dkim_canon_header(const char *f, size_t n, struct sa *out);

/* The relaxed body canonicalizer, fed in pieces of any size. */
struct dkim_body {
    void (*put)(void *ctx, const void *p, size_t n); /* the output */
    void *ctx;
    int cr;          /* a CR is pending */
    int ws;          /* SP/HTAB pending in the line */
    int content;     /* the line has had a byte other than SP/HTAB */
    uint64_t blank;  /* empty lines held back */
    uint64_t len;    /* bytes put */
    size_t olen;
    unsigned char out[4096];
};

/** dkim_body_init - start a body whose canonical form goes to put. */
void dkim_body_init(struct dkim_body *b,
    void (*put)(void *ctx, const void *p, size_t n), void *ctx);
/** dkim_body_feed - n more bytes of the body. */
void dkim_body_feed(struct dkim_body *b, const void *p, size_t n);
/** dkim_body_finish - end the body (the final CRLF, the flush). */
void dkim_body_finish(struct dkim_body *b);

/**
 * dkim_from_domain - the domain of the first address of the From: field
 * of the header section hdr (hlen bytes), lower case, into domain (dlen
 * bytes).  Returns 1, 0 when there is no From: field, -1 with errno:
 * EEXIST (more than one From: field), EINVAL (no address, a malformed
 * one, an address literal, a value over DKIM_FROM_MAX), ERANGE (dlen).
 */
int dkim_from_domain(const char *hdr, size_t hlen, char *domain,
    size_t dlen);

/** dkim_selector_valid - 1 if s is a selector facteur uses: a host name
 * (dnsname.h) of at most DKIM_SELECTOR_MAX bytes. */
int dkim_selector_valid(const char *s);

/**
 * dkim_key_parse - the RSA or Ed25519 key in the PEM text pem (len
 * bytes) into k, with its public key.  0, or -1 with a reason in err.
 */
int dkim_key_parse(struct dkim_key *k, const unsigned char *pem, size_t len,
    char *err, size_t errlen);

/**
 * dkim_key_load - dkim_key_parse of the file path, which must be a
 * regular file (symbolic links are followed) without permissions for
 * others.  0, or -1 with a reason (the path included) in err.
 */
int dkim_key_load(struct dkim_key *k, const char *path, char *err,
    size_t errlen);

/** dkim_key_wipe - overwrite the key. */
void dkim_key_wipe(struct dkim_key *k);

/**
 * dkim_key_record - the DNS TXT record data of k's public key,
 * "v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>" or (RFC 8463 4)
 * "v=DKIM1; k=ed25519; p=<base64 of the 32-byte key>", into out (outlen
 * bytes, DKIM_RECORD_MAX is enough), NUL terminated.  Its length, or -1
 * (ERANGE).
 */
long dkim_key_record(const struct dkim_key *k, char *out, size_t outlen);

/**
 * dkim_keygen - a new DKIM_KEYGEN_BITS RSA key (e = 65537, the system's
 * randomness through HMAC-DRBG/SHA-256) as PKCS#8 PEM into pem (pemlen
 * bytes, DKIM_KEYGEN_PEM_MAX is enough), NUL terminated.  Every
 * temporary is wiped; the caller wipes pem.  Its length, or -1 with
 * errno EIO (no randomness, a BearSSL failure) or ERANGE.
 */
long dkim_keygen(char *pem, size_t pemlen);

/**
 * dkim_keygen_ed25519 - a new Ed25519 key, its 32-byte secret from the
 * system's randomness through HMAC-DRBG/SHA-256, as PKCS#8 PEM (RFC
 * 8410) into pem; as dkim_keygen otherwise.
 */
long dkim_keygen_ed25519(char *pem, size_t pemlen);

/**
 * dkim_sign - the DKIM-Signature field (with its final CRLF) for msg (len
 * bytes, canonical) signed with k (a= rsa-sha256 or ed25519-sha256, by
 * the key's type) for domain and selector at time t,
 * into out (replacing its content).  0, or -1 with errno: E2BIG (the
 * header section is over DKIM_HEADER_MAX, more than DKIM_SIGNED_MAX
 * fields to sign, or out's cap), ENOMEM, EINVAL (domain or selector
 * not valid), EIO (the signature did not verify with the public key).
 */
int dkim_sign(const struct dkim_key *k, const char *domain,
    const char *selector, int64_t t, const char *msg, size_t len,
    struct sa *out);

#endif
