/* dkimverify.c - checking DKIM signatures (see dkimverify.h).
 *
 * Everything here reads what a stranger sent: the message, and a key
 * record from a DNS zone the stranger may own.  Each parser takes a
 * pointer and a length and checks every position before it reads it;
 * every buffer has a named size checked before a byte is stored.  The
 * canonicalizers are dkim.c's (the signer's), so what facteur signs and
 * what it verifies are canonicalized by the same code.
 *
 * One signature goes through RFC 6376 6.1 in order: the tag-list and
 * its tags (6.1.1), the key (6.1.2), the body hash, then the header hash
 * and the RSA signature (6.1.3).  The first problem decides the result.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bearssl.h>

#include "base64.h"
#include "dkim.h"
#include "dkimverify.h"
#include "sa.h"
#include "ed25519.h"
#include "rsapriv.h"
#include "sha256.h"

/* base64 text kept for decoding: b= of any length a field holds, p= of
 * any record. */
#define B64_TEXT_MAX DKIMV_FIELD_MAX

struct tag {
    const char *name;
    size_t nlen;
    const char *val; /* without the FWS around it */
    size_t vlen;
    const char *raw; /* everything between '=' and ';' (or the end) */
    size_t rawlen;
};

struct taglist {
    size_t n;
    struct tag t[DKIMV_TAGS_MAX];
};

/* A header field of the index. */
struct field {
    size_t off, len; /* in the message, its final CRLF included */
    size_t nlen;     /* its name (SP/HTAB before ':' not counted); 0:
                      * not a field with a name anyone can sign */
};

/* The large buffers, allocated once for all of a message's signatures. */
#define ALG_RSA 0
#define ALG_ED25519 1

struct work {
    struct taglist sig, key;
    const char *hname[DKIMV_H_MAX];
    size_t hlen[DKIMV_H_MAX];
    char rec[DKIMV_KEY_MAX];
    char b64[B64_TEXT_MAX];
    unsigned char sigbytes[B64_TEXT_MAX / 4 * 3];
    unsigned char spki[DKIMV_KEY_MAX / 4 * 3];
    struct dkim_body body;
    struct sha256 hash;
};

/* A body hash already made, for the next signature of the same kind
 * (an author's and a list's signatures often share c= and have no l=). */
struct bodydone {
    int relaxed, limited;
    uint64_t lv, total;
    unsigned char hash[32];
};

struct ctx {
    const char *msg;
    size_t len, hlen, body;
    int oversize;        /* the header section is over the limits */
    struct field *f;     /* the index: nf fields, top to bottom */
    unsigned char *used; /* nf flags: signed already by this signature */
    size_t nf;
    dkimv_txt_fn txt;
    void *arg;
    int64_t now;
    struct work *w;
    struct sa canon; /* one field, canonicalized */
    struct sa own;   /* the signature's own field without b= */
    struct bodydone done[DKIMV_SIGS_MAX];
    size_t ndone;
};

const char *
dkimv_name(int result)
{
    static const char *const names[] = { "none", "pass", "fail", "neutral",
        "policy", "temperror", "permerror" };

    return result >= 0 && result <= DKIMV_PERMERROR ? names[result]
                                                     : "none";
}

static void verdict(struct dkimv_sig *r, int result, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static void
verdict(struct dkimv_sig *r, int result, const char *fmt, ...)
{
    va_list ap;

    r->result = result;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
}

static int
wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* FWS inside a tag-list: SP, HTAB and the CRLFs of folding. */
static int
fws(unsigned char c)
{
    return wsp(c) || c == '\r' || c == '\n';
}

static int
alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* ---- header fields --------------------------------------------------- */

/* The length of f's name: printable ASCII up to ':', SP/HTAB allowed only
 * between the name and the ':' (and not counted); 0 when f has none. */
static size_t
field_namelen(const char *f, size_t n)
{
    size_t i, end = 0; /* the name's length, once SP/HTAB followed it */

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)f[i];
        if (c == ':')
            return end != 0 ? end : i;
        if (wsp(c)) {
            if (i == 0)
                return 0;
            if (end == 0)
                end = i;
            continue;
        }
        if (c < 0x21 || c > 0x7e || end != 0)
            return 0;
    }
    return 0;
}

static int
field_is(const struct ctx *c, size_t i, const char *name, size_t n)
{
    return c->f[i].nlen == n
        && strncasecmp(c->msg + c->f[i].off, name, n) == 0;
}

/* ---- tag-lists (RFC 6376 3.2) --------------------------------------- */

/* VALCHAR: printable ASCII but ';'. */
static int
valchar(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e && c != ';';
}

/* Parse the tag-list p[0..n) into tl.  0, or -1 with the reason in why
 * (a syntax error, a duplicate tag, too many tags). */
