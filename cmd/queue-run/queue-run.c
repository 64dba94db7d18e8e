/* queue-run.c - the one long-running process: delivers what is queued.
 *
 * Usage: queue-run            (supervised; logs on stderr)
 *
 * Reads $FACTEUR_CONF/queuedir (the queue, see lib/queue.h),
 * domains.cdb (which recipients are local), hostname, queuelifetime
 * (seconds; default 432000, five days).
 *
 * Loop: new messages are taken from todo/ as soon as inotify reports
 * them.  The envelope in todo/<id> is the message's state until a result
 * must be recorded; then the state goes to info/<id> (lib/qinfo.h,
 * written atomically) before todo/<id> is removed, so a message delivered
 * at the first try costs no state write at all.  Every pending recipient of a message due
 * is delivered: local ones by local-deliver (a sibling program, message
 * on fd 0, SENDER in the environment, its one-line reason on stderr),
 * LOCAL_MAX at a time; remote ones stay pending with a clear reason until
 * remote-send exists.  Each result is recorded in info/<id> at once
 * (delivered, failed for good, or still pending with the reason).  A
 * message with pending recipients is retried after a backoff (BACKOFF_MIN
 * doubling to BACKOFF_MAX) until queuelifetime, then they fail.  Failed
 * recipients get one RFC 3464 report to the sender through queue-inject;
 * none for the null sender, whose failures go to postmaster as a double
 * bounce (a failed double bounce is dropped).  A message with nothing
 * pending is removed (info, then mess).
 * Crash safety: the state on disk is always the last one recorded; a
 * delivery whose result was not recorded is made again (at least once).
 * Files left in tmp/, and mess/ files with neither todo/ nor info/, are
 * removed once older than QUEUE_ORPHAN_AGE.
 *
 * Signals: TERM/INT stop (running deliveries finish first), HUP or a file
 * named "flush" appearing in the queue directory makes everything due now
 * (facteur queue flush).
 * Exit codes: 0 after TERM, 111 when the queue cannot be used.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cdbq.h"
#include "conf.h"
#include "dsn.h"
#include "envelope.h"
#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "qinfo.h"
#include "queue.h"
#include "sibling.h"

#define LOCAL_MAX 10
#define BACKOFF_MIN 60
#define BACKOFF_MAX (4 * 3600)
#define LIFETIME_DEFAULT 432000
#define DELIVERY_TIMEOUT 3600
#define MESSAGES_MAX 100000
#define REASON_READ_MAX 1024

struct msg {
    char id[QUEUE_ID_LEN + 1];
    struct qinfo q;
    int in_todo; /* no info/ file yet: todo/<id> is the durable state */
};

struct job {
    pid_t pid;
    struct msg *m;
    size_t r;
    int errfd;
    char err[REASON_READ_MAX];
    size_t errlen;
    int64_t deadline;
};

static const char *conf, *argv0;
static char qdir[4096], hostname[256];
static int qfd, infofd, todofd, messfd, tmpfd;
static struct msg **msgs;
static size_t nmsgs;
static struct job jobs[LOCAL_MAX];
static int64_t lifetime = LIFETIME_DEFAULT;
static int stopping;
static int todo_changed = 1; /* inotify saw something (start: look) */

/* Write info/<id> atomically: tmp/<id>.i, fsync, rename, fsync info/. */
static int
save(struct msg *m)
{
    struct sa s = SA_INIT(1 << 26);
    char tmp[QUEUE_ID_LEN + 3];
    int fd, r = -1;

    snprintf(tmp, sizeof tmp, "%s.i", m->id);
    if (qinfo_encode(&m->q, &s) == -1)
        goto out;
    fd = openat(tmpfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1)
        goto out;
    if (fd_write_all(fd, s.s, s.len, -1) == -1 || fsync(fd) == -1) {
        close(fd);
        unlinkat(tmpfd, tmp, 0);
        goto out;
    }
    close(fd);
    if (renameat(tmpfd, tmp, infofd, m->id) == -1 || fsync(infofd) == -1)
        goto out;
    if (m->in_todo) {
        /* the state now lives in info/: the envelope can go */
        unlinkat(todofd, m->id, 0);
        fsync(todofd);
        m->in_todo = 0;
    }
    r = 0;
out:
    if (r == -1)
        log_warn("cannot record state id=%s error=%s", m->id,
            strerror(errno));
    sa_free(&s);
    return r;
}

