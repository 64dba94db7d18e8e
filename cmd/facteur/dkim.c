/* dkim.c - facteur dkim keygen, the DKIM records of facteur dns, and
 * the first key of a new domain.
 *
 * Usage:
 *   facteur dkim keygen D [--selector S] [--ed25519]
 *
 * keygen makes a 2048-bit RSA key (lib/dkim.h, BearSSL, e = 65537), or
 * with --ed25519 an Ed25519 key (RFC 8463, lib/ed25519.h), for the local
 * domain D under the selector S (default "f", or "e" for Ed25519, and
 * the year and month, UTC: f202611), writes it to
 * $FACTEUR_CONF/dkim/D/S.key (0600; as root, owned by facteur-smtpd
 * when that user exists: dkim-sign runs as submissiond's session user
 * and must read it), loads it back, then makes S the active selector of
 * its kind (dkim/D/selector, or dkim/D/selector-ed25519; 0644) and
 * prints the TXT record to publish.  Every file goes through a temporary name, fsync,
 * rename and an fsync of its directory.  Older keys stay: mail signed
 * with them keeps verifying while their records are published.  An
 * existing S.key is never replaced.
 * dkim_records prints the DKIM records of D for facteur dns (dns.c).
 *
 * Exit codes: admin.h's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "buf.h"
#include "conf.h"
#include "dkim.h"
#include "dkimcmd.h"
#include "dnsname.h"
#include "exitcode.h"
#include "limits.h"

/* The user dkim-sign runs as: submissiond's session (facteur init). */
#define KEY_USER "facteur-smtpd"
#define PATH_LEN 4096
#define DKIM_KEYS_MAX 64 /* selectors of one domain shown */
/* The files of dkim/<domain>/ that name the active selectors. */
#define SELECTOR_RSA "selector"
#define SELECTOR_ED "selector-ed25519"

/* "f" and the year and month, UTC. */
static void
default_selector(char *sel, size_t len, int ed)
{
    time_t now = time(NULL);
    struct tm tm;

    if (gmtime_r(&now, &tm) == NULL
        || strftime(sel, len, ed ? "e%Y%m" : "f%Y%m", &tm) == 0)
        die(EXIT_TEMP, "cannot read the clock", NULL, NULL);
}

void
canon_domain(const char *arg, char *d, size_t len)
{
    struct table t;

    if (dnsname_canon(d, len, arg, strlen(arg)) == -1)
        die(EXIT_PERM, "not a domain name: %s", arg, NULL);
    load(&t, "domains");
    if (table_find(&t, d) == NULL)
        die(EXIT_PROBLEM, "%s is not a local domain (facteur domain add %s)",
            d, d);
    table_free(&t);
}

/* dir (0755) when missing; its parent fsync'd after the creation. */
static void
make_dir(const char *dir, const char *parent)
{
    struct stat st;
    int fd;

    if (mkdir(dir, 0755) == 0) {
        fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (chmod(dir, 0755) == -1 || fd == -1 || fsync(fd) == -1)
            die(EXIT_TEMP, "cannot create %s: %s", dir, strerror(errno));
        close(fd);
        printf("created %s/ (0755)\n", dir);
    } else if (errno != EEXIST) {
        die(EXIT_TEMP, "cannot create %s: %s", dir, strerror(errno));
    } else if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
        die(EXIT_PROBLEM, "%s exists and is not a directory", dir, NULL);
    }
}

/* dir/.name.tmp.PID with the len bytes at data, mode and owner (pw, or
 * NULL: ours); the open fd, for table_commit.  The name in tmp. */
static int
write_tmp(const char *dir, const char *name, const void *data, size_t len,
    mode_t mode, const struct passwd *pw, char *tmp, size_t tmplen)
{
    int fd, e;

    snprintf(tmp, tmplen, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
        mode);
    if (fd == -1)
        die(EXIT_TEMP, "cannot create %s: %s", tmp, strerror(errno));
    if (fchmod(fd, mode) == -1
        || (pw != NULL && fchown(fd, pw->pw_uid, pw->pw_gid) == -1)
        || fd_write_all(fd, data, len, -1) == -1) {
        e = errno;
        close(fd);
        unlink(tmp);
        die(EXIT_TEMP, "cannot write %s: %s", tmp, strerror(e));
    }
    return fd;
}

static void
commit(const char *dir, const char *tmp, const char *path, int fd)
{
    if (table_commit(dir, tmp, path, fd) == -1)
        die(EXIT_TEMP, "cannot write %s: %s", path, strerror(errno));
}

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* d's active selector (RSA, or Ed25519 when ed) into sel: 1, 0 when
 * there is none, -1 (a reason in err). */
static int
active_selector(const char *d, int ed, char *sel, size_t len, char *err,
    size_t errlen)
{
    char name[DNSNAME_MAX + 32];
    int r;

    snprintf(name, sizeof name, "dkim/%s/%s", d,
        ed ? SELECTOR_ED : SELECTOR_RSA);
    r = conf_line(name, sel, len);
    if (r == 1 && !dkim_selector_valid(sel)) {
        errno = EINVAL;
        r = -1;
    }
    if (r == -1)
        snprintf(err, errlen, "%s/%s: %s", conf, name,
            errno == EINVAL ? "not a selector" : strerror(errno));
    return r;
}