static int
taglist_parse(const char *p, size_t n, struct taglist *tl, char *why,
    size_t whylen)
{
    size_t i = 0, j, k, v0, v1, m;

    tl->n = 0;
    for (;;) {
        while (i < n && fws((unsigned char)p[i]))
            i++;
        if (i == n)
            return 0; /* the end, or a ';' ending the list */
        if (!alpha((unsigned char)p[i]))
            goto syntax;
        for (j = i; j < n && (alpha((unsigned char)p[j])
                || digit((unsigned char)p[j]) || p[j] == '_'); j++)
            ;
        k = j;
        while (k < n && fws((unsigned char)p[k]))
            k++;
        if (k == n || p[k] != '=')
            goto syntax;
        v0 = ++k;
        for (; k < n && p[k] != ';'; k++)
            if (!valchar((unsigned char)p[k]) && !fws((unsigned char)p[k]))
                goto syntax;
        for (m = 0; m < tl->n; m++) {
            if (tl->t[m].nlen == j - i
                && memcmp(tl->t[m].name, p + i, j - i) == 0) {
                snprintf(why, whylen, "duplicate tag %.*s=",
                    (int)(j - i < 16 ? j - i : 16), p + i);
                return -1;
            }
        }
        if (tl->n == DKIMV_TAGS_MAX) {
            snprintf(why, whylen, "more than %d tags", DKIMV_TAGS_MAX);
            return -1;
        }
        v1 = k;
        tl->t[tl->n].name = p + i;
        tl->t[tl->n].nlen = j - i;
        tl->t[tl->n].raw = p + v0;
        tl->t[tl->n].rawlen = k - v0;
        while (v0 < v1 && fws((unsigned char)p[v0]))
            v0++;
        while (v1 > v0 && fws((unsigned char)p[v1 - 1]))
            v1--;
        tl->t[tl->n].val = p + v0;
        tl->t[tl->n].vlen = v1 - v0;
        tl->n++;
        if (k == n)
            return 0;
        i = k + 1;
    }
syntax:
    snprintf(why, whylen, "malformed tag-list");
    return -1;
}

static const struct tag *
tag_get(const struct taglist *tl, const char *name)
{
    size_t i, n = strlen(name);

    for (i = 0; i < tl->n; i++)
        if (tl->t[i].nlen == n && memcmp(tl->t[i].name, name, n) == 0)
            return &tl->t[i];
    return NULL;
}

static int
val_is(const struct tag *t, const char *s)
{
    return t->vlen == strlen(s) && memcmp(t->val, s, t->vlen) == 0;
}

/* The next element of a colon-separated list (h=, q=, the key's h=, s=,
 * t=) from *pos, without the FWS around it.  1, or 0 at the end. */
static int
list_next(const struct tag *t, size_t *pos, const char **e, size_t *n)
{
    size_t i = *pos, a, b;

    if (i > t->vlen)
        return 0;
    for (b = i; b < t->vlen && t->val[b] != ':'; b++)
        ;
    *pos = b + 1;
    a = i;
    while (a < b && fws((unsigned char)t->val[a]))
        a++;
    while (b > a && fws((unsigned char)t->val[b - 1]))
        b--;
    *e = t->val + a;
    *n = b - a;
    return 1;
}

static int
list_has(const struct tag *t, const char *s)
{
    size_t pos = 0, n;
    const char *e;

    while (list_next(t, &pos, &e, &n))
        if (n == strlen(s) && memcmp(e, s, n) == 0)
            return 1;
    return 0;
}

/* Copy a value for the report: printable bytes, SP/HTAB as SP, the CRLFs
 * of folding dropped; cut to fit. */
static void
copy_val(char *dst, size_t dlen, const char *v, size_t n)
{
    size_t i, o = 0;

    for (i = 0; i < n && o + 1 < dlen; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '\r' || c == '\n')
            continue;
        dst[o++] = wsp(c) ? ' ' : (char)c;
    }
    dst[o] = 0;
}

/* A decimal number: 1*DIGIT, saturated at max (RFC 6376 3.5 lets a
 * verifier read an over-long t= or x= as infinite).  0, or -1. */
static int
decimal(const struct tag *t, uint64_t max, uint64_t *v)
{
    size_t i;

    if (t->vlen == 0)
        return -1;
    *v = 0;
    for (i = 0; i < t->vlen; i++) {
        unsigned d;
        if (!digit((unsigned char)t->val[i]))
            return -1;
        d = (unsigned)(t->val[i] - '0');
        *v = *v > (max - d) / 10 ? max : *v * 10 + d;
    }
    return 0;
}

/* A domain name as DKIM uses it (d=, s=): labels of letters, digits, '-'
 * and '_' (selectors with '_' exist), 1..63 bytes each, dot-separated. */
