/* submissiond.c - authenticated submission on port 465 (RFC 8314).
 *
 * Usage: submissiond [-u user] [-c checkpassword]
 *   Run by tcpserver (or systemd Accept=yes) behind tlswrap, usually as
 *   root:   tcpserver -DRHl0 0 465 tlswrap submissiond
 *   (587 with STARTTLS: tcpserver ... 587 tlswrap -s submissiond)
 *
 * Two processes (privilege separation, as OpenSSH's monitor):
 *   session  drops to -u user (default facteur-smtpd) at once and speaks
 *            SMTP with lib/smtpsrv.h's core (no copy of the state
 *            machine), with this file's policy;
 *   monitor  stays root, reads nothing from the network: it takes
 *            "login \0 password \0" from the session over a socketpair,
 *            runs checkpassword (the -c program, default the sibling
 *            checkpassword) with the credentials on its fd 3 and
 *            /usr/bin/printenv USER as the program it execs (an
 *            equivalent of `true` that tells which mailbox matched),
 *            and answers yes, no, or "try later".  It counts failures
 *            per client in $statedir/authfail (lib/authfail.h) and
 *            delays every failure.
 *
 * Policy:
 *   - TLS first: AUTH PLAIN LOGIN is offered only when TLS is on
 *     (implicit TLS: SSL_PROTOCOL in the environment; or after
 *     STARTTLS); without TLS, no AUTH and every transaction is refused,
 *     so a misconfigured plaintext listener is useless, not open;
 *   - AUTH PLAIN (with or without an initial response) and LOGIN; "*"
 *     cancels; a failure answers 535 5.7.8 after the delay; a client
 *     over the failure limit, or a checkpassword that fails in any other
 *     way (missing, killed, 111), gets 454 4.7.0, never success;
 *   - MAIL and RCPT only after AUTH; the envelope sender and every
 *     address of the From: field must belong to the user: the user's own
 *     address (also with a +tag), an alias whose targets include the
 *     user, or a grant in sendas.cdb (key: an address or @domain; value:
 *     the users allowed, separated by commas or spaces); else 553 5.7.1.
 *     The null sender is allowed (vacation replies, receipts);
 *   - any recipient may be relayed to; a local one must exist (550);
 *   - the header is made what careful admins make it: Date: and
 *     Message-ID: added when missing, From: <user> when there is none;
 *     X-Originating-IP:, X-Mailer: and User-Agent: removed, and the
 *     Received: line names neither the client's address nor its HELO,
 *     unless SUBMISSION_PRIVACY=0.
 * The message then goes to the queue program (FACTEUR_QUEUE, else
 * queue-inject: lib/qspawn.h), the hook where a DKIM signer will sit.
 *
 * Environment: FACTEUR_CONF, SSL_PROTOCOL/SSL_CIPHER (implicit TLS),
 * SSLCTLFD/SSLREADFD/SSLWRITEFD (STARTTLS), TCPREMOTEIP (else the
 * socket), FACTEUR_QUEUE, SUBMISSION_PRIVACY, SMTP_TIMEOUT,
 * SMTP_DATA_TIMEOUT, SMTP_SESSION_TIMEOUT (lib/smtpsrv.h),
 * AUTH_FAIL_MAX (failures in the window before 454; default 10),
 * AUTH_FAIL_WINDOW (seconds; default 900), AUTH_FAIL_DELAY
 * (milliseconds each failure waits; default 2000).
 * Files in $FACTEUR_CONF: hostname, sizelimit, domains.cdb,
 * mailboxes.cdb, aliases.cdb, sendas.cdb (optional), statedir (default
 * /var/lib/facteur); checkpassword reads users.cdb.
 * Exit codes: the session's (0 normal end, 1 the peer vanished or timed
 * out), 100 usage, 111 a system or configuration error.
 * Limits: lib/smtpsrv.h's, lib/sasl.h's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "authmon.h"
#include "cdbq.h"
#include "conf.h"
#include "exitcode.h"
#include "hdraddr.h"
#include "log.h"
#include "loop.h"
#include "maildate.h"
#include "priv.h"
#include "rcpt.h"
#include "sasl.h"
#include "sibling.h"
#include "smtpsrv.h"

#define USER_DEFAULT "facteur-smtpd"
#define PRINTENV "/usr/bin/printenv"
#define REQUEST_MAX AUTHMON_REQUEST_MAX
#define MONITOR_TIMEOUT_MS 60000

static const char *conf;
static int monsock = -1;               /* the session's end */
static char user[ADDR_MAX + 1];        /* the mailbox, once authenticated */
static struct addr useraddr;

