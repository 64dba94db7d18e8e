/* mbox.h - one IMAP mailbox over a Maildir++ folder, with stable UIDs.
 *
 * A mailbox is a directory with cur/ new/ tmp/: the Maildir itself for
 * INBOX, ".Name" under it for a folder (lib/mutf7.h maps the names).
 * Messages are files; a file name is "<base>:2,<flags>" in cur/ (flags
 * DFRST and keyword letters a..z, in ASCII order) or "<base>" in new/.
 *
 * UIDs.  The truth is the mailbox's facteur-uidlist file:
 *     "F1 V<uidvalidity> N<uidnext>" padded to a fixed width, LF
 *     "<uid> <base>" LF, one line per message ever given a UID, in UID
 *     order.
 * Lines are only appended and the header is rewritten in place, then
 * one fdatasync (the next UID is the larger of the header's and the last
 * whole line's plus one, so either may be lost in a crash); a rewrite
 * without the lines of vanished files (compaction) goes through a
 * temporary file and rename.  Writers hold an
 * fcntl lock on facteur-uidlist.lock (the kernel drops it if the process
 * dies); readers take no lock and ignore a last line without its LF.  A
 * UID is written down before its file leaves new/, so a crash can leave
 * a UID unused, never one used twice.  local-deliver knows nothing of
 * this and never waits for the lock.
 *
 * The index.  What the last full look found lives in facteur-index
 * (mindex.h), mapped shared by every session of the mailbox: a session
 * keeps only the UIDs of its view (4 bytes a message) and reads flags,
 * names, sizes and dates from the map.  Every change a facteur session
 * makes (a delivery moved out of new/, flags, an expunge, an APPEND or
 * COPY) is made under the lock and written into the index with the next
 * modseq, with the times of new/ and cur/ after it, so that:
 *   - a look at a mailbox whose cur/ has the time the index has reads
 *     no directory but new/, and new/ only when its time changed;
 *   - a session finds what the others changed by the records whose
 *     modseq is above the one it saw (a file written anew: by its UIDs).
 * A cur/ whose time differs (another program changed it) is read whole
 * again under the lock, and the index written anew from what is found
 * and from the uidlist.  Such a program's change made while a facteur
 * session holds the lock, in the same clock tick as the session's own,
 * is missed until cur/ changes again (Dovecot's index has the same
 * limit).  Sizes and internal dates are learnt once, by whichever
 * session needs them first, and kept in the index.
 * UIDVALIDITY of a new list comes from the user's facteur-uidvalidity
 * counter (max of counter + 1 and the time), so a mailbox deleted and
 * made again never repeats one.  A list whose header cannot be read (torn
 * by a disk; seen when UIDs are next given, or at the full look after a
 * reboot) is set aside as facteur-uidlist.broken and made again with
 * a new UIDVALIDITY: clients resynchronise rather than trust UIDs that
 * may be wrong.  A mailbox that has a dovecot-uidlist (or Courier's
 * courierimapuiddb) and no facteur-uidlist keeps that server's
 * UIDVALIDITY and UIDs (import on first open).
 *
 * Keywords: the names of letters a..z in the mailbox's dovecot-keywords
 * file ("<index> <name>" lines), shared with Dovecot.
 */
#ifndef IMAPD_MBOX_H
#define IMAPD_MBOX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imap.h"
#include "str.h"

/* Messages in one mailbox. */
#define MBOX_MESSAGES_MAX 2000000
/* The uidlist file, read whole. */
#define MBOX_UIDLIST_MAX (256UL << 20)
/* One file name in a Maildir. */
#define MBOX_NAME_MAX 255

#include "mindex.h"

/* One message of a session's view, as mbox_msg() describes it now. */
struct msg {
    uint32_t seq, uid;
    unsigned flags;     /* IMAPF_*, with IMAPF_RECENT for this session */
    uint32_t kw;        /* keyword bits */
};

/* A change this session made, not to be reported back to it. */
struct ownchange {
    uint32_t uid;
    uint64_t modseq;
};

struct mbox {
    char dir[IMAP_MAILBOX_MAX * 2 + 8]; /* "." or ".Name", relative to the Maildir */
    char name[IMAP_MAILBOX_MAX + 1];   /* the IMAP name (UTF-8) */
    int readonly;
    uint32_t uidvalidity, uidnext;
    /* the view: the UIDs shown, ascending (sequence number = index + 1) */
    uint32_t *uid;
    uint32_t n, cap;
    /* \Recent: UIDs this session moved out of new/, ascending */
    uint32_t *recent;
    uint32_t nrec, caprec;
    uint32_t nrecent;                  /* of those, in the view */
    char kwname[IMAP_KEYWORDS_MAX][IMAP_KEYWORD_LEN_MAX + 1];
    unsigned nkw;
    struct ix ix;
    int ixok;                          /* ix maps a usable index */
    uint32_t hint;                     /* the last record found */
    /* the index as the view last saw it */
    uint64_t seen_modseq, seen_epoch;
    dev_t seen_dev;
    ino_t seen_ino;
    uint32_t seen_count;
    int seen_anon;
    struct ownchange *own;
    size_t nown, capown;
    int lock;                          /* the lock's fd while held */
    unsigned lockdepth;
    int fresh;                         /* under the lock: index checked */
    int curdirty;                      /* under the lock: cur/ changed */
};

