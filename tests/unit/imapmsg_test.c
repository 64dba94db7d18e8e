/* imapmsg_test.c - the message side of imapd: sizes, BODYSTRUCTURE,
 * ENVELOPE and BODY[section] against what Dovecot 2.3.19 printed for the
 * same messages (taken from a real Dovecot, run on a Maildir), the
 * SEARCH helpers, the Date: parser and the limits. */
#include <stdlib.h>
#include <string.h>

#include "imapmsg.h"
#include "tap.h"

struct mcase {
    const char *msg;
    unsigned long long size;
    const char *bs, *body, *env;
};

/* Messages: m1 simple text with odd case; m2 multipart/mixed holding a
 * multipart/alternative, a message/rfc822 and base64, with groups, routes
 * and broken addresses; m4 a message that is message/rfc822; m5 an rfc822
 * part; m10 mixed line ends and a part missing its close; m11 a digest;
 * m12 an empty body; m8 no blank line; m9 empty. */
static const struct mcase cases[] = {
    { /* m1 */
        "From: A <a@b.c>\n"
        "Subject: hi\n"
        "Content-Type: TEXT/Plain; Charset=UTF-8; Format=\"flowed\"\n"
        "Content-Transfer-Encoding: QUOTED-PRINTABLE\n"
        "\n"
        "hello\n"
        "world",
        147,
        "(\"TEXT\" \"Plain\" (\"Charset\" \"UTF-8\" \"Format\" \"flowed\") N"
        "IL NIL \"QUOTED-PRINTABLE\" 12 1 NIL NIL NIL NIL)",
        "(\"TEXT\" \"Plain\" (\"Charset\" \"UTF-8\" \"Format\" \"flowed\") N"
        "IL NIL \"QUOTED-PRINTABLE\" 12 1)",
        "(NIL \"hi\" ((\"A\" NIL \"a\" \"b.c\")) ((\"A\" NIL \"a\" \"b.c\"))"
        " ((\"A\" NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)" },
    { /* m2 */
        "From: \"Doe, J.\" <jd@ex.org> (comment)\n"
        "To: undisclosed-recipients:;\n"
        "Cc: grp: a@b.c, \"X Y\" <x@y.z>;, plain@host, <@r1,@r2:u@h>, broken"
        ", @nodomain, Name <nouser>\n"
        "Bcc:\n"
        "Subject: \n"
        "Date:   Mon, 1 Jan 2024 10:00:00 +0100  \n"
        "Message-ID:  <id@x>  \n"
        "In-Reply-To: <p@q>\n"
        "Reply-To: a@b.c (Bob)\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"XX\"\n"
        "\n"
        "preamble\n"
        "--XX\n"
        "Content-Type: multipart/alternative; boundary=YY\n"
        "\n"
        "--YY\n"
        "\n"
        "plain text\n"
        "line2\n"
        "\n"
        "--YY\n"
        "Content-Type: text/html; charset=utf-8\n"
        "Content-ID: <cid>\n"
        "Content-Description: desc\n"
        "Content-Disposition: inline; filename=\"a.html\"\n"
        "Content-Language: en, fr\n"
        "Content-Location: http://x/\n"
        "Content-MD5: abc\n"
        "\n"
        "<p>hi</p>\n"
        "--YY--\n"
        "epi\n"
        "--XX\n"
        "Content-Type: message/rfc822\n"
        "Content-Disposition: attachment\n"
        "\n"
        "From: inner@x.y\n"
        "Subject: inner\n"
        "Content-Type: text/plain\n"
        "\n"
        "inner body\n"
        "--XX\n"
        "Content-Type: application/octet-stream; name=x.bin\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
        "aGVsbG8gd29ybGQ=\n"
        "--XX--\n"
        "epilogue\n",
        965,
        "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1"
        "9 2 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") \"<c"
        "id>\" \"desc\" \"7bit\" 9 0 \"abc\" (\"inline\" (\"filename\" \"a.h"
        "tml\")) (\"en\" \"fr\") \"http://x/\") \"alternative\" (\"boundary\""
        " \"YY\") NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 7"
        "1 (NIL \"inner\" ((NIL NIL \"inner\" \"x.y\")) ((NIL NIL \"inner\" "
        "\"x.y\")) ((NIL NIL \"inner\" \"x.y\")) NIL NIL NIL NIL NIL) (\"tex"
        "t\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL "
        "NIL NIL NIL) 4 NIL (\"attachment\" NIL) NIL NIL)(\"application\" \""
        "octet-stream\" (\"name\" \"x.bin\") NIL NIL \"base64\" 16 NIL NIL N"
        "IL NIL) \"mixed\" (\"boundary\" \"XX\") NIL NIL NIL)",
        "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1"
        "9 2)(\"text\" \"html\" (\"charset\" \"utf-8\") \"<cid>\" \"desc\" \""
        "7bit\" 9 0) \"alternative\")(\"message\" \"rfc822\" NIL NIL NIL \"7"
        "bit\" 71 (NIL \"inner\" ((NIL NIL \"inner\" \"x.y\")) ((NIL NIL \"i"
        "nner\" \"x.y\")) ((NIL NIL \"inner\" \"x.y\")) NIL NIL NIL NIL NIL)"
        " (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10"
        " 0) 4)(\"application\" \"octet-stream\" (\"name\" \"x.bin\") NIL NI"
        "L \"base64\" 16) \"mixed\")",
        "(\"Mon, 1 Jan 2024 10:00:00 +0100  \" \"\" ((\"Doe, J.\" NIL \"jd\""
        " \"ex.org\")) ((\"Doe, J.\" NIL \"jd\" \"ex.org\")) ((\"Bob\" NIL \""
        "a\" \"b.c\")) ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL"
        " NIL)) ((NIL NIL \"grp\" NIL)(NIL NIL \"a\" \"b.c\")(\"X Y\" NIL \""
        "x\" \"y.z\")(NIL NIL NIL NIL)(NIL NIL \"plain\" \"host\")(NIL \"@r1"
        ",@r2\" \"u\" \"h\")(NIL NIL \"broken\" \"MISSING_DOMAIN\")(NIL NIL "
        "\"MISSING_MAILBOX\" \"nodomain\")(\"Name\" NIL \"nouser\" \"MISSING"
        "_DOMAIN\")) NIL \"<p@q>\" \"<id@x>  \")" },
    { /* m4 */
        "Subject: top\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "Subject: in\n"
        "Content-Type: multipart/mixed; boundary=b\n"
        "\n"
        "--b\n"
        "\n"
        "one\n"
        "--b\n"
        "\n"
        "two\n"
        "--b--\n",
        135,
        "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 89 (NIL \"in\" NIL NIL"
        " NIL NIL NIL NIL NIL NIL) ((\"text\" \"plain\" (\"charset\" \"us-as"
        "cii\") NIL NIL \"7bit\" 3 0 NIL NIL NIL NIL)(\"text\" \"plain\" (\""
        "charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0 NIL NIL NIL NIL) \"mix"
        "ed\" (\"boundary\" \"b\") NIL NIL NIL) 10 NIL NIL NIL NIL)",
        "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 89 (NIL \"in\" NIL NIL"
        " NIL NIL NIL NIL NIL NIL) ((\"text\" \"plain\" (\"charset\" \"us-as"
        "cii\") NIL NIL \"7bit\" 3 0)(\"text\" \"plain\" (\"charset\" \"us-a"
        "scii\") NIL NIL \"7bit\" 3 0) \"mixed\") 10)",
        "(NIL \"top\" NIL NIL NIL NIL NIL NIL NIL NIL)" },
    { /* m5 */
        "Content-Type: multipart/mixed; boundary=b\n"
        "\n"
        "--b\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "Subject: in\n"
        "\n"
        "leaf\n"
        "--b--\n",
        110,
        "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 19 (NIL \"in\" NIL NI"
        "L NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-as"
        "cii\") NIL NIL \"7bit\" 4 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL) \"m"
        "ixed\" (\"boundary\" \"b\") NIL NIL NIL)",
        "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 19 (NIL \"in\" NIL NI"
        "L NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-as"
        "cii\") NIL NIL \"7bit\" 4 0) 2) \"mixed\")",
        "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)" },
    { /* m10 */
        "Content-Type: multipart/mixed; boundary=b\r\n"
        "\r\n"
        "--b\n"
        "Content-Type: text/plain\r\n"
        "\n"
        "x\ry\n"
        "\r\n"
        "--b\r\n"
        "\r\n"
        "unclosed\n",
        102,
        "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 "
        "1 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NI"
        "L NIL \"7bit\" 10 1 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\")"
        " NIL NIL NIL)",
        "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 "
        "1)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1"
        "0 1) \"mixed\")",
        "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)" },
    { /* m11 */
        "Content-Type: multipart/digest; boundary=b\n"
        "\n"
        "--b\n"
        "\n"
        "Subject: d1\n"
        "\n"
        "body1\n"
        "--b\n"
        "Content-Type: text/plain\n"
        "\n"
        "t\n"
        "--b--\n",
        118,
        "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 20 (NIL \"d1\" NIL NI"
        "L NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-as"
        "cii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL)(\"t"
        "ext\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL"
        " NIL NIL NIL) \"digest\" (\"boundary\" \"b\") NIL NIL NIL)",
        "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 20 (NIL \"d1\" NIL NI"
        "L NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-as"
        "cii\") NIL NIL \"7bit\" 5 0) 2)(\"text\" \"plain\" (\"charset\" \"u"
        "s-ascii\") NIL NIL \"7bit\" 1 0) \"digest\")",
        "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)" },
    { /* m12 */
        "From: a@b\n"
        "Content-Type: text/plain; format=flowed\n"
        "Content-Type: text/html\n"
        "\n"
        "\n",
        81,
        "(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" \"us-ascii\""
        ") NIL NIL \"7bit\" 2 1 NIL NIL NIL NIL)",
        "(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" \"us-ascii\""
        ") NIL NIL \"7bit\" 2 1)",
        "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) ((NIL NIL "
        "\"a\" \"b\")) NIL NIL NIL NIL NIL)" },
    { /* m8 */
        "Subject: x\n"
        "From: a@b",
        21,
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"
        " NIL NIL NIL NIL)",
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"
        ")",
        "(NIL \"x\" ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) ((NIL NI"
        "L \"a\" \"b\")) NIL NIL NIL NIL NIL)" },
    { /* m9 */
        "",
        0,
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"
        " NIL NIL NIL NIL)",
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"
        ")",
        "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)" },
};

