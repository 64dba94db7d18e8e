/* tlswrap.c - TLS for one connection, in front of a plaintext program.
 *
 * Usage: tlswrap [-s] [-d tlsdir] [-c cachefile | -C] [-u user] [-k user]
 *                [-j jaildir] [-h secs] [-i secs] prog [arg...]
 *
 * Run by tcpserver (or systemd Accept=yes) with the connection on fds 0/1,
 * usually as root.  Reads every certificate and key under tlsdir (default
 * $FACTEUR_CONF/tls, FACTEUR_CONF defaulting to /etc/facteur) afresh for
 * each connection, so a renewed certificate is used at once.  Then:
 *
 *   TLS process   keeps the chains, drops to -u user (default facteur-tls),
 *                 chroots to jaildir, runs the handshake and moves records.
 *   key process   keeps the private keys, drops to -k user (default
 *                 facteur-tlskey), chroots to jaildir, signs once, exits.
 *                 Implicit TLS: started only for a full handshake, when
 *                 the TLS process asks (one byte on a pipe).  -s: started
 *                 by the TLS process at once.
 *   this process  waits for the handshake (implicit TLS), wipes the keys
 *                 and execs prog with its original credentials (the
 *                 application drops its own).
 * The TLS process is a child of prog (as s6-tlsd-io is of the program
 * s6-tlsd runs): prog may see a SIGCHLD when it ends.
 *
 * Implicit TLS (default): prog starts after the handshake, with the
 * plaintext on fds 0/1 and SSL_PROTOCOL, SSL_CIPHER,
 * SSL_TLS_SNI_SERVERNAME (when the client sent a valid name) and
 * SSL_SESSION_RESUMED in its environment.
 * -s (STARTTLS, UCSPI-TLS): prog starts at once with the connection in
 * clear on fds 0/1 and SSLCTLFD, SSLREADFD, SSLWRITEFD set; see
 * lib/tlsfacts.h for the hand-off.
 * Either way prog gets FACTEUR_SID (the log id of this connection), the
 * TCP* variables (filled from the socket under systemd) and no SSL_*
 * variable that did not come from this tlswrap.
 *
 * Exit codes before prog runs: 1 TLS handshake failed or timed out,
 * 100 usage, 111 configuration or system error (missing, unreadable,
 * malformed or mismatched certificate or key; missing user or jail).
 * Limits: handshake timeout -h (default 30 s), idle timeout -i (default
 * 3600 s: IMAP IDLE clients wait up to 29 minutes in silence), plus those
 * of lib/tlscert.h and lib/tlscache.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "conninfo.h"
#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "priv.h"
#include "tlsfacts.h"
#include "tlswrap.h"

extern char **environ;

#define HS_TIMEOUT_DEFAULT 30
#define IDLE_TIMEOUT_DEFAULT 3600
#define TIMEOUT_MAX 86400

static void
usage(void)
{
    log_die(EXIT_PERM, "usage: tlswrap [-s] [-d tlsdir] [-c cachefile | -C] "
                       "[-u user] [-k user] [-j jaildir] [-h secs] [-i secs] "
                       "prog [arg...]");
}

static int64_t
parse_secs(const char *s)
{
    long v = 0;
    size_t i;

    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9')
            usage();
        v = v * 10 + (s[i] - '0');
        if (v > TIMEOUT_MAX)
            usage();
    }
    if (i == 0 || v == 0)
        usage();
    return (int64_t)v * 1000;
}

static void
warn_cert(const char *msg)
{
    log_warn("certificate skipped reason=\"%s\"", msg);
}

/* Remove what a client-controlled or stale environment could use to
 * fake TLS facts; only this tlswrap sets them. */
static void
clean_env(void)
{
    char **e;
    char name[128];

restart:
    for (e = environ; e != NULL && *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
        if ((n >= 4 && strncmp(*e, "SSL_", 4) == 0)
            || (n == 8 && strncmp(*e, "SSLCTLFD", 8) == 0)
            || (n == 9 && strncmp(*e, "SSLREADFD", 9) == 0)
            || (n == 10 && strncmp(*e, "SSLWRITEFD", 10) == 0)) {
            if (n >= sizeof name)
                n = sizeof name - 1;
            memcpy(name, *e, n);
            name[n] = 0;
            unsetenv(name);
            goto restart;
        }
    }
}

/* systemd Accept=yes passes the connection as fd 3 (LISTEN_FDS=1), and
 * on fds 0/1 too with StandardInput=socket.  Use fd 3 when 0 is not a
 * socket, then free fd 3 so nothing mistakes it for a checkpassword pipe. */
