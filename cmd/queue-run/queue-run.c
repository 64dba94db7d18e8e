/* queue-run.c - the one long-running process: delivers what is queued.
 *
 * Usage: queue-run            (supervised; logs on stderr)
 *
 * Reads $FACTEUR_CONF/queuedir (the queue, see lib/queue.h),
 * domains.cdb (which recipients are local), hostname, queuelifetime
 * (seconds; default 432000, five days), delaywarning (seconds; default
 * 14400, four hours; 0: never).
 *
 * Loop: new messages are taken from todo/ as soon as inotify reports
 * them.  The envelope in todo/<id> is the message's state until a result
 * must be recorded; then the state goes to info/<id> (lib/qinfo.h,
 * written atomically) before todo/<id> is removed, so a message delivered
 * at the first try costs no state write at all.  Every pending recipient of a message due
 * is delivered: local ones by local-deliver (a sibling program, message
 * on fd 0, SENDER in the environment, its one-line reason on stderr),
 * LOCAL_MAX at a time, each of which stays LOCAL_IDLE_MS after a delivery
 * for the next local recipient (struct job); remote ones by remote-send, one process for the
 * recipients of a message at one domain (REMOTE_RCPTS_MAX at most, its
 * report on stdout: lib/rreport.h), REMOTE_MAX at a time and
 * REMOTE_PER_DOMAIN to one domain; a remote-send whose report is in
 * stays connected REMOTE_IDLE_MS for the next message to its domain
 * (struct job).  Each result is recorded in info/<id>
 * at once (delivered, failed for good, or still pending with the
 * reason).  A
 * message with pending recipients is retried after a backoff (BACKOFF_MIN
 * doubling to BACKOFF_MAX) until queuelifetime, then they fail.  Failed
 * recipients get one RFC 3464 report to the sender through queue-inject;
 * none for the null sender, whose failures go to postmaster as a double
 * bounce (a failed double bounce is dropped).  A message still pending
 * after delaywarning gets one RFC 3464 warning (Action: delayed) to its
 * sender, never to <>.  A message with nothing
 * pending is removed: its todo/ or info/ entry, then, once that
 * directory is synced (one sync for all the messages done in a turn of
 * the loop), its mess/ file.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cdbq.h"
#include "conf.h"
#include "dsn.h"
#include "envelope.h"
#include "fdpass.h"
#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "limits.h"
#include "qinfo.h"
#include "rreport.h"
#include "queue.h"
#include "sibling.h"

#define LOCAL_MAX 10
#define REMOTE_MAX 20          /* remote-send processes at once */
#define REMOTE_PER_DOMAIN 4    /* ... to one destination domain */
#define REMOTE_RCPTS_MAX 100   /* recipients a remote-send */
#define JOBS_MAX (LOCAL_MAX + REMOTE_MAX)
#define BACKOFF_MIN 60
#define BACKOFF_MAX (4 * 3600)
#define LIFETIME_DEFAULT 432000
#define DELAYWARN_DEFAULT 14400
#define DELIVERY_TIMEOUT 3600
/* A remote-send whose message is done keeps its connection this long
 * for the next message to the same domain (Postfix's connection cache
 * time), then is told to QUIT. */
#define REMOTE_IDLE_MS 2000
/* A local-deliver that delivered waits this long for another recipient:
 * one start-up (exec, tables, change of user) for a burst of mail. */
#define LOCAL_IDLE_MS 5000
#define MESSAGES_MAX 100000
/* Spent queue files kept in pool/ for queue-inject to fill again
 * (lib/queue.h): at most this many, of at most this size. */
#define POOL_MAX 1024
#define POOL_FILE_MAX 65536
#define REASON_READ_MAX 1024

struct msg {
    char id[QUEUE_ID_LEN + 1];
    struct qinfo q;
    int in_todo; /* no info/ file yet: todo/<id> is the durable state */
};

