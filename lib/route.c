/* route.c - a static route's text form and cdb value (see route.h).
 *
 * The text form comes from a file an admin may edit by hand, so every
 * field is checked with one positive grammar and bounded before it is
 * stored; the cdb value is checked the same way when remote-send reads it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "dnsname.h"
#include "route.h"

#define PORT_DIGITS_MAX 5 /* 65535 */
#define LITERAL_MAX 45    /* INET6_ADDRSTRLEN - 1: the longest IPv6 text */

static const char *const policy_names[] = { "none", "may", "encrypt",
    "verify" };

int
route_key(char *out, size_t outlen, const char *s, size_t n)
{
    if (n == 1 && s[0] == '*' && outlen >= 2) {
        out[0] = '*';
        out[1] = 0;
        return 0;
    }
    return dnsname_canon(out, outlen, s, n);
}

/* Decimal 1..65535 without a leading zero.  0, or -1. */
static int
parse_port(const char *s, size_t n, unsigned *port)
{
    unsigned v = 0;
    size_t i;

    if (n == 0 || n > PORT_DIGITS_MAX || s[0] == '0')
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *port = v;
    return 0;
}

/* An address literal's inside ("192.0.2.1" or "IPv6:..."), canonical,
 * with its brackets, into r->host.  0, or -1. */
static int
literal(struct route *r, const char *s, size_t n)
{
    char text[LITERAL_MAX + 1], back[LITERAL_MAX + 1];
    unsigned char bin[16];
    int v6 = n > 5 && strncasecmp(s, "IPv6:", 5) == 0;

    if (v6) {
        s += 5;
        n -= 5;
    }
    if (n == 0 || n > LITERAL_MAX || memchr(s, 0, n) != NULL)
        return -1;
    memcpy(text, s, n);
    text[n] = 0;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, text, bin) != 1
        || inet_ntop(v6 ? AF_INET6 : AF_INET, bin, back, sizeof back) == NULL)
        return -1;
    snprintf(r->host, sizeof r->host, "[%s%s]", v6 ? "IPv6:" : "", back);
    return 0;
}

int
route_host(struct route *r, const char *s, size_t n, const char **why)
{
    const char *hend, *colon = NULL;
    unsigned char bin[4];

    r->port = ROUTE_PORT_DEFAULT;
    if (n > 0 && s[0] == '[') {
        hend = memchr(s, ']', n);
        if (hend == NULL || literal(r, s + 1, (size_t)(hend - s - 1)) == -1) {
            *why = "not an address literal ([192.0.2.1] or [IPv6:2001:db8::1])";
            return -1;
        }
        hend++;
        if (hend < s + n) {
            if (*hend != ':') {
                *why = "text after the address literal";
                return -1;
            }
            colon = hend;
        }
    } else {
        colon = memchr(s, ':', n);
        hend = colon ? colon : s + n;
        if (dnsname_canon(r->host, sizeof r->host, s, (size_t)(hend - s))
            == -1) {
            *why = "not a host name";
            return -1;
        }
        /* "192.0.2.1" is a valid host name too; remote-send would look it
         * up in the DNS.  Make the admin say which one is meant. */
        if (inet_pton(AF_INET, r->host, bin) == 1) {
            *why = "an address is written as a literal: [192.0.2.1]";
            return -1;
        }
    }
    if (colon != NULL
        && parse_port(colon + 1, (size_t)(s + n - colon - 1), &r->port)
            == -1) {
        *why = "the port is not a number from 1 to 65535";
        return -1;
    }
    return 0;
}

int
route_tls_parse(const char *s, size_t n, enum route_tls *tls)
{
    size_t i;

    for (i = 0; i < sizeof policy_names / sizeof policy_names[0]; i++)
        if (strlen(policy_names[i]) == n && memcmp(policy_names[i], s, n) == 0) {
            *tls = (enum route_tls)i;
            return 0;
        }
    return -1;
}

const char *
route_tls_name(enum route_tls tls)
{
    return (unsigned)tls < sizeof policy_names / sizeof policy_names[0]
        ? policy_names[tls] : "?";
}

int
route_user_valid(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > ROUTE_USER_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f)
            return 0; /* a field separator, a control byte, NUL */
    }
    return 1;
}

int
route_pass_valid(const char *s, size_t n)
{
    return n > 0 && n <= ROUTE_PASS_MAX && memchr(s, 0, n) == NULL
        && memchr(s, '\n', n) == NULL;
}

const char *
route_check(const struct route *r)
{
    if (r->user[0] != 0 && r->tls != ROUTE_TLS_ENCRYPT
        && r->tls != ROUTE_TLS_VERIFY)
        return "auth needs tls=encrypt or tls=verify: with none or may the "
               "password could be sent in clear text";
    if (r->port == ROUTE_PORT_IMPLICIT && r->tls == ROUTE_TLS_NONE)
        return "port 465 is implicit TLS: tls=none cannot be";
    return NULL;
}

/* Does the token [s, s+n) start with "name="?  Sets *v, *vn to the rest. */
static int
field(const char *s, size_t n, const char *name, const char **v, size_t *vn)
{
    size_t k = strlen(name);

    if (n <= k || memcmp(s, name, k) != 0 || s[k] != '=')
        return 0;
    *v = s + k + 1;
    *vn = n - k - 1;
    return 1;
}

static int
fail(struct route *r, const char **why, const char *reason)
{
    route_wipe(r);
    *why = reason;
    errno = EINVAL;
    return -1;
}