static void
systemd_fds(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    struct stat st;

    if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
        return;
    if (strcmp(fds, "1") != 0)
        log_die(EXIT_PERM, "systemd passed LISTEN_FDS=%s, want 1 (Accept=yes)",
            fds);
    if (fstat(0, &st) == -1 || !S_ISSOCK(st.st_mode)) {
        if (dup2(3, 0) == -1 || dup2(3, 1) == -1)
            log_die(EXIT_TEMP, "dup2 failed error=%s", strerror(errno));
    }
    close(3);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
}

static void
set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
        log_die(EXIT_TEMP, "fcntl failed error=%s", strerror(errno));
}

static void
check_jail(const char *jail)
{
    struct stat st;

    if (stat(jail, &st) == -1)
        log_die(EXIT_TEMP, "jail directory missing path=%s error=%s "
                           "(create it empty: mkdir -m 555 %s)",
            jail, strerror(errno), jail);
    if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
        log_die(EXIT_TEMP, "jail directory must be root-owned and not "
                           "writable by others path=%s", jail);
}

struct ids {
    int root;
    uid_t uid, keyuid;
    gid_t gid, keygid;
    const char *jail;
};

static void
drop(const struct ids *ids, int key)
{
    if (!ids->root)
        return;
    if (priv_drop(key ? ids->keyuid : ids->uid, key ? ids->keygid : ids->gid,
            ids->jail) == -1)
        log_die(EXIT_TEMP, "cannot drop privileges error=%s",
            strerror(errno));
    if (priv_limits() == -1)
        log_die(EXIT_TEMP, "cannot set limits error=%s", strerror(errno));
}

/* The descriptors made before forking, so a child can close all of them
 * but the ones it keeps. */
struct fdset {
    int fd[16];
    size_t n;
};

static void
fdset_add(struct fdset *s, int fd)
{
    if (fd < 0)
        return;
    if (s->n >= sizeof s->fd / sizeof s->fd[0])
        bug(); /* a descriptor a helper would keep by mistake */
    s->fd[s->n++] = fd;
}

/* Clear close-on-exec: the application inherits fd. */
static void
keep_on_exec(int fd)
{
    int fl = fcntl(fd, F_GETFD);

    if (fl == -1 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) == -1)
        log_die(EXIT_TEMP, "fcntl failed error=%s", strerror(errno));
}

/* Fork the key process: it keeps keyfd, stderr and the keys, nothing
 * else, and drops to its user before reading a byte. */
static pid_t
spawn_keyproc(const struct fdset *fds, int keyfd, struct tlsstore *store,
    const struct ids *ids)
{
    pid_t k = fork();
    size_t i;

    if (k == -1)
        log_die(EXIT_TEMP, "fork failed error=%s", strerror(errno));
    if (k > 0)
        return k;
    signal(SIGPIPE, SIG_IGN);
    for (i = 0; i < fds->n; i++)
        if (fds->fd[i] != keyfd)
            close(fds->fd[i]);
    for (i = 0; i < store->n; i++) /* chains are not needed here */
        sa_free(&store->pair[i]->chainmem);
    drop(ids, 1);
    _exit(keyproc_run(keyfd, store));
}

/*
 * Implicit TLS: wait for the TLS process's report (the facts, f->n > 0,
 * or nothing if the handshake failed), forking the key process if the
 * TLS process asks for it on the need pipe (one byte, read once; any
 * byte or none is all it can say).  Returns the key process's pid or 0.
 */
static pid_t
await_handshake(int report, int need, const struct fdset *fds, int keyfd,
    struct tlsstore *store, const struct ids *ids, struct tlsfacts *f,
    int64_t deadline)
{
    struct pollfd pf[2];
    pid_t k = 0;
    char c;

    f->n = 0;
    for (;;) {
        nfds_t n = 1;
        pf[0].fd = report;
        pf[0].events = POLLIN;
        if (need != -1) {
            pf[1].fd = need;
            pf[1].events = POLLIN;
            n = 2;
        }
        if (loop_poll(pf, n, deadline) <= 0)
            return k;
        if (n == 2 && pf[1].revents) {
            if (read(need, &c, 1) == 1 && k == 0)
                k = spawn_keyproc(fds, keyfd, store, ids);
            close(need);
            need = -1;
            continue;
        }
        if (pf[0].revents) {
            if (tlsfacts_read(report, f, deadline) == -1)
                f->n = 0;
            close(report);
            if (need != -1)
                close(need);
            return k;
        }
    }
}

