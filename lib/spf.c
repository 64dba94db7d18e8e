/* spf.c - RFC 7208 check_host() (see spf.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsname.h"
#include "spf.h"

struct eval {
    const struct spf_dns *d;
    const struct spf_req *r;
    int family;              /* AF_INET or AF_INET6 */
    unsigned char ip[16];
    unsigned lookups, voids;
    struct dns_answer *ans;  /* one, reused (they are large) */
    char *why;
    size_t whylen;
};

const char *
spf_name(int result)
{
    static const char *const names[] = { "none", "neutral", "pass", "fail",
        "softfail", "temperror", "permerror" };

    return result >= 0 && result <= SPF_PERMERROR ? names[result] : "none";
}

static int
say(struct eval *e, int result, const char *fmt, const char *arg)
{
    snprintf(e->why, e->whylen, fmt, arg ? arg : "");
    return result;
}

/* ---- macros (section 7) ---- */

static int
is_delim(char c)
{
    return strchr(".-+,/_=", c) != NULL && c != 0;
}

/* The value of macro letter c (lower case) into v. */
static int
macro_value(const struct spf_req *r, const char *domain, char c, char *v,
    size_t vlen)
{
    const char *at = strrchr(r->sender, '@');
    unsigned char a[16];

    switch (c) {
    case 's':
        snprintf(v, vlen, "%s", r->sender);
        return 0;
    case 'l':
        snprintf(v, vlen, "%.*s", at ? (int)(at - r->sender) : 10,
            at ? r->sender : "postmaster");
        return 0;
    case 'o':
        snprintf(v, vlen, "%s", at ? at + 1 : r->sender);
        return 0;
    case 'd':
        snprintf(v, vlen, "%s", domain);
        return 0;
    case 'h':
        snprintf(v, vlen, "%s", r->helo);
        return 0;
    case 'p':
        snprintf(v, vlen, "unknown"); /* no reverse lookups */
        return 0;
    case 'v':
        snprintf(v, vlen, "%s", strchr(r->ip, ':') ? "ip6" : "in-addr");
        return 0;
    case 'i':
        if (inet_pton(AF_INET6, r->ip, a) == 1) {
            /* dot-separated nibbles (section 7.3) */
            size_t k, o = 0;
            for (k = 0; k < 16 && o + 4 < vlen; k++) {
                static const char hx[] = "0123456789abcdef";
                v[o++] = hx[a[k] >> 4];
                v[o++] = '.';
                v[o++] = hx[a[k] & 15];
                v[o++] = '.';
            }
            v[o ? o - 1 : 0] = 0;
        } else {
            snprintf(v, vlen, "%s", r->ip);
        }
        return 0;
    default:
        return -1; /* c, r, t are for exp only: not here */
    }
}

/* Apply the transformers (digits, 'r', delimiters) of %{x...}. */
static void
transform(const char *v, unsigned keep, int rev, const char *delims,
    char *out, size_t outlen)
{
    const char *part[128];
    size_t plen[128], np = 0, i, o = 0, first;
    const char *p = v, *st = v;

    for (;; p++) {
        if (*p == 0 || strchr(delims, *p) != NULL) {
            if (np < 128) {
                part[np] = st;
                plen[np++] = (size_t)(p - st);
            }
            if (*p == 0)
                break;
            st = p + 1;
        }
    }
    if (rev)
        for (i = 0; i < np / 2; i++) {
            const char *t = part[i];
            size_t tl = plen[i];
            part[i] = part[np - 1 - i];
            plen[i] = plen[np - 1 - i];
            part[np - 1 - i] = t;
            plen[np - 1 - i] = tl;
        }
    first = keep && keep < np ? np - keep : 0;
    for (i = first; i < np; i++) {
        if (i > first && o + 1 < outlen)
            out[o++] = '.';
        if (o + plen[i] >= outlen)
            break;
        memcpy(out + o, part[i], plen[i]);
        o += plen[i];
    }
    out[o] = 0;
}

