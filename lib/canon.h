/* canon.h - a message in canonical form: CRLF lines, as the queue holds it.
 *
 * Input may use LF or CRLF line ends (scripts, sendmail callers).  A bare
 * LF becomes CRLF; a bare CR (not followed by LF) also becomes CRLF, so no
 * stray CR survives to be read as a line end by some later hop (SMTP
 * smuggling).  NUL bytes make the message invalid (mail is text; 8-bit
 * is fine).  While in the header section (up to the first empty line)
 * Received: and Delivered-To: fields are counted: the hop count.
 * A missing final line end is added by canon_finish.
 */
#ifndef MAIL_CANON_H
#define MAIL_CANON_H

#include <stddef.h>
#include <stdint.h>

/* RFC 5321 6.3 suggests 100 hops as a loop. */
#define CANON_HOPS_MAX 100

struct canon {
    int cr;            /* the last input byte was a CR */
    int bol;           /* at the beginning of an output line */
    int in_header;     /* still in the header section */
    int nul;           /* a NUL byte was seen */
    unsigned hops;     /* Received: + Delivered-To: fields in the header */
    uint64_t size;     /* output bytes so far */
    char field[16];    /* start of the current header line, to count hops */
    size_t flen;
};

/** canon_init - start a message. */
void canon_init(struct canon *c);

/**
 * canon_feed - convert n input bytes into out, which must hold 2 * n + 2
 * bytes.  Returns the number of bytes written.
 */
size_t canon_feed(struct canon *c, const unsigned char *in, size_t n,
    unsigned char *out);

/** canon_finish - end the message: a pending CR or missing final CRLF is
 * completed into out (room for 2 bytes).  Returns the bytes written. */
size_t canon_finish(struct canon *c, unsigned char *out);

#endif
