/* conninfo.h - who is on the other end: the ucspi environment.
 *
 * tcpserver sets TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT,
 * TCPREMOTEHOST (with -h) and RELAYCLIENT (from tcprules).  systemd
 * Accept=yes sets none of them, so each address missing from the
 * environment is read with getpeername/getsockname on the socket.
 * Values from the environment are checked (an address must parse, a port
 * must be a number) so they are safe to log and compare.
 */
#ifndef MAIL_CONNINFO_H
#define MAIL_CONNINFO_H

#include <netinet/in.h>

#include "limits.h"

struct conninfo {
    char remoteip[INET6_ADDRSTRLEN];
    char remoteport[6];
    char localip[INET6_ADDRSTRLEN];
    char localport[6];
    char remotehost[DNSNAME_MAX + 1]; /* "" when unknown */
    int relayclient;                  /* RELAYCLIENT is set */
};

/**
 * conninfo_get - fill ci from the environment, falling back to the socket
 * fd.  Returns 0, or -1 with errno when an address is neither in the
 * environment nor readable from fd (not a socket: ENOTSOCK); the fields
 * that could be found are filled, the others are "unknown".
 */
int conninfo_get(struct conninfo *ci, int fd);

/**
 * conninfo_export - set TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP and
 * TCPLOCALPORT from ci, so the programs after us read one truth.  0 or -1.
 */
int conninfo_export(const struct conninfo *ci);

#endif
