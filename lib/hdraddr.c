/* hdraddr.c - address lists of header fields (see hdraddr.h).
 *
 * A first pass turns the value into tokens with comments removed and
 * quoted strings kept whole; the second walks mailboxes and groups. */
#include <errno.h>
#include <string.h>

#include "hdraddr.h"

/* Strip comments (outside quoted strings); quoted strings, escapes and
 * domain literals are copied as they are.  -1 if unbalanced. */
static int
strip(const char *s, size_t n, char *out, size_t *olen)
{
    size_t i, o = 0;
    int depth = 0, quoted = 0, lit = 0;

    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && (quoted || depth > 0)) {
            if (++i >= n)
                return -1;
            if (depth == 0) {
                out[o++] = c;
                out[o++] = s[i];
            }
            continue;
        }
        if (depth > 0) {
            if (c == '(' && ++depth > HDRADDR_DEPTH)
                return -1;
            if (c == ')')
                depth--;
            continue;
        }
        if (quoted) {
            if (c == '"')
                quoted = 0;
            out[o++] = c;
            continue;
        }
        if (lit) {
            if (c == ']')
                lit = 0;
            out[o++] = c;
            continue;
        }
        if (c == '(') {
            depth = 1;
            out[o++] = ' '; /* a comment separates like a space */
            continue;
        }
        if (c == ')')
            return -1;
        if (c == '"')
            quoted = 1;
        if (c == '[')
            lit = 1;
        out[o++] = c;
    }
    if (depth || quoted || lit)
        return -1;
    *olen = o;
    return 0;
}

/* Trim spaces, tabs, CR, LF at both ends of [*b, *e). */
static void
trim(const char **b, const char **e)
{
    while (*b < *e && strchr(" \t\r\n", **b) && **b)
        (*b)++;
    while (*e > *b && strchr(" \t\r\n", (*e)[-1]) && (*e)[-1])
        (*e)--;
}

/* Next top-level occurrence of one of set in [p, end), outside quotes and
 * angle brackets and literals; end if none. */
static const char *
next_of(const char *p, const char *end, const char *set)
{
    int quoted = 0, angle = 0, lit = 0;

    for (; p < end; p++) {
        if (quoted) {
            if (*p == '\\')
                p++;
            else if (*p == '"')
                quoted = 0;
            continue;
        }
        if (*p == '"')
            quoted = 1;
        else if (*p == '[')
            lit = 1;
        else if (*p == ']')
            lit = 0;
        else if (!lit && *p == '<')
            angle++;
        else if (!lit && *p == '>' && angle > 0)
            angle--;
        else if (!angle && !lit && strchr(set, *p) && *p)
            return p;
    }
    return end;
}

static int
add_mailbox(const char *b, const char *e, struct envelope *env)
{
    const char *lt, *gt;
    struct addr a;

    trim(&b, &e);
    if (b == e)
        return 0; /* empty list element: allowed (obs-list) */
    /* the '<' of an angle-addr, not one inside a quoted display name */
    {
        const char *q;
        int quoted = 0;
        lt = NULL;
        for (q = b; q < e && lt == NULL; q++) {
            if (quoted && *q == '\\')
                q++;
            else if (*q == '"')
                quoted = !quoted;
            else if (!quoted && *q == '<')
                lt = q;
        }
    }
    if (lt != NULL) {
        gt = memchr(lt, '>', (size_t)(e - lt));
        if (gt == NULL || gt + 1 != e)
            goto bad;
        b = lt + 1;
        e = gt;
        trim(&b, &e);
        /* obsolete route: @a,@b:addr-spec */
        if (b < e && *b == '@') {
            const char *colon = memchr(b, ':', (size_t)(e - b));
            if (colon == NULL)
                goto bad;
            b = colon + 1;
        }
        trim(&b, &e);
    }
    if (addr_parse(b, (size_t)(e - b), 0, &a) == -1)
        goto bad;
    if (envelope_add_rcpt(env, &a) == -1)
        return -1;
    return 1;
bad:
    errno = EINVAL;
    return -1;
}

int
hdraddr_parse(const char *s, size_t n, struct envelope *env)
{
    char buf[8192];
    const char *p, *end, *item;
    size_t len;
    int added = 0, r;

    if (n >= sizeof buf || strip(s, n, buf, &len) == -1) {
        errno = n >= sizeof buf ? E2BIG : EINVAL;
        return -1;
    }
    p = buf;
    end = buf + len;
    while (p < end) {
        item = next_of(p, end, ",:");
        if (item < end && *item == ':') {
            /* a group: name: members; */
            const char *semi = next_of(item + 1, end, ";");
            const char *m = item + 1;
            if (semi == end)
                goto bad;
            while (m < semi) {
                const char *comma = next_of(m, semi, ",");
                if ((r = add_mailbox(m, comma, env)) == -1)
                    return -1;
                if ((added += r) > HDRADDR_MAX)
                    goto big;
                m = comma < semi ? comma + 1 : semi;
            }
            p = semi + 1;
            {
                const char *q = p;
                while (q < end && strchr(" \t\r\n", *q) && *q)
                    q++;
                if (q < end && *q != ',')
                    goto bad;
                p = q < end ? q + 1 : end;
            }
            continue;
        }
        if ((r = add_mailbox(p, item, env)) == -1)
            return -1;
        if ((added += r) > HDRADDR_MAX)
            goto big;
        p = item < end ? item + 1 : end;
    }
    return added;
bad:
    errno = EINVAL;
    return -1;
big:
    errno = E2BIG;
    return -1;
}