static struct msg *
add_msg(const char *id)
{
    struct msg *m, **n;

    if (nmsgs >= MESSAGES_MAX)
        return NULL;
    n = realloc(msgs, (nmsgs + 1) * sizeof *n);
    m = calloc(1, sizeof *m);
    if (n == NULL || m == NULL) {
        free(m);
        return NULL;
    }
    msgs = n;
    memcpy(m->id, id, QUEUE_ID_LEN + 1);
    msgs[nmsgs++] = m;
    return m;
}

static struct msg *
find_msg(const char *id)
{
    size_t i;

    for (i = 0; i < nmsgs; i++)
        if (strcmp(msgs[i]->id, id) == 0)
            return msgs[i];
    return NULL;
}

/* Take every todo/<id>: state first, then the todo entry goes. */
static void
pickup(void)
{
    DIR *d;
    struct dirent *e;
    int fd = dup(todofd);

    if (fd == -1 || (d = fdopendir(fd)) == NULL) {
        log_warn("cannot read todo/ error=%s", strerror(errno));
        return;
    }
    rewinddir(d);
    while ((e = readdir(d)) != NULL) {
        struct sa raw = SA_INIT(ENVELOPE_MAX);
        struct envelope env;
        struct msg *m;
        size_t i;

        if (!queue_is_id(e->d_name))
            continue;
        if (find_msg(e->d_name) != NULL)
            continue;
        if (faccessat(infofd, e->d_name, F_OK, 0) == 0) {
            unlinkat(todofd, e->d_name, 0); /* taken before a crash */
            continue;
        }
        if (queue_read(todofd, e->d_name, &raw) == -1
            || envelope_parse(raw.s ? raw.s : "", raw.len, &env, NULL)
                != (long)raw.len) {
            log_warn("unreadable envelope id=%s: left in todo/", e->d_name);
            sa_free(&raw);
            continue;
        }
        sa_free(&raw);
        m = add_msg(e->d_name);
        if (m == NULL) {
            envelope_free(&env);
            break;
        }
        m->q.created = m->q.next = (int64_t)time(NULL);
        memcpy(m->q.sender, env.sender.full, strlen(env.sender.full) + 1);
        for (i = 0; i < env.nrcpt; i++)
            qinfo_add(&m->q, env.rcpt[i].full);
        envelope_free(&env);
        /* No state file yet: until a result needs recording, todo/<id>
         * is the state (a crash means the deliveries are made again).
         * A message delivered at the first try costs no state write. */
        m->in_todo = 1;
        log_info("new id=%s from=<%s> rcpts=%zu", m->id, m->q.sender, m->q.n);
    }
    closedir(d);
}

static void
load_info(void)
{
    DIR *d;
    struct dirent *e;
    int fd = dup(infofd);

    if (fd == -1 || (d = fdopendir(fd)) == NULL)
        log_die(EXIT_TEMP, "cannot read info/ error=%s", strerror(errno));
    while ((e = readdir(d)) != NULL) {
        struct sa raw = SA_INIT(1 << 26);
        struct msg *m;

        if (!queue_is_id(e->d_name))
            continue;
        if (queue_read(infofd, e->d_name, &raw) == -1)
            continue;
        m = add_msg(e->d_name);
        if (m == NULL)
            break;
        if (qinfo_parse(raw.s ? raw.s : "", raw.len, &m->q) == -1) {
            log_warn("corrupt state id=%s: left alone", e->d_name);
            free(m);
            nmsgs--;
        }
        sa_free(&raw);
    }
    closedir(d);
}

/* 1 local, 0 remote, -1 the table cannot be read (q->fd == -1). */
static int
is_local(struct cdbq *q, const char *addr)
{
    struct sa v = SA_INIT(64);
    const char *dom = strrchr(addr, '@') + 1;
    int r;

    if (q->fd == -1)
        return -1;
    r = cdbq_find(q, dom, strlen(dom), &v);
    sa_free(&v);
    return r;
}

static int
free_slot(void)
{
    int i;

    for (i = 0; i < LOCAL_MAX; i++)
        if (jobs[i].pid <= 0)
            return 1;
    return 0;
}

static int
pending(const struct msg *m)
{
    size_t i;

    for (i = 0; i < m->q.n; i++)
        if (m->q.r[i].state == R_PENDING)
            return 1;
    return 0;
}

static int
any_failed(const struct msg *m)
{
    size_t i;

    for (i = 0; i < m->q.n; i++)
        if (m->q.r[i].state == R_FAILED)
            return 1;
    return 0;
}

static int
running(const struct msg *m)
{
    size_t i;

    for (i = 0; i < LOCAL_MAX; i++)
        if (jobs[i].pid > 0 && jobs[i].m == m)
            return 1;
    return 0;
}

/* Nothing pending and nothing running: report failures, then remove.
 * Returns 1 if the message is gone from msgs[] (another took its slot). */
