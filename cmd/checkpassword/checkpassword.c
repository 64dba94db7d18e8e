/* checkpassword.c - check a login, then become the mailbox owner and run
 * the next program (DJB's checkpassword interface).
 *
 * Usage: checkpassword prog [arg...]     (credentials on fd 3)
 *
 * Reads fd 3 to its end (at most CP_INPUT_MAX bytes, within
 * READ_TIMEOUT): login \0 password \0 timestamp \0 (the timestamp may be
 * empty and is ignored), and closes it.  The login is a mailbox address
 * (addr.h's grammar), looked up in $FACTEUR_CONF/users.cdb as given,
 * then with its local part lower-cased (lib/rcpt.h); the password is
 * checked against the stored hash (lib/pwhash.h: yescrypt, sha-crypt,
 * bcrypt, legacy {PLAIN-MD5}).  An unknown or malformed login costs one
 * yescrypt check too, so timing does not tell which logins exist.  The
 * password is wiped from memory as soon as it has been checked.
 *
 * On success: becomes the mailbox owner ($FACTEUR_CONF/mailowner: a user
 * name or uid:gid; default facteur-mail; never uid or gid 0) with that
 * one group, creates the mailbox's Maildir if missing (lib/maildir.h),
 * changes to it, sets USER (the address as stored), HOME (the Maildir)
 * and SHELL (/usr/sbin/nologin), and execs prog.  Started as a user
 * other than root, it can only run as that user: the owner must then be
 * that user.
 *
 * Exit codes: 1 wrong login or password, 2 misuse (no prog, fd 3 not
 * readable, input malformed or longer than CP_INPUT_MAX), 111 temporary
 * (users.cdb missing or unreadable, owner unknown, cannot switch user,
 * cannot create or enter the Maildir, cannot run prog).  Nothing is
 * written on stdout; one line on stderr says why, never the password.
 * Privileges: started as root (by submissiond's or imapd's monitor) it
 * reads users.cdb, which nobody else may read.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cdbq.h"
#include "conf.h"
#include "log.h"
#include "loop.h"
#include "maildir.h"
#include "priv.h"
#include "pwhash.h"
#include "rcpt.h"

#define CP_INPUT_MAX 512
#define READ_TIMEOUT_MS 60000
#define OWNER_DEFAULT "facteur-mail"
#define EXIT_BAD 1
#define EXIT_MISUSE 2
#define EXIT_TEMP 111

static unsigned char input[CP_INPUT_MAX + 1];

static _Noreturn void
die(int code, const char *why, const char *arg)
{
    explicit_bzero(input, sizeof input);
    log_die(code, "%s%s%s", why, arg ? ": " : "", arg ? arg : "");
}

/* fd 3 to its end: the number of bytes, or exits. */
static size_t
read_input(void)
{
    int64_t deadline = loop_now() + READ_TIMEOUT_MS;
    size_t n = 0;

    for (;;) {
        struct pollfd p = { 3, POLLIN, 0 };
        ssize_t r;
        int64_t left = deadline - loop_now();
        if (left <= 0)
            die(EXIT_MISUSE, "timeout reading fd 3", NULL);
        if (poll(&p, 1, (int)left) == -1) {
            if (errno == EINTR)
                continue;
            die(EXIT_MISUSE, "cannot read fd 3", strerror(errno));
        }
        r = read(3, input + n, sizeof input - n);
        if (r == -1) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die(EXIT_MISUSE, "cannot read fd 3", strerror(errno));
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > CP_INPUT_MAX)
            die(EXIT_MISUSE, "more than 512 bytes on fd 3", NULL);
    }
    close(3);
    return n;
}

