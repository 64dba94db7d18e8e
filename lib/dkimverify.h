/* dkimverify.h - checking DKIM signatures (RFC 6376, RFC 8301).
 *
 * dkimv_verify checks every DKIM-Signature field of a message (in
 * canonical form, canon.h: CRLF lines, the header section, an empty
 * line, the body; the same form dkim_sign reads) and gives one result
 * per signature, in the order of the fields from the top.  The DNS is
 * asked through a callback, so tests and the fuzz target answer without
 * a network; this module does no I/O of its own.
 *
 * What a signature gets (RFC 8601's result names, dkimv_name):
 *   pass       rsa-sha256 with a key of DKIMV_RSA_BITS_MIN..MAX bits,
 *              or ed25519-sha256 (RFC 8463: k=ed25519, p= the bare
 *              32-byte key, lib/ed25519.h), the body hash and the
 *              signature both verify
 *   fail       the body hash or the signature does not verify; x= is
 *              in the past
 *   policy     rsa-sha1 (RFC 8301 3.1: never valid), a key under 1024
 *              bits (RFC 8301 3.2)
 *   neutral    an RSA key over DKIMV_RSA_BITS_MAX bits (BearSSL's
 *              limit): a signature facteur cannot evaluate
 *   temperror  the key lookup failed for now; out of memory
 *   permerror  anything malformed or inconsistent: the tag-list (a
 *              duplicate tag, a missing required one), v= not 1, an
 *              unknown a=, c= or q=, h= without from, i= outside d=,
 *              x= not after t=, l= beyond the body, no key or a revoked
 *              one, a key record that does not fit the signature, a
 *              header section over the limits below
 * The caller reports "none" when dkimv_verify returns 0.
 *
 * Header fields: a field is a line starting with a byte other than
 * SP/HTAB, with its continuation lines; its name is the bytes before the
 * first ':' less any SP/HTAB before the ':' (RFC 5322's obsolete syntax;
 * relaxed canonicalization drops them too, so "From :" is a From: field
 * that h= covers), printable ASCII.  For each name of h= from the left
 * the last instance not yet used is signed (RFC 6376 5.4.2); a name
 * listed more often than it is present (over-signing) signs nothing,
 * and so breaks the signature when such a field is added later.  The
 * signature's own field is never taken for a "dkim-signature" of h=.
 *
 * l= (the signed body length) is applied; body_length_used tells the
 * caller, who should distrust such a pass: content may be appended to a
 * body signed with l= without breaking the signature.  t=y in the key
 * record (testing) is reported in testing: RFC 6376 3.6.1 asks that such
 * a pass be treated as no signature.  A t= in the future is accepted
 * (RFC 6376 3.5 only allows ignoring it): clocks differ.
 *
 * Limits (beyond them: permerror): DKIM_HEADER_MAX bytes of header
 * section and DKIMV_FIELDS_MAX fields in it, DKIMV_FIELD_MAX bytes of
 * DKIM-Signature field, DKIMV_TAGS_MAX tags in a tag-list, DKIMV_H_MAX
 * names in h=, DKIMV_KEY_MAX bytes of key record.  At most
 * DKIMV_SIGS_MAX signatures are checked; later ones are not reported.
 */
#ifndef MAIL_DKIMVERIFY_H
#define MAIL_DKIMVERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "limits.h"

#define DKIMV_SIGS_MAX 8       /* a message gathers a few: author, list */
#define DKIMV_FIELDS_MAX 2048  /* header fields indexed (real mail: ~100) */
#define DKIMV_FIELD_MAX 16384  /* one DKIM-Signature field */
#define DKIMV_TAGS_MAX 64      /* RFC 6376 defines 14 signature tags */
#define DKIMV_H_MAX 256        /* names in h= (dkim.h: DKIM_SIGNED_MAX) */
#define DKIMV_KEY_MAX DNS_TXT_MAX /* one key record, its strings joined */
#define DKIMV_RSA_BITS_MIN 1024 /* RFC 8301 3.2: smaller keys MUST NOT pass */
#define DKIMV_RSA_BITS_MAX 4096 /* BearSSL's largest modulus (RFC 8301
                                 * 3.2 requires verifiers to handle 4096) */
#define DKIMV_SELECTOR_MAX 63
#define DKIMV_AUID_MAX 255     /* i=, as reported */
#define DKIMV_WHY_MAX 128
#define DKIMV_HEADER_B_LEN 8   /* RFC 6008 header.b: a prefix of b= */

enum dkimv_result {
    DKIMV_NONE,
    DKIMV_PASS,
    DKIMV_FAIL,
    DKIMV_NEUTRAL,
    DKIMV_POLICY,
    DKIMV_TEMPERROR,
    DKIMV_PERMERROR
};

/**
 * dkimv_txt_fn - the TXT record at name (a host name with the label
 * "_domainkey"), the strings of ONE record joined, into out (outlen
 * bytes, no NUL needed) and its length into *n.  Returns 1 (found), 0
 * (none: NXDOMAIN or no TXT record), -1 (a temporary failure).  A record
 * longer than outlen: copy outlen bytes and set *n to its real length
 * (the verifier then gives permerror).  When the name has several TXT
 * records the callback picks one (RFC 6376 3.6.2.2 lets verifiers).
 */
typedef int (*dkimv_txt_fn)(void *arg, const char *name, char *out,
    size_t outlen, size_t *n);

/* One signature's verdict.  Strings are NUL terminated, "" when the tag
 * is absent or the field too malformed to tell; longer values are cut. */
struct dkimv_sig {
    int result;                  /* enum dkimv_result */
    char d[DNSNAME_MAX + 1];     /* d=, lower case */
    char s[DKIMV_SELECTOR_MAX + 1];
    char a[32];
    char i[DKIMV_AUID_MAX + 1];  /* i=, or "" when absent (then "@d") */
    char b[DKIMV_HEADER_B_LEN + 1]; /* the first bytes of b= (RFC 6008) */
    char why[DKIMV_WHY_MAX];     /* for the log: what decided */
    int body_length_used;        /* l= was present */
    uint64_t body_length;        /* l=, when used */
    uint64_t body_unsigned;      /* canonical body bytes after l= */
    int64_t timestamp;           /* t=, or -1 */
    int64_t expires;             /* x=, or -1 */
    unsigned key_bits;           /* the key's size, when fetched (256 for
                                  * Ed25519) */
    int testing;                 /* the key record has t=y */
};

/**
 * dkimv_verify - check each DKIM-Signature field of msg (len bytes,
 * canonical) with the keys txt finds (arg passed along), at time now
 * (seconds since the epoch, for x=), into res: at most max results and
 * DKIMV_SIGS_MAX.  Returns how many were filled: 0 when the message has
 * no DKIM-Signature field.  Never reads past len; allocates at most
 * about DKIM_HEADER_MAX + DKIMV_FIELD_MAX + 100 KB at a time (a field
 * canonicalized, the signature's own field, the field index and the
 * parsers' buffers).
 */
size_t dkimv_verify(const char *msg, size_t len, dkimv_txt_fn txt, void *arg,
    int64_t now, struct dkimv_sig *res, size_t max);

/** dkimv_name - "pass", "fail", ... "none" (RFC 8601's dkim results). */
const char *dkimv_name(int result);

#endif
