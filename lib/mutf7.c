/* mutf7.c - modified UTF-7 mailbox names and their Maildir++ directories
 * (see mutf7.h).
 *
 * Both conversions run to the end of the input even when out is full,
 * counting what they would write, so a bad input is EINVAL whatever the
 * size of out and ERANGE means only "valid, but out is too short".
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "imap.h"
#include "base64.h"
#include "mutf7.h"

/* RFC 3501 5.1.3: RFC 2045 base64 with "," for "/", no "=" padding. */
static const char mb64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* The IMAP hierarchy separator, and so the Maildir++ level separator. */
#define MUTF7_SEP '.'

/* mutf7_folder_name decodes a directory name into IMAP_MAILBOX_MAX. */
_Static_assert(MUTF7_DECODED_MAX(MUTF7_DIRNAME_MAX) <= IMAP_MAILBOX_MAX,
    "a folder directory name decodes to a mailbox name");

/* Modified base64 (RFC 3501 5.1.3): "," where base64 has "/". */
static int
mb64_value(unsigned char c)
{
    if (c == ',')
        return 63;
    return c == '/' ? -1 : base64_value(c);
}

/* One byte to out at *o if it fits (keeping room for the NUL); *o counts
 * on regardless so the caller learns the length needed. */
static void
put(char *out, size_t outlen, size_t *o, unsigned char c)
{
    if (*o + 1 < outlen)
        out[*o] = (char)c;
    (*o)++;
}

/* NUL-terminate and return the length, or ERANGE if it did not fit. */
static long
finish(char *out, size_t outlen, size_t o)
{
    if (o >= outlen) {
        if (outlen > 0)
            out[outlen - 1] = 0;
        errno = ERANGE;
        return -1;
    }
    out[o] = 0;
    return (long)o;
}

