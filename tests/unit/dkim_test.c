/* dkim_test.c - relaxed canonicalization (RFC 6376 3.4.5's example),
 * the header section, the From: domain, keys (their public exponent
 * found by arithmetic on the CRT parts: 65537, 3, 17; dp, dq, iq
 * damaged) and signatures. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "dkimverify.h"
#include "tap.h"
#include "tlscert.h"

static void
put_sa(void *ctx, const void *p, size_t n)
{
    if (sa_append(ctx, p, n) == -1)
        abort();
}

/* The relaxed body of s, fed in pieces of k bytes. */
static int
body_is(const char *s, size_t k, const char *want)
{
    struct sa out = SA_INIT(1 << 20);
    struct dkim_body b;
    size_t i, n = strlen(s);
    int r;

    dkim_body_init(&b, put_sa, &out);
    for (i = 0; i < n; i += k)
        dkim_body_feed(&b, s + i, n - i < k ? n - i : k);
    dkim_body_finish(&b);
    r = out.len == strlen(want) && memcmp(out.s ? out.s : "", want, out.len)
        == 0 && b.len == out.len;
    sa_free(&out);
    return r;
}

static int
body_every_split(const char *s, const char *want)
{
    size_t k;

    for (k = 1; k <= strlen(s) + 1; k++)
        if (!body_is(s, k, want))
            return 0;
    return 1;
}

static int
header_is(const char *f, const char *want)
{
    struct sa out = SA_INIT(4096);
    int r = dkim_canon_header(f, strlen(f), &out) == 0
        && out.len == strlen(want) && memcmp(out.s, want, out.len) == 0;

    sa_free(&out);
    return r;
}

static int
from_is(const char *hdr, int want, const char *domain)
{
    char d[256];
    int r = dkim_from_domain(hdr, strlen(hdr), d, sizeof d);

    return r == want && (r != 1 || strcmp(d, domain) == 0);
}

static const char msg[] =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject: hello\r\n"
    "Received: not signed\r\n"
    "To: carol@example.net\r\n"
    "\r\n"
    "hi\r\n";

#include "testkey.h"

/* 1024 bits, e = 3, PKCS#8, both primes = 1 mod 4 (openssl genpkey;
 * test only). */
static const char e3_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBALoME7oGS6iyZWat\n"
    "eXYSKFsUC7MfCAqp8yoQoh+wlsFyAmrvdk2ZaIkR2sHCkuFXMqKHQnrft80OwZeu\n"
    "TAgNrvJnKtFBvZJCYO1bdINUUuRTykazM4KWGVBRgYcytDVXz3IH+10jCOjLP7S/\n"
    "qL1ElBV6L8uemtJU4vWDDOf3/UxlAgEDAoGAfAgNJq7dGyGY7x5Q+WFwPLgHzL9a\n"
    "scaiHAsWv8sPK6FW8fT5iRDwW2E8gSxh6493FwTW/JUlM18runQysAkfSyG2ZXBf\n"
    "I2IwErctD6BrHgNn/ZZfjUEMILHUVMXAnqMILXeu0ZPiPM7CtDvypzPxzZkVMu97\n"
    "G6PsX0XYM3TWNasCQQDfcj2gwWg4x2C7SsqcNpv1odoMY5vF77Xu/cqVPxlOfyLJ\n"
    "yN1kc9oP/y0gNLk8HwxfJaNsnQKqlVy7VgG8u/XFAkEA1Sb7eG109lFwjWYhR3ub\n"
    "WQxwRUCS7pdpV8U9dNQuFMQLCqxFYMGzhRx5RYgJOopUtWpbysUmNGsJ3vKZDAAG\n"
    "IQJBAJT208CA8CXaQHzchxLPEqPBPAhCZ9lKeUn+hw4qEN7/bIaF6O2ikV//c2rN\n"
    "0NK/XZTDwkhorHG46HzkASh9ToMCQQCOGfz686NO4PWzmWuE/RI7XaAuKwyfD5uP\n"
    "2NOjOB64grIHHYOV1neuEvuDsAYnBuMjnD0x2MQi8gaUobtdVVlrAkByPagcsU6D\n"
    "49S29JIB/X6BABx2boPhXf//v3f2miXMqpioRuWqI6Dm8arzjE9Xl3p9wKgEb4ug\n"
    "C3v+RZ6svxwe\n"
    "-----END PRIVATE KEY-----\n";
