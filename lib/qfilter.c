/* qfilter.c - the two ends of a qmail-queue filter (see qfilter.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "canon.h"
#include "log.h"
#include "loop.h"
#include "qfilter.h"
#include "qspawn.h"

void
qfilter_read(struct sa *msg, uint64_t limit, struct sa *env)
{
    static unsigned char in[65536], out[2 * sizeof in + 2], mem[65536];
    struct canon c;
    struct buf b;
    ssize_t r;
    size_t n;

    buf_init(&b, 0, mem, sizeof mem);
    b.deadline = loop_now() + QFILTER_TIMEOUT_MS;
    canon_init(&c);
    do {
        r = buf_get(&b, in, sizeof in);
        if (r == -1)
            log_die(Q_READ, "cannot read the message: %s", strerror(errno));
        n = r == 0 ? canon_finish(&c, out) : canon_feed(&c, in, (size_t)r, out);
        if (c.size > limit)
            log_die(Q_REFUSED, "message refused: larger than the size limit");
        if (sa_append(msg, out, n) == -1)
            log_die(Q_NOMEM, "out of memory");
    } while (r > 0);
    buf_init(&b, 1, mem, sizeof mem);
    b.deadline = loop_now() + QFILTER_TIMEOUT_MS;
    while ((r = buf_get(&b, in, sizeof in)) != 0) {
        if (r == -1)
            log_die(Q_READ, "cannot read the envelope: %s", strerror(errno));
        if (sa_append(env, in, (size_t)r) == -1)
            log_die(errno == E2BIG ? Q_ENVFMT : Q_NOMEM,
                "envelope too large");
    }
}

int
qfilter_pass(const char *argv0, const struct sa *front, const struct sa *msg,
    const struct sa *env)
{
    struct qspawn q;
    int64_t deadline;
    int code, e = 0;

    if (unsetenv("FACTEUR_QUEUE") == -1 || qspawn_start(&q, argv0) == -1)
        log_die(Q_EXEC, "cannot run queue-inject: %s", strerror(errno));
    deadline = loop_now() + QFILTER_TIMEOUT_MS;
    if (fd_write_all(q.msgfd, front->s ? front->s : "", front->len, deadline)
            == -1
        || fd_write_all(q.msgfd, msg->s ? msg->s : "", msg->len, deadline)
            == -1)
        e = errno;
    code = qspawn_finish(&q, e == 0 ? env : NULL, deadline);
    if (code == -1)
        log_die(Q_EXEC, "cannot wait for queue-inject: %s", strerror(errno));
    if (e != 0) {
        /* queue-inject stopped reading (EPIPE): its code says why; any
         * other failure is ours, and temporary. */
        if (e == EPIPE && code != 0)
            return code;
        log_die(Q_EXEC, "cannot hand the message to queue-inject: %s",
            strerror(e));
    }
    return code;
}
