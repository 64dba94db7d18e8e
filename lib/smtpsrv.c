/* smtpsrv.c - the SMTP server state machine (see smtpsrv.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "loop.h"
#include "maildate.h"
#include "qspawn.h"
#include "smtpdata.h"
#include "smtpsrv.h"

#define IN_MAX 65536
#define OUT_MAX 16384

static unsigned char inmem[IN_MAX], outmem[OUT_MAX];
/* smtpdata_feed writes at most one byte more than it reads. */
static unsigned char datamem[IN_MAX + 1];

enum end { END_NONE, END_QUIT, END_EOF, END_TIMEOUT, END_ERRORS, END_IO };
static const char *const endname[] = { "", "quit", "eof", "timeout",
    "errors", "io" };

static int64_t
deadline(const struct smtpsrv *s, int secs)
{
    int64_t d = loop_now() + (int64_t)secs * 1000;

    return d < s->session_deadline ? d : s->session_deadline;
}

void
smtpsrv_reply(struct smtpsrv *s, const char *line)
{
    (void)(buf_puts(&s->out, line) == -1 || buf_put(&s->out, "\r\n", 2));
}

static void msg_abort(void);

void
smtpsrv_reset(struct smtpsrv *s)
{
    msg_abort();
    s->in_mail = 0;
    memset(&s->mail, 0, sizeof s->mail);
    envelope_free(&s->env);
    memset(&s->env, 0, sizeof s->env);
}

/* Flush the replies when the client has sent nothing more (PIPELINING:
 * one write for a batch of commands), then read one line.
 * 1 a line (CRLF stripped), 0 end of file, -1 too long, -2 timeout or
 * error. */
static int
readline(struct smtpsrv *s, char *line, size_t max, size_t *len)
{
    int r;

    s->in.deadline = s->out.deadline = deadline(s, s->cmd_timeout);
    if (buf_unread(&s->in) == 0 && buf_flush(&s->out) == -1)
        return -2;
    r = buf_getline(&s->in, line, max, len);
    if (r == 1) {
        if (*len > 0 && line[*len - 1] == '\n')
            line[--*len] = 0;
        if (*len > 0 && line[*len - 1] == '\r')
            line[--*len] = 0;
        return 1;
    }
    if (r == 0 || (r == -1 && errno == EPROTO))
        return 0;
    if (r == -1 && errno == ERANGE)
        return -1;
    return -2;
}

int
smtpsrv_getline(struct smtpsrv *s, char *line, size_t max, size_t *len)
{
    int r = readline(s, line, max, len);

    return r == -2 ? 0 : r;
}

static void
ehlo(struct smtpsrv *s)
{
    char line[300];
    const char *extra = s->pol->ehlo ? s->pol->ehlo(s) : NULL;

    snprintf(line, sizeof line, "250-%s", s->hostname);
    smtpsrv_reply(s, line);
    smtpsrv_reply(s, "250-PIPELINING");
    snprintf(line, sizeof line, "250-SIZE %llu",
        (unsigned long long)s->sizelimit);
    smtpsrv_reply(s, line);
    smtpsrv_reply(s, "250-8BITMIME");
    smtpsrv_reply(s, "250-SMTPUTF8");
    smtpsrv_reply(s, "250-CHUNKING");
    if (s->tls.ctlfd != -1 && !s->tls_on)
        smtpsrv_reply(s, "250-STARTTLS");
    if (extra != NULL) {
        snprintf(line, sizeof line, "250-%s", extra);
        smtpsrv_reply(s, line);
    }
    smtpsrv_reply(s, "250 ENHANCEDSTATUSCODES");
}

/* TLS facts into the fields the Received: line shows: "TLSv1.2" is
 * written "TLS1.2" (RFC 8314 style). */
