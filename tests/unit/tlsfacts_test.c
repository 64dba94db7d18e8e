/* tlsfacts_test.c - wire form and the UCSPI-TLS application side. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "tap.h"
#include "tlsfacts.h"

int
main(void)
{
    static const unsigned char good[] =
        "SSL_PROTOCOL=TLSv1.2\0SSL_CIPHER=ECDHE-ECDSA-AES128-GCM-SHA256\0\0";
    struct tlsfacts f, g;
    unsigned char out[TLSFACTS_MAX + 10];
    long n;
    size_t i;

    signal(SIGPIPE, SIG_IGN); /* as every facteur program does */
    n = tlsfacts_parse(good, sizeof good - 1, &f);
    ok(n == (long)sizeof good - 1 && f.n == 2, "parse two facts");
    ok(strcmp(tlsfacts_get(&f, "SSL_PROTOCOL"), "TLSv1.2") == 0
            && tlsfacts_get(&f, "SSL_X") == NULL,
        "get");
    for (i = 0; i < sizeof good - 1; i++)
        if (tlsfacts_parse(good, i, &g) != 0)
            break;
    ok(i == sizeof good - 1, "every prefix asks for more");
    ok(tlsfacts_parse((const unsigned char *)"ssl=x\0\0", 7, &g) == -1,
        "lower-case name refused");
    ok(tlsfacts_parse((const unsigned char *)"A=\x01\0\0", 5, &g) == -1,
        "control byte in value refused");
    ok(tlsfacts_parse((const unsigned char *)"NOEQUALS\0\0", 10, &g) == -1,
        "missing = refused");
    ok(tlsfacts_parse((const unsigned char *)"\0", 1, &g) == 1 && g.n == 0,
        "empty message");
    {
        unsigned char big[TLSFACTS_MAX + 5];
        memset(big, 'A', sizeof big);
        big[0] = 'A';
        big[1] = '=';
        ok(tlsfacts_parse(big, sizeof big, &g) == -1, "oversized refused");
    }
    n = tlsfacts_encode(&f, out, sizeof out);
    ok(n == (long)sizeof good - 1 && memcmp(out, good, (size_t)n) == 0,
        "encode round trip");
    memset(&g, 0, sizeof g);
    ok(tlsfacts_add(&g, "SSL_X", "a\nb") == -1 && errno == EINVAL,
        "add checks values");
    for (i = 0; i < TLSFACTS_COUNT_MAX; i++)
        tlsfacts_add(&g, "N", "v");
    ok(tlsfacts_add(&g, "N", "v") == -1 && errno == E2BIG, "add caps count");

    /* The application side against a wrapper played by this test. */
    {
        int ctl[2], rd[2], wr[2];
        char v[16];
        struct ucspitls u;
        unsigned char c = 0;
        pid_t pid;
        int st;

        unsetenv("SSLCTLFD");
        ok(ucspitls_init(&u) == 0 && u.ctlfd == -1, "no wrapper");
        setenv("SSLCTLFD", "999", 1);
        ok(ucspitls_init(&u) == -1, "partial or closed fds refused");
        socketpair(AF_UNIX, SOCK_STREAM, 0, ctl);
        (void)!pipe(rd);
        (void)!pipe(wr);
        snprintf(v, sizeof v, "%d", ctl[0]);
        setenv("SSLCTLFD", v, 1);
        snprintf(v, sizeof v, "%d", rd[0]);
        setenv("SSLREADFD", v, 1);
        snprintf(v, sizeof v, "%d", wr[1]);
        setenv("SSLWRITEFD", v, 1);
        ok(ucspitls_init(&u) == 1 && u.readfd == rd[0], "wrapper found");
        pid = fork();
        if (pid == 0) {
            (void)!read(ctl[1], &c, 1);
            if (c != 'Y')
                _exit(1);
            (void)!write(ctl[1], good, sizeof good - 1);
            (void)!write(ctl[1], "junk", 4); /* must not be consumed */
            _exit(0);
        }
        ok(ucspitls_starttls(&u, &g, loop_now() + 2000) == 0
                && strcmp(tlsfacts_get(&g, "SSL_CIPHER"),
                       "ECDHE-ECDSA-AES128-GCM-SHA256")
                    == 0,
            "Y then facts");
        waitpid(pid, &st, 0);
        ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wrapper saw Y");
        ok(u.ctlfd == -1, "control fd closed after use");
    }
    {
        int ctl[2];
        struct ucspitls u = { -1, -1, -1 };
        socketpair(AF_UNIX, SOCK_STREAM, 0, ctl);
        u.ctlfd = ctl[0];
        close(ctl[1]);
        errno = 0;
        ok(ucspitls_starttls(&u, &g, loop_now() + 2000) == -1,
            "wrapper gone: starttls fails");
    }
    return done();
}