/* ------------------------------------------------------------------ */
/* Monitor: root, never reads the network. */

static _Noreturn void
monitor(pid_t child, int sock, const char *cp, const char *ip)
{
    static char *const prog[] = { (char *)PRINTENV, (char *)"USER", NULL };
    static struct authmon am;
    char req[AUTHMON_REQUEST_MAX + 2];
    int st;

    authmon_init(&am, cp, ip);
    for (;;) {
        char reply[ADDR_MAX + 4], who[ADDR_MAX + 2];
        ssize_t n = read(sock, req, sizeof req);
        pid_t pid;
        char a;
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        a = authmon_check(&am, prog, 1, 0, req, (size_t)n, who, sizeof who,
            &pid);
        snprintf(reply, sizeof reply, "%c%s", a, a == 'Y' ? who : "");
        if (write(sock, reply, strlen(reply)) == -1)
            break;
    }
    close(sock);
    while (waitpid(child, &st, 0) == -1)
        if (errno != EINTR)
            exit(EXIT_TEMP);
    exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

/* ------------------------------------------------------------------ */
/* Session: unprivileged. */

/* Ask the monitor.  'Y' (user set), 'N', 'B' or 'T'. */
static char
ask(const char *login, const char *pw)
{
    char req[REQUEST_MAX + 2], reply[ADDR_MAX + 4];
    size_t ll = strlen(login), pl = strlen(pw);
    struct pollfd p = { 0, POLLIN, 0 };
    ssize_t n;

    memcpy(req, login, ll + 1);
    memcpy(req + ll + 1, pw, pl + 1);
    n = write(monsock, req, ll + pl + 2);
    explicit_bzero(req, sizeof req);
    if (n != (ssize_t)(ll + pl + 2))
        return 'T';
    p.fd = monsock;
    if (poll(&p, 1, MONITOR_TIMEOUT_MS) != 1)
        return 'T';
    n = read(monsock, reply, sizeof reply - 1);
    if (n <= 0)
        return 'T';
    reply[n] = 0;
    if (reply[0] == 'Y') {
        if (addr_parse(reply + 1, strlen(reply + 1), 0, &useraddr) == -1)
            return 'T';
        snprintf(user, sizeof user, "%s", useraddr.full);
    }
    return reply[0];
}

static const char *
ehlo(struct smtpsrv *s)
{
    return s->tls_on && !s->authenticated ? "AUTH PLAIN LOGIN" : NULL;
}

/* Read one base64 line after a 334 challenge.  1, or 0 (replied). */
static int
challenge(struct smtpsrv *s, const char *prompt, char *line, size_t max,
    size_t *len)
{
    int r;

    smtpsrv_reply(s, prompt);
    r = smtpsrv_getline(s, line, max, len);
    if (r == 1 && *len == 1 && line[0] == '*') {
        smtpsrv_reply(s, "501 5.7.0 authentication cancelled");
        return 0;
    }
    if (r == -1) {
        explicit_bzero(line, max); /* what was kept of it: a credential */
        s->bad++;
        smtpsrv_reply(s, "500 5.5.2 line too long");
    }
    if (r != 1)
        return 0; /* or the session is over: the next read ends it */
    return 1;
}

static void
auth(struct smtpsrv *s, const struct smtp_cmd *c)
{
    char line[SASL_LINE_MAX + 1], login[SASL_LOGIN_MAX + 1];
    char pw[SASL_PASS_MAX + 1], esc[SASL_LOGIN_MAX * 4 + 4];
    const char *mech = c->arg, *ir = NULL;
    size_t ml, len;
    int plain;
    char a;

    if (!s->tls_on) {
        smtpsrv_reply(s, "538 5.7.11 encryption required: use port 465");
        return;
    }
    if (s->authenticated) {
        smtpsrv_reply(s, "503 5.5.1 already authenticated");
        return;
    }
    if (s->in_mail) {
        smtpsrv_reply(s, "503 5.5.1 not inside a transaction");
        return;
    }
    for (ml = 0; ml < c->arglen && mech[ml] != ' '; ml++)
        ;
    if (ml < c->arglen)
        ir = mech + ml + 1;
    if (ml == 5 && strncasecmp(mech, "PLAIN", 5) == 0) {
        plain = 1;
    } else if (ml == 5 && strncasecmp(mech, "LOGIN", 5) == 0) {
        plain = 0;
    } else {
        smtpsrv_reply(s, "504 5.5.4 use AUTH PLAIN or AUTH LOGIN");
        return;
    }
    login[0] = pw[0] = 0;
    if (plain) {
        if (ir != NULL) {
            len = c->arglen - ml - 1;
            if (len == 1 && ir[0] == '=') /* an empty initial response */
                len = 0;
            memcpy(line, ir, len);
        } else if (!challenge(s, "334 ", line, sizeof line, &len)) {
            return;
        }
        if (sasl_plain(line, len, login, pw) == -1) {
            explicit_bzero(line, sizeof line);
            smtpsrv_reply(s, "501 5.5.2 malformed AUTH PLAIN response");
            s->bad++;
            return;
        }
    } else {
        if (ir != NULL) {
            len = c->arglen - ml - 1;
            memcpy(line, ir, len);
        } else if (!challenge(s, "334 VXNlcm5hbWU6", line, sizeof line,
                       &len)) {
            return;
        }
        if (sasl_text(line, len, login, SASL_LOGIN_MAX) == -1) {
            smtpsrv_reply(s, "501 5.5.2 malformed user name");
            s->bad++;
            return;
        }
        if (!challenge(s, "334 UGFzc3dvcmQ6", line, sizeof line, &len))
            return;
        if (sasl_text(line, len, pw, SASL_PASS_MAX) == -1) {
            explicit_bzero(line, sizeof line);
            smtpsrv_reply(s, "501 5.5.2 malformed password");
            s->bad++;
            return;
        }
    }
    explicit_bzero(line, sizeof line);
    a = ask(login, pw);
    explicit_bzero(pw, sizeof pw);
    log_escape(esc, sizeof esc, login, strlen(login));
    switch (a) {
    case 'Y':
        s->authenticated = 1;
        log_info("auth ok mech=%s login=%s user=%s", plain ? "PLAIN" : "LOGIN",
            esc, user);
        smtpsrv_reply(s, "235 2.7.0 authenticated");
        break;
    case 'N':
        log_info("auth failed mech=%s login=%s ip=%s",
            plain ? "PLAIN" : "LOGIN", esc, s->ci.remoteip);
        smtpsrv_reply(s, "535 5.7.8 authentication failed");
        break;
    case 'B':
        log_info("auth refused: too many failures ip=%s login=%s",
            s->ci.remoteip, esc);
        smtpsrv_reply(s, "454 4.7.0 too many failed logins, try again later");
        break;
    default:
        log_warn("auth unavailable login=%s", esc);
        smtpsrv_reply(s, "454 4.7.0 temporary authentication failure, try "
                         "again later");
        break;
    }
}

static int
command(struct smtpsrv *s, const struct smtp_cmd *c)
{
    if (c->verb != SMTP_AUTH)
        return 0;
    auth(s, c);
    return 1;
}

/* Same local part (case-insensitively) and domain. */
static int
same(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

/* Is t, in a text0 or comma/space list of n bytes, the user? */
static int
lists_user(const char *v, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t j = i;
        char one[ADDR_MAX + 1];
        while (j < n && v[j] != 0 && v[j] != ',' && v[j] != ' ')
            j++;
        if (j - i > 0 && j - i <= ADDR_MAX) {
            memcpy(one, v + i, j - i);
            one[j - i] = 0;
            if (same(one, user))
                return 1;
        }
        i = j + 1;
    }
    return 0;
}

/* 1 the user may send as a, 0 not, -1 a table cannot be read. */
static int
owns(const struct addr *a)
{
    char path[4096], key[ADDR_DOMAIN_MAX + ADDR_MAX + 2];
    struct sa v = SA_INIT(RCPT_VALUE_MAX);
    const char *plus = strchr(a->local, '+');
    struct cdbq q;
    int r;

    if (same(a->full, user))
        return 1;
    if (plus != NULL && a->local[0] != '"'
        && strcasecmp(a->domain, useraddr.domain) == 0
        && (size_t)(plus - a->local) == strlen(useraddr.local)
        && strncasecmp(a->local, useraddr.local, strlen(useraddr.local))
            == 0)
        return 1; /* user+tag */
    snprintf(path, sizeof path, "%s/aliases.cdb", conf);
    if (cdbq_open(&q, path) == -1)
        return -1;
    r = rcpt_lookup(&q, a->local, strlen(a->local), a->domain, key,
        sizeof key, &v);
    cdbq_close(&q);
    if (r == -1)
        return -1;
    if (r == 1 && lists_user(v.s, v.len)) {
        sa_free(&v);
        return 1;
    }
    snprintf(path, sizeof path, "%s/sendas.cdb", conf);
    if (cdbq_open(&q, path) == -1) {
        sa_free(&v);
        return errno == ENOENT ? 0 : -1;
    }
    r = cdbq_find(&q, a->full, strlen(a->full), &v);
    if (r == 0) {
        snprintf(key, sizeof key, "@%s", a->domain);
        r = cdbq_find(&q, key, strlen(key), &v);
    }
    cdbq_close(&q);
    if (r == 1)
        r = lists_user(v.s, v.len);
    sa_free(&v);
    return r;
}

static const char *
mail(struct smtpsrv *s, const struct smtp_path *p)
{
    if (!s->tls_on)
        return "530 5.7.0 this port needs TLS and AUTH: use port 465";
    if (!s->authenticated)
        return "530 5.7.0 authentication required";
    if (p->a.full[0] == 0)
        return NULL;
    switch (owns(&p->a)) {
    case 1:
        return NULL;
    case 0:
        log_info("sender refused user=%s from=<%s>", user, p->a.full);
        return "553 5.7.1 that sender address is not yours";
    default:
        return "451 4.3.0 tables unavailable, try again later";
    }
}

static const char *
rcpt(struct smtpsrv *s, const struct smtp_path *p, struct addr *to)
{
    struct rcpt_tables t;
    struct rcpt_res res;
    struct sa v = SA_INIT(RCPT_VALUE_MAX);
    int r;

    (void)s;
    if (p->postmaster) {
        char pm[ADDR_MAX + DNSNAME_MAX];
        snprintf(pm, sizeof pm, "postmaster@%s", useraddr.domain);
        if (addr_parse(pm, strlen(pm), 0, to) == -1)
            return "550 5.1.1 no postmaster here";
    } else {
        *to = p->a;
    }
    if (rcpt_open(&t, conf) == -1)
        return "451 4.3.0 recipient tables unavailable, try again later";
    r = addr_is_literal(to) ? 0 : rcpt_local_domain(&t, to->domain);
    if (r == 1)
        r = rcpt_resolve(&t, to, &res, &v) == RCPT_NONE ? 2 : 0;
    rcpt_close(&t);
    sa_wipe(&v);
    if (r == -1)
        return "451 4.3.0 recipient tables unavailable, try again later";
    if (r == 2)
        return "550 5.1.1 no such user here";
    return NULL; /* relaying is what submission is for */
}

/* The header section, field by field: name length and the whole field
 * (with its continuation lines). */
struct field {
    const char *p;
    size_t len, namelen;
};

static int
next_field(const struct sa *h, size_t *pos, struct field *f)
{
    size_t i = *pos, e;

    if (i >= h->len)
        return 0;
    for (e = i; e < h->len;) {
        const char *nl = memchr(h->s + e, '\n', h->len - e);
        e = nl ? (size_t)(nl - h->s) + 1 : h->len;
        if (e >= h->len || (h->s[e] != ' ' && h->s[e] != '\t'))
            break;
    }
    f->p = h->s + i;
    f->len = e - i;
    for (f->namelen = 0; f->namelen < f->len && f->p[f->namelen] != ':';)
        f->namelen++;
    *pos = e;
    return 1;
}

static int
named(const struct field *f, const char *name)
{
    return f->namelen == strlen(name)
        && strncasecmp(f->p, name, f->namelen) == 0;
}

static const char *
header(struct smtpsrv *s, struct sa *h)
{
    static const char *const drop[] = { "X-Originating-IP", "X-Mailer",
        "User-Agent" };
    const char *privacy = getenv("SUBMISSION_PRIVACY");
    int private = privacy == NULL || strcmp(privacy, "0") != 0;
    struct sa out = SA_INIT(SMTPSRV_HEADER_MAX + 4096);
    struct field f;
    size_t pos = 0, i;
    int have_from = 0, have_date = 0, have_mid = 0;
    char line[512], date[MAILDATE_MAX];

    while (next_field(h, &pos, &f)) {
        int keep = 1;
        if (named(&f, "From")) {
            struct envelope e;
            char val[8192];
            size_t k, vn = 0;
            have_from = 1;
            /* unfold the value */
            for (k = f.namelen + 1; k < f.len && vn < sizeof val; k++)
                if (f.p[k] != '\r' && f.p[k] != '\n')
                    val[vn++] = f.p[k];
            memset(&e, 0, sizeof e);
            if (vn == sizeof val || hdraddr_parse(val, vn, &e) <= 0) {
                envelope_free(&e);
                sa_free(&out);
                return "553 5.7.1 malformed From: field";
            }
            for (k = 0; k < e.nrcpt; k++) {
                int o = owns(&e.rcpt[k]);
                if (o != 1) {
                    if (o == 0)
                        log_info("From: refused user=%s from=<%s>", user,
                            e.rcpt[k].full);
                    envelope_free(&e);
                    sa_free(&out);
                    return o == 0
                        ? "553 5.7.1 the From: address is not yours"
                        : "451 4.3.0 tables unavailable, try again later";
                }
            }
            envelope_free(&e);
        }
        have_date |= named(&f, "Date");
        have_mid |= named(&f, "Message-ID");
        for (i = 0; private && i < sizeof drop / sizeof drop[0]; i++)
            if (named(&f, drop[i]))
                keep = 0;
        if (keep && sa_append(&out, f.p, f.len) == -1) {
            sa_free(&out);
            return "552 5.3.4 header section too large";
        }
    }
    if (!have_from) {
        snprintf(line, sizeof line, "From: <%s>\r\n", user);
        sa_appends(&out, line);
    }
    if (!have_date) {
        maildate(date, sizeof date, time(NULL));
        snprintf(line, sizeof line, "Date: %s\r\n", date);
        sa_appends(&out, line);
    }
    if (!have_mid) {
        snprintf(line, sizeof line, "Message-ID: <%lld.%s.%u@%s>\r\n",
            (long long)time(NULL), log_sid(), s->nmsg + 1, s->hostname);
        sa_appends(&out, line);
    }
    if (sa_copy(h, out.s ? out.s : "", out.len) == -1) {
        sa_free(&out);
        return "552 5.3.4 header section too large";
    }
    sa_free(&out);
    return NULL;
}

static const struct smtpsrv_policy policy = {
    .ehlo = ehlo,
    .command = command,
    .mail = mail,
    .rcpt = rcpt,
    .header = header,
};

int
main(int argc, char **argv)
{
    static struct smtpsrv s;
    char cp[4096];
    const char *runas = USER_DEFAULT, *privacy;
    struct rlimit nocore = { 0, 0 };
    int opt, sv[2];
    pid_t pid;

    log_init("submissiond");
    cp[0] = 0;
    while ((opt = getopt(argc, argv, "u:c:")) != -1) {
        if (opt == 'u')
            runas = optarg;
        else if (opt == 'c')
            snprintf(cp, sizeof cp, "%s", optarg);
        else
            log_die(EXIT_PERM, "usage: submissiond [-u user] [-c checkpassword]");
    }
    if (optind != argc)
        log_die(EXIT_PERM, "usage: submissiond [-u user] [-c checkpassword]");
    if (cp[0] == 0 && sibling_path(argv[0], "checkpassword", cp, sizeof cp)
        == -1)
        log_die(EXIT_TEMP, "cannot find checkpassword");
    setrlimit(RLIMIT_CORE, &nocore);
    conf = conf_dir();
    memset(&s, 0, sizeof s);
    conninfo_get(&s.ci, 0);
    signal(SIGPIPE, SIG_IGN);

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
        log_die(EXIT_TEMP, "socketpair: %s", strerror(errno));
    pid = fork();
    if (pid == -1)
        log_die(EXIT_TEMP, "fork: %s", strerror(errno));
    if (pid > 0) {
        /* The monitor keeps nothing of the connection. */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null == -1 || dup2(null, 0) == -1 || dup2(null, 1) == -1)
            log_die(EXIT_TEMP, "cannot open /dev/null");
        close(sv[1]);
        monitor(pid, sv[0], cp, s.ci.remoteip);
    }
    close(sv[0]);
    monsock = sv[1];
    if (priv_drop_user(runas) == -1)
        log_die(EXIT_TEMP, "cannot become %s: %s", runas, strerror(errno));
    s.pol = &policy;
    s.argv0 = argv[0];
    s.service = "submissiond";
    privacy = getenv("SUBMISSION_PRIVACY");
    s.received_private = privacy == NULL || strcmp(privacy, "0") != 0;
    if (conf_hostname(s.hostname, sizeof s.hostname) == -1) {
        snprintf(s.hostname, sizeof s.hostname, "localhost");
        s.busy = "configuration problem, try again later";
    }
    if (conf_sizelimit(&s.sizelimit) == -1)
        s.busy = "configuration problem, try again later";
    return smtpsrv_run(&s);
}
