/* str.c - growable byte strings with a cap (see str.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

int
str_ready(struct str *s, size_t n)
{
    size_t max = s->max ? s->max : STR_MAX, want, cap;
    char *p;

    if (s->err)
        return -1;
    if (n > max || s->len > max - n) {
        s->err = ERANGE;
        return -1;
    }
    want = s->len + n + 1;
    if (want <= s->cap)
        return 0;
    cap = s->cap ? s->cap : 64;
    while (cap < want)
        cap = cap > max / 2 ? max + 1 : cap * 2;
    p = realloc(s->s, cap);
    if (p == NULL) {
        s->err = ENOMEM;
        return -1;
    }
    s->s = p;
    s->cap = cap;
    return 0;
}

int
str_put(struct str *s, const void *p, size_t n)
{
    if (str_ready(s, n) == -1)
        return -1;
    if (n > 0)
        memcpy(s->s + s->len, p, n);
    s->len += n;
    s->s[s->len] = 0;
    return 0;
}

int
str_puts(struct str *s, const char *p)
{
    return str_put(s, p, strlen(p));
}

int
str_putc(struct str *s, char c)
{
    return str_put(s, &c, 1);
}

int
str_printf(struct str *s, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (s->err)
        return -1;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        s->err = EINVAL;
        return -1;
    }
    if (str_ready(s, (size_t)n) == -1)
        return -1;
    va_start(ap, fmt);
    vsnprintf(s->s + s->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->len += (size_t)n;
    return 0;
}

int
str_putu(struct str *s, unsigned long long u)
{
    char d[24];
    size_t i = sizeof d;

    do {
        d[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    return str_put(s, d + i, sizeof d - i);
}

void
str_reset(struct str *s)
{
    s->len = 0;
    s->err = 0;
    if (s->s)
        s->s[0] = 0;
}

void
str_free(struct str *s)
{
    if (s->s) {
        explicit_bzero(s->s, s->cap);
        free(s->s);
    }
    s->s = NULL;
    s->len = s->cap = 0;
    s->err = 0;
}

int
str_imap(struct str *s, const void *v, size_t n)
{
    const unsigned char *p = v;
    size_t i;
    int quote = n < STR_QUOTED_MAX;

    if (p == NULL)
        return str_put(s, "NIL", 3);
    for (i = 0; i < n && quote; i++)
        if (p[i] == 0 || p[i] == '\r' || p[i] == '\n' || p[i] >= 0x80)
            quote = 0;
    if (!quote) {
        str_printf(s, "{%zu}\r\n", n);
        return str_put(s, p, n);
    }
    str_putc(s, '"');
    for (i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\\')
            str_putc(s, '\\');
        str_putc(s, (char)p[i]);
    }
    return str_putc(s, '"');
}
