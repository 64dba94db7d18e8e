/* queue-inject.c - the only way into the queue.
 *
 * Usage:
 *   queue-inject [-t] [-f SENDER] [RCPT...] < message (scripts, sendmail)
 *   queue-inject                                     (qmail-queue mode)
 *   queue-inject -s                                  (session mode)
 *
 * The message comes on fd 0, with LF or CRLF line ends; it is stored in
 * canonical form (lib/canon.h: CRLF lines, no bare CR) behind a
 * "Received: (facteur queue-inject invoked by uid N); date" field.
 * Command-line mode: recipients are the arguments; the sender is -f
 * (empty for the null sender <>), else the invoking user at the host
 * name in $FACTEUR_CONF/hostname (or the system's).  -t adds the
 * addresses of the To:, Cc: and Bcc: fields (lib/hdraddr.h) and removes
 * the Bcc: fields from the message (sendmail -t).  qmail-queue mode
 * (no argument at all): the envelope comes on fd 1 as text0
 * (lib/envelope.h), read after the message as qmail-queue does, so
 * qmail-queue filters and callers plug in.  Session mode (-s: smtpd and
 * submissiond, lib/qspawn.c, one process for all the messages of an SMTP
 * session): fd 0 is a unix SOCK_SEQPACKET socket; each message comes as
 * two records, "m" then "e", each with a descriptor (SCM_RIGHTS): the
 * message and the envelope, read as in qmail-queue mode; once it is
 * queued, the record "0" goes back on fd 0.  Any failure ends the
 * process with the qmail-queue exit code (an empty envelope: 91, the
 * message dropped); EOF on fd 0 between messages ends it with 0.
 * Addresses are checked with one grammar (lib/addr.h); local users are
 * not checked here (queue-run bounces unknown ones).
 *
 * Files: $FACTEUR_CONF/queuedir (the queue's path, one line; required),
 * $FACTEUR_CONF/sizelimit (bytes, one line; default 52428800).
 *
 * Exit codes, command-line mode: 0 queued (message and envelope on disk,
 * fsync'd, directories too), 100 permanent (bad address, message too
 * large, NUL byte, too many hops: a loop), 111 temporary (queue missing
 * or unwritable, disk full, read error).  qmail-queue mode, as qmail-queue:
 * 0 queued, 11 bad address, 31 refused (too large, NUL, loop), 51 out of
 * memory, 53 write error, 54 read error, 81 internal error, 91 envelope
 * format error.  One line on stderr says why, nothing on success.
 *
 * Limits: message size (sizelimit), CANON_HOPS_MAX hops,
 * ENVELOPE_RCPT_MAX recipients, each read (and session mode's wait for
 * the next message) waits at most READ_TIMEOUT.
 * Privileges: installed setuid to the queue's owner, facteur-queue (04711:
 * facteur init and make install), so that every caller can queue and
 * nobody else writes the queue; run so, it reads /etc/facteur whatever
 * FACTEUR_CONF says (lib/conf.c).  Not setuid (tests, the demo), the
 * queue directories must be writable by the caller.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "canon.h"
#include "conf.h"
#include "envelope.h"
#include "fdpass.h"
#include "exitcode.h"
#include "hdraddr.h"
#include "log.h"
#include "loop.h"
#include "maildate.h"
#include "queue.h"

#define READ_TIMEOUT_MS (3600 * 1000)
#define CONF_LINE_MAX 4096
/* -t reads the header section into memory: its cap, and a line's. */
#define HEADER_MAX (1024 * 1024)
#define HEADER_LINE_MAX 16384

/* Exit codes, by kind of failure, for the two modes. */
enum fail { F_ADDR, F_REFUSED, F_NOMEM, F_WRITE, F_READ, F_BUG, F_ENVFMT,
    F_CONF };
static int qmail_mode;
/* The message being written, removed by fail(). */
static struct queue *cur_q;
static struct queue_msg *cur_m;

static _Noreturn void
fail(enum fail kind, const char *fmt, const char *arg)
{
    static const int cmdline[] = { 100, 100, 111, 111, 111, 111, 100, 111 };
    static const int qmailq[] = { 11, 31, 51, 53, 54, 81, 91, 81 };
    char msg[600];

    if (cur_m != NULL)
        queue_abort(cur_q, cur_m);
    snprintf(msg, sizeof msg, fmt, arg ? arg : "");
    log_die(qmail_mode ? qmailq[kind] : cmdline[kind], "%s", msg);
}

static uint64_t
size_limit(void)
{
    uint64_t v;

    if (conf_sizelimit(&v) == -1)
        fail(F_CONF, "cannot read $FACTEUR_CONF/sizelimit (a positive number "
                     "of bytes)", NULL);
    return v;
}

