/* authmon.c - the privileged half of a login (see authmon.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "authfail.h"
#include "authmon.h"
#include "buf.h"
#include "conf.h"
#include "log.h"
#include "loop.h"

#define FAIL_MAX_DEFAULT 10
#define FAIL_WINDOW_DEFAULT 900
#define FAIL_DELAY_DEFAULT 2000
#define WRITE_TIMEOUT_MS 60000

void
authmon_init(struct authmon *am, const char *cp, const char *ip)
{
    char statedir[AUTHMON_PATH_MAX];

    snprintf(am->cp, sizeof am->cp, "%s", cp);
    am->ip = ip;
    am->max = conf_env_num("AUTH_FAIL_MAX", FAIL_MAX_DEFAULT, 1, 1000000);
    am->window = conf_env_num("AUTH_FAIL_WINDOW", FAIL_WINDOW_DEFAULT, 1,
        86400 * 30);
    am->delay = conf_env_num("AUTH_FAIL_DELAY", FAIL_DELAY_DEFAULT, 0, 60000);
    conf_statedir(statedir, sizeof statedir);
    snprintf(am->dir, sizeof am->dir, "%s/authfail", statedir);
    am->in_fd = am->out_fd = -1;
}

/* Run checkpassword once: 'Y', 'N' or 'T'. */
static char
run(struct authmon *am, char *const prog[], int resfd, int live,
    const char *req, size_t len, char *out, size_t outlen, pid_t *pidp)
{
    char *args[16];
    int in[2], res[2], st;
    size_t got = 0, i;
    pid_t pid;

    for (i = 0; prog[i] != NULL && i < 14; i++)
        args[i + 1] = prog[i];
    args[0] = am->cp;
    args[i + 1] = NULL;
    if (pipe_cloexec(in) == -1)
        return 'T';
    if (pipe_cloexec(res) == -1) {
        close(in[0]);
        close(in[1]);
        return 'T';
    }
    pid = fork();
    if (pid == -1) {
        close(in[0]);
        close(in[1]);
        close(res[0]);
        close(res[1]);
        return 'T';
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        int i0 = am->in_fd != -1 ? am->in_fd : null;
        int o1 = am->out_fd != -1 ? am->out_fd : null;
        /* res[1] first to a high number: resfd may be 0, 1 or 3 */
        int r = fcntl(res[1], F_DUPFD_CLOEXEC, 10);
        if (null == -1 || r == -1 || dup2(i0, 0) == -1 || dup2(o1, 1) == -1
            || dup2(in[0], 3) == -1 || dup2(r, resfd) == -1)
            _exit(111);
        execv(am->cp, args);
        _exit(111);
    }
    close(in[0]);
    close(res[1]);
    /* login \0 password \0 and an empty timestamp \0 */
    (void)(fd_write_all(in[1], req, len, loop_now() + WRITE_TIMEOUT_MS) == -1
        || fd_write_all(in[1], "", 1, loop_now() + WRITE_TIMEOUT_MS));
    close(in[1]);
    for (;;) {
        ssize_t r = read(res[0], out + got, outlen - 1 - got);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got == outlen - 1 || (live && memchr(out, '\n', got)))
            break;
    }
    close(res[0]);
    out[got] = 0;
    while (got > 0 && out[got - 1] == '\n')
        out[--got] = 0;
    if (live && got > 0) {
        *pidp = pid;
        return 'Y';
    }
    while (waitpid(pid, &st, 0) == -1)
        if (errno != EINTR)
            return 'T';
    if (!live && WIFEXITED(st) && WEXITSTATUS(st) == 0 && got > 0)
        return 'Y';
    if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
        return 'N';
    log_warn("checkpassword failed: %s %d", WIFEXITED(st) ? "exit" : "signal",
        WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return 'T';
}

char
authmon_check(struct authmon *am, char *const prog[], int resfd, int live,
    char *req, size_t len, char *who, size_t wholen, pid_t *pid)
{
    int r;
    char a;

    who[0] = 0;
    r = authfail_blocked(am->dir, am->ip, (unsigned)am->max, am->window);
    if (r == -1) {
        log_warn("cannot use %s: %s", am->dir, strerror(errno));
        a = 'T';
    } else if (r == 1) {
        a = 'B';
    } else {
        a = run(am, prog, resfd, live, req, len, who, wholen, pid);
    }
    explicit_bzero(req, len);
    if (a == 'N') {
        if (authfail_record(am->dir, am->ip, am->window) == -1)
            log_warn("cannot count a failure in %s: %s", am->dir,
                strerror(errno));
        poll(NULL, 0, (int)am->delay);
    }
    return a;
}
