/* mail-auth.c - a qmail-queue filter that checks where inbound mail comes
 * from (SPF, RFC 7208; DKIM, RFC 6376) and says so in one
 * Authentication-Results: field (RFC 8601).
 *
 * Usage: mail-auth   (no argument; FACTEUR_QUEUE=/path/to/mail-auth in
 *                     front of smtpd's queue)
 *
 * Reads the message on fd 0 to its end, then the envelope on fd 1 (text0,
 * lib/envelope.h), as qmail-queue does (lib/qfilter.h).  Then:
 *   - SPF: the client's address (FACTEUR_CLIENT_IP, from smtpd) against
 *     the envelope sender's domain, or the HELO name (FACTEUR_HELO, from
 *     smtpd) for the null sender (lib/spf.h);
 *   - DKIM: every DKIM-Signature of the message (lib/dkimverify.h);
 *   - DMARC (RFC 7489): the record of the From: domain, else of its
 *     organizational domain (lib/psl.h: the Public Suffix List); it
 *     passes when SPF or a DKIM signature passes for a domain aligned
 *     with From: (relaxed: the same organizational domain; strict: the
 *     same name, adkim=s / aspf=s);
 *   - every Authentication-Results: field already in the header that
 *     claims this host's name (its authserv-id) is removed: only facteur
 *     speaks for facteur (RFC 8601 5);
 *   - one field is put in front:
 *       Authentication-Results: <hostname>;
 *         spf=<result> smtp.mailfrom=<domain>;
 *         dkim=<result> header.d=<domain> header.s=<selector>;
 *         dmarc=<result> (p=<policy>) header.from=<domain>
 * and queue-inject, from this program's directory, gets the message and
 * the envelope, unchanged; its exit code is ours.
 * Policy: an SPF "fail" (the domain's "-all") is refused (exit 33,
 * "550 5.7.23") unless a DKIM signature passes; an SPF temperror with no
 * DKIM pass is "try later" (exit 56, "451 4.4.3").  A DMARC failure
 * under p=reject (sp= for a subdomain, pct= of the time) is refused (exit
 * 32, "550 5.7.1"); under p=quarantine it gets an X-Facteur-Quarantine
 * field, and local-deliver files it in the Junk folder; a DMARC lookup
 * that failed for now is "try later" (exit 57, "451 4.7.5").  Such a
 * field from outside is removed.
 * Mail from a trusted client (RELAYCLIENT set by its tcprules) or from no
 * network client (no FACTEUR_CLIENT_IP) is not checked: only the forged
 * fields are removed.
 *
 * Environment: FACTEUR_CONF, FACTEUR_CLIENT_IP, FACTEUR_HELO, RELAYCLIENT,
 * FACTEUR_RESOLVER (lib/dns.h), FACTEUR_PSL (lib/psl.h), FACTEUR_SID
 * (log).  Files: hostname, sizelimit, resolver; Debian's Public Suffix
 * List.
 * Exit codes: queue-inject's own, else lib/qfilter.h's (31 larger than
 * sizelimit, 51, 54, 55, 71, 91), 33 SPF fail, 56 SPF temperror, 100
 * usage, 32 DMARC reject, 57 DMARC temperror.  lib/qspawn.c turns them
 * into smtpd's replies.
 * Limits: the message size limit (held in memory), lib/spf.h's and
 * lib/dkimverify.h's, AR_MAX bytes of the field made.
 * Privileges: none; it runs as smtpd's session user.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "dkim.h"
#include "dkimverify.h"
#include "dmarc.h"
#include "dns.h"
#include "envelope.h"
#include "exitcode.h"
#include "log.h"
#include "psl.h"
#include "qfilter.h"
#include "sa.h"
#include "spf.h"

#define Q_DMARC_REJECT 32
#define Q_SPF_FAIL 33
#define Q_SPF_TEMP 56
#define Q_DMARC_TEMP 57
/* mail-auth's mark for local-deliver: a DMARC p=quarantine failure */
#define QUARANTINE "X-Facteur-Quarantine"
#define AR_MAX 8192
#define SIGS_MAX 8

static struct dns dns;
static int have_dns;

static int
spf_query(void *ctx, const char *name, enum dns_type type,
    struct dns_answer *ans)
{
    (void)ctx;
    if (!have_dns)
        return DNS_TEMP;
    return dns_query(&dns, name, type, ans);
}

