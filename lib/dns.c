/* dns.c - the stub resolver (see dns.h).
 *
 * Queries go to one recursive resolver: UDP from a fresh socket (the
 * kernel picks the source port) with a random id, then the same query
 * over TCP when the answer comes back truncated (RFC 7766).  A datagram
 * counts as the answer only when it comes from the server's address and
 * port and carries our id and our question; anything else is dropped and
 * the wait goes on until the deadline, so a forged or stray datagram can
 * delay an answer but never replace it.
 *
 * Everything in an answer is untrusted: dns_parse reads through one
 * bounds-checked reader, checks every length against what is left before
 * using it, and decompresses names with pointers that may only go back
 * (so they cannot loop) and only DNS_PTR_MAX times.
 *
 * Names: what callers ask is a host name (dnsname.h) whose labels may
 * also start with an underscore (RFC 8552: _25._tcp.mx.example for TLSA,
 * _dmarc.example, sel._domainkey.example).  Names taken from answers are
 * compared in wire form, ASCII case-insensitively (RFC 4343), and turned
 * into text only when they fit that same grammar, so that every name
 * handed back can be asked again.
 *
 * No global state.  Environment: FACTEUR_RESOLVER, FACTEUR_DNS_TIMEOUT_MS
 * (tests); files: $FACTEUR_CONF/resolver, /etc/resolv.conf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "dns.h"
#include "dnsname.h"
#include "loop.h"

#define DNS_PORT 53
#define DNS_HDR_LEN 12             /* RFC 1035 4.1.1 */
#define DNS_WIRENAME_MAX 255       /* RFC 1035 3.1, length bytes included */
#define DNS_PTR_MAX 32             /* compression pointers in one name */
#define DNS_EDNS_UDP 1232          /* DNS flag day 2020: no fragmentation */
#define DNS_OPT_LEN 11             /* root name, type, class, TTL, rdlength */
#define DNS_QUERY_MAX 512          /* header + name + question + OPT fit */
#define DNS_TIMEOUT_TEST_MAX 60000 /* FACTEUR_DNS_TIMEOUT_MS at most */
#define DNS_RESOLVER_LINE_MAX 128  /* the resolver file, one address */
#define RESOLV_CONF "/etc/resolv.conf"
#define RESOLV_LINE_MAX 512

#define DNS_C_IN 1
#define DNS_T_OPT 41               /* RFC 6891 */
#define DNS_EDNS_DO 0x8000         /* DNSSEC OK, in the OPT TTL (RFC 3225) */

/* Header flags (RFC 1035 4.1.1, RFC 4035 3.2.3 for AD). */
#define DNS_F_QR 0x8000
#define DNS_F_OPCODE 0x7800
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_AD 0x0020
#define DNS_F_RCODE 0x000f

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_NXDOMAIN 3

/* A reader over a whole message; names need all of it (pointers). */
struct rd {
    const unsigned char *p;
    size_t len, pos;
};

struct rr {
    unsigned char owner[DNS_WIRENAME_MAX];
    size_t ownerlen;
    size_t type, class;
    size_t ttlhi; /* the TTL's upper half: in OPT, extended rcode and
                   * version (RFC 6891 6.1.3) */
    size_t rdpos, rdlen;
};

/* The next 16-bit field, big-endian: every field of a header or of a
 * record is one (the TTL two). */
static int
get16(struct rd *r, size_t *v)
{
    if (r->len - r->pos < 2)
        return -1;
    *v = (size_t)r->p[r->pos] << 8 | r->p[r->pos + 1];
    r->pos += 2;
    return 0;
}

/* take - the next n bytes: their offset into *at, r->pos past them. */
static int
take(struct rd *r, size_t n, size_t *at)
{
    if (n > r->len - r->pos)
        return -1;
    *at = r->pos;
    r->pos += n;
    return 0;
}

static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * name_get - the name at r->pos, uncompressed into wire (room for
 * DNS_WIRENAME_MAX bytes, the final zero included) and its length in
 * *wlen; r->pos moves past the name as it stands in the message.
 * A pointer must point into the message body (past the header) and
 * strictly before the start of the run of labels it ends, so each jump
 * goes back and no chain of them can loop; DNS_PTR_MAX bounds the work
 * anyway.  Label types other than lengths and pointers (0x40, 0x80:
 * RFC 6891 5) are malformed.  Returns 0 or -1.
 */
