/* check.c - facteur check: what is wrong with this installation, and
 * what to do about each thing.
 *
 * Usage: facteur check [--no-dns]
 *
 * One line a finding, on standard output:
 *   ok: WHAT                      checked, nothing wrong
 *   problem: WHAT                 something that loses, refuses or
 *     fix: HOW                    exposes mail (counted: exit 1)
 *   note: WHAT                    worth knowing, perhaps meant (not
 *                                 counted)
 * then "N problems" (or "no problems").
 *
 * What it looks at:
 *   - hostname: a fully qualified name;
 *   - the tables: each loads (a malformed line is file:line), its cdb is
 *     not older than the text (a hand edit not compiled yet); users and
 *     routes (hashes, passwords) are not readable by others;
 *   - passwords: users whose hash lib/pwhash.h calls weak (imported
 *     {MD5} and the like);
 *   - TLS: every pair under tls/ loads and its key matches its
 *     certificate (lib/tlscert.h, as tlswrap loads them); a certificate
 *     that expired or expires within CERT_DAYS_MIN days;
 *   - DKIM: each local domain has an active key that loads;
 *   - directories: the queue, the mail root and the state directory
 *     (authfail/, mta-sts/) exist; the queue can be written by the
 *     services: a queue of facteur-queue's needs queue-inject setuid to
 *     it (a problem otherwise); a queue of the caller's own, or of
 *     another user (a setup without system users, as the demo's), is a
 *     note;
 *   - listeners: something listening on 143 or 110 (IMAP, POP3 without
 *     TLS: facteur offers neither) is a problem, on 587 a note;
 *   - the DNS of each local domain, unless --no-dns (through the
 *     resolver of lib/dns.h): the MX names this host; one SPF record;
 *     the active DKIM key is the one published; a usable DMARC record;
 *     TLSA records, where there are any, match this host's certificates
 *     (a mismatch makes DANE senders hold the mail); MTA-STS and TLS-RPT
 *     records, and the MTA-STS id against the policy facteur dns prints
 *     (notes).  A published SPF record other than facteur dns's is a
 *     note: it may list other senders on purpose;
 *   - backup MX (the file backupmx, smtpd(8)): each domain there has an
 *     MX record naming this host and a better one before it (else its
 *     mail never comes here, or waits here: "loops back to myself"); a
 *     local domain listed there is a note (local delivery wins).
 *
 * Reads only: takes no lock, changes nothing.  Run as root to see the
 * private keys (tlswrap's) and the users table.
 * Exit codes: 0 no problem, 1 problems reported, 100 usage, 111 the
 * configuration directory cannot be read.
 */
#include <bearssl.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pwd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "dane.h"
#include "dkim.h"
#include "dkimcmd.h"
#include "dmarc.h"
#include "dnsname.h"
#include "dns.h"
#include "exitcode.h"
#include "limits.h"
#include "pwhash.h"
#include "sibling.h"
#include "table.h"
#include "tlscert.h"

#define CERT_DAYS_MIN 14
#define QUEUE_OWNER "facteur-queue" /* facteur init's queue owner */
/* BearSSL counts days from January 1st, year 0 (proleptic Gregorian):
 * the epoch is day 719528. */
#define BR_EPOCH_DAYS 719528
#define PATH_LEN 4200

static unsigned problems;

static void
ok(const char *fmt, const char *a, const char *b)
{
    fputs("ok: ", stdout);
    printf(fmt, a, b);
    putchar('\n');
}

static void
note(const char *what)
{
    printf("note: %s\n", what);
}

static void
problem(const char *what, const char *fix)
{
    printf("problem: %s\n  fix: %s\n", what, fix);
    problems++;
}

static void
check_hostname(char *host, size_t len)
{
    char what[PATH_LEN];

    if (conf_hostname(host, len) == -1 || strchr(host, '.') == NULL
        || strcmp(host, "localhost") == 0) {
        snprintf(what, sizeof what, "%s/hostname: not a fully qualified "
            "host name", conf);
        problem(what, "facteur init --hostname mx.example.org (the name "
                      "of this host's MX and PTR records)");
        host[0] = 0;
        return;
    }
    ok("host name %s", host, NULL);
}

