/* spf.h - Sender Policy Framework (RFC 7208): may this address send mail
 * for this domain?
 *
 * spf_check is RFC 7208's check_host(): the domain's "v=spf1" TXT record
 * is evaluated term by term for the client's address: mechanisms all,
 * include, a, mx, ip4, ip6, exists (with CIDR lengths and macros,
 * section 7), modifier redirect; exp and unknown modifiers are ignored.
 * Limits of section 4.6.4: at most SPF_LOOKUPS_MAX terms that query the
 * DNS (include, a, mx, ptr, exists, redirect), SPF_VOIDS_MAX lookups
 * that find nothing, SPF_MX_MAX MX names; beyond them: permerror.
 * "ptr" (deprecated by RFC 7208 5.5) counts as a lookup and never
 * matches: facteur does no reverse lookups.
 * The DNS is asked through a callback, so tests and the fuzz target can
 * answer without a network.
 */
#ifndef MAIL_SPF_H
#define MAIL_SPF_H

#include <stddef.h>

#include "dns.h"

#define SPF_LOOKUPS_MAX 10
#define SPF_VOIDS_MAX 2
#define SPF_MX_MAX 10
#define SPF_RECORD_MAX 4096 /* a record, its strings joined */
#define SPF_TERMS_MAX 256

enum spf_result {
    SPF_NONE,
    SPF_NEUTRAL,
    SPF_PASS,
    SPF_FAIL,
    SPF_SOFTFAIL,
    SPF_TEMPERROR,
    SPF_PERMERROR
};

struct spf_dns {
    /* dns_query's contract (lib/dns.h). */
    int (*query)(void *ctx, const char *name, enum dns_type type,
        struct dns_answer *ans);
    void *ctx;
};

struct spf_req {
    const char *ip;     /* the client's address, text (IPv4 or IPv6) */
    const char *sender; /* MAIL FROM, or postmaster@<helo> for <> */
    const char *helo;   /* the HELO/EHLO name */
};

/**
 * spf_check - evaluate domain's SPF record for r.  Returns an
 * spf_result; why (whylen bytes) says which term decided or what was
 * wrong, for logs and the Authentication-Results field.
 */
int spf_check(const struct spf_dns *d, const struct spf_req *r,
    const char *domain, char *why, size_t whylen);

/** spf_name - "pass", "fail", ... (RFC 8601's result names). */
const char *spf_name(int result);

/**
 * spf_expand - macro-expand n bytes of a domain-spec for r and the
 * current domain (section 7) into out (outlen bytes), cutting labels on
 * the left to keep at most 253 bytes.  0, or -1 (a syntax error: the
 * caller's permerror).
 */
int spf_expand(const struct spf_req *r, const char *domain, const char *in,
    size_t n, char *out, size_t outlen);

#endif