static const char e3_pub[] =
    "MIGdMA0GCSqGSIb3DQEBAQUAA4GLADCBhwKBgQC6DBO6BkuosmVmrXl2EihbFAuzHwgKq"
    "fMqEKIfsJbBcgJq73ZNmWiJEdrBwpLhVzKih0J637fNDsGXrkwIDa7yZyrRQb2SQmDtW3S"
    "DVFLkU8pGszOClhlQUYGHMrQ1V89yB/tdIwjoyz+0v6i9RJQVei/LnprSVOL1gwzn9/1MZ"
    "QIBAw==";

/* 1024 bits, e = 17, PKCS#1, both primes = 3 mod 4: neither 65537 nor
 * 3 fits, BearSSL recomputes e (openssl genpkey; test only). */
static const char e17_key[] =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIICWgIBAAKBgQCuilm5ZY1xczxkBL7+PtpTKFZmQiBo/o3P9zvnpha9jGKYWo1/\n"
    "0+wUWnzixYpLUpQzKvoYtJOfpJrZaLXLCsj5eAoOLLuEtoPtTm6BvuDcGat2IENV\n"
    "c7NA5vpTPvBSXZDe2Cqj58SVnSHQblkL4+fF1QEWMFrn//D8958MDeEK6QIBEQKB\n"
    "gQCkRfoX5xu2Ehq4fO/+WUXz6bq6mJb5aAz/97/pFMobz2var5Q8EsATJ/0RqtyD\n"
    "IIt7c741XqkOuQo2CDKg+xd/0/nGOjQsyJ/rft9zgyESPkjlIXUOPhwVrvOa+fBE\n"
    "IfbY+2HXdFYLsA5sGKTWwOSFoW85+gBruMtoOzOXR6nRMQJBANax2ZJiuThVHZsX\n"
    "wtkz8+7yP9LtwX3C5NDm67kppZ846ehD+AoVZWn2cHWGvZTjieJhentNebNbGlW9\n"
    "CA0wm/MCQQDQHtH8gVvpBOV8iVQqWcTIi8LZyTTT8oUMMJLcN2RaQa5kzrbyE8PI\n"
    "HA0eoyoiEW33GW4bbPvYPcPi+zNEjACzAkBLxkzKQPYT4c42vReX9Df5+yWVvVNZ\n"
    "kBSF9yYFHcH79fgz28D0gAWs7ZEaa8pwyMdA1xwrhMGKmJ/iBntP8wndAkAkuiUO\n"
    "cS5WTCh/Y4dSxIwjY/U1fdwlZwhrkBnqoF0A3moRyiBI1k+55tUjhjScman+beZB\n"
    "EzuAg17Ns9ve64enAkAu0tCHSZu57fJOaZeK5EUQQ67uewNk+raX4nHTomPbqf77\n"
    "T6Vvg0Q5Pc2vsVu/uytqu36jNexi9pzxtSORP/WX\n"
    "-----END RSA PRIVATE KEY-----\n";
static const char e17_pub[] =
    "MIGdMA0GCSqGSIb3DQEBAQUAA4GLADCBhwKBgQCuilm5ZY1xczxkBL7+PtpTKFZmQiBo/"
    "o3P9zvnpha9jGKYWo1/0+wUWnzixYpLUpQzKvoYtJOfpJrZaLXLCsj5eAoOLLuEtoPtTm6"
    "BvuDcGat2IENVc7NA5vpTPvBSXZDe2Cqj58SVnSHQblkL4+fF1QEWMFrn//D8958MDeEK6"
    "QIBEQ==";

struct der {
    unsigned char p[2048];
    size_t len;
};

static int
der_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
    struct der *d = ctx;

    if (len > sizeof d->p)
        return -1;
    memcpy(d->p, der, len);
    d->len = len;
    return 0;
}

