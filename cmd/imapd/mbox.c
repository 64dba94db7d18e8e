/* mbox.c - one IMAP mailbox over a Maildir++ folder (see mbox.h). */
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

int
mbox_path(const struct mbox *mb, const struct msg *m, char *out, size_t len)
{
    return pathf(out, len, m->innew ? "%s/new/%s" : "%s/cur/%s", mb->dir,
        m->name);
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

/* Is dir's uidlist still the file ul was read from, with nothing added? */
static int
ul_same(const char *dir, const struct uidlist *ul)
{
    char path[IMAP_MAILBOX_MAX * 2 + 32];
    struct stat st;

    if (pathf(path, sizeof path, "%s/%s", dir, UIDLIST) == -1
        || stat(path, &st) == -1)
        return 0;
    return st.st_dev == ul->dev && st.st_ino == ul->ino
        && (uint64_t)st.st_size == ul->len;
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

/* Under the lock: make dir's uidlist when it has none, importing
 * Dovecot's when there is one. */
static int
ul_create(const char *dir, int import)
{
    char path[IMAP_MAILBOX_MAX * 2 + 32];
    struct uidlist dv;
    struct str lines = { 0 };
    unsigned long v = 0, nx = 1;
    size_t i, len;
    uint32_t validity;
    int r;

    memset(&dv, 0, sizeof dv);
    if (pathf(path, sizeof path, "%s/%s", dir, DOVECOT_UIDLIST) == -1)
        return -1;
    dv.buf = import ? read_file(path, MBOX_UIDLIST_MAX, &len) : NULL;
    if (dv.buf != NULL) {
        char *nl = memchr(dv.buf, '\n', len), *f;
        /* "3 V<validity> N<next> G<guid>": fields after the version */
        if (nl != NULL && dv.buf[0] == '3' && dv.buf[1] == ' ') {
            *nl = 0;
            for (f = dv.buf + 2; f != NULL && *f; f = strchr(f, ' ')) {
                while (*f == ' ')
                    f++;
                if (*f == 'V')
                    v = strtoul(f + 1, NULL, 10);
                else if (*f == 'N')
                    nx = strtoul(f + 1, NULL, 10);
            }
            dv.len = len;
            dv.next = (uint32_t)(nx > 0 && nx < UINT32_MAX ? nx : 1);
            if (v > 0 && v <= UINT32_MAX
                && ul_parse_lines(&dv, nl + 1, dv.buf + len, 1) == 0) {
                for (i = 0; i < dv.n; i++) {
                    /* key as Dovecot wrote it: up to the end of line */
                    str_printf(&lines, "%u %s\n", dv.e[i].uid, dv.e[i].key);
                }
            } else {
                v = 0;
            }
        }
    }
    if (v > 0 && !lines.err) {
        validity = (uint32_t)v;
        /* the lines as Dovecot wrote them, in UID order */
        r = ul_rewrite(dir, validity, dv.next, lines.s ? lines.s : "",
            lines.len);
    } else {
        r = next_validity(&validity) == -1 ? -1
            : ul_rewrite(dir, validity, 1, "", 0);
    }
    ul_free(&dv);
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
    char path[IMAP_MAILBOX_MAX * 2 + 32];
    struct str lines = { 0 };
    struct ent **todo = NULL;
    size_t i, nt = 0;
    int fd, r = -1;

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
    if (pathf(path, sizeof path, "%s/%s", dir, UIDLIST) == -1)
        goto out;
    fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1)
        goto out;
    /* One sync for the lines and the header: whichever of the two a
     * crash keeps, the next UID is the larger of the header's and the
     * last whole line's plus one, so no UID a client was told of (only
     * after this sync) is given again. */
    if (fd_write_all(fd, lines.s, lines.len, -1) == -1
        || write_header(fd, ul->validity, ul->next) == -1
        || fdatasync(fd) == -1) {
        close(fd);
        goto out;
    }
    close(fd);
    r = 0;
out:
    free(todo);
    str_free(&lines);
    return r;
}

static void
msg_free(struct msg *m)
{
    free(m->name);
    m->name = NULL;
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

int
mbox_sync(struct mbox *mb, const struct mbox_events *ev)
{
    struct scan s = { 0 };
    struct uidlist ul;
    struct msg *nm = NULL;
    uint32_t nn = 0, oldmax = mb->n ? mb->m[mb->n - 1].uid : 0;
    size_t i, j;
    int r, lock = -1, rc = -1;
    struct stat sn, sc;
    char p[IMAP_MAILBOX_MAX * 2 + 16];
    struct timespec now;
    int moved = 0;
    size_t lost = 0;

    memset(&ul, 0, sizeof ul);
    /* Nothing changed when neither directory did since the last look:
     * every delivery, move, flag change and expunge renames or removes
     * a name in new/ or cur/.  A time stamp younger than TRUST_MARGIN_MS
     * is not trusted (a change in the same tick would not show), so such
     * a look is made again next time. */
    clock_gettime(CLOCK_REALTIME, &now);
    if (pathf(p, sizeof p, "%s/%s", mb->dir, "new") == -1 || stat(p, &sn) == -1
        || pathf(p, sizeof p, "%s/%s", mb->dir, "cur") == -1
        || stat(p, &sc) == -1)
        goto out;
    if (mb->trust && sn.st_mtim.tv_sec == mb->new_mtim.tv_sec
        && sn.st_mtim.tv_nsec == mb->new_mtim.tv_nsec
        && sc.st_mtim.tv_sec == mb->cur_mtim.tv_sec
        && sc.st_mtim.tv_nsec == mb->cur_mtim.tv_nsec)
        return 0;
    mb->trust = 0;
    /* new/ before cur/: a file moving between them is seen at least once */
    if (scan_sub(mb->dir, "new", 1, &s) == -1
        || scan_sub(mb->dir, "cur", 0, &s) == -1)
        goto out;
    r = ul_read(mb->dir, &ul);
    if (r == -1 && errno != EINVAL)
        goto out;
    for (i = 0; i < s.n && r == 1; i++) {
        s.e[i].uid = ul_find(&ul, s.e[i].name, s.e[i].keylen);
        if (s.e[i].uid == 0 || s.e[i].innew)
            break;
    }
    if (r != 1 || i < s.n) {
        /* something to write: under the lock, read again, unless the
         * list is the file already read, as long as it was (lines are
         * only appended; a rewrite is a new file) */
        lock = lock_dir(mb->dir);
        if (lock == -1)
            goto out;
        if (r != 1 || !ul_same(mb->dir, &ul)) {
            ul_free(&ul);
            r = ul_load(mb->dir, &ul);
        }
        if (r != 1 || assign(mb->dir, &s, &ul) == -1)
            goto out;
        close(lock);
        lock = -1;
        moved = 1; /* the list, and likely the directories, changed */
        for (i = 0; i < s.n; i++)
            if (s.e[i].innew && s.e[i].uid != 0 && !mb->readonly) {
                if (move_to_cur(mb->dir, &s.e[i]) == -1) {
                    if (errno != ENOENT)
                        goto out;
                    s.e[i].innew = 3; /* moved by another session */
                    lost++;
                } else if (s.e[i].uid > oldmax) {
                    s.e[i].innew = 2; /* ours: \Recent */
                }
            }
        if (lost > 0 && find_moved(mb->dir, &s) == -1)
            goto out;
    }
    mb->uidvalidity = ul.validity;
    /* the view: one entry a UID, in UID order */
    if (sort_by_uid(&s) == -1)
        goto out;
    nm = calloc(s.n + 1, sizeof *nm);
    if (nm == NULL)
        goto out;
    for (i = 0; i < s.n; i++) {
        struct ent *e = &s.e[i];
        if (e->uid == 0 || (e->innew == 1 && !mb->readonly))
            continue; /* not ours to show yet */
        if (nn > 0 && nm[nn - 1].uid == e->uid) {
            msg_free(&nm[nn - 1]); /* the cur/ one wins */
            nn--;
        }
        nm[nn].uid = e->uid;
        if (e->innew == 1) { /* read-only: still in new/ */
            nm[nn].name = e->name;
            e->name = NULL;
            nm[nn].baselen = strlen(nm[nn].name);
            nm[nn].innew = 1;
            nm[nn].flags = IMAPF_RECENT;
        } else {
            nm[nn].name = e->name;
            e->name = NULL;
            nm[nn].baselen = e->baselen;
            parse_flags(nm[nn].name, nm[nn].baselen, &nm[nn].flags,
                &nm[nn].kw);
            if (e->innew == 2)
                nm[nn].flags |= IMAPF_RECENT;
        }
        nm[nn].mtime = -1;
        nm[nn].size = UINT64_MAX;
        {
            const char *w = strstr(nm[nn].name, ",W=");
            if (w != NULL && w < nm[nn].name + nm[nn].baselen)
                nm[nn].size = strtoull(w + 3, NULL, 10);
        }
        nn++;
    }
    if (nn > MBOX_MESSAGES_MAX) {
        errno = EFBIG;
        goto out;
    }
    /* compare with the session's view */
    {
        uint32_t removed = 0;
        for (i = 0, j = 0; i < mb->n; i++) {
            struct msg *o = &mb->m[i];
            while (j < nn && nm[j].uid < o->uid && nm[j].uid <= oldmax) {
                /* a lower UID we never showed: not shown now either */
                msg_free(&nm[j]);
                memmove(&nm[j], &nm[j + 1], (nn - j - 1) * sizeof *nm);
                nn--;
            }
            if (j < nn && nm[j].uid == o->uid) {
                int changed = (nm[j].flags & ~IMAPF_RECENT)
                    != (o->flags & ~IMAPF_RECENT) || nm[j].kw != o->kw;
                nm[j].flags |= o->flags & IMAPF_RECENT;
                if (nm[j].size == UINT64_MAX)
                    nm[j].size = o->size;
                nm[j].mtime = o->mtime;
                if (changed && ev != NULL && ev->flags != NULL)
                    ev->flags(ev->arg, (uint32_t)j + 1);
                j++;
            } else {
                if (ev != NULL && ev->expunged != NULL)
                    ev->expunged(ev->arg, (uint32_t)(i - removed + 1));
                removed++;
            }
        }
    }
    for (i = 0; i < mb->n; i++)
        msg_free(&mb->m[i]);
    free(mb->m);
    mb->m = nm;
    mb->n = nn;
    mb->cap = (uint32_t)s.n + 1;
    nm = NULL;
    mb->uidnext = ul.next;
    if (mb->n > 0 && mb->m[mb->n - 1].uid >= mb->uidnext)
        mb->uidnext = mb->m[mb->n - 1].uid + 1;
    mb->nrecent = 0;
    for (i = 0; i < mb->n; i++)
        if (mb->m[i].flags & IMAPF_RECENT)
            mb->nrecent++;
    /* what the directories looked like before this scan, when this scan
     * changed nothing in them and they are old enough to be trusted */
    if (lock == -1 && !moved && older(&sn.st_mtim, &now)
        && older(&sc.st_mtim, &now)) {
        mb->new_mtim = sn.st_mtim;
        mb->cur_mtim = sc.st_mtim;
        mb->trust = 1;
    }
    rc = 0;
out:
    if (lock != -1)
        close(lock);
    if (nm != NULL) {
        for (i = 0; i < nn; i++)
            msg_free(&nm[i]);
        free(nm);
    }
    scan_free(&s);
    ul_free(&ul);
    return rc;
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

/* ------------------------------------------------------------------ */

int
mbox_open(struct mbox *mb, const char *dir, const char *name, int readonly)
{
    char p[IMAP_MAILBOX_MAX * 2 + 32];
    struct stat st;

    memset(mb, 0, sizeof *mb);
    if (snprintf(mb->dir, sizeof mb->dir, "%s", dir) >= (int)sizeof mb->dir
        || snprintf(mb->name, sizeof mb->name, "%s", name)
            >= (int)sizeof mb->name) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (pathf(p, sizeof p, "%s/%s", dir, "cur") == -1)
        return -1;
    if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode)) {
        errno = ENOENT;
        return -1;
    }
    mb->readonly = readonly;
    kw_load(mb);
    return mbox_sync(mb, NULL);
}

void
mbox_close(struct mbox *mb)
{
    uint32_t i;

    for (i = 0; i < mb->n; i++)
        msg_free(&mb->m[i]);
    free(mb->m);
    memset(mb, 0, sizeof *mb);
}

uint32_t
mbox_seq_of_uid(const struct mbox *mb, uint32_t uid)
{
    uint32_t lo = 0, hi = mb->n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (mb->m[mid].uid == uid)
            return mid + 1;
        if (mb->m[mid].uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

struct nameidx {
    const char *base;
    size_t len;
    uint32_t i;
};

static int
nameidx_cmp(const void *a, const void *b)
{
    const struct nameidx *x = a, *y = b;
    size_t l = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->base, y->base, l);

    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * When a file is not where this session last saw it, another session
 * renamed it (flags) or removed it.  One look at cur/ puts every
 * message's current name in the view (when one moved, others likely did
 * too: one directory read for all of them, not one each), and marks the
 * messages whose files are gone.  0, or -1 with errno (ENOENT: m's file
 * is gone).
 */
static int
relocate(struct mbox *mb, struct msg *m)
{
    char path[IMAP_MAILBOX_MAX * 2 + 32];
    struct nameidx *ix;
    unsigned char *seen;
    struct dirent *d;
    uint32_t i;
    DIR *dp;

    if (m->gone) {
        errno = ENOENT;
        return -1;
    }
    if (pathf(path, sizeof path, "%s/%s", mb->dir, "cur") == -1)
        return -1;
    ix = malloc((mb->n + 1) * sizeof *ix);
    seen = calloc(mb->n + 1, 1);
    if (ix == NULL || seen == NULL) {
        free(ix);
        free(seen);
        return -1;
    }
    for (i = 0; i < mb->n; i++) {
        ix[i].base = mb->m[i].name;
        ix[i].len = mb->m[i].baselen;
        ix[i].i = i;
    }
    if (mb->n > 1)
        qsort(ix, mb->n, sizeof *ix, nameidx_cmp);
    dp = opendir(path);
    if (dp == NULL) {
        free(ix);
        free(seen);
        return -1;
    }
    while ((d = readdir(dp)) != NULL) {
        struct nameidx k, *hit;
        const char *colon = strchr(d->d_name, ':');
        k.base = d->d_name;
        k.len = colon ? (size_t)(colon - d->d_name) : strlen(d->d_name);
        hit = mb->n ? bsearch(&k, ix, mb->n, sizeof *ix, nameidx_cmp) : NULL;
        if (hit == NULL)
            continue;
        seen[hit->i] = 1;
        if (strcmp(mb->m[hit->i].name, d->d_name) != 0) {
            char *nn = strdup(d->d_name);
            if (nn == NULL)
                continue; /* stays stale: found again next time */
            free(mb->m[hit->i].name);
            mb->m[hit->i].name = nn;
            /* ix[] points into the old names: keep it valid */
            hit->base = nn;
        }
    }
    closedir(dp);
    for (i = 0; i < mb->n; i++)
        if (!seen[i] && !mb->m[i].innew)
            mb->m[i].gone = 1;
    free(ix);
    free(seen);
    if (m->gone) {
        errno = ENOENT;
        return -1;
    }
    return 0;
}

static void remember_size(struct mbox *mb, struct msg *m);

char *
mbox_read(struct mbox *mb, struct msg *m, size_t *len)
{
    char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    struct stat st;
    char *p;

    if (mbox_path(mb, m, path, sizeof path) == -1)
        return NULL;
    p = read_file_st(path, STR_MAX, len, &st);
    if (p == NULL && errno == ENOENT && relocate(mb, m) == 0
        && mbox_path(mb, m, path, sizeof path) == 0)
        p = read_file_st(path, STR_MAX, len, &st);
    if (p != NULL && m->mtime == -1)
        m->mtime = st.st_mtime;
    if (p != NULL && m->size == UINT64_MAX) {
        m->size = crlf_size(p, *len);
        remember_size(mb, m);
    }
    return p;
}

/* Keep a size just counted in the file's name (",W=<size>" at the end
 * of its base: Dovecot's convention), so that no session reads the file
 * for it again.  Not in a read-only session; a failure costs nothing but
 * a later count. */
static void
remember_size(struct mbox *mb, struct msg *m)
{
    char from[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    char to[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 64];
    char base[MBOX_NAME_MAX + 32];
    char *nn;
    int n;
    size_t i;

    if (mb->readonly || m->innew || m->size == UINT64_MAX)
        return;
    for (i = 0; i + 3 <= m->baselen; i++)
        if (memcmp(m->name + i, ",W=", 3) == 0)
            return;
    n = snprintf(base, sizeof base, "%.*s,W=%llu", (int)m->baselen, m->name,
        (unsigned long long)m->size);
    if (n < 0 || (size_t)n >= sizeof base || n > MBOX_NAME_MAX - 40)
        return;
    nn = make_name(base, (size_t)n, m->flags, m->kw);
    if (nn == NULL)
        return;
    if (mbox_path(mb, m, from, sizeof from) == 0
        && pathf(to, sizeof to, "%s/cur/%s", mb->dir, nn) == 0
        && rename(from, to) == 0) {
        free(m->name);
        m->name = nn;
        m->baselen = (size_t)n;
        return;
    }
    free(nn);
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

char *
mbox_read_header(struct mbox *mb, struct msg *m, size_t *len)
{
    char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    char *p;

    if (mbox_path(mb, m, path, sizeof path) == -1)
        return NULL;
    p = read_header(path, len, &m->mtime);
    if (p == NULL && errno == ENOENT && relocate(mb, m) == 0
        && mbox_path(mb, m, path, sizeof path) == 0)
        p = read_header(path, len, &m->mtime);
    if (p == NULL && errno == EFBIG)
        return mbox_read(mb, m, len);
    return p;
}

int
mbox_size(struct mbox *mb, struct msg *m, uint64_t *size)
{
    char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];

    if (m->size == UINT64_MAX) {
        if (mbox_path(mb, m, path, sizeof path) == -1)
            return -1;
        if (file_crlf_size(path, &m->size) == -1) {
            if (errno != ENOENT || relocate(mb, m) == -1
                || mbox_path(mb, m, path, sizeof path) == -1
                || file_crlf_size(path, &m->size) == -1)
                return -1;
        }
        remember_size(mb, m);
    }
    *size = m->size;
    return 0;
}

int
mbox_mtime(struct mbox *mb, struct msg *m, int64_t *t)
{
    char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    struct stat st;

    if (m->mtime == -1) {
        if (mbox_path(mb, m, path, sizeof path) == -1)
            return -1;
        if (stat(path, &st) == -1) {
            if (errno != ENOENT || relocate(mb, m) == -1
                || mbox_path(mb, m, path, sizeof path) == -1
                || stat(path, &st) == -1)
                return -1;
        }
        m->mtime = st.st_mtime;
    }
    *t = m->mtime;
    return 0;
}

/* The flags mode (0 set, 1 add, -1 remove) makes of m's. */
static void
apply(const struct msg *m, int mode, unsigned flags, uint32_t kw,
    unsigned *nf, uint32_t *nk)
{
    *nf = m->flags & ~IMAPF_RECENT;
    *nk = m->kw;
    flags &= ~IMAPF_RECENT;
    if (mode > 0) {
        *nf |= flags;
        *nk |= kw;
    } else if (mode < 0) {
        *nf &= ~flags;
        *nk &= ~kw;
    } else {
        *nf = flags;
        *nk = kw;
    }
}

/* After relocate(): the flags the file's name holds now (another
 * session's change), keeping this session's \Recent. */
static void
reread_flags(struct msg *m)
{
    unsigned f;
    uint32_t k;

    parse_flags(m->name, m->baselen, &f, &k);
    m->flags = (m->flags & IMAPF_RECENT) | f;
    m->kw = k;
}

int
mbox_setflags(struct mbox *mb, struct msg *m, int mode, unsigned flags,
    uint32_t kw)
{
    char from[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    char to[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    unsigned nf;
    uint32_t nk;
    int tries;

    if (m->innew) {
        errno = EROFS; /* only read-only sessions see files in new/ */
        return -1;
    }
    /* Another session may have renamed the file since this one looked:
     * then the change is made again on the flags it has now, so that
     * neither session's change is lost. */
    for (tries = 0; tries < 3; tries++) {
        char *nn;
        apply(m, mode, flags, kw, &nf, &nk);
        if ((m->flags & ~IMAPF_RECENT) == nf && m->kw == nk)
            return 0;
        nn = make_name(m->name, m->baselen, nf, nk);
        if (nn == NULL)
            return -1;
        if (mbox_path(mb, m, from, sizeof from) == -1
            || pathf(to, sizeof to, "%s/cur/%s", mb->dir, nn) == -1) {
            free(nn);
            return -1;
        }
        if (rename(from, to) == 0) {
            free(m->name);
            m->name = nn;
            m->flags = (m->flags & IMAPF_RECENT) | nf;
            m->kw = nk;
            return 0;
        }
        free(nn);
        if (errno != ENOENT || relocate(mb, m) == -1)
            return -1;
        reread_flags(m);
    }
    errno = EAGAIN;
    return -1;
}

int
mbox_expunge(struct mbox *mb, const struct seqset *uids,
    const struct mbox_events *ev)
{
    char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    uint32_t i = 0, any = 0;
    struct uidlist ul;
    int lock;

    if (mb->readonly)
        return 0;
    while (i < mb->n) {
        struct msg *m = &mb->m[i];
        if ((m->flags & IMAPF_DELETED)
            && (uids == NULL || seqset_has(uids, m->uid))) {
            if (mbox_path(mb, m, path, sizeof path) == -1)
                return -1;
            if (unlink(path) == -1) {
                if (errno != ENOENT)
                    return -1;
                /* renamed by another session, or expunged by it */
                if (relocate(mb, m) == 0) {
                    reread_flags(m);
                    if (!(m->flags & IMAPF_DELETED)) {
                        /* no longer \Deleted: it stays */
                        if (ev != NULL && ev->flags != NULL)
                            ev->flags(ev->arg, i + 1);
                        i++;
                        continue;
                    }
                    if (mbox_path(mb, m, path, sizeof path) == -1
                        || (unlink(path) == -1 && errno != ENOENT))
                        return -1;
                }
            }
            if (ev != NULL && ev->expunged != NULL)
                ev->expunged(ev->arg, i + 1);
            if (m->flags & IMAPF_RECENT)
                mb->nrecent--;
            msg_free(m);
            memmove(m, m + 1, (mb->n - i - 1) * sizeof *m);
            mb->n--;
            any++;
            continue;
        }
        i++;
    }
    if (any == 0)
        return 0;
    if (sync_dir(mb->dir, "cur") == -1)
        return -1;
    /* compact the list when it has many lines of removed files */
    if (ul_read(mb->dir, &ul) == 1) {
        if (ul.n > (size_t)mb->n * 2 + COMPACT_SLACK
            && (lock = lock_dir(mb->dir)) != -1) {
            struct str lines = { 0 };
            struct scan s = { 0 };
            ul_free(&ul);
            if (ul_read(mb->dir, &ul) == 1
                && scan_sub(mb->dir, "new", 1, &s) == 0
                && scan_sub(mb->dir, "cur", 0, &s) == 0) {
                size_t k;
                for (k = 0; k < s.n; k++) {
                    uint32_t u = ul_find(&ul, s.e[k].name, s.e[k].keylen);
                    if (u != 0)
                        str_printf(&lines, "%u %.*s\n", u,
                            (int)s.e[k].keylen, s.e[k].name);
                }
                if (!lines.err)
                    (void)ul_rewrite(mb->dir, ul.validity, ul.next,
                        lines.s ? lines.s : "", lines.len);
            }
            scan_free(&s);
            str_free(&lines);
            close(lock);
        }
        ul_free(&ul);
    }
    return 0;
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
    struct uidlist ul;
    struct str line = { 0 };
    uint64_t size;
    uint32_t dkw = 0;
    char *nn = NULL;
    unsigned i;
    int fd, lock = -1, r, rc = -1;

    memset(&dst, 0, sizeof dst);
    snprintf(dst.dir, sizeof dst.dir, "%s", dir);
    if (pathf(tmp, sizeof tmp, "%s/%s", dir, "cur") == -1)
        return -1;
    {
        struct stat st;
        if (stat(tmp, &st) == -1 || !S_ISDIR(st.st_mode)) {
            errno = ENOENT;
            return -1;
        }
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
    nn = make_name(wbase, strlen(wbase), flags & ~IMAPF_RECENT, dkw);
    if (nn == NULL || pathf(to, sizeof to, "%s/cur/%s", dir, nn) == -1)
        goto out;
    lock = lock_dir(dir);
    if (lock == -1)
        goto out;
    if (ul_load(dir, &ul) != 1)
        goto out;
    if (ul.next == UINT32_MAX) {
        ul_free(&ul);
        errno = EOVERFLOW;
        goto out;
    }
    *uid = ul.next++;
    *validity = ul.validity;
    str_printf(&line, "%u %s\n", *uid, base);
    {
        char path[IMAP_MAILBOX_MAX * 2 + 32];
        if (line.err || pathf(path, sizeof path, "%s/%s", dir, UIDLIST) == -1
            || (fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW))
                == -1) {
            ul_free(&ul);
            goto out;
        }
        if (fd_write_all(fd, line.s, line.len, -1) == -1
            || write_header(fd, ul.validity, ul.next) == -1
            || fdatasync(fd) == -1) { /* one sync: see assign() */
            close(fd);
            ul_free(&ul);
            goto out;
        }
        close(fd);
    }
    ul_free(&ul);
    if (pathf(tmp, sizeof tmp, "%s/tmp/%s", dir, base) == -1
        || rename(tmp, to) == -1 || sync_dir(dir, "cur") == -1)
        goto out;
    rc = 0;
out:
    if (rc == -1 && pathf(tmp, sizeof tmp, "%s/tmp/%s", dir, base) == 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    if (lock != -1)
        close(lock);
    free(nn);
    str_free(&line);
    return rc;
}

int
mbox_status(const char *dir, uint32_t *validity, uint32_t *uidnext,
    uint32_t *messages, uint32_t *recent, uint32_t *unseen)
{
    struct mbox mb;
    char p[IMAP_MAILBOX_MAX * 2 + 32];
    struct stat st;
    uint32_t i;

    /* read-only: nothing leaves new/, so new/ is what is recent */
    memset(&mb, 0, sizeof mb);
    snprintf(mb.dir, sizeof mb.dir, "%s", dir);
    if (pathf(p, sizeof p, "%s/%s", dir, "cur") == -1)
        return -1;
    if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode)) {
        errno = ENOENT;
        return -1;
    }
    mb.readonly = 1;
    if (mbox_sync(&mb, NULL) == -1)
        return -1;
    *validity = mb.uidvalidity;
    *uidnext = mb.uidnext;
    *messages = mb.n;
    *recent = mb.nrecent;
    *unseen = 0;
    for (i = 0; i < mb.n; i++)
        if (!(mb.m[i].flags & IMAPF_SEEN))
            (*unseen)++;
    mbox_close(&mb);
    return 0;
}
