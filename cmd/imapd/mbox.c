/* mbox.c - one IMAP mailbox over a Maildir++ folder (see mbox.h). */
#define _GNU_SOURCE /* memrchr */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "imapparse.h"
#include "log.h"
#include "mbox.h"

#define UIDLIST "facteur-uidlist"
#define UIDLOCK "facteur-uidlist.lock"
#define DOVECOT_UIDLIST "dovecot-uidlist"
#define COURIER_UIDDB "courierimapuiddb"
#define KEYWORDS "dovecot-keywords"
#define VALIDITY "facteur-uidvalidity"
/* The header line, padded so that it can be rewritten in place. */
#define HEADER_LEN 40
/* Reading a header: in blocks of this size, giving up (and reading the
 * whole file) past MBOX_HEADER_MAX. */
#define HEADER_BLOCK 8192
#define MBOX_HEADER_MAX (1UL << 20)
/* A directory changed less than this long before a look is looked at
 * again next time (ms). */
#define TRUST_MARGIN_MS 20
/* Compact the list when it holds this many more lines than files. */
#define COMPACT_SLACK 1000

/* ------------------------------------------------------------------ */
/* Names. */

static const char sysletters[] = "DFRST";
static const unsigned sysflags[] = { IMAPF_DRAFT, IMAPF_FLAGGED,
    IMAPF_ANSWERED, IMAPF_SEEN, IMAPF_DELETED };

/* The key of a file name in the uidlist: the part before ":2," without
 * a ",W=<digits>" at its end (the size facteur adds when it moves a file
 * out of new/: the same message before and after). */
static size_t
ukey(const char *name, size_t *baselen)
{
    const char *colon = strchr(name, ':');
    size_t b = colon ? (size_t)(colon - name) : strlen(name), k = b;

    *baselen = b;
    while (k > 0 && name[k - 1] >= '0' && name[k - 1] <= '9')
        k--;
    if (k < b && k >= 3 && memcmp(name + k - 3, ",W=", 3) == 0)
        return k - 3;
    return b;
}

static void
parse_flags(const char *name, size_t baselen, unsigned *flags, uint32_t *kw)
{
    const char *p = name + baselen;

    *flags = 0;
    *kw = 0;
    if (p[0] != ':' || p[1] != '2' || p[2] != ',')
        return;
    for (p += 3; *p; p++) {
        switch (*p) {
        case 'D': *flags |= IMAPF_DRAFT; break;
        case 'F': *flags |= IMAPF_FLAGGED; break;
        case 'R': *flags |= IMAPF_ANSWERED; break;
        case 'S': *flags |= IMAPF_SEEN; break;
        case 'T': *flags |= IMAPF_DELETED; break;
        default:
            if (*p >= 'a' && *p <= 'z')
                *kw |= 1u << (*p - 'a');
        }
    }
}

/* base + ":2," + flag letters, malloc'd. */
static char *
make_name(const char *base, size_t baselen, unsigned flags, uint32_t kw)
{
    char *s = malloc(baselen + 3 + 5 + IMAP_KEYWORDS_MAX + 1);
    size_t n = baselen;
    unsigned i;

    if (s == NULL)
        return NULL;
    memcpy(s, base, baselen);
    memcpy(s + n, ":2,", 3);
    n += 3;
    for (i = 0; i < 5; i++)
        if (flags & sysflags[i])
            s[n++] = sysletters[i];
    for (i = 0; i < IMAP_KEYWORDS_MAX; i++)
        if (kw & (1u << i))
            s[n++] = (char)('a' + i);
    s[n] = 0;
    return s;
}

static int
pathf(char *out, size_t len, const char *fmt, const char *a, const char *b)
{
    int r = snprintf(out, len, fmt, a, b);
    if (r < 0 || (size_t)r >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* A unique base for a file made here: time, microseconds, pid, a
 * counter and random bits, host. */
static void
unique_base(char *out, size_t len)
{
    static unsigned counter;
    char host[64];
    unsigned char r[4] = { 0, 0, 0, 0 };
    struct timeval tv;
    size_t i;

    if (gethostname(host, sizeof host) == -1)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = 0;
    for (i = 0; host[i]; i++)
        if (host[i] == '/' || host[i] == ':' || host[i] == ',')
            host[i] = '_';
    (void)!getrandom(r, sizeof r, 0);
    gettimeofday(&tv, NULL);
    snprintf(out, len, "%lld.M%ldP%ldQ%uR%02x%02x%02x%02x.%s",
        (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), ++counter,
        r[0], r[1], r[2], r[3], host);
}

/* ------------------------------------------------------------------ */
/* Files. */

static int
sync_dir(const char *dir, const char *sub)
{
    char p[IMAP_MAILBOX_MAX * 2 + 32];
    int fd, r;

    if (pathf(p, sizeof p, "%s/%s", dir, sub) == -1)
        return -1;
    fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    r = fsync(fd);
    close(fd);
    return r;
}

/* The whole file at path into a malloc'd buffer (at most max bytes).
 * NULL with errno. */
static char *
read_file_st(const char *path, size_t max, size_t *len, struct stat *stp)
{
    struct stat st;
    char *p;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd == -1)
        return NULL;
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        errno = EFBIG;
        return NULL;
    }
    p = malloc((size_t)st.st_size + 1);
    if (p == NULL) {
        close(fd);
        return NULL;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* shorter than it was: take what is there */
        got += (size_t)r;
    }
    close(fd);
    p[got] = 0;
    *len = got;
    if (stp != NULL)
        *stp = st;
    return p;
}

static char *
read_file(const char *path, size_t max, size_t *len)
{
    return read_file_st(path, max, len, NULL);
}

static uint64_t
crlf_size(const char *p, size_t n)
{
    uint64_t s = n;
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
            s++;
    return s;
}

/* The CRLF size of the file at path, counted by reading it. */
static int
file_crlf_size(const char *path, uint64_t *size)
{
    char b[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    uint64_t s = 0;
    char last = 0;

    if (fd == -1)
        return -1;
    for (;;) {
        ssize_t r = read(fd, b, sizeof b), i;
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1) {
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        s += (uint64_t)r;
        for (i = 0; i < r; i++) {
            if (b[i] == '\n' && last != '\r')
                s++;
            last = b[i];
        }
    }
    close(fd);
    *size = s;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The uidlist. */

struct ulent {
    const char *key;
    size_t keylen;
    uint32_t uid;
};

struct uidlist {
    char *buf;
    size_t len;
    uint32_t validity, next;
    struct ulent *e;  /* in the file's order */
    size_t n;
    uint32_t *hash;   /* open addressing: index + 1 into e, 0 empty */
    size_t hmask;
    dev_t dev;   /* the file read, to tell whether it changed since */
    ino_t ino;
};

static void
ul_free(struct uidlist *ul)
{
    free(ul->buf);
    free(ul->e);
    free(ul->hash);
    memset(ul, 0, sizeof *ul);
}


/* FNV-1a over 8-byte words (then the tail): keys are Maildir names of
 * 30 to 60 bytes, hashed for every file at every full look. */
static uint64_t
key_hash(const char *k, size_t n)
{
    uint64_t h = 14695981039346656037ULL, w;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, k + i, 8);
        h ^= w;
        h *= 1099511628211ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 32);
}

/* A hash table of the keys (a lookup per file, each O(1), where sorting
 * the list cost more than reading it).  The first line of a key wins. */
static int
ul_index(struct uidlist *ul)
{
    size_t size = 16, i;

    while (size < ul->n * 2 + 1)
        size *= 2;
    ul->hash = calloc(size, sizeof *ul->hash);
    if (ul->hash == NULL)
        return -1;
    ul->hmask = size - 1;
    for (i = 0; i < ul->n; i++) {
        size_t h = (size_t)key_hash(ul->e[i].key, ul->e[i].keylen) & ul->hmask;
        int dup = 0;
        while (ul->hash[h] != 0) {
            const struct ulent *o = &ul->e[ul->hash[h] - 1];
            if (o->keylen == ul->e[i].keylen
                && memcmp(o->key, ul->e[i].key, o->keylen) == 0) {
                dup = 1;
                break;
            }
            h = (h + 1) & ul->hmask;
        }
        if (!dup)
            ul->hash[h] = (uint32_t)i + 1;
    }
    return 0;
}

/* Parse "<uid> <base>" lines from p (the buffer is kept); a line
 * without its LF at the end is left out (a writer is still at it). */
static int
ul_parse_lines(struct uidlist *ul, char *p, char *end, int dovecot)
{
    size_t cap = 0;

    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *sp, *key;
        unsigned long u;
        if (nl == NULL)
            break;
        *nl = 0;
        u = strtoul(p, &sp, 10);
        if (sp != p && *sp == ' ' && u > 0 && u < UINT32_MAX) {
            key = sp + 1;
            if (dovecot) {
                /* "<uid> [extensions] :<filename>" or "<uid> <filename>" */
                char *colon = strstr(key, " :");
                if (key[0] == ':')
                    key++;
                else if (colon != NULL)
                    key = colon + 2;
            }
            if (ul->n == cap) {
                size_t nc = cap ? cap * 2 : 256;
                struct ulent *ne = realloc(ul->e, nc * sizeof *ne);
                if (ne == NULL)
                    return -1;
                ul->e = ne;
                cap = nc;
            }
            ul->e[ul->n].key = key;
            ul->e[ul->n].uid = (uint32_t)u;
            {
                size_t bl;
                ul->e[ul->n].keylen = ukey(key, &bl);
            }
            if (ul->e[ul->n].uid >= ul->next)
                ul->next = ul->e[ul->n].uid + 1;
            ul->n++;
        }
        p = nl + 1;
    }
    return ul_index(ul);
}

/* Read dir's uidlist: 1 read, 0 none, -1 error. */
static int
ul_read(const char *dir, struct uidlist *ul)
{
    char path[IMAP_MAILBOX_MAX * 2 + 32];
    char *p, *nl;
    unsigned long v, nx;

    struct stat st;

    memset(ul, 0, sizeof *ul);
    if (pathf(path, sizeof path, "%s/%s", dir, UIDLIST) == -1)
        return -1;
    ul->buf = read_file_st(path, MBOX_UIDLIST_MAX, &ul->len, &st);
    if (ul->buf == NULL)
        return errno == ENOENT ? 0 : -1;
    ul->dev = st.st_dev;
    ul->ino = st.st_ino;
    p = ul->buf;
    nl = memchr(p, '\n', ul->len);
    if (nl == NULL || sscanf(p, "F1 V%lu N%lu", &v, &nx) != 2 || v == 0
        || v > UINT32_MAX || nx == 0 || nx > UINT32_MAX) {
        ul_free(ul);
        errno = EINVAL;
        return -1;
    }
    ul->validity = (uint32_t)v;
    ul->next = (uint32_t)nx;
    if (ul_parse_lines(ul, nl + 1, ul->buf + ul->len, 0) == -1) {
        ul_free(ul);
        return -1;
    }
    return 1;
}

