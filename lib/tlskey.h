/* tlskey.h - the private-key operation and its request format.
 *
 * tlswrap's key process holds the private keys; its TLS process, which
 * parses network bytes, holds only the certificate chains.  The TLS
 * process sends one signing request per handshake over a socketpair:
 *
 *   byte 0      'S'
 *   byte 1      pair index (tlsstore order)
 *   byte 2      hash id (br_sha1_ID .. br_sha512_ID)
 *   byte 3      hash length, which must be that hash's output size
 *   bytes 4..   the hash value
 *
 * and reads back two bytes of big-endian length and the signature (length
 * 0: refused).  The key process signs at most TLSKEY_SIGNS_MAX times and
 * then exits, so even a compromised TLS process gets no signing oracle.
 */
#ifndef MAIL_TLSKEY_H
#define MAIL_TLSKEY_H

#include <stddef.h>

#include "tlscert.h"

#define TLSKEY_REQ_MAX (4 + 64)
#define TLSKEY_SIG_MAX 512 /* RSA-4096 */
/* Renegotiation is off, so one handshake, so one signature. */
#define TLSKEY_SIGNS_MAX 1

struct tlskey_req {
    unsigned index;
    int hash_id;
    size_t hv_len;
    unsigned char hv[64];
};

/**
 * tlskey_req_encode - build a request; returns its length, or 0 if the
 * arguments cannot form one.
 */
size_t tlskey_req_encode(unsigned char *out, size_t cap, unsigned index,
    int hash_id, const unsigned char *hv, size_t hv_len);

/**
 * tlskey_req_decode - parse len bytes.  Returns 1 with a complete valid
 * request in req, 0 when more bytes are needed, -1 (EPROTO) when invalid.
 */
int tlskey_req_decode(const unsigned char *p, size_t len,
    struct tlskey_req *req);

/**
 * tlskey_sign - sign req with pair kp (ECDSA ASN.1 or RSA PKCS#1 v1.5
 * with the hash OID).  Returns the signature length in out (cap bytes),
 * or 0 on failure.
 */
size_t tlskey_sign(const struct tlspair *kp, const struct tlskey_req *req,
    unsigned char *out, size_t cap);

/** tlskey_hash_len - output size of a hash id we sign with, 0 if none. */
size_t tlskey_hash_len(int hash_id);

#endif
