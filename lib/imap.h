/* imap.h - constants shared by imapd's modules (flags, named limits).
 *
 * Flags of a message as imapd keeps them: the five system flags of
 * RFC 3501 that Maildir stores in a file name's info (":2,DFRST", letters
 * in ASCII order), \Recent (never stored: one session's view), and up to
 * IMAP_KEYWORDS_MAX keywords, stored as the letters a..z as Dovecot does,
 * with the names in the mailbox's dovecot-keywords file.
 */
#ifndef MAIL_IMAP_H
#define MAIL_IMAP_H

#include <stdint.h>

#define IMAPF_SEEN     0x01u  /* S */
#define IMAPF_ANSWERED 0x02u  /* R (replied) */
#define IMAPF_FLAGGED  0x04u  /* F */
#define IMAPF_DELETED  0x08u  /* T (trashed) */
#define IMAPF_DRAFT    0x10u  /* D */
#define IMAPF_RECENT   0x20u  /* not in the file name */

/* Keywords per mailbox: one Maildir letter each (a..z). */
#define IMAP_KEYWORDS_MAX 26
/* A keyword or flag name (an atom). */
#define IMAP_KEYWORD_LEN_MAX 64

/* A command line without its literals; a tag. */
#define IMAP_LINE_MAX 8192
#define IMAP_TAG_MAX 64
/* A whole command with its literals, APPEND's message excepted. */
#define IMAP_COMMAND_MAX 65536
/* Parenthesised lists and SEARCH expressions nested this deep at most. */
#define IMAP_DEPTH_MAX 16
/* Ranges in one sequence set (a client sends "1,3,5:9,..."). */
#define IMAP_SEQSET_MAX 4096
/* A mailbox name (UTF-8, after decoding modified UTF-7). */
#define IMAP_MAILBOX_MAX 512
/* Folders a user may have. */
#define IMAP_FOLDERS_MAX 4096

#endif
