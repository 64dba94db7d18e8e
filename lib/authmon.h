/* authmon.h - the privileged half of a login: run checkpassword.
 *
 * submissiond and imapd split a connection in two (as OpenSSH's
 * monitor): an unprivileged process speaks the protocol and hands the
 * credentials it decoded to a monitor that stays root and never reads
 * the network.  This is the monitor's work, shared by both: count and
 * delay failures per client (lib/authfail.h, in $statedir/authfail),
 * run checkpassword with the credentials on its fd 3 and a program for
 * it to exec on success, and tell success, failure and "try later"
 * apart.  The program reports success by writing at least one byte to
 * the descriptor resfd: for submissiond it is /usr/bin/printenv USER
 * writing the mailbox on its fd 1; for imapd it is the session itself
 * ("imapd -S", which writes one byte on fd 4 and lives on with the
 * connection on its fds 0 and 1).
 *
 * Environment: AUTH_FAIL_MAX (failures in the window before a client is
 * refused; default 10), AUTH_FAIL_WINDOW (seconds; default 900),
 * AUTH_FAIL_DELAY (milliseconds each failure waits; default 2000).
 * Configuration: statedir (default /var/lib/facteur).
 */
#ifndef MAIL_AUTHMON_H
#define MAIL_AUTHMON_H

#include <stddef.h>
#include <sys/types.h>

#define AUTHMON_PATH_MAX 4096
/* A request: login \0 password \0, as the protocol process sends it. */
#define AUTHMON_REQUEST_MAX 512

struct authmon {
    char cp[AUTHMON_PATH_MAX];        /* checkpassword */
    char dir[AUTHMON_PATH_MAX + 16];  /* the failure counters */
    const char *ip;                   /* the client */
    long max, window, delay;
    int in_fd, out_fd;                /* given to the program as 0 and 1 (-1: /dev/null) */
};

/** authmon_init - read the tunables; cp is checkpassword's path. */
void authmon_init(struct authmon *am, const char *cp, const char *ip);

/**
 * authmon_check - the verdict on req (len bytes: login \0 password \0):
 * 'Y' (the program's first line, up to wholen - 1 bytes, in who), 'N'
 * (wrong; counted and delayed), 'B' (the client is over its failure
 * limit: nothing was checked) or 'T' (temporary: checkpassword missing,
 * killed, 111, the counters unusable).  The request is wiped.
 * prog is the program (argv, NULL-terminated) checkpassword execs and
 * resfd the descriptor it reports on.  When live is set the program
 * outlives the check: on 'Y' its pid is in *pid and it is not waited for;
 * otherwise it must exit 0 after writing.
 */
char authmon_check(struct authmon *am, char *const prog[], int resfd,
    int live, char *req, size_t len, char *who, size_t wholen, pid_t *pid);

#endif
