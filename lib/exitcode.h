/* exitcode.h - the exit codes every facteur program uses.
 *
 * They follow qmail and the DJB tools: 0 success, 100 permanent failure or
 * bad usage (do not retry), 111 temporary failure (retry later).  A bug
 * (an impossible state) also exits 111, so that mail is retried rather than
 * bounced (tinyssh bug.h).
 */
#ifndef MAIL_EXITCODE_H
#define MAIL_EXITCODE_H

#define EXIT_OK 0
#define EXIT_PERM 100
#define EXIT_TEMP 111

#endif
