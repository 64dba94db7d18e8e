/* tlsclient.h - the client side of TLS, for remote-send.
 *
 * BearSSL over a connected socket, blocking with deadlines.  Two ways to
 * treat the server's certificate:
 *   opportunistic (RFC 7435: policies may and encrypt)  any certificate
 *       is accepted, expired, self-signed or for another name: the
 *       public key of the first certificate is used for the key
 *       exchange; whether the chain would have verified against the
 *       anchors (if any were given) is still reported;
 *   verify  the chain must end at one of the trust anchors and the end
 *       certificate must be valid for the server name; TLS 1.2 only.
 * DANE (RFC 7672): with TLSA records set (tlsclient_dane), the chain
 * must match one of them (lib/dane.h) and nothing else is asked: a
 * DANE-EE match needs nothing more, a DANE-TA match anchors the rest of
 * the chain, checked with the server name.
 * Versions: TLS 1.0 to 1.2 opportunistically (encrypting an old server
 * beats clear text), 1.2 when verifying.  BearSSL's full client profile
 * otherwise (ECDHE first, AEAD first).
 * Trust anchors come from a PEM bundle (tlsclient_anchors); the default
 * bundle is Debian's /etc/ssl/certs/ca-certificates.crt.
 * Limits: TLS_CERT_MAX for the kept certificate, TLSCLIENT_ANCHORS_MAX
 * anchors, TLS_PEMFILE_MAX * 64 for a bundle.
 */
#ifndef MAIL_TLSCLIENT_H
#define MAIL_TLSCLIENT_H

#include <bearssl.h>
#include <stdint.h>
#include <sys/types.h>

#include "dns.h"
#include "limits.h"

#define TLSCLIENT_ANCHORS_MAX 1024
#define TLSCLIENT_CA_DEFAULT "/etc/ssl/certs/ca-certificates.crt"

struct tlsanchors {
    br_x509_trust_anchor *ta;
    size_t n;
};

struct tlsclient;

/* The x509 engine wrapper: first member is the vtable pointer. */
struct tlsclient_x509 {
    const br_x509_class *vtable;
    struct tlsclient *t;
};

struct tlsclient {
    br_ssl_client_context cc;
    br_x509_minimal_context xm;
    struct tlsclient_x509 xw;
    br_x509_decoder_context dec;
    br_sslio_context io;
    unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
    int fd;
    int64_t deadline;
    int verify;          /* verification required */
    int first;           /* inside the first (end-entity) certificate */
    unsigned xerr;       /* the chain check's result (0: verified) */
    /* The chain as sent (for DANE); a certificate too large, or beyond
     * TLS_CHAIN_MAX, is not kept (certlen 0). */
    unsigned char chain[TLS_CHAIN_MAX][TLS_CERT_MAX];
    size_t certlen[TLS_CHAIN_MAX];
    size_t ncert;
    int certover;
    const char *name;
    const struct dns_tlsa *tlsa; /* DANE: the usable records, or NULL */
    size_t ntlsa;
    const char *dane;    /* "DANE-EE", "DANE-TA" once matched, else NULL */
};

/**
 * tlsclient_bundle - read the PEM bundle at path into a malloc'd buffer
 * (the caller frees it).  0, or -1 with errno.  Reading is cheap; making
 * anchors of ~150 certificates is not (~20 ms here): a caller reads the
 * bundle while it may, and decodes it only when it must verify.
 */
int tlsclient_bundle(const char *path, unsigned char **buf, size_t *len);

/**
 * tlsclient_anchors - every certificate of a PEM bundle (len bytes) as a
 * trust anchor.  0, or -1 with errno.
 */
int tlsclient_anchors(struct tlsanchors *a, const unsigned char *buf,
    size_t len);
void tlsclient_anchors_free(struct tlsanchors *a);

/**
 * tlsclient_start - handshake on fd with server name (SNI and, when
 * verifying, the name checked; NULL for an address literal).  anchors may
 * be NULL when not verifying.  0 done, or -1 with a short reason in why.
 */
int tlsclient_start(struct tlsclient *t, int fd, const char *name,
    const struct tlsanchors *anchors, int verify, int64_t deadline,
    const char **why);

/**
 * tlsclient_dane - require the chain to match one of the n TLSA records
 * (kept by the caller until the handshake is over); call before
 * tlsclient_start.  n == 0: no DANE.
 */
void tlsclient_dane(struct tlsclient *t, const struct dns_tlsa *tlsa,
    size_t n);

/** tlsclient_verified - 1 when the chain verified against the anchors and
 * the name (whatever the policy). */
int tlsclient_verified(const struct tlsclient *t);

/** tlsclient_version - "TLSv1.2" ...; tlsclient_cipher - the suite's
 * name ("ECDHE-RSA-AES128-GCM-SHA256"), for logs. */
const char *tlsclient_version(const struct tlsclient *t);
const char *tlsclient_cipher(const struct tlsclient *t);

/** tlsclient_read - up to n bytes (0 at the end, -1 error or timeout). */
ssize_t tlsclient_read(struct tlsclient *t, void *buf, size_t n);

/** tlsclient_write - all n bytes, flushed.  0 or -1. */
int tlsclient_write(struct tlsclient *t, const void *buf, size_t n);

/** tlsclient_close - send close_notify (best effort). */
void tlsclient_close(struct tlsclient *t);

#endif
