/* init.c - facteur init: create what is missing, record the paths.
 *
 * Usage: facteur init [--hostname H] [--queue DIR] [--mailroot DIR]
 *                     [--statedir DIR] [--no-system-users]
 *
 * Creates, each only when missing, and prints one line for each:
 *   $FACTEUR_CONF (0755) and empty/ (0555, root's: tlswrap's chroot jail);
 *   the tables domains, users, aliases, routes (text + cdb, empty; see
 *   table.h for their modes), and the cdb of a table whose text was
 *   edited by hand since it was compiled (table_ensure);
 *   the one-line files hostname (--hostname, else the system's fully
 *   qualified name), queuedir (--queue, default QUEUE_DEFAULT) and
 *   mailroot (--mailroot, default MAILROOT_DEFAULT) and statedir
 *   (--statedir, default CONF_STATEDIR_DEFAULT), 0644;
 *   the queue with tmp/ mess/ todo/ info/ pool/ and the mail root, 0750; the
 *   state directory (0755) with authfail/ and mta-sts/ (0700);
 *   as root and without --no-system-users, the system users of sysusers[]
 *   (useradd --system, run directly with execve), then the queue owned by
 *   facteur-queue, the mail root by facteur-mail, mta-sts/ by remote-send's
 *   user (remoteuser, default facteur-smtpd; authfail/ stays root's, the
 *   monitors run as root), and the queue-inject beside this program made
 *   setuid facteur-queue (04711), the one way the services, the alias
 *   forwards and sendmail's callers can write the queue (DESIGN.md; a
 *   setuid queue-inject reads only /etc/facteur, lib/conf.c);
 *   tls/ and tls/default/ (0755) with, when certbot has a certificate for
 *   the host name (LETSENCRYPT_LIVE/<host>/fullchain.pem and privkey.pem),
 *   symbolic links to those two files, checked to load as a pair first
 *   (certbot's renewals then reach tlswrap at the next connection); else
 *   an ECDSA P-256 key (privkey.pem, 0600) and a self-signed certificate
 *   for the host name (fullchain.pem, 0644), made by lib/x509gen.c and
 *   loaded back with lib/tlscert.c before they are renamed into place.
 * Every file is written under a temporary name, fsync'd, renamed, and its
 * directory fsync'd.  Nothing that exists is rewritten, so a second run
 * changes nothing and says so.  A recorded value that differs from an
 * option (--queue against queuedir...) is refused: init never moves a
 * queue or renames a host; edit the file by hand for that.
 * Then it prints what to do next.
 *
 * Exit codes: 0 done (or nothing to do); 1 a problem it reports (an
 * option conflicting with what is recorded, a malformed recorded file, no
 * fully qualified host name found, a path that exists but is not a
 * directory, a key without its certificate, a certbot certificate that
 * does not load); 100 bad usage (a malformed
 * option); 111 temporary failure (a system call, useradd).
 * Limits: INIT_PATH_MAX bytes a path; the host name DNSNAME_MAX bytes, and
 * X509GEN_CN_MAX when a certificate is made.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "dnsname.h"
#include "exitcode.h"
#include "limits.h"
#include "priv.h"
#include "sibling.h"
#include "tlscert.h"
#include "x509gen.h"

#define INIT_PATH_MAX 1024
#define QUEUE_DEFAULT "/var/spool/facteur"
#define MAILROOT_DEFAULT "/var/mail/facteur"
#define HOSTNAME_MAX 255 /* gethostname: POSIX lets HOST_NAME_MAX reach 255 */
#define LETSENCRYPT_LIVE "/etc/letsencrypt/live" /* certbot's layout */

/*
 * The unprivileged users the services run as, created by useradd
 * --system with their own group, no home and no shell.  One table, so
 * that init, the documentation and the programs' defaults can be checked
 * against one list.
 */
