/* smtpd.c - the inbound MX: SMTP on port 25, mail for the local domains.
 *
 * Usage: smtpd [-u user]
 *   Run by tcpserver (or systemd Accept=yes), usually behind
 *   `tlswrap -s` for STARTTLS:  tcpserver -DRHl0 0 25 tlswrap -s smtpd
 *
 * The protocol is lib/smtpsrv.h's (shared with submissiond); this file is
 * the MX's policy:
 *   - AUTH is never offered and never accepted, before or after STARTTLS:
 *     port 25 is for other servers;
 *   - a recipient is taken when it resolves to a mailbox, alias,
 *     catch-all or postmaster/abuse of a local domain (lib/rcpt.h, the
 *     same resolution local-deliver uses): "550 5.1.1" otherwise, so
 *     nothing is accepted that would bounce later (no backscatter);
 *   - mail for any other domain (and for address literals) is refused
 *     with "554 5.7.1 relaying denied" unless RELAYCLIENT is set (by the
 *     connection's tcprules: trusted hosts) or the domain is in the file
 *     backupmx (this host is a backup MX for it, conf_list: every
 *     recipient of it is taken, to be relayed to its better MX hosts by
 *     remote-send; a damaged file gives 451);
 *   - <postmaster> without a domain is postmaster at the host name, or
 *     at the first of its parent domains that is local;
 *   - the sender blocklist blocksenders.cdb (optional; keys: an address,
 *     or a domain, which also covers its subdomains; value: the text of
 *     the refusal) refuses with "550 5.7.1"; the null sender <> is
 *     always accepted (bounces);
 *   - DNS blocklists (lib/dnsbl.h; $FACTEUR_CONF/dnsbl, none by
 *     default), asked once a session at the first recipient: a listed
 *     client gets "554 5.7.1 Service unavailable; client [IP] blocked
 *     using ZONE; <the list's TXT>" for every recipient but postmaster
 *     of a local domain; trusted clients (RELAYCLIENT) are not asked;
 *   - a table that cannot be read gives "451", never acceptance.
 *
 * Environment: FACTEUR_CONF (default /etc/facteur), RELAYCLIENT,
 * SMTPD_BUSY (set, e.g. by tcprules, when the server must not take mail
 * now: smtpd answers "421 4.3.2 <its value>" and ends), TCP* (else
 * getpeername), SSLCTLFD/SSLREADFD/SSLWRITEFD (from a UCSPI-TLS wrapper),
 * FACTEUR_QUEUE (the queue program, lib/qspawn.h), FACTEUR_SID,
 * SMTP_TIMEOUT, SMTP_DATA_TIMEOUT, SMTP_SESSION_TIMEOUT (lib/smtpsrv.h).
 * An example tcprules file for RELAYCLIENT and SMTPD_BUSY is in
 * service/tcprules/smtpd.rules.
 * Files in $FACTEUR_CONF: hostname, sizelimit, domains.cdb,
 * mailboxes.cdb, aliases.cdb, blocksenders.cdb, dnsbl, backupmx, resolver
 * (lib/dns.h; FACTEUR_RESOLVER overrides it).
 * Descriptors: the connection on 0/1 (clear; the TLS pipes after
 * STARTTLS), the log on 2.
 * Privileges: started as root, it becomes -u user (a name or uid:gid,
 * default facteur-smtpd) before it reads a byte from the network, and
 * refuses to run if it cannot; started as another user it stays so.  It
 * never holds a key or a password.
 * Exit codes: 0 the session ended normally, 1 the peer vanished or timed
 * out, 100 usage, 111 a system or configuration error.
 * Limits: those of lib/smtpsrv.h, lib/smtpcmd.h, lib/smtpdata.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cdbq.h"
#include "conf.h"
#include "dnsbl.h"
#include "dnsname.h"
#include "exitcode.h"
#include "log.h"
#include "priv.h"
#include "rcpt.h"
#include "smtpsrv.h"

#define USER_DEFAULT "facteur-smtpd"
#define BLOCK_TEXT_MAX 200

static const char *conf;

/*
 * The DNS blocklists' verdict on the client, asked once a session, at
 * the first recipient that is not postmaster: NULL not listed (or no
 * lists, or a trusted client), else the reply.
 */