/* A DER length at d->p[*i], *i moved past it; -1 if not one. */
static long
der_len(const struct der *d, size_t *i)
{
    size_t n, k;

    if (*i >= d->len)
        return -1;
    n = d->p[(*i)++];
    if (n < 0x80)
        return (long)n;
    k = n & 0x7f;
    if (k > 2)
        return -1;
    for (n = 0; k > 0; k--) {
        if (*i >= d->len)
            return -1;
        n = n << 8 | d->p[(*i)++];
    }
    return (long)n;
}

/*
 * The PKCS#1 key pem with the last byte of its INTEGER number which
 * (0 version, 1 n, 2 e, 3 d, 4 p, 5 q, 6 dp, 7 dq, 8 iq) xored with x,
 * as PEM into out.  Its length, or 0.
 */
static size_t
damaged(const char *pem, int which, unsigned char x, char *out, size_t outlen)
{
    struct der d;
    size_t i = 1;
    long n;
    int k;

    if (tls_pem_decode((const unsigned char *)pem, strlen(pem), der_cb, &d)
            != 1
        || d.p[0] != 0x30 || der_len(&d, &i) == -1)
        return 0;
    for (k = 0;; k++) {
        if (i >= d.len || d.p[i++] != 0x02 || (n = der_len(&d, &i)) <= 0
            || (size_t)n > d.len - i)
            return 0;
        if (k == which)
            break;
        i += (size_t)n;
    }
    d.p[i + (size_t)n - 1] ^= x;
    if (br_pem_encode(NULL, d.p, d.len, "RSA PRIVATE KEY", BR_PEM_LINE64)
        >= outlen)
        return 0;
    return br_pem_encode(out, d.p, d.len, "RSA PRIVATE KEY", BR_PEM_LINE64);
}

/* pem parses with the public exponent e and p= pub, and signs (dkim_sign
 * checks its signature with that public key). */
static int
key_works(const char *pem, uint32_t e, const char *pub, char *err,
    size_t errlen)
{
    static struct dkim_key k;
    static char rec[DKIM_RECORD_MAX];
    struct sa sig = SA_INIT(65536);
    unsigned char eb[4];
    int r;

    eb[0] = (unsigned char)(e >> 24);
    eb[1] = (unsigned char)(e >> 16);
    eb[2] = (unsigned char)(e >> 8);
    eb[3] = (unsigned char)e;
    err[0] = 0;
    r = dkim_key_parse(&k, (const unsigned char *)pem, strlen(pem), err,
            errlen) == 0
        && k.pk.elen <= 4 && memcmp(k.pk.e, eb + 4 - k.pk.elen, k.pk.elen) == 0
        && k.pk.e[0] != 0
        && dkim_key_record(&k, rec, sizeof rec) > 0
        && strcmp(rec + 18, pub) == 0
        && dkim_sign(&k, "example.org", "f202611", 1700000000, msg,
               strlen(msg), &sig) == 0;
    dkim_key_wipe(&k);
    sa_free(&sig);
    return r;
}

/* The key pem, damaged, is refused with a reason containing why. */
static int
refused(const char *pem, int which, unsigned char x, const char *why,
    char *err, size_t errlen)
{
    static struct dkim_key k;
    char bad[2048];
    size_t n = damaged(pem, which, x, bad, sizeof bad);

    err[0] = 0;
    return n > 0 && dkim_key_parse(&k, (unsigned char *)bad, n, err, errlen)
        == -1 && strstr(err, why) != NULL;
}

/* RFC 8463 A.2: the Ed25519 key of the example (the seed of RFC 8032
 * 7.1 TEST 1), in the PKCS#8 form openssl writes, and its record. */
static const char ed_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
static const char ed_rec[] =
    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/* The verifier's DNS: one record for every name. */
static int
one_txt(void *arg, const char *name, char *out, size_t outlen, size_t *n)
{
    const char *rec = arg;

    (void)name;
    *n = strlen(rec);
    if (*n <= outlen)
        memcpy(out, rec, *n);
    return 1;
}

/* sig (a field) in front of m verifies with rec: the result. */
static int
verifies(const struct sa *sig, const char *m, const char *rec)
{
    static char buf[65536];
    struct dkimv_sig r[1];
    size_t n = sig->len + strlen(m);

    if (n > sizeof buf)
        return -1;
    memcpy(buf, sig->s, sig->len);
    memcpy(buf + sig->len, m, strlen(m));
    if (dkimv_verify(buf, n, one_txt, (void *)rec, 1795000000, r, 1) != 1)
        return -1;
    return r[0].result;
}

