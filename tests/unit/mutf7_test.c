/* mutf7_test.c - modified UTF-7 (RFC 3501 5.1.3) both ways, its strict
 * decoder, and the Maildir++ folder directory names built on it. */
#include <errno.h>
#include <string.h>

#include "imap.h"
#include "mutf7.h"
#include "tap.h"

#define RFC_UTF7 "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
#define RFC_UTF8 "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/" \
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
#define ETE "\xc3\x89t\xc3\xa9" /* "Été" */

/* Strings as (bytes, length) so that a NUL can be part of one. */
#define S(s) s, sizeof s - 1

static int
enc(const char *in, size_t n, const char *want)
{
    char out[256];
    long r = mutf7_encode(out, sizeof out, in, n);

    return r == (long)strlen(want) && strcmp(out, want) == 0;
}

static int
dec(const char *in, const char *want)
{
    char out[256];
    long r = mutf7_decode(out, sizeof out, in, strlen(in));

    return r == (long)strlen(want) && strcmp(out, want) == 0;
}

/* Both directions at once. */
static int
both(const char *utf8, const char *utf7)
{
    return enc(utf8, strlen(utf8), utf7) && dec(utf7, utf8);
}

static int
bad_dec(const char *in, size_t n)
{
    char out[256];

    errno = 0;
    return mutf7_decode(out, sizeof out, in, n) == -1 && errno == EINVAL;
}

static int
bad_enc(const char *in, size_t n)
{
    char out[256];

    errno = 0;
    return mutf7_encode(out, sizeof out, in, n) == -1 && errno == EINVAL
        && mutf7_valid_utf8(in, n) == 0;
}

static int
dir(const char *name, const char *want)
{
    char out[MUTF7_DIRNAME_MAX + 1], back[IMAP_MAILBOX_MAX + 1];
    int r = mutf7_folder_dir(out, sizeof out, name, strlen(name));
    long b;

    if (r != (int)strlen(want) || strcmp(out, want) != 0)
        return 0;
    b = mutf7_folder_name(back, sizeof back, out, (size_t)r);
    return b == (long)strlen(name) && strcmp(back, name) == 0;
}

static int
bad_dir(const char *name, size_t n)
{
    char out[MUTF7_DIRNAME_MAX + 1];

    errno = 0;
    return mutf7_folder_dir(out, sizeof out, name, n) == -1
        && errno == EINVAL;
}

static int
bad_name(const char *d, size_t n)
{
    char out[IMAP_MAILBOX_MAX + 1];

    errno = 0;
    return mutf7_folder_name(out, sizeof out, d, n) == -1 && errno == EINVAL;
}

