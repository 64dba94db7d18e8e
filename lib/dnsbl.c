/* dnsbl.c - DNS blocklists (RFC 5782).  See dnsbl.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsbl.h"
#include "dnsname.h"
#include "log.h"

/* The file is read whole: DNSBL_ZONES_MAX lines and comments fit. */
#define DNSBL_FILE_MAX 16384

int
dnsbl_parse(const char *line, size_t len, struct dnsbl_zone *z)
{
    const char *eq;
    char ip[INET_ADDRSTRLEN];
    size_t zl;

    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'
                          || line[len - 1] == '\r'))
        len--;
    while (len > 0 && (*line == ' ' || *line == '\t'))
        line++, len--;
    if (len == 0 || *line == '#')
        return 0;
    memset(z, 0, sizeof *z);
    eq = memchr(line, '=', len);
    zl = eq != NULL ? (size_t)(eq - line) : len;
    if (zl > DNSBL_ZONE_MAX
        || dnsname_canon(z->name, sizeof z->name, line, zl) == -1)
        return -1;
    if (eq == NULL)
        return 1;
    /* An answer to match: one IPv4 address of 127.0.0.0/8. */
    eq++;
    if ((size_t)(line + len - eq) >= sizeof ip)
        return -1;
    memcpy(ip, eq, (size_t)(line + len - eq));
    ip[line + len - eq] = 0;
    if (inet_pton(AF_INET, ip, z->addr) != 1 || z->addr[0] != 127)
        return -1;
    z->match = 1;
    return 1;
}

int
dnsbl_load(const char *dir, struct dnsbl_zone *z, size_t max, size_t *n,
    unsigned *bad)
{
    char path[4096], *buf;
    size_t len = 0, at, e;
    unsigned lineno = 0;
    ssize_t r;
    int fd, rv = 0;

    *n = 0;
    *bad = 0;
    if ((size_t)snprintf(path, sizeof path, "%s/dnsbl", dir) >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return errno == ENOENT ? 0 : -1;
    if ((buf = malloc(DNSBL_FILE_MAX + 1)) == NULL) {
        close(fd);
        return -1;
    }
    while (len <= DNSBL_FILE_MAX
        && (r = read(fd, buf + len, DNSBL_FILE_MAX + 1 - len)) != 0) {
        if (r == -1) {
            if (errno == EINTR)
                continue;
            rv = -1;
            break;
        }
        len += (size_t)r;
    }
    close(fd);
    if (rv == 0 && len > DNSBL_FILE_MAX) {
        errno = E2BIG;
        rv = -1;
    }
    for (at = 0; rv == 0 && at < len; at = e + 1) {
        struct dnsbl_zone one;
        int p;
        const char *nl = memchr(buf + at, '\n', len - at);
        e = nl != NULL ? (size_t)(nl - buf) : len;
        lineno++;
        if (e - at > DNSBL_LINE_MAX) {
            *bad = lineno;
            errno = E2BIG;
            rv = -1;
        } else if ((p = dnsbl_parse(buf + at, e - at, &one)) == -1) {
            *bad = lineno;
            errno = EINVAL;
            rv = -1;
        } else if (p == 1 && *n == max) {
            *bad = lineno;
            errno = E2BIG;
            rv = -1;
        } else if (p == 1) {
            z[(*n)++] = one;
        }
    }
    free(buf);
    if (rv == -1)
        *n = 0;
    return rv;
}

int
dnsbl_qname(const char *ip, const char *zone, char *out, size_t outlen)
{
    unsigned char a[16];
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    int i, r;

    if (inet_pton(AF_INET, ip, a) == 1) {
        r = snprintf(out, outlen, "%u.%u.%u.%u.%s", a[3], a[2], a[1], a[0],
            zone);
        return r < 0 || (size_t)r >= outlen ? -1 : 0;
    }
    if (inet_pton(AF_INET6, ip, a) != 1)
        return -1;
    if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
        r = snprintf(out, outlen, "%u.%u.%u.%u.%s", a[15], a[14], a[13],
            a[12], zone);
        return r < 0 || (size_t)r >= outlen ? -1 : 0;
    }
    if (outlen < 64 + strlen(zone) + 1)
        return -1;
    for (i = 15; i >= 0; i--) {
        out[o++] = hex[a[i] & 15];
        out[o++] = '.';
        out[o++] = hex[a[i] >> 4];
        out[o++] = '.';
    }
    memcpy(out + o, zone, strlen(zone) + 1);
    return 0;
}

int
dnsbl_answer(const struct dns_answer *a, const struct dnsbl_zone *z)
{
    size_t i;
    int refused = 0;

    for (i = 0; i < a->n && i < DNS_ANSWERS_MAX; i++) {
        const unsigned char *x = a->u.a[i];
        if (x[0] != 127)
            continue; /* not a listing (RFC 5782 2.1): a wildcard, a typo */
        if (x[1] == 255 && x[2] == 255) {
            refused = 1;
            continue;
        }
        if (!z->match || memcmp(x, z->addr, 4) == 0)
            return 1;
    }
    return refused ? -1 : 0;
}

void
dnsbl_text(const char *txt, size_t len, char *out, size_t outlen)
{
    size_t i, n = len;

    if (outlen == 0)
        return;
    if (n > DNSBL_TEXT_MAX)
        n = DNSBL_TEXT_MAX;
    if (n > outlen - 1)
        n = outlen - 1;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)txt[i];
        out[i] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    out[n] = 0;
}

int
dnsbl_check(struct dns *d, const char *ip, const struct dnsbl_zone *z,
    size_t n, size_t *hit, char *text, size_t textlen)
{
    static struct dns_answer a; /* large (dns.h) */
    char q[DNSNAME_MAX + 1];
    size_t i;
    int r;

    if (textlen > 0)
        text[0] = 0;
    for (i = 0; i < n; i++) {
        if (dnsbl_qname(ip, z[i].name, q, sizeof q) == -1)
            return 0;
        r = dns_query(d, q, DNS_T_A, &a);
        if (r == DNS_TEMP) {
            log_warn("dnsbl zone=%s no answer for now: not taken as listed",
                z[i].name);
            continue;
        }
        if (r != DNS_OK)
            continue;
        r = dnsbl_answer(&a, &z[i]);
        if (r == -1)
            log_warn("dnsbl zone=%s refused the query (127.255.255.x): "
                     "not taken as listed", z[i].name);
        if (r != 1)
            continue;
        *hit = i;
        if (dns_query(d, q, DNS_T_TXT, &a) == DNS_OK && a.n > 0)
            dnsbl_text(a.txt[0], a.txtlen[0], text, textlen);
        return 1;
    }
    return 0;
}
