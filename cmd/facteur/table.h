/* table.h - the admin command's text tables and their cdb forms.
 *
 * Each table is a text file under $FACTEUR_CONF that an admin may also
 * edit by hand, and a cdb compiled from it that the services read:
 *
 *   domains     one domain a line                 domains.cdb: domain -> ""
 *   users       address:hash[:maildir]           users.cdb: address ->
 *                                                  hash \0 maildir
 *   aliases     address: target, target...       aliases.cdb: address ->
 *               (address "@domain": catch-all)     target \0 target \0 ...
 *
 * '#' starts a comment line.  Keys are canonical (addr.h, dnsname.h).
 * Both files are replaced by writing a new file, fsync, rename, fsync of
 * the directory, so a service never sees half a table; admin commands
 * take a lock on $FACTEUR_CONF/.lock so two never interleave.
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

struct table {
    const char *name; /* "domains", "users", "aliases" */
    struct row *rows;
    size_t n, cap;
};

/** table_lock - serialize admin commands.  0 or -1. */
int table_lock(const char *conf);

/**
 * table_load - read $conf/<name> (a missing file is an empty table).
 * Checks every line; returns 0, or -1 with a message in err (file:line:
 * what is wrong).
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

/** table_free - release everything (wiping: user rows hold hashes). */
void table_free(struct table *t);

#endif