static void
default_sender(struct addr *a)
{
    char host[256], addr[2 * ADDR_MAX];
    struct passwd *pw = getpwuid(getuid());

    if (conf_hostname(host, sizeof host) == -1)
        fail(F_CONF, "no valid host name ($FACTEUR_CONF/hostname)", NULL);
    if (pw == NULL)
        fail(F_CONF, "invoking user unknown: use -f", NULL);
    snprintf(addr, sizeof addr, "%s@%s", pw->pw_name, host);
    if (addr_parse(addr, strlen(addr), 0, a) == -1)
        fail(F_ADDR, "no valid default sender (%s): use -f", addr);
}

/* qmail-queue and session modes: the envelope on fd, read to EOF. */
static void
read_envelope(int fd, struct envelope *e)
{
    struct sa raw = SA_INIT(ENVELOPE_MAX);
    unsigned char mem[4096];
    struct buf b;
    const char *bad;
    ssize_t r;
    long n;

    buf_init(&b, fd, mem, sizeof mem);
    b.deadline = loop_now() + READ_TIMEOUT_MS;
    for (;;) {
        r = buf_get(&b, mem, sizeof mem);
        if (r == 0)
            break;
        if (r == -1)
            fail(F_READ, "cannot read the envelope", NULL);
        if (sa_append(&raw, mem, (size_t)r) == -1)
            fail(F_ENVFMT, "envelope too large", NULL);
    }
    n = envelope_parse(raw.s ? raw.s : "", raw.len, e, &bad);
    if (n == -1 && errno == EINVAL)
        fail(F_ADDR, "bad address in the envelope: %.300s", bad + 1);
    if (n == -1 && errno == ENOMEM)
        fail(F_NOMEM, "out of memory", NULL);
    if (n <= 0 || (size_t)n != raw.len)
        fail(F_ENVFMT, "envelope format error", NULL);
    sa_free(&raw);
}

static void
cmdline_envelope(struct envelope *e, const char *sender, char **rcpts)
{
    struct addr a;

    memset(e, 0, sizeof *e);
    if (sender != NULL) {
        if (addr_parse(sender, strlen(sender), 1, &e->sender) == -1)
            fail(F_ADDR, "bad sender address: %.300s", sender);
    } else {
        default_sender(&e->sender);
    }
    for (; *rcpts; rcpts++) {
        if (addr_parse(*rcpts, strlen(*rcpts), 0, &a) == -1)
            fail(F_ADDR, "bad recipient address: %.300s", *rcpts);
        if (envelope_add_rcpt(e, &a) == -1)
            fail(errno == E2BIG ? F_ADDR : F_NOMEM, "too many recipients",
                NULL);
    }
}

/* The addresses of one complete field, if it is To, Cc or Bcc. */
static int
field_rcpts(const struct sa *field, struct envelope *e)
{
    static const char *const names[] = { "to:", "cc:", "bcc:" };
    size_t i, k;

    for (i = 0; i < 3; i++) {
        k = strlen(names[i]);
        if (field->len >= k && strncasecmp(field->s, names[i], k) == 0) {
            if (hdraddr_parse(field->s + k, field->len - k, e) == -1)
                fail(errno == E2BIG ? F_REFUSED : F_ADDR,
                    "bad address list in the header: %.300s", field->s);
            return i == 2; /* Bcc: leaves the message */
        }
    }
    return 0;
}

/*
 * -t: read the header section from rb into kept (without its Bcc
 * fields), adding the recipients of To/Cc/Bcc to e.
 */
