/* cdbq_test.c - lookups through the tinycdb wrapper. */
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdbq.h"
#include "tap.h"

int
main(void)
{
    char path[] = "/tmp/cdbq_testXXXXXX";
    struct cdb_make cm;
    struct cdbq q;
    struct sa v = SA_INIT(8);
    int fd, r;

    fd = mkstemp(path);
    if (fd == -1)
        return 1;
    cdb_make_start(&cm, fd);
    cdb_make_add(&cm, "alice@example.org", 17, "ok", 2);
    cdb_make_add(&cm, "big", 3, "0123456789", 10);
    cdb_make_add(&cm, "empty", 5, "", 0);
    cdb_make_finish(&cm);
    close(fd);

    ok(cdbq_open(&q, path) == 0, "open");
    r = cdbq_find(&q, "alice@example.org", 17, &v);
    ok(r == 1 && v.len == 2 && memcmp(v.s, "ok", 2) == 0, "found");
    ok(cdbq_find(&q, "bob@example.org", 15, &v) == 0, "not found");
    errno = 0;
    ok(cdbq_find(&q, "big", 3, &v) == -1 && errno == E2BIG,
        "value over the cap refused");
    ok(cdbq_find(&q, "empty", 5, &v) == 1 && v.len == 0, "empty value");
    cdbq_close(&q);
    unlink(path);
    errno = 0;
    ok(cdbq_open(&q, path) == -1 && errno == ENOENT,
        "missing table is an error, not an empty table");
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    (void)!write(fd, "garbage", 7);
    close(fd);
    ok(cdbq_open(&q, path) == -1, "truncated table refused");
    unlink(path);
    sa_free(&v);
    return done();
}