/* What a sync found, reported to the session as it goes. */
struct mbox_events {
    void (*expunged)(void *arg, uint32_t seq);         /* before removal */
    void (*flags)(void *arg, uint32_t seq);            /* after change */
    void *arg;
};

/**
 * mbox_open - open the mailbox in directory dir (relative to the
 * current directory, the Maildir) and read its messages: 0, or -1 with
 * errno (ENOENT: no such mailbox).
 */
int mbox_open(struct mbox *mb, const char *dir, const char *name,
    int readonly);
void mbox_close(struct mbox *mb);

/**
 * mbox_sync - look at the directory again: new files get UIDs (and
 * \Recent when this session is the one that moves them out of new/),
 * vanished files are reported expunged, flag changes by others reported.
 * ev may be NULL (nothing reported: only at open).  0 or -1.
 */
int mbox_sync(struct mbox *mb, const struct mbox_events *ev);

/** mbox_seq_of_uid - the sequence number of uid, or 0. */
uint32_t mbox_seq_of_uid(const struct mbox *mb, uint32_t uid);

/** mbox_msg - message seq (1..n) of the view as the index has it now.
 * A message expunged by another session and not yet reported keeps
 * its UID, with no flags. */
struct msg mbox_msg(struct mbox *mb, uint32_t seq);

/**
 * mbox_read - the message file of m read whole (malloc'd, *len bytes);
 * NULL with errno (ENOENT: expunged by someone else).
 */
char *mbox_read(struct mbox *mb, const struct msg *m, size_t *len);
/**
 * mbox_read_header - only the header of m's file, with the empty line
 * that ends it (the whole file when it has none, or when the header is
 * longer than a megabyte): for FETCH items that need nothing else.
 */
char *mbox_read_header(struct mbox *mb, const struct msg *m, size_t *len);
/** mbox_size - the CRLF size (counted once, then kept in the index).
 * 0 or -1. */
int mbox_size(struct mbox *mb, const struct msg *m, uint64_t *size);
/** mbox_mtime - the internal date (the file's mtime).  0 or -1. */
int mbox_mtime(struct mbox *mb, const struct msg *m, int64_t *t);

/**
 * mbox_begin, mbox_end - hold the mailbox's lock across many changes
 * (a STORE over many messages): one lock, one look at cur/, not one
 * each.  They nest; mbox_begin returns 0 or -1.
 */
int mbox_begin(struct mbox *mb);
void mbox_end(struct mbox *mb);

/**
 * mbox_setflags - change m's flags and keywords (IMAPF_RECENT ignored):
 * mode 0 sets them, 1 adds them, -1 removes them, applied to the flags
 * the index has now (another session's change is not lost); renames its
 * file.  m takes the result.  0, or -1 with errno (ENOENT: expunged
 * meanwhile).
 */
int mbox_setflags(struct mbox *mb, struct msg *m, int mode, unsigned flags,
    uint32_t kw);

/**
 * mbox_keyword - the index of keyword name, creating it (in
 * dovecot-keywords) when create is set and there is room: >= 0, or -1.
 */
int mbox_keyword(struct mbox *mb, const char *name, size_t len, int create);

/**
 * mbox_expunge - remove the files of the messages with \Deleted (and, when
 * uids is not NULL, whose UID it holds), reporting each through ev.  A
 * message whose file another program renamed is looked at again: it goes
 * only if it is still \Deleted.  0 or -1.
 */
struct seqset;
int mbox_expunge(struct mbox *mb, const struct seqset *uids,
    const struct mbox_events *ev);
/**
 * mbox_expunge_uids - remove the messages whose UIDs are u[0..n)
 * (ascending), \Deleted or not: the second half of MOVE.  0 or -1.
 */
int mbox_expunge_uids(struct mbox *mb, const uint32_t *u, size_t n,
    const struct mbox_events *ev);

/**
 * mbox_add - deliver a message into the mailbox in directory dir: from
 * the file at srcpath (hard-linked when possible, else copied: COPY,
 * MOVE) or from the bytes p[0..n) (APPEND; LF or CRLF, stored with LF),
 * with flags, keywords (names) and internal date (-1: now).  The message
 * is on disk (file and directory fsync'd) when it returns 0, with its UID
 * in *uid and the mailbox's UIDVALIDITY in *validity.  -1 with errno
 * (ENOENT: no such mailbox).
 */
int mbox_add(const char *dir, const char *srcpath, const char *p, size_t n,
    unsigned flags, char kwnames[][IMAP_KEYWORD_LEN_MAX + 1], uint32_t kw,
    int64_t date, uint32_t *validity, uint32_t *uid);

/**
 * mbox_status - UIDVALIDITY, UIDNEXT, messages, recent (files in new/)
 * and unseen of the mailbox in dir without opening it for a session.
 */
int mbox_status(const char *dir, uint32_t *validity, uint32_t *uidnext,
    uint32_t *messages, uint32_t *recent, uint32_t *unseen);

/** mbox_path - the path of m's file into out.  0, or -1 (ENOENT: no
 * such message any more; ENAMETOOLONG). */
int mbox_path(struct mbox *mb, const struct msg *m, char *out, size_t len);

/** mbox_create - make the folder directory dir (cur, new, tmp and a
 * maildirfolder file).  0 or -1 (EEXIST when it exists). */
int mbox_create(const char *dir);

#endif
