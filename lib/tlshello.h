/* tlshello.h - the SNI name from a raw TLS ClientHello.
 *
 * BearSSL looks a session up in the cache before it parses the
 * ClientHello's extensions, so the cache cannot ask it for the SNI name it
 * must bind the session to.  tlswrap keeps a copy of the first bytes the
 * client sent and this parser reads the name from them.  It accepts only
 * a ClientHello that sits whole in the first record; anything else is
 * "unknown", and an unknown name means no resumption (a full handshake),
 * never a session resumed under the wrong name.
 */
#ifndef MAIL_TLSHELLO_H
#define MAIL_TLSHELLO_H

#include <stddef.h>

/* Bytes of the first record tlswrap keeps: a ClientHello rarely exceeds
 * 2 KB; a larger one just does not resume. */
#define TLSHELLO_MAX 8192

/**
 * tlshello_sni - find the host name in the ClientHello at p (len bytes,
 * starting with the record header).
 * Returns 1 with the canonical (lower-case, checked) name in out, 0 when
 * the ClientHello is complete and has no usable host name (out = ""), -1
 * when it is incomplete, malformed or not a ClientHello.
 */
int tlshello_sni(const unsigned char *p, size_t len, char *out,
    size_t outlen);

#endif