/* The tables load; the secret ones are not for everyone. */
static void
check_tables(struct table *users)
{
    static const char *const secret[] = { "users", "routes", "users.cdb",
        "routes.cdb" };
    char err[PATH_LEN], path[PATH_LEN], what[PATH_LEN + 100];
    struct table t;
    struct stat st;
    size_t i, w = 0;

    for (i = 0; i < TABLE_COUNT; i++) {
        t.name = table_names[i];
        if (table_load(&t, conf, err, sizeof err) == -1) {
            problem(err, "mend the line (or the file), then run facteur "
                         "init: it compiles the cdb");
            continue;
        }
        if (table_stale(conf, t.name)) {
            snprintf(what, sizeof what, "%s/%s was changed after its cdb "
                "was compiled: the services do not see the change yet",
                conf, t.name);
            problem(what, "facteur init compiles it (as does any facteur "
                "command that changes a table)");
            w++;
        }
        if (strcmp(t.name, "users") == 0)
            *users = t;
        else
            table_free(&t);
    }
    for (i = 0; i < sizeof secret / sizeof secret[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", conf, secret[i]);
        if (stat(path, &st) == -1 || (st.st_mode & 07) == 0)
            continue;
        snprintf(what, sizeof what, "%s is readable by every user (mode "
            "%03o): it holds password hashes or passwords", path,
            (unsigned)(st.st_mode & 0777));
        problem(what, strchr(secret[i], '.') ? "chmod 640 it"
                                             : "chmod 600 it");
        w++;
    }
    if (w == 0)
        ok("tables load; users and routes are not readable by others",
            NULL, NULL);
}

static void
check_passwords(const struct table *users)
{
    char hash[TABLE_LINE_MAX + 1], what[TABLE_LINE_MAX + 100];
    char fix[TABLE_LINE_MAX + 100];
    size_t i, weak = 0;

    for (i = 0; users != NULL && i < users->n; i++) {
        const struct row *r = &users->rows[i];
        snprintf(hash, sizeof hash, "%.*s", (int)strcspn(r->val, ":"),
            r->val);
        if (pwhash_weak(hash)) {
            snprintf(what, sizeof what, "%s has a weak password hash (an "
                "old scheme, imported)", r->key);
            snprintf(fix, sizeof fix, "facteur user passwd %s (yescrypt)",
                r->key);
            problem(what, fix);
            weak++;
        }
        explicit_bzero(hash, sizeof hash);
    }
    if (users != NULL && weak == 0)
        ok("no weak password hash", NULL, NULL);
}

static void
warn_pair(const char *msg)
{
    problem(msg, "mend or remove that directory under tls/ (tlswrap skips "
                 "it meanwhile)");
}

static void
check_tls(void)
{
    static struct tlsstore st;
    static br_x509_decoder_context xd;
    char dir[PATH_LEN], err[PATH_LEN], what[PATH_LEN + 200];
    long today = (long)(time(NULL) / 86400) + BR_EPOCH_DAYS, left;
    size_t i;

    snprintf(dir, sizeof dir, "%s/tls", conf);
    if (tlsstore_load(&st, dir, NULL, err, sizeof err, warn_pair) == -1) {
        problem(err, "put a certificate and its key in tls/default/ "
                     "(facteur init makes a self-signed one)");
        return;
    }
    for (i = 0; i < st.n; i++) {
        const struct tlspair *p = st.pair[i];
        /* The decoder's validity fields are not in BearSSL's API, but
         * they are what it checks dates with. */
        br_x509_decoder_init(&xd, NULL, NULL);
        br_x509_decoder_push(&xd, p->chain[0].data, p->chain[0].data_len);
        left = (long)xd.notafter_days - today;
        snprintf(what, sizeof what, "the certificate for %s (%s) %s %ld "
            "day%s", p->name, p->keytype == BR_KEYTYPE_RSA ? "RSA" : "EC",
            left < 0 ? "expired" : "expires in", left < 0 ? -left : left,
            (left == 1 || left == -1) ? left < 0 ? " ago" : ""
                                      : left < 0 ? "s ago" : "s");
        if (left < CERT_DAYS_MIN)
            problem(what, "renew it (certbot renew), then replace "
                          "fullchain.pem and privkey.pem: no restart");
        else
            ok("%s", what, NULL);
    }
    tlsstore_wipe_keys(&st);
    tlsstore_free(&st);
}

/* A domain's active DKIM keys: [0] RSA, [1] Ed25519 (optional); rec ""
 * when there is none or it does not load. */
struct dkimkeys {
    char sel[2][DKIM_SELECTOR_MAX + 2];
    char rec[2][DKIM_RECORD_MAX];
};

/* Each local domain's active DKIM keys load; their records into keys. */
static void
check_dkim(const struct table *domains, struct dkimkeys *keys)
{
    char err[PATH_LEN + 300], fix[600];
    size_t i;
    int r, ed;

    for (i = 0; i < domains->n; i++) {
        const char *d = domains->rows[i].key;
        for (ed = 0; ed < 2; ed++) {
            r = dkim_active_record(d, ed, keys[i].sel[ed],
                sizeof keys[i].sel[ed], keys[i].rec[ed], DKIM_RECORD_MAX,
                err, sizeof err);
            if (r == 1) {
                ok(ed ? "DKIM Ed25519 key of %s (selector %s)"
                      : "DKIM key of %s (selector %s)", d, keys[i].sel[ed]);
                continue;
            }
            keys[i].rec[ed][0] = 0;
            if (r == 0 && ed)
                continue; /* optional */
            if (r == 0)
                snprintf(err, sizeof err, "%s has no DKIM key: its mail "
                    "goes out unsigned, and DMARC fails at the big "
                    "providers", d);
            snprintf(fix, sizeof fix, "facteur dkim keygen %s%s, then "
                "publish the record it prints", d, ed ? " --ed25519" : "");
            problem(err, fix);
        }
    }
}

/* Listening TCP ports from /proc/net/tcp{,6}: 1 when port listens. */
static int
listening(unsigned port)
{
    static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
    char line[512];
    size_t i;
    int found = 0;

    for (i = 0; i < 2 && !found; i++) {
        FILE *f = fopen(files[i], "r");
        if (f == NULL)
            continue;
        while (!found && fgets(line, sizeof line, f) != NULL) {
            char *colon, *sp;
            unsigned p, state;
            /* "  0: 0100007F:0019 00000000:0000 0A ..." */
            colon = strchr(line, ':');
            if (colon == NULL || (colon = strchr(colon + 1, ':')) == NULL)
                continue;
            sp = strchr(colon, ' ');
            if (sp == NULL || sscanf(colon + 1, "%x", &p) != 1
                || sscanf(sp, " %*s %x", &state) != 1)
                continue;
            found = p == port && state == 0x0A; /* TCP_LISTEN */
        }
        fclose(f);
    }
    return found;
}

/* A directory of the configuration: recorded (file name, else def) and
 * there.  Its path in out, or a problem and -1. */
static int
recorded_dir(const char *name, const char *def, char *out, size_t len,
    struct stat *st)
{
    char what[PATH_LEN + 100];

    if (conf_line(name, out, len) != 1) {
        if (def == NULL) {
            snprintf(what, sizeof what, "%s/%s is missing or unreadable",
                conf, name);
            problem(what, "facteur init records it");
            return -1;
        }
        snprintf(out, len, "%s", def);
    }
    if (stat(out, st) == -1 || !S_ISDIR(st->st_mode)) {
        snprintf(what, sizeof what, "%s (%s) is missing or not a directory",
            out, name);
        problem(what, "facteur init makes what is missing");
        return -1;
    }
    return 0;
}

static void
check_dirs(void)
{
    char q[PATH_LEN], m[PATH_LEN], sd[PATH_LEN], p[PATH_LEN + 16];
    char qi[PATH_LEN], what[3 * PATH_LEN], owner[64];
    const char *const sub[] = { "authfail", "mta-sts" };
    const char *const without[] = { "submission and IMAP logins are "
        "refused (try later)", "MTA-STS policies are not cached" };
    const struct passwd *pw;
    struct stat qs, st;
    size_t i;
    int bad = 0;

    if (recorded_dir("queuedir", NULL, q, sizeof q, &qs) == 0) {
        pw = getpwuid(qs.st_uid);
        snprintf(owner, sizeof owner, "%s", pw != NULL ? pw->pw_name : "");
        if (owner[0] == 0)
            snprintf(owner, sizeof owner, "uid %lu",
                (unsigned long)qs.st_uid);
        if (sibling_path(NULL, "queue-inject", qi, sizeof qi) == -1
            || stat(qi, &st) == -1) {
            snprintf(what, sizeof what, "no queue-inject beside facteur (%s)",
                strerror(errno));
            problem(what, "make install");
        } else if ((st.st_mode & S_ISUID) && st.st_uid == qs.st_uid) {
            ok("queue-inject is setuid to the queue's owner (%s)", owner,
                NULL);
        } else if (qs.st_uid == geteuid()) {
            snprintf(what, sizeof what, "queue-inject is not setuid and the "
                "queue %s is yours (%s): only you and root can queue mail",
                q, owner);
            note(what);
        } else if (strcmp(owner, QUEUE_OWNER) != 0) {
            /* Not the installed layout (the demo gives the queue to the
             * services' uid and group): who may write it is the
             * admin's arrangement. */
            snprintf(what, sizeof what, "queue-inject is not setuid and the "
                "queue %s belongs to %s: only that user (and its group, "
                "where the queue is group-writable) can queue mail", q,
                owner);
            note(what);
        } else {
            snprintf(what, sizeof what, "the queue %s belongs to %s but %s "
                "is not setuid to it: smtpd, submissiond, alias forwards "
                "and sendmail cannot queue mail", q, owner, qi);
            problem(what, "facteur init (as root) makes it setuid; make "
                "install keeps it so");
        }
    } else {
        bad = 1;
    }
    if (recorded_dir("mailroot", NULL, m, sizeof m, &st) == -1)
        bad = 1;
    if (recorded_dir("statedir", CONF_STATEDIR_DEFAULT, sd, sizeof sd, &st)
        == 0) {
        for (i = 0; i < sizeof sub / sizeof sub[0]; i++) {
            snprintf(p, sizeof p, "%s/%s", sd, sub[i]);
            if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode)) {
                snprintf(what, sizeof what, "%s is missing: %s", p,
                    without[i]);
                problem(what, "facteur init makes it");
                bad = 1;
            }
        }
    } else {
        bad = 1;
    }
    if (!bad)
        ok("the queue, the mail root and the state directory %s exist", sd,
            NULL);
}

