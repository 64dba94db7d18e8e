/* route.h - static routes for outbound mail: one route's text form (a line
 * of the routes table) and its cdb value.
 *
 * `facteur route` writes them; remote-send reads routes.cdb.  A line of
 * $FACTEUR_CONF/routes (cmd/facteur/table.h keeps the file) is
 *
 *   DOMAIN: HOST[:PORT] [tls=POLICY] [auth=USER pass=BASE64]
 *
 * with fields separated by spaces or tabs, each at most once:
 *   DOMAIN  a canonical domain name, or "*": the smarthost, for every
 *           domain without a route of its own.
 *   HOST    used as given, no MX lookup: a host name, or an address
 *           literal [192.0.2.1] or [IPv6:2001:db8::1] (RFC 5321 4.1.3).
 *           A host name that reads as an IPv4 address is refused: write
 *           the literal.
 *   PORT    1..65535, default 25.  465 is implicit TLS (RFC 8314): TLS
 *           from the first byte, so tls=none is refused there and tls=may
 *           means encrypt.  Any other port is SMTP with STARTTLS as POLICY
 *           says.
 *   POLICY  none     never STARTTLS;
 *           may      STARTTLS when offered, any certificate, else clear
 *                    text (the default);
 *           encrypt  TLS required, the certificate is not checked;
 *           verify   TLS required, the certificate must be valid for HOST.
 *   auth    SMTP AUTH as USER (1..ROUTE_USER_MAX visible ASCII or UTF-8
 *           bytes) with the password whose bytes pass= holds in base64
 *           (any byte but NUL and LF survives; base64 is not secrecy, the
 *           file's mode 0600 is).  Only with tls=encrypt or verify: a
 *           password is never sent where TLS may be missing.
 *
 * routes.cdb maps DOMAIN to  host \0 port \0 policy \0 user \0 password \0
 * (port in decimal, policy by its name, host in the canonical form below,
 * user and password empty without auth).
 *
 * Canonical host: a host name in lower case; [a.b.c.d] and
 * [IPv6:<inet_ntop form>] for literals.
 * Limits: ROUTE_HOST_MAX, ROUTE_USER_MAX, ROUTE_PASS_MAX (RFC 4616: the
 * lengths every server accepts), ROUTE_TEXT_MAX for the text form.
 */
#ifndef MAIL_ROUTE_H
#define MAIL_ROUTE_H

#include <stddef.h>

#include "limits.h"
#include "sa.h"

#define ROUTE_HOST_MAX DNSNAME_MAX /* a literal is shorter */
#define ROUTE_USER_MAX 255         /* RFC 4616 section 2: authcid */
#define ROUTE_PASS_MAX 255         /* RFC 4616 section 2: passwd */
#define ROUTE_TEXT_MAX 1024        /* the longest text form fits */
#define ROUTE_PORT_DEFAULT 25
#define ROUTE_PORT_IMPLICIT 465 /* RFC 8314 submissions */

enum route_tls {
    ROUTE_TLS_NONE,
    ROUTE_TLS_MAY,
    ROUTE_TLS_ENCRYPT,
    ROUTE_TLS_VERIFY
};

struct route {
    char host[ROUTE_HOST_MAX + 1]; /* canonical */
    unsigned port;
    enum route_tls tls;
    char user[ROUTE_USER_MAX + 1]; /* "" without auth */
    char pass[ROUTE_PASS_MAX + 1]; /* secret: route_wipe it */
    size_t passlen;                /* 0 without auth */
};

/**
 * route_key - the canonical key for s (n bytes): "*" or a domain name in
 * lower case, into out (outlen bytes).  0, or -1 (EINVAL).
 */
int route_key(char *out, size_t outlen, const char *s, size_t n);

/**
 * route_host - parse HOST[:PORT] (n bytes at s) into r->host and r->port
 * (ROUTE_PORT_DEFAULT when absent).  0, or -1 with a reason in *why.
 */
int route_host(struct route *r, const char *s, size_t n, const char **why);

/** route_tls_parse - a policy by name ("none" ...).  0, or -1. */
int route_tls_parse(const char *s, size_t n, enum route_tls *tls);

/** route_tls_name - the name of a policy. */
const char *route_tls_name(enum route_tls tls);

/** route_user_valid - 1 if the n bytes at s can be an AUTH user, else 0. */
int route_user_valid(const char *s, size_t n);

/** route_pass_valid - 1 if the n bytes at s can be a password, else 0. */
int route_pass_valid(const char *s, size_t n);

/**
 * route_check - whether the policy suits the rest of r: auth (a user) only
 * with encrypt or verify, not tls=none on port 465.  NULL when it does,
 * else the reason.  (The parsers also check that a user comes with a
 * password.)
 */
const char *route_check(const struct route *r);

/**
 * route_parse_text - parse the text form (what follows "DOMAIN:", n bytes,
 * no line end) into r and check it (route_check).  0, or -1 with a reason
 * in *why; r is wiped on failure.
 */
int route_parse_text(struct route *r, const char *s, size_t n,
    const char **why);

/**
 * route_format_text - the canonical text form of r, NUL terminated, into
 * out (at least ROUTE_TEXT_MAX bytes).  0, or -1 (ERANGE).
 */
int route_format_text(const struct route *r, char *out, size_t outlen);

/**
 * route_format_value - the cdb value of r, replacing the content of out.
 * 0, or -1 with errno (out's cap).
 */
int route_format_value(const struct route *r, struct sa *out);

/**
 * route_parse_value - parse a cdb value (n bytes) into r and check it as
 * route_parse_text does.  0, or -1 with a reason in *why; r is wiped on
 * failure.
 */
int route_parse_value(struct route *r, const char *s, size_t n,
    const char **why);

/** route_wipe - overwrite r, password included. */
void route_wipe(struct route *r);

#endif
