/* tlscache.h - a TLS session cache shared by processes, on disk.
 *
 * Every connection is a new tlswrap process, so resumption needs a cache
 * outside the process.  BearSSL has no session tickets; this is a file of
 * TLSCACHE_SLOTS fixed-size slots, TLSCACHE_WAYS-way set associative
 * (set = first bytes of the random session id), locked per set with
 * fcntl record locks for the few microseconds of a lookup or store.  The
 * file's size never changes after creation (size-bounded by design); a full
 * set replaces its oldest entry.
 *
 * Entries are bound to the SNI name and the local port (a hash of both),
 * so a session made for one name or service never resumes on another
 * (RFC 6066 section 3), and expire after TLSCACHE_LIFETIME seconds.
 * The file holds master secrets: it is created mode 0600, opened as root
 * before privileges are dropped, and never readable by anyone else.
 * Corrupt or foreign slots are ignored, never trusted: only TLS 1.2 and
 * the cipher suites tlswrap offers are accepted back.
 */
#ifndef MAIL_TLSCACHE_H
#define MAIL_TLSCACHE_H

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

#define TLSCACHE_SLOTS 8192
#define TLSCACHE_WAYS 4
#define TLSCACHE_SLOT_SIZE 128
#define TLSCACHE_HEADER_SIZE 64
#define TLSCACHE_LIFETIME 3600
/* Verified key/certificate pairs (see struct tlscheck), direct-mapped. */
#define TLSCACHE_CHECKS 64

struct tlscache {
    const br_ssl_session_cache_class *vtable;
    int fd;
    uint32_t nsets;
    unsigned char bind[32];
    char service[8];  /* the local port, part of the binding */
    /* The raw first bytes from the client, to read the SNI name at load
     * time (BearSSL has not parsed it yet then); NULL: ask BearSSL. */
    const unsigned char *hello;
    const size_t *hello_len;
    int64_t now;      /* 0: time(NULL); tests set a fixed clock */
    int hits;         /* load() found an entry */
    const uint16_t *suites; /* the suites that may come back */
    size_t nsuites;
};

/**
 * tlscache_open - open (creating and sizing it when missing or not a cache)
 * the file at path.  Returns 0, or -1 with errno.
 */
int tlscache_open(struct tlscache *c, const char *path, const uint16_t *suites,
    size_t nsuites);

/** tlscache_bind - compute the binding of an SNI name (may be empty) and a
 * service; save and load call it with the handshake's SNI and c->service,
 * which the caller sets to the local port. */
void tlscache_bind(struct tlscache *c, const char *sni, const char *service);

/**
 * tlscache_slot_decode - check one slot read from the file; 1 and fill p
 * (session id, version, suite, master secret) if it is a live entry with
 * id and binding that match, else 0.  Exposed for the fuzz target.
 */
int tlscache_slot_decode(const struct tlscache *c, const unsigned char *slot,
    const unsigned char *id, br_ssl_session_parameters *p);

/**
 * tlscache_check_known, tlscache_check_add - the struct tlscheck
 * functions over the cache file's verified-pairs area (ctx: the cache).
 */
int tlscache_check_known(void *ctx, const unsigned char h[32]);
void tlscache_check_add(void *ctx, const unsigned char h[32]);

/** tlscache_close - close the file. */
void tlscache_close(struct tlscache *c);

#endif
