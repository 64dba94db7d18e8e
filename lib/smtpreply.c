/* smtpreply.c - SMTP replies (see smtpreply.h). */
#include <string.h>
#include <strings.h>

#include "smtpreply.h"

void
smtpreply_init(struct smtpreply *r)
{
    memset(r, 0, sizeof *r);
}

/* Append printable text to r->text (capped). */
static void
keep(struct smtpreply *r, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n && r->tlen < SMTPREPLY_TEXT_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        r->text[r->tlen++] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    r->text[r->tlen] = 0;
}

static int
word(const char *s, size_t n, const char *w)
{
    size_t l = strlen(w);

    return n >= l && strncasecmp(s, w, l) == 0 && (n == l || s[l] == ' '
        || s[l] == '=');
}

static void
keyword(struct smtpreply *r, const char *s, size_t n)
{
    if (word(s, n, "PIPELINING"))
        r->ehlo |= EHLO_PIPELINING;
    else if (word(s, n, "STARTTLS"))
        r->ehlo |= EHLO_STARTTLS;
    else if (word(s, n, "8BITMIME"))
        r->ehlo |= EHLO_8BITMIME;
    else if (word(s, n, "SMTPUTF8"))
        r->ehlo |= EHLO_SMTPUTF8;
    else if (word(s, n, "CHUNKING"))
        r->ehlo |= EHLO_CHUNKING;
    else if (word(s, n, "SIZE")) {
        uint64_t v = 0;
        size_t i = 4;
        r->ehlo |= EHLO_SIZE;
        while (i < n && s[i] == ' ')
            i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (v > (UINT64_MAX - 9) / 10)
                break;
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
        r->size = v;
    } else if (word(s, n, "AUTH")) {
        size_t i = 4;
        while (i < n) {
            size_t st;
            while (i < n && (s[i] == ' ' || s[i] == '='))
                i++;
            st = i;
            while (i < n && s[i] != ' ')
                i++;
            if (i - st == 5 && strncasecmp(s + st, "PLAIN", 5) == 0)
                r->ehlo |= EHLO_AUTH_PLAIN;
            if (i - st == 5 && strncasecmp(s + st, "LOGIN", 5) == 0)
                r->ehlo |= EHLO_AUTH_LOGIN;
        }
    }
}

int
smtpreply_line(struct smtpreply *r, const char *line, size_t n)
{
    int code;

    if (n < 3 || n > SMTPREPLY_LINE_MAX || r->lines >= SMTPREPLY_LINES_MAX)
        return -1;
    if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9'
        || line[2] < '0' || line[2] > '9')
        return -1;
    if (n > 3 && line[3] != ' ' && line[3] != '-')
        return -1;
    code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (r->lines > 0 && code != r->code)
        return -1;
    if (r->lines == 0) {
        r->code = code;
        keep(r, line, n);
    } else {
        if (code == 250 && n > 4)
            keyword(r, line + 4, n - 4);
        if (r->tlen + 3 < SMTPREPLY_TEXT_MAX && n > 4) {
            keep(r, " / ", 3);
            keep(r, line + 4, n - 4);
        }
    }
    r->lines++;
    return n == 3 || line[3] == ' ';
}
