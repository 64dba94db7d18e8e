/* envelope.c - text0 envelopes (see envelope.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

int
envelope_add_rcpt(struct envelope *e, const struct addr *a)
{
    struct addr *n;
    size_t cap;

    if (e->nrcpt >= ENVELOPE_RCPT_MAX) {
        errno = E2BIG;
        return -1;
    }
    if (e->nrcpt == e->cap) {
        /* cap <= 2 * ENVELOPE_RCPT_MAX: no overflow in the product. */
        cap = e->cap ? 2 * e->cap : 8;
        n = realloc(e->rcpt, cap * sizeof *n);
        if (n == NULL)
            return -1;
        e->rcpt = n;
        e->cap = cap;
    }
    e->rcpt[e->nrcpt++] = *a;
    return 0;
}

long
envelope_parse(const char *p, size_t len, struct envelope *e,
    const char **bad)
{
    size_t pos = 0, end;
    struct addr a;
    int have_sender = 0;

    memset(e, 0, sizeof *e);
    if (bad != NULL)
        *bad = NULL;
    if (len > ENVELOPE_MAX)
        len = ENVELOPE_MAX + 1;
    for (;;) {
        if (pos >= len)
            goto more;
        if (p[pos] == 0) {
            if (!have_sender || e->nrcpt == 0)
                goto proto;
            return (long)(pos + 1);
        }
        for (end = pos; end < len && p[end] != 0; end++)
            ;
        if (end == len) {
            if (len > ENVELOPE_MAX || end - pos > ADDR_MAX + 1)
                goto proto;
            goto more;
        }
        if (p[pos] == 'F' && !have_sender && e->nrcpt == 0) {
            if (addr_parse(p + pos + 1, end - pos - 1, 1, &e->sender) == -1)
                goto badaddr;
            have_sender = 1;
        } else if (p[pos] == 'T' && have_sender) {
            if (addr_parse(p + pos + 1, end - pos - 1, 0, &a) == -1)
                goto badaddr;
            if (envelope_add_rcpt(e, &a) == -1) {
                envelope_free(e);
                return -1;
            }
        } else {
            goto proto;
        }
        pos = end + 1;
    }
more:
    envelope_free(e);
    return 0;
badaddr:
    if (bad != NULL)
        *bad = p + pos;
    envelope_free(e);
    if (errno != E2BIG)
        errno = EINVAL;
    return -1;
proto:
    envelope_free(e);
    errno = EPROTO;
    return -1;
}

int
envelope_encode(const struct envelope *e, struct sa *out)
{
    size_t i;

    sa_truncate(out, 0);
    if (sa_appendc(out, 'F') == -1
        || sa_append(out, e->sender.full, strlen(e->sender.full) + 1) == -1)
        return -1;
    for (i = 0; i < e->nrcpt; i++)
        if (sa_appendc(out, 'T') == -1
            || sa_append(out, e->rcpt[i].full, strlen(e->rcpt[i].full) + 1)
                == -1)
            return -1;
    return sa_appendc(out, 0);
}

void
envelope_free(struct envelope *e)
{
    free(e->rcpt);
    e->rcpt = NULL;
    e->nrcpt = e->cap = 0;
}
