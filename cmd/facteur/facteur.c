/* facteur.c - the admin command: dispatch, and the tables of domains,
 * users, aliases; the queue listing.
 *
 * Usage:
 *   facteur init [--hostname H] [--queue DIR] [--mailroot DIR]
 *                [--statedir DIR] [--no-system-users]                        (init.c)
 *   facteur route add DOMAIN HOST[:PORT] [--tls POLICY] [--auth USER]
 *               | del DOMAIN | list                          (route.c)
 *       (add --auth reads the password, one line, on stdin)
 *   facteur domain add D | del D | list
 *   facteur user add ADDR | passwd ADDR | del ADDR | list
 *       (add and passwd read the password, one line, on stdin; list
 *       appends " weak" to a user whose hash lib/pwhash.h calls weak)
 *   facteur user import exim-passwd|dovecot-passwd FILE [--domain D]
 *                       [--replace]                         (import.c)
 *   facteur alias add ADDR TARGET... | del ADDR [TARGET...] | list
 *       (ADDR may be @domain: a catch-all)
 *   facteur queue           one line a queued message: id, age, sender,
 *                           pending recipients, next try, last error
 *   facteur queue flush     ask queue-run to retry everything now
 *   facteur dkim keygen D [--selector S] [--ed25519]        (dkim.c)
 *   facteur dns D [--mta-sts-policy]                          (dns.c)
 *   facteur check [--no-dns]                                  (check.c)
 *       (domain add also makes the new domain's first DKIM key)
 *
 * Tables live in $FACTEUR_CONF (default /etc/facteur) as text and cdb
 * (see table.h); every change rewrites both atomically, under a lock.
 * Passwords are hashed with yescrypt (libxcrypt crypt_r) and wiped from
 * memory; the hash is what checkpassword verifies.
 *
 * A local domain cannot have a route, nor a routed domain be local.
 *
 * Exit codes: 0 done, 1 a problem it reports (unknown domain, duplicate,
 * no such entry, a malformed table), 100 bad usage, 111 temporary failure
 * (cannot read or write the configuration).
 */
#include <crypt.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "admin.h"
#include "conf.h"
#include "dkimcmd.h"
#include "dnsname.h"
#include "envelope.h"
#include "qinfo.h"
#include "queue.h"
#include "exitcode.h"
#include "pwhash.h"
#include "sa.h"
#include "table.h"

#define PASSWORD_MAX 1024

_Noreturn void
usage(void)
{
    fputs("usage: facteur init [--hostname H] [--queue DIR] [--mailroot DIR] "
          "[--statedir DIR]\n"
          "                    [--no-system-users]\n"
          "       facteur domain add D | del D | list\n"
          "       facteur route add DOMAIN HOST[:PORT] "
          "[--tls none|may|encrypt|verify] [--auth USER]\n"
          "       facteur route del DOMAIN | list\n"
          "       facteur queue [flush]\n"
          "       facteur dkim keygen D [--selector S] [--ed25519]\n"
          "       facteur dns D [--mta-sts-policy]\n"
          "       facteur check [--no-dns]\n"
          "       facteur user add ADDR | passwd ADDR | del ADDR | list\n"
          "       facteur user import exim-passwd|dovecot-passwd FILE "
          "[--domain D] [--replace]\n"
          "       facteur alias add ADDR TARGET... | del ADDR [TARGET...] "
          "| list\n",
        stderr);
    exit(EXIT_PERM);
}

/* 1 when the hash of a users row (hash[:maildir]) is weak. */
static int
weak_user(const struct row *r)
{
    char hash[TABLE_LINE_MAX + 1];
    int weak;

    snprintf(hash, sizeof hash, "%.*s", (int)strcspn(r->val, ":"), r->val);
    weak = pwhash_weak(hash);
    explicit_bzero(hash, sizeof hash);
    return weak;
}

static void
list(struct table *t)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        if (strcmp(t->name, "aliases") == 0)
            printf("%s:%s\n", t->rows[i].key, t->rows[i].val);
        else if (strcmp(t->name, "users") == 0 && weak_user(&t->rows[i]))
            printf("%s weak\n", t->rows[i].key);
        else
            printf("%s\n", t->rows[i].key);
    }
    if (fflush(stdout) == EOF)
        exit(EXIT_TEMP);
}

