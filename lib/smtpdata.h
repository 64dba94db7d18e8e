/* smtpdata.h - the DATA state machine: where a message ends, and how.
 *
 * Pure, byte at a time, no I/O: smtpd and submissiond feed it what they
 * read after "354" and get the message back unstuffed.
 *
 * Only <CRLF>.<CRLF> ends the message (the CRLF of the DATA command line
 * counts as the first one, so "." alone on the first line is an empty
 * message).  A LF not preceded by CR, or a CR not followed by LF, is never
 * a line end: it is flagged (SMTPDATA_BARE_LF, SMTPDATA_BARE_CR) and the
 * caller must refuse the message once its real end has been read, so
 * none of the smuggling variants (<LF>.<LF>, <LF>.<CR><LF>,
 * <CR><LF>.<LF>, <CR>.<CR>, ".<CR><CR><LF>") can end it early or start
 * a second message (CVE-2023-51764 class).
 * A line starting with "." loses that dot (RFC 5321 4.5.2).  A line
 * longer than SMTP_TEXT_LINE_MAX bytes with its CRLF is flagged
 * (SMTPDATA_LONG_LINE, RFC 5321 4.5.3.1.6); a NUL byte is flagged
 * (SMTPDATA_NUL: mail is text).
 * At most one input byte (a CR) is held back between calls, so the
 * output of a call is never longer than its input plus one.
 */
#ifndef MAIL_SMTPDATA_H
#define MAIL_SMTPDATA_H

#include <stddef.h>

#define SMTP_TEXT_LINE_MAX 1000

#define SMTPDATA_BARE_LF 1u
#define SMTPDATA_BARE_CR 2u
#define SMTPDATA_LONG_LINE 4u
#define SMTPDATA_NUL 8u

struct smtpdata {
    int state;
    unsigned flags;
    size_t linelen; /* bytes of the current line, as sent */
    int done;       /* the end <CRLF>.<CRLF> has been consumed */
};

/**
 * smtpdata_scan - check n bytes of a BDAT chunk (RFC 3030: no dots, no
 * end marker, the size is given), with the same flags as DATA: a bare CR
 * or LF, a NUL, a line over SMTP_TEXT_LINE_MAX.  The state carries over
 * from chunk to chunk; smtpdata_scan_end flags a CR left pending at the
 * end of the message.
 */
void smtpdata_scan(struct smtpdata *d, const unsigned char *p, size_t n);
void smtpdata_scan_end(struct smtpdata *d);

/*
 * The sending side (remote-send): a queued message becomes DATA text.
 * Line ends are made CRLF first (a bare LF or bare CR becomes CRLF, as
 * canon.h does), then a line starting with "." gets a second one, and
 * smtpstuff_finish ends the last line and adds ".\r\n".  So no byte
 * sequence of a message can end DATA early at the next hop, whatever
 * the queue held (the bare-CR-then-dot case included).
 */
struct smtpstuff {
    int bol; /* at the beginning of a line */
    int cr;  /* a CR is pending (its LF may follow) */
};

void smtpstuff_init(struct smtpstuff *s);
/** smtpstuff_feed - n bytes into out (room for 2 * n + 2).  Returns the
 * bytes written. */
size_t smtpstuff_feed(struct smtpstuff *s, const unsigned char *in, size_t n,
    unsigned char *out);
/** smtpstuff_finish - the end: out needs room for 7 bytes. */
size_t smtpstuff_finish(struct smtpstuff *s, unsigned char *out);

/** smtpdata_init - start a message (at the beginning of a line). */
void smtpdata_init(struct smtpdata *d);

/**
 * smtpdata_feed - consume input bytes up to and including the end of the
 * message.  Writes the unstuffed message to out (room for n + 1 bytes)
 * and its length to *outlen.  Returns the number of input bytes
 * consumed: n, or fewer when the end was found (d->done is then set; the
 * rest of the input is the next command, pipelined).
 */
size_t smtpdata_feed(struct smtpdata *d, const unsigned char *in, size_t n,
    unsigned char *out, size_t *outlen);

#endif