/* The key of d's selector sel into k: 0, or -1 (a reason in err). */
static int
load_key(struct dkim_key *k, const char *d, const char *sel, char *err,
    size_t errlen)
{
    char path[PATH_LEN];

    snprintf(path, sizeof path, "%s/dkim/%s/%s.key", conf, d, sel);
    return dkim_key_load(k, path, err, errlen);
}

/* The record of the key k for sel and d, as a zone line. */
static void
print_key(const struct dkim_key *k, const char *d, const char *sel)
{
    static char rec[DKIM_RECORD_MAX];
    char owner[DNSNAME_MAX + DKIM_SELECTOR_MAX + 16];

    if (dkim_key_record(k, rec, sizeof rec) == -1)
        die(EXIT_TEMP, "cannot encode the public key", NULL, NULL);
    snprintf(owner, sizeof owner, "%s._domainkey.%s.", sel, d);
    print_txt(owner, rec);
}

/* A new key for d under sel (RSA, or Ed25519 when ed), made the
 * active selector of its kind. */
static void
keygen(const char *d, const char *sel, int ed)
{
    static char pem[DKIM_KEYGEN_PEM_MAX];
    static struct dkim_key k;
    char top[PATH_LEN], dir[PATH_LEN + DNSNAME_MAX + 2];
    char name[DKIM_SELECTOR_MAX + 8], line[DKIM_SELECTOR_MAX + 8];
    char path[sizeof dir + sizeof name], tmp[sizeof path + 32];
    char err[sizeof path + 300];
    const struct passwd *pw = geteuid() == 0 ? getpwnam(KEY_USER) : NULL;
    struct stat st;
    long n;
    int fd;

    if (strlen(conf) > PATH_LEN - 16)
        die(EXIT_PERM, "configuration path too long: %s", conf, NULL);
    snprintf(top, sizeof top, "%s/dkim", conf);
    snprintf(dir, sizeof dir, "%s/%s", top, d);
    snprintf(name, sizeof name, "%s.key", sel);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    make_dir(top, conf);
    make_dir(dir, top);
    if (lstat(path, &st) == 0)
        die(EXIT_PROBLEM, "%s exists: keys are never replaced (choose "
            "another --selector)", path, NULL);
    if (errno != ENOENT)
        die(EXIT_TEMP, "cannot stat %s: %s", path, strerror(errno));

    n = ed ? dkim_keygen_ed25519(pem, sizeof pem) : dkim_keygen(pem, sizeof pem);
    if (n == -1)
        die(EXIT_TEMP, "cannot make a key: %s", strerror(errno), NULL);
    fd = write_tmp(dir, name, pem, (size_t)n, 0600, pw, tmp, sizeof tmp);
    explicit_bzero(pem, sizeof pem);
    /* What dkim-sign will do with it. */
    if (dkim_key_load(&k, tmp, err, sizeof err) == -1) {
        close(fd);
        unlink(tmp);
        die(EXIT_TEMP, "the new key does not load: %s", err, NULL);
    }
    commit(dir, tmp, path, fd);
    snprintf(err, sizeof err, ed ? "Ed25519" : "RSA %d bits",
        DKIM_KEYGEN_BITS);
    printf("created %s (%s, 0600, owner %s)\n", path, err,
        pw != NULL ? KEY_USER " (dkim-sign's user)"
                   : "this user: dkim-sign's user must be able to read it");

    snprintf(line, sizeof line, "%s\n", sel);
    fd = write_tmp(dir, ed ? SELECTOR_ED : SELECTOR_RSA, line, strlen(line),
        0644, NULL, tmp, sizeof tmp);
    snprintf(path, sizeof path, "%s/%s", dir, ed ? SELECTOR_ED : SELECTOR_RSA);
    commit(dir, tmp, path, fd);
    printf("%s: %s (dkim-sign signs mail from %s with it from now on%s)\n"
           "publish this record now (and keep older selectors' records "
           "while mail signed with them may still be read):\n",
        path, sel, d, ed ? ", beside the RSA signature" : "");
    print_key(&k, d, sel);
    dkim_key_wipe(&k);
}

int
cmd_dkim(int argc, char **argv)
{
    char d[DNSNAME_MAX + 1], sel[DKIM_SELECTOR_MAX + 1];

    const char *given = NULL;
    int i, ed = 0;

    if (argc < 2 || strcmp(argv[0], "keygen") != 0)
        usage();
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--ed25519") == 0 && !ed)
            ed = 1;
        else if (strcmp(argv[i], "--selector") == 0 && i + 1 < argc
            && given == NULL)
            given = argv[++i];
        else
            usage();
    }
    default_selector(sel, sizeof sel, ed);
    if (given != NULL
        && (dnsname_canon(sel, sizeof sel, given, strlen(given)) == -1
            || !dkim_selector_valid(sel)))
        die(EXIT_PERM, "not a selector (a host name of at most 63 bytes): %s",
            given, NULL);
    canon_domain(argv[1], d, sizeof d);
    keygen(d, sel, ed);
    return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_OK;
}