static void
check_listeners(void)
{
    if (listening(143))
        problem("something listens on port 143 (IMAP without TLS): "
                "passwords could cross the network in clear",
            "stop it: facteur's imapd is on 993, implicit TLS (and close "
            "143 in the firewall, doc/nftables.conf)");
    if (listening(110))
        problem("something listens on port 110 (POP3 without TLS)",
            "stop it: facteur offers IMAP on 993 only");
    if (listening(587))
        note("something listens on port 587: make sure it is submissiond "
             "behind tlswrap -s (AUTH only after STARTTLS)");
    if (!listening(143) && !listening(110))
        ok("nothing listens on 143 or 110", NULL, NULL);
}

/* The TXT records at name starting with prefix (case-insensitive): how
 * many, the first into out.  -1 when the DNS did not answer. */
static int
txt_with(struct dns *dns, const char *name, const char *prefix, char *out,
    size_t outlen)
{
    static struct dns_answer a;
    size_t i, n = strlen(prefix);
    int r = dns_query(dns, name, DNS_T_TXT, &a), count = 0;

    out[0] = 0;
    if (r == DNS_TEMP)
        return -1;
    if (r != DNS_OK)
        return 0;
    for (i = 0; i < a.n; i++) {
        if (a.txtlen[i] < n || strncasecmp(a.txt[i], prefix, n) != 0)
            continue;
        if (count++ == 0)
            snprintf(out, outlen, "%.*s", (int)a.txtlen[i], a.txt[i]);
    }
    return count;
}