struct scase {
    int msg;
    const char *section;
    const char *want;  /* NULL: BAD */
    size_t wantlen;
};

static const struct scase secs[] = {
    { 1, "",
        "From: \"Doe, J.\" <jd@ex.org> (comment)\r\n"
        "To: undisclosed-recipients:;\r\n"
        "Cc: grp: a@b.c, \"X Y\" <x@y.z>;, plain@host, <@r1,@r2:u@h>, broken"
        ", @nodomain, Name <nouser>\r\n"
        "Bcc:\r\n"
        "Subject: \r\n"
        "Date:   Mon, 1 Jan 2024 10:00:00 +0100  \r\n"
        "Message-ID:  <id@x>  \r\n"
        "In-Reply-To: <p@q>\r\n"
        "Reply-To: a@b.c (Bob)\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
        "\r\n"
        "preamble\r\n"
        "--XX\r\n"
        "Content-Type: multipart/alternative; boundary=YY\r\n"
        "\r\n"
        "--YY\r\n"
        "\r\n"
        "plain text\r\n"
        "line2\r\n"
        "\r\n"
        "--YY\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "Content-ID: <cid>\r\n"
        "Content-Description: desc\r\n"
        "Content-Disposition: inline; filename=\"a.html\"\r\n"
        "Content-Language: en, fr\r\n"
        "Content-Location: http://x/\r\n"
        "Content-MD5: abc\r\n"
        "\r\n"
        "<p>hi</p>\r\n"
        "--YY--\r\n"
        "epi\r\n"
        "--XX\r\n"
        "Content-Type: message/rfc822\r\n"
        "Content-Disposition: attachment\r\n"
        "\r\n"
        "From: inner@x.y\r\n"
        "Subject: inner\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "inner body\r\n"
        "--XX\r\n"
        "Content-Type: application/octet-stream; name=x.bin\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "aGVsbG8gd29ybGQ=\r\n"
        "--XX--\r\n"
        "epilogue\r\n", 965 },
    { 1, "HEADER",
        "From: \"Doe, J.\" <jd@ex.org> (comment)\r\n"
        "To: undisclosed-recipients:;\r\n"
        "Cc: grp: a@b.c, \"X Y\" <x@y.z>;, plain@host, <@r1,@r2:u@h>, broken"
        ", @nodomain, Name <nouser>\r\n"
        "Bcc:\r\n"
        "Subject: \r\n"
        "Date:   Mon, 1 Jan 2024 10:00:00 +0100  \r\n"
        "Message-ID:  <id@x>  \r\n"
        "In-Reply-To: <p@q>\r\n"
        "Reply-To: a@b.c (Bob)\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
        "\r\n", 354 },
    { 1, "TEXT",
        "preamble\r\n"
        "--XX\r\n"
        "Content-Type: multipart/alternative; boundary=YY\r\n"
        "\r\n"
        "--YY\r\n"
        "\r\n"
        "plain text\r\n"
        "line2\r\n"
        "\r\n"
        "--YY\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "Content-ID: <cid>\r\n"
        "Content-Description: desc\r\n"
        "Content-Disposition: inline; filename=\"a.html\"\r\n"
        "Content-Language: en, fr\r\n"
        "Content-Location: http://x/\r\n"
        "Content-MD5: abc\r\n"
        "\r\n"
        "<p>hi</p>\r\n"
        "--YY--\r\n"
        "epi\r\n"
        "--XX\r\n"
        "Content-Type: message/rfc822\r\n"
        "Content-Disposition: attachment\r\n"
        "\r\n"
        "From: inner@x.y\r\n"
        "Subject: inner\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "inner body\r\n"
        "--XX\r\n"
        "Content-Type: application/octet-stream; name=x.bin\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "aGVsbG8gd29ybGQ=\r\n"
        "--XX--\r\n"
        "epilogue\r\n", 611 },
    { 1, "1",
        "--YY\r\n"
        "\r\n"
        "plain text\r\n"
        "line2\r\n"
        "\r\n"
        "--YY\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "Content-ID: <cid>\r\n"
        "Content-Description: desc\r\n"
        "Content-Disposition: inline; filename=\"a.html\"\r\n"
        "Content-Language: en, fr\r\n"
        "Content-Location: http://x/\r\n"
        "Content-MD5: abc\r\n"
        "\r\n"
        "<p>hi</p>\r\n"
        "--YY--\r\n"
        "epi", 266 },
    { 1, "1.MIME",
        "Content-Type: multipart/alternative; boundary=YY\r\n"
        "\r\n", 52 },
    { 1, "1.1",
        "plain text\r\n"
        "line2\r\n", 19 },
    { 1, "1.1.MIME",
        "\r\n", 2 },
    { 1, "1.1.1",
        "plain text\r\n"
        "line2\r\n", 19 },
    { 1, "1.2",
        "<p>hi</p>", 9 },
    { 1, "1.HEADER",
        "", 0 },
    { 1, "2",
        "From: inner@x.y\r\n"
        "Subject: inner\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "inner body", 71 },
    { 1, "2.HEADER",
        "From: inner@x.y\r\n"
        "Subject: inner\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n", 61 },
    { 1, "2.TEXT",
        "inner body", 10 },
    { 1, "2.MIME",
        "Content-Type: message/rfc822\r\n"
        "Content-Disposition: attachment\r\n"
        "\r\n", 65 },
    { 1, "2.1",
        "inner body", 10 },
    { 1, "2.1.MIME",
        "From: inner@x.y\r\n"
        "Subject: inner\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n", 61 },
    { 1, "2.1.1",
        "", 0 },
    { 1, "2.1.TEXT",
        "", 0 },
    { 1, "2.2",
        "", 0 },
    { 1, "3",
        "aGVsbG8gd29ybGQ=", 16 },
    { 1, "3.1",
        "aGVsbG8gd29ybGQ=", 16 },
    { 1, "3.1.1",
        "", 0 },
    { 1, "4",
        "", 0 },
    { 1, "HEADER.FIELDS (subject DATE)",
        "Subject: \r\n"
        "Date:   Mon, 1 Jan 2024 10:00:00 +0100  \r\n"
        "\r\n", 55 },
    { 1, "HEADER.FIELDS.NOT (from to cc bcc date reply-to)",
        "Subject: \r\n"
        "Message-ID:  <id@x>  \r\n"
        "In-Reply-To: <p@q>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
        "\r\n", 121 },
    { 1, "2.HEADER.FIELDS (FROM)",
        "From: inner@x.y\r\n"
        "\r\n", 19 },
    { 1, "2.HEADER.FIELDS.NOT (FROM)",
        "Subject: inner\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n", 44 },
    { 1, "header.fields (\"subject\" x)",
        "Subject: \r\n"
        "\r\n", 13 },
    { 1, "HEADER.FIELDS (nonexist)",
        "\r\n", 2 },
    { 1, "1.HEADER.FIELDS (x)",
        "", 0 },
    { 2, "1",
        "Subject: in\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n"
        "\r\n"
        "--b\r\n"
        "\r\n"
        "one\r\n"
        "--b\r\n"
        "\r\n"
        "two\r\n"
        "--b--\r\n", 89 },
    { 2, "1.1",
        "one", 3 },
    { 2, "1.2",
        "two", 3 },
    { 2, "1.HEADER",
        "Subject: in\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n"
        "\r\n", 58 },
    { 2, "1.MIME",
        "Subject: top\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n", 46 },
    { 2, "1.1.1",
        "one", 3 },
    { 2, "1.TEXT",
        "--b\r\n"
        "\r\n"
        "one\r\n"
        "--b\r\n"
        "\r\n"
        "two\r\n"
        "--b--\r\n", 31 },
    { 2, "2",
        "", 0 },
    { 3, "1.1",
        "leaf", 4 },
    { 3, "1.1.1",
        "", 0 },
    { 3, "1.2",
        "", 0 },
    { 3, "1.1.MIME",
        "Subject: in\r\n"
        "\r\n", 15 },
    { 3, "1.1.1.1",
        "", 0 },
    { 4, "",
        "Content-Type: multipart/mixed; boundary=b\r\n"
        "\r\n"
        "--b\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "x\ry\r\n"
        "\r\n"
        "--b\r\n"
        "\r\n"
        "unclosed\r\n", 102 },
    { 4, "1",
        "x\ry\r\n", 5 },
    { 4, "1.MIME",
        "Content-Type: text/plain\r\n"
        "\r\n", 28 },
    { 4, "2",
        "unclosed\r\n", 10 },
    { 4, "2.MIME",
        "\r\n", 2 },
    { 4, "TEXT",
        "--b\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "x\ry\r\n"
        "\r\n"
        "--b\r\n"
        "\r\n"
        "unclosed\r\n", 57 },
    { 0, "1",
        "hello\r\n"
        "world", 12 },
    { 0, "1.1",
        "", 0 },
    { 0, "1.MIME",
        "From: A <a@b.c>\r\n"
        "Subject: hi\r\n"
        "Content-Type: TEXT/Plain; Charset=UTF-8; Format=\"flowed\"\r\n"
        "Content-Transfer-Encoding: QUOTED-PRINTABLE\r\n"
        "\r\n", 135 },
    { 0, "2",
        "", 0 },
    { 0, "1.HEADER",
        "", 0 },
    { 0, "MIME", NULL, 0 },
};

static struct str out;

static int
same(const char *want)
{
    return !out.err && out.len == strlen(want) && memcmp(out.s, want, out.len) == 0;
}

static struct imapmsg *
parse(const char *s)
{
    return imapmsg_parse(s, strlen(s));
}

static uint64_t
seclen(struct imapmsg *m, const char *sec)
{
    str_reset(&out);
    if (imapmsg_section(m, sec, strlen(sec), &out) == -1)
        return (uint64_t)-1;
    return out.len;
}

static void
test_cases(void)
{
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct mcase *c = &cases[i];
        struct imapmsg *m = parse(c->msg);
        ok(m != NULL, "case %zu parses", i);
        if (m == NULL)
            continue;
        ok(imapmsg_size(m) == c->size, "case %zu RFC822.SIZE %llu", i,
            c->size);
        str_reset(&out);
        imapmsg_bodystructure(m, 1, &out);
        ok(same(c->bs), "case %zu BODYSTRUCTURE as Dovecot", i);
        str_reset(&out);
        imapmsg_bodystructure(m, 0, &out);
        ok(same(c->body), "case %zu BODY as Dovecot", i);
        str_reset(&out);
        imapmsg_envelope(m, &out);
        ok(same(c->env), "case %zu ENVELOPE as Dovecot", i);
        ok(seclen(m, "") == c->size, "case %zu BODY[] is RFC822.SIZE", i);
        ok(seclen(m, "HEADER") + seclen(m, "TEXT") == c->size,
            "case %zu HEADER + TEXT is the whole", i);
        imapmsg_free(m);
    }
}

