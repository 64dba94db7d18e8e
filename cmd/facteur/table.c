/* table.c - text tables and their cdb forms (see table.h). */
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "dnsname.h"
#include "route.h"
#include "sa.h"
#include "table.h"

const char *const table_names[TABLE_COUNT] = { "domains", "users", "aliases",
    "routes" };

/* users holds password hashes, routes smarthost passwords. */
static int
is_secret(const struct table *t)
{
    return strcmp(t->name, "users") == 0 || strcmp(t->name, "routes") == 0;
}

int
table_lock(const char *conf)
{
    char path[4096];
    struct flock fl;
    int fd;

    snprintf(path, sizeof path, "%s/.lock", conf);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd == -1)
        return -1;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    while (fcntl(fd, F_SETLKW, &fl) == -1)
        if (errno != EINTR)
            return -1;
    return 0; /* held until the process exits */
}

static char *
dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

static int
add_row(struct table *t, const char *k, size_t kl, const char *v, size_t vl)
{
    struct row *r;

    if (t->n >= TABLE_LINES_MAX) {
        errno = E2BIG;
        return -1;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        r = realloc(t->rows, cap * sizeof *r);
        if (r == NULL)
            return -1;
        t->rows = r;
        t->cap = cap;
    }
    t->rows[t->n].key = dupn(k, kl);
    t->rows[t->n].val = dupn(v, vl);
    if (t->rows[t->n].key == NULL || t->rows[t->n].val == NULL)
        return -1;
    t->n++;
    return 0;
}

int
table_targets(const char *val, size_t n, struct sa *list)
{
    const char *p = val, *end = val + n;
    struct addr a;
    int count = 0;

    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > p) {
            if (addr_parse(p, (size_t)(e - p), 0, &a) == -1)
                return -1;
            if (sa_append(list, a.full, strlen(a.full) + 1) == -1)
                return -1;
            count++;
        }
        p = c ? c + 1 : end;
    }
    return count;
}

/* A line of routes: "domain: route" (lib/route.h).  The value starts
 * after the blanks that follow the ':'. */
static const char *
check_route(const char *line, size_t len, char *key, size_t keylen,
    size_t *vstart)
{
    const char *sep = memchr(line, ':', len), *why;
    struct route r;
    size_t v;

    if (sep == NULL)
        return "no ':' after the domain";
    if (route_key(key, keylen, line, (size_t)(sep - line)) == -1)
        return "not a domain name or *";
    for (v = (size_t)(sep - line) + 1; v < len && (line[v] == ' '
                                                     || line[v] == '\t');
         v++)
        ;
    *vstart = v;
    if (route_parse_text(&r, line + v, len - v, &why) == -1)
        return why;
    route_wipe(&r);
    return NULL;
}

/* Check one line of table t; on success the canonical key in key. */
static const char *
check_line(const struct table *t, const char *line, size_t len, char *key,
    size_t keylen, size_t *vstart)
{
    const char *sep;
    struct addr a;
    size_t kl;

    if (strcmp(t->name, "domains") == 0) {
        if (dnsname_canon(key, keylen, line, len) == -1)
            return "not a domain name";
        *vstart = len;
        return NULL;
    }
    if (strcmp(t->name, "routes") == 0)
        return check_route(line, len, key, keylen, vstart);
    sep = memchr(line, ':', len);
    if (sep == NULL)
        return "no ':' after the address";
    kl = (size_t)(sep - line);
    *vstart = kl + 1;
    if (strcmp(t->name, "aliases") == 0 && kl > 1 && line[0] == '@') {
        /* catch-all: @domain */
        key[0] = '@';
        if (dnsname_canon(key + 1, keylen - 1, line + 1, kl - 1) == -1)
            return "not a domain after '@'";
    } else {
        if (addr_parse(line, kl, 0, &a) == -1)
            return "not an address";
        snprintf(key, keylen, "%s", a.full);
    }
    if (strcmp(t->name, "users") == 0) {
        const char *h = sep + 1, *end = line + len;
        const char *c2 = memchr(h, ':', (size_t)(end - h));
        if ((c2 ? c2 : end) == h)
            return "no password hash";
        if (c2 != NULL && (c2 + 1 == end || c2[1] != '/'))
            return "the mail directory must be an absolute path";
    } else {
        /* aliases: comma-separated addresses */
        struct sa list = SA_INIT(TABLE_LINE_MAX * 2);
        int count = table_targets(sep + 1, (size_t)(line + len - sep - 1),
            &list);
        sa_free(&list);
        if (count == -1)
            return "a target is not an address";
        if (count == 0)
            return "no target";
    }
    return NULL;
}

