/* tlsfacts.h - the TLS facts a wrapper hands an application, and the
 * application side of UCSPI-TLS (STARTTLS without a TLS stack).
 *
 * Wire form (s6-networking's UCSPI-TLS): NAME=value\0 ... then one more
 * \0.  NAME is [A-Z0-9_]+ starting with a letter, value printable ASCII.
 * The same form carries tlswrap's implicit-TLS report from its TLS process
 * to the process that execs the application.
 *
 * STARTTLS: the wrapper puts SSLCTLFD, SSLREADFD and SSLWRITEFD in the
 * environment.  Until TLS starts the application speaks in clear on fds
 * 0/1.  To start, it sends its "ready to start TLS" reply, flushes, and
 * calls tlsfacts_starttls(), which writes "Y" on the control fd and waits
 * for the facts.  From then on it reads SSLREADFD and writes SSLWRITEFD
 * only, with fresh buffers: anything the client sent in clear after the
 * STARTTLS command is dropped (CVE-2011-0411).
 */
#ifndef MAIL_TLSFACTS_H
#define MAIL_TLSFACTS_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"

struct tlsfacts {
    size_t n;
    char name[TLSFACTS_COUNT_MAX][TLSFACTS_NAME_MAX + 1];
    char value[TLSFACTS_COUNT_MAX][TLSFACTS_VALUE_MAX + 1];
};

/**
 * tlsfacts_parse - parse len bytes of wire form into f.
 * Returns the number of bytes used through the final \0 (the message is
 * complete), 0 when more bytes are needed, -1 (EPROTO) when the bytes can
 * never be valid (bad name or value, too many, too long).
 */
long tlsfacts_parse(const unsigned char *p, size_t len, struct tlsfacts *f);

/** tlsfacts_get - the value of name, or NULL. */
const char *tlsfacts_get(const struct tlsfacts *f, const char *name);

/**
 * tlsfacts_add - append NAME=value (checked as the parser checks) to f.
 * Returns 0, or -1 (EINVAL bad name/value, E2BIG full).
 */
int tlsfacts_add(struct tlsfacts *f, const char *name, const char *value);

/**
 * tlsfacts_encode - write f in wire form into out (cap bytes).
 * Returns the length, or -1 (E2BIG) if it does not fit.
 */
long tlsfacts_encode(const struct tlsfacts *f, unsigned char *out, size_t cap);

/** tlsfacts_read - read one complete message from fd until deadline.
 * 0, or -1 with errno (EPIPE: end of file first, i.e. no TLS). */
int tlsfacts_read(int fd, struct tlsfacts *f, int64_t deadline);

/** tlsfacts_setenv - put every fact in the environment.  0 or -1. */
int tlsfacts_setenv(const struct tlsfacts *f);

struct ucspitls {
    int ctlfd;   /* -1 when no UCSPI-TLS wrapper is present */
    int readfd;
    int writefd;
};

/**
 * ucspitls_init - read SSLCTLFD, SSLREADFD, SSLWRITEFD.  Returns 1 when a
 * wrapper is present, 0 when not (u->ctlfd = -1), -1 (EINVAL) when the
 * variables are malformed or name closed descriptors.
 */
int ucspitls_init(struct ucspitls *u);

/**
 * ucspitls_starttls - ask the wrapper to start TLS and wait until
 * deadline for the handshake's facts.  Returns 0 (now use u->readfd and
 * u->writefd), or -1 with errno (the handshake failed or timed out: the
 * connection is unusable, end the session).
 */
int ucspitls_starttls(struct ucspitls *u, struct tlsfacts *f,
    int64_t deadline);

#endif
