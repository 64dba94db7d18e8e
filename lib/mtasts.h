/* mtasts.h - MTA-STS (RFC 8461): the TXT record, the policy, MX matching.
 *
 * A domain announces a policy with a TXT record at _mta-sts.DOMAIN:
 * "v=STSv1; id=ID;" (v first, fields separated by ';' and optional
 * blanks, id 1 to 32 letters and digits).  The policy itself is text
 * fetched from https://mta-sts.DOMAIN/.well-known/mta-sts.txt:
 *   version: STSv1
 *   mode: enforce | testing | none
 *   mx: mail.example.com        (repeated; "*.example.com" matches one
 *   mx: *.example.net            leftmost label)
 *   max_age: 604800             (seconds, at most MTASTS_MAXAGE_MAX)
 * lines ended by LF or CRLF; unknown keys are ignored; enforce and
 * testing need at least one mx.  Pure parsing, no I/O.
 * Limits: MTASTS_POLICY_MAX bytes, MTASTS_MX_MAX mx lines.
 */
#ifndef MAIL_MTASTS_H
#define MAIL_MTASTS_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"

#define MTASTS_POLICY_MAX 65536
#define MTASTS_MX_MAX 32
#define MTASTS_ID_MAX 32
#define MTASTS_MAXAGE_MAX 31557600

enum mtasts_mode { MTASTS_NONE, MTASTS_TESTING, MTASTS_ENFORCE };

struct mtasts_policy {
    enum mtasts_mode mode;
    uint64_t max_age;
    size_t nmx;
    char mx[MTASTS_MX_MAX][DNSNAME_MAX + 3]; /* lower case */
};

/** mtasts_txt - parse one TXT record (n bytes): 0 and the id in id
 * (MTASTS_ID_MAX + 1 bytes) when it is an STSv1 record, else -1. */
int mtasts_txt(const char *txt, size_t n, char *id);

/** mtasts_parse - parse a policy (n bytes).  0, or -1 (malformed). */
int mtasts_parse(const char *p, size_t n, struct mtasts_policy *pol);

/** mtasts_mx_ok - 1 when the MX host (lower case, no final dot) matches
 * one of the policy's mx patterns, else 0. */
int mtasts_mx_ok(const struct mtasts_policy *pol, const char *host);

#endif
