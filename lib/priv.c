/* priv.c - setgroups, setgid, chroot, setuid, verified (see priv.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "conf.h"
#include "priv.h"

static int
parse_id(const char *s, const char *end, unsigned long *v)
{
    unsigned long n = 0;

    if (s == end)
        return -1;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9' || n > 0xfffffffful / 10)
            return -1;
        n = n * 10 + (unsigned long)(*s - '0');
    }
    if (n >= 0xffffffffu) /* (uid_t)-1 means "no change" to setresuid */
        return -1;
    *v = n;
    return 0;
}

int
priv_parse(const char *spec, uid_t *uid, gid_t *gid)
{
    const char *colon = strchr(spec, ':');
    unsigned long u, g;
    struct passwd *pw;

    if (colon != NULL) {
        if (parse_id(spec, colon, &u) == -1
            || parse_id(colon + 1, colon + strlen(colon), &g) == -1) {
            errno = EINVAL;
            return -1;
        }
        *uid = (uid_t)u;
        *gid = (gid_t)g;
    } else {
        errno = 0;
        pw = getpwnam(spec);
        if (pw == NULL) {
            if (errno == 0)
                errno = ENOENT;
            return -1;
        }
        *uid = pw->pw_uid;
        *gid = pw->pw_gid;
    }
    if (*uid == 0 || *gid == 0) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

int
priv_drop(uid_t uid, gid_t gid, const char *jail)
{
    if (uid == 0 || gid == 0) {
        errno = EPERM;
        return -1;
    }
    if (setgroups(1, &gid) == -1 || setgid(gid) == -1)
        return -1;
    if (jail != NULL && (chroot(jail) == -1 || chdir("/") == -1))
        return -1;
    if (setuid(uid) == -1)
        return -1;
    if (getuid() != uid || geteuid() != uid || getgid() != gid
        || getegid() != gid) {
        errno = EPERM;
        return -1;
    }
    if (setuid(0) == 0 || setgid(0) == 0) { /* must be impossible now */
        errno = EPERM;
        return -1;
    }
    return 0;
}

int
priv_resolve(const char *confname, const char *defuser, uid_t *uid,
    gid_t *gid)
{
    char spec[256];
    int r;

    if (geteuid() != 0)
        return 0;
    r = conf_line(confname, spec, sizeof spec);
    if (r == -1)
        return -1;
    if (r == 0) {
        if (priv_parse(defuser, uid, gid) == -1)
            return errno == ENOENT ? 0 : -1;
        return 1;
    }
    return priv_parse(spec, uid, gid) == -1 ? -1 : 1;
}

int
priv_become(const char *confname, const char *defuser)
{
    uid_t uid;
    gid_t gid;
    int r = priv_resolve(confname, defuser, &uid, &gid);

    if (r <= 0)
        return r;
    return priv_drop(uid, gid, NULL) == -1 ? -1 : 1;
}

int
priv_drop_user(const char *spec)
{
    uid_t uid;
    gid_t gid;

    if (geteuid() != 0)
        return 0;
    if (priv_parse(spec, &uid, &gid) == -1)
        return -1;
    return priv_drop(uid, gid, NULL);
}

int
priv_limits(void)
{
    struct rlimit r = { 0, 0 };

    /* Not RLIMIT_FSIZE: stderr may be a file, and SIGXFSZ would kill the
     * process at its first log line.  The chroot already stops opens. */
    if (setrlimit(RLIMIT_CORE, &r) == -1 || setrlimit(RLIMIT_NPROC, &r) == -1)
        return -1;
    return 0;
}
