/* dkimverify_test.c - DKIM verification of signatures made by dkimpy
 * (an independent signer: dkimverify_vectors.h), by RFC 8463's example,
 * and by facteur's own dkim_sign; then what must not pass. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "dkim.h"
#include "dkimverify.h"
#include "tap.h"

#include "dkimverify_vectors.h"

/* The DNS of the tests: name -> record; any other name has none. */
struct zone {
    const char *name[4];
    const char *rec[4];
    int fail;      /* -1: every lookup fails for now */
    int oversize;  /* claim a record longer than the buffer */
    int asked;
};

static int
txt(void *arg, const char *name, char *out, size_t outlen, size_t *n)
{
    struct zone *z = arg;
    size_t i, len;

    z->asked++;
    if (z->fail)
        return -1;
    for (i = 0; i < 4 && z->name[i] != NULL; i++) {
        if (strcmp(z->name[i], name) != 0)
            continue;
        if (z->rec[i] == NULL)
            return 0;
        len = strlen(z->rec[i]);
        memcpy(out, z->rec[i], len < outlen ? len : outlen);
        *n = z->oversize ? outlen + 1 : len;
        return 1;
    }
    return 0;
}

static struct dkimv_sig res[DKIMV_SIGS_MAX + 2];

/* Verify msg (n bytes) with one key record at sel._domainkey.example.org;
 * the number of results. */
static size_t
verify_n(const char *msg, size_t n, const char *rec, int64_t now)
{
    struct zone z = { { "sel._domainkey.example.org" }, { rec }, 0, 0, 0 };

    memset(res, 0x55, sizeof res); /* results are filled, not assumed zero */
    return dkimv_verify(msg, n, txt, &z, now, res, DKIMV_SIGS_MAX + 2);
}

static size_t
verify(const char *msg, const char *rec)
{
    return verify_n(msg, strlen(msg), rec, VEC_T + 60);
}

/* One signature with this result (and why containing want, if given). */
static int
one(const char *msg, const char *rec, int result, const char *want)
{
    size_t n = verify(msg, rec);

    if (n != 1 || res[0].result != result
        || (want != NULL && strstr(res[0].why, want) == NULL)) {
        printf("# got %zu: %s (%s)\n", n, dkimv_name(res[0].result),
            res[0].why);
        return 0;
    }
    return 1;
}

/* A copy of s with the first from replaced by to (a static buffer). */
static char *
edit(const char *s, const char *from, const char *to)
{
    static char buf[4][65536];
    static int k;
    char *out = buf[k++ % 4];
    const char *p = strstr(s, from);

    if (p == NULL || strlen(s) + strlen(to) >= sizeof buf[0])
        abort(); /* a broken test */
    memcpy(out, s, (size_t)(p - s));
    strcpy(out + (p - s), to);
    strcat(out, p + strlen(from));
    return out;
}

/* The message without its signatures (dkimpy's vectors share it). */
static const char *
bare(void)
{
    return strstr(msg_rr, "From: Alice");
}

/* A message whose signature field is "DKIM-Signature: " sig. */
static char *
with_sig(const char *sig)
{
    static char buf[65536];

    snprintf(buf, sizeof buf, "DKIM-Signature: %s\r\n%s", sig, bare());
    return buf;
}

#define GOOD_TAGS "v=1; a=rsa-sha256; d=example.org; s=sel; h=from:to; " \
                  "bh=8DLPnczab+Ye0QmMQBJ7WoYIdxw/Qqva59Wqejd+x1M=; b=AAAA"

static int
perm_sig(const char *sig, const char *want)
{
    return one(with_sig(sig), rec_a, DKIMV_PERMERROR, want);
}

/* Key A's record with its SubjectPublicKeyInfo edited by f. */
static const char *
spki_edited(const char *p64, void (*f)(unsigned char *der, long *n))
{
    static char rec[2048];
    unsigned char der[1024];
    long n = base64_decode(der, sizeof der, p64, strlen(p64));

    /* 2048 bits: SEQ(82 01 22){ SEQ(0d){ OID(9) NULL } BIT STRING ... } */
    if (n != 294 || memcmp(der, "\x30\x82\x01\x22\x30\x0d\x06\x09", 8) != 0
        || memcmp(der + 17, "\x05\x00\x03\x82\x01\x0f\x00\x30", 8) != 0)
        abort();
    f(der, &n);
    memcpy(rec, "p=", 2);
    base64_encode(rec + 2, sizeof rec - 2, der, (size_t)n);
    return rec;
}

