/* psl.h - organizational domains (RFC 7489 3.2) from the Public Suffix
 * List: the public suffix of a name and one label more.
 *
 * The list is Debian's publicsuffix package's file (PSL_FILE, or the
 * path in $FACTEUR_PSL), read once into a sorted table of rules: plain
 * ("co.uk"), wildcard ("*.ck") and exception ("!www.ck") rules, ICANN
 * and private sections alike.  The longest matching rule gives the
 * public suffix, an exception rule one label less, and a name no rule
 * matches has its last label as its suffix (the "*" default rule).
 */
#ifndef MAIL_PSL_H
#define MAIL_PSL_H

#include <stddef.h>

#define PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"
#define PSL_FILE_MAX (4 << 20)
#define PSL_RULES_MAX 65536

/**
 * psl_org_domain - the organizational domain of name (lower case, no
 * final dot) into out (outlen bytes): its public suffix and one label
 * more, or name itself when it is a public suffix.  0, or -1 with errno:
 * ENOENT (no list: the caller decides; facteur then takes the last two
 * labels), ERANGE (outlen).
 */
int psl_org_domain(const char *name, char *out, size_t outlen);

#endif
