/* fuzz_dkimverify.c - DKIM verification of hostile messages and key
 * records.
 *
 * The input is a message; when it holds a NUL byte, what follows the
 * first one is the key record of every name asked, else a fixed 2048-bit
 * key: rec_a of tests/unit/dkimverify_vectors.h (copy it again when the
 * vectors are made anew), so seeds taken from those vectors reach the
 * RSA check and pass.  Selectors named "temp" fail for now, "none" have
 * no record.  No crash; every result within the enum and its strings
 * NUL terminated; a pass only for rsa-sha256 with a key of 1024..4096
 * bits; the same results a second time; no result for a message without
 * a DKIM-Signature field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkimverify.h"

static const char fixed_rec[] =
    "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlRHhIndJ"
    "8Xv0XNT89+jlZD3J5gcW3Jik95hpZYadKeIwCLyBHLCXcMW0zh7r3WUGIMVCHxNU1yaNuFSY"
    "E720/k3GpZVzREpVf44zvorT76HK0+JTjHr6PRvgVgdGr52DPIlTWD71Gue5wqXVCvQvQuud"
    "rOMyGkjIbbnkbUF4lmqAbLLK5DAEkMDkRf8jFDroaAzgyMEf5m/6EUsUhdUgNtAcCDZYSICI"
    "2kTtutbbqWZvLnWq+6rJ8zkZXYhwb6smxUE1T4AwMxN5bXXe1kcSS96kuR9IjvE9ot23KWou"
    "Z87nC0ADd3qItrRm7uOwFuxIFcshExgjngw1LyeYJIUJwwIDAQAB";

static const char *rec;
static size_t reclen;

static int
txt(void *arg, const char *name, char *out, size_t outlen, size_t *n)
{
    (void)arg;
    if (strlen(name) > DNSNAME_MAX || strstr(name, "._domainkey.") == NULL)
        abort(); /* the verifier asks only well-formed key names */
    if (strncmp(name, "temp.", 5) == 0)
        return -1;
    if (strncmp(name, "none.", 5) == 0)
        return 0;
    memcpy(out, rec, reclen < outlen ? reclen : outlen);
    *n = reclen;
    return 1;
}

static int
terminated(const char *s, size_t n)
{
    return memchr(s, 0, n) != NULL;
}

static void
check(const struct dkimv_sig *r, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++, r++) {
        if (r->result <= DKIMV_NONE || r->result > DKIMV_PERMERROR
            || !terminated(r->d, sizeof r->d) || !terminated(r->s, sizeof r->s)
            || !terminated(r->a, sizeof r->a) || !terminated(r->i, sizeof r->i)
            || !terminated(r->b, sizeof r->b)
            || !terminated(r->why, sizeof r->why) || r->why[0] == 0)
            abort();
        if (r->result == DKIMV_PASS
            && (strcmp(r->a, "rsa-sha256") != 0
                || r->key_bits < DKIMV_RSA_BITS_MIN
                || r->key_bits > DKIMV_RSA_BITS_MAX))
            abort();
        if (!r->body_length_used && r->body_unsigned != 0)
            abort();
    }
}

/* Is there a "dkim-signature" anywhere (a field needs one)? */
static int
mentions(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i + 14 <= n; i++)
        if (strncasecmp(p + i, "dkim-signature", 14) == 0)
            return 1;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dkimv_sig a[DKIMV_SIGS_MAX + 1], b[DKIMV_SIGS_MAX + 1];
    const char *msg = (const char *)data, *nul;
    size_t len = size, n, m;

    if (size > (1 << 20))
        return 0;
    nul = memchr(data, 0, size);
    if (nul != NULL) {
        len = (size_t)(nul - msg);
        rec = nul + 1;
        reclen = size - len - 1;
    } else {
        rec = fixed_rec;
        reclen = sizeof fixed_rec - 1;
    }
    n = dkimv_verify(msg, len, txt, NULL, 1700000060, a, DKIMV_SIGS_MAX + 1);
    if (n > DKIMV_SIGS_MAX || (n > 0 && !mentions(msg, len)))
        abort();
    check(a, n);
    m = dkimv_verify(msg, len, txt, NULL, 1700000060, b, DKIMV_SIGS_MAX + 1);
    if (m != n)
        abort();
    for (m = 0; m < n; m++)
        if (a[m].result != b[m].result || strcmp(a[m].why, b[m].why) != 0)
            abort();
    (void)dkimv_verify(msg, len, txt, NULL, 1700000060, a, 1);
    return 0;
}
