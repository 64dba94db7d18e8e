/* local-deliver.c - deliver one message to one local recipient.
 *
 * Usage: local-deliver RECIPIENT < message     (environment: SENDER)
 *
 * The message on fd 0 is in the queue's canonical form (CRLF lines; LF
 * is accepted too).  RECIPIENT is resolved by lib/rcpt.h (the same code
 * smtpd uses at RCPT time) against the tables of $FACTEUR_CONF:
 * domains.cdb, mailboxes.cdb, aliases.cdb (see cmd/facteur/table.h):
 * a mailbox (local+tag@domain delivers to local@domain, in the Maildir++
 * folder .tag when it exists, else the inbox), an alias, the domain's
 * catch-all @domain, and postmaster@ and abuse@ of every local domain,
 * which without an entry of their own go to the address in
 * $FACTEUR_CONF/postmaster (missing: 111, the mail waits).
 * A mailbox's mail goes to the Maildir named in mailboxes.cdb, else
 * <mailroot>/<domain>/<local>/ (mailroot: $FACTEUR_CONF/mailroot; bytes
 * of the local part other than letters, digits, '+', '-', '_' and inner
 * dots are written %XX, so no address can name a path outside it).  The
 * inbox Maildir is created if missing.  Delivery: a file in tmp/ (an
 * unnamed one, O_TMPFILE, where the kernel has them and /proc is there)
 * written with Return-Path: and Delivered-To: first and LF line ends
 * (the Maildir convention), fsync'd, linked into new/, new/ fsync'd;
 * then exit 0.
 * A message with mail-auth's mark (an X-Facteur-Quarantine: field: a
 * DMARC p=quarantine failure) goes to the mailbox's Junk folder when it
 * has one.
 * An alias's targets get the message through queue-inject (a sibling
 * program), with the same sender and a Delivered-To: for loop detection.
 *
 * Exit codes (delivery programs): 0 delivered, 100 permanent (no such
 * user, not a local domain, a mail loop: Delivered-To already names the
 * recipient, malformed address), 111 temporary (a table missing or
 * unreadable, disk full, write error).  One line on stderr says why.
 * Privileges: started as root, it becomes the mailbox owner first
 * ($FACTEUR_CONF/mailowner, a name or uid:gid; default facteur-mail when
 * that user exists), so every Maildir belongs to that one user.
 * Limits: header scan for loops covers the header section only; each
 * read waits at most READ_TIMEOUT.
 * More messages (LOCAL_REUSE set and fd 3 a socket, queue-run's): after
 * a delivery it sends the record "0" on fd 3 instead of exiting, then
 * waits there for the next job: one record "<recipient>\0<sender>\0"
 * with the message file's descriptor (SCM_RIGHTS), which becomes fd 0.
 * So one process, one start-up and one change of user serve many
 * messages.  A failure still ends the process with its exit code and
 * reason, as above; EOF on fd 3 ends it with 0.
 * Not yet: SRS for forwards to remote targets, quotas.
 */
#define _GNU_SOURCE /* O_TMPFILE (Linux) */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "exitcode.h"
#include "fdpass.h"
#include "log.h"
#include "loop.h"
#include "maildir.h"
#include "priv.h"
#include "rcpt.h"
#include "sa.h"
#include "sibling.h"

#define READ_TIMEOUT_MS (3600 * 1000)
#define PATH_MAX_LEN 4096
/* A job record on fd 3: recipient and sender, NUL-terminated. */
#define REUSE_JOB_MAX (2 * ADDR_MAX + 2)

static const char *conf;

static _Noreturn void
die(int code, const char *what, const char *arg)
{
    log_die(code, "%s%s%s", what, arg ? ": " : "", arg ? arg : "");
}

/* snprintf for paths: a path that does not fit is a temporary failure,
 * never a truncated (other) path. */