static void
test_sections(void)
{
    size_t i;
    struct imapmsg *m[sizeof cases / sizeof cases[0]];

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        m[i] = parse(cases[i].msg);
    for (i = 0; i < sizeof secs / sizeof secs[0]; i++) {
        const struct scase *s = &secs[i];
        int r;
        str_reset(&out);
        str_puts(&out, "x");
        r = imapmsg_section(m[s->msg], s->section, strlen(s->section),
            &out);
        if (s->want == NULL)
            ok(r == -1 && out.len == 1, "case %d BODY[%s] is BAD", s->msg,
                s->section);
        else
            ok(r == 0 && out.len == s->wantlen + 1
                && memcmp(out.s + 1, s->want, s->wantlen) == 0,
                "case %d BODY[%s] as Dovecot", s->msg, s->section);
    }
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        imapmsg_free(m[i]);
}

static void
test_badsections(void)
{
    static const char *bad[] = { "MIME", "0", "01", "1.0", "1.", "1..2",
        ".1", "HEADER.FIELDS ()", "HEADER.FIELDS", "HEADER.FIELDS (a",
        "HEADER.FIELDS (a) ", "text ", "HEADERX", "1.MIMEX", "1 ", "-1",
        "HEADER.FIELDS.NOT(a)", "HEADER.FIELDS (\"a)", NULL };
    struct imapmsg *m = parse(cases[1].msg);
    char big[2048];
    size_t i;

    for (i = 0; bad[i]; i++)
        ok(seclen(m, bad[i]) == (uint64_t)-1, "BODY[%s] is BAD", bad[i]);
    ok(seclen(m, "text") == seclen(m, "TEXT") && seclen(m, "1.mime") > 0,
        "keywords are case-insensitive");
    ok(seclen(m, "99999999999999999999") == 0, "a huge part number: empty");
    ok(seclen(m, "1.2.3.4.5.6.7.8.9.1.2.3.4.5.6.7.8.9.1.2.3.4.5.6.7.8.9"
        ".1.2.3.4.5.6.7.8.9.1.2.3.4.5.6.7.8.9.1.2.3.4.5.6.7.8.9.1.2.3.4.5"
        ".6.7.8.9") == 0, "a very deep part number: empty");
    /* 64 names are fine, 65 are not */
    strcpy(big, "HEADER.FIELDS (");
    for (i = 0; i < IMAPMSG_HEADER_FIELDS_MAX; i++)
        strcat(big, i ? " F" : "F");
    strcat(big, ")");
    ok(seclen(m, big) == 2, "%d field names", IMAPMSG_HEADER_FIELDS_MAX);
    big[strlen(big) - 1] = 0;
    strcat(big, " subject)");
    ok(seclen(m, big) == (uint64_t)-1, "one name too many is BAD");
    imapmsg_free(m);
}

