/* addr.h - the one positive grammar for envelope addresses.
 *
 * An envelope address (RFC 5321 4.1.2 Mailbox) is local "@" domain:
 *   local   Dot-string (atext runs separated by single dots) or a
 *           Quoted-string of printable ASCII (backslash escapes a
 *           printable character); UTF-8 allowed in a Dot-string
 *           (RFC 6531) but never control bytes.
 *   domain  a host name (dnsname.h) or an address literal [1.2.3.4] or
 *           [IPv6:...].
 * Not accepted: source routes (@a,@b:x@y), a missing domain, '%' or '!'
 * routing is not interpreted (they are ordinary atext in a local part,
 * so user%other@local is a local user's name, never a relay), anything
 * outside printable ASCII except UTF-8 in the local part.
 * Limits (RFC 5321 4.5.3.1): local part 64 bytes, domain 255, path 256.
 * The canonical form keeps the local part as written (it is
 * case-sensitive) and lowercases the domain.
 */
#ifndef MAIL_ADDR_H
#define MAIL_ADDR_H

#include <stddef.h>

#define ADDR_LOCAL_MAX 64
#define ADDR_DOMAIN_MAX 255
#define ADDR_MAX 254 /* path 256 minus the angle brackets */

struct addr {
    char local[ADDR_LOCAL_MAX * 2 + 3]; /* canonical, quoted if needed */
    char domain[ADDR_DOMAIN_MAX + 1];    /* lower case */
    char full[ADDR_MAX + 1];             /* local@domain, "" for <> */
};

/**
 * addr_parse - check and canonicalize the n bytes at s (no angle
 * brackets; n == 0 is the null address, valid only when allow_null).
 * Returns 0, or -1 with errno EINVAL (not an address) or E2BIG (too long).
 */
int addr_parse(const char *s, size_t n, int allow_null, struct addr *a);

/**
 * addr_is_literal - 1 if the domain is an address literal ([...]).
 */
int addr_is_literal(const struct addr *a);

#endif
