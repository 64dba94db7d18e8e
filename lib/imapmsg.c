/* imapmsg.c - a stored message's MIME tree for IMAP FETCH and SEARCH
 * (see imapmsg.h).
 *
 * The tree is an array of entities (at most IMAPMSG_PARTS_MAX), each a
 * header [hdr, body) and a body [body, end) of the message bytes, linked
 * by index.  The top-level message is entity 0.  A multipart entity has
 * its parts as children; a message/rfc822 entity has one child, the
 * encapsulated message (a "message-level" entity, like entity 0).
 * Nothing is copied: header fields are looked up again when an answer
 * needs them, which is cheap next to sending the answer.
 *
 * Boundaries (RFC 2046 5.1.1): a delimiter line is "--" boundary with
 * only white space after it, the close delimiter adds "--"; the line end
 * before a delimiter belongs to the delimiter.  A part without its close
 * ends where its enclosing part ends.
 *
 * Part numbers (RFC 3501 6.4.5) as Dovecot resolves them: in a
 * message-level entity that is not multipart, part 1 is the entity
 * itself; a part of a multipart that is neither multipart nor
 * message/rfc822 also answers to ".1" as itself; a message/rfc822 part
 * passes numbers on to its encapsulated message.
 *
 * Recursion is bounded by IMAPMSG_DEPTH_MAX (parse, BODYSTRUCTURE, search).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "imapmsg.h"

/* Nested comments in a structured field; deeper ones end at the end. */
#define IMAPMSG_COMMENT_DEPTH 64
/* A part number in a section spec; larger ones cannot exist. */
#define IMAPMSG_PARTNUM_MAX 1000000

enum { KIND_LEAF, KIND_MULTI, KIND_RFC822 };

struct ent {
    size_t hdr, body, end;
    int kind;
    int msglevel;   /* the top-level or an encapsulated message */
    int inmulti;    /* a part of a multipart */
    int depth;
    int parent, child, next, nchild;
    int hasct;      /* a Content-Type field was present */
    int istext;     /* the body is text (searched; lines counted) */
    int ismulti;    /* the type is multipart/ (even when kept opaque) */
    int isrfc822;   /* the type is message/rfc822 (even when opaque) */
    size_t ts, tl;  /* type token in p */
    size_t ss, sl;  /* subtype token in p */
};

struct imapmsg {
    const char *p;
    size_t n;
    struct ent *e;
    int ne, cap;
};

/* ---- bytes ---- */

static int
lc(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
iseqn(const char *a, size_t al, const char *b, size_t bl)
{
    size_t i;

    if (al != bl)
        return 0;
    for (i = 0; i < al; i++)
        if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
            return 0;
    return 1;
}

/* a[0..al) equals the C string b, ASCII case folded. */
static int
ieq(const char *a, size_t al, const char *b)
{
    return iseqn(a, al, b, strlen(b));
}

static int
iswsp(int c)
{
    return c == ' ' || c == '\t';
}

/* ASCII case-insensitive search of needle in hay. */
static int
icontains(const char *hay, size_t hl, const char *nd, size_t nl)
{
    size_t i, j;
    int f;

    if (nl == 0)
        return 1;
    if (hl < nl)
        return 0;
    f = lc((unsigned char)nd[0]);
    for (i = 0; i + nl <= hl; i++) {
        if (lc((unsigned char)hay[i]) != f)
            continue;
        for (j = 1; j < nl; j++)
            if (lc((unsigned char)hay[i + j]) != lc((unsigned char)nd[j]))
                break;
        if (j == nl)
            return 1;
    }
    return 0;
}

/* Bytes of p[a..b) once bare LFs are CRLF. */
static uint64_t
crlf_size(const struct imapmsg *m, size_t a, size_t b)
{
    uint64_t sz = b - a;
    const char *q;
    size_t i = a;

    while (i < b && (q = memchr(m->p + i, '\n', b - i)) != NULL) {
        i = (size_t)(q - m->p);
        if (i == 0 || m->p[i - 1] != '\r')
            sz++;
        i++;
    }
    return sz;
}

static uint64_t
count_lf(const struct imapmsg *m, size_t a, size_t b)
{
    uint64_t k = 0;
    const char *q;

    while (a < b && (q = memchr(m->p + a, '\n', b - a)) != NULL) {
        k++;
        a = (size_t)(q - m->p) + 1;
    }
    return k;
}

/* Append p[a..b) with bare LFs as CRLF. */
static int
put_crlf(const struct imapmsg *m, size_t a, size_t b, struct str *out)
{
    const char *q;
    size_t i;

    while (a < b) {
        q = memchr(m->p + a, '\n', b - a);
        if (q == NULL)
            return str_put(out, m->p + a, b - a);
        i = (size_t)(q - m->p);
        if (i == 0 || m->p[i - 1] != '\r') {
            str_put(out, m->p + a, i - a);
            str_put(out, "\r\n", 2);
        } else
            str_put(out, m->p + a, i + 1 - a);
        a = i + 1;
    }
    return out->err ? -1 : 0;
}

/* End of the line at i (after its LF, or b). */
static size_t
line_end(const struct imapmsg *m, size_t i, size_t b)
{
    const char *q = i < b ? memchr(m->p + i, '\n', b - i) : NULL;

    return q ? (size_t)(q - m->p) + 1 : b;
}

/* ---- header fields ---- */

struct field {
    size_t start, end;      /* the whole field, with its line end(s) */
    size_t name, namelen;
    size_t val, valend;     /* after the colon, to the last line end */
};

/* The field starting at *pos in [*pos, b); 0 at the end.  A line without
 * a colon is a field with an empty name (never matched). */
static int
field_next(const struct imapmsg *m, size_t *pos, size_t b, struct field *f)
{
    size_t i = *pos, e, k;
    const char *p = m->p;

    if (i >= b)
        return 0;
    f->start = i;
    e = line_end(m, i, b);
    while (e < b && iswsp((unsigned char)p[e]))
        e = line_end(m, e, b);
    f->end = e;
    for (k = i; k < e && p[k] != ':' && p[k] != '\n'; k++)
        ;
    f->name = i;
    if (k < e && p[k] == ':') {
        f->namelen = k - i;
        while (f->namelen > 0 && iswsp((unsigned char)p[i + f->namelen - 1]))
            f->namelen--;
        f->val = k + 1;
    } else {
        f->namelen = 0;
        f->val = e;
    }
    f->valend = e;
    while (f->valend > f->val
        && (p[f->valend - 1] == '\n' || p[f->valend - 1] == '\r'))
        f->valend--;
    *pos = e;
    return 1;
}

/* The first field called name in the header of entity x. */
static int
field_find(const struct imapmsg *m, const struct ent *x, const char *name,
    struct field *f)
{
    size_t pos = x->hdr;

    while (field_next(m, &pos, x->body, f))
        if (ieq(m->p + f->name, f->namelen, name))
            return 1;
    return 0;
}

/* The value without CR and LF, leading white space dropped (what Dovecot
 * puts in ENVELOPE's date, message-id and in-reply-to). */
static void
value_nolf(const struct imapmsg *m, const struct field *f, struct str *v)
{
    size_t i = f->val;

    while (i < f->valend && (iswsp((unsigned char)m->p[i])
        || m->p[i] == '\r' || m->p[i] == '\n'))
        i++;
    for (; i < f->valend; i++)
        if (m->p[i] != '\r' && m->p[i] != '\n')
            str_putc(v, m->p[i]);
}

/* Runs of white space (folding included) as one space, trimmed: text
 * meant for people (subject, display names), as Dovecot shows it. */
static void
humanize(const char *s, size_t n, struct str *v)
{
    size_t i;
    int sp = 0;

    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            sp = 1;
            continue;
        }
        if (sp && v->len > 0)
            str_putc(v, ' ');
        sp = 0;
        str_putc(v, (char)c);
    }
}

