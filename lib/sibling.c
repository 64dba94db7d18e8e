/* sibling.c - the directory of this executable (see sibling.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sibling.h"

int
sibling_path(const char *argv0, const char *name, char *out, size_t outlen)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    char *slash;
    int r;

    if (n > 0) {
        self[n] = 0;
    } else {
        if (argv0 == NULL || strchr(argv0, '/') == NULL
            || strlen(argv0) >= sizeof self) {
            errno = ENOENT;
            return -1;
        }
        memcpy(self, argv0, strlen(argv0) + 1);
    }
    slash = strrchr(self, '/');
    *slash = 0;
    r = snprintf(out, outlen, "%s/%s", self[0] ? self : "", name);
    if (r < 0 || (size_t)r >= outlen) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}
