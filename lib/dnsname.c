/* dnsname.c - host name grammar (see dnsname.h). */
#include <errno.h>
#include <string.h>

#include "dnsname.h"
#include "limits.h"

static int
ldh(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9') || c == '-';
}

int
dnsname_valid(const char *s, size_t n)
{
    size_t i, label = 0;

    if (n == 0 || n > DNSNAME_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!ldh(c))
            return 0;
        if (label == 0 && c == '-')
            return 0;
        if (++label > DNSLABEL_MAX)
            return 0;
    }
    return label > 0 && s[n - 1] != '-';
}

int
dnsname_canon(char *out, size_t outlen, const char *s, size_t n)
{
    size_t i;

    if (n > 1 && s[n - 1] == '.')
        n--;
    if (!dnsname_valid(s, n) || n >= outlen) {
        errno = EINVAL;
        return -1;
    }
    for (i = 0; i < n; i++) {
        char c = s[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = 0;
    return 0;
}
