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
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base64.h"
#include "dkim.h"
#include "dnsname.h"
#include "ed25519.h"
#include "envelope.h"
#include "hdraddr.h"
#include "rsapriv.h"
#include "sha256.h"
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

/* Bytes that are not SP/HTAB, nor part of a line end, at the start of
 * the line's content or after SP/HTAB (a pending SP goes before them). */
static void
body_bytes(struct dkim_body *b, const unsigned char *p, size_t n)
{
    size_t k;

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
    b->content = 1;
    if (n >= sizeof b->out && b->olen == 0) {
        b->put(b->ctx, p, n); /* straight from the input */
        b->len += n;
        return;
    }
    while (n > 0) {
        if (b->olen == sizeof b->out)
            body_flush(b);
        k = sizeof b->out - b->olen < n ? sizeof b->out - b->olen : n;
        memcpy(b->out + b->olen, p, k);
        b->olen += k;
        p += k;
        n -= k;
    }
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

/* The bytes that stay as they are wherever they are: all but CR, SP and
 * HTAB (a LF is a line end only after a CR). */
#define PLAIN(c) ((c) != '\r' && (c) != ' ' && (c) != '\t')

#ifndef __SSE2__
/* Eight bytes at a time (SWAR): 0x80 in each byte of x that is zero,
 * exactly (no carry crosses a byte), and in each byte that is c. */
#define ONES ((uint64_t)0x0101010101010101u)
#define HIGH (ONES * 0x80)
#define ZEROS(x) (~((((x) & ~HIGH) + ~HIGH) | (x) | ~HIGH))
#define BYTES(x, c) ZEROS((x) ^ (ONES * (c)))
#endif

/*
 * The end of the run of bytes that stay as they are from s[j] on (s[j-1]
 * is in it, so the line has content and no SP/HTAB pending): plain
 * bytes, single SPs followed by a plain byte, and CRLFs followed by a
 * plain byte (a line end, then a line that starts with content).  It
 * stops before HTAB, a SP or CR followed by anything else, and a SP or
 * CR too near the end of the piece to know what follows.  Whether a
 * byte stops the run depends on it and the two after it only, so blocks
 * of bytes are tested at once (v, and w and u one and two bytes further
 * on) while there are enough; then one at a time.
 */
static size_t
run_end(const unsigned char *s, size_t j, size_t n)
{
#ifdef __SSE2__
    /* SSE2 (every x86-64): sixteen bytes at a time, a bit each. */
    const __m128i cr = _mm_set1_epi8('\r'), sp = _mm_set1_epi8(' '),
                  tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n');
    __m128i v, w, u;
    unsigned wplain, uplain, stop;

    while (n - j >= 18) {
        v = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
        w = _mm_loadu_si128((const __m128i *)(const void *)(s + j + 1));
        u = _mm_loadu_si128((const __m128i *)(const void *)(s + j + 2));
        wplain = ~(unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(w, cr), _mm_cmpeq_epi8(w, sp)),
            _mm_cmpeq_epi8(w, tab)));
        uplain = ~(unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(u, cr), _mm_cmpeq_epi8(u, sp)),
            _mm_cmpeq_epi8(u, tab)));
        stop = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, tab))
            | ((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp)) & ~wplain)
            | ((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr))
                & ~((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, lf))
                    & uplain));
        if (stop != 0)
            break;
        j += 16;
    }
#else
    /* Eight bytes at a time in a uint64_t (no byte order assumed). */
    uint64_t v, w, u, wplain, uplain;

    while (n - j >= 10) {
        memcpy(&v, s + j, 8);
        memcpy(&w, s + j + 1, 8);
        memcpy(&u, s + j + 2, 8);
        wplain = ~(BYTES(w, '\r') | BYTES(w, ' ') | BYTES(w, '\t')) & HIGH;
        uplain = ~(BYTES(u, '\r') | BYTES(u, ' ') | BYTES(u, '\t')) & HIGH;
        if ((BYTES(v, '\t') | (BYTES(v, ' ') & ~wplain)
                | (BYTES(v, '\r') & ~(BYTES(w, '\n') & uplain))) != 0)
            break;
        j += 8;
    }
