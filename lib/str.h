/* str.h - a growable byte string for building replies, with a hard cap.
 *
 * For output whose size is not known in advance (an IMAP FETCH answer, a
 * BODYSTRUCTURE).  Every string has a maximum (STR_MAX unless the caller
 * sets s->max lower); an operation that would pass it, or a failed
 * allocation, sets s->err and makes every later operation a no-op, so a
 * caller builds a whole answer and checks s->err once.  s->s is always
 * NUL-terminated after a successful operation (the NUL is not counted).
 * A struct str starting as all zeros is an empty string with the default
 * maximum.
 */
#ifndef MAIL_STR_H
#define MAIL_STR_H

#include <stdarg.h>
#include <stddef.h>

/* The largest string: above any message facteur stores (the size limit's
 * default is 50 MB), below anything that could overflow a size_t sum. */
#define STR_MAX ((size_t)256 << 20)

struct str {
    char *s;
    size_t len;
    size_t cap;
    size_t max;  /* 0: STR_MAX */
    int err;     /* ENOMEM or ERANGE once something did not fit */
};

/** str_ready - make room for n more bytes (plus the NUL).  0 or -1. */
int str_ready(struct str *s, size_t n);
/** str_put - append n bytes.  0 or -1 (s->err set). */
int str_put(struct str *s, const void *p, size_t n);
/** str_puts - append a C string. */
int str_puts(struct str *s, const char *p);
/** str_putc - append one byte. */
int str_putc(struct str *s, char c);
/** str_printf - append formatted text. */
int str_printf(struct str *s, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));
/** str_putu - append an unsigned decimal number. */
int str_putu(struct str *s, unsigned long long u);
/** str_reset - empty the string and clear err, keeping the memory. */
void str_reset(struct str *s);
/** str_free - release the memory (wiped first: it may have held mail). */
void str_free(struct str *s);

/**
 * str_imap - append p (n bytes) as an IMAP string (RFC 3501 4.3): NIL
 * when p is NULL; a quoted string (with \" and \\ escaped) when it holds
 * only 7-bit bytes other than NUL, CR and LF and is shorter than
 * STR_QUOTED_MAX; a literal {n}CRLF... otherwise.
 */
int str_imap(struct str *s, const void *p, size_t n);
#define STR_QUOTED_MAX 1000

#endif
