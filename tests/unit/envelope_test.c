/* envelope_test.c - text0 envelopes. */
#include <errno.h>
#include <string.h>

#include "envelope.h"
#include "tap.h"

int
main(void)
{
    static const char env[] = "Fbob@example.org\0Talice@EXAMPLE.org\0"
                              "Tcarol@example.net\0";
    struct envelope e;
    struct sa out = SA_INIT(ENVELOPE_MAX);
    const char *bad;
    size_t i;
    long n;

    n = envelope_parse(env, sizeof env, &e, NULL);
    ok(n == (long)sizeof env && e.nrcpt == 2
            && strcmp(e.sender.full, "bob@example.org") == 0
            && strcmp(e.rcpt[0].full, "alice@example.org") == 0,
        "parse, canonical");
    ok(envelope_encode(&e, &out) == 0 && out.len == sizeof env
            && memcmp(out.s, "Fbob@example.org\0Talice@example.org", 35) == 0,
        "encode");
    envelope_free(&e);
    for (i = 0; i < sizeof env; i++)
        if (envelope_parse(env, i, &e, NULL) != 0)
            break;
    ok(i == sizeof env, "every prefix needs more");
    ok(envelope_parse("F\0Tpostmaster@example.org\0", 27, &e, NULL) == 27
            && e.sender.full[0] == 0,
        "null sender");
    envelope_free(&e);
    ok(envelope_parse("Fa@b.c\0\0", 8, &e, NULL) == -1 && errno == EPROTO,
        "no recipient refused");
    ok(envelope_parse("Ta@b.c\0\0", 8, &e, NULL) == -1 && errno == EPROTO,
        "no sender refused");
    ok(envelope_parse("Fa@b.c\0Fa@b.c\0Ta@b.c\0\0", 23, &e, NULL) == -1,
        "two senders refused");
    ok(envelope_parse("Fa@b.c\0Tno-domain\0\0", 19, &e, &bad) == -1
            && errno == EINVAL && bad != NULL && strcmp(bad, "Tno-domain") == 0,
        "bad recipient refused and pointed at");
    ok(envelope_parse("Fa@b.c\0Xa@b.c\0\0", 15, &e, NULL) == -1
            && errno == EPROTO,
        "unknown field refused");
    {
        struct addr a;
        addr_parse("x@y.z", 5, 0, &a);
        memset(&e, 0, sizeof e);
        for (i = 0; i < ENVELOPE_RCPT_MAX; i++)
            if (envelope_add_rcpt(&e, &a) == -1)
                break;
        ok(i == ENVELOPE_RCPT_MAX && envelope_add_rcpt(&e, &a) == -1
                && errno == E2BIG,
            "recipient cap");
        envelope_free(&e);
    }
    sa_free(&out);
    return done();
}