int
cmd_dkim_first(const char *d)
{
    char sel[DKIM_SELECTOR_MAX + 2], err[PATH_LEN];
    pid_t pid;
    int st;

    switch (active_selector(d, 0, sel, sizeof sel, err, sizeof err)) {
    case 1:
        printf("DKIM: %s keeps its selector %s\n", d, sel);
        return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_OK;
    case -1:
        fprintf(stderr, "facteur: %s\n", err);
        return EXIT_PROBLEM;
    }
    /* keygen dies on a failure: in a child, so that the domain stays
     * added and the failure is reported as a problem. */
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        default_selector(sel, sizeof sel, 0);
        keygen(d, sel, 0);
        exit(fflush(stdout) == EOF ? EXIT_TEMP : EXIT_OK);
    }
    while (pid != -1 && waitpid(pid, &st, 0) == -1 && errno == EINTR)
        ;
    if (pid != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return EXIT_OK;
    fprintf(stderr, "facteur: %s is a local domain now, but it has no DKIM "
                    "key: facteur dkim keygen %s\n", d, d);
    return EXIT_PROBLEM;
}

int
dkim_records(const char *d)
{
    static struct dkim_key k;
    char sel[DKIM_SELECTOR_MAX + 2], edsel[DKIM_SELECTOR_MAX + 2];
    char err[PATH_LEN + 300];
    char dir[PATH_LEN], names[DKIM_KEYS_MAX][DKIM_SELECTOR_MAX + 1];
    struct dirent *e;
    DIR *dh;
    size_t n = 0, i, l;
    int r, problem = 0;

    r = active_selector(d, 0, sel, sizeof sel, err, sizeof err);
    if (r == 0)
        snprintf(err, sizeof err, "%s has no DKIM key (facteur dkim keygen "
            "%s)", d, d);
    if (r == 1 && load_key(&k, d, sel, err, sizeof err) == 0) {
        printf("; DKIM (RFC 6376): the public key of the active selector, "
               "%s\n", sel);
        print_key(&k, d, sel);
        dkim_key_wipe(&k);
    } else {
        printf("; DKIM: %s\n", err);
        fprintf(stderr, "facteur: %s\n", err);
        return 1;
    }
    /* The Ed25519 key, when there is one (RFC 8463: a second
     * signature). */
    edsel[0] = 0;
    r = active_selector(d, 1, edsel, sizeof edsel, err, sizeof err);
    if (r == 1 && load_key(&k, d, edsel, err, sizeof err) == 0) {
        printf("; DKIM (RFC 8463): the Ed25519 key of the active selector, "
               "%s\n", edsel);
        print_key(&k, d, edsel);
        dkim_key_wipe(&k);
    } else if (r != 0) {
        printf("; DKIM: %s\n", err);
        fprintf(stderr, "facteur: %s\n", err);
        problem = 1;
    }
    /* The older keys: mail they signed verifies while they are
     * published.  Sorted, so the output is the same each time. */
    snprintf(dir, sizeof dir, "%s/dkim/%s", conf, d);
    if ((dh = opendir(dir)) == NULL)
        return 0;
    while ((e = readdir(dh)) != NULL) {
        l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".key") != 0
            || l - 4 > DKIM_SELECTOR_MAX)
            continue;
        if (n == DKIM_KEYS_MAX) {
            fprintf(stderr, "facteur: %s: more than %d keys, the others "
                "not shown\n", dir, DKIM_KEYS_MAX);
            problem = 1;
            break;
        }
        memcpy(names[n], e->d_name, l - 4);
        names[n][l - 4] = 0;
        if (dkim_selector_valid(names[n]) && strcmp(names[n], sel) != 0
            && strcmp(names[n], edsel) != 0)
            n++;
    }
    closedir(dh);
    qsort(names, n, sizeof names[0], cmp_name);
    for (i = 0; i < n; i++) {
        if (load_key(&k, d, names[i], err, sizeof err) == -1) {
            printf("; DKIM: %s\n", err);
            fprintf(stderr, "facteur: %s\n", err);
            problem = 1;
            continue;
        }
        printf("; DKIM: an older key, selector %s: remove its record (and "
               "then the key) once mail signed with it is no longer read\n",
            names[i]);
        print_key(&k, d, names[i]);
        dkim_key_wipe(&k);
    }
    return problem;
}

int
dkim_active_record(const char *d, int ed, char *sel, size_t sellen,
    char *rec, size_t reclen, char *err, size_t errlen)
{
    static struct dkim_key k;
    int r = active_selector(d, ed, sel, sellen, err, errlen);

    if (r != 1)
        return r;
    if (load_key(&k, d, sel, err, errlen) == -1)
        return -1;
    r = dkim_key_record(&k, rec, reclen) == -1 ? -1 : 1;
    if (r == -1)
        snprintf(err, errlen, "cannot encode the public key of %s/%s", d,
            sel);
    dkim_key_wipe(&k);
    return r;
}
