/* x509gen.c - self-signed P-256 certificates (see x509gen.h).
 *
 * A small DER writer: values are written in order into one buffer; a
 * constructed value remembers where its content starts (der_begin) and,
 * once the content is written, der_end moves the content up to insert
 * the tag and the minimal length in front of it.  A certificate is a few
 * hundred bytes, so the moves cost nothing.  Any overflow sets d->err and
 * every later call does nothing; the caller checks err once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dnsname.h"
#include "x509gen.h"

#define TAG_BOOLEAN 0x01
#define TAG_INTEGER 0x02
#define TAG_BITSTRING 0x03
#define TAG_OCTETSTRING 0x04
#define TAG_OID 0x06
#define TAG_UTF8STRING 0x0c
#define TAG_UTCTIME 0x17
#define TAG_GENERALIZEDTIME 0x18
#define TAG_SEQUENCE 0x30
#define TAG_SET 0x31
#define TAG_EXPLICIT0 0xa0   /* [0] EXPLICIT: version */
#define TAG_EXPLICIT3 0xa3   /* [3] EXPLICIT: extensions */
#define TAG_DNSNAME 0x82     /* GeneralName [2] IMPLICIT IA5String */

#define P256_POINT_LEN 65 /* 04 || X || Y */
#define ECDSA_P256_ASN1_MAX 72

/* Object identifiers, DER content bytes. */
static const unsigned char oid_ecdsa_sha256[] = { 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x04, 0x03, 0x02 };            /* 1.2.840.10045.4.3.2 */
static const unsigned char oid_ec_public_key[] = { 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x02, 0x01 };                  /* 1.2.840.10045.2.1 */
static const unsigned char oid_prime256v1[] = { 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07 };            /* 1.2.840.10045.3.1.7 */
static const unsigned char oid_cn[] = { 0x55, 0x04, 0x03 }; /* 2.5.4.3 */
static const unsigned char oid_san[] = { 0x55, 0x1d, 0x11 }; /* 2.5.29.17 */
static const unsigned char oid_basic[] = { 0x55, 0x1d, 0x13 }; /* .19 */
static const unsigned char oid_key_usage[] = { 0x55, 0x1d, 0x0f }; /* .15 */
static const unsigned char oid_ext_key_usage[] = { 0x55, 0x1d, 0x25 };
static const unsigned char oid_server_auth[] = { 0x2b, 0x06, 0x01, 0x05,
    0x05, 0x07, 0x03, 0x01 };            /* 1.3.6.1.5.5.7.3.1 */

struct der {
    unsigned char *buf;
    size_t len, max;
    int err;
};

static void
der_put(struct der *d, const void *p, size_t n)
{
    if (d->err || d->max - d->len < n) {
        d->err = 1;
        return;
    }
    memcpy(d->buf + d->len, p, n);
    d->len += n;
}

static size_t
der_begin(const struct der *d)
{
    return d->len;
}

/* Put tag and length in front of the content written since start. */
static void
der_end(struct der *d, unsigned char tag, size_t start)
{
    unsigned char h[4];
    size_t n = d->len - start, hl = 0;

    if (d->err)
        return;
    h[hl++] = tag;
    if (n < 0x80) {
        h[hl++] = (unsigned char)n;
    } else if (n < 0x100) {
        h[hl++] = 0x81;
        h[hl++] = (unsigned char)n;
    } else if (n < 0x10000) {
        h[hl++] = 0x82;
        h[hl++] = (unsigned char)(n >> 8);
        h[hl++] = (unsigned char)n;
    } else {
        d->err = 1;
        return;
    }
    if (d->max - d->len < hl) {
        d->err = 1;
        return;
    }
    memmove(d->buf + start + hl, d->buf + start, n);
    memcpy(d->buf + start, h, hl);
    d->len += hl;
}

/* A primitive value: tag, length, the n bytes at p. */
static void
der_prim(struct der *d, unsigned char tag, const void *p, size_t n)
{
    size_t s = der_begin(d);

    der_put(d, p, n);
    der_end(d, tag, s);
}

/* AlgorithmIdentifier for ecdsa-with-SHA256: no parameters (RFC 5758). */
static void
alg_ecdsa_sha256(struct der *d)
{
    size_t s = der_begin(d);

    der_prim(d, TAG_OID, oid_ecdsa_sha256, sizeof oid_ecdsa_sha256);
    der_end(d, TAG_SEQUENCE, s);
}

/* Name: one RDN, CN=cn. */
static void
name_cn(struct der *d, const char *cn)
{
    size_t name = der_begin(d), rdn, atv;

    rdn = der_begin(d);
    atv = der_begin(d);
    der_prim(d, TAG_OID, oid_cn, sizeof oid_cn);
    der_prim(d, TAG_UTF8STRING, cn, strlen(cn));
    der_end(d, TAG_SEQUENCE, atv);
    der_end(d, TAG_SET, rdn);
    der_end(d, TAG_SEQUENCE, name);
}

