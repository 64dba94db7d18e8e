/* qfilter.h - the two ends of a qmail-queue filter (dkim-sign,
 * mail-auth): the message and envelope as the queue program gets them,
 * then queue-inject with the message (something put in front of it) and
 * the envelope unchanged.  lib/qspawn.h tells the protocol.
 */
#ifndef MAIL_QFILTER_H
#define MAIL_QFILTER_H

#include <stdint.h>

#include "sa.h"

/* qmail-queue exit codes a filter uses (11-40 permanent, the rest
 * temporary for the caller, lib/qspawn.h). */
#define Q_REFUSED 31
#define Q_NOMEM 51
#define Q_READ 54
#define Q_CONF 55
#define Q_EXEC 71
#define Q_BUG 81
#define Q_ENVFMT 91

/* Each read, and the hand-over, waits at most this long. */
#define QFILTER_TIMEOUT_MS (3600 * 1000)

/**
 * qfilter_read - the message from fd 0 in canonical form (lib/canon.h,
 * what queue-inject stores) into msg, at most limit bytes, then the
 * envelope from fd 1 as it is (queue-inject checks it) into env.  Dies
 * with Q_REFUSED (over limit), Q_READ, Q_NOMEM or Q_ENVFMT.
 */
void qfilter_read(struct sa *msg, uint64_t limit, struct sa *env);

/**
 * qfilter_pass - queue-inject, the sibling of argv0 (never
 * $FACTEUR_QUEUE, which names the filter), gets front and msg as the
 * message and env as the envelope.  Returns queue-inject's exit code;
 * dies with Q_EXEC when it cannot be run or waited for.
 */
int qfilter_pass(const char *argv0, const struct sa *front,
    const struct sa *msg, const struct sa *env);

#endif