static int
finish(struct msg *m)
{
    size_t i;
    int failed = 0;

    for (i = 0; i < m->q.n; i++)
        failed += m->q.r[i].state == R_FAILED;
    if (failed && !m->q.bounced) {
        if (dsn_send(argv0, messfd, m->id, &m->q, hostname) == -1)
            return 0; /* retried with the next round */
        m->q.bounced = 1;
        if (save(m) == -1)
            return 0;
    }
    if (m->in_todo) {
        if (unlinkat(todofd, m->id, 0) == -1 || fsync(todofd) == -1)
            return 0;
    } else if (unlinkat(infofd, m->id, 0) == -1 || fsync(infofd) == -1) {
        return 0;
    }
    unlinkat(messfd, m->id, 0);
    log_info("done id=%s failed=%d", m->id, failed);
    for (i = 0; i < nmsgs; i++)
        if (msgs[i] == m) {
            qinfo_free(&m->q);
            free(m);
            msgs[i] = msgs[--nmsgs];
            return 1;
        }
    return 0;
}

static int64_t
backoff(unsigned tries)
{
    int64_t b = BACKOFF_MIN;

    while (tries-- > 1 && b < BACKOFF_MAX)
        b *= 2;
    return b > BACKOFF_MAX ? BACKOFF_MAX : b;
}

static void
start_local(struct msg *m, size_t r)
{
    char ld[4096], env[ADDR_MAX + 8];
    int errp[2], mfd, slot;
    pid_t pid;

    for (slot = 0; slot < LOCAL_MAX && jobs[slot].pid > 0; slot++)
        ;
    if (slot == LOCAL_MAX)
        return;
    if (sibling_path(argv0, "local-deliver", ld, sizeof ld) == -1)
        return;
    mfd = openat(messfd, m->id, O_RDONLY | O_CLOEXEC);
    if (mfd == -1) {
        log_warn("message file missing id=%s", m->id);
        return;
    }
    if (pipe(errp) == -1) {
        close(mfd);
        return;
    }
    snprintf(env, sizeof env, "SENDER=%s", m->q.sender);
    pid = fork();
    if (pid == 0) {
        char *args[] = { ld, m->q.r[r].addr, NULL };
        dup2(mfd, 0);
        dup2(errp[1], 2);
        putenv(env);
        selfpipe_close();
        execv(ld, args);
        _exit(EXIT_TEMP);
    }
    close(mfd);
    close(errp[1]);
    if (pid == -1) {
        close(errp[0]);
        return;
    }
    fcntl(errp[0], F_SETFL, O_NONBLOCK);
    fcntl(errp[0], F_SETFD, FD_CLOEXEC); /* not for the next children */
    jobs[slot].pid = pid;
    jobs[slot].m = m;
    jobs[slot].r = r;
    jobs[slot].errfd = errp[0];
    jobs[slot].errlen = 0;
    jobs[slot].deadline = loop_now() + DELIVERY_TIMEOUT * 1000;
    m->q.r[r].busy = 1;
}

/* Start what is due; returns the next time something will be due. */
static int64_t
schedule(void)
{
    int64_t now = (int64_t)time(NULL), next = -1;
    char path[4200];
    struct cdbq dq;
    size_t i, j;

    /* One open of domains.cdb a pass; a missing table defers. */
    snprintf(path, sizeof path, "%s/domains.cdb", conf);
    if (cdbq_open(&dq, path) == -1)
        dq.fd = -1;
    for (i = 0; i < nmsgs; i++) {
        struct msg *m = msgs[i];
        int waiting = 0;
        if (running(m))
            continue;
        if (pending(m) && now >= m->q.created + lifetime) {
            for (j = 0; j < m->q.n; j++)
                if (m->q.r[j].state == R_PENDING) {
                    char r[QINFO_REASON_MAX + 1];
                    snprintf(r, sizeof r, "4.4.7 message expired in the "
                                          "queue; last error: %.300s",
                        m->q.r[j].reason);
                    qinfo_reason(&m->q.r[j], r, strlen(r));
                    m->q.r[j].state = R_FAILED;
                }
            log_info("expired id=%s", m->id);
            save(m);
        }
        if (!pending(m)) {
            if (finish(m))
                i--; /* msgs[i] now holds another message: look at it */
            else if (next == -1 || now + BACKOFF_MIN < next)
                next = now + BACKOFF_MIN; /* the report failed: retry */
            continue;
        }
        if (m->q.next > now) {
            if (next == -1 || m->q.next < next)
                next = m->q.next;
            continue;
        }
        for (j = 0; j < m->q.n; j++) {
            struct qrcpt *r = &m->q.r[j];
            int loc;
            if (r->state != R_PENDING || r->busy)
                continue;
            loc = is_local(&dq, r->addr);
            if (loc == 1) {
                if (!free_slot()) {
                    waiting = 1;
                    continue;
                }
                start_local(m, j);
                if (!r->busy)
                    waiting = 1; /* no free slot now */
            } else if (loc == 0) {
                static const char why[] = "remote delivery is not "
                                          "available yet (no remote-send)";
                qinfo_reason(r, why, sizeof why - 1);
            } else {
                static const char why[] = "cannot read domains.cdb";
                qinfo_reason(r, why, sizeof why - 1);
            }
        }
        if (!running(m) && !waiting) {
            /* an attempt round with nothing started: back off now */
            m->q.tries++;
            m->q.next = now + backoff(m->q.tries);
            save(m);
        }
        if (waiting && (next == -1 || now + 1 < next))
            next = now + 1;
        if (!free_slot())
            break; /* a finished delivery wakes the loop again */
    }
    cdbq_close(&dq);
    return next;
}

