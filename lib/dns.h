/* dns.h - a small stub resolver: what remote-send, smtpd and the admin
 * command ask the DNS.
 *
 * (Interface fixed first; lib/dns.c implements it.)
 *
 * One recursive resolver is asked, over UDP, then TCP when the answer is
 * truncated: $FACTEUR_RESOLVER ("IP", "IP:PORT", "[IPv6]:PORT"), else the
 * configuration's file "resolver" (same syntax), else the first
 * nameserver of /etc/resolv.conf, else 127.0.0.1.  Queries carry EDNS0
 * (a 1232-byte UDP size) with the DO bit, so a validating resolver sets
 * AD on answers it validated; AD is reported, never checked here (only a
 * trusted local resolver's AD means anything: DANE relies on that).
 * Each query is retried (DNS_TRIES times, DNS_TIMEOUT_MS each) and the
 * answer must match the query (id, name, type, class, from the server's
 * address and port).  CNAME chains are followed within the answer, at
 * most DNS_CNAME_MAX links.
 *
 * Results keep temporary and permanent failures apart:
 *   DNS_OK        records found
 *   DNS_NODATA    the name exists, no record of that type
 *   DNS_NXDOMAIN  the name does not exist
 *   DNS_TEMP      timeout, SERVFAIL, REFUSED, truncated over TCP too,
 *                 a malformed or mismatched answer: try again later
 *                 (n is 0 and name "" then; ad and rcode are the
 *                 server's when it answered, for the log)
 * Limits: DNS_ANSWERS_MAX records a query, DNS_MSG_MAX bytes an answer.
 * An answer beyond them (more records, a TXT record longer than
 * DNS_TXT_MAX) is DNS_TEMP too; TLSA data longer than DNS_TLSA_DATA_MAX
 * is reported with len 0, a record that exists but is unusable here
 * (RFC 7672 2.2).  MX records whose exchange is not a host name are
 * skipped; when that leaves none, DNS_TEMP.
 *
 * Names asked are host names (dnsname.h) whose labels may also start
 * with an underscore (RFC 8552: _25._tcp.mx.example, _dmarc.example);
 * another name gives DNS_TEMP with errno EINVAL, a caller's bug.  Names
 * handed back are lower case without the final dot, and follow the same
 * grammar (an answer naming anything else is malformed).  A DNS_T_CNAME
 * query follows the chain too: n is the number of links, name its end.
 *
 * struct dns_answer is large (~270 KB with its TXT strings): make it
 * static or allocate it, not on a small stack.  dns_query reads
 * FACTEUR_DNS_TIMEOUT_MS (1..60000), when set, instead of DNS_TIMEOUT_MS:
 * for tests.  No global state.
 */
#ifndef MAIL_DNS_H
#define MAIL_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "limits.h"

#define DNS_TRIES 3
#define DNS_TIMEOUT_MS 3000
#define DNS_CNAME_MAX 8
#define DNS_ANSWERS_MAX 64
#define DNS_MSG_MAX 65535
#define DNS_TXT_MAX 4096      /* one TXT record, its strings joined */
#define DNS_TLSA_DATA_MAX 64  /* SHA-512; full certificates (matching
                               * type 0) are not supported */

enum dns_status { DNS_OK, DNS_NODATA, DNS_NXDOMAIN, DNS_TEMP };

enum dns_type {
    DNS_T_A = 1,
    DNS_T_CNAME = 5,
    DNS_T_MX = 15,
    DNS_T_TXT = 16,
    DNS_T_AAAA = 28,
    DNS_T_TLSA = 52
};

struct dns_mx {
    unsigned pref;
    char host[DNSNAME_MAX + 1]; /* lower case, no final dot; "" for "." */
};

struct dns_tlsa {
    unsigned char usage, selector, mtype;
    size_t len;
    unsigned char data[DNS_TLSA_DATA_MAX];
};

/* The parsed answer of one query (also what the fuzz target checks). */
struct dns_answer {
    int ad;          /* the AD bit of the answer */
    int rcode;
    size_t n;        /* records of the asked type, after CNAMEs */
    char name[DNSNAME_MAX + 1]; /* the final owner name (after CNAMEs) */
    union {
        struct dns_mx mx[DNS_ANSWERS_MAX];
        unsigned char a[DNS_ANSWERS_MAX][16]; /* 4 or 16 bytes */
        struct dns_tlsa tlsa[DNS_ANSWERS_MAX];
    } u;
    char txt[DNS_ANSWERS_MAX][DNS_TXT_MAX + 1]; /* only for TXT */
    size_t txtlen[DNS_ANSWERS_MAX];
};

struct dns {
    struct sockaddr_storage server;
    socklen_t serverlen;
};

/**
 * dns_init - choose the resolver (see above).  0, or -1 with errno
 * (EINVAL: FACTEUR_RESOLVER or the resolver file is malformed).
 */
int dns_init(struct dns *d);

/**
 * dns_query - ask name (a host name, dnsname.h) for type, fill ans.
 * Returns a dns_status.  For DNS_T_MX the records are sorted by
 * preference (stable); a null MX (RFC 7505: one record "0 .") gives one
 * record with host "".
 */
int dns_query(struct dns *d, const char *name, enum dns_type type,
    struct dns_answer *ans);

/**
 * dns_parse - parse a response msg (len bytes) to the query (id, name,
 * type) into ans.  Returns a dns_status: DNS_TEMP for anything malformed
 * or not matching.  Pure: the fuzz target's entry point.
 */
int dns_parse(const unsigned char *msg, size_t len, uint16_t id,
    const char *name, enum dns_type type, struct dns_answer *ans);

/**
 * dns_build - the query message for name and type with id into out (cap
 * bytes).  Returns its length, or -1 (EINVAL bad name, E2BIG).
 */
long dns_build(unsigned char *out, size_t cap, uint16_t id, const char *name,
    enum dns_type type);

#endif
