/* dkim_io.h - what bench/dkim's two drivers share: dying with a message
 * (exit 111), reading a file whole (at most FILE_MAX bytes), writing
 * one, the monotonic clock.  Define BENCH_PROG (the driver's name, for
 * the messages) before including it. */
#ifndef BENCH_DKIM_IO_H
#define BENCH_DKIM_IO_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILE_MAX (64L * 1024 * 1024)

static void
die(const char *what)
{
    fprintf(stderr, BENCH_PROG ": %s\n", what);
    exit(111);
}

static void
die_sys(const char *what, const char *arg)
{
    fprintf(stderr, BENCH_PROG ": %s %s: %s\n", what, arg, strerror(errno));
    exit(111);
}

static char *
readfile(const char *path, size_t *len)
{
    struct stat st;
    char *p;
    size_t got = 0;
    ssize_t r;
    int fd = open(path, O_RDONLY);

    if (fd == -1 || fstat(fd, &st) == -1)
        die_sys("unable to open", path);
    if (st.st_size > FILE_MAX)
        die("file too large");
    p = malloc((size_t)st.st_size + 1);
    if (p == NULL)
        die("out of memory");
    while (got < (size_t)st.st_size) {
        r = read(fd, p + got, (size_t)st.st_size - got);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            die_sys("unable to read", path);
        got += (size_t)r;
    }
    close(fd);
    p[got] = 0;
    *len = got;
    return p;
}

static void
writefile(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        die_sys("unable to write", path);
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
