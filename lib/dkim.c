/* dkim.c - DKIM signing, relaxed canonicalization, keys (see dkim.h).
 *
 * The signer runs as the submission session's user and reads a message
 * the authenticated user wrote: every length is bounded before use, and
 * the key is wiped once the signature is made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "dkim.h"
#include "dnsname.h"
#include "envelope.h"
#include "hdraddr.h"
#include "tlscert.h"

/* Folded lines of the DKIM-Signature field stay under this width. */
#define FOLD_WIDTH 76

const char *const dkim_signed_names[] = { "from", "sender", "reply-to",
    "subject", "date", "message-id", "to", "cc", "mime-version",
    "content-type", "content-transfer-encoding", "content-id",
    "content-description", "resent-date", "resent-from", "resent-sender",
    "resent-to", "resent-cc", "resent-message-id", "in-reply-to",
    "references", "list-id", "list-help", "list-unsubscribe",
    "list-unsubscribe-post", "list-subscribe", "list-post", "list-owner",
    "list-archive", NULL };

static int
wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

size_t
dkim_header_len(const char *msg, size_t len, size_t *body)
{
    size_t i;

    /* An empty line at the start, or after any LF. */
    for (i = 0; i + 1 < len; i++) {
        if ((i == 0 || msg[i - 1] == '\n') && msg[i] == '\r'
            && msg[i + 1] == '\n') {
            *body = i + 2;
            return i;
        }
    }
    *body = len;
    return len;
}

int
dkim_next_field(const char *hdr, size_t len, size_t *pos, size_t *off,
    size_t *flen)
{
    size_t i = *pos;
    const char *nl;

    if (i >= len)
        return 0;
    *off = i;
    for (;;) {
        nl = memchr(hdr + i, '\n', len - i);
        i = nl == NULL ? len : (size_t)(nl - hdr) + 1;
        if (i >= len || !wsp((unsigned char)hdr[i]))
            break;
    }
    *flen = i - *pos;
    *pos = i;
    return 1;
}

/* The length of the field's name when it is one verifiers recognize
 * (printable ASCII without space, then ':'), else 0. */
static size_t
field_name(const char *f, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)f[i];
        if (c == ':')
            return i;
        if (c < 0x21 || c > 0x7e)
            return 0;
    }
    return 0;
}

static int
named(const char *f, size_t n, const char *name)
{
    size_t k = field_name(f, n);

    return k > 0 && k == strlen(name) && strncasecmp(f, name, k) == 0;
}

int
dkim_canon_header(const char *f, size_t n, struct sa *out)
{
    const char *colon = memchr(f, ':', n);
    size_t i, k, start = out->len;
    int pending = 0, started = 0;

    if (colon == NULL) {
        errno = EINVAL;
        return -1;
    }
    k = (size_t)(colon - f);
    while (k > 0 && wsp((unsigned char)f[k - 1]))
        k--;
    for (i = 0; i < k; i++) {
        char c = f[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (sa_appendc(out, c) == -1)
            goto full;
    }
    if (sa_appendc(out, ':') == -1)
        goto full;
    for (i = (size_t)(colon - f) + 1; i < n; i++) {
        unsigned char c = (unsigned char)f[i];
        if (c == '\r' || c == '\n')
            continue; /* unfolding */
        if (wsp(c)) {
            pending = 1;
            continue;
        }
        if ((pending && started && sa_appendc(out, ' ') == -1)
            || sa_appendc(out, (char)c) == -1)
            goto full;
        pending = 0;
        started = 1;
    }
    if (sa_append(out, "\r\n", 2) == -1)
        goto full;
    return 0;
full:
    sa_truncate(out, start);
    return -1;
}

/* ---- body ---------------------------------------------------------- */

void
dkim_body_init(struct dkim_body *b,
    void (*put)(void *ctx, const void *p, size_t n), void *ctx)
{
    memset(b, 0, sizeof *b);
    b->put = put;
    b->ctx = ctx;
}

static void
body_flush(struct dkim_body *b)
{
    if (b->olen > 0)
        b->put(b->ctx, b->out, b->olen);
    b->len += b->olen;
    b->olen = 0;
}

static void
body_out(struct dkim_body *b, unsigned char c)
{
    if (b->olen == sizeof b->out)
        body_flush(b);
    b->out[b->olen++] = c;
}

/* A byte that is not SP/HTAB, nor part of a line end. */
static void
body_char(struct dkim_body *b, unsigned char c)
{
    if (!b->content) {
        /* the empty lines held back were not at the end after all */
        for (; b->blank > 0; b->blank--) {
            body_out(b, '\r');
            body_out(b, '\n');
        }
    }
    if (b->ws)
        body_out(b, ' ');
    b->ws = 0;
    body_out(b, c);
    b->content = 1;
}

static void
body_eol(struct dkim_body *b)
{
    if (b->content) {
        body_out(b, '\r');
        body_out(b, '\n');
    } else {
        b->blank++;
    }
    b->content = b->ws = 0;
}

void
dkim_body_feed(struct dkim_body *b, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (b->cr) {
            b->cr = 0;
            if (c == '\n') {
                body_eol(b);
                continue;
            }
            body_char(b, '\r'); /* a bare CR is an ordinary byte */
        }
        if (c == '\r')
            b->cr = 1;
        else if (wsp(c))
            b->ws = 1;
        else
            body_char(b, c);
    }
    body_flush(b);
}