static const char *
dnsbl(struct smtpsrv *s)
{
    static int asked;
    static const char *why;
    static char reply[DNSBL_TEXT_MAX + DNSNAME_MAX + INET6_ADDRSTRLEN + 80];
    static struct dnsbl_zone z[DNSBL_ZONES_MAX];
    char text[DNSBL_TEXT_MAX + 1];
    struct dns d;
    size_t n, hit;
    unsigned bad;

    if (asked)
        return why;
    if (s->ci.relayclient)
        return NULL; /* not cached: never asked for a trusted client */
    if (dnsbl_load(conf, z, DNSBL_ZONES_MAX, &n, &bad) == -1) {
        if (bad)
            log_warn("%s/dnsbl line %u: %s", conf, bad,
                errno == E2BIG ? "too long, or too many lists"
                               : "not a zone[=127.x.y.z]");
        else
            log_warn("cannot read %s/dnsbl: %s", conf, strerror(errno));
        return "451 4.3.0 blocklist configuration unusable, try again later";
    }
    asked = 1;
    if (n == 0)
        return NULL;
    if (dns_init(&d) == -1) {
        log_warn("dnsbl: no usable resolver: %s", strerror(errno));
        return NULL;
    }
    if (dnsbl_check(&d, s->ci.remoteip, z, n, &hit, text, sizeof text)
        == 1) {
        snprintf(reply, sizeof reply, "554 5.7.1 Service unavailable; "
            "client [%s] blocked using %s%s%s", s->ci.remoteip, z[hit].name,
            text[0] ? "; " : "", text);
        log_info("dnsbl listed ip=%s zone=%s", s->ci.remoteip, z[hit].name);
        why = reply;
    }
    return why;
}

/* The refusal text for a blocked sender (printable ASCII only). */
static const char *
block_reply(const struct sa *v)
{
    static char reply[BLOCK_TEXT_MAX + 40];
    size_t i, n = v->len < BLOCK_TEXT_MAX ? v->len : BLOCK_TEXT_MAX;

    if (n == 0)
        return "550 5.7.1 sender refused";
    memcpy(reply, "550 5.7.1 ", 10);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v->s[i];
        reply[10 + i] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    reply[10 + n] = 0;
    return reply;
}

static const char *
mail(struct smtpsrv *s, const struct smtp_path *p)
{
    char path[4096];
    struct sa v = SA_INIT(BLOCK_TEXT_MAX * 4);
    struct cdbq q;
    const char *d, *why = NULL;
    int r;

    (void)s;
    if (p->a.full[0] == 0)
        return NULL; /* bounces are always welcome */
    snprintf(path, sizeof path, "%s/blocksenders.cdb", conf);
    if (cdbq_open(&q, path) == -1) {
        if (errno == ENOENT)
            return NULL; /* no blocklist */
        log_warn("cannot open %s: %s", path, strerror(errno));
        return "451 4.3.0 sender table unavailable, try again later";
    }
    r = cdbq_find(&q, p->a.full, strlen(p->a.full), &v);
    /* The domain, then each parent: example.com also blocks a.example.com. */
    for (d = p->a.domain; r == 0 && d != NULL;) {
        r = cdbq_find(&q, d, strlen(d), &v);
        d = strchr(d, '.');
        if (d != NULL)
            d++;
    }
    if (r == -1) {
        log_warn("cannot read %s: %s", path, strerror(errno));
        why = "451 4.3.0 sender table unavailable, try again later";
    } else if (r == 1) {
        why = block_reply(&v);
        log_info("sender blocked from=<%s>", p->a.full);
    }
    cdbq_close(&q);
    sa_free(&v);
    return why;
}

/* conf_list: is item, as a host name in canonical form (lower case, no
 * final dot), the domain in arg (canonical)?  Malformed items match
 * nothing (facteur check reports them). */
static int
is_domain(const char *item, void *arg)
{
    char c[DNSNAME_MAX + 1];

    return dnsname_canon(c, sizeof c, item, strlen(item)) == 0
        && strcmp(c, arg) == 0;
}