static void pathf(char *out, size_t len, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static void
pathf(char *out, size_t len, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vsnprintf(out, len, fmt, ap);
    va_end(ap);
    if (r < 0 || (size_t)r >= len)
        die(EXIT_TEMP, "path too long", NULL);
}

/* Copy the message from fd 0 to fd out, CRLF -> LF.  Returns 0, -1 on a
 * write error (errno set); read errors are fatal (temporary). */
static int
copy_message(struct buf *in, int out)
{
    static unsigned char wmem[65536];
    unsigned char chunk[65536];
    struct buf w;
    int cr = 0;
    ssize_t r, i;

    buf_init(&w, out, wmem, sizeof wmem);
    for (;;) {
        r = buf_get(in, chunk, sizeof chunk);
        if (r == -1)
            die(EXIT_TEMP, "cannot read the message", NULL);
        if (r == 0)
            break;
        for (i = 0; i < r; i++) {
            if (cr && chunk[i] != '\n' && buf_put(&w, "\r", 1) == -1)
                return -1;
            cr = chunk[i] == '\r';
            if (!cr && buf_put(&w, &chunk[i], 1) == -1)
                return -1;
        }
    }
    if (cr && buf_put(&w, "\r", 1) == -1)
        return -1;
    return buf_flush(&w);
}

/* Look for Delivered-To: <rcpt> in the header section: a loop.  Returns
 * 1 when the header has mail-auth's quarantine mark (X-Facteur-Quarantine:
 * a DMARC p=quarantine failure): the message goes to the Junk folder. */
static int
check_loop(struct buf *in, const char *rcpt)
{
    int quarantine = 0;
    char line[1024];
    size_t len, rl = strlen(rcpt), save;

    /* The header is looked at in the buffer only: whatever does not fit
     * in its first fill is not scanned (a loop needs the field near the
     * top, where every hop adds it). */
    if (buf_unread(in) == 0 && buf_fill(in) == -1)
        die(EXIT_TEMP, "cannot read the message", NULL);
    save = in->pos;
    for (;;) {
        size_t avail = buf_unread(in);
        unsigned char *nl;
        if (avail == 0)
            break;
        nl = memchr(in->p + in->pos, '\n', avail);
        if (nl == NULL)
            break;
        len = (size_t)(nl - (in->p + in->pos)) + 1;
        if (len > sizeof line - 1) {
            in->pos += len;
            continue;
        }
        memcpy(line, in->p + in->pos, len);
        line[len] = 0;
        in->pos += len;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (len == 0)
            break;
        if (strncasecmp(line, "Delivered-To:", 13) == 0) {
            const char *v = line + 13;
            while (*v == ' ' || *v == '\t')
                v++;
            if (strlen(v) == rl && strcasecmp(v, rcpt) == 0)
                die(EXIT_PERM, "mail loop: already delivered to", rcpt);
        }
        if (strncasecmp(line, "X-Facteur-Quarantine:", 21) == 0)
            quarantine = 1;
    }
    in->pos = save;
    return quarantine;
}

static void
deliver_maildir(struct buf *in, const char *maildir, const char *folder,
    const char *sender, const char *rcpt)
{
    char dir[PATH_MAX_LEN], tmp[PATH_MAX_LEN], new[PATH_MAX_LEN];
    char name[256], host[128], hdr[1024];
    unsigned char rnd[4];
    struct timeval tv;
    struct stat st;
    size_t i;
    int fd, d, e, unnamed = 0;

    if (folder != NULL) {
        pathf(dir, sizeof dir, "%s/.%s", maildir, folder);
        if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
            folder = NULL; /* no such folder: the inbox */
    }
    if (folder == NULL) {
        pathf(dir, sizeof dir, "%s", maildir);
        if (maildir_make(dir) == -1)
            die(EXIT_TEMP, "cannot create the Maildir", dir);
    }
    if (gethostname(host, sizeof host) == -1)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = 0;
    for (i = 0; host[i]; i++)
        if (host[i] == '/' || host[i] == ':')
            host[i] = '_'; /* reserved in Maildir names */
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        memset(rnd, 0, sizeof rnd);
    gettimeofday(&tv, NULL);
    snprintf(name, sizeof name, "%lld.M%ldP%ldR%02x%02x%02x%02x.%s",
        (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), rnd[0],
        rnd[1], rnd[2], rnd[3], host);
    pathf(new, sizeof new, "%s/new/%s", dir, name);
    /* An unnamed file in tmp/ (O_TMPFILE), named in new/ through
     * /proc/self/fd: no name made in tmp/ and removed again, nothing left
     * there by a crash.  Else tmp/<name>, the Maildir way. */
    pathf(tmp, sizeof tmp, "%s/tmp", dir);
    fd = access("/proc/self/fd", X_OK) == 0
        ? open(tmp, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0600) : -1;
    if (fd != -1) {
        snprintf(tmp, sizeof tmp, "/proc/self/fd/%d", fd);
        unnamed = 1;
    } else {
        pathf(tmp, sizeof tmp, "%s/tmp/%s", dir, name);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
            0600);
    }
    if (fd == -1)
        die(EXIT_TEMP, "cannot create", tmp);
    snprintf(hdr, sizeof hdr, "Return-Path: <%s>\nDelivered-To: %s\n", sender,
        rcpt);
    if (fd_write_all(fd, hdr, strlen(hdr), -1) == -1
        || copy_message(in, fd) == -1 || fsync(fd) == -1) {
        e = errno;
        if (!unnamed)
            unlink(tmp);
        errno = e;
        die(EXIT_TEMP, e == ENOSPC || e == EDQUOT ? "disk full" : "write error",
            tmp);
    }
    if (linkat(AT_FDCWD, tmp, AT_FDCWD, new, unnamed ? AT_SYMLINK_FOLLOW : 0)
        == -1) {
        e = errno;
        if (!unnamed)
            unlink(tmp);
        errno = e;
        die(EXIT_TEMP, "cannot link into new/", new);
    }
    if (!unnamed)
        unlink(tmp);
    close(fd); /* fsync'd and in new/: delivered */
    pathf(tmp, sizeof tmp, "%s/new", dir);
    d = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d == -1 || fsync(d) == -1)
        die(EXIT_TEMP, "cannot sync", tmp); /* not acknowledged: retried */
    close(d);
    log_info("delivered to=%s folder=%s file=%s", rcpt,
        folder ? folder : "INBOX", name);
}

