/* log_test.c - escaping, the line cap and the session id. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "log.h"
#include "tap.h"

int
main(void)
{
    char out[64], line[LOG_LINE_MAX * 2];
    int p[2], saved;
    ssize_t n;
    char big[3000];

    log_escape(out, sizeof out, "a\r\nb\\c\x7f", 7);
    ok(strcmp(out, "a\\x0d\\x0ab\\x5cc\\x7f") == 0,
        "CR, LF, backslash and DEL escaped");
    memset(big, 'x', sizeof big);
    log_escape(out, 16, big, sizeof big);
    ok(strlen(out) <= 15 && strcmp(out + strlen(out) - 3, "...") == 0,
        "cut marked with ...");

    setenv("FACTEUR_SID", "0123456789ab", 1);
    log_init("t");
    ok(strcmp(log_sid(), "0123456789ab") == 0, "sid adopted from env");
    setenv("FACTEUR_SID", "../../etc", 1);
    log_init("t");
    ok(strlen(log_sid()) == LOG_SID_LEN
            && strspn(log_sid(), "0123456789abcdef") == LOG_SID_LEN,
        "malformed sid replaced by a fresh one");

    if (pipe(p) == -1)
        return 1;
    saved = dup(2);
    dup2(p[1], 2);
    log_info("event key=%s", "va\nlue");
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = 0;
    log_info("big=%s", big);
    dup2(saved, 2);
    close(p[1]);
    n = read(p[0], line, sizeof line - 1);
    line[n > 0 ? n : 0] = 0;
    {
        char *nl = strchr(line, '\n');
        char want[128];
        snprintf(want, sizeof want, "t: info: %s event key=va\\x0alue",
            log_sid());
        ok(nl != NULL && (size_t)(nl - line) == strlen(want)
                && strncmp(line, want, strlen(want)) == 0,
            "one escaped line with prog, level, sid");
        ok(nl != NULL && strlen(nl + 1) <= LOG_LINE_MAX
                && nl[strlen(nl) - 1] == '\n'
                && strchr(nl + 1, '\n') == nl + strlen(nl) - 1,
            "a huge message is one capped line");
    }
    return done();
}
