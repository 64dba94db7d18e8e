/* pwline.c - one line of an Exim or Dovecot password file (see pwline.h). */
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "pwhash.h"
#include "pwline.h"

#define MD5_LEN 16
#define MD5_HEX_LEN (2 * MD5_LEN)
#define SHACRYPT_SALT_MAX 16 /* sha-crypt: the salt is cut at 16 */
#define SHACRYPT_ROUNDS_DIGITS_MAX 9 /* rounds at most 999999999 */
#define SHA256_CRYPT_LEN 43
#define SHA512_CRYPT_LEN 86
#define BCRYPT_LEN 53 /* 22 of salt, 31 of hash */
#define BCRYPT_COST_MIN 4 /* libxcrypt's range */
#define BCRYPT_COST_MAX 31
#define YESCRYPT_LEN 43

enum scheme { S_CRYPT, S_SHA512, S_SHA256, S_BLF, S_MD5, S_BAD };

static const struct {
    const char *name;
    enum scheme s;
} schemes[] = {
    { "CRYPT", S_CRYPT }, { "SHA512-CRYPT", S_SHA512 },
    { "SHA256-CRYPT", S_SHA256 }, { "BLF-CRYPT", S_BLF },
    { "PLAIN-MD5", S_MD5 }, { "LDAP-MD5", S_MD5 },
};

static const char unsupported[] = "unsupported scheme (clear text, "
    "CRAM-MD5, salted SHA, ...): only SHA512-CRYPT, SHA256-CRYPT, "
    "BLF-CRYPT, CRYPT and PLAIN-MD5 hashes can be imported";

/* The crypt alphabet, [./0-9A-Za-z]: how many of the n bytes at s are in
 * it, from the start. */
static size_t
span64(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || c == '.' || c == '/'))
            break;
    }
    return i;
}

