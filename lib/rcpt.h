/* rcpt.h - what a local address is: the one resolution of recipients.
 *
 * smtpd decides at RCPT time with the same code local-deliver uses to
 * deliver, so what smtpd accepts is exactly what local-deliver can
 * deliver (no backscatter) and what it refuses could never be delivered.
 * Tables in $FACTEUR_CONF (cmd/facteur/table.h): domains.cdb,
 * mailboxes.cdb (address -> Maildir override or ""; no password hashes,
 * so unprivileged programs may read it) and aliases.cdb.
 *
 * For an address in a local domain, in order:
 *   1. a mailbox: the address as given;
 *   2. a mailbox with a tag: local+tag@domain -> local@domain;
 *   3. an alias: the address as given, then without +tag;
 *   4. the domain's catch-all alias @domain;
 *   5. postmaster@ and abuse@ (RFC 5321 4.5.1, RFC 2142): always exist.
 * Each step tries the local part as given, then lower-cased (RFC 5321
 * makes local parts case-sensitive, but every admin expects
 * Alice@example.org to reach alice@example.org).
 * A missing or unreadable table is an error (-1): callers fail
 * temporarily, never accept or bounce on a guess.
 */
#ifndef MAIL_RCPT_H
#define MAIL_RCPT_H

#include "addr.h"
#include "cdbq.h"
#include "sa.h"

#define RCPT_VALUE_MAX 8192

enum rcpt_kind {
    RCPT_NONE,       /* no such recipient (or not a local domain) */
    RCPT_MAILBOX,    /* key names a mailbox; tag set when +tag was used */
    RCPT_ALIAS,      /* key names an alias or a catch-all @domain */
    RCPT_POSTMASTER  /* postmaster@ or abuse@ without an entry */
};

struct rcpt_tables {
    struct cdbq domains, mailboxes, aliases;
};

struct rcpt_res {
    enum rcpt_kind kind;
    char key[ADDR_MAX + 2];         /* the table key that matched */
    char tag[ADDR_LOCAL_MAX + 1];   /* the +tag of a mailbox, or "" */
};

/**
 * rcpt_lookup - look local@domain (llen bytes of local) up in q, as given
 * then with the local part lower-cased; the key that matched goes to key.
 * 1 found (value in val), 0 not, -1 with errno.  checkpassword uses it on
 * users.cdb so logins match the way recipients do.
 */
int rcpt_lookup(struct cdbq *q, const char *local, size_t llen,
    const char *domain, char *key, size_t keylen, struct sa *val);

/** rcpt_open - open the three tables of conf.  0, or -1 with errno. */
int rcpt_open(struct rcpt_tables *t, const char *conf);

/** rcpt_close - release them. */
void rcpt_close(struct rcpt_tables *t);

/** rcpt_local_domain - 1 if domain (canonical) is local, 0 if not, -1
 * with errno. */
int rcpt_local_domain(struct rcpt_tables *t, const char *domain);

/**
 * rcpt_resolve - resolve a (in a local domain or not) into r, with the
 * matching table value in val (mailbox: its Maildir override or "";
 * alias: its targets as text0).  Returns r->kind, or -1 with errno when a
 * table cannot be read.
 */
int rcpt_resolve(struct rcpt_tables *t, const struct addr *a,
    struct rcpt_res *r, struct sa *val);

#endif
