/* remote-send.c - deliver one message to one destination domain by SMTP.
 *
 * Usage: remote-send DOMAIN RCPT...   (message on fd 0, SENDER in the
 *                                      environment, report on fd 1)
 *
 * Run by queue-run for the recipients of one message at one domain.  The
 * message on fd 0 is the queue's file (canonical CRLF text).  The report
 * on fd 1 is lib/rreport.h's: one line per recipient (accepted, failed
 * for good, try later, with the remote text) and one for the message.
 * With REMOTE_REUSE set and fd 3 a socket (queue-run's), the connection
 * stays open after the report, for more messages to the same domain:
 * each comes on fd 3 as one record "<domain>\0<sender>\0<rcpt>\0..."
 * with the message file's descriptor (SCM_RIGHTS), and gets its report
 * on fd 1 in turn (next_job); a connection the server spoke on or closed
 * meanwhile is not used, the message goes afresh.  EOF on fd 3 (or
 * REUSE_WAIT seconds without a record) ends it, with QUIT.
 *
 * Where to: a static route for DOMAIN, else for "*" (the smarthost), in
 * $FACTEUR_CONF/routes.cdb (lib/route.h: host used as given, port, TLS
 * policy, AUTH credentials); else the MX hosts of DOMAIN in preference
 * order (RFC 5321 5.1: no MX means the domain itself; a null MX, RFC
 * 7505, or a domain that does not exist fails for good; when this host
 * (the file hostname) is one of them, only those of a lower preference
 * are tried: a backup MX relays to the primary, and when it is the best
 * MX the mail waits, "4.4.6 mail loops back to myself").  Each host's
 * addresses are tried, IPv6 then IPv4; a connection that fails, a
 * greeting other than 2xx, or TLS the policy requires but cannot get,
 * moves on to the next address and host.
 *
 * The conversation: EHLO (HELO when EHLO is refused), STARTTLS when
 * offered and the policy is not "none" (any certificate is accepted
 * unless the policy is "verify": opportunistic, RFC 7435; when the
 * handshake fails under "may" the same address is tried again in clear);
 * bytes the server sent after its 220 to STARTTLS are dropped; EHLO
 * again; AUTH PLAIN (or LOGIN) for a route with credentials, only under
 * TLS; MAIL with SIZE (refused early when the server's SIZE is smaller),
 * BODY=8BITMIME for 8-bit text when offered, SMTPUTF8 when an address
 * needs it (and the server must offer it); RCPT for each recipient
 * (pipelined when offered); DATA in canonical form: CRLF only and
 * dot-stuffed after that (lib/smtpdata.h smtpstuff), so no queued byte
 * sequence can end DATA early at the next hop.
 * DANE (RFC 7672): when the MX answer and the host's TLSA records
 * (_PORT._tcp.HOST) come back validated (AD, from a trusted local
 * resolver), TLS is mandatory and the certificate must match one of them
 * (lib/dane.h: DANE-EE, DANE-TA); a TLSA lookup that fails temporarily
 * makes the host unusable.
 * MTA-STS (RFC 8461): when the domain announces a policy (TXT at
 * _mta-sts.DOMAIN), it is fetched over HTTPS (certificate verified, no
 * redirect) and cached under $statedir/mta-sts for its max_age; in
 * "enforce" mode only the MX hosts the policy names are used, with TLS
 * and a certificate valid for the MX name; an unexpired cached policy
 * applies when the record or the server is gone.
 * Policies (lib/route.h, default "may"): none, may, encrypt (TLS or
 * nothing), verify (TLS with a certificate valid for the host against
 * the CA bundle: $FACTEUR_CONF/cafile, else Debian's
 * /etc/ssl/certs/ca-certificates.crt).  A policy that is not met is a
 * temporary failure: never sent in clear.
 *
 * Environment: SENDER (the envelope sender, "" for <>), FACTEUR_CONF,
 * FACTEUR_RESOLVER (lib/dns.h), REMOTE_CONNECT_TIMEOUT (seconds, default
 * 30), REMOTE_TIMEOUT (a reply, default 300: RFC 5321 4.5.3.2),
 * REMOTE_DATA_TIMEOUT (the reply to the final dot, default 600),
 * REMOTE_SMTP_PORT (the port of MX hosts, default 25: for tests, or a
 * private relay network), REMOTE_REUSE (fd 3 brings more messages).
 * Files: hostname (the EHLO name), routes.cdb, cafile, remoteuser,
 * statedir (the MTA-STS cache, default /var/lib/facteur).
 * Privileges: started as root (by queue-run), it reads routes.cdb and the
 * CA bundle, then becomes $FACTEUR_CONF/remoteuser (a name or uid:gid;
 * default facteur-smtpd when that user exists) before any DNS query or
 * connection.
 * Log: one line per delivery on stderr: host, address, TLS version and
 * cipher, verified or not, the reply.
 * Exit codes: 0 the report is written (whatever it says), 100 usage,
 * 111 no report could be made (queue-run treats every recipient as
 * "try later").
 * Limits: REMOTE_RCPT_MAX recipients, DNS_ANSWERS_MAX MX hosts and
 * addresses, lib/smtpreply.h's reply limits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "base64.h"
#include "buf.h"
#include "cdbq.h"
#include "conf.h"
#include "dane.h"
#include "dns.h"
#include "dnsname.h"
#include "exitcode.h"
#include "fdpass.h"
#include "log.h"
#include "loop.h"
#include "mtasts.h"
#include "priv.h"
#include "route.h"
#include "rreport.h"
#include "smtpdata.h"
#include "smtpreply.h"
#include "tlsclient.h"

#define REMOTE_RCPT_MAX 1000
#define CONNECT_TIMEOUT 30
#define REPLY_TIMEOUT 300
#define DATA_TIMEOUT 600
/* Waiting for queue-run's next message on a kept connection (seconds):
 * queue-run closes its end sooner when it has none. */
#define REUSE_WAIT 30
/* One message record on fd 3: its domain, sender and recipients. */
#define REUSE_JOB_MAX 65536

/* What a recipient has come to. */
struct rcpt {
    struct addr a;
    char code;                  /* 0 nothing yet, 'A', 'P', 'T' */
    char text[RREPORT_TEXT_MAX + 1];
    int sent;                   /* RCPT was accepted in this attempt */
};

