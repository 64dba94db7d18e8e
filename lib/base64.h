/* base64.h - RFC 4648 base64 (standard alphabet, '=' padding), strict.
 *
 * For short values kept in text files (a smarthost password in the routes
 * table) and, later, SMTP AUTH.  Decoding accepts only the canonical
 * encoding: no white space, padding to a multiple of 4, unused bits zero,
 * so each byte string has exactly one text form.  Not for PEM, whose
 * lines and white space lib/tlscert.c handles itself.
 */
#ifndef MAIL_BASE64_H
#define MAIL_BASE64_H

#include <stddef.h>

/* The largest input either function takes (bytes to encode, or decoded
 * bytes); far above any use, it keeps every length within a long. */
#define BASE64_IN_MAX (1UL << 24)

/* The encoded length of n bytes (without a NUL). */
#define BASE64_LEN(n) (((n) + 2) / 3 * 4)

/** base64_value - the 6-bit value of the character c, or -1. */
int base64_value(unsigned char c);

/**
 * base64_encode - encode n bytes at in into out (outlen bytes), NUL
 * terminated.  Returns the encoded length, or -1 (ERANGE) when out is
 * shorter than BASE64_LEN(n) + 1 or n > BASE64_IN_MAX.
 */
long base64_encode(char *out, size_t outlen, const void *in, size_t n);

/**
 * base64_decode - decode n characters at in into out (outlen bytes).
 * Returns the decoded length, or -1: EINVAL not canonical base64 (or
 * longer than BASE64_LEN(BASE64_IN_MAX)), ERANGE out too short.  out may
 * hold partial output after a failure (the caller wipes it when it is a
 * secret).
 */
long base64_decode(void *out, size_t outlen, const char *in, size_t n);

#endif