void
dkim_body_finish(struct dkim_body *b)
{
    if (b->cr) {
        b->cr = 0;
        body_char(b, '\r');
    }
    if (b->content)
        body_eol(b);
    b->blank = 0;
    body_flush(b);
}

/* ---- From: ---------------------------------------------------------- */

int
dkim_from_domain(const char *hdr, size_t hlen, char *domain, size_t dlen)
{
    char val[DKIM_FROM_MAX];
    const char *f, *first = NULL;
    size_t pos = 0, off, n, firstlen = 0, i, vn = 0;
    struct envelope e;
    int r;

    while (dkim_next_field(hdr, hlen, &pos, &off, &n)) {
        f = hdr + off;
        if (!named(f, n, "from"))
            continue;
        if (first != NULL) {
            errno = EEXIST;
            return -1;
        }
        first = f;
        firstlen = n;
    }
    if (first == NULL)
        return 0;
    for (i = 5; i < firstlen; i++) { /* after "from:", unfolded */
        if (first[i] == '\r' || first[i] == '\n')
            continue;
        if (vn == sizeof val - 1) {
            errno = EINVAL;
            return -1;
        }
        val[vn++] = first[i];
    }
    memset(&e, 0, sizeof e);
    r = hdraddr_parse(val, vn, &e);
    if (r <= 0 || !dnsname_valid(e.rcpt[0].domain, strlen(e.rcpt[0].domain))) {
        envelope_free(&e);
        errno = EINVAL;
        return -1;
    }
    if (strlen(e.rcpt[0].domain) >= dlen) {
        envelope_free(&e);
        errno = ERANGE;
        return -1;
    }
    memcpy(domain, e.rcpt[0].domain, strlen(e.rcpt[0].domain) + 1);
    envelope_free(&e);
    return 1;
}

int
dkim_selector_valid(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= DKIM_SELECTOR_MAX && dnsname_valid(s, n);
}

/* ---- keys ----------------------------------------------------------- */

static void
seterr(char *err, size_t errlen, const char *a, const char *b)
{
    snprintf(err, errlen, "%s%s%s", a, b[0] ? ": " : "", b);
}

struct keyctx {
    br_skey_decoder_context *dc;
    int seen;
};

static int
key_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
    struct keyctx *kc = ctx;

    if (strcmp(name, "PRIVATE KEY") != 0
        && strcmp(name, "RSA PRIVATE KEY") != 0)
        return 0;
    if (kc->seen++)
        return -1; /* one key a file */
    br_skey_decoder_init(kc->dc);
    br_skey_decoder_push(kc->dc, der, len);
    return 0;
}