static void
put_utf8(char *out, size_t outlen, size_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        put(out, outlen, o, (unsigned char)cp);
    } else if (cp < 0x800) {
        put(out, outlen, o, (unsigned char)(0xc0 | cp >> 6));
        put(out, outlen, o, (unsigned char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        put(out, outlen, o, (unsigned char)(0xe0 | cp >> 12));
        put(out, outlen, o, (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
        put(out, outlen, o, (unsigned char)(0x80 | (cp & 0x3f)));
    } else {
        put(out, outlen, o, (unsigned char)(0xf0 | cp >> 18));
        put(out, outlen, o, (unsigned char)(0x80 | (cp >> 12 & 0x3f)));
        put(out, outlen, o, (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
        put(out, outlen, o, (unsigned char)(0x80 | (cp & 0x3f)));
    }
}

/*
 * The code point of the UTF-8 sequence at p[*i] (*i < n), advancing *i;
 * -1 if it is not well formed (RFC 3629 section 4).  Checking the value
 * against the least one of its length catches overlong forms.
 */
static long
utf8_next(const unsigned char *p, size_t n, size_t *i)
{
    static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    unsigned char c = p[*i];
    uint32_t cp;
    size_t len, k;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xc0 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return -1;
    }
    if (n - *i < len)
        return -1;
    for (k = 1; k < len; k++) {
        c = p[*i + k];
        if ((c & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (c & 0x3f);
    }
    if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *i += len;
    return (long)cp;
}

int
mutf7_valid_utf8(const char *in, size_t n)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0;

    while (i < n)
        if (utf8_next(p, n, &i) < 0)
            return 0;
    return 1;
}

long
mutf7_decode(char *out, size_t outlen, const char *in, size_t n)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0, o = 0;
    int afterrun = 0; /* the last thing read was a non-empty run */

    if (n > MUTF7_IN_MAX)
        goto inval;
    while (i < n) {
        uint32_t bits = 0, high = 0;
        unsigned int nbits = 0;
        unsigned char c = p[i++];

        if (c < 0x20 || c > 0x7e)
            goto inval;
        if (c != '&') {
            put(out, outlen, &o, c);
            afterrun = 0;
            continue;
        }
        if (i < n && p[i] == '-') {
            put(out, outlen, &o, '&');
            i++;
            afterrun = 0;
            continue;
        }
        /* Two runs side by side are one run spelt twice. */
        if (afterrun)
            goto inval;
        for (;;) {
            int v;
            if (i >= n)
                goto inval; /* no closing "-" */
            c = p[i++];
            if (c == '-')
                break;
            if ((v = mb64_value(c)) < 0)
                goto inval;
            /* At most 15 bits wait, plus these 6: bits stays < 2^21. */
            bits = bits << 6 | (uint32_t)v;
            nbits += 6;
            if (nbits >= 16) {
                uint32_t u;
                nbits -= 16;
                u = bits >> nbits;
                bits &= (1u << nbits) - 1;
                if (high != 0) {
                    if (u < 0xdc00 || u > 0xdfff)
                        goto inval;
                    put_utf8(out, outlen, &o,
                        0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00));
                    high = 0;
                } else if (u >= 0xd800 && u <= 0xdbff) {
                    high = u;
                } else if (u >= 0xdc00 && u <= 0xdfff) {
                    goto inval;
                } else if (u < 0x80) {
                    /* Printable ASCII stands for itself; controls are
                     * not in mailbox names. */
                    goto inval;
                } else {
                    put_utf8(out, outlen, &o, u);
                }
            }
        }
        /* The run ends on a whole UTF-16 unit: fewer than 6 bits left
         * over, all zero ("&AMk-" has 18 bits, 2 of them padding; "&-"
         * is taken above, so this run is not empty). */
        if (high != 0 || nbits >= 6 || bits != 0)
            goto inval;
        afterrun = 1;
    }
    return finish(out, outlen, o);

inval:
    if (outlen > 0)
        out[0] = 0;
    errno = EINVAL;
    return -1;
}

/* Append one UTF-16 unit to the base64 bit stream, writing whole
 * characters. */
static void
put_unit(char *out, size_t outlen, size_t *o, uint32_t *bits,
    unsigned int *nbits, uint32_t u)
{
    /* At most 4 bits wait, plus these 16: bits stays < 2^20. */
    *bits = *bits << 16 | u;
    *nbits += 16;
    while (*nbits >= 6) {
        *nbits -= 6;
        put(out, outlen, o, (unsigned char)mb64[*bits >> *nbits & 63]);
    }
    *bits &= (1u << *nbits) - 1;
}

long
mutf7_encode(char *out, size_t outlen, const char *in, size_t n)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0, o = 0;

    if (n > MUTF7_IN_MAX)
        goto inval;
    while (i < n) {
        uint32_t bits = 0;
        unsigned int nbits = 0;
        unsigned char c = p[i];

        if (c >= 0x20 && c <= 0x7e) {
            put(out, outlen, &o, c);
            if (c == '&')
                put(out, outlen, &o, '-');
            i++;
            continue;
        }
        if (c < 0x80)
            goto inval; /* a control character */
        /* One run for all the non-ASCII characters in a row. */
        put(out, outlen, &o, '&');
        while (i < n && p[i] >= 0x80) {
            long cp = utf8_next(p, n, &i);
            if (cp < 0)
                goto inval;
            if (cp >= 0x10000) {
                cp -= 0x10000;
                put_unit(out, outlen, &o, &bits, &nbits,
                    0xd800 + ((uint32_t)cp >> 10));
                put_unit(out, outlen, &o, &bits, &nbits,
                    0xdc00 + ((uint32_t)cp & 0x3ff));
            } else {
                put_unit(out, outlen, &o, &bits, &nbits, (uint32_t)cp);
            }
        }
        if (nbits > 0)
            put(out, outlen, &o, (unsigned char)mb64[bits << (6 - nbits)
                & 63]);
        put(out, outlen, &o, '-');
    }
    return finish(out, outlen, o);

inval:
    if (outlen > 0)
        out[0] = 0;
    errno = EINVAL;
    return -1;
}

/* ASCII case-insensitive comparison of n bytes at a with the upper-case
 * string b of length n. */
static int
same_upper(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (c != (unsigned char)b[i])
            return 0;
    }
    return 1;
}

/*
 * 1 if the UTF-8 name (n bytes) is safe as a folder: the checks listed
 * at mutf7_folder_dir, except UTF-8 and control characters, which the
 * conversions check.  With "." as separator and no empty level, no level
 * can be "." or "..", and the directory "." + name is never ".", "..",
 * "cur", "new" or "tmp".
 */
static int
folder_ok(const char *name, size_t n)
{
    size_t i, level = 0; /* where the current level starts */

    if (n == 0 || n > IMAP_MAILBOX_MAX)
        return 0;
    if (memchr(name, '/', n) != NULL)
        return 0;
    for (i = 0; i <= n; i++) {
        if (i < n && name[i] != MUTF7_SEP)
            continue;
        if (i == level)
            return 0; /* empty level */
        if (level == 0 && i == 5 && same_upper(name, "INBOX", 5)
            && (i == n || memcmp(name, "INBOX", 5) != 0))
            return 0; /* INBOX itself, or "inbox.x" */
        level = i + 1;
    }
    return 1;
}

int
mutf7_folder_dir(char *out, size_t outlen, const char *utf8name, size_t n)
{
    char dir[MUTF7_DIRNAME_MAX + 1];
    long len;

    if (!folder_ok(utf8name, n)) {
        errno = EINVAL;
        return -1;
    }
    dir[0] = '.';
    len = mutf7_encode(dir + 1, sizeof dir - 1, utf8name, n);
    if (len == -1) {
        if (errno == ERANGE)
            errno = ENAMETOOLONG;
        return -1;
    }
    len++; /* the "." */
    if ((size_t)len >= outlen) {
        errno = ERANGE;
        return -1;
    }
    memcpy(out, dir, (size_t)len + 1);
    return (int)len;
}

long
mutf7_folder_name(char *out, size_t outlen, const char *dirname, size_t n)
{
    /* MUTF7_DIRNAME_MAX bytes decode to less than this. */
    char name[IMAP_MAILBOX_MAX + 1];
    long len;

    if (n < 2 || n > MUTF7_DIRNAME_MAX || dirname[0] != '.') {
        errno = EINVAL;
        return -1;
    }
    len = mutf7_decode(name, sizeof name, dirname + 1, n - 1);
    if (len == -1) {
        errno = EINVAL; /* ERANGE cannot happen; refuse it anyway */
        return -1;
    }
    if (!folder_ok(name, (size_t)len)) {
        errno = EINVAL;
        return -1;
    }
    if ((size_t)len >= outlen) {
        errno = ERANGE;
        return -1;
    }
    memcpy(out, name, (size_t)len + 1);
    return len;
}
