/* cdbq.c - tinycdb behind one small interface (see cdbq.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "cdbq.h"

int
cdbq_open(struct cdbq *q, const char *path)
{
    int e;

    q->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (q->fd == -1)
        return -1;
    if (cdb_init(&q->c, q->fd) == -1) {
        e = errno ? errno : EPROTO;
        close(q->fd);
        q->fd = -1;
        errno = e;
        return -1;
    }
    return 0;
}

int
cdbq_find(struct cdbq *q, const void *key, size_t klen, struct sa *val)
{
    unsigned vlen, vpos;
    const void *p;
    int r;

    if (klen > 0xffffffffu) {
        errno = E2BIG;
        return -1;
    }
    r = cdb_find(&q->c, key, (unsigned)klen);
    if (r < 0) {
        errno = EPROTO;
        return -1;
    }
    if (r == 0)
        return 0;
    vpos = cdb_datapos(&q->c);
    vlen = cdb_datalen(&q->c);
    if (vlen > val->max) {
        errno = E2BIG;
        return -1;
    }
    p = cdb_get(&q->c, vlen, vpos);
    if (p == NULL) {
        errno = EPROTO;
        return -1;
    }
    if (sa_copy(val, p, vlen) == -1)
        return -1;
    return 1;
}

void
cdbq_close(struct cdbq *q)
{
    if (q->fd != -1) {
        cdb_free(&q->c);
        close(q->fd);
        q->fd = -1;
    }
}
