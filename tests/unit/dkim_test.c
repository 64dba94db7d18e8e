/* dkim_test.c - relaxed canonicalization (RFC 6376 3.4.5's example),
 * the header section, the From: domain, keys and signatures. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "tap.h"

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

/* A 1024-bit key openssl made, PKCS#1, both primes = 1 mod 4: BearSSL
 * cannot recompute its public exponent (test only; never a real key). */
static const char openssl_key[] =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIICXQIBAAKBgQDWQ9AHA+mCFM6WWnoY3iOwekYGTo+AdL8Ax23dfKwf9tWfRgk0\n"
    "epB/8umNvJWKU2B7Dp5Z1oc6D25X2hhoSPP8yF6IFF0web2YN99EP6ChainOQP8R\n"
    "GMoO00Jg5hFBM642mPKADbxwPv9fkw+8kSdpt7gCKtDtNdu1B+omyYe9FQIDAQAB\n"
    "AoGAUjwKnnao620S8O/exqaTagszzv3d475rBGCGUSilY0s4J/4YUFTuGr1fWC/V\n"
    "8RYZBIHS0sYcdnMvtXYWQggl494UmuRJolMKJ5BCPZ7bYQvnOi57w/8rpy2J21PJ\n"
    "FSpFsXdy5FCDxdJ2XCgEaNJcV92tH8OZBT8FE4t8cigMLeECQQDzl7VzqvIDDMc5\n"
    "vmBBO+N228aD0+9JtLKMLu+cQA4SpfFEFBogrBUg9JD7Pszm0k89jVhMQDFHbApq\n"
    "24Vlea8pAkEA4S2wboPJZIn42sXpy0VYQHgs3sQBsE9CBwHD5PETqoZDbUVwkVoE\n"
    "ztZgFGAbkwiycMCbeIQA3VgzekeuHj4YDQJBAOi9ReBrL2pclimEzQDnELEq0WR5\n"
    "ZULeBE5ONh/rT8bfiEKMll4rLNDc+30ihrHvtUhROVE5cBwWjWmFrtHCzukCQHF3\n"
    "lHAb+F+xJrUXBbhoORBDfljCbBdr2NmvCgdTc5V6En/9fbvAoKuZWtDpnPt6ZnBq\n"
    "ne0cl1LyHv5/ID4dDAECQQClirNKrmmqcIyw5QJCCkEWTh7XlcBoeuQol5v+DNd1\n"
    "sKWUWXr4pgakG3YkjR43mPAlGTaEbjLEHZLo3xLTQmKN\n"
    "-----END RSA PRIVATE KEY-----\n";
static const char openssl_pub[] =
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDWQ9AHA+mCFM6WWnoY3iOwekYGTo+AdL8Ax"
    "23dfKwf9tWfRgk0epB/8umNvJWKU2B7Dp5Z1oc6D25X2hhoSPP8yF6IFF0web2YN99EP6Chai"
    "nOQP8RGMoO00Jg5hFBM642mPKADbxwPv9fkw+8kSdpt7gCKtDtNdu1B+omyYe9FQIDAQAB";

int
main(void)
{
    static char pem[DKIM_KEYGEN_PEM_MAX], rec[DKIM_RECORD_MAX];
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
        "an openssl RSA PRIVATE KEY: e = 65537 found by a test signature (%s)",
        err);
    ok(dkim_key_record(&k, rec, sizeof rec) > 0
            && strcmp(rec + 18, openssl_pub) == 0,
        "its record's p= is openssl's public key");
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
    explicit_bzero(pem, sizeof pem);
    dkim_key_wipe(&k);
    sa_free(&sig);
    sa_free(&sig2);
    sa_free(&big);
    return done();
}