static void
test_envelopes(void)
{
    struct imapmsg *m;

    /* Dovecot sends 'a " b' as a literal; a quoted string is as good */
    m = parse("Subject: =?utf-8?q?h=C3=A9llo?=\n  folded\tmore\n"
              "From: \"a \\\" b\" <\"x y\"@h>, (just comment) z@h, "
              "foo  bar <f@b>, x@[1.2.3.4], =?utf-8?q?J=C3=B6?= <j@k>\n"
              "Sender: <>\n"
              "To: a@b (Real (Nested) Name), \"\" <q@r>\n"
              "Date: 1 jan 99 10:00 EST\n\nbody\n");
    str_reset(&out);
    imapmsg_envelope(m, &out);
    ok(same("(\"1 jan 99 10:00 EST\" \"=?utf-8?q?h=C3=A9llo?= folded more\""
            " ((\"a \\\" b\" NIL \"x y\" \"h\")(NIL NIL \"z\" \"h\")"
            "(\"foo bar\" NIL \"f\" \"b\")(NIL NIL \"x\" \"[1.2.3.4]\")"
            "(\"=?utf-8?q?J=C3=B6?=\" NIL \"j\" \"k\")) NIL"
            " ((\"a \\\" b\" NIL \"x y\" \"h\")(NIL NIL \"z\" \"h\")"
            "(\"foo bar\" NIL \"f\" \"b\")(NIL NIL \"x\" \"[1.2.3.4]\")"
            "(\"=?utf-8?q?J=C3=B6?=\" NIL \"j\" \"k\"))"
            " ((\"Real (Nested) Name\" NIL \"a\" \"b\")(NIL NIL \"q\" \"r\"))"
            " NIL NIL NIL NIL)"),
        "quoted names, comments, literals, folding, empty sender");
    imapmsg_free(m);

    m = parse("Subject: caf\xc3\xa9\n\n");
    str_reset(&out);
    imapmsg_envelope(m, &out);
    ok(same("(NIL {5}\r\ncaf\xc3\xa9 NIL NIL NIL NIL NIL NIL NIL NIL)"),
        "8-bit subject as a literal");
    imapmsg_free(m);

    m = parse("To: g1: ;, g2: a@b;\nCc: unterminated: a@b, c@d\n\n");
    str_reset(&out);
    imapmsg_envelope(m, &out);
    ok(same("(NIL NIL NIL NIL NIL ((NIL NIL \"g1\" NIL)(NIL NIL NIL NIL)"
            "(NIL NIL \"g2\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))"
            " ((NIL NIL \"unterminated\" NIL)(NIL NIL \"a\" \"b\")"
            "(NIL NIL \"c\" \"d\")(NIL NIL NIL NIL)) NIL NIL NIL)"),
        "empty group, group without its semicolon");
    imapmsg_free(m);
}