/* The canonical address (or @domain for aliases) of arg; exits if bad. */
static void
canon_addr(const char *arg, int catchall_ok, char *out, size_t outlen)
{
    struct addr a;

    if (catchall_ok && arg[0] == '@') {
        out[0] = '@';
        if (dnsname_canon(out + 1, outlen - 1, arg + 1, strlen(arg + 1))
            == -1)
            die(EXIT_PERM, "not a domain: %s", arg, NULL);
        return;
    }
    if (addr_parse(arg, strlen(arg), 0, &a) == -1)
        die(EXIT_PERM, "not an address: %s", arg, NULL);
    /* The tables read a line starting with '#' as a comment: such a key
     * would vanish ("#a"@d is #a@d once canonical). */
    if (a.full[0] == '#')
        die(EXIT_PERM, "an address starting with '#' cannot be stored: %s",
            arg, NULL);
    snprintf(out, outlen, "%s", a.full);
}

static const char *
domain_of(const char *addr)
{
    return strrchr(addr, '@') + 1;
}

static void
need_local_domain(const char *addr)
{
    struct table d;

    load(&d, "domains");
    if (table_find(&d, domain_of(addr)) == NULL)
        die(EXIT_PROBLEM, "%s is not a local domain (facteur domain add %s)",
            domain_of(addr), domain_of(addr));
    table_free(&d);
}

/* Read the password (one line on stdin) and hash it with yescrypt. */
static void
hash_password(char *hash, size_t hashlen)
{
    static struct crypt_data cd;
    char pw[PASSWORD_MAX + 2], salt[CRYPT_GENSALT_OUTPUT_SIZE];
    size_t n;
    char *h;

    if (fgets(pw, sizeof pw, stdin) == NULL)
        die(EXIT_PERM, "no password on standard input", NULL, NULL);
    n = strcspn(pw, "\r\n");
    if (n == strlen(pw) && !feof(stdin)) {
        explicit_bzero(pw, sizeof pw);
        die(EXIT_PERM, "password longer than 1024 bytes", NULL, NULL);
    }
    pw[n] = 0;
    if (n == 0)
        die(EXIT_PERM, "empty password", NULL, NULL);
    if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt) == NULL)
        die(EXIT_TEMP, "cannot make a salt", NULL, NULL);
    memset(&cd, 0, sizeof cd);
    h = crypt_rn(pw, salt, &cd, (int)sizeof cd); /* see lib/pwhash.c */
    explicit_bzero(pw, sizeof pw);
    if (h == NULL || h[0] != '$' || strlen(h) >= hashlen) {
        explicit_bzero(&cd, sizeof cd);
        die(EXIT_TEMP, "cannot hash the password", NULL, NULL);
    }
    memcpy(hash, h, strlen(h) + 1);
    explicit_bzero(&cd, sizeof cd);
}

static int
cmd_domain(int argc, char **argv)
{
    char d[256];
    struct table t, u, a;
    size_t i;

    if (argc == 1 && strcmp(argv[0], "list") == 0) {
        load(&t, "domains");
        list(&t);
        return EXIT_OK;
    }
    if (argc != 2)
        usage();
    if (dnsname_canon(d, sizeof d, argv[1], strlen(argv[1])) == -1)
        die(EXIT_PERM, "not a domain name: %s", argv[1], NULL);
    load(&t, "domains");
    if (strcmp(argv[0], "add") == 0) {
        if (table_find(&t, d) != NULL)
            die(EXIT_PROBLEM, "%s is already a local domain", d, NULL);
        refuse_if_in("routes", d, "%s has a route: mail for it goes "
            "elsewhere, so it cannot be local (facteur route del %s first)");
        if (table_set(&t, d, "") == -1)
            die(EXIT_TEMP, "out of memory", NULL, NULL);
    } else if (strcmp(argv[0], "del") == 0) {
        load(&u, "users");
        load(&a, "aliases");
        for (i = 0; i < u.n; i++)
            if (strcmp(domain_of(u.rows[i].key), d) == 0)
                die(EXIT_PROBLEM, "%s still has users (%s): delete them first",
                    d, u.rows[i].key);
        for (i = 0; i < a.n; i++)
            if (strcmp(domain_of(a.rows[i].key), d) == 0)
                die(EXIT_PROBLEM,
                    "%s still has aliases (%s): delete them first", d,
                    a.rows[i].key);
        if (!table_del(&t, d))
            die(EXIT_PROBLEM, "%s is not a local domain", d, NULL);
    } else {
        usage();
    }
    save(&t);
    if (strcmp(argv[0], "add") == 0)
        return cmd_dkim_first(d);
    return EXIT_OK;
}

