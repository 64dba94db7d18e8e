/* x509gen.h - a new ECDSA P-256 key and a self-signed certificate for one
 * host name, made with BearSSL alone (facteur init's default certificate).
 *
 * The certificate (X.509 v3, RFC 5280), DER then PEM ("CERTIFICATE"):
 *   version      v3
 *   serial       16 random bytes, positive (top bit clear, next bit set,
 *                so the DER INTEGER is exactly 16 bytes)
 *   signature    ecdsa-with-SHA256 (RFC 5758 3.2), made by the key itself
 *                (RFC 6979 deterministic nonces: no randomness needed)
 *   issuer       CN=<host name> (UTF8String), the same as the subject
 *   validity     as given; UTCTime for years up to 2049, GeneralizedTime
 *                from 2050 (RFC 5280 4.1.2.5)
 *   key          id-ecPublicKey, prime256v1, the uncompressed point
 *   extensions   subjectAltName dNSName=<host name>; basicConstraints
 *                CA:FALSE, critical; keyUsage digitalSignature, critical;
 *                extKeyUsage serverAuth
 * The private key: PKCS#8 (RFC 5958) in PEM ("PRIVATE KEY"), which
 * lib/tlscert.c, openssl and every TLS server read.
 *
 * Limits: the host name is a valid host name (dnsname.h) of at most
 * X509GEN_CN_MAX bytes (RFC 5280 ub-common-name); times within the years
 * 1950..9999; X509GEN_DER_MAX bytes of certificate, X509GEN_PEM_MAX of
 * PEM each.  Only P-256 keys.
 */
#ifndef MAIL_X509GEN_H
#define MAIL_X509GEN_H

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

#define X509GEN_CN_MAX 64  /* RFC 5280 A.1 ub-common-name */
#define X509GEN_DAYS 825   /* the longest life browsers accepted (2018-20) */
#define X509GEN_BACKDATE 3600 /* notBefore an hour early: clocks drift */
#define X509GEN_SERIAL_LEN 16
#define X509GEN_DER_MAX 1024  /* ~480 bytes with a 64-byte name */
#define X509GEN_PEM_MAX 2048

struct x509gen_pair {
    char cert[X509GEN_PEM_MAX]; /* PEM, NUL terminated */
    size_t certlen;
    char key[X509GEN_PEM_MAX]; /* PEM, NUL terminated; secret */
    size_t keylen;
};

/**
 * x509gen_cert_der - the DER certificate for host with public key pub
 * (publen bytes: an uncompressed P-256 point) signed by sk, into out
 * (outlen bytes).  serial: X509GEN_SERIAL_LEN bytes (made positive here);
 * times in seconds since the epoch.  Deterministic, for tests.
 * Returns the length, or -1 with errno: EINVAL (host, key or time out of
 * the limits), ERANGE (out too short).
 */
long x509gen_cert_der(unsigned char *out, size_t outlen, const char *host,
    const br_ec_private_key *sk, const unsigned char *pub, size_t publen,
    const unsigned char serial[X509GEN_SERIAL_LEN], int64_t notbefore,
    int64_t notafter);

/**
 * x509gen_make - a new key (the system's randomness through HMAC-DRBG
 * with SHA-256) and its certificate for host, valid from now minus
 * X509GEN_BACKDATE for X509GEN_DAYS, both in PEM in p.  Every temporary
 * holding the key is wiped; the caller wipes p (x509gen_wipe).
 * Returns 0, or -1 with errno: EINVAL (host), EIO (no randomness or a
 * BearSSL failure).
 */
int x509gen_make(struct x509gen_pair *p, const char *host, int64_t now);

/** x509gen_wipe - overwrite p, private key included. */
void x509gen_wipe(struct x509gen_pair *p);

#endif
