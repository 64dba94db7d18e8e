/* dmarc.h - a DMARC policy record (RFC 7489 6.3), as a TXT record at
 * _dmarc.<domain> holds it: "v=DMARC1" first, then p= (none, quarantine,
 * reject: required), sp= (the same for subdomains), pct= (0..100, the
 * share of failing mail the policy applies to; 100 by default), adkim=
 * and aspf= (r relaxed, by default, or s strict).  Other tags (rua=,
 * ruf=, fo=, rf=, ri=) are read past: facteur sends no reports.  An
 * unusable sp= or pct= is ignored (the default stays); no p=, a p= of
 * another word or a first tag other than v=DMARC1 make the record
 * unusable, which RFC 7489 6.6.3 treats as no record.
 */
#ifndef MAIL_DMARC_H
#define MAIL_DMARC_H

#include <stddef.h>

struct dmarc_record {
    char p[16], sp[16];    /* "none", "quarantine", "reject"; sp "" */
    unsigned pct;
    int adkim_strict, aspf_strict;
};

/** dmarc_parse - the record t (n bytes, not NUL-terminated) into r.  0,
 * or -1 when it is not a usable record. */
int dmarc_parse(struct dmarc_record *r, const char *t, size_t n);

#endif