int
spf_expand(const struct spf_req *r, const char *domain, const char *in,
    size_t n, char *out, size_t outlen)
{
    size_t i = 0, o = 0;
    char v[1024], t[1024];

    if (outlen == 0)
        return -1;
    while (i < n) {
        const char *add = NULL;
        size_t alen = 0;
        if (in[i] != '%') {
            if ((unsigned char)in[i] <= 0x20 || (unsigned char)in[i] >= 0x7f)
                return -1;
            add = in + i;
            alen = 1;
            i++;
        } else if (i + 1 < n && in[i + 1] == '%') {
            add = "%";
            alen = 1;
            i += 2;
        } else if (i + 1 < n && in[i + 1] == '_') {
            add = " ";
            alen = 1;
            i += 2;
        } else if (i + 1 < n && in[i + 1] == '-') {
            add = "%20";
            alen = 3;
            i += 2;
        } else if (i + 2 < n && in[i + 1] == '{') {
            char letter = in[i + 2];
            unsigned keep = 0;
            int rev = 0, upper = letter >= 'A' && letter <= 'Z';
            char delims[16];
            size_t nd = 0;
            i += 3;
            while (i < n && in[i] >= '0' && in[i] <= '9') {
                keep = keep * 10 + (unsigned)(in[i++] - '0');
                if (keep > 128)
                    return -1;
            }
            if (i < n && (in[i] == 'r' || in[i] == 'R')) {
                rev = 1;
                i++;
            }
            while (i < n && is_delim(in[i]) && nd < sizeof delims - 1)
                delims[nd++] = in[i++];
            delims[nd] = 0;
            if (i >= n || in[i] != '}')
                return -1;
            i++;
            if (nd == 0)
                strcpy(delims, ".");
            if (macro_value(r, domain, upper ? (char)(letter + 32) : letter,
                    v, sizeof v) == -1)
                return -1;
            transform(v, keep, rev, delims, t, sizeof t);
            if (upper) { /* URL-escape what is not unreserved */
                char u[sizeof t * 3];
                size_t k, uo = 0;
                for (k = 0; t[k] && uo + 4 < sizeof u; k++) {
                    unsigned char c = (unsigned char)t[k];
                    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                        || (c >= '0' && c <= '9') || strchr("-._~", c))
                        u[uo++] = (char)c;
                    else
                        uo += (size_t)snprintf(u + uo, sizeof u - uo, "%%%02X",
                            c);
                }
                u[uo] = 0;
                snprintf(t, sizeof t, "%.*s", (int)sizeof t - 1, u);
            }
            add = t;
            alen = strlen(t);
        } else {
            return -1;
        }
        if (o + alen >= outlen)
            return -1;
        memcpy(out + o, add, alen);
        o += alen;
    }
    out[o] = 0;
    /* Section 7.3: longer than 253: labels dropped on the left. */
    while (o > DNSNAME_MAX) {
        char *dot = strchr(out, '.');
        if (dot == NULL)
            return -1;
        o -= (size_t)(dot + 1 - out);
        memmove(out, dot + 1, o + 1);
    }
    return 0;
}

/* ---- evaluation ---- */

static int query(struct eval *e, const char *name, enum dns_type t)
{
    int st = e->d->query(e->d->ctx, name, t, e->ans);

    if (st == DNS_NODATA || st == DNS_NXDOMAIN)
        e->voids++;
    return st;
}

/* Does the client address fall in addr/cidr (family fam)? */
static int
in_net(const struct eval *e, int fam, const unsigned char *addr, unsigned cidr)
{
    unsigned bytes = cidr / 8, bits = cidr % 8;

    if (fam != e->family)
        return 0;
    if (memcmp(e->ip, addr, bytes) != 0)
        return 0;
    if (bits == 0)
        return 1;
    return ((e->ip[bytes] ^ addr[bytes]) & (0xff << (8 - bits)) & 0xff) == 0;
}

/* "domain-spec/cidr4//cidr6" after a mechanism name: the target (expanded,
 * or the current domain) and the prefix lengths.  0, or -1 (permerror). */