static void
test_search(void)
{
    struct imapmsg *m;

    m = parse("Subject: =?ISO-8859-1?Q?caf=E9_cr=E8me?= =?utf-8?B?w6l0w6k=?=\n"
              "From: Someone <x@y>\n"
              "X-Folded: one\n two\n"
              "Content-Type: multipart/mixed; boundary=b\n\n"
              "--b\nContent-Type: text/plain\n"
              "Content-Transfer-Encoding: base64\n\n"
              "SGVsbG8gV29ybGQsIHRoaXMg\naXMgYmFzZTY0Lg==\n"
              "--b\nContent-Type: text/html; charset=utf-8\n"
              "Content-Transfer-Encoding: quoted-printable\n\n"
              "<p>soft=\nbreak, caf=C3=A9</p>=\r\n\n"
              "--b\nContent-Type: application/octet-stream\n\nsecretbinary\n"
              "--b\nContent-Type: message/rfc822\n\n"
              "Subject: inner subject\n\ninner text\n"
              "--b--\n");
    ok(imapmsg_body_contains(m, "hello world", 11), "base64 body, any case");
    ok(imapmsg_body_contains(m, "THIS IS BASE64.", 15), "across base64 lines");
    ok(imapmsg_body_contains(m, "softbreak", 9), "QP soft line break");
    ok(imapmsg_body_contains(m, "caf\xc3\xa9", 5), "QP 8-bit");
    ok(!imapmsg_body_contains(m, "SGVsbG8", 7), "not the encoded text");
    ok(!imapmsg_body_contains(m, "secretbinary", 12), "not application/*");
    ok(imapmsg_body_contains(m, "inner text", 10), "inside message/rfc822");
    ok(!imapmsg_body_contains(m, "Someone", 7), "not the top header");
    ok(imapmsg_text_contains(m, "someone", 7), "TEXT: the header");
    ok(imapmsg_text_contains(m, "x-folded", 8), "TEXT: a field name");
    ok(imapmsg_text_contains(m, "hello", 5), "TEXT: the body");
    ok(!imapmsg_text_contains(m, "nowhere", 7), "TEXT: not there");
    ok(imapmsg_header_contains(m, "subject", "CAF\xc3\xa9 cr\xc3\xa8me", 12),
        "Q word in ISO-8859-1 decoded to UTF-8");
    ok(imapmsg_header_contains(m, "SUBJECT", "cr\xc3\xa8me\xc3\xa9t\xc3\xa9",
        11),
        "white space between encoded words dropped");
    ok(imapmsg_header_contains(m, "subject", "ISO-8859-1?Q", 12),
        "the raw value matches too");
    ok(imapmsg_header_contains(m, "x-folded", "one two", 7),
        "unfolded value");
    ok(imapmsg_header_contains(m, "from", "", 0), "empty needle: exists");
    ok(!imapmsg_header_contains(m, "cc", "", 0), "empty needle: absent");
    ok(!imapmsg_header_contains(m, "from", "nobody", 6), "no match");
    imapmsg_free(m);

    m = parse("Subject: plain\n\nA body without MIME.\n");
    ok(imapmsg_body_contains(m, "without mime", 12), "non-MIME body");
    ok(imapmsg_body_contains(m, "", 0), "empty needle");
    imapmsg_free(m);
}