#endif
    for (; j < n; j++) {
        if (PLAIN(s[j]))
            continue;
        if (s[j] == ' ' && j + 1 < n && PLAIN(s[j + 1]))
            j++; /* SP, and the plain byte after it */
        else if (s[j] == '\r' && j + 2 < n && s[j + 1] == '\n'
            && PLAIN(s[j + 2]))
            j += 2; /* CRLF, and the plain byte after it */
        else
            break;
    }
    return j;
}

/*
 * Relaxed body canonicalization (RFC 6376 3.4.4).  The state between
 * bytes: a CR pending (is a LF next?), SP/HTAB pending in the line (one
 * SP if more follows on the line), the line has content, empty lines
 * held back (dropped if the body ends).  Most bytes come out as they
 * are: a run of them (single SPs between them and line ends between
 * lines with content included) is found by run_end and copied in one
 * piece; only HTAB, runs of SP/HTAB, SP at a line end, empty lines, bare
 * CRs and the bytes near the end of the piece go through the state one
 * byte at a time.
 */
void
dkim_body_feed(struct dkim_body *b, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i = 0, j;
    unsigned char c;

    while (i < n) {
        c = s[i];
        if (b->cr) {
            b->cr = 0;
            if (c == '\n') {
                body_eol(b);
                i++;
                continue;
            }
            body_bytes(b, (const unsigned char *)"\r", 1); /* a bare CR */
        }
        if (c == '\r') {
            b->cr = 1;
            i++;
        } else if (wsp(c)) {
            b->ws = 1;
            i++;
        } else {
            j = run_end(s, i + 1, n);
            body_bytes(b, s + i, j - i);
            i = j;
        }
    }
    body_flush(b);
}

