/* buf.h - buffered descriptor I/O with explicit limits and deadlines.
 *
 * One struct buf serves one direction of one descriptor, with a buffer the
 * caller provides (usually static: a fixed staging area, never growing).
 * Reads and writes wait with poll(2) until b->deadline (loop_now() time,
 * -1 for none) and fail with ETIMEDOUT after it.  EINTR is retried, short
 * writes are completed.
 */
#ifndef MAIL_BUF_H
#define MAIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf {
    int fd;
    unsigned char *p;
    size_t cap;
    size_t pos; /* reading: next unread byte */
    size_t len; /* bytes held (reading: read so far; writing: to flush) */
    int64_t deadline;
};

/** buf_init - attach fd and the cap bytes at mem; no deadline. */
void buf_init(struct buf *b, int fd, unsigned char *mem, size_t cap);

/**
 * buf_fill - read more input into the buffer (waiting up to the
 * deadline).  Returns the number of new bytes, 0 on end of file, -1 with
 * errno (ETIMEDOUT, ENOBUFS when the buffer is already full of unread data).
 */
ssize_t buf_fill(struct buf *b);

/**
 * buf_getline - read one line ended by LF.
 * @out: receives the line including its LF, NUL-terminated.
 * @max: size of out; a line needs at most max - 1 bytes with its LF.
 * @len: receives the line length (without the NUL).
 * Returns 1 with a line, 0 at end of file with nothing pending, -1 with
 * errno: ERANGE when the line is longer than max - 1 (the whole line,
 * through its LF, has then been read; its first max - 1 bytes are in out
 * and *len, the rest is dropped, so the caller can reply and go on), EPROTO when the file ends inside a line (that partial line,
 * if it fits, is in out and its length in *len), ETIMEDOUT, or the read
 * error.
 */
int buf_getline(struct buf *b, char *out, size_t max, size_t *len);

/**
 * buf_get - read up to n bytes into out; returns the count, 0 at end of
 * file, -1 with errno.
 */
ssize_t buf_get(struct buf *b, void *out, size_t n);

/** buf_unread - the number of bytes read from fd but not yet consumed. */
size_t buf_unread(const struct buf *b);

/**
 * buf_discard - forget all buffered input.  Used when a protocol switches
 * layers (STARTTLS): what the peer pipelined before the switch must never
 * be read as if it came after.
 */
void buf_discard(struct buf *b);

/** buf_put - queue n bytes, flushing as the buffer fills.  0 or -1. */
int buf_put(struct buf *b, const void *p, size_t n);
/** buf_puts - queue a C string.  0 or -1. */
int buf_puts(struct buf *b, const char *s);
/** buf_flush - write everything queued.  0 or -1 with errno. */
int buf_flush(struct buf *b);

/**
 * fd_write_all - write n bytes to fd, retrying EINTR and short writes,
 * waiting for a non-blocking fd up to deadline (-1 none).  0 or -1.
 */
int fd_write_all(int fd, const void *p, size_t n, int64_t deadline);

/** fd_pwrite_all - write n bytes to fd at offset off (pwrite), retrying
 * EINTR and short writes.  0 or -1. */
int fd_pwrite_all(int fd, const void *p, size_t n, off_t off);

/** fd_wait - wait until fd is ready for ev (POLLIN, POLLOUT) or the
 * deadline (-1 none) passes.  0, or -1 with errno (ETIMEDOUT). */
int fd_wait(int fd, short ev, int64_t deadline);

/** pipe_cloexec - pipe(2) with both ends close-on-exec (pipe2 is not
 * POSIX.1-2008).  0, or -1 with errno (nothing left open). */
int pipe_cloexec(int p[2]);

#endif
