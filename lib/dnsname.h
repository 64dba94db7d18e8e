/* dnsname.h - checking host names (SNI, certificate directories, EHLO).
 *
 * One positive grammar: LDH labels (letters, digits, hyphen; no hyphen at
 * either end of a label) of 1..63 bytes separated by single dots, at most
 * DNSNAME_MAX bytes, no leading or trailing dot.  Anything else is not a
 * host name as far as facteur is concerned.
 */
#ifndef MAIL_DNSNAME_H
#define MAIL_DNSNAME_H

#include <stddef.h>

/** dnsname_valid - 1 if the n bytes at s are a host name, else 0. */
int dnsname_valid(const char *s, size_t n);

/**
 * dnsname_canon - copy a host name to out (size outlen) in lower case,
 * dropping one trailing dot.  Returns 0, or -1 (EINVAL) when it is not a
 * valid name or does not fit.
 */
int dnsname_canon(char *out, size_t outlen, const char *s, size_t n);

#endif
