/* envelope.h - a message's envelope as text0 (qmail-queue's format).
 *
 *   F<sender>\0 T<recipient>\0 ... \0
 *
 * The sender may be empty (the null reverse-path of bounces); every
 * address is checked with addr.h's grammar when parsed, and stored in
 * canonical form.  It is what queue-inject reads on fd 1 in its
 * qmail-queue mode and what it writes in the queue.
 * Limits: ENVELOPE_RCPT_MAX recipients, ENVELOPE_MAX bytes.
 */
#ifndef MAIL_ENVELOPE_H
#define MAIL_ENVELOPE_H

#include <stddef.h>

#include "addr.h"
#include "sa.h"

#define ENVELOPE_RCPT_MAX 10000
#define ENVELOPE_MAX (ENVELOPE_RCPT_MAX * (ADDR_MAX + 2) + ADDR_MAX + 3)

struct envelope {
    struct addr sender;   /* full == "" for <> */
    size_t nrcpt, cap;
    struct addr *rcpt;    /* nrcpt entries of cap, malloc'd */
};

/**
 * envelope_parse - parse len bytes of text0.  Returns the bytes used
 * through the final \0 (complete), 0 if more are needed, -1 with errno:
 * EPROTO (malformed), EINVAL (a bad address; *bad, if not NULL, points
 * at its field), E2BIG (too many recipients), ENOMEM.
 * A complete envelope has at least one recipient.
 */
long envelope_parse(const char *p, size_t len, struct envelope *e,
    const char **bad);

/** envelope_add_rcpt - append a checked recipient.  0 or -1 (E2BIG,
 * ENOMEM). */
int envelope_add_rcpt(struct envelope *e, const struct addr *a);

/** envelope_encode - text0 of e into out (replacing its content). */
int envelope_encode(const struct envelope *e, struct sa *out);

/** envelope_free - release the recipients. */
void envelope_free(struct envelope *e);

#endif