/* ---- structured field lexer (RFC 5322 3.2, RFC 2045 5.1) ---- */

struct lex {
    const char *s;
    size_t i, n;
};

/* Skip white space and comments; the last comment's text goes to cm
 * (when not NULL). */
static void
lex_cfws(struct lex *l, struct str *cm)
{
    while (l->i < l->n) {
        int c = (unsigned char)l->s[l->i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            l->i++;
            continue;
        }
        if (c != '(')
            return;
        {
            int depth = 0;
            size_t st = l->i + 1;
            if (cm)
                str_reset(cm);
            while (l->i < l->n) {
                c = (unsigned char)l->s[l->i++];
                if (c == '\\' && l->i < l->n) {
                    if (cm && depth <= 1)
                        str_putc(cm, l->s[l->i]);
                    l->i++;
                    continue;
                }
                if (c == '(') {
                    if (depth > 0 && cm && depth < IMAPMSG_COMMENT_DEPTH)
                        str_putc(cm, (char)c);
                    depth++;
                    continue;
                }
                if (c == ')') {
                    if (--depth == 0)
                        break;
                    if (cm)
                        str_putc(cm, (char)c);
                    continue;
                }
                if (cm)
                    str_putc(cm, (char)c);
            }
            (void)st;
        }
    }
}

/* A quoted string at l->i ('"' there): its content unescaped into v. */
static void
lex_quoted(struct lex *l, struct str *v)
{
    l->i++;
    while (l->i < l->n) {
        char c = l->s[l->i++];
        if (c == '"')
            return;
        if (c == '\\' && l->i < l->n)
            c = l->s[l->i++];
        if (c == '\r' || c == '\n')
            continue;
        str_putc(v, c);
    }
}

static int
is_tspecial(int c)
{
    return strchr("()<>@,;:\\\"/[]?=", c) != NULL && c != 0;
}

/* RFC 2045 token: [s, s+len) in l->s. */
static size_t
lex_token(struct lex *l)
{
    size_t st = l->i;

    while (l->i < l->n) {
        int c = (unsigned char)l->s[l->i];
        if (c <= ' ' || c == 0x7f || is_tspecial(c))
            break;
        l->i++;
    }
    return l->i - st;
}

/* ---- parsing ---- */

static int
ent_new(struct imapmsg *m, size_t hdr, size_t end, int parent, int depth)
{
    struct ent *x;

    if (m->ne >= IMAPMSG_PARTS_MAX)
        return -2;
    if (m->ne == m->cap) {
        int nc = m->cap ? m->cap * 2 : 8;
        struct ent *ne;
        if (nc > IMAPMSG_PARTS_MAX)
            nc = IMAPMSG_PARTS_MAX;
        ne = realloc(m->e, (size_t)nc * sizeof *ne);
        if (ne == NULL)
            return -1;
        m->e = ne;
        m->cap = nc;
    }
    x = &m->e[m->ne];
    memset(x, 0, sizeof *x);
    x->hdr = hdr;
    x->end = end;
    x->parent = parent;
    x->child = x->next = -1;
    x->depth = depth;
    return m->ne++;
}

/* The header ends after the first empty line, or at the end. */
static size_t
header_end(const struct imapmsg *m, size_t i, size_t b)
{
    while (i < b) {
        if (m->p[i] == '\n')
            return i + 1;
        if (m->p[i] == '\r' && i + 1 < b && m->p[i + 1] == '\n')
            return i + 2;
        i = line_end(m, i, b);
    }
    return b;
}

/* Read Content-Type into x; the boundary parameter's value into bd. */
static void
content_type(struct imapmsg *m, struct ent *x, int digest, struct str *bd)
{
    struct field f;
    struct lex l;

    x->ts = x->ss = 0;
    x->tl = x->sl = 0;
    if (!field_find(m, x, "content-type", &f)) {
        x->hasct = 0;
        x->istext = !digest;
        x->isrfc822 = digest;
        return;
    }
    x->hasct = 1;
    l.s = m->p;
    l.i = f.val;
    l.n = f.valend;
    lex_cfws(&l, NULL);
    x->ts = l.i;
    x->tl = lex_token(&l);
    lex_cfws(&l, NULL);
    if (l.i < l.n && l.s[l.i] == '/') {
        l.i++;
        lex_cfws(&l, NULL);
        x->ss = l.i;
        x->sl = lex_token(&l);
    }
    x->istext = ieq(m->p + x->ts, x->tl, "text");
    x->ismulti = ieq(m->p + x->ts, x->tl, "multipart");
    x->isrfc822 = ieq(m->p + x->ts, x->tl, "message")
        && ieq(m->p + x->ss, x->sl, "rfc822");
    if (!x->ismulti)
        return;
    /* parameters: look for boundary */
    while (l.i < l.n) {
        size_t ns, nl;
        lex_cfws(&l, NULL);
        if (l.i >= l.n)
            break;
        if (l.s[l.i] != ';') {
            l.i++;
            continue;
        }
        l.i++;
        lex_cfws(&l, NULL);
        ns = l.i;
        nl = lex_token(&l);
        lex_cfws(&l, NULL);
        if (l.i >= l.n || l.s[l.i] != '=')
            continue;
        l.i++;
        lex_cfws(&l, NULL);
        if (ieq(l.s + ns, nl, "boundary")) {
            str_reset(bd);
            if (l.i < l.n && l.s[l.i] == '"')
                lex_quoted(&l, bd);
            else {
                size_t vs = l.i, vl = lex_token(&l);
                str_put(bd, l.s + vs, vl);
            }
            return;
        }
        if (l.i < l.n && l.s[l.i] == '"') {
            struct str junk = { 0 };
            lex_quoted(&l, &junk);
            str_free(&junk);
        } else
            lex_token(&l);
    }
}