/* Time: UTCTime YYMMDDHHMMSSZ through 2049, GeneralizedTime after. */
static int
der_time(struct der *d, int64_t t)
{
    char s[16];
    struct tm tm;
    time_t tt = (time_t)t;
    int year, n;

    if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL)
        return -1;
    year = tm.tm_year + 1900;
    if (year < 1950 || year > 9999)
        return -1;
    if (year < 2050)
        n = snprintf(s, sizeof s, "%02d%02d%02d%02d%02d%02dZ", year % 100,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    else
        n = snprintf(s, sizeof s, "%04d%02d%02d%02d%02d%02dZ", year,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n < 0 || (size_t)n >= sizeof s)
        return -1;
    der_prim(d, year < 2050 ? TAG_UTCTIME : TAG_GENERALIZEDTIME, s,
        (size_t)n);
    return 0;
}

/* Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue }.
 * ext_begin writes the id and the flag and returns where the value's
 * OCTET STRING content starts; ext_end closes both. */
static size_t
ext_begin(struct der *d, const unsigned char *oid, size_t oidlen,
    int critical, size_t *seq)
{
    static const unsigned char yes = 0xff;

    *seq = der_begin(d);
    der_prim(d, TAG_OID, oid, oidlen);
    if (critical) /* DER omits a DEFAULT value: only TRUE is written */
        der_prim(d, TAG_BOOLEAN, &yes, 1);
    return der_begin(d);
}

static void
ext_end(struct der *d, size_t octets, size_t seq)
{
    der_end(d, TAG_OCTETSTRING, octets);
    der_end(d, TAG_SEQUENCE, seq);
}

static void
extensions(struct der *d, const char *host)
{
    /* keyUsage: BIT STRING, 7 unused bits, bit 0 digitalSignature. */
    static const unsigned char ku[] = { 0x07, 0x80 };
    size_t outer = der_begin(d), list, seq, o, s;

    list = der_begin(d);
    o = ext_begin(d, oid_san, sizeof oid_san, 0, &seq);
    s = der_begin(d);
    der_prim(d, TAG_DNSNAME, host, strlen(host));
    der_end(d, TAG_SEQUENCE, s);
    ext_end(d, o, seq);

    o = ext_begin(d, oid_basic, sizeof oid_basic, 1, &seq);
    s = der_begin(d); /* cA DEFAULT FALSE, no pathLen: empty */
    der_end(d, TAG_SEQUENCE, s);
    ext_end(d, o, seq);

    o = ext_begin(d, oid_key_usage, sizeof oid_key_usage, 1, &seq);
    der_prim(d, TAG_BITSTRING, ku, sizeof ku);
    ext_end(d, o, seq);

    o = ext_begin(d, oid_ext_key_usage, sizeof oid_ext_key_usage, 0, &seq);
    s = der_begin(d);
    der_prim(d, TAG_OID, oid_server_auth, sizeof oid_server_auth);
    der_end(d, TAG_SEQUENCE, s);
    ext_end(d, o, seq);

    der_end(d, TAG_SEQUENCE, list);
    der_end(d, TAG_EXPLICIT3, outer);
}