static int
name_get(struct rd *r, unsigned char *wire, size_t *wlen)
{
    size_t pos = r->pos, start = r->pos, n = 0, jumps = 0, c, to;
    int jumped = 0;

    for (;;) {
        if (pos >= r->len)
            return -1;
        c = r->p[pos];
        if ((c & 0xc0) == 0xc0) {
            if (r->len - pos < 2 || ++jumps > DNS_PTR_MAX)
                return -1;
            to = ((c & 0x3f) << 8) | r->p[pos + 1];
            if (to < DNS_HDR_LEN || to >= start)
                return -1;
            if (!jumped)
                r->pos = pos + 2;
            jumped = 1;
            pos = start = to;
            continue;
        }
        if ((c & 0xc0) != 0 || c >= r->len - pos
            || c + 1 > DNS_WIRENAME_MAX - n)
            return -1;
        memcpy(wire + n, r->p + pos, c + 1);
        n += c + 1;
        pos += c + 1;
        if (c == 0)
            break;
    }
    if (!jumped)
        r->pos = pos;
    *wlen = n;
    return 0;
}

/* name_eq - two wire names equal, ASCII case-insensitively (RFC 4343).
 * Length bytes (0..63) are never letters, so they compare as they are. */
static int
name_eq(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
    size_t i;

    if (alen != blen)
        return 0;
    for (i = 0; i < alen; i++)
        if (lower(a[i]) != lower(b[i]))
            return 0;
    return 1;
}

/*
 * qname_canon - the n bytes of text name s, in lower case without a
 * final dot, into out (DNSNAME_MAX + 1 bytes).  The grammar is dnsname.h's
 * with one addition: a label may start with an underscore (RFC 8552).
 * dnsname_canon checks a copy where that underscore reads as a letter,
 * and keeps every byte in place, so the underscores go back afterwards.
 * Returns 0, or -1 (EINVAL).
 */
static int
qname_canon(char *out, const char *s, size_t n)
{
    char tmp[DNSNAME_MAX + 2];
    size_t i;

    if (n >= sizeof tmp) {
        errno = EINVAL;
        return -1;
    }
    memcpy(tmp, s, n);
    for (i = 0; i < n; i++)
        if (tmp[i] == '_' && (i == 0 || tmp[i - 1] == '.'))
            tmp[i] = 'x';
    if (dnsname_canon(out, DNSNAME_MAX + 1, tmp, n) == -1)
        return -1;
    for (i = 0; out[i] != 0; i++)
        if (s[i] == '_')
            out[i] = '_';
    return 0;
}

/* name_wire - canonical text name (qname_canon) to wire form in wire
 * (DNS_WIRENAME_MAX bytes: a name of DNSNAME_MAX fits); its length. */
static size_t
name_wire(unsigned char *wire, const char *text)
{
    size_t n = 0, i = 0, label;

    while (text[i] != 0) {
        label = strcspn(text + i, ".");
        wire[n++] = (unsigned char)label;
        memcpy(wire + n, text + i, label);
        n += label;
        i += label;
        if (text[i] == '.')
            i++;
    }
    wire[n++] = 0;
    return n;
}

/* name_text - wire name to canonical text in out (DNSNAME_MAX + 1
 * bytes); the root is "".  0, or -1 when the name is not one dns_query
 * would ask (bytes outside letters, digits, '-' and '_', bad hyphens). */
static int
name_text(char *out, const unsigned char *wire)
{
    char tmp[DNS_WIRENAME_MAX];
    size_t i = 0, n = 0, j, label;

    while ((label = wire[i]) != 0) {
        if (n > 0)
            tmp[n++] = '.';
        for (j = 1; j <= label; j++) {
            unsigned char c = wire[i + j];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9') || c == '-' || c == '_'))
                return -1;
            tmp[n++] = (char)c;
        }
        i += label + 1;
    }
    if (n == 0) {
        out[0] = 0;
        return 0;
    }
    return qname_canon(out, tmp, n);
}

/* rr_get - the resource record at r->pos (RFC 1035 4.1.3); r->pos moves
 * past its data, which must lie within the message.  0 or -1. */
static int
rr_get(struct rd *r, struct rr *rr)
{
    size_t ttllo;

    if (name_get(r, rr->owner, &rr->ownerlen) == -1
        || get16(r, &rr->type) == -1 || get16(r, &rr->class) == -1
        || get16(r, &rr->ttlhi) == -1 || get16(r, &ttllo) == -1
        || get16(r, &rr->rdlen) == -1)
        return -1;
    return take(r, rr->rdlen, &rr->rdpos);
}

