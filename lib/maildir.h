/* maildir.h - where a mailbox lives, and making it.
 *
 * A mailbox's Maildir is the override from mailboxes.cdb when it is an
 * absolute path, else <mailroot>/<domain>/<local>/ with mailroot from
 * $FACTEUR_CONF/mailroot (DESIGN.md).  The local part is written as one
 * safe path component: bytes other than letters, digits, '+', '-', '_'
 * and non-leading dots become %XX, so no address can name a path outside
 * the mail root.  local-deliver delivers there, checkpassword makes it
 * the user's home.
 */
#ifndef MAIL_MAILDIR_H
#define MAIL_MAILDIR_H

#include <stddef.h>

#define MAILDIR_PATH_MAX 4096

/**
 * maildir_path - the Maildir of mailbox user (local@domain, as the
 * table's key) with override (the mailboxes.cdb value, may be "").
 * 0, or -1 with errno (mailroot missing or not absolute: EINVAL; too
 * long: ENAMETOOLONG).
 */
int maildir_path(const char *user, const char *override, char *out,
    size_t outlen);

/**
 * maildir_make - create dir (and missing parents, mode 0700) with its
 * tmp/, new/ and cur/.  0, or -1 with errno.
 */
int maildir_make(const char *dir);

#endif