static const char *const sysusers[] = {
    "facteur-queue",  /* owns the queue: queue-run, queue-inject */
    "facteur-mail",   /* owns every virtual mailbox: local-deliver, imapd
                         after login */
    "facteur-smtpd",  /* smtpd and submissiond drop to it */
    "facteur-auth",   /* imapd before login */
    "facteur-tls",    /* tlswrap's TLS process (tlswrap -u) */
    "facteur-tlskey", /* tlswrap's key process (tlswrap -k) */
};
#define QUEUE_USER 0
#define MAIL_USER 1

/* The state directory's: lib/authmon.c's, and remote-send's cache. */
#define STATE_AUTHFAIL "authfail"
#define STATE_MTASTS "mta-sts"

/* The queue's directories: lib/queue.h's, and queue-run's info/. */
static const char *const queue_dirs[] = { "tmp", "mess", "todo", "info",
    "pool" };

static const char *const useradd_paths[] = { "/usr/sbin/useradd",
    "/sbin/useradd" };

struct init {
    char host[DNSNAME_MAX + 1];
    char queue[INIT_PATH_MAX + 1];
    char mailroot[INIT_PATH_MAX + 1];
    char statedir[INIT_PATH_MAX + 1];
    int record_host, record_queue, record_mailroot, record_statedir;
    int make_cert;
    char le[INIT_PATH_MAX + 1]; /* certbot's directory for host, or "" */
    int users;   /* make system users and give them the directories */
    int changes; /* lines printed */
};

/* One line of output for one change; printf-checked. */
static void note(struct init *in, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
note(struct init *in, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    in->changes++;
}

/* fsync a directory, so that what was created or renamed in it stays. */
static void
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd == -1 || fsync(fd) == -1)
        die(EXIT_TEMP, "cannot fsync %s: %s", dir, strerror(errno));
    close(fd);
}

/*
 * A plain absolute path from arg: starts with '/', no empty, "." or ".."
 * component, no control byte (it is recorded as one line), trailing '/'
 * dropped, not "/" itself.  0, or -1.
 */
static int
plain_path(const char *arg, char *out, size_t outlen)
{
    size_t n = strlen(arg), i;

    while (n > 1 && arg[n - 1] == '/')
        n--;
    if (n < 2 || arg[0] != '/' || n >= outlen)
        return -1;
    for (i = 0; i < n; i++)
        if ((unsigned char)arg[i] < 0x20 || arg[i] == 0x7f)
            return -1;
    for (i = 0; i < n; i++) {
        if (arg[i] != '/')
            continue;
        /* the component after this '/' */
        if (i + 1 == n || arg[i + 1] == '/'
            || (arg[i + 1] == '.' && (i + 2 == n || arg[i + 2] == '/'))
            || (arg[i + 1] == '.' && arg[i + 2] == '.'
                && (i + 3 == n || arg[i + 3] == '/')))
            return -1;
    }
    memcpy(out, arg, n);
    out[n] = 0;
    return 0;
}

/* Is b a or below a? */
static int
inside(const char *a, const char *b)
{
    size_t n = strlen(a);

    return strncmp(a, b, n) == 0 && (b[n] == 0 || b[n] == '/');
}

/*
 * The system's fully qualified name: gethostname, then the canonical name
 * getaddrinfo gives it (/etc/hosts or the DNS).  It must be a valid host
 * name with a dot, and not localhost: a mail host announces itself by it.
 */
static int
system_host(char *out, size_t outlen, char *found, size_t foundlen)
{
    char h[HOSTNAME_MAX + 1];
    struct addrinfo hints, *ai = NULL;
    const char *name = h;

    found[0] = 0;
    if (gethostname(h, sizeof h - 1) == -1)
        return -1;
    h[sizeof h - 1] = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_CANONNAME;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(h, NULL, &hints, &ai) == 0 && ai->ai_canonname != NULL)
        name = ai->ai_canonname;
    snprintf(found, foundlen, "%s", name);
    if (ai != NULL)
        freeaddrinfo(ai);
    if (dnsname_canon(out, outlen, found, strlen(found)) == -1
        || strchr(out, '.') == NULL || strcmp(out, "localhost") == 0
        || strncmp(out, "localhost.", 10) == 0)
        return -1;
    return 0;
}