/* Forward to the targets (text0 in v) through queue-inject; returns
 * when they are queued. */
static void
forward(struct buf *in, const char *argv0, const struct sa *v,
    const char *sender, const char *rcpt)
{
    char qi[PATH_MAX_LEN], hdr[512];
    const char *args[1024];
    size_t n = 0, i = 0;
    int p[2], st;
    pid_t pid;

    if (sibling_path(argv0, "queue-inject", qi, sizeof qi) == -1)
        die(EXIT_TEMP, "cannot find queue-inject", NULL);
    args[n++] = qi;
    args[n++] = "-f";
    args[n++] = sender;
    while (i < v->len) {
        if (n >= sizeof args / sizeof args[0] - 1)
            die(EXIT_TEMP, "alias has more than 1020 targets", rcpt);
        args[n++] = v->s + i;
        i += strlen(v->s + i) + 1;
    }
    args[n] = NULL;
    if (pipe(p) == -1)
        die(EXIT_TEMP, "pipe failed", NULL);
    pid = fork();
    if (pid == -1)
        die(EXIT_TEMP, "fork failed", NULL);
    if (pid == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        execv(qi, (char *const *)args); /* argv, never a shell */
        _exit(EXIT_TEMP);
    }
    close(p[0]);
    snprintf(hdr, sizeof hdr, "Delivered-To: %s\n", rcpt);
    /* A write error here means queue-inject stopped reading; its exit
     * status says why. */
    if (fd_write_all(p[1], hdr, strlen(hdr), -1) == 0)
        (void)copy_message(in, p[1]);
    close(p[1]);
    while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        log_info("forwarded to=%s targets=%zu", rcpt, n - 3);
        return;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 100)
        die(EXIT_PERM, "forward refused by queue-inject", rcpt);
    die(EXIT_TEMP, "forward failed in queue-inject", rcpt);
}

/* Deliver the message on fd 0 to rcpt; returns when it is delivered,
 * exits with the code and the reason otherwise. */
