/* pwline.h - one line of a password file that facteur user import reads.
 *
 * Two formats, from the setups admins migrate from:
 *   exim     login:hash[:ignored...]   an Exim passwd file (lsearch); a
 *            bare 32-hex-digit hash is MD5(password) ({PLAIN-MD5});
 *            Debian's third field (a clear-text password) is ignored.
 *   dovecot  user:hash[:uid:gid:gecos:home:shell:extra]  Dovecot's
 *            passwd-file; a hash without {SCHEME} is {CRYPT}.
 * In both, hash may carry a Dovecot {SCHEME} prefix (case-insensitive):
 *   {SHA512-CRYPT} $6$   {SHA256-CRYPT} $5$   {BLF-CRYPT} $2a$ $2b$ $2y$
 *   {CRYPT} any of those and yescrypt $y$
 *   {PLAIN-MD5} {LDAP-MD5} MD5(password) as 32 hex digits or base64 of
 *            its 16 bytes (a ".HEX" or ".B64" suffix on the scheme forces
 *            one), stored as {PLAIN-MD5} and lowercase hex.
 * Every other scheme ({PLAIN}, {CRAM-MD5}, {SSHA}, md5-crypt $1$, DES
 * crypt, a disabled account "*" or "!") is refused: checkpassword
 * (lib/pwhash.h) cannot verify it.  Crypt strings are checked against
 * the exact shape of their scheme (salt and hash alphabet and lengths),
 * so a mangled one is refused rather than imported and never matching.
 *
 * login/user is a full address (lib/addr.h, canonicalized), or a bare
 * local part when a default domain is given; not one whose canonical
 * form starts with '#' ("#x"@d is #x@d: a comment line in the users
 * table).  Blank lines and lines
 * whose first character is '#' are skipped; a line that starts with
 * white space (an Exim continuation line) is refused.  Blanks around
 * the hash, before the ':' (Exim's "key: value") and a CR at the end of
 * the line are ignored.
 * The caller bounds the line (facteur: TABLE_LINE_MAX); the result is
 * what the users table stores: the address and a hash with no ':',
 * blank or control byte.
 */
#ifndef FACTEUR_PWLINE_H
#define FACTEUR_PWLINE_H

#include <stddef.h>

#include "addr.h"

/* The longest crypt string libxcrypt makes (crypt.h CRYPT_OUTPUT_SIZE
 * is 384 with the NUL). */
#define PWLINE_HASH_MAX 383

enum pwline_format { PWLINE_EXIM, PWLINE_DOVECOT };

struct pwline {
    char addr[ADDR_MAX + 1];          /* canonical */
    char hash[PWLINE_HASH_MAX + 1];   /* as the users table stores it */
};

/**
 * pwline_parse - parse the n bytes at line (no LF) in format f; domain
 * is the domain of bare local parts, or NULL to refuse them.
 * Returns 1 with out filled, 0 for a blank or comment line, -1 with a
 * reason in *why (a static string) for a line that cannot be imported.
 * out->hash may hold part of a hash after -1: the caller wipes out.
 */
int pwline_parse(enum pwline_format f, const char *domain, const char *line,
    size_t n, struct pwline *out, const char **why);

#endif
