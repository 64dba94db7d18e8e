/* loop_test.c - deadlines and the self-pipe. */
#include <signal.h>
#include <unistd.h>

#include "loop.h"
#include "tap.h"

int
main(void)
{
    struct pollfd pf;
    int64_t t0, t1;
    int fd, r;

    fd = selfpipe_init();
    ok(fd >= 0, "self-pipe created");
    ok(selfpipe_trap(SIGUSR1) == 0 && selfpipe_trap(SIGCHLD) == 0, "traps");
    ok(selfpipe_read() == 0, "nothing pending");
    t0 = loop_now();
    pf.fd = fd;
    pf.events = POLLIN;
    r = loop_poll(&pf, 1, t0 + 150);
    t1 = loop_now();
    ok(r == 0 && t1 - t0 >= 150 && t1 - t0 < 1000, "poll waits to deadline");
    kill(getpid(), SIGUSR1);
    r = loop_poll(&pf, 1, loop_now() + 1000);
    ok(r == 1 && (pf.revents & POLLIN), "signal wakes the poll");
    ok(selfpipe_read() == SIGUSR1, "signal number read back");
    ok(selfpipe_read() == 0, "then nothing");
    r = loop_poll(&pf, 1, loop_now() - 5);
    ok(r == 0, "past deadline returns at once");
    selfpipe_close();
    return done();
}
