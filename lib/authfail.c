/* authfail.c - failed logins per client (see authfail.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "authfail.h"

/* The file name for ip: the address, or its /64 for IPv6. */
static int
key(const char *ip, char *out, size_t len)
{
    unsigned char a[16];
    char txt[INET6_ADDRSTRLEN];

    if (inet_pton(AF_INET, ip, a) == 1)
        return snprintf(out, len, "%s", ip) < (int)len ? 0 : -1;
    if (inet_pton(AF_INET6, ip, a) != 1) {
        errno = EINVAL;
        return -1;
    }
    memset(a + 8, 0, 8);
    if (inet_ntop(AF_INET6, a, txt, sizeof txt) == NULL)
        return -1;
    return snprintf(out, len, "%s_64", txt) < (int)len ? 0 : -1;
}

/* Open and lock the file of ip; read its state.  The fd, or -1. */
static int
open_state(const char *dir, const char *ip, unsigned long *count,
    int64_t *first)
{
    char path[4096], k[64], buf[64];
    ssize_t r;
    int fd;

    if (key(ip, k, sizeof k) == -1)
        return -1;
    if (mkdir(dir, 0700) == -1 && errno != EEXIST)
        return -1;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, k) >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd == -1)
        return -1;
    if (flock(fd, LOCK_EX) == -1) {
        close(fd);
        return -1;
    }
    *count = 0;
    *first = 0;
    r = read(fd, buf, sizeof buf - 1);
    if (r > 0) {
        long long f;
        buf[r] = 0;
        if (sscanf(buf, "%lu %lld", count, &f) == 2)
            *first = f;
        else
            *count = 0;
    }
    return fd;
}

int
authfail_blocked(const char *dir, const char *ip, unsigned max,
    int64_t window)
{
    unsigned long count;
    int64_t first;
    int fd = open_state(dir, ip, &count, &first);

    if (fd == -1)
        return -1;
    close(fd);
    if ((int64_t)time(NULL) >= first + window)
        return 0;
    return count >= max;
}

int
authfail_record(const char *dir, const char *ip, int64_t window)
{
    unsigned long count;
    int64_t first, now = (int64_t)time(NULL);
    char buf[64];
    int fd = open_state(dir, ip, &count, &first), n;

    if (fd == -1)
        return -1;
    if (now >= first + window) {
        count = 0;
        first = now;
    }
    count++;
    n = snprintf(buf, sizeof buf, "%lu %lld\n", count, (long long)first);
    if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n) {
        close(fd);
        return -1;
    }
    return close(fd);
}
