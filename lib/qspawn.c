/* qspawn.c - handing a message to the queue program (see qspawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fdpass.h"
#include "loop.h"
#include "qspawn.h"
#include "sibling.h"

/* The queue-inject -s of this process, and our end of its socket. */
static pid_t spid = -1;
static int ssock = -1;

/* End the session process; its exit code (a signal: 111; -1 with errno
 * when it cannot be waited for). */
static int
session_end(void)
{
    int st;

    if (ssock != -1)
        close(ssock);
    ssock = -1;
    if (spid == -1)
        return 111;
    while (waitpid(spid, &st, 0) == -1)
        if (errno != EINTR) {
            spid = -1;
            return -1;
        }
    spid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 111;
}

/* At our exit the session process gets EOF and is waited for: it is
 * never left behind, and its time counts as ours. */
static void
session_atexit(void)
{
    (void)session_end();
}

static int
session_begin(const char *path)
{
    static int registered;
    int sv[2];

    if (!registered && atexit(session_atexit) == 0)
        registered = 1;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
        return -1;
    spid = fork();
    if (spid == -1) {
        int x = errno;
        close(sv[0]);
        close(sv[1]);
        errno = x;
        return -1;
    }
    if (spid == 0) {
        char *args[3];
        args[0] = (char *)path;
        args[1] = (char *)"-s";
        args[2] = NULL;
        /* fd 1 too: the child must not hold our output open */
        if (dup2(sv[1], 0) == -1 || dup2(sv[1], 1) == -1)
            _exit(71);
        execv(path, args); /* argv, never a shell */
        _exit(71);
    }
    close(sv[1]);
    ssock = sv[0];
    return 0;
}

/* The message's two pipes to the session process (started if need be;
 * one that has gone since the last message is replaced). */
static int
session_start(struct qspawn *q, const char *path)
{
    int m[2], e[2], tries, x;

    for (tries = 0; tries < 2; tries++) {
        if (spid == -1 && session_begin(path) == -1)
            return -1;
        if (pipe_cloexec(m) == -1)
            return -1;
        if (pipe_cloexec(e) == -1) {
            x = errno;
            close(m[0]);
            close(m[1]);
            errno = x;
            return -1;
        }
        if (fdpass_send(ssock, "m", 1, m[0]) == 0
            && fdpass_send(ssock, "e", 1, e[0]) == 0) {
            close(m[0]);
            close(e[0]);
            q->pid = spid;
            q->msgfd = m[1];
            q->envfd = e[1];
            q->session = 1;
            return 0;
        }
        x = errno;
        close(m[0]);
        close(m[1]);
        close(e[0]);
        close(e[1]);
        (void)session_end();
        errno = x;
    }
    return -1;
}

int
qspawn_start(struct qspawn *q, const char *argv0)
{
    char path[4096];
    const char *prog = getenv("FACTEUR_QUEUE");
    int m[2], e[2];

    q->pid = -1;
    q->msgfd = q->envfd = -1;
    q->session = 0;
    if (prog != NULL && prog[0] != 0) {
        if (prog[0] != '/' || strlen(prog) >= sizeof path) {
            errno = EINVAL;
            return -1;
        }
        strcpy(path, prog);
    } else if (sibling_path(argv0, "queue-inject", path, sizeof path) == -1) {
        return -1;
    } else {
        return session_start(q, path);
    }
    if (pipe_cloexec(m) == -1)
        return -1;
    if (pipe_cloexec(e) == -1) {
        close(m[0]);
        close(m[1]);
        return -1;
    }
    q->pid = fork();
    if (q->pid == -1) {
        int x = errno;
        close(m[0]);
        close(m[1]);
        close(e[0]);
        close(e[1]);
        errno = x;
        return -1;
    }
    if (q->pid == 0) {
        char *args[2];
        args[0] = path;
        args[1] = NULL;
        if (dup2(m[0], 0) == -1 || dup2(e[0], 1) == -1)
            _exit(71);
        execv(path, args); /* argv, never a shell */
        _exit(71);
    }
    close(m[0]);
    close(e[0]);
    q->msgfd = m[1];
    q->envfd = e[1];
    return 0;
}

/* Session mode: the report for the message whose pipes are closed. */
static int
session_finish(const struct sa *env)
{
    struct pollfd pf;
    char r;

    if (env == NULL)
        return session_end(); /* the message is dropped: so is the process */
    pf.fd = ssock;
    pf.events = POLLIN;
    /* no deadline, as for waitpid below: the queue program has its own */
    while (loop_poll(&pf, 1, -1) == -1)
        if (errno != EINTR)
            return session_end();
    if (recv(ssock, &r, 1, 0) == 1 && r == '0')
        return 0;
    return session_end();
}

int
qspawn_finish(struct qspawn *q, const struct sa *env, int64_t deadline)
{
    int st, ok = 1;

    if (q->msgfd != -1)
        close(q->msgfd);
    q->msgfd = -1;
    if (env != NULL)
        ok = fd_write_all(q->envfd, env->s, env->len, deadline) == 0;
    close(q->envfd);
    q->envfd = -1;
    if (q->session) {
        q->pid = -1;
        /* an envelope that did not go whole must not be queued */
        return session_finish(ok ? env : NULL);
    }
    while (waitpid(q->pid, &st, 0) == -1)
        if (errno != EINTR)
            return -1;
    q->pid = -1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 111;
}

const char *
qspawn_reply(int code)
{
    switch (code) {
    case 11:
        return "553 5.1.3 the queue refused an address";
    case 31:
        return "554 5.6.0 the queue refused the message (too large, a NUL "
               "byte, or a mail loop)";
    case 32: /* mail-auth */
        return "550 5.7.1 refused: the sender domain's DMARC policy says "
               "reject";
    case 33: /* mail-auth */
        return "550 5.7.23 refused: the sender's domain does not allow mail "
               "from this host (SPF fail)";
    case 56: /* mail-auth */
        return "451 4.4.3 cannot check the sender's domain now (SPF: DNS "
               "temporary failure), try again later";
    case 51:
        return "451 4.3.0 out of memory, try again later";
    case 53:
        return "452 4.3.1 cannot write the queue (disk full?), try again "
               "later";
    case 57: /* mail-auth */
        return "451 4.7.5 cannot check the sender domain's DMARC policy "
               "now, try again later";
    case 71:
        return "451 4.3.0 cannot run the queue program, try again later";
    default:
        break;
    }
    if (code >= 11 && code <= 40)
        return "554 5.3.0 the queue refused the message";
    return "451 4.3.0 temporary queue failure, try again later";
}