/* Is the line at i a delimiter of boundary bd?  1 part, 2 close, 0 no. */
static int
is_delim(const struct imapmsg *m, size_t i, size_t b, const struct str *bd)
{
    size_t k;
    int r = 1;

    if (b - i < 2 + bd->len || m->p[i] != '-' || m->p[i + 1] != '-'
        || memcmp(m->p + i + 2, bd->s, bd->len) != 0)
        return 0;
    k = i + 2 + bd->len;
    if (b - k >= 2 && m->p[k] == '-' && m->p[k + 1] == '-') {
        r = 2;
        k += 2;
    }
    while (k < b && (iswsp((unsigned char)m->p[k]) || m->p[k] == '\r'))
        k++;
    return k >= b || m->p[k] == '\n' ? r : 0;
}

static int parse_ent(struct imapmsg *m, size_t hdr, size_t end, int parent,
    int depth, int msglevel, int digest);

/* Split the body of multipart entity id into parts. */
static int
parse_multi(struct imapmsg *m, int id, const struct str *bd, int digest)
{
    size_t i = m->e[id].body, end = m->e[id].end, ps = 0;
    int depth = m->e[id].depth, inpart = 0, last = -1, d, c;

    for (; i < end; i = line_end(m, i, end)) {
        if ((d = is_delim(m, i, end, bd)) == 0)
            continue;
        if (inpart) {
            size_t pe = i;
            if (pe > ps && m->p[pe - 1] == '\n') {
                pe--;
                if (pe > ps && m->p[pe - 1] == '\r')
                    pe--;
            }
            c = parse_ent(m, ps, pe, id, depth + 1, 0, digest);
            if (c == -1)
                return -1;
            if (c == -2)
                return 0;
            if (last == -1)
                m->e[id].child = c;
            else
                m->e[last].next = c;
            last = c;
            m->e[id].nchild++;
        }
        if (d == 2)
            return 0;
        inpart = 1;
        ps = line_end(m, i, end);
    }
    if (inpart) {
        c = parse_ent(m, ps, end, id, depth + 1, 0, digest);
        if (c == -1)
            return -1;
        if (c >= 0) {
            if (last == -1)
                m->e[id].child = c;
            else
                m->e[last].next = c;
            m->e[id].nchild++;
        }
    }
    return 0;
}

/* Parse the entity [hdr, end); its index, -1 out of memory, -2 out of
 * entities. */
static int
parse_ent(struct imapmsg *m, size_t hdr, size_t end, int parent, int depth,
    int msglevel, int digest)
{
    struct str bd = { 0 };
    int id, r = 0;
    struct ent *x;

    if ((id = ent_new(m, hdr, end, parent, depth)) < 0)
        return id;
    x = &m->e[id];
    x->msglevel = msglevel;
    x->inmulti = parent >= 0 && !msglevel;
    x->body = header_end(m, hdr, end);
    bd.max = 4096;
    content_type(m, x, digest, &bd);
    if (depth >= IMAPMSG_DEPTH_MAX) {
        str_free(&bd);
        return id;
    }
    if (x->ismulti && bd.len > 0 && !bd.err) {
        int dg = ieq(m->p + x->ss, x->sl, "digest");
        r = parse_multi(m, id, &bd, dg);
        x = &m->e[id];
        if (r == 0 && x->nchild > 0)
            x->kind = KIND_MULTI;
    } else if (x->isrfc822) {
        int c = parse_ent(m, x->body, x->end, id, depth + 1, 1, 0);
        x = &m->e[id];
        if (c == -1)
            r = -1;
        else if (c >= 0) {
            x->child = c;
            x->nchild = 1;
            x->kind = KIND_RFC822;
        }
    }
    str_free(&bd);
    return r == -1 ? -1 : id;
}

struct imapmsg *
imapmsg_parse(const char *p, size_t n)
{
    struct imapmsg *m = calloc(1, sizeof *m);

    if (m == NULL)
        return NULL;
    m->p = p;
    m->n = n;
    if (parse_ent(m, 0, n, -1, 0, 1, 0) < 0) {
        imapmsg_free(m);
        errno = ENOMEM;
        return NULL;
    }
    return m;
}

void
imapmsg_free(struct imapmsg *m)
{
    if (m == NULL)
        return;
    free(m->e);
    free(m);
}

uint64_t
imapmsg_size(const struct imapmsg *m)
{
    return crlf_size(m, 0, m->n);
}

/* ---- ENVELOPE ---- */

static int
nstring(struct str *out, const struct str *v)
{
    return str_imap(out, v->s ? v->s : "", v->len);
}

/* A field value as an nstring: NIL when absent; humanized or just
 * without CR/LF. */
static void
env_field(const struct imapmsg *m, const struct ent *x, const char *name,
    int human, struct str *out)
{
    struct field f;
    struct str v = { 0 }, t = { 0 };

    if (!field_find(m, x, name, &f)) {
        str_puts(out, "NIL");
        return;
    }
    if (human) {
        humanize(m->p + f.val, f.valend - f.val, &v);
    } else
        value_nolf(m, &f, &v);
    if (v.err || t.err)
        out->err = v.err ? v.err : t.err;
    else
        nstring(out, &v);
    str_free(&v);
    str_free(&t);
}

struct addrout {
    struct str *out;
    int n;  /* addresses written */
    struct str name, dname, adl, box, host, cm, tmp;
};

/* Write one address; hasname: use a->dname; box and host may be
 * missing (Dovecot's MISSING_MAILBOX and MISSING_DOMAIN). */
static void
addr_emit(struct addrout *a, int hasname, int hasadl)
{
    struct str *o = a->out;

    str_puts(o, a->n ? "(" : "((");
    a->n++;
    str_reset(&a->tmp);
    if (hasname)
        humanize(a->dname.s ? a->dname.s : "", a->dname.len, &a->tmp);
    if (a->tmp.len > 0)
        nstring(o, &a->tmp);
    else
        str_puts(o, "NIL");
    str_putc(o, ' ');
    if (hasadl)
        nstring(o, &a->adl);
    else
        str_puts(o, "NIL");
    str_putc(o, ' ');
    if (a->box.len > 0)
        nstring(o, &a->box);
    else
        str_puts(o, "\"MISSING_MAILBOX\"");
    str_putc(o, ' ');
    if (a->host.len > 0)
        nstring(o, &a->host);
    else
        str_puts(o, "\"MISSING_DOMAIN\"");
    str_putc(o, ')');
}

/* Words and dots of a phrase or local part: phrase words space-separated
 * into name, the local part as written (quoted strings unquoted) into
 * box.  Returns the number of words. */