int
table_load(struct table *t, const char *conf, char *err, size_t errlen)
{
    char path[4096], line[TABLE_LINE_MAX + 2], key[ADDR_MAX + 2];
    unsigned long lineno = 0;
    const char *why;
    size_t len, vstart;
    FILE *f;
    int e = EINVAL; /* a malformed line, unless a system call failed */

    t->rows = NULL;
    t->n = t->cap = 0;
    snprintf(path, sizeof path, "%s/%s", conf, t->name);
    f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        len = strlen(line);
        if (len > 0 && line[len - 1] != '\n' && !feof(f)) {
            snprintf(err, errlen, "%s:%lu: line longer than %d bytes", path,
                lineno, TABLE_LINE_MAX);
            goto fail;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'
                              || line[len - 1] == ' '))
            line[--len] = 0;
        if (len == 0 || line[0] == '#')
            continue;
        why = check_line(t, line, len, key, sizeof key, &vstart);
        if (why != NULL) {
            snprintf(err, errlen, "%s:%lu: %s", path, lineno, why);
            goto fail;
        }
        if (table_find(t, key) != NULL) {
            snprintf(err, errlen, "%s:%lu: %s appears twice", path, lineno,
                key);
            goto fail;
        }
        if (add_row(t, key, strlen(key), line + vstart, len - vstart)
            == -1) {
            e = errno;
            snprintf(err, errlen, "%s: %s", path, strerror(e));
            goto fail;
        }
    }
    if (ferror(f)) {
        e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        goto fail;
    }
    fclose(f);
    explicit_bzero(line, sizeof line); /* users and routes hold secrets */
    return 0;
fail:
    fclose(f);
    explicit_bzero(line, sizeof line);
    table_free(t);
    errno = e;
    return -1;
}

struct row *
table_find(struct table *t, const char *key)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].key, key) == 0)
            return &t->rows[i];
    return NULL;
}

int
table_set(struct table *t, const char *key, const char *val)
{
    struct row *r = table_find(t, key);
    char *v;

    if (r == NULL)
        return add_row(t, key, strlen(key), val, strlen(val));
    v = dupn(val, strlen(val));
    if (v == NULL)
        return -1;
    explicit_bzero(r->val, strlen(r->val));
    free(r->val);
    r->val = v;
    return 0;
}

int
table_del(struct table *t, const char *key)
{
    struct row *r = table_find(t, key);

    if (r == NULL)
        return 0;
    explicit_bzero(r->val, strlen(r->val));
    free(r->key);
    free(r->val);
    memmove(r, r + 1, (size_t)(t->rows + t->n - (r + 1)) * sizeof *r);
    t->n--;
    return 1;
}