static int
target(struct eval *e, const char *domain, const char *arg, size_t n,
    char *out, size_t outlen, unsigned *c4, unsigned *c6)
{
    const char *slash = memchr(arg, '/', n);
    size_t dn = slash ? (size_t)(slash - arg) : n;

    *c4 = 32;
    *c6 = 128;
    if (slash != NULL) {
        const char *p = slash, *end = arg + n;
        if (p + 1 < end && p[1] != '/') {
            char *q;
            unsigned long v = strtoul(p + 1, &q, 10);
            if (q == p + 1 || v > 32)
                return -1;
            *c4 = (unsigned)v;
            p = q;
        }
        if (p < end && p + 1 < end && p[0] == '/' && p[1] == '/') {
            char *q;
            unsigned long v = strtoul(p + 2, &q, 10);
            if (q == p + 2 || v > 128)
                return -1;
            *c6 = (unsigned)v;
            p = q;
        }
        if (p != end)
            return -1;
    }
    if (dn == 0) {
        snprintf(out, outlen, "%s", domain);
        return 0;
    }
    if (arg[0] != ':')
        return -1;
    return spf_expand(e->r, domain, arg + 1, dn - 1, out, outlen);
}

/* Any A/AAAA of host in the client's net?  1, 0, or -1 temperror. */
static int
host_match(struct eval *e, const char *host, unsigned c4, unsigned c6)
{
    enum dns_type t = e->family == AF_INET ? DNS_T_A : DNS_T_AAAA;
    size_t i;
    int st = query(e, host, t);

    if (st == DNS_TEMP)
        return -1;
    if (st != DNS_OK)
        return 0;
    for (i = 0; i < e->ans->n; i++)
        if (in_net(e, e->family, e->ans->u.a[i],
                e->family == AF_INET ? c4 : c6))
            return 1;
    return 0;
}

static int check_host(struct eval *e, const char *domain, int depth);

static int
qualifier_result(char q)
{
    switch (q) {
    case '-':
        return SPF_FAIL;
    case '~':
        return SPF_SOFTFAIL;
    case '?':
        return SPF_NEUTRAL;
    default:
        return SPF_PASS;
    }
}

/* One mechanism: 1 match, 0 no match, or -(1 + result) for an error
 * result (temperror, permerror). */
