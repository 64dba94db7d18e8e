/* imapparse_test.c - the IMAP argument tokenizer: atoms, flags, strings
 * (quoted, literal, LITERAL+), numbers at their limits, sequence sets and
 * their resolution, dates and date-times, tags. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapparse.h"
#include "tap.h"

static struct imapp ip;

static void
in(const char *s)
{
    imapp_init(&ip, s, strlen(s));
}

/* in() with an explicit length (for NULs) */
static void
inn(const char *s, size_t n)
{
    imapp_init(&ip, s, n);
}

static int
atom_is(const char *s, const char *want)
{
    const char *a;
    size_t len;

    in(s);
    return imapp_atom(&ip, &a, &len) == 1 && len == strlen(want)
        && memcmp(a, want, len) == 0;
}

static int
flag_is(const char *s, const char *want)
{
    const char *a;
    size_t len;

    in(s);
    return imapp_flag(&ip, &a, &len) == 1 && len == strlen(want)
        && memcmp(a, want, len) == 0;
}

/* astring s: r, and when 1 the value and where it stopped */
static int
astr(const char *s, int r, const char *want, size_t pos)
{
    char out[64];
    size_t len = 0;
    int got;

    in(s);
    got = imapp_astring(&ip, out, sizeof out, &len);
    if (got != r)
        return 0;
    if (r != 1)
        return ip.pos == 0;
    return len == strlen(want) && strcmp(out, want) == 0 && ip.pos == pos;
}

static int
num(const char *s, int r, uint32_t want)
{
    uint32_t u = 7;

    in(s);
    return imapp_number(&ip, &u) == r && (r != 1 || u == want)
        && (r == 1 || ip.pos == 0);
}

static int
num64(const char *s, int r, uint64_t want)
{
    uint64_t u = 7;

    in(s);
    return imapp_number64(&ip, &u) == r && (r != 1 || u == want)
        && (r == 1 || ip.pos == 0);
}

static struct seqset set;

static int
seq(const char *s)
{
    in(s);
    return imapp_seqset(&ip, &set);
}

static int
date(const char *s, int64_t want)
{
    int64_t d = 12345;

    in(s);
    return imapp_date(&ip, &d) == 1 && d == want && imapp_end(&ip);
}

static int
datebad(const char *s)
{
    int64_t d;

    in(s);
    return imapp_date(&ip, &d) == -1 && ip.pos == 0;
}

static int
dt(const char *s, int64_t want)
{
    int64_t t = 12345;

    in(s);
    return imapp_datetime(&ip, &t) == 1 && t == want && imapp_end(&ip);
}

static int
dtbad(const char *s)
{
    int64_t t;

    in(s);
    return imapp_datetime(&ip, &t) == -1 && ip.pos == 0;
}