static void
job_done(struct job *jb, int st)
{
    struct msg *m = jb->m;
    struct qrcpt *r = &m->q.r[jb->r];
    ssize_t n;
    char *line;

    while (jb->errlen < sizeof jb->err - 1
        && (n = read(jb->errfd, jb->err + jb->errlen,
                sizeof jb->err - 1 - jb->errlen))
            > 0)
        jb->errlen += (size_t)n;
    close(jb->errfd);
    jb->err[jb->errlen] = 0;
    /* The reason: the last line, without "prog: level: sid ". */
    line = jb->err;
    while (jb->errlen > 0 && jb->err[jb->errlen - 1] == '\n')
        jb->err[--jb->errlen] = 0;
    if (strrchr(line, '\n'))
        line = strrchr(line, '\n') + 1;
    {
        char *f = strstr(line, ": fatal: ");
        if (f != NULL && strlen(f + 9) > LOG_SID_LEN)
            line = f + 9 + LOG_SID_LEN + 1;
    }
    r->busy = 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        r->state = R_DONE;
        r->reason[0] = 0;
        log_info("delivered id=%s to=%s", m->id, r->addr);
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 100) {
        r->state = R_FAILED;
        qinfo_reason(r, line, strlen(line));
        log_info("failed id=%s to=%s reason=\"%s\"", m->id, r->addr,
            r->reason);
    } else {
        qinfo_reason(r, line[0] ? line : "delivery program crashed",
            strlen(line[0] ? line : "delivery program crashed"));
        log_info("deferred id=%s to=%s reason=\"%s\"", m->id, r->addr,
            r->reason);
    }
    jb->pid = 0;
    if (!running(m) && pending(m)) {
        m->q.tries++;
        m->q.next = (int64_t)time(NULL) + backoff(m->q.tries);
    }
    /* Record the result, unless nothing is left to do and nothing failed:
     * then finish() removes the message, which records it as well. */
    if (pending(m) || running(m) || any_failed(m))
        save(m);
}

static void
reap(void)
{
    int st, i;
    pid_t pid;

    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
        for (i = 0; i < LOCAL_MAX; i++)
            if (jobs[i].pid == pid)
                job_done(&jobs[i], st);
}

static void
flush_all(void)
{
    size_t i;

    for (i = 0; i < nmsgs; i++)
        msgs[i]->q.next = 0;
    unlinkat(qfd, "flush", 0);
    log_info("flush");
}

/* Old leftovers of crashed injectors. */
static void
sweep(void)
{
    int dirs[2] = { tmpfd, messfd }, i;
    time_t now = time(NULL);

    for (i = 0; i < 2; i++) {
        int fd = dup(dirs[i]);
        DIR *d = fd == -1 ? NULL : fdopendir(fd);
        struct dirent *e;
        struct stat st;
        if (d == NULL)
            continue;
        rewinddir(d);
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.'
                || fstatat(dirs[i], e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1
                || now - st.st_mtime < QUEUE_ORPHAN_AGE)
                continue;
            if (i == 1 && (find_msg(e->d_name) != NULL
                              || faccessat(todofd, e->d_name, F_OK, 0) == 0))
                continue;
            unlinkat(dirs[i], e->d_name, 0);
            log_info("removed orphan file=%s", e->d_name);
        }
        closedir(d);
    }
}

