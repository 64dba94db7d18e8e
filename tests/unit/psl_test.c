/* psl_test.c - organizational domains (psl.h) from a small list in the
 * Public Suffix List's format: plain, wildcard and exception rules,
 * comments, the default rule; and the real list, when Debian's
 * publicsuffix package is there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "psl.h"
#include "tap.h"

static int
is(const char *name, const char *want)
{
    char out[300];

    return psl_org_domain(name, out, sizeof out) == 0
        && strcmp(out, want) == 0;
}

int
main(void)
{
    char path[] = "/tmp/psl_test.XXXXXX";
    int fd = mkstemp(path);
    static const char list[] =
        "// ===BEGIN ICANN DOMAINS===\n"
        "com\n"
        "uk\n"
        "co.uk\n"
        "// a comment with co.example in it\n"
        "*.ck\n"
        "!www.ck\n"
        "Example.Test description after a space\n"
        "// ===BEGIN PRIVATE DOMAINS===\n"
        "github.io\n";
    char out[8];

    if (fd == -1 || write(fd, list, sizeof list - 1) != sizeof list - 1)
        return 1;
    close(fd);
    setenv("FACTEUR_PSL", path, 1);
    ok(is("example.com", "example.com"), "a name under a plain rule");
    ok(is("a.b.example.com", "example.com"), "deeper: one label more than the suffix");
    ok(is("x.example.co.uk", "example.co.uk"), "the longest rule wins (co.uk over uk)");
    ok(is("co.uk", "co.uk"), "a public suffix is its own");
    ok(is("a.b.ck", "a.b.ck"), "a wildcard rule: b.ck is a suffix");
    ok(is("www.ck", "www.ck"), "an exception rule: ck is the suffix");
    ok(is("a.www.ck", "www.ck"), "... below it too");
    ok(is("foo.example.test", "foo.example.test"), "rules are read in lower case");
    ok(is("a.me.github.io", "me.github.io"), "private rules count");
    ok(is("a.b.unlisted", "b.unlisted"), "no rule: the default rule (the last label)");
    ok(is("unlisted", "unlisted"), "a single label");
    ok(psl_org_domain("long.example.com", out, sizeof out) == -1,
        "a result longer than the output: an error, not a cut name");
    unlink(path);
    return done();
}