/*
 * question_get - read the header and the question of the message in r
 * and check that they answer our query: a response (QR) to a standard
 * query with id, exactly one question, qname (wire, any case), qtype,
 * class IN.  The answer, authority and additional counts go to count.
 * Returns the header flags, or -1.  r is left at the answer section.
 */
static long
question_get(struct rd *r, uint16_t id, const unsigned char *qname,
    size_t qlen, size_t qtype, size_t count[3])
{
    unsigned char wire[DNS_WIRENAME_MAX];
    size_t v, flags, qd, wlen, type, class;

    if (get16(r, &v) == -1 || v != id || get16(r, &flags) == -1
        || (flags & DNS_F_QR) == 0 || (flags & DNS_F_OPCODE) != 0
        || get16(r, &qd) == -1 || qd != 1 || get16(r, &count[0]) == -1
        || get16(r, &count[1]) == -1 || get16(r, &count[2]) == -1
        || name_get(r, wire, &wlen) == -1 || get16(r, &type) == -1
        || get16(r, &class) == -1)
        return -1;
    if (!name_eq(wire, wlen, qname, qlen) || type != qtype
        || class != DNS_C_IN)
        return -1;
    return (long)flags;
}

/*
 * answer_ok - the datagram or TCP message msg answers the query q (as
 * dns_build made it: the question starts right after the header).  A
 * truncated answer may also come without its question (some servers
 * drop every section): our id and TC are enough for it, since all it can
 * do is send the query to TCP.
 */
static int
answer_ok(const unsigned char *msg, size_t len, const unsigned char *q,
    size_t qlen)
{
    struct rd qr = { q, qlen, DNS_HDR_LEN }, r = { msg, len, 0 };
    unsigned char qname[DNS_WIRENAME_MAX];
    uint16_t id = (uint16_t)((q[0] << 8) | q[1]);
    size_t wlen, type, v, flags, qd, count[3];

    if (name_get(&qr, qname, &wlen) == -1 || get16(&qr, &type) == -1)
        return 0;
    if (question_get(&r, id, qname, wlen, type, count) != -1)
        return 1;
    r.pos = 0;
    return len >= DNS_HDR_LEN && get16(&r, &v) == 0 && v == id
        && get16(&r, &flags) == 0
        && (flags & (DNS_F_QR | DNS_F_OPCODE | DNS_F_TC))
            == (DNS_F_QR | DNS_F_TC)
        && get16(&r, &qd) == 0 && qd == 0;
}

/*
 * next_of - the next record in the *left records from r (the answer
 * section) owned by owner (wire) with type and class IN, into rr;
 * *left counts down.  1 found, 0 none left, -1 malformed.
 */
static int
next_of(struct rd *r, size_t *left, const unsigned char *owner,
    size_t ownerlen, size_t type, struct rr *rr)
{
    while (*left > 0) {
        (*left)--;
        if (rr_get(r, rr) == -1)
            return -1;
        if (rr->type == type && rr->class == DNS_C_IN
            && name_eq(rr->owner, rr->ownerlen, owner, ownerlen))
            return 1;
    }
    return 0;
}

/* rdata_name - the name that is the whole rest of rr's data from pos
 * (CNAME target, MX exchange), into wire; 0 or -1. */
static int
rdata_name(const unsigned char *msg, const struct rr *rr, size_t pos,
    unsigned char *wire, size_t *wlen)
{
    /* The reader ends with the data: a name may point back before it,
     * but its own labels must stay inside. */
    struct rd r = { msg, rr->rdpos + rr->rdlen, pos };

    if (name_get(&r, wire, wlen) == -1 || r.pos != rr->rdpos + rr->rdlen)
        return -1;
    return 0;
}

/* One record's data into ans->u / ans->txt at index i.  1 stored, 0
 * skipped (an MX exchange that is not a host name), -1 malformed or
 * beyond the limits. */
static int
rdata_store(const unsigned char *msg, const struct rr *rr, size_t type,
    struct dns_answer *ans, size_t i)
{
    const unsigned char *d = msg + rr->rdpos;
    unsigned char wire[DNS_WIRENAME_MAX];
    size_t wlen, pos, n, len = 0;

