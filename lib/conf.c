/* conf.c - configuration directory and one-line files (see conf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "conf.h"
#include "dnsname.h"
#include "limits.h"
#include "log.h"

const char *
conf_dir(void)
{
    /* Run setuid or setgid (queue-inject as qmail-queue is), a program
     * must not let its caller choose the configuration, and so the
     * queue it writes as the queue's owner: the environment is not
     * read then (AT_SECURE, what secure_getenv looks at). */
    const char *c = getauxval(AT_SECURE) ? NULL : getenv("FACTEUR_CONF");

    return c != NULL && c[0] != 0 ? c : CONF_DEFAULT;
}

int
conf_line(const char *name, char *out, size_t len)
{
    char path[4096];
    FILE *f;
    size_t n;
    int r;

    r = snprintf(path, sizeof path, "%s/%s", conf_dir(), name);
    if (r < 0 || (size_t)r >= sizeof path || len < 2) {
        errno = ENAMETOOLONG;
        return -1;
    }
    f = fopen(path, "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : -1;
    if (fgets(out, (int)len, f) == NULL) {
        fclose(f);
        errno = EINVAL;
        return -1;
    }
    fclose(f);
    n = strcspn(out, "\r\n");
    if (out[n] == 0 && n == len - 1) {
        errno = ERANGE; /* no line end within len: cut */
        return -1;
    }
    out[n] = 0;
    return 1;
}

/* One pass over a list file: check (fn NULL) or call fn.  Items as
 * conf_list says; a NUL byte is damage too (it would hide the rest of
 * its line from a string comparison). */
static int
list_pass(FILE *f, int (*fn)(const char *, void *), void *arg)
{
    char line[CONF_LIST_LINE_MAX + 1];
    size_t lines = 0, n = 0, b;
    int c, r;

    for (;;) {
        c = getc(f);
        if (c != '\n' && c != EOF) {
            if (c == 0 || n == CONF_LIST_LINE_MAX) {
                errno = EINVAL;
                return -1;
            }
            line[n++] = (char)c;
            continue;
        }
        if (c == EOF && ferror(f))
            return -1;
        if (c == EOF && n == 0)
            return 0;
        if (++lines > CONF_LIST_MAX) {
            errno = EINVAL;
            return -1;
        }
        while (n > 0 && strchr(" \t\r", line[n - 1]) != NULL)
            n--;
        line[n] = 0;
        for (b = 0; line[b] == ' ' || line[b] == '\t'; b++)
            ;
        if (fn != NULL && line[b] != 0 && line[b] != '#'
            && (r = fn(line + b, arg)) != 0)
            return r;
        if (c == EOF)
            return 0;
        n = 0;
    }
}

int
conf_list(const char *name, int (*fn)(const char *item, void *arg),
    void *arg)
{
    char path[4096];
    FILE *f;
    int r;

    r = snprintf(path, sizeof path, "%s/%s", conf_dir(), name);
    if (r < 0 || (size_t)r >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    f = fopen(path, "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : -1;
    r = list_pass(f, NULL, NULL);
    if (r == 0) {
        rewind(f);
        r = list_pass(f, fn, arg);
    }
    fclose(f);
    return r;
}

void
conf_statedir(char *out, size_t len)
{
    if (conf_line("statedir", out, len) != 1)
        snprintf(out, len, "%s", CONF_STATEDIR_DEFAULT);
}

int
conf_hostname(char *out, size_t len)
{
    char raw[DNSNAME_MAX + 2];
    int r = conf_line("hostname", raw, sizeof raw);

    if (r == -1)
        return -1;
    if (r == 0) {
        if (gethostname(raw, sizeof raw) == -1)
            return -1;
        raw[sizeof raw - 1] = 0;
    }
    if (dnsname_canon(out, len, raw, strlen(raw)) == -1) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int
conf_sizelimit(uint64_t *limit)
{
    char line[64], *end;
    unsigned long long v;
    int r = conf_line("sizelimit", line, sizeof line);

    if (r == -1)
        return -1;
    if (r == 0) {
        *limit = CONF_SIZELIMIT_DEFAULT;
        return 0;
    }
    errno = 0;
    v = strtoull(line, &end, 10);
    if (errno || end == line || *end != 0 || v == 0 || line[0] == '-') {
        errno = EINVAL;
        return -1;
    }
    *limit = v;
    return 0;
}

long
conf_env_num(const char *name, long def, long min, long max)
{
    const char *v = getenv(name);
    char *end;
    long n;

    if (v == NULL)
        return def;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || end == v || *end != 0 || n < min || n > max) {
        log_warn("ignoring %s=%s (%ld to %ld)", name, v, min, max);
        return def;
    }
    return n;
}