static size_t
span_digits(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* At h + *i: `len` crypt characters (0: one or more) and then '$' (or the
 * end, when last).  Advances *i; 1 when they are there. */
static int
field64(const char *h, size_t n, size_t *i, size_t min, size_t max, int last)
{
    size_t k = span64(h + *i, n - *i);

    if (k < min || k > max)
        return 0;
    *i += k;
    if (last)
        return *i == n;
    if (*i == n || h[*i] != '$')
        return 0;
    (*i)++;
    return 1;
}

/* $5$ / $6$ [rounds=N$] salt $ hash: sha-crypt. */
static int
shacrypt_shape(const char *h, size_t n, size_t hashlen)
{
    size_t i = 3, k;

    if (n - i > 7 && memcmp(h + i, "rounds=", 7) == 0) {
        i += 7;
        k = span_digits(h + i, n - i);
        if (k == 0 || k > SHACRYPT_ROUNDS_DIGITS_MAX)
            return 0;
        i += k;
        if (i == n || h[i++] != '$')
            return 0;
    }
    return field64(h, n, &i, 0, SHACRYPT_SALT_MAX, 0)
        && field64(h, n, &i, hashlen, hashlen, 1);
}

/* $2a$ / $2b$ / $2y$ cost $ salt-and-hash: bcrypt. */
static int
bcrypt_shape(const char *h, size_t n)
{
    size_t i = 4;
    int cost;

    if (n < 4 || memcmp(h, "$2", 2) != 0
        || (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') || h[3] != '$')
        return 0;
    if (n - i < 3 || span_digits(h + i, 2) != 2 || h[i + 2] != '$')
        return 0;
    cost = (h[i] - '0') * 10 + (h[i + 1] - '0');
    if (cost < BCRYPT_COST_MIN || cost > BCRYPT_COST_MAX)
        return 0;
    i += 3;
    return field64(h, n, &i, BCRYPT_LEN, BCRYPT_LEN, 1);
}

/* $y$ params $ salt $ hash: yescrypt. */
static int
yescrypt_shape(const char *h, size_t n)
{
    size_t i = 3;

    return field64(h, n, &i, 1, n, 0) && field64(h, n, &i, 1, n, 0)
        && field64(h, n, &i, YESCRYPT_LEN, YESCRYPT_LEN, 1);
}

static int
prefix(const char *h, size_t n, const char *p)
{
    size_t k = strlen(p);

    return n >= k && memcmp(h, p, k) == 0;
}

/* A crypt string that the scheme s allows and checkpassword verifies:
 * NULL, or why not. */
static const char *
crypt_check(enum scheme s, const char *h, size_t n)
{
    if (prefix(h, n, "$6$") && (s == S_CRYPT || s == S_SHA512))
        return shacrypt_shape(h, n, SHA512_CRYPT_LEN) ? NULL
            : "not a well-formed sha512-crypt ($6$) hash";
    if (prefix(h, n, "$5$") && (s == S_CRYPT || s == S_SHA256))
        return shacrypt_shape(h, n, SHA256_CRYPT_LEN) ? NULL
            : "not a well-formed sha256-crypt ($5$) hash";
    if (prefix(h, n, "$2") && (s == S_CRYPT || s == S_BLF))
        return bcrypt_shape(h, n) ? NULL
            : "not a well-formed bcrypt ($2b$, $2y$, $2a$) hash";
    if (prefix(h, n, "$y$") && s == S_CRYPT)
        return yescrypt_shape(h, n) ? NULL
            : "not a well-formed yescrypt ($y$) hash";
    if (s == S_SHA512)
        return "{SHA512-CRYPT} but not a $6$ hash";
    if (s == S_SHA256)
        return "{SHA256-CRYPT} but not a $5$ hash";
    if (s == S_BLF)
        return "{BLF-CRYPT} but not a $2b$, $2y$ or $2a$ hash";
    if (h[0] == '*' || h[0] == '!')
        return "no usable hash (a disabled account: '*' or '!')";
    if (prefix(h, n, "$1$"))
        return "md5-crypt ($1$): checkpassword cannot verify it; give "
               "the user a new password (facteur user add)";
    if (n == 13 && span64(h, n) == n)
        return "DES crypt: checkpassword cannot verify it; give the user "
               "a new password (facteur user add)";
    return "not a hash checkpassword verifies (yescrypt $y$, sha512-crypt "
           "$6$, sha256-crypt $5$, bcrypt $2b$, {PLAIN-MD5})";
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int
is_md5_hex(const char *h, size_t n)
{
    size_t i;

    if (n != MD5_HEX_LEN)
        return 0;
    for (i = 0; i < n; i++)
        if (hexval(h[i]) == -1)
            return 0;
    return 1;
}

/* MD5(password) as hex (enc 'h'), base64 ('b') or either (0), to
 * {PLAIN-MD5}<lowercase hex> in out. */
static const char *
md5_norm(const char *h, size_t n, char enc, char *out)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char d[MD5_LEN + 2];
    size_t i, pl = strlen(PWHASH_PLAIN_MD5);

    if (enc != 'b' && is_md5_hex(h, n)) {
        for (i = 0; i < MD5_LEN; i++)
            d[i] = (unsigned char)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
    } else if (enc == 'h' || base64_decode(d, sizeof d, h, n) != MD5_LEN) {
        explicit_bzero(d, sizeof d);
        return "{PLAIN-MD5} but neither 32 hex digits nor the base64 of "
               "16 bytes";
    }
    memcpy(out, PWHASH_PLAIN_MD5, pl);
    for (i = 0; i < MD5_LEN; i++) {
        out[pl + 2 * i] = digits[d[i] >> 4];
        out[pl + 2 * i + 1] = digits[d[i] & 15];
    }
    out[pl + MD5_HEX_LEN] = 0;
    explicit_bzero(d, sizeof d);
    return NULL;
}

/* "{NAME[.ENC]}" at h: the scheme, its encoding ('h', 'b' or 0) and the
 * length of the prefix in *skip. */
static enum scheme
scheme_of(const char *h, size_t n, char *enc, size_t *skip, const char **why)
{
    const char *close = memchr(h, '}', n), *dot;
    size_t i, len;

    *enc = 0;
    if (close == NULL) {
        *why = "'{' without '}' after the scheme";
        return S_BAD;
    }
    *skip = (size_t)(close - h) + 1;
    len = (size_t)(close - h) - 1;
    dot = memchr(h + 1, '.', len);
    if (dot != NULL) {
        const char *e = dot + 1;
        size_t el = (size_t)(close - e);
        if (el == 3 && strncasecmp(e, "HEX", 3) == 0)
            *enc = 'h';
        else if ((el == 3 && strncasecmp(e, "B64", 3) == 0)
            || (el == 6 && strncasecmp(e, "BASE64", 6) == 0))
            *enc = 'b';
        else {
            *why = "unknown encoding after the scheme (.HEX or .B64)";
            return S_BAD;
        }
        len = (size_t)(dot - h) - 1;
    }
    for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strlen(schemes[i].name) == len
            && strncasecmp(h + 1, schemes[i].name, len) == 0) {
            if (*enc != 0 && schemes[i].s != S_MD5) {
                *why = "an encoding suffix on a crypt scheme";
                return S_BAD;
            }
            return schemes[i].s;
        }
    *why = unsupported;
    return S_BAD;
}

/* The hash field (n bytes at h, blanks trimmed) to what users stores. */
static const char *
hash_norm(enum pwline_format f, const char *h, size_t n, char *out)
{
    enum scheme s = S_CRYPT;
    const char *why = NULL;
    size_t i, skip = 0;
    char enc = 0;

    if (n == 0)
        return "no password hash";
    for (i = 0; i < n; i++)
        if ((unsigned char)h[i] <= ' ' || (unsigned char)h[i] >= 0x7f)
            return "a blank, control or non-ASCII byte in the hash";
    if (h[0] == '{') {
        s = scheme_of(h, n, &enc, &skip, &why);
        if (s == S_BAD)
            return why;
        h += skip;
        n -= skip;
        if (n == 0)
            return "no hash after the scheme";
    } else if (f == PWLINE_EXIM && is_md5_hex(h, n)) {
        s = S_MD5; /* ${md5:password} */
    }
    if (s == S_MD5)
        return md5_norm(h, n, enc, out);
    if (n > PWLINE_HASH_MAX)
        return "a hash longer than 383 bytes";
    why = crypt_check(s, h, n);
    if (why != NULL)
        return why;
    memcpy(out, h, n);
    out[n] = 0;
    return NULL;
}

/* The user field (n bytes at u) to a canonical address in out. */
static const char *
user_norm(const char *u, size_t n, const char *domain, char *out)
{
    char full[ADDR_MAX + 2];
    struct addr a;
    size_t dl;

    if (n == 0)
        return "no user before the ':'";
    if (memchr(u, '@', n) == NULL) {
        if (domain == NULL)
            return "a user name without @domain (give --domain)";
        dl = strlen(domain);
        if (n + 1 + dl >= sizeof full)
            return "not an address: too long";
        memcpy(full, u, n);
        full[n] = '@';
        memcpy(full + n + 1, domain, dl);
        u = full;
        n += 1 + dl;
    }
    if (addr_parse(u, n, 0, &a) == -1)
        return "not an address";
    if (a.full[0] == '#') /* "#x"@d is #x@d, which users reads as a comment */
        return "an address starting with '#' (the users table would read "
               "it as a comment)";
    memcpy(out, a.full, strlen(a.full) + 1);
    return NULL;
}

int
pwline_parse(enum pwline_format f, const char *domain, const char *line,
    size_t n, struct pwline *out, const char **why)
{
    const char *sep, *h, *e;

    out->addr[0] = out->hash[0] = 0;
    if (memchr(line, 0, n) != NULL) {
        *why = "a NUL byte";
        return -1;
    }
    if (n > 0 && line[n - 1] == '\r')
        n--;
    for (e = line; e < line + n && (*e == ' ' || *e == '\t'); e++)
        ;
    if (e == line + n || *e == '#')
        return 0;
    if (e != line) {
        *why = "starts with white space (an Exim continuation line?)";
        return -1;
    }
    sep = memchr(line, ':', n);
    if (sep == NULL) {
        *why = "no ':' after the user";
        return -1;
    }
    for (e = sep; e > line && (e[-1] == ' ' || e[-1] == '\t'); e--)
        ;
    *why = user_norm(line, (size_t)(e - line), domain, out->addr);
    if (*why != NULL)
        return -1;
    /* The hash: up to the next ':' (the rest is ignored), blanks trimmed. */
    h = sep + 1;
    e = memchr(h, ':', (size_t)(line + n - h));
    if (e == NULL)
        e = line + n;
    while (h < e && (*h == ' ' || *h == '\t'))
        h++;
    while (e > h && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *why = hash_norm(f, h, (size_t)(e - h), out->hash);
    return *why == NULL ? 1 : -1;
}