    switch (type) {
    case DNS_T_A:
    case DNS_T_AAAA:
        if (rr->rdlen != (type == DNS_T_A ? 4u : 16u))
            return -1;
        memcpy(ans->u.a[i], d, rr->rdlen);
        return 1;
    case DNS_T_MX:
        if (rr->rdlen < 3
            || rdata_name(msg, rr, rr->rdpos + 2, wire, &wlen) == -1)
            return -1;
        ans->u.mx[i].pref = (unsigned)((d[0] << 8) | d[1]);
        /* RFC 7505: "." is the null MX, reported as host "". */
        if (name_text(ans->u.mx[i].host, wire) == -1
            || (ans->u.mx[i].host[0] != 0
                && !dnsname_valid(ans->u.mx[i].host,
                    strlen(ans->u.mx[i].host))))
            return 0;
        return 1;
    case DNS_T_TXT:
        /* One or more <length><bytes> strings, joined (RFC 7208 3.3). */
        for (pos = 0; pos < rr->rdlen; pos += 1 + n) {
            n = d[pos];
            if (n > rr->rdlen - pos - 1 || n > DNS_TXT_MAX - len)
                return -1;
            memcpy(ans->txt[i] + len, d + pos + 1, n);
            len += n;
        }
        ans->txt[i][len] = 0;
        ans->txtlen[i] = len;
        return 1;
    case DNS_T_TLSA:
        if (rr->rdlen < 3)
            return -1;
        ans->u.tlsa[i].usage = d[0];
        ans->u.tlsa[i].selector = d[1];
        ans->u.tlsa[i].mtype = d[2];
        /* Too long to hold (a full certificate): kept as an unusable
         * record with no data, so the RRset still counts (RFC 7672 2.2). */
        n = rr->rdlen - 3;
        ans->u.tlsa[i].len = n <= DNS_TLSA_DATA_MAX ? n : 0;
        memcpy(ans->u.tlsa[i].data, d + 3, ans->u.tlsa[i].len);
        return 1;
    }
    return -1;
}

/* Stable insertion sort of the MX records by preference. */
static void
mx_sort(struct dns_mx *mx, size_t n)
{
    struct dns_mx t;
    size_t i, j;

    for (i = 1; i < n; i++) {
        t = mx[i];
        for (j = i; j > 0 && mx[j - 1].pref > t.pref; j--)
            mx[j] = mx[j - 1];
        mx[j] = t;
    }
}

/* The records of the three sections (count[]) from r are well formed;
 * the rcode with the extended bits of an OPT record (RFC 6891 6.1.3)
 * into *rcode. */
static int
sections_check(struct rd r, const size_t count[3], size_t flags, int *rcode)
{
    struct rr rr;
    size_t i, opts = 0;

    *rcode = (int)(flags & DNS_F_RCODE);
    for (i = 0; i < count[0] + count[1] + count[2]; i++) {
        if (rr_get(&r, &rr) == -1)
            return -1;
        if (rr.type != DNS_T_OPT)
            continue;
        /* One OPT at most, owned by the root, in the additional section. */
        if (i < count[0] + count[1] || ++opts > 1 || rr.ownerlen != 1)
            return -1;
        *rcode |= (int)((rr.ttlhi >> 8) << 4);
    }
    return 0;
}

/* parse - dns_parse, but for what a DNS_TEMP leaves in ans. */
static int
parse(const unsigned char *msg, size_t len, uint16_t id, const char *name,
    enum dns_type type, struct dns_answer *ans)
{
    char canon[DNSNAME_MAX + 1];
    unsigned char cur[DNS_WIRENAME_MAX];
    struct rd r = { msg, len, 0 }, a;
    struct rr rr;
    size_t curlen, count[3], left, links = 0, skipped = 0;
    long flags;
    int rcode, found, stored;

    ans->ad = 0;
    ans->rcode = 0;
    ans->n = 0;
    ans->name[0] = 0;
    if (qname_canon(canon, name, strlen(name)) == -1)
        return DNS_TEMP;
    curlen = name_wire(cur, canon);
    flags = question_get(&r, id, cur, curlen, (size_t)type, count);
    if (flags == -1 || (flags & DNS_F_TC) != 0)
        return DNS_TEMP; /* truncated: only the TCP answer is whole */
    if (sections_check(r, count, (size_t)flags, &rcode) == -1)
        return DNS_TEMP;
    ans->ad = (flags & DNS_F_AD) != 0;
    ans->rcode = rcode;
    if (rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN)
        return DNS_TEMP; /* SERVFAIL, REFUSED, FORMERR, ... */