/* Is e the public exponent of k?  A test signature must verify. */
static int
exponent_fits(struct dkim_key *k, uint32_t e)
{
    static const unsigned char hv[32] = { 'f', 'a', 'c', 't', 'e', 'u', 'r' };
    unsigned char sig[DKIM_RSA_BITS_MAX / 8], back[32];
    size_t siglen = (k->sk.n_bitlen + 7) / 8;

    k->e[0] = (unsigned char)(e >> 24);
    k->e[1] = (unsigned char)(e >> 16);
    k->e[2] = (unsigned char)(e >> 8);
    k->e[3] = (unsigned char)e;
    k->pk.e = k->e;
    k->pk.elen = 4;
    while (k->pk.elen > 1 && k->pk.e[0] == 0) {
        k->pk.e++;
        k->pk.elen--;
    }
    return br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, hv,
               sizeof hv, &k->sk, sig)
        && br_rsa_pkcs1_vrfy_get_default()(sig, siglen, BR_HASH_OID_SHA256,
            sizeof back, &k->pk, back)
        && memcmp(back, hv, sizeof hv) == 0;
}

/* The public key of k's private key (its modulus, and an exponent that
 * a test signature proves). */
static int
find_public(struct dkim_key *k, char *err, size_t errlen)
{
    uint32_t cand[3];
    size_t i, n;

    if (k->sk.n_bitlen < DKIM_RSA_BITS_MIN
        || k->sk.n_bitlen > DKIM_RSA_BITS_MAX) {
        seterr(err, errlen, "RSA key not within 1024 to 4096 bits", "");
        return -1;
    }
    n = br_rsa_compute_modulus_get_default()(NULL, &k->sk);
    if (n == 0 || n > sizeof k->n
        || br_rsa_compute_modulus_get_default()(k->n, &k->sk) != n) {
        seterr(err, errlen, "not a valid RSA key", "");
        return -1;
    }
    k->pk.n = k->n;
    k->pk.nlen = n;
    /* The skey decoder keeps no public exponent, and BearSSL recomputes
     * it only for primes = 3 mod 4: else try the usual ones. */
    cand[0] = br_rsa_compute_pubexp_get_default()(&k->sk);
    cand[1] = 65537;
    cand[2] = 3;
    for (i = 0; i < 3; i++)
        if (cand[i] != 0 && exponent_fits(k, cand[i]))
            return 0;
    seterr(err, errlen, "not a valid RSA key (or its public exponent is "
                        "neither 3 nor 65537)", "");
    return -1;
}

int
dkim_key_parse(struct dkim_key *k, const unsigned char *pem, size_t len,
    char *err, size_t errlen)
{
    struct keyctx kc;
    int r = -1;

    memset(k, 0, sizeof *k);
    kc.dc = &k->dc;
    kc.seen = 0;
    if (tls_pem_decode(pem, len, key_cb, &kc) == -1) {
        seterr(err, errlen, kc.seen > 1 ? "more than one key" : "malformed PEM",
            "");
        goto out;
    }
    if (kc.seen == 0) {
        seterr(err, errlen, "no private key found", "");
        goto out;
    }
    if (br_skey_decoder_last_error(&k->dc) != 0) {
        seterr(err, errlen, "malformed private key", "");
        goto out;
    }
    if (br_skey_decoder_key_type(&k->dc) != BR_KEYTYPE_RSA) {
        seterr(err, errlen, "not an RSA key (ed25519 is not supported)", "");
        goto out;
    }
    /* The parts stay in the decoder's buffer, inside k. */
    k->sk = *br_skey_decoder_get_rsa(&k->dc);
    r = find_public(k, err, errlen);
out:
    if (r == -1)
        dkim_key_wipe(k);
    return r;
}