/* A DKIM key record: the strings of the first TXT record, joined. */
static int
dkim_txt(void *arg, const char *name, char *out, size_t outlen, size_t *n)
{
    static struct dns_answer ans;
    int r;

    (void)arg;
    if (!have_dns)
        return -1;
    r = dns_query(&dns, name, DNS_T_TXT, &ans);
    if (r == DNS_TEMP)
        return -1;
    if (r != DNS_OK || ans.n == 0)
        return 0;
    if (ans.txtlen[0] + 1 > outlen)
        return 0; /* larger than any key record: not one */
    memcpy(out, ans.txt[0], ans.txtlen[0]);
    out[ans.txtlen[0]] = 0;
    *n = ans.txtlen[0];
    return 1;
}

/* Does the Authentication-Results field f (n bytes, name included) claim
 * host as its authserv-id (the first token of its value)? */
static int
claims(const char *f, size_t n, const char *host)
{
    size_t i = 22, hl = strlen(host); /* "Authentication-Results" */

    while (i < n && (f[i] == ' ' || f[i] == '\t'))
        i++;
    if (i >= n || f[i] != ':')
        return 0;
    i++;
    while (i < n && (f[i] == ' ' || f[i] == '\t' || f[i] == '\r'
                        || f[i] == '\n'))
        i++;
    return n - i >= hl && strncasecmp(f + i, host, hl) == 0
        && (n - i == hl || strchr(" \t\r\n;", f[i + hl]) != NULL);
}

/* msg without the Authentication-Results fields that claim host. */
static void
strip_forged(struct sa *msg, const char *host)
{
    size_t body, hlen = dkim_header_len(msg->s ? msg->s : "", msg->len, &body);
    size_t pos = 0, i, n, e, o = 0, dropped = 0;
    char *p = msg->s;

    /* the fields are moved down over the dropped ones as they are read
     * (what is written is never ahead of what is read) */
    while (dkim_next_field(p, hlen, &pos, &i, &n)) {
        e = i + n;
        if ((e - i > 22 && strncasecmp(p + i, "Authentication-Results", 22) == 0
                && claims(p + i, e - i, host))
            || (e - i > sizeof QUARANTINE
                && strncasecmp(p + i, QUARANTINE ":", sizeof QUARANTINE) == 0)) {
            dropped++;
        } else {
            memmove(p + o, p + i, e - i);
            o += e - i;
        }
    }
    if (dropped > 0) {
        memmove(p + o, p + hlen, msg->len - hlen);
        msg->len -= hlen - o;
        log_info("removed %zu forged field%s (Authentication-Results for "
                 "%s, %s)", dropped, dropped == 1 ? "" : "s", host,
            QUARANTINE);
    }
}

/* The DMARC record of dom: 1 (into r), 0 none (or not exactly one
 * usable record), -1 the DNS failed for now. */
static int
dmarc_lookup(const char *dom, struct dmarc_record *r)
{
    static struct dns_answer ans;
    char name[DNSNAME_MAX + 8];
    size_t i, found = 0;
    int q;

    if ((size_t)snprintf(name, sizeof name, "_dmarc.%s", dom) >= sizeof name)
        return 0;
    if (!have_dns)
        return -1;
    q = dns_query(&dns, name, DNS_T_TXT, &ans);
    if (q == DNS_TEMP)
        return -1;
    if (q != DNS_OK)
        return 0;
    for (i = 0; i < ans.n; i++)
        if (ans.txtlen[i] >= 8 && strncmp(ans.txt[i], "v=DMARC1", 8) == 0
            && found++ == 0 && dmarc_parse(r, ans.txt[i], ans.txtlen[i]) == -1)
            return 0;
    return found == 1;
}

/* The organizational domain of d (RFC 7489 3.2) into out: from the
 * Public Suffix List, else (no list) the last two labels. */
static void
org_domain(const char *d, char *out, size_t outlen)
{
    const char *p;

    if (psl_org_domain(d, out, outlen) == 0)
        return;
    p = strrchr(d, '.');
    while (p != NULL && p > d && p[-1] != '.')
        p--;
    snprintf(out, outlen, "%s", p != NULL && p > d ? p : d);
}

/* Are a and b aligned (RFC 7489 3.1): the same name (strict), or the
 * same organizational domain (relaxed)? */
