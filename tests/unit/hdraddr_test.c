/* hdraddr_test.c - address lists of To:/Cc:/Bcc: fields. */
#include <string.h>

#include "hdraddr.h"
#include "tap.h"

static struct envelope e;

static int
parse(const char *s, const char *want)
{
    char got[2048] = "";
    size_t i;
    int r;

    envelope_free(&e);
    memset(&e, 0, sizeof e);
    r = hdraddr_parse(s, strlen(s), &e);
    if (r < 0)
        return want == NULL;
    for (i = 0; i < e.nrcpt; i++) {
        if (i)
            strcat(got, " ");
        strcat(got, e.rcpt[i].full);
    }
    return want != NULL && strcmp(got, want) == 0;
}

int
main(void)
{
    ok(parse(" a@b.example", "a@b.example"), "bare addr-spec");
    ok(parse("Alice <alice@example.org>, bob@example.net",
           "alice@example.org bob@example.net"),
        "name-addr and addr-spec");
    ok(parse("\"Doe, John\" <jd@example.org>", "jd@example.org"),
        "comma inside a quoted display name");
    ok(parse("jd@example.org (John, the \\) boss)", "jd@example.org"),
        "comment with comma and escaped paren");
    ok(parse("team: a@x.example, B <b@x.example>;, c@y.example",
           "a@x.example b@x.example c@y.example"),
        "group then mailbox");
    ok(parse("undisclosed-recipients:;", ""), "empty group");
    ok(parse("<@relay.example:u@example.org>", "u@example.org"),
        "obsolete route skipped");
    ok(parse("a@b.example,,c@d.example", "a@b.example c@d.example"),
        "empty elements allowed");
    ok(parse("\"a<b\" <x@example.org>", "x@example.org"),
        "< inside a quoted display name");
    ok(parse("\"quoted local\"@example.org", "\"quoted local\"@example.org"),
        "quoted local part");
    ok(parse("u@[192.0.2.1]", "u@[192.0.2.1]"), "domain literal");
    ok(parse("Alice <alice@example.org", NULL), "unclosed angle refused");
    ok(parse("a@b.example (unclosed", NULL), "unclosed comment refused");
    ok(parse("\"unclosed <a@b.example>", NULL), "unclosed quote refused");
    ok(parse("not an address", NULL), "no address refused");
    ok(parse("group: a@b.example", NULL), "group without ; refused");
    envelope_free(&e);
    return done();
}