static int
mechanism(struct eval *e, const char *domain, const char *name, size_t nl,
    const char *arg, size_t al, int depth)
{
    char tgt[DNSNAME_MAX + 2];
    unsigned c4, c6;
    int r;

#define IS(w) (nl == sizeof(w) - 1 && strncasecmp(name, w, nl) == 0)
    if (IS("all"))
        return al == 0 ? 1 : -(1 + SPF_PERMERROR);
    if (IS("ip4") || IS("ip6")) {
        char txt[64];
        unsigned char a[16];
        const char *slash;
        unsigned cidr;
        int fam = IS("ip4") ? AF_INET : AF_INET6;
        if (al < 2 || arg[0] != ':' || al - 1 >= sizeof txt)
            return -(1 + SPF_PERMERROR);
        memcpy(txt, arg + 1, al - 1);
        txt[al - 1] = 0;
        slash = strchr(txt, '/');
        cidr = fam == AF_INET ? 32 : 128;
        if (slash != NULL) {
            char *q;
            unsigned long v = strtoul(slash + 1, &q, 10);
            if (q == slash + 1 || *q != 0 || v > cidr)
                return -(1 + SPF_PERMERROR);
            cidr = (unsigned)v;
            txt[slash - txt] = 0;
        }
        if (inet_pton(fam, txt, a) != 1)
            return -(1 + SPF_PERMERROR);
        return in_net(e, fam, a, cidr);
    }
    /* The rest query the DNS: counted. */
    if (++e->lookups > SPF_LOOKUPS_MAX)
        return -(1 + say(e, SPF_PERMERROR, "more than 10 DNS lookups%s",
                         NULL));
    if (IS("include")) {
        if (al < 2 || arg[0] != ':'
            || spf_expand(e->r, domain, arg + 1, al - 1, tgt, sizeof tgt)
                == -1)
            return -(1 + SPF_PERMERROR);
        r = check_host(e, tgt, depth + 1);
        switch (r) {
        case SPF_PASS:
            return 1;
        case SPF_FAIL:
        case SPF_SOFTFAIL:
        case SPF_NEUTRAL:
            return 0;
        case SPF_TEMPERROR:
            return -(1 + SPF_TEMPERROR);
        default: /* none or permerror */
            return -(1 + SPF_PERMERROR);
        }
    }
    if (IS("a")) {
        if (target(e, domain, arg, al, tgt, sizeof tgt, &c4, &c6) == -1)
            return -(1 + SPF_PERMERROR);
        r = host_match(e, tgt, c4, c6);
        return r == -1 ? -(1 + SPF_TEMPERROR) : r;
    }
    if (IS("mx")) {
        static struct dns_mx mx[DNS_ANSWERS_MAX];
        size_t n, i;
        int st;
        if (target(e, domain, arg, al, tgt, sizeof tgt, &c4, &c6) == -1)
            return -(1 + SPF_PERMERROR);
        st = query(e, tgt, DNS_T_MX);
        if (st == DNS_TEMP)
            return -(1 + SPF_TEMPERROR);
        if (st != DNS_OK)
            return 0;
        n = e->ans->n;
        if (n > SPF_MX_MAX)
            return -(1 + say(e, SPF_PERMERROR, "more than 10 MX names%s",
                             NULL));
        memcpy(mx, e->ans->u.mx, n * sizeof mx[0]);
        for (i = 0; i < n; i++) {
            if (mx[i].host[0] == 0)
                continue;
            r = host_match(e, mx[i].host, c4, c6);
            if (r != 0)
                return r == -1 ? -(1 + SPF_TEMPERROR) : 1;
        }
        return 0;
    }
    if (IS("ptr"))
        return 0; /* deprecated; no reverse lookups here (spf.h) */
    if (IS("exists")) {
        int st;
        if (al < 2 || arg[0] != ':'
            || spf_expand(e->r, domain, arg + 1, al - 1, tgt, sizeof tgt)
                == -1)
            return -(1 + SPF_PERMERROR);
        st = query(e, tgt, DNS_T_A);
        if (st == DNS_TEMP)
            return -(1 + SPF_TEMPERROR);
        return st == DNS_OK && e->ans->n > 0;
    }
#undef IS
    return -(1 + SPF_PERMERROR); /* an unknown mechanism */
}

