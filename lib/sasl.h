/* sasl.h - the client's side of SMTP AUTH PLAIN and LOGIN, decoded.
 *
 * PLAIN (RFC 4616): base64 of authzid \0 authcid \0 passwd.  The authzid
 * must be empty or equal to the authcid (nobody logs in as someone else);
 * authcid and passwd must be non-empty and hold no NUL.
 * LOGIN (draft-murchison-sasl-login): the user name and the password,
 * each base64 on its own line.
 * Every decoded value is checked against its limit before it is stored;
 * a caller wipes the password buffer after use, also after a failure.
 */
#ifndef MAIL_SASL_H
#define MAIL_SASL_H

#include <stddef.h>

#define SASL_LINE_MAX 2048   /* a base64 response line, without CRLF */
#define SASL_LOGIN_MAX 255   /* a login name */
#define SASL_PASS_MAX 255    /* a password (checkpassword's 512 bytes in all) */

/**
 * sasl_plain - decode a PLAIN response (n bytes of base64).  login
 * (SASL_LOGIN_MAX + 1 bytes) and pw (SASL_PASS_MAX + 1) receive C
 * strings.  0, or -1 (EINVAL: malformed, empty, too long, or an authzid
 * other than the login).
 */
int sasl_plain(const char *b64, size_t n, char *login, char *pw);

/**
 * sasl_text - decode one base64 line (LOGIN's user name or password) into
 * out (max + 1 bytes) as a C string: 0, or -1 (EINVAL: malformed, empty,
 * a NUL inside, longer than max).
 */
int sasl_text(const char *b64, size_t n, char *out, size_t max);

#endif
