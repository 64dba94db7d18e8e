/* hdraddr.h - the addresses in a To:, Cc: or Bcc: field (RFC 5322 3.4).
 *
 * address-list: mailbox or group, comma separated; mailbox is an
 * addr-spec or [display-name] <addr-spec> (an obsolete route before the
 * addr-spec is skipped); group is display-name ":" [mailbox-list] ";".
 * Comments (nested parentheses, with backslash escapes) and quoted
 * strings are understood wherever they may appear.  Every address found
 * is checked with addr.h's grammar.
 * Limits: HDRADDR_MAX addresses a field, HDRADDR_DEPTH comment nesting.
 */
#ifndef MAIL_HDRADDR_H
#define MAIL_HDRADDR_H

#include <stddef.h>

#include "envelope.h"

#define HDRADDR_MAX 1000
#define HDRADDR_DEPTH 20

/**
 * hdraddr_parse - add the addresses of the unfolded field value (n bytes)
 * to e's recipients.  Returns the number added, or -1 with errno EINVAL
 * (malformed list or address), E2BIG (too many).
 */
int hdraddr_parse(const char *s, size_t n, struct envelope *e);

#endif
