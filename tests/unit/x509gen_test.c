/* x509gen_test.c - the self-signed certificate writer: what BearSSL's
 * decoder and facteur's loader see in it, its signature checked by hand,
 * the two time encodings, serials, refusals. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "tlscert.h"
#include "x509gen.h"

static unsigned char der[X509GEN_DER_MAX];
static size_t derlen;

static int
grab(void *ctx, const char *name, const unsigned char *d, size_t n)
{
    (void)ctx;
    if (strcmp(name, "CERTIFICATE") != 0 || n > sizeof der)
        return -1;
    memcpy(der, d, n);
    derlen = n;
    return 0;
}

/* The DER value at *p (tag and length read, definite, short or 1-2
 * length bytes): its start and length; *p moves past it. */
static const unsigned char *
tlv(const unsigned char **p, const unsigned char *end, unsigned char *tag,
    size_t *len)
{
    const unsigned char *q = *p;
    size_t n;

    if (end - q < 2)
        return NULL;
    *tag = *q++;
    n = *q++;
    if (n == 0x81 || n == 0x82) {
        size_t k = n & 0x7f;
        if ((size_t)(end - q) < k)
            return NULL;
        n = 0;
        while (k-- > 0)
            n = n << 8 | *q++;
    }
    if ((size_t)(end - q) < n)
        return NULL;
    *len = n;
    *p = q + n;
    return q;
}

/* Check the certificate's signature over its TBSCertificate with pub. */
static int
sig_ok(const unsigned char *c, size_t n, const br_ec_public_key *pub)
{
    const unsigned char *p = c, *end = c + n, *body, *tbs, *sig;
    unsigned char tag, h[32];
    size_t len, tbslen;
    br_sha256_context sh;

    body = tlv(&p, end, &tag, &len);
    if (body == NULL || tag != 0x30)
        return 0;
    p = body;
    end = body + len;
    tbs = p;
    if (tlv(&p, end, &tag, &len) == NULL || tag != 0x30)
        return 0;
    tbslen = (size_t)(p - tbs);
    if (tlv(&p, end, &tag, &len) == NULL || tag != 0x30)
        return 0; /* signatureAlgorithm */
    sig = tlv(&p, end, &tag, &len);
    if (sig == NULL || tag != 0x03 || len < 2 || sig[0] != 0 || p != end)
        return 0;
    br_sha256_init(&sh);
    br_sha256_update(&sh, tbs, tbslen);
    br_sha256_out(&sh, h);
    return br_ecdsa_i31_vrfy_asn1(&br_ec_p256_m31, h, sizeof h, pub, sig + 1,
               len - 1) == 1;
}

static int
has(const unsigned char *d, size_t n, const void *pat, size_t pn)
{
    size_t i;

    for (i = 0; i + pn <= n; i++)
        if (memcmp(d + i, pat, pn) == 0)
            return 1;
    return 0;
}