static int
addr_words(struct lex *l, struct addrout *a)
{
    int words = 0;

    str_reset(&a->name);
    str_reset(&a->box);
    for (;;) {
        lex_cfws(l, NULL);
        if (l->i >= l->n)
            break;
        if (l->s[l->i] == '"') {
            size_t before = a->box.len;
            lex_quoted(l, &a->box);
            if (words > 0 && a->name.len > 0 && a->name.s[a->name.len - 1] != '.')
                str_putc(&a->name, ' ');
            str_put(&a->name, a->box.s ? a->box.s + before : "",
                a->box.len - before);
            words++;
        } else if (l->s[l->i] == '.') {
            str_putc(&a->box, '.');
            str_putc(&a->name, '.');
            l->i++;
        } else {
            size_t st = l->i;
            while (l->i < l->n) {
                int c = (unsigned char)l->s[l->i];
                if (c <= ' ' || strchr("()<>@,;:\\\".[]", c))
                    break;
                l->i++;
            }
            if (l->i == st)
                break;
            if (words > 0 && a->name.len > 0
                && a->name.s[a->name.len - 1] != '.')
                str_putc(&a->name, ' ');
            str_put(&a->name, l->s + st, l->i - st);
            str_put(&a->box, l->s + st, l->i - st);
            words++;
        }
    }
    return words;
}

/* A domain: atoms, dots and literals, white space dropped; the last
 * comment met goes to cm. */
static void
addr_domain(struct lex *l, struct str *host, struct str *cm)
{
    str_reset(host);
    str_reset(cm);
    for (;;) {
        lex_cfws(l, cm);
        if (l->i >= l->n)
            return;
        if (l->s[l->i] == '[') {
            while (l->i < l->n && l->s[l->i] != ']') {
                if (l->s[l->i] != '\r' && l->s[l->i] != '\n')
                    str_putc(host, l->s[l->i]);
                l->i++;
            }
            if (l->i < l->n) {
                str_putc(host, ']');
                l->i++;
            }
            continue;
        }
        if (l->s[l->i] == '.') {
            str_putc(host, '.');
            l->i++;
            continue;
        }
        {
            size_t st = l->i;
            while (l->i < l->n) {
                int c = (unsigned char)l->s[l->i];
                if (c <= ' ' || strchr("()<>@,;:\\\".[]", c))
                    break;
                l->i++;
            }
            if (l->i == st)
                return;
            str_put(host, l->s + st, l->i - st);
        }
    }
}

/* Skip to the next ',' (or ';' in a group) after junk. */
static void
addr_skip(struct lex *l, int ingroup)
{
    while (l->i < l->n) {
        char c = l->s[l->i];
        if (c == ',' || (ingroup && c == ';'))
            return;
        if (c == '"') {
            struct str junk = { 0 };
            lex_quoted(l, &junk);
            str_free(&junk);
            continue;
        }
        if (c == '(') {
            lex_cfws(l, NULL);
            continue;
        }
        l->i++;
    }
}

/* One mailbox or group at l->i. */
static void
addr_one(struct lex *l, struct addrout *a, int ingroup)
{
    size_t st = l->i;
    int words = addr_words(l, a);
    char c = l->i < l->n ? l->s[l->i] : 0;

    if (c == ':' && !ingroup) {
        l->i++;
        str_puts(a->out, a->n ? "(" : "((");
        a->n++;
        str_puts(a->out, "NIL NIL ");
        str_reset(&a->tmp);
        humanize(a->name.s ? a->name.s : "", a->name.len, &a->tmp);
        nstring(a->out, &a->tmp);
        str_puts(a->out, " NIL)");
        while (l->i < l->n && !a->out->err) {
            lex_cfws(l, NULL);
            if (l->i >= l->n)
                break;
            c = l->s[l->i];
            if (c == ';') {
                l->i++;
                break;
            }
            if (c == ',') {
                l->i++;
                continue;
            }
            addr_one(l, a, 1);
        }
        str_puts(a->out, "(NIL NIL NIL NIL)");
        return;
    }
    if (c == '<') {
        int hasadl = 0;
        str_reset(&a->dname);
        if (words > 0)
            str_put(&a->dname, a->name.s ? a->name.s : "", a->name.len);
        l->i++;
        lex_cfws(l, NULL);
        str_reset(&a->adl);
        if (l->i < l->n && l->s[l->i] == '@') {
            /* obsolete route @a,@b: (RFC 5322 4.4) */
            while (l->i < l->n && l->s[l->i] != ':' && l->s[l->i] != '>') {
                if (!iswsp((unsigned char)l->s[l->i]))
                    str_putc(&a->adl, l->s[l->i]);
                l->i++;
            }
            if (l->i < l->n && l->s[l->i] == ':')
                l->i++;
            hasadl = 1;
        }
        addr_words(l, a);
        str_reset(&a->host);
        if (l->i < l->n && l->s[l->i] == '@') {
            l->i++;
            addr_domain(l, &a->host, &a->cm);
        }
        lex_cfws(l, NULL);
        if (l->i < l->n && l->s[l->i] == '>')
            l->i++;
        else
            addr_skip(l, ingroup);
        if (a->box.len == 0 && a->host.len == 0 && !hasadl)
            return; /* "<>" */
        addr_emit(a, 1, hasadl);
        return;
    }
    if (c == '@') {
        l->i++;
        /* a comment after an addr-spec serves as its name */
        addr_domain(l, &a->host, &a->cm);
        lex_cfws(l, &a->cm);
        str_reset(&a->dname);
        str_put(&a->dname, a->cm.s ? a->cm.s : "", a->cm.len);
        addr_emit(a, 1, 0);
        if (l->i < l->n && l->s[l->i] != ',' && l->s[l->i] != ';')
            addr_skip(l, ingroup);
        return;
    }
    if (words > 0) {
        str_reset(&a->host);
        addr_emit(a, 0, 0);
    }
    if (l->i == st)
        l->i++;  /* junk: always move on */
    addr_skip(l, ingroup);
}

static void
env_addr(const struct imapmsg *m, const struct ent *x, const char *name,
    const char *fallback, struct str *out)
{
    struct field f;
    struct str v = { 0 };
    struct addrout a;
    struct lex l;

    if (!field_find(m, x, name, &f)
        && (fallback == NULL || !field_find(m, x, fallback, &f))) {
        str_puts(out, "NIL");
        return;
    }
    memset(&a, 0, sizeof a);
    a.out = out;
    value_nolf(m, &f, &v);
    l.s = v.s ? v.s : "";
    l.i = 0;
    l.n = v.len;
    while (l.i < l.n && !out->err) {
        lex_cfws(&l, NULL);
        if (l.i >= l.n)
            break;
        if (l.s[l.i] == ',' || l.s[l.i] == ';') {
            l.i++;
            continue;
        }
        addr_one(&l, &a, 0);
    }
    if (a.n == 0)
        str_puts(out, "NIL");
    else
        str_putc(out, ')');
    if (v.err || a.name.err || a.dname.err || a.adl.err || a.box.err
        || a.host.err || a.cm.err || a.tmp.err)
        out->err = ENOMEM;
    str_free(&v);
    str_free(&a.name);
    str_free(&a.dname);
    str_free(&a.adl);
    str_free(&a.box);
    str_free(&a.host);
    str_free(&a.cm);
    str_free(&a.tmp);
}

