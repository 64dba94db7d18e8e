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
 * whole line's plus one, so either may be lost in a crash); a rewrite without the lines of vanished files
 * (compaction) goes through a temporary file and rename.  Writers hold an
 * fcntl lock on facteur-uidlist.lock (the kernel drops it if the process
 * dies); readers take no lock and ignore a last line without its LF.  A
 * UID is written down before its file leaves new/, so a crash can leave
 * a UID unused, never one used twice.  local-deliver knows nothing of
 * this and never waits for the lock.  The first time a session counts a
 * message's CRLF size it keeps it in the file's base as ",W=<size>"
 * (the convention Dovecot reads), so RFC822.SIZE costs no read later;
 * the uidlist's key is the base without it.  A sync that finds new/ and
 * cur/ unchanged since its last look (and that look old enough to trust)
 * reads nothing.
 * UIDVALIDITY of a new list comes from the user's facteur-uidvalidity
 * counter (max of counter + 1 and the time), so a mailbox deleted and
 * made again never repeats one.  A list whose header cannot be read (torn
 * by a disk) is set aside as facteur-uidlist.broken and made again with
 * a new UIDVALIDITY: clients resynchronise rather than trust UIDs that
 * may be wrong.  A mailbox that has a dovecot-uidlist and
 * no facteur-uidlist keeps Dovecot's UIDVALIDITY and UIDs (import on
 * first open).
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

struct msg {
    uint32_t uid;
    unsigned flags;     /* IMAPF_*, with IMAPF_RECENT for this session */
    uint32_t kw;        /* keyword bits */
    char *name;         /* the file's name in cur/ (malloc'd) */
    size_t baselen;     /* the part before ":2," */
    int64_t mtime;      /* the internal date; -1 until looked up */
    uint64_t size;      /* CRLF size; UINT64_MAX until known */
    unsigned char innew; /* still in new/ (read-only sessions only) */
    unsigned char gone;  /* its file was not found: expunged elsewhere */
};

struct mbox {
    char dir[IMAP_MAILBOX_MAX * 2 + 8]; /* "." or ".Name", relative to the Maildir */
    char name[IMAP_MAILBOX_MAX + 1];   /* the IMAP name (UTF-8) */
    int readonly;
    uint32_t uidvalidity, uidnext;
    struct msg *m;
    uint32_t n, cap;
    char kwname[IMAP_KEYWORDS_MAX][IMAP_KEYWORD_LEN_MAX + 1];
    unsigned nkw;
    uint32_t nrecent;
    /* new/ and cur/ as of the last full look, when trusted: a sync that
     * finds them unchanged has nothing to do */
    struct timespec new_mtim, cur_mtim;
    int trust;
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

/**
 * mbox_read - the message file of m read whole (malloc'd, *len bytes);
 * NULL with errno (ENOENT: expunged by someone else).
 */
char *mbox_read(struct mbox *mb, struct msg *m, size_t *len);
/**
 * mbox_read_header - only the header of m's file, with the empty line
 * that ends it (the whole file when it has none, or when the header is
 * longer than a megabyte): for FETCH items that need nothing else.
 */
char *mbox_read_header(struct mbox *mb, struct msg *m, size_t *len);
/** mbox_size - the CRLF size (read once when unknown).  0 or -1. */
int mbox_size(struct mbox *mb, struct msg *m, uint64_t *size);
/** mbox_mtime - the internal date (the file's mtime).  0 or -1. */
int mbox_mtime(struct mbox *mb, struct msg *m, int64_t *t);

/**
 * mbox_setflags - change m's flags and keywords (IMAPF_RECENT ignored):
 * mode 0 sets them, 1 adds them, -1 removes them; renames its file.  When
 * another session renamed the file meanwhile, the change is applied to
 * the flags the file has now (nobody's change is lost) and m takes them.
 * 0, or -1 with errno (ENOENT: expunged meanwhile).
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
 * message whose file another session renamed is looked at again: it goes
 * only if it is still \Deleted (else its new flags are reported).
 * 0 or -1.
 */
struct seqset;
int mbox_expunge(struct mbox *mb, const struct seqset *uids,
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

/** mbox_path - "<dir>/cur/<name>" of m into out. 0 or -1 (too long). */
int mbox_path(const struct mbox *mb, const struct msg *m, char *out,
    size_t len);

/** mbox_create - make the folder directory dir (cur, new, tmp and a
 * maildirfolder file).  0 or -1 (EEXIST when it exists). */
int mbox_create(const char *dir);

#endif