/*
 * A value recorded in $FACTEUR_CONF/name against the option given (NULL:
 * none) and the default (NULL: none).  The result in out; *record set
 * when the file must be written.
 */
static void
settle(const char *name, const char *opt, const char *def, int ispath,
    char *out, size_t outlen, int *record)
{
    char rec[INIT_PATH_MAX + 2], canon[INIT_PATH_MAX + 1];
    int r = conf_line(name, rec, sizeof rec);

    *record = 0;
    if (r == -1 && errno != EINVAL && errno != ERANGE)
        die(EXIT_TEMP, "cannot read %s in the configuration: %s", name,
            strerror(errno));
    if (r != 0) {
        /* empty (EINVAL) or longer than any value (ERANGE): malformed */
        if (r == -1
            || (ispath ? plain_path(rec, canon, sizeof canon)
                       : dnsname_canon(canon, sizeof canon, rec, strlen(rec)))
                == -1)
            die(EXIT_PROBLEM, "%s/%s is malformed: fix or remove it", conf,
                name);
        if (strlen(canon) >= outlen)
            die(EXIT_PROBLEM, "%s/%s is too long", conf, name);
        if (opt != NULL && strcmp(opt, canon) != 0) {
            fprintf(stderr,
                "facteur: %s is recorded as %s in %s/%s, not %s: init does "
                "not change what exists (edit that file, and move the "
                "files yourself, to change it)\n",
                name, canon, conf, name, opt);
            exit(EXIT_PROBLEM);
        }
        memcpy(out, canon, strlen(canon) + 1);
        return;
    }
    if (opt == NULL)
        opt = def;
    if (opt == NULL)
        return; /* the caller finds a value */
    snprintf(out, outlen, "%s", opt);
    *record = 1;
}

/* Create path and its missing parents (0755), the last with mode. */
static void
mkdirs(struct init *in, const char *path, mode_t mode)
{
    char p[INIT_PATH_MAX + 1], parent[INIT_PATH_MAX + 1];
    struct stat st;
    size_t i, n = strlen(path);

    if (n >= sizeof p)
        die(EXIT_PERM, "path too long: %s", path, NULL);
    memcpy(p, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (i < n && p[i] != '/')
            continue;
        p[i] = 0;
        if (mkdir(p, i == n ? mode : 0755) == 0) {
            /* the exact mode, whatever the umask */
            if (chmod(p, i == n ? mode : 0755) == -1)
                die(EXIT_TEMP, "cannot chmod %s: %s", p, strerror(errno));
            memcpy(parent, p, i + 1);
            if (strrchr(parent, '/') == NULL)
                memcpy(parent, ".", 2); /* a relative FACTEUR_CONF */
            else if (strrchr(parent, '/') == parent)
                parent[1] = 0; /* under / */
            else
                *strrchr(parent, '/') = 0;
            sync_dir(parent);
            note(in, "created %s/ (%04o)", p, (unsigned)(i == n ? mode : 0755));
        } else if (errno != EEXIST) {
            die(EXIT_TEMP, "cannot create %s: %s", p, strerror(errno));
        } else if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode)) {
            die(EXIT_PROBLEM, "%s exists and is not a directory", p, NULL);
        }
        if (i < n)
            p[i] = '/';
    }
}

/*
 * Write len bytes to dir/.name.tmp.PID (mode), for table_commit to put in
 * place.  Returns the open fd; the temporary name in tmp.
 */