/* The value of tag (e.g. "p") in a tag-list, spaces removed. */
static void
tag_value(const char *list, const char *tag, char *out, size_t outlen)
{
    const char *s = list;
    size_t n = strlen(tag), o = 0;

    out[0] = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == ';')
            s++;
        if (strncmp(s, tag, n) == 0) {
            const char *v = s + n;
            while (*v == ' ' || *v == '\t')
                v++;
            if (*v == '=') {
                for (v++; *v && *v != ';' && o + 1 < outlen; v++)
                    if (!isspace((unsigned char)*v))
                        out[o++] = *v;
                out[o] = 0;
                return;
            }
        }
        s += strcspn(s, ";");
    }
}

static void
dns_unreachable(const char *what)
{
    char w[DNSNAME_MAX + 200];

    snprintf(w, sizeof w, "no answer from the DNS for %s", what);
    problem(w, "check the resolver (/etc/resolv.conf, or $FACTEUR_CONF/"
               "resolver), or run facteur check --no-dns");
}

static void
check_dns_domain(struct dns *dns, const char *d, const char *host,
    const struct dkimkeys *keys, const struct hostcerts *hc)
{
    static struct dns_answer a;
    static const char *const ports[] = { "25", "465", "993" };
    /* what and fix quote a TXT record or a key record, and names */
    static char what[DNS_TXT_MAX + 1024], fix[DNS_TXT_MAX + 1024];
    char name[DNSNAME_MAX + 1], got[DNS_TXT_MAX + 1];
    char want[DKIM_RECORD_MAX], policy[STS_POLICY_MAX], id[STS_ID_LEN + 1];
    char dnsfix[DNSNAME_MAX + 64], pubid[64];
    struct dmarc_record dm;
    size_t i, k, p;
    int r, ed;

    snprintf(dnsfix, sizeof dnsfix, "publish what facteur dns %s prints",
        d);
    /* MX */
    r = dns_query(dns, d, DNS_T_MX, &a);
    if (r == DNS_TEMP) {
        dns_unreachable(d);
        return;
    }
    for (i = 0; r == DNS_OK && i < a.n; i++)
        if (strcmp(a.u.mx[i].host, host) == 0)
            break;
    if (r == DNS_OK && i < a.n) {
        ok("%s: MX %s", d, host);
    } else {
        snprintf(what, sizeof what, "%s: %s", d,
            r != DNS_OK          ? "no MX record: mail for it goes nowhere"
            : a.u.mx[0].host[0] ? "no MX record names this host"
                                 : "a null MX: it takes no mail");
        snprintf(fix, sizeof fix, "publish %s. IN MX 10 %s.", d, host);
        problem(what, fix);
    }
    /* SPF */
    r = txt_with(dns, d, "v=spf1", got, sizeof got);
    if (r == -1) {
        dns_unreachable(d);
    } else if (r == 0) {
        snprintf(what, sizeof what, "%s: no SPF record: receivers cannot "
            "tell its mail from forgeries", d);
        problem(what, dnsfix);
    } else if (r > 1) {
        snprintf(what, sizeof what, "%s: %d SPF records (RFC 7208 4.5: a "
            "permanent error for every receiver)", d, r);
        problem(what, "keep one");
    } else if (strcmp(got, "v=spf1 mx -all") != 0) {
        snprintf(what, sizeof what, "%s: SPF is \"%s\", not facteur dns's "
            "\"v=spf1 mx -all\" (fine if it lists this host's address on "
            "purpose)", d, got);
        note(what);
    } else {
        ok("%s: SPF %s", d, got);
    }
    /* DKIM: the active keys are the published ones. */
    for (ed = 0; ed < 2; ed++) {
        const char *sel = keys->sel[ed], *dkimrec = keys->rec[ed];
        if (dkimrec[0] == 0)
            continue;
        if ((size_t)snprintf(name, sizeof name, "%.*s._domainkey.%s",
                DKIM_SELECTOR_MAX, sel, d) >= sizeof name) {
            snprintf(what, sizeof what, "%s: selector %.*s: the record's name "
                "would be over %d bytes", d, DKIM_SELECTOR_MAX, sel,
                DNSNAME_MAX);
            problem(what, "facteur dkim keygen with a shorter --selector");
            continue;
        }
        r = txt_with(dns, name, "v=DKIM1", got, sizeof got);
        if (r == 0)
            r = txt_with(dns, name, "k=", got, sizeof got);
        if (r == 0)
            r = txt_with(dns, name, "p=", got, sizeof got);
        tag_value(got, "p", what, sizeof what);
        tag_value(dkimrec, "p", want, sizeof want);
        if (r == -1) {
            dns_unreachable(name);
        } else if (r == 0 || strcmp(what, want) != 0) {
            snprintf(what, sizeof what, "%s: %s: every message signed now "
                "fails DKIM", name, r == 0 ? "no record"
                                           : "the published key is another");
            snprintf(fix, sizeof fix, "publish %s. IN TXT \"%.*s\" (facteur "
                "dns %s splits it into strings)", name, (int)DKIM_RECORD_MAX,
                dkimrec, d);
            problem(what, fix);
        } else {
            ok(ed ? "%s: DKIM record matches the active Ed25519 key"
                  : "%s: DKIM record matches the active key", name, NULL);
        }
    }
    /* DMARC */
    snprintf(name, sizeof name, "_dmarc.%s", d);
    r = txt_with(dns, name, "v=DMARC1", got, sizeof got);
    if (r == -1) {
        dns_unreachable(name);
    } else if (r != 1 || dmarc_parse(&dm, got, strlen(got)) == -1) {
        snprintf(what, sizeof what, "%s: %s", name,
            r == 0 ? "no DMARC record: the big providers may refuse its mail"
            : r > 1 ? "several DMARC records (none counts)"
                    : "a DMARC record without a usable p=");
        problem(what, dnsfix);
    } else {
        ok("%s: DMARC p=%s", name, dm.p);
    }
    /* TLSA: optional (DNSSEC), but wrong is worse than none. */
    for (p = 0; p < sizeof ports / sizeof ports[0]; p++) {
        snprintf(name, sizeof name, "_%s._tcp.%s", ports[p], host);
        r = dns_query(dns, name, DNS_T_TLSA, &a);
        if (r == DNS_TEMP) {
            dns_unreachable(name);
            continue;
        }
        if (r != DNS_OK || a.n == 0) {
            snprintf(what, sizeof what, "%s: no TLSA record (DANE not in "
                "use; it needs a DNSSEC-signed zone)", name);
            note(what);
            continue;
        }
        for (k = 0; k < hc->n; k++) {
            for (i = 0; i < a.n; i++)
                if (a.u.tlsa[i].usage == 3
                    && dane_match(&a.u.tlsa[i], hc->c[k].der, hc->c[k].len))
                    break;
            if (i == a.n) {
                snprintf(what, sizeof what, "%s: no TLSA record matches %s: "
                    "DANE senders hold the mail for this host", name,
                    hc->c[k].path);
                snprintf(fix, sizeof fix, "publish %s. IN TLSA 3 1 1 %s",
                    name, hc->c[k].tlsa);
                problem(what, fix);
                break;
            }
        }
        if (k == hc->n)
            ok("%s: TLSA matches this host's key%s", name,
                hc->n > 1 ? "s" : "");
    }
    /* MTA-STS and TLS-RPT: notes. */
    snprintf(name, sizeof name, "_mta-sts.%s", d);
    r = txt_with(dns, name, "v=STSv1", got, sizeof got);
    if (sts_policy(host, policy, sizeof policy) == 0 && r >= 0) {
        sts_id(policy, id);
        tag_value(got, "id", pubid, sizeof pubid);
        if (r == 0) {
            snprintf(what, sizeof what, "%s: no MTA-STS record (%s)", name,
                dnsfix);
            note(what);
        } else if (strcmp(pubid, id) != 0) {
            snprintf(fix, sizeof fix, "%s: the MTA-STS id is %s, facteur "
                "dns says %s: if the policy changed, serve the new one, "
                "then publish its id", name, pubid, id);
            note(fix);
        } else {
            ok("%s: MTA-STS id %s", name, id);
        }
    }
    snprintf(name, sizeof name, "_smtp._tls.%s", d);
    r = txt_with(dns, name, "v=TLSRPTv1", got, sizeof got);
    if (r == 0) {
        snprintf(what, sizeof what, "%s: no TLS-RPT record (%s)", name,
            dnsfix);
        note(what);
    } else if (r > 0) {
        ok("%s: TLS-RPT", name, NULL);
    }
}

