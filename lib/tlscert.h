/* tlscert.h - loading certificate chains and private keys (BearSSL).
 *
 * Layout under the TLS directory ($FACTEUR_CONF/tls):
 *   default/fullchain.pem + default/privkey.pem   required
 *   <hostname>/fullchain.pem + privkey.pem        one per SNI name
 *   <dir>/fullchain-rsa.pem + privkey-rsa.pem     optional second (RSA)
 *                                                 pair beside an ECDSA one
 * fullchain.pem holds the server certificate first, then its issuers
 * (Let's Encrypt's file as it is); privkey.pem holds one key in PKCS#8,
 * "EC PRIVATE KEY" or "RSA PRIVATE KEY" form.  Each key is checked against
 * its certificate when loaded, so a mismatch is a clear error, not a
 * failed handshake.  Files may be symlinks (certbot's live/ directory).
 *
 * Limits: TLS_NAMES_MAX directories, TLS_PEMFILE_MAX bytes a file,
 * TLS_CHAIN_MAX certificates a chain, RSA 2048..4096 bits, EC keys on
 * P-256, P-384 or P-521.
 */
#ifndef MAIL_TLSCERT_H
#define MAIL_TLSCERT_H

#include <bearssl.h>
#include <stddef.h>

#include "limits.h"
#include "sa.h"

/* p, q, dp, dq, iq of a 4096-bit RSA key; an EC scalar fits easily. */
#define TLS_SKMEM_MAX 1280
#define TLS_RSA_BITS_MIN 2048
#define TLS_RSA_BITS_MAX 4096

struct tlspair {
    char name[DNSNAME_MAX + 1]; /* "default" or a canonical host name */
    int keytype;                /* BR_KEYTYPE_EC or BR_KEYTYPE_RSA */
    size_t siglen_max;          /* largest signature this key makes */
    size_t chain_len;
    br_x509_certificate chain[TLS_CHAIN_MAX];
    struct sa chainmem;
    int has_key;
    br_ec_private_key ec;
    br_rsa_private_key rsa;
    unsigned char skmem[TLS_SKMEM_MAX];
};

/*
 * Remembering which key/certificate pairs were already checked: checking
 * an EC key costs a scalar multiplication (~0.45 ms), paid by every
 * connection otherwise.  h is SHA-256 over a label, the private key and
 * the certificate, so only a holder of the key can make or match an entry.
 */
struct tlscheck {
    int (*known)(void *ctx, const unsigned char h[32]);
    void (*add)(void *ctx, const unsigned char h[32]);
    void *ctx;
};

struct tlsstore {
    size_t n;
    struct tlspair *pair[TLS_NAMES_MAX * 2];
    const struct tlscheck *check; /* NULL: check every pair, every time */
};

/**
 * tlsstore_load - load every pair under dir.
 * The default pair must load; a pair for another name that fails is
 * skipped with a warning written to warn (the caller logs it), so one bad
 * renewal of a secondary name does not take the service down.
 * Returns 0, or -1 with a one-line reason in err (missing, unreadable,
 * malformed, mismatched, weak).  check may be NULL.
 */
int tlsstore_load(struct tlsstore *st, const char *dir,
    const struct tlscheck *check, char *err, size_t errlen,
    void (*warn)(const char *msg));

/**
 * tlsstore_pick - the pair to use for SNI name (NULL or "" for none) and
 * key type: the name's own pair if it has one of that type, else the
 * default's.  Returns an index or -1.
 */
int tlsstore_pick(const struct tlsstore *st, const char *name, int keytype);

/** tlsstore_has_name - 1 if a directory exists for name. */
int tlsstore_has_name(const struct tlsstore *st, const char *name);

/** tlsstore_wipe_keys - overwrite every private key (chains stay). */
void tlsstore_wipe_keys(struct tlsstore *st);

/** tlsstore_free - wipe keys and release everything. */
void tlsstore_free(struct tlsstore *st);

/**
 * tlspair_load_files - load one pair from two files (what tlsstore_load
 * does per directory; exposed for tests and `facteur check`).
 * Returns 0 or -1 with err.
 */
int tlspair_load_files(struct tlspair *kp, const char *chainpath,
    const char *keypath, const struct tlscheck *check, char *err,
    size_t errlen);

/**
 * tls_pem_decode - decode the PEM objects in buf (len bytes), calling
 * cb(ctx, name, der, derlen) for each; cb returns 0 to go on, -1 to stop.
 * Each object is limited to TLS_CERT_MAX bytes.  Returns the number of
 * objects, or -1 (EPROTO malformed or truncated, E2BIG too large, or cb's
 * stop).
 */
int tls_pem_decode(const unsigned char *buf, size_t len,
    int (*cb)(void *ctx, const char *name, const unsigned char *der,
        size_t derlen),
    void *ctx);

#endif
