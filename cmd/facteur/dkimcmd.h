/* dkimcmd.h - facteur dkim and facteur dns (dkim.c). */
#ifndef FACTEUR_DKIMCMD_H
#define FACTEUR_DKIMCMD_H

#include <stddef.h>

/** cmd_dkim - facteur dkim keygen D [--selector S]; argv after "dkim".
 * Exit code. */
int cmd_dkim(int argc, char **argv);

/** cmd_dns - facteur dns D [--mta-sts-policy]; argv after "dns" (dns.c).
 * Exit code. */
int cmd_dns(int argc, char **argv);

/**
 * dkim_records - print d's DKIM records as zone lines, each after a
 * comment: the active selector's first, then the older keys' (dkim.c).
 * 0, or 1 (a problem, said on stderr and in a comment): no key, a key
 * that does not load.
 */
int dkim_records(const char *d);

/** print_txt - a TXT record for owner on one line, data cut into
 * strings of 255 bytes; data holds no quote or backslash (dns.c). */
void print_txt(const char *owner, const char *data);

/** canon_domain - arg as a canonical local domain into d, or die
 * (dkim.c). */
void canon_domain(const char *arg, char *d, size_t len);

/**
 * cmd_dkim_first - after `domain add d`: make d's first DKIM key unless
 * it has a selector already.  0, or 1 (EXIT_PROBLEM) with the reason on
 * stderr: the domain stays added.
 */
int cmd_dkim_first(const char *d);

#endif
