/* qspawn.c - handing a message to the queue program (see qspawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "qspawn.h"
#include "sibling.h"

int
qspawn_start(struct qspawn *q, const char *argv0)
{
    char path[4096];
    const char *prog = getenv("FACTEUR_QUEUE");
    int m[2], e[2];

    q->pid = -1;
    q->msgfd = q->envfd = -1;
    if (prog != NULL && prog[0] != 0) {
        if (prog[0] != '/' || strlen(prog) >= sizeof path) {
            errno = EINVAL;
            return -1;
        }
        strcpy(path, prog);
    } else if (sibling_path(argv0, "queue-inject", path, sizeof path) == -1) {
        return -1;
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

int
qspawn_finish(struct qspawn *q, const struct sa *env, int64_t deadline)
{
    int st;

    if (q->msgfd != -1)
        close(q->msgfd);
    q->msgfd = -1;
    if (env != NULL)
        (void)fd_write_all(q->envfd, env->s, env->len, deadline);
    close(q->envfd);
    q->envfd = -1;
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
