/* authfail.h - failed logins per client, counted across connections.
 *
 * A process per connection cannot count in memory, so the count lives in
 * files: <dir>/<key>, one a client, holding "count first-failure-time".
 * The key is the IPv4 address, or the /64 of an IPv6 address (one
 * subscriber's network: rotating addresses inside it does not help).
 * Each update holds an flock on the file.  A window starts at the first
 * failure and lasts window seconds; a client with max failures in its
 * window is refused until the window ends.  Success does not reset the
 * count (one valid account must not unlock guessing another).
 * Only the monitor of submissiond and imapd (root) writes here.
 */
#ifndef MAIL_AUTHFAIL_H
#define MAIL_AUTHFAIL_H

#include <stdint.h>

/**
 * authfail_blocked - 1 when ip has reached max failures within its
 * window, 0 when not, -1 with errno (the directory is unusable: callers
 * fail temporarily, never let everyone in unchecked).
 */
int authfail_blocked(const char *dir, const char *ip, unsigned max,
    int64_t window);

/** authfail_record - count one failure of ip.  0, or -1 with errno. */
int authfail_record(const char *dir, const char *ip, int64_t window);

#endif