/* Each domain of backupmx against the DNS (dns NULL: --no-dns). */
struct backup {
    struct dns *dns;
    const char *host;
    struct table *domains;
};

static int
check_backup(const char *d, void *arg)
{
    struct backup *b = arg;
    static struct dns_answer a;
    char canon[DNSNAME_MAX + 1], what[2 * DNSNAME_MAX + 200];
    char fix[2 * DNSNAME_MAX + 200];
    size_t i;
    int r;

    if (dnsname_canon(canon, sizeof canon, d, strlen(d)) == -1) {
        snprintf(what, sizeof what, "backupmx: \"%.255s\" is not a domain",
            d);
        problem(what, "mend that line");
        return 0;
    }
    if (table_find(b->domains, canon) != NULL) {
        snprintf(what, sizeof what, "%s is local and also in backupmx: "
            "local delivery wins", canon);
        note(what);
        return 0;
    }
    if (b->dns == NULL)
        return 0;
    r = dns_query(b->dns, canon, DNS_T_MX, &a);
    if (r == DNS_TEMP) {
        dns_unreachable(canon);
        return 0;
    }
    for (i = 0; r == DNS_OK && i < a.n; i++)
        if (strcmp(a.u.mx[i].host, b->host) == 0)
            break;
    if (r != DNS_OK || i == a.n) {
        snprintf(what, sizeof what, "%s is in backupmx but no MX record "
            "of it names this host: its mail never comes here", canon);
        snprintf(fix, sizeof fix, "ask its admin to publish %s. IN MX 20 "
            "%s. (a higher number than the primary's), or remove it from "
            "backupmx", canon, b->host);
        problem(what, fix);
    } else if (a.u.mx[0].pref >= a.u.mx[i].pref) {
        snprintf(what, sizeof what, "%s is in backupmx but this host is "
            "its best MX: its mail waits here (loops back to myself)",
            canon);
        problem(what, "give its primary MX a lower preference number, or "
            "make it a local domain (facteur domain add)");
    } else {
        ok("%s: backup MX behind %s", canon, a.u.mx[0].host);
    }
    return 0;
}

