/* sasl.c - SMTP AUTH PLAIN and LOGIN responses (see sasl.h). */
#include <errno.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"

int
sasl_plain(const char *b64, size_t n, char *login, char *pw)
{
    /* authzid + authcid + passwd and two NULs */
    unsigned char raw[SASL_LOGIN_MAX * 2 + SASL_PASS_MAX + 3];
    const unsigned char *z, *c, *p, *end;
    long len;
    size_t zl, cl, pl;

    login[0] = pw[0] = 0;
    if (n > SASL_LINE_MAX)
        goto bad;
    len = base64_decode(raw, sizeof raw, b64, n);
    if (len <= 0)
        goto bad;
    end = raw + len;
    z = raw;
    c = memchr(z, 0, (size_t)(end - z));
    if (c == NULL)
        goto bad;
    zl = (size_t)(c - z);
    c++;
    p = memchr(c, 0, (size_t)(end - c));
    if (p == NULL)
        goto bad;
    cl = (size_t)(p - c);
    p++;
    pl = (size_t)(end - p);
    if (cl == 0 || cl > SASL_LOGIN_MAX || pl == 0 || pl > SASL_PASS_MAX
        || memchr(p, 0, pl) != NULL
        || (zl != 0 && (zl != cl || memcmp(z, c, cl) != 0)))
        goto bad;
    memcpy(login, c, cl);
    login[cl] = 0;
    memcpy(pw, p, pl);
    pw[pl] = 0;
    explicit_bzero(raw, sizeof raw);
    return 0;
bad:
    explicit_bzero(raw, sizeof raw);
    errno = EINVAL;
    return -1;
}

int
sasl_text(const char *b64, size_t n, char *out, size_t max)
{
    long len;

    out[0] = 0;
    if (n > SASL_LINE_MAX)
        goto bad;
    len = base64_decode(out, max, b64, n);
    if (len <= 0 || memchr(out, 0, (size_t)len) != NULL)
        goto bad;
    out[len] = 0;
    return 0;
bad:
    explicit_bzero(out, max + 1);
    errno = EINVAL;
    return -1;
}