static int
envelope(const struct imapmsg *m, const struct ent *x, struct str *out)
{
    str_putc(out, '(');
    env_field(m, x, "date", 0, out);
    str_putc(out, ' ');
    env_field(m, x, "subject", 1, out);
    str_putc(out, ' ');
    env_addr(m, x, "from", NULL, out);
    str_putc(out, ' ');
    env_addr(m, x, "sender", "from", out);
    str_putc(out, ' ');
    env_addr(m, x, "reply-to", "from", out);
    str_putc(out, ' ');
    env_addr(m, x, "to", NULL, out);
    str_putc(out, ' ');
    env_addr(m, x, "cc", NULL, out);
    str_putc(out, ' ');
    env_addr(m, x, "bcc", NULL, out);
    str_putc(out, ' ');
    env_field(m, x, "in-reply-to", 0, out);
    str_putc(out, ' ');
    env_field(m, x, "message-id", 0, out);
    return str_putc(out, ')');
}

int
imapmsg_envelope(const struct imapmsg *m, struct str *out)
{
    return envelope(m, &m->e[0], out);
}

/* ---- BODYSTRUCTURE ---- */

/* Parameters after the first token(s) of a structured field, as an IMAP
 * list ("name" "value" ...) or NIL; addcharset adds ("charset"
 * "us-ascii") for text without one, as Dovecot does. */
static void
bs_params(struct lex *l, struct str *out, int addcharset)
{
    struct str v = { 0 };
    int n = 0, cs = 0;

    while (l->i < l->n && !out->err) {
        size_t ns, nl;
        lex_cfws(l, NULL);
        if (l->i >= l->n)
            break;
        if (l->s[l->i] != ';') {
            l->i++;
            continue;
        }
        l->i++;
        lex_cfws(l, NULL);
        ns = l->i;
        nl = lex_token(l);
        lex_cfws(l, NULL);
        if (nl == 0 || l->i >= l->n || l->s[l->i] != '=')
            continue;
        l->i++;
        lex_cfws(l, NULL);
        str_reset(&v);
        if (l->i < l->n && l->s[l->i] == '"')
            lex_quoted(l, &v);
        else {
            size_t vs = l->i, vl = lex_token(l);
            str_put(&v, l->s + vs, vl);
        }
        str_puts(out, n ? " " : "(");
        n++;
        str_imap(out, l->s + ns, nl);
        str_putc(out, ' ');
        nstring(out, &v);
        if (ieq(l->s + ns, nl, "charset"))
            cs = 1;
    }
    if (addcharset && !cs) {
        str_puts(out, n ? " " : "(");
        n++;
        str_puts(out, "\"charset\" \"us-ascii\"");
    }
    str_puts(out, n ? ")" : "NIL");
    if (v.err)
        out->err = v.err;
    str_free(&v);
}

/* Content-Disposition as (type (params)) or NIL. */
static void
bs_disposition(const struct imapmsg *m, const struct ent *x, struct str *out)
{
    struct field f;
    struct lex l;
    size_t ts, tl;

    if (!field_find(m, x, "content-disposition", &f)) {
        str_puts(out, "NIL");
        return;
    }
    l.s = m->p;
    l.i = f.val;
    l.n = f.valend;
    lex_cfws(&l, NULL);
    ts = l.i;
    tl = lex_token(&l);
    str_putc(out, '(');
    str_imap(out, m->p + ts, tl);
    str_putc(out, ' ');
    bs_params(&l, out, 0);
    str_putc(out, ')');
}

/* Content-Language as a list of tags or NIL. */
static void
bs_language(const struct imapmsg *m, const struct ent *x, struct str *out)
{
    struct field f;
    struct lex l;
    int n = 0;

    if (!field_find(m, x, "content-language", &f)) {
        str_puts(out, "NIL");
        return;
    }
    l.s = m->p;
    l.i = f.val;
    l.n = f.valend;
    while (l.i < l.n && !out->err) {
        size_t ts, tl;
        lex_cfws(&l, NULL);
        ts = l.i;
        tl = lex_token(&l);
        if (tl > 0) {
            str_puts(out, n ? " " : "(");
            n++;
            str_imap(out, m->p + ts, tl);
        } else if (l.i < l.n)
            l.i++;
    }
    str_puts(out, n ? ")" : "NIL");
}

static void
bs_nolf(const struct imapmsg *m, const struct ent *x, const char *name,
    struct str *out)
{
    env_field(m, x, name, 0, out);
}

/* body-fld-param for the Content-Type of x. */
static void
bs_ctparams(const struct imapmsg *m, const struct ent *x, struct str *out)
{
    struct field f;
    struct lex l;

    if (!x->hasct || !field_find(m, x, "content-type", &f)) {
        str_puts(out, x->istext ? "(\"charset\" \"us-ascii\")" : "NIL");
        return;
    }
    l.s = m->p;
    l.i = x->ss + x->sl > x->ts + x->tl ? x->ss + x->sl : x->ts + x->tl;
    if (l.i < f.val)
        l.i = f.val;
    l.n = f.valend;
    bs_params(&l, out, x->istext);
}

/* The fields every single part has: params id description encoding
 * size. */
static void
bs_fields(const struct imapmsg *m, const struct ent *x, struct str *out)
{
    struct field f;

    bs_ctparams(m, x, out);
    str_putc(out, ' ');
    bs_nolf(m, x, "content-id", out);
    str_putc(out, ' ');
    bs_nolf(m, x, "content-description", out);
    str_putc(out, ' ');
    if (field_find(m, x, "content-transfer-encoding", &f)) {
        struct lex l;
        size_t ts, tl;
        l.s = m->p;
        l.i = f.val;
        l.n = f.valend;
        lex_cfws(&l, NULL);
        ts = l.i;
        tl = lex_token(&l);
        if (tl > 0)
            str_imap(out, m->p + ts, tl);
        else
            str_puts(out, "\"7bit\"");
    } else
        str_puts(out, "\"7bit\"");
    str_putc(out, ' ');
    str_putu(out, crlf_size(m, x->body, x->end));
}

static void
bs_ext(const struct imapmsg *m, const struct ent *x, struct str *out)
{
    str_putc(out, ' ');
    bs_disposition(m, x, out);
    str_putc(out, ' ');
    bs_language(m, x, out);
    str_putc(out, ' ');
    bs_nolf(m, x, "content-location", out);
}

static void
bs_type(const struct imapmsg *m, const struct ent *x, struct str *out)
{
    if (!x->hasct)
        str_puts(out, x->isrfc822 ? "\"message\" \"rfc822\""
                                  : "\"text\" \"plain\"");
    else {
        str_imap(out, m->p + x->ts, x->tl);
        str_putc(out, ' ');
        str_imap(out, m->p + x->ss, x->sl);
    }
}