static int
write_tmp(const char *dir, const char *name, const void *data, size_t len,
    mode_t mode, char *tmp, size_t tmplen)
{
    const char *p = data;
    ssize_t k;
    int fd;

    snprintf(tmp, tmplen, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
        mode);
    if (fd == -1)
        die(EXIT_TEMP, "cannot create %s: %s", tmp, strerror(errno));
    if (fchmod(fd, mode) == -1)
        goto fail;
    while (len > 0) {
        k = write(fd, p, len);
        if (k == -1 && errno == EINTR)
            continue;
        if (k == -1)
            goto fail;
        p += k;
        len -= (size_t)k;
    }
    return fd;
fail:
    k = errno;
    unlink(tmp);
    die(EXIT_TEMP, "cannot write %s: %s", tmp, strerror((int)k));
}

static void
commit(const char *dir, const char *tmp, const char *path, int fd)
{
    if (table_commit(dir, tmp, path, fd) == -1)
        die(EXIT_TEMP, "cannot write %s: %s", path, strerror(errno));
}

/* A one-line file of the configuration directory. */
static void
record(struct init *in, const char *name, const char *value)
{
    char tmp[4096], path[4096], line[INIT_PATH_MAX + 2];
    int fd, n;

    n = snprintf(line, sizeof line, "%s\n", value);
    snprintf(path, sizeof path, "%s/%s", conf, name);
    fd = write_tmp(conf, name, line, (size_t)n, 0644, tmp, sizeof tmp);
    commit(conf, tmp, path, fd);
    note(in, "created %s: %s", path, value);
}

/* Run useradd for a system user: fork and execve, no shell. */
static void
useradd(const char *name)
{
    char *const argv[] = { "useradd", "--system", "--user-group",
        "--no-create-home", "--home-dir", "/nonexistent", "--shell",
        "/usr/sbin/nologin", (char *)name, NULL };
    char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
        NULL };
    char code[16];
    size_t i;
    pid_t pid;
    int st;

    fflush(stdout);
    pid = fork();
    if (pid == -1)
        die(EXIT_TEMP, "cannot fork: %s", strerror(errno), NULL);
    if (pid == 0) {
        for (i = 0; i < sizeof useradd_paths / sizeof useradd_paths[0]; i++)
            execve(useradd_paths[i], argv, envp);
        _exit(127);
    }
    while (waitpid(pid, &st, 0) == -1)
        if (errno != EINTR)
            die(EXIT_TEMP, "cannot wait for useradd: %s", strerror(errno),
                NULL);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        die(EXIT_TEMP, "cannot run %s (install the passwd package)",
            useradd_paths[0], NULL);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(code, sizeof code, "%d",
            WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        die(EXIT_TEMP, "useradd %s failed (exit %s)", name, code);
    }
}