static void
test_dates(void)
{
    static const struct {
        const char *date;
        int64_t day;
    } d[] = {
        { "Mon, 1 Jan 2024 10:00:00 +0100", 19723 },
        { "1 jan 99 10:00 EST", 10592 },
        { "Tue, 29 Feb 2000 23:59:59 -1200", 11016 },
        { "  Thu, 01 Jan 1970 00:00:00 GMT", 0 },
        { "(comment) Sat ,  1 January 2000 00:00 +0000", 10957 },
        { "1 Jan 2049 00:00 +0000", 28855 },
        { "1 Jan 50 00:00 +0000", -7305 },
        { "31 Feb 2020 10:00 +0000", -1 },
        { "29 Feb 1900 10:00 +0000", -1 },
        { "Mon, 1 Foo 2024", -1 },
        { "yesterday", -1 },
        { "", -1 },
        { "1 Jan 2", -1 },
        { "1 Jan 123456", -1 },
    };
    char buf[128];
    size_t i;
    struct imapmsg *m;

    for (i = 0; i < sizeof d / sizeof d[0]; i++) {
        snprintf(buf, sizeof buf, "Subject: x\nDate: %s\n\nbody\n", d[i].date);
        m = parse(buf);
        ok(imapmsg_sent_day(m) == d[i].day, "Date: %s", d[i].date);
        imapmsg_free(m);
    }
    m = parse("Subject: x\n\n");
    ok(imapmsg_sent_day(m) == -1, "no Date:");
    imapmsg_free(m);
}