int
main(void)
{
    const char *a;
    size_t len;
    char out[16], big[IMAP_TAG_MAX + 2];
    unsigned i;
    int r;

    /* basics */
    in("a b");
    ok(imapp_peek(&ip) == 'a' && !imapp_end(&ip), "peek");
    ok(imapp_char(&ip, 'a') == 1 && imapp_char(&ip, 'x') == 0, "char");
    ok(imapp_sp(&ip) == 1 && imapp_sp(&ip) == -1, "sp");
    ok(imapp_char(&ip, 'b') == 1 && imapp_end(&ip) && imapp_peek(&ip) == -1,
        "end");
    in("\xff");
    ok(imapp_peek(&ip) == 0xff, "peek of an 8-bit byte is positive");

    /* atoms */
    ok(atom_is("INBOX rest", "INBOX"), "atom stops at a space");
    ok(atom_is("a(b", "a") && atom_is("a)b", "a") && atom_is("a{b", "a")
        && atom_is("a%b", "a") && atom_is("a*b", "a")
        && atom_is("a\"b", "a") && atom_is("a\\b", "a")
        && atom_is("a]b", "a"), "atom-specials end an atom");
    ok(atom_is("$Junk[x]", "$Junk[x"), "[ is an atom char, ] is not");
    in("(x");
    ok(imapp_atom(&ip, &a, &len) == 0 && ip.pos == 0, "no atom: 0");
    in("a\x7f");
    ok(imapp_atom(&ip, &a, &len) == 1 && len == 1, "DEL ends an atom");
    in("\xc3\xa9t\xc3\xa9");
    ok(imapp_atom(&ip, &a, &len) == 0, "8-bit is no atom char");
    in("");
    ok(imapp_atom(&ip, &a, &len) == 0, "empty buffer: no atom");

    /* flags */
    ok(flag_is("\\Seen)", "\\Seen"), "\\Seen");
    ok(flag_is("\\* ", "\\*"), "\\*");
    ok(flag_is("$Junk ", "$Junk"), "keyword");
    in("\\ x");
    ok(imapp_flag(&ip, &a, &len) == -1 && ip.pos == 0, "lone \\ refused");
    in("\\(");
    ok(imapp_flag(&ip, &a, &len) == -1 && ip.pos == 0, "\\( refused");
    in("(");
    ok(imapp_flag(&ip, &a, &len) == 0, "no flag: 0");

    /* quoted strings */
    ok(astr("\"hello world\" x", 1, "hello world", 13), "quoted");
    ok(astr("\"\"", 1, "", 2), "empty quoted");
    ok(astr("\"a\\\"b\\\\c\"", 1, "a\"b\\c", 9), "quoted escapes");
    ok(astr("\"a\\nb\"", -1, NULL, 0), "bad escape refused");
    ok(astr("\"abc", -1, NULL, 0), "unterminated quoted refused");
    ok(astr("\"a\\", -1, NULL, 0), "quoted ending in \\ refused");
    ok(astr("\"a\r\nb\"", -1, NULL, 0), "CR in quoted refused");
    ok(astr("\"caf\xc3\xa9\"", -1, NULL, 0), "8-bit in quoted refused");
    inn("\"a\0b\"", 5);
    ok(imapp_astring(&ip, out, sizeof out, &len) == -1, "NUL in quoted");
    in("\"0123456789abcde\"");
    ok(imapp_string(&ip, out, 16, &len) == 1 && len == 15,
        "quoted of max - 1 bytes fits");
    in("\"0123456789abcdef\"");
    ok(imapp_string(&ip, out, 16, &len) == -1 && ip.pos == 0,
        "quoted of max bytes refused");

    /* literals */
    ok(astr("{3}\r\nabc", 1, "abc", 8), "literal");
    ok(astr("{3+}\r\nabc rest", 1, "abc", 9), "LITERAL+");
    ok(astr("{0}\r\n", 1, "", 5), "empty literal");
    ok(astr("{4}\r\nabc", -1, NULL, 0), "literal longer than the buffer");
    ok(astr("{3}\nabc", -1, NULL, 0), "literal without CR refused");
    ok(astr("{3}abc", -1, NULL, 0), "literal without CRLF refused");
    ok(astr("{}\r\n", -1, NULL, 0), "literal without digits refused");
    ok(astr("{3", -1, NULL, 0), "truncated literal head refused");
    ok(astr("{3-}\r\nabc", -1, NULL, 0), "LITERAL- sign refused");
    ok(astr("{99999999999}\r\nabc", -1, NULL, 0), "11-digit literal");
    ok(astr("{18446744073709551615}\r\nx", -1, NULL, 0), "huge literal");
    ok(astr("{4294967296}\r\nx", -1, NULL, 0), "literal past 2^32");
    ok(astr("{2}\r\n\r\n", 1, "\r\n", 7), "literal holds CRLF");
    ok(astr("{5}\r\ncaf\xc3\xa9", 1, "caf\xc3\xa9", 10), "literal holds UTF-8");
    inn("{3}\r\na\0b", 8);
    ok(imapp_astring(&ip, out, sizeof out, &len) == -1 && ip.pos == 0,
        "literal holding a NUL refused as a string");
    inn("{3}\r\na\0b", 8);
    ok(imapp_string_ref(&ip, &a, &len) == 1 && len == 3 && a[1] == 0
        && imapp_end(&ip), "string_ref keeps a NUL");
    in("{16}\r\n0123456789abcdef");
    ok(imapp_string(&ip, out, 16, &len) == -1 && ip.pos == 0,
        "literal of max bytes refused");
    in("atom");
    ok(imapp_string(&ip, out, sizeof out, &len) == 0, "string: atom is 0");
    in("\"q\"");
    ok(imapp_string_ref(&ip, &a, &len) == 0, "string_ref: quoted is 0");

    /* astrings as atoms */
    ok(astr("INBOX", 1, "INBOX", 5), "atom astring");
    ok(astr("BODY[]", 1, "BODY[]", 6), "astring holds ]");
    ok(astr("a]b)c", 1, "a]b", 3), "astring stops at )");
    ok(astr(")", 0, NULL, 0), "no astring: 0");
    ok(astr("", 0, NULL, 0), "empty buffer: 0");
    in("0123456789abcdef");
    ok(imapp_astring(&ip, out, 16, &len) == -1 && ip.pos == 0,
        "atom astring too long refused");

    /* numbers */
    ok(num("0", 1, 0), "0");
    ok(num("4294967295", 1, 4294967295u), "2^32 - 1");
    ok(num("4294967296", -1, 0), "2^32 refused");
    ok(num("00000000000000000000042", 1, 42), "leading zeros");
    ok(num("x", 0, 0), "no number: 0");
    ok(num64("9223372036854775807", 1, (uint64_t)INT64_MAX), "2^63 - 1");
    ok(num64("9223372036854775808", -1, 0), "2^63 refused");
    ok(num64("18446744073709551616", -1, 0), "2^64 refused");
    ok(num64("99999999999999999999999", -1, 0), "huge refused");
    in("12x");
    {
        uint32_t u;
        ok(imapp_number(&ip, &u) == 1 && u == 12 && ip.pos == 2,
            "number stops at a non-digit");
    }

    /* sequence sets */
    ok(seq("1:* X") == 1 && set.n == 1 && set.lo[0] == 1
        && set.hi[0] == IMAP_STAR && ip.pos == 3, "1:*");
    ok(seq("*:4") == 1 && set.n == 1 && set.lo[0] == 4
        && set.hi[0] == IMAP_STAR, "*:4 stored in order");
    ok(seq("1,2,3") == 1 && set.n == 3 && set.lo[2] == 3 && set.hi[2] == 3,
        "1,2,3");
    ok(seq("9:3") == 1 && set.n == 1 && set.lo[0] == 3 && set.hi[0] == 9,
        "9:3 reversed");
    ok(seq("*") == 1 && set.n == 1 && set.lo[0] == IMAP_STAR, "*");
    ok(seq("0") == -1 && ip.pos == 0 && set.n == 0, "0 refused");
    ok(seq("1:0") == -1, "1:0 refused");
    ok(seq("1,") == -1 && ip.pos == 0, "trailing comma refused");
    ok(seq("1:") == -1, "open range refused");
    ok(seq("1,,2") == -1, "empty member refused");
    ok(seq("4294967296") == -1, "past 32 bits refused");
    ok(seq("1:4294967295") == 1 && set.hi[0] == 4294967295u
        && set.hi[0] != IMAP_STAR, "4294967295 is a number, not *");
    ok(seq("x") == 0 && ip.pos == 0, "no set: 0");
    ok(seq("") == 0, "empty: 0");
    ok(seq("1:2:3") == 1 && ip.pos == 3, "1:2:3 stops after 1:2");
    {
        /* IMAP_SEQSET_MAX ranges fit, one more does not */
        size_t cap = (size_t)IMAP_SEQSET_MAX * 2 + 8, o = 0;
        char *b = malloc(cap);
        for (i = 0; i < IMAP_SEQSET_MAX; i++) {
            b[o++] = '1';
            b[o++] = ',';
        }
        b[o - 1] = 0;
        in(b);
        r = imapp_seqset(&ip, &set);
        ok(r == 1 && set.n == IMAP_SEQSET_MAX && imapp_end(&ip),
            "IMAP_SEQSET_MAX ranges");
        b[o - 1] = ',';
        b[o++] = '1';
        b[o] = 0;
        in(b);
        ok(imapp_seqset(&ip, &set) == -1 && set.n == 0 && ip.pos == 0,
            "IMAP_SEQSET_MAX + 1 ranges refused");
        free(b);
    }

    /* resolving */
    seq("1:*,5,*:3");
    seqset_resolve(&set, 10);
    ok(set.lo[0] == 1 && set.hi[0] == 10 && set.lo[2] == 3
        && set.hi[2] == 10, "resolve with max 10");
    ok(seqset_has(&set, 1) && seqset_has(&set, 10) && !seqset_has(&set, 11)
        && !seqset_has(&set, 0), "has after resolve");
    seq("20:*");
    seqset_resolve(&set, 10);
    ok(set.lo[0] == 10 && set.hi[0] == 20, "20:* with max 10 is 10:20");
    seq("*");
    seqset_resolve(&set, 0);
    ok(set.lo[0] == 0 && set.hi[0] == 0 && !seqset_has(&set, 0)
        && !seqset_has(&set, 1) && !seqset_has(&set, UINT32_MAX),
        "* with max 0 matches nothing");
    seq("3:*");
    seqset_resolve(&set, 0);
    ok(!seqset_has(&set, 0) && seqset_has(&set, 3) && !seqset_has(&set, 4),
        "3:* with max 0 is 0:3 (0 never matches)");
    set.n = 0;
    ok(!seqset_has(&set, 1), "empty set has nothing");
    seq("9:12,1:3,2:5,*,20");
    seqset_resolve(&set, 30);
    seqset_merge(&set);
    ok(set.n == 4 && set.lo[0] == 1 && set.hi[0] == 5 && set.lo[1] == 9
        && set.hi[1] == 12 && set.lo[2] == 20 && set.lo[3] == 30,
        "merge: sorted, overlapping ranges joined");
    ok(seqset_has(&set, 4) && seqset_has(&set, 30) && !seqset_has(&set, 6)
        && !seqset_has(&set, 13) && !seqset_has(&set, 31),
        "has on a merged set (binary search)");
    seq("1:*,1:*,1:*");
    seqset_resolve(&set, 7);
    seqset_merge(&set);
    ok(set.n == 1 && set.lo[0] == 1 && set.hi[0] == 7, "repeats merge to one");
    seq("1,2,3,5");
    seqset_resolve(&set, 7);
    seqset_merge(&set);
    ok(set.n == 2 && set.hi[0] == 3 && set.lo[1] == 5, "touching ranges join");

    /* dates */
    ok(date("1-Feb-2024", 19754), "1-Feb-2024");
    ok(date("01-Feb-2024", 19754), "01-Feb-2024");
    ok(date("01-FEB-2024", 19754) && date("01-feb-2024", 19754),
        "month case-insensitive");
    ok(date("\"1-Feb-2024\"", 19754), "quoted date");
    ok(date("{10}\r\n1-Feb-2024", 19754), "literal date");
    ok(date("1-Jan-1970", 0) && date("31-Dec-1969", -1), "epoch");
    ok(date("29-Feb-2000", 11016), "leap day");
    ok(date("1-Jan-0001", -719162) && date("31-Dec-9999", 2932896),
        "year limits");
    in("1-Feb-2024 SEEN");
    {
        int64_t d;
        ok(imapp_date(&ip, &d) == 1 && d == 19754 && ip.pos == 10,
            "date stops at the space");
    }
    ok(datebad("1-Fbr-2024") && datebad("1-Xyz-2024"), "bad month");
    ok(datebad("0-Feb-2024") && datebad("32-Feb-2024"), "bad day");
    ok(datebad("001-Feb-2024"), "three-digit day");
    ok(datebad("1-Feb-24") && datebad("1-Feb-20245"), "bad year");
    ok(datebad("1/Feb/2024") && datebad("Feb-1-2024"), "bad shape");
    ok(datebad("\" 1-Feb-2024\""), "leading space refused in a date");
    ok(datebad("") && datebad(")"), "no date");
    ok(datebad("\"1-Feb-2024 00:00:00 +0000\""), "date-time is no date");

    /* date-times */
    ok(dt("\"21-Nov-2026 13:04:05 +0100\"", 1795262645), "date-time +0100");
    ok(dt("\"21-Nov-2026 11:34:05 -0030\"", 1795262645), "date-time -0030");
    ok(dt("\" 1-Jan-2025 00:00:00 +0000\"", 1735689600),
        "date-time with a space-led day");
    ok(dt("\"01-Jan-2025 00:00:00 +0000\"", 1735689600), "two-digit day");
    ok(dt("\" 1-Jan-1970 00:00:00 +0100\"", -3600), "before the epoch");
    ok(dt("{26}\r\n 1-Jan-2025 00:00:00 +0000", 1735689600),
        "literal date-time");
    ok(dtbad("\"1-Jan-2025 00:00:00\""), "no zone");
    ok(dtbad("\"1-Jan-2025 00:00:00 0000\""), "zone without sign");
    ok(dtbad("\"1-Jan-2025 24:00:00 +0000\""), "hour 24");
    ok(dtbad("\"1-Jan-2025 00:60:00 +0000\""), "minute 60");
    ok(dtbad("\"1-Jan-2025 00:00:61 +0000\""), "second 61");
    ok(dtbad("\"1-Jan-2025 0:00:00 +0000\""), "one-digit hour");
    ok(dtbad("\"1-Jan-2025 00:00:00 +00000\""), "long zone");
    ok(dtbad("\"1-Jxn-2025 00:00:00 +0000\""), "bad month");
    ok(dtbad("1-Jan-2025"), "unquoted refused");
    ok(dtbad("\"1-Jan-2025 0a:00:00 +0000\""), "letter in time");

    /* tags */
    ok(imap_tag_ok("a001", 4) && imap_tag_ok("A]1", 3), "tags");
    ok(!imap_tag_ok("", 0), "empty tag");
    ok(!imap_tag_ok("a+1", 3), "+ in tag");
    ok(!imap_tag_ok("a 1", 3) && !imap_tag_ok("a*", 2)
        && !imap_tag_ok("a{", 2) && !imap_tag_ok("a\"", 2)
        && !imap_tag_ok("a(", 2) && !imap_tag_ok("a%", 2),
        "specials in tag");
    ok(!imap_tag_ok("a\0", 2) && !imap_tag_ok("\xc3\xa9", 2),
        "NUL and 8-bit in tag");
    memset(big, 'a', sizeof big);
    ok(imap_tag_ok(big, IMAP_TAG_MAX) && !imap_tag_ok(big, IMAP_TAG_MAX + 1),
        "IMAP_TAG_MAX");

    /* a command walked token by token */
    in("a1 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From)])");
    ok(imapp_atom(&ip, &a, &len) == 1 && imap_tag_ok(a, len)
        && imapp_sp(&ip) == 1 && imapp_atom(&ip, &a, &len) == 1
        && imapp_sp(&ip) == 1 && imapp_atom(&ip, &a, &len) == 1
        && imapp_sp(&ip) == 1 && imapp_seqset(&ip, &set) == 1
        && imapp_sp(&ip) == 1 && imapp_char(&ip, '('), "walk a command");

    return done();
}
