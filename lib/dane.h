/* dane.h - matching certificates against TLSA records (RFC 6698, RFC
 * 7672 for SMTP).
 *
 * Usable records for SMTP are DANE-TA(2) and DANE-EE(3), selector
 * Cert(0) or SPKI(1), matching type SHA2-256(1) or SHA2-512(2) (full
 * data, type 0, is not kept by lib/dns.h); PKIX-TA(0) and PKIX-EE(1)
 * are unusable for SMTP (RFC 7672 3.1.3) and so are unknown values.
 * DANE-EE matches the end-entity certificate alone (its names and dates
 * do not matter, RFC 7672 3.1.1); DANE-TA matches a certificate of the
 * chain the server sent, which then serves as the trust anchor for the
 * rest of the chain, names checked (RFC 7672 3.1.2).
 * Input is untrusted DER: every length is checked before use.
 */
#ifndef MAIL_DANE_H
#define MAIL_DANE_H

#include <stddef.h>

#include "dns.h"

/** dane_usable - 1 if t can be used for SMTP, else 0. */
int dane_usable(const struct dns_tlsa *t);

/**
 * dane_spki - find the SubjectPublicKeyInfo inside a DER certificate.
 * 0 (*spki, *len point into der), or -1 when der is not a certificate.
 */
int dane_spki(const unsigned char *der, size_t len,
    const unsigned char **spki, size_t *spkilen);

/** dane_match - 1 when the certificate der (len bytes) matches t's
 * selector and digest, else 0. */
int dane_match(const struct dns_tlsa *t, const unsigned char *der,
    size_t len);

#endif