static int
dkname_valid(const char *s, size_t n, size_t max)
{
    size_t i, label = 0;

    if (n == 0 || n > max)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
            continue;
        }
        if (!alpha(c) && !digit(c) && c != '-' && c != '_')
            return 0;
        if (++label > DNSLABEL_MAX)
            return 0;
    }
    return label > 0;
}

/* base64 with FWS anywhere (RFC 6376 3.5 b=, bh=; 3.6.1 p=) into out.
 * Its length, or -1: EINVAL not base64, ERANGE too long. */
static long
b64_fws(struct work *w, unsigned char *out, size_t outlen, const char *v,
    size_t n)
{
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        if (fws((unsigned char)v[i]))
            continue;
        if (k == sizeof w->b64) {
            errno = ERANGE;
            return -1;
        }
        w->b64[k++] = v[i];
    }
    return base64_decode(out, outlen, w->b64, k);
}

/* ---- RSA public keys (DER) ------------------------------------------- */

struct der {
    const unsigned char *p;
    size_t n;
};

/* The next TLV of d, which must have tag: its content into out.  Definite
 * lengths of at most two bytes (64 KB, far above any key).  0, or -1. */
static int
der_next(struct der *d, unsigned char tag, struct der *out)
{
    size_t len, k, i = 2;

    if (d->n < 2 || d->p[0] != tag)
        return -1;
    len = d->p[1];
    if (len & 0x80) {
        k = len & 0x7f;
        if (k == 0 || k > 2 || d->n < 2 + k)
            return -1;
        for (len = 0; k > 0; k--)
            len = len << 8 | d->p[i++];
    }
    if (len > d->n - i)
        return -1;
    out->p = d->p + i;
    out->n = len;
    d->p += i + len;
    d->n -= i + len;
    return 0;
}

/* A positive INTEGER, its leading zeros dropped. */
static int
der_uint(struct der *d, struct der *v)
{
    if (der_next(d, 0x02, v) == -1 || v->n == 0 || (v->p[0] & 0x80))
        return -1;
    while (v->n > 1 && v->p[0] == 0) {
        v->p++;
        v->n--;
    }
    return 0;
}

static unsigned
bitlen(const unsigned char *p, size_t n)
{
    unsigned b = (unsigned)(n - 1) * 8;
    unsigned char c;

    for (c = p[0]; c != 0; c >>= 1)
        b++;
    return b;
}

/* The RSA key of a SubjectPublicKeyInfo (RFC 5280 4.1.2.7, rsaEncryption
 * of RFC 3279 2.3.1, the NULL parameters present or not), or of a bare
 * RSAPublicKey (RFC 8017 A.1.1, which some zones publish), into pk
 * (pointing into der).  0, or -1 when malformed. */
static int
rsa_public(unsigned char *der, size_t len, br_rsa_public_key *pk)
{
    static const unsigned char rsa_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7,
        0x0d, 0x01, 0x01, 0x01 };
    struct der in = { der, len }, top, seq, alg, oid, bits, n, e;

    if (der_next(&in, 0x30, &top) == -1 || in.n != 0 || top.n == 0)
        return -1;
    if (top.p[0] == 0x02) {
        seq = top; /* RSAPublicKey */
    } else {
        if (der_next(&top, 0x30, &alg) == -1
            || der_next(&alg, 0x06, &oid) == -1 || oid.n != sizeof rsa_oid
            || memcmp(oid.p, rsa_oid, sizeof rsa_oid) != 0
            || !(alg.n == 0
                || (alg.n == 2 && alg.p[0] == 0x05 && alg.p[1] == 0)))
            return -1;
        if (der_next(&top, 0x03, &bits) == -1 || top.n != 0 || bits.n < 1
            || bits.p[0] != 0)
            return -1;
        bits.p++; /* no unused bits */
        bits.n--;
        if (der_next(&bits, 0x30, &seq) == -1 || bits.n != 0)
            return -1;
    }
    if (der_uint(&seq, &n) == -1 || der_uint(&seq, &e) == -1 || seq.n != 0)
        return -1;
    /* A modulus is odd; an exponent odd, at least 3, and short. */
    if ((n.p[n.n - 1] & 1) == 0 || n.p[0] == 0 || e.n > 8
        || (e.p[e.n - 1] & 1) == 0 || (e.n == 1 && e.p[0] < 3))
        return -1;
    pk->n = der + (n.p - der);
    pk->nlen = n.n;
    pk->e = der + (e.p - der);
    pk->elen = e.n;
    return 0;
}

/* ---- hashing ---------------------------------------------------------- */

struct bodyhash {
    struct sha256 *h;
    int limited;    /* l= */
    uint64_t left;  /* bytes l= still covers */
    uint64_t total; /* canonical bytes in all */
};