int
main(void)
{
    static char pem[DKIM_KEYGEN_PEM_MAX], rec[DKIM_RECORD_MAX], bad[2048];
    static struct dkim_key k;
    struct sa sig = SA_INIT(65536), sig2 = SA_INIT(65536);
    struct sa big = SA_INIT(1 << 20);
    char err[300];
    size_t body;
    long n;
    int i;

    /* RFC 6376 3.4.5: the example header and body. */
    ok(header_is("A: X\r\n", "a:X\r\n"), "3.4.5 header: A: X");
    ok(header_is("B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n"),
        "3.4.5 header: B : Y <HTAB> folded Z");
    ok(body_every_split(" C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n"),
        "3.4.5 body, fed in pieces of every size");
    ok(header_is("Subject:\r\n", "subject:\r\n"), "empty value");
    ok(header_is("X-A:  a \t b  \r\n  c\r\n", "x-a:a b c\r\n"),
        "runs of WSP and folding become one SP");
    ok(dkim_canon_header("no colon\r\n", 10, &big) == -1 && errno == EINVAL,
        "a line without ':' is not a field");

    ok(body_every_split("", ""), "empty body: nothing");
    ok(body_every_split("\r\n\r\n  \r\n", ""), "only empty lines: nothing");
    ok(body_every_split("x", "x\r\n"), "a missing final CRLF is added");
    ok(body_every_split("a\r\n \t \r\nb\r\n", "a\r\n\r\nb\r\n"),
        "a blank line inside the body stays, empty");
    ok(body_every_split("a\rb\r\n", "a\rb\r\n"), "a bare CR is a byte");
    ok(body_every_split("\tx\r\n", " x\r\n"), "leading WSP becomes one SP");
    ok(body_every_split(
           "The quick brown fox jumps over the lazy dog.\r\nSecond line  "
           "with\tdouble\t \tgaps and trailing \t\r\n\r\n \r\nThird line "
           "after blanks, then a bare\rCR and the end\r\n\r\n\r\n",
           "The quick brown fox jumps over the lazy dog.\r\nSecond line "
           "with double gaps and trailing\r\n\r\n\r\nThird line after "
           "blanks, then a bare\rCR and the end\r\n"),
        "longer lines (copied in runs): the same, fed in pieces of every "
        "size");

    ok(dkim_header_len(msg, strlen(msg), &body) == strlen(msg) - 6
            && body == strlen(msg) - 4,
        "header section: up to the empty line");
    ok(dkim_header_len("\r\nbody\r\n", 8, &body) == 0 && body == 2,
        "no header at all");
    ok(dkim_header_len("A: b\r\n", 6, &body) == 6 && body == 6,
        "no empty line: all header, empty body");

    ok(from_is(msg, 1, "example.org"), "From: domain");
    ok(from_is("from: \"A, B\" <a@Sub.Example.ORG>, c@d.example\r\n", 1,
           "sub.example.org"),
        "From: the first address, domain in lower case");
    ok(from_is("From: Alice\r\n <alice@folded.example>\r\n", 1,
           "folded.example"),
        "From: folded");
    ok(from_is("To: a@b.example\r\n", 0, NULL), "no From:");
    ok(from_is("From : a@b.example\r\n", 0, NULL),
        "'From :' is not a field verifiers read: no From:");
    ok(from_is("From: a@b.example\r\nFrom: c@d.example\r\n", -1, NULL)
            && errno == EEXIST,
        "two From: fields: EEXIST");
    ok(from_is("From: undisclosed:;\r\n", -1, NULL) && errno == EINVAL,
        "From: without an address: EINVAL");
    ok(from_is("From: a@[192.0.2.1]\r\n", -1, NULL) && errno == EINVAL,
        "From: an address literal: EINVAL");

    ok(dkim_selector_valid("f202611") && dkim_selector_valid("a.b-c")
            && !dkim_selector_valid("") && !dkim_selector_valid("a/b")
            && !dkim_selector_valid("..")
            && !dkim_selector_valid(
                "a123456789a123456789a123456789a123456789a123456789a12345678"
                "9abcd"),
        "selectors: host names of at most 63 bytes");

    n = dkim_keygen(pem, sizeof pem);
    ok(n > 0 && strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0,
        "keygen: a PKCS#8 PEM key");
    ok(dkim_key_parse(&k, (unsigned char *)pem, (size_t)n, err, sizeof err)
            == 0
            && k.sk.n_bitlen == 2048 && k.pk.elen == 3,
        "keygen: it parses back, 2048 bits, e = 65537 (%s)", err);
    ok(dkim_key_record(&k, rec, sizeof rec) > 0
            && strncmp(rec, "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOC",
                   46) == 0
            && strlen(rec) == 18 + 392,
        "record: p= is a 2048-bit SubjectPublicKeyInfo");

    ok(dkim_sign(&k, "example.org", "f202611", 1700000000, msg, strlen(msg),
           &sig) == 0,
        "sign");
    ok(sig.len > 0
            && strncmp(sig.s, "DKIM-Signature: v=1; a=rsa-sha256; "
                              "c=relaxed/relaxed; d=example.org;", 67) == 0
            && strstr(sig.s, "s=f202611; t=1700000000;") != NULL
            && strstr(sig.s, " h=from:from:subject:to:to;") != NULL
            && strstr(sig.s, " b=") != NULL
            && memcmp(sig.s + sig.len - 2, "\r\n", 2) == 0,
        "the field: tags, h= with each To: and From: over-signed");
    for (i = 0; i < (int)sig.len - 1; i++)
        if (sig.s[i] == '\r' && (sig.s[i + 1] != '\n'
                || (i + 2 < (int)sig.len && sig.s[i + 2] != '\t')))
            break;
    ok(i == (int)sig.len - 1, "folded with CRLF TAB only");
    ok(dkim_sign(&k, "example.org", "f202611", 1700000000, msg, strlen(msg),
           &sig2) == 0
            && sig2.len == sig.len && memcmp(sig.s, sig2.s, sig.len) == 0,
        "deterministic (PKCS#1 v1.5)");
    ok(dkim_sign(&k, "[192.0.2.1]", "f", 1, msg, strlen(msg), &sig2) == -1
            && errno == EINVAL
            && dkim_sign(&k, "example.org", "a/b", 1, msg, strlen(msg), &sig2)
                == -1,
        "an invalid domain or selector: EINVAL");
    for (i = 0; i <= DKIM_SIGNED_MAX; i++)
        sa_appends(&big, "To: x@example.org\r\n");
    ok(dkim_sign(&k, "example.org", "f", 1, big.s, big.len, &sig2) == -1
            && errno == E2BIG,
        "more than DKIM_SIGNED_MAX fields to sign: E2BIG");

    ok(dkim_key_parse(&k, (const unsigned char *)openssl_key,
           strlen(openssl_key), err, sizeof err) == 0
            && k.sk.n_bitlen == 1024
            && br_rsa_compute_pubexp_get_default()(&k.sk) == 0
            && k.pk.elen == 3 && memcmp(k.pk.e, "\1\0\1", 3) == 0,
        "an openssl RSA PRIVATE KEY: e = 65537 found by arithmetic (%s)",
        err);
    ok(dkim_key_record(&k, rec, sizeof rec) > 0
            && strcmp(rec + 18, openssl_pub) == 0,
        "its record's p= is openssl's public key");
    ok(key_works(openssl_key, 65537, openssl_pub, err, sizeof err),
        "e = 65537, primes = 1 mod 4: parsed, signs (%s)", err);
    ok(key_works(e3_key, 3, e3_pub, err, sizeof err),
        "e = 3, PKCS#8, primes = 1 mod 4: parsed, signs (%s)", err);
    ok(key_works(e17_key, 17, e17_pub, err, sizeof err),
        "e = 17, primes = 3 mod 4: BearSSL's exponent, checked, signs (%s)",
        err);
    ok(damaged(openssl_key, 9, 1, bad, sizeof bad) == 0
            && damaged(openssl_key, 0, 0, bad, sizeof bad) > 0
            && key_works(bad, 65537, openssl_pub, err, sizeof err),
        "the damaging helper: 9 integers; an undamaged copy works (%s)", err);
    ok(refused(openssl_key, 6, 2, "neither 3 nor 65537", err, sizeof err),
        "dp damaged: refused, no exponent fits (%s)", err);
    ok(refused(e17_key, 6, 2, "neither 3 nor 65537", err, sizeof err),
        "dp of the e = 17 key damaged: refused (%s)", err);
    ok(refused(openssl_key, 7, 0x80, "neither 3 nor 65537", err, sizeof err),
        "dq damaged: refused (%s)", err);
    ok(refused(openssl_key, 8, 1, "not a valid RSA key", err, sizeof err),
        "iq damaged: refused (%s)", err);
    ok(damaged(openssl_key, 3, 1, bad, sizeof bad) > 0
            && key_works(bad, 65537, openssl_pub, err, sizeof err),
        "d damaged: still works (BearSSL keeps only p, q, dp, dq, iq) (%s)",
        err);
    ok(dkim_key_parse(&k, (unsigned char *)"junk", 4, err, sizeof err) == -1
            && strstr(err, "no private key") != NULL,
        "no key in the file (%s)", err);
    pem[n - 100] ^= 1;
    ok(dkim_key_parse(&k, (unsigned char *)pem, (size_t)n, err, sizeof err)
            == -1,
        "a damaged key is refused (%s)", err);
    ok(dkim_key_load(&k, "/nonexistent/x.key", err, sizeof err) == -1
            && strstr(err, "/nonexistent/x.key") != NULL,
        "load: a missing file names it (%s)", err);

    /* Ed25519 (RFC 8463) */
    ok(dkim_key_parse(&k, (const unsigned char *)ed_key, strlen(ed_key), err,
           sizeof err) == 0
            && k.type == DKIM_KEY_ED25519,
        "an Ed25519 key (RFC 8463 A.2, openssl's PKCS#8) parses (%s)", err);
    ok(dkim_key_record(&k, rec, sizeof rec) > 0 && strcmp(rec, ed_rec) == 0,
        "its record: k=ed25519, p= the bare key of RFC 8463 A.2 (%s)", rec);
    ok(dkim_sign(&k, "example.org", "e1", 1795000000, msg, strlen(msg), &sig)
            == 0
            && strstr(sig.s, "a=ed25519-sha256;") != NULL,
        "signed: a=ed25519-sha256");
    ok(verifies(&sig, msg, ed_rec) == DKIMV_PASS,
        "... and lib/dkimverify says pass");
    snprintf(bad, sizeof bad, "v=DKIM1; k=rsa; p=%s", openssl_pub);
    ok(verifies(&sig, msg, bad) == DKIMV_PERMERROR,
        "... not with an RSA key record");
    n = dkim_keygen_ed25519(pem, sizeof pem);
    ok(n > 0 && strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0
            && dkim_key_parse(&k, (unsigned char *)pem, (size_t)n, err,
                   sizeof err) == 0
            && k.type == DKIM_KEY_ED25519,
        "dkim_keygen_ed25519: PKCS#8 PEM that parses back (%s)", err);
    ok(dkim_key_record(&k, rec, sizeof rec) > 0
            && dkim_sign(&k, "example.org", "e2", 1795000000, msg,
                   strlen(msg), &sig) == 0
            && verifies(&sig, msg, rec) == DKIMV_PASS,
        "... a new key signs, its record verifies");
    ok(dkim_keygen_ed25519(pem, 50) == -1 && errno == ERANGE,
        "dkim_keygen_ed25519: ERANGE when the PEM does not fit");
    {
        /* the same key with the public key attached (PKCS#8 v2, RFC 8410
         * 10.3): not read, and said so */
        static const char v2[] =
            "-----BEGIN PRIVATE KEY-----\n"
            "MHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
            "oB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB\n"
            "Z9w7lshQhqowtrbLDFw4rXAxZuE=\n"
            "-----END PRIVATE KEY-----\n";
        ok(dkim_key_parse(&k, (const unsigned char *)v2, strlen(v2), err,
               sizeof err) == -1
                && strstr(err, "Ed25519") != NULL,
            "an Ed25519 key in another form: refused, said (%s)", err);
    }

    explicit_bzero(pem, sizeof pem);
    dkim_key_wipe(&k);
    sa_free(&sig);
    sa_free(&sig2);
    sa_free(&big);
    return done();
}
