/* fuzz_dkimbody.c - the relaxed body canonicalizer (dkim_body_feed,
 * which copies runs of plain bytes in one piece) against a reference
 * here that does RFC 6376 3.4.4 one byte at a time with the same state
 * (the canonicalizer as it was before the runs).
 *
 * Input: one byte c, then 2 * (c % 8) bytes of cut points, then the
 * body.  The body is fed to dkim_body_feed in the pieces those cut
 * points make (each taken modulo the body's length, in any order), and
 * whole to the reference; the two outputs, and the count in b.len, must
 * be the same.  The output goes through put() in pieces that must never
 * be empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"

/* ---- the reference -------------------------------------------------- */

struct ref {
    int cr, ws, content;
    size_t blank;
    unsigned char *out;
    size_t len;
};

static void
ref_out(struct ref *r, unsigned char c)
{
    r->out[r->len++] = c;
}

static void
ref_char(struct ref *r, unsigned char c)
{
    if (!r->content)
        for (; r->blank > 0; r->blank--) {
            ref_out(r, '\r');
            ref_out(r, '\n');
        }
    if (r->ws)
        ref_out(r, ' ');
    r->ws = 0;
    ref_out(r, c);
    r->content = 1;
}

static void
ref_eol(struct ref *r)
{
    if (r->content) {
        ref_out(r, '\r');
        ref_out(r, '\n');
    } else {
        r->blank++;
    }
    r->content = r->ws = 0;
}

/* The relaxed body of d (n bytes) into out (n + 2 bytes); its length. */
static size_t
reference(const uint8_t *d, size_t n, unsigned char *out)
{
    struct ref r;
    size_t i;

    memset(&r, 0, sizeof r);
    r.out = out;
    for (i = 0; i < n; i++) {
        unsigned char c = d[i];
        if (r.cr) {
            r.cr = 0;
            if (c == '\n') {
                ref_eol(&r);
                continue;
            }
            ref_char(&r, '\r'); /* a bare CR is an ordinary byte */
        }
        if (c == '\r')
            r.cr = 1;
        else if (c == ' ' || c == '\t')
            r.ws = 1;
        else
            ref_char(&r, c);
    }
    if (r.cr)
        ref_char(&r, '\r');
    if (r.content)
        ref_eol(&r);
    return r.len;
}

/* ---- the canonicalizer ---------------------------------------------- */

struct sink {
    unsigned char *p;
    size_t len, max;
};

static void
put(void *ctx, const void *p, size_t n)
{
    struct sink *s = ctx;

    if (n == 0 || n > s->max - s->len)
        abort();
    memcpy(s->p + s->len, p, n);
    s->len += n;
}

static int
cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;

    return x < y ? -1 : x > y;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cut[9], ncut, i, n, rn;
    const uint8_t *d;
    unsigned char *want;
    struct dkim_body b;
    struct sink s;

    if (size < 1 || size > (1 << 20))
        return 0;
    ncut = data[0] % 8;
    if (size < 1 + 2 * ncut)
        return 0;
    d = data + 1 + 2 * ncut;
    n = size - 1 - 2 * ncut;
    for (i = 0; i < ncut; i++)
        cut[i] = n == 0 ? 0
                        : ((size_t)data[1 + 2 * i] << 8 | data[2 + 2 * i]) % n;
    cut[ncut] = n;
    qsort(cut, ncut + 1, sizeof cut[0], cmp_size);

    want = malloc(n + 2);
    s.p = malloc(n + 2);
    if (want == NULL || s.p == NULL)
        abort();
    s.len = 0;
    s.max = n + 2;
    rn = reference(d, n, want);

    dkim_body_init(&b, put, &s);
    for (i = 0; i <= ncut; i++) {
        size_t from = i == 0 ? 0 : cut[i - 1];
        dkim_body_feed(&b, d + from, cut[i] - from); /* maybe empty */
    }
    dkim_body_finish(&b);
    if (s.len != rn || b.len != rn || memcmp(s.p, want, rn) != 0)
        abort();
    free(want);
    free(s.p);
    return 0;
}
