/* fuzz_pwimport.c - the lines facteur user import reads from an Exim or
 * Dovecot password file (cmd/facteur/pwline.h).  The first byte picks
 * the format (bit 0: dovecot) and whether bare local parts get a domain
 * (bit 1); the rest is the line.  Whatever imports must be what the
 * users table can hold (a canonical address, a hash of a known shape
 * without ':', blank or control byte) and import again to itself; every
 * refusal says why.
 *
 * The parser lives with the admin command, not in lib/, so it is
 * compiled in here (the Makefile's and build.sh's fuzz rules link
 * lib/ only). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/facteur/pwline.c"

static void
check_hash(const char *h)
{
    size_t i, n = strlen(h), pl = strlen(PWHASH_PLAIN_MD5);

    if (n == 0 || n > PWLINE_HASH_MAX)
        abort();
    for (i = 0; i < n; i++)
        if ((unsigned char)h[i] <= ' ' || (unsigned char)h[i] >= 0x7f
            || h[i] == ':')
            abort();
    if (strncmp(h, PWHASH_PLAIN_MD5, pl) == 0) {
        if (n != pl + MD5_HEX_LEN)
            abort();
        for (i = pl; i < n; i++)
            if (strchr("0123456789abcdef", h[i]) == NULL)
                abort();
    } else if (h[0] != '$') {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char line[2 * PWLINE_HASH_MAX + ADDR_MAX + 8];
    struct pwline a, b;
    struct addr ad;
    enum pwline_format f;
    const char *domain, *why = NULL;
    int r;

    if (size == 0)
        return 0;
    f = data[0] & 1 ? PWLINE_DOVECOT : PWLINE_EXIM;
    domain = data[0] & 2 ? "example.org" : NULL;
    r = pwline_parse(f, domain, (const char *)data + 1, size - 1, &a, &why);
    if (r == -1) {
        if (why == NULL)
            abort();
        return 0;
    }
    if (r == 0)
        return 0;
    if (r != 1)
        abort();
    /* A canonical address, that the users table can key on. */
    if (addr_parse(a.addr, strlen(a.addr), 0, &ad) == -1
        || strcmp(ad.full, a.addr) != 0 || strchr(a.addr, ':') != NULL
        || a.addr[0] == '#')
        abort();
    check_hash(a.hash);
    /* What the users table stores imports again, unchanged, in both
     * formats (a {PLAIN-MD5} hash keeps its prefix). */
    memcpy(line, a.addr, strlen(a.addr));
    line[strlen(a.addr)] = ':';
    memcpy(line + strlen(a.addr) + 1, a.hash, strlen(a.hash));
    for (int k = 0; k < 2; k++) {
        f = k ? PWLINE_DOVECOT : PWLINE_EXIM;
        if (pwline_parse(f, NULL, line, strlen(a.addr) + 1 + strlen(a.hash),
                &b, &why)
                != 1
            || strcmp(a.addr, b.addr) != 0 || strcmp(a.hash, b.hash) != 0)
            abort();
    }
    return 0;
}
