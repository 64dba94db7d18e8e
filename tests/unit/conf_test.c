/* conf_test.c - the configuration directory and one-line files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

static void
put(const char *dir, const char *name, const char *text)
{
    char p[256];
    FILE *f;

    snprintf(p, sizeof p, "%s/%s", dir, name);
    f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

int
main(void)
{
    char dir[] = "/tmp/conf_testXXXXXX", out[16];

    unsetenv("FACTEUR_CONF");
    ok(strcmp(conf_dir(), "/etc/facteur") == 0, "default directory");
    setenv("FACTEUR_CONF", "", 1);
    ok(strcmp(conf_dir(), "/etc/facteur") == 0, "empty means default");
    if (mkdtemp(dir) == NULL)
        return 1;
    setenv("FACTEUR_CONF", dir, 1);
    ok(conf_line("missing", out, sizeof out) == 0, "missing file: 0");
    put(dir, "one", "/var/spool/q\r\nsecond line\n");
    ok(conf_line("one", out, sizeof out) == 1 && strcmp(out, "/var/spool/q") == 0,
        "first line, without its CRLF");
    put(dir, "noeol", "value");
    ok(conf_line("noeol", out, sizeof out) == 1 && strcmp(out, "value") == 0,
        "no final line end");
    put(dir, "long", "0123456789abcdefghij\n");
    errno = 0;
    ok(conf_line("long", out, sizeof out) == -1 && errno == ERANGE,
        "longer than the buffer: ERANGE, never a cut value");
    put(dir, "empty", "");
    ok(conf_line("empty", out, sizeof out) == -1, "empty file: error");
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        (void)!system(cmd);
    }
    return done();
}
