/* tlscache_test.c - the on-disk session cache: store, load, binding,
 * expiry, eviction, refusal of foreign data, permissions. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "tlscache.h"

static const uint16_t suites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
};

static void
mkparams(br_ssl_session_parameters *p, unsigned char tag)
{
    memset(p, 0, sizeof *p);
    memset(p->session_id, tag, 32);
    p->session_id_len = 32;
    p->version = BR_TLS12;
    p->cipher_suite = suites[0];
    memset(p->master_secret, tag ^ 0x5a, 48);
}

int
main(void)
{
    char dir[] = "/tmp/tlscache_testXXXXXX", path[256];
    struct tlscache c, d;
    br_ssl_session_parameters p, q;
    struct stat st;
    int i, found;

    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof path, "%s/cache", dir);
    ok(tlscache_open(&c, path, suites, 1) == 0, "create");
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600
            && st.st_size == TLSCACHE_HEADER_SIZE + TLSCACHE_CHECKS * 32
                    + (off_t)TLSCACHE_SLOTS * TLSCACHE_SLOT_SIZE,
        "mode 0600, fixed size");
    snprintf(c.service, sizeof c.service, "465");
    tlscache_bind(&c, "mx.example.org", c.service);
    mkparams(&p, 1);
    c.vtable->save(&c.vtable, NULL, &p);

    /* A second process's view: a second open of the same file. */
    ok(tlscache_open(&d, path, suites, 1) == 0, "reopen keeps the file");
    snprintf(d.service, sizeof d.service, "465");
    tlscache_bind(&d, "MX.example.org", d.service);
    memset(&q, 0, sizeof q);
    memset(q.session_id, 1, 32);
    q.session_id_len = 32;
    found = d.vtable->load(&d.vtable, NULL, &q);
    ok(found == 1 && q.cipher_suite == suites[0] && q.version == BR_TLS12
            && memcmp(q.master_secret, p.master_secret, 48) == 0,
        "load in another handle (case of SNI ignored)");
    tlscache_bind(&d, "other.example.org", d.service);
    ok(d.vtable->load(&d.vtable, NULL, &q) == 0, "other SNI: no resumption");
    tlscache_bind(&d, "mx.example.org", "993");
    ok(d.vtable->load(&d.vtable, NULL, &q) == 0,
        "other service: no resumption");
    tlscache_bind(&d, "mx.example.org", "465");
    d.now = (int64_t)time(NULL) + TLSCACHE_LIFETIME + 1;
    ok(d.vtable->load(&d.vtable, NULL, &q) == 0, "expired");
    d.now = 0;

    /* Fill one set past its ways: the oldest goes. */
    for (i = 0; i < TLSCACHE_WAYS + 1; i++) {
        mkparams(&p, 1);
        p.session_id[31] = (unsigned char)(i + 10);
        c.now = 1000000000 + i;
        c.vtable->save(&c.vtable, NULL, &p);
    }
    c.now = 0;
    memset(q.session_id, 1, 32);
    q.session_id[31] = 10;
    d.now = 1000000000 + 5;
    ok(d.vtable->load(&d.vtable, NULL, &q) == 0, "oldest entry evicted");
    q.session_id[31] = 10 + TLSCACHE_WAYS;
    ok(d.vtable->load(&d.vtable, NULL, &q) == 1, "newest entry kept");

    /* A suite we do not offer is never handed back. */
    mkparams(&p, 2);
    p.cipher_suite = BR_TLS_RSA_WITH_AES_128_CBC_SHA;
    c.vtable->save(&c.vtable, NULL, &p);
    memset(q.session_id, 2, 32);
    d.now = 0;
    ok(d.vtable->load(&d.vtable, NULL, &q) == 0, "foreign suite refused");
    {
        unsigned char h[32], g[32];
        memset(h, 7, 32);
        memset(g, 7, 32);
        g[31] = 8;
        ok(!tlscache_check_known(&d, h), "unknown pair hash");
        tlscache_check_add(&c, h);
        ok(tlscache_check_known(&d, h) && !tlscache_check_known(&d, g),
            "verified pair remembered across handles, exact match only");
    }
    tlscache_close(&c);
    tlscache_close(&d);

    chmod(path, 0644);
    errno = 0;
    ok(tlscache_open(&c, path, suites, 1) == -1 && errno == EPERM,
        "refuses a cache file others can read");
    chmod(path, 0600);
    if (truncate(path, 100) == -1)
        return 1;
    ok(tlscache_open(&c, path, suites, 1) == 0
            && stat(path, &st) == 0
            && st.st_size == TLSCACHE_HEADER_SIZE + TLSCACHE_CHECKS * 32
                    + (off_t)TLSCACHE_SLOTS * TLSCACHE_SLOT_SIZE,
        "a damaged file is rebuilt");
    tlscache_close(&c);
    unlink(path);
    if (symlink("/etc/passwd", path) == -1)
        return 1;
    ok(tlscache_open(&c, path, suites, 1) == -1, "symlink refused");
    unlink(path);
    rmdir(dir);
    return done();
}