/* The user name, made when missing; its uid and gid. */
static void
sysuser(struct init *in, const char *name, uid_t *uid, gid_t *gid)
{
    struct passwd *pw = getpwnam(name);

    if (pw == NULL) {
        useradd(name);
        pw = getpwnam(name);
        if (pw == NULL)
            die(EXIT_TEMP, "useradd made no user %s", name, NULL);
        note(in, "created system user %s (uid %lu)", name,
            (unsigned long)pw->pw_uid);
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
}

/* Give path to uid:gid unless it is theirs already. */
static void
give(struct init *in, const char *path, const char *user, uid_t uid,
    gid_t gid)
{
    struct stat st;

    if (stat(path, &st) == -1)
        die(EXIT_TEMP, "cannot stat %s: %s", path, strerror(errno));
    if (st.st_uid == uid && st.st_gid == gid)
        return;
    if (chown(path, uid, gid) == -1)
        die(EXIT_TEMP, "cannot chown %s: %s", path, strerror(errno));
    note(in, "gave %s to %s", path, user);
}

/*
 * The queue-inject beside this program, setuid to the queue's owner: the
 * services (smtpd, submissiond as facteur-smtpd), local-deliver's forwards
 * (facteur-mail) and sendmail's callers all write the queue through it.
 * Only a regular file of root's (or already the queue owner's), in a
 * directory of root's that nobody else may write, is changed: anything
 * else is not what make install put there, and a directory another user
 * can write would let them swap the file for their own between the
 * check and the change.  The file is opened without following a link
 * and changed through that descriptor.  chown clears the set-user-ID
 * bit, so the mode comes after it.
 */
static void
setuid_inject(struct init *in, uid_t uid, gid_t gid)
{
    char path[INIT_PATH_MAX + 32], dir[INIT_PATH_MAX + 32];
    struct stat st, ds;
    int fd;

    if (sibling_path(NULL, "queue-inject", path, sizeof path) == -1)
        die(EXIT_TEMP, "cannot find queue-inject: %s", strerror(errno), NULL);
    memcpy(dir, path, strlen(path) + 1);
    *strrchr(dir, '/') = 0;
    if (stat(dir[0] ? dir : "/", &ds) == -1 || ds.st_uid != 0
        || (ds.st_mode & 022) != 0)
        die(EXIT_PROBLEM, "%s is not a directory of root's that only root "
            "may write: queue-inject there is not made setuid", dir, NULL);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1 || fstat(fd, &st) == -1)
        die(EXIT_PROBLEM, "cannot open %s: %s (install it beside facteur)",
            path, strerror(errno));
    if (st.st_uid == uid && st.st_gid == gid
        && (st.st_mode & 07777) == (S_ISUID | 0711)) {
        close(fd);
        return;
    }
    if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != uid))
        die(EXIT_PROBLEM, "%s is not a file of root's: not made setuid "
            "(reinstall it)", path, NULL);
    if (fchown(fd, uid, gid) == -1 || fchmod(fd, S_ISUID | 0711) == -1)
        die(EXIT_TEMP, "cannot make %s setuid: %s", path, strerror(errno));
    close(fd);
    note(in, "made %s setuid %s (04711): the services write the queue "
        "through it", path, sysusers[QUEUE_USER]);
}