static void
no_null(unsigned char *der, long *n)
{
    memmove(der + 17, der + 19, (size_t)*n - 19);
    *n -= 2;
    der[3] -= 2;
    der[5] = 0x0b;
}

static void
trailing(unsigned char *der, long *n)
{
    der[(*n)++] = 0;
}

static void
pss_oid(unsigned char *der, long *n)
{
    (void)n;
    der[16] = 0x0a; /* id-RSASSA-PSS (1.2.840.113549.1.1.10) */
}

static void
unused_bits(unsigned char *der, long *n)
{
    (void)n;
    der[23] = 1;
}

static void
long_length(unsigned char *der, long *n)
{
    (void)n;
    der[1] = 0x84; /* a four-byte length */
}

static void
inner_short(unsigned char *der, long *n)
{
    (void)n;
    der[3]--; /* the outer SEQUENCE one byte short of its content */
}

static void
der_variants(const char *p64)
{
    ok(one(msg_rr, spki_edited(p64, no_null), DKIMV_PASS, NULL),
        "SubjectPublicKeyInfo without the NULL parameters: pass");
    ok(one(msg_rr, spki_edited(p64, trailing), DKIMV_PERMERROR, "p=")
            && one(msg_rr, spki_edited(p64, pss_oid), DKIMV_PERMERROR, "p=")
            && one(msg_rr, spki_edited(p64, unused_bits), DKIMV_PERMERROR,
                "p=")
            && one(msg_rr, spki_edited(p64, long_length), DKIMV_PERMERROR,
                "p=")
            && one(msg_rr, spki_edited(p64, inner_short), DKIMV_PERMERROR,
                "p="),
        "DER: trailing bytes, the RSASSA-PSS OID, unused bits, 4-byte length, "
        "wrong inner length: permerror");
}