/* A running delivery: local-deliver for one recipient (its reason on
 * stderr), or remote-send for the recipients of one domain (its report on
 * stdout, lib/rreport.h).  A remote-send whose report is in stays, idle
 * (m NULL), with its connection open: the next message to its domain
 * goes to it on ctl, a SOCK_SEQPACKET socket (its fd 3): one record
 * "<domain>\0<sender>\0<rcpt>\0..." with the message file's descriptor;
 * closing ctl tells it to QUIT.  A local-deliver reports a delivery as
 * the record "0" on ctl and stays, idle, for the next local recipient of
 * any message: the record "<rcpt>\0<sender>\0" with the message file's
 * descriptor (cmd/local-deliver); a failure ends it, with its exit code
 * and reason, as without ctl. */
struct job {
    pid_t pid;
    struct msg *m;             /* NULL: an idle remote-send */
    int ctl;                   /* remote: queue-run's end of fd 3, or -1 */
    int64_t idle_until;
    int remote;
    size_t r;                  /* local: the recipient */
    size_t *rs, nr;            /* remote: the recipients */
    char domain[DNSNAME_MAX + 3];
    int outfd;                 /* the pipe read while it runs */
    struct sa out;             /* what came on it (capped) */
    int64_t deadline;
};

static const char *conf, *argv0;
static char qdir[4096], hostname[256];
static int qfd, infofd, todofd, messfd, tmpfd, poolfd = -1;
static struct msg **msgs;
static size_t nmsgs;
static struct job jobs[JOBS_MAX];
static int64_t lifetime = LIFETIME_DEFAULT;
static int64_t delaywarn = DELAYWARN_DEFAULT;
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

    if ((d = queue_opendir(todofd)) == NULL) {
        log_warn("cannot read todo/ error=%s", strerror(errno));
        return;
    }
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

    if ((d = queue_opendir(infofd)) == NULL)
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

/* A free job slot of the kind, and room under the per-domain limit for
 * a remote one (domain may be NULL for local); the slot, or -1. */
static int
free_slot(int remote, const char *domain)
{
    int i, used = 0, same = 0, slot = -1;

    for (i = 0; i < JOBS_MAX; i++) {
        if (jobs[i].pid <= 0) {
            if (slot == -1)
                slot = i;
            continue;
        }
        if (jobs[i].remote != remote)
            continue;
        used++;
        same += remote && domain && strcmp(jobs[i].domain, domain) == 0;
    }
    if (used >= (remote ? REMOTE_MAX : LOCAL_MAX) || slot == -1)
        return -1;
    if (remote && same >= REMOTE_PER_DOMAIN)
        return -1;
    return slot;
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
running(const struct msg *m)
{
    size_t i;

    for (i = 0; i < JOBS_MAX; i++)
        if (jobs[i].pid > 0 && jobs[i].m == m)
            return 1;
    return 0;
}

/*
 * A spent queue file (dir/name) goes: into pool/ as poolname when it is
 * small and the pool has room, for queue-inject to fill again, so that
 * the file system frees and allocates no inode per message (on ext4
 * without a journal every new inode is searched for past those freed in
 * the last minutes); else it is removed.  The pool is counted again, at
 * most once a second, when it looks full (queue-inject takes from it).
 */
static int
spend(int dir, const char *name, const char *poolname)
{
    static size_t npool = POOL_MAX;
    static int64_t counted;
    struct stat st;

    if (poolfd != -1 && npool >= POOL_MAX && loop_now() - counted >= 1000) {
        DIR *d = queue_opendir(poolfd);
        struct dirent *e;
        if (d != NULL) {
            for (npool = 0; (e = readdir(d)) != NULL;)
                npool += e->d_name[0] != '.';
            closedir(d);
        }
        counted = loop_now();
    }
    if (poolfd != -1 && npool < POOL_MAX
        && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0
        && S_ISREG(st.st_mode) && st.st_nlink == 1
        && st.st_size <= POOL_FILE_MAX
        && renameat(dir, name, poolfd, poolname) == 0) {
        npool++;
        return 0;
    }
    return unlinkat(dir, name, 0);
}

/* At the start: hidden pool files left by a crash (gone_flush never
 * named them) are removed; nobody else would. */
static void
pool_clean(void)
{
    DIR *d = queue_opendir(poolfd);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0
            && strcmp(e->d_name, "..") != 0)
            (void)unlinkat(poolfd, e->d_name, 0);
    closedir(d);
}

