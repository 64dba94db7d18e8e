/* dsn.h - delivery status notifications (RFC 3464) for queue-run. */
#ifndef QUEUE_RUN_DSN_H
#define QUEUE_RUN_DSN_H

#include "qinfo.h"

enum dsn_kind {
    DSN_FAILED,  /* the failed recipients (Action: failed, 5.x.x) */
    DSN_DELAYED  /* the pending ones (Action: delayed, 4.x.x), a warning */
};

/**
 * dsn_send - queue a report on the recipients of message id to its
 * sender, through queue-inject with the null sender.  For failures of
 * the null sender: a double bounce to postmaster@host (nothing when that
 * fails too); no delay warning is ever sent to <>.  until: the end of
 * the retries (Will-Retry-Until:, delay warnings only).
 * Returns 0 when queued or nothing is owed, -1 to retry later.
 */
int dsn_send(const char *argv0, int messfd, const char *id,
    const struct qinfo *q, const char *host, enum dsn_kind kind,
    int64_t until);

#endif