static void
body_put(void *ctx, const void *p, size_t n)
{
    struct bodyhash *b = ctx;

    b->total += n;
    if (b->limited) {
        if (n > b->left)
            n = (size_t)b->left;
        b->left -= n;
    }
    sha256_update(b->h, p, n);
}

/* The body hash into out, with the canonical length in *total. */
static void
body_hash(struct ctx *c, int relaxed, const struct tag *l, uint64_t lv,
    unsigned char out[32], uint64_t *total)
{
    struct bodyhash b;
    struct bodydone *d;
    const char *p = c->msg + c->body;
    size_t n = c->len - c->body, k;

    for (k = 0; k < c->ndone; k++) {
        d = &c->done[k];
        if (d->relaxed == relaxed && d->limited == (l != NULL)
            && d->lv == lv) {
            memcpy(out, d->hash, 32);
            *total = d->total;
            return;
        }
    }
    sha256_init(&c->w->hash);
    b.h = &c->w->hash;
    b.limited = l != NULL;
    b.left = lv;
    b.total = 0;
    if (relaxed) {
        dkim_body_init(&c->w->body, body_put, &b);
        dkim_body_feed(&c->w->body, p, n);
        dkim_body_finish(&c->w->body);
    } else {
        /* RFC 6376 3.4.3: the empty lines at the end removed; then a
         * CRLF ends the body (an empty body is one CRLF). */
        for (k = n; k >= 2 && p[k - 2] == '\r' && p[k - 1] == '\n'; k -= 2)
            ;
        if (k < n) {
            body_put(&b, p, k + 2);
        } else {
            body_put(&b, p, n);
            body_put(&b, "\r\n", 2);
        }
    }
    sha256_out(&c->w->hash, out);
    *total = b.total;
    if (c->ndone < DKIMV_SIGS_MAX) {
        d = &c->done[c->ndone++];
        d->relaxed = relaxed;
        d->limited = l != NULL;
        d->lv = lv;
        d->total = b.total;
        memcpy(d->hash, out, 32);
    }
}

/* Hash one field of the message, canonicalized.  0, or -1 (ENOMEM). */
static int
hash_field(struct ctx *c, int relaxed, const char *f, size_t n)
{
    if (!relaxed) {
        sha256_update(&c->w->hash, f, n);
        return 0;
    }
    sa_truncate(&c->canon, 0);
    if (dkim_canon_header(f, n, &c->canon) == -1)
        return -1;
    sha256_update(&c->w->hash, c->canon.s, c->canon.len);
    return 0;
}

/* ---- one signature ---------------------------------------------------- */

/* Tags of the signature, checked. */
struct sig {
    const struct tag *b, *bh, *h, *i, *l;
    int hrelaxed, brelaxed;
    uint64_t lv;
    size_t nh;
};

/* c= (RFC 6376 3.5): "header/body", or "header" alone with simple body. */
static int
canon_parse(const struct tag *t, int *h, int *b)
{
    const char *slash;
    size_t n;

    *h = *b = 0;
    if (t == NULL)
        return 0;
    slash = memchr(t->val, '/', t->vlen);
    n = slash == NULL ? t->vlen : (size_t)(slash - t->val);
    if (n == 7 && memcmp(t->val, "relaxed", 7) == 0)
        *h = 1;
    else if (!(n == 6 && memcmp(t->val, "simple", 6) == 0))
        return -1;
    if (slash == NULL)
        return 0;
    n = t->vlen - n - 1;
    if (n == 7 && memcmp(slash + 1, "relaxed", 7) == 0)
        *b = 1;
    else if (!(n == 6 && memcmp(slash + 1, "simple", 6) == 0))
        return -1;
    return 0;
}

/* Is the domain of the AUID a (of n bytes) d or below it?  exact: d
 * itself only (the key's t=s). */
static int
auid_within(const char *a, size_t n, const char *d, int exact)
{
    const char *at = NULL;
    size_t i, dn = strlen(d), k;

    for (i = 0; i < n; i++)
        if (a[i] == '@')
            at = a + i;
    if (at == NULL)
        return 0;
    k = n - (size_t)(at + 1 - a);
    at++;
    if (k == dn)
        return strncasecmp(at, d, dn) == 0;
    return !exact && k > dn && at[k - dn - 1] == '.'
        && strncasecmp(at + k - dn, d, dn) == 0;
}

/* Step 6.1.1: the tags.  0, or -1 with the verdict given. */
static int
sig_tags(struct ctx *c, const struct taglist *tl, struct sig *sg,
    struct dkimv_sig *r)
{
    static const char *const required[] = { "v", "a", "b", "bh", "d", "h",
        "s", NULL };
    const struct tag *t, *x;
    const char *e;
    size_t i, pos, n;
    uint64_t v, tv = 0;
    int from = 0;

