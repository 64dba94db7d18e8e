/* qinfo.h - queue-run's state of one message: info/<id>.
 *
 * Text, one field a line, replaced whole (write, fsync, rename, fsync the
 * directory) after every change, so a crash leaves the old state or the
 * new one:
 *   facteur-info 1
 *   created <unix time>
 *   sender <address, empty for <>>
 *   tries <n>
 *   next <unix time of the next attempt>
 *   bounced <0|1>            the DSN for failed recipients is queued
 *   warned <0|1>             the delay warning is queued (absent: 0)
 *   r <P|D|F> <address> [<reason>]
 *                            pending, delivered, failed for good; the
 *                            reason is the last error (printable ASCII)
 * Limits: QINFO_LINE_MAX a line, ENVELOPE_RCPT_MAX recipients,
 * QINFO_REASON_MAX a reason.
 */
#ifndef MAIL_QINFO_H
#define MAIL_QINFO_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "sa.h"

#define QINFO_LINE_MAX 1024
#define QINFO_REASON_MAX 400

enum rstate { R_PENDING = 'P', R_DONE = 'D', R_FAILED = 'F' };

struct qrcpt {
    char addr[ADDR_MAX + 1];
    char state;
    char reason[QINFO_REASON_MAX + 1];
    int busy; /* in memory only: a delivery is running */
};

struct qinfo {
    int64_t created, next;
    unsigned tries;
    int bounced;
    int warned;
    char sender[ADDR_MAX + 1];
    size_t n, cap;
    struct qrcpt *r;
};

/** qinfo_parse - parse a whole file.  0, or -1 (EPROTO, ENOMEM, E2BIG). */
int qinfo_parse(const char *p, size_t len, struct qinfo *q);
/** qinfo_encode - the file's text in out.  0 or -1. */
int qinfo_encode(const struct qinfo *q, struct sa *out);
/** qinfo_add - append a recipient (state P).  0 or -1. */
int qinfo_add(struct qinfo *q, const char *addr);
/** qinfo_reason - set r's reason from n bytes, made printable and capped. */
void qinfo_reason(struct qrcpt *r, const char *s, size_t n);
/** qinfo_free - release. */
void qinfo_free(struct qinfo *q);

#endif
