/* rreport.h - remote-send's report to queue-run.
 *
 * remote-send writes, on its fd 1, one line per recipient (its index in
 * remote-send's argument list, from 0) and one for the message:
 *   r <index> <A|P|T> <text>\n
 *   m <A|P|T> <text>\n
 * A accepted by the remote server, P failed for good (5xx, no such
 * domain, null MX), T try again later; the text is printable ASCII
 * (the remote server's reply, or why there was none), at most
 * RREPORT_TEXT_MAX bytes.  A recipient without a line, or a report that
 * does not parse, is a temporary failure: never a loss, never a false
 * success.
 */
#ifndef MAIL_RREPORT_H
#define MAIL_RREPORT_H

#include <stddef.h>

#define RREPORT_TEXT_MAX 400
#define RREPORT_MAX (1 << 20) /* the whole report, read by queue-run */

struct rresult {
    char code; /* 'A', 'P', 'T'; 0 when the report says nothing */
    char text[RREPORT_TEXT_MAX + 1];
};

/** rreport_line - format one line (index -1: the message line) into out
 * (RREPORT_TEXT_MAX + 32 bytes); non-printable text bytes become '?'. */
void rreport_line(char *out, size_t len, long index, char code,
    const char *text);

/**
 * rreport_parse - read a report (len bytes) for n recipients into r[] and
 * the message line into *m.  Recipients without a line keep code 0.
 * Returns 0, or -1 when a line is malformed (what parsed before stays).
 */
int rreport_parse(const char *p, size_t len, struct rresult *r, size_t n,
    struct rresult *m);

#endif