static void
deliver(const char *argv0, const char *rcpt, const char *sender)
{
    static unsigned char inmem[65536];
    char maildir[MAILDIR_PATH_MAX];
    struct sa v = SA_INIT(RCPT_VALUE_MAX);
    struct rcpt_tables t;
    struct rcpt_res res;
    struct addr a;
    struct buf in;
    int kind, quarantine;

    if (addr_parse(rcpt, strlen(rcpt), 0, &a) == -1)
        die(EXIT_PERM, "malformed recipient", rcpt);
    if (rcpt_open(&t, conf) == -1)
        die(EXIT_TEMP, "cannot open the tables in", conf);
    switch (rcpt_local_domain(&t, a.domain)) {
    case 0:
        die(EXIT_PERM, "not a local domain", a.domain);
    case -1:
        die(EXIT_TEMP, "cannot read domains.cdb in", conf);
    }
    buf_init(&in, 0, inmem, sizeof inmem);
    in.deadline = loop_now() + READ_TIMEOUT_MS;
    quarantine = check_loop(&in, a.full);

    kind = rcpt_resolve(&t, &a, &res, &v);
    rcpt_close(&t);
    if (kind == -1)
        die(EXIT_TEMP, "cannot read the tables in", conf);
    if (kind == RCPT_MAILBOX) {
        const char *tag = res.tag[0] ? res.tag : NULL;
        if (maildir_path(res.key, v.s ? v.s : "", maildir, sizeof maildir)
            == -1)
            die(EXIT_TEMP, "no Maildir: $FACTEUR_CONF/mailroot must be an "
                           "absolute path, for", res.key);
        /* A tag names a folder only if it is a plain name. */
        if (tag != NULL && (tag[0] == '.' || strpbrk(tag, "/\\\"") != NULL))
            tag = NULL;
        if (quarantine)
            tag = "Junk"; /* the folder imapd makes; the inbox without it */
        deliver_maildir(&in, maildir, tag, sender, a.full);
        sa_wipe(&v);
        return;
    }
    if (kind == RCPT_ALIAS) {
        forward(&in, argv0, &v, sender, a.full);
        sa_wipe(&v);
        return;
    }
    /* RFC 5321 4.5.1 (and RFC 2142 for abuse@): these always exist.
     * Without a user or alias of their own they go to the address in
     * $FACTEUR_CONF/postmaster; without that, the mail waits (111) for
     * the admin rather than bounce. */
    if (kind == RCPT_POSTMASTER) {
        char pm[ADDR_MAX + 2];
        struct addr pa;
        if (conf_line("postmaster", pm, sizeof pm) != 1
            || addr_parse(pm, strlen(pm), 0, &pa) == -1)
            die(EXIT_TEMP, "no mailbox and no $FACTEUR_CONF/postmaster for",
                a.full);
        if (strcmp(pa.full, a.full) == 0)
            die(EXIT_TEMP, "$FACTEUR_CONF/postmaster names itself", a.full);
        sa_truncate(&v, 0);
        if (sa_append(&v, pa.full, strlen(pa.full) + 1) == -1)
            die(EXIT_TEMP, "out of memory", NULL);
        forward(&in, argv0, &v, sender, a.full);
        sa_wipe(&v);
        return;
    }
    die(EXIT_PERM, "no such user", a.full);
}

/* LOCAL_REUSE: report the delivery on fd 3 and take the next job from
 * it, its message as fd 0.  0 when there is none (EOF: queue-run is done
 * with us); a record that is not a job is a temporary failure of that
 * job (queue-run then sees us exit and retries it). */
static int
next_job(char *job, const char **rcpt, const char **sender)
{
    ssize_t got;
    size_t len;
    int fd = -1;

    if (send(3, "0", 1, MSG_NOSIGNAL) != 1)
        return 0;
    got = fdpass_recv(3, job, REUSE_JOB_MAX, &fd);
    if (got == 0)
        return 0;
    if (got < 0)
        die(EXIT_TEMP, "bad job record on fd 3", strerror(errno));
    len = strnlen(job, (size_t)got);
    if (len == 0 || len + 1 >= (size_t)got || job[got - 1] != 0
        || strlen(job + len + 1) != (size_t)got - len - 2 || dup2(fd, 0) == -1)
        die(EXIT_TEMP, "bad job record on fd 3", NULL);
    close(fd);
    *rcpt = job;
    *sender = job + len + 1;
    return 1;
}

int
main(int argc, char **argv)
{
    static char job[REUSE_JOB_MAX];
    const char *sender = getenv("SENDER"), *rcpt;
    struct stat st;
    int reuse;

    log_init("local-deliver");
    signal(SIGPIPE, SIG_IGN);
    conf = conf_dir();
    if (argc != 2)
        die(EXIT_PERM, "usage: local-deliver recipient < message", NULL);
    if (sender == NULL)
        sender = "";
    /* queue-run's offer of more messages: fd 3, said so in LOCAL_REUSE
     * (an fd 3 inherited by chance must not be read) */
    reuse = getenv("LOCAL_REUSE") != NULL && fstat(3, &st) == 0
        && S_ISSOCK(st.st_mode);
    /* ours alone: not for the queue-inject of a forward */
    if (reuse && fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
        die(EXIT_TEMP, "cannot set up fd 3", strerror(errno));
    /* Mailboxes belong to one owner ($FACTEUR_CONF/mailowner, default
     * facteur-mail): never written as root. */
    if (priv_become("mailowner", "facteur-mail") == -1)
        die(EXIT_TEMP, "cannot become the mailbox owner", strerror(errno));
    rcpt = argv[1];
    do
        deliver(argv[0], rcpt, sender);
    while (reuse && next_job(job, &rcpt, &sender));
    return EXIT_OK;
}