static void
vectors(void)
{
    const char *b;
    char *m;

    ok(one(msg_rr, rec_a, DKIMV_PASS, NULL), "dkimpy relaxed/relaxed: pass");
    ok(strcmp(res[0].d, "example.org") == 0 && strcmp(res[0].s, "sel") == 0
            && strcmp(res[0].a, "rsa-sha256") == 0
            && strcmp(res[0].i, "@example.org") == 0
            && res[0].key_bits == 2048 && res[0].timestamp == VEC_T
            && res[0].expires == -1 && !res[0].body_length_used
            && !res[0].testing && strlen(res[0].b) == DKIMV_HEADER_B_LEN
            && strncmp(strstr(msg_rr, " b=") + 3, res[0].b, 8) == 0,
        "the result names d, s, a, i, the key size, t=, header.b");
    ok(one(msg_ss, rec_a, DKIMV_PASS, NULL), "dkimpy simple/simple: pass");
    ok(one(msg_rs, rec_a, DKIMV_PASS, NULL), "dkimpy relaxed/simple: pass");
    ok(one(msg_sr, rec_a, DKIMV_PASS, NULL)
            && strcmp(res[0].i, "alice@mail.example.org") == 0,
        "dkimpy simple/relaxed, i= in a subdomain of d=: pass");
    ok(one(msg_bfirst, rec_a, DKIMV_PASS, NULL),
        "dkimpy with b= first, before bh=: pass");
    ok(one(msg_empty, rec_a, DKIMV_PASS, NULL),
        "dkimpy simple, empty body (one CRLF): pass");
    ok(one(msg_rr, rec_a_pkcs1, DKIMV_PASS, NULL),
        "a bare RSAPublicKey in p= (no SubjectPublicKeyInfo): pass");

    /* The body. */
    ok(one(edit(msg_rr, "bye", "bya"), rec_a, DKIMV_FAIL,
           "body hash mismatch"),
        "relaxed: a changed body byte: fail (body hash)");
    ok(one(edit(msg_ss, "bye", "bya"), rec_a, DKIMV_FAIL,
           "body hash mismatch"),
        "simple: a changed body byte: fail (body hash)");
    ok(one(edit(msg_rr, "a line\twith", "a  line with"), rec_a, DKIMV_PASS,
           NULL),
        "relaxed body: changed white space: still pass");
    ok(one(edit(msg_ss, "a line\twith", "a  line with"), rec_a, DKIMV_FAIL,
           "body hash mismatch"),
        "simple body: changed white space: fail");
    ok(one(edit(msg_ss, "bye\r\n", "bye\r\n\r\n\r\n"), rec_a, DKIMV_PASS,
           NULL)
            && one(edit(msg_rr, "bye\r\n", "bye \r\n\r\n \r\n"), rec_a,
                DKIMV_PASS, NULL),
        "empty lines added at the end: still pass (simple, relaxed)");
    ok(one(edit(msg_ss, "bye\r\n\r\n\r\n", "bye"), rec_a, DKIMV_PASS, NULL),
        "simple: a body without its final CRLF is read with one");

    /* The header. */
    ok(one(edit(msg_rr, "Subject:  a", "Subject:  A"), rec_a, DKIMV_FAIL,
           "signature did not verify"),
        "a signed field changed: fail (signature)");
    ok(one(edit(msg_rr, "To: bob@example.net", "TO :  bob@example.net  "),
           rec_a, DKIMV_PASS, NULL),
        "relaxed header: name case, white space changed: still pass");
    ok(one(edit(msg_ss, "To: bob@example.net", "TO: bob@example.net"),
           rec_a, DKIMV_FAIL, "signature did not verify"),
        "simple header: name case changed: fail");
    ok(one(edit(msg_rr, "From: Alice", "From: Mallory <m@evil.example>\r\n"
                                      "From: Alice"),
           rec_a, DKIMV_FAIL, "signature did not verify"),
        "a From: added (from over-signed): fail");
    ok(one(edit(msg_rr, "Received: not signed\r\n",
               "Received: not signed\r\nCc: carol@example.net\r\n"),
           rec_a, DKIMV_PASS, NULL)
            && one(edit(msg_rr, "DKIM-Signature", "Received: x\r\n"
                                                  "DKIM-Signature"),
                rec_a, DKIMV_PASS, NULL),
        "unsigned fields added, above and below: still pass");
    ok(one(edit(msg_rr, "Subject:  a  folded\r\n\tsubject line \r\n", ""),
           rec_a, DKIMV_FAIL, "signature did not verify"),
        "a signed field removed: fail");
    ok(one(edit(msg_rr, "Message-ID: <vec1@example.org>\r\n", ""),
           rec_a, DKIMV_FAIL, NULL)
            && one(edit(msg_rr, "Message-ID:", "Message-ID :"), rec_a,
                DKIMV_PASS, NULL),
        "relaxed: \"Message-ID :\" is still the signed field");

    /* The key. */
    ok(one(msg_rr, NULL, DKIMV_PERMERROR, "no key at "
                                          "sel._domainkey.example.org"),
        "no key record: permerror");
    {
        struct zone z = { { NULL }, { NULL }, -1, 0, 0 };
        ok(dkimv_verify(msg_rr, strlen(msg_rr), txt, &z, VEC_T, res, 4) == 1
                && res[0].result == DKIMV_TEMPERROR,
            "the lookup fails for now: temperror");
        z.fail = 0;
        z.name[0] = "sel._domainkey.example.org";
        z.rec[0] = rec_8192;
        z.oversize = 1;
        ok(dkimv_verify(msg_rr, strlen(msg_rr), txt, &z, VEC_T, res, 4) == 1
                && res[0].result == DKIMV_PERMERROR
                && strstr(res[0].why, "over") != NULL,
            "a record longer than the buffer: permerror (%s)", res[0].why);
    }
    ok(one(msg_rr, "v=DKIM1; k=rsa; p=", DKIMV_PERMERROR, "key revoked"),
        "p= empty (revoked): permerror");
    ok(one(msg_rr, "v=DKIM1; k=rsa; p= ;", DKIMV_PERMERROR, "key revoked"),
        "p= only white space (revoked): permerror");
    ok(one(msg_512, rec_512, DKIMV_POLICY, "512 bits")
            && res[0].key_bits == 512,
        "a 512-bit key (dkimpy signed): policy (%s)", res[0].why);
    ok(one(msg_rr, rec_8192, DKIMV_NEUTRAL, "8192 bits"),
        "an 8192-bit key: neutral, BearSSL stops at 4096 (%s)", res[0].why);
    ok(one(msg_rr, rec_b, DKIMV_FAIL, "signature did not verify"),
        "another key: fail");
    b = strstr(rec_a, "p=") + 2;
    {
        static char r[8192];
        snprintf(r, sizeof r, "k=ed25519; p=%s", b);
        ok(one(msg_rr, r, DKIMV_PERMERROR, "k="), "k=ed25519: permerror");
        snprintf(r, sizeof r, "v=DKIM2; p=%s", b);
        ok(one(msg_rr, r, DKIMV_PERMERROR, "DKIM1"), "v=DKIM2: permerror");
        snprintf(r, sizeof r, "k=rsa; v=DKIM1; p=%s", b);
        ok(one(msg_rr, r, DKIMV_PERMERROR, "DKIM1"),
            "v= not first: permerror");
        snprintf(r, sizeof r, "v=DKIM1; h=sha1; p=%s", b);
        ok(one(msg_rr, r, DKIMV_PERMERROR, "h="),
            "key h=sha1 only: permerror");
        snprintf(r, sizeof r, "v=DKIM1; h=sha1 : sha256; s=email; n=hi; "
                              "xfuture=1; p=%.100s\r\n %s", b, b + 100);
        ok(one(msg_rr, r, DKIMV_PASS, NULL),
            "key h=sha1:sha256, s=email, unknown tags, p= folded: pass");
        snprintf(r, sizeof r, "v=DKIM1; s=tlsrpt; p=%s", b);
        ok(one(msg_rr, r, DKIMV_PERMERROR, "s="), "key s=tlsrpt: permerror");
        snprintf(r, sizeof r, "v=DKIM1; t=y; p=%s", b);
        ok(one(msg_rr, r, DKIMV_PASS, NULL) && res[0].testing,
            "key t=y: pass, reported as testing");
        snprintf(r, sizeof r, "v=DKIM1; t=s; p=%s", b);
        ok(one(msg_rr, r, DKIMV_PASS, NULL)
                && one(msg_sr, r, DKIMV_PERMERROR, "t=s"),
            "key t=s: i= must be d= itself");
        snprintf(r, sizeof r, "v=DKIM1; p=%s; p=%s", b, b);
        ok(one(msg_rr, r, DKIMV_PERMERROR, "duplicate tag p="),
            "key record with p= twice: permerror");
        snprintf(r, sizeof r, "v=DKIM1; p=%.40s!%s", b, b + 41);
        ok(one(msg_rr, r, DKIMV_PERMERROR, "malformed p="),
            "p= not base64: permerror");
        snprintf(r, sizeof r, "v=DKIM1; p=%.40s%s", b, b + 44);
        ok(one(msg_rr, r, DKIMV_PERMERROR, "malformed p="),
            "p= base64 of a broken DER: permerror");
        ok(one(msg_rr, "v=DKIM1 p=abc", DKIMV_PERMERROR, "key record"),
            "key record not a tag-list: permerror");
    }
    der_variants(b);

    /* Algorithms and the tags. */
    {
        struct zone z = { { "sel._domainkey.example.org" }, { rec_a }, 0, 0,
            0 };
        ok(dkimv_verify(msg_sha1, strlen(msg_sha1), txt, &z, VEC_T, res, 4)
                    == 1
                && res[0].result == DKIMV_POLICY && z.asked == 0,
            "rsa-sha1 (dkimpy signed): policy, no lookup (%s)", res[0].why);
    }
    ok(one(with_sig("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; "
                    "bh=AAAA; b=AAAA"),
           rec_a, DKIMV_PERMERROR, "k= is not ed25519"),
        "ed25519-sha256 with an RSA key record: permerror");
    ok(one(with_sig("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; "
                    "bh=AAAA; b=AAAA"),
           "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUR==",
           DKIMV_PERMERROR, "not an Ed25519 key"),
        "an Ed25519 key record of 31 bytes: permerror");
    ok(perm_sig("v=1; a=hmac-sha256; d=example.org; s=sel; h=from; "
                "bh=AAAA; b=AAAA", "a="),
        "an unknown algorithm: permerror");
    ok(perm_sig(GOOD_TAGS "; d=example.org", "duplicate tag d="),
        "a duplicate tag: permerror");
    ok(perm_sig(GOOD_TAGS "; d =example.org", "duplicate tag d="),
        "a duplicate tag, FWS before '=': permerror");
    ok(perm_sig(edit(GOOD_TAGS, "bh=", "xh="), "missing tag bh="),
        "bh= missing: permerror");
    ok(perm_sig(edit(GOOD_TAGS, "b=AAAA", "B=AAAA"), "missing tag b="),
        "tags are case-sensitive: B= is not b=: permerror");
    ok(perm_sig(edit(GOOD_TAGS, "v=1", "v=2"), "v="), "v=2: permerror");
    ok(perm_sig(edit(GOOD_TAGS, "s=sel;", "s sel;"), "malformed tag-list")
            && perm_sig(GOOD_TAGS ";;", "malformed tag-list")
            && perm_sig("1v=1; " GOOD_TAGS, "malformed tag-list")
            && perm_sig(GOOD_TAGS "; z=\001", "malformed tag-list"),
        "tag-list syntax errors: permerror");
    ok(perm_sig(edit(GOOD_TAGS, "h=from:to", "h=to:subject"), "From:"),
        "h= without from: permerror");
    ok(perm_sig(edit(GOOD_TAGS, "h=from:to", "h=from::to"), "h="),
        "h= with an empty name: permerror");
    ok(perm_sig(GOOD_TAGS "; i=@evil.example", "i=")
            && perm_sig(GOOD_TAGS "; i=@badexample.org", "i=")
            && perm_sig(GOOD_TAGS "; i=example.org", "i="),
        "i= outside d=: permerror");
    ok(perm_sig(GOOD_TAGS "; c=simple/bogus", "c=")
            && perm_sig(GOOD_TAGS "; c=fancy", "c="),
        "an unknown c=: permerror");
    ok(perm_sig(GOOD_TAGS "; q=http", "q="), "q=http: permerror");
    ok(perm_sig(GOOD_TAGS "; l=12a", "l="), "l= not a number: permerror");
    ok(perm_sig(GOOD_TAGS "; t=200; x=100", "x=")
            && perm_sig(GOOD_TAGS "; t=200; x=200", "x="),
        "x= not after t=: permerror");
    ok(perm_sig(edit(GOOD_TAGS, "d=example.org", "d=exa mple.org"), "d=")
            && perm_sig(edit(GOOD_TAGS, "d=example.org", "d=ex..org"), "d=")
            && perm_sig(edit(GOOD_TAGS, "s=sel", "s=a/b"), "s="),
        "malformed d= or s=: permerror");
    ok(perm_sig(edit(GOOD_TAGS, "b=AAAA", "b=AA!A"), "b="),
        "b= not base64: permerror");
    ok(one(with_sig(GOOD_TAGS), rec_a, DKIMV_FAIL, NULL),
        "well-formed tags, wrong signature: fail");
    ok(one(with_sig(GOOD_TAGS "; t=100; x=200"), rec_a, DKIMV_FAIL,
           "expired"),
        "handmade x= in the past: fail");

    /* l= */
    ok(one(msg_l, rec_a, DKIMV_PASS, NULL) && res[0].body_length_used
            && res[0].body_unsigned == 0,
        "l= (dkimpy): pass, body_length_used");
    m = edit(msg_l, "bye\r\n", "bye\r\nP.S. click here: evil.example\r\n");
    ok(one(m, rec_a, DKIMV_PASS, NULL) && res[0].body_length_used
            && res[0].body_unsigned == 31,
        "l=: text appended to the body: still pass, %llu bytes unsigned",
        (unsigned long long)res[0].body_unsigned);
    ok(one(edit(msg_l, "bye\r\n", ""), rec_a, DKIMV_PERMERROR, "l="),
        "l= beyond a shortened body: permerror");

    {
        /* msg_l's signature above msg_rr's: one body hash each. */
        static char two[8192];
        snprintf(two, sizeof two, "%.*s%s",
            (int)(strstr(msg_l, "From: Alice") - msg_l), msg_l, msg_rr);
        ok(verify(two, rec_a) == 2 && res[0].result == DKIMV_PASS
                && res[0].body_length_used && res[1].result == DKIMV_PASS
                && !res[1].body_length_used,
            "an l= signature and a full one: both pass");
        ok(verify(edit(two, "bye\r\n", "bye\r\nmore\r\n"), rec_a) == 2
                && res[0].result == DKIMV_PASS
                && res[1].result == DKIMV_FAIL,
            "body appended to: the l= one still passes, the full one "
            "fails");
    }

    /* x= */
    ok(verify_n(msg_x, strlen(msg_x), rec_a, VEC_T + 10) == 1
            && res[0].result == DKIMV_PASS
            && res[0].expires == VEC_T + 3600,
        "x= in the future: pass");
    ok(verify_n(msg_x, strlen(msg_x), rec_a, VEC_T + 7200) == 1
            && res[0].result == DKIMV_FAIL
            && strcmp(res[0].why, "signature expired") == 0,
        "x= in the past: fail");

    /* Several signatures. */
    {
        /* other._domainkey holds key A; key B made that signature. */
        struct zone z = { { "sel._domainkey.example.org",
                              "other._domainkey.example.org" },
            { rec_a, rec_a }, 0, 0, 0 };
        ok(dkimv_verify(msg_two, strlen(msg_two), txt, &z, VEC_T, res, 4)
                    == 2
                && res[0].result == DKIMV_FAIL
                && strcmp(res[0].s, "other") == 0
                && res[1].result == DKIMV_PASS
                && strcmp(res[1].s, "sel") == 0,
            "two signatures, one bad one good: two results, in field order");
        ok(dkimv_verify(msg_two, strlen(msg_two), txt, &z, VEC_T, res, 1)
                == 1,
            "at most max results");
    }
    {
        struct zone z = { { "test._domainkey.football.example.com",
                              "brisbane._domainkey.football.example.com" },
            { rec_rfc8463,
                "v=DKIM1; k=ed25519; "
                "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" },
            0, 0, 0 };
        ok(dkimv_verify(msg_rfc8463, strlen(msg_rfc8463), txt, &z, VEC_T,
               res, 4) == 2
                && res[0].result == DKIMV_PASS && res[0].key_bits == 256
                && strcmp(res[0].a, "ed25519-sha256") == 0
                && res[1].result == DKIMV_PASS && res[1].key_bits == 1024
                && strcmp(res[1].d, "football.example.com") == 0,
            "RFC 8463 A.3: ed25519-sha256 and rsa-sha256 both pass");
        {
            static char bad[4096];
            char *at;
            snprintf(bad, sizeof bad, "%s", msg_rfc8463);
            at = strstr(bad, "Joe SixPack");
            if (at != NULL)
                at[0] = 'j';
            ok(dkimv_verify(bad, strlen(bad), txt, &z, VEC_T, res, 4) == 2
                    && res[0].result == DKIMV_FAIL
                    && res[1].result == DKIMV_FAIL,
                "RFC 8463 A.3 with From: changed: both fail");
        }
    }
    ok(verify(bare(), rec_a) == 0, "no signature: 0 results");
}

