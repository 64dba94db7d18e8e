/* mutf7.h - IMAP mailbox names: modified UTF-7 (RFC 3501 5.1.3) and
 * UTF-8, and the Maildir++ folder directory that holds a mailbox.
 *
 * IMAP clients send mailbox names in modified UTF-7; imapd keeps them in
 * UTF-8 and stores each folder, as Dovecot and Courier do by default, in
 * the directory "." + the modified UTF-7 name under the Maildir root
 * ("Sent" is ".Sent", "a.b" is ".a.b", "Été" is ".&AMk-t&AOk-"), with
 * "." as the hierarchy separator.  INBOX is the Maildir root itself.
 *
 * Decoding is strict: each name has exactly one modified UTF-7 form, so
 * two spellings can never name one directory.  Refused (EINVAL): bytes
 * outside 0x20-0x7e, "&" without "-" or modified base64 after it, a run
 * without its closing "-", an encoded character that is ASCII (printable
 * ones must appear as themselves; control characters, NUL included, are
 * refused in mailbox names altogether), non-zero or excess padding bits,
 * two encoded runs side by side ("&AMk-&AOk-" is "&AMkA6Q-"), unpaired
 * UTF-16 surrogates.  Encoding refuses invalid UTF-8 (overlong forms,
 * surrogates, above U+10FFFF, truncated) and the control characters
 * U+0000-U+001F and U+007F.  The same rules hold both ways, so what one
 * function accepts the other turns back into exactly the original.
 */
#ifndef MAIL_MUTF7_H
#define MAIL_MUTF7_H

#include <stddef.h>

/* The longest input either conversion takes; far above any mailbox name,
 * it keeps every length within a long. */
#define MUTF7_IN_MAX (1UL << 24)

/* Upper bounds on the output length (without the NUL) for n input bytes:
 * UTF-8 to modified UTF-7 at most 5 bytes for 2 ("é" is "&AOk-"), the
 * other way at most 3 bytes for 8/3 base64 characters (one UTF-16 unit). */
#define MUTF7_ENCODED_MAX(n) ((n) * 5 / 2 + 1)
#define MUTF7_DECODED_MAX(n) ((n) + (n) / 8 + 1)

/* A folder directory name, "." included: NAME_MAX of the usual file
 * systems (ext4, xfs, tmpfs), and POSIX's _XOPEN_NAME_MAX. */
#define MUTF7_DIRNAME_MAX 255

/**
 * mutf7_decode - modified UTF-7 (n bytes at in) to UTF-8 in out (outlen
 * bytes), NUL terminated.
 *
 * Returns the UTF-8 length, or -1: EINVAL the input is not canonical
 * modified UTF-7 as described above (or n > MUTF7_IN_MAX), ERANGE the
 * input is valid but out is shorter than the result plus its NUL.  A
 * length of MUTF7_DECODED_MAX(n) + 1 is always enough.  EINVAL wins over
 * ERANGE whatever outlen is.  out may hold partial output after a failure.
 */
long mutf7_decode(char *out, size_t outlen, const char *in, size_t n);

/**
 * mutf7_encode - UTF-8 (n bytes at in) to modified UTF-7 in out (outlen
 * bytes), NUL terminated.
 *
 * Returns the encoded length, or -1: EINVAL invalid UTF-8 or a control
 * character (or n > MUTF7_IN_MAX), ERANGE the input is valid but out is
 * shorter than the result plus its NUL.  A length of MUTF7_ENCODED_MAX(n)
 * + 1 is always enough.  out may hold partial output after a failure.
 */
long mutf7_encode(char *out, size_t outlen, const char *in, size_t n);

/**
 * mutf7_valid_utf8 - 1 if the n bytes at in are well-formed UTF-8 (RFC
 * 3629: shortest forms, no surrogates, nothing above U+10FFFF), else 0.
 * Control characters, NUL included, are well-formed: mutf7_encode refuses
 * them itself.
 */
int mutf7_valid_utf8(const char *in, size_t n);

/**
 * mutf7_folder_dir - the Maildir++ directory name ("." + modified UTF-7)
 * of the folder named by the n UTF-8 bytes at utf8name, NUL terminated in
 * out (outlen bytes).
 *
 * Returns the directory name's length, or -1:
 *   EINVAL the name is not a safe folder name: empty, longer than
 *          IMAP_MAILBOX_MAX, an empty hierarchy level ("a..b", "a.", ".a",
 *          so no level is "." or ".." and the name starts with no "."),
 *          a "/", invalid UTF-8 or a control character (as mutf7_encode),
 *          INBOX in any case (the caller maps INBOX to the Maildir root
 *          itself), or a first level "inbox" in other than upper case
 *          ("inbox.x": the caller spells INBOX's children "INBOX.x" so
 *          that one mailbox has one directory);
 *   ENAMETOOLONG the directory name would exceed MUTF7_DIRNAME_MAX;
 *   ERANGE out is too short (MUTF7_DIRNAME_MAX + 1 is always enough).
 */
int mutf7_folder_dir(char *out, size_t outlen, const char *utf8name,
    size_t n);

/**
 * mutf7_folder_name - the inverse: the UTF-8 folder name held by the
 * directory named by the n bytes at dirname, NUL terminated in out
 * (outlen bytes).  ".Sent" gives "Sent".
 *
 * Returns the name's length, or -1: EINVAL dirname is not a folder
 * directory (".", "..", "cur", "new", "tmp", anything not starting with
 * ".", longer than MUTF7_DIRNAME_MAX, not canonical modified UTF-7, or
 * naming what mutf7_folder_dir refuses, ".INBOX" among them); ERANGE out
 * is too short (IMAP_MAILBOX_MAX + 1 is always enough).  What this
 * accepts, mutf7_folder_dir turns back into exactly dirname.
 */
long mutf7_folder_name(char *out, size_t outlen, const char *dirname,
    size_t n);

#endif
