/* dsn.h - delivery status notifications (RFC 3464) for queue-run. */
#ifndef QUEUE_RUN_DSN_H
#define QUEUE_RUN_DSN_H

#include "qinfo.h"

/**
 * dsn_send - queue a report of the failed recipients of message id to
 * its sender (a double bounce to postmaster@host when the sender is <>;
 * nothing when that fails too), through queue-inject with the null
 * sender.  Returns 0 when queued or nothing is owed, -1 to retry later.
 */
int dsn_send(const char *argv0, int messfd, const char *id,
    const struct qinfo *q, const char *host);

#endif
