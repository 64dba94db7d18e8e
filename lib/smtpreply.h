/* smtpreply.h - an SMTP server's replies, as remote-send reads them.
 *
 * A reply is one or more lines "ddd-text" ending with "ddd text" (or
 * "ddd" alone), all with the same code (RFC 5321 4.2).  Replies come from
 * untrusted servers: every line is capped, the number of lines too, and
 * the text kept (for logs and bounces) is printable ASCII only.
 * The lines of a 250 reply after the first are also read as EHLO
 * keywords.
 * Limits: SMTPREPLY_LINE_MAX a line (RFC 5321 says 512; some servers
 * send longer), SMTPREPLY_LINES_MAX lines, SMTPREPLY_TEXT_MAX kept.
 */
#ifndef MAIL_SMTPREPLY_H
#define MAIL_SMTPREPLY_H

#include <stddef.h>
#include <stdint.h>

#define SMTPREPLY_LINE_MAX 2048
#define SMTPREPLY_LINES_MAX 200
#define SMTPREPLY_TEXT_MAX 400

#define EHLO_PIPELINING 0x01u
#define EHLO_STARTTLS 0x02u
#define EHLO_8BITMIME 0x04u
#define EHLO_SMTPUTF8 0x08u
#define EHLO_SIZE 0x10u
#define EHLO_AUTH_PLAIN 0x20u
#define EHLO_AUTH_LOGIN 0x40u
#define EHLO_CHUNKING 0x80u

struct smtpreply {
    int code;        /* 0 until the first line */
    unsigned lines;
    unsigned ehlo;   /* EHLO_* keywords seen */
    uint64_t size;   /* SIZE's value (0: none given) */
    char text[SMTPREPLY_TEXT_MAX + 1]; /* "ddd text / text..." */
    size_t tlen;
};

void smtpreply_init(struct smtpreply *r);

/**
 * smtpreply_line - one line without its CRLF (n bytes).  Returns 1 when
 * it was the last line of the reply, 0 when more follow, -1 when it is
 * not a reply line (no code, a code other than the first line's, too
 * many lines).
 */
int smtpreply_line(struct smtpreply *r, const char *line, size_t n);

#endif