static struct rcpt *rcpts;
static size_t nrcpt;
static struct addr sender;
static char hostname[DNSNAME_MAX + 1];
static int connect_to, reply_to, data_to; /* seconds */
static unsigned mxport = 25;
static char last[RREPORT_TEXT_MAX + 1] = "no host could be reached";
static int msgfd = 0;
static uint64_t msgsize;
static int msg8bit;
static struct tlsanchors anchors;
static int anchors_loaded;
static unsigned char *bundle;   /* the CA bundle, read while privileged */
static char cafile[4096];
static size_t bundlelen;

/* The trust anchors, decoded at the first verification only: most
 * deliveries (opportunistic TLS) need none, and decoding a system bundle
 * costs more than the rest of a delivery.  1 ready, 0 not available. */
static int
need_anchors(void)
{
    if (!anchors_loaded && bundle != NULL
        && tlsclient_anchors(&anchors, bundle, bundlelen) == 0)
        anchors_loaded = 1;
    return anchors_loaded;
}
/* DANE for the host being tried: its usable, DNSSEC-validated TLSA
 * records (none: no DANE). */
static struct dns_tlsa dane[DNS_ANSWERS_MAX];
static size_t ndane;

/* A connection: clear or TLS, with line reading. */
struct conn {
    int fd;
    int tls;
    struct tlsclient t;
    unsigned char rb[8192];
    size_t rpos, rlen;
    int64_t deadline;
    char host[DNSNAME_MAX + 1];
    char ip[INET6_ADDRSTRLEN];
    int open;              /* kept open after a transaction */
    int clean;             /* its last transaction ended with DATA's reply */
    struct smtpreply eh;   /* its EHLO reply: what it offers */
};

static struct conn c;
/* fd 3 is queue-run's socket: the connection may serve more messages */
static int reuse;

static void
set_last(const char *fmt, const char *a, const char *b)
{
    snprintf(last, sizeof last, fmt, a ? a : "", b ? b : "");
}

static ssize_t
conn_read(struct conn *k, void *p, size_t n)
{
    if (k->tls) {
        k->t.deadline = k->deadline;
        return tlsclient_read(&k->t, p, n);
    }
    for (;;) {
        ssize_t r;
        if (fd_wait(k->fd, POLLIN, k->deadline) == -1)
            return -1;
        r = read(k->fd, p, n);
        if (r == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        return r;
    }
}

static int
conn_write(struct conn *k, const void *p, size_t n)
{
    if (k->tls) {
        k->t.deadline = k->deadline;
        return tlsclient_write(&k->t, p, n);
    }
    return fd_write_all(k->fd, p, n, k->deadline);
}

/* One line without CRLF into line (max bytes with NUL).  1, or -1 (the
 * connection ended, timed out, or sent a line too long). */
static int
conn_line(struct conn *k, char *line, size_t max, size_t *len)
{
    size_t n = 0;

    for (;;) {
        while (k->rpos < k->rlen) {
            char ch = (char)k->rb[k->rpos++];
            if (ch == '\n') {
                if (n > 0 && line[n - 1] == '\r')
                    n--;
                line[n] = 0;
                *len = n;
                return 1;
            }
            if (n + 1 >= max)
                return -1;
            line[n++] = ch;
        }
        {
            ssize_t r = conn_read(k, k->rb, sizeof k->rb);
            if (r <= 0)
                return -1;
            k->rpos = 0;
            k->rlen = (size_t)r;
        }
    }
}

/* Read one reply within secs.  0 (r filled), or -1 (no valid reply). */
static int
get_reply(struct conn *k, struct smtpreply *r, int secs)
{
    char line[SMTPREPLY_LINE_MAX + 1];
    size_t len;
    int x;

    k->deadline = loop_now() + (int64_t)secs * 1000;
    smtpreply_init(r);
    do {
        if (conn_line(k, line, sizeof line, &len) == -1)
            return -1;
        x = smtpreply_line(r, line, len);
        if (x == -1)
            return -1;
    } while (x == 0);
    return 0;
}

static int
send_cmd(struct conn *k, const char *s)
{
    k->deadline = loop_now() + (int64_t)reply_to * 1000;
    return conn_write(k, s, strlen(s));
}

/* A reply's text for the report: "host [ip] said: 550 5.1.1 ...". */
static void
said(char *out, size_t len, const struct smtpreply *r)
{
    char t[DNSNAME_MAX + INET6_ADDRSTRLEN + SMTPREPLY_TEXT_MAX + 16];

    if (c.host[0] == '[') /* an address literal: once is enough */
        snprintf(t, sizeof t, "%s said: %s", c.host, r->text);
    else
        snprintf(t, sizeof t, "%s [%s] said: %s", c.host, c.ip, r->text);
    snprintf(out, len, "%.*s", (int)len - 1, t); /* the report's cap */
}

static void
set_all(char code, const char *text, int only_unfinished)
{
    size_t i;

    for (i = 0; i < nrcpt; i++) {
        if (only_unfinished && rcpts[i].code != 0)
            continue;
        rcpts[i].code = code;
        snprintf(rcpts[i].text, sizeof rcpts[i].text, "%s", text);
    }
}

/* ---- connecting ---- */

static int
tcp_connect(const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), fl, one = 1;
    int64_t deadline = loop_now() + (int64_t)connect_to * 1000;
    socklen_t el = sizeof fl;

    if (fd == -1)
        return -1;
    fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, sa, len) == -1 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    if (fd_wait(fd, POLLOUT, deadline) == -1
        || getsockopt(fd, SOL_SOCKET, SO_ERROR, &fl, &el) == -1 || fl != 0) {
        if (fl != 0)
            errno = fl;
        close(fd);
        return -1;
    }
    return fd;
}

/* A socket address for the raw address a (4 or 16 bytes: fam) and port. */
static socklen_t
sockaddr_of(struct sockaddr_storage *ss, int fam, const void *a,
    unsigned port)
{
    memset(ss, 0, sizeof *ss);
    if (fam == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        memcpy(&s6->sin6_addr, a, 16);
        return sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        memcpy(&s4->sin_addr, a, 4);
        return sizeof *s4;
    }
}

/* ---- one attempt on one address ---- */

enum attempt { DONE, NEXT };

