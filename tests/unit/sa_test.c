/* sa_test.c - caps, overflow and wiping of struct sa. */
#include <errno.h>
#include <string.h>

#include "sa.h"
#include "tap.h"

int
main(void)
{
    struct sa a = SA_INIT(10);
    int r;

    ok(sa_appends(&a, "hello") == 0 && a.len == 5, "append within cap");
    ok(strcmp(a.s, "hello") == 0, "NUL-terminated content");
    ok(sa_append(&a, "12345", 5) == 0 && a.len == 10, "append up to cap");
    errno = 0;
    r = sa_appendc(&a, 'x');
    ok(r == -1 && errno == E2BIG, "append past cap fails with E2BIG");
    ok(a.len == 10 && memcmp(a.s, "hello12345", 10) == 0,
        "failed append leaves content unchanged");
    ok(sa_copy(&a, "ab", 2) == 0 && a.len == 2 && strcmp(a.s, "ab") == 0,
        "copy replaces");
    errno = 0;
    r = sa_copy(&a, "0123456789x", 11);
    ok(r == -1 && errno == E2BIG && strcmp(a.s, "ab") == 0,
        "copy past cap keeps old content");
    sa_truncate(&a, 1);
    ok(a.len == 1 && strcmp(a.s, "a") == 0, "truncate");
    sa_wipe(&a);
    ok(a.s == NULL && a.len == 0, "wipe releases");
    {
        struct sa b = SA_INIT((size_t)-1);
        errno = 0;
        ok(sa_appends(&b, "x") == 0, "huge cap works");
        r = sa_append(&b, "y", (size_t)-1);
        ok(r == -1, "size overflow refused");
        sa_free(&b);
    }
    {
        struct sa c = SA_INIT(100000);
        size_t i;
        for (i = 0; i < 100000; i++)
            if (sa_appendc(&c, (char)('a' + i % 26)) == -1)
                break;
        ok(i == 100000 && c.len == 100000 && c.s[99999] == 'a' + 99999 % 26,
            "growth to 100000 bytes");
        sa_free(&c);
    }
    return done();
}