static uint32_t
ul_find(const struct uidlist *ul, const char *key, size_t keylen)
{
    size_t h;

    if (ul->hash == NULL)
        return 0;
    h = (size_t)key_hash(key, keylen) & ul->hmask;
    while (ul->hash[h] != 0) {
        const struct ulent *o = &ul->e[ul->hash[h] - 1];
        if (o->keylen == keylen && memcmp(o->key, key, keylen) == 0)
            return o->uid;
        h = (h + 1) & ul->hmask;
    }
    return 0;
}

static int
lock_dir(const char *dir)
{
    char path[IMAP_MAILBOX_MAX * 2 + 32];
    struct flock fl;
    int fd;

    if (pathf(path, sizeof path, "%s/%s", dir, UIDLOCK) == -1)
        return -1;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd == -1)
        return -1;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    while (fcntl(fd, F_SETLKW, &fl) == -1) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* The next UIDVALIDITY from the user's counter (in the Maildir, the
 * current directory): max(counter + 1, now). */
static int
next_validity(uint32_t *v)
{
    char b[32];
    struct flock fl;
    unsigned long cur = 0;
    uint32_t nv;
    ssize_t r;
    int fd = open(VALIDITY, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd == -1)
        return -1;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    while (fcntl(fd, F_SETLKW, &fl) == -1)
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    r = pread(fd, b, sizeof b - 1, 0);
    if (r > 0) {
        b[r] = 0;
        cur = strtoul(b, NULL, 10);
    }
    nv = (uint32_t)time(NULL);
    if (cur >= nv && cur < UINT32_MAX - 1)
        nv = (uint32_t)cur + 1;
    if (nv == 0)
        nv = 1;
    r = snprintf(b, sizeof b, "%u\n", nv);
    if (pwrite(fd, b, (size_t)r, 0) != r || ftruncate(fd, r) == -1
        || fdatasync(fd) == -1) {
        close(fd);
        return -1;
    }
    close(fd);
    *v = nv;
    return 0;
}

static int
write_header(int fd, uint32_t validity, uint32_t next)
{
    char h[HEADER_LEN + 1];
    int r = snprintf(h, sizeof h, "F1 V%u N%u", validity, next);

    memset(h + r, ' ', (size_t)(HEADER_LEN - 1 - r));
    h[HEADER_LEN - 1] = '\n';
    return pwrite(fd, h, HEADER_LEN, 0) == HEADER_LEN ? 0 : -1;
}

/* Under the lock: write a new uidlist for dir holding lines (n bytes)
 * through a temporary file.  Dovecot's list, if any, is imported here:
 * its UIDVALIDITY and lines. */
static int
ul_rewrite(const char *dir, uint32_t validity, uint32_t next,
    const char *lines, size_t n)
{
    char tmp[IMAP_MAILBOX_MAX * 2 + 48], path[IMAP_MAILBOX_MAX * 2 + 32];
    int fd;

    if (pathf(tmp, sizeof tmp, "%s/%s.tmp", dir, UIDLIST) == -1
        || pathf(path, sizeof path, "%s/%s", dir, UIDLIST) == -1)
        return -1;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
        0600);
    if (fd == -1)
        return -1;
    if (write_header(fd, validity, next) == -1
        || (n > 0 && pwrite(fd, lines, n, HEADER_LEN) != (ssize_t)n)
        || fdatasync(fd) == -1 || close(fd) == -1) {
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) == -1)
        return -1;
    return sync_dir(dir, ".");
}

/* Under the lock: move a list that cannot be read out of the way
 * (facteur-uidlist.broken), saying so. */
static int
ul_set_aside(const char *dir)
{
    char path[IMAP_MAILBOX_MAX * 2 + 32], aside[IMAP_MAILBOX_MAX * 2 + 48];

    if (pathf(path, sizeof path, "%s/%s", dir, UIDLIST) == -1
        || pathf(aside, sizeof aside, "%s/%s.broken", dir, UIDLIST) == -1)
        return -1;
    log_warn("%s cannot be read: set aside as %s, new UIDVALIDITY", path,
        aside);
    if (rename(path, aside) == -1)
        return -1;
    return sync_dir(dir, ".");
}

/* Read another server's UID list at path into lines ("<uid> <key>"),
 * with its UIDVALIDITY and next UID: Dovecot's dovecot-uidlist (version
 * 3, "3 V<validity> N<next> ..." and "<uid> [fields] :<name>" lines, or
 * version 1) and Courier's courierimapuiddb (version 1: "1 <validity>
 * <next>" and "<uid> <name>" lines).  1, or 0 when there is none or it
 * cannot be read (the mailbox then starts afresh). */
static int
ul_import(const char *path, unsigned long *v, uint32_t *next,
    struct str *lines)
{
    struct uidlist dv;
    unsigned long nx = 1;
    size_t i, len;
    char *nl, *f;
    int r = 0;

    memset(&dv, 0, sizeof dv);
    *v = 0;
    dv.buf = read_file(path, MBOX_UIDLIST_MAX, &len);
    if (dv.buf == NULL)
        return 0;
    nl = memchr(dv.buf, '\n', len);
    if (nl != NULL && dv.buf[0] == '3' && dv.buf[1] == ' ') {
        *nl = 0;
        for (f = dv.buf + 2; f != NULL && *f; f = strchr(f, ' ')) {
            while (*f == ' ')
                f++;
            if (*f == 'V')
                *v = strtoul(f + 1, NULL, 10);
            else if (*f == 'N')
                nx = strtoul(f + 1, NULL, 10);
        }
    } else if (nl != NULL && dv.buf[0] == '1' && dv.buf[1] == ' ') {
        *nl = 0;
        if (sscanf(dv.buf, "1 %lu %lu", v, &nx) != 2)
            *v = 0;
    }
    dv.len = len;
    dv.next = (uint32_t)(nx > 0 && nx < UINT32_MAX ? nx : 1);
    if (*v > 0 && *v <= UINT32_MAX
        && ul_parse_lines(&dv, nl + 1, dv.buf + len, 1) == 0) {
        for (i = 0; i < dv.n; i++) /* the name as written: to the end */
            str_printf(lines, "%u %s\n", dv.e[i].uid, dv.e[i].key);
        *next = dv.next;
        r = !lines->err;
    }
    ul_free(&dv);
    return r;
}

/* Under the lock: make dir's uidlist when it has none, importing
 * Dovecot's or Courier's when there is one. */
static int
ul_create(const char *dir, int import)
{
    static const char *const other[] = { DOVECOT_UIDLIST, COURIER_UIDDB };
    char path[IMAP_MAILBOX_MAX * 2 + 32];
    struct str lines = { 0 };
    unsigned long v = 0;
    uint32_t validity, next = 1;
    unsigned k;
    int r;

    for (k = 0; import && k < 2 && v == 0; k++) {
        str_reset(&lines);
        if (pathf(path, sizeof path, "%s/%s", dir, other[k]) == -1
            || ul_import(path, &v, &next, &lines) == 0)
            v = 0;
    }
    if (v > 0) {
        validity = (uint32_t)v;
        /* the lines as the other server wrote them, in UID order */
        r = ul_rewrite(dir, validity, next, lines.s ? lines.s : "",
            lines.len);
    } else {
        r = next_validity(&validity) == -1 ? -1
            : ul_rewrite(dir, validity, 1, "", 0);
    }
    str_free(&lines);
    return r;
}

/*
 * Under the lock: dir's list, made when there is none (importing
 * Dovecot's), or set aside and made again with a new UIDVALIDITY when
 * its header cannot be read (a disk that tore it: clients start again
 * rather than trust UIDs that may be wrong; no import then, as an old
 * Dovecot list's UIDs may have been given again since).  1, or -1.
 */
static int
ul_load(const char *dir, struct uidlist *ul)
{
    int r = ul_read(dir, ul);

    if (r == -1 && errno == EINVAL) {
        if (ul_set_aside(dir) == -1 || ul_create(dir, 0) == -1)
            return -1;
        r = ul_read(dir, ul);
    } else if (r == 0) {
        if (ul_create(dir, 1) == -1)
            return -1;
        r = ul_read(dir, ul);
    }
    return r == 1 ? 1 : -1;
}

/* The uidlist's UIDVALIDITY and next UID without reading it whole: its
 * header and its last whole line (the next UID is the larger of the
 * two, as after a crash that kept one of them).  1, 0 when there is no
 * list, -1 (EINVAL: a header that cannot be read). */
static int
ul_tail(const char *dir, uint32_t *validity, uint32_t *next)
{
    char path[IMAP_MAILBOX_MAX * 2 + 32], b[4096];
    unsigned long v, nx;
    struct stat st;
    ssize_t r;
    off_t from;
    int fd;

    if (pathf(path, sizeof path, "%s/%s", dir, UIDLIST) == -1)
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1)
        return errno == ENOENT ? 0 : -1;
    r = pread(fd, b, HEADER_LEN, 0);
    if (r != HEADER_LEN || fstat(fd, &st) == -1 || st.st_size < HEADER_LEN) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    b[r] = 0;
    if (sscanf(b, "F1 V%lu N%lu", &v, &nx) != 2 || v == 0 || v > UINT32_MAX
        || nx == 0 || nx > UINT32_MAX) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    from = st.st_size - HEADER_LEN > (off_t)sizeof b - 1
        ? st.st_size - ((off_t)sizeof b - 1) : HEADER_LEN;
    r = pread(fd, b, (size_t)(st.st_size - from), from);
    close(fd);
    if (r < 0)
        return -1;
    b[r] = 0;
    /* the last whole "<uid> <key>" line (lines of another shape, such as
     * the header copies older versions appended, are passed over); a
     * line at the start of b is whole only if b starts at the first
     * line.  None in the last 4 KB: the whole list is read. */
    {
        size_t end = (size_t)r;
        int found = 0;
        while (end > 0 && b[end - 1] != '\n')
            end--; /* a last line without its LF: a writer's, not yet */
        while (!found && end > 0) {
            size_t st0 = end - 1;
            char *sp;
            unsigned long u;
            while (st0 > 0 && b[st0 - 1] != '\n')
                st0--;
            if (st0 == 0 && from != HEADER_LEN)
                break;
            b[end - 1] = 0;
            u = strtoul(b + st0, &sp, 10);
            if (sp != b + st0 && *sp == ' ' && u > 0 && u < UINT32_MAX) {
                if (u >= nx)
                    nx = u + 1;
                found = 1;
            }
            end = st0;
        }
        if (!found && from != HEADER_LEN) {
            struct uidlist ul;
            if (ul_read(dir, &ul) != 1)
                return -1;
            if (ul.next > nx)
                nx = ul.next;
            ul_free(&ul);
        }
    }
    *validity = (uint32_t)v;
    *next = (uint32_t)nx;
    return 1;
}