int
main(void)
{
    static struct x509gen_pair p, p2;
    static struct tlspair kp;
    static unsigned char x[32], pbuf[BR_EC_KBUF_PUB_MAX_SIZE];
    static unsigned char d1[X509GEN_DER_MAX], d2[X509GEN_DER_MAX];
    static const unsigned char serial[X509GEN_SERIAL_LEN] = { 0xff, 1, 2, 3,
        4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
    char dir[] = "/tmp/x509gen_testXXXXXX", cpath[64], kpath[64], err[512];
    br_x509_decoder_context xd;
    const br_x509_pkey *pk;
    br_ec_public_key pub;
    br_ec_private_key sk;
    long n1, n2;
    size_t i;
    FILE *f;

    ok(x509gen_make(&p, "mail.example.test", 1790000000) == 0
            && strncmp(p.cert, "-----BEGIN CERTIFICATE-----\n", 28) == 0
            && strncmp(p.key, "-----BEGIN PRIVATE KEY-----\n", 28) == 0
            && strlen(p.cert) == p.certlen && strlen(p.key) == p.keylen,
        "x509gen_make: a PEM certificate and a PKCS#8 PEM key");

    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(cpath, sizeof cpath, "%s/fullchain.pem", dir);
    snprintf(kpath, sizeof kpath, "%s/privkey.pem", dir);
    f = fopen(cpath, "w");
    fwrite(p.cert, 1, p.certlen, f);
    fclose(f);
    f = fopen(kpath, "w");
    fwrite(p.key, 1, p.keylen, f);
    fclose(f);
    ok(tlspair_load_files(&kp, cpath, kpath, NULL, err, sizeof err) == 0
            && kp.keytype == BR_KEYTYPE_EC && kp.ec.curve == BR_EC_secp256r1,
        "tlscert loads the pair: the key matches the certificate %s", err);
    unlink(cpath);
    unlink(kpath);
    rmdir(dir);

    ok(tls_pem_decode((const unsigned char *)p.cert, p.certlen, grab, NULL)
            == 1,
        "one certificate in the PEM");
    br_x509_decoder_init(&xd, NULL, NULL);
    br_x509_decoder_push(&xd, der, derlen);
    pk = br_x509_decoder_get_pkey(&xd);
    ok(pk != NULL && br_x509_decoder_last_error(&xd) == 0
            && pk->key_type == BR_KEYTYPE_EC
            && pk->key.ec.curve == BR_EC_secp256r1 && pk->key.ec.qlen == 65
            && !br_x509_decoder_isCA(&xd)
            && br_x509_decoder_get_signer_key_type(&xd) == BR_KEYTYPE_EC,
        "BearSSL decodes it: P-256 key, not a CA, signed by an EC key");
    ok(pk != NULL && sig_ok(der, derlen, &pk->key.ec),
        "the signature verifies with the certificate's own key");
    der[derlen - 3] ^= 1;
    ok(pk != NULL && !sig_ok(der, derlen, &pk->key.ec),
        "a flipped bit in the signature fails (the check works)");
    ok(has(der, derlen, "\x82\x11mail.example.test", 19)
            && has(der, derlen, "\x0c\x11mail.example.test", 19),
        "subjectAltName dNSName and CN carry the host name");
    ok(x509gen_make(&p2, "mail.example.test", 1790000000) == 0
            && strcmp(p.key, p2.key) != 0 && strcmp(p.cert, p2.cert) != 0,
        "two runs: two keys, two certificates");

    /* A fixed key: the writer is deterministic (RFC 6979 signatures). */
    for (i = 0; i < sizeof x; i++)
        x[i] = (unsigned char)(i + 1);
    sk.curve = BR_EC_secp256r1;
    sk.x = x;
    sk.xlen = sizeof x;
    ok(br_ec_compute_pub(&br_ec_p256_m31, &pub, pbuf, &sk) == 65,
        "a fixed test key");
    /* 2049-12-31 23:59:59 and 2050-01-01 00:00:00 UTC */
    n1 = x509gen_cert_der(d1, sizeof d1, "a.example", &sk, pub.q, pub.qlen,
        serial, 2524607999, 2524608000);
    n2 = x509gen_cert_der(d2, sizeof d2, "a.example", &sk, pub.q, pub.qlen,
        serial, 2524607999, 2524608000);
    ok(n1 > 0 && n1 == n2 && memcmp(d1, d2, (size_t)n1) == 0,
        "same inputs, same bytes");
    ok(has(d1, (size_t)n1, "\x17\x0d" "491231235959Z", 15)
            && has(d1, (size_t)n1, "\x18\x0f" "20500101000000Z", 17),
        "UTCTime through 2049, GeneralizedTime from 2050");
    ok(has(d1, (size_t)n1,
           "\x02\x10\x7f\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"
           "\x0e\x0f",
           18),
        "the serial: 16 bytes, made positive without a leading zero");
    ok(sig_ok(d1, (size_t)n1, &pub), "signed with the given key");
    ok(has(d1, (size_t)n1, "\x30\x0c\x06\x03\x55\x1d\x13\x01\x01\xff\x04\x02"
                           "\x30\x00", 14)
            && has(d1, (size_t)n1, "\x30\x0e\x06\x03\x55\x1d\x0f\x01\x01\xff"
                                   "\x04\x04\x03\x02\x07\x80", 16),
        "basicConstraints CA:FALSE and keyUsage digitalSignature, critical");

    {
        char h64[66];
        memset(h64, 'a', 56);
        memcpy(h64 + 56, ".example", 9); /* 64 bytes */
        ok(x509gen_cert_der(d1, sizeof d1, h64, &sk, pub.q, pub.qlen, serial,
               0, 1) > 0,
            "a 64-byte host name fits the common name");
        memcpy(h64 + 56, "a.example", 10); /* 65 bytes */
        errno = 0;
        ok(x509gen_cert_der(d1, sizeof d1, h64, &sk, pub.q, pub.qlen, serial,
               0, 1) == -1 && errno == EINVAL
                && x509gen_make(&p2, h64, 0) == -1 && errno == EINVAL,
            "a 65-byte host name is refused (RFC 5280 ub-common-name)");
    }
    errno = 0;
    ok(x509gen_cert_der(d1, sizeof d1, "bad_name", &sk, pub.q, pub.qlen,
           serial, 0, 1) == -1 && errno == EINVAL
            && x509gen_cert_der(d1, sizeof d1, "a.example", &sk, pub.q,
                   pub.qlen, serial, 5, 5) == -1
            && x509gen_cert_der(d1, sizeof d1, "a.example", &sk, pub.q,
                   pub.qlen, serial, -1000000000000LL, 5) == -1,
        "refused: a bad host name, an empty validity, a year before 1950");
    errno = 0;
    ok(x509gen_cert_der(d1, 200, "a.example", &sk, pub.q, pub.qlen, serial,
           0, 1) == -1 && errno == ERANGE,
        "a buffer too short is ERANGE, not an overflow");
    x509gen_wipe(&p);
    x509gen_wipe(&p2);
    return done();
}
