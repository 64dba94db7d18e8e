/* tlscache.c - on-disk TLS session cache shared across processes.
 *
 * File: a 64-byte header ("facteur-tlscache-2\n" and the slot count as 4
 * bytes big-endian), TLSCACHE_CHECKS verified-pair hashes of 32 bytes,
 * then slots of 128 bytes:
 *   0   1   in use (1)
 *   1   32  session id
 *   33  2   version          35  2   cipher suite
 *   37  48  master secret    85  32  binding hash (SNI + service)
 *   117 8   expiry (Unix time, big-endian)
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dnsname.h"
#include "limits.h"
#include "tlscache.h"
#include "tlshello.h"

static const char magic[] = "facteur-tlscache-2\n";

#define OFF_USED 0
#define OFF_ID 1
#define OFF_VERSION 33
#define OFF_SUITE 35
#define OFF_MS 37
#define OFF_BIND 85
#define OFF_EXPIRY 117

#define CHECKS_OFF TLSCACHE_HEADER_SIZE
#define SLOTS_OFF (CHECKS_OFF + TLSCACHE_CHECKS * 32)

static int64_t
now(const struct tlscache *c)
{
    return c->now ? c->now : (int64_t)time(NULL);
}

static uint64_t
get64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void
put64(unsigned char *p, uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static int
lock(int fd, short type, off_t start, off_t len)
{
    struct flock fl;

    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    while (fcntl(fd, F_SETLKW, &fl) == -1)
        if (errno != EINTR)
            return -1;
    return 0;
}

static int
pread_all(int fd, unsigned char *p, size_t n, off_t off)
{
    ssize_t r;

    while (n > 0) {
        r = pread(fd, p, n, off);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EPROTO;
            return -1;
        }
        p += r;
        n -= (size_t)r;
        off += r;
    }
    return 0;
}

static int
suite_ok(const struct tlscache *c, unsigned suite)
{
    size_t i;

    for (i = 0; i < c->nsuites; i++)
        if (c->suites[i] == suite)
            return 1;
    return 0;
}

int
tlscache_slot_decode(const struct tlscache *c, const unsigned char *s,
    const unsigned char *id, br_ssl_session_parameters *p)
{
    unsigned version, suite;

    if (s[OFF_USED] != 1 || memcmp(s + OFF_ID, id, 32) != 0
        || memcmp(s + OFF_BIND, c->bind, 32) != 0)
        return 0;
    if ((int64_t)get64(s + OFF_EXPIRY) <= now(c))
        return 0;
    version = (unsigned)s[OFF_VERSION] << 8 | s[OFF_VERSION + 1];
    suite = (unsigned)s[OFF_SUITE] << 8 | s[OFF_SUITE + 1];
    if (version != BR_TLS12 || !suite_ok(c, suite))
        return 0;
    memcpy(p->session_id, id, 32);
    p->session_id_len = 32;
    p->version = (uint16_t)version;
    p->cipher_suite = (uint16_t)suite;
    memcpy(p->master_secret, s + OFF_MS, 48);
    return 1;
}

static off_t
set_offset(const struct tlscache *c, const unsigned char *id)
{
    uint32_t h = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16
        | (uint32_t)id[2] << 8 | id[3];

    return SLOTS_OFF
        + (off_t)(h % c->nsets) * TLSCACHE_WAYS * TLSCACHE_SLOT_SIZE;
}

#define SETBYTES (TLSCACHE_WAYS * TLSCACHE_SLOT_SIZE)

static void
cache_save(const br_ssl_session_cache_class **ctx,
    br_ssl_server_context *server_ctx, const br_ssl_session_parameters *params)
{
    struct tlscache *c = (struct tlscache *)ctx;
    unsigned char set[SETBYTES], *s;
    off_t off;
    int i, pick = -1;
    uint64_t oldest = UINT64_MAX;

    if (c->fd == -1 || params->session_id_len != 32)
        return;
    if (server_ctx != NULL) {
        const char *sn = br_ssl_engine_get_server_name(&server_ctx->eng);
        char name[DNSNAME_MAX + 1];
        if (dnsname_canon(name, sizeof name, sn, strlen(sn)) == -1)
            name[0] = 0;
        tlscache_bind(c, name, c->service);
    }
    off = set_offset(c, params->session_id);
    if (lock(c->fd, F_WRLCK, off, SETBYTES) == -1)
        return;
    if (pread_all(c->fd, set, SETBYTES, off) == -1)
        goto out;
    for (i = 0; i < TLSCACHE_WAYS; i++) {
        uint64_t exp;
        s = set + i * TLSCACHE_SLOT_SIZE;
        exp = s[OFF_USED] == 1 ? get64(s + OFF_EXPIRY) : 0;
        if (exp < oldest) {
            oldest = exp;
            pick = i;
        }
    }
    s = set + pick * TLSCACHE_SLOT_SIZE;
    memset(s, 0, TLSCACHE_SLOT_SIZE);
    s[OFF_USED] = 1;
    memcpy(s + OFF_ID, params->session_id, 32);
    s[OFF_VERSION] = (unsigned char)(params->version >> 8);
    s[OFF_VERSION + 1] = (unsigned char)params->version;
    s[OFF_SUITE] = (unsigned char)(params->cipher_suite >> 8);
    s[OFF_SUITE + 1] = (unsigned char)params->cipher_suite;
    memcpy(s + OFF_MS, params->master_secret, 48);
    memcpy(s + OFF_BIND, c->bind, 32);
    put64(s + OFF_EXPIRY, (uint64_t)(now(c) + TLSCACHE_LIFETIME));
    (void)fd_pwrite_all(c->fd, s, TLSCACHE_SLOT_SIZE,
        off + pick * TLSCACHE_SLOT_SIZE);
out:
    explicit_bzero(set, sizeof set);
    (void)lock(c->fd, F_UNLCK, off, SETBYTES);
}

static int
cache_load(const br_ssl_session_cache_class **ctx,
    br_ssl_server_context *server_ctx, br_ssl_session_parameters *params)
{
    struct tlscache *c = (struct tlscache *)ctx;
    unsigned char set[SETBYTES];
    off_t off;
    int i, found = 0;

    if (c->fd == -1 || params->session_id_len != 32)
        return 0;
    if (c->hello != NULL) {
        char name[DNSNAME_MAX + 1];
        /* Unknown name: no resumption, rather than a wrong one. */
        if (tlshello_sni(c->hello, *c->hello_len, name, sizeof name) == -1)
            return 0;
        tlscache_bind(c, name, c->service);
    }
    off = set_offset(c, params->session_id);
    if (lock(c->fd, F_RDLCK, off, SETBYTES) == -1)
        return 0;
    if (pread_all(c->fd, set, SETBYTES, off) == 0)
        for (i = 0; i < TLSCACHE_WAYS && !found; i++)
            found = tlscache_slot_decode(c, set + i * TLSCACHE_SLOT_SIZE,
                params->session_id, params);
    (void)lock(c->fd, F_UNLCK, off, SETBYTES);
    explicit_bzero(set, sizeof set);
    if (found)
        c->hits++;
    return found;
}

