/* fuzz_imapmsg.c - a stored message as imapd serves it: no crash on any
 * bytes; BODY[] is exactly RFC822.SIZE bytes and holds no bare LF;
 * HEADER and TEXT add up to it; BODYSTRUCTURE, BODY and ENVELOPE are
 * balanced lists; a section spec taken from the input either fails
 * leaving the output untouched or appends at most the message's size
 * (plus 4 for HEADER.FIELDS: the blank line, and a line end for a last
 * field that had none). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapmsg.h"

/* Parentheses balanced outside quoted strings, literals skipped. */
static int
balanced(const struct str *s)
{
    size_t i;
    long depth = 0;
    int q = 0;

    for (i = 0; i < s->len; i++) {
        char c = s->s[i];
        if (q) {
            if (c == '\\')
                i++;
            else if (c == '"')
                q = 0;
        } else if (c == '"')
            q = 1;
        else if (c == '{') {
            size_t n = 0;
            for (i++; i < s->len && s->s[i] >= '0' && s->s[i] <= '9'; i++)
                n = n * 10 + (size_t)(s->s[i] - '0');
            if (i + 2 >= s->len || s->s[i] != '}' || s->s[i + 1] != '\r'
                || s->s[i + 2] != '\n' || n > s->len - i - 3)
                return 0;
            i += 2 + n;
        } else if (c == '(')
            depth++;
        else if (c == ')' && --depth < 0)
            return 0;
    }
    return depth == 0 && !q;
}

static size_t
section(const struct imapmsg *m, const char *sec, size_t n, struct str *o)
{
    str_reset(o);
    if (imapmsg_section(m, sec, n, o) == -1) {
        if (o->err)
            abort();  /* no memory limit is hit here */
        return (size_t)-1;
    }
    return o->len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *fixed[] = { "1", "2", "1.1", "1.MIME", "2.MIME",
        "1.2.MIME", "2.1", "2.HEADER", "2.TEXT", "1.1.1",
        "HEADER.FIELDS (From Subject)", "HEADER.FIELDS.NOT (Content-Type)",
        "1.HEADER.FIELDS (to)", NULL };
    const char *p = (const char *)data;
    struct imapmsg *m;
    struct str o = { 0 };
    uint64_t sz;
    size_t i, h, t, k;
    const char *nl;

    if (size > (1u << 20))
        return 0;
    m = imapmsg_parse(p, size);
    if (m == NULL)
        abort();
    sz = imapmsg_size(m);
    if (sz < size || sz > 2 * (uint64_t)size)
        abort();
    if (section(m, "", 0, &o) != sz)
        abort();
    for (i = 0; i < o.len; i++)
        if (o.s[i] == '\n' && (i == 0 || o.s[i - 1] != '\r'))
            abort();
    h = section(m, "HEADER", 6, &o);
    t = section(m, "TEXT", 4, &o);
    if (h == (size_t)-1 || t == (size_t)-1 || h + t != sz)
        abort();
    for (k = 0; k < 2; k++) {
        str_reset(&o);
        if (imapmsg_bodystructure(m, (int)k, &o) == -1 || !balanced(&o))
            abort();
    }
    str_reset(&o);
    if (imapmsg_envelope(m, &o) == -1 || !balanced(&o))
        abort();
    for (i = 0; fixed[i]; i++)
        if (section(m, fixed[i], strlen(fixed[i]), &o) > sz + 4)
            abort();
    /* the first line as a section spec, the second as a needle */
    nl = memchr(p, '\n', size);
    k = nl ? (size_t)(nl - p) : size;
    if (k <= 200) {
        str_reset(&o);
        str_putc(&o, 'x');
        if (imapmsg_section(m, p, k, &o) == -1) {
            if (o.len != 1)
                abort();
        } else if (o.len - 1 > sz + 4)
            abort();
    }
    if (nl) {
        const char *n2 = nl + 1, *e = memchr(n2, '\n', size - k - 1);
        size_t nlen = e ? (size_t)(e - n2) : size - k - 1;
        if (nlen > 64)
            nlen = 64;
        imapmsg_body_contains(m, n2, nlen);
        imapmsg_text_contains(m, n2, nlen);
        imapmsg_header_contains(m, "subject", n2, nlen);
        if (!imapmsg_text_contains(m, "", 0))
            abort();
    }
    imapmsg_sent_day(m);
    str_free(&o);
    imapmsg_free(m);
    return 0;
}
