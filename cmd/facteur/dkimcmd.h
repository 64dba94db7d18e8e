/* dkimcmd.h - facteur dkim (dkim.c), facteur dns (dns.c) and what
 * facteur check (check.c) takes from them. */
#ifndef FACTEUR_DKIMCMD_H
#define FACTEUR_DKIMCMD_H

#include <stddef.h>

#include "limits.h"

#define STS_ID_LEN 16 /* hex digits of the MTA-STS policy's SHA-256 */
#define STS_POLICY_MAX (DNSNAME_MAX + 128)
#define HOSTCERTS_MAX 2 /* fullchain.pem, fullchain-rsa.pem */

/* A certificate tlswrap serves for the host name. */
struct hostcert {
    char path[4200];
    unsigned char der[TLS_CERT_MAX];
    size_t len;
    char tlsa[2 * 32 + 1]; /* SHA-256 of its SPKI, hex: TLSA 3 1 1 */
};

struct hostcerts {
    size_t n;
    struct hostcert c[HOSTCERTS_MAX];
};

/**
 * host_certs - the certificates tlswrap serves for host (tls/<host>/,
 * else tls/default/: fullchain.pem, and fullchain-rsa.pem when there is
 * one) into hc (large: static).  0, or -1 with a reason in err (no
 * certificate, unreadable, not a certificate).
 */
int host_certs(const char *host, struct hostcerts *hc, char *err,
    size_t errlen);

/**
 * sts_policy - the MTA-STS policy file for host (mode from the file
 * mta-sts-mode, testing by default) into out (STS_POLICY_MAX bytes).  0,
 * or -1 when mta-sts-mode is malformed (said on stderr).
 */
int sts_policy(const char *host, char *out, size_t len);

/** sts_id - the policy's id (STS_ID_LEN hex digits of its SHA-256). */
void sts_id(const char *policy, char *id);

/**
 * dkim_active_record - d's active selector (the RSA one, or the Ed25519
 * one when ed) into sel and its key's record ("v=DKIM1; k=rsa; p=...")
 * into rec (DKIM_RECORD_MAX bytes).  1, 0 when d has no such key, -1
 * with a reason in err.
 */
int dkim_active_record(const char *d, int ed, char *sel, size_t sellen,
    char *rec, size_t reclen, char *err, size_t errlen);

/** cmd_check - facteur check [--no-dns]; argv after "check" (check.c). */
int cmd_check(int argc, char **argv);

/** cmd_dkim - facteur dkim keygen D [--selector S]; argv after "dkim".
 * Exit code. */
int cmd_dkim(int argc, char **argv);

/** cmd_dns - facteur dns D [--mta-sts-policy]; argv after "dns" (dns.c).
 * Exit code. */
int cmd_dns(int argc, char **argv);

/**
 * dkim_records - print d's DKIM records as zone lines, each after a
 * comment: the active selector's first, then the older keys' (dkim.c).
 * 0, or 1 (a problem, said on stderr and in a comment): no key, a key
 * that does not load.
 */
int dkim_records(const char *d);

/** print_txt - a TXT record for owner on one line, data cut into
 * strings of 255 bytes; data holds no quote or backslash (dns.c). */
void print_txt(const char *owner, const char *data);

/** canon_domain - arg as a canonical local domain into d, or die
 * (dkim.c). */
void canon_domain(const char *arg, char *d, size_t len);

/**
 * cmd_dkim_first - after `domain add d`: make d's first DKIM key unless
 * it has a selector already.  0, or 1 (EXIT_PROBLEM) with the reason on
 * stderr: the domain stays added.
 */
int cmd_dkim_first(const char *d);

#endif
