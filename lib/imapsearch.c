/* imapsearch.c - IMAP SEARCH: parsing a program, matching messages (see
 * imapsearch.h).
 *
 * The program is a tree kept in one array of nodes (node 0 is the
 * implicit AND of the top-level keys), linked by index: an AND's or OR's
 * children through first/next, NOT's single child as first.  Parsing is
 * recursive descent and matching a recursive walk; both are bounded by
 * IMAP_DEPTH_MAX, which the parser enforces, and the array by
 * SEARCH_KEYS_MAX.
 *
 * Each node knows whether its subtree needs the message file.  An AND
 * tries its cheap children first and an OR its cheap side first, so a
 * message is loaded only when the answer still depends on it, and then
 * once.
 *
 * Sequence and UID sets are resolved at parse time, then sorted and
 * merged so that matching a message is a binary search, not a walk over
 * up to IMAP_SEQSET_MAX ranges.
 */
#include <stdlib.h>
#include <string.h>

#include "imapmsg.h"
#include "imapsearch.h"

enum search_kind {
    SK_ALL,        /* also UNKEYWORD of a keyword the mailbox lacks */
    SK_NONE,       /* KEYWORD of a keyword the mailbox lacks */
    SK_FLAGS,      /* set flags all on, clear flags all off */
    SK_BEFORE, SK_ON, SK_SINCE,             /* internal date's day */
    SK_SENTBEFORE, SK_SENTON, SK_SENTSINCE, /* Date: header's day */
    SK_LARGER, SK_SMALLER,
    SK_SEQ, SK_UID,
    SK_HEADER,     /* FROM, TO, CC, BCC, SUBJECT too */
    SK_BODY, SK_TEXT,
    SK_NOT, SK_OR, SK_AND
};

struct search_range {
    uint32_t lo, hi;
};

struct search_node {
    unsigned char kind;
    unsigned char needs;   /* the subtree needs the message */
    int first, next;       /* children; the next sibling; -1: none */
    union {
        struct {
            unsigned set, clear;
            uint32_t kwset, kwclear;
        } f;
        int64_t day;
        uint64_t size;
        struct {
            struct search_range *r;
            size_t n;
        } set;
        struct {
            char *field;   /* HEADER only */
            char *s;
            size_t len;
        } str;
    } u;
};

struct search {
    struct search_node node[SEARCH_KEYS_MAX + 1]; /* node 0: the root */
    unsigned n;
};

/* What a key takes after its name. */
enum search_arg {
    SA_NONE, SA_STRING, SA_HEADER, SA_DATE, SA_NUMBER, SA_KEYWORD,
    SA_UNKEYWORD, SA_UIDSET, SA_NOT, SA_OR
};

static const struct search_keydef {
    const char *name;
    unsigned char kind, arg;
    unsigned set, clear;   /* SK_FLAGS */
    const char *field;     /* SK_HEADER for FROM etc. */
} search_keys[] = {
    { "ALL", SK_ALL, SA_NONE, 0, 0, NULL },
    { "ANSWERED", SK_FLAGS, SA_NONE, IMAPF_ANSWERED, 0, NULL },
    { "BCC", SK_HEADER, SA_STRING, 0, 0, "Bcc" },
    { "BEFORE", SK_BEFORE, SA_DATE, 0, 0, NULL },
    { "BODY", SK_BODY, SA_STRING, 0, 0, NULL },
    { "CC", SK_HEADER, SA_STRING, 0, 0, "Cc" },
    { "DELETED", SK_FLAGS, SA_NONE, IMAPF_DELETED, 0, NULL },
    { "DRAFT", SK_FLAGS, SA_NONE, IMAPF_DRAFT, 0, NULL },
    { "FLAGGED", SK_FLAGS, SA_NONE, IMAPF_FLAGGED, 0, NULL },
    { "FROM", SK_HEADER, SA_STRING, 0, 0, "From" },
    { "HEADER", SK_HEADER, SA_HEADER, 0, 0, NULL },
    { "KEYWORD", SK_FLAGS, SA_KEYWORD, 0, 0, NULL },
    { "LARGER", SK_LARGER, SA_NUMBER, 0, 0, NULL },
    { "NEW", SK_FLAGS, SA_NONE, IMAPF_RECENT, IMAPF_SEEN, NULL },
    { "NOT", SK_NOT, SA_NOT, 0, 0, NULL },
    { "OLD", SK_FLAGS, SA_NONE, 0, IMAPF_RECENT, NULL },
    { "ON", SK_ON, SA_DATE, 0, 0, NULL },
    { "OR", SK_OR, SA_OR, 0, 0, NULL },
    { "RECENT", SK_FLAGS, SA_NONE, IMAPF_RECENT, 0, NULL },
    { "SEEN", SK_FLAGS, SA_NONE, IMAPF_SEEN, 0, NULL },
    { "SENTBEFORE", SK_SENTBEFORE, SA_DATE, 0, 0, NULL },
    { "SENTON", SK_SENTON, SA_DATE, 0, 0, NULL },
    { "SENTSINCE", SK_SENTSINCE, SA_DATE, 0, 0, NULL },
    { "SINCE", SK_SINCE, SA_DATE, 0, 0, NULL },
    { "SMALLER", SK_SMALLER, SA_NUMBER, 0, 0, NULL },
    { "SUBJECT", SK_HEADER, SA_STRING, 0, 0, "Subject" },
    { "TEXT", SK_TEXT, SA_STRING, 0, 0, NULL },
    { "TO", SK_HEADER, SA_STRING, 0, 0, "To" },
    { "UID", SK_UID, SA_UIDSET, 0, 0, NULL },
    { "UNANSWERED", SK_FLAGS, SA_NONE, 0, IMAPF_ANSWERED, NULL },
    { "UNDELETED", SK_FLAGS, SA_NONE, 0, IMAPF_DELETED, NULL },
    { "UNDRAFT", SK_FLAGS, SA_NONE, 0, IMAPF_DRAFT, NULL },
    { "UNFLAGGED", SK_FLAGS, SA_NONE, 0, IMAPF_FLAGGED, NULL },
    { "UNKEYWORD", SK_FLAGS, SA_UNKEYWORD, 0, 0, NULL },
    { "UNSEEN", SK_FLAGS, SA_NONE, 0, IMAPF_SEEN, NULL },
};

