/* fdpass.h - one record and one descriptor over a unix socket
 * (SCM_RIGHTS): queue-run gives an idle remote-send its next message so.
 */
#ifndef MAIL_FDPASS_H
#define MAIL_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/**
 * fdpass_send - send the n bytes at p as one record with a copy of fd,
 * without waiting and without SIGPIPE.  0, or -1 with errno (the record
 * did not go whole).
 */
int fdpass_send(int sock, const void *p, size_t n, int fd);

/**
 * fdpass_recv - receive one record of at most max bytes into p, and the
 * descriptor that came with it (close-on-exec) into *fd.  Returns its
 * length; 0 at the end of the socket; -1 with errno (EBADMSG: cut short,
 * or no descriptor with it).
 */
ssize_t fdpass_recv(int sock, void *p, size_t max, int *fd);

#endif