void
dkim_body_finish(struct dkim_body *b)
{
    if (b->cr) {
        b->cr = 0;
        body_bytes(b, (const unsigned char *)"\r", 1);
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

/* An Ed25519 key in PKCS#8 (RFC 8410 7): SEQUENCE { INTEGER 0,
 * SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } },
 * then the 32-byte secret.  BearSSL 0.6 reads no such key. */
static const unsigned char ed_pkcs8[] = { 0x30, 0x2e, 0x02, 0x01, 0x00,
    0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20 };
/* The OID alone, to tell an Ed25519 key in another form. */
static const unsigned char ed_oid[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };

struct keyctx {
    struct dkim_key *k;
    int seen, ed, ed_other;
};

static int
key_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
    struct keyctx *kc = ctx;
    size_t i;

    if (strcmp(name, "PRIVATE KEY") != 0
        && strcmp(name, "RSA PRIVATE KEY") != 0)
        return 0;
    if (kc->seen++)
        return -1; /* one key a file */
    if (strcmp(name, "PRIVATE KEY") == 0 && len == sizeof ed_pkcs8 + 32
        && memcmp(der, ed_pkcs8, sizeof ed_pkcs8) == 0) {
        memcpy(kc->k->ed_seed, der + sizeof ed_pkcs8, 32);
        kc->ed = 1;
        return 0;
    }
    for (i = 0; i + sizeof ed_oid <= len && i < 16; i++)
        if (memcmp(der + i, ed_oid, sizeof ed_oid) == 0)
            kc->ed_other = 1;
    br_skey_decoder_init(&kc->k->dc);
    br_skey_decoder_push(&kc->k->dc, der, len);
    return 0;
}

/*
 * Checking a private key without signing: the RSA parts BearSSL keeps
 * (p, q, dp, dq, iq) are checked by exact integer arithmetic, in
 * microseconds, where a test signature costs as much as a signature.
 * Big numbers here are little-endian 32-bit limbs, n of them without
 * leading zero limbs (n = 0 for zero); products of two key parts fit.
 */
#define BN_LIMBS (2 * (DKIM_RSA_BITS_MAX / 32) + 2)

struct bn {
    size_t n;
    uint32_t v[BN_LIMBS];
};

static void
bn_trim(struct bn *x)
{
    while (x->n > 0 && x->v[x->n - 1] == 0)
        x->n--;
}

/* x from the big-endian b (len bytes).  0, or -1 when it is over
 * DKIM_RSA_BITS_MAX bits (no key part is). */
static int
bn_decode(struct bn *x, const unsigned char *b, size_t len)
{
    size_t i;

    while (len > 0 && *b == 0) {
        b++;
        len--;
    }
    if (len > DKIM_RSA_BITS_MAX / 8)
        return -1;
    x->n = (len + 3) / 4;
    memset(x->v, 0, x->n * sizeof x->v[0]);
    for (i = 0; i < len; i++)
        x->v[i / 4] |= (uint32_t)b[len - 1 - i] << (8 * (i % 4));
    return 0;
}

/* The number of bits of x. */
static size_t
bn_bits(const struct bn *x)
{
    size_t b;
    uint32_t w;

    if (x->n == 0)
        return 0;
    for (b = 32 * (x->n - 1), w = x->v[x->n - 1]; w != 0; w >>= 1)
        b++;
    return b;
}

/* x big-endian into out (len bytes, enough for it). */
static void
bn_encode(unsigned char *out, size_t len, const struct bn *x)
{
    size_t i;

    for (i = 0; i < len; i++)
        out[len - 1 - i] = i / 4 < x->n
            ? (unsigned char)(x->v[i / 4] >> (8 * (i % 4)))
            : 0;
}

/* r = a * b; r is neither, and a->n + b->n <= BN_LIMBS. */
static void
bn_mul(struct bn *r, const struct bn *a, const struct bn *b)
{
    uint64_t t;
    uint32_t carry;
    size_t i, j;

    memset(r->v, 0, (a->n + b->n) * sizeof r->v[0]);
    for (i = 0; i < a->n; i++) {
        carry = 0;
        for (j = 0; j < b->n; j++) {
            t = (uint64_t)a->v[i] * b->v[j] + r->v[i + j] + carry;
            r->v[i + j] = (uint32_t)t;
            carry = (uint32_t)(t >> 32);
        }
        r->v[i + b->n] = carry;
    }
    r->n = a->n + b->n;
    bn_trim(r);
}

/* x - 1, for x >= 1. */
static void
bn_dec(struct bn *x)
{
    size_t i;

    for (i = 0; x->v[i] == 0; i++)
        x->v[i] = 0xffffffff;
    x->v[i]--;
    bn_trim(x);
}

/* x >> s. */
static void
bn_shr(struct bn *x, size_t s)
{
    size_t i, w = s / 32;
    unsigned b = (unsigned)(s % 32);

    if (w >= x->n) {
        x->n = 0;
        return;
    }
    if (w > 0) {
        memmove(x->v, x->v + w, (x->n - w) * sizeof x->v[0]);
        x->n -= w;
    }
    if (b > 0) {
        for (i = 0; i + 1 < x->n; i++)
            x->v[i] = x->v[i] >> b | x->v[i + 1] << (32 - b);
        x->v[i] >>= b;
    }
    bn_trim(x);
}

/* The number of zero bits at the bottom of x > 0. */
static size_t
bn_ctz(const struct bn *x)
{
    size_t i, s;
    uint32_t w;

    for (i = 0; x->v[i] == 0; i++)
        ;
    for (s = 32 * i, w = x->v[i]; (w & 1) == 0; w >>= 1)
        s++;
    return s;
}

/*
 * Does m divide a (m > 0)?  The quotient is found as if the division
 * were exact (Hensel's way, from the low limbs up, with the inverse of
 * m's odd part modulo 2^32), then multiplied back: 1 only when q * m is
 * a, so never wrongly.  a and m are changed (their common factors of 2
 * taken out); q and t are room for the quotient and the product.
 */
static int
bn_divides(struct bn *m, struct bn *a, struct bn *q, struct bn *t)
{
    uint64_t borrow, d;
    uint32_t inv, k;
    size_t i, j, s;

    if (a->n == 0)
        return 1;
    if (m->n == 0)
        return 0;
    /* m = 2^s * odd; a needs the 2^s too */
    s = bn_ctz(m);
    if (bn_ctz(a) < s)
        return 0;
    bn_shr(m, s);
    bn_shr(a, s);
    if (a->n < m->n)
        return 0; /* 0 < a < m */
    inv = m->v[0]; /* right to 3 bits; each step doubles them */
    for (i = 0; i < 4; i++)
        inv *= 2 - m->v[0] * inv;
    memcpy(t->v, a->v, a->n * sizeof a->v[0]);
    q->n = a->n - m->n + 1;
    for (i = 0; i < q->n; i++) {
        /* the limb of q that makes limb i of the rest zero */
        k = t->v[i] * inv;
        q->v[i] = k;
        borrow = 0;
        for (j = 0; j < m->n; j++) {
            d = (uint64_t)k * m->v[j] + borrow;
            borrow = (d >> 32) + (t->v[i + j] < (uint32_t)d);
            t->v[i + j] -= (uint32_t)d;
        }
        for (j = i + m->n; j < a->n && borrow != 0; j++) {
            d = (uint64_t)t->v[j] - borrow;
            t->v[j] = (uint32_t)d;
            borrow = d >> 63;
        }
    }
    bn_trim(q);
    bn_mul(t, q, m);
    return t->n == a->n && memcmp(t->v, a->v, a->n * sizeof a->v[0]) == 0;
}

struct keycheck {
    struct bn a, m, x, q, t;
};

/* x * t = 1 (mod m)?  (x t - 1 divisible by m; a, q and t used up.) */
static int
inverse_mod(struct keycheck *c)
{
    bn_mul(&c->a, &c->x, &c->t);
    if (c->a.n == 0)
        return 0;
    bn_dec(&c->a);
    return bn_divides(&c->m, &c->a, &c->q, &c->t);
}

/* Is e * d = 1 (mod pr - 1)?  pr odd and > 1, d > 0, as a CRT
 * exponent d of the prime pr and the public exponent e are. */
static int
crt_exponent_fits(struct keycheck *c, const unsigned char *d, size_t dlen,
    const unsigned char *pr, size_t prlen, uint32_t e)
{
    if (bn_decode(&c->m, pr, prlen) == -1 || bn_decode(&c->x, d, dlen) == -1
        || c->m.n == 0 || (c->m.v[0] & 1) == 0 || c->x.n == 0)
        return 0;
    c->m.v[0] &= ~(uint32_t)1; /* pr - 1 */
    bn_trim(&c->m);
    c->t.v[0] = e;
    c->t.n = e != 0;
    return inverse_mod(c);
}

/* Is e the public exponent of k?  e * dp = 1 (mod p - 1) and e * dq = 1
 * (mod q - 1): exact, so a wrong e is never taken. */
static int
exponent_fits(struct keycheck *c, const br_rsa_private_key *sk, uint32_t e)
{
    return crt_exponent_fits(c, sk->dp, sk->dplen, sk->p, sk->plen, e)
        && crt_exponent_fits(c, sk->dq, sk->dqlen, sk->q, sk->qlen, e);
}

/* q * iq = 1 (mod p)? */
static int
crt_coefficient_fits(struct keycheck *c, const br_rsa_private_key *sk)
{
    if (bn_decode(&c->x, sk->q, sk->qlen) == -1
        || bn_decode(&c->t, sk->iq, sk->iqlen) == -1
        || bn_decode(&c->m, sk->p, sk->plen) == -1 || c->m.n == 0)
        return 0;
    return inverse_mod(c);
}

/* The modulus p * q into k->n; its length, or 0 when it is not
 * n_bitlen bits long.  (BearSSL 0.6's br_rsa_i31_compute_modulus, the
 * default, fails on 4096-bit keys.) */
static size_t
modulus(struct keycheck *c, struct dkim_key *k)
{
    size_t n;

    if (bn_decode(&c->x, k->sk.p, k->sk.plen) == -1
        || bn_decode(&c->t, k->sk.q, k->sk.qlen) == -1)
        return 0;
    bn_mul(&c->a, &c->x, &c->t);
    if (bn_bits(&c->a) != k->sk.n_bitlen)
        return 0;
    n = (k->sk.n_bitlen + 7) / 8;
    bn_encode(k->n, n, &c->a);
    return n;
}

/*
 * The public key of k's private key: its modulus (p * q), and the
 * exponent e that fits dp and dq (65537, 3, or what BearSSL recomputes,
 * which it does only for primes = 3 mod 4, in ~0.4 ms).  iq is checked
 * too.  Not checked: that p and q are prime; dkim_sign checks each
 * signature it makes with the public key (EIO), so a key that is still
 * inconsistent signs nothing.
 */
static int
find_public(struct dkim_key *k, char *err, size_t errlen)
{
    struct keycheck c; /* ~5 KB, wiped after use */
    uint32_t cand[3], e = 0;
    size_t i, n;
    int r = -1;

    if (k->sk.n_bitlen < DKIM_RSA_BITS_MIN
        || k->sk.n_bitlen > DKIM_RSA_BITS_MAX) {
        seterr(err, errlen, "RSA key not within 1024 to 4096 bits", "");
        return -1;
    }
    n = modulus(&c, k);
    if (n == 0 || !crt_coefficient_fits(&c, &k->sk)) {
        seterr(err, errlen, "not a valid RSA key", "");
        goto out;
    }
    k->pk.n = k->n;
    k->pk.nlen = n;
    /* The skey decoder keeps no public exponent. */
    cand[0] = 65537;
    cand[1] = 3;
    cand[2] = 0;
    for (i = 0; i < 3 && e == 0; i++) {
        if (i == 2)
            cand[2] = br_rsa_compute_pubexp_get_default()(&k->sk);
        if (cand[i] != 0 && exponent_fits(&c, &k->sk, cand[i]))
            e = cand[i];
    }
    if (e == 0) {
        seterr(err, errlen, "not a valid RSA key (or its public exponent is "
                            "neither 3 nor 65537)", "");
        goto out;
    }
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
    r = 0;
out:
    explicit_bzero(&c, sizeof c);
    return r;
}

int
dkim_key_parse(struct dkim_key *k, const unsigned char *pem, size_t len,
    char *err, size_t errlen)
{
    struct keyctx kc;
    int r = -1;

    memset(k, 0, sizeof *k);
    memset(&kc, 0, sizeof kc);
    kc.k = k;
    if (tls_pem_decode(pem, len, key_cb, &kc) == -1) {
        seterr(err, errlen, kc.seen > 1 ? "more than one key" : "malformed PEM",
            "");
        goto out;
    }
    if (kc.seen == 0) {
        seterr(err, errlen, "no private key found", "");
        goto out;
    }
    if (kc.ed) {
        k->type = DKIM_KEY_ED25519;
        ed25519_public(k->ed_pub, k->ed_seed);
        r = 0;
        goto out;
    }
    if (kc.ed_other) {
        seterr(err, errlen, "an Ed25519 key in a form not read here (openssl "
            "genpkey -algorithm ed25519 writes the one that is)", "");
        goto out;
    }
    if (br_skey_decoder_last_error(&k->dc) != 0) {
        seterr(err, errlen, "malformed private key", "");
        goto out;
    }
    if (br_skey_decoder_key_type(&k->dc) != BR_KEYTYPE_RSA) {
        seterr(err, errlen, "neither an RSA nor an Ed25519 key", "");
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
    static const char rsa[] = "v=DKIM1; k=rsa; p=";
    static const char ed[] = "v=DKIM1; k=ed25519; p=";
    unsigned char der[DKIM_SPKI_MAX];
    size_t n;
    long b;

    if (k->type == DKIM_KEY_ED25519) {
        /* RFC 8463 4: the bare key, no SubjectPublicKeyInfo */
        if (outlen < sizeof ed) {
            errno = ERANGE;
            return -1;
        }
        memcpy(out, ed, sizeof ed);
        b = base64_encode(out + sizeof ed - 1, outlen - (sizeof ed - 1),
            k->ed_pub, sizeof k->ed_pub);
        return b == -1 ? -1 : b + (long)sizeof ed - 1;
    }
    n = spki(k, der);
    if (outlen < sizeof rsa) {
        errno = ERANGE;
        return -1;
    }
    memcpy(out, rsa, sizeof rsa);
    b = base64_encode(out + sizeof rsa - 1, outlen - (sizeof rsa - 1), der,
        n);
    return b == -1 ? -1 : b + (long)sizeof rsa - 1;
}

/* An HMAC-DRBG seeded by the system's source (getrandom).  0 or -1. */
static int
seed_rng(br_hmac_drbg_context *rng)
{
    br_prng_seeder seeder = br_prng_seeder_system(NULL);

    br_hmac_drbg_init(rng, &br_sha256_vtable, NULL, 0);
    return seeder != NULL && seeder(&rng->vtable) ? 0 : -1;
}

long
dkim_keygen(char *pem, size_t pemlen)
{
    static unsigned char kpriv[BR_RSA_KBUF_PRIV_SIZE(DKIM_KEYGEN_BITS)];
    static unsigned char kpub[BR_RSA_KBUF_PUB_SIZE(DKIM_KEYGEN_BITS)];
    static unsigned char d[DKIM_KEYGEN_BITS / 8 + 1], der[2048];
    br_hmac_drbg_context rng;
    br_rsa_private_key sk;
    br_rsa_public_key pk;
    size_t dn, kn, pn;
    long r = -1;
    int e = EIO;

    if (seed_rng(&rng) == -1)
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

long
dkim_keygen_ed25519(char *pem, size_t pemlen)
{
    unsigned char der[sizeof ed_pkcs8 + 32];
    br_hmac_drbg_context rng;
    size_t pn;
    long r = -1;
    int e = EIO;

    if (seed_rng(&rng) == -1)
        goto out;
    memcpy(der, ed_pkcs8, sizeof ed_pkcs8);
    br_hmac_drbg_generate(&rng, der + sizeof ed_pkcs8, 32);
    pn = br_pem_encode(NULL, der, sizeof der, BR_ENCODE_PEM_PKCS8,
        BR_PEM_LINE64);
    if (pn + 1 > pemlen) {
        e = ERANGE;
        goto out;
    }
    r = (long)br_pem_encode(pem, der, sizeof der, BR_ENCODE_PEM_PKCS8,
        BR_PEM_LINE64);
out:
    explicit_bzero(der, sizeof der);
    explicit_bzero(&rng, sizeof rng);
    if (r == -1)
        errno = e;
    return r;
}

/* ---- signing -------------------------------------------------------- */

static void
hash_put(void *ctx, const void *p, size_t n)
{
    sha256_update(ctx, p, n);
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
    unsigned char bh[32], hv[32], sig[DKIM_RSA_BITS_MAX / 8];
    char b64[BASE64_LEN(sizeof sig) + 1], tag[400];
    struct sa canon = SA_INIT(DKIM_HEADER_MAX + 4096);
    struct sha256 h;
    struct dkim_body b;
    size_t hlen, body, col, i;
    size_t siglen = k->type == DKIM_KEY_ED25519 ? ED25519_SIG_LEN
                                                : (k->sk.n_bitlen + 7) / 8;
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

    sha256_init(&h);
    dkim_body_init(&b, hash_put, &h);
    dkim_body_feed(&b, msg + body, len - body);
    dkim_body_finish(&b);
    sha256_out(&h, bh);

    /* The field up to "b=": h= lists each name as often as it is
     * present, and from once more. */
    sa_truncate(out, 0);
    snprintf(tag, sizeof tag, "DKIM-Signature: v=1; a=%s; "
        "c=relaxed/relaxed; d=%s;", k->type == DKIM_KEY_ED25519
            ? "ed25519-sha256" : "rsa-sha256", domain);
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
    sha256_init(&h);
    sha256_update(&h, canon.s, canon.len - 2);
    sha256_out(&h, hv);
    sa_free(&canon);

    if (k->type == DKIM_KEY_ED25519) {
        ed25519_sign(sig, hv, sizeof hv, k->ed_seed, k->ed_pub);
        if (!ed25519_verify(sig, hv, sizeof hv, k->ed_pub)) {
            errno = EIO;
            return -1;
        }
    } else if (siglen > sizeof sig
        || !rsapriv_pkcs1_sign_sha256(hv, &k->sk, sig)
        || !rsapriv_pkcs1_verify_sha256(sig, siglen, &k->pk, hv)) {
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