/* System flags accepted after KEYWORD / UNKEYWORD (as Dovecot does). */
static const struct {
    const char *name;
    unsigned flag;
} search_sysflags[] = {
    { "\\Seen", IMAPF_SEEN }, { "\\Answered", IMAPF_ANSWERED },
    { "\\Flagged", IMAPF_FLAGGED }, { "\\Deleted", IMAPF_DELETED },
    { "\\Draft", IMAPF_DRAFT }, { "\\Recent", IMAPF_RECENT },
};

/* The parser's state. */
struct search_parser {
    struct imapp *ip;
    const struct search_env *env;
    struct search *s;
    char *tmp;              /* room for any string left in the buffer */
    size_t tmpmax;
    struct seqset *set;     /* scratch for sequence sets (32 KB) */
    int err;
    const char *errtext;
};

/* ASCII case-insensitive: is s[0..n) the C string name? */
static int
search_eq(const char *s, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)name[i];
        if (b == 0)
            return 0;
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b + 32);
        if (a != b)
            return 0;
    }
    return name[n] == 0;
}

static int
search_fail(struct search_parser *p, int err, const char *text)
{
    if (p->err == 0) {
        p->err = err;
        p->errtext = text;
    }
    return -1;
}

/* A new node, or -1 past SEARCH_KEYS_MAX. */
static int
search_node_new(struct search_parser *p, unsigned char kind)
{
    struct search_node *k;

    if (p->s->n >= SEARCH_KEYS_MAX + 1)
        return search_fail(p, SEARCH_ESYNTAX, "too many search keys");
    k = &p->s->node[p->s->n];
    memset(k, 0, sizeof *k);
    k->kind = kind;
    k->first = k->next = -1;
    return (int)p->s->n++;
}

static int
search_sp(struct search_parser *p)
{
    if (imapp_sp(p->ip) != 1)
        return search_fail(p, SEARCH_ESYNTAX, "expected a space");
    return 0;
}

/* An astring copied to the heap (*out, *len). */
static int
search_string(struct search_parser *p, char **out, size_t *len)
{
    if (imapp_astring(p->ip, p->tmp, p->tmpmax, len) != 1)
        return search_fail(p, SEARCH_ESYNTAX, "bad search string");
    *out = malloc(*len + 1);
    if (*out == NULL)
        return search_fail(p, SEARCH_ENOMEM, "out of memory");
    memcpy(*out, p->tmp, *len + 1);
    return 0;
}

