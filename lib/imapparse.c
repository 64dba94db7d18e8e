/* imapparse.c - taking an assembled IMAP command apart (see imapparse.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imapparse.h"

void
imapp_init(struct imapp *ip, const char *p, size_t n)
{
    ip->p = p;
    ip->n = n;
    ip->pos = 0;
}

int
imapp_peek(const struct imapp *ip)
{
    return ip->pos < ip->n ? (unsigned char)ip->p[ip->pos] : -1;
}

int
imapp_end(const struct imapp *ip)
{
    return ip->pos >= ip->n;
}

int
imapp_char(struct imapp *ip, char c)
{
    if (imapp_peek(ip) != (unsigned char)c)
        return 0;
    ip->pos++;
    return 1;
}

int
imapp_sp(struct imapp *ip)
{
    return imapp_char(ip, ' ') ? 1 : -1;
}

/* ATOM-CHAR: any CHAR except atom-specials "(){ %*\"\\]" and CTLs;
 * 8-bit bytes are not CHARs either. */
static int
atomchar(int c)
{
    return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

int
imapp_atom(struct imapp *ip, const char **s, size_t *len)
{
    size_t start = ip->pos;

    while (ip->pos < ip->n && atomchar((unsigned char)ip->p[ip->pos]))
        ip->pos++;
    if (ip->pos == start)
        return 0;
    *s = ip->p + start;
    *len = ip->pos - start;
    return 1;
}

int
imapp_flag(struct imapp *ip, const char **s, size_t *len)
{
    size_t start = ip->pos;
    int r;

    if (imapp_char(ip, '\\')) {
        if (imapp_char(ip, '*')) {
            *s = ip->p + start;
            *len = 2;
            return 1;
        }
        r = imapp_atom(ip, s, len);
        if (r != 1) {
            ip->pos = start;
            return -1;
        }
        *s = ip->p + start;
        (*len)++;
        return 1;
    }
    return imapp_atom(ip, s, len);
}

/* "{" number ["+"] "}" CRLF: the literal's length, with pos after the
 * CRLF.  0 when not at a literal, -1 when malformed or longer than the
 * rest of the buffer. */
static int
literal_head(struct imapp *ip, size_t *len)
{
    size_t pos = ip->pos, l = 0;
    int digits = 0;

    if (pos >= ip->n || ip->p[pos] != '{')
        return 0;
    pos++;
    while (pos < ip->n && ip->p[pos] >= '0' && ip->p[pos] <= '9') {
        if (l > (SIZE_MAX - 9) / 10)
            return -1;
        l = l * 10 + (size_t)(ip->p[pos] - '0');
        pos++;
        digits++;
    }
    if (digits == 0 || digits > 10)
        return -1;
    if (pos < ip->n && ip->p[pos] == '+')
        pos++;
    if (pos + 3 > ip->n || ip->p[pos] != '}' || ip->p[pos + 1] != '\r'
        || ip->p[pos + 2] != '\n')
        return -1;
    pos += 3;
    if (l > ip->n - pos)
        return -1;
    ip->pos = pos;
    *len = l;
    return 1;
}

int
imapp_string_ref(struct imapp *ip, const char **s, size_t *len)
{
    size_t start = ip->pos;
    int r = literal_head(ip, len);

    if (r != 1)
        return r;
    *s = ip->p + ip->pos;
    ip->pos += *len;
    (void)start;
    return 1;
}

int
imapp_string(struct imapp *ip, char *out, size_t max, size_t *len)
{
    size_t start = ip->pos, o = 0;
    const char *s;
    int r;

    if (imapp_char(ip, '"')) {
        for (;;) {
            int c = imapp_peek(ip);
            if (c == -1 || c == '\r' || c == '\n' || c == 0 || c >= 0x80)
                goto bad;
            ip->pos++;
            if (c == '"')
                break;
            if (c == '\\') {
                c = imapp_peek(ip);
                if (c != '"' && c != '\\')
                    goto bad;
                ip->pos++;
            }
            if (o + 1 >= max)
                goto bad;
            out[o++] = (char)c;
        }
        out[o] = 0;
        *len = o;
        return 1;
    }
    r = imapp_string_ref(ip, &s, len);
    if (r != 1)
        return r;
    if (*len + 1 > max || memchr(s, 0, *len) != NULL)
        goto bad;
    memcpy(out, s, *len);
    out[*len] = 0;
    return 1;
bad:
    ip->pos = start;
    return -1;
}

int
imapp_astring(struct imapp *ip, char *out, size_t max, size_t *len)
{
    size_t start = ip->pos, l;
    int r = imapp_string(ip, out, max, len);

    if (r != 0)
        return r;
    /* ASTRING-CHAR: ATOM-CHAR or "]" */
    while (ip->pos < ip->n && (atomchar((unsigned char)ip->p[ip->pos])
        || ip->p[ip->pos] == ']'))
        ip->pos++;
    l = ip->pos - start;
    if (l == 0)
        return 0;
    if (l + 1 > max) {
        ip->pos = start;
        return -1;
    }
    memcpy(out, ip->p + start, l);
    out[l] = 0;
    *len = l;
    return 1;
}

int
imapp_number64(struct imapp *ip, uint64_t *u)
{
    size_t start = ip->pos;
    uint64_t v = 0;

    while (ip->pos < ip->n && ip->p[ip->pos] >= '0' && ip->p[ip->pos] <= '9') {
        unsigned d = (unsigned)(ip->p[ip->pos] - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10) {
            ip->pos = start;
            return -1;
        }
        v = v * 10 + d;
        ip->pos++;
    }
    if (ip->pos == start)
        return 0;
    *u = v;
    return 1;
}

int
imapp_number(struct imapp *ip, uint32_t *u)
{
    size_t start = ip->pos;
    uint64_t v;
    int r = imapp_number64(ip, &v);

    if (r != 1)
        return r;
    if (v > UINT32_MAX) {
        ip->pos = start;
        return -1;
    }
    *u = (uint32_t)v;
    return 1;
}

/* seq-number: nz-number or "*" */
static int
seqnum(struct imapp *ip, uint64_t *u)
{
    uint32_t v;
    int r;

    if (imapp_char(ip, '*')) {
        *u = IMAP_STAR;
        return 1;
    }
    r = imapp_number(ip, &v);
    if (r != 1 || v == 0)
        return -1;
    *u = v;
    return 1;
}

int
imapp_seqset(struct imapp *ip, struct seqset *set)
{
    size_t start = ip->pos;

    set->n = 0;
    set->merged = 0;
    if (imapp_peek(ip) != '*' && (imapp_peek(ip) < '0' || imapp_peek(ip) > '9'))
        return 0;
    for (;;) {
        uint64_t a, b;
        if (seqnum(ip, &a) != 1)
            goto bad;
        b = a;
        if (imapp_char(ip, ':') && seqnum(ip, &b) != 1)
            goto bad;
        if (set->n == IMAP_SEQSET_MAX)
            goto bad;
        set->lo[set->n] = a < b ? a : b;
        set->hi[set->n] = a < b ? b : a;
        set->n++;
        if (!imapp_char(ip, ','))
            return 1;
    }
bad:
    ip->pos = start;
    set->n = 0;
    return -1;
}

void
seqset_resolve(struct seqset *set, uint32_t max)
{
    unsigned i;

    set->merged = 0;
    for (i = 0; i < set->n; i++) {
        uint64_t a = set->lo[i] == IMAP_STAR ? max : set->lo[i];
        uint64_t b = set->hi[i] == IMAP_STAR ? max : set->hi[i];
        set->lo[i] = a < b ? a : b;
        set->hi[i] = a < b ? b : a;
    }
}

static int
range_cmp(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

void
seqset_merge(struct seqset *set)
{
    static uint64_t r[IMAP_SEQSET_MAX][2];
    unsigned i, n = 0;

    set->merged = 1;
    if (set->n < 2)
        return;
    for (i = 0; i < set->n; i++) {
        r[i][0] = set->lo[i];
        r[i][1] = set->hi[i];
    }
    qsort(r, set->n, sizeof r[0], range_cmp);
    for (i = 1; i < set->n; i++) {
        if (r[i][0] <= r[n][1] + 1) {
            if (r[i][1] > r[n][1])
                r[n][1] = r[i][1];
        } else {
            n++;
            r[n][0] = r[i][0];
            r[n][1] = r[i][1];
        }
    }
    for (i = 0; i <= n; i++) {
        set->lo[i] = r[i][0];
        set->hi[i] = r[i][1];
    }
    set->n = n + 1;
}

int
seqset_has(const struct seqset *set, uint32_t u)
{
    unsigned i, lo = 0, hi = set->n;

    if (u == 0)
        return 0;
    if (!set->merged) {
        for (i = 0; i < set->n; i++)
            if (u >= set->lo[i] && u <= set->hi[i])
                return 1;
        return 0;
    }
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (u < set->lo[mid])
            hi = mid;
        else if (u > set->hi[mid])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

int64_t
imap_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";

/* d-Mon-yyyy (day of one or two digits, or space and a digit in a
 * date-time) at s[0..n): 0 with the days in *days and the bytes read in
 * *used, or -1. */
static int
parse_date(const char *s, size_t n, int64_t *days, size_t *used)
{
    size_t i = 0;
    unsigned d = 0, m, y = 0, k;
    char mon[4];

    if (i < n && s[i] == ' ')
        i++;
    for (k = 0; k < 2 && i < n && s[i] >= '0' && s[i] <= '9'; k++, i++)
        d = d * 10 + (unsigned)(s[i] - '0');
    if (k == 0 || d < 1 || d > 31)
        return -1;
    if (i + 9 > n || s[i] != '-' || s[i + 4] != '-')
        return -1;
    for (k = 0; k < 3; k++)
        mon[k] = (char)(s[i + 1 + k] | 0x20);
    mon[3] = 0;
    for (m = 0; m < 12; m++)
        if (memcmp(months + 3 * m, mon, 3) == 0)
            break;
    if (m == 12)
        return -1;
    i += 5;
    for (k = 0; k < 4; k++, i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        y = y * 10 + (unsigned)(s[i] - '0');
    }
    *used = i;
    *days = imap_days_from_civil(y, m + 1, d);
    return 0;
}

int
imapp_date(struct imapp *ip, int64_t *days)
{
    char buf[32];
    size_t len, used, start = ip->pos;
    int r = imapp_astring(ip, buf, sizeof buf, &len);

    if (r != 1)
        return r == 0 ? -1 : r;
    if (buf[0] == ' ' || parse_date(buf, len, days, &used) == -1
        || used != len) {
        ip->pos = start;
        return -1;
    }
    return 1;
}

int
imapp_datetime(struct imapp *ip, int64_t *t)
{
    char buf[40];
    size_t len, used, i, start = ip->pos;
    int64_t days;
    unsigned hh, mm, ss, zh, zm;
    int sign;
    int r = imapp_string(ip, buf, sizeof buf, &len);

    if (r != 1)
        return r == 0 ? -1 : r;
    if (parse_date(buf, len, &days, &used) == -1)
        goto bad;
    i = used;
    /* " hh:mm:ss +zzzz" */
    if (len - i != 15 || buf[i] != ' ' || buf[i + 3] != ':' || buf[i + 6] != ':'
        || buf[i + 9] != ' ' || (buf[i + 10] != '+' && buf[i + 10] != '-'))
        goto bad;
    for (size_t k = i + 1; k < len; k++)
        if (k != i + 3 && k != i + 6 && k != i + 9 && k != i + 10
            && (buf[k] < '0' || buf[k] > '9'))
            goto bad;
    hh = (unsigned)((buf[i + 1] - '0') * 10 + buf[i + 2] - '0');
    mm = (unsigned)((buf[i + 4] - '0') * 10 + buf[i + 5] - '0');
    ss = (unsigned)((buf[i + 7] - '0') * 10 + buf[i + 8] - '0');
    sign = buf[i + 10] == '-' ? -1 : 1;
    zh = (unsigned)((buf[i + 11] - '0') * 10 + buf[i + 12] - '0');
    zm = (unsigned)((buf[i + 13] - '0') * 10 + buf[i + 14] - '0');
    if (hh > 23 || mm > 59 || ss > 60 || zh > 23 || zm > 59)
        goto bad;
    *t = days * 86400 + hh * 3600 + mm * 60 + ss
        - sign * (int64_t)(zh * 3600 + zm * 60);
    return 1;
bad:
    ip->pos = start;
    return -1;
}

int
imap_tag_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > IMAP_TAG_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if (!(atomchar((unsigned char)s[i]) || s[i] == ']') || s[i] == '+')
            return 0;
    return 1;
}