static void
bodystructure(const struct imapmsg *m, int id, int ext, struct str *out)
{
    const struct ent *x = &m->e[id];
    int c;

    if (out->err)
        return;
    if (x->ismulti) {
        str_putc(out, '(');
        if (x->kind == KIND_MULTI)
            for (c = x->child; c >= 0; c = m->e[c].next)
                bodystructure(m, c, ext, out);
        else
            /* no boundary or no parts: one empty text part, as Dovecot */
            str_puts(out, ext ? "(\"text\" \"plain\" (\"charset\" "
                "\"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"
                : "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
                "\"7bit\" 0 0)");
        str_putc(out, ' ');
        str_imap(out, m->p + x->ss, x->sl);
        if (ext) {
            struct field f;
            str_putc(out, ' ');
            if (field_find(m, x, "content-type", &f)) {
                struct lex l;
                l.s = m->p;
                l.i = x->ss + x->sl;
                if (l.i < f.val)
                    l.i = f.val;
                l.n = f.valend;
                bs_params(&l, out, 0);
            } else
                str_puts(out, "NIL");
            bs_ext(m, x, out);
        }
        str_putc(out, ')');
        return;
    }
    str_putc(out, '(');
    if (x->isrfc822 && x->kind != KIND_RFC822) {
        /* too deep to look inside: text, for the grammar's sake */
        str_puts(out, "\"text\" \"plain\" ");
        bs_fields(m, x, out);
        str_putc(out, ' ');
        str_putu(out, count_lf(m, x->body, x->end));
    } else {
        bs_type(m, x, out);
        str_putc(out, ' ');
        bs_fields(m, x, out);
        if (x->kind == KIND_RFC822) {
            str_putc(out, ' ');
            envelope(m, &m->e[x->child], out);
            str_putc(out, ' ');
            bodystructure(m, x->child, ext, out);
            str_putc(out, ' ');
            str_putu(out, count_lf(m, x->body, x->end));
        } else if (x->istext) {
            str_putc(out, ' ');
            str_putu(out, count_lf(m, x->body, x->end));
        }
    }
    if (ext) {
        str_putc(out, ' ');
        bs_nolf(m, x, "content-md5", out);
        bs_ext(m, x, out);
    }
    str_putc(out, ')');
}

/* The body structure of message-level entity id: of its body part. */
int
imapmsg_bodystructure(const struct imapmsg *m, int extended,
    struct str *out)
{
    bodystructure(m, 0, extended, out);
    return out->err ? -1 : 0;
}

/* ---- sections ---- */

enum { SEC_BODY, SEC_HEADER, SEC_TEXT, SEC_MIME, SEC_FIELDS, SEC_NOT };

struct fname {
    const char *s;
    size_t n;
    int quoted;
};

/* Child number num of entity id, as Dovecot resolves it; -1 if none.
 * *self: the number named the entity itself (allowed once in a row). */
static int
sec_child(const struct imapmsg *m, int id, unsigned long num, int *self)
{
    int wasself = *self;

    const struct ent *x = &m->e[id];
    int c;

    *self = 0;
    if (x->kind == KIND_RFC822) {
        id = x->child;
        x = &m->e[id];
        if (x->kind == KIND_MULTI)
            goto multi;
        *self = 1;
        return num == 1 ? id : -1;
    }
    if (x->kind == KIND_MULTI) {
    multi:
        for (c = x->child; c >= 0 && num > 1; c = m->e[c].next)
            num--;
        return c;
    }
    *self = 1;
    return num == 1 && x->inmulti && !wasself ? id : -1;
}

static int
fname_match(const char *s, size_t n, const struct fname *fl, int nf)
{
    int i;

    for (i = 0; i < nf; i++) {
        if (fl[i].quoted) {
            /* compare with quoted-pairs undone */
            size_t a = 0, b = 0;
            while (a < fl[i].n && b < n) {
                char c = fl[i].s[a];
                if (c == '\\' && a + 1 < fl[i].n)
                    c = fl[i].s[++a];
                if (lc((unsigned char)c) != lc((unsigned char)s[b]))
                    break;
                a++;
                b++;
            }
            if (a == fl[i].n && b == n)
                return 1;
        } else if (iseqn(s, n, fl[i].s, fl[i].n))
            return 1;
    }
    return 0;
}

static int
sec_fields(const struct imapmsg *m, const struct ent *x, int not,
    const struct fname *fl, int nf, struct str *out)
{
    struct field f;
    size_t pos = x->hdr;

    while (field_next(m, &pos, x->body, &f)) {
        int hit;
        if (f.namelen == 0 && f.val == f.end)
            continue;  /* the blank line, or a line without a colon */
        hit = fname_match(m->p + f.name, f.namelen, fl, nf);
        if (hit == not)
            continue;
        put_crlf(m, f.start, f.end, out);
        if (f.end == f.start || m->p[f.end - 1] != '\n')
            str_put(out, "\r\n", 2);
    }
    str_put(out, "\r\n", 2);
    return out->err ? -1 : 0;
}

/* Parse "(name name ...)" at s[*i..n). */
static int
sec_list(const char *s, size_t n, size_t i, struct fname *fl, int *nf)
{
    if (i >= n || s[i] != ' ')
        return -1;
    i++;
    if (i >= n || s[i] != '(')
        return -1;
    i++;
    *nf = 0;
    for (;;) {
        while (i < n && s[i] == ' ')
            i++;
        if (i >= n)
            return -1;
        if (s[i] == ')') {
            i++;
            break;
        }
        if (*nf >= IMAPMSG_HEADER_FIELDS_MAX)
            return -1;
        if (s[i] == '"') {
            size_t st = ++i;
            while (i < n && s[i] != '"') {
                if (s[i] == '\\')
                    i++;
                i++;
            }
            if (i >= n)
                return -1;
            fl[*nf].s = s + st;
            fl[*nf].n = i - st;
            fl[*nf].quoted = 1;
            i++;
        } else {
            size_t st = i;
            while (i < n && s[i] != ' ' && s[i] != ')' && s[i] != '('
                && s[i] != '"' && (unsigned char)s[i] > ' '
                && (unsigned char)s[i] < 0x7f)
                i++;
            if (i == st)
                return -1;
            fl[*nf].s = s + st;
            fl[*nf].n = i - st;
            fl[*nf].quoted = 0;
        }
        (*nf)++;
    }
    if (*nf == 0 || i != n)
        return -1;
    return 0;
}

static int
kw(const char *s, size_t n, size_t i, const char *k)
{
    size_t kl = strlen(k);

    return n - i >= kl && iseqn(s + i, kl, k, kl);
}

int
imapmsg_section(const struct imapmsg *m, const char *s, size_t n,
    struct str *out)
{
    struct fname fl[IMAPMSG_HEADER_FIELDS_MAX];
    unsigned long nums[IMAPMSG_DEPTH_MAX * 2 + 2];
    size_t i = 0;
    int nn = 0, what = SEC_BODY, nf = 0, id, k, self = 0;