static void
header_rcpts(struct buf *rb, struct envelope *e, struct sa *kept)
{
    struct sa field = SA_INIT(HEADER_MAX), raw = SA_INIT(HEADER_MAX);
    char line[HEADER_LINE_MAX + 1];
    size_t len;
    int r, end = 0;

    while (!end) {
        int blank;
        r = buf_getline(rb, line, sizeof line, &len);
        if (r == -1 && errno == ERANGE)
            fail(F_REFUSED, "message refused: a header line is too long",
                NULL);
        if (r == -1 && errno != EPROTO)
            fail(F_READ, "cannot read the message", NULL);
        /* r == 0: end of input; EPROTO: a last line without its LF, kept
         * (in line, len) and handled like any other line. */
        end = r <= 0;
        blank = r == 1 && (line[0] == '\n' || (line[0] == '\r' && len == 2));
        /* a new field, the blank line or the end completes the previous */
        if ((blank || len == 0 || (line[0] != ' ' && line[0] != '\t'))
            && field.len > 0) {
            if (!field_rcpts(&field, e)
                && sa_append(kept, raw.s, raw.len) == -1)
                fail(F_REFUSED, "message refused: header too large", NULL);
            sa_truncate(&field, 0);
            sa_truncate(&raw, 0);
        }
        if (blank) {
            if (sa_append(kept, line, len) == -1)
                fail(F_REFUSED, "message refused: header too large", NULL);
            break;
        }
        if (len > 0
            && (sa_append(&raw, line, len) == -1
                || sa_append(&field, line,
                       len - (line[len - 1] != '\n'         ? 0
                                 : len > 1 && line[len - 2] == '\r' ? 2
                                                                    : 1))
                    == -1))
            fail(F_REFUSED, "message refused: header too large", NULL);
        if (end && field.len > 0) {
            if (!field_rcpts(&field, e)
                && sa_append(kept, raw.s, raw.len) == -1)
                fail(F_REFUSED, "message refused: header too large", NULL);
        }
    }
    sa_free(&field);
    sa_free(&raw);
}

#if defined(__SANITIZE_ADDRESS__)
/*
 * Only in a sanitizer build (make check-san).  Run setuid, this program
 * is not dumpable, so AddressSanitizer cannot read the ASAN_OPTIONS of
 * its environment (/proc/self/environ), and LeakSanitizer cannot stop
 * its threads and dies: the options come from here instead.
 */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
    return "detect_leaks=0:abort_on_error=1";
}
#endif

static unsigned char in[65536], out[2 * 65536 + 2], wmem[65536];
static unsigned char rmem[65536]; /* rb's own buffer: never in[] */

/*
 * Write the message from rb into a new queue file (m): our Received:
 * line, kept (-t: the header read already, Bcc removed), the rest of rb,
 * in canonical form within limit.  Returns with m written and flushed,
 * not yet committed; dies (and removes it) otherwise.
 */
static void
store(struct queue *q, struct queue_msg *m, struct buf *rb, struct sa *kept,
    uint64_t limit)
{
    char hdr[256], date[64];
    struct canon c;
    struct buf wb;
    ssize_t r;
    size_t n;

    if (queue_begin(q, m) == -1)
        fail(F_WRITE, "cannot create a queue file", NULL);
    cur_q = q;
    cur_m = m;
    buf_init(&wb, m->fd, wmem, sizeof wmem);
    maildate(date, sizeof date, time(NULL));
    snprintf(hdr, sizeof hdr,
        "Received: (facteur queue-inject invoked by uid %lu);\r\n\t%s\r\n",
        (unsigned long)getuid(), date);
    canon_init(&c);
    if (buf_puts(&wb, hdr) == -1)
        goto writefail;
    if (kept->len > 0) {
        /* out has room for 2 * sizeof in + 2: feed it in pieces of that. */
        size_t off, piece;
        for (off = 0; off < kept->len; off += piece) {
            piece = kept->len - off < sizeof in ? kept->len - off : sizeof in;
            n = canon_feed(&c, (unsigned char *)kept->s + off, piece, out);
            if (buf_put(&wb, out, n) == -1)
                goto writefail;
        }
        sa_wipe(kept);
    }
    for (;;) {
        r = buf_get(rb, in, sizeof in);
        if (r == -1)
            fail(F_READ, "cannot read the message", NULL);
        n = r == 0 ? canon_finish(&c, out)
                   : canon_feed(&c, in, (size_t)r, out);
        if (c.nul)
            fail(F_REFUSED, "message refused: it contains a NUL byte", NULL);
        if (c.size + strlen(hdr) > limit)
            fail(F_REFUSED, "message refused: larger than the size limit",
                NULL);
        if (c.hops > CANON_HOPS_MAX)
            fail(F_REFUSED, "message refused: too many hops (mail loop)",
                NULL);
        if (n > 0 && buf_put(&wb, out, n) == -1)
            goto writefail;
        if (r == 0)
            break;
    }
    if (buf_flush(&wb) == -1)
        goto writefail;
    return;
writefail:
    fail(F_WRITE, errno == ENOSPC ? "disk full" : "cannot write the message",
        NULL);
}

/* Put the message written by store() and its envelope in the queue. */
static void
commit(struct queue *q, struct queue_msg *m, const struct envelope *env)
{
    struct sa envbuf = SA_INIT(ENVELOPE_MAX);

    if (envelope_encode(env, &envbuf) == -1)
        fail(F_NOMEM, "out of memory", NULL);
    /* queue_commit removes what it made when it fails */
    cur_m = NULL;
    if (queue_commit(q, m, envbuf.s, envbuf.len) == -1)
        fail(F_WRITE, "cannot commit the message to the queue", NULL);
    sa_free(&envbuf);
}