/* Messages whose state (todo/ or info/ entry) is unlinked: the
 * directories are synced once for all of them, at the end of the loop's
 * turn (gone_flush), and only then do their mess/ files go.  A crash
 * before that delivers them again (at least once), never loses one.
 * A todo/ file waits in the pool under a hidden name (.<id>.e, which
 * queue-inject does not take) until then: filled again before its
 * removal from todo/ is on disk, a crash could bring it back there with
 * another message's envelope. */
static char (*gone)[QUEUE_ID_LEN + 1];
static size_t ngone, gonecap;
static int gone_todo, gone_info; /* which directories need the sync */

static int
gone_add(const char *id, int in_todo)
{
    if (ngone == gonecap) {
        size_t cap = gonecap ? 2 * gonecap : 64;
        void *n = realloc(gone, cap * sizeof *gone);
        if (n == NULL) {
            /* no room to defer: sync now, as it always could */
            char hidden[QUEUE_ID_LEN + 4];
            if (fsync(in_todo ? todofd : infofd) == -1)
                return -1;
            snprintf(hidden, sizeof hidden, ".%s.e", id);
            (void)renameat(poolfd, hidden, poolfd, hidden + 1);
            spend(messfd, id, id);
            return 0;
        }
        gone = n;
        gonecap = cap;
    }
    memcpy(gone[ngone++], id, QUEUE_ID_LEN + 1);
    gone_todo |= in_todo;
    gone_info |= !in_todo;
    return 0;
}

static void
gone_flush(void)
{
    size_t i;

    if (ngone == 0)
        return;
    if ((gone_todo && fsync(todofd) == -1)
        || (gone_info && fsync(infofd) == -1)) {
        /* their mess/ files stay for the orphan sweep */
        log_warn("cannot sync the queue's state error=%s", strerror(errno));
    } else {
        for (i = 0; i < ngone; i++) {
            char hidden[QUEUE_ID_LEN + 4];
            snprintf(hidden, sizeof hidden, ".%s.e", gone[i]);
            (void)renameat(poolfd, hidden, poolfd, hidden + 1);
            spend(messfd, gone[i], gone[i]);
        }
    }
    ngone = 0;
    gone_todo = gone_info = 0;
}

/* Nothing pending and nothing running: report failures, then remove.
 * Returns 1 if the message is gone from msgs[] (another took its slot). */