    for (i = 0; required[i] != NULL; i++) {
        if (tag_get(tl, required[i]) == NULL) {
            verdict(r, DKIMV_PERMERROR, "missing tag %s=", required[i]);
            return -1;
        }
    }
    if (!val_is(tag_get(tl, "v"), "1")) {
        verdict(r, DKIMV_PERMERROR, "v= is not 1");
        return -1;
    }
    if (canon_parse(tag_get(tl, "c"), &sg->hrelaxed, &sg->brelaxed) == -1) {
        verdict(r, DKIMV_PERMERROR, "unknown canonicalization in c=");
        return -1;
    }
    if ((t = tag_get(tl, "q")) != NULL && !list_has(t, "dns/txt")) {
        verdict(r, DKIMV_PERMERROR, "q= without dns/txt");
        return -1;
    }
    sg->h = tag_get(tl, "h");
    sg->nh = 0;
    pos = 0;
    while (list_next(sg->h, &pos, &e, &n)) {
        for (i = 0; i < n; i++) /* ftext (RFC 5322 3.6.8) */
            if ((unsigned char)e[i] < 33 || (unsigned char)e[i] > 126
                || e[i] == ':')
                break;
        if (n == 0 || i < n) {
            verdict(r, DKIMV_PERMERROR, "malformed h=");
            return -1;
        }
        if (sg->nh == DKIMV_H_MAX) {
            verdict(r, DKIMV_PERMERROR, "more than %d names in h=",
                DKIMV_H_MAX);
            return -1;
        }
        c->w->hname[sg->nh] = e;
        c->w->hlen[sg->nh++] = n;
        from |= n == 4 && strncasecmp(e, "from", 4) == 0;
    }
    if (!from) {
        verdict(r, DKIMV_PERMERROR, "h= does not sign From:");
        return -1;
    }
    t = tag_get(tl, "d");
    if (!dkname_valid(t->val, t->vlen, DNSNAME_MAX)) {
        verdict(r, DKIMV_PERMERROR, "malformed d=");
        return -1;
    }
    t = tag_get(tl, "s");
    if (!dkname_valid(t->val, t->vlen, DKIMV_SELECTOR_MAX)
        || t->vlen + strlen("._domainkey.") + strlen(r->d) > DNSNAME_MAX) {
        verdict(r, DKIMV_PERMERROR, "malformed s=");
        return -1;
    }
    sg->i = tag_get(tl, "i");
    if (sg->i != NULL && !auid_within(sg->i->val, sg->i->vlen, r->d, 0)) {
        verdict(r, DKIMV_PERMERROR, "i= is not within d=");
        return -1;
    }
    sg->l = tag_get(tl, "l");
    if (sg->l != NULL && decimal(sg->l, UINT64_MAX, &sg->lv) == -1) {
        verdict(r, DKIMV_PERMERROR, "malformed l=");
        return -1;
    }
    if ((t = tag_get(tl, "t")) != NULL) {
        if (decimal(t, INT64_MAX, &tv) == -1) {
            verdict(r, DKIMV_PERMERROR, "malformed t=");
            return -1;
        }
        r->timestamp = (int64_t)tv;
    }
    if ((x = tag_get(tl, "x")) != NULL) {
        if (decimal(x, INT64_MAX, &v) == -1) {
            verdict(r, DKIMV_PERMERROR, "malformed x=");
            return -1;
        }
        r->expires = (int64_t)v;
        /* RFC 6376 3.5: x= MUST be greater than t=. */
        if (t != NULL && v <= tv) {
            verdict(r, DKIMV_PERMERROR, "x= is not after t=");
            return -1;
        }
    }
    sg->b = tag_get(tl, "b");
    sg->bh = tag_get(tl, "bh");
    return 0;
}

/* The algorithm: ALG_RSA (rsa-sha256) or ALG_ED25519 (ed25519-sha256,
 * RFC 8463), else -1 with the verdict given. */
static int
sig_algorithm(const struct taglist *tl, struct dkimv_sig *r)
{
    const struct tag *a = tag_get(tl, "a");

    if (val_is(a, "rsa-sha256"))
        return ALG_RSA;
    if (val_is(a, "ed25519-sha256"))
        return ALG_ED25519;
    if (val_is(a, "rsa-sha1"))
        verdict(r, DKIMV_POLICY, "rsa-sha1 is not accepted (RFC 8301)");
    else
        verdict(r, DKIMV_PERMERROR, "unknown algorithm in a=");
    return -1;
}

/* Step 6.1.2: the key, of the algorithm alg: 0 with pk (pointing into
 * c->w->spki) for RSA, or ed (32 bytes) for Ed25519, or -1 with the
 * verdict given. */