/* Balanced parentheses outside strings: the structure is well-formed. */
static int
balanced(const struct str *s)
{
    size_t i;
    long depth = 0;
    int q = 0;

    for (i = 0; i < s->len; i++) {
        char c = s->s[i];
        if (q) {
            if (c == '\\')
                i++;
            else if (c == '"')
                q = 0;
        } else if (c == '"')
            q = 1;
        else if (c == '(')
            depth++;
        else if (c == ')' && --depth < 0)
            return 0;
    }
    return depth == 0 && !q;
}

static void
test_limits(void)
{
    struct str msg = { 0 };
    struct imapmsg *m;
    int i;

    /* nesting past IMAPMSG_DEPTH_MAX */
    for (i = 0; i < 100; i++)
        str_printf(&msg, "Content-Type: multipart/mixed; boundary=b%d\n\n"
                   "--b%d\n", i, i);
    str_puts(&msg, "\ndeep\n");
    m = imapmsg_parse(msg.s, msg.len);
    str_reset(&out);
    imapmsg_bodystructure(m, 1, &out);
    ok(!out.err && balanced(&out), "100 levels: well-formed BODYSTRUCTURE");
    ok(seclen(m, "") == imapmsg_size(m), "100 levels: BODY[]");
    imapmsg_free(m);

    /* rfc822 nesting */
    str_reset(&msg);
    for (i = 0; i < 100; i++)
        str_puts(&msg, "Content-Type: message/rfc822\n\n");
    str_puts(&msg, "Subject: bottom\n\nx\n");
    m = imapmsg_parse(msg.s, msg.len);
    str_reset(&out);
    imapmsg_bodystructure(m, 0, &out);
    ok(!out.err && balanced(&out), "100 message/rfc822 levels");
    imapmsg_free(m);

    /* more parts than IMAPMSG_PARTS_MAX */
    str_reset(&msg);
    str_puts(&msg, "Content-Type: multipart/mixed; boundary=b\n\n");
    for (i = 0; i < 1500; i++)
        str_printf(&msg, "--b\n\npart %d\n", i);
    str_puts(&msg, "--b--\n");
    m = imapmsg_parse(msg.s, msg.len);
    str_reset(&out);
    imapmsg_bodystructure(m, 1, &out);
    ok(!out.err && balanced(&out), "1500 parts: well-formed");
    ok(seclen(m, "998") > 0 && seclen(m, "1200") == 0,
        "parts past the limit are not there");
    ok(imapmsg_body_contains(m, "part 900", 8), "searched up to the limit");
    imapmsg_free(m);

    /* a long header line */
    str_reset(&msg);
    str_puts(&msg, "Subject: ");
    for (i = 0; i < 20000; i++)
        str_putc(&msg, 'a' + i % 26);
    str_puts(&msg, "zz\nFrom: a@b\n\nbody\n");
    m = imapmsg_parse(msg.s, msg.len);
    /* the letters end with "...def" (19999 % 26 == 5) */
    ok(imapmsg_header_contains(m, "subject", "defzz", 5) == 1
        && imapmsg_header_contains(m, "subject", "defzzz", 6) == 0,
        "a 20000-byte field is searched to its end");
    str_reset(&out);
    imapmsg_envelope(m, &out);
    ok(!out.err && out.len > 20000, "and shown whole");
    imapmsg_free(m);
    str_free(&msg);

    /* a cap on out: the error is sticky, nothing overflows */
    m = parse(cases[1].msg);
    str_free(&out);
    out.max = 50;
    ok(imapmsg_bodystructure(m, 1, &out) == -1 && out.err,
        "output past its cap fails");
    str_free(&out);
    out.max = 0;
    imapmsg_free(m);
}

int
main(void)
{
    test_cases();
    test_sections();
    test_badsections();
    test_envelopes();
    test_search();
    test_dates();
    test_limits();
    str_free(&out);
    return done();
}
