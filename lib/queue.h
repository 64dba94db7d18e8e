/* queue.h - the queue directory and the commit of a new message.
 *
 * Layout (all in one file system, owned by the queue user):
 *   tmp/    files being written: <id>.m, <id>.e (files taken from pool/,
 *           or where the kernel has no O_TMPFILE); else unnamed files in
 *           tmp/, linked into place through /proc/self/fd
 *   mess/   message bodies in canonical form (canon.h), named <id>
 *   todo/   envelopes (envelope.h) of messages queue-run has not taken
 *           yet, named <id>; queue-run watches this directory
 *   pool/   spent files that queue-run keeps (up to 1024 of up to 64 KB)
 *           instead of removing them; a new file is one of them when
 *           there is one: taken by rename into tmp/ (one taker wins),
 *           then written over and cut to its new length before its
 *           fsync.  So a message costs the file system no inode freed
 *           or allocated, and blocks only when it is larger or smaller
 *           than the file it takes (else an unnamed file, a new inode).  Names starting with '.'
 *           are not taken (queue-run's, until a removal is synced).
 *           Optional.
 * queue-run adds its own directories for delivery state.
 *
 * Commit order (DESIGN.md): message written and fsync'd, put in
 * mess/, mess/ fsync'd; envelope written and fsync'd, put in todo/,
 * todo/ fsync'd.  Only then does the injector report success.  A crash at
 * any point leaves either nothing visible to queue-run or a complete
 * message; leftovers in tmp/ and mess/ without todo/ or state are
 * removed by queue-run after QUEUE_ORPHAN_AGE.
 *
 * An id is 16 hex digits: the time in seconds (8) and 4 random bytes, so
 * ids sort by age; link(2) (an unnamed file) or rename with
 * RENAME_NOREPLACE (a named one; link and unlink where the file system
 * has no such rename) puts files in place, never a plain rename, so an id collision fails instead of overwriting, and the
 * message takes another id (an unnamed file reserved none).
 */
#ifndef MAIL_QUEUE_H
#define MAIL_QUEUE_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

#include "sa.h"

#define QUEUE_ID_LEN 16
#define QUEUE_ORPHAN_AGE (36 * 3600)

struct queue {
    int dir, tmp, mess, todo, pool; /* directory descriptors; pool -1
                                     * when there is none */
};

struct queue_msg {
    char id[QUEUE_ID_LEN + 1];
    char tmpname[QUEUE_ID_LEN + 3];
    int fd;       /* tmp/<id>.m, open for writing */
    int reused;   /* fd is a file from pool/: cut to length at commit */
};

/** queue_open - open the queue at path.  0, or -1 with errno. */
int queue_open(struct queue *q, const char *path);
/** queue_close - close its descriptors. */
void queue_close(struct queue *q);

/**
 * queue_begin - create tmp/<id>.m for a new message.  0, or -1 with errno.
 */
int queue_begin(struct queue *q, struct queue_msg *m);

/**
 * queue_commit - make the message written on m->fd durable and put the
 * envelope env (text0, envlen bytes) in todo/.  0 only when both are on
 * disk; -1 with errno otherwise, and nothing is left for queue-run.
 */
int queue_commit(struct queue *q, struct queue_msg *m, const char *env,
    size_t envlen);

/**
 * queue_read - read the whole file name in directory dirfd into out
 * (subject to out's cap).  0, or -1 with errno.
 */
int queue_read(int dirfd, const char *name, struct sa *out);

/**
 * queue_opendir - a DIR on a descriptor of its own for the directory
 * dirfd, read from its start (dirfd stays open, its offset untouched).
 * NULL with errno.
 */
DIR *queue_opendir(int dirfd);

/** queue_is_id - 1 if s is a queue id (16 lower-case hex digits). */
int queue_is_id(const char *s);

/** queue_abort - remove what queue_begin made. */
void queue_abort(struct queue *q, struct queue_msg *m);

#endif