static int
sig_key(struct ctx *c, const struct sig *sg, struct dkimv_sig *r, int alg,
    br_rsa_public_key *pk, unsigned char ed[ED25519_PUB_LEN])
{
    struct work *w = c->w;
    char name[DNSNAME_MAX + 1], why[64];
    const struct tag *t;
    size_t n = 0;
    long k;
    int got;

    snprintf(name, sizeof name, "%s._domainkey.%s", r->s, r->d);
    got = c->txt(c->arg, name, w->rec, sizeof w->rec, &n);
    if (got == 0) {
        verdict(r, DKIMV_PERMERROR, "no key at %s", name);
        return -1;
    }
    if (got != 1) {
        verdict(r, DKIMV_TEMPERROR, "key lookup failed for %s", name);
        return -1;
    }
    if (n > sizeof w->rec) {
        verdict(r, DKIMV_PERMERROR, "key record over %d bytes",
            DKIMV_KEY_MAX);
        return -1;
    }
    if (taglist_parse(w->rec, n, &w->key, why, sizeof why) == -1) {
        verdict(r, DKIMV_PERMERROR, "key record: %s", why);
        return -1;
    }
    /* RFC 6376 3.6.1: v=, when present, is DKIM1 and comes first. */
    if ((t = tag_get(&w->key, "v")) != NULL
        && (t != &w->key.t[0] || !val_is(t, "DKIM1"))) {
        verdict(r, DKIMV_PERMERROR, "key record: not DKIM1");
        return -1;
    }
    /* k= is rsa when absent (RFC 6376 3.6.1); RFC 8463 adds ed25519. */
    t = tag_get(&w->key, "k");
    if (alg == ALG_RSA ? t != NULL && !val_is(t, "rsa")
                       : t == NULL || !val_is(t, "ed25519")) {
        verdict(r, DKIMV_PERMERROR, "key record: k= is not %s",
            alg == ALG_RSA ? "rsa" : "ed25519");
        return -1;
    }
    if ((t = tag_get(&w->key, "h")) != NULL && !list_has(t, "sha256")) {
        verdict(r, DKIMV_PERMERROR, "key record: h= excludes sha256");
        return -1;
    }
    if ((t = tag_get(&w->key, "s")) != NULL && !list_has(t, "*")
        && !list_has(t, "email")) {
        verdict(r, DKIMV_PERMERROR, "key record: not for email (s=)");
        return -1;
    }
    if ((t = tag_get(&w->key, "t")) != NULL) {
        r->testing = list_has(t, "y");
        if (list_has(t, "s") && sg->i != NULL
            && !auid_within(sg->i->val, sg->i->vlen, r->d, 1)) {
            verdict(r, DKIMV_PERMERROR, "i= is not d= (key t=s)");
            return -1;
        }
    }
    if ((t = tag_get(&w->key, "p")) == NULL) {
        verdict(r, DKIMV_PERMERROR, "key record: no p=");
        return -1;
    }
    if (t->vlen == 0) {
        verdict(r, DKIMV_PERMERROR, "key revoked");
        return -1;
    }
    k = b64_fws(w, w->spki, sizeof w->spki, t->val, t->vlen);
    if (alg == ALG_ED25519) {
        /* RFC 8463 4: the bare 32-byte public key, no SPKI around it. */
        if (k != ED25519_PUB_LEN) {
            verdict(r, DKIMV_PERMERROR, "key record: p= is not an Ed25519 "
                "key");
            return -1;
        }
        memcpy(ed, w->spki, ED25519_PUB_LEN);
        r->key_bits = 256;
        return 0;
    }
    if (k <= 0 || rsa_public(w->spki, (size_t)k, pk) == -1) {
        verdict(r, DKIMV_PERMERROR, "key record: malformed p=");
        return -1;
    }
    r->key_bits = bitlen(pk->n, pk->nlen);
    if (r->key_bits < DKIMV_RSA_BITS_MIN) {
        verdict(r, DKIMV_POLICY, "RSA key of %u bits (under %d: RFC 8301)",
            r->key_bits, DKIMV_RSA_BITS_MIN);
        return -1;
    }
    if (r->key_bits > DKIMV_RSA_BITS_MAX) {
        verdict(r, DKIMV_NEUTRAL, "RSA key of %u bits (over %d: not "
            "supported)", r->key_bits, DKIMV_RSA_BITS_MAX);
        return -1;
    }
    return 0;
}

/* The header hash (RFC 6376 5.4.2, 3.7) into hv.  self: the index of
 * the signature's field f, whose value ends at vend (before the final
 * CRLF).  0, or -1 (ENOMEM). */