/* Under the lock: append lines to dir's uidlist and set its header's
 * next UID, with one sync for both: whichever of the two a crash keeps,
 * the next UID is the larger of the header's and the last whole line's
 * plus one, so no UID a client was told of (only after this sync) is
 * given again. */
static int
ul_append(const char *dir, uint32_t validity, uint32_t next, const char *lines,
    size_t n)
{
    char path[IMAP_MAILBOX_MAX * 2 + 32];
    struct stat st;
    int fd;

    if (pathf(path, sizeof path, "%s/%s", dir, UIDLIST) == -1)
        return -1;
    /* not O_APPEND: Linux's pwrite() appends on such a file, and the
     * header is rewritten in place (one writer: the lock's holder) */
    fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1)
        return -1;
    if (fstat(fd, &st) == -1 || st.st_size < HEADER_LEN
        || fd_pwrite_all(fd, lines, n, st.st_size) == -1
        || write_header(fd, validity, next) == -1 || fdatasync(fd) == -1) {
        close(fd);
        return -1;
    }
    return close(fd);
}

/* ------------------------------------------------------------------ */
/* Scanning the directory. */

struct ent {
    char *name;        /* as found */
    size_t baselen, keylen;
    int innew;
    uint32_t uid;
};

struct scan {
    struct ent *e;
    size_t n, cap;
};

static void
scan_free(struct scan *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        free(s->e[i].name);
    free(s->e);
    memset(s, 0, sizeof *s);
}

static int
scan_sub(const char *dir, const char *sub, int innew, struct scan *s)
{
    char path[IMAP_MAILBOX_MAX * 2 + 32];
    struct dirent *d;
    DIR *dp;

    if (pathf(path, sizeof path, "%s/%s", dir, sub) == -1)
        return -1;
    dp = opendir(path);
    if (dp == NULL)
        return -1;
    while ((d = readdir(dp)) != NULL) {
        struct ent *e;
        if (d->d_name[0] == '.' || strlen(d->d_name) > MBOX_NAME_MAX)
            continue;
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 256;
            struct ent *ne;
            if (nc > MBOX_MESSAGES_MAX * 2) {
                closedir(dp);
                errno = EFBIG;
                return -1;
            }
            ne = realloc(s->e, nc * sizeof *ne);
            if (ne == NULL) {
                closedir(dp);
                return -1;
            }
            s->e = ne;
            s->cap = nc;
        }
        e = &s->e[s->n];
        e->name = strdup(d->d_name);
        if (e->name == NULL) {
            closedir(dp);
            return -1;
        }
        e->innew = innew;
        e->keylen = innew ? strlen(e->name) : ukey(e->name, &e->baselen);
        if (innew)
            e->baselen = e->keylen;
        e->uid = 0;
        s->n++;
    }
    closedir(dp);
    return 0;
}

/* Sort the entries by UID: two stable counting passes of 16 bits (a
 * radix sort, linear where qsort's comparisons were a tenth of a SELECT),
 * so that of two entries with one UID the one read later (cur/) stays
 * last.  0 or -1. */
static int
sort_by_uid(struct scan *s)
{
    struct ent *tmp;
    size_t *count, i;
    unsigned pass;

    if (s->n < 2)
        return 0;
    tmp = malloc(s->n * sizeof *tmp);
    count = malloc(65537 * sizeof *count);
    if (tmp == NULL || count == NULL) {
        free(tmp);
        free(count);
        return -1;
    }
    for (pass = 0; pass < 2; pass++) {
        unsigned shift = pass * 16;
        struct ent *from = pass ? tmp : s->e, *to = pass ? s->e : tmp;
        memset(count, 0, 65537 * sizeof *count);
        for (i = 0; i < s->n; i++)
            count[((from[i].uid >> shift) & 0xffff) + 1]++;
        for (i = 1; i <= 65536; i++)
            count[i] += count[i - 1];
        for (i = 0; i < s->n; i++)
            to[count[(from[i].uid >> shift) & 0xffff]++] = from[i];
    }
    free(tmp);
    free(count);
    return 0;
}


static int
ent_cmp_key(const void *a, const void *b)
{
    const struct ent *x = a, *y = b;
    size_t l = x->keylen < y->keylen ? x->keylen : y->keylen;
    int c = memcmp(x->name, y->name, l);

    if (c)
        return c;
    return x->keylen < y->keylen ? -1 : x->keylen > y->keylen;
}

/* The delivery time in a Maildir name "<seconds>.M<microseconds>...":
 * 0 with both, -1 for a name of another shape. */
static int
name_time(const char *n, size_t len, uint64_t *sec, uint64_t *usec)
{
    size_t i = 0;

    *sec = *usec = 0;
    while (i < len && n[i] >= '0' && n[i] <= '9' && i < 18)
        *sec = *sec * 10 + (uint64_t)(n[i++] - '0');
    if (i == 0 || i + 2 >= len || n[i] != '.')
        return -1;
    if (n[i + 1] != 'M')
        return 0; /* seconds only (qmail's old names) */
    for (i += 2; i < len && n[i] >= '0' && n[i] <= '9' && *usec < 1000000; i++)
        *usec = *usec * 10 + (uint64_t)(n[i] - '0');
    return 0;
}

/* Delivery order: by the time in the name (the microseconds are not
 * zero-padded, so the text order is not the time order), then by name. */
static int
entp_cmp_key(const void *a, const void *b)
{
    const struct ent *x = *(struct ent *const *)a, *y = *(struct ent *const *)b;
    uint64_t xs, xu, ys, yu;

    if (name_time(x->name, x->keylen, &xs, &xu) == 0
        && name_time(y->name, y->keylen, &ys, &yu) == 0
        && (xs != ys || xu != yu))
        return xs < ys || (xs == ys && xu < yu) ? -1 : 1;
    return ent_cmp_key(x, y);
}

/* Under the lock: give UIDs to the entries without one, appending to
 * the list.  Entries from new/ are renamed into cur/ afterwards by the
 * caller; their new base (with ",W=") is what the list records. */
static int
assign(const char *dir, struct scan *s, struct uidlist *ul)
{
    struct str lines = { 0 };
    struct ent **todo = NULL;
    size_t i, nt = 0;
    int r = -1;

    todo = malloc((s->n + 1) * sizeof *todo);
    if (todo == NULL)
        return -1;
    for (i = 0; i < s->n; i++) {
        s->e[i].uid = ul_find(ul, s->e[i].name, s->e[i].keylen);
        if (s->e[i].uid == 0)
            todo[nt++] = &s->e[i];
    }
    if (nt == 0) {
        free(todo);
        return 0;
    }
    /* in key order: for Maildir names, delivery order; the same file
     * seen in new/ and in cur/ (moved meanwhile) is then side by side and
     * gets one UID */
    qsort(todo, nt, sizeof *todo, entp_cmp_key);
    for (i = 0; i < nt; i++) {
        struct ent *e = todo[i];
        if (i > 0 && ent_cmp_key(todo[i - 1], e) == 0) {
            e->uid = todo[i - 1]->uid;
            continue;
        }
        if (ul->next == UINT32_MAX) {
            errno = EOVERFLOW;
            goto out;
        }
        e->uid = ul->next++;
        str_printf(&lines, "%u %.*s\n", e->uid, (int)e->keylen, e->name);
    }
    if (lines.err) {
        errno = lines.err;
        goto out;
    }
    if (ul_append(dir, ul->validity, ul->next, lines.s, lines.len) == -1)
        goto out;
    r = 0;
out:
    free(todo);
    str_free(&lines);
    return r;
}

/* Move a file that has its UID from new/ into cur/ (no flags yet).  The
 * entry then describes the file in cur/.  Its size is learnt later, when
 * a client first asks (mbox_size). */