int
main(int argc, char **argv)
{
    char line[64];
    int sp, ino, i;
    int64_t nextsweep = 0;

    log_init("queue-run");
    argv0 = argv[0];
    conf = conf_dir();
    signal(SIGPIPE, SIG_IGN);
    if (conf_line("queuedir", qdir, sizeof qdir) != 1)
        log_die(EXIT_TEMP, "no queue configured ($FACTEUR_CONF/queuedir)");
    if (conf_line("hostname", hostname, sizeof hostname) != 1
        && gethostname(hostname, sizeof hostname) == -1)
        snprintf(hostname, sizeof hostname, "localhost");
    if (conf_line("queuelifetime", line, sizeof line) == 1)
        lifetime = atol(line) > 0 ? atol(line) : LIFETIME_DEFAULT;
    qfd = open(qdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (qfd == -1)
        log_die(EXIT_TEMP, "cannot open queue=%s error=%s", qdir,
            strerror(errno));
    mkdirat(qfd, "info", 0700);
    infofd = openat(qfd, "info", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    todofd = openat(qfd, "todo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    messfd = openat(qfd, "mess", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    tmpfd = openat(qfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (infofd == -1 || todofd == -1 || messfd == -1 || tmpfd == -1)
        log_die(EXIT_TEMP, "incomplete queue=%s error=%s", qdir,
            strerror(errno));
    sp = selfpipe_init();
    if (sp == -1 || selfpipe_trap(SIGCHLD) == -1 || selfpipe_trap(SIGTERM) == -1
        || selfpipe_trap(SIGINT) == -1 || selfpipe_trap(SIGHUP) == -1)
        log_die(EXIT_TEMP, "cannot set up signals");
    ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ino == -1)
        log_die(EXIT_TEMP, "inotify error=%s", strerror(errno));
    {
        char p[4200];
        snprintf(p, sizeof p, "%s/todo", qdir);
        if (inotify_add_watch(ino, p, IN_CREATE | IN_MOVED_TO) == -1
            || inotify_add_watch(ino, qdir, IN_CREATE | IN_MOVED_TO) == -1)
            log_die(EXIT_TEMP, "inotify error=%s", strerror(errno));
    }
    load_info();
    log_info("start queue=%s messages=%zu", qdir, nmsgs);
    for (;;) {
        struct pollfd pf[2 + LOCAL_MAX];
        nfds_t n = 2;
        int64_t next, deadline;

        if (!stopping) {
            if (faccessat(qfd, "flush", F_OK, 0) == 0)
                flush_all();
            if (todo_changed) {
                todo_changed = 0;
                pickup();
            }
            if (loop_now() >= nextsweep) {
                sweep();
                nextsweep = loop_now() + 3600 * 1000;
            }
            next = schedule();
        } else {
            next = -1;
            for (i = 0; i < LOCAL_MAX && jobs[i].pid <= 0; i++)
                ;
            if (i == LOCAL_MAX) {
                log_info("stop");
                return EXIT_OK;
            }
        }
        deadline = next == -1 ? -1 : loop_now()
                + (next - (int64_t)time(NULL)) * 1000 + 50;
        for (i = 0; i < LOCAL_MAX; i++)
            if (jobs[i].pid > 0 && (deadline == -1 || jobs[i].deadline < deadline))
                deadline = jobs[i].deadline;
        pf[0].fd = sp;
        pf[0].events = POLLIN;
        pf[1].fd = ino;
        pf[1].events = POLLIN;
        for (i = 0; i < LOCAL_MAX; i++)
            if (jobs[i].pid > 0) {
                pf[n].fd = jobs[i].errfd;
                pf[n].events = POLLIN;
                n++;
            }
        if (loop_poll(pf, n, deadline) == -1 && errno != EINTR)
            log_die(EXIT_TEMP, "poll error=%s", strerror(errno));
        if (pf[1].revents) {
            char evbuf[4096];
            while (read(ino, evbuf, sizeof evbuf) > 0)
                todo_changed = 1;
        }
        /* Keep the children's stderr pipes drained into their buffers. */
        for (i = 0; i < LOCAL_MAX; i++)
            if (jobs[i].pid > 0) {
                ssize_t r;
                while (jobs[i].errlen < sizeof jobs[i].err - 1
                    && (r = read(jobs[i].errfd, jobs[i].err + jobs[i].errlen,
                            sizeof jobs[i].err - 1 - jobs[i].errlen))
                        > 0)
                    jobs[i].errlen += (size_t)r;
                if (loop_now() > jobs[i].deadline)
                    kill(jobs[i].pid, SIGKILL);
            }
        for (;;) {
            int sig = selfpipe_read();
            if (sig <= 0)
                break;
            if (sig == SIGCHLD)
                reap();
            else if (sig == SIGHUP)
                flush_all();
            else
                stopping = 1;
        }
        reap();
    }
}