int
route_parse_text(struct route *r, const char *s, size_t n, const char **why)
{
    const char *p = s, *end = s + n, *v;
    int seen_tls = 0, seen_auth = 0, seen_pass = 0, first = 1;
    size_t vn;
    long len;

    memset(r, 0, sizeof *r);
    r->tls = ROUTE_TLS_MAY;
    for (;;) {
        const char *t;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p == end)
            break;
        t = p;
        while (p < end && *p != ' ' && *p != '\t')
            p++;
        if (first) {
            if (route_host(r, t, (size_t)(p - t), why) == -1)
                return fail(r, why, *why);
            first = 0;
        } else if (field(t, (size_t)(p - t), "tls", &v, &vn)) {
            if (seen_tls++ || route_tls_parse(v, vn, &r->tls) == -1)
                return fail(r, why,
                    "tls= must be once none, may, encrypt or verify");
        } else if (field(t, (size_t)(p - t), "auth", &v, &vn)) {
            if (seen_auth++ || !route_user_valid(v, vn))
                return fail(r, why, "auth= must be once a user name");
            memcpy(r->user, v, vn);
            r->user[vn] = 0;
        } else if (field(t, (size_t)(p - t), "pass", &v, &vn)) {
            if (seen_pass++)
                return fail(r, why, "pass= appears twice");
            if (vn > BASE64_LEN(ROUTE_PASS_MAX)
                || (len = base64_decode(r->pass, ROUTE_PASS_MAX, v, vn)) == -1
                || !route_pass_valid(r->pass, (size_t)len))
                return fail(r, why,
                    "pass= must be the base64 of a password (1 to 255 bytes, "
                    "no NUL or line feed)");
            r->passlen = (size_t)len;
        } else {
            return fail(r, why, "unknown field (tls=, auth=, pass=)");
        }
    }
    if (first)
        return fail(r, why, "no host");
    if (seen_auth != seen_pass)
        return fail(r, why, "auth= and pass= go together");
    if ((*why = route_check(r)) != NULL)
        return fail(r, why, *why);
    return 0;
}

int
route_format_text(const struct route *r, char *out, size_t outlen)
{
    char b64[BASE64_LEN(ROUTE_PASS_MAX) + 1];
    int k;

    if (r->passlen > ROUTE_PASS_MAX
        || base64_encode(b64, sizeof b64, r->pass, r->passlen) == -1) {
        errno = ERANGE;
        return -1;
    }
    if (r->user[0] != 0)
        k = snprintf(out, outlen, "%s:%u tls=%s auth=%s pass=%s", r->host,
            r->port, route_tls_name(r->tls), r->user, b64);
    else
        k = snprintf(out, outlen, "%s:%u tls=%s", r->host, r->port,
            route_tls_name(r->tls));
    explicit_bzero(b64, sizeof b64);
    if (k < 0 || (size_t)k >= outlen) {
        explicit_bzero(out, outlen);
        errno = ERANGE;
        return -1;
    }
    return 0;
}

int
route_format_value(const struct route *r, struct sa *out)
{
    char port[8];

    snprintf(port, sizeof port, "%u", r->port);
    sa_truncate(out, 0);
    if (sa_append(out, r->host, strlen(r->host) + 1) == -1
        || sa_append(out, port, strlen(port) + 1) == -1
        || sa_appends(out, route_tls_name(r->tls)) == -1
        || sa_appendc(out, 0) == -1
        || sa_append(out, r->user, strlen(r->user) + 1) == -1
        || sa_append(out, r->pass, r->passlen) == -1
        || sa_appendc(out, 0) == -1)
        return -1;
    return 0;
}

int
route_parse_value(struct route *r, const char *s, size_t n, const char **why)
{
    const char *f[5], *p = s, *end = s + n, *z;
    size_t fl[5];
    int i;

    memset(r, 0, sizeof *r);
    for (i = 0; i < 5; i++) {
        z = memchr(p, 0, (size_t)(end - p));
        if (z == NULL)
            return fail(r, why, "fewer than five fields");
        f[i] = p;
        fl[i] = (size_t)(z - p);
        p = z + 1;
    }
    if (p != end)
        return fail(r, why, "more than five fields");
    /* Canonical, and no port: the port has its own field. */
    if (route_host(r, f[0], fl[0], why) == -1 || strlen(r->host) != fl[0]
        || memcmp(r->host, f[0], fl[0]) != 0)
        return fail(r, why, "the host is not in canonical form");
    if (parse_port(f[1], fl[1], &r->port) == -1)
        return fail(r, why, "the port is not a number from 1 to 65535");
    if (route_tls_parse(f[2], fl[2], &r->tls) == -1)
        return fail(r, why, "unknown tls policy");
    if (fl[3] > 0) {
        if (!route_user_valid(f[3], fl[3]))
            return fail(r, why, "not a user name");
        memcpy(r->user, f[3], fl[3]);
        r->user[fl[3]] = 0;
    }
    if (fl[4] > 0) {
        if (!route_pass_valid(f[4], fl[4]))
            return fail(r, why, "not a password");
        memcpy(r->pass, f[4], fl[4]);
        r->passlen = fl[4];
    }
    if ((fl[3] == 0) != (fl[4] == 0))
        return fail(r, why, "a user without a password or the reverse");
    if ((*why = route_check(r)) != NULL)
        return fail(r, why, *why);
    return 0;
}

void
route_wipe(struct route *r)
{
    explicit_bzero(r, sizeof *r);
}