int
cmd_check(int argc, char **argv)
{
    static struct dkimkeys keys[1024];
    static struct hostcerts hc;
    char host[DNSNAME_MAX + 1], err[PATH_LEN + 300];
    struct table users = { "users", NULL, 0, 0 }, domains;
    struct dns dns;
    size_t i;
    int usedns = 1;

    if (argc == 1 && strcmp(argv[0], "--no-dns") == 0)
        usedns = 0;
    else if (argc != 0)
        usage();
    if (access(conf, R_OK | X_OK) == -1)
        die(EXIT_TEMP, "cannot read %s: %s", conf, strerror(errno));
    check_hostname(host, sizeof host);
    check_tables(&users);
    check_passwords(users.rows != NULL ? &users : NULL);
    table_free(&users);
    check_tls();
    domains.name = "domains";
    if (table_load(&domains, conf, err, sizeof err) == -1) {
        domains.n = 0;
        domains.rows = NULL;
    }
    if (domains.n > sizeof keys / sizeof keys[0]) {
        note("more than 1024 local domains: only the first 1024 are "
             "checked for DKIM and DNS");
        domains.n = sizeof keys / sizeof keys[0];
    }
    check_dkim(&domains, keys);
    check_dirs();
    check_listeners();
    if (usedns && domains.n > 0 && host[0]) {
        if (dns_init(&dns) == -1) {
            problem("no usable resolver ($FACTEUR_RESOLVER or the file "
                    "resolver is malformed)", "mend it");
        } else if (host_certs(host, &hc, err, sizeof err) == -1) {
            problem(err, "facteur init makes a certificate");
        } else {
            for (i = 0; i < domains.n; i++)
                check_dns_domain(&dns, domains.rows[i].key, host, &keys[i],
                    &hc);
        }
    } else if (!usedns) {
        note("the DNS was not checked (--no-dns)");
    }
    {
        struct backup b = { NULL, host, &domains };
        struct stat st;
        if (usedns && host[0] && dns_init(&dns) == 0)
            b.dns = &dns;
        snprintf(err, sizeof err, "%s/backupmx", conf);
        if (stat(err, &st) == 0 && (st.st_mode & 04) == 0) {
            /* smtpd reads it as its own user, not as root */
            snprintf(err, sizeof err, "%s/backupmx is not readable by "
                "every user (mode %03o): smtpd, as its own user, answers "
                "451 instead of relaying denied", conf,
                (unsigned)(st.st_mode & 0777));
            problem(err, "chmod 644 it");
        } else if (conf_list("backupmx", check_backup, &b) == -1) {
            snprintf(err, sizeof err, "%s/backupmx cannot be read or is "
                "damaged (%s): smtpd answers 451 to every recipient it "
                "would not take", conf, strerror(errno));
            problem(err, "mend it (one domain a line, at most 255 bytes)");
        }
    }
    if (domains.rows != NULL)
        table_free(&domains);
    if (problems == 0)
        printf("no problems\n");
    else
        printf("%u problem%s\n", problems, problems == 1 ? "" : "s");
    if (fflush(stdout) == EOF)
        return EXIT_TEMP;
    return problems ? EXIT_PROBLEM : EXIT_OK;
}