/* Limits: the header section, the field. */
static void
limits(void)
{
    static char big[DKIMV_FIELDS_MAX * 8 + 65536];
    size_t n = 0, i;
    const char *rest;

    rest = strstr(msg_rr, "From: Alice");
    memcpy(big, msg_rr, (size_t)(rest - msg_rr));
    n = (size_t)(rest - msg_rr);
    for (i = 0; i < DKIMV_FIELDS_MAX; i++) {
        memcpy(big + n, "X: y\r\n", 6);
        n += 6;
    }
    memcpy(big + n, rest, strlen(rest));
    n += strlen(rest);
    ok(verify_n(big, n, rec_a, VEC_T) == 1
            && res[0].result == DKIMV_PERMERROR
            && strcmp(res[0].d, "example.org") == 0,
        "more than DKIMV_FIELDS_MAX fields: permerror, d= still reported");
    n = (size_t)(rest - msg_rr) + 6 * (DKIMV_FIELDS_MAX - 10);
    memcpy(big + n, rest, strlen(rest));
    n += strlen(rest);
    ok(verify_n(big, n, rec_a, VEC_T) == 1 && res[0].result == DKIMV_PASS,
        "DKIMV_FIELDS_MAX - 1 fields: pass");

    n = 0;
    n += (size_t)snprintf(big, sizeof big, "DKIM-Signature: " GOOD_TAGS
        "; z=");
    memset(big + n, 'a', DKIMV_FIELD_MAX);
    n += DKIMV_FIELD_MAX;
    n += (size_t)snprintf(big + n, sizeof big - n, "\r\n%s", bare());
    ok(verify_n(big, n, rec_a, VEC_T) == 1
            && res[0].result == DKIMV_PERMERROR
            && strstr(res[0].why, "over") != NULL,
        "a signature field over DKIMV_FIELD_MAX: permerror");

    n = 0;
    for (i = 0; i < DKIMV_SIGS_MAX + 2; i++)
        n += (size_t)snprintf(big + n, sizeof big - n,
            "DKIM-Signature: %s\r\n", GOOD_TAGS);
    n += (size_t)snprintf(big + n, sizeof big - n, "%s", bare());
    ok(verify_n(big, n, rec_a, VEC_T) == DKIMV_SIGS_MAX,
        "at most DKIMV_SIGS_MAX signatures checked");

    /* Truncations of a good message never read past the end. */
    for (i = 0; i <= strlen(msg_rr); i += 7)
        verify_n(msg_rr, i, rec_a, VEC_T);
    ok(1, "every 7th truncation of a signed message");
}