static int
aligned(const char *a, const char *b, int strict)
{
    char oa[DNSNAME_MAX + 1], ob[DNSNAME_MAX + 1];

    if (strcasecmp(a, b) == 0)
        return 1;
    if (strict)
        return 0;
    org_domain(a, oa, sizeof oa);
    org_domain(b, ob, sizeof ob);
    return strcasecmp(oa, ob) == 0;
}

/* Printable ASCII of s for a header value, without ';' and '"'. */
static void
ar_token(struct sa *ar, const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f && *s != ';'
            && *s != '"' && *s != '(' && *s != ')')
            (void)sa_appendc(ar, *s);
}

/* A comment's text (RFC 5322 ctext and spaces): nothing that could end
 * it early or start a nested one, nothing outside printable ASCII. */
static void
ar_comment(struct sa *ar, const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f && *s != '('
            && *s != ')' && *s != '\\')
            (void)sa_appendc(ar, *s);
}

int
main(int argc, char **argv)
{
    struct sa msg = SA_INIT(0), env = SA_INIT(ENVELOPE_MAX);
    struct sa ar = SA_INIT(AR_MAX);
    struct envelope e;
    static struct dkimv_sig sigs[SIGS_MAX];
    char host[256], why[256], spfdom[DNSNAME_MAX + 1];
    const char *ip = getenv("FACTEUR_CLIENT_IP"), *helo = getenv("FACTEUR_HELO");
    uint64_t limit;
    size_t nsig = 0, i;
    int spf = SPF_NONE, dkim_pass = 0, check, quarantine = 0;

    log_init("mail-auth");
    signal(SIGPIPE, SIG_IGN);
    srandom((unsigned)time(NULL) ^ (unsigned)getpid()); /* DMARC pct= */
    if (argc != 1)
        log_die(EXIT_PERM, "usage: mail-auth < message 1< envelope (a "
                           "qmail-queue filter: no argument)");
    if (conf_sizelimit(&limit) == -1)
        log_die(Q_CONF, "cannot read $FACTEUR_CONF/sizelimit");
    if (conf_hostname(host, sizeof host) == -1)
        log_die(Q_CONF, "cannot read $FACTEUR_CONF/hostname");
    msg.max = limit > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)limit + 2;
    qfilter_read(&msg, limit, &env);
    memset(&e, 0, sizeof e);
    if (envelope_parse(env.s ? env.s : "", env.len, &e, NULL) <= 0)
        log_die(Q_ENVFMT, "malformed envelope");

    strip_forged(&msg, host);
    check = getenv("RELAYCLIENT") == NULL && ip != NULL && ip[0] != 0;
    if (!check) {
        envelope_free(&e);
        return qfilter_pass(argv[0], &ar, &msg, &env);
    }
    have_dns = dns_init(&dns) == 0;

    /* SPF: the sender's domain, or the HELO name for <> */
    {
        struct spf_dns d = { spf_query, NULL };
        struct spf_req r;
        char sender[ADDR_MAX + DNSNAME_MAX + 16];
        const char *at = strrchr(e.sender.full, '@');
        if (e.sender.full[0] && at != NULL)
            snprintf(spfdom, sizeof spfdom, "%s", at + 1);
        else
            snprintf(spfdom, sizeof spfdom, "%s", helo ? helo : "");
        snprintf(sender, sizeof sender, "%s", e.sender.full[0]
                ? e.sender.full : "");
        if (!e.sender.full[0])
            snprintf(sender, sizeof sender, "postmaster@%s", spfdom);
        r.ip = ip;
        r.sender = sender;
        r.helo = helo ? helo : "";
        why[0] = 0;
        spf = spfdom[0] ? spf_check(&d, &r, spfdom, why, sizeof why)
                        : SPF_NONE;
    }
    /* DKIM: every signature */
    nsig = dkimv_verify(msg.s ? msg.s : "", msg.len, dkim_txt, NULL,
        (int64_t)time(NULL), sigs, SIGS_MAX);
    for (i = 0; i < nsig; i++) {
        dkim_pass |= sigs[i].result == DKIMV_PASS;
        log_info("dkim=%s d=%s s=%s%s%s", dkimv_name(sigs[i].result),
            sigs[i].d, sigs[i].s, sigs[i].why[0] ? " why=" : "", sigs[i].why);
    }

    sa_appends(&ar, "Authentication-Results: ");
    ar_token(&ar, host);
    sa_appends(&ar, ";\r\n\tspf=");
    sa_appends(&ar, spf_name(spf));
    sa_appends(&ar, e.sender.full[0] ? " smtp.mailfrom=" : " smtp.helo=");
    ar_token(&ar, spfdom[0] ? spfdom : "unknown");
    if (nsig == 0)
        sa_appends(&ar, ";\r\n\tdkim=none");
    for (i = 0; i < nsig; i++) {
        sa_appends(&ar, ";\r\n\tdkim=");
        sa_appends(&ar, dkimv_name(sigs[i].result));
        if (sigs[i].why[0] && sigs[i].result != DKIMV_PASS) {
            sa_appends(&ar, " (");
            ar_comment(&ar, sigs[i].why);
            sa_appends(&ar, ")");
        }
        if (sigs[i].d[0]) {
            sa_appends(&ar, " header.d=");
            ar_token(&ar, sigs[i].d);
        }
        if (sigs[i].s[0]) {
            sa_appends(&ar, " header.s=");
            ar_token(&ar, sigs[i].s);
        }
    }
    log_info("checked ip=%s spf=%s domain=%s%s%s dkim=%zu pass=%d", ip,
        spf_name(spf), spfdom, why[0] ? " why=" : "", why, nsig, dkim_pass);
    if (spf == SPF_FAIL && !dkim_pass) {
        log_info("refused spf=fail domain=%s", spfdom);
        return Q_SPF_FAIL;
    }
    if (spf == SPF_TEMPERROR && !dkim_pass) {
        log_info("deferred spf=temperror domain=%s", spfdom);
        return Q_SPF_TEMP;
    }

    /* DMARC (RFC 7489): the From: domain's policy, found at it or at its
     * organizational domain; SPF or DKIM passing for an aligned domain
     * passes. */
    {
        struct dmarc_record r;
        char from[DNSNAME_MAX + 1], org[DNSNAME_MAX + 1];
        const char *policy = "none", *res;
        size_t body, hlen = dkim_header_len(msg.s ? msg.s : "", msg.len,
            &body);
        int f = dkim_from_domain(msg.s ? msg.s : "", hlen, from, sizeof from);
        int rec = 0, at_org = 0, pass = 0;
        if (f == 1) {
            rec = dmarc_lookup(from, &r);
            org_domain(from, org, sizeof org);
            if (rec == 0 && strcasecmp(org, from) != 0) {
                rec = dmarc_lookup(org, &r);
                at_org = 1;
            }
        }
        if (rec == 1) {
            pass = spf == SPF_PASS && aligned(spfdom, from, r.aspf_strict);
            for (i = 0; i < nsig && !pass; i++)
                pass = sigs[i].result == DKIMV_PASS
                    && aligned(sigs[i].d, from, r.adkim_strict);
            policy = at_org && r.sp[0] ? r.sp : r.p;
        }
        res = f != 1 ? "none" : rec == -1 ? "temperror" : rec == 0 ? "none"
            : pass ? "pass" : "fail";
        sa_appends(&ar, ";\r\n\tdmarc=");
        sa_appends(&ar, res);
        if (rec == 1) {
            sa_appends(&ar, " (p=");
            sa_appends(&ar, policy);
            sa_appends(&ar, ")");
        }
        if (f == 1) {
            sa_appends(&ar, " header.from=");
            ar_token(&ar, from);
        }
        log_info("dmarc=%s from=%s%s%s", res, f == 1 ? from : "-",
            rec == 1 ? " p=" : "", rec == 1 ? policy : "");
        if (rec == -1) {
            log_info("deferred dmarc=temperror from=%s", from);
            return Q_DMARC_TEMP;
        }
        /* pct: the policy applies to that share of failing mail */
        if (rec == 1 && !pass
            && (r.pct >= 100 || (unsigned)(random() % 100) < r.pct)) {
            if (strcmp(policy, "reject") == 0) {
                log_info("refused dmarc=fail from=%s p=reject", from);
                return Q_DMARC_REJECT;
            }
            if (strcmp(policy, "quarantine") == 0)
                quarantine = 1;
        }
    }
    if (sa_appends(&ar, "\r\n") == -1
        || (quarantine && sa_appends(&ar, QUARANTINE ": dmarc\r\n") == -1))
        log_die(Q_NOMEM, "out of memory");
    envelope_free(&e);
    return qfilter_pass(argv[0], &ar, &msg, &env);
}
