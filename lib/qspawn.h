/* qspawn.h - handing one message to the queue program, qmail-queue style.
 *
 * The queue program is $FACTEUR_QUEUE when set (an absolute path: the
 * hook where an admin puts a filter, a DKIM signer or a spam check, in
 * front of the queue), else queue-inject from this program's directory.
 * It runs with no argument (queue-inject's qmail-queue mode): the message
 * on its fd 0, the envelope (text0, envelope.h) on its fd 1, through
 * pipes; its stderr is ours.  No shell ever runs.
 * Abandoning a message is closing the envelope pipe with nothing written:
 * the queue program then exits non-zero and queues nothing.
 *
 * Without $FACTEUR_QUEUE, queue-inject runs once for all the messages of
 * the calling process (an SMTP session): `queue-inject -s`, its fd 0 a
 * SOCK_SEQPACKET socket that brings each message's two pipes and takes
 * back "0" once the message is queued; a failure ends it with the exit
 * code it would have had for that one message, and the next message
 * starts another.  That saves a fork and an exec (and queue-inject's
 * start-up) per message.  Filters stay one process per message.
 * Exit codes (qmail-queue): 0 queued, 11-40 permanent, anything else
 * (and a signal) temporary.
 */
#ifndef MAIL_QSPAWN_H
#define MAIL_QSPAWN_H

#include <stdint.h>
#include <sys/types.h>

#include "sa.h"

struct qspawn {
    pid_t pid;
    int msgfd;   /* write the message here */
    int envfd;   /* then the envelope here */
    int session; /* pid is queue-inject -s (qspawn.c's) */
};

/**
 * qspawn_start - start the queue program (argv0: ours, to find the
 * sibling).  0, or -1 with errno (EINVAL: FACTEUR_QUEUE is not absolute).
 */
int qspawn_start(struct qspawn *q, const char *argv0);

/**
 * qspawn_finish - close the message, write env (NULL: abandon the
 * message) and wait for the program.  Returns its exit code (a signal
 * counts as 111), or -1 with errno when it could not be waited for.
 */
int qspawn_finish(struct qspawn *q, const struct sa *env, int64_t deadline);

/** qspawn_reply - the SMTP reply for an exit code of the queue program
 * (other than 0). */
const char *qspawn_reply(int code);

#endif
