/* conf.h - the configuration directory and its one-line files.
 *
 * FACTEUR_CONF names the directory (default /etc/facteur).  Settings that
 * are one value (queuedir, mailroot, hostname, sizelimit, ...) are files
 * of one line, as in qmail's control/ (the line end is not part of it).
 */
#ifndef MAIL_CONF_H
#define MAIL_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_DEFAULT "/etc/facteur"

/** conf_dir - $FACTEUR_CONF, or CONF_DEFAULT when unset or empty, or
 * when the program runs setuid or setgid (the caller does not choose). */
const char *conf_dir(void);

/**
 * conf_line - the first line of <conf_dir>/<name> into out (len bytes).
 * Returns 1 read, 0 the file does not exist, -1 with errno (unreadable,
 * empty: EINVAL, longer than out: ERANGE).
 */
int conf_line(const char *name, char *out, size_t len);

/**
 * conf_hostname - this host's mail name: the file hostname, else the
 * system's name; lower-cased and checked as a DNS name (dnsname.h).
 * Returns 0, or -1 with errno (unreadable, EINVAL not a name).
 */
int conf_hostname(char *out, size_t len);

/**
 * conf_env_num - the number in environment variable name, within min to
 * max, else def (an unset or malformed value; a malformed one is
 * logged).  For the tunables a run script sets (timeouts, limits).
 */
long conf_env_num(const char *name, long def, long min, long max);

/* Where the services keep state between connections: authfail/ (the
 * submissiond and imapd monitors), mta-sts/ (remote-send's cache). */
#define CONF_STATEDIR_DEFAULT "/var/lib/facteur"

/**
 * conf_statedir - the file statedir, or CONF_STATEDIR_DEFAULT when it is
 * absent, empty, unreadable or longer than len - 1 bytes.
 */
void conf_statedir(char *out, size_t len);

/* conf_list: the longest line and the most lines of a list file. */
#define CONF_LIST_LINE_MAX 255
#define CONF_LIST_MAX 10000

/**
 * conf_list - call fn(item, arg) for each item of the file name of the
 * configuration directory, a list of one item a line (blank lines and
 * lines starting with '#' skipped, spaces around an item ignored), until
 * fn returns nonzero.  The whole file is checked first, so that a
 * damaged file is noticed, never read in part.  Returns what fn last
 * returned (0 when it never did), 0 for no such file, -1 with errno
 * (unreadable; EINVAL: a line longer than CONF_LIST_LINE_MAX bytes, a
 * NUL byte, or more than CONF_LIST_MAX lines).
 */
int conf_list(const char *name, int (*fn)(const char *item, void *arg),
    void *arg);

/* The message size limit when the file sizelimit does not say. */
#define CONF_SIZELIMIT_DEFAULT 52428800ULL

/**
 * conf_sizelimit - the file sizelimit (bytes, a positive decimal number),
 * or CONF_SIZELIMIT_DEFAULT when it is absent.  0, or -1 with errno
 * (EINVAL: malformed).
 */
int conf_sizelimit(uint64_t *limit);

#endif