static int
search_range_cmp(const void *a, const void *b)
{
    const struct search_range *x = a, *y = b;

    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* A sequence set, resolved against max, as sorted disjoint ranges. */
static int
search_set(struct search_parser *p, struct search_node *k, uint32_t max)
{
    struct seqset *set = p->set;
    struct search_range *r;
    size_t n = 0, i;

    if (imapp_seqset(p->ip, set) != 1)
        return search_fail(p, SEARCH_ESYNTAX, "bad sequence set");
    seqset_resolve(set, max);
    r = malloc(set->n * sizeof *r);
    if (r == NULL)
        return search_fail(p, SEARCH_ENOMEM, "out of memory");
    for (i = 0; i < set->n; i++) {
        /* "*" of an empty mailbox is 0, which no message has */
        if (set->hi[i] == 0)
            continue;
        r[n].lo = set->lo[i] == 0 ? 1 : set->lo[i];
        r[n].hi = set->hi[i];
        n++;
    }
    if (n > 1) {
        size_t j = 0;
        qsort(r, n, sizeof *r, search_range_cmp);
        for (i = 1; i < n; i++) {
            /* touching or overlapping: merge (hi + 1 may wrap at 2^32-1,
             * which seqnum never yields, but test hi first anyway) */
            if (r[i].lo <= r[j].hi
                || (r[j].hi != UINT32_MAX && r[i].lo == r[j].hi + 1)) {
                if (r[i].hi > r[j].hi)
                    r[j].hi = r[i].hi;
            } else
                r[++j] = r[i];
        }
        n = j + 1;
    }
    if (n == 0) {
        free(r);
        r = NULL;
    }
    k->u.set.r = r;
    k->u.set.n = n;
    return 0;
}

/* The flag after KEYWORD / UNKEYWORD, into node k (SK_FLAGS). */
static int
search_keyword(struct search_parser *p, struct search_node *k, int un)
{
    const char *name;
    size_t len, i;
    int idx = -1;

    if (imapp_flag(p->ip, &name, &len) != 1)
        return search_fail(p, SEARCH_ESYNTAX, "bad keyword");
    if (name[0] == '\\') {
        for (i = 0; i < sizeof search_sysflags / sizeof search_sysflags[0];
            i++)
            if (search_eq(name, len, search_sysflags[i].name)) {
                if (un)
                    k->u.f.clear = search_sysflags[i].flag;
                else
                    k->u.f.set = search_sysflags[i].flag;
                return 0;
            }
    } else if (p->env->keyword != NULL)
        idx = p->env->keyword(p->env->arg, name, len);
    if (idx < 0 || idx >= IMAP_KEYWORDS_MAX) {
        /* no message can have it */
        k->kind = un ? SK_ALL : SK_NONE;
        return 0;
    }
    if (un)
        k->u.f.kwclear = (uint32_t)1 << idx;
    else
        k->u.f.kwset = (uint32_t)1 << idx;
    return 0;
}

static int search_key(struct search_parser *p, int depth);

/* Keys separated by single spaces, children of node parent, up to ")"
 * (list) or the end of the buffer (the top level). */
static int
search_list(struct search_parser *p, int parent, int depth, int list)
{
    int last = -1, c;

    for (;;) {
        if ((c = search_key(p, depth)) == -1)
            return -1;
        if (last == -1)
            p->s->node[parent].first = c;
        else
            p->s->node[last].next = c;
        p->s->node[parent].needs |= p->s->node[c].needs;
        last = c;
        if (list && imapp_char(p->ip, ')'))
            return 0;
        if (!list && imapp_end(p->ip))
            return 0;
        if (search_sp(p) == -1)
            return -1;
    }
}

/* One search-key at the given depth: its node, or -1. */
static int
search_key(struct search_parser *p, int depth)
{
    const struct search_keydef *d = NULL;
    struct search_node *k;
    const char *name;
    size_t len, i;
    int c, x, y;

    if (depth > IMAP_DEPTH_MAX)
        return search_fail(p, SEARCH_ESYNTAX, "search nested too deeply");
    c = imapp_peek(p->ip);
    if (c == '(') {
        p->ip->pos++;
        if ((x = search_node_new(p, SK_AND)) == -1)
            return -1;
        if (search_list(p, x, depth + 1, 1) == -1)
            return -1;
        return x;
    }
    if (c == '*' || (c >= '0' && c <= '9')) {
        if ((x = search_node_new(p, SK_SEQ)) == -1)
            return -1;
        if (search_set(p, &p->s->node[x], p->env->maxseq) == -1)
            return -1;
        return x;
    }
    if (imapp_atom(p->ip, &name, &len) != 1)
        return search_fail(p, SEARCH_ESYNTAX, "expected a search key");
    for (i = 0; i < sizeof search_keys / sizeof search_keys[0]; i++)
        if (search_eq(name, len, search_keys[i].name)) {
            d = &search_keys[i];
            break;
        }
    if (d == NULL)
        return search_fail(p, SEARCH_ESYNTAX, "unknown search key");
    if ((x = search_node_new(p, d->kind)) == -1)
        return -1;
    k = &p->s->node[x];
    if (d->arg != SA_NONE && search_sp(p) == -1)
        return -1;
    switch (d->arg) {
    case SA_NONE:
        if (d->kind == SK_FLAGS) {
            k->u.f.set = d->set;
            k->u.f.clear = d->clear;
        }
        break;
    case SA_HEADER:
        if (search_string(p, &k->u.str.field, &len) == -1
            || search_sp(p) == -1)
            return -1;
        /* FALLTHROUGH */
    case SA_STRING:
        if (d->field != NULL) {
            k->u.str.field = strdup(d->field);
            if (k->u.str.field == NULL)
                return search_fail(p, SEARCH_ENOMEM, "out of memory");
        }
        if (search_string(p, &k->u.str.s, &k->u.str.len) == -1)
            return -1;
        k->needs = 1;
        break;
    case SA_DATE:
        if (imapp_date(p->ip, &k->u.day) != 1)
            return search_fail(p, SEARCH_ESYNTAX, "bad date");
        if (d->kind == SK_SENTBEFORE || d->kind == SK_SENTON
            || d->kind == SK_SENTSINCE)
            k->needs = 1;
        break;
    case SA_NUMBER:
        if (imapp_number64(p->ip, &k->u.size) != 1)
            return search_fail(p, SEARCH_ESYNTAX, "bad number");
        break;
    case SA_KEYWORD:
    case SA_UNKEYWORD:
        if (search_keyword(p, k, d->arg == SA_UNKEYWORD) == -1)
            return -1;
        break;
    case SA_UIDSET:
        if (search_set(p, k, p->env->maxuid) == -1)
            return -1;
        break;
    case SA_NOT:
        /* nodes live in a fixed array: k stays valid across recursion */
        if ((c = search_key(p, depth + 1)) == -1)
            return -1;
        k->first = c;
        k->needs = p->s->node[c].needs;
        break;
    case SA_OR:
        if ((c = search_key(p, depth + 1)) == -1 || search_sp(p) == -1)
            return -1;
        k->first = c;
        if ((y = search_key(p, depth + 1)) == -1)
            return -1;
        p->s->node[c].next = y;
        k->needs = p->s->node[c].needs | p->s->node[y].needs;
        break;
    }
    return x;
}

struct search *
search_parse(struct imapp *ip, const struct search_env *env, int *err,
    const char **errtext)
{
    struct search_parser p;
    struct search *s;
    size_t start = ip->pos;
    const char *name;
    size_t len;

    memset(&p, 0, sizeof p);
    p.ip = ip;
    p.env = env;
    p.tmpmax = ip->n - (ip->pos < ip->n ? ip->pos : ip->n) + 1;
    s = calloc(1, sizeof *s);
    p.tmp = malloc(p.tmpmax);
    p.set = malloc(sizeof *p.set);
    p.s = s;
    if (s == NULL || p.tmp == NULL || p.set == NULL) {
        search_fail(&p, SEARCH_ENOMEM, "out of memory");
        goto fail;
    }
    /* node 0: the implicit AND of the top-level keys */
    if (search_node_new(&p, SK_AND) == -1)
        goto fail;
    /* "CHARSET" is no search key, so it can only be the prefix */
    if (imapp_atom(ip, &name, &len) == 1 && search_eq(name, len, "CHARSET")) {
        if (search_sp(&p) == -1)
            goto fail;
        if (imapp_astring(ip, p.tmp, p.tmpmax, &len) != 1) {
            search_fail(&p, SEARCH_ESYNTAX, "bad charset");
            goto fail;
        }
        if (!search_eq(p.tmp, len, "UTF-8")
            && !search_eq(p.tmp, len, "US-ASCII")) {
            search_fail(&p, SEARCH_ECHARSET, "unsupported charset");
            goto fail;
        }
        if (search_sp(&p) == -1)
            goto fail;
    } else
        ip->pos = start;
    if (search_list(&p, 0, 1, 0) == -1)
        goto fail;
    free(p.tmp);
    free(p.set);
    return s;
fail:
    free(p.tmp);
    free(p.set);
    search_free(s);
    *err = p.err;
    *errtext = p.errtext;
    return NULL;
}

/* Matching: the message, loaded once on demand. */
struct search_ctx {
    const struct search_msg *m;
    const struct imapmsg *msg;
    int loaded;
};

static const struct imapmsg *
search_load(struct search_ctx *c)
{
    if (!c->loaded) {
        c->loaded = 1;
        c->msg = c->m->load != NULL ? c->m->load(c->m->arg) : NULL;
    }
    return c->msg;
}

/* floor(t / 86400): the UTC day, also before 1970. */
static int64_t
search_day(int64_t t)
{
    int64_t d = t / 86400;

    if (t % 86400 < 0)
        d--;
    return d;
}

static int
search_inset(const struct search_node *k, uint32_t u)
{
    size_t lo = 0, hi = k->u.set.n;

    /* the last range starting at or below u */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->u.set.r[mid].lo <= u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && u <= k->u.set.r[lo - 1].hi;
}

static int
search_eval(const struct search *s, int x, struct search_ctx *c)
{
    const struct search_node *k = &s->node[x];
    const struct search_msg *m = c->m;
    const struct imapmsg *msg;
    int64_t day;
    int i, pass;

    switch (k->kind) {
    case SK_ALL:
        return 1;
    case SK_NONE:
        return 0;
    case SK_FLAGS:
        return (m->flags & k->u.f.set) == k->u.f.set
            && (m->flags & k->u.f.clear) == 0
            && (m->keywords & k->u.f.kwset) == k->u.f.kwset
            && (m->keywords & k->u.f.kwclear) == 0;
    case SK_BEFORE:
        return search_day(m->internaldate) < k->u.day;
    case SK_ON:
        return search_day(m->internaldate) == k->u.day;
    case SK_SINCE:
        return search_day(m->internaldate) >= k->u.day;
    case SK_SENTBEFORE:
    case SK_SENTON:
    case SK_SENTSINCE:
        if ((msg = search_load(c)) == NULL
            || (day = imapmsg_sent_day(msg)) == -1)
            return 0;
        if (k->kind == SK_SENTBEFORE)
            return day < k->u.day;
        if (k->kind == SK_SENTON)
            return day == k->u.day;
        return day >= k->u.day;
    case SK_LARGER:
        return m->size > k->u.size;
    case SK_SMALLER:
        return m->size < k->u.size;
    case SK_SEQ:
        return search_inset(k, m->seq);
    case SK_UID:
        return search_inset(k, m->uid);
    case SK_HEADER:
        if ((msg = search_load(c)) == NULL)
            return 0;
        return imapmsg_header_contains(msg, k->u.str.field, k->u.str.s,
            k->u.str.len) == 1;
    case SK_BODY:
        if ((msg = search_load(c)) == NULL)
            return 0;
        return imapmsg_body_contains(msg, k->u.str.s, k->u.str.len) == 1;
    case SK_TEXT:
        if ((msg = search_load(c)) == NULL)
            return 0;
        return imapmsg_text_contains(msg, k->u.str.s, k->u.str.len) == 1;
    case SK_NOT:
        return !search_eval(s, k->first, c);
    case SK_OR:
        /* the side without the message first */
        i = k->first;
        if (s->node[i].needs)
            i = s->node[i].next;
        if (search_eval(s, i, c))
            return 1;
        return search_eval(s, i == k->first ? s->node[i].next : k->first, c);
    case SK_AND:
        /* cheap keys first, those needing the message after */
        for (pass = 0; pass < 2; pass++)
            for (i = k->first; i != -1; i = s->node[i].next)
                if (s->node[i].needs == pass && !search_eval(s, i, c))
                    return 0;
        return 1;
    }
    return 0;
}

int
search_match(const struct search *s, const struct search_msg *m)
{
    struct search_ctx c;

    c.m = m;
    c.msg = NULL;
    c.loaded = 0;
    return search_eval(s, 0, &c);
}

int
search_needs_message(const struct search *s)
{
    return s->node[0].needs != 0;
}

static int
search_uses(const struct search *s, enum search_kind a, enum search_kind b,
    enum search_kind c)
{
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (s->node[i].kind == a || s->node[i].kind == b
            || s->node[i].kind == c)
            return 1;
    return 0;
}

int
search_uses_date(const struct search *s)
{
    return search_uses(s, SK_BEFORE, SK_ON, SK_SINCE);
}

int
search_uses_size(const struct search *s)
{
    return search_uses(s, SK_LARGER, SK_SMALLER, SK_LARGER);
}

void
search_free(struct search *s)
{
    unsigned i;

    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++) {
        struct search_node *k = &s->node[i];
        if (k->kind == SK_SEQ || k->kind == SK_UID)
            free(k->u.set.r);
        else if (k->kind == SK_HEADER || k->kind == SK_BODY
            || k->kind == SK_TEXT) {
            free(k->u.str.field);
            free(k->u.str.s);
        }
    }
    free(s);
}
