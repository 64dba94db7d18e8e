/* smtpcmd.c - SMTP command lines (see smtpcmd.h). */
#include <string.h>
#include <strings.h>

#include "dnsname.h"
#include "limits.h"
#include "smtpcmd.h"

static const struct {
    const char *name;
    enum smtp_verb verb;
} verbs[] = {
    { "HELO", SMTP_HELO }, { "EHLO", SMTP_EHLO }, { "MAIL", SMTP_MAIL },
    { "RCPT", SMTP_RCPT }, { "DATA", SMTP_DATA }, { "BDAT", SMTP_BDAT },
    { "RSET", SMTP_RSET }, { "NOOP", SMTP_NOOP }, { "QUIT", SMTP_QUIT },
    { "VRFY", SMTP_VRFY }, { "EXPN", SMTP_EXPN }, { "HELP", SMTP_HELP },
    { "STARTTLS", SMTP_STARTTLS }, { "AUTH", SMTP_AUTH },
};

int
smtpcmd_split(const char *line, size_t len, struct smtp_cmd *c)
{
    size_t i, v;

    if (len + 2 > SMTP_CMD_MAX)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned char b = (unsigned char)line[i];
        if ((b < 0x20 && b != '\t') || b == 0x7f)
            return -1;
    }
    for (v = 0; v < len && line[v] != ' '; v++)
        ;
    memset(c, 0, sizeof *c);
    c->verb = SMTP_UNKNOWN;
    for (i = 0; i < v && i < sizeof c->name - 1; i++) {
        unsigned char b = (unsigned char)line[i];
        c->name[i] = (char)(b >= 'a' && b <= 'z' ? b - 32
                : b > 0x20 && b < 0x7f ? b : '?');
    }
    c->name[i] = 0;
    for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strlen(verbs[i].name) == v
            && strncasecmp(line, verbs[i].name, v) == 0) {
            c->verb = verbs[i].verb;
            break;
        }
    }
    c->arg = v < len ? line + v + 1 : line + len;
    c->arglen = v < len ? len - v - 1 : 0;
    return 0;
}

/* End of the <...> that starts at s[0] == '<': a '>' outside quotes.
 * Returns its index, or 0 when there is none. */
static size_t
path_end(const char *s, size_t n)
{
    size_t i;
    int q = 0;

    for (i = 1; i < n; i++) {
        if (q && s[i] == '\\' && i + 1 < n) {
            i++;
            continue;
        }
        if (s[i] == '"')
            q = !q;
        else if (!q && s[i] == '>')
            return i;
    }
    return 0;
}

/* A source route "@a,@b:" at the start of s (n bytes): returns its length
 * (0 if s has none, -1 if it is malformed). */
static long
route_len(const char *s, size_t n)
{
    size_t i = 0;
    char tmp[DNSNAME_MAX + 2];

    if (n == 0 || s[0] != '@')
        return 0;
    for (;;) {
        size_t st;
        if (i >= n || s[i] != '@')
            return -1;
        st = ++i;
        while (i < n && s[i] != ',' && s[i] != ':')
            i++;
        if (i >= n || dnsname_canon(tmp, sizeof tmp, s + st, i - st) == -1)
            return -1;
        if (s[i] == ':')
            return (long)i + 1;
        i++; /* ',' */
    }
}

static int
param(const char *k, size_t kn, const char *name)
{
    return strlen(name) == kn && strncasecmp(k, name, kn) == 0;
}

int
smtpcmd_path(const char *arg, size_t n, int is_mail, struct smtp_path *p,
    const char **reply)
{
    const char *prefix = is_mail ? "FROM:" : "TO:";
    size_t pl = strlen(prefix), e, i, np = 0;
    const char *s, *bad_addr = is_mail
        ? "501 5.1.7 bad sender address syntax"
        : "501 5.1.3 bad recipient address syntax";
    long rl;
    int seen_size = 0, seen_body = 0;

    memset(p, 0, sizeof *p);
    *reply = is_mail ? "501 5.5.4 syntax: MAIL FROM:<address>"
                     : "501 5.5.4 syntax: RCPT TO:<address>";
    if (n < pl || strncasecmp(arg, prefix, pl) != 0)
        return -1;
    arg += pl;
    n -= pl;
    if (n > 0 && arg[0] == ' ') {
        arg++;
        n--;
    }
    if (n == 0 || arg[0] != '<' || (e = path_end(arg, n)) == 0)
        return -1;
    s = arg + 1;
    rl = route_len(s, e - 1);
    if (rl == -1) {
        *reply = bad_addr;
        return -1;
    }
    s += rl;
    if (e - 1 - (size_t)rl == 0) {
        if (!is_mail) {
            *reply = "501 5.1.3 a recipient cannot be empty";
            return -1;
        }
    } else if (!is_mail && e - 1 - (size_t)rl == 10
        && strncasecmp(s, "postmaster", 10) == 0) {
        p->postmaster = 1;
    } else if (addr_parse(s, e - 1 - (size_t)rl, 0, &p->a) == -1) {
        *reply = bad_addr;
        return -1;
    }
    for (i = 0; p->a.full[i]; i++)
        if ((unsigned char)p->a.full[i] >= 0x80)
            p->nonascii = 1;
    /* Parameters: " KEY[=VALUE]" each. */
    i = e + 1;
    while (i < n) {
        size_t ks, kn, vs = 0, vn = 0;
        if (arg[i] != ' ') {
            *reply = "501 5.5.4 syntax error after the address";
            return -1;
        }
        while (i < n && arg[i] == ' ')
            i++;
        if (i == n)
            break;
        if (++np > SMTP_PARAMS_MAX) {
            *reply = "501 5.5.4 too many parameters";
            return -1;
        }
        ks = i;
        while (i < n && arg[i] != ' ' && arg[i] != '=')
            i++;
        kn = i - ks;
        if (i < n && arg[i] == '=') {
            vs = ++i;
            while (i < n && arg[i] != ' ')
                i++;
            vn = i - vs;
        }
        if (is_mail && param(arg + ks, kn, "SIZE") && vn > 0 && !seen_size) {
            uint64_t v = 0;
            size_t k;
            if (vn > 20) {
                *reply = "501 5.5.4 bad SIZE value";
                return -1;
            }
            for (k = 0; k < vn; k++) {
                unsigned d = (unsigned char)arg[vs + k] - '0';
                if (d > 9 || v > (UINT64_MAX - d) / 10) {
                    *reply = "501 5.5.4 bad SIZE value";
                    return -1;
                }
                v = v * 10 + d;
            }
            p->has_size = seen_size = 1;
            p->size = v;
        } else if (is_mail && param(arg + ks, kn, "BODY") && !seen_body
            && (param(arg + vs, vn, "7BIT") || param(arg + vs, vn, "8BITMIME"))) {
            seen_body = 1;
            p->body8 = vn == 8;
        } else if (is_mail && param(arg + ks, kn, "SMTPUTF8") && vn == 0
            && vs == 0 && !p->smtputf8) {
            p->smtputf8 = 1;
        } else {
            *reply = "555 5.5.4 unsupported parameter";
            return -1;
        }
    }
    return 0;
}

int
smtpcmd_helo(const char *arg, size_t n)
{
    size_t i;

    if (n == 0 || n > 255)
        return -1;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)arg[i];
        if (c <= 0x20 || c >= 0x7f || strchr("()\"\\<>", c) != NULL)
            return -1;
    }
    return 0;
}