static int
cmd_user(int argc, char **argv)
{
    char addr[ADDR_MAX + 2], hash[CRYPT_OUTPUT_SIZE];
    char val[CRYPT_OUTPUT_SIZE + 4096];
    struct table t, a;
    struct row *r;

    if (argc == 1 && strcmp(argv[0], "list") == 0) {
        load(&t, "users");
        list(&t);
        return EXIT_OK;
    }
    if (argc >= 1 && strcmp(argv[0], "import") == 0)
        return cmd_user_import(argc - 1, argv + 1);
    if (argc != 2)
        usage();
    canon_addr(argv[1], 0, addr, sizeof addr);
    load(&t, "users");
    r = table_find(&t, addr);
    if (strcmp(argv[0], "add") == 0) {
        need_local_domain(addr);
        if (r != NULL)
            die(EXIT_PROBLEM, "%s is already a user", addr, NULL);
        load(&a, "aliases");
        if (table_find(&a, addr) != NULL)
            die(EXIT_PROBLEM, "%s is an alias: delete it first", addr, NULL);
        hash_password(hash, sizeof hash);
        if (table_set(&t, addr, hash) == -1)
            die(EXIT_TEMP, "out of memory", NULL, NULL);
    } else if (strcmp(argv[0], "passwd") == 0) {
        const char *md;
        if (r == NULL)
            die(EXIT_PROBLEM, "%s is not a user", addr, NULL);
        md = strchr(r->val, ':'); /* keep a mail directory override */
        hash_password(hash, sizeof hash);
        snprintf(val, sizeof val, "%s%s", hash, md ? md : "");
        if (table_set(&t, addr, val) == -1)
            die(EXIT_TEMP, "out of memory", NULL, NULL);
        explicit_bzero(val, sizeof val);
    } else if (strcmp(argv[0], "del") == 0) {
        if (!table_del(&t, addr))
            die(EXIT_PROBLEM, "%s is not a user", addr, NULL);
    } else {
        usage();
    }
    explicit_bzero(hash, sizeof hash);
    save(&t);
    table_free(&t);
    return EXIT_OK;
}

/* The targets of an alias value, canonical, as text0 in list. */
static void
targets_of(const char *val, struct sa *list)
{
    if (table_targets(val, strlen(val), list) == -1)
        die(EXIT_PROBLEM, "malformed alias targets: %s", val, NULL);
}

static int
in_list(const struct sa *list, const char *t)
{
    size_t i = 0;

    while (i < list->len) {
        if (strcmp(list->s + i, t) == 0)
            return 1;
        i += strlen(list->s + i) + 1;
    }
    return 0;
}

/* "a, b, c" from a text0 list. */
static void
join(const struct sa *list, struct sa *out)
{
    size_t i = 0;

    sa_truncate(out, 0);
    while (i < list->len) {
        if ((out->len > 0 && sa_appends(out, ", ") == -1)
            || sa_appends(out, list->s + i) == -1)
            die(EXIT_PROBLEM, "too many targets", NULL, NULL);
        i += strlen(list->s + i) + 1;
    }
}