int
dkim_key_load(struct dkim_key *k, const char *path, char *err,
    size_t errlen)
{
    unsigned char buf[DKIM_KEYFILE_MAX + 1];
    char why[256];
    struct stat st;
    size_t len = 0;
    ssize_t r;
    int fd, e;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd == -1) {
        seterr(err, errlen, path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == -1) {
        e = errno;
        close(fd);
        seterr(err, errlen, path, strerror(e));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0007) != 0) {
        close(fd);
        seterr(err, errlen, path, !S_ISREG(st.st_mode)
                ? "not a regular file"
                : "others may use it (chmod 600, or 640 for a group)");
        return -1;
    }
    while (len < sizeof buf) {
        r = read(fd, buf + len, sizeof buf - len);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    e = errno;
    close(fd);
    if (r == -1 || len == sizeof buf) {
        explicit_bzero(buf, sizeof buf);
        seterr(err, errlen, path, r == -1 ? strerror(e) : "file too large");
        return -1;
    }
    r = dkim_key_parse(k, buf, len, why, sizeof why);
    explicit_bzero(buf, sizeof buf);
    if (r == -1)
        seterr(err, errlen, path, why);
    return (int)r;
}

void
dkim_key_wipe(struct dkim_key *k)
{
    explicit_bzero(k, sizeof *k);
}

/* DER: a tag and the length of n content bytes, at out (6 bytes). */
static size_t
der_head(unsigned char *out, unsigned char tag, size_t n)
{
    size_t h = 0;

    out[h++] = tag;
    if (n < 0x80) {
        out[h++] = (unsigned char)n;
    } else if (n < 0x100) {
        out[h++] = 0x81;
        out[h++] = (unsigned char)n;
    } else {
        out[h++] = 0x82;
        out[h++] = (unsigned char)(n >> 8);
        out[h++] = (unsigned char)n;
    }
    return h;
}

/* A positive INTEGER from a big-endian number; its DER length.  out
 * NULL: only the length. */
static size_t
der_uint(unsigned char *out, const unsigned char *p, size_t n)
{
    unsigned char h[6];
    size_t hl, pad;

    while (n > 1 && *p == 0) {
        p++;
        n--;
    }
    pad = (*p & 0x80) != 0;
    hl = der_head(h, 0x02, n + pad);
    if (out != NULL) {
        memcpy(out, h, hl);
        if (pad)
            out[hl] = 0;
        memcpy(out + hl + pad, p, n);
    }
    return hl + pad + n;
}

/* SubjectPublicKeyInfo (RFC 5280 4.1, RFC 3279 2.3.1) of k into out
 * (DKIM_SPKI_MAX bytes).  Its length. */
static size_t
spki(const struct dkim_key *k, unsigned char *out)
{
    /* AlgorithmIdentifier: rsaEncryption (1.2.840.113549.1.1.1), NULL */
    static const unsigned char alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
        0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
    unsigned char h[6];
    size_t in = der_uint(NULL, k->pk.n, k->pk.nlen)
        + der_uint(NULL, k->pk.e, k->pk.elen);
    size_t rsakey = der_head(h, 0x30, in) + in;
    size_t bits = der_head(h, 0x03, rsakey + 1) + rsakey + 1;
    size_t o = der_head(out, 0x30, sizeof alg + bits);

    memcpy(out + o, alg, sizeof alg);
    o += sizeof alg;
    o += der_head(out + o, 0x03, rsakey + 1);
    out[o++] = 0; /* no unused bits */
    o += der_head(out + o, 0x30, in);
    o += der_uint(out + o, k->pk.n, k->pk.nlen);
    o += der_uint(out + o, k->pk.e, k->pk.elen);
    return o;
}

long
dkim_key_record(const struct dkim_key *k, char *out, size_t outlen)
{
    static const char pre[] = "v=DKIM1; k=rsa; p=";
    unsigned char der[DKIM_SPKI_MAX];
    size_t n = spki(k, der);
    long b;

    if (outlen < sizeof pre) {
        errno = ERANGE;
        return -1;
    }
    memcpy(out, pre, sizeof pre);
    b = base64_encode(out + sizeof pre - 1, outlen - (sizeof pre - 1), der,
        n);
    return b == -1 ? -1 : b + (long)sizeof pre - 1;
}