static void
tls_facts(struct smtpsrv *s, const char *proto, const char *cipher)
{
    const char *v = proto ? proto : "TLS";

    if (strncmp(v, "TLSv", 4) == 0)
        snprintf(s->tls_version, sizeof s->tls_version, "TLS%s", v + 4);
    else
        snprintf(s->tls_version, sizeof s->tls_version, "%s", v);
    snprintf(s->tls_cipher, sizeof s->tls_cipher, "%s",
        cipher ? cipher : "unknown");
    /* They go into a header field: names only, whoever set them. */
    for (char *p = s->tls_version; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
            *p = '?';
    for (char *p = s->tls_cipher; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            *p = '?';
    s->tls_on = 1;
}

/* 0 go on, -1 the session is over (the handshake failed). */
static int
starttls(struct smtpsrv *s, const struct smtp_cmd *c)
{
    struct tlsfacts f;

    if (s->tls_on) {
        smtpsrv_reply(s, "503 5.5.1 TLS is already on");
        return 0;
    }
    if (s->tls.ctlfd == -1) {
        smtpsrv_reply(s, "502 5.5.1 STARTTLS is not available here");
        return 0;
    }
    if (c->arglen != 0) {
        smtpsrv_reply(s, "501 5.5.4 STARTTLS takes no argument");
        return 0;
    }
    smtpsrv_reply(s, "220 2.0.0 ready to start TLS");
    s->out.deadline = deadline(s, s->cmd_timeout);
    if (buf_flush(&s->out) == -1)
        return -1;
    if (ucspitls_starttls(&s->tls, &f, deadline(s, s->cmd_timeout))
        == -1) {
        log_info("starttls failed: %s", strerror(errno));
        return -1;
    }
    /* Fresh buffers on the TLS descriptors: whatever came in clear after
     * STARTTLS is gone, never read as if it came through TLS. */
    buf_discard(&s->in);
    buf_init(&s->in, s->tls.readfd, inmem, sizeof inmem);
    buf_init(&s->out, s->tls.writefd, outmem, sizeof outmem);
    tls_facts(s, tlsfacts_get(&f, "SSL_PROTOCOL"),
        tlsfacts_get(&f, "SSL_CIPHER"));
    s->helo[0] = 0;
    s->esmtp = 0;
    smtpsrv_reset(s);
    return 0;
}

static void
mail(struct smtpsrv *s, const struct smtp_cmd *c)
{
    struct smtp_path p;
    const char *why;

    if (s->helo[0] == 0) {
        smtpsrv_reply(s, "503 5.5.1 send HELO or EHLO first");
        return;
    }
    if (s->in_mail) {
        smtpsrv_reply(s, "503 5.5.1 a transaction is already open (RSET)");
        return;
    }
    if (smtpcmd_path(c->arg, c->arglen, 1, &p, &why) == -1) {
        s->bad++;
        smtpsrv_reply(s, why);
        return;
    }
    if (!s->esmtp && (p.has_size || p.body8 || p.smtputf8)) {
        smtpsrv_reply(s, "555 5.5.4 parameters need EHLO");
        return;
    }
    if (p.has_size && p.size > s->sizelimit) {
        smtpsrv_reply(s, "552 5.3.4 message too large for this server");
        return;
    }
    if (p.nonascii && !p.smtputf8) {
        smtpsrv_reply(s, "553 5.6.7 a UTF-8 address needs SMTPUTF8");
        return;
    }
    if ((why = s->pol->mail(s, &p)) != NULL) {
        smtpsrv_reply(s, why);
        return;
    }
    smtpsrv_reset(s);
    s->mail = p;
    s->env.sender = p.a;
    s->in_mail = 1;
    smtpsrv_reply(s, "250 2.1.0 sender ok");
}

static void
rcpt(struct smtpsrv *s, const struct smtp_cmd *c)
{
    struct smtp_path p;
    struct addr to;
    const char *why;
    size_t i;

    if (!s->in_mail) {
        smtpsrv_reply(s, "503 5.5.1 send MAIL first");
        return;
    }
    if (smtpcmd_path(c->arg, c->arglen, 0, &p, &why) == -1) {
        s->bad++;
        smtpsrv_reply(s, why);
        return;
    }
    if (p.nonascii && !s->mail.smtputf8) {
        smtpsrv_reply(s, "553 5.6.7 a UTF-8 address needs SMTPUTF8");
        return;
    }
    if (s->env.nrcpt >= SMTPSRV_RCPT_MAX) {
        smtpsrv_reply(s, "452 4.5.3 too many recipients");
        return;
    }
    memset(&to, 0, sizeof to);
    if ((why = s->pol->rcpt(s, &p, &to)) != NULL) {
        smtpsrv_reply(s, why);
        return;
    }
    for (i = 0; i < s->env.nrcpt; i++)
        if (strcmp(s->env.rcpt[i].full, to.full) == 0)
            break;
    if (i == s->env.nrcpt && envelope_add_rcpt(&s->env, &to) == -1) {
        smtpsrv_reply(s, "452 4.3.0 out of memory");
        return;
    }
    smtpsrv_reply(s, "250 2.1.5 recipient ok");
}

/* A header field's first line: a name of printable ASCII but ':', then
 * ':'.  A continuation starts with a space or tab. */
static int
header_line(const char *p, size_t n)
{
    size_t i;

    if (n > 0 && (p[0] == ' ' || p[0] == '\t'))
        return 1;
    for (i = 0; i < n && p[i] != ':'; i++)
        if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
            return 0;
    return i > 0 && i < n;
}

struct msg {
    struct sa hdr;     /* the header section while it is read */
    size_t scanned;    /* bytes of hdr looked at */
    size_t hdrlen;     /* length of the header section once found */
    int in_header;
    unsigned hops;
    uint64_t size;
    const char *why;   /* the message will be refused: the reply */
    struct qspawn q;
    int qfail;         /* writing to the queue program failed */
    struct smtpdata d; /* DATA's state machine, or BDAT's checks */
};

/* Look at the complete lines of the header section read so far; 1 when
 * it has ended (m->hdrlen set). */
static int
scan_header(struct msg *m)
{
    for (;;) {
        const char *p = m->hdr.s + m->scanned;
        size_t left = m->hdr.len - m->scanned, n;
        const char *eol = left ? memchr(p, '\n', left) : NULL;
        if (eol == NULL)
            return 0;
        n = (size_t)(eol - p) + 1;
        if (n <= 2 || !header_line(p, n)) {
            m->hdrlen = m->scanned; /* this line starts the body */
            return 1;
        }
        if (n > 9 && strncasecmp(p, "Received:", 9) == 0)
            m->hops++;
        m->scanned += n;
    }
}

static void
qwrite(const struct smtpsrv *s, struct msg *m, const void *p, size_t n)
{
    if (m->qfail || m->why || n == 0)
        return;
    if (fd_write_all(m->q.msgfd, p, n, deadline(s, s->data_timeout))
        == -1)
        m->qfail = 1;
}

/* The header section is complete: check it, then queue our Received:
 * line, the header and what was read of the body. */
static void
header_done(struct smtpsrv *s, struct msg *m)
{
    struct sa h = SA_INIT(SMTPSRV_HEADER_MAX + 4096);
    char rcv[2048], date[MAILDATE_MAX], with[300], from[600];
    const char *why;

    m->in_header = 0;
    if (m->why)
        goto out;
    if (m->hops > SMTPSRV_HOPS_MAX) {
        m->why = "554 5.4.6 too many Received: fields: a mail loop";
        goto out;
    }
    if (sa_append(&h, m->hdr.s, m->hdrlen) == -1) {
        m->why = "552 5.3.4 header section too large";
        goto out;
    }
    if (s->pol->header != NULL && (why = s->pol->header(s, &h)) != NULL) {
        m->why = why;
        goto out;
    }
    maildate(date, sizeof date, time(NULL));
    snprintf(with, sizeof with, "%sSMTP%s%s", s->esmtp ? "E" : "",
        s->tls_on ? "S" : "", s->authenticated ? "A" : "");
    if (s->ci.remotehost[0])
        snprintf(from, sizeof from, "%s (%s [%s])", s->helo,
            s->ci.remotehost, s->ci.remoteip);
    else
        snprintf(from, sizeof from, "%s ([%s])", s->helo, s->ci.remoteip);
    snprintf(rcv, sizeof rcv,
        "Received: %s%s%sby %s (facteur %s) with %s%s%s%s%s%s\r\n"
        "\tid %s.%u%s%s%s; %s\r\n",
        s->received_private ? "" : "from ", s->received_private ? "" : from,
        s->received_private ? "" : "\r\n\t", s->hostname, s->service, with, s->tls_on ? " (" : "",
        s->tls_on ? s->tls_version : "", s->tls_on ? ":" : "",
        s->tls_on ? s->tls_cipher : "", s->tls_on ? ")" : "", log_sid(),
        s->nmsg + 1, s->env.nrcpt == 1 ? "\r\n\tfor <" : "",
        s->env.nrcpt == 1 ? s->env.rcpt[0].full : "",
        s->env.nrcpt == 1 ? ">" : "", date);
    qwrite(s, m, rcv, strlen(rcv));
    qwrite(s, m, h.s, h.len);
    qwrite(s, m, m->hdr.s + m->hdrlen, m->hdr.len - m->hdrlen);
out:
    sa_wipe(&h);
    sa_free(&m->hdr);
}

/* The message of the transaction in progress (one session a process). */
static struct msg cur;
static int cur_open;

/* Start the message: the queue program.  0, or -1 (replied). */
static int
msg_begin(struct smtpsrv *s)
{
    memset(&cur, 0, sizeof cur);
    cur.hdr = (struct sa)SA_INIT(SMTPSRV_HEADER_MAX);
    cur.in_header = 1;
    smtpdata_init(&cur.d);
    /* the HELO name and the client's address, for a queue filter's
     * checks (mail-auth: SPF), whether tcpserver or systemd started us */
    if (setenv("FACTEUR_HELO", s->helo, 1) == -1
        || setenv("FACTEUR_CLIENT_IP", s->ci.remoteip, 1) == -1
        || qspawn_start(&cur.q, s->argv0) == -1) {
        log_warn("cannot start the queue program: %s", strerror(errno));
        smtpsrv_reply(s, "451 4.3.0 queue unavailable, try again later");
        return -1;
    }
    cur_open = 1;
    return 0;
}

/* n bytes of the message (unstuffed, checked into cur.d's flags). */
static void
msg_feed(struct smtpsrv *s, const unsigned char *p, size_t n)
{
    cur.size += n;
    if (cur.size > s->sizelimit && cur.why == NULL)
        cur.why = "552 5.3.4 message too large for this server";
    if (cur.in_header) {
        if (cur.why == NULL && sa_append(&cur.hdr, p, n) == -1)
            cur.why = "552 5.3.4 header section too large";
        if (cur.why != NULL || scan_header(&cur))
            header_done(s, &cur);
    } else {
        qwrite(s, &cur, p, n);
    }
}

/* Drop the message: nothing is queued. */
static void
msg_abort(void)
{
    if (!cur_open)
        return;
    qspawn_finish(&cur.q, NULL, -1);
    sa_free(&cur.hdr);
    cur_open = 0;
}

/* The message is complete: queue it (or refuse it), reply, log, and end
 * the transaction. */
static void
msg_end(struct smtpsrv *s)
{
    struct sa env = SA_INIT(ENVELOPE_MAX);
    const char *reply;
    char line[600], sender[ADDR_MAX * 4 + 8];
    unsigned f = cur.d.flags;
    int code;

    if (cur.in_header) {
        cur.hdrlen = cur.hdr.len; /* a message that is all header */
        scan_header(&cur);
        header_done(s, &cur);
    }
    if (f & (SMTPDATA_BARE_LF | SMTPDATA_BARE_CR))
        cur.why = "554 5.6.0 message refused: a bare CR or LF (SMTP lines "
                  "end with CRLF)";
    else if (f & SMTPDATA_NUL)
        cur.why = "554 5.6.0 message refused: a NUL byte";
    else if (f & SMTPDATA_LONG_LINE && cur.why == NULL)
        cur.why = "554 5.6.0 message refused: a line longer than 1000 bytes";
    if (cur.why == NULL && envelope_encode(&s->env, &env) == -1)
        cur.why = "452 4.3.0 out of memory";
    /* a message not all written (qfail) is dropped, never queued cut */
    code = qspawn_finish(&cur.q, cur.why || cur.qfail ? NULL : &env,
        deadline(s, 60));
    cur_open = 0;
    if (cur.why != NULL)
        reply = cur.why;
    else if (code == 0 && !cur.qfail)
        reply = NULL;
    else if (code == 0 || code == -1)
        reply = "451 4.3.0 temporary queue failure, try again later";
    else
        reply = qspawn_reply(code);
    s->nmsg++;
    if (reply == NULL) {
        snprintf(line, sizeof line, "250 2.0.0 ok: queued as %s.%u",
            log_sid(), s->nmsg);
        smtpsrv_reply(s, line);
    } else {
        smtpsrv_reply(s, reply);
    }
    log_info("msg id=%s.%u from=<%s> nrcpt=%zu size=%llu result=\"%s\"",
        log_sid(), s->nmsg,
        log_escape(sender, sizeof sender, s->env.sender.full,
            strlen(s->env.sender.full)),
        s->env.nrcpt, (unsigned long long)cur.size, reply ? reply : "250");
    sa_free(&env);
    smtpsrv_reset(s);
}

/* Wait for more input during a message.  0, or -1: the session is over
 * (replied 421 on a timeout; the message is dropped). */
static int
msg_fill(struct smtpsrv *s)
{
    s->in.deadline = deadline(s, s->data_timeout);
    if (buf_fill(&s->in) > 0)
        return 0;
    log_info("message aborted: %s", s->in.deadline <= loop_now()
            ? "timeout" : "end of input");
    if (s->in.deadline <= loop_now())
        smtpsrv_reply(s, "421 4.4.2 timeout, closing");
    msg_abort();
    return -1;
}

/* 503/554 for DATA or BDAT without a transaction ready, or NULL. */
static const char *
not_ready(const struct smtpsrv *s)
{
    if (!s->in_mail)
        return "503 5.5.1 send MAIL first";
    if (s->env.nrcpt == 0)
        return "554 5.5.1 no valid recipients";
    return NULL;
}

/* DATA: 0 go on with the session, -1 it is over (end of file, timeout,
 * read error). */
static int
data(struct smtpsrv *s, const struct smtp_cmd *c)
{
    const char *why;

    if (c->arglen != 0) {
        smtpsrv_reply(s, "501 5.5.4 DATA takes no argument");
        return 0;
    }
    if (cur_open) {
        smtpsrv_reply(s, "503 5.5.1 BDAT already started this message");
        return 0;
    }
    if ((why = not_ready(s)) != NULL) {
        smtpsrv_reply(s, why);
        return 0;
    }
    if (msg_begin(s) == -1)
        return 0;
    smtpsrv_reply(s, "354 end data with <CR><LF>.<CR><LF>");
    s->out.deadline = deadline(s, s->cmd_timeout);
    if (buf_flush(&s->out) == -1) {
        msg_abort();
        return -1;
    }
    while (!cur.d.done) {
        size_t used, olen;
        if (s->in.pos == s->in.len && msg_fill(s) == -1)
            return -1;
        used = smtpdata_feed(&cur.d, s->in.p + s->in.pos,
            s->in.len - s->in.pos, datamem, &olen);
        s->in.pos += used;
        msg_feed(s, datamem, olen);
    }
    msg_end(s);
    return 0;
}

/* BDAT size [LAST] (RFC 3030): exactly size bytes follow the command,
 * whatever the reply, so they are read even when refused.  0 go on, -1
 * the session is over. */
static int
bdat(struct smtpsrv *s, const struct smtp_cmd *c)
{
    uint64_t size = 0, left;
    size_t i = 0;
    int last = 0;
    const char *why = NULL;

    while (i < c->arglen && c->arg[i] >= '0' && c->arg[i] <= '9' && i < 20)
        size = size * 10 + (uint64_t)(c->arg[i++] - '0');
    if (i > 0 && i < c->arglen && c->arg[i] == ' ' && c->arglen - i == 5
        && strncasecmp(c->arg + i + 1, "LAST", 4) == 0) {
        last = 1;
        i = c->arglen;
    }
    if (i == 0 || i != c->arglen) {
        /* Without a size the rest of the stream cannot be framed. */
        smtpsrv_reply(s, "501 5.5.4 syntax: BDAT size [LAST]; closing");
        return -1;
    }
    if (!cur_open && (why = not_ready(s)) == NULL && msg_begin(s) == -1)
        why = ""; /* replied */
    for (left = size; left > 0;) {
        size_t k;
        if (s->in.pos == s->in.len && msg_fill(s) == -1)
            return -1;
        k = s->in.len - s->in.pos;
        if (k > left)
            k = (size_t)left;
        if (why == NULL) {
            smtpdata_scan(&cur.d, s->in.p + s->in.pos, k);
            msg_feed(s, s->in.p + s->in.pos, k);
        }
        s->in.pos += k;
        left -= k;
    }
    if (why != NULL) {
        if (why[0])
            smtpsrv_reply(s, why);
        return 0;
    }
    if (cur.why != NULL && strncmp(cur.why, "552", 3) == 0) {
        /* Too large: no use reading more of it. */
        smtpsrv_reply(s, cur.why);
        msg_abort();
        smtpsrv_reset(s);
        return 0;
    }
    if (last) {
        smtpdata_scan_end(&cur.d);
        msg_end(s);
    } else {
        char line[80];
        snprintf(line, sizeof line, "250 2.0.0 %llu octets received",
            (unsigned long long)size);
        smtpsrv_reply(s, line);
    }
    return 0;
}

int
smtpsrv_run(struct smtpsrv *s)
{
    char line[SMTP_CMD_MAX + 1], helo[600];
    const char *p, *v;
    enum end end = END_NONE;
    struct smtp_cmd c;
    size_t len;
    int r;

    signal(SIGPIPE, SIG_IGN);
    memset(&s->env, 0, sizeof s->env);
    s->cmd_timeout = (int)conf_env_num("SMTP_TIMEOUT", SMTPSRV_CMD_TIMEOUT,
        1, SMTPSRV_TIMEOUT_MAX);
    s->data_timeout = (int)conf_env_num("SMTP_DATA_TIMEOUT",
        SMTPSRV_DATA_TIMEOUT, 1, SMTPSRV_TIMEOUT_MAX);
    s->session_timeout = (int)conf_env_num("SMTP_SESSION_TIMEOUT",
        SMTPSRV_SESSION_TIMEOUT, 1, SMTPSRV_TIMEOUT_MAX);
    s->session_deadline = loop_now() + s->session_timeout * 1000LL;
    buf_init(&s->in, 0, inmem, sizeof inmem);
    buf_init(&s->out, 1, outmem, sizeof outmem);
    if (ucspitls_init(&s->tls) == -1) {
        log_warn("malformed SSLCTLFD/SSLREADFD/SSLWRITEFD: no STARTTLS");
        s->tls.ctlfd = -1;
    }
    if (s->tls.ctlfd != -1) {
        /* Ours alone: the queue program must not inherit them. */
        fcntl(s->tls.ctlfd, F_SETFD, FD_CLOEXEC);
        fcntl(s->tls.readfd, F_SETFD, FD_CLOEXEC);
        fcntl(s->tls.writefd, F_SETFD, FD_CLOEXEC);
    }
    if ((p = getenv("SSL_PROTOCOL")) != NULL)
        tls_facts(s, p, getenv("SSL_CIPHER")); /* implicit TLS */
    s->out.deadline = deadline(s, s->cmd_timeout);
    if (s->busy != NULL) {
        size_t i;
        snprintf(line, sizeof line, "421 4.3.2 %s %.200s", s->hostname,
            s->busy);
        for (i = 0; line[i]; i++) /* it may come from tcprules */
            if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
                line[i] = '?';
        smtpsrv_reply(s, line);
        buf_flush(&s->out);
        log_info("session ip=%s refused=busy", s->ci.remoteip);
        return 0;
    }
    snprintf(line, sizeof line, "220 %s ESMTP facteur", s->hostname);
    smtpsrv_reply(s, line);

    while (end == END_NONE) {
        if (s->bad >= SMTPSRV_BAD_MAX) {
            smtpsrv_reply(s, "421 4.7.0 too many errors, closing");
            end = END_ERRORS;
            break;
        }
        r = readline(s, line, sizeof line, &len);
        if (r == 0) {
            end = END_EOF;
            break;
        }
        if (r == -2) {
            if (s->in.deadline <= loop_now()) {
                smtpsrv_reply(s, "421 4.4.2 timeout, closing");
                end = END_TIMEOUT;
            } else {
                end = END_IO;
            }
            break;
        }
        if (r == -1 || smtpcmd_split(line, len, &c) == -1) {
            s->bad++;
            smtpsrv_reply(s, r == -1 ? "500 5.5.2 line too long"
                                     : "500 5.5.2 invalid characters");
            continue;
        }
        switch (c.verb) {
        case SMTP_HELO:
        case SMTP_EHLO:
            if (smtpcmd_helo(c.arg, c.arglen) == -1) {
                s->bad++;
                smtpsrv_reply(s, "501 5.5.4 syntax: EHLO hostname");
                break;
            }
            smtpsrv_reset(s);
            memcpy(s->helo, c.arg, c.arglen);
            s->helo[c.arglen] = 0;
            s->esmtp = c.verb == SMTP_EHLO;
            if (s->esmtp) {
                ehlo(s);
            } else {
                snprintf(line, sizeof line, "250 %s", s->hostname);
                smtpsrv_reply(s, line);
            }
            break;
        case SMTP_STARTTLS:
            if (starttls(s, &c) == -1)
                end = END_IO;
            break;
        case SMTP_MAIL:
            mail(s, &c);
            break;
        case SMTP_RCPT:
            rcpt(s, &c);
            break;
        case SMTP_DATA:
            if (data(s, &c) == -1)
                end = END_IO;
            break;
        case SMTP_BDAT:
            if (bdat(s, &c) == -1)
                end = END_IO;
            break;
        case SMTP_RSET:
            smtpsrv_reset(s);
            smtpsrv_reply(s, "250 2.0.0 ok");
            break;
        case SMTP_NOOP:
            smtpsrv_reply(s, "250 2.0.0 ok");
            break;
        case SMTP_QUIT:
            snprintf(line, sizeof line, "221 2.0.0 %s closing", s->hostname);
            smtpsrv_reply(s, line);
            end = END_QUIT;
            break;
        case SMTP_VRFY:
            smtpsrv_reply(s, "252 2.5.0 cannot verify, but send mail and "
                             "it will be tried");
            break;
        case SMTP_EXPN:
            smtpsrv_reply(s, "502 5.5.1 EXPN is disabled");
            break;
        case SMTP_HELP:
            smtpsrv_reply(s, "214 2.0.0 see RFC 5321");
            break;
        default:
            if (s->pol->command != NULL && s->pol->command(s, &c))
                break;
            s->bad++;
            smtpsrv_reply(s, c.verb == SMTP_UNKNOWN
                    ? "500 5.5.2 unrecognized command"
                    : "502 5.5.1 command not available here");
            break;
        }
    }
    s->out.deadline = deadline(s, 10) > loop_now() ? deadline(s, 10)
                                                   : loop_now() + 10000;
    buf_flush(&s->out);
    v = s->tls_on ? s->tls_cipher : "none";
    log_info("session ip=%s helo=%s tls=%s msgs=%u end=%s", s->ci.remoteip,
        log_escape(helo, sizeof helo, s->helo, strlen(s->helo)), v, s->nmsg,
        endname[end]);
    smtpsrv_reset(s);
    return end == END_QUIT || end == END_EOF ? 0 : 1;
}