static void
make_users(struct init *in)
{
    char p[INIT_PATH_MAX + 16];
    uid_t uid[2] = { 0, 0 }, u;
    gid_t gid[2] = { 0, 0 }, g;
    size_t i;

    for (i = 0; i < sizeof sysusers / sizeof sysusers[0]; i++) {
        sysuser(in, sysusers[i], &u, &g);
        if (i == QUEUE_USER || i == MAIL_USER) {
            uid[i] = u;
            gid[i] = g;
        }
    }
    give(in, in->queue, sysusers[QUEUE_USER], uid[QUEUE_USER],
        gid[QUEUE_USER]);
    for (i = 0; i < sizeof queue_dirs / sizeof queue_dirs[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", in->queue, queue_dirs[i]);
        give(in, p, sysusers[QUEUE_USER], uid[QUEUE_USER], gid[QUEUE_USER]);
    }
    give(in, in->mailroot, sysusers[MAIL_USER], uid[MAIL_USER],
        gid[MAIL_USER]);
    snprintf(p, sizeof p, "%s/%s", in->statedir, STATE_MTASTS);
    if (priv_resolve("remoteuser", sysusers[2], &u, &g) != 1)
        die(EXIT_PROBLEM, "remote-send's user (the file remoteuser, else %s) "
            "does not exist", sysusers[2], NULL);
    give(in, p, "remote-send's user", u, g);
    setuid_inject(in, uid[QUEUE_USER], gid[QUEUE_USER]);
}

/* Does path exist?  (Any other error than ENOENT is temporary.) */
static int
exists(const char *path)
{
    struct stat st;

    if (lstat(path, &st) == 0)
        return 1;
    if (errno != ENOENT)
        die(EXIT_TEMP, "cannot stat %s: %s", path, strerror(errno));
    return 0;
}

/* The default certificate: made, written, loaded back, renamed. */
static void
make_cert(struct init *in)
{
    char dir[4096], tls[4096], key[4200], chain[4200], tk[4300], tc[4300];
    char err[1024];
    static struct x509gen_pair pair;
    static struct tlspair kp;
    int kfd, cfd;

    snprintf(tls, sizeof tls, "%s/tls", conf);
    snprintf(dir, sizeof dir, "%s/tls/default", conf);
    snprintf(key, sizeof key, "%s/privkey.pem", dir);
    snprintf(chain, sizeof chain, "%s/fullchain.pem", dir);
    mkdirs(in, tls, 0755);
    mkdirs(in, dir, 0755);
    if (x509gen_make(&pair, in->host, (int64_t)time(NULL)) == -1)
        die(errno == EINVAL ? EXIT_PROBLEM : EXIT_TEMP,
            "cannot make a certificate for %s: %s", in->host,
            strerror(errno));
    kfd = write_tmp(dir, "privkey.pem", pair.key, pair.keylen, 0600, tk,
        sizeof tk);
    cfd = write_tmp(dir, "fullchain.pem", pair.cert, pair.certlen, 0644, tc,
        sizeof tc);
    x509gen_wipe(&pair);
    /* What tlswrap will do with them: the key must match the certificate. */
    if (tlspair_load_files(&kp, tc, tk, NULL, err, sizeof err) == -1) {
        unlink(tk);
        unlink(tc);
        die(EXIT_TEMP, "the new certificate does not load: %s", err, NULL);
    }
    explicit_bzero(kp.skmem, sizeof kp.skmem);
    sa_free(&kp.chainmem);
    /* The key last: a key without its certificate is what init refuses. */
    commit(dir, tc, chain, cfd);
    commit(dir, tk, key, kfd);
    note(in, "created %s (ECDSA P-256, 0600)", key);
    note(in, "created %s (self-signed for %s, %d days, 0644)", chain,
        in->host, X509GEN_DAYS);
}

/* Put a symbolic link dir/name -> target in place atomically. */
static void
link_into(const char *dir, const char *name, const char *target)
{
    char tmp[4300], path[4300];

    snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(tmp);
    if (symlink(target, tmp) == -1 || rename(tmp, path) == -1) {
        int e = errno;
        unlink(tmp);
        die(EXIT_TEMP, "cannot link %s: %s", path, strerror(e));
    }
    sync_dir(dir);
}

/*
 * certbot's certificate for the host name, when it has one: in->le set
 * to its directory, once its two files load as tlswrap loads them (a
 * pair that does not is refused, before init changes anything).
 */
static void
find_letsencrypt(struct init *in)
{
    char chain[INIT_PATH_MAX + 64], key[INIT_PATH_MAX + 64], err[1024];
    static struct tlspair kp;
    struct stat st;

    snprintf(in->le, sizeof in->le, "%s/%s", LETSENCRYPT_LIVE, in->host);
    snprintf(chain, sizeof chain, "%s/fullchain.pem", in->le);
    snprintf(key, sizeof key, "%s/privkey.pem", in->le);
    /* Any failure to see them (certbot's live/ is root's, 0700, for a
     * caller that is not root) means: no certificate from certbot. */
    if (lstat(chain, &st) == -1 || lstat(key, &st) == -1) {
        in->le[0] = 0;
        return;
    }
    if (tlspair_load_files(&kp, chain, key, NULL, err, sizeof err) == -1)
        die(EXIT_PROBLEM, "certbot's certificate does not load: %s (mend "
            "it, or put a certificate in tls/default yourself)", err, NULL);
    explicit_bzero(kp.skmem, sizeof kp.skmem);
    sa_free(&kp.chainmem);
}

/* Link tls/default's two files to certbot's (the key last, as make_cert
 * writes them). */
static void
link_cert(struct init *in)
{
    char dir[4096], tls[4096], chain[4200], key[4200];

    snprintf(tls, sizeof tls, "%s/tls", conf);
    snprintf(dir, sizeof dir, "%s/tls/default", conf);
    snprintf(chain, sizeof chain, "%s/fullchain.pem", in->le);
    snprintf(key, sizeof key, "%s/privkey.pem", in->le);
    mkdirs(in, tls, 0755);
    mkdirs(in, dir, 0755);
    link_into(dir, "fullchain.pem", chain);
    link_into(dir, "privkey.pem", key);
    note(in, "linked %s/fullchain.pem and privkey.pem to %s/ (certbot's "
        "renewals are used from the next connection on)", dir, in->le);
}

static void
parse(struct init *in, int argc, char **argv, const char **host,
    const char **queue, const char **mailroot, const char **statedir)
{
    static char hbuf[DNSNAME_MAX + 1], qbuf[INIT_PATH_MAX + 1];
    static char mbuf[INIT_PATH_MAX + 1], sbuf[INIT_PATH_MAX + 1];
    int i;

    for (i = 0; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--no-system-users") == 0) {
            in->users = 0;
            continue;
        }
        if (v == NULL)
            usage();
        if (strcmp(argv[i], "--hostname") == 0) {
            if (dnsname_canon(hbuf, sizeof hbuf, v, strlen(v)) == -1)
                die(EXIT_PERM, "not a host name: %s", v, NULL);
            *host = hbuf;
        } else if (strcmp(argv[i], "--queue") == 0) {
            if (plain_path(v, qbuf, sizeof qbuf) == -1)
                die(EXIT_PERM, "--queue needs a plain absolute path: %s", v,
                    NULL);
            *queue = qbuf;
        } else if (strcmp(argv[i], "--mailroot") == 0) {
            if (plain_path(v, mbuf, sizeof mbuf) == -1)
                die(EXIT_PERM, "--mailroot needs a plain absolute path: %s",
                    v, NULL);
            *mailroot = mbuf;
        } else if (strcmp(argv[i], "--statedir") == 0) {
            if (plain_path(v, sbuf, sizeof sbuf) == -1)
                die(EXIT_PERM, "--statedir needs a plain absolute path: %s",
                    v, NULL);
            *statedir = sbuf;
        } else {
            usage();
        }
        i++;
    }
}