int
main(int argc, char **argv)
{
    const char *conf = conf_dir();
    const char *tlsdir = NULL, *cachepath = NULL, *user = "facteur-tls";
    const char *keyuser = "facteur-tlskey";
    char tlsbuf[4096], cachebuf[4096], jailbuf[4096], peer[80], err[1024];
    int64_t hs_timeout = HS_TIMEOUT_DEFAULT * 1000;
    int64_t idle_timeout = IDLE_TIMEOUT_DEFAULT * 1000;
    int starttls = 0, nocache = 0, opt;
    static struct tlsstore store;
    static struct tlscache cache;
    struct tlscheck check;
    struct tlscache *cachep = NULL;
    struct conninfo ci;
    struct ids ids;
    int keysock[2], toapp[2], fromapp[2], ctl[2] = { -1, -1 };
    int report[2] = { -1, -1 }, need[2] = { -1, -1 };
    struct fdset fds = { { 0 }, 0 };
    pid_t x;
    int one = 1;

    log_init("tlswrap");
    memset(&ids, 0, sizeof ids);
    while ((opt = getopt(argc, argv, "+sd:c:Cu:k:j:h:i:")) != -1) {
        switch (opt) {
        case 's':
            starttls = 1;
            break;
        case 'd':
            tlsdir = optarg;
            break;
        case 'c':
            cachepath = optarg;
            break;
        case 'C':
            nocache = 1;
            break;
        case 'u':
            user = optarg;
            break;
        case 'k':
            keyuser = optarg;
            break;
        case 'j':
            ids.jail = optarg;
            break;
        case 'h':
            hs_timeout = parse_secs(optarg);
            break;
        case 'i':
            idle_timeout = parse_secs(optarg);
            break;
        default:
            usage();
        }
    }
    argv += optind;
    if (argv[0] == NULL)
        usage();
    if (tlsdir == NULL) {
        snprintf(tlsbuf, sizeof tlsbuf, "%s/tls", conf);
        tlsdir = tlsbuf;
    }
    if (cachepath == NULL) {
        snprintf(cachebuf, sizeof cachebuf, "%s/tls/session-cache", conf);
        cachepath = cachebuf;
    }
    if (ids.jail == NULL) {
        snprintf(jailbuf, sizeof jailbuf, "%s/empty", conf);
        ids.jail = jailbuf;
    }

    systemd_fds();
    clean_env();
    if (conninfo_get(&ci, 0) == -1 && errno != ENOTSOCK)
        log_warn("cannot read connection addresses error=%s",
            strerror(errno));
    snprintf(peer, sizeof peer, "%s%s%s:%s",
        strchr(ci.remoteip, ':') ? "[" : "", ci.remoteip,
        strchr(ci.remoteip, ':') ? "]" : "", ci.remoteport);
    (void)setsockopt(0, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (conninfo_export(&ci) == -1 || log_sid_export() == -1)
        log_die(EXIT_TEMP, "setenv failed error=%s", strerror(errno));

    ids.root = geteuid() == 0;
    if (ids.root) {
        if (priv_parse(user, &ids.uid, &ids.gid) == -1)
            log_die(EXIT_TEMP, "unusable user for the TLS process user=%s "
                               "error=%s", user, strerror(errno));
        if (priv_parse(keyuser, &ids.keyuid, &ids.keygid) == -1)
            log_die(EXIT_TEMP, "unusable user for the key process user=%s "
                               "error=%s", keyuser, strerror(errno));
        if (ids.uid == ids.keyuid)
            log_die(EXIT_TEMP, "the TLS and key processes need two "
                               "different users (-u and -k)");
        check_jail(ids.jail);
    }

    if (!nocache) {
        if (tlscache_open(&cache, cachepath, tlswrap_suites, tlswrap_nsuites)
            == -1) {
            log_warn("session cache disabled path=%s error=%s", cachepath,
                strerror(errno));
        } else {
            snprintf(cache.service, sizeof cache.service, "%s", ci.localport);
            cachep = &cache;
        }
    }
    if (cachep != NULL) {
        check.known = tlscache_check_known;
        check.add = tlscache_check_add;
        check.ctx = cachep;
    }
    if (tlsstore_load(&store, tlsdir, cachep ? &check : NULL, err, sizeof err,
            warn_cert) == -1)
        log_die(EXIT_TEMP, "cannot load certificate reason=\"%s\"", err);

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, keysock) == -1
        || pipe_cloexec(toapp) == -1 || pipe_cloexec(fromapp) == -1
        || (starttls
            && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) == -1)
        || (!starttls && pipe_cloexec(report) == -1)
        || (!starttls && pipe_cloexec(need) == -1))
        log_die(EXIT_TEMP, "cannot make descriptors error=%s",
            strerror(errno));

    fdset_add(&fds, 0);
    fdset_add(&fds, 1);
    fdset_add(&fds, keysock[0]);
    fdset_add(&fds, keysock[1]);
    fdset_add(&fds, toapp[0]);
    fdset_add(&fds, toapp[1]);
    fdset_add(&fds, fromapp[0]);
    fdset_add(&fds, fromapp[1]);
    fdset_add(&fds, ctl[0]);
    fdset_add(&fds, ctl[1]);
    fdset_add(&fds, report[0]);
    fdset_add(&fds, report[1]);
    fdset_add(&fds, need[0]);
    fdset_add(&fds, need[1]);
    if (cachep != NULL)
        fdset_add(&fds, cachep->fd);

    /* The TLS process is our child (the application's, after exec, as with
     * s6-tlsd).  The key process is forked by whoever still holds the keys
     * when it is needed: with -s, the TLS process at once (we exec the
     * application now); with implicit TLS, this process, only when the
     * TLS process asks (a resumed session needs no signature). */
    x = fork();
    if (x == -1)
        log_die(EXIT_TEMP, "fork failed error=%s", strerror(errno));
    if (x == 0) {
        struct engine e;
        memset(&e, 0, sizeof e);
        if (starttls)
            e.keypid = spawn_keyproc(&fds, keysock[1], &store, &ids);
        tlsstore_wipe_keys(&store);
        signal(SIGPIPE, SIG_IGN);
        close(keysock[1]);
        close(toapp[0]);
        close(fromapp[1]);
        if (ctl[0] != -1)
            close(ctl[0]);
        if (report[0] != -1)
            close(report[0]);
        if (need[0] != -1)
            close(need[0]);
        e.netr = 0;
        e.netw = 1;
        e.ctl = ctl[1];
        e.report = report[1];
        e.need = need[1];
        e.app_in = fromapp[0];
        e.app_out = toapp[1];
        set_nonblock(e.app_in);
        set_nonblock(e.app_out);
        e.keyfd = keysock[0];
        e.store = &store;
        e.cache = cachep;
        e.hs_timeout = hs_timeout;
        e.idle_timeout = idle_timeout;
        e.peer = peer;
        drop(&ids, 0);
        _exit(engine_run(&e));
    }

    close(keysock[0]);
    close(toapp[1]);
    close(fromapp[0]);
    if (!starttls) {
        struct tlsfacts f;
        pid_t k;
        close(report[1]);
        close(need[1]);
        k = await_handshake(report[0], need[0], &fds, keysock[1], &store,
            &ids, &f, loop_now() + hs_timeout + 5000);
        close(keysock[1]);
        if (k > 0 && f.n > 0) /* it exits once the TLS process is done */
            while (waitpid(k, NULL, 0) == -1 && errno == EINTR)
                ;
        /* The application's process: no key, no chain, no cache. */
        tlsstore_free(&store);
        if (cachep != NULL)
            tlscache_close(cachep);
        if (f.n == 0)
            _exit(1); /* no handshake: the TLS process logged why */
        if (tlsfacts_setenv(&f) == -1)
            log_die(EXIT_TEMP, "setenv failed error=%s", strerror(errno));
        if (dup2(toapp[0], 0) == -1 || dup2(fromapp[1], 1) == -1)
            log_die(EXIT_TEMP, "dup2 failed error=%s", strerror(errno));
        close(toapp[0]);
        close(fromapp[1]);
    } else {
        char v[16];
        tlsstore_free(&store);
        if (cachep != NULL)
            tlscache_close(cachep);
        close(keysock[1]);
        close(ctl[1]);
        keep_on_exec(ctl[0]);
        keep_on_exec(toapp[0]);
        keep_on_exec(fromapp[1]);
        snprintf(v, sizeof v, "%d", ctl[0]);
        setenv("SSLCTLFD", v, 1);
        snprintf(v, sizeof v, "%d", toapp[0]);
        setenv("SSLREADFD", v, 1);
        snprintf(v, sizeof v, "%d", fromapp[1]);
        setenv("SSLWRITEFD", v, 1);
    }
    execvp(argv[0], argv);
    log_die(errno == ENOENT ? EXIT_PERM : EXIT_TEMP, "cannot run prog=%s "
        "error=%s", argv[0], strerror(errno));
}
