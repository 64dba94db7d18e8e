/* imapsearch.h - IMAP SEARCH programs (RFC 3501 6.4.4): parse once,
 * match against each message.
 *
 * SEARCH (and UID SEARCH) names its criteria as a little expression
 * language: keys ANDed by juxtaposition, parenthesised lists, NOT and OR.
 * imapd parses it once into a tree of at most SEARCH_KEYS_MAX nodes,
 * nested at most IMAP_DEPTH_MAX deep, then runs it over every message.
 * Sequence sets and UID sets are resolved when parsing (what "*" means is
 * fixed for the duration of the command), so matching needs no mailbox.
 *
 * A message is described by what imapd knows without opening its file
 * (flags, size, internal date, numbers); the file is parsed only when a
 * key needs it (HEADER, BODY, TEXT, FROM, TO, CC, BCC, SUBJECT, SENT*),
 * through the load() callback, once per message at most, and not at all
 * when the cheap keys of an AND already decide.  The RETURN options of
 * RFC 4731 are the session's business, not this module's.
 */
#ifndef MAIL_IMAPSEARCH_H
#define MAIL_IMAPSEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "imap.h"
#include "imapparse.h"

/* Keys in one SEARCH program, all levels (lists, NOT and OR count). */
#define SEARCH_KEYS_MAX 256

struct imapmsg;
struct search;

/* The mailbox, for parsing. */
struct search_env {
    uint32_t maxseq, maxuid; /* what "*" means in sequence / UID sets */
    /* the keyword's index 0..IMAP_KEYWORDS_MAX-1, or -1 when the mailbox
     * has no such keyword; NULL: no keywords at all */
    int (*keyword)(void *arg, const char *name, size_t len);
    void *arg;
};

/* One message, for matching. */
struct search_msg {
    uint32_t seq, uid;
    unsigned flags;          /* IMAPF_* of imap.h, with IMAPF_RECENT */
    uint32_t keywords;       /* bit i set: keyword i */
    int64_t internaldate;    /* seconds since the epoch, UTC */
    uint64_t size;           /* RFC822.SIZE */
    /* the parsed message, called only when a key needs it and at most
     * once per search_match; NULL when unreadable (those keys then do
     * not match) */
    const struct imapmsg *(*load)(void *arg);
    void *arg;
};

/* search_parse's *err */
#define SEARCH_ESYNTAX 1  /* syntax or a limit: BAD with *errtext */
#define SEARCH_ECHARSET 2 /* NO [BADCHARSET (UTF-8 US-ASCII)] */
#define SEARCH_ENOMEM 3

/**
 * search_parse - "[CHARSET astring SP] search-key *(SP search-key)" from
 * ip's position up to the end of its buffer.
 * @env: the mailbox ("*", keyword names)
 * Returns the program, or NULL with *err one of SEARCH_E* and *errtext a
 * short text for the client (static).
 * Constraints: exactly one space between keys and arguments; key names
 * are case-insensitive; at most SEARCH_KEYS_MAX keys, IMAP_DEPTH_MAX
 * levels.  KEYWORD \Seen and the like mean the system flag (as Dovecot
 * does); a keyword the mailbox lacks matches no message.
 */
struct search *search_parse(struct imapp *ip, const struct search_env *env,
    int *err, const char **errtext);

/** search_match - 1 when the message matches, 0 when not. */
int search_match(const struct search *s, const struct search_msg *m);

/** search_needs_message - 1 when some key may need m->load(). */
int search_needs_message(const struct search *s);

/**
 * search_uses_date, search_uses_size - 1 when some key compares the
 * internal date (BEFORE, ON, SINCE) or the size (LARGER, SMALLER): the
 * caller may leave those fields 0 otherwise, and spare a stat or a read
 * per message.
 */
int search_uses_date(const struct search *s);
int search_uses_size(const struct search *s);

/** search_free - release a program (NULL is fine). */
void search_free(struct search *s);

#endif