static int
header_hash(struct ctx *c, const struct sig *sg, size_t self,
    const char *f, size_t vend, unsigned char hv[32])
{
    struct work *w = c->w;
    size_t k, j, cut0, cut1;

    memset(c->used, 0, c->nf);
    c->used[self] = 1;
    sha256_init(&w->hash);
    for (k = 0; k < sg->nh; k++) {
        for (j = c->nf; j-- > 0;) {
            if (c->used[j] || !field_is(c, j, w->hname[k], w->hlen[k]))
                continue;
            c->used[j] = 1;
            if (hash_field(c, sg->hrelaxed, c->msg + c->f[j].off,
                    c->f[j].len) == -1)
                return -1;
            break;
        }
    }
    /* The signature's own field, b='s value (and the FWS around it)
     * removed, without its final CRLF. */
    cut0 = (size_t)(sg->b->raw - f);
    cut1 = cut0 + sg->b->rawlen;
    sa_truncate(&c->own, 0);
    if (sa_append(&c->own, f, cut0) == -1
        || sa_append(&c->own, f + cut1, vend - cut1) == -1)
        return -1;
    if (!sg->hrelaxed) {
        sha256_update(&w->hash, c->own.s, c->own.len);
    } else {
        sa_truncate(&c->canon, 0);
        if (dkim_canon_header(c->own.s, c->own.len, &c->canon) == -1)
            return -1;
        sha256_update(&w->hash, c->canon.s, c->canon.len - 2);
    }
    sha256_out(&w->hash, hv);
    return 0;
}

static void
verify_one(struct ctx *c, size_t self, size_t off, size_t flen,
    struct dkimv_sig *r)
{
    struct work *w = c->w;
    const char *f = c->msg + off, *colon;
    const struct tag *t;
    struct sig sg;
    br_rsa_public_key pk;
    unsigned char bh[32], hv[32], ed[ED25519_PUB_LEN];
    uint64_t total;
    size_t vend = flen, i, o;
    long k;
    int alg;
    char why[64];

    if (flen > DKIMV_FIELD_MAX) {
        verdict(r, DKIMV_PERMERROR, "signature field over %d bytes",
            DKIMV_FIELD_MAX);
        return;
    }
    if (w == NULL) {
        verdict(r, DKIMV_TEMPERROR, "out of memory");
        return;
    }
    if (vend >= 1 && f[vend - 1] == '\n')
        vend--;
    if (vend >= 1 && f[vend - 1] == '\r')
        vend--;
    colon = memchr(f, ':', vend);
    if (colon == NULL
        || taglist_parse(colon + 1, vend - (size_t)(colon + 1 - f), &w->sig,
               why, sizeof why) == -1) {
        verdict(r, DKIMV_PERMERROR, "%s", colon ? why : "malformed field");
        return;
    }
    /* What identifies the signature, for the report, before any check. */
    if ((t = tag_get(&w->sig, "d")) != NULL) {
        copy_val(r->d, sizeof r->d, t->val, t->vlen);
        for (i = 0; r->d[i] != 0; i++)
            if (r->d[i] >= 'A' && r->d[i] <= 'Z')
                r->d[i] = (char)(r->d[i] - 'A' + 'a');
    }
    if ((t = tag_get(&w->sig, "s")) != NULL)
        copy_val(r->s, sizeof r->s, t->val, t->vlen);
    if ((t = tag_get(&w->sig, "a")) != NULL)
        copy_val(r->a, sizeof r->a, t->val, t->vlen);
    if ((t = tag_get(&w->sig, "i")) != NULL)
        copy_val(r->i, sizeof r->i, t->val, t->vlen);
    if ((t = tag_get(&w->sig, "b")) != NULL) {
        for (i = o = 0; i < t->vlen && o < DKIMV_HEADER_B_LEN; i++)
            if (!fws((unsigned char)t->val[i]))
                r->b[o++] = t->val[i];
        r->b[o] = 0;
    }

    memset(&sg, 0, sizeof sg);
    if (sig_tags(c, &w->sig, &sg, r) == -1)
        return;
    if (sg.l != NULL) {
        r->body_length_used = 1;
        r->body_length = sg.lv;
    }
    if (c->oversize) {
        verdict(r, DKIMV_PERMERROR, "header section over %d bytes or %d "
            "fields", DKIM_HEADER_MAX, DKIMV_FIELDS_MAX);
        return;
    }
    if ((alg = sig_algorithm(&w->sig, r)) == -1)
        return;
    if (r->expires >= 0 && r->expires < c->now) {
        verdict(r, DKIMV_FAIL, "signature expired");
        return;
    }
    if (b64_fws(w, bh, sizeof bh, sg.bh->val, sg.bh->vlen) == -1
        && errno == EINVAL) {
        verdict(r, DKIMV_PERMERROR, "bh= is not base64");
        return;
    }
    k = b64_fws(w, w->sigbytes, sizeof w->sigbytes, sg.b->val, sg.b->vlen);
    if (k == -1) {
        verdict(r, DKIMV_PERMERROR, "b= is not base64");
        return;
    }
    if (sig_key(c, &sg, r, alg, &pk, ed) == -1)
        return;

