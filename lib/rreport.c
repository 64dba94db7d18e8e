/* rreport.c - remote-send's report (see rreport.h). */
#include <stdio.h>
#include <string.h>

#include "rreport.h"

static void
clean(char *dst, const char *src, size_t n)
{
    size_t i;

    for (i = 0; i < n && i < RREPORT_TEXT_MAX; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    dst[i] = 0;
}

void
rreport_line(char *out, size_t len, long index, char code, const char *text)
{
    char t[RREPORT_TEXT_MAX + 1];

    clean(t, text, strlen(text));
    if (index < 0)
        snprintf(out, len, "m %c %s\n", code, t);
    else
        snprintf(out, len, "r %ld %c %s\n", index, code, t);
}

static int
valid_code(char c)
{
    return c == 'A' || c == 'P' || c == 'T';
}

int
rreport_parse(const char *p, size_t len, struct rresult *r, size_t n,
    struct rresult *m)
{
    size_t i = 0;

    for (size_t k = 0; k < n; k++)
        r[k].code = 0, r[k].text[0] = 0;
    m->code = 0;
    m->text[0] = 0;
    while (i < len) {
        const char *l = p + i, *nl = memchr(l, '\n', len - i);
        size_t ll, pos = 2;
        struct rresult *dst;
        if (nl == NULL)
            return -1; /* a cut report */
        ll = (size_t)(nl - l);
        i += ll + 1;
        if (ll < 3 || l[1] != ' ')
            return -1;
        if (l[0] == 'm') {
            dst = m;
        } else if (l[0] == 'r') {
            unsigned long idx = 0;
            size_t d = 0;
            while (pos < ll && l[pos] >= '0' && l[pos] <= '9' && d < 9) {
                idx = idx * 10 + (unsigned long)(l[pos++] - '0');
                d++;
            }
            if (d == 0 || pos >= ll || l[pos] != ' ' || idx >= n)
                return -1;
            pos++;
            dst = &r[idx];
        } else {
            return -1;
        }
        if (pos >= ll || !valid_code(l[pos])
            || (pos + 1 < ll && l[pos + 1] != ' '))
            return -1;
        dst->code = l[pos];
        pos += 2;
        if (pos < ll)
            clean(dst->text, l + pos, ll - pos);
        else
            dst->text[0] = 0;
    }
    return 0;
}