    /* Follow the CNAME chain from the question name (RFC 1034 3.6.2);
     * the resolver put its links in the answer section. */
    for (;;) {
        a = r;
        left = count[0];
        found = next_of(&a, &left, cur, curlen, DNS_T_CNAME, &rr);
        if (found == -1)
            return DNS_TEMP;
        if (found == 0)
            break;
        if (++links > DNS_CNAME_MAX)
            return DNS_TEMP; /* too long, or a loop */
        if (rdata_name(msg, &rr, rr.rdpos, cur, &curlen) == -1)
            return DNS_TEMP;
    }
    if (name_text(ans->name, cur) == -1)
        return DNS_TEMP;
    /* NXDOMAIN is about the last name of the chain (RFC 6604 2.1). */
    if (rcode == DNS_RCODE_NXDOMAIN)
        return DNS_NXDOMAIN;
    if (type == DNS_T_CNAME) {
        ans->n = links;
        return links > 0 ? DNS_OK : DNS_NODATA;
    }

    a = r;
    left = count[0];
    while ((found = next_of(&a, &left, cur, curlen, (size_t)type, &rr)) == 1) {
        if (ans->n == DNS_ANSWERS_MAX)
            return DNS_TEMP;
        stored = rdata_store(msg, &rr, (size_t)type, ans, ans->n);
        if (stored == -1)
            return DNS_TEMP;
        if (stored == 0)
            skipped++;
        ans->n += (size_t)stored;
    }
    if (found == -1)
        return DNS_TEMP;
    if (type == DNS_T_MX)
        mx_sort(ans->u.mx, ans->n);
    if (ans->n > 0)
        return DNS_OK;
    /* Records there, none usable: not a "no such record" to act on. */
    return skipped > 0 ? DNS_TEMP : DNS_NODATA;
}

int
dns_parse(const unsigned char *msg, size_t len, uint16_t id,
    const char *name, enum dns_type type, struct dns_answer *ans)
{
    int r = parse(msg, len, id, name, type, ans);

    /* Nothing half-parsed gets out; ad and rcode stay, for the log. */
    if (r == DNS_TEMP) {
        ans->n = 0;
        ans->name[0] = 0;
    }
    return r;
}

