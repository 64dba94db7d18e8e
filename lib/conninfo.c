/* conninfo.c - the ucspi environment with a socket fallback. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conninfo.h"
#include "dnsname.h"

static int
ip_valid(const char *s)
{
    unsigned char a[sizeof(struct in6_addr)];

    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static int
port_valid(const char *s)
{
    unsigned long v = 0;
    size_t i;

    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 5)
            return 0;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    return i > 0 && v <= 65535;
}

static int
from_env(const char *ipvar, const char *portvar, char *ip, size_t iplen,
    char *port, size_t portlen)
{
    const char *i = getenv(ipvar), *p = getenv(portvar);

    if (i == NULL || p == NULL || !ip_valid(i) || !port_valid(p))
        return -1;
    if (strlen(i) >= iplen || strlen(p) >= portlen)
        return -1;
    memcpy(ip, i, strlen(i) + 1);
    memcpy(port, p, strlen(p) + 1);
    return 0;
}

static int
from_sock(int fd, int peer, char *ip, size_t iplen, char *port,
    size_t portlen)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    const void *addr;
    unsigned port_n;
    int r;

    memset(&ss, 0, sizeof ss);
    r = peer ? getpeername(fd, (struct sockaddr *)&ss, &sl)
             : getsockname(fd, (struct sockaddr *)&ss, &sl);
    if (r == -1)
        return -1;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        addr = &s4->sin_addr;
        port_n = ntohs(s4->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        addr = &s6->sin6_addr;
        port_n = ntohs(s6->sin6_port);
        /* Show a v4-mapped peer as the IPv4 address it is. */
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            addr = (const unsigned char *)&s6->sin6_addr + 12;
            if (inet_ntop(AF_INET, addr, ip, (socklen_t)iplen) == NULL)
                return -1;
            goto port;
        }
    } else {
        errno = EAFNOSUPPORT;
        return -1;
    }
    if (inet_ntop(ss.ss_family, addr, ip, (socklen_t)iplen) == NULL)
        return -1;
port:
    r = snprintf(port, portlen, "%u", port_n);
    if (r < 0 || (size_t)r >= portlen) {
        errno = ERANGE;
        return -1;
    }
    return 0;
}

int
conninfo_get(struct conninfo *ci, int fd)
{
    const char *h;
    int r = 0, e = 0;

    memset(ci, 0, sizeof *ci);
    if (from_env("TCPREMOTEIP", "TCPREMOTEPORT", ci->remoteip,
            sizeof ci->remoteip, ci->remoteport, sizeof ci->remoteport) == -1
        && from_sock(fd, 1, ci->remoteip, sizeof ci->remoteip,
               ci->remoteport, sizeof ci->remoteport) == -1) {
        snprintf(ci->remoteip, sizeof ci->remoteip, "unknown");
        snprintf(ci->remoteport, sizeof ci->remoteport, "0");
        r = -1;
        e = errno;
    }
    if (from_env("TCPLOCALIP", "TCPLOCALPORT", ci->localip,
            sizeof ci->localip, ci->localport, sizeof ci->localport) == -1
        && from_sock(fd, 0, ci->localip, sizeof ci->localip, ci->localport,
               sizeof ci->localport) == -1) {
        snprintf(ci->localip, sizeof ci->localip, "unknown");
        snprintf(ci->localport, sizeof ci->localport, "0");
        r = -1;
        e = errno;
    }
    h = getenv("TCPREMOTEHOST");
    if (h != NULL && dnsname_valid(h, strlen(h)))
        memcpy(ci->remotehost, h, strlen(h) + 1); /* valid: <= 253 */
    ci->relayclient = getenv("RELAYCLIENT") != NULL;
    if (r == -1)
        errno = e;
    return r;
}

int
conninfo_export(const struct conninfo *ci)
{
    if (setenv("TCPREMOTEIP", ci->remoteip, 1) == -1
        || setenv("TCPREMOTEPORT", ci->remoteport, 1) == -1
        || setenv("TCPLOCALIP", ci->localip, 1) == -1
        || setenv("TCPLOCALPORT", ci->localport, 1) == -1)
        return -1;
    return 0;
}
