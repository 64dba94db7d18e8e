/* addr.c - envelope address grammar (see addr.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "dnsname.h"

/* RFC 5322 atext, plus UTF-8 bytes (RFC 6531 atext extension). */
static int
atext(unsigned char c)
{
    if (c >= 0x80)
        return 1;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9'))
        return 1;
    return strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL && c != 0;
}

/* Well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static int
utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t k;
        unsigned long cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i - 1 < k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000)
            || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

static int
dot_string(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return 0;
        } else if (!atext((unsigned char)s[i])) {
            return 0;
        }
    }
    return utf8_ok((const unsigned char *)s, n);
}

/* Quoted-string: "..." with qtext and \-pairs, printable ASCII only.
 * Writes the unquoted content to out (cap outlen) and its length. */
static int
quoted_string(const char *s, size_t n, char *out, size_t outlen,
    size_t *olen)
{
    size_t i, o = 0;

    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return 0;
    for (i = 1; i < n - 1; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            if (++i >= n - 1)
                return 0;
            c = (unsigned char)s[i];
        } else if (c == '"') {
            return 0;
        }
        if (c < 0x20 || c > 0x7e)
            return 0;
        if (o + 1 >= outlen)
            return 0;
        out[o++] = (char)c;
    }
    out[o] = 0;
    *olen = o;
    return 1;
}

static int
literal_ok(const char *s, size_t n)
{
    char buf[64];
    unsigned char a[16];

    if (n < 3 || s[0] != '[' || s[n - 1] != ']' || n - 2 >= sizeof buf)
        return 0;
    memcpy(buf, s + 1, n - 2);
    buf[n - 2] = 0;
    if (strncasecmp(buf, "IPv6:", 5) == 0)
        return inet_pton(AF_INET6, buf + 5, a) == 1;
    return inet_pton(AF_INET, buf, a) == 1;
}

int
addr_parse(const char *s, size_t n, int allow_null, struct addr *a)
{
    char raw[ADDR_LOCAL_MAX + 1];
    size_t at, ll, dl, i, o;

    memset(a, 0, sizeof *a);
    if (n == 0) {
        if (allow_null)
            return 0;
        errno = EINVAL;
        return -1;
    }
    if (n > ADDR_MAX) {
        errno = E2BIG;
        return -1;
    }
    if (memchr(s, 0, n) != NULL)
        goto bad;
    /* The domain follows the last '@' (a quoted local part may hold '@'). */
    for (at = n; at > 0 && s[at - 1] != '@'; at--)
        ;
    if (at == 0)
        goto bad;
    at--;
    ll = at;
    dl = n - at - 1;
    if (ll == 0 || dl == 0)
        goto bad;
    if (s[0] == '"') {
        size_t ul;
        if (!quoted_string(s, ll, raw, sizeof raw, &ul) || ul == 0)
            goto bad;
        /* Canonical: unquoted if it is a plain dot-string, else quoted
         * with the minimal escapes. */
        if (dot_string(raw, ul)) {
            memcpy(a->local, raw, ul + 1);
        } else {
            o = 0;
            a->local[o++] = '"';
            for (i = 0; i < ul; i++) {
                if (raw[i] == '"' || raw[i] == '\\')
                    a->local[o++] = '\\';
                a->local[o++] = raw[i];
            }
            a->local[o++] = '"';
            a->local[o] = 0;
        }
        if (ul > ADDR_LOCAL_MAX) {
            errno = E2BIG;
            return -1;
        }
    } else {
        if (ll > ADDR_LOCAL_MAX) {
            errno = E2BIG;
            return -1;
        }
        if (!dot_string(s, ll))
            goto bad;
        memcpy(a->local, s, ll);
        a->local[ll] = 0;
    }
    if (s[at + 1] == '[') {
        if (!literal_ok(s + at + 1, dl))
            goto bad;
        memcpy(a->domain, s + at + 1, dl);
        a->domain[dl] = 0;
        for (i = 0; i < dl; i++)
            if (a->domain[i] >= 'A' && a->domain[i] <= 'Z')
                a->domain[i] = (char)(a->domain[i] - 'A' + 'a');
        if (strncmp(a->domain, "[ipv6:", 6) == 0)
            memcpy(a->domain, "[IPv6:", 6); /* the tag as RFC 5321 spells it */
    } else if (dnsname_canon(a->domain, sizeof a->domain, s + at + 1, dl)
        == -1) {
        goto bad;
    }
    if (strlen(a->local) + 1 + strlen(a->domain) > ADDR_MAX) {
        errno = E2BIG;
        return -1;
    }
    memcpy(a->full, a->local, strlen(a->local));
    a->full[strlen(a->local)] = '@';
    memcpy(a->full + strlen(a->local) + 1, a->domain,
        strlen(a->domain) + 1);
    return 0;
bad:
    memset(a, 0, sizeof *a);
    errno = EINVAL;
    return -1;
}

int
addr_is_literal(const struct addr *a)
{
    return a->domain[0] == '[';
}