static void
put16(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

long
dns_build(unsigned char *out, size_t cap, uint16_t id, const char *name,
    enum dns_type type)
{
    char canon[DNSNAME_MAX + 1];
    unsigned char wire[DNS_WIRENAME_MAX];
    size_t wlen, n;

    if (qname_canon(canon, name, strlen(name)) == -1)
        return -1;
    wlen = name_wire(wire, canon);
    n = DNS_HDR_LEN + wlen + 4 + DNS_OPT_LEN;
    if (n > cap) {
        errno = E2BIG;
        return -1;
    }
    memset(out, 0, n);
    put16(out, id);
    put16(out + 2, DNS_F_RD);
    put16(out + 4, 1);  /* QDCOUNT */
    put16(out + 10, 1); /* ARCOUNT: the OPT record */
    memcpy(out + DNS_HDR_LEN, wire, wlen);
    put16(out + DNS_HDR_LEN + wlen, (size_t)type);
    put16(out + DNS_HDR_LEN + wlen + 2, DNS_C_IN);
    /* OPT (RFC 6891 6.1.2): root owner (the zero already there), the UDP
     * size in the class, DO in the TTL's flags, no options. */
    put16(out + n - 10, DNS_T_OPT);
    put16(out + n - 8, DNS_EDNS_UDP);
    put16(out + n - 4, DNS_EDNS_DO);
    return (long)n;
}

/* Resolver addresses. */

static int
port_parse(const char *s, in_port_t *port)
{
    unsigned long v = 0;
    size_t i;

    for (i = 0; s[i] != 0; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 5)
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (i == 0 || v == 0 || v > 65535)
        return -1;
    *port = htons((in_port_t)v);
    return 0;
}

/*
 * addr_parse - "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT" (a bare IPv6
 * address too, as resolv.conf has them) into d.  0, or -1 (EINVAL).
 */
static int
addr_parse(struct dns *d, const char *s)
{
    char host[INET6_ADDRSTRLEN];
    const char *h = s, *port = NULL, *end, *colon = strchr(s, ':');
    size_t hn = strlen(s);
    in_port_t p = htons(DNS_PORT);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&d->server;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&d->server;

    if (s[0] == '[') {
        end = strchr(s, ']');
        if (end == NULL || (end[1] != 0 && end[1] != ':'))
            goto bad;
        h = s + 1;
        hn = (size_t)(end - h);
        if (end[1] == ':')
            port = end + 2;
    } else if (colon != NULL && strchr(colon + 1, ':') == NULL) {
        hn = (size_t)(colon - s); /* one colon: IPv4:PORT */
        port = colon + 1;
    }
    if (hn >= sizeof host || (port != NULL && port_parse(port, &p) == -1))
        goto bad;
    memcpy(host, h, hn);
    host[hn] = 0;
    memset(&d->server, 0, sizeof d->server);
    if (s[0] != '[' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = p;
        d->serverlen = sizeof *v4;
        return 0;
    }
    if ((port == NULL || s[0] == '[')
        && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = p;
        d->serverlen = sizeof *v6;
        return 0;
    }
bad:
    errno = EINVAL;
    return -1;
}

/* The first nameserver of resolv.conf that parses as an address (a
 * scoped fe80::1%eth0 does not); 0, or -1 when there is none. */
static int
resolvconf(struct dns *d)
{
    char line[RESOLV_LINE_MAX], *p, *end;
    FILE *f = fopen(RESOLV_CONF, "re");
    int found = -1, whole = 1;

    if (f == NULL)
        return -1;
    while (found == -1 && fgets(line, sizeof line, f) != NULL) {
        /* The tail of a line longer than the buffer is no new line. */
        int waswhole = whole;
        whole = strchr(line, '\n') != NULL;
        if (!waswhole || strncmp(line, "nameserver", 10) != 0
            || (line[10] != ' ' && line[10] != '\t'))
            continue;
        p = line + 10 + strspn(line + 10, " \t");
        end = p + strcspn(p, " \t\r\n#;");
        *end = 0;
        found = addr_parse(d, p);
    }
    fclose(f);
    return found;
}

int
dns_init(struct dns *d)
{
    char line[DNS_RESOLVER_LINE_MAX], *p;
    const char *env = getenv("FACTEUR_RESOLVER");
    size_t n;
    int r;

    memset(d, 0, sizeof *d);
    if (env != NULL && env[0] != 0)
        return addr_parse(d, env);
    r = conf_line("resolver", line, sizeof line);
    if (r == -1) {
        if (errno == ERANGE)
            errno = EINVAL;
        return -1;
    }
    if (r == 1) {
        p = line + strspn(line, " \t");
        n = strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            p[--n] = 0;
        return addr_parse(d, p);
    }
    if (resolvconf(d) == 0)
        return 0;
    return addr_parse(d, "127.0.0.1");
}

/* Talking to the resolver. */

/* FACTEUR_DNS_TIMEOUT_MS (1..DNS_TIMEOUT_TEST_MAX), else DNS_TIMEOUT_MS. */
static int64_t
timeout_ms(void)
{
    const char *s = getenv("FACTEUR_DNS_TIMEOUT_MS");
    long v = 0;
    size_t i;

    if (s == NULL)
        return DNS_TIMEOUT_MS;
    for (i = 0; s[i] != 0; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 6)
            return DNS_TIMEOUT_MS;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= DNS_TIMEOUT_TEST_MAX ? v : DNS_TIMEOUT_MS;
}

/* from is the server's address and port. */
static int
from_server(const struct dns *d, const struct sockaddr_storage *from)
{
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)from;
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)&d->server;
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)from;
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&d->server;

    if (from->ss_family != d->server.ss_family)
        return 0;
    if (from->ss_family == AF_INET)
        return a4->sin_port == s4->sin_port
            && a4->sin_addr.s_addr == s4->sin_addr.s_addr;
    return from->ss_family == AF_INET6 && a6->sin6_port == s6->sin6_port
        && memcmp(&a6->sin6_addr, &s6->sin6_addr, sizeof a6->sin6_addr) == 0;
}

/* A fresh non-blocking socket connected (or connecting: TCP) to the
 * server; the fd or -1. */