static const char *
rcpt(struct smtpsrv *s, const struct smtp_path *p, struct addr *to)
{
    struct rcpt_tables t;
    struct rcpt_res res;
    struct sa v = SA_INIT(RCPT_VALUE_MAX);
    const char *why = NULL;
    int r;

    *to = p->a;
    if (rcpt_open(&t, conf) == -1) {
        log_warn("cannot open the recipient tables in %s: %s", conf,
            strerror(errno));
        return "451 4.3.0 recipient tables unavailable, try again later";
    }
    if (p->postmaster) {
        /* postmaster at the host name, or at the first of its parent
         * domains that is local (mx.example.org -> example.org). */
        const char *d = s->hostname;
        char pm[ADDR_MAX + DNSNAME_MAX];
        while (d != NULL && (r = rcpt_local_domain(&t, d)) == 0) {
            d = strchr(d, '.');
            d = d != NULL ? d + 1 : NULL;
        }
        snprintf(pm, sizeof pm, "postmaster@%s", d ? d : s->hostname);
        if (addr_parse(pm, strlen(pm), 0, to) == -1) {
            rcpt_close(&t);
            return "550 5.1.1 no postmaster here";
        }
    }
    r = addr_is_literal(to) ? 0 : rcpt_local_domain(&t, to->domain);
    /* Postmaster stays reachable from a listed client (RFC 5321 4.5.1):
     * how the sender learns why, and asks to be delisted. */
    if (!p->postmaster && (r != 1 || strcasecmp(to->local, "postmaster") != 0)
        && (why = dnsbl(s)) != NULL) {
        rcpt_close(&t);
        return why;
    }
    if (r == 1)
        r = rcpt_resolve(&t, to, &res, &v);
    else if (r == 0)
        r = -2; /* not local */
    if (r == -1) {
        log_warn("cannot read the recipient tables: %s", strerror(errno));
        why = "451 4.3.0 recipient tables unavailable, try again later";
    } else if (r == RCPT_NONE) {
        why = "550 5.1.1 no such user here";
    } else if (r == -2 && !s->ci.relayclient) {
        /* A domain this host is a backup MX for: relayed, as trusted
         * clients' mail is, to the better MX hosts. */
        char d[DNSNAME_MAX + 1];
        int b = addr_is_literal(to)
                || dnsname_canon(d, sizeof d, to->domain, strlen(to->domain))
                    == -1
            ? 0
            : conf_list("backupmx", is_domain, d);
        if (b == -1) {
            log_warn("cannot read %s/backupmx: %s", conf, strerror(errno));
            why = "451 4.3.0 configuration unavailable, try again later";
        } else if (b == 0) {
            why = "554 5.7.1 relaying denied";
        }
    }
    rcpt_close(&t);
    sa_wipe(&v);
    return why;
}

/* AUTH is refused here whatever the state: port 25 never takes
 * credentials (a client sending them is misconfigured). */
static int
command(struct smtpsrv *s, const struct smtp_cmd *c)
{
    if (c->verb != SMTP_AUTH)
        return 0;
    smtpsrv_reply(s, "503 5.5.1 AUTH is not available on this port (use "
                     "submission, port 465)");
    return 1;
}

static const struct smtpsrv_policy policy = {
    .ehlo = NULL,
    .command = command,
    .mail = mail,
    .rcpt = rcpt,
    .header = NULL,
};

int
main(int argc, char **argv)
{
    static struct smtpsrv s;
    const char *user = USER_DEFAULT, *busy;
    struct rlimit nocore = { 0, 0 };
    int opt;

    log_init("smtpd");
    while ((opt = getopt(argc, argv, "u:")) != -1) {
        if (opt == 'u')
            user = optarg;
        else
            log_die(EXIT_PERM, "usage: smtpd [-u user]");
    }
    if (optind != argc)
        log_die(EXIT_PERM, "usage: smtpd [-u user]");
    if (geteuid() == 0) {
        uid_t uid;
        gid_t gid;
        if (priv_parse(user, &uid, &gid) == -1)
            log_die(EXIT_TEMP, "cannot use user %s: %s", user,
                strerror(errno));
        if (priv_drop(uid, gid, NULL) == -1)
            log_die(EXIT_TEMP, "cannot become %s: %s", user, strerror(errno));
    }
    setrlimit(RLIMIT_CORE, &nocore);
    conf = conf_dir();

    memset(&s, 0, sizeof s);
    s.pol = &policy;
    s.argv0 = argv[0];
    s.service = "smtpd";
    conninfo_get(&s.ci, 0);
    if ((busy = getenv("SMTPD_BUSY")) != NULL)
        s.busy = busy[0] ? busy : "too busy, try again later";
    if (conf_hostname(s.hostname, sizeof s.hostname) == -1) {
        log_warn("no valid host name in %s/hostname", conf);
        snprintf(s.hostname, sizeof s.hostname, "localhost");
        s.busy = "configuration problem, try again later";
    }
    if (conf_sizelimit(&s.sizelimit) == -1) {
        log_warn("cannot read %s/sizelimit", conf);
        s.busy = "configuration problem, try again later";
    }
    return smtpsrv_run(&s);
}
