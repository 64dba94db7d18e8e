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
 * Names in pool/, read in a batch and taken one by one: a directory of
 * up to 1024 names is not read again for each message of a session.
 * Each process starts at its own place in the batch, so that injectors
 * working at once do not all reach for the same names.
 */
#define POOL_BATCH 64
static char pool_names[POOL_BATCH][QUEUE_ID_LEN + 3];
static size_t pool_n, pool_next;
static int pool_off; /* no RENAME_NOREPLACE here: no pool for us */

static void
pool_read(struct queue *q)
{
    struct dirent *e;
    DIR *d = queue_opendir(q->pool);

    pool_n = pool_next = 0;
    if (d == NULL)
        return;
    while (pool_n < POOL_BATCH && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && strlen(e->d_name) < sizeof pool_names[0])
            memcpy(pool_names[pool_n++], e->d_name, strlen(e->d_name) + 1);
    closedir(d);
    if (pool_n > 0)
        pool_next = (size_t)getpid() % pool_n;
}

/* The name at pool_next leaves the batch (the last one takes its place). */
static void
pool_drop(void)
{
    if (pool_next != --pool_n)
        memcpy(pool_names[pool_next], pool_names[pool_n],
            sizeof pool_names[0]);
    if (pool_next >= pool_n)
        pool_next = 0;
}

/*
 * A spent file from pool/ as tmp/name: -1 when there is none (EEXIST:
 * tmp/name is another injector's, the id is taken).  The rename is the
 * claim (another injector's fails with ENOENT; it also sets the file's
 * ctime, which queue-run's sweep of tmp/ goes by).  A file that is not a
 * plain one of ours with one link (after a crash a pool name may come
 * back beside a live one) is dropped, not written.  A name another took
 * first makes the batch stale: it is read again (at most 3 reads, 8
 * renames tried).  The file keeps its old bytes and blocks: it is
 * written over from the start and cut to its new length before its
 * fsync (queue_commit), so that no block is freed and allocated again
 * for each message.
 */
static int
from_pool(struct queue *q, const char *name)
{
    struct stat st;
    int fd = -1, tries = 0, reads = 0;
    const char *pick;

    while (fd == -1 && tries < 8) {
        if (pool_n == 0) {
            if (reads++ == 3)
                break;
            pool_read(q);
            if (pool_n == 0)
                break;
        }
        pick = pool_names[pool_next];
        tries++;
        if (renameat2(q->pool, pick, q->tmp, name, RENAME_NOREPLACE) == -1) {
            int e = errno;
            pool_drop();
            if (e == EEXIST) { /* tmp/name is another's: the id is taken */
                errno = EEXIST;
                return -1;
            }
            if (e == EINVAL || e == ENOSYS) {
                pool_off = 1;
                break;
            }
            /* taken by another: the batch is stale, read it again */
            pool_n = 0;
            continue;
        }
        pool_drop();
        fd = openat(q->tmp, name,
            O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)
                            || st.st_nlink != 1 || st.st_uid != geteuid())) {
            close(fd);
            fd = -1;
        }
        if (fd == -1 && unlinkat(q->tmp, name, 0) == -1 && errno == EISDIR)
            (void)unlinkat(q->tmp, name, AT_REMOVEDIR); /* planted */
    }
    if (fd == -1) {
        errno = ENOENT;
        return -1;
    }
    (void)fcntl(fd, F_SETFL, 0); /* O_NONBLOCK was for the open */
    return fd;
}

/*
 * A new file for tmp/name: a spent one from pool/ when there is one
 * (*reused set: it must be cut to length, see from_pool); else an
 * unnamed one (O_TMPFILE) where the kernel and the file system have them
 * and /proc/self/fd can name it later, so that no name is made in tmp/
 * and removed again; else tmp/name itself.  name is set to "" for the
 * unnamed one.  -1 with EEXIST: the name is taken.
 */
