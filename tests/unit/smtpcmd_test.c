/* smtpcmd_test.c - command verbs and MAIL/RCPT paths: the one grammar,
 * source routes ignored, relay tricks stay local parts, parameters. */
#include <string.h>

#include "smtpcmd.h"
#include "tap.h"

static int
path(const char *arg, int is_mail, struct smtp_path *p, const char **why)
{
    return smtpcmd_path(arg, strlen(arg), is_mail, p, why);
}

int
main(void)
{
    struct smtp_cmd c;
    struct smtp_path p;
    const char *why;

    ok(smtpcmd_split("mail FROM:<a@b>", 15, &c) == 0 && c.verb == SMTP_MAIL
        && strcmp(c.arg, "FROM:<a@b>") == 0, "verbs are case-insensitive");
    ok(smtpcmd_split("QUIT", 4, &c) == 0 && c.verb == SMTP_QUIT
        && c.arglen == 0, "a verb alone");
    ok(smtpcmd_split("XYZZY 1", 7, &c) == 0 && c.verb == SMTP_UNKNOWN
        && strcmp(c.name, "XYZZY") == 0, "unknown verbs");
    ok(smtpcmd_split("NOOP\rx", 6, &c) == -1, "a CR inside a command");
    ok(smtpcmd_split("NO\0OP", 5, &c) == -1, "a NUL inside a command");

    ok(path("FROM:<a@B.example>", 1, &p, &why) == 0
        && strcmp(p.a.full, "a@b.example") == 0, "MAIL FROM, domain lowered");
    ok(path("FROM: <a@b.example>", 1, &p, &why) == 0, "one space tolerated");
    ok(path("FROM:<>", 1, &p, &why) == 0 && p.a.full[0] == 0, "null sender");
    ok(path("TO:<>", 0, &p, &why) == -1, "no null recipient");
    ok(path("TO:<Postmaster>", 0, &p, &why) == 0 && p.postmaster,
        "<postmaster> without a domain");
    ok(path("TO:<@relay.example,@b.example:u@local.example>", 0, &p, &why)
            == 0 && strcmp(p.a.full, "u@local.example") == 0,
        "a source route is dropped: the mailbox counts");
    ok(path("TO:<@bad..route:u@local.example>", 0, &p, &why) == -1,
        "a malformed source route is refused");
    ok(path("TO:<u%other.example@local.example>", 0, &p, &why) == 0
        && strcmp(p.a.domain, "local.example") == 0,
        "%% is part of the local part, the domain is local");
    ok(path("TO:<other.example!u@local.example>", 0, &p, &why) == 0
        && strcmp(p.a.domain, "local.example") == 0, "! as well");
    ok(path("TO:<\"u@other.example\"@local.example>", 0, &p, &why) == 0
        && strcmp(p.a.domain, "local.example") == 0,
        "a quoted local part with @ stays local");
    ok(path("TO:<\"a>b\"@local.example>", 0, &p, &why) == 0,
        "'>' inside quotes does not end the path");
    ok(path("TO:<u@local.example.>", 0, &p, &why) == 0
        && strcmp(p.a.domain, "local.example") == 0,
        "a trailing dot is dropped");
    ok(path("TO:<u@other.example@local.example>", 0, &p, &why) == -1,
        "two @ refused");
    ok(path("TO:u@local.example", 0, &p, &why) == -1, "angle brackets needed");
    ok(path("FROM:<a@b.example> SIZE=1000 BODY=8BITMIME SMTPUTF8", 1, &p,
           &why) == 0 && p.has_size && p.size == 1000 && p.body8 && p.smtputf8,
        "SIZE, BODY, SMTPUTF8");
    ok(path("FROM:<a@b.example> SIZE=99999999999999999999999", 1, &p, &why)
        == -1, "a SIZE too large to count");
    ok(path("FROM:<a@b.example> AUTH=<>", 1, &p, &why) == -1
        && strncmp(why, "555", 3) == 0, "unknown parameters: 555");
    ok(path("TO:<a@b.example> NOTIFY=NEVER", 0, &p, &why) == -1,
        "RCPT takes no parameters");
    ok(path("TO:<\xc3\xa9l\xc3\xa8ve@b.example>", 0, &p, &why) == 0
        && p.nonascii, "UTF-8 local part noticed");
    ok(smtpcmd_helo("mx.example", 10) == 0 && smtpcmd_helo("[1.2.3.4]", 9) == 0,
        "HELO names");
    ok(smtpcmd_helo("a b", 3) == -1 && smtpcmd_helo("x(y)", 4) == -1
        && smtpcmd_helo("", 0) == -1, "HELO with spaces or parentheses");
    return done();
}