    /* part numbers */
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        unsigned long v = 0;
        if (s[i] == '0')
            goto bad;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (v <= IMAPMSG_PARTNUM_MAX)
                v = v * 10 + (unsigned long)(s[i] - '0');
            i++;
        }
        if (nn < (int)(sizeof nums / sizeof nums[0]))
            nums[nn] = v;
        nn++;
        if (i == n)
            break;
        if (s[i] != '.')
            goto bad;
        i++;
        if (i == n)
            goto bad;
    }
    if (i < n) {
        if (kw(s, n, i, "HEADER.FIELDS.NOT")) {
            what = SEC_NOT;
            if (sec_list(s, n, i + 17, fl, &nf) == -1)
                goto bad;
        } else if (kw(s, n, i, "HEADER.FIELDS")) {
            what = SEC_FIELDS;
            if (sec_list(s, n, i + 13, fl, &nf) == -1)
                goto bad;
        } else if (n - i == 6 && kw(s, n, i, "HEADER"))
            what = SEC_HEADER;
        else if (n - i == 4 && kw(s, n, i, "TEXT"))
            what = SEC_TEXT;
        else if (n - i == 4 && kw(s, n, i, "MIME") && nn > 0)
            what = SEC_MIME;
        else
            goto bad;
    }
    if (nn > (int)(sizeof nums / sizeof nums[0]))
        return 0; /* deeper than any part */
    id = 0;
    if (nn > 0) {
        /* the top-level message passes numbers on like a message/rfc822
         * part: part 1 of a non-multipart message is the message */
        if (m->e[0].kind == KIND_MULTI)
            id = sec_child(m, 0, nums[0], &self);
        else {
            id = nums[0] == 1 ? 0 : -1;
            self = 1;
        }
        for (k = 1; k < nn && id >= 0; k++)
            id = sec_child(m, id, nums[k], &self);
        if (id < 0)
            return 0;
    }
    {
        const struct ent *x = &m->e[id];
        if (nn > 0 && (what == SEC_HEADER || what == SEC_TEXT
            || what == SEC_FIELDS || what == SEC_NOT)) {
            if (x->kind != KIND_RFC822)
                return 0;
            x = &m->e[x->child];
        }
        switch (what) {
        case SEC_BODY:
            if (nn == 0)
                return put_crlf(m, 0, m->n, out);
            return put_crlf(m, x->body, x->end, out);
        case SEC_HEADER:
        case SEC_MIME:
            return put_crlf(m, x->hdr, x->body, out);
        case SEC_TEXT:
            return put_crlf(m, x->body, x->end, out);
        default:
            return sec_fields(m, x, what == SEC_NOT, fl, nf, out);
        }
    }
bad:
    errno = EINVAL;
    return -1;
}

/* ---- SEARCH ---- */

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lc(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}


/* Base64 (RFC 2045 6.8), ignoring what is not in the alphabet. */
static void
dec_base64(const char *s, size_t n, struct str *v)
{
    unsigned long acc = 0;
    int bits = 0, d;
    size_t i;

    for (i = 0; i < n && !v->err; i++) {
        if (s[i] == '=')
            break;
        if ((d = base64_value((unsigned char)s[i])) < 0)
            continue;
        acc = (acc << 6 | (unsigned long)d) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            str_putc(v, (char)(acc >> bits & 0xff));
        }
    }
}

/* Quoted-printable (RFC 2045 6.7); q: RFC 2047's Q ("_" is a space). */
static void
dec_qp(const char *s, size_t n, struct str *v, int q)
{
    size_t i;

    for (i = 0; i < n && !v->err; i++) {
        int a, b;
        if (q && s[i] == '_') {
            str_putc(v, ' ');
            continue;
        }
        if (s[i] != '=') {
            str_putc(v, s[i]);
            continue;
        }
        if (i + 2 < n + 0 && (a = hexval((unsigned char)s[i + 1])) >= 0
            && (b = hexval((unsigned char)s[i + 2])) >= 0) {
            str_putc(v, (char)(a * 16 + b));
            i += 2;
            continue;
        }
        {
            /* soft line break: "=" then white space to the line end */
            size_t k = i + 1;
            while (k < n && (iswsp((unsigned char)s[k]) || s[k] == '\r'))
                k++;
            if (k < n && s[k] == '\n') {
                i = k;
                continue;
            }
            if (k >= n && !q) {
                i = k;
                continue;
            }
        }
        str_putc(v, '=');
    }
}

/* The charset's bytes as UTF-8 (ISO-8859-1 converted; others kept). */
static void
charset_put(const char *cs, size_t cl, const char *s, size_t n,
    struct str *v)
{
    size_t i;

    if (ieq(cs, cl, "iso-8859-1") || ieq(cs, cl, "latin1")
        || ieq(cs, cl, "iso-8859-15") || ieq(cs, cl, "windows-1252")) {
        for (i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x80)
                str_putc(v, (char)c);
            else {
                str_putc(v, (char)(0xc0 | c >> 6));
                str_putc(v, (char)(0x80 | (c & 0x3f)));
            }
        }
    } else
        str_put(v, s, n);
}

/* Decode RFC 2047 encoded words in s; white space between two encoded
 * words goes away. */
static void
dec_2047(const char *s, size_t n, struct str *v)
{
    struct str w = { 0 };
    size_t i = 0, pend = 0, pendlen = 0;
    int afterword = 0;

    while (i < n && !v->err) {
        if (s[i] == '=' && i + 1 < n && s[i + 1] == '?') {
            /* =?charset?X?text?= */
            size_t cs = i + 2, ce, es, ts, te;
            const char *q = memchr(s + cs, '?', n - cs);
            if (q == NULL)
                goto plain;
            ce = (size_t)(q - s);
            es = ce + 1;
            if (es + 2 > n || s[es + 1] != '?')
                goto plain;
            ts = es + 2;
            q = ts < n ? memchr(s + ts, '?', n - ts) : NULL;
            if (q == NULL)
                goto plain;
            te = (size_t)(q - s);
            if (te + 1 >= n || s[te + 1] != '=')
                goto plain;
            str_reset(&w);
            if (lc((unsigned char)s[es]) == 'b')
                dec_base64(s + ts, te - ts, &w);
            else if (lc((unsigned char)s[es]) == 'q')
                dec_qp(s + ts, te - ts, &w, 1);
            else
                goto plain;
            {
                /* RFC 2231 language: charset*lang */
                const char *star = memchr(s + cs, '*', ce - cs);
                size_t cl = star ? (size_t)(star - (s + cs)) : ce - cs;
                charset_put(s + cs, cl, w.s ? w.s : "", w.len, v);
            }
            i = te + 2;
            afterword = 1;
            pendlen = 0;
            continue;
        }
    plain:
        if (iswsp((unsigned char)s[i]) && afterword) {
            /* hold white space: dropped if another word follows */
            if (pendlen == 0)
                pend = i;
            pendlen++;
            i++;
            continue;
        }
        if (pendlen) {
            str_put(v, s + pend, pendlen);
            pendlen = 0;
        }
        afterword = 0;
        str_putc(v, s[i]);
        i++;
    }
    if (pendlen)
        str_put(v, s + pend, pendlen);
    str_free(&w);
}