static const br_ssl_session_cache_class cache_vtable = {
    sizeof(struct tlscache), cache_save, cache_load
};

/* Check the header; (re)initialize under a whole-file lock if needed. */
static int
cache_init_file(int fd)
{
    unsigned char h[TLSCACHE_HEADER_SIZE];
    off_t size = SLOTS_OFF + (off_t)TLSCACHE_SLOTS * TLSCACHE_SLOT_SIZE;
    struct stat st;
    int ok;

    if (lock(fd, F_WRLCK, 0, 0) == -1)
        return -1;
    ok = fstat(fd, &st) == 0 && st.st_size == size
        && pread_all(fd, h, sizeof h, 0) == 0
        && memcmp(h, magic, sizeof magic - 1) == 0
        && h[32] == (TLSCACHE_SLOTS >> 24 & 255)
        && h[33] == (TLSCACHE_SLOTS >> 16 & 255)
        && h[34] == (TLSCACHE_SLOTS >> 8 & 255)
        && h[35] == (TLSCACHE_SLOTS & 255);
    if (!ok) {
        memset(h, 0, sizeof h);
        memcpy(h, magic, sizeof magic - 1);
        h[32] = TLSCACHE_SLOTS >> 24 & 255;
        h[33] = TLSCACHE_SLOTS >> 16 & 255;
        h[34] = TLSCACHE_SLOTS >> 8 & 255;
        h[35] = TLSCACHE_SLOTS & 255;
        /* Truncating to 0 first zeroes every slot of a foreign file. */
        if (ftruncate(fd, 0) == -1 || ftruncate(fd, size) == -1
            || fd_pwrite_all(fd, h, sizeof h, 0) == -1) {
            (void)lock(fd, F_UNLCK, 0, 0);
            return -1;
        }
    }
    return lock(fd, F_UNLCK, 0, 0);
}