long
x509gen_cert_der(unsigned char *out, size_t outlen, const char *host,
    const br_ec_private_key *sk, const unsigned char *pub, size_t publen,
    const unsigned char serial[X509GEN_SERIAL_LEN], int64_t notbefore,
    int64_t notafter)
{
    static const unsigned char v3 = 2;
    unsigned char sn[X509GEN_SERIAL_LEN], hash[32];
    unsigned char sig[1 + ECDSA_P256_ASN1_MAX];
    struct der d = { out, 0, outlen, 0 };
    br_sha256_context h;
    size_t cert, tbs, s, sl;

    if (strlen(host) > X509GEN_CN_MAX || !dnsname_valid(host, strlen(host))
        || sk->curve != BR_EC_secp256r1 || publen != P256_POINT_LEN
        || pub[0] != 0x04 || notafter <= notbefore) {
        errno = EINVAL;
        return -1;
    }
    memcpy(sn, serial, sizeof sn);
    sn[0] = (unsigned char)((sn[0] & 0x7f) | 0x40);

    cert = der_begin(&d);
    tbs = der_begin(&d);
    s = der_begin(&d);
    der_prim(&d, TAG_INTEGER, &v3, 1);
    der_end(&d, TAG_EXPLICIT0, s);
    der_prim(&d, TAG_INTEGER, sn, sizeof sn);
    alg_ecdsa_sha256(&d);
    name_cn(&d, host); /* issuer */
    s = der_begin(&d);
    if (der_time(&d, notbefore) == -1 || der_time(&d, notafter) == -1) {
        errno = EINVAL;
        return -1;
    }
    der_end(&d, TAG_SEQUENCE, s);
    name_cn(&d, host); /* subject */
    s = der_begin(&d); /* SubjectPublicKeyInfo */
    {
        size_t a = der_begin(&d);
        der_prim(&d, TAG_OID, oid_ec_public_key, sizeof oid_ec_public_key);
        der_prim(&d, TAG_OID, oid_prime256v1, sizeof oid_prime256v1);
        der_end(&d, TAG_SEQUENCE, a);
        a = der_begin(&d);
        der_put(&d, "", 1); /* no unused bits */
        der_put(&d, pub, publen);
        der_end(&d, TAG_BITSTRING, a);
    }
    der_end(&d, TAG_SEQUENCE, s);
    extensions(&d, host);
    der_end(&d, TAG_SEQUENCE, tbs);
    if (d.err) {
        errno = ERANGE;
        return -1;
    }

    /* The signature covers the DER of the TBSCertificate as written. */
    br_sha256_init(&h);
    br_sha256_update(&h, out + tbs, d.len - tbs);
    br_sha256_out(&h, hash);
    sig[0] = 0; /* BIT STRING: no unused bits */
    sl = br_ecdsa_i31_sign_asn1(&br_ec_p256_m31, &br_sha256_vtable, hash, sk,
        sig + 1);
    if (sl == 0) {
        errno = EINVAL;
        return -1;
    }
    alg_ecdsa_sha256(&d);
    der_prim(&d, TAG_BITSTRING, sig, sl + 1);
    der_end(&d, TAG_SEQUENCE, cert);
    if (d.err) {
        errno = ERANGE;
        return -1;
    }
    return (long)d.len;
}

/* PEM of the n bytes at der into out (X509GEN_PEM_MAX).  Length or 0. */
static size_t
pem(char *out, const unsigned char *der, size_t n, const char *banner)
{
    if (br_pem_encode(NULL, der, n, banner, BR_PEM_LINE64) + 1
        > X509GEN_PEM_MAX)
        return 0;
    return br_pem_encode(out, der, n, banner, BR_PEM_LINE64);
}

int
x509gen_make(struct x509gen_pair *p, const char *host, int64_t now)
{
    br_hmac_drbg_context rng;
    br_prng_seeder seeder;
    br_ec_private_key sk;
    br_ec_public_key pk;
    unsigned char kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
    unsigned char pbuf[BR_EC_KBUF_PUB_MAX_SIZE];
    unsigned char serial[X509GEN_SERIAL_LEN], der[X509GEN_DER_MAX];
    long n;
    size_t kn;
    int r = -1, e = EIO;

    memset(p, 0, sizeof *p);
    if (strlen(host) > X509GEN_CN_MAX || !dnsname_valid(host, strlen(host))) {
        errno = EINVAL;
        return -1;
    }
    br_hmac_drbg_init(&rng, &br_sha256_vtable, NULL, 0);
    seeder = br_prng_seeder_system(NULL);
    if (seeder == NULL || !seeder(&rng.vtable))
        goto out;
    if (br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &sk, kbuf,
            BR_EC_secp256r1) == 0
        || br_ec_compute_pub(&br_ec_p256_m31, &pk, pbuf, &sk) == 0)
        goto out;
    br_hmac_drbg_generate(&rng, serial, sizeof serial);

    n = x509gen_cert_der(der, sizeof der, host, &sk, pk.q, pk.qlen, serial,
        now - X509GEN_BACKDATE, now + (int64_t)X509GEN_DAYS * 86400);
    if (n == -1) {
        e = errno;
        goto out;
    }
    p->certlen = pem(p->cert, der, (size_t)n, "CERTIFICATE");

    /* The key, in der[] now that the certificate is out of it. */
    kn = br_encode_ec_pkcs8_der(NULL, &sk, &pk);
    if (p->certlen == 0 || kn == 0 || kn > sizeof der)
        goto out;
    br_encode_ec_pkcs8_der(der, &sk, &pk);
    p->keylen = pem(p->key, der, kn, BR_ENCODE_PEM_PKCS8);
    if (p->keylen == 0)
        goto out;
    r = 0;
out:
    explicit_bzero(kbuf, sizeof kbuf);
    explicit_bzero(der, sizeof der);
    explicit_bzero(&sk, sizeof sk);
    explicit_bzero(&rng, sizeof rng);
    if (r == -1) {
        x509gen_wipe(p);
        errno = e;
    }
    return r;
}

void
x509gen_wipe(struct x509gen_pair *p)
{
    explicit_bzero(p, sizeof *p);
}
