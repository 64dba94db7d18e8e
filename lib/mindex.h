/* mindex.h - an IMAP mailbox's binary index (imapd): facteur-index, a cache.
 *
 * What a full look at a Maildir folder found (each message's UID, file
 * name, flags, keywords, and the size and internal date once known),
 * kept in one file that every session of the mailbox maps shared, so
 * that a session on a large mailbox holds no copy of it (its own view is
 * a UID array) and a SELECT when nothing changed reads no directory.
 *
 *   header (IX_HDR bytes): magic, UIDVALIDITY, next UID, the sizes of the
 *     two regions, the highest modification sequence, the times of new/
 *     and cur/ the records describe, the boot they were written in
 *   records (cap slots of struct ixrec, in UID order, count in use)
 *   names (names_cap bytes, names_len in use): the files' bases
 *
 * The file's size is fixed when it is made (its regions reserved with
 * posix_fallocate, so a full disk is an error at creation, never a
 * SIGBUS later); when a region is full, a session writes a bigger file
 * and renames it over the old one.  Writers hold the mailbox's lock
 * (mbox.c) and store through the mapping; a record is written before
 * the count that publishes it.  Readers take no lock.  An expunged
 * message's record stays as a tombstone (IXF_GONE, with its modseq)
 * until the file is rewritten without them.  Every change gives the
 * record the next modseq, so a session finds what others changed since
 * its last look by the records whose modseq is above the one it saw.
 *
 * Nothing here is synced to disk: the uidlist holds the UIDs, the
 * file names hold the flags, and an index written in another boot (a
 * crash may have lost some of its pages) is not trusted.
 */
#ifndef IMAPD_MINDEX_H
#define IMAPD_MINDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IX_FILE "facteur-index"
#define IX_HDR 256
/* Regions of a new file: room for growth, at least this much. */
#define IX_RECS_MIN 256
#define IX_NAMES_MIN 16384
/* The largest index: 2,000,000 messages and their names. */
#define IX_SIZE_MAX (1UL << 30)

/* Record flags: IMAPF_SEEN..IMAPF_DRAFT (imap.h) and these. */
#define IXF_SYS 0x1f
#define IXF_GONE 0x100   /* expunged: a tombstone */
#define IXF_INNEW 0x200  /* the file is new/<base> (read-only sessions) */
#define IXF_WHOLE 0x400  /* the file is cur/<base>: the name kept whole */
#define IXF_FRESH 0x800  /* stored by APPEND, COPY or MOVE, shown to no
                          * session yet: the first to show it has it
                          * \Recent */

struct ixhdr {
    char magic[8];
    uint32_t validity, uidnext;
    uint32_t cap, count;        /* record slots, records in use */
    uint32_t names_cap, names_len;
    uint32_t ninnew, ngone;     /* IXF_INNEW and IXF_GONE records */
    uint32_t nfresh;            /* IXF_FRESH records */
    uint64_t modseq;            /* the highest */
    uint64_t epoch;             /* random, per file lineage */
    int64_t new_sec, new_nsec, cur_sec, cur_nsec;
    uint32_t new_ok, cur_ok;    /* those times are what the records show */
    char boot[40];              /* the kernel's boot_id when written */
};

struct ixrec {
    uint32_t uid;
    uint16_t flags;
    uint16_t baselen;
    uint32_t kw;
    uint32_t name;     /* offset in the names region */
    uint64_t size;     /* CRLF size, UINT64_MAX until known */
    uint64_t modseq;
    int64_t mtime;     /* internal date, -1 until known */
};

struct ix {
    int fd;
    char *map;
    size_t len;
    dev_t dev;
    ino_t ino;
    uint32_t checked; /* records [0, checked) found well formed */
    int anon;         /* not a file: this session's own copy */
    int bad;          /* a record was not well formed: look again */
};

/* One message as a full look or a delivery describes it. */
struct ixent {
    uint32_t uid;
    unsigned flags;    /* IXF_* and IMAPF_SEEN..DRAFT */
    uint32_t kw;
    const char *base;
    size_t baselen;
};

/** ix_open - map dir's index: 1 (usable: written in this boot, well
 * formed), 0 (none, or not usable), -1 error.  ix is zeroed first. */
int ix_open(struct ix *ix, const char *dir);
void ix_close(struct ix *ix);
/** ix_stale - is dir's index file another one than ix maps? */
int ix_stale(const struct ix *ix, const char *dir);

static inline struct ixhdr *
ix_hdr(const struct ix *ix)
{
    return (struct ixhdr *)(void *)ix->map;
}

static inline struct ixrec *
ix_rec(const struct ix *ix, uint32_t i)
{
    return (struct ixrec *)(void *)(ix->map + IX_HDR) + i;
}

/** ix_count - the records published (and checked). */
uint32_t ix_count(struct ix *ix);
/** ix_find - the index of the record of uid below count, or -1; hint is
 * a guess (the last one found), updated. */
long ix_find(struct ix *ix, uint32_t uid, uint32_t *hint);
/** ix_base - the record's base name (not NUL-terminated). */
const char *ix_base(const struct ix *ix, const struct ixrec *r);

/**
 * ix_write - under the lock: write dir's index anew with the entries
 * (sorted by UID), taking sizes, dates and modseqs of unchanged messages
 * from old (may be NULL or unmapped), then map it into ix.  The caller
 * sets the directory times.  0 or -1.  When the file cannot be written
 * (a full disk, a read-only file system), ix becomes a private copy in
 * memory and 0 is returned: the session works, nobody shares it.
 */
int ix_write(struct ix *ix, const char *dir, const struct ixent *e,
    size_t n, struct ix *old, uint32_t validity, uint32_t uidnext);

/**
 * ix_append - under the lock: add a record for a message whose UID is
 * above every record's.  0, or -1 with errno ENOSPC when a region is
 * full (the caller writes the file anew).
 */
int ix_append(struct ix *ix, const struct ixent *e);

/** ix_touch - under the lock: give record r the next modseq. */
void ix_touch(struct ix *ix, struct ixrec *r);

#endif