int
table_commit(const char *conf, const char *tmp, const char *path, int fd)
{
    int d, e;

    if (fsync(fd) == -1) {
        e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    if (close(fd) == -1) {
        e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    if (rename(tmp, path) == -1) {
        e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    d = open(conf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d == -1 || fsync(d) == -1) {
        e = errno;
        if (d != -1)
            close(d);
        errno = e;
        return -1;
    }
    return close(d);
}

/* The cdb value of a row: users "hash\0maildir", aliases "t1\0t2\0",
 * routes lib/route.h's value. */
static int
cdb_value(const struct table *t, const struct row *r, struct sa *v)
{
    const char *p = r->val, *end = p + strlen(p);

    sa_truncate(v, 0);
    if (strcmp(t->name, "routes") == 0) {
        struct route rt;
        const char *why;
        int rc;
        if (route_parse_text(&rt, p, (size_t)(end - p), &why) == -1)
            return -1;
        rc = route_format_value(&rt, v);
        route_wipe(&rt);
        return rc;
    }
    if (strcmp(t->name, "users") == 0) {
        const char *c = strchr(p, ':');
        if (c == NULL)
            return sa_append(v, p, strlen(p) + 1);
        if (sa_append(v, p, (size_t)(c - p)) == -1 || sa_appendc(v, 0) == -1)
            return -1;
        return sa_appends(v, c + 1);
    }
    if (strcmp(t->name, "aliases") == 0
        && table_targets(p, (size_t)(end - p), v) == -1)
        return -1;
    return 0;
}

/* Compile t into <conf>/<name>.cdb (mode), atomically.  mailboxes: the
 * value is a user's Maildir override (or ""), not the table's value. */
static int
write_cdb(const struct table *t, const char *conf, const char *name,
    int mode, int mailboxes)
{
    char tmp[4096], path[4096];
    struct sa v = SA_INIT(TABLE_LINE_MAX * 2);
    struct cdb_make cm;
    size_t i;
    int fd;

    snprintf(tmp, sizeof tmp, "%s/.%s.cdb.tmp.%ld", conf, name,
        (long)getpid());
    snprintf(path, sizeof path, "%s/%s.cdb", conf, name);
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd == -1)
        return -1;
    if (cdb_make_start(&cm, fd) == -1)
        goto cdbfail;
    for (i = 0; i < t->n; i++) {
        if (mailboxes) {
            const char *md = strchr(t->rows[i].val, ':');
            sa_truncate(&v, 0);
            if (md != NULL && sa_appends(&v, md + 1) == -1)
                goto cdbfail;
        } else if (cdb_value(t, &t->rows[i], &v) == -1) {
            goto cdbfail;
        }
        if (cdb_make_add(&cm, t->rows[i].key, (unsigned)strlen(t->rows[i].key),
                v.s ? v.s : "", (unsigned)v.len)
            == -1)
            goto cdbfail;
    }
    if (cdb_make_finish(&cm) == -1)
        goto cdbfail;
    sa_wipe(&v);
    return table_commit(conf, tmp, path, fd);
cdbfail:
    sa_wipe(&v);
    close(fd);
    unlink(tmp);
    return -1;
}

int
table_save(const struct table *t, const char *conf)
{
    char tmp[4096], path[4096];
    FILE *f;
    size_t i;
    int fd, secret;

    /* The text file. */
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", conf, t->name, (long)getpid());
    snprintf(path, sizeof path, "%s/%s", conf, t->name);
    secret = is_secret(t); /* its files are not for everyone */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
        secret ? 0600 : 0644);
    if (fd == -1)
        return -1;
    f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    for (i = 0; i < t->n; i++) {
        if (strcmp(t->name, "domains") == 0)
            fprintf(f, "%s\n", t->rows[i].key);
        else if (strcmp(t->name, "routes") == 0)
            fprintf(f, "%s: %s\n", t->rows[i].key, t->rows[i].val);
        else
            fprintf(f, "%s:%s\n", t->rows[i].key, t->rows[i].val);
    }
    if (fflush(f) == EOF || ferror(f)) {
        fclose(f);
        unlink(tmp);
        return -1;
    }
    fd = dup(fileno(f));
    fclose(f);
    if (fd == -1 || table_commit(conf, tmp, path, fd) == -1)
        return -1;
    return table_compile(t, conf);
}

int
table_compile(const struct table *t, const char *conf)
{
    int secret = is_secret(t);

    if (write_cdb(t, conf, t->name, secret ? 0640 : 0644, 0) == -1)
        return -1;
    /* users also gives mailboxes.cdb: who has a mailbox, and where, for
     * the programs that must never read a password hash (smtpd,
     * local-deliver: lib/rcpt.h). */
    if (strcmp(t->name, "users") == 0)
        return write_cdb(t, conf, "mailboxes", 0644, 1);
    return 0;
}

/* Is the file at path a newer than the one at b (or b missing)? */
static int
newer(const char *a, const char *b)
{
    struct stat sa, sb;

    if (stat(a, &sa) == -1)
        return 0;
    if (stat(b, &sb) == -1)
        return 1;
    return sa.st_mtim.tv_sec > sb.st_mtim.tv_sec
        || (sa.st_mtim.tv_sec == sb.st_mtim.tv_sec
            && sa.st_mtim.tv_nsec > sb.st_mtim.tv_nsec);
}

int
table_stale(const char *conf, const char *name)
{
    char text[4096], path[4096];

    snprintf(text, sizeof text, "%s/%s", conf, name);
    snprintf(path, sizeof path, "%s/%s.cdb", conf, name);
    if (newer(text, path))
        return 1;
    snprintf(path, sizeof path, "%s/mailboxes.cdb", conf);
    return strcmp(name, "users") == 0 && newer(text, path);
}

int
table_ensure(const char *conf, const char *name, char *err, size_t errlen)
{
    char path[4096];
    struct table t;
    int e, stale = 0;

    snprintf(path, sizeof path, "%s/%s.cdb", conf, name);
    if (access(path, F_OK) == 0) {
        /* users.cdb from before mailboxes.cdb existed: make that too. */
        snprintf(path, sizeof path, "%s/mailboxes.cdb", conf);
        if (strcmp(name, "users") != 0 || access(path, F_OK) == 0) {
            /* The text edited by hand since: compile it (the text
             * stays as the admin wrote it, comments included). */
            if (!table_stale(conf, name))
                return 0;
            stale = 1;
        }
    }
    t.name = name;
    if (table_load(&t, conf, err, errlen) == -1)
        return errno == ENOENT || errno == EACCES ? -2 : -1;
    if (stale ? table_compile(&t, conf) == -1 : table_save(&t, conf) == -1) {
        e = errno;
        snprintf(err, errlen, "cannot write %s/%s: %s", conf, name,
            strerror(e));
        table_free(&t);
        return -2;
    }
    table_free(&t);
    return stale ? 2 : 1;
}

void
table_free(struct table *t)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        explicit_bzero(t->rows[i].val, strlen(t->rows[i].val));
        free(t->rows[i].key);
        free(t->rows[i].val);
    }
    free(t->rows);
    t->rows = NULL;
    t->n = t->cap = 0;
}
