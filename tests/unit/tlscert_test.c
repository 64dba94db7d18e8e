/* tlscert_test.c - loading pairs, refusing bad ones, SNI picking, and
 * signatures by the key process's code verified with the certificate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs.h"
#include "tap.h"
#include "tlscert.h"
#include "tlskey.h"

static char dir[] = "/tmp/tlscert_testXXXXXX";
static char err[512];

static int
load(struct tlspair *kp, const char *crt, const char *key)
{
    char a[256], b[256];

    snprintf(a, sizeof a, "%s/%s", dir, crt);
    snprintf(b, sizeof b, "%s/%s", dir, key);
    memset(kp, 0, sizeof *kp);
    err[0] = 0;
    return tlspair_load_files(kp, a, b, NULL, err, sizeof err);
}

static void
sh(const char *fmt, const char *arg)
{
    char cmd[1024];

    snprintf(cmd, sizeof cmd, fmt, arg, arg, arg, arg);
    if (system(cmd) != 0)
        printf("# command failed: %s\n", cmd);
}

static int
pem_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
    return (len == 3 && memcmp(der, "abc", 3) == 0) ? 0 : -1;
}

static int
verify(const struct tlspair *kp, int hash_id, size_t hlen)
{
    br_x509_decoder_context xd;
    const br_x509_pkey *pk;
    struct tlskey_req r;
    unsigned char sig[TLSKEY_SIG_MAX], out[64];
    size_t n;

    memset(&r, 0, sizeof r);
    r.hash_id = hash_id;
    r.hv_len = hlen;
    memset(r.hv, 0x42, hlen);
    n = tlskey_sign(kp, &r, sig, sizeof sig);
    if (n == 0)
        return 0;
    br_x509_decoder_init(&xd, NULL, NULL);
    br_x509_decoder_push(&xd, kp->chain[0].data, kp->chain[0].data_len);
    pk = br_x509_decoder_get_pkey(&xd);
    if (pk == NULL)
        return 0;
    if (kp->keytype == BR_KEYTYPE_EC)
        return br_ecdsa_vrfy_asn1_get_default()(br_ec_get_default(), r.hv,
            hlen, &pk->key.ec, sig, n);
    {
        if (!br_rsa_pkcs1_vrfy_get_default()(sig, n, BR_HASH_OID_SHA256, hlen,
                &pk->key.rsa, out))
            return 0;
        return memcmp(out, r.hv, hlen) == 0;
    }
}

static unsigned char remembered[32];
static int nknown, nadd;

static int
fake_known(void *ctx, const unsigned char h[32])
{
    nknown++;
    return memcmp(h, remembered, 32) == 0;
}

static void
fake_add(void *ctx, const unsigned char h[32])
{
    nadd++;
    memcpy(remembered, h, 32);
}

static int
pemcount(const char *text)
{
    return tls_pem_decode((const unsigned char *)text, strlen(text), pem_cb,
        NULL);
}

static void
nolog(const char *m)
{
    printf("# warning: %s\n", m);
}

int
main(void)
{
    struct tlspair kp;
    struct tlsstore st;

    if (mkdtemp(dir) == NULL || mkcerts(dir) == -1) {
        printf("not ok 1 - cannot make test certificates\n");
        return 1;
    }
    ok(load(&kp, "ec.crt", "ec.key") == 0 && kp.keytype == BR_KEYTYPE_EC
            && kp.chain_len == 1 && kp.has_key,
        "ECDSA pair loads");
    ok(verify(&kp, br_sha256_ID, 32), "ECDSA signature verifies");
    ok(verify(&kp, br_sha384_ID, 48), "ECDSA sha384 signature verifies");
    tlsstore_wipe_keys(&(struct tlsstore){ 1, { &kp }, NULL });
    ok(!kp.has_key && verify(&kp, br_sha256_ID, 32) == 0,
        "wiped key cannot sign");
    sa_free(&kp.chainmem);
    ok(load(&kp, "rsa.crt", "rsa.key") == 0 && kp.keytype == BR_KEYTYPE_RSA
            && kp.siglen_max == 256,
        "RSA-2048 pair loads");
    ok(verify(&kp, br_sha256_ID, 32), "RSA signature verifies");
    sa_free(&kp.chainmem);
    ok(load(&kp, "ec.crt", "ec2.key") == -1 && strstr(err, "does not match"),
        "mismatched EC key refused: %s", err);
    ok(load(&kp, "rsa.crt", "ec.key") == -1 && strstr(err, "key type"),
        "key of the other type refused: %s", err);
    ok(load(&kp, "rsa1024.crt", "rsa1024.key") == -1
            && strstr(err, "2048"),
        "RSA-1024 refused: %s", err);
    ok(load(&kp, "missing.crt", "ec.key") == -1
            && strstr(err, "No such file"),
        "missing file: %s", err);
    sh("cd %s && head -c 300 ec.crt > trunc.crt", dir);
    ok(load(&kp, "trunc.crt", "ec.key") == -1, "truncated PEM: %s", err);
    sh("cd %s && echo garbage > garbage.key", dir);
    ok(load(&kp, "ec.crt", "garbage.key") == -1
            && strstr(err, "no private key"),
        "no key in file: %s", err);
    sh("cd %s && cat ec.key ec.key > two.key", dir);
    ok(load(&kp, "ec.crt", "two.key") == -1, "two keys refused: %s", err);
    sh("cd %s && head -c 70000 /dev/zero > huge.crt", dir);
    ok(load(&kp, "huge.crt", "ec.key") == -1 && strstr(err, "too large"),
        "oversized file: %s", err);
    sh("cd %s && cat ec.crt rsa.crt > chain.crt", dir);
    ok(load(&kp, "chain.crt", "ec.key") == 0 && kp.chain_len == 2,
        "chain of two");
    sa_free(&kp.chainmem);

    /* PEM edge cases ("YWJj" is base64 for "abc"). */
    ok(pemcount("-----BEGIN X-----\nYWJj\n-----END X-----\n") == 1,
        "PEM: one object");
    ok(pemcount("Bag Attributes\r\n-----BEGIN X-----\r\nYW\r\nJj\r\n"
                "-----END X-----") == 1,
        "PEM: CRLF, split lines, text before, no final newline");
    ok(pemcount("-----BEGIN X-----\nYWJj\n-----END Y-----\n") == -1,
        "PEM: END name must match");
    ok(pemcount("-----BEGIN X-----\nYW*j\n-----END X-----\n") == -1,
        "PEM: bad base64 character");
    ok(pemcount("-----BEGIN X-----\nYQ==YWJj\n-----END X-----\n") == -1,
        "PEM: data after padding");
    ok(pemcount("-----BEGIN X-----\nYWJj\n") == -1, "PEM: unterminated");
    ok(pemcount("-----BEGIN X-----\nYWJjZ\n-----END X-----\n") == -1,
        "PEM: dangling base64 bits");
    ok(pemcount("no pem here\n") == 0, "PEM: no object");

    /* The verified-pair memory: consulted, filled once, then trusted. */
    {
        struct tlscheck ck = { fake_known, fake_add, NULL };
        char a[256], b[256];
        snprintf(a, sizeof a, "%s/ec.crt", dir);
        snprintf(b, sizeof b, "%s/ec.key", dir);
        memset(&kp, 0, sizeof kp);
        ok(tlspair_load_files(&kp, a, b, &ck, err, sizeof err) == 0
                && nknown == 1 && nadd == 1,
            "first load checks the pair and remembers it");
        sa_free(&kp.chainmem);
        memset(&kp, 0, sizeof kp);
        ok(tlspair_load_files(&kp, a, b, &ck, err, sizeof err) == 0
                && nknown == 2 && nadd == 1 && verify(&kp, br_sha256_ID, 32),
            "second load trusts the remembered check, key still signs");
        sa_free(&kp.chainmem);
        snprintf(b, sizeof b, "%s/ec2.key", dir);
        memset(&kp, 0, sizeof kp);
        ok(tlspair_load_files(&kp, a, b, &ck, err, sizeof err) == -1
                && nadd == 1,
            "another key for the same certificate is checked, and refused");
    }

    /* A directory tree as tlswrap sees it. */
    sh("cd %s && mkdir -p tls/default tls/mx.example.org tls/Bad_Name "
       "tls/broken.example.org && cp ec.crt tls/default/fullchain.pem && "
       "cp ec.key tls/default/privkey.pem && "
       "cp rsa.crt tls/default/fullchain-rsa.pem && "
       "cp rsa.key tls/default/privkey-rsa.pem && "
       "cp chain.crt tls/mx.example.org/fullchain.pem && "
       "cp ec.key tls/mx.example.org/privkey.pem && "
       "cp ec.crt tls/broken.example.org/fullchain.pem && "
       "cp ec2.key tls/broken.example.org/privkey.pem",
        dir);
    {
        char t[256];
        int d, m, r;
        snprintf(t, sizeof t, "%s/tls", dir);
        ok(tlsstore_load(&st, t, NULL, err, sizeof err, nolog) == 0 && st.n == 3,
            "store: default (2 pairs) + one name, broken one skipped");
        d = tlsstore_pick(&st, "", BR_KEYTYPE_EC);
        r = tlsstore_pick(&st, NULL, BR_KEYTYPE_RSA);
        m = tlsstore_pick(&st, "mx.example.org", BR_KEYTYPE_EC);
        ok(d >= 0 && strcmp(st.pair[d]->name, "default") == 0
                && st.pair[d]->keytype == BR_KEYTYPE_EC,
            "no SNI: default ECDSA");
        ok(r >= 0 && st.pair[r]->keytype == BR_KEYTYPE_RSA,
            "no SNI: default RSA");
        ok(m >= 0 && strcmp(st.pair[m]->name, "mx.example.org") == 0
                && st.pair[m]->chain_len == 2,
            "SNI picks its own pair");
        ok(tlsstore_pick(&st, "mx.example.org", BR_KEYTYPE_RSA) == -1,
            "a name without RSA does not fall back to another name's RSA");
        ok(tlsstore_pick(&st, "unknown.example.org", BR_KEYTYPE_EC) == d,
            "unknown name: default");
        tlsstore_free(&st);
        sh("rm %s/tls/default/privkey.pem", dir);
        ok(tlsstore_load(&st, t, NULL, err, sizeof err, nolog) == -1
                && strstr(err, "privkey.pem"),
            "default without key is fatal: %s", err);
    }
    sh("rm -rf %s", dir);
    return done();
}
