/* pwhash.h - checking a password against a stored hash.
 *
 * Hashes are what facteur's users table holds:
 *   $y$...            yescrypt (facteur user add: the default)
 *   $6$... $5$...     sha512-crypt, sha256-crypt (Dovecot SHA512-CRYPT)
 *   $2b$ $2y$ $2a$    bcrypt (Dovecot BLF-CRYPT)
 *   {PLAIN-MD5}<hex>  32 hex digits of MD5(password): the legacy hashes
 *                     of an Exim passwd file, imported so that their
 *                     users still log in; weak, reported for rehash.
 * crypt formats go through libxcrypt (crypt_rn); MD5 through BearSSL with
 * a constant-time comparison.  Anything else never matches.
 */
#ifndef MAIL_PWHASH_H
#define MAIL_PWHASH_H

#include <stddef.h>

#define PWHASH_PLAIN_MD5 "{PLAIN-MD5}"
#define PWHASH_PASSWORD_MAX 1024

/**
 * pwhash_verify - 1 when pw (n bytes, no NUL) matches hash, 0 when it
 * does not (or the hash is of no known scheme, or pw holds a NUL), -1
 * with errno when the check itself failed (out of memory).
 */
int pwhash_verify(const char *hash, const char *pw, size_t n);

/**
 * pwhash_dummy - burn the time of one check against a default-cost
 * yescrypt hash, so an unknown user costs what a known one does.
 */
void pwhash_dummy(const char *pw, size_t n);

/** pwhash_weak - 1 for a hash that must be replaced (MD5, DES, md5-crypt,
 * unknown schemes), 0 for yescrypt, sha-crypt, bcrypt. */
int pwhash_weak(const char *hash);

#endif
