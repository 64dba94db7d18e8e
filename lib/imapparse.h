/* imapparse.h - reading the arguments of one IMAP command (RFC 3501 9).
 *
 * imapd's reader assembles a whole command first: the line, and for each
 * literal announced at a line's end ("{n}" or LITERAL+'s "{n+}") the CRLF
 * and the n bytes, then the next line, up to the final line's CRLF (which
 * is not kept).  This module takes that buffer apart; it never does I/O,
 * so it can be fuzzed as a pure function.  It checks every literal's
 * length against what is left in the buffer all the same.
 *
 * Functions return 1 when they took what was asked for, 0 when the next
 * bytes are something else (nothing consumed), -1 for a syntax error or a
 * limit (nothing useful consumed; the caller answers BAD).  Strings are
 * copied into a caller's buffer NUL-terminated; a string with a NUL
 * inside (possible in a literal) is refused where a C string is wanted.
 */
#ifndef MAIL_IMAPPARSE_H
#define MAIL_IMAPPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "imap.h"

struct imapp {
    const char *p;
    size_t n;
    size_t pos;
};

/* A sequence set: ranges lo..hi with lo <= hi; IMAP_STAR stands for "*"
 * (the largest number in use), resolved by seqset_resolve.  64 bits, so
 * that "*" is apart from 4294967295, a valid number (RFC 3501 9); after
 * resolving, every value fits in 32 bits. */
#define IMAP_STAR UINT64_MAX
struct seqset {
    uint64_t lo[IMAP_SEQSET_MAX], hi[IMAP_SEQSET_MAX];
    unsigned n;
    int merged;   /* sorted and merged by seqset_merge */
};

void imapp_init(struct imapp *ip, const char *p, size_t n);
/** imapp_peek - the next byte, or -1 at the end. */
int imapp_peek(const struct imapp *ip);
/** imapp_end - 1 when everything has been read. */
int imapp_end(const struct imapp *ip);
/** imapp_char - take c if it is next (1) or not (0). */
int imapp_char(struct imapp *ip, char c);
/** imapp_sp - take one space: 1, or -1 when something else is next. */
int imapp_sp(struct imapp *ip);

/** imapp_atom - an atom (1*ATOM-CHAR), left in the buffer: *s, *len. */
int imapp_atom(struct imapp *ip, const char **s, size_t *len);
/** imapp_flag - a flag: an atom, or "\" and an atom (\Seen). */
int imapp_flag(struct imapp *ip, const char **s, size_t *len);

/**
 * imapp_astring - atom, quoted string or literal, copied to out (max
 * bytes with the NUL) and its length in *len.  -1 when longer than
 * max - 1 or holding a NUL.
 */
int imapp_astring(struct imapp *ip, char *out, size_t max, size_t *len);
/** imapp_string - quoted string or literal only (no atom). */
int imapp_string(struct imapp *ip, char *out, size_t max, size_t *len);
/**
 * imapp_string_ref - a literal left in place (for APPEND's message,
 * which may be large): 1 with *s and *len pointing into the buffer, 0
 * when the next token is not a literal.
 */
int imapp_string_ref(struct imapp *ip, const char **s, size_t *len);

/** imapp_number - a number (1*DIGIT) that fits in 32 bits. */
int imapp_number(struct imapp *ip, uint32_t *u);
/** imapp_number64 - a number up to 2^63 - 1. */
int imapp_number64(struct imapp *ip, uint64_t *u);

/**
 * imapp_seqset - a sequence set ("1:4,7,9:*").  0 numbers are refused;
 * a range is stored low..high whatever order it was written in; more
 * than IMAP_SEQSET_MAX ranges is -1.
 */
int imapp_seqset(struct imapp *ip, struct seqset *set);

/**
 * seqset_resolve - replace IMAP_STAR by max and put each range in order
 * again (an empty mailbox makes "*" 0: such a range then matches
 * nothing).  Ranges are never expanded into numbers.
 */
void seqset_resolve(struct seqset *set, uint32_t max);
/**
 * seqset_merge - sort the (resolved) ranges and merge those that overlap
 * or touch, so that walking the set visits each number once: a client's
 * "1:*,1:*,..." must not cost 4096 walks of the mailbox.
 */
void seqset_merge(struct seqset *set);
/** seqset_has - 1 when u is in the (resolved) set; a binary search when
 * the set is merged, else a look at every range. */
int seqset_has(const struct seqset *set, uint32_t u);

/**
 * imapp_date - a date "d-Mon-yyyy" (quoted or not): days since 1970-01-01.
 * imapp_datetime - a quoted date-time "dd-Mon-yyyy hh:mm:ss +zzzz":
 * seconds since the epoch (UTC).
 */
int imapp_date(struct imapp *ip, int64_t *days);
int imapp_datetime(struct imapp *ip, int64_t *t);

/** imap_tag_ok - a tag: 1..IMAP_TAG_MAX ASTRING-CHARs but '+'. */
int imap_tag_ok(const char *s, size_t n);

/** imap_days_from_civil - days since 1970-01-01 of y-m-d (proleptic
 * Gregorian). */
int64_t imap_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