static int
finish(struct msg *m)
{
    char ename[QUEUE_ID_LEN + 4];
    size_t i;
    int failed = 0;

    for (i = 0; i < m->q.n; i++)
        failed += m->q.r[i].state == R_FAILED;
    if (failed && !m->q.bounced) {
        if (dsn_send(argv0, messfd, m->id, &m->q, hostname, DSN_FAILED, 0)
            == -1)
            return 0; /* retried with the next round */
        m->q.bounced = 1;
        if (save(m) == -1)
            return 0;
    }
    snprintf(ename, sizeof ename, ".%s.e", m->id); /* hidden: gone_flush */
    if ((m->in_todo ? spend(todofd, m->id, ename)
                    : unlinkat(infofd, m->id, 0)) == -1
        || gone_add(m->id, m->in_todo) == -1)
        return 0;
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

/* Fork prog with args: the message on fd 0, SENDER set, fd (1 or 2)
 * to a pipe the job reads.  0, or -1. */
static int
spawn(struct job *jb, struct msg *m, const char *prog, char **args,
    int tofd, int ctl)
{
    char env[ADDR_MAX + 8];
    int p[2], mfd;
    pid_t pid;

    mfd = openat(messfd, m->id, O_RDONLY | O_CLOEXEC);
    if (mfd == -1) {
        log_warn("message file missing id=%s", m->id);
        return -1;
    }
    if (pipe_cloexec(p) == -1) {
        close(mfd);
        return -1;
    }
    snprintf(env, sizeof env, "SENDER=%s", m->q.sender);
    pid = fork();
    if (pid == 0) {
        if (dup2(mfd, 0) == -1 || dup2(p[1], tofd) == -1)
            _exit(EXIT_TEMP);
        if (ctl != -1) { /* fd 3, open across exec */
            if ((ctl == 3 ? fcntl(3, F_SETFD, 0) : dup2(ctl, 3)) == -1)
                _exit(EXIT_TEMP);
            putenv(jb->remote ? (char *)"REMOTE_REUSE=1"
                              : (char *)"LOCAL_REUSE=1");
        }
        putenv(env);
        selfpipe_close();
        execv(prog, args); /* argv, never a shell */
        _exit(EXIT_TEMP);
    }
    close(mfd);
    close(p[1]);
    if (pid == -1) {
        close(p[0]);
        return -1;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    jb->pid = pid;
    jb->m = m;
    jb->outfd = p[0];
    jb->out = (struct sa)SA_INIT(jb->remote ? RREPORT_MAX : REASON_READ_MAX);
    jb->deadline = loop_now() + DELIVERY_TIMEOUT * 1000;
    return 0;
}

static void retire(struct job *jb);

static void
start_local(struct msg *m, size_t r, int slot)
{
    char ld[4096];
    char *args[3];
    struct job *jb = &jobs[slot];
    int sp[2];

    if (sibling_path(argv0, "local-deliver", ld, sizeof ld) == -1)
        return;
    args[0] = ld;
    args[1] = m->q.r[r].addr;
    args[2] = NULL;
    jb->remote = 0;
    jb->r = r;
    jb->nr = 0;
    jb->rs = NULL;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
        sp[0] = sp[1] = -1; /* no reuse: one recipient, as before */
    if (spawn(jb, m, ld, args, 2, sp[1]) == 0) {
        m->q.r[r].busy = 1;
        jb->ctl = sp[0];
        jb->idle_until = 0;
    } else if (sp[0] != -1) {
        close(sp[0]);
    }
    if (sp[1] != -1)
        close(sp[1]);
}

/* An idle local-deliver, or -1. */
static int
idle_local(void)
{
    int i;

    for (i = 0; i < JOBS_MAX; i++)
        if (jobs[i].pid > 0 && !jobs[i].remote && jobs[i].m == NULL
            && jobs[i].ctl != -1)
            return i;
    return -1;
}

/* Recipient r of m to the idle local-deliver in slot, with the message
 * file.  0; -1 when it cannot take it (it is retired, r stays as it
 * was). */
static int
give_local(struct msg *m, size_t r, int slot)
{
    struct job *jb = &jobs[slot];
    struct sa rec = SA_INIT(2 * ADDR_MAX + 2);
    int mfd, ok;

    if (sa_append(&rec, m->q.r[r].addr, strlen(m->q.r[r].addr) + 1) == -1
        || sa_append(&rec, m->q.sender, strlen(m->q.sender) + 1) == -1) {
        sa_free(&rec);
        retire(jb);
        return -1;
    }
    mfd = openat(messfd, m->id, O_RDONLY | O_CLOEXEC);
    if (mfd == -1) {
        log_warn("message file missing id=%s", m->id);
        sa_free(&rec);
        return -1;
    }
    ok = fdpass_send(jb->ctl, rec.s, rec.len, mfd) == 0;
    close(mfd);
    sa_free(&rec);
    if (!ok) {
        retire(jb);
        return -1;
    }
    jb->m = m;
    jb->r = r;
    jb->idle_until = 0;
    jb->deadline = loop_now() + DELIVERY_TIMEOUT * 1000;
    m->q.r[r].busy = 1;
    return 0;
}

/* remote-send for the pending recipients of m at domain (from first on). */
static void
start_remote(struct msg *m, const char *domain, size_t first, int slot)
{
    char rs[4096];
    char **args;
    struct job *jb = &jobs[slot];
    size_t j, n = 0;
    int sp[2];

    if (sibling_path(argv0, "remote-send", rs, sizeof rs) == -1)
        return;
    args = calloc(REMOTE_RCPTS_MAX + 3, sizeof *args);
    jb->rs = calloc(REMOTE_RCPTS_MAX, sizeof *jb->rs);
    if (args == NULL || jb->rs == NULL) {
        free(args);
        free(jb->rs);
        jb->rs = NULL;
        return;
    }
    args[0] = rs;
    args[1] = (char *)domain;
    for (j = first; j < m->q.n && n < REMOTE_RCPTS_MAX; j++) {
        struct qrcpt *r = &m->q.r[j];
        if (r->state != R_PENDING || r->busy
            || strcmp(strrchr(r->addr, '@') + 1, domain) != 0)
            continue;
        args[2 + n] = r->addr;
        jb->rs[n++] = j;
    }
    jb->remote = 1;
    jb->nr = n;
    snprintf(jb->domain, sizeof jb->domain, "%s", domain);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
        sp[0] = sp[1] = -1; /* no reuse: one message, as before */
    if (spawn(jb, m, rs, args, 1, sp[1]) == 0) {
        for (j = 0; j < n; j++)
            m->q.r[jb->rs[j]].busy = 1;
        jb->ctl = sp[0];
        jb->idle_until = 0;
    } else {
        if (sp[0] != -1)
            close(sp[0]);
        free(jb->rs);
        jb->rs = NULL;
    }
    if (sp[1] != -1)
        close(sp[1]);
    free(args);
}

/* An idle remote-send connected to domain, or -1. */
static int
idle_for(const char *domain)
{
    int i;

    for (i = 0; i < JOBS_MAX; i++)
        if (jobs[i].pid > 0 && jobs[i].remote && jobs[i].m == NULL
            && jobs[i].ctl != -1 && strcmp(jobs[i].domain, domain) == 0)
            return i;
    return -1;
}

/* Tell an idle remote-send to QUIT: it exits, its slot is free when it
 * is reaped. */
static void
retire(struct job *jb)
{
    if (jb->ctl != -1)
        close(jb->ctl);
    jb->ctl = -1;
}

/* A slot for a new remote-send wanted and none free: the connection idle
 * longest to another domain goes. */
static void
retire_other(const char *domain)
{
    int i, best = -1;

    for (i = 0; i < JOBS_MAX; i++)
        if (jobs[i].pid > 0 && jobs[i].remote && jobs[i].m == NULL
            && jobs[i].ctl != -1 && strcmp(jobs[i].domain, domain) != 0
            && (best == -1 || jobs[i].idle_until < jobs[best].idle_until))
            best = i;
    if (best != -1)
        retire(&jobs[best]);
}

/* The pending recipients of m at domain (from first on) to the idle
 * remote-send in slot, with the message file.  On failure (it is gone)
 * it is retired and the recipients stay as they were. */
static void
give_remote(struct msg *m, const char *domain, size_t first, int slot)
{
    struct job *jb = &jobs[slot];
    struct sa rec = SA_INIT(REMOTE_RCPTS_MAX * (ADDR_MAX + 1) + 2 * ADDR_MAX);
    size_t *rs = calloc(REMOTE_RCPTS_MAX, sizeof *rs), j, n = 0;
    int mfd = -1, bad = 0;

    if (rs == NULL)
        return;
    /* a field that does not fit would shift the recipients' indexes in
     * the report: then nothing is given */
    bad |= sa_append(&rec, domain, strlen(domain) + 1) == -1;
    bad |= sa_append(&rec, m->q.sender, strlen(m->q.sender) + 1) == -1;
    for (j = first; j < m->q.n && n < REMOTE_RCPTS_MAX && !bad; j++) {
        struct qrcpt *r = &m->q.r[j];
        if (r->state != R_PENDING || r->busy
            || strcmp(strrchr(r->addr, '@') + 1, domain) != 0)
            continue;
        bad |= sa_append(&rec, r->addr, strlen(r->addr) + 1) == -1;
        rs[n++] = j;
    }
    if (bad) {
        retire(jb); /* the next try starts a remote-send afresh */
        goto fail;
    }
    mfd = openat(messfd, m->id, O_RDONLY | O_CLOEXEC);
    if (mfd == -1 || n == 0 || rec.s == NULL) {
        if (mfd == -1)
            log_warn("message file missing id=%s", m->id);
        goto fail;
    }
    if (fdpass_send(jb->ctl, rec.s, rec.len, mfd) == -1) {
        retire(jb);
        goto fail;
    }
    close(mfd);
    sa_free(&rec);
    free(jb->rs);
    jb->rs = rs;
    jb->nr = n;
    jb->m = m;
    jb->idle_until = 0;
    jb->deadline = loop_now() + DELIVERY_TIMEOUT * 1000;
    for (j = 0; j < n; j++)
        m->q.r[rs[j]].busy = 1;
    return;
fail:
    if (mfd != -1)
        close(mfd);
    sa_free(&rec);
    free(rs);
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
        /* One warning when a message is still pending after delaywarn;
         * a failure to queue it is retried at the next pass. */
        if (pending(m) && !m->q.warned && delaywarn > 0
            && now >= m->q.created + delaywarn
            && dsn_send(argv0, messfd, m->id, &m->q, hostname, DSN_DELAYED,
                   m->q.created + lifetime) == 0) {
            m->q.warned = 1;
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
                int slot = idle_local();
                if (slot != -1 && give_local(m, j, slot) == 0)
                    continue;
                slot = free_slot(0, NULL);
                if (slot == -1) {
                    waiting = 1;
                    continue;
                }
                start_local(m, j, slot);
                if (!r->busy)
                    waiting = 1; /* it could not start now */
            } else if (loc == 0) {
                /* One remote-send for all of this domain's recipients:
                 * one already connected there, else a new one. */
                const char *dom = strrchr(r->addr, '@') + 1;
                int slot = idle_for(dom);
                if (slot != -1) {
                    give_remote(m, dom, j, slot);
                    if (!r->busy)
                        waiting = 1;
                    continue;
                }
                slot = free_slot(1, dom);
                if (slot == -1) {
                    retire_other(dom);
                    waiting = 1;
                    continue;
                }
                start_remote(m, dom, j, slot);
                if (!r->busy)
                    waiting = 1;
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
        if (free_slot(0, NULL) == -1 && free_slot(1, NULL) == -1)
            break; /* a finished delivery wakes the loop again */
    }
    cdbq_close(&dq);
    return next;
}

/* Read what the job's pipe holds now; beyond its cap it is dropped (the
 * child must never block on a full pipe). */
static void
drain(struct job *jb)
{
    char b[4096];
    ssize_t r;

    while ((r = read(jb->outfd, b, sizeof b)) > 0)
        (void)sa_append(&jb->out, b, (size_t)r);
}

static void
result_local(struct job *jb, int st)
{
    struct msg *m = jb->m;
    struct qrcpt *r = &m->q.r[jb->r];
    char *line;

    /* The reason: the last line, without "prog: level: sid ". */
    line = jb->out.s ? jb->out.s : (char *)"";
    while (jb->out.len > 0 && line[jb->out.len - 1] == '\n')
        line[--jb->out.len] = 0;
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
}

/* remote-send's report: one result per recipient.  Anything missing or
 * malformed, or a crash, is "try again later": never lost, never a false
 * success. */
static void
result_remote(struct job *jb, int st)
{
    struct msg *m = jb->m;
    struct rresult *res = calloc(jb->nr ? jb->nr : 1, sizeof *res);
    struct rresult msgres;
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    size_t i;

    if (res != NULL && ok
        && rreport_parse(jb->out.s ? jb->out.s : "", jb->out.len, res, jb->nr,
               &msgres) == -1)
        log_warn("malformed report from remote-send id=%s", m->id);
    for (i = 0; i < jb->nr; i++) {
        struct qrcpt *r = &m->q.r[jb->rs[i]];
        char code = res != NULL && ok ? res[i].code : 0;
        const char *text = code ? res[i].text
            : "remote-send failed: no result, try again";
        r->busy = 0;
        if (code == 'A') {
            r->state = R_DONE;
            r->reason[0] = 0;
            log_info("delivered id=%s to=%s remote=\"%s\"", m->id, r->addr,
                text);
        } else if (code == 'P') {
            r->state = R_FAILED;
            qinfo_reason(r, text, strlen(text));
            log_info("failed id=%s to=%s reason=\"%s\"", m->id, r->addr,
                r->reason);
        } else {
            qinfo_reason(r, text, strlen(text));
            log_info("deferred id=%s to=%s reason=\"%s\"", m->id, r->addr,
                r->reason);
        }
    }
    free(res);
}

/* Has a remote-send's report for its message come whole (the message's
 * "m" line, lib/rreport.h, is the last)? */
static int
report_whole(const struct job *jb)
{
    const char *p = jb->out.s;
    size_t i;

    if (p == NULL)
        return 0;
    for (i = 0; i < jb->out.len; i++)
        if ((i == 0 || p[i - 1] == '\n') && p[i] == 'm' && i + 1 < jb->out.len
            && p[i + 1] == ' ' && memchr(p + i, '\n', jb->out.len - i) != NULL)
            return 1;
    return 0;
}

/* The job's message is done (st: how its program ended; 0 for a whole
 * report from a remote-send that stays): record the results. */
static void
message_done(struct job *jb, int st)
{
    struct msg *m = jb->m;

    (void)sa_appendc(&jb->out, 0); /* a C string (may be cut) */
    jb->out.len--;
    if (jb->remote)
        result_remote(jb, st);
    else
        result_local(jb, st);
    sa_free(&jb->out);
    free(jb->rs);
    jb->rs = NULL;
    jb->m = NULL;
    if (!running(m) && pending(m)) {
        m->q.tries++;
        m->q.next = (int64_t)time(NULL) + backoff(m->q.tries);
    }
    /* A message with nothing left to do is finished now, not at the next
     * schedule(): a SIGTERM may come first, and info/ would still say
     * "pending" for a recipient already delivered (delivered twice after
     * the restart).  If finishing fails, the result is recorded and the
     * next pass tries again. */
    if (!pending(m) && !running(m) && finish(m))
        return;
    save(m);
}

static void
job_done(struct job *jb, int st)
{
    drain(jb);
    close(jb->outfd);
    retire(jb);
    jb->pid = 0;
    if (jb->m != NULL) {
        /* a whole report counts, however remote-send ended after it */
        message_done(jb, jb->remote && report_whole(jb) ? 0 : st);
    } else {
        sa_free(&jb->out);
    }
}

/* A remote-send's report came whole while it runs, or a local-deliver
 * reported its delivery: its message is done, and it waits for another
 * one (a remote-send connected, for its domain). */
static void
report_in(struct job *jb)
{
    message_done(jb, 0);
    jb->out = (struct sa)SA_INIT(jb->remote ? RREPORT_MAX : REASON_READ_MAX);
    jb->idle_until = loop_now()
        + (jb->remote ? REMOTE_IDLE_MS : LOCAL_IDLE_MS);
    jb->deadline = jb->idle_until + 60 * 1000; /* it must go by then */
    if (stopping || jb->ctl == -1)
        retire(jb);
}

/* A local-deliver's record on ctl: "0" is a delivery made; anything
 * else, or EOF, ends our use of it and its exit status tells. */
static void
local_report(struct job *jb)
{
    char b[16];
    ssize_t r = recv(jb->ctl, b, sizeof b, MSG_DONTWAIT);

    if (r == -1 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r == 1 && b[0] == '0') {
        sa_truncate(&jb->out, 0); /* its log lines, not a reason */
        report_in(jb);
        return;
    }
    retire(jb);
}

static void
reap(void)
{
    int st, i;
    pid_t pid;

    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
        for (i = 0; i < JOBS_MAX; i++)
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

/* Old leftovers of crashed injectors.  By ctime, which a rename sets:
 * a pool file queue-inject has just taken into tmp/ is not old. */
static void
sweep(void)
{
    int dirs[2] = { tmpfd, messfd }, i;
    time_t now = time(NULL);

    for (i = 0; i < 2; i++) {
        DIR *d = queue_opendir(dirs[i]);
        struct dirent *e;
        struct stat st;
        if (d == NULL)
            continue;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.'
                || fstatat(dirs[i], e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1
                || now - st.st_ctime < QUEUE_ORPHAN_AGE)
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
    if (conf_hostname(hostname, sizeof hostname) == -1)
        snprintf(hostname, sizeof hostname, "localhost");
    if (conf_line("queuelifetime", line, sizeof line) == 1)
        lifetime = atol(line) > 0 ? atol(line) : LIFETIME_DEFAULT;
    if (conf_line("delaywarning", line, sizeof line) == 1)
        delaywarn = atol(line) >= 0 ? atol(line) : DELAYWARN_DEFAULT;
    qfd = open(qdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (qfd == -1)
        log_die(EXIT_TEMP, "cannot open queue=%s error=%s", qdir,
            strerror(errno));
    mkdirat(qfd, "info", 0700);
    infofd = openat(qfd, "info", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    todofd = openat(qfd, "todo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    messfd = openat(qfd, "mess", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    tmpfd = openat(qfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    /* pool/ (spend()): the queue owner's, as tmp/ is, for queue-inject;
     * without it, spent files are removed */
    if (mkdirat(qfd, "pool", 0700) == 0) {
        struct stat qst;
        if (fstat(tmpfd, &qst) == -1
            || fchownat(qfd, "pool", qst.st_uid, qst.st_gid,
                   AT_SYMLINK_NOFOLLOW) == -1)
            log_warn("cannot give pool/ to the queue's owner error=%s",
                strerror(errno));
    }
    poolfd = openat(qfd, "pool", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    pool_clean();
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
    for (i = 0; i < JOBS_MAX; i++)
        jobs[i].ctl = -1;
    load_info();
    log_info("start queue=%s messages=%zu", qdir, nmsgs);
    for (;;) {
        struct pollfd pf[2 + 2 * JOBS_MAX];
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
            for (i = 0; i < JOBS_MAX && jobs[i].pid <= 0; i++)
                ;
            if (i == JOBS_MAX) {
                gone_flush();
                log_info("stop");
                return EXIT_OK;
            }
        }
        gone_flush(); /* before we may sleep */
        deadline = next == -1 ? -1 : loop_now()
                + (next - (int64_t)time(NULL)) * 1000 + 50;
        for (i = 0; i < JOBS_MAX; i++) {
            int64_t t = jobs[i].m == NULL && jobs[i].ctl != -1
                ? jobs[i].idle_until : jobs[i].deadline;
            if (jobs[i].pid > 0 && (deadline == -1 || t < deadline))
                deadline = t;
        }
        pf[0].fd = sp;
        pf[0].events = POLLIN;
        pf[1].fd = ino;
        pf[1].events = POLLIN;
        for (i = 0; i < JOBS_MAX; i++)
            if (jobs[i].pid > 0) {
                pf[n].fd = jobs[i].outfd;
                pf[n].events = POLLIN;
                n++;
                if (!jobs[i].remote && jobs[i].m != NULL
                    && jobs[i].ctl != -1) {
                    pf[n].fd = jobs[i].ctl;
                    pf[n].events = POLLIN;
                    n++;
                }
            }
        if (loop_poll(pf, n, deadline) == -1 && errno != EINTR)
            log_die(EXIT_TEMP, "poll error=%s", strerror(errno));
        if (pf[1].revents) {
            char evbuf[4096];
            while (read(ino, evbuf, sizeof evbuf) > 0)
                todo_changed = 1;
        }
        /* Keep the children's pipes drained into their buffers; a
         * remote-send's whole report ends its message; an idle one past
         * its time is told to go. */
        for (i = 0; i < JOBS_MAX; i++)
            if (jobs[i].pid > 0) {
                drain(&jobs[i]);
                if (jobs[i].remote && jobs[i].m != NULL
                    && report_whole(&jobs[i]))
                    report_in(&jobs[i]);
                if (!jobs[i].remote && jobs[i].m != NULL
                    && jobs[i].ctl != -1)
                    local_report(&jobs[i]);
                if (jobs[i].m == NULL && jobs[i].ctl != -1
                    && (stopping || loop_now() >= jobs[i].idle_until))
                    retire(&jobs[i]);
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
        for (i = 0; stopping && i < JOBS_MAX; i++)
            if (jobs[i].pid > 0 && jobs[i].m == NULL)
                retire(&jobs[i]); /* idle connections: QUIT now */
        reap();
    }
}
