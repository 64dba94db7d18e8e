/* admin.c - reporting and table helpers shared by the admin command's
 * parts (see admin.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "exitcode.h"

const char *conf;

_Noreturn void
die(int code, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "facteur: ");
    fprintf(stderr, fmt, a ? a : "", b ? b : "");
    fputc('\n', stderr);
    exit(code);
}

void
load(struct table *t, const char *name)
{
    char err[600];

    t->name = name;
    if (table_load(t, conf, err, sizeof err) == -1)
        die(errno == ENOENT || errno == EACCES ? EXIT_TEMP : EXIT_PROBLEM,
            "%s", err, NULL);
}

void
refuse_if_in(const char *name, const char *key, const char *msg)
{
    struct table t;

    load(&t, name);
    if (table_find(&t, key) != NULL)
        die(EXIT_PROBLEM, msg, key, key);
    table_free(&t);
}

void
save(const struct table *t)
{
    char path[4096];

    if (table_save(t, conf) == -1) {
        snprintf(path, sizeof path, "%s/%s", conf, t->name);
        die(EXIT_TEMP, "cannot write %s: %s", path, strerror(errno));
    }
}
