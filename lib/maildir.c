/* maildir.c - where a mailbox lives, and making it (see maildir.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "maildir.h"

/* One safe path component for a local part. */
static int
component(const char *s, size_t n, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o + 4 > outlen)
            return -1;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '_'
            || (c == '.' && o > 0)) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = 0;
    return 0;
}

int
maildir_path(const char *user, const char *override, char *out,
    size_t outlen)
{
    char root[MAILDIR_PATH_MAX], comp[3 * 256 + 1];
    const char *at = strrchr(user, '@');
    int n;

    if (override != NULL && override[0] == '/') {
        n = snprintf(out, outlen, "%s", override);
    } else {
        if (at == NULL || at - user > 255) {
            errno = EINVAL;
            return -1;
        }
        if (conf_line("mailroot", root, sizeof root) != 1
            || root[0] != '/') {
            errno = EINVAL;
            return -1;
        }
        if (component(user, (size_t)(at - user), comp, sizeof comp) == -1) {
            errno = ENAMETOOLONG;
            return -1;
        }
        n = snprintf(out, outlen, "%s/%s/%s", root, at + 1, comp);
    }
    if (n < 0 || (size_t)n >= outlen) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* mkdir -p, mode 0700 for what it creates.  The whole path first: a
 * delivery to a Maildir that exists costs one mkdir per subdirectory,
 * not one per component of its path. */
static int
mkdir_p(const char *path)
{
    char p[MAILDIR_PATH_MAX];
    size_t i, n = strlen(path);

    if (n >= sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -1;
    memcpy(p, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == 0) {
            char c = p[i];
            p[i] = 0;
            if (mkdir(p, 0700) == -1 && errno != EEXIST)
                return -1;
            p[i] = c;
        }
    }
    return 0;
}

int
maildir_make(const char *dir)
{
    static const char *const sub[3] = { "tmp", "new", "cur" };
    char p[MAILDIR_PATH_MAX];
    int i, n;

    for (i = 0; i < 3; i++) {
        n = snprintf(p, sizeof p, "%s/%s", dir, sub[i]);
        if (n < 0 || (size_t)n >= sizeof p) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (mkdir_p(p) == -1)
            return -1;
    }
    return 0;
}