long
dkim_keygen(char *pem, size_t pemlen)
{
    static unsigned char kpriv[BR_RSA_KBUF_PRIV_SIZE(DKIM_KEYGEN_BITS)];
    static unsigned char kpub[BR_RSA_KBUF_PUB_SIZE(DKIM_KEYGEN_BITS)];
    static unsigned char d[DKIM_KEYGEN_BITS / 8 + 1], der[2048];
    br_hmac_drbg_context rng;
    br_prng_seeder seeder;
    br_rsa_private_key sk;
    br_rsa_public_key pk;
    size_t dn, kn, pn;
    long r = -1;
    int e = EIO;

    br_hmac_drbg_init(&rng, &br_sha256_vtable, NULL, 0);
    seeder = br_prng_seeder_system(NULL);
    if (seeder == NULL || !seeder(&rng.vtable))
        goto out;
    if (!br_rsa_keygen_get_default()(&rng.vtable, &sk, kpriv, &pk, kpub,
            DKIM_KEYGEN_BITS, 65537))
        goto out;
    dn = br_rsa_compute_privexp_get_default()(NULL, &sk, 65537);
    if (dn == 0 || dn > sizeof d
        || br_rsa_compute_privexp_get_default()(d, &sk, 65537) != dn)
        goto out;
    kn = br_encode_rsa_pkcs8_der(NULL, &sk, &pk, d, dn);
    if (kn == 0 || kn > sizeof der)
        goto out;
    br_encode_rsa_pkcs8_der(der, &sk, &pk, d, dn);
    pn = br_pem_encode(NULL, der, kn, BR_ENCODE_PEM_PKCS8, BR_PEM_LINE64);
    if (pn + 1 > pemlen) {
        e = ERANGE;
        goto out;
    }
    r = (long)br_pem_encode(pem, der, kn, BR_ENCODE_PEM_PKCS8,
        BR_PEM_LINE64);
out:
    explicit_bzero(kpriv, sizeof kpriv);
    explicit_bzero(d, sizeof d);
    explicit_bzero(der, sizeof der);
    explicit_bzero(&sk, sizeof sk);
    explicit_bzero(&rng, sizeof rng);
    if (r == -1)
        errno = e;
    return r;
}

/* ---- signing -------------------------------------------------------- */

static void
hash_put(void *ctx, const void *p, size_t n)
{
    br_sha256_update(ctx, p, n);
}

struct signed_field {
    size_t name;  /* index in dkim_signed_names */
    const char *p;
    size_t len;
};

/* The fields to sign, top to bottom, into fs (DKIM_SIGNED_MAX).
 * Their number, or -1 (E2BIG). */
static long
fields_to_sign(const char *hdr, size_t hlen, struct signed_field *fs)
{
    const char *f;
    size_t pos = 0, off, n, i, count = 0;

    while (dkim_next_field(hdr, hlen, &pos, &off, &n)) {
        f = hdr + off;
        for (i = 0; dkim_signed_names[i] != NULL; i++) {
            if (!named(f, n, dkim_signed_names[i]))
                continue;
            if (count == DKIM_SIGNED_MAX) {
                errno = E2BIG;
                return -1;
            }
            fs[count].name = i;
            fs[count].p = f;
            fs[count].len = n;
            count++;
            break;
        }
    }
    return (long)count;
}

/* Append s to the field being built, folding before it when the line
 * would pass FOLD_WIDTH.  *col: the current line's width. */
static int
fold_put(struct sa *out, size_t *col, const char *s, size_t n)
{
    if (*col + n > FOLD_WIDTH && *col > 1) {
        if (sa_append(out, "\r\n\t", 3) == -1)
            return -1;
        *col = 1;
        if (n > 0 && s[0] == ' ') { /* the fold is the space */
            s++;
            n--;
        }
    }
    *col += n;
    return sa_append(out, s, n);
}

int
dkim_sign(const struct dkim_key *k, const char *domain,
    const char *selector, int64_t t, const char *msg, size_t len,
    struct sa *out)
{
    static struct signed_field fs[DKIM_SIGNED_MAX];
    unsigned char bh[32], hv[32], sig[DKIM_RSA_BITS_MAX / 8], back[32];
    char b64[BASE64_LEN(sizeof sig) + 1], tag[400];
    struct sa canon = SA_INIT(DKIM_HEADER_MAX + 4096);
    br_sha256_context h;
    struct dkim_body b;
    size_t hlen, body, col, i, siglen = (k->sk.n_bitlen + 7) / 8;
    long nf, j, n;
    int used[DKIM_SIGNED_MAX];

