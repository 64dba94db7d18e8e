/* priv_test.c - parsing users and dropping privileges for good (as root;
 * skipped otherwise). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "priv.h"
#include "tap.h"

int
main(void)
{
    uid_t u;
    gid_t g;
    int st;

    ok(priv_parse("64010:64011", &u, &g) == 0 && u == 64010 && g == 64011,
        "numeric uid:gid");
    ok(priv_parse("0:5", &u, &g) == -1 && errno == EPERM, "uid 0 refused");
    ok(priv_parse("5:0", &u, &g) == -1 && errno == EPERM, "gid 0 refused");
    ok(priv_parse("x:1", &u, &g) == -1 && errno == EINVAL, "malformed");
    ok(priv_parse("4294967295:1", &u, &g) == -1, "uid -1 refused");
    ok(priv_parse("root", &u, &g) == -1 && errno == EPERM, "root refused");
    ok(priv_parse("no-such-user-facteur", &u, &g) == -1 && errno == ENOENT,
        "unknown user");
    ok(priv_drop(0, 0, NULL) == -1 && errno == EPERM, "drop to 0 refused");
    if (geteuid() != 0) {
        printf("ok %d - # SKIP drop needs root\n", ++tap_n);
        return done();
    }
    {
        char jail[] = "/tmp/priv_testXXXXXX";
        pid_t pid;
        if (mkdtemp(jail) == NULL)
            return 1;
        chmod(jail, 0555);
        pid = fork();
        if (pid == 0) {
            if (priv_drop(64010, 64011, jail) == -1)
                _exit(2);
            if (getuid() != 64010 || getgid() != 64011)
                _exit(3);
            if (access("/etc/passwd", F_OK) == 0)
                _exit(4); /* not chrooted */
            if (priv_limits() == -1 || fork() != -1)
                _exit(5);
            _exit(0);
        }
        waitpid(pid, &st, 0);
        ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
            "drop: ids changed, chrooted, cannot fork (status %d)",
            WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        rmdir(jail);
    }
    return done();
}