int
cmd_init(int argc, char **argv)
{
    static struct init in;
    const char *host = NULL, *queue = NULL, *mailroot = NULL;
    const char *statedir = NULL;
    char path[4096], key[4200], chain[4200], found[HOSTNAME_MAX + 1];
    char err[600];
    size_t i;
    int r;

    in.users = 1;
    parse(&in, argc, argv, &host, &queue, &mailroot, &statedir);
    if (geteuid() != 0)
        in.users = 0;

    /* First everything that can refuse, so a refusal changes nothing. */
    settle("hostname", host, NULL, 0, in.host, sizeof in.host,
        &in.record_host);
    settle("queuedir", queue, QUEUE_DEFAULT, 1, in.queue, sizeof in.queue,
        &in.record_queue);
    settle("mailroot", mailroot, MAILROOT_DEFAULT, 1, in.mailroot,
        sizeof in.mailroot, &in.record_mailroot);
    settle("statedir", statedir, CONF_STATEDIR_DEFAULT, 1, in.statedir,
        sizeof in.statedir, &in.record_statedir);
    if (inside(in.queue, in.mailroot) || inside(in.mailroot, in.queue)
        || inside(in.statedir, in.queue) || inside(in.queue, in.statedir)
        || inside(in.statedir, in.mailroot)
        || inside(in.mailroot, in.statedir))
    {
        fprintf(stderr, "facteur: the queue, the mail root and the state "
            "directory must not contain each other: %s, %s, %s\n", in.queue,
            in.mailroot, in.statedir);
        exit(EXIT_PERM);
    }
    if (in.host[0] == 0) {
        if (system_host(in.host, sizeof in.host, found, sizeof found) == -1)
            die(EXIT_PROBLEM, "the system's host name (%s) is not a fully "
                "qualified domain name: give one with --hostname",
                found[0] ? found : "none", NULL);
        in.record_host = 1;
    }
    snprintf(key, sizeof key, "%s/tls/default/privkey.pem", conf);
    snprintf(chain, sizeof chain, "%s/tls/default/fullchain.pem", conf);
    if (exists(key) && !exists(chain))
        die(EXIT_PROBLEM, "%s has no certificate beside it: put fullchain.pem "
            "there, or remove the key and run facteur init again", key, NULL);
    in.make_cert = !exists(key);
    if (in.make_cert)
        find_letsencrypt(&in);
    if (in.make_cert && in.le[0] == 0 && strlen(in.host) > X509GEN_CN_MAX)
        die(EXIT_PROBLEM, "%s is longer than 64 bytes, too long for a "
            "certificate's common name: put your own certificate in "
            "tls/default, or give a shorter --hostname", in.host, NULL);

    umask(022);
    mkdirs(&in, conf, 0755);
    if (table_lock(conf) == -1)
        die(EXIT_TEMP, "cannot lock %s/.lock: %s", conf, strerror(errno));
    snprintf(path, sizeof path, "%s/empty", conf);
    mkdirs(&in, path, 0555);
    for (i = 0; i < TABLE_COUNT; i++) {
        r = table_ensure(conf, table_names[i], err, sizeof err);
        if (r < 0)
            die(r == -1 ? EXIT_PROBLEM : EXIT_TEMP, "%s", err, NULL);
        if (r == 1)
            note(&in, "created %s/%s and %s.cdb (empty)", conf,
                table_names[i], table_names[i]);
        if (r == 2)
            note(&in, "compiled %s/%s.cdb from %s, edited by hand", conf,
                table_names[i], table_names[i]);
    }
    if (in.record_host)
        record(&in, "hostname", in.host);
    if (in.record_queue)
        record(&in, "queuedir", in.queue);
    if (in.record_mailroot)
        record(&in, "mailroot", in.mailroot);
    if (in.record_statedir)
        record(&in, "statedir", in.statedir);

    mkdirs(&in, in.queue, 0750);
    for (i = 0; i < sizeof queue_dirs / sizeof queue_dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", in.queue, queue_dirs[i]);
        mkdirs(&in, path, 0750);
    }
    mkdirs(&in, in.mailroot, 0750);
    mkdirs(&in, in.statedir, 0755);
    snprintf(path, sizeof path, "%s/%s", in.statedir, STATE_AUTHFAIL);
    mkdirs(&in, path, 0700);
    snprintf(path, sizeof path, "%s/%s", in.statedir, STATE_MTASTS);
    mkdirs(&in, path, 0700);
    if (in.users)
        make_users(&in);
    if (in.make_cert && in.le[0] != 0)
        link_cert(&in);
    else if (in.make_cert)
        make_cert(&in);

    if (!in.users)
        printf("no system users (%s): the queue and the mail root stay "
               "owned by uid %lu; as root, facteur init makes %s and %s "
               "and gives them these directories\n",
            geteuid() != 0 ? "not root" : "--no-system-users",
            (unsigned long)geteuid(), sysusers[QUEUE_USER],
            sysusers[MAIL_USER]);
    if (in.changes == 0) {
        printf("everything exists already (%s, host name %s, queue %s, "
               "mail root %s): nothing changed\n",
            conf, in.host, in.queue, in.mailroot);
    } else {
        printf("\nnext:\n"
               "  facteur domain add example.org       a domain of yours\n"
               "  facteur user add you@example.org     a mailbox (the "
               "password, one line, on standard input)\n"
               "  facteur alias add postmaster@example.org you@example.org\n"
               "  replace %s/tls/default/*.pem by a certificate clients "
               "trust (Let's Encrypt's files work as they are)\n"
               "  start the services: smtpd, submissiond, imapd, queue-run "
               "(service/s6/ or service/systemd/)\n",
            conf);
    }
    if (fflush(stdout) == EOF)
        return EXIT_TEMP;
    return EXIT_OK;
}