    if (!dnsname_valid(domain, strlen(domain)) || !dkim_selector_valid(selector)
        || t < 0) {
        errno = EINVAL;
        return -1;
    }
    hlen = dkim_header_len(msg, len, &body);
    if (hlen > DKIM_HEADER_MAX) {
        errno = E2BIG;
        return -1;
    }
    nf = fields_to_sign(msg, hlen, fs);
    if (nf == -1)
        return -1;

    br_sha256_init(&h);
    dkim_body_init(&b, hash_put, &h);
    dkim_body_feed(&b, msg + body, len - body);
    dkim_body_finish(&b);
    br_sha256_out(&h, bh);

    /* The field up to "b=": h= lists each name as often as it is
     * present, and from once more. */
    sa_truncate(out, 0);
    snprintf(tag, sizeof tag, "DKIM-Signature: v=1; a=rsa-sha256; "
        "c=relaxed/relaxed; d=%s;", domain);
    if (sa_appends(out, tag) == -1)
        return -1;
    col = strlen(tag);
    snprintf(tag, sizeof tag, " s=%s;", selector);
    if (fold_put(out, &col, tag, strlen(tag)) == -1)
        return -1;
    snprintf(tag, sizeof tag, " t=%lld;", (long long)t);
    if (fold_put(out, &col, tag, strlen(tag)) == -1)
        return -1;
    for (i = 0; dkim_signed_names[i] != NULL; i++) {
        long c = i == 0; /* from: over-signed */
        for (j = 0; j < nf; j++)
            c += fs[j].name == i;
        for (; c > 0; c--) {
            snprintf(tag, sizeof tag, "%s%s%s", out->s[out->len - 1] == ';'
                ? " h=" : "", dkim_signed_names[i], ":");
            if (fold_put(out, &col, tag, strlen(tag)) == -1)
                return -1;
        }
    }
    out->s[out->len - 1] = ';'; /* the last ':' */
    memcpy(b64, "bh=", 3);
    base64_encode(b64 + 3, sizeof b64 - 3, bh, sizeof bh);
    snprintf(tag, sizeof tag, " %s;", b64);
    if (fold_put(out, &col, tag, strlen(tag)) == -1
        || fold_put(out, &col, " b=", 3) == -1)
        return -1;

    /* The header hash: the signed fields in h= order, each name's
     * instances from the bottom up (RFC 6376 5.4.2), then this field
     * without its b= value and final CRLF (3.7). */
    memset(used, 0, sizeof used);
    for (i = 0; dkim_signed_names[i] != NULL; i++) {
        for (j = nf - 1; j >= 0; j--) {
            if (fs[j].name != i || used[j])
                continue;
            used[j] = 1;
            if (dkim_canon_header(fs[j].p, fs[j].len, &canon) == -1) {
                sa_free(&canon);
                return -1;
            }
        }
    }
    if (dkim_canon_header(out->s, out->len, &canon) == -1) {
        sa_free(&canon);
        return -1;
    }
    br_sha256_init(&h);
    br_sha256_update(&h, canon.s, canon.len - 2);
    br_sha256_out(&h, hv);
    sa_free(&canon);

    if (siglen > sizeof sig
        || !br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, hv,
            sizeof hv, &k->sk, sig)
        || !br_rsa_pkcs1_vrfy_get_default()(sig, siglen, BR_HASH_OID_SHA256,
            sizeof back, &k->pk, back)
        || memcmp(back, hv, sizeof hv) != 0) {
        errno = EIO;
        return -1;
    }
    n = base64_encode(b64, sizeof b64, sig, siglen);
    for (i = 0; i < (size_t)n; i += FOLD_WIDTH - 4)
        if (fold_put(out, &col, b64 + i,
                (size_t)n - i < FOLD_WIDTH - 4 ? (size_t)n - i
                                               : FOLD_WIDTH - 4) == -1)
            return -1;
    return sa_append(out, "\r\n", 2);
}