static int
move_to_cur(const char *dir, struct ent *e)
{
    char from[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    char to[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 64];
    char *nn;

    if (pathf(from, sizeof from, "%s/new/%s", dir, e->name) == -1)
        return -1;
    nn = make_name(e->name, strlen(e->name), 0, 0);
    if (nn == NULL)
        return -1;
    if (pathf(to, sizeof to, "%s/cur/%s", dir, nn) == -1
        || rename(from, to) == -1) {
        free(nn);
        return -1;
    }
    e->baselen = strlen(e->name);
    free(e->name);
    e->name = nn;
    e->innew = 0;
    return 0;
}

/* Files another session moved out of new/ between this one's look and
 * its rename (entries marked innew 3): their names in cur/ now, so that
 * the UID they have is shown now (a UID not shown at once could never be
 * shown after a higher one).  Not found: expunged meanwhile (uid 0). */
static int
find_moved(const char *dir, struct scan *s)
{
    struct scan c = { 0 };
    size_t i;

    if (scan_sub(dir, "cur", 0, &c) == -1) {
        scan_free(&c);
        return -1;
    }
    if (c.n > 1)
        qsort(c.e, c.n, sizeof *c.e, ent_cmp_key);
    for (i = 0; i < s->n; i++) {
        struct ent *e = &s->e[i], *hit;
        if (e->innew != 3)
            continue;
        hit = c.n ? bsearch(e, c.e, c.n, sizeof *c.e, ent_cmp_key) : NULL;
        e->innew = 0;
        if (hit == NULL) {
            e->uid = 0;
            continue;
        }
        /* a copy: c's names stay whole for the next searches */
        {
            char *nn = strdup(hit->name);
            if (nn == NULL) {
                scan_free(&c);
                return -1;
            }
            free(e->name);
            e->name = nn;
        }
        e->baselen = hit->baselen;
    }
    scan_free(&c);
    return 0;
}

/* Is the time stamp t older than now by more than the file system's
 * clock could blur: TRUST_MARGIN_MS?  Linux stamps files from its coarse
 * clock, which moves one tick (1 to 10 ms) at a time. */
static int
older(const struct timespec *t, const struct timespec *now)
{
    int64_t dt = (int64_t)(now->tv_sec - t->tv_sec) * 1000
        + (now->tv_nsec - t->tv_nsec) / 1000000;
    return dt > TRUST_MARGIN_MS;
}


/* ------------------------------------------------------------------ */
/* The lock, and the index kept current with the directories. */

static int
mb_lock(struct mbox *mb)
{
    if (mb->lockdepth > 0) {
        mb->lockdepth++;
        return 0;
    }
    mb->lock = lock_dir(mb->dir);
    if (mb->lock == -1)
        return -1;
    mb->lockdepth = 1;
    mb->fresh = 0;
    mb->curdirty = 0;
    return 0;
}

static int
same_time(const struct timespec *t, int64_t sec, int64_t nsec)
{
    return (int64_t)t->tv_sec == sec && (int64_t)t->tv_nsec == nsec;
}

static int
stat_sub(const char *dir, const char *sub, struct stat *st)
{
    char p[IMAP_MAILBOX_MAX * 2 + 16];

    if (pathf(p, sizeof p, "%s/%s", dir, sub) == -1)
        return -1;
    return stat(p, st);
}

/* Under the lock, after this session's own renames or removals in cur/:
 * the index takes cur/'s time now, so that the next look trusts it (no
 * other facteur session can have changed cur/ meanwhile). */
static void
note_cur(struct mbox *mb)
{
    struct ixhdr *h;
    struct stat st;

    if (!mb->ixok)
        return;
    h = ix_hdr(&mb->ix);
    if (stat_sub(mb->dir, "cur", &st) == -1) {
        h->cur_ok = 0;
        return;
    }
    h->cur_sec = st.st_mtim.tv_sec;
    h->cur_nsec = st.st_mtim.tv_nsec;
}

static void
mb_unlock(struct mbox *mb)
{
    if (mb->lockdepth == 0 || --mb->lockdepth > 0)
        return;
    if (mb->curdirty)
        note_cur(mb);
    close(mb->lock);
    mb->lock = -1;
    mb->fresh = mb->curdirty = 0;
}

int
mbox_begin(struct mbox *mb)
{
    return mb_lock(mb);
}

void
mbox_end(struct mbox *mb)
{
    mb_unlock(mb);
}

/* Map the index file as it is now: another session may have written it
 * anew since.  0 or -1. */
static int
ensure_map(struct mbox *mb)
{
    int r;

    if (mb->ix.map != NULL && !mb->ix.bad && !ix_stale(&mb->ix, mb->dir))
        return 0;
    ix_close(&mb->ix);
    r = ix_open(&mb->ix, mb->dir);
    if (r == -1)
        return -1;
    mb->ixok = r == 1;
    mb->hint = 0;
    return 0;
}

static void
add_recent(struct mbox *mb, uint32_t uid)
{
    uint32_t i;

    if (mb->nrec == mb->caprec) {
        uint32_t nc = mb->caprec ? mb->caprec * 2 : 16;
        uint32_t *p = realloc(mb->recent, nc * sizeof *p);
        if (p == NULL)
            return; /* \Recent is lost, not the message */
        mb->recent = p;
        mb->caprec = nc;
    }
    for (i = mb->nrec; i > 0 && mb->recent[i - 1] > uid; i--)
        mb->recent[i] = mb->recent[i - 1];
    mb->recent[i] = uid;
    mb->nrec++;
}

static int
u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static int
is_recent(const struct mbox *mb, uint32_t uid)
{
    return mb->nrec > 0
        && bsearch(&uid, mb->recent, mb->nrec, sizeof uid, u32_cmp) != NULL;
}

static void
own_add(struct mbox *mb, uint32_t uid, uint64_t modseq)
{
    if (mb->nown == mb->capown) {
        size_t nc = mb->capown ? mb->capown * 2 : 64;
        struct ownchange *p = realloc(mb->own, nc * sizeof *p);
        if (p == NULL)
            return; /* reported back to the session: harmless */
        mb->own = p;
        mb->capown = nc;
    }
    mb->own[mb->nown].uid = uid;
    mb->own[mb->nown].modseq = modseq;
    mb->nown++;
}

static int
own_cmp(const void *a, const void *b)
{
    const struct ownchange *x = a, *y = b;

    if (x->uid != y->uid)
        return x->uid < y->uid ? -1 : 1;
    return x->modseq < y->modseq ? -1 : x->modseq > y->modseq;
}

/* Was the record's last change (uid, modseq) this session's own? */
static int
is_own(const struct mbox *mb, uint32_t uid, uint64_t modseq)
{
    struct ownchange k;

    k.uid = uid;
    k.modseq = modseq;
    return mb->nown > 0
        && bsearch(&k, mb->own, mb->nown, sizeof k, own_cmp) != NULL;
}

/* Under the lock: read new/ and cur/ whole, give UIDs to the files
 * without one (those in new/ move to cur/ unless the session is
 * read-only, and are its \Recent), and write the index anew from what
 * was found, keeping what the old one knew of unchanged messages. */
static int
full_locked(struct mbox *mb)
{
    struct scan s = { 0 };
    struct uidlist ul;
    struct ixent *ents = NULL;
    struct stat sn, sc;
    struct timespec now;
    struct ixhdr *h;
    size_t i, ne = 0, lost = 0;
    int moved = 0, rc = -1;

    memset(&ul, 0, sizeof ul);
    if (ensure_map(mb) == -1)
        return -1;
    clock_gettime(CLOCK_REALTIME, &now);
    if (stat_sub(mb->dir, "new", &sn) == -1
        || stat_sub(mb->dir, "cur", &sc) == -1)
        goto out;
    /* new/ before cur/: a file moving between them is seen at least once */
    if (scan_sub(mb->dir, "new", 1, &s) == -1
        || scan_sub(mb->dir, "cur", 0, &s) == -1)
        goto out;
    if (ul_load(mb->dir, &ul) != 1 || assign(mb->dir, &s, &ul) == -1)
        goto out;
    for (i = 0; i < s.n && !mb->readonly; i++)
        if (s.e[i].innew && s.e[i].uid != 0) {
            if (move_to_cur(mb->dir, &s.e[i]) == 0) {
                add_recent(mb, s.e[i].uid);
                moved = 1;
            } else if (errno == ENOENT) {
                s.e[i].innew = 3; /* moved by another program */
                lost++;
            } else {
                goto out;
            }
        }
    if (lost > 0 && find_moved(mb->dir, &s) == -1)
        goto out;
    if (sort_by_uid(&s) == -1)
        goto out;
    ents = calloc(s.n + 1, sizeof *ents);
    if (ents == NULL)
        goto out;
    for (i = 0; i < s.n; i++) {
        struct ent *e = &s.e[i];
        struct ixent *x;
        unsigned f;
        uint32_t kw;
        if (e->uid == 0)
            continue;
        if (ne > 0 && ents[ne - 1].uid == e->uid)
            ne--; /* the file seen in new/, then in cur/: cur/ wins */
        x = &ents[ne++];
        x->uid = e->uid;
        x->base = e->name;
        if (e->innew) { /* read-only: still in new/ */
            x->flags = IXF_INNEW;
            x->kw = 0;
            x->baselen = strlen(e->name);
            continue;
        }
        parse_flags(e->name, e->baselen, &f, &kw);
        x->flags = f;
        x->kw = kw;
        x->baselen = e->baselen;
        /* a name facteur would not write for these flags (no ":2,",
         * letters in another order) is kept whole */
        {
            char *mn = make_name(e->name, e->baselen, f, kw);
            if (mn == NULL)
                goto out;
            if (strcmp(mn, e->name) != 0) {
                x->flags |= IXF_WHOLE;
                x->baselen = strlen(e->name);
            }
            free(mn);
        }
    }
    if (ne > MBOX_MESSAGES_MAX) {
        errno = EFBIG;
        goto out;
    }
    if (ix_write(&mb->ix, mb->dir, ents, ne, &mb->ix, ul.validity, ul.next)
        == -1)
        goto out;
    mb->ixok = 1;
    mb->hint = 0;
    h = ix_hdr(&mb->ix);
    /* the times the records describe: new/ as it was before the look
     * when that is old enough to trust (a delivery in the same clock
     * tick would not show); cur/ as this session's moves left it */
    if (older(&sn.st_mtim, &now)) {
        h->new_sec = sn.st_mtim.tv_sec;
        h->new_nsec = sn.st_mtim.tv_nsec;
        h->new_ok = 1;
    }
    if (moved) {
        mb->curdirty = 1;
        h->cur_ok = 1;
    } else if (older(&sc.st_mtim, &now)) {
        h->cur_sec = sc.st_mtim.tv_sec;
        h->cur_nsec = sc.st_mtim.tv_nsec;
        h->cur_ok = 1;
    }
    mb->fresh = 1;
    rc = 0;
out:
    free(ents);
    scan_free(&s);
    ul_free(&ul);
    return rc;
}

/* Under the lock, cur/ being as the index says: give UIDs to the files
 * in new/, and (unless read-only) move them to cur/ as this session's
 * \Recent.  A full look instead when the uidlist holds UIDs the index
 * does not know, or the index is full. */
static int
newscan_locked(struct mbox *mb)
{
    struct scan s = { 0 };
    struct str lines = { 0 };
    struct ent **todo = NULL;
    struct ixhdr *h = ix_hdr(&mb->ix);
    struct timespec now;
    struct stat sn;
    uint32_t validity, next, c, k;
    size_t i, nt = 0;
    int rc = -1;

    clock_gettime(CLOCK_REALTIME, &now);
    if (stat_sub(mb->dir, "new", &sn) == -1
        || scan_sub(mb->dir, "new", 1, &s) == -1)
        goto out;
    c = ix_count(&mb->ix);
    if (h->ninnew > 0) /* given UIDs by a read-only session already */
        for (k = 0; k < c; k++) {
            const struct ixrec *r = ix_rec(&mb->ix, k);
            if ((r->flags & (IXF_INNEW | IXF_GONE)) != IXF_INNEW)
                continue;
            for (i = 0; i < s.n; i++)
                if (s.e[i].uid == 0 && s.e[i].keylen == r->baselen
                    && memcmp(s.e[i].name, ix_base(&mb->ix, r), r->baselen)
                        == 0)
                    s.e[i].uid = r->uid;
        }
    todo = malloc((s.n + 1) * sizeof *todo);
    if (todo == NULL)
        goto out;
    for (i = 0; i < s.n; i++)
        if (s.e[i].uid == 0)
            todo[nt++] = &s.e[i];
    if (nt > 0) {
        int r = ul_tail(mb->dir, &validity, &next);
        if (r != 1 || validity != h->validity || next != h->uidnext) {
            rc = full_locked(mb);
            goto out;
        }
        /* in delivery order */
        qsort(todo, nt, sizeof *todo, entp_cmp_key);
        for (i = 0; i < nt; i++) {
            if (next == UINT32_MAX) {
                errno = EOVERFLOW;
                goto out;
            }
            todo[i]->uid = next++;
            str_printf(&lines, "%u %.*s\n", todo[i]->uid, (int)todo[i]->keylen,
                todo[i]->name);
        }
        if (lines.err) {
            errno = lines.err;
            goto out;
        }
        if (ul_append(mb->dir, validity, next, lines.s, lines.len) == -1)
            goto out;
        for (i = 0; i < nt; i++) {
            struct ixent x;
            x.uid = todo[i]->uid;
            x.flags = IXF_INNEW;
            x.kw = 0;
            x.base = todo[i]->name;
            x.baselen = todo[i]->keylen;
            if (ix_append(&mb->ix, &x) == -1) {
                /* full (or torn): the uidlist has the UIDs; write anew */
                rc = full_locked(mb);
                goto out;
            }
        }
    }
    c = ix_count(&mb->ix);
    for (k = 0; k < c && !mb->readonly && h->ninnew > 0; k++) {
        struct ixrec *r = ix_rec(&mb->ix, k);
        char from[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
        char to[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
        const char *b = ix_base(&mb->ix, r);
        int n1, n2;
        if ((r->flags & (IXF_INNEW | IXF_GONE)) != IXF_INNEW)
            continue;
        n1 = snprintf(from, sizeof from, "%s/new/%.*s", mb->dir,
            (int)r->baselen, b);
        n2 = snprintf(to, sizeof to, "%s/cur/%.*s:2,", mb->dir,
            (int)r->baselen, b);
        if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof from
            || (size_t)n2 >= sizeof to)
            continue;
        if (rename(from, to) == -1)
            continue; /* gone from new/: another program's; seen in cur/ */
        __atomic_store_n(&r->flags, (uint16_t)(r->flags & ~IXF_INNEW),
            __ATOMIC_RELAXED);
        h->ninnew--;
        ix_touch(&mb->ix, r);
        add_recent(mb, r->uid);
        mb->curdirty = 1;
    }
    /* new/ as it was before this look, when old enough to trust (the
     * moves just made change it: the next look reads new/ once more) */
    if (older(&sn.st_mtim, &now)) {
        h->new_sec = sn.st_mtim.tv_sec;
        h->new_nsec = sn.st_mtim.tv_nsec;
        h->new_ok = 1;
    } else {
        h->new_ok = 0;
    }
    rc = 0;
out:
    free(todo);
    str_free(&lines);
    scan_free(&s);
    return rc;
}

/* Under the lock: the messages APPEND, COPY or MOVE stored that no
 * session has shown are this one's \Recent (RFC 3501 2.3.2: the first
 * session to be told of a message). */
static void
claim_fresh(struct mbox *mb)
{
    struct ixhdr *h = ix_hdr(&mb->ix);
    uint32_t c, k;

    if (h->nfresh == 0)
        return;
    c = ix_count(&mb->ix);
    for (k = 0; k < c && h->nfresh > 0; k++) {
        struct ixrec *r = ix_rec(&mb->ix, k);
        if (!(r->flags & IXF_FRESH))
            continue;
        __atomic_store_n(&r->flags, (uint16_t)(r->flags & ~IXF_FRESH),
            __ATOMIC_RELAXED);
        h->nfresh--;
        if (!(r->flags & IXF_GONE))
            add_recent(mb, r->uid);
    }
}

/* Under the lock: the index as the directories are (once per hold). */
static int
fresh_locked(struct mbox *mb)
{
    struct stat sn, sc;
    struct ixhdr *h;
    int r;

    if (mb->fresh)
        return 0;
    if (ensure_map(mb) == -1 || stat_sub(mb->dir, "new", &sn) == -1
        || stat_sub(mb->dir, "cur", &sc) == -1)
        return -1;
    h = mb->ixok ? ix_hdr(&mb->ix) : NULL;
    if (h == NULL || !h->cur_ok
        || !same_time(&sc.st_mtim, h->cur_sec, h->cur_nsec))
        r = full_locked(mb);
    else if (!h->new_ok || !same_time(&sn.st_mtim, h->new_sec, h->new_nsec)
        || (!mb->readonly && h->ninnew > 0))
        r = newscan_locked(mb);
    else
        r = 0;
    if (r == 0) {
        mb->fresh = 1;
        if (!mb->readonly)
            claim_fresh(mb);
    }
    return r;
}

/* Does new/ hold no message file? */
static int
new_empty(const char *dir)
{
    char p[IMAP_MAILBOX_MAX * 2 + 16];
    struct dirent *d;
    DIR *dp;
    int empty = 1;

    if (pathf(p, sizeof p, "%s/%s", dir, "new") == -1
        || (dp = opendir(p)) == NULL)
        return 0;
    while (empty && (d = readdir(dp)) != NULL)
        if (d->d_name[0] != '.')
            empty = 0;
    closedir(dp);
    return empty;
}

/* The index as the directories are: without the lock when nothing
 * changed (two stats), under it otherwise. */
static int
refresh(struct mbox *mb)
{
    struct stat sn, sc;
    struct timespec now;
    int r;

    if (ensure_map(mb) == -1)
        return -1;
    clock_gettime(CLOCK_REALTIME, &now);
    if (stat_sub(mb->dir, "new", &sn) == -1
        || stat_sub(mb->dir, "cur", &sc) == -1)
        return -1;
    if (mb->ixok) {
        struct ixhdr *h = ix_hdr(&mb->ix);
        if (h->cur_ok && same_time(&sc.st_mtim, h->cur_sec, h->cur_nsec)
            && (mb->readonly || (h->ninnew == 0 && h->nfresh == 0))) {
            if (h->new_ok && same_time(&sn.st_mtim, h->new_sec, h->new_nsec))
                return 0;
            /* an empty new/ too young to note: nothing to do either */
            if (!older(&sn.st_mtim, &now) && new_empty(mb->dir))
                return 0;
        }
    }
    if (mb_lock(mb) == -1)
        return -1;
    r = fresh_locked(mb);
    mb_unlock(mb);
    return r;
}

/* How many of the view's messages are \Recent for this session. */
static uint32_t
count_recent(struct mbox *mb)
{
    uint32_t i, n = 0, c;

    for (i = 0; i < mb->nrec; i++)
        if (mbox_seq_of_uid(mb, mb->recent[i]) != 0)
            n++;
    /* read-only: what is in new/ or not yet shown (nobody's yet) */
    if (mb->readonly && mb->ixok
        && (ix_hdr(&mb->ix)->ninnew > 0 || ix_hdr(&mb->ix)->nfresh > 0)) {
        c = ix_count(&mb->ix);
        for (i = 0; i < c; i++) {
            const struct ixrec *r = ix_rec(&mb->ix, i);
            if ((r->flags & (IXF_INNEW | IXF_FRESH)) && !(r->flags & IXF_GONE)
                && !is_recent(mb, r->uid) && mbox_seq_of_uid(mb, r->uid))
                n++;
        }
    }
    return n;
}

static int
view_push(struct mbox *mb, uint32_t uid)
{
    if (mb->n == mb->cap) {
        uint32_t nc = mb->cap ? mb->cap + mb->cap / 2 : 256;
        uint32_t *p;
        if (mb->n >= MBOX_MESSAGES_MAX) {
            errno = EFBIG;
            return -1;
        }
        p = realloc(mb->uid, (size_t)nc * sizeof *p);
        if (p == NULL)
            return -1;
        mb->uid = p;
        mb->cap = nc;
    }
    mb->uid[mb->n++] = uid;
    return 0;
}

/*
 * Bring the view up to the index: messages gone from it (or
 * tombstones) are reported expunged, records changed since the modseq
 * the view saw are reported as flag changes (all of them when the index
 * is of another lineage), records above the view's highest UID are
 * added (a lower UID never shown is never shown: IMAP's UIDs only grow).
 */
static int
update_view(struct mbox *mb, const struct mbox_events *ev)
{
    struct ix *ix = &mb->ix;
    struct ixhdr *h;
    uint32_t i, c, removed = 0, vmax, *chg = NULL, nchg = 0, capchg = 0;
    uint64_t ms;
    long k;
    int all, rc = -1;

    if (!mb->ixok) {
        errno = EIO;
        return -1;
    }
    h = ix_hdr(ix);
    ms = __atomic_load_n(&h->modseq, __ATOMIC_ACQUIRE);
    c = ix_count(ix);
    all = h->epoch != mb->seen_epoch;
    if (!all && !ix->anon && !mb->seen_anon && mb->seen_dev == ix->dev
        && mb->seen_ino == ix->ino && ms == mb->seen_modseq
        && c == mb->seen_count) {
        mb->nown = 0;
        return 0;
    }
    if (mb->nown > 1)
        qsort(mb->own, mb->nown, sizeof *mb->own, own_cmp);
    vmax = mb->n ? mb->uid[mb->n - 1] : 0;
    for (i = 0; i < mb->n; i++) {
        const struct ixrec *r;
        uint16_t fl;
        k = ix_find(ix, mb->uid[i], &mb->hint);
        r = k >= 0 ? ix_rec(ix, (uint32_t)k) : NULL;
        fl = r ? __atomic_load_n(&r->flags, __ATOMIC_RELAXED) : 0;
        if (r == NULL || (fl & IXF_GONE)) {
            if (ev != NULL && ev->expunged != NULL)
                ev->expunged(ev->arg, i - removed + 1);
            removed++;
            continue;
        }
        mb->uid[i - removed] = mb->uid[i];
        if (ev != NULL && ev->flags != NULL
            && (all || r->modseq > mb->seen_modseq)
            && !is_own(mb, r->uid, r->modseq)) {
            if (nchg == capchg) {
                uint32_t nc = capchg ? capchg * 2 : 64;
                uint32_t *p = realloc(chg, nc * sizeof *p);
                if (p == NULL)
                    continue; /* the update is lost, not the session */
                chg = p;
                capchg = nc;
            }
            chg[nchg++] = r->uid;
        }
    }
    mb->n -= removed;
    /* the records above the view: the first with a UID over vmax */
    {
        uint32_t lo = 0, hi = c;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (ix_rec(ix, mid)->uid <= vmax)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (i = lo; i < c; i++) {
            const struct ixrec *r = ix_rec(ix, i);
            uint16_t fl = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
            if ((fl & IXF_GONE) || ((fl & IXF_INNEW) && !mb->readonly))
                continue;
            if (view_push(mb, r->uid) == -1)
                goto out;
        }
    }
    for (i = 0; i < nchg; i++) {
        uint32_t seq = mbox_seq_of_uid(mb, chg[i]);
        if (seq != 0)
            ev->flags(ev->arg, seq);
    }
    mb->uidvalidity = h->validity;
    mb->uidnext = h->uidnext;
    if (mb->n > 0 && mb->uid[mb->n - 1] >= mb->uidnext)
        mb->uidnext = mb->uid[mb->n - 1] + 1;
    mb->nrecent = count_recent(mb);
    mb->seen_modseq = ms;
    mb->seen_epoch = h->epoch;
    mb->seen_dev = ix->dev;
    mb->seen_ino = ix->ino;
    mb->seen_anon = ix->anon;
    mb->seen_count = c;
    mb->nown = 0;
    rc = 0;
out:
    free(chg);
    return rc;
}

int
mbox_sync(struct mbox *mb, const struct mbox_events *ev)
{
    if (refresh(mb) == -1)
        return -1;
    return update_view(mb, ev);
}

/* ------------------------------------------------------------------ */
/* Keywords. */

static void
kw_load(struct mbox *mb)
{
    char path[IMAP_MAILBOX_MAX * 2 + 32];
    char *buf, *p, *nl;
    size_t len;

    mb->nkw = 0;
    memset(mb->kwname, 0, sizeof mb->kwname);
    if (pathf(path, sizeof path, "%s/%s", mb->dir, KEYWORDS) == -1)
        return;
    buf = read_file(path, 65536, &len);
    if (buf == NULL)
        return;
    for (p = buf; (nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL;
         p = nl + 1) {
        char *sp;
        unsigned long i;
        *nl = 0;
        i = strtoul(p, &sp, 10);
        if (sp == p || *sp != ' ' || i >= IMAP_KEYWORDS_MAX
            || strlen(sp + 1) == 0 || strlen(sp + 1) > IMAP_KEYWORD_LEN_MAX)
            continue;
        snprintf(mb->kwname[i], sizeof mb->kwname[i], "%s", sp + 1);
        if (i + 1 > mb->nkw)
            mb->nkw = (unsigned)i + 1;
    }
    free(buf);
}

int
mbox_keyword(struct mbox *mb, const char *name, size_t len, int create)
{
    char path[IMAP_MAILBOX_MAX * 2 + 32], tmp[IMAP_MAILBOX_MAX * 2 + 40];
    struct str s = { 0 };
    unsigned i;
    int lock, fd, r = -1;

    if (len == 0 || len > IMAP_KEYWORD_LEN_MAX)
        return -1;
    for (i = 0; i < mb->nkw; i++)
        if (strlen(mb->kwname[i]) == len
            && strncasecmp(mb->kwname[i], name, len) == 0)
            return (int)i;
    if (!create || mb->readonly)
        return -1;
    lock = lock_dir(mb->dir);
    if (lock == -1)
        return -1;
    kw_load(mb); /* another session may have added it */
    for (i = 0; i < mb->nkw; i++)
        if (strlen(mb->kwname[i]) == len
            && strncasecmp(mb->kwname[i], name, len) == 0) {
            r = (int)i;
            goto out;
        }
    if (mb->nkw >= IMAP_KEYWORDS_MAX)
        goto out;
    memcpy(mb->kwname[mb->nkw], name, len);
    mb->kwname[mb->nkw][len] = 0;
    mb->nkw++;
    for (i = 0; i < mb->nkw; i++)
        if (mb->kwname[i][0])
            str_printf(&s, "%u %s\n", i, mb->kwname[i]);
    if (s.err || pathf(path, sizeof path, "%s/%s", mb->dir, KEYWORDS) == -1
        || pathf(tmp, sizeof tmp, "%s/%s.tmp", mb->dir, KEYWORDS) == -1)
        goto out;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
        0600);
    if (fd == -1)
        goto out;
    if (fd_write_all(fd, s.s, s.len, -1) == -1 || fdatasync(fd) == -1
        || close(fd) == -1 || rename(tmp, path) == -1
        || sync_dir(mb->dir, ".") == -1) {
        unlink(tmp);
        mb->nkw--;
        goto out;
    }
    r = (int)mb->nkw - 1;
out:
    close(lock);
    str_free(&s);
    return r;
}


/* The header of the file at path: its bytes up to and with the empty
 * line that ends it (or the whole file when it has none), read in
 * blocks, so that a FETCH of header fields does not read bodies. */
static char *
read_header(const char *path, size_t *len, int64_t *mtime)
{
    char *p = NULL;
    size_t n = 0, cap = 0;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd == -1)
        return NULL;
    /* the internal date while the file is open: no second path lookup */
    if (*mtime == -1 && fstat(fd, &st) == 0)
        *mtime = st.st_mtime;
    for (;;) {
        size_t i, from = n > 2 ? n - 2 : 0;
        ssize_t r;
        if (n + HEADER_BLOCK + 1 > cap) {
            char *np;
            if (cap >= MBOX_HEADER_MAX) {
                /* a header this long: the caller reads the file whole */
                free(p);
                close(fd);
                errno = EFBIG;
                return NULL;
            }
            cap = cap ? cap * 2 : HEADER_BLOCK * 2;
            np = realloc(p, cap);
            if (np == NULL) {
                free(p);
                close(fd);
                return NULL;
            }
            p = np;
        }
        r = read(fd, p + n, HEADER_BLOCK);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1) {
            free(p);
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        /* LF LF, or LF CR LF */
        for (i = from; i + 1 < n; i++)
            if (p[i] == '\n' && (p[i + 1] == '\n'
                || (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n'))) {
                n = i + (p[i + 1] == '\n' ? 2 : 3);
                goto done;
            }
    }
done:
    close(fd);
    if (p == NULL && (p = malloc(1)) == NULL)
        return NULL;
    p[n] = 0;
    *len = n;
    return p;
}

/* ------------------------------------------------------------------ */

int
mbox_open(struct mbox *mb, const char *dir, const char *name, int readonly)
{
    struct stat st;

    memset(mb, 0, sizeof *mb);
    mb->lock = -1;
    mb->ix.fd = -1;
    if (snprintf(mb->dir, sizeof mb->dir, "%s", dir) >= (int)sizeof mb->dir
        || snprintf(mb->name, sizeof mb->name, "%s", name)
            >= (int)sizeof mb->name) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (stat_sub(dir, "cur", &st) == -1 || !S_ISDIR(st.st_mode)) {
        errno = ENOENT;
        return -1;
    }
    mb->readonly = readonly;
    kw_load(mb);
    if (mbox_sync(mb, NULL) == -1) {
        int e = errno;
        mbox_close(mb);
        errno = e;
        return -1;
    }
    return 0;
}

void
mbox_close(struct mbox *mb)
{
    while (mb->lockdepth > 0)
        mb_unlock(mb);
    ix_close(&mb->ix);
    free(mb->uid);
    free(mb->recent);
    free(mb->own);
    memset(mb, 0, sizeof *mb);
    mb->lock = -1;
    mb->ix.fd = -1;
}

uint32_t
mbox_seq_of_uid(const struct mbox *mb, uint32_t uid)
{
    uint32_t lo = 0, hi = mb->n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (mb->uid[mid] == uid)
            return mid + 1;
        if (mb->uid[mid] < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* The record of uid in the index, or NULL (expunged and forgotten). */
static struct ixrec *
rec_of(struct mbox *mb, uint32_t uid)
{
    long k;

    if (!mb->ixok)
        return NULL;
    k = ix_find(&mb->ix, uid, &mb->hint);
    return k >= 0 ? ix_rec(&mb->ix, (uint32_t)k) : NULL;
}

struct msg
mbox_msg(struct mbox *mb, uint32_t seq)
{
    struct msg m;
    const struct ixrec *r;

    memset(&m, 0, sizeof m);
    if (seq == 0 || seq > mb->n)
        return m;
    m.seq = seq;
    m.uid = mb->uid[seq - 1];
    r = rec_of(mb, m.uid);
    if (r != NULL) {
        uint16_t fl = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
        m.flags = fl & IXF_SYS;
        m.kw = __atomic_load_n(&r->kw, __ATOMIC_RELAXED);
        if ((fl & (IXF_INNEW | IXF_FRESH)) && mb->readonly)
            m.flags |= IMAPF_RECENT;
    }
    if (is_recent(mb, m.uid))
        m.flags |= IMAPF_RECENT;
    return m;
}

/* The flag letters of a name in cur/ (":2," not included) into out. */
static void
letters(unsigned flags, uint32_t kw, char *out)
{
    size_t n = 0;
    unsigned i;

    for (i = 0; i < 5; i++)
        if (flags & sysflags[i])
            out[n++] = sysletters[i];
    for (i = 0; i < IMAP_KEYWORDS_MAX; i++)
        if (kw & (1u << i))
            out[n++] = (char)('a' + i);
    out[n] = 0;
}

static int
rec_path(struct mbox *mb, const struct ixrec *r, char *out, size_t len)
{
    const char *b = ix_base(&mb->ix, r);
    uint16_t fl = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
    char l[8 + IMAP_KEYWORDS_MAX];
    int n;

    if (fl & IXF_INNEW)
        n = snprintf(out, len, "%s/new/%.*s", mb->dir, (int)r->baselen, b);
    else if (fl & IXF_WHOLE)
        n = snprintf(out, len, "%s/cur/%.*s", mb->dir, (int)r->baselen, b);
    else {
        letters(fl & IXF_SYS, __atomic_load_n(&r->kw, __ATOMIC_RELAXED), l);
        n = snprintf(out, len, "%s/cur/%.*s:2,%s", mb->dir, (int)r->baselen,
            b, l);
    }
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int
mbox_path(struct mbox *mb, const struct msg *m, char *out, size_t len)
{
    const struct ixrec *r = rec_of(mb, m->uid);

    if (r == NULL || (r->flags & IXF_GONE)) {
        errno = ENOENT;
        return -1;
    }
    return rec_path(mb, r, out, len);
}

/* A file not where the index says: another program renamed or removed
 * it.  A full look puts the index right.  0 or -1. */
static int
look_again(struct mbox *mb)
{
    int r;

    if (mb_lock(mb) == -1)
        return -1;
    r = full_locked(mb);
    mb_unlock(mb);
    return r;
}

/* Keep what was learnt of a message's file in the index, for every
 * session: the values are the file's, whoever stores them. */
static void
learn(struct mbox *mb, uint32_t uid, int64_t mtime, uint64_t size)
{
    struct ixrec *r = rec_of(mb, uid);

    if (r == NULL)
        return;
    if (mtime != -1)
        __atomic_store_n(&r->mtime, mtime, __ATOMIC_RELAXED);
    if (size != UINT64_MAX)
        __atomic_store_n(&r->size, size, __ATOMIC_RELAXED);
}

char *
mbox_read(struct mbox *mb, const struct msg *m, size_t *len)
{
    char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    struct stat st;
    char *p;

    if (mbox_path(mb, m, path, sizeof path) == -1)
        return NULL;
    p = read_file_st(path, STR_MAX, len, &st);
    if (p == NULL && errno == ENOENT && look_again(mb) == 0
        && mbox_path(mb, m, path, sizeof path) == 0)
        p = read_file_st(path, STR_MAX, len, &st);
    if (p != NULL)
        learn(mb, m->uid, st.st_mtime, crlf_size(p, *len));
    return p;
}

char *
mbox_read_header(struct mbox *mb, const struct msg *m, size_t *len)
{
    char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    int64_t mt = -1;
    char *p;

    if (mbox_path(mb, m, path, sizeof path) == -1)
        return NULL;
    p = read_header(path, len, &mt);
    if (p == NULL && errno == ENOENT && look_again(mb) == 0
        && mbox_path(mb, m, path, sizeof path) == 0)
        p = read_header(path, len, &mt);
    if (p == NULL && errno == EFBIG)
        return mbox_read(mb, m, len);
    if (p != NULL)
        learn(mb, m->uid, mt, UINT64_MAX);
    return p;
}

int
mbox_size(struct mbox *mb, const struct msg *m, uint64_t *size)
{
    char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    const struct ixrec *r = rec_of(mb, m->uid);
    uint64_t s;

    if (r != NULL
        && (s = __atomic_load_n(&r->size, __ATOMIC_RELAXED)) != UINT64_MAX) {
        *size = s;
        return 0;
    }
    if (mbox_path(mb, m, path, sizeof path) == -1)
        return -1;
    if (file_crlf_size(path, &s) == -1) {
        if (errno != ENOENT || look_again(mb) == -1
            || mbox_path(mb, m, path, sizeof path) == -1
            || file_crlf_size(path, &s) == -1)
            return -1;
    }
    learn(mb, m->uid, -1, s);
    *size = s;
    return 0;
}

int
mbox_mtime(struct mbox *mb, const struct msg *m, int64_t *t)
{
    char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    const struct ixrec *r = rec_of(mb, m->uid);
    struct stat st;
    int64_t v;

    if (r != NULL && (v = __atomic_load_n(&r->mtime, __ATOMIC_RELAXED)) != -1) {
        *t = v;
        return 0;
    }
    if (mbox_path(mb, m, path, sizeof path) == -1)
        return -1;
    if (stat(path, &st) == -1) {
        if (errno != ENOENT || look_again(mb) == -1
            || mbox_path(mb, m, path, sizeof path) == -1
            || stat(path, &st) == -1)
            return -1;
    }
    learn(mb, m->uid, st.st_mtime, UINT64_MAX);
    *t = st.st_mtime;
    return 0;
}

/* The flags mode (0 set, 1 add, -1 remove) makes of cur and curkw. */
static void
apply(unsigned cur, uint32_t curkw, int mode, unsigned flags, uint32_t kw,
    unsigned *nf, uint32_t *nk)
{
    flags &= IXF_SYS;
    if (mode > 0) {
        *nf = cur | flags;
        *nk = curkw | kw;
    } else if (mode < 0) {
        *nf = cur & ~flags;
        *nk = curkw & ~kw;
    } else {
        *nf = flags;
        *nk = kw;
    }
}

int
mbox_setflags(struct mbox *mb, struct msg *m, int mode, unsigned flags,
    uint32_t kw)
{
    char from[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    char to[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 64];
    char l[8 + IMAP_KEYWORDS_MAX];
    int tries, rc = -1;

    if (mb->readonly) {
        errno = EROFS;
        return -1;
    }
    if (mb_lock(mb) == -1)
        return -1;
    if (fresh_locked(mb) == -1)
        goto out;
    /* the change is applied to the flags the index has now, which hold
     * every other session's change (made under this lock) */
    for (tries = 0; tries < 2; tries++) {
        struct ixrec *r = rec_of(mb, m->uid);
        const char *b;
        unsigned nf;
        uint32_t nk;
        size_t bl;
        int n;
        if (r == NULL || (r->flags & IXF_GONE)) {
            errno = ENOENT;
            goto out;
        }
        if (r->flags & IXF_INNEW) {
            errno = EROFS; /* still in new/: it could not be moved */
            goto out;
        }
        apply(r->flags & IXF_SYS, r->kw, mode, flags, kw, &nf, &nk);
        if ((r->flags & IXF_SYS) == nf && r->kw == nk) {
            rc = 0;
            break;
        }
        /* a name kept whole loses what followed its first ':' */
        b = ix_base(&mb->ix, r);
        bl = r->baselen;
        if (r->flags & IXF_WHOLE) {
            const char *colon = memchr(b, ':', bl);
            if (colon != NULL)
                bl = (size_t)(colon - b);
        }
        letters(nf, nk, l);
        n = snprintf(to, sizeof to, "%s/cur/%.*s:2,%s", mb->dir, (int)bl, b, l);
        if (n < 0 || (size_t)n >= sizeof to
            || rec_path(mb, r, from, sizeof from) == -1)
            goto out;
        if (rename(from, to) == 0) {
            __atomic_store_n(&r->kw, nk, __ATOMIC_RELAXED);
            __atomic_store_n(&r->flags,
                (uint16_t)((r->flags & ~(IXF_SYS | IXF_WHOLE)) | nf),
                __ATOMIC_RELAXED);
            r->baselen = (uint16_t)bl;
            ix_touch(&mb->ix, r);
            own_add(mb, r->uid, r->modseq);
            mb->curdirty = 1;
            rc = 0;
            break;
        }
        if (errno != ENOENT || tries > 0 || full_locked(mb) == -1)
            goto out; /* else: renamed by another program: look again */
    }
out:
    if (rc == 0) {
        const struct ixrec *r = rec_of(mb, m->uid);
        if (r != NULL) {
            m->flags = (m->flags & IMAPF_RECENT) | (r->flags & IXF_SYS);
            m->kw = r->kw;
        }
    }
    mb_unlock(mb);
    return rc;
}

/* Under the lock: a record is a tombstone now. */
static void
bury(struct mbox *mb, struct ixrec *r)
{
    __atomic_store_n(&r->flags, (uint16_t)(r->flags | IXF_GONE),
        __ATOMIC_RELAXED);
    ix_hdr(&mb->ix)->ngone++;
    ix_touch(&mb->ix, r);
    own_add(mb, r->uid, r->modseq);
}

/* Under the lock: write the index anew without its tombstones, and the
 * uidlist without the lines of files long gone, when they are many. */
static void
compact(struct mbox *mb)
{
    struct ixhdr *h = ix_hdr(&mb->ix);
    uint32_t c = ix_count(&mb->ix), i, n = 0;
    struct ixent *e;
    struct uidlist ul;

    if (h->ngone > COMPACT_SLACK && h->ngone > c / 4
        && (e = calloc(c + 1, sizeof *e)) != NULL) {
        uint64_t nok = h->new_ok, cok = h->cur_ok;
        int64_t ns = h->new_sec, nn = h->new_nsec, cs = h->cur_sec,
                cn = h->cur_nsec;
        for (i = 0; i < c; i++) {
            const struct ixrec *r = ix_rec(&mb->ix, i);
            if (r->flags & IXF_GONE)
                continue;
            e[n].uid = r->uid;
            e[n].flags = r->flags;
            e[n].kw = r->kw;
            e[n].base = ix_base(&mb->ix, r);
            e[n].baselen = r->baselen;
            n++;
        }
        if (ix_write(&mb->ix, mb->dir, e, n, &mb->ix, h->validity, h->uidnext)
            == 0) {
            h = ix_hdr(&mb->ix);
            h->new_ok = (uint32_t)nok;
            h->new_sec = ns;
            h->new_nsec = nn;
            h->cur_ok = (uint32_t)cok;
            h->cur_sec = cs;
            h->cur_nsec = cn;
            mb->hint = 0;
        } else {
            mb->ixok = 0; /* the next look is a full one */
        }
        free(e);
    }
    if (!mb->ixok || ul_read(mb->dir, &ul) != 1)
        return;
    if (ul.n > (size_t)ix_count(&mb->ix) * 2 + COMPACT_SLACK) {
        struct str lines = { 0 };
        c = ix_count(&mb->ix);
        for (i = 0; i < c; i++) {
            const struct ixrec *r = ix_rec(&mb->ix, i);
            const char *b = ix_base(&mb->ix, r);
            size_t bl;
            if (r->flags & IXF_GONE)
                continue;
            /* the uidlist's key of the file */
            {
                char nm[MBOX_NAME_MAX + 1];
                size_t whole;
                snprintf(nm, sizeof nm, "%.*s", (int)r->baselen, b);
                bl = (r->flags & IXF_INNEW) ? strlen(nm) : ukey(nm, &whole);
            }
            str_printf(&lines, "%u %.*s\n", r->uid, (int)bl, b);
        }
        if (!lines.err)
            (void)ul_rewrite(mb->dir, ul.validity, ul.next,
                lines.s ? lines.s : "", lines.len);
        str_free(&lines);
    }
    ul_free(&ul);
}

/* Expunge the view's messages that are \Deleted and in uids (when not
 * NULL), or, with list, those whose UIDs list[0..nlist) holds. */
static int
expunge_some(struct mbox *mb, const struct seqset *uids, const uint32_t *list,
    size_t nlist, const struct mbox_events *ev)
{
    char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    uint32_t i, removed = 0;
    size_t li = 0;
    int rc = 0, any = 0;

    if (mb->readonly)
        return 0;
    if (mb_lock(mb) == -1)
        return -1;
    if (fresh_locked(mb) == -1) {
        mb_unlock(mb);
        return -1;
    }
    for (i = 0; i < mb->n; i++) {
        uint32_t u = mb->uid[i];
        struct ixrec *r = rec_of(mb, u);
        int want;
        if (list != NULL) {
            while (li < nlist && list[li] < u)
                li++;
            want = li < nlist && list[li] == u;
        } else {
            want = r != NULL && (r->flags & IMAPF_DELETED)
                && (uids == NULL || seqset_has(uids, u));
        }
        if (rc == 0 && want && r != NULL && !(r->flags & IXF_GONE)) {
            if (rec_path(mb, r, path, sizeof path) == -1) {
                rc = -1;
                goto keep;
            }
            if (unlink(path) == -1) {
                if (errno != ENOENT) {
                    rc = -1;
                    goto keep;
                }
                /* renamed by another program: look again */
                if (full_locked(mb) == -1) {
                    rc = -1;
                    goto keep;
                }
                r = rec_of(mb, u);
                if (r != NULL && !(r->flags & IXF_GONE) && list == NULL
                    && !(r->flags & IMAPF_DELETED)) {
                    /* no longer \Deleted: it stays */
                    if (ev != NULL && ev->flags != NULL)
                        ev->flags(ev->arg, i - removed + 1);
                    goto keep;
                }
                if (r != NULL && !(r->flags & IXF_GONE)
                    && (rec_path(mb, r, path, sizeof path) == -1
                        || (unlink(path) == -1 && errno != ENOENT))) {
                    rc = -1;
                    goto keep;
                }
            }
            if (r != NULL && !(r->flags & IXF_GONE))
                bury(mb, r);
            if (ev != NULL && ev->expunged != NULL)
                ev->expunged(ev->arg, i - removed + 1);
            removed++;
            any = 1;
            continue;
        }
    keep:
        mb->uid[i - removed] = u;
    }
    mb->n -= removed;
    mb->nrecent = count_recent(mb);
    if (any) {
        mb->curdirty = 1;
        if (sync_dir(mb->dir, "cur") == -1)
            rc = -1;
        compact(mb);
    }
    mb_unlock(mb);
    return rc;
}

int
mbox_expunge(struct mbox *mb, const struct seqset *uids,
    const struct mbox_events *ev)
{
    return expunge_some(mb, uids, NULL, 0, ev);
}

int
mbox_expunge_uids(struct mbox *mb, const uint32_t *u, size_t n,
    const struct mbox_events *ev)
{
    return expunge_some(mb, NULL, u, n, ev);
}


int
mbox_create(const char *dir)
{
    static const char *sub[] = { "cur", "new", "tmp" };
    char p[IMAP_MAILBOX_MAX * 2 + 32];
    unsigned i;
    int fd;

    if (mkdir(dir, 0700) == -1)
        return -1;
    for (i = 0; i < 3; i++)
        if (pathf(p, sizeof p, "%s/%s", dir, sub[i]) == -1
            || mkdir(p, 0700) == -1)
            return -1;
    if (pathf(p, sizeof p, "%s/%s", dir, "maildirfolder") == -1)
        return -1;
    fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd == -1)
        return -1;
    close(fd);
    if (sync_dir(dir, ".") == -1 || sync_dir(".", "."))
        return -1;
    return 0;
}

/* Write p[0..n) to fd with LF line ends (CRLF becomes LF). */
static int
write_lf(int fd, const char *p, size_t n)
{
    size_t i = 0, start = 0;

    for (i = 0; i + 1 < n; i++) {
        if (p[i] == '\r' && p[i + 1] == '\n') {
            if (fd_write_all(fd, p + start, i - start, -1) == -1)
                return -1;
            start = i + 1;
        }
    }
    return fd_write_all(fd, p + start, n - start, -1);
}

int
mbox_add(const char *dir, const char *srcpath, const char *p, size_t n,
    unsigned flags, char kwnames[][IMAP_KEYWORD_LEN_MAX + 1], uint32_t kw,
    int64_t date, uint32_t *validity, uint32_t *uid)
{
    char base[MBOX_NAME_MAX], tmp[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    char to[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 64], wbase[MBOX_NAME_MAX + 32];
    struct mbox dst;
    struct str line = { 0 };
    struct stat sc;
    uint64_t size;
    uint32_t dkw = 0, next;
    char *nn = NULL;
    unsigned i;
    int fd, r, rc = -1, usable = 0;

    /* the destination as a read-only mailbox of no session: its index
     * is brought up to date, nothing leaves its new/ */
    memset(&dst, 0, sizeof dst);
    dst.ix.fd = -1;
    dst.lock = -1;
    dst.readonly = 1;
    snprintf(dst.dir, sizeof dst.dir, "%s", dir);
    if (stat_sub(dir, "cur", &sc) == -1 || !S_ISDIR(sc.st_mode)) {
        errno = ENOENT;
        return -1;
    }
    kw_load(&dst);
    for (i = 0; i < IMAP_KEYWORDS_MAX && kwnames != NULL; i++)
        if (kw & (1u << i)) {
            int k = mbox_keyword(&dst, kwnames[i], strlen(kwnames[i]), 1);
            if (k >= 0)
                dkw |= 1u << k;
        }
    unique_base(base, sizeof base);
    if (pathf(tmp, sizeof tmp, "%s/tmp/%s", dir, base) == -1)
        return -1;
    if (srcpath != NULL && link(srcpath, tmp) == 0) {
        if (file_crlf_size(tmp, &size) == -1)
            goto out;
    } else {
        char *copy = NULL;
        size_t clen = 0;
        if (srcpath != NULL) {
            copy = read_file(srcpath, STR_MAX, &clen);
            if (copy == NULL)
                goto out;
            p = copy;
            n = clen;
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
            0600);
        if (fd == -1) {
            free(copy);
            goto out;
        }
        r = write_lf(fd, p, n);
        if (r == 0 && date >= 0) {
            struct timespec ts[2] = { { (time_t)date, 0 }, { (time_t)date, 0 } };
            r = futimens(fd, ts);
        }
        if (r == -1 || fsync(fd) == -1 || close(fd) == -1) {
            free(copy);
            goto out;
        }
        free(copy);
        if (file_crlf_size(tmp, &size) == -1)
            goto out;
    }
    snprintf(wbase, sizeof wbase, "%s,W=%llu", base, (unsigned long long)size);
    nn = make_name(wbase, strlen(wbase), flags & IXF_SYS, dkw);
    if (nn == NULL || pathf(to, sizeof to, "%s/cur/%s", dir, nn) == -1)
        goto out;
    if (mb_lock(&dst) == -1)
        goto out;
    /* the index made current first (a look at the directories when it is
     * missing or stale, which the next SELECT would make anyway), so that
     * the message goes in as one no session has shown: \Recent for the
     * first that does */
    if (fresh_locked(&dst) == 0 && dst.ixok)
        usable = 1;
    /* the next UID from the uidlist's header and last line; a mailbox
     * without a list gets one (importing Dovecot's or Courier's) */
    r = ul_tail(dir, validity, &next);
    if (r == 0 || (r == -1 && errno == EINVAL)) {
        struct uidlist ul;
        if (ul_load(dir, &ul) != 1)
            goto out;
        ul_free(&ul);
        r = ul_tail(dir, validity, &next);
    }
    if (r != 1)
        goto out;
    if (next == UINT32_MAX) {
        errno = EOVERFLOW;
        goto out;
    }
    if (usable) {
        struct ixhdr *h = ix_hdr(&dst.ix);
        usable = h->validity == *validity && h->uidnext == next;
    }
    *uid = next++;
    str_printf(&line, "%u %s\n", *uid, base);
    if (line.err || ul_append(dir, *validity, next, line.s, line.len) == -1)
        goto out;
    if (pathf(tmp, sizeof tmp, "%s/tmp/%s", dir, base) == -1
        || rename(tmp, to) == -1 || sync_dir(dir, "cur") == -1)
        goto out;
    if (dst.ixok) {
        struct ixent x;
        x.uid = *uid;
        x.flags = (flags & IXF_SYS) | IXF_FRESH;
        x.kw = dkw;
        x.base = wbase;
        x.baselen = strlen(wbase);
        if (usable && ix_append(&dst.ix, &x) == 0)
            dst.curdirty = 1; /* cur/'s time noted as the lock goes */
        else
            ix_hdr(&dst.ix)->cur_ok = 0;
    }
    rc = 0;
out:
    if (rc == -1 && pathf(tmp, sizeof tmp, "%s/tmp/%s", dir, base) == 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    mbox_close(&dst);
    free(nn);
    str_free(&line);
    return rc;
}

int
mbox_status(const char *dir, uint32_t *validity, uint32_t *uidnext,
    uint32_t *messages, uint32_t *recent, uint32_t *unseen)
{
    struct mbox mb;
    uint32_t i;

    /* read-only: nothing leaves new/, so new/ is what is recent */
    if (mbox_open(&mb, dir, "", 1) == -1)
        return -1;
    *validity = mb.uidvalidity;
    *uidnext = mb.uidnext;
    *messages = mb.n;
    *recent = mb.nrecent;
    *unseen = 0;
    for (i = 0; i < mb.n; i++)
        if (!(mbox_msg(&mb, i + 1).flags & IMAPF_SEEN))
            (*unseen)++;
    mbox_close(&mb);
    return 0;
}