/* Session mode: one record of the kind ("m" or "e") with its descriptor
 * from fd 0; -1 at EOF.  Anything else is an envelope format error. */
static int
session_fd(char kind)
{
    struct pollfd pf = { .fd = 0, .events = POLLIN };
    char rec[8];
    ssize_t r;
    int fd = -1;

    if (loop_poll(&pf, 1, loop_now() + READ_TIMEOUT_MS) <= 0)
        fail(F_READ, "session: no message came in time", NULL);
    r = fdpass_recv(0, rec, sizeof rec, &fd);
    if (r == 0)
        return -1;
    if (r != 1 || rec[0] != kind) {
        if (r > 0)
            close(fd);
        fail(F_ENVFMT, "session: not a queue-inject -s record on fd 0",
            NULL);
    }
    return fd;
}

/* Session mode: message after message until EOF on fd 0. */
static int
session(struct queue *q, uint64_t limit)
{
    struct sa none = SA_INIT(0);
    struct envelope env;
    struct queue_msg m;
    struct buf rb;
    int mfd, efd;

    while ((mfd = session_fd('m')) != -1) {
        efd = session_fd('e');
        if (efd == -1)
            fail(F_ENVFMT, "session: a message without its envelope", NULL);
        buf_init(&rb, mfd, rmem, sizeof rmem);
        rb.deadline = loop_now() + READ_TIMEOUT_MS;
        store(q, &m, &rb, &none, limit);
        read_envelope(efd, &env);
        commit(q, &m, &env);
        envelope_free(&env);
        close(mfd);
        close(efd);
        /* a caller that does not read its reports gets no more: never
         * wait on it */
        if (send(0, "0", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
            fail(F_WRITE, "session: cannot report to the caller", NULL);
    }
    return EXIT_OK;
}

int
main(int argc, char **argv)
{
    char qdir[CONF_LINE_MAX];
    const char *sender = NULL;
    int tflag = 0, sflag = 0;
    struct sa kept = SA_INIT(HEADER_MAX + HEADER_LINE_MAX);
    struct envelope env;
    struct queue q;
    struct queue_msg m;
    struct buf rb;
    uint64_t limit;
    int opt;

    log_init("queue-inject");
    signal(SIGPIPE, SIG_IGN);
    qmail_mode = argc == 1;
    while ((opt = getopt(argc, argv, "+f:ts")) != -1) {
        if (opt == 'f')
            sender = optarg;
        else if (opt == 't')
            tflag = 1;
        else if (opt == 's')
            sflag = qmail_mode = 1; /* its exit codes are qmail-queue's */
        else
            log_die(EXIT_PERM, "usage: queue-inject [-t] [-f sender] "
                               "rcpt... < message, or no argument "
                               "(qmail-queue), or -s (session)");
    }
    if (sflag && argc != 2)
        log_die(EXIT_PERM, "usage: queue-inject -s, with nothing else");
    if (!qmail_mode && !tflag && argv[optind] == NULL)
        log_die(EXIT_PERM, "usage: queue-inject [-t] [-f sender] rcpt... "
                           "< message: no recipient");
    if (!qmail_mode)
        cmdline_envelope(&env, sender, argv + optind);

    limit = size_limit();
    switch (conf_line("queuedir", qdir, sizeof qdir)) {
    case 0:
        fail(F_CONF, "no queue configured ($FACTEUR_CONF/queuedir): run "
                     "facteur init", NULL);
    case -1:
        fail(F_CONF, "cannot read $FACTEUR_CONF/queuedir", NULL);
    }
    if (queue_open(&q, qdir) == -1)
        fail(F_WRITE, "cannot open the queue %.300s", qdir);
    if (sflag)
        return session(&q, limit);

    buf_init(&rb, 0, rmem, sizeof rmem);
    rb.deadline = loop_now() + READ_TIMEOUT_MS;
    if (tflag) {
        header_rcpts(&rb, &env, &kept);
        if (env.nrcpt == 0)
            fail(F_ADDR, "no recipient: none given, none in To, Cc, Bcc",
                NULL);
    }
    store(&q, &m, &rb, &kept, limit);
    /* qmail-queue's order: the envelope after the message, so a caller
     * may write the whole message before it (as every qmail-queue caller
     * does); reading it first would leave both waiting once the message
     * fills the pipe. */
    if (qmail_mode)
        read_envelope(1, &env);
    commit(&q, &m, &env);
    queue_close(&q);
    return EXIT_OK;
}
