/* fuzz_imapparse.c - the IMAP argument tokenizer over arbitrary bytes, the
 * way a command parser walks an assembled command: at every position each
 * function is tried on a copy of the cursor and its promises checked (1
 * consumed something and stayed in the buffer, 0 and -1 consumed nothing,
 * strings NUL-terminated without a NUL inside and within max, numbers
 * within their width, sequence sets ordered and non-zero, dates in the
 * four-digit-year range); then the walk moves on by the first token that
 * parses, or by one byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapparse.h"

/* Bigger inputs only make the walk quadratic (a literal is copied at every
 * position it could start at). */
#define FUZZ_INPUT_MAX 16384

static const size_t fuzz_max[] = { 1, 2, 5, 32, 1024, FUZZ_INPUT_MAX + 1 };
static struct seqset fuzz_set;
static char fuzz_out[FUZZ_INPUT_MAX + 1];

/* days of 1-Jan-0000 .. 31-Dec-9999 */
#define DAY_MIN (-719528)
#define DAY_MAX 2932896

static void
check_pos(const struct imapp *c, const struct imapp *ip, int r)
{
    if (c->pos > c->n)
        abort();
    if (r != 1 && c->pos != ip->pos)
        abort();
    if (r == 1 && c->pos <= ip->pos)
        abort();
}

static void
check_string(const struct imapp *ip, int r, size_t len, size_t max)
{
    if (r == 1 && (len + 1 > max || fuzz_out[len] != 0
        || strlen(fuzz_out) != len))
        abort();
    (void)ip;
}

/* Every function at ip's position; returns how far the first token that
 * parses reaches (0: none). */
static size_t
try_all(const struct imapp *ip, size_t step)
{
    struct imapp c;
    const char *s;
    size_t len, i, max = fuzz_max[step % (sizeof fuzz_max / sizeof fuzz_max[0])];
    size_t adv = 0;
    uint32_t u;
    uint64_t u64;
    int64_t t;
    int r;

#define ADVANCE() do { if (r == 1 && adv == 0) adv = c.pos - ip->pos; } while (0)

    c = *ip;
    r = imapp_string_ref(&c, &s, &len);
    check_pos(&c, ip, r);
    if (r == 1 && (s < ip->p || s + len > ip->p + ip->n || s + len != c.p + c.pos))
        abort();
    ADVANCE();

    c = *ip;
    r = imapp_astring(&c, fuzz_out, max, &len);
    check_pos(&c, ip, r);
    check_string(&c, r, len, max);
    ADVANCE();

    c = *ip;
    r = imapp_string(&c, fuzz_out, max, &len);
    check_pos(&c, ip, r);
    check_string(&c, r, len, max);

    c = *ip;
    r = imapp_seqset(&c, &fuzz_set);
    check_pos(&c, ip, r);
    if (r == 1) {
        if (fuzz_set.n == 0 || fuzz_set.n > IMAP_SEQSET_MAX)
            abort();
        for (i = 0; i < fuzz_set.n; i++)
            if (fuzz_set.lo[i] == 0 || fuzz_set.lo[i] > fuzz_set.hi[i])
                abort();
        seqset_resolve(&fuzz_set, (uint32_t)(step * 7));
        for (i = 0; i < fuzz_set.n; i++)
            if (fuzz_set.lo[i] > fuzz_set.hi[i]
                || fuzz_set.hi[i] == IMAP_STAR)
                abort();
        if (seqset_has(&fuzz_set, 0))
            abort();
        (void)seqset_has(&fuzz_set, (uint32_t)step);
    } else if (fuzz_set.n != 0 && r == -1)
        abort();
    ADVANCE();

    c = *ip;
    r = imapp_number64(&c, &u64);
    check_pos(&c, ip, r);
    if (r == 1 && u64 > (uint64_t)INT64_MAX)
        abort();

    c = *ip;
    r = imapp_number(&c, &u);
    check_pos(&c, ip, r);
    ADVANCE();

    c = *ip;
    r = imapp_date(&c, &t);
    check_pos(&c, ip, r);
    if (r == 0 || (r == 1 && (t < DAY_MIN || t > DAY_MAX)))
        abort();
    ADVANCE();

    c = *ip;
    r = imapp_datetime(&c, &t);
    check_pos(&c, ip, r);
    if (r == 0 || (r == 1 && (t < (int64_t)DAY_MIN * 86400 - 86400
        || t > (int64_t)DAY_MAX * 86400 + 2 * 86400)))
        abort();
    ADVANCE();

    c = *ip;
    r = imapp_flag(&c, &s, &len);
    check_pos(&c, ip, r);
    if (r == 1 && (len == 0 || s != ip->p + ip->pos || len != c.pos - ip->pos))
        abort();
    ADVANCE();

    c = *ip;
    r = imapp_atom(&c, &s, &len);
    check_pos(&c, ip, r);
    if (r == 1) {
        if (len == 0 || s != ip->p + ip->pos || len != c.pos - ip->pos)
            abort();
        if (imap_tag_ok(s, len) && (len > IMAP_TAG_MAX
            || memchr(s, '+', len) != NULL))
            abort();
    }
    ADVANCE();

    c = *ip;
    r = imapp_sp(&c);
    if (r != 1 && r != -1)
        abort();
    check_pos(&c, ip, r);

    c = *ip;
    r = imapp_char(&c, '(');
    check_pos(&c, ip, r);
    return adv;
#undef ADVANCE
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct imapp ip;
    size_t step = 0, adv;

    if (size > FUZZ_INPUT_MAX)
        return 0;
    imapp_init(&ip, (const char *)data, size);
    (void)imap_tag_ok((const char *)data, size);
    while (!imapp_end(&ip)) {
        if (imapp_peek(&ip) < 0 || imapp_peek(&ip) > 255)
            abort();
        adv = try_all(&ip, step++);
        ip.pos += adv ? adv : 1;
        if (ip.pos > ip.n)
            abort();
    }
    if (imapp_peek(&ip) != -1)
        abort();
    return 0;
}