static int
cmd_alias(int argc, char **argv)
{
    char addr[ADDR_MAX + 2], tgt[ADDR_MAX + 2];
    struct sa old = SA_INIT(TABLE_LINE_MAX), new = SA_INIT(TABLE_LINE_MAX);
    struct sa line = SA_INIT(TABLE_LINE_MAX);
    struct table t, u;
    struct row *r;
    int i, n;

    if (argc == 1 && strcmp(argv[0], "list") == 0) {
        load(&t, "aliases");
        list(&t);
        return EXIT_OK;
    }
    if (argc < 2)
        usage();
    canon_addr(argv[1], 1, addr, sizeof addr);
    load(&t, "aliases");
    r = table_find(&t, addr);
    if (r != NULL)
        targets_of(r->val, &old);
    if (strcmp(argv[0], "add") == 0) {
        if (argc < 3)
            usage();
        need_local_domain(addr);
        load(&u, "users");
        if (table_find(&u, addr) != NULL)
            die(EXIT_PROBLEM, "%s is a user: an alias cannot have its name",
                addr, NULL);
        table_free(&u);
        for (i = 2; i < argc; i++) {
            canon_addr(argv[i], 0, tgt, sizeof tgt);
            if (strcmp(tgt, addr) == 0)
                die(EXIT_PROBLEM, "%s cannot point to itself", addr, NULL);
            if (!in_list(&old, tgt)
                && sa_append(&old, tgt, strlen(tgt) + 1) == -1)
                die(EXIT_PROBLEM, "too many targets for %s", addr, NULL);
        }
        join(&old, &line);
    } else if (strcmp(argv[0], "del") == 0) {
        if (r == NULL)
            die(EXIT_PROBLEM, "%s is not an alias", addr, NULL);
        if (argc > 2) {
            struct sa drop = SA_INIT(TABLE_LINE_MAX);
            size_t k = 0;
            for (i = 2; i < argc; i++) {
                canon_addr(argv[i], 0, tgt, sizeof tgt);
                if (!in_list(&old, tgt))
                    die(EXIT_PROBLEM, "%s is not a target of %s", tgt, addr);
                if (sa_append(&drop, tgt, strlen(tgt) + 1) == -1)
                    die(EXIT_PROBLEM, "too many targets", NULL, NULL);
            }
            for (n = 0; k < old.len; k += strlen(old.s + k) + 1, n++)
                if (!in_list(&drop, old.s + k)
                    && sa_append(&new, old.s + k, strlen(old.s + k) + 1) == -1)
                    die(EXIT_TEMP, "out of memory", NULL, NULL);
            join(&new, &line);
            sa_free(&drop);
        }
    } else {
        usage();
    }
    if (line.len == 0)
        table_del(&t, addr);
    else if (table_set(&t, addr, line.s) == -1)
        die(EXIT_TEMP, "out of memory", NULL, NULL);
    save(&t);
    return EXIT_OK;
}

