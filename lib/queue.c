/* queue.c - queue directory and durable commit (see queue.h). */
#define _GNU_SOURCE /* O_TMPFILE (Linux) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "queue.h"

static int
open_dir(int at, const char *name)
{
    return openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int
queue_open(struct queue *q, const char *path)
{
    int e;

    q->tmp = q->mess = q->todo = q->pool = -1;
    q->dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (q->dir == -1)
        return -1;
    q->tmp = open_dir(q->dir, "tmp");
    q->mess = open_dir(q->dir, "mess");
    q->todo = open_dir(q->dir, "todo");
    if (q->tmp == -1 || q->mess == -1 || q->todo == -1) {
        e = errno;
        queue_close(q);
        errno = e;
        return -1;
    }
    q->pool = open_dir(q->dir, "pool"); /* optional */
    return 0;
}

void
queue_close(struct queue *q)
{
    if (q->dir != -1)
        close(q->dir);
    if (q->tmp != -1)
        close(q->tmp);
    if (q->mess != -1)
        close(q->mess);
    if (q->todo != -1)
        close(q->todo);
    if (q->pool != -1)
        close(q->pool);
    q->dir = q->tmp = q->mess = q->todo = q->pool = -1;
}

static void
make_id(char *id)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[4];
    uint32_t t = (uint32_t)time(NULL);
    int i;

    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        uint32_t x = (uint32_t)getpid() ^ (uint32_t)clock();
        memcpy(r, &x, 4);
    }
    for (i = 0; i < 8; i++)
        id[i] = hex[t >> (28 - 4 * i) & 15];
    for (i = 0; i < 4; i++) {
        id[8 + 2 * i] = hex[r[i] >> 4];
        id[9 + 2 * i] = hex[r[i] & 15];
    }
    id[QUEUE_ID_LEN] = 0;
}

/*
 * A spent file from pool/ as tmp/name, emptied: -1 when there is none.
 * The rename is the claim (another injector's fails with ENOENT, and
 * sets the file's ctime, which queue-run's sweep of tmp/ goes by); a
 * file that is not a plain one of ours with one link is not used.
 */
static int
from_pool(struct queue *q, const char *name)
{
    struct dirent *e;
    struct stat st;
    DIR *d;
    int fd, tries = 0;

    if (q->pool == -1 || (fd = dup(q->pool)) == -1)
        return -1;
    if ((d = fdopendir(fd)) == NULL) {
        close(fd);
        return -1;
    }
    rewinddir(d);
    fd = -1;
    while (fd == -1 && tries < 8 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        tries++;
        if (renameat(q->pool, e->d_name, q->tmp, name) == -1)
            continue; /* taken by another */
        fd = openat(q->tmp, name,
            O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)
                            || st.st_nlink != 1 || st.st_uid != geteuid())) {
            close(fd);
            fd = -1;
        }
        if (fd == -1)
            (void)unlinkat(q->tmp, name, 0);
    }
    closedir(d);
    if (fd != -1)
        (void)fcntl(fd, F_SETFL, 0); /* O_NONBLOCK was for the open */
    return fd;
}

/*
 * A new file for tmp/name: a spent one from pool/ when there is one;
 * else an unnamed one (O_TMPFILE) where the kernel and the file system
 * have them and /proc/self/fd can name it later, so that no name is made
 * in tmp/ and removed again and a crash leaves nothing there; else
 * tmp/name itself.  name is set to "" for the unnamed one.
 */
static int
new_file(struct queue *q, char *name)
{
    static int notmp; /* O_TMPFILE failed once: do not try again */
    int fd = from_pool(q, name);

    if (fd != -1)
        return fd;
    if (!notmp && access("/proc/self/fd", X_OK) == 0) {
        fd = openat(q->tmp, ".", O_WRONLY | O_TMPFILE | O_CLOEXEC, 0600);
        if (fd != -1) {
            name[0] = 0;
            return fd;
        }
        notmp = 1;
    }
    return openat(q->tmp, name,
        O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
}

int
queue_begin(struct queue *q, struct queue_msg *m)
{
    int tries;

    for (tries = 0; tries < 10; tries++) {
        make_id(m->id);
        snprintf(m->tmpname, sizeof m->tmpname, "%s.m", m->id);
        /* The id must be free in mess/ too: link() there would fail. */
        if (faccessat(q->mess, m->id, F_OK, 0) == 0)
            continue;
        m->fd = new_file(q, m->tmpname);
        if (m->fd != -1)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/* Put the file fd (tmp/<from>, or unnamed when from is "") in place as
 * <dir>/<id> and make the directory entry durable; the tmp name goes
 * away. */
static int
place(struct queue *q, int fd, const char *from, int dir, const char *id)
{
    char self[64];

    if (from[0] == 0) {
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        if (linkat(AT_FDCWD, self, dir, id, AT_SYMLINK_FOLLOW) == -1)
            return -1;
        return fsync(dir);
    }
    if (linkat(q->tmp, from, dir, id, 0) == -1)
        return -1;
    (void)unlinkat(q->tmp, from, 0);
    return fsync(dir);
}

int
queue_commit(struct queue *q, struct queue_msg *m, const char *env,
    size_t envlen)
{
    char ename[QUEUE_ID_LEN + 3];
    int fd = -1, e;

    snprintf(ename, sizeof ename, "%s.e", m->id);
    if (fsync(m->fd) == -1
        || place(q, m->fd, m->tmpname, q->mess, m->id) == -1)
        goto fail;
    if (close(m->fd) == -1) {
        m->fd = -1;
        goto fail;
    }
    m->fd = -1;
    fd = new_file(q, ename);
    if (fd == -1 || fd_write_all(fd, env, envlen, -1) == -1
        || fsync(fd) == -1 || place(q, fd, ename, q->todo, m->id) == -1)
        goto fail;
    if (close(fd) == -1) {
        fd = -1;
        goto fail;
    }
    return 0;
fail:
    e = errno;
    if (fd != -1)
        close(fd);
    (void)unlinkat(q->tmp, ename, 0);
    /* Without its envelope the message is nobody's: remove it now rather
     * than leave it for the orphan sweep. */
    (void)unlinkat(q->todo, m->id, 0);
    (void)unlinkat(q->mess, m->id, 0);
    queue_abort(q, m);
    errno = e;
    return -1;
}

void
queue_abort(struct queue *q, struct queue_msg *m)
{
    if (m->fd != -1) {
        close(m->fd);
        m->fd = -1;
    }
    if (m->tmpname[0] != 0)
        (void)unlinkat(q->tmp, m->tmpname, 0);
}

int
queue_read(int dirfd, const char *name, struct sa *out)
{
    char b[8192];
    ssize_t r;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), e;

    if (fd == -1)
        return -1;
    while ((r = read(fd, b, sizeof b)) != 0) {
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1 || sa_append(out, b, (size_t)r) == -1) {
            e = errno;
            close(fd);
            errno = e;
            return -1;
        }
    }
    close(fd);
    return 0;
}

int
queue_is_id(const char *s)
{
    size_t i;

    for (i = 0; i < QUEUE_ID_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[QUEUE_ID_LEN] == 0;
}