static int
needs_utf8(void)
{
    size_t i;
    const char *p;

    for (p = sender.full; *p; p++)
        if ((unsigned char)*p >= 0x80)
            return 1;
    for (i = 0; i < nrcpt; i++)
        for (p = rcpts[i].a.full; *p; p++)
            if ((unsigned char)*p >= 0x80)
                return 1;
    return 0;
}

static int
ehlo(struct conn *k, struct smtpreply *r)
{
    char cmd[DNSNAME_MAX + 16];

    snprintf(cmd, sizeof cmd, "EHLO %s\r\n", hostname);
    if (send_cmd(k, cmd) == -1 || get_reply(k, r, reply_to) == -1)
        return -1;
    if (r->code / 100 == 2)
        return 0;
    /* An old server: HELO, no extensions. */
    snprintf(cmd, sizeof cmd, "HELO %s\r\n", hostname);
    if (send_cmd(k, cmd) == -1 || get_reply(k, r, reply_to) == -1)
        return -1;
    r->ehlo = 0;
    return r->code / 100 == 2 ? 0 : -1;
}

static int
do_auth(struct conn *k, const struct route *rt, unsigned ext)
{
    unsigned char raw[ROUTE_USER_MAX + ROUTE_PASS_MAX + 2];
    char b64[BASE64_LEN(sizeof raw) + 1], cmd[sizeof b64 + 32];
    struct smtpreply r;
    size_t ul = strlen(rt->user);
    int ok;

    if (!(ext & (EHLO_AUTH_PLAIN | EHLO_AUTH_LOGIN))) {
        set_last("%s [%s] offers no AUTH PLAIN or LOGIN", c.host, c.ip);
        return -1;
    }
    if (ext & EHLO_AUTH_PLAIN) {
        raw[0] = 0;
        memcpy(raw + 1, rt->user, ul);
        raw[ul + 1] = 0;
        memcpy(raw + ul + 2, rt->pass, rt->passlen);
        base64_encode(b64, sizeof b64, raw, ul + 2 + rt->passlen);
        snprintf(cmd, sizeof cmd, "AUTH PLAIN %s\r\n", b64);
        ok = send_cmd(k, cmd) == 0 && get_reply(k, &r, reply_to) == 0;
    } else {
        base64_encode(b64, sizeof b64, rt->user, ul);
        snprintf(cmd, sizeof cmd, "AUTH LOGIN %s\r\n", b64);
        ok = send_cmd(k, cmd) == 0 && get_reply(k, &r, reply_to) == 0
            && r.code == 334;
        if (ok) {
            base64_encode(b64, sizeof b64, rt->pass, rt->passlen);
            snprintf(cmd, sizeof cmd, "%s\r\n", b64);
            ok = send_cmd(k, cmd) == 0 && get_reply(k, &r, reply_to) == 0;
        }
    }
    explicit_bzero(raw, sizeof raw);
    explicit_bzero(b64, sizeof b64);
    explicit_bzero(cmd, sizeof cmd);
    if (!ok) {
        set_last("%s [%s]: no reply to AUTH", c.host, c.ip);
        return -1;
    }
    if (r.code != 235) {
        char t[RREPORT_TEXT_MAX + 1];
        said(t, sizeof t, &r);
        set_last("authentication failed: %.300s", t, NULL);
        return -1;
    }
    return 0;
}