/* 1 if the field value (unfolded) holds needle, raw or decoded. */
static int
field_contains(const struct imapmsg *m, const struct field *f,
    const char *nd, size_t nl)
{
    struct str v = { 0 }, d = { 0 };
    int r;

    value_nolf(m, f, &v);
    r = icontains(v.s ? v.s : "", v.len, nd, nl);
    if (!r && v.len && memchr(v.s, '=', v.len)) {
        dec_2047(v.s, v.len, &d);
        r = icontains(d.s ? d.s : "", d.len, nd, nl);
    }
    str_free(&v);
    str_free(&d);
    return r;
}

int
imapmsg_header_contains(const struct imapmsg *m, const char *name,
    const char *nd, size_t nl)
{
    struct field f;
    size_t pos = m->e[0].hdr;

    while (field_next(m, &pos, m->e[0].body, &f))
        if (ieq(m->p + f.name, f.namelen, name) && f.namelen > 0
            && field_contains(m, &f, nd, nl))
            return 1;
    return 0;
}

/* The decoded body of a text entity holds needle. */
static int
leaf_contains(const struct imapmsg *m, const struct ent *x, const char *nd,
    size_t nl)
{
    struct field f;
    struct str v = { 0 };
    int r, enc = 0;

    if (field_find(m, x, "content-transfer-encoding", &f)) {
        struct lex l;
        size_t ts, tl;
        l.s = m->p;
        l.i = f.val;
        l.n = f.valend;
        lex_cfws(&l, NULL);
        ts = l.i;
        tl = lex_token(&l);
        if (ieq(m->p + ts, tl, "base64"))
            enc = 1;
        else if (ieq(m->p + ts, tl, "quoted-printable"))
            enc = 2;
    }
    if (enc == 0)
        return icontains(m->p + x->body, x->end - x->body, nd, nl);
    if (enc == 1)
        dec_base64(m->p + x->body, x->end - x->body, &v);
    else
        dec_qp(m->p + x->body, x->end - x->body, &v, 0);
    /* out of memory: fall back on the encoded text */
    if (v.err)
        r = icontains(m->p + x->body, x->end - x->body, nd, nl);
    else
        r = icontains(v.s ? v.s : "", v.len, nd, nl);
    str_free(&v);
    return r;
}

static int
body_contains(const struct imapmsg *m, int id, const char *nd, size_t nl)
{
    const struct ent *x = &m->e[id];
    int c;

    if (x->kind == KIND_MULTI) {
        for (c = x->child; c >= 0; c = m->e[c].next)
            if (body_contains(m, c, nd, nl))
                return 1;
        return 0;
    }
    if (x->kind == KIND_RFC822) {
        const struct ent *s = &m->e[x->child];
        struct field f;
        size_t pos = s->hdr;
        /* the encapsulated header is text of this body too */
        while (field_next(m, &pos, s->body, &f))
            if (f.namelen > 0 && field_contains(m, &f, nd, nl))
                return 1;
        return body_contains(m, x->child, nd, nl);
    }
    if (x->istext || x->ismulti || x->isrfc822)
        return leaf_contains(m, x, nd, nl);
    return 0;
}

int
imapmsg_body_contains(const struct imapmsg *m, const char *nd, size_t nl)
{
    return body_contains(m, 0, nd, nl);
}

int
imapmsg_text_contains(const struct imapmsg *m, const char *nd, size_t nl)
{
    struct field f;
    size_t pos = m->e[0].hdr;

    while (field_next(m, &pos, m->e[0].body, &f)) {
        if (f.namelen == 0)
            continue;
        if (icontains(m->p + f.name, f.namelen, nd, nl)
            || field_contains(m, &f, nd, nl))
            return 1;
    }
    return body_contains(m, 0, nd, nl);
}

/* ---- Date ---- */

/* Days from 1970-01-01 to y-mo-d (proleptic Gregorian). */
static int64_t
days_civil(int64_t y, int mo, int d)
{
    int64_t era, yoe, doy, doe;

    y -= mo <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t
imapmsg_sent_day(const struct imapmsg *m)
{
    static const char mon[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    struct field f;
    struct str v = { 0 };
    struct lex l;
    long day = 0, year = 0;
    int mo = -1, nd = 0, ny = 0, k;
    int64_t r = -1;

    if (!field_find(m, &m->e[0], "date", &f))
        return -1;
    value_nolf(m, &f, &v);
    l.s = v.s ? v.s : "";
    l.i = 0;
    l.n = v.len;
    lex_cfws(&l, NULL);
    /* optional day of week, with or without its comma */
    if (l.i < l.n && lc((unsigned char)l.s[l.i]) >= 'a'
        && lc((unsigned char)l.s[l.i]) <= 'z') {
        while (l.i < l.n && lc((unsigned char)l.s[l.i]) >= 'a'
            && lc((unsigned char)l.s[l.i]) <= 'z')
            l.i++;
        lex_cfws(&l, NULL);
        if (l.i < l.n && l.s[l.i] == ',')
            l.i++;
        lex_cfws(&l, NULL);
    }
    while (l.i < l.n && l.s[l.i] >= '0' && l.s[l.i] <= '9' && nd < 3) {
        day = day * 10 + (l.s[l.i++] - '0');
        nd++;
    }
    if (nd == 0 || nd > 2 || day < 1 || day > 31)
        goto out;
    lex_cfws(&l, NULL);
    if (l.i < l.n && l.s[l.i] == '-')
        l.i++;
    if (l.n - l.i < 3)
        goto out;
    for (k = 0; k < 12; k++)
        if (iseqn(l.s + l.i, 3, mon + 3 * k, 3))
            mo = k + 1;
    if (mo < 0)
        goto out;
    l.i += 3;
    while (l.i < l.n && lc((unsigned char)l.s[l.i]) >= 'a'
        && lc((unsigned char)l.s[l.i]) <= 'z')
        l.i++;  /* "January" */
    lex_cfws(&l, NULL);
    if (l.i < l.n && l.s[l.i] == '-')
        l.i++;
    while (l.i < l.n && l.s[l.i] >= '0' && l.s[l.i] <= '9' && ny < 5) {
        year = year * 10 + (l.s[l.i++] - '0');
        ny++;
    }
    if (ny < 2 || ny > 4 || (l.i < l.n && l.s[l.i] >= '0' && l.s[l.i] <= '9'))
        goto out;
    /* RFC 5322 4.3: two digits are 1950-2049, three are 1900+ */
    if (ny == 2)
        year += year < 50 ? 2000 : 1900;
    else if (ny == 3)
        year += 1900;
    {
        static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
            30, 31 };
        int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        if (day > mdays[mo - 1] || (mo == 2 && day == 29 && !leap))
            goto out;
    }
    r = days_civil(year, mo, (int)day);
out:
    str_free(&v);
    return r;
}