    body_hash(c, sg.brelaxed, sg.l, sg.lv, hv, &total);
    if (sg.l != NULL) {
        if (sg.lv > total) {
            verdict(r, DKIMV_PERMERROR, "l= is beyond the body");
            return;
        }
        r->body_unsigned = total - sg.lv;
    }
    /* bh= decodes to anything but 32 bytes: ERANGE above, or shorter. */
    if (b64_fws(w, bh, sizeof bh, sg.bh->val, sg.bh->vlen) != 32
        || memcmp(bh, hv, 32) != 0) {
        verdict(r, DKIMV_FAIL, "body hash mismatch");
        return;
    }
    if (header_hash(c, &sg, self, f, vend, hv) == -1) {
        verdict(r, DKIMV_TEMPERROR, "out of memory");
        return;
    }
    /* b= was decoded before the key; the key check reused w->b64 only.
     * Ed25519 signs the header hash itself (RFC 8463 3: PureEdDSA over
     * the SHA-256 of the canonicalized header). */
    if (alg == ALG_ED25519) {
        if (k != ED25519_SIG_LEN
            || !ed25519_verify(w->sigbytes, hv, sizeof hv, ed)) {
            verdict(r, DKIMV_FAIL, "signature did not verify");
            return;
        }
    } else if ((size_t)k != (r->key_bits + 7) / 8
        || !rsapriv_pkcs1_verify_sha256(w->sigbytes, (size_t)k, &pk, hv)) {
        verdict(r, DKIMV_FAIL, "signature did not verify");
        return;
    }
    if (alg == ALG_ED25519)
        verdict(r, DKIMV_PASS, "ed25519 key");
    else
        verdict(r, DKIMV_PASS, "%u-bit key", r->key_bits);
}

/* ---- the message ------------------------------------------------------ */

/* Index the header fields into c->f (and c->used).  0; -1 when they are
 * over the limits (c->oversize) or memory is short (c->f NULL). */
static int
index_fields(struct ctx *c)
{
    size_t pos = 0, off, n, count = 0;

    if (c->hlen > DKIM_HEADER_MAX) {
        c->oversize = 1;
        return -1;
    }
    while (dkim_next_field(c->msg, c->hlen, &pos, &off, &n))
        if (++count > DKIMV_FIELDS_MAX) {
            c->oversize = 1;
            return -1;
        }
    c->f = malloc(count * sizeof *c->f + count + 1);
    if (c->f == NULL)
        return -1;
    c->used = (unsigned char *)(c->f + count);
    pos = 0;
    for (c->nf = 0; dkim_next_field(c->msg, c->hlen, &pos, &off, &n); c->nf++) {
        c->f[c->nf].off = off;
        c->f[c->nf].len = n;
        c->f[c->nf].nlen = field_namelen(c->msg + off, n);
    }
    return 0;
}

size_t
dkimv_verify(const char *msg, size_t len, dkimv_txt_fn txt, void *arg,
    int64_t now, struct dkimv_sig *res, size_t max)
{
    struct ctx c;
    size_t pos = 0, off, n, count = 0, fi = 0;

    memset(&c, 0, sizeof c);
    c.msg = msg;
    c.len = len;
    c.txt = txt;
    c.arg = arg;
    c.now = now;
    c.canon = (struct sa)SA_INIT(DKIM_HEADER_MAX + 2);
    c.own = (struct sa)SA_INIT(DKIMV_FIELD_MAX);
    c.hlen = dkim_header_len(msg, len, &c.body);
    if (max > DKIMV_SIGS_MAX)
        max = DKIMV_SIGS_MAX;
    index_fields(&c);
    if (c.f != NULL || c.oversize)
        c.w = malloc(sizeof *c.w);
    /* Fields are walked again (not through the index): the signatures
     * are reported even when the index could not be made. */
    for (; count < max && dkim_next_field(msg, c.hlen, &pos, &off, &n); fi++) {
        if (field_namelen(msg + off, n) != 14
            || strncasecmp(msg + off, "dkim-signature", 14) != 0)
            continue;
        memset(&res[count], 0, sizeof res[count]);
        res[count].timestamp = res[count].expires = -1;
        verify_one(&c, fi, off, n, &res[count]);
        count++;
    }
    free(c.w);
    free(c.f);
    sa_free(&c.canon);
    sa_free(&c.own);
    return count;
}