/* Send the message, dot-stuffed.  0, or -1. */
static int
send_body(struct conn *k)
{
    static unsigned char in[16384], out[2 * 16384 + 8];
    struct smtpstuff st;
    ssize_t n;
    size_t o;

    if (lseek(msgfd, 0, SEEK_SET) == -1)
        return -1;
    smtpstuff_init(&st);
    for (;;) {
        n = read(msgfd, in, sizeof in);
        if (n == -1 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        o = smtpstuff_feed(&st, in, (size_t)n, out);
        k->deadline = loop_now() + (int64_t)reply_to * 1000;
        if (conn_write(k, out, o) == -1)
            return -1;
    }
    o = smtpstuff_finish(&st, out);
    return conn_write(k, out, o);
}

/* A RCPT reply for recipient i: 1 accepted, else 0 (its result set). */
static int
rcpt_reply(size_t i, const struct smtpreply *r)
{
    if (r->code / 100 == 2) {
        rcpts[i].sent = 1;
        return 1;
    }
    rcpts[i].code = r->code / 100 == 5 ? 'P' : 'T';
    said(rcpts[i].text, sizeof rcpts[i].text, r);
    return 0;
}

/* The transaction on an open, greeted, EHLO'd connection (reused: kept
 * from an earlier message, where a 421 to MAIL means the server is going
 * and another connection is made). */
static enum attempt
transaction(struct conn *k, const struct smtpreply *eh, int reused)
{
    char cmd[ADDR_MAX * 2 + 128], t[RREPORT_TEXT_MAX + 1];
    struct smtpreply r;
    size_t i, accepted = 0;
    int utf8 = needs_utf8(), pipelining = (eh->ehlo & EHLO_PIPELINING) != 0;

    for (i = 0; i < nrcpt; i++)
        rcpts[i].sent = 0;
    k->clean = 0;

    if (utf8 && !(eh->ehlo & EHLO_SMTPUTF8)) {
        snprintf(t, sizeof t, "%s [%s] cannot take UTF-8 addresses "
                 "(no SMTPUTF8): 5.6.7", c.host, c.ip);
        set_all('P', t, 1);
        return DONE;
    }
    if ((eh->ehlo & EHLO_SIZE) && eh->size > 0 && msgsize > eh->size) {
        snprintf(t, sizeof t, "%s [%s] takes at most %llu bytes, the message "
                 "has %llu: 5.3.4", c.host, c.ip,
            (unsigned long long)eh->size, (unsigned long long)msgsize);
        set_all('P', t, 1);
        return DONE;
    }
    snprintf(cmd, sizeof cmd, "MAIL FROM:<%s>", sender.full);
    if (eh->ehlo & EHLO_SIZE)
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " SIZE=%llu",
            (unsigned long long)msgsize);
    if (msg8bit && (eh->ehlo & EHLO_8BITMIME))
        strcat(cmd, " BODY=8BITMIME");
    if (utf8)
        strcat(cmd, " SMTPUTF8");
    strcat(cmd, "\r\n");
    if (send_cmd(k, cmd) == -1)
        return NEXT;
    if (!pipelining) {
        if (get_reply(k, &r, reply_to) == -1)
            return NEXT;
        if (r.code / 100 != 2)
            goto mailfail;
    }
    /* RCPTs: all at once with PIPELINING, else one by one. */
    for (i = 0; i < nrcpt; i++) {
        if (rcpts[i].code != 0)
            continue;
        snprintf(cmd, sizeof cmd, "RCPT TO:<%s>\r\n", rcpts[i].a.full);
        if (send_cmd(k, cmd) == -1)
            return NEXT;
        if (!pipelining) {
            if (get_reply(k, &r, reply_to) == -1)
                return NEXT;
            accepted += rcpt_reply(i, &r);
        }
    }
    if (pipelining) {
        if (get_reply(k, &r, reply_to) == -1)
            return NEXT;
        if (r.code / 100 != 2)
            goto mailfail_drain;
        for (i = 0; i < nrcpt; i++) {
            if (rcpts[i].code != 0)
                continue;
            if (get_reply(k, &r, reply_to) == -1)
                return NEXT;
            accepted += rcpt_reply(i, &r);
        }
    }
    if (accepted == 0)
        return DONE;
    if (send_cmd(k, "DATA\r\n") == -1 || get_reply(k, &r, 120) == -1)
        return NEXT;
    if (r.code != 354) {
        said(t, sizeof t, &r);
        for (i = 0; i < nrcpt; i++)
            if (rcpts[i].sent && rcpts[i].code == 0) {
                rcpts[i].code = r.code / 100 == 5 ? 'P' : 'T';
                snprintf(rcpts[i].text, sizeof rcpts[i].text, "%s", t);
            }
        return DONE;
    }
    if (send_body(k) == -1 || get_reply(k, &r, data_to) == -1) {
        /* Unknown whether it was taken: later, again (at least once). */
        for (i = 0; i < nrcpt; i++)
            rcpts[i].sent = 0;
        set_last("%s [%s]: connection lost during DATA", c.host, c.ip);
        return NEXT;
    }
    k->clean = 1;
    said(t, sizeof t, &r);
    for (i = 0; i < nrcpt; i++)
        if (rcpts[i].sent && rcpts[i].code == 0) {
            rcpts[i].code = r.code / 100 == 2 ? 'A'
                : r.code / 100 == 5 ? 'P' : 'T';
            snprintf(rcpts[i].text, sizeof rcpts[i].text, "%s", t);
        }
    log_info("sent host=%s ip=%s tls=%s%s%s verified=%s reply=\"%s\"", c.host,
        c.ip, c.tls ? tlsclient_version(&c.t) : "none", c.tls ? ":" : "",
        c.tls ? tlsclient_cipher(&c.t) : "",
        c.tls && c.t.dane ? c.t.dane
            : c.tls && tlsclient_verified(&c.t) ? "ca" : "no", r.text);
    return DONE;

mailfail_drain:
    /* The pipelined RCPT replies still come; their verdict is MAIL's. */
    for (i = 0; i < nrcpt; i++)
        if (rcpts[i].code == 0) {
            struct smtpreply x;
            if (get_reply(k, &x, reply_to) == -1)
                break;
        }
mailfail:
    if (reused && r.code == 421)
        return NEXT;
    said(t, sizeof t, &r);
    set_all(r.code / 100 == 5 ? 'P' : 'T', t, 1);
    return DONE;
}

/* End the connection: QUIT first when it is still in step (polite). */
static void
hang_up(int quit)
{
    if (quit)
        (void)send_cmd(&c, "QUIT\r\n");
    if (c.tls)
        tlsclient_close(&c.t);
    close(c.fd);
    c.open = 0;
}

/* Try one address of one host.  tls_fallback: a retry in clear after a
 * failed handshake under "may". */
static enum attempt
attempt(const struct sockaddr *sa, socklen_t salen, const char *host,
    const struct route *rt, enum route_tls pol, int clear_only)
{
    struct smtpreply r, eh;
    const char *why;
    int implicit = rt != NULL && rt->port == ROUTE_PORT_IMPLICIT;
    enum attempt res;

    memset(&c, 0, sizeof c);
    snprintf(c.host, sizeof c.host, "%s", host);
    if (ndane > 0) {
        /* DANE: TLS is mandatory and the TLSA records decide (RFC 7672),
         * whatever the default policy. */
        pol = ROUTE_TLS_ENCRYPT;
        tlsclient_dane(&c.t, dane, ndane);
    }
    if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)
                                  ->sin6_addr, c.ip, sizeof c.ip);
    else
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)
                               ->sin_addr, c.ip, sizeof c.ip);
    c.fd = tcp_connect(sa, salen);
    if (c.fd == -1) {
        set_last("cannot connect to %s [%s]", host, c.ip);
        snprintf(last + strlen(last), sizeof last - strlen(last), ": %s",
            strerror(errno));
        return NEXT;
    }
    if (implicit) {
        const char *name = host[0] == '[' ? NULL : host;
        if (pol == ROUTE_TLS_VERIFY && !need_anchors()) {
            set_last("%s: no CA bundle to verify with", host, NULL);
            close(c.fd);
            return NEXT;
        }
        if (tlsclient_start(&c.t, c.fd, name, &anchors,
                pol == ROUTE_TLS_VERIFY, loop_now() + reply_to * 1000LL, &why)
            == -1) {
            set_last("%s: TLS to %s failed", why, host);
            close(c.fd);
            return NEXT;
        }
        c.tls = 1;
    }
    if (get_reply(&c, &r, reply_to) == -1 || r.code / 100 != 2) {
        if (r.code)
            said(last, sizeof last, &r);
        else
            set_last("%s [%s]: no greeting", host, c.ip);
        close(c.fd);
        return NEXT;
    }
    if (ehlo(&c, &eh) == -1) {
        set_last("%s [%s]: EHLO and HELO refused", host, c.ip);
        close(c.fd);
        return NEXT;
    }
    if (!c.tls && pol != ROUTE_TLS_NONE && !clear_only
        && (eh.ehlo & EHLO_STARTTLS)) {
        if (send_cmd(&c, "STARTTLS\r\n") == -1
            || get_reply(&c, &r, reply_to) == -1 || r.code != 220) {
            set_last("%s [%s]: STARTTLS refused", host, c.ip);
            close(c.fd);
            return pol == ROUTE_TLS_MAY ? attempt(sa, salen, host, rt, pol, 1)
                                        : NEXT;
        }
        /* Whatever the server sent after its 220 is dropped unread: it
         * must never count as coming through TLS. */
        c.rpos = c.rlen = 0;
        if (pol == ROUTE_TLS_VERIFY && !need_anchors()) {
            set_last("%s: no CA bundle to verify with", host, NULL);
            close(c.fd);
            return NEXT;
        }
        if (tlsclient_start(&c.t, c.fd, host[0] == '[' ? NULL : host,
                &anchors, pol == ROUTE_TLS_VERIFY,
                loop_now() + reply_to * 1000LL, &why)
            == -1) {
            set_last("%s: %s", host, why);
            close(c.fd);
            log_info("tls failed host=%s ip=%s why=\"%s\"", host, c.ip, why);
            /* RFC 7435: encrypting failed, clear text is still better
             * than nothing when nothing more was asked. */
            return pol == ROUTE_TLS_MAY ? attempt(sa, salen, host, rt, pol, 1)
                                        : NEXT;
        }
        c.tls = 1;
        if (ehlo(&c, &eh) == -1) {
            set_last("%s [%s]: EHLO refused after STARTTLS", host, c.ip);
            close(c.fd);
            return NEXT;
        }
    }
    if (!c.tls && (pol == ROUTE_TLS_ENCRYPT || pol == ROUTE_TLS_VERIFY)) {
        set_last(ndane ? "%s [%s]: TLSA records published (DANE) but "
                         "STARTTLS not offered"
                       : "%s [%s]: TLS is required by the policy but not "
                         "offered",
            host, c.ip);
        send_cmd(&c, "QUIT\r\n");
        close(c.fd);
        return NEXT;
    }
    if (rt != NULL && rt->user[0] && do_auth(&c, rt, eh.ehlo) == -1) {
        send_cmd(&c, "QUIT\r\n");
        close(c.fd);
        return NEXT;
    }
    res = transaction(&c, &eh, 0);
    if (res == DONE && reuse) {
        /* kept for queue-run's next message to this domain */
        c.open = 1;
        c.eh = eh;
        return res;
    }
    hang_up(res == DONE);
    return res;
}

