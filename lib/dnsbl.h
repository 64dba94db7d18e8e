/* dnsbl.h - DNS blocklists (RFC 5782): is the client's address listed?
 *
 * The admin names the lists in $FACTEUR_CONF/dnsbl, one a line (none, or
 * no file: no check, the default):
 *     zen.spamhaus.org
 *     bl.example.net=127.0.0.2
 * A list is asked for the client's address reversed under its zone
 * (192.0.2.99 -> 99.2.0.192.zone; IPv6 by nibbles, RFC 5782 2.4; an
 * IPv4-mapped IPv6 address as IPv4).  The address is listed when the A
 * answer holds an address of 127.0.0.0/8 (RFC 5782 2.1) - the one after
 * "=" when the line gives one - other than 127.255.255.0/24, which lists
 * use for "your query was refused" (e.g. through a public resolver):
 * such an answer is logged, never taken for a listing.  The reply then
 * carries the list's TXT record for the address (RFC 5782 2.1), cut to
 * DNSBL_TEXT_MAX bytes of printable ASCII.
 * A list that does not answer (timeout, SERVFAIL) lists nobody: a
 * blocklist that is down must not stop the mail (what Postfix does too);
 * it is logged.
 * Lines: '#' starts a comment, blank lines are skipped; a line that is
 * not a zone (a host name, dnsname.h, of at most DNSBL_ZONE_MAX bytes)
 * with an optional "=" and an IPv4 address in 127.0.0.0/8 is an error,
 * and so are more than DNSBL_ZONES_MAX lists or a line over
 * DNSBL_LINE_MAX bytes: the caller answers 451 (no guessing at what
 * the admin meant).
 */
#ifndef MAIL_DNSBL_H
#define MAIL_DNSBL_H

#include <stddef.h>

#include "dns.h"
#include "limits.h"

#define DNSBL_ZONES_MAX 16
#define DNSBL_LINE_MAX 512
/* The longest zone: a reversed IPv6 address (64 bytes with dots) must
 * still fit in a name of DNSNAME_MAX. */
#define DNSBL_ZONE_MAX (DNSNAME_MAX - 64)
#define DNSBL_TEXT_MAX 200

struct dnsbl_zone {
    char name[DNSBL_ZONE_MAX + 1];
    int match;                 /* only this answer lists (else any) */
    unsigned char addr[4];
};

/**
 * dnsbl_parse - one line of the dnsbl file (without its newline) into z.
 * 1 a zone, 0 nothing (blank, comment), -1 malformed.
 */
int dnsbl_parse(const char *line, size_t len, struct dnsbl_zone *z);

/**
 * dnsbl_load - the lists of <dir>/dnsbl into z (max entries), *n of
 * them.  0 (no file: *n = 0), or -1 with errno: EINVAL a malformed line
 * (*bad its number), E2BIG more than max lists or a line too long, or
 * the error of reading the file.
 */
int dnsbl_load(const char *dir, struct dnsbl_zone *z, size_t max, size_t *n,
    unsigned *bad);

/**
 * dnsbl_qname - the name to ask zone for the address ip (text, IPv4 or
 * IPv6) into out (outlen bytes).  0, or -1: not an address, too long.
 */
int dnsbl_qname(const char *ip, const char *zone, char *out, size_t outlen);

/**
 * dnsbl_answer - what the A answer a (of a DNS_OK query) means for z:
 * 1 listed, 0 not, -1 the list refused the query (127.255.255.x only).
 */
int dnsbl_answer(const struct dns_answer *a, const struct dnsbl_zone *z);

/**
 * dnsbl_text - the TXT of a listing (len bytes, from the DNS) as reply
 * text into out (outlen bytes, NUL-terminated): printable ASCII kept,
 * anything else '?', at most DNSBL_TEXT_MAX bytes and outlen - 1.
 */
void dnsbl_text(const char *txt, size_t len, char *out, size_t outlen);

/**
 * dnsbl_check - ask each of the n lists z about ip, in order, through
 * d.  1 listed by one: *hit is its index, and text its TXT (dnsbl_text;
 * "" when it has none); 0 listed by none, or ip is not an address.
 * Failures are logged, never returned.
 */
int dnsbl_check(struct dns *d, const char *ip, const struct dnsbl_zone *z,
    size_t n, size_t *hit, char *text, size_t textlen);

#endif