static int
new_file(struct queue *q, char *name, int *reused)
{
    static int notmp; /* O_TMPFILE failed once: do not try again */
    int fd = -1;

    errno = ENOENT;
    if (q->pool != -1 && !pool_off)
        fd = from_pool(q, name);
    *reused = fd != -1;
    if (fd != -1 || errno == EEXIST)
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

/* A reused file is cut to what was written (its offset). */
static int
cut(int fd, int reused)
{
    off_t len;

    if (!reused)
        return 0;
    if ((len = lseek(fd, 0, SEEK_CUR)) == -1)
        return -1;
    return ftruncate(fd, len);
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
        m->fd = new_file(q, m->tmpname, &m->reused);
        if (m->fd != -1)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/* Put the file fd (tmp/<from>, or unnamed when from is "") in place as
 * <dir>/<id>; the tmp name goes away.  0, or -1 with errno (EEXIST:
 * <dir>/<id> is there already: neither link nor RENAME_NOREPLACE ever
 * replaces a name).  A rename is one directory change, and a crash
 * cannot leave the file with both names; link and unlink where the file
 * system has no RENAME_NOREPLACE. */
static int
link_into(struct queue *q, int fd, const char *from, int dir, const char *id)
{
    char self[64];

    if (from[0] == 0) {
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        return linkat(AT_FDCWD, self, dir, id, AT_SYMLINK_FOLLOW);
    }
    if (renameat2(q->tmp, from, dir, id, RENAME_NOREPLACE) == 0)
        return 0;
    if ((errno != EINVAL && errno != ENOSYS)
        || linkat(q->tmp, from, dir, id, 0) == -1)
        return -1;
    (void)unlinkat(q->tmp, from, 0);
    return 0;
}

int
queue_commit(struct queue *q, struct queue_msg *m, const char *env,
    size_t envlen)
{
    char ename[QUEUE_ID_LEN + 3] = "";
    int fd = -1, e, tries, in_mess = 0, in_todo = 0, reused;

    if (cut(m->fd, m->reused) == -1 || fsync(m->fd) == -1)
        goto fail;
    /* mess/<id> claims the id: an unnamed file (or one from the pool)
     * reserved no name in tmp/, so another injector may have drawn the
     * same id; then this message takes another. */
    for (tries = 0; link_into(q, m->fd, m->tmpname, q->mess, m->id) == -1;
         tries++) {
        if (errno != EEXIST || tries == 10)
            goto fail;
        make_id(m->id);
    }
    in_mess = 1;
    m->tmpname[0] = 0; /* gone from tmp/ */
    if (fsync(q->mess) == -1)
        goto fail;
    if (close(m->fd) == -1) {
        m->fd = -1;
        goto fail;
    }
    m->fd = -1;
    snprintf(ename, sizeof ename, "%s.e", m->id);
    fd = new_file(q, ename, &reused);
    if (fd == -1 || fd_write_all(fd, env, envlen, -1) == -1
        || cut(fd, reused) == -1 || fsync(fd) == -1)
        goto fail;
    if (link_into(q, fd, ename, q->todo, m->id) == -1)
        goto fail;
    in_todo = 1;
    if (fsync(q->todo) == -1)
        goto fail;
    if (close(fd) == -1) {
        fd = -1;
        goto fail;
    }
    return 0;
fail:
    e = errno;
    /* only what this commit made goes: a name that was there already is
     * another injector's */
    if (fd != -1) {
        close(fd);
        if (ename[0] != 0 && !in_todo)
            (void)unlinkat(q->tmp, ename, 0);
    }
    /* Without its envelope the message is nobody's: remove it now rather
     * than leave it for the orphan sweep. */
    if (in_todo)
        (void)unlinkat(q->todo, m->id, 0);
    if (in_mess)
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

DIR *
queue_opendir(int dirfd)
{
    int fd = dirfd == -1 ? -1 : dup(dirfd), e;
    DIR *d;

    if (fd == -1)
        return NULL;
    if ((d = fdopendir(fd)) == NULL) {
        e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    rewinddir(d); /* a dup shares the offset of the last reading */
    return d;
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
