/* imapsearch_test.c - SEARCH programs: every key of RFC 3501 6.4.4, the
 * syntax (one space between keys, CHARSET), the limits (depth, number of
 * keys), sequence and UID sets with "*", and that a message is loaded
 * only when a key needs it.  The message module is faked here: a struct
 * imapmsg of our own with the four functions imapsearch.c calls. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapsearch.h"
#include "tap.h"

/* The fake message: headers as "Name: value\n" lines, a body, the day of
 * its Date: (-1 unknown). */
struct imapmsg {
    const char *hdr, *body;
    int64_t day;
};

static int
lc(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* case-insensitive substring in s[0..n) */
static int
has(const char *s, size_t n, const char *needle, size_t nlen)
{
    size_t i, j;

    if (nlen == 0)
        return 1;
    for (i = 0; i + nlen <= n; i++) {
        for (j = 0; j < nlen; j++)
            if (lc((unsigned char)s[i + j]) != lc((unsigned char)needle[j]))
                break;
        if (j == nlen)
            return 1;
    }
    return 0;
}

int
imapmsg_header_contains(const struct imapmsg *m, const char *field,
    const char *needle, size_t nlen)
{
    const char *l = m->hdr, *e;
    size_t fl = strlen(field);

    for (; *l; l = *e ? e + 1 : e) {
        e = strchr(l, '\n');
        if (e == NULL)
            e = l + strlen(l);
        if ((size_t)(e - l) > fl && l[fl] == ':' && has(l, fl, field, fl)
            && has(l + fl + 1, (size_t)(e - l) - fl - 1, needle, nlen))
            return 1;
    }
    return 0;
}

int
imapmsg_body_contains(const struct imapmsg *m, const char *needle,
    size_t nlen)
{
    return has(m->body, strlen(m->body), needle, nlen);
}

int
imapmsg_text_contains(const struct imapmsg *m, const char *needle,
    size_t nlen)
{
    return has(m->hdr, strlen(m->hdr), needle, nlen)
        || imapmsg_body_contains(m, needle, nlen);
}

int64_t
imapmsg_sent_day(const struct imapmsg *m)
{
    return m->day;
}

/* The mailbox: five messages, keywords $Junk (0) and Work (3). */
static struct imapmsg files[5] = {
    { "From: Alice <alice@example.org>\nTo: bob@example.net\n"
      "Subject: Hello there\nX-Spam: yes\n", "first body\n", 19754 },
    { "From: bob@example.net\nTo: alice@example.org\nCc: carol@x.org\n"
      "Subject: Re: Hello there\n", "caf\xc3\xa9 au lait\n", 19755 },
    { "From: carol@x.org\nBcc: dave@y.org\nSubject: meeting\n",
      "agenda: budget\n", -1 },
    { "", "", -1 },
    { "From: eve@z.org\nSubject: {braces}\n", "x", 0 },
};
static int loads;
static int unreadable = -1;  /* the index of a message load() fails on */

static const struct imapmsg *
load(void *arg)
{
    int i = (int)(intptr_t)arg;

    loads++;
    return i == unreadable ? NULL : &files[i];
}

static struct search_msg msgs[5] = {
    { 1, 10, IMAPF_SEEN | IMAPF_ANSWERED, 0x1, 19754 * 86400LL + 3600,
      1000, load, (void *)0 },
    { 2, 20, IMAPF_RECENT, 0x8, 19755 * 86400LL, 2000, load, (void *)1 },
    { 3, 30, IMAPF_FLAGGED | IMAPF_DELETED | IMAPF_SEEN | IMAPF_RECENT, 0x9,
      19755 * 86400LL + 86399, 3000, load, (void *)2 },
    { 4, 40, IMAPF_DRAFT, 0, -1, 0, load, (void *)3 },
    { 5, 50, 0, 0, -86400, 5000, load, (void *)4 },
};

static int
keyword(void *arg, const char *name, size_t len)
{
    (void)arg;
    if (len == 5 && strncmp(name, "$Junk", 5) == 0)
        return 0;
    if (len == 4 && strncmp(name, "Work", 4) == 0)
        return 3;
    if (len == 3 && strncmp(name, "Big", 3) == 0)
        return 40;   /* out of range: treated as unknown */
    return -1;
}

static struct search_env env = { 5, 50, keyword, NULL };

static int lasterr;
static const char *lasttext;

static struct search *
parse(const char *s, size_t n)
{
    struct imapp ip;

    imapp_init(&ip, s, n);
    lasterr = 0;
    lasttext = NULL;
    return search_parse(&ip, &env, &lasterr, &lasttext);
}

/* The messages (by sequence number, as digits) that program s matches,
 * or "BAD"/"CHARSET"/"NOMEM". */
static const char *
run(const char *s)
{
    static char out[16];
    struct search *p = parse(s, strlen(s));
    size_t o = 0;
    unsigned i;

    if (p == NULL)
        return lasterr == SEARCH_ESYNTAX && lasttext != NULL ? "BAD"
            : lasterr == SEARCH_ECHARSET ? "CHARSET" : "NOMEM";
    for (i = 0; i < 5; i++)
        if (search_match(p, &msgs[i]))
            out[o++] = (char)('1' + i);
    out[o] = 0;
    search_free(p);
    return out;
}

static int
is(const char *prog, const char *want)
{
    const char *got = run(prog);

    if (strcmp(got, want) != 0) {
        printf("# %s: got %s, want %s\n", prog, got, want);
        return 0;
    }
    return 1;
}

/* loads done matching program s against message i */
static int
loads_for(const char *s, int i, int *matched)
{
    struct search *p = parse(s, strlen(s));

    if (p == NULL)
        return -1;
    loads = 0;
    *matched = search_match(p, &msgs[i]);
    search_free(p);
    return loads;
}

/* n copies of s joined by sep, then tail */
static char *
rep(const char *s, const char *sep, unsigned n, const char *tail)
{
    size_t sl = strlen(s), pl = strlen(sep), tl = strlen(tail), o = 0;
    char *b = malloc(n * (sl + pl) + tl + 1);
    unsigned i;

    for (i = 0; i < n; i++) {
        memcpy(b + o, s, sl);
        o += sl;
        if (i + 1 < n || tl) {
            memcpy(b + o, sep, pl);
            o += pl;
        }
    }
    memcpy(b + o, tail, tl);
    b[o + tl] = 0;
    return b;
}

int
main(void)
{
    struct search *p;
    char *b;
    int m;

    /* flags */
    ok(is("ALL", "12345"), "ALL");
    ok(is("SEEN", "13") && is("UNSEEN", "245"), "SEEN / UNSEEN");
    ok(is("ANSWERED", "1") && is("UNANSWERED", "2345"), "ANSWERED");
    ok(is("FLAGGED", "3") && is("UNFLAGGED", "1245"), "FLAGGED");
    ok(is("DELETED", "3") && is("UNDELETED", "1245"), "DELETED");
    ok(is("DRAFT", "4") && is("UNDRAFT", "1235"), "DRAFT");
    ok(is("RECENT", "23") && is("OLD", "145"), "RECENT / OLD");
    ok(is("NEW", "2"), "NEW is RECENT UNSEEN");
    ok(is("seen", "13") && is("UnSeen", "245"), "key names any case");

    /* keywords */
    ok(is("KEYWORD $Junk", "13") && is("UNKEYWORD $Junk", "245"),
        "KEYWORD $Junk");
    ok(is("KEYWORD Work", "23"), "KEYWORD Work");
    ok(is("KEYWORD Nope", "") && is("UNKEYWORD Nope", "12345"),
        "unknown keyword");
    ok(is("KEYWORD Big", "") && is("UNKEYWORD Big", "12345"),
        "keyword index out of range: unknown");
    ok(is("KEYWORD \\Seen", "13") && is("UNKEYWORD \\seen", "245"),
        "KEYWORD \\Seen is the flag");
    ok(is("KEYWORD \\Draft", "4") && is("KEYWORD \\Recent", "23"),
        "KEYWORD \\Draft, \\Recent");
    ok(is("KEYWORD \\Foo", "") && is("UNKEYWORD \\*", "12345"),
        "unknown system flags");
    ok(is("KEYWORD", "BAD") && is("KEYWORD (x)", "BAD")
        && is("KEYWORD \\", "BAD"), "KEYWORD needs a flag");

    /* sizes */
    ok(is("LARGER 2000", "35") && is("SMALLER 2000", "14"),
        "LARGER / SMALLER are strict");
    ok(is("LARGER 9223372036854775807", "") && is("SMALLER 0", ""),
        "size limits");
    ok(is("LARGER 9223372036854775808", "BAD") && is("LARGER", "BAD")
        && is("LARGER -1", "BAD"), "bad sizes");

    /* internal dates: message 1 on day 19754 (1-Feb-2024), 2 and 3 on
     * 19755, 4 on 31-Dec-1969 (t = -1), 5 on 31-Dec-1969 (t = -86400) */
    ok(is("ON 1-Feb-2024", "1") && is("ON 2-Feb-2024", "23"), "ON");
    ok(is("BEFORE 2-Feb-2024", "145") && is("SINCE 2-Feb-2024", "23"),
        "BEFORE / SINCE");
    ok(is("ON 31-Dec-1969", "45") && is("BEFORE 31-Dec-1969", "")
        && is("SINCE 1-Jan-1970", "123"), "days before the epoch");
    ok(is("ON \"01-Feb-2024\"", "1") && is("ON {10}\r\n1-Feb-2024", "1"),
        "quoted and literal dates");
    ok(is("ON 1-Fbr-2024", "BAD") && is("ON 2024-02-01", "BAD")
        && is("ON", "BAD"), "bad dates");

    /* sent dates: 3 and 4 have none, 5 is day 0 */
    ok(is("SENTON 1-Feb-2024", "1") && is("SENTBEFORE 2-Feb-2024", "15")
        && is("SENTSINCE 1-Feb-2024", "12"), "SENT*");
    ok(is("NOT SENTSINCE 1-Jan-1970", "34"), "no Date: never matches SENT*");

    /* header and text */
    ok(is("FROM alice", "1") && is("FROM \"ALICE\"", "1"), "FROM");
    ok(is("TO alice", "2") && is("CC carol", "2") && is("BCC dave", "3"),
        "TO CC BCC");
    ok(is("SUBJECT hello", "12") && is("SUBJECT \"re: hello\"", "2"),
        "SUBJECT");
    ok(is("SUBJECT {8}\r\n{braces}", "5"), "literal string");
    ok(is("HEADER X-Spam yes", "1") && is("HEADER x-spam \"\"", "1")
        && is("HEADER Cc \"\"", "2"), "HEADER, empty string: field exists");
    ok(is("HEADER \"Subject\" {7}\r\nmeeting", "3"), "HEADER quoted field");
    ok(is("BODY budget", "3") && is("BODY hello", ""), "BODY");
    ok(is("BODY {5}\r\ncaf\xc3\xa9", "2") && is("CHARSET UTF-8 BODY "
        "{5}\r\nCAF\xc3\xa9", "2"), "UTF-8 in a literal");
    ok(is("TEXT hello", "12") && is("TEXT budget", "3") && is("TEXT \"\"",
        "12345"), "TEXT");
    ok(is("FROM", "BAD") && is("FROM \"a", "BAD") && is("HEADER From", "BAD")
        && is("FROM (a)", "BAD") && is("FROM {5}\r\nab", "BAD"),
        "bad strings");
    ok(is("FROM \"caf\xc3\xa9\"", "BAD"), "8-bit quoted refused (parser)");
    {
        /* a NUL inside a literal: the C-string layer refuses it */
        static const char nul[] = "BODY {3}\r\na\0b";
        ok(parse(nul, sizeof nul - 1) == NULL && lasterr == SEARCH_ESYNTAX,
            "NUL in a literal refused");
    }

    /* sequence sets and UIDs */
    ok(is("1:3", "123") && is("2,4", "24") && is("*", "5") && is("4:*", "45"),
        "sequence sets");
    ok(is("9:*", "5") && is("9", "") && is("3:1,5", "1235"),
        "past the end, reversed");
    ok(is("UID 20:40", "234") && is("UID *", "5") && is("UID 45:*", "5")
        && is("UID 51:60", ""), "UID sets");
    ok(is("UID 10,30,50,1:9,25:29", "135") && is("UID 1:4294967294", "12345"),
        "UID set lists");
    ok(is("0", "BAD") && is("UID 0", "BAD") && is("UID", "BAD")
        && is("1:", "BAD") && is("UID x", "BAD"), "bad sets");
    {
        struct search_env e0 = { 0, 0, NULL, NULL };
        struct imapp ip;
        struct search_msg one = msgs[0];
        int err;
        const char *text;

        imapp_init(&ip, "*", 1);
        p = search_parse(&ip, &e0, &err, &text);
        one.seq = 1;
        ok(p != NULL && !search_match(p, &one), "* in an empty mailbox");
        search_free(p);
        imapp_init(&ip, "UID * KEYWORD $Junk", 19);
        p = search_parse(&ip, &e0, &err, &text);
        ok(p != NULL && !search_match(p, &one), "UID * empty, no keywords");
        search_free(p);
    }
    {
        /* many overlapping ranges: merged, still right */
        char big[4096];
        size_t o = 0;
        unsigned i;
        for (i = 0; i < 300; i++)
            o += (size_t)snprintf(big + o, sizeof big - o, "%s%u:%u",
                i ? "," : "", (i * 7) % 45 + 1, (i * 7) % 45 + 3);
        ok(is(big, "12345"), "300 overlapping ranges");
        ok(is("UID 50,40,30,20,10", "12345") && is("UID 11:19,21:29", ""),
            "unsorted and gap ranges");
    }

    /* NOT, OR, lists */
    ok(is("NOT SEEN", "245") && is("NOT NOT SEEN", "13"), "NOT");
    ok(is("OR SEEN DRAFT", "134") && is("OR 1 OR 2 3", "123"), "OR");
    ok(is("(SEEN ANSWERED)", "1") && is("SEEN ANSWERED", "1"), "AND");
    ok(is("OR (FROM alice SUBJECT {5}\r\nhello) NOT SEEN", "1245"),
        "OR of a list and NOT");
    ok(is("NOT (SEEN OR DRAFT FLAGGED)", "1245"), "NOT of a list");
    ok(is("((((ALL))))", "12345") && is("(1) (2:3)", ""), "nested lists");
    ok(is("UID 10:30 (NOT 1) SMALLER 3000", "2"), "mixed");

    /* CHARSET */
    ok(is("CHARSET UTF-8 SEEN", "13") && is("charset us-ascii SEEN", "13")
        && is("CHARSET \"UTF-8\" SEEN", "13"), "CHARSET UTF-8, US-ASCII");
    ok(is("CHARSET ISO-8859-1 SEEN", "CHARSET")
        && is("CHARSET {4}\r\nKOI8 SEEN", "CHARSET"), "other charsets: NO");
    ok(is("CHARSET UTF-8", "BAD") && is("CHARSET", "BAD")
        && is("CHARSET UTF-8  SEEN", "BAD"), "CHARSET needs keys");
    ok(is("SEEN CHARSET UTF-8 ALL", "BAD"), "CHARSET only first");

    /* spacing and syntax */
    ok(is("", "BAD") && is(" SEEN", "BAD") && is("SEEN ", "BAD")
        && is("SEEN  DRAFT", "BAD") && is("SEEN\tDRAFT", "BAD"),
        "exactly one space between keys");
    ok(is("FROM  alice", "BAD") && is("NOT  SEEN", "BAD")
        && is("OR SEEN  DRAFT", "BAD"), "one space before arguments");
    ok(is("()", "BAD") && is("(SEEN", "BAD") && is("SEEN)", "BAD")
        && is("( SEEN)", "BAD") && is("(SEEN )", "BAD")
        && is("(SEEN)(DRAFT)", "BAD") && is("(SEEN) ", "BAD"), "lists");
    ok(is("NOT", "BAD") && is("OR SEEN", "BAD") && is("OR", "BAD"),
        "NOT / OR need keys");
    ok(is("FOO", "BAD") && is("SEENX", "BAD") && is("$", "BAD")
        && is("SEEN\"", "BAD") && is("{4}\r\nSEEN", "BAD"), "unknown keys");
    p = parse("FOO", 3);
    ok(p == NULL && lasterr == SEARCH_ESYNTAX && lasttext != NULL
        && strlen(lasttext) > 0, "error text");
    {
        /* parsing starts at the position the caller is at */
        struct imapp ip;
        int err;
        const char *text;
        imapp_init(&ip, "A1 SEARCH SEEN", 14);
        ip.pos = 10;
        p = search_parse(&ip, &env, &err, &text);
        ok(p != NULL && search_match(p, &msgs[0]) && !search_match(p, &msgs[1])
            && imapp_end(&ip), "from the current position");
        search_free(p);
    }

    /* depth: top-level keys are at depth 1 */
    b = rep("NOT", " ", IMAP_DEPTH_MAX - 1, "SEEN");
    ok(is(b, (IMAP_DEPTH_MAX - 1) % 2 ? "245" : "13"), "NOT x DEPTH_MAX-1");
    free(b);
    b = rep("NOT", " ", IMAP_DEPTH_MAX, "SEEN");
    ok(is(b, "BAD"), "NOT x DEPTH_MAX refused");
    free(b);
    b = rep("NOT", " ", 100000, "SEEN");
    ok(is(b, "BAD"), "NOT x 100000 refused (no deep recursion)");
    free(b);
    {
        char d[2 * IMAP_DEPTH_MAX + 8];
        unsigned i, n = IMAP_DEPTH_MAX - 1;
        size_t o = 0;
        for (i = 0; i < n; i++)
            d[o++] = '(';
        memcpy(d + o, "ALL", 3);
        o += 3;
        for (i = 0; i < n; i++)
            d[o++] = ')';
        d[o] = 0;
        ok(is(d, "12345"), "lists DEPTH_MAX-1 deep");
        memmove(d + 1, d, o + 1);
        d[0] = '(';
        d[o + 1] = ')';
        d[o + 2] = 0;
        ok(is(d, "BAD"), "lists DEPTH_MAX deep refused");
    }
    b = rep("OR SEEN", " ", IMAP_DEPTH_MAX - 1, "DRAFT");
    ok(is(b, "134"), "OR chain DEPTH_MAX-1 deep");
    free(b);
    b = rep("OR SEEN", " ", IMAP_DEPTH_MAX, "DRAFT");
    ok(is(b, "BAD"), "OR chain DEPTH_MAX deep refused");
    free(b);

    /* number of keys */
    b = rep("ALL", " ", SEARCH_KEYS_MAX, "");
    ok(is(b, "12345"), "SEARCH_KEYS_MAX keys");
    free(b);
    b = rep("ALL", " ", SEARCH_KEYS_MAX + 1, "");
    ok(is(b, "BAD"), "SEARCH_KEYS_MAX + 1 keys refused");
    free(b);
    b = rep("(ALL)", " ", SEARCH_KEYS_MAX / 2, "");
    ok(is(b, "12345"), "lists count as keys (at the limit)");
    free(b);
    b = rep("(ALL)", " ", SEARCH_KEYS_MAX / 2, "ALL");
    ok(is(b, "BAD"), "lists count as keys (past it)");
    free(b);
    b = rep("FROM x", " ", SEARCH_KEYS_MAX + 1, "");
    ok(is(b, "BAD"), "too many string keys: freed cleanly");
    free(b);

    /* loading the message */
    p = parse("SEEN DRAFT", 10);
    ok(p != NULL && !search_needs_message(p), "flags need no message");
    search_free(p);
    p = parse("NOT (OR 1 SENTON 1-Jan-2020)", 28);
    ok(p != NULL && search_needs_message(p), "SENTON needs the message");
    search_free(p);
    ok(loads_for("SEEN BODY x", 1, &m) == 0 && !m, "unseen: BODY not loaded");
    ok(loads_for("BODY x SEEN", 1, &m) == 0 && !m,
        "cheap keys first whatever the order");
    ok(loads_for("SEEN BODY first", 0, &m) == 1 && m, "loaded when needed");
    ok(loads_for("FROM alice SUBJECT hello TEXT first BODY first", 0, &m) == 1
        && m, "loaded once for many keys");
    ok(loads_for("OR BODY zzz SEEN", 0, &m) == 0 && m,
        "OR: cheap side first");
    ok(loads_for("OR BODY zzz SEEN", 1, &m) == 1 && !m, "OR: then the other");
    ok(loads_for("NOT (BODY first UNSEEN)", 0, &m) == 0 && m,
        "NOT of a list: cheap first");
    ok(loads_for("ALL", 0, &m) == 0 && m, "ALL loads nothing");
    unreadable = 0;
    ok(is("FROM alice", "") && is("NOT FROM alice", "12345")
        && is("SENTSINCE 1-Jan-1970", "25") && is("TEXT \"\"", "2345"),
        "unreadable message: such keys do not match");
    unreadable = -1;
    {
        struct search_msg nol = msgs[0];
        nol.load = NULL;
        p = parse("OR FROM alice 2", 15);
        ok(p != NULL && !search_match(p, &nol), "load NULL: no match");
        search_free(p);
    }

    search_free(NULL);
    return done();
}
