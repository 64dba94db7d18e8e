/* mindex.c - a mailbox's binary index (see mindex.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imap.h"
#include "mindex.h"

static const char magic[8] = "FXIDX01\n";

/* The kernel's id of this boot: an index written in another boot may
 * have lost pages in a crash, so it is not trusted.  "" when unknown
 * (then no index is trusted: each session looks at the directories). */
static const char *
boot_id(void)
{
    static char id[40];
    static int done;

    if (!done) {
        int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        ssize_t r = fd == -1 ? -1 : read(fd, id, sizeof id - 1);
        if (fd != -1)
            close(fd);
        id[r > 0 ? r : 0] = 0;
        if (r > 0 && id[r - 1] == '\n')
            id[r - 1] = 0;
        done = 1;
    }
    return id;
}

static int
ix_path(char *out, size_t len, const char *dir, const char *suffix)
{
    int r = snprintf(out, len, "%s/%s%s", dir, IX_FILE, suffix);
    if (r < 0 || (size_t)r >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

void
ix_close(struct ix *ix)
{
    if (ix->map != NULL)
        munmap(ix->map, ix->len);
    if (ix->fd != -1)
        close(ix->fd);
    memset(ix, 0, sizeof *ix);
    ix->fd = -1;
}

/* Do the header's sizes describe a file of len bytes? */
static int
hdr_ok(const struct ixhdr *h, size_t len)
{
    uint64_t want = (uint64_t)IX_HDR + (uint64_t)h->cap * sizeof(struct ixrec)
        + h->names_cap;

    return memcmp(h->magic, magic, sizeof magic) == 0 && want == len
        && h->count <= h->cap && h->names_len <= h->names_cap
        && h->boot[sizeof h->boot - 1] == 0 && boot_id()[0] != 0
        && strcmp(h->boot, boot_id()) == 0 && h->validity != 0;
}

int
ix_open(struct ix *ix, const char *dir)
{
    char path[IMAP_MAILBOX_MAX * 2 + 48];
    struct stat st;
    void *map;
    int fd;

    memset(ix, 0, sizeof *ix);
    ix->fd = -1;
    if (ix_path(path, sizeof path, dir, "") == -1)
        return -1;
    fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1)
        return errno == ENOENT || errno == EACCES ? 0 : -1;
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size < IX_HDR
        || (uint64_t)st.st_size > IX_SIZE_MAX) {
        close(fd);
        return 0;
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
        fd, 0);
    if (map == MAP_FAILED) {
        close(fd);
        return -1;
    }
    ix->fd = fd;
    ix->map = map;
    ix->len = (size_t)st.st_size;
    ix->dev = st.st_dev;
    ix->ino = st.st_ino;
    if (!hdr_ok(ix_hdr(ix), ix->len)) {
        ix_close(ix);
        return 0;
    }
    ix->checked = 0;
    (void)ix_count(ix);
    if (ix->bad) {
        ix_close(ix);
        return 0;
    }
    return 1;
}

int
ix_stale(const struct ix *ix, const char *dir)
{
    char path[IMAP_MAILBOX_MAX * 2 + 48];
    struct stat st;

    if (ix->map == NULL)
        return 1;
    if (ix_path(path, sizeof path, dir, "") == -1 || stat(path, &st) == -1)
        return !ix->anon; /* gone: another session is writing it anew */
    return ix->anon || st.st_dev != ix->dev || st.st_ino != ix->ino;
}

uint32_t
ix_count(struct ix *ix)
{
    struct ixhdr *h = ix_hdr(ix);
    uint32_t c = __atomic_load_n(&h->count, __ATOMIC_ACQUIRE);
    uint32_t nl = __atomic_load_n(&h->names_len, __ATOMIC_ACQUIRE);

    if (c > h->cap || nl > h->names_cap) {
        ix->bad = 1;
        return ix->checked;
    }
    /* records published since the last call: well formed, in UID order */
    for (; ix->checked < c; ix->checked++) {
        const struct ixrec *r = ix_rec(ix, ix->checked);
        if (r->uid == 0 || (uint64_t)r->name + r->baselen > nl
            || r->baselen == 0
            || (ix->checked > 0 && ix_rec(ix, ix->checked - 1)->uid >= r->uid)) {
            ix->bad = 1;
            break;
        }
    }
    return ix->checked;
}

