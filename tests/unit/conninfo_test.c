/* conninfo_test.c - ucspi variables, their checks, the socket fallback. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conninfo.h"
#include "tap.h"

int
main(void)
{
    struct conninfo ci;
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int ls, cs, as, r;
    char port[16];

    setenv("TCPREMOTEIP", "192.0.2.7", 1);
    setenv("TCPREMOTEPORT", "4242", 1);
    setenv("TCPLOCALIP", "::1", 1);
    setenv("TCPLOCALPORT", "25", 1);
    setenv("TCPREMOTEHOST", "mx.example.org", 1);
    setenv("RELAYCLIENT", "", 1);
    r = conninfo_get(&ci, -1);
    ok(r == 0 && strcmp(ci.remoteip, "192.0.2.7") == 0
            && strcmp(ci.remoteport, "4242") == 0
            && strcmp(ci.localip, "::1") == 0
            && strcmp(ci.localport, "25") == 0,
        "addresses from the ucspi environment");
    ok(strcmp(ci.remotehost, "mx.example.org") == 0 && ci.relayclient,
        "TCPREMOTEHOST and RELAYCLIENT");
    setenv("TCPREMOTEHOST", "evil\nhost", 1);
    unsetenv("RELAYCLIENT");
    conninfo_get(&ci, -1);
    ok(ci.remotehost[0] == 0 && !ci.relayclient,
        "bad TCPREMOTEHOST dropped, no RELAYCLIENT");

    /* Fallback to the socket (systemd Accept=yes). */
    unsetenv("TCPREMOTEIP");
    unsetenv("TCPLOCALIP");
    setenv("TCPREMOTEPORT", "notaport", 1);
    ls = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(ls, (struct sockaddr *)&sa, sizeof sa);
    listen(ls, 1);
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    cs = socket(AF_INET, SOCK_STREAM, 0);
    r = connect(cs, (struct sockaddr *)&sa, sizeof sa);
    as = accept(ls, NULL, NULL);
    r = conninfo_get(&ci, as);
    snprintf(port, sizeof port, "%u", ntohs(sa.sin_port));
    ok(r == 0 && strcmp(ci.remoteip, "127.0.0.1") == 0
            && strcmp(ci.localport, port) == 0
            && strcmp(ci.localip, "127.0.0.1") == 0,
        "addresses from getpeername/getsockname");
    ok(ci.remoteport[0] >= '1' && ci.remoteport[0] <= '9', "malformed port ignored");

    errno = 0;
    r = conninfo_get(&ci, 0 /* not a socket in the test runner */);
    ok(r == -1 && strcmp(ci.remoteip, "unknown") == 0,
        "no env and no socket: -1 and unknown");
    ok(conninfo_export(&(struct conninfo){ "10.0.0.1", "1", "10.0.0.2", "2",
           "", 0 }) == 0
            && strcmp(getenv("TCPREMOTEIP"), "10.0.0.1") == 0,
        "export sets the variables");
    return done();
}