static int
check_host(struct eval *e, const char *domain, int depth)
{
    char rec[SPF_RECORD_MAX + 1], dom[DNSNAME_MAX + 1];
    const char *redirect = NULL;
    size_t redirlen = 0, i, nspf = 0, terms = 0;
    int st;

    if (depth > SPF_LOOKUPS_MAX
        || dnsname_canon(dom, sizeof dom, domain, strlen(domain)) == -1)
        return say(e, SPF_NONE, "no valid domain%s", NULL);
    st = query(e, dom, DNS_T_TXT);
    if (e->voids > SPF_VOIDS_MAX)
        return say(e, SPF_PERMERROR, "more than 2 void lookups%s", NULL);
    if (st == DNS_TEMP)
        return say(e, SPF_TEMPERROR, "DNS error looking up %s", dom);
    if (st != DNS_OK)
        return say(e, SPF_NONE, "no SPF record for %s", dom);
    for (i = 0; i < e->ans->n; i++) {
        const char *t = e->ans->txt[i];
        size_t tl = e->ans->txtlen[i];
        if (tl >= 6 && strncasecmp(t, "v=spf1", 6) == 0
            && (tl == 6 || t[6] == ' ')) {
            if (++nspf > 1)
                return say(e, SPF_PERMERROR, "several SPF records for %s",
                    dom);
            if (tl > SPF_RECORD_MAX)
                return say(e, SPF_PERMERROR, "SPF record too long at %s", dom);
            memcpy(rec, t, tl);
            rec[tl] = 0;
        }
    }
    if (nspf == 0)
        return say(e, SPF_NONE, "no SPF record for %s", dom);

    for (i = 6; rec[i];) {
        const char *term, *name, *arg;
        size_t tl, nl;
        char q = '+';
        int m;
        while (rec[i] == ' ')
            i++;
        if (rec[i] == 0)
            break;
        term = rec + i;
        while (rec[i] && rec[i] != ' ')
            i++;
        tl = (size_t)(rec + i - term);
        if (++terms > SPF_TERMS_MAX)
            return say(e, SPF_PERMERROR, "too many terms at %s", dom);
        /* A modifier: name=value. */
        for (nl = 0; nl < tl && term[nl] != '=' && term[nl] != ':'
             && term[nl] != '/';
             nl++)
            ;
        if (nl < tl && term[nl] == '=') {
            if (nl == 8 && strncasecmp(term, "redirect", 8) == 0) {
                if (redirect != NULL)
                    return say(e, SPF_PERMERROR, "two redirects at %s", dom);
                redirect = term + 9;
                redirlen = tl - 9;
            }
            continue; /* exp= and unknown modifiers: ignored */
        }
        if (strchr("+-~?", term[0]) != NULL) {
            q = term[0];
            term++;
            tl--;
        }
        name = term;
        for (nl = 0; nl < tl && term[nl] != ':' && term[nl] != '/'; nl++)
            ;
        arg = term + nl;
        m = mechanism(e, dom, name, nl, arg, tl - nl, depth);
        if (m < 0) {
            int res = -m - 1;
            if (e->why[0] == 0)
                snprintf(e->why, e->whylen, "%s in '%.*s' at %s",
                    spf_name(res), (int)(tl > 100 ? 100 : tl), term, dom);
            return res;
        }
        if (e->voids > SPF_VOIDS_MAX)
            return say(e, SPF_PERMERROR, "more than 2 void lookups%s", NULL);
        if (m == 1) {
            snprintf(e->why, e->whylen, "%s matched '%c%.*s' at %s",
                e->r->ip, q, (int)(tl > 100 ? 100 : tl), term, dom);
            return qualifier_result(q);
        }
    }
    if (redirect != NULL) {
        char tgt[DNSNAME_MAX + 2];
        int r;
        if (++e->lookups > SPF_LOOKUPS_MAX)
            return say(e, SPF_PERMERROR, "more than 10 DNS lookups%s", NULL);
        if (spf_expand(e->r, dom, redirect, redirlen, tgt, sizeof tgt) == -1)
            return say(e, SPF_PERMERROR, "bad redirect at %s", dom);
        r = check_host(e, tgt, depth + 1);
        return r == SPF_NONE ? SPF_PERMERROR : r;
    }
    return say(e, SPF_NEUTRAL, "no term matched at %s", dom);
}

int
spf_check(const struct spf_dns *d, const struct spf_req *r,
    const char *domain, char *why, size_t whylen)
{
    static struct dns_answer ans;
    struct eval e;

    memset(&e, 0, sizeof e);
    e.d = d;
    e.r = r;
    e.ans = &ans;
    e.why = why;
    e.whylen = whylen;
    why[0] = 0;
    if (inet_pton(AF_INET, r->ip, e.ip) == 1)
        e.family = AF_INET;
    else if (inet_pton(AF_INET6, r->ip, e.ip) == 1)
        e.family = AF_INET6;
    else
        return say(&e, SPF_PERMERROR, "not an address: %s", r->ip);
    /* An IPv4-mapped IPv6 client is an IPv4 client (section 5). */
    if (e.family == AF_INET6 && memcmp(e.ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff",
                                    12) == 0) {
        memmove(e.ip, e.ip + 12, 4);
        e.family = AF_INET;
    }
    return check_host(&e, domain, 0);
}
