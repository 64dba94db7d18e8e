/* tlsnames.h - the names of TLS versions and cipher suites, for logs and
 * Received: fields (OpenSSL's spelling, which admins know). */
#ifndef MAIL_TLSNAMES_H
#define MAIL_TLSNAMES_H

/** tls_suite_name - "ECDHE-ECDSA-CHACHA20-POLY1305"..., or "unknown". */
const char *tls_suite_name(unsigned id);

/** tls_version_name - "TLSv1.2"..., or "unknown". */
const char *tls_version_name(unsigned v);

#endif
