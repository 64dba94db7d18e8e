/* rcpt.c - the one resolution of local recipients (see rcpt.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rcpt.h"

int
rcpt_open(struct rcpt_tables *t, const char *conf)
{
    static const char *const names[3] = { "domains.cdb", "mailboxes.cdb",
        "aliases.cdb" };
    struct cdbq *q[3] = { &t->domains, &t->mailboxes, &t->aliases };
    char path[4096];
    int i, e;

    for (i = 0; i < 3; i++)
        q[i]->fd = -1;
    for (i = 0; i < 3; i++) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s", conf, names[i])
                >= sizeof path
            || cdbq_open(q[i], path) == -1) {
            e = errno == 0 ? ENAMETOOLONG : errno;
            rcpt_close(t);
            errno = e;
            return -1;
        }
    }
    return 0;
}

void
rcpt_close(struct rcpt_tables *t)
{
    cdbq_close(&t->domains);
    cdbq_close(&t->mailboxes);
    cdbq_close(&t->aliases);
}

int
rcpt_local_domain(struct rcpt_tables *t, const char *domain)
{
    struct sa v = SA_INIT(RCPT_VALUE_MAX);
    int r = cdbq_find(&t->domains, domain, strlen(domain), &v);

    sa_free(&v);
    return r;
}

int
rcpt_lookup(struct cdbq *q, const char *local, size_t llen,
    const char *domain, char *key, size_t keylen, struct sa *val)
{
    int pass, r, upper = 0;
    size_t i;

    for (pass = 0; pass < 2; pass++) {
        int n = snprintf(key, keylen, "%.*s@%s", (int)llen, local, domain);
        if (n < 0 || (size_t)n >= keylen)
            return 0;
        if (pass == 1) {
            if (!upper)
                return 0;
            for (i = 0; i < llen; i++)
                if (key[i] >= 'A' && key[i] <= 'Z')
                    key[i] = (char)(key[i] + 32);
        }
        r = cdbq_find(q, key, strlen(key), val);
        if (r != 0)
            return r;
        for (i = 0; i < llen; i++)
            if (local[i] >= 'A' && local[i] <= 'Z')
                upper = 1;
    }
    return 0;
}

int
rcpt_resolve(struct rcpt_tables *t, const struct addr *a, struct rcpt_res *r,
    struct sa *val)
{
    const char *plus = NULL;
    size_t llen = strlen(a->local), blen = llen;
    int x;

    memset(r, 0, sizeof *r);
    r->kind = RCPT_NONE;
    if (a->full[0] == 0)
        return RCPT_NONE;
    x = rcpt_local_domain(t, a->domain);
    if (x <= 0)
        return x;
    /* A quoted local part has no tag: its '+' is just a character. */
    if (a->local[0] != '"')
        plus = strchr(a->local, '+');
    if (plus == a->local)
        plus = NULL;
    if (plus != NULL)
        blen = (size_t)(plus - a->local);

    x = rcpt_lookup(&t->mailboxes, a->local, llen, a->domain, r->key,
        sizeof r->key, val);
    if (x == 0 && plus != NULL) {
        x = rcpt_lookup(&t->mailboxes, a->local, blen, a->domain, r->key,
            sizeof r->key, val);
        if (x == 1)
            snprintf(r->tag, sizeof r->tag, "%s", plus + 1);
    }
    if (x != 0)
        return x == -1 ? -1 : (int)(r->kind = RCPT_MAILBOX);

    x = rcpt_lookup(&t->aliases, a->local, llen, a->domain, r->key,
        sizeof r->key, val);
    if (x == 0 && plus != NULL)
        x = rcpt_lookup(&t->aliases, a->local, blen, a->domain, r->key,
            sizeof r->key, val);
    if (x == 0)
        x = rcpt_lookup(&t->aliases, "", 0, a->domain, r->key,
            sizeof r->key, val);
    if (x != 0)
        return x == -1 ? -1 : (int)(r->kind = RCPT_ALIAS);

    if (strcasecmp(a->local, "postmaster") == 0
        || strcasecmp(a->local, "abuse") == 0) {
        snprintf(r->key, sizeof r->key, "%s", a->full);
        return (int)(r->kind = RCPT_POSTMASTER);
    }
    return RCPT_NONE;
}
