/* qinfo.c - queue-run's per-message state file (see qinfo.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "qinfo.h"

int
qinfo_add(struct qinfo *q, const char *addr)
{
    struct qrcpt *r;

    if (q->n >= ENVELOPE_RCPT_MAX || strlen(addr) > ADDR_MAX) {
        errno = E2BIG;
        return -1;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 4;
        r = realloc(q->r, cap * sizeof *r);
        if (r == NULL)
            return -1;
        q->r = r;
        q->cap = cap;
    }
    r = &q->r[q->n++];
    memset(r, 0, sizeof *r);
    memcpy(r->addr, addr, strlen(addr) + 1);
    r->state = R_PENDING;
    return 0;
}

void
qinfo_reason(struct qrcpt *r, const char *s, size_t n)
{
    size_t i, o = 0;

    for (i = 0; i < n && o < QINFO_REASON_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || c == '\r')
            c = ' ';
        r->reason[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    while (o > 0 && r->reason[o - 1] == ' ')
        o--;
    r->reason[o] = 0;
}

static int
num(const char *s, int64_t *v)
{
    char *end;
    long long x;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    x = strtoll(s, &end, 10);
    if (errno || *end != 0 || x < 0)
        return -1;
    *v = x;
    return 0;
}

int
qinfo_parse(const char *p, size_t len, struct qinfo *q)
{
    char line[QINFO_LINE_MAX + 1];
    size_t pos = 0, n;
    int64_t v;
    int first = 1, have_created = 0;
    struct addr a;

    memset(q, 0, sizeof *q);
    while (pos < len) {
        const char *nl = memchr(p + pos, '\n', len - pos);
        if (nl == NULL)
            goto bad; /* every line ends with LF */
        n = (size_t)(nl - (p + pos));
        if (n > QINFO_LINE_MAX || memchr(p + pos, 0, n) != NULL)
            goto bad;
        memcpy(line, p + pos, n);
        line[n] = 0;
        pos += n + 1;
        if (first) {
            if (strcmp(line, "facteur-info 1") != 0)
                goto bad;
            first = 0;
        } else if (strncmp(line, "created ", 8) == 0) {
            if (num(line + 8, &q->created) == -1)
                goto bad;
            have_created = 1;
        } else if (strncmp(line, "next ", 5) == 0) {
            if (num(line + 5, &q->next) == -1)
                goto bad;
        } else if (strncmp(line, "tries ", 6) == 0) {
            if (num(line + 6, &v) == -1 || v > 1000000)
                goto bad;
            q->tries = (unsigned)v;
        } else if (strncmp(line, "bounced ", 8) == 0) {
            if (strcmp(line + 8, "0") && strcmp(line + 8, "1"))
                goto bad;
            q->bounced = line[8] == '1';
        } else if (strncmp(line, "warned ", 7) == 0) {
            if (strcmp(line + 7, "0") && strcmp(line + 7, "1"))
                goto bad;
            q->warned = line[7] == '1';
        } else if (strncmp(line, "sender ", 7) == 0 || strcmp(line, "sender")
            == 0) {
            const char *s = line[6] ? line + 7 : "";
            if (addr_parse(s, strlen(s), 1, &a) == -1
                || strcmp(a.full, s) != 0)
                goto bad;
            memcpy(q->sender, a.full, strlen(a.full) + 1);
        } else if (strncmp(line, "r ", 2) == 0 && n >= 5
            && (line[2] == R_PENDING || line[2] == R_DONE
                || line[2] == R_FAILED)
            && line[3] == ' ') {
            char *addr = line + 4, *sp = strchr(addr, ' ');
            if (sp != NULL)
                *sp = 0;
            if (addr_parse(addr, strlen(addr), 0, &a) == -1
                || strcmp(a.full, addr) != 0 || qinfo_add(q, a.full) == -1)
                goto bad;
            q->r[q->n - 1].state = line[2];
            if (sp != NULL)
                qinfo_reason(&q->r[q->n - 1], sp + 1, strlen(sp + 1));
        } else {
            goto bad;
        }
    }
    if (first || !have_created || q->n == 0)
        goto bad;
    return 0;
bad:
    qinfo_free(q);
    errno = EPROTO;
    return -1;
}

int
qinfo_encode(const struct qinfo *q, struct sa *out)
{
    char l[64 + ADDR_MAX + QINFO_REASON_MAX];
    size_t i;

    sa_truncate(out, 0);
    snprintf(l, sizeof l,
        "facteur-info 1\ncreated %" PRId64 "\nsender %s\ntries %u\n"
        "next %" PRId64 "\nbounced %d\nwarned %d\n",
        q->created, q->sender, q->tries, q->next, q->bounced, q->warned);
    if (sa_appends(out, l) == -1)
        return -1;
    for (i = 0; i < q->n; i++) {
        snprintf(l, sizeof l, "r %c %s%s%s\n", q->r[i].state, q->r[i].addr,
            q->r[i].reason[0] ? " " : "", q->r[i].reason);
        if (sa_appends(out, l) == -1)
            return -1;
    }
    return 0;
}

void
qinfo_free(struct qinfo *q)
{
    free(q->r);
    q->r = NULL;
    q->n = q->cap = 0;
}
