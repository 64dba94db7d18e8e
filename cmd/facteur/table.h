/* table.h - the admin command's text tables and their cdb forms.
 *
 * Each table is a text file under $FACTEUR_CONF that an admin may also
 * edit by hand, and a cdb compiled from it that the services read:
 *
 *   domains     one domain a line                 domains.cdb: domain -> ""
 *   users       address:hash[:maildir]           users.cdb: address ->
 *                                                  hash \0 maildir (0640)
 *                                                mailboxes.cdb: address ->
 *                                                  maildir or "" (0644: no
 *                                                  hash, for smtpd and
 *                                                  local-deliver)
 *   aliases     address: target, target...       aliases.cdb: address ->
 *               (address "@domain": catch-all)     target \0 target \0 ...
 *   routes      domain: host:port tls=policy      routes.cdb: domain ->
 *               [auth=user pass=base64]            host \0 port \0 policy \0
 *               (domain "*": the smarthost)        user \0 password \0
 *
 * The routes format, for remote-send, is lib/route.h's: host as given (a
 * name or [address literal], no MX lookup), port 465 implicit TLS and
 * any other STARTTLS, policy none|may|encrypt|verify, auth only with
 * encrypt or verify; user and password are empty in the cdb without
 * auth.  The password is base64 in the text file only so that any byte
 * but NUL and LF survives a line; the cdb holds its bytes.
 *
 * '#' starts a comment line.  Keys are canonical (addr.h, dnsname.h).
 * Both files are replaced by writing a new file, fsync, rename, fsync of
 * the directory, so a service never sees half a table; admin commands
 * take a lock on $FACTEUR_CONF/.lock so two never interleave.  users and
 * routes hold secrets (hashes, passwords): their text files are 0600 and
 * their cdbs 0640 (root's group; the services that read them run as root
 * or get the group), the others 0644.
 * Limits: TABLE_LINE_MAX bytes a line, TABLE_LINES_MAX lines.
 */
#ifndef FACTEUR_TABLE_H
#define FACTEUR_TABLE_H

#include <stddef.h>

#include "sa.h"

#define TABLE_LINE_MAX 4096
#define TABLE_LINES_MAX 1000000

struct row {
    char *key;
    char *val; /* the rest of the line after the separator, as stored */
};

/* Every table, in the order they are created. */
#define TABLE_COUNT 4
extern const char *const table_names[TABLE_COUNT];

struct table {
    const char *name; /* one of table_names */
    struct row *rows;
    size_t n, cap;
};

/** table_lock - serialize admin commands.  0 or -1. */
int table_lock(const char *conf);

/**
 * table_load - read $conf/<name> (a missing file is an empty table).
 * Checks every line; returns 0, or -1 with a message in err (file:line:
 * what is wrong) and errno EINVAL for a malformed line, else the failed
 * system call's.
 */
int table_load(struct table *t, const char *conf, char *err, size_t errlen);

/** table_find - the row with key, or NULL. */
struct row *table_find(struct table *t, const char *key);

/** table_set - add or replace a row (copies key and val).  0 or -1. */
int table_set(struct table *t, const char *key, const char *val);

/** table_del - remove the row with key; 1 if it was there, else 0. */
int table_del(struct table *t, const char *key);

/**
 * table_save - write the text file and compile the cdb, each atomically.
 * 0, or -1 with errno.
 */
int table_save(const struct table *t, const char *conf);

/**
 * table_targets - the comma-separated targets of an alias value (n bytes),
 * canonical, appended to list as text0.  Returns their number, or -1 when
 * one is not an address (errno EINVAL) or list is full.
 */
int table_targets(const char *val, size_t n, struct sa *list);

/**
 * table_compile - compile the cdb(s) of t (users also gives
 * mailboxes.cdb), each atomically, leaving the text file alone.  0, or
 * -1 with errno.
 */
int table_compile(const struct table *t, const char *conf);

/**
 * table_stale - was $conf/<name> changed after its cdb (or mailboxes.cdb
 * for users) was compiled, or is that cdb missing?  1 yes, 0 no (or no
 * text file).
 */
int table_stale(const char *conf, const char *name);

/**
 * table_ensure - make sure $conf/<name>.cdb exists and is not stale:
 * when it does not exist, compile it from the text file (a missing text
 * file: both empty); when the text file was edited after it, compile it
 * again (table_stale; the text is not rewritten).
 * Returns 1 made, 2 compiled again, 0 already there and current, -1 the
 * text file is malformed, -2 it cannot be read or the files cannot be
 * written; a message in err.
 */
int table_ensure(const char *conf, const char *name, char *err,
    size_t errlen);

/**
 * table_commit - make a file written on fd (open on tmp, in directory
 * dir) durable under its final name path: fsync, close, rename, fsync of
 * dir.  Closes fd and removes tmp on failure.  0, or -1 with errno.
 */
int table_commit(const char *dir, const char *tmp, const char *path,
    int fd);

/** table_free - release everything (wiping: user and route rows hold
 * secrets). */
void table_free(struct table *t);

#endif