/* All addresses of host (a name or an address literal). */
/* The usable TLSA records of host:port when the answer is validated (AD)
 * into dane[].  0, or -1 when the lookup failed temporarily: the host is
 * then unusable (RFC 7672 2.2). */
static int
lookup_dane(struct dns *d, const char *host, unsigned port)
{
    static struct dns_answer ans;
    char name[DNSNAME_MAX + 16];
    size_t i;
    int st;

    ndane = 0;
    if ((size_t)snprintf(name, sizeof name, "_%u._tcp.%s", port, host)
        >= sizeof name)
        return 0;
    st = dns_query(d, name, DNS_T_TLSA, &ans);
    if (st == DNS_TEMP) {
        set_last("%s: TLSA lookup failed (DANE), host not used", host, NULL);
        return -1;
    }
    if (st != DNS_OK || !ans.ad)
        return 0; /* none, or not validated: no DANE */
    for (i = 0; i < ans.n; i++)
        if (dane_usable(&ans.u.tlsa[i]))
            dane[ndane++] = ans.u.tlsa[i];
    return 0;
}

static enum attempt
try_host(struct dns *d, const char *host, unsigned port,
    const struct route *rt, enum route_tls pol, int mxsecure)
{
    static struct dns_answer ans;
    static const enum dns_type types[2] = { DNS_T_AAAA, DNS_T_A };
    int t;
    size_t i;

    ndane = 0;
    /* DANE only where the MX answer itself was validated. */
    if (mxsecure && host[0] != '[' && lookup_dane(d, host, port) == -1)
        return NEXT;

    if (host[0] == '[') {
        struct sockaddr_storage ss;
        unsigned char a[16];
        char lit[64];
        size_t n = strlen(host);
        int v6;
        snprintf(lit, sizeof lit, "%.*s", (int)(n - 2), host + 1);
        v6 = strncmp(lit, "IPv6:", 5) == 0;
        if (inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? lit + 5 : lit, a) != 1)
            return NEXT;
        return attempt((struct sockaddr *)&ss,
            sockaddr_of(&ss, v6 ? AF_INET6 : AF_INET, a, port), host, rt,
            pol, 0);
    }
    for (t = 0; t < 2; t++) {
        int st = dns_query(d, host, types[t], &ans);
        if (st == DNS_TEMP) {
            set_last("cannot resolve %s (DNS temporary failure)", host, NULL);
            continue;
        }
        if (st != DNS_OK)
            continue;
        for (i = 0; i < ans.n; i++) {
            struct sockaddr_storage ss;
            socklen_t len = sockaddr_of(&ss,
                types[t] == DNS_T_AAAA ? AF_INET6 : AF_INET, ans.u.a[i], port);
            if (attempt((struct sockaddr *)&ss, len, host, rt, pol, 0) == DONE)
                return DONE;
        }
    }
    return NEXT;
}

/* ---- MTA-STS (RFC 8461) ---- */

#define STS_HTTP_MAX (MTASTS_POLICY_MAX + 16384)
static int stsdir = -1; /* <statedir>/mta-sts: the policy cache */

/* Fetch https://mta-sts.DOMAIN/.well-known/mta-sts.txt (certificate
 * verified, no redirects) into body.  0, or -1. */
