/* buf.c - buffered descriptor I/O with limits and deadlines (see buf.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "loop.h"

void
buf_init(struct buf *b, int fd, unsigned char *mem, size_t cap)
{
    b->fd = fd;
    b->p = mem;
    b->cap = cap;
    b->pos = b->len = 0;
    b->deadline = -1;
}

int
fd_wait(int fd, short ev, int64_t deadline)
{
    struct pollfd pfd;
    int r;

    pfd.fd = fd;
    pfd.events = ev;
    pfd.revents = 0;
    r = loop_poll(&pfd, 1, deadline);
    if (r == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    return r < 0 ? -1 : 0;
}

ssize_t
buf_fill(struct buf *b)
{
    ssize_t r;

    if (b->pos > 0 && b->pos == b->len)
        b->pos = b->len = 0;
    if (b->len == b->cap && b->pos > 0) {
        memmove(b->p, b->p + b->pos, b->len - b->pos);
        b->len -= b->pos;
        b->pos = 0;
    }
    if (b->len == b->cap) {
        errno = ENOBUFS;
        return -1;
    }
    for (;;) {
        if (fd_wait(b->fd, POLLIN, b->deadline) == -1)
            return -1;
        r = read(b->fd, b->p + b->len, b->cap - b->len);
        if (r == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r > 0)
            b->len += (size_t)r;
        return r;
    }
}

int
buf_getline(struct buf *b, char *out, size_t max, size_t *len)
{
    size_t n = 0, avail, take;
    unsigned char *nl;
    int toolong = 0;
    ssize_t r;

    *len = 0;
    if (max == 0) {
        errno = ERANGE;
        return -1;
    }
    for (;;) {
        avail = b->len - b->pos;
        nl = avail ? memchr(b->p + b->pos, '\n', avail) : NULL;
        take = nl ? (size_t)(nl - (b->p + b->pos)) + 1 : avail;
        if (!toolong) {
            if (take > max - 1 - n) {
                /* keep the start (a caller may want the IMAP tag), then
                 * consume through the LF */
                memcpy(out + n, b->p + b->pos, max - 1 - n);
                n = max - 1;
                toolong = 1;
            } else {
                memcpy(out + n, b->p + b->pos, take);
                n += take;
            }
        }
        b->pos += take;
        if (nl != NULL)
            break;
        r = buf_fill(b);
        if (r == -1)
            return -1;
        if (r == 0) {
            if (n == 0 && !toolong)
                return 0;
            if (!toolong) { /* the partial last line, for who wants it */
                out[n] = 0;
                *len = n;
            }
            errno = EPROTO;
            return -1;
        }
    }
    if (toolong) {
        out[n] = 0;
        *len = n;
        errno = ERANGE;
        return -1;
    }
    out[n] = 0;
    *len = n;
    return 1;
}

ssize_t
buf_get(struct buf *b, void *out, size_t n)
{
    size_t avail = b->len - b->pos;
    ssize_t r;

    if (avail == 0) {
        r = buf_fill(b);
        if (r <= 0)
            return r;
        avail = b->len - b->pos;
    }
    if (n > avail)
        n = avail;
    memcpy(out, b->p + b->pos, n);
    b->pos += n;
    return (ssize_t)n;
}

size_t
buf_unread(const struct buf *b)
{
    return b->len - b->pos;
}

void
buf_discard(struct buf *b)
{
    b->pos = b->len = 0;
}

int
fd_pwrite_all(int fd, const void *p, size_t n, off_t off)
{
    const unsigned char *s = p;
    ssize_t r;

    while (n > 0) {
        r = pwrite(fd, s, n, off);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        s += r;
        n -= (size_t)r;
        off += r;
    }
    return 0;
}

int
fd_write_all(int fd, const void *p, size_t n, int64_t deadline)
{
    const unsigned char *s = p;
    ssize_t w;

    while (n > 0) {
        /* With a deadline, wait first: a blocking fd would otherwise let a
         * peer that never reads hold us past it. */
        if (deadline >= 0 && fd_wait(fd, POLLOUT, deadline) == -1)
            return -1;
        w = write(fd, s, n);
        if (w == -1) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                if (fd_wait(fd, POLLOUT, deadline) == -1)
                    return -1;
                continue;
            }
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int
buf_flush(struct buf *b)
{
    size_t n = b->len;

    b->len = 0;
    return fd_write_all(b->fd, b->p, n, b->deadline);
}

int
buf_put(struct buf *b, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t room;

    while (n > 0) {
        room = b->cap - b->len;
        if (room == 0) {
            if (buf_flush(b) == -1)
                return -1;
            continue;
        }
        if (room > n)
            room = n;
        memcpy(b->p + b->len, s, room);
        b->len += room;
        s += room;
        n -= room;
    }
    return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
    return buf_put(b, s, strlen(s));
}

int
pipe_cloexec(int p[2])
{
    if (pipe(p) == -1)
        return -1;
    if (fcntl(p[0], F_SETFD, FD_CLOEXEC) == -1
        || fcntl(p[1], F_SETFD, FD_CLOEXEC) == -1) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        errno = e;
        return -1;
    }
    return 0;
}