static int
server_socket(const struct dns *d, int socktype)
{
    int fd = socket(d->server.ss_family,
        socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd == -1)
        return -1;
    if (connect(fd, (const struct sockaddr *)&d->server, d->serverlen) == -1
        && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * udp_ask - send query q, wait until the deadline for its answer into
 * resp (cap bytes).  The connected socket already filters by peer; the
 * source is checked again, then id and question (answer_ok): whatever
 * fails is dropped and the wait goes on.  Its length, or -1.
 */
static long
udp_ask(const struct dns *d, const unsigned char *q, size_t qlen,
    unsigned char *resp, size_t cap, int64_t deadline)
{
    struct sockaddr_storage from;
    socklen_t fromlen;
    struct pollfd p;
    ssize_t n;
    int fd = server_socket(d, SOCK_DGRAM);

    if (fd == -1)
        return -1;
    if (send(fd, q, qlen, 0) != (ssize_t)qlen)
        goto fail;
    for (;;) {
        p.fd = fd;
        p.events = POLLIN;
        if (loop_poll(&p, 1, deadline) <= 0)
            goto fail;
        fromlen = sizeof from;
        n = recvfrom(fd, resp, cap, 0, (struct sockaddr *)&from, &fromlen);
        if (n == -1 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n == -1)
            goto fail; /* ECONNREFUSED: nothing listens there */
        if (from_server(d, &from) && answer_ok(resp, (size_t)n, q, qlen)) {
            close(fd);
            return (long)n;
        }
    }
fail:
    close(fd);
    return -1;
}

/* tcp_io - send or receive (events POLLOUT or POLLIN) exactly n bytes
 * by the deadline.  0, or -1 (timeout, error, early EOF). */
static int
tcp_io(int fd, unsigned char *buf, size_t n, short events, int64_t deadline)
{
    struct pollfd p;
    size_t done = 0;
    ssize_t r;

    while (done < n) {
        p.fd = fd;
        p.events = events;
        if (loop_poll(&p, 1, deadline) <= 0)
            return -1;
        if (events == POLLOUT)
            r = send(fd, buf + done, n - done, MSG_NOSIGNAL);
        else
            r = read(fd, buf + done, n - done);
        if (r == -1 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

/* tcp_ask - the same over TCP, each message after its two-byte length
 * (RFC 1035 4.2.2).  The answer's length, or -1. */
static long
tcp_ask(const struct dns *d, const unsigned char *q, size_t qlen,
    unsigned char *resp, size_t cap, int64_t deadline)
{
    unsigned char out[2 + DNS_QUERY_MAX], lenbuf[2];
    size_t n;
    int fd = server_socket(d, SOCK_STREAM);

    if (fd == -1)
        return -1;
    put16(out, qlen);
    memcpy(out + 2, q, qlen);
    /* Writable once connected; a refused connect fails the send. */
    if (tcp_io(fd, out, 2 + qlen, POLLOUT, deadline) == -1
        || tcp_io(fd, lenbuf, 2, POLLIN, deadline) == -1)
        goto fail;
    n = (size_t)((lenbuf[0] << 8) | lenbuf[1]);
    if (n > cap || tcp_io(fd, resp, n, POLLIN, deadline) == -1
        || !answer_ok(resp, n, q, qlen))
        goto fail;
    close(fd);
    return (long)n;
fail:
    close(fd);
    return -1;
}

int
dns_query(struct dns *d, const char *name, enum dns_type type,
    struct dns_answer *ans)
{
    unsigned char q[DNS_QUERY_MAX], resp[DNS_MSG_MAX];
    int64_t tmo = timeout_ms();
    uint16_t id;
    long qlen, n;
    int i;

    ans->ad = 0;
    ans->rcode = 0;
    ans->n = 0;
    ans->name[0] = 0;
    for (i = 0; i < DNS_TRIES; i++) {
        /* A new id and a new source port each try (RFC 5452 9.2). */
        if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
            return DNS_TEMP;
        qlen = dns_build(q, sizeof q, id, name, type);
        if (qlen == -1)
            return DNS_TEMP;
        n = udp_ask(d, q, (size_t)qlen, resp, sizeof resp,
            loop_now() + tmo);
        if (n == -1)
            continue;
        if ((resp[2] << 8 | resp[3]) & DNS_F_TC) {
            n = tcp_ask(d, q, (size_t)qlen, resp, sizeof resp,
                loop_now() + tmo);
            if (n == -1)
                continue;
        }
        return dns_parse(resp, (size_t)n, id, name, type, ans);
    }
    return DNS_TEMP;
}
