/* base64.c - strict RFC 4648 base64 (see base64.h). */
#include <errno.h>
#include <stdint.h>

#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long
base64_encode(char *out, size_t outlen, const void *in, size_t n)
{
    const unsigned char *p = in;
    size_t i, o = 0;

    if (n > BASE64_IN_MAX || outlen < BASE64_LEN(n) + 1) {
        errno = ERANGE;
        return -1;
    }
    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[o] = 0;
    return (long)o;
}

long
base64_decode(void *out, size_t outlen, const char *in, size_t n)
{
    unsigned char *o = out;
    size_t i, len = 0;

    if (n % 4 != 0 || n > BASE64_LEN(BASE64_IN_MAX)) {
        errno = EINVAL;
        return -1;
    }
    for (i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        size_t k;
        uint32_t w;
        for (k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)in[i + k];
            /* '=' only at the end: "xx==" or "xxx=". */
            if (c == '=' && i + 4 == n && k >= 2
                && (k == 3 || in[i + 3] == '=')) {
                v[k] = 0;
                pad++;
                continue;
            }
            v[k] = base64_value(c);
            if (v[k] < 0) {
                errno = EINVAL;
                return -1;
            }
        }
        w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6
            | (uint32_t)v[3];
        /* Canonical: the bits the padding leaves over must be zero. */
        if ((pad == 1 && (w & 0xff) != 0) || (pad == 2 && (w & 0xffff) != 0)) {
            errno = EINVAL;
            return -1;
        }
        if (outlen - len < (size_t)(3 - pad)) {
            errno = ERANGE;
            return -1;
        }
        o[len++] = (unsigned char)(w >> 16);
        if (pad < 2)
            o[len++] = (unsigned char)(w >> 8);
        if (pad < 1)
            o[len++] = (unsigned char)w;
    }
    return (long)len;
}