/* facteur's signer, verified by the verifier. */
static void
own_signer(void)
{
    static char pem[DKIM_KEYGEN_PEM_MAX], rec[DKIM_RECORD_MAX];
    static struct dkim_key k;
    static char m[65536];
    struct sa sig = SA_INIT(65536);
    char err[256];
    long n;

    n = dkim_keygen(pem, sizeof pem);
    ok(n > 0 && dkim_key_parse(&k, (unsigned char *)pem, (size_t)n, err,
                    sizeof err) == 0
            && dkim_key_record(&k, rec, sizeof rec) > 0,
        "facteur: a key and its record");
    ok(dkim_sign(&k, "example.org", "sel", VEC_T, bare(), strlen(bare()),
           &sig) == 0,
        "facteur: dkim_sign");
    snprintf(m, sizeof m, "%.*s%s", (int)sig.len, sig.s, bare());
    ok(one(m, rec, DKIMV_PASS, NULL)
            && strcmp(res[0].a, "rsa-sha256") == 0 && res[0].key_bits == 2048,
        "facteur's relaxed/relaxed signature: pass");
    ok(one(edit(m, "bye", "bya"), rec, DKIMV_FAIL, "body hash")
            && one(edit(m, "From: Alice", "From: Eve <e@x.example>\r\n"
                                          "From: Alice"),
                rec, DKIMV_FAIL, "signature did not verify"),
        "facteur's signature: body changed, From: added: fail");
    explicit_bzero(pem, sizeof pem);
    dkim_key_wipe(&k);
    sa_free(&sig);
}

int
main(void)
{
    ok(strcmp(dkimv_name(DKIMV_PASS), "pass") == 0
            && strcmp(dkimv_name(DKIMV_FAIL), "fail") == 0
            && strcmp(dkimv_name(DKIMV_NEUTRAL), "neutral") == 0
            && strcmp(dkimv_name(DKIMV_POLICY), "policy") == 0
            && strcmp(dkimv_name(DKIMV_TEMPERROR), "temperror") == 0
            && strcmp(dkimv_name(DKIMV_PERMERROR), "permerror") == 0
            && strcmp(dkimv_name(DKIMV_NONE), "none") == 0
            && strcmp(dkimv_name(99), "none") == 0,
        "result names (RFC 8601)");
    vectors();
    limits();
    own_signer();
    return done();
}
