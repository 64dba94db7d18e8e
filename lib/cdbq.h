/* cdbq.h - read-only lookups in a constant database (tinycdb).
 *
 * Every facteur table is a cdb compiled from text and put in place with an
 * atomic rename, so a reader holds either the old file or the new one.
 * Open a table once per connection or per lookup batch: the open file
 * stays valid even if it is replaced meanwhile.
 */
#ifndef MAIL_CDBQ_H
#define MAIL_CDBQ_H

#include <cdb.h>
#include <stddef.h>

#include "sa.h"

struct cdbq {
    int fd;
    struct cdb c;
};

/**
 * cdbq_open - open the table at path (close on exec).  Returns 0, or -1
 * with errno (ENOENT when missing: callers treat a missing table as a
 * temporary failure, never as an empty one).
 */
int cdbq_open(struct cdbq *q, const char *path);

/**
 * cdbq_find - look key up and copy its first value into val (replacing
 * val's content, subject to val's cap).  Returns 1 found, 0 not found, -1
 * with errno (EPROTO for a corrupt table, E2BIG when the value exceeds
 * val->max).
 */
int cdbq_find(struct cdbq *q, const void *key, size_t klen, struct sa *val);

/** cdbq_close - release the table. */
void cdbq_close(struct cdbq *q);

#endif
