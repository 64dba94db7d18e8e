/* imapmsg.h - one stored message as IMAP FETCH and SEARCH see it.
 *
 * imapd reads a Maildir file whole and hands it here: imapmsg_parse()
 * splits it into a MIME tree (RFC 2045, 2046) once, and the other
 * functions answer RFC822.SIZE, ENVELOPE, BODY/BODYSTRUCTURE, BODY[section]
 * and the SEARCH keys that look inside a message.
 *
 * The file is untrusted and may be anything: line ends LF, CRLF or mixed,
 * binary, broken MIME.  IMAP sees it with CRLF line ends, so every size,
 * offset and byte served counts a bare LF as CRLF (a CR before an LF stays
 * as it is; a lone CR is left alone).  Nothing here fails on bad input:
 * structure past the limits below is kept as opaque text.  Where the RFCs
 * leave a choice, the output follows Dovecot's (the IMAP server most
 * clients are tested against).
 *
 * Limits: IMAPMSG_DEPTH_MAX nesting, IMAPMSG_PARTS_MAX parts a message,
 * IMAPMSG_HEADER_FIELDS_MAX names in a HEADER.FIELDS list.
 */
#ifndef MAIL_IMAPMSG_H
#define MAIL_IMAPMSG_H

#include <stddef.h>
#include <stdint.h>

#include "str.h"

/* MIME nesting (multipart and message/rfc822 levels). */
#define IMAPMSG_DEPTH_MAX 32
/* Entities in one message (parts, encapsulated messages). */
#define IMAPMSG_PARTS_MAX 1000
/* Names in one HEADER.FIELDS (...) list. */
#define IMAPMSG_HEADER_FIELDS_MAX 64

struct imapmsg;

/**
 * imapmsg_parse - parse the message p[0..n).  p must stay valid and
 * unchanged while the result is used.  Returns NULL only when out of
 * memory (errno ENOMEM); malformed input still gives a message.
 */
struct imapmsg *imapmsg_parse(const char *p, size_t n);

/** imapmsg_free - release m (NULL is fine). */
void imapmsg_free(struct imapmsg *m);

/** imapmsg_size - RFC822.SIZE: the bytes with CRLF line ends. */
uint64_t imapmsg_size(const struct imapmsg *m);

/**
 * imapmsg_envelope - append the ENVELOPE list (RFC 3501 7.4.2) of the
 * top-level message.  0, or -1 with out->err set.
 */
int imapmsg_envelope(const struct imapmsg *m, struct str *out);

/**
 * imapmsg_bodystructure - append BODYSTRUCTURE (extended 1, with the
 * extension data) or BODY (extended 0).  0, or -1 with out->err set.
 */
int imapmsg_bodystructure(const struct imapmsg *m, int extended,
    struct str *out);

/**
 * imapmsg_section - append the bytes of BODY[section] (CRLF line ends);
 * section is the seclen bytes between "[" and "]": "", "HEADER", "TEXT",
 * "1.2", "1.2.MIME", "2.HEADER.FIELDS (From To)", ...  A part that does
 * not exist appends nothing and succeeds.  Returns 0; -1 with out
 * unchanged and errno EINVAL for a malformed section (answer BAD); -1
 * with out->err set when out of memory.
 */
int imapmsg_section(const struct imapmsg *m, const char *section,
    size_t seclen, struct str *out);

/**
 * imapmsg_header_contains - 1 if a top-level header field named field
 * (case-insensitive) has needle in its unfolded value, raw or with RFC
 * 2047 encoded words decoded to UTF-8; ASCII case-insensitive.  An empty
 * needle matches any field of that name.  0 otherwise.
 */
int imapmsg_header_contains(const struct imapmsg *m, const char *field,
    const char *needle, size_t nlen);

/**
 * imapmsg_body_contains - SEARCH BODY: 1 if the body of a text part (after
 * undoing base64 or quoted-printable) holds needle, ASCII
 * case-insensitive (other bytes compared as they are).
 */
int imapmsg_body_contains(const struct imapmsg *m, const char *needle,
    size_t nlen);

/** imapmsg_text_contains - SEARCH TEXT: the header or a body. */
int imapmsg_text_contains(const struct imapmsg *m, const char *needle,
    size_t nlen);

/**
 * imapmsg_sent_day - the Date: field's day as days since 1970-01-01, in
 * the field's own zone (SENTBEFORE and friends ignore time and zone), or
 * -1 when missing or unreadable.
 */
int64_t imapmsg_sent_day(const struct imapmsg *m);

#endif