/* The UTF-8 form of code point cp at p; its length. */
static size_t
utf8(char *p, unsigned long cp)
{
    if (cp < 0x80) {
        p[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (char)(0xc0 | cp >> 6);
        p[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (char)(0xe0 | cp >> 12);
        p[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        p[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    p[0] = (char)(0xf0 | cp >> 18);
    p[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    p[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    p[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Every code point from 0x20 up (surrogates and controls aside), alone,
 * between ASCII letters and in runs of three, survives a round trip. */
static int
round_trips(void)
{
    unsigned long cp;

    for (cp = 0x20; cp <= 0x10ffff; cp++) {
        char u[32], e[64], d[32];
        size_t n = 0, k;
        long el, dl;
        if (cp == 0x7f || (cp >= 0xd800 && cp <= 0xdfff))
            continue;
        /* Beyond the BMP, a sample keeps the test fast. */
        if (cp > 0x10000 && cp % 97 != 0 && cp != 0x10ffff)
            continue;
        u[n++] = 'a';
        for (k = 0; k < 3; k++)
            n += utf8(u + n, cp);
        u[n++] = 'z';
        for (k = 0; k <= n; k++) {
            /* Every prefix ending on a character boundary. */
            if (k < n && ((unsigned char)u[k] & 0xc0) == 0x80)
                continue;
            el = mutf7_encode(e, sizeof e, u, k);
            if (el < 0 || (size_t)el > MUTF7_ENCODED_MAX(k))
                return 0;
            dl = mutf7_decode(d, sizeof d, e, (size_t)el);
            if (dl != (long)k || memcmp(d, u, k) != 0
                || (size_t)dl > MUTF7_DECODED_MAX((size_t)el))
                return 0;
        }
    }
    return 1;
}

int
main(void)
{
    char out[64], big[600];
    size_t len;
    int i;

    /* RFC 3501 5.1.3's example, and the ampersand. */
    ok(both(RFC_UTF8, RFC_UTF7), "RFC 3501 example, both ways");
    ok(both("&", "&-") && both("a&b&", "a&-b&-") && both("", "")
            && dec("&-&-", "&&"),
        "\"&\" is \"&-\"");
    ok(both(ETE, "&AMk-t&AOk-") && both("\xc3\x89\xc3\xa9", "&AMkA6Q-"),
        "Latin-1 letters; adjacent ones share one run");
    ok(both("\xf0\x9f\x98\x80", "&2D3eAA-")
            && both("\xf4\x8f\xbf\xbf", "&2,,f,w-")
            && both("\xef\xbf\xbf", "&,,8-") && both("\xc2\x80", "&AIA-"),
        "surrogate pairs, U+10FFFF, U+FFFF, U+0080");
    ok(dec("&AMk-&-", "\xc3\x89&") && dec("&-&AMk-", "&\xc3\x89")
            && dec("&AMk--", "\xc3\x89-") && dec("-", "-"),
        "\"&-\" next to a run, \"-\" after one");
    ok(round_trips(), "round trips over the code points");

    /* The decoder's refusals. */
    ok(bad_dec(S("&")) && bad_dec(S("a&")) && bad_dec(S("&AMk"))
            && bad_dec(S("&AMkt")),
        "decode: \"&\" or a run without its \"-\"");
    ok(bad_dec(S("&!-")) && bad_dec(S("&AMk/-")) && bad_dec(S("&AM=-"))
            && bad_dec(S("&AM k-")) && bad_dec(S("&AMk&-")),
        "decode: not modified base64 (\"/\", \"=\", space, \"&\")");
    ok(bad_dec(S("&AC8-")) && bad_dec(S("&ACY-")) && bad_dec(S("&AGEAYg-"))
            && bad_dec(S("&AMkAYg-")),
        "decode: encoded printable ASCII (\"/\", \"&\", \"ab\", "
        "\"\xc3\x89" "b\")");
    ok(bad_dec(S("&AAA-")) && bad_dec(S("&AAo-")) && bad_dec(S("&AH8-"))
            && bad_dec(S("&AMkAAA-")),
        "decode: encoded NUL, LF, DEL");
    ok(bad_dec(S("&AMl-")) && bad_dec(S("&AMm-")) && bad_dec(S("&AMkA-"))
            && bad_dec(S("&A-")) && bad_dec(S("&AA-"))
            && bad_dec(S("&AMkA6S-")),
        "decode: non-zero padding bits, excess padding, a partial unit");
    ok(bad_dec(S("&AMk-&AOk-")) && bad_dec(S("&AMk-&-&AOk-")) == 0
            && bad_dec(S("a&AMk-&AOk-b")),
        "decode: two adjacent runs");
    ok(bad_dec(S("&2D0-")) && bad_dec(S("&3gA-")) && bad_dec(S("&2D3YPQ-"))
            && bad_dec(S("&2D0A6Q-")) && bad_dec(S("&3gDYPQ-"))
            && bad_dec(S("&2D0-&3gA-")),
        "decode: unpaired surrogates");
    ok(bad_dec(S("a\tb")) && bad_dec(S("a\x7f")) && bad_dec(S("\x80"))
            && bad_dec(S("\xc3\x89")) && bad_dec(S("a\0b"))
            && bad_dec(S("\n")),
        "decode: input bytes outside 0x20-0x7e");

    /* The encoder's refusals. */
    ok(bad_enc(S("\xc0\xaf")) && bad_enc(S("\xc1\xbf"))
            && bad_enc(S("\xe0\x80\xaf")) && bad_enc(S("\xf0\x8f\xbf\xbf")),
        "encode: overlong forms");
    ok(bad_enc(S("\xed\xa0\x80")) && bad_enc(S("\xed\xbf\xbf"))
            && bad_enc(S("\xed\xa0\xbd\xed\xb8\x80")),
        "encode: surrogates, paired or not (CESU-8)");
    ok(bad_enc(S("\xf4\x90\x80\x80")) && bad_enc(S("\xf5\x80\x80\x80"))
            && bad_enc(S("\xff")) && bad_enc(S("\xfe")),
        "encode: above U+10FFFF, bytes never in UTF-8");
    ok(bad_enc(S("\xc3")) && bad_enc(S("a\xe6\x97")) && bad_enc(S("\x80"))
            && bad_enc(S("\xc3\x89\xbf")) && bad_enc(S("\xc3" "a")),
        "encode: truncated sequences, stray continuation bytes");
    ok(bad_dec(S("")) == 0 && mutf7_valid_utf8(S("a\0\x01\x7f")) == 1
            && mutf7_encode(out, sizeof out, S("a\0b")) == -1 && errno == EINVAL
            && mutf7_encode(out, sizeof out, S("\x01")) == -1
            && mutf7_encode(out, sizeof out, S("\x1f")) == -1
            && mutf7_encode(out, sizeof out, S("\t")) == -1
            && mutf7_encode(out, sizeof out, S("\x7f")) == -1
            && errno == EINVAL,
        "encode: control characters (NUL, C0, DEL) are refused");
    ok(mutf7_valid_utf8(S("")) && mutf7_valid_utf8(S(RFC_UTF8))
            && mutf7_valid_utf8(S("\xf4\x8f\xbf\xbf"))
            && mutf7_valid_utf8(S("\xc2\x80")),
        "valid_utf8: accepts well-formed UTF-8");

    /* Output lengths at the boundary. */
    len = strlen(RFC_UTF8);
    ok(mutf7_decode(out, len + 1, S(RFC_UTF7)) == (long)len
            && strcmp(out, RFC_UTF8) == 0,
        "decode: out exactly fitting");
    errno = 0;
    ok(mutf7_decode(out, len, S(RFC_UTF7)) == -1 && errno == ERANGE
            && mutf7_decode(out, 0, S("")) == -1 && errno == ERANGE
            && mutf7_decode(out, 1, S("")) == 0,
        "decode: one short is ERANGE; the NUL counts");
    ok(mutf7_decode(out, 1, S("&AMk-&AOk-")) == -1 && errno == EINVAL,
        "decode: a bad input is EINVAL even when out is too short");
    len = strlen(RFC_UTF7);
    ok(mutf7_encode(out, len + 1, S(RFC_UTF8)) == (long)len
            && strcmp(out, RFC_UTF7) == 0,
        "encode: out exactly fitting");
    errno = 0;
    ok(mutf7_encode(out, len, S(RFC_UTF8)) == -1 && errno == ERANGE
            && mutf7_encode(out, 5, S("\xc3\x89")) == -1 && errno == ERANGE
            && mutf7_encode(out, 6, S("\xc3\x89")) == 5
            && mutf7_encode(out, 2, S("&")) == -1 && errno == ERANGE,
        "encode: one short is ERANGE");
    ok(mutf7_encode(out, 1, S("\xc3")) == -1 && errno == EINVAL,
        "encode: a bad input is EINVAL even when out is too short");
    ok(mutf7_decode(out, sizeof out, "x", MUTF7_IN_MAX + 1) == -1
            && errno == EINVAL
            && mutf7_encode(out, sizeof out, "x", MUTF7_IN_MAX + 1) == -1
            && errno == EINVAL,
        "inputs longer than MUTF7_IN_MAX are refused");

    /* Folder directories. */
    ok(dir("Sent", ".Sent") && dir("a.b", ".a.b") && dir("a.b.c", ".a.b.c")
            && dir(ETE, ".&AMk-t&AOk-") && dir("R&D", ".R&-D")
            && dir("a b", ".a b") && dir("~x", ".~x"),
        "folder_dir: names to directories and back");
    ok(dir("INBOX.x", ".INBOX.x") && dir("INBOXES", ".INBOXES")
            && dir("x.inbox", ".x.inbox") && dir("Inbox2", ".Inbox2")
            && dir("cur", ".cur") && dir("new.tmp", ".new.tmp"),
        "folder_dir: INBOX's children, names like INBOX or cur");
    ok(dir(RFC_UTF8, ".~peter/mail/&U,BTFw-/&ZeVnLIqe-") == 0
            && bad_dir(S(RFC_UTF8)) && bad_dir(S("a/b")) && bad_dir(S("/")),
        "folder_dir: refuses \"/\"");
    ok(bad_dir(S("")) && bad_dir(S(".")) && bad_dir(S(".."))
            && bad_dir(S(".a")) && bad_dir(S("a.")) && bad_dir(S("a..b"))
            && bad_dir(S("a...b")) && bad_dir(S("a.b.")) && bad_dir(S("..a")),
        "folder_dir: empty names and levels, \".\" and \"..\"");
    ok(bad_dir(S("INBOX")) && bad_dir(S("inbox")) && bad_dir(S("InBoX"))
            && bad_dir(S("inbox.x")) && bad_dir(S("Inbox.x"))
            && bad_dir(S("INBOX.")),
        "folder_dir: INBOX in any case; \"inbox.x\" not in upper case");
    ok(bad_dir(S("a\x01")) && bad_dir(S("a\x7f")) && bad_dir(S("a\0b"))
            && bad_dir(S("a\nb")) && bad_dir(S("\xc3"))
            && bad_dir(S("\xed\xa0\x80")),
        "folder_dir: control characters, invalid UTF-8");
    memset(big, 'a', sizeof big);
    errno = 0;
    ok(bad_dir(big, IMAP_MAILBOX_MAX + 1)
            && mutf7_folder_dir(out, sizeof out, big, 0) == -1
            && errno == EINVAL,
        "folder_dir: longer than IMAP_MAILBOX_MAX");
    {
        char d[MUTF7_DIRNAME_MAX + 1];
        ok(mutf7_folder_dir(d, sizeof d, big, MUTF7_DIRNAME_MAX - 1)
                == MUTF7_DIRNAME_MAX
                && mutf7_folder_dir(d, sizeof d, big, MUTF7_DIRNAME_MAX)
                == -1 && errno == ENAMETOOLONG,
            "folder_dir: a directory name of MUTF7_DIRNAME_MAX, one more is "
            "ENAMETOOLONG");
    }
    ok(mutf7_folder_dir(out, 6, S("Sent")) == 5 && strcmp(out, ".Sent") == 0
            && mutf7_folder_dir(out, 5, S("Sent")) == -1 && errno == ERANGE
            && mutf7_folder_dir(out, 0, S("Sent")) == -1 && errno == ERANGE,
        "folder_dir: out exactly fitting, one short");

    /* And back. */
    ok(bad_name(S(".")) && bad_name(S("..")) && bad_name(S("cur"))
            && bad_name(S("new")) && bad_name(S("tmp")) && bad_name(S(""))
            && bad_name(S("Sent")) && bad_name(S("dovecot-uidlist")),
        "folder_name: \".\", \"..\", cur, new, tmp, names without a \".\"");
    ok(bad_name(S(".INBOX")) && bad_name(S(".inbox")) && bad_name(S(".inbox.x"))
            && bad_name(S("..a")) && bad_name(S(".a.")) && bad_name(S(".a..b"))
            && bad_name(S("...")) && bad_name(S(".a/b")),
        "folder_name: what folder_dir refuses");
    ok(bad_name(S(".&AMk")) && bad_name(S(".&ACY-"))
            && bad_name(S(".&AMk-&AOk-"))
            && bad_name(S(".a\x01")) && bad_name(S(".\xc3\x89"))
            && bad_name(S(".&AC4-")) && bad_name(S(".&AC8-")),
        "folder_name: invalid or non-canonical modified UTF-7");
    big[0] = '.';
    ok(bad_name(big, MUTF7_DIRNAME_MAX + 1)
            && mutf7_folder_name(out, sizeof out, big, 40) == 39,
        "folder_name: longer than MUTF7_DIRNAME_MAX");
    ok(mutf7_folder_name(out, 5, S(".Sent")) == 4 && strcmp(out, "Sent") == 0
            && mutf7_folder_name(out, 4, S(".Sent")) == -1 && errno == ERANGE
            && mutf7_folder_name(out, 7, S(".&AMk-t&AOk-")) == 5
            && mutf7_folder_name(out, 5, S(".&AMk-t&AOk-")) == -1
            && errno == ERANGE,
        "folder_name: out exactly fitting, one short");
    i = mutf7_folder_dir(out, sizeof out, S("R&D.\xc3\xa9t\xc3\xa9"));
    ok(i == 17 && strcmp(out, ".R&-D.&AOk-t&AOk-") == 0,
        "folder_dir: \"R&D.\xc3\xa9t\xc3\xa9\" is \"%s\"", out);
    return done();
}