int
tlscache_open(struct tlscache *c, const char *path, const uint16_t *suites,
    size_t nsuites)
{
    struct stat st;
    int e;

    memset(c, 0, sizeof *c);
    c->vtable = &cache_vtable;
    c->nsets = TLSCACHE_SLOTS / TLSCACHE_WAYS;
    c->suites = suites;
    c->nsuites = nsuites;
    c->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
        0600);
    if (c->fd == -1)
        return -1;
    /* Master secrets: refuse a file others can read. */
    if (fstat(c->fd, &st) == -1) {
        e = errno;
        close(c->fd);
        c->fd = -1;
        errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0
        || st.st_uid != geteuid()) {
        e = EPERM;
        close(c->fd);
        c->fd = -1;
        errno = e;
        return -1;
    }
    if (cache_init_file(c->fd) == -1) {
        e = errno;
        close(c->fd);
        c->fd = -1;
        errno = e;
        return -1;
    }
    return 0;
}

void
tlscache_bind(struct tlscache *c, const char *sni, const char *service)
{
    br_sha256_context h;

    br_sha256_init(&h);
    br_sha256_update(&h, "facteur-tls-bind\0", 17);
    /* BearSSL keeps the SNI as sent; case must not split a session. */
    for (; *sni; sni++) {
        char ch = (*sni >= 'A' && *sni <= 'Z') ? (char)(*sni + 32) : *sni;
        br_sha256_update(&h, &ch, 1);
    }
    br_sha256_update(&h, "", 1);
    br_sha256_update(&h, service, strlen(service) + 1);
    br_sha256_out(&h, c->bind);
}

int
tlscache_check_known(void *ctx, const unsigned char h[32])
{
    struct tlscache *c = ctx;
    unsigned char e[32];
    off_t off = CHECKS_OFF + (off_t)(h[0] % TLSCACHE_CHECKS) * 32;
    int r;

    if (c->fd == -1 || lock(c->fd, F_RDLCK, off, 32) == -1)
        return 0;
    r = pread_all(c->fd, e, 32, off) == 0 && memcmp(e, h, 32) == 0;
    (void)lock(c->fd, F_UNLCK, off, 32);
    return r;
}

void
tlscache_check_add(void *ctx, const unsigned char h[32])
{
    struct tlscache *c = ctx;
    off_t off = CHECKS_OFF + (off_t)(h[0] % TLSCACHE_CHECKS) * 32;

    if (c->fd == -1 || lock(c->fd, F_WRLCK, off, 32) == -1)
        return;
    (void)fd_pwrite_all(c->fd, h, 32, off);
    (void)lock(c->fd, F_UNLCK, off, 32);
}

void
tlscache_close(struct tlscache *c)
{
    if (c->fd != -1)
        close(c->fd);
    c->fd = -1;
}
