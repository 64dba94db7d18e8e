/* smtpcmd.h - SMTP command lines: the verb, and MAIL/RCPT paths.
 *
 * Pure parsing, no I/O, shared by smtpd and submissiond.  A command line
 * arrives without its CRLF; it must be printable ASCII or UTF-8 (no NUL,
 * no CR, no LF, no other control byte but HT), at most SMTP_CMD_MAX bytes
 * with its CRLF (RFC 5321 4.5.3.1.4).
 *
 * MAIL FROM:<path> [params] / RCPT TO:<path> [params]:
 *   - one space after the colon is tolerated (many clients send it);
 *   - a source route (<@a,@b:user@c>) is accepted and ignored (RFC 5321
 *     4.1.2 and C): the mailbox after it is what counts, so a route can
 *     never make a relay;
 *   - the mailbox goes through addr.h's one grammar (so "%" and "!" are
 *     plain characters of a local part, never routing);
 *   - <postmaster> without a domain is accepted for RCPT (RFC 5321 4.1.1.3);
 *   - parameters: MAIL takes SIZE=<digits> (RFC 1870), BODY=7BIT or
 *     BODY=8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), each at most once;
 *     RCPT takes none.  Anything else is refused (555).
 * Limits: SMTP_CMD_MAX, SMTP_PARAMS_MAX parameters, SIZE at most 20 digits.
 */
#ifndef MAIL_SMTPCMD_H
#define MAIL_SMTPCMD_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define SMTP_CMD_MAX 512
#define SMTP_PARAMS_MAX 8

enum smtp_verb {
    SMTP_UNKNOWN,
    SMTP_HELO,
    SMTP_EHLO,
    SMTP_MAIL,
    SMTP_RCPT,
    SMTP_DATA,
    SMTP_BDAT,
    SMTP_RSET,
    SMTP_NOOP,
    SMTP_QUIT,
    SMTP_VRFY,
    SMTP_EXPN,
    SMTP_HELP,
    SMTP_STARTTLS,
    SMTP_AUTH
};

struct smtp_cmd {
    enum smtp_verb verb;
    char name[16];   /* the verb as sent, upper-cased, for logs */
    const char *arg; /* after the verb and one space; "" if none */
    size_t arglen;
};

/**
 * smtpcmd_split - find the verb of line (len bytes, no CRLF, NUL-terminated).
 * Returns 0, or -1 when the line holds bytes a command may not (the
 * caller answers 500 5.5.2).
 */
int smtpcmd_split(const char *line, size_t len, struct smtp_cmd *c);

struct smtp_path {
    struct addr a;       /* a.full "" for the null path <> */
    int postmaster;      /* RCPT TO:<postmaster>: a.full is "" */
    int has_size;
    uint64_t size;       /* SIZE= */
    int body8;           /* BODY=8BITMIME */
    int smtputf8;        /* SMTPUTF8 */
    int nonascii;        /* the address holds UTF-8 */
};

/**
 * smtpcmd_path - parse the argument of MAIL (prefix "FROM:") or RCPT
 * (prefix "TO:").  Returns 0, or -1 with *reply set to the complete SMTP
 * reply (code, enhanced code, text) to send.
 */
int smtpcmd_path(const char *arg, size_t n, int is_mail,
    struct smtp_path *p, const char **reply);

/**
 * smtpcmd_helo - check a HELO/EHLO argument: a domain or an address
 * literal, or any printable word a broken client might send, but never
 * spaces, controls, parentheses, quotes or backslashes (it goes into a
 * Received: field).  At most 255 bytes.  0 ok, -1 bad.
 */
int smtpcmd_helo(const char *arg, size_t n);

#endif
