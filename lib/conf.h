/* conf.h - the configuration directory and its one-line files.
 *
 * FACTEUR_CONF names the directory (default /etc/facteur).  Settings that
 * are one value (queuedir, mailroot, hostname, sizelimit, ...) are files
 * of one line, as in qmail's control/ (the line end is not part of it).
 */
#ifndef MAIL_CONF_H
#define MAIL_CONF_H

#include <stddef.h>

#define CONF_DEFAULT "/etc/facteur"

/** conf_dir - $FACTEUR_CONF, or CONF_DEFAULT when unset or empty. */
const char *conf_dir(void);

/**
 * conf_line - the first line of <conf_dir>/<name> into out (len bytes).
 * Returns 1 read, 0 the file does not exist, -1 with errno (unreadable,
 * empty: EINVAL, longer than out: ERANGE).
 */
int conf_line(const char *name, char *out, size_t len);

#endif