static int
sts_fetch(struct dns *d, const char *domain, char *body, size_t *blen)
{
    static struct tlsclient t;
    static struct dns_answer a;
    static char resp[STS_HTTP_MAX + 1];
    static const enum dns_type types[2] = { DNS_T_AAAA, DNS_T_A };
    char host[DNSNAME_MAX + 16], req[DNSNAME_MAX + 160];
    const char *why, *hdr_end, *ct;
    size_t got = 0, i;
    int fd = -1, k;

    if (!need_anchors())
        return -1;
    snprintf(host, sizeof host, "mta-sts.%s", domain);
    for (k = 0; k < 2 && fd == -1; k++) {
        if (dns_query(d, host, types[k], &a) != DNS_OK)
            continue;
        for (i = 0; i < a.n && fd == -1; i++) {
            struct sockaddr_storage ss;
            socklen_t len = sockaddr_of(&ss,
                types[k] == DNS_T_AAAA ? AF_INET6 : AF_INET, a.u.a[i], 443);
            fd = tcp_connect((struct sockaddr *)&ss, len);
        }
    }
    if (fd == -1)
        return -1;
    memset(&t, 0, sizeof t);
    if (tlsclient_start(&t, fd, host, &anchors, 1,
            loop_now() + reply_to * 1000LL, &why) == -1) {
        log_info("mta-sts fetch failed host=%s why=\"%s\"", host, why);
        close(fd);
        return -1;
    }
    snprintf(req, sizeof req, "GET /.well-known/mta-sts.txt HTTP/1.0\r\n"
             "Host: %s\r\nUser-Agent: facteur\r\n\r\n", host);
    if (tlsclient_write(&t, req, strlen(req)) == -1) {
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t r = tlsclient_read(&t, resp + got, STS_HTTP_MAX - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got == STS_HTTP_MAX)
            break;
    }
    close(fd);
    resp[got] = 0;
    /* HTTP/1.x 200, text/plain, no redirect followed (RFC 8461 3.3). */
    hdr_end = strstr(resp, "\r\n\r\n");
    if (got < 12 || strncmp(resp, "HTTP/1.", 7) != 0
        || strncmp(resp + 8, " 200", 4) != 0 || hdr_end == NULL)
        return -1;
    for (ct = resp; ct != NULL && ct < hdr_end; ct = strstr(ct, "\r\n")) {
        ct += 2;
        if (strncasecmp(ct, "Content-Type:", 13) == 0) {
            const char *v = ct + 13;
            while (*v == ' ')
                v++;
            if (strncasecmp(v, "text/plain", 10) != 0)
                return -1;
            break;
        }
    }
    *blen = got - (size_t)(hdr_end + 4 - resp);
    if (*blen > MTASTS_POLICY_MAX)
        return -1;
    memcpy(body, hdr_end + 4, *blen);
    return 0;
}