int
main(int argc, char **argv)
{
    char key[ADDR_MAX + 2], dir[MAILDIR_PATH_MAX], owner[256];
    char shown[ADDR_MAX + 1];
    const char *login, *pw, *conf;
    struct sa v = SA_INIT(8192);
    struct cdbq q;
    struct addr a;
    size_t n, pwlen;
    int found = 0, ok, r;
    uid_t uid;
    gid_t gid;

    log_init("checkpassword");
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        die(EXIT_MISUSE, "usage: checkpassword prog [arg...]", NULL);
    n = read_input();
    /* login \0 password \0 timestamp \0, each NUL inside the input. */
    {
        const unsigned char *e1 = memchr(input, 0, n), *e2, *e3 = NULL;
        e2 = e1 ? memchr(e1 + 1, 0, n - (size_t)(e1 + 1 - input)) : NULL;
        if (e2 != NULL)
            e3 = memchr(e2 + 1, 0, n - (size_t)(e2 + 1 - input));
        if (e3 == NULL)
            die(EXIT_MISUSE, "malformed input on fd 3", NULL);
    }
    login = (const char *)input;
    pw = login + strlen(login) + 1;
    snprintf(shown, sizeof shown, "%.*s", (int)sizeof shown - 1, login);
    pwlen = strlen(pw);

    conf = conf_dir();
    snprintf(dir, sizeof dir, "%s/users.cdb", conf);
    if (cdbq_open(&q, dir) == -1)
        die(EXIT_TEMP, "cannot open users.cdb", strerror(errno));
    if (addr_parse(login, strlen(login), 0, &a) == 0) {
        r = rcpt_lookup(&q, a.local, strlen(a.local), a.domain, key,
            sizeof key, &v);
        if (r == -1) {
            cdbq_close(&q);
            die(EXIT_TEMP, "cannot read users.cdb", strerror(errno));
        }
        found = r == 1;
    }
    cdbq_close(&q);
    if (found) {
        ok = pwhash_verify(v.s, pw, pwlen);
    } else {
        pwhash_dummy(pw, pwlen);
        ok = 0;
    }
    explicit_bzero(input, sizeof input); /* the password */
    if (ok == -1)
        die(EXIT_TEMP, "cannot check the password", strerror(errno));
    if (ok == 0) {
        char esc[ADDR_MAX * 4 + 4];
        sa_wipe(&v);
        log_info("refused login=%s%s",
            log_escape(esc, sizeof esc, shown, strlen(shown)),
            found ? "" : " (unknown)");
        return EXIT_BAD;
    }

    /* The mailbox owner. */
    r = conf_line("mailowner", owner, sizeof owner);
    if (r == -1)
        die(EXIT_TEMP, "cannot read $FACTEUR_CONF/mailowner", NULL);
    if (r == 0)
        snprintf(owner, sizeof owner, "%s", OWNER_DEFAULT);
    if (priv_parse(owner, &uid, &gid) == -1)
        die(EXIT_TEMP, "unusable mailbox owner", owner);
    if (maildir_path(key, v.s + strlen(v.s) + 1 < v.s + v.len
                ? v.s + strlen(v.s) + 1 : "", dir, sizeof dir) == -1)
        die(EXIT_TEMP, "no Maildir ($FACTEUR_CONF/mailroot) for", key);
    sa_wipe(&v);
    if (geteuid() == 0) {
        if (priv_drop(uid, gid, NULL) == -1)
            die(EXIT_TEMP, "cannot become the mailbox owner", owner);
    } else if (geteuid() != uid) {
        die(EXIT_TEMP, "not root and not the mailbox owner", owner);
    }
    if (maildir_make(dir) == -1 || chdir(dir) == -1)
        die(EXIT_TEMP, "cannot use the Maildir", dir);
    if (setenv("USER", key, 1) == -1 || setenv("HOME", dir, 1) == -1
        || setenv("SHELL", "/usr/sbin/nologin", 1) == -1)
        die(EXIT_TEMP, "out of memory", NULL);
    log_info("login=%s", key);
    execvp(argv[1], argv + 1);
    die(EXIT_TEMP, "cannot run", argv[1]);
}
