/* pwhash.c - checking a password against a stored hash (see pwhash.h). */
#include <bearssl.h>
#include <crypt.h>
#include <errno.h>
#include <string.h>

#include "pwhash.h"

/* A yescrypt hash at libxcrypt's default cost of a password nobody has. */
static const char dummy[] =
    "$y$j9T$HTZk5D2nseCXr5TzhxAZn/$VNTttbavFzviKMFKqfyu97Cqa5es4XQniguyklDVZy2";

static int
crypt_scheme(const char *h)
{
    return strncmp(h, "$y$", 3) == 0 || strncmp(h, "$6$", 3) == 0
        || strncmp(h, "$5$", 3) == 0 || strncmp(h, "$2b$", 4) == 0
        || strncmp(h, "$2y$", 4) == 0 || strncmp(h, "$2a$", 4) == 0;
}

/* crypt of pw against setting h; 1, 0 or -1.  crypt_rn, not crypt_r:
 * the same libxcrypt function, but the sanitizers' crypt_r interceptor
 * does not find libxcrypt's and crashes (make check-san). */
static int
crypt_check(const char *h, const char *pw, size_t n)
{
    static struct crypt_data cd;
    char buf[PWHASH_PASSWORD_MAX + 1];
    const char *r;
    size_t i, hl = strlen(h);
    unsigned char diff = 0;

    if (n > PWHASH_PASSWORD_MAX)
        return 0;
    memcpy(buf, pw, n);
    buf[n] = 0;
    memset(&cd, 0, sizeof cd);
    r = crypt_rn(buf, h, &cd, (int)sizeof cd);
    explicit_bzero(buf, sizeof buf);
    if (r == NULL) {
        explicit_bzero(&cd, sizeof cd);
        return errno == ENOMEM ? -1 : 0;
    }
    if (strlen(r) != hl) {
        explicit_bzero(&cd, sizeof cd);
        return 0;
    }
    for (i = 0; i < hl; i++)
        diff |= (unsigned char)(r[i] ^ h[i]);
    explicit_bzero(&cd, sizeof cd);
    return diff == 0;
}

static int
md5_check(const char *hex, const char *pw, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    br_md5_context c;
    unsigned char d[16];
    unsigned char diff = 0;
    size_t i;

    if (strlen(hex) != 32)
        return 0;
    br_md5_init(&c);
    br_md5_update(&c, pw, n);
    br_md5_out(&c, d);
    for (i = 0; i < 16; i++) {
        char hi = hex[2 * i], lo = hex[2 * i + 1];
        if (hi >= 'A' && hi <= 'F')
            hi = (char)(hi + 32);
        if (lo >= 'A' && lo <= 'F')
            lo = (char)(lo + 32);
        diff |= (unsigned char)(hi ^ digits[d[i] >> 4]);
        diff |= (unsigned char)(lo ^ digits[d[i] & 15]);
    }
    explicit_bzero(&c, sizeof c);
    explicit_bzero(d, sizeof d);
    return diff == 0;
}

int
pwhash_verify(const char *hash, const char *pw, size_t n)
{
    if (memchr(pw, 0, n) != NULL)
        return 0;
    if (crypt_scheme(hash))
        return crypt_check(hash, pw, n);
    if (strncmp(hash, PWHASH_PLAIN_MD5, strlen(PWHASH_PLAIN_MD5)) == 0)
        return md5_check(hash + strlen(PWHASH_PLAIN_MD5), pw, n);
    return 0;
}

void
pwhash_dummy(const char *pw, size_t n)
{
    (void)crypt_check(dummy, pw, n);
}

int
pwhash_weak(const char *hash)
{
    return !crypt_scheme(hash);
}
