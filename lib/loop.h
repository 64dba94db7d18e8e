/* loop.h - monotonic deadlines, poll with a deadline, and the self-pipe.
 *
 * Timeouts in facteur are deadlines on CLOCK_MONOTONIC checked by one poll
 * loop, never alarm().  Signal handlers only write the signal number as one
 * byte to a pipe that the loop polls like any other descriptor.
 */
#ifndef MAIL_LOOP_H
#define MAIL_LOOP_H

#include <poll.h>
#include <stdint.h>

/** loop_now - milliseconds on the monotonic clock. */
int64_t loop_now(void);

/**
 * loop_poll - poll(2) until an event or the deadline.
 * @deadline: loop_now() value after which to give up; -1 waits forever.
 * Returns the poll result (> 0 events), 0 when the deadline has passed,
 * -1 with errno on error.  EINTR is retried with the remaining time.
 */
int loop_poll(struct pollfd *fds, nfds_t n, int64_t deadline);

/**
 * selfpipe_init - create the self-pipe (both ends non-blocking, close on
 * exec).  Returns the read end to poll, or -1 with errno.
 */
int selfpipe_init(void);
/** selfpipe_trap - route signal sig to the self-pipe.  0 or -1. */
int selfpipe_trap(int sig);
/**
 * selfpipe_read - the next signal number delivered, 0 if none is pending,
 * -1 with errno on error.
 */
int selfpipe_read(void);
/** selfpipe_close - close both ends and restore default dispositions. */
void selfpipe_close(void);

#endif
