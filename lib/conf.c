/* conf.c - configuration directory and one-line files (see conf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

const char *
conf_dir(void)
{
    const char *c = getenv("FACTEUR_CONF");

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