/* The cached policy of domain: 1 (id, expiry, text), else 0. */
static int
sts_cache_get(const char *domain, char *id, int64_t *expires, char *text,
    size_t *tlen)
{
    static char buf[MTASTS_POLICY_MAX + 128];
    long long e;
    ssize_t n;
    char *nl;
    int fd;

    if (stsdir == -1)
        return 0;
    fd = openat(stsdir, domain, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    nl = strchr(buf, '\n');
    if (nl == NULL || sscanf(buf, "%32s %lld", id, &e) != 2)
        return 0;
    *expires = e;
    *tlen = (size_t)(buf + n - (nl + 1));
    memcpy(text, nl + 1, *tlen);
    return 1;
}

static void
sts_cache_put(const char *domain, const char *id, int64_t expires,
    const char *text, size_t tlen)
{
    char tmp[DNSNAME_MAX + 16], head[MTASTS_ID_MAX + 32];
    int fd;

    if (stsdir == -1)
        return;
    snprintf(tmp, sizeof tmp, ".%s.%ld", domain, (long)getpid());
    fd = openat(stsdir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1)
        return;
    snprintf(head, sizeof head, "%s %lld\n", id, (long long)expires);
    if (fd_write_all(fd, head, strlen(head), -1) == -1
        || fd_write_all(fd, text, tlen, -1) == -1 || fsync(fd) == -1) {
        close(fd);
        unlinkat(stsdir, tmp, 0);
        return;
    }
    close(fd);
    if (renameat(stsdir, tmp, stsdir, domain) == -1)
        unlinkat(stsdir, tmp, 0);
}

/* The MTA-STS policy in force for domain: 1 (in *pol), or 0 none. */
static int
sts_policy(struct dns *d, const char *domain, struct mtasts_policy *pol)
{
    static struct dns_answer a;
    static char text[MTASTS_POLICY_MAX + 1], fresh[MTASTS_POLICY_MAX + 1];
    char name[DNSNAME_MAX + 16], id[MTASTS_ID_MAX + 1] = "";
    char cid[MTASTS_ID_MAX + 1] = "";
    int64_t now = (int64_t)time(NULL), expires = 0;
    size_t tlen = 0, flen, i, nsts = 0;
    int st, cached;

    snprintf(name, sizeof name, "_mta-sts.%s", domain);
    st = dns_query(d, name, DNS_T_TXT, &a);
    if (st == DNS_OK)
        for (i = 0; i < a.n; i++) {
            char one[MTASTS_ID_MAX + 1];
            if (mtasts_txt(a.txt[i], a.txtlen[i], one) == 0) {
                memcpy(id, one, sizeof one);
                nsts++;
            }
        }
    if (nsts != 1)
        id[0] = 0; /* none, or several: no (new) policy announced */
    cached = sts_cache_get(domain, cid, &expires, text, &tlen)
        && expires > now;
    if (id[0] && !(cached && strcmp(id, cid) == 0)) {
        /* Announced and not (or not this version) in the cache. */
        if (sts_fetch(d, domain, fresh, &flen) == 0
            && mtasts_parse(fresh, flen, pol) == 0) {
            sts_cache_put(domain, id, now + (int64_t)pol->max_age, fresh,
                flen);
            log_info("mta-sts domain=%s id=%s mode=%s fetched", domain, id,
                pol->mode == MTASTS_ENFORCE ? "enforce"
                    : pol->mode == MTASTS_TESTING ? "testing" : "none");
            return pol->mode != MTASTS_NONE;
        }
        log_info("mta-sts domain=%s id=%s: cannot fetch the policy%s",
            domain, id, cached ? ", the cached one applies" : "");
    }
    /* RFC 8461 5.1: an unexpired cached policy applies even when the
     * record is gone or the fetch failed. */
    if (cached && mtasts_parse(text, tlen, pol) == 0)
        return pol->mode != MTASTS_NONE;
    return 0;
}

/* The route for domain, or "*"; 1 found, 0 none, -1 unreadable. */
static int
find_route(const char *domain, struct route *rt)
{
    char path[4096];
    struct sa v = SA_INIT(ROUTE_TEXT_MAX * 2);
    struct cdbq q;
    const char *why;
    int r;

    snprintf(path, sizeof path, "%s/routes.cdb", conf_dir());
    if (cdbq_open(&q, path) == -1)
        return errno == ENOENT ? 0 : -1;
    r = cdbq_find(&q, domain, strlen(domain), &v);
    if (r == 0)
        r = cdbq_find(&q, "*", 1, &v);
    cdbq_close(&q);
    if (r == 1 && route_parse_value(rt, v.s, v.len, &why) == -1) {
        log_warn("bad route for %s: %s", domain, why);
        r = -1;
    }
    sa_wipe(&v);
    return r;
}

static void
report(void)
{
    char line[RREPORT_TEXT_MAX + 64];
    size_t i, ok = 0, perm = 0;

    for (i = 0; i < nrcpt; i++) {
        if (rcpts[i].code == 0) {
            rcpts[i].code = 'T';
            snprintf(rcpts[i].text, sizeof rcpts[i].text, "%s", last);
        }
        ok += rcpts[i].code == 'A';
        perm += rcpts[i].code == 'P';
        rreport_line(line, sizeof line, (long)i, rcpts[i].code, rcpts[i].text);
        if (fd_write_all(1, line, strlen(line), -1) == -1)
            exit(EXIT_TEMP);
    }
    rreport_line(line, sizeof line, -1,
        ok == nrcpt ? 'A' : perm == nrcpt ? 'P' : 'T', ok == nrcpt ? "sent"
            : last);
    if (fd_write_all(1, line, strlen(line), -1) == -1)
        exit(EXIT_TEMP);
}

/* The message on fd 0 (a file): its size, and whether it has 8-bit
 * bytes.  0 or -1. */
static int
take_message(void)
{
    unsigned char b[16384];
    struct stat st;
    ssize_t n;

    if (fstat(0, &st) == -1 || !S_ISREG(st.st_mode))
        return -1;
    msgsize = (uint64_t)st.st_size;
    msg8bit = 0;
    while (!msg8bit && (n = read(0, b, sizeof b)) > 0)
        for (ssize_t k = 0; k < n; k++)
            if (b[k] >= 0x80)
                msg8bit = 1;
    return 0;
}

/*
 * The next message queue-run gives this process (fd 3, a SOCK_SEQPACKET
 * socket): one record "<domain>\0<sender>\0<rcpt>\0..." with the
 * message file's descriptor (SCM_RIGHTS).  The domain must be this
 * process's: a connection serves one destination.  1 (fd 0, SENDER and
 * rcpts[] are the new message's), or 0: queue-run closed its end, nothing
 * came within REUSE_WAIT, or the record is not one (queue-run then finds
 * no report and retries the message later).
 */
static int
next_job(const char *domain)
{
    static char buf[REUSE_JOB_MAX + 1];
    struct rcpt *nr;
    size_t n, i, k, cnt;
    ssize_t got;
    int fd;

    if (fd_wait(3, POLLIN, loop_now() + REUSE_WAIT * 1000LL) == -1)
        return 0;
    got = fdpass_recv(3, buf, REUSE_JOB_MAX, &fd);
    if (got <= 0 || buf[got - 1] != 0) {
        if (got > 0)
            close(fd);
        return 0;
    }
    n = (size_t)got;
    /* fields: the domain, the sender, then at least one recipient */
    for (i = 0, cnt = 0; i < n; i++)
        cnt += buf[i] == 0;
    if (cnt < 3 || cnt - 2 > REMOTE_RCPT_MAX || strcmp(buf, domain) != 0
        || dup2(fd, 0) == -1) {
        close(fd);
        return 0;
    }
    close(fd);
    i = strlen(buf) + 1;
    if (addr_parse(buf + i, strlen(buf + i), 1, &sender) == -1)
        return 0;
    i += strlen(buf + i) + 1;
    nr = realloc(rcpts, (cnt - 2) * sizeof *rcpts);
    if (nr == NULL)
        return 0;
    rcpts = nr;
    nrcpt = cnt - 2;
    memset(rcpts, 0, nrcpt * sizeof *rcpts);
    for (k = 0; k < nrcpt; k++) {
        if (addr_parse(buf + i, strlen(buf + i), 0, &rcpts[k].a) == -1)
            return 0;
        i += strlen(buf + i) + 1;
    }
    if (take_message() == -1)
        return 0;
    set_last("no host could be reached", NULL, NULL);
    return 1;
}

/* The next message on the connection kept open: not when the server
 * spoke meanwhile (a 421 as it times the connection out) or closed it;
 * RSET first unless the last transaction ended cleanly (with DATA's
 * reply). */
static enum attempt
again(void)
{
    struct smtpreply r;
    struct pollfd p;

    p.fd = c.fd;
    p.events = POLLIN;
    if (c.rpos < c.rlen || poll(&p, 1, 0) != 0)
        return NEXT;
    if (!c.clean && (send_cmd(&c, "RSET\r\n") == -1
                        || get_reply(&c, &r, reply_to) == -1
                        || r.code / 100 != 2))
        return NEXT;
    if (transaction(&c, &c.eh, 1) == NEXT)
        return NEXT;
    return DONE;
}

/* One message (the recipients in rcpts[]) to domain: by its route, else
 * its MX hosts.  The results are in rcpts[] and last. */
static void
deliver(struct dns *d, int have_dns, int have_route, const struct route *rt,
    const char *domain)
{
    static struct dns_answer mx;
    enum route_tls pol = ROUTE_TLS_MAY;
    int dq;

    if (have_route == -1)
        return;
    if (have_route) {
        pol = rt->tls;
        if (pol == ROUTE_TLS_VERIFY && !need_anchors())
            set_last("no CA bundle (%.300s) to verify with", cafile, NULL);
        else if (!have_dns && rt->host[0] != '[')
            set_last("no usable DNS resolver", NULL, NULL);
        else
            try_host(d, rt->host, rt->port, rt, pol, 0);
        return;
    }
    if (!have_dns) {
        set_last("no usable DNS resolver", NULL, NULL);
        return;
    }
    dq = dns_query(d, domain, DNS_T_MX, &mx);
    if (dq == DNS_TEMP) {
        set_last("DNS temporary failure looking up the MX of %s", domain,
            NULL);
    } else if (dq == DNS_NXDOMAIN) {
        set_last("5.1.2 the domain %s does not exist", domain, NULL);
        set_all('P', last, 1);
    } else if (dq == DNS_OK && mx.n == 1 && mx.u.mx[0].host[0] == 0) {
        set_last("5.1.10 %s accepts no mail (null MX, RFC 7505)", domain,
            NULL);
        set_all('P', last, 1);
    } else if (dq == DNS_NODATA) {
        /* no MX: the domain itself */
        try_host(d, domain, mxport, NULL, pol, mx.ad);
    } else {
        static struct mtasts_policy sts;
        int enforce;
        size_t k, n = mx.n;
        /* RFC 5321 5.1: when this host is one of the MX hosts (a backup
         * MX: smtpd's backupmx), only the better ones are tried, never
         * itself nor a peer of the same preference (the MX list is in
         * preference order). */
        for (k = 0; k < mx.n; k++)
            if (strcmp(mx.u.mx[k].host, hostname) == 0) {
                while (n > 0 && mx.u.mx[n - 1].pref >= mx.u.mx[k].pref)
                    n--;
                break;
            }
        if (n == 0) {
            set_last("4.4.6 mail for %s loops back to myself (%s is its "
                     "best MX: make it a local domain, or fix its MX)",
                domain, hostname);
            return;
        }
        enforce = sts_policy(d, domain, &sts) && sts.mode == MTASTS_ENFORCE;
        for (k = 0; k < n; k++) {
            const char *h = mx.u.mx[k].host;
            if (h[0] == 0)
                continue;
            if (enforce && !mtasts_mx_ok(&sts, h)) {
                set_last("MX host %s is not allowed by the MTA-STS policy "
                         "of %s", h, domain);
                continue;
            }
            /* MTA-STS enforce: TLS with a certificate valid for the MX
             * name (DANE, when published, decides instead). */
            if (try_host(d, h, mxport, NULL,
                    enforce ? ROUTE_TLS_VERIFY : pol, mx.ad) == DONE)
                break;
        }
    }
}

int
main(int argc, char **argv)
{
    struct route rt;
    struct dns d;
    struct stat st;
    char domain[DNSNAME_MAX + 1];
    const char *s = getenv("SENDER");
    int i, have_route, have_dns;

    log_init("remote-send");
    signal(SIGPIPE, SIG_IGN);
    if (argc < 3 || (size_t)(argc - 2) > REMOTE_RCPT_MAX)
        log_die(EXIT_PERM, "usage: remote-send domain rcpt... < message");
    if (dnsname_canon(domain, sizeof domain, argv[1], strlen(argv[1])) == -1
        && !(argv[1][0] == '[' && strlen(argv[1]) < sizeof domain
             && strcpy(domain, argv[1])))
        log_die(EXIT_PERM, "not a domain: %s", argv[1]);
    if (addr_parse(s ? s : "", s ? strlen(s) : 0, 1, &sender) == -1)
        log_die(EXIT_PERM, "bad SENDER");
    nrcpt = (size_t)(argc - 2);
    rcpts = calloc(nrcpt, sizeof *rcpts);
    if (rcpts == NULL)
        log_die(EXIT_TEMP, "out of memory");
    for (i = 2; i < argc; i++)
        if (addr_parse(argv[i], strlen(argv[i]), 0, &rcpts[i - 2].a) == -1)
            log_die(EXIT_PERM, "bad recipient: %s", argv[i]);
    if (take_message() == -1)
        log_die(EXIT_TEMP, "the message on fd 0 must be a file");
    /* queue-run's offer of more messages: fd 3, said so in REMOTE_REUSE
     * (an fd 3 inherited by chance must not be read) */
    reuse = getenv("REMOTE_REUSE") != NULL && fstat(3, &st) == 0
        && S_ISSOCK(st.st_mode);
    connect_to = (int)conf_env_num("REMOTE_CONNECT_TIMEOUT", CONNECT_TIMEOUT,
        1, 86400);
    reply_to = (int)conf_env_num("REMOTE_TIMEOUT", REPLY_TIMEOUT, 1, 86400);
    data_to = (int)conf_env_num("REMOTE_DATA_TIMEOUT", DATA_TIMEOUT, 1, 86400);
    mxport = (unsigned)conf_env_num("REMOTE_SMTP_PORT", 25, 1, 65535);
    if (conf_hostname(hostname, sizeof hostname) == -1)
        snprintf(hostname, sizeof hostname, "localhost");
    if (conf_line("cafile", cafile, sizeof cafile) != 1)
        snprintf(cafile, sizeof cafile, "%s", TLSCLIENT_CA_DEFAULT);
    if (tlsclient_bundle(cafile, &bundle, &bundlelen) == -1)
        bundle = NULL; /* verification will say so, when asked for */

    have_dns = dns_init(&d) == 0;
    memset(&rt, 0, sizeof rt);
    have_route = find_route(domain, &rt);
    /* The MTA-STS cache, made writable for the user we become. */
    {
        char sd[4096], dir[4200];
        uid_t u;
        gid_t g;
        conf_statedir(sd, sizeof sd);
        snprintf(dir, sizeof dir, "%s/mta-sts", sd);
        if (mkdir(dir, 0700) == 0 && priv_resolve("remoteuser",
                "facteur-smtpd", &u, &g) == 1 && chown(dir, u, g) == -1)
            log_warn("cannot chown %s: %s", dir, strerror(errno));
        stsdir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    /* Routes (with passwords) and anchors are read: from here on, the
     * network is spoken to as an unprivileged user. */
    if (priv_become("remoteuser", "facteur-smtpd") == -1) {
        route_wipe(&rt);
        log_die(EXIT_TEMP, "cannot drop privileges: %s", strerror(errno));
    }
    if (have_route == -1)
        set_last("cannot read routes.cdb", NULL, NULL);
    deliver(&d, have_dns, have_route, &rt, domain);
    report();
    /* More messages to the same domain, while queue-run has them: on the
     * connection kept open when it is still in step, else afresh. */
    while (reuse && next_job(domain) == 1) {
        if (have_route == -1)
            set_last("cannot read routes.cdb", NULL, NULL);
        else if (!c.open || again() == NEXT) {
            if (c.open)
                hang_up(0);
            deliver(&d, have_dns, have_route, &rt, domain);
        }
        report();
    }
    if (c.open)
        hang_up(1);
    route_wipe(&rt);
    return 0;
}