/* Human age: 3d4h, 2h13m, 5m, 12s. */
static void
age_str(int64_t s, char *out, size_t len)
{
    if (s < 0)
        s = 0;
    if (s >= 86400)
        snprintf(out, len, "%lldd%lldh", (long long)(s / 86400),
            (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(out, len, "%lldh%lldm", (long long)(s / 3600),
            (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(out, len, "%lldm", (long long)(s / 60));
    else
        snprintf(out, len, "%llds", (long long)s);
}

/* facteur queue [flush]: one line a message, or ask queue-run to retry. */
static int
cmd_queue(int argc, char **argv)
{
    char qdir[4096], path[4200], a1[32], a2[32];
    const char *dirs[2] = { "info", "todo" };
    int64_t now = (int64_t)time(NULL);
    int i;

    if (conf_line("queuedir", qdir, sizeof qdir) != 1)
        die(EXIT_TEMP, "no queue configured (%s/queuedir)", conf, NULL);
    if (argc == 1 && strcmp(argv[0], "flush") == 0) {
        int fd;
        snprintf(path, sizeof path, "%s/flush", qdir);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd == -1)
            die(EXIT_TEMP, "cannot ask for a flush: %s", strerror(errno),
                NULL);
        close(fd);
        return EXIT_OK;
    }
    if (argc != 0)
        usage();
    for (i = 0; i < 2; i++) {
        int dfd;
        DIR *d;
        struct dirent *e;
        snprintf(path, sizeof path, "%s/%s", qdir, dirs[i]);
        dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd == -1 || (d = fdopendir(dup(dfd))) == NULL) {
            if (i == 0 && errno == ENOENT)
                continue; /* queue-run has not run yet */
            die(EXIT_TEMP, "cannot read %s", path, NULL);
        }
        while ((e = readdir(d)) != NULL) {
            struct sa raw = SA_INIT(1 << 26), line = SA_INIT(1 << 26);
            struct qinfo q;
            struct envelope env;
            const char *last = "";
            size_t k;
            if (!queue_is_id(e->d_name))
                continue;
            if (queue_read(dfd, e->d_name, &raw) == -1)
                continue;
            if (i == 0) {
                if (qinfo_parse(raw.s ? raw.s : "", raw.len, &q) == -1) {
                    printf("%s corrupt state\n", e->d_name);
                    sa_free(&raw);
                    continue;
                }
            } else {
                if (envelope_parse(raw.s ? raw.s : "", raw.len, &env, NULL)
                    != (long)raw.len) {
                    sa_free(&raw);
                    continue;
                }
                memset(&q, 0, sizeof q);
                {
                    struct stat st;
                    q.created = fstatat(dfd, e->d_name, &st, 0) == 0
                        ? (int64_t)st.st_mtime : now;
                }
                q.next = now;
                snprintf(q.sender, sizeof q.sender, "%s", env.sender.full);
                for (k = 0; k < env.nrcpt; k++)
                    qinfo_add(&q, env.rcpt[k].full);
                envelope_free(&env);
            }
            age_str(now - q.created, a1, sizeof a1);
            age_str(q.next - now, a2, sizeof a2);
            for (k = 0; k < q.n; k++) {
                if (q.r[k].state != R_PENDING)
                    continue;
                if (line.len > 0)
                    sa_appendc(&line, ',');
                sa_appends(&line, q.r[k].addr);
                if (q.r[k].reason[0])
                    last = q.r[k].reason;
            }
            printf("%s age=%s from=<%s> to=%s next=%s%s last=\"%s\"\n",
                e->d_name, a1, q.sender, line.s ? line.s : "-",
                i == 1 ? "new" : q.next <= now ? "now" : "in ",
                i == 1 || q.next <= now ? "" : a2, i == 1 ? "" : last);
            qinfo_free(&q);
            sa_free(&raw);
            sa_free(&line);
        }
        closedir(d);
        close(dfd);
    }
    if (fflush(stdout) == EOF)
        return EXIT_TEMP;
    return EXIT_OK;
}

int
main(int argc, char **argv)
{
    conf = conf_dir();
    /* init makes the directory the lock below lives in. */
    if (argc >= 2 && strcmp(argv[1], "init") == 0)
        return cmd_init(argc - 2, argv + 2);
    if (argc == 2 && strcmp(argv[1], "queue") == 0)
        return cmd_queue(0, argv + 2);
    if (argc >= 3 && strcmp(argv[1], "queue") == 0)
        return cmd_queue(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "dns") == 0)
        return cmd_dns(argc - 2, argv + 2); /* reads only: no lock */
    if (argc >= 2 && strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 2, argv + 2); /* reads only: no lock */
    if (argc < 3)
        usage();
    if (strcmp(argv[2], "list") != 0) {
        char err[600];
        size_t i;
        if (table_lock(conf) == -1)
            die(EXIT_TEMP, "cannot lock %s/.lock: %s", conf, strerror(errno));
        /* The services treat a missing table as a temporary failure, so
         * every table exists, if empty, once the admin has begun. */
        for (i = 0; i < TABLE_COUNT; i++) {
            int r = table_ensure(conf, table_names[i], err, sizeof err);
            if (r < 0)
                die(r == -1 ? EXIT_PROBLEM : EXIT_TEMP, "%s", err, NULL);
            if (r == 2)
                fprintf(stderr, "facteur: compiled %s/%s.cdb from %s, "
                    "edited by hand\n", conf, table_names[i], table_names[i]);
        }
    }
    if (strcmp(argv[1], "domain") == 0)
        return cmd_domain(argc - 2, argv + 2);
    if (strcmp(argv[1], "user") == 0)
        return cmd_user(argc - 2, argv + 2);
    if (strcmp(argv[1], "alias") == 0)
        return cmd_alias(argc - 2, argv + 2);
    if (strcmp(argv[1], "route") == 0)
        return cmd_route(argc - 2, argv + 2);
    if (strcmp(argv[1], "dkim") == 0)
        return cmd_dkim(argc - 2, argv + 2);
    usage();
}