long
ix_find(struct ix *ix, uint32_t uid, uint32_t *hint)
{
    uint32_t n = ix_count(ix), lo = 0, hi = n;

    if (hint != NULL) {
        uint32_t h = *hint;
        if (h < n && ix_rec(ix, h)->uid == uid)
            return h;
        if (h + 1 < n && ix_rec(ix, h + 1)->uid == uid) {
            *hint = h + 1;
            return h + 1;
        }
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t u = ix_rec(ix, mid)->uid;
        if (u == uid) {
            if (hint != NULL)
                *hint = mid;
            return mid;
        }
        if (u < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const char *
ix_base(const struct ix *ix, const struct ixrec *r)
{
    return ix->map + IX_HDR + (size_t)ix_hdr(ix)->cap * sizeof(struct ixrec)
        + r->name;
}

/* The size a base name records (",W=<digits>" before any ':'). */
static uint64_t
base_size(const char *b, size_t n)
{
    size_t i;

    for (i = 0; i + 3 < n; i++)
        if (memcmp(b + i, ",W=", 3) == 0 && b[i + 3] >= '0' && b[i + 3] <= '9') {
            uint64_t s = 0;
            for (i += 3; i < n && b[i] >= '0' && b[i] <= '9'; i++) {
                if (s > UINT64_MAX / 10 - 10)
                    return UINT64_MAX;
                s = s * 10 + (uint64_t)(b[i] - '0');
            }
            return s;
        }
    return UINT64_MAX;
}

static void
fill_rec(struct ixrec *r, const struct ixent *e, uint32_t name)
{
    memset(r, 0, sizeof *r);
    r->uid = e->uid;
    r->flags = (uint16_t)(e->flags & (IXF_SYS | IXF_INNEW | IXF_WHOLE
                                         | IXF_FRESH));
    r->baselen = (uint16_t)e->baselen;
    r->kw = e->kw;
    r->name = name;
    r->size = base_size(e->base, e->baselen);
    r->mtime = -1;
}

int
ix_write(struct ix *ix, const char *dir, const struct ixent *e, size_t n,
    struct ix *old, uint32_t validity, uint32_t uidnext)
{
    char path[IMAP_MAILBOX_MAX * 2 + 48], tmp[IMAP_MAILBOX_MAX * 2 + 48];
    uint64_t names = 0, size, modseq = 1, epoch = 0;
    uint32_t cap, ncap, hint = 0;
    struct ixhdr *h;
    struct stat st;
    size_t i, off = 0;
    void *map;
    int fd = -1, err;

    for (i = 0; i < n; i++) {
        if (e[i].baselen == 0 || e[i].baselen > UINT16_MAX) {
            errno = EINVAL;
            return -1;
        }
        names += e[i].baselen;
    }
    cap = (uint32_t)(n + n / 2 < IX_RECS_MIN ? IX_RECS_MIN : n + n / 2);
    ncap = (uint32_t)(names + names / 2 < IX_NAMES_MIN ? IX_NAMES_MIN
                                                          : names + names / 2);
    size = (uint64_t)IX_HDR + (uint64_t)cap * sizeof(struct ixrec) + ncap;
    if (size > IX_SIZE_MAX || n > UINT32_MAX / 2) {
        errno = EFBIG;
        return -1;
    }
    if (ix_path(path, sizeof path, dir, "") == -1
        || ix_path(tmp, sizeof tmp, dir, ".tmp") == -1)
        return -1;
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    map = MAP_FAILED;
    if (fd != -1 && (err = posix_fallocate(fd, 0, (off_t)size)) == 0)
        map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
            0);
    if (map == MAP_FAILED) {
        /* no file: this session's own copy, in memory */
        if (fd != -1) {
            close(fd);
            unlink(tmp);
            fd = -1;
        }
        map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (map == MAP_FAILED)
            return -1;
    }
    h = map;
    memset(h, 0, IX_HDR);
    if (old != NULL && old->map != NULL && !old->bad
        && ix_hdr(old)->validity == validity) {
        epoch = ix_hdr(old)->epoch;
        modseq = ix_hdr(old)->modseq;
    } else {
        old = NULL;
    }
    if (epoch == 0)
        while (getrandom(&epoch, sizeof epoch, 0) != sizeof epoch || epoch == 0)
            ;
    for (i = 0; i < n; i++) {
        struct ixrec *r = (struct ixrec *)(void *)((char *)map + IX_HDR) + i;
        char *nm = (char *)map + IX_HDR + (size_t)cap * sizeof *r + off;
        long k = old != NULL ? ix_find(old, e[i].uid, &hint) : -1;
        memcpy(nm, e[i].base, e[i].baselen);
        fill_rec(r, &e[i], (uint32_t)off);
        off += e[i].baselen;
        if (k >= 0) {
            const struct ixrec *o = ix_rec(old, (uint32_t)k);
            const unsigned m = IXF_SYS | IXF_INNEW | IXF_WHOLE;
            int same_file = o->baselen == r->baselen
                && memcmp(ix_base(old, o), nm, r->baselen) == 0;
            if (same_file) {
                if (r->size == UINT64_MAX)
                    r->size = __atomic_load_n(&o->size, __ATOMIC_RELAXED);
                r->mtime = __atomic_load_n(&o->mtime, __ATOMIC_RELAXED);
                r->flags |= o->flags & IXF_FRESH; /* still unshown */
            }
            if (same_file && o->kw == r->kw && !(o->flags & IXF_GONE)
                && (o->flags & m) == (r->flags & m))
                r->modseq = o->modseq;
        }
        if (r->modseq == 0)
            r->modseq = ++modseq;
        if (r->flags & IXF_INNEW)
            h->ninnew++;
        if (r->flags & IXF_FRESH)
            h->nfresh++;
    }
    memcpy(h->magic, magic, sizeof magic);
    h->validity = validity;
    h->uidnext = uidnext;
    h->cap = cap;
    h->count = (uint32_t)n;
    h->names_cap = ncap;
    h->names_len = (uint32_t)off;
    h->modseq = modseq;
    h->epoch = epoch;
    snprintf(h->boot, sizeof h->boot, "%s", boot_id());
    if (fd != -1) {
        if (rename(tmp, path) == -1 || fstat(fd, &st) == -1) {
            munmap(map, (size_t)size);
            close(fd);
            unlink(tmp);
            return -1;
        }
    }
    ix_close(ix);
    ix->fd = fd;
    ix->map = map;
    ix->len = (size_t)size;
    ix->anon = fd == -1;
    if (fd != -1) {
        ix->dev = st.st_dev;
        ix->ino = st.st_ino;
    }
    ix->checked = 0;
    (void)ix_count(ix);
    return 0;
}

void
ix_touch(struct ix *ix, struct ixrec *r)
{
    struct ixhdr *h = ix_hdr(ix);
    uint64_t m = h->modseq + 1;

    __atomic_store_n(&r->modseq, m, __ATOMIC_RELAXED);
    __atomic_store_n(&h->modseq, m, __ATOMIC_RELEASE);
}

int
ix_append(struct ix *ix, const struct ixent *e)
{
    struct ixhdr *h = ix_hdr(ix);
    uint32_t c = ix_count(ix);
    struct ixrec *r;

    if (ix->bad || c != h->count || e->baselen == 0 || e->baselen > UINT16_MAX
        || (c > 0 && ix_rec(ix, c - 1)->uid >= e->uid)) {
        errno = EINVAL;
        return -1;
    }
    if (c == h->cap || (uint64_t)h->names_len + e->baselen > h->names_cap) {
        errno = ENOSPC;
        return -1;
    }
    r = ix_rec(ix, c);
    memcpy(ix->map + IX_HDR + (size_t)h->cap * sizeof *r + h->names_len,
        e->base, e->baselen);
    fill_rec(r, e, h->names_len);
    r->modseq = h->modseq + 1;
    if (e->flags & IXF_INNEW)
        h->ninnew++;
    if (e->flags & IXF_FRESH)
        h->nfresh++;
    if (e->uid >= h->uidnext)
        h->uidnext = e->uid + 1;
    __atomic_store_n(&h->names_len, h->names_len + (uint32_t)e->baselen,
        __ATOMIC_RELEASE);
    __atomic_store_n(&h->modseq, h->modseq + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&h->count, c + 1, __ATOMIC_RELEASE);
    (void)ix_count(ix);
    return 0;
}
