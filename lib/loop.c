/* loop.c - deadlines, poll with a deadline, self-pipe (see loop.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

static int selfpipe[2] = { -1, -1 };
static sigset_t trapped;

int64_t
loop_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
loop_poll(struct pollfd *fds, nfds_t n, int64_t deadline)
{
    int64_t left;
    int r;

    for (;;) {
        if (deadline < 0) {
            left = -1;
        } else {
            left = deadline - loop_now();
            if (left < 0)
                left = 0;
            if (left > 86400000)
                left = 86400000;
        }
        r = poll(fds, n, (int)left);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == 0 && deadline >= 0 && loop_now() < deadline)
            continue; /* woke early, clamped interval */
        return r;
    }
}

static void
selfpipe_handler(int sig)
{
    int e = errno;
    unsigned char c = (unsigned char)sig;

    (void)!write(selfpipe[1], &c, 1);
    errno = e;
}

static int
fd_setflags(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int
selfpipe_init(void)
{
    if (selfpipe[0] != -1)
        return selfpipe[0];
    if (pipe(selfpipe) == -1)
        return -1;
    if (fd_setflags(selfpipe[0]) == -1 || fd_setflags(selfpipe[1]) == -1) {
        selfpipe_close();
        return -1;
    }
    sigemptyset(&trapped);
    return selfpipe[0];
}

int
selfpipe_trap(int sig)
{
    struct sigaction sa;

    if (selfpipe[0] == -1) {
        errno = EBADF;
        return -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = selfpipe_handler;
    sa.sa_flags = SA_RESTART;
    sigfillset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) == -1)
        return -1;
    sigaddset(&trapped, sig);
    return 0;
}

int
selfpipe_read(void)
{
    unsigned char c;
    ssize_t r;

    for (;;) {
        r = read(selfpipe[0], &c, 1);
        if (r == 1)
            return c;
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1 && errno == EAGAIN)
            return 0;
        if (r == 0)
            errno = EPIPE;
        return -1;
    }
}

void
selfpipe_close(void)
{
    int sig;

    if (selfpipe[0] == -1)
        return;
    for (sig = 1; sig < 64; sig++)
        if (sigismember(&trapped, sig) == 1)
            signal(sig, SIG_DFL);
    close(selfpipe[0]);
    close(selfpipe[1]);
    selfpipe[0] = selfpipe[1] = -1;
}
