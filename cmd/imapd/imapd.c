/* imapd.c - IMAP on port 993 over Maildir (RFC 3501 and extensions).
 *
 * Usage: imapd [-u user] [-c checkpassword]     (the listener's program)
 *        imapd -S                               (the session, run by
 *                                                checkpassword)
 *   Run by tcpserver (or systemd Accept=yes) behind tlswrap, as root:
 *       tcpserver -DRHl0 0 993 tlswrap imapd
 *
 * Three processes, none of which both reads the network and holds
 * anything it does not need:
 *   pre-auth  drops to -u user (default facteur-auth: it can read no
 *             mailbox and no password table) at once and speaks IMAP
 *             until a login: CAPABILITY, NOOP, LOGOUT, ID, LOGIN and
 *             AUTHENTICATE PLAIN (with SASL-IR).  It reads the connection
 *             one byte at a time, so nothing the client sends after its
 *             login command is ever read by it: that belongs to the
 *             session.  Tight limits: PREAUTH_TIMEOUT_MS, PREAUTH_LINE_MAX,
 *             PREAUTH_BAD_MAX.  The login name and the base64 are checked
 *             here before anything else sees them.
 *   monitor   stays root and never reads the network (its fds 0 and 1 are
 *             /dev/null; it keeps close-on-exec copies of the connection
 *             to hand on).  It takes the tag and the credentials from the
 *             pre-auth process over a socketpair and runs checkpassword
 *             (lib/authmon.h: failures counted per client and delayed)
 *             with "imapd -S" as the program to exec, the connection on
 *             its fds 0 and 1, the tag in IMAPD_TAG and a report pipe on
 *             fd 4.  On success the pre-auth process exits silently and
 *             the monitor waits for the session, whose exit code becomes
 *             its own.
 *   session   (session.c) runs as the mailbox owner in the Maildir
 *             (checkpassword's HOME and working directory) and answers
 *             the login command's tag itself.
 *
 * TLS: only behind an implicit-TLS wrapper (SSL_PROTOCOL in the
 * environment).  Without it the greeting says LOGINDISABLED and every
 * login is refused with [PRIVACYREQUIRED]: a misconfigured plaintext
 * listener is useless, not open.  STARTTLS is never offered.
 *
 * Environment: FACTEUR_CONF, SSL_PROTOCOL, TCPREMOTEIP (else the
 * socket), AUTH_FAIL_MAX, AUTH_FAIL_WINDOW, AUTH_FAIL_DELAY
 * (lib/authmon.h).  Session: USER, HOME (from checkpassword), IMAPD_TAG.
 * Exit codes: 0 the client logged out, 1 the peer vanished, timed out or
 * misbehaved, 100 usage, 111 a system or configuration error.
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
#include <unistd.h>

#include "addr.h"
#include "authmon.h"
#include "buf.h"
#include "conninfo.h"
#include "exitcode.h"
#include "imapd.h"
#include "imapparse.h"
#include "log.h"
#include "loop.h"
#include "priv.h"
#include "sasl.h"
#include "sibling.h"

#define USER_DEFAULT "facteur-auth"
#define MONITOR_TIMEOUT_MS 60000

static int64_t deadline;
static int tls_on;

/* ------------------------------------------------------------------ */
/* Pre-auth: unprivileged, one byte at a time. */

static _Noreturn void
bye(const char *text)
{
    char b[256];
    int n = snprintf(b, sizeof b, "* BYE %s\r\n", text);
    (void)fd_write_all(1, b, (size_t)n, loop_now() + 5000);
    exit(1);
}

static void
out(const char *s)
{
    if (fd_write_all(1, s, strlen(s), loop_now() + MONITOR_TIMEOUT_MS) == -1)
        exit(1);
}

static void
outf(const char *fmt, const char *a, const char *b)
{
    char line[PREAUTH_LINE_MAX + 256];
    snprintf(line, sizeof line, fmt, a, b);
    out(line);
}

/* One byte, within the deadline; exits at end of file or timeout. */
static unsigned char
getbyte(void)
{
    unsigned char c;

    for (;;) {
        ssize_t r;
        if (fd_wait(0, POLLIN, deadline) == -1)
            bye("autologout: no login in time");
        r = read(0, &c, 1);
        if (r == 1)
            return c;
        if (r == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        exit(1);
    }
}

/*
 * Read one command: the line, and literals ("{n}" answered with "+",
 * "{n+}" taken as they come), into cmd (PREAUTH_LINE_MAX).  Returns the
 * length, or -1 when it is too long (the rest of the line has been read
 * and dropped; a literal announced over the limit was not accepted).
 */
static long
getcommand(char *cmd)
{
    size_t n = 0;
    int over = 0;

    for (;;) {
        unsigned char c = getbyte();
        size_t k, len = 0, mul = 1;
        int plus = 0;
        if (c != '\n') {
            if (n < PREAUTH_LINE_MAX - 1)
                cmd[n++] = (char)c;
            else
                over = 1;
            continue;
        }
        if (over)
            return -1;
        if (n > 0 && cmd[n - 1] == '\r')
            n--;
        /* a literal at the end of the line? "{digits[+]}" */
        k = n;
        if (k == 0 || cmd[k - 1] != '}')
            break;
        k--;
        if (k > 0 && cmd[k - 1] == '+') {
            plus = 1;
            k--;
        }
        while (k > 0 && cmd[k - 1] >= '0' && cmd[k - 1] <= '9'
            && n - k < 12) {
            len += (size_t)(cmd[k - 1] - '0') * mul;
            mul *= 10;
            k--;
        }
        if (k == 0 || cmd[k - 1] != '{' || mul == 1)
            break; /* not a literal: the parser will say so */
        if (len > PREAUTH_LINE_MAX / 2 || n + 2 + len >= PREAUTH_LINE_MAX) {
            if (plus)
                bye("literal too large");
            return -1; /* not accepted: the client sends nothing more */
        }
        if (!plus)
            out("+ OK\r\n");
        cmd[n++] = '\r';
        cmd[n++] = '\n';
        while (len-- > 0)
            cmd[n++] = (char)getbyte();
    }
    cmd[n] = 0;
    return (long)n;
}

static int monsock = -1;

/* Hand the credentials to the monitor: 'Y', 'N', 'B' or 'T'. */
static char
ask(const char *tag, const char *login, const char *pw)
{
    char req[IMAP_TAG_MAX + AUTHMON_REQUEST_MAX + 4], reply[8];
    size_t tl = strlen(tag), ll = strlen(login), pl = strlen(pw);
    struct pollfd p;
    ssize_t n;

    memcpy(req, tag, tl + 1);
    memcpy(req + tl + 1, login, ll + 1);
    memcpy(req + tl + ll + 2, pw, pl + 1);
    n = write(monsock, req, tl + ll + pl + 3);
    explicit_bzero(req, sizeof req);
    if (n != (ssize_t)(tl + ll + pl + 3))
        return 'T';
    p.fd = monsock;
    p.events = POLLIN;
    if (poll(&p, 1, MONITOR_TIMEOUT_MS * 2) != 1)
        return 'T';
    n = read(monsock, reply, sizeof reply - 1);
    if (n <= 0)
        return 'T';
    return reply[0];
}

/* Check and try a login; returns only when it did not succeed. */
static void
login(const char *tag, const char *mech, char *user, char *pw)
{
    char esc[SASL_LOGIN_MAX * 4 + 4];
    struct addr a;
    char r;

    log_escape(esc, sizeof esc, user, strlen(user));
    if (!tls_on) {
        explicit_bzero(pw, strlen(pw));
        outf("%s NO [PRIVACYREQUIRED] TLS is required%s\r\n", tag, "");
        return;
    }
    if (user[0] == 0 || pw[0] == 0 || strlen(user) > SASL_LOGIN_MAX
        || strlen(pw) > SASL_PASS_MAX
        || addr_parse(user, strlen(user), 0, &a) == -1) {
        /* not a mailbox name: wrong, but at the cost of a real check so
         * that the answer comes no sooner */
        snprintf(user, SASL_LOGIN_MAX + 1, "%s", "invalid@invalid");
    }
    r = ask(tag, user, pw);
    explicit_bzero(pw, strlen(pw));
    switch (r) {
    case 'Y':
        exit(0); /* the session has the connection now */
    case 'N':
        log_info("login failed mech=%s login=%s", mech, esc);
        outf("%s NO [AUTHENTICATIONFAILED] Authentication failed%s\r\n",
            tag, "");
        break;
    case 'B':
        log_info("login refused: too many failures login=%s", esc);
        outf("%s NO [UNAVAILABLE] Too many failed logins, try again "
             "later%s\r\n", tag, "");
        break;
    default:
        log_warn("login unavailable login=%s", esc);
        outf("%s NO [UNAVAILABLE] Temporary authentication failure, try "
             "again later%s\r\n", tag, "");
        break;
    }
}

static _Noreturn void
preauth(void)
{
    static char cmd[PREAUTH_LINE_MAX];
    char tag[IMAP_TAG_MAX + 1], name[32];
    const char *s;
    size_t len;
    int bad = 0;

    deadline = loop_now() + PREAUTH_TIMEOUT_MS;
    if (tls_on)
        out("* OK [CAPABILITY " CAPS_PREAUTH "] facteur ready\r\n");
    else
        out("* OK [CAPABILITY " CAPS_COMMON " LOGINDISABLED] facteur ready; "
            "TLS is required to log in\r\n");
    for (;;) {
        struct imapp ip;
        long n;
        if (bad >= PREAUTH_BAD_MAX)
            bye("too many errors");
        n = getcommand(cmd);
        if (n < 0) {
            bad++;
            out("* BAD line too long\r\n");
            continue;
        }
        imapp_init(&ip, cmd, (size_t)n);
        if (imapp_atom(&ip, &s, &len) != 1 || !imap_tag_ok(s, len)
            || imapp_sp(&ip) != 1) {
            bad++;
            out("* BAD missing tag or command\r\n");
            continue;
        }
        memcpy(tag, s, len);
        tag[len] = 0;
        if (imapp_atom(&ip, &s, &len) != 1 || len >= sizeof name) {
            bad++;
            outf("%s BAD missing command%s\r\n", tag, "");
            continue;
        }
        memcpy(name, s, len);
        name[len] = 0;
        if (strcasecmp(name, "CAPABILITY") == 0 && imapp_end(&ip)) {
            if (tls_on)
                out("* CAPABILITY " CAPS_PREAUTH "\r\n");
            else
                out("* CAPABILITY " CAPS_COMMON " LOGINDISABLED\r\n");
            outf("%s OK CAPABILITY completed%s\r\n", tag, "");
        } else if (strcasecmp(name, "NOOP") == 0 && imapp_end(&ip)) {
            outf("%s OK NOOP completed%s\r\n", tag, "");
        } else if (strcasecmp(name, "LOGOUT") == 0 && imapp_end(&ip)) {
            out("* BYE logging out\r\n");
            outf("%s OK LOGOUT completed%s\r\n", tag, "");
            exit(0);
        } else if (strcasecmp(name, "ID") == 0) {
            /* the client's parameters are not needed: not parsed */
            out("* ID (\"name\" \"facteur\")\r\n");
            outf("%s OK ID completed%s\r\n", tag, "");
        } else if (strcasecmp(name, "LOGIN") == 0) {
            char user[SASL_LOGIN_MAX + 1], pw[SASL_PASS_MAX + 1];
            size_t ul, pl;
            if (imapp_sp(&ip) != 1
                || imapp_astring(&ip, user, sizeof user, &ul) != 1
                || imapp_sp(&ip) != 1
                || imapp_astring(&ip, pw, sizeof pw, &pl) != 1
                || !imapp_end(&ip)) {
                explicit_bzero(cmd, sizeof cmd);
                explicit_bzero(pw, sizeof pw);
                bad++;
                outf("%s BAD usage: LOGIN user password%s\r\n", tag, "");
                continue;
            }
            explicit_bzero(cmd, sizeof cmd);
            login(tag, "LOGIN", user, pw);
        } else if (strcasecmp(name, "AUTHENTICATE") == 0) {
            char user[SASL_LOGIN_MAX + 1], pw[SASL_PASS_MAX + 1];
            char *resp;
            size_t rl;
            if (imapp_sp(&ip) != 1 || imapp_atom(&ip, &s, &len) != 1) {
                bad++;
                outf("%s BAD usage: AUTHENTICATE PLAIN%s\r\n", tag, "");
                continue;
            }
            if (len != 5 || strncasecmp(s, "PLAIN", 5) != 0) {
                outf("%s NO [CANNOT] only AUTHENTICATE PLAIN is offered%s\r\n",
                    tag, "");
                continue;
            }
            if (imapp_char(&ip, ' ')) {
                /* SASL-IR: the response on the command line */
                resp = cmd + ip.pos;
                rl = (size_t)n - ip.pos;
            } else if (imapp_end(&ip)) {
                long m;
                out("+ \r\n");
                m = getcommand(cmd);
                if (m < 0) {
                    bad++;
                    outf("%s BAD response too long%s\r\n", tag, "");
                    continue;
                }
                resp = cmd;
                rl = (size_t)m;
            } else {
                bad++;
                outf("%s BAD usage: AUTHENTICATE PLAIN%s\r\n", tag, "");
                continue;
            }
            if (rl == 1 && resp[0] == '*') {
                outf("%s BAD authentication cancelled%s\r\n", tag, "");
                continue;
            }
            if (rl == 1 && resp[0] == '=')
                rl = 0;
            if (sasl_plain(resp, rl, user, pw) == -1) {
                explicit_bzero(cmd, sizeof cmd);
                explicit_bzero(pw, sizeof pw);
                bad++;
                outf("%s BAD malformed PLAIN response%s\r\n", tag, "");
                continue;
            }
            explicit_bzero(cmd, sizeof cmd);
            login(tag, "PLAIN", user, pw);
        } else if (strcasecmp(name, "STARTTLS") == 0) {
            outf("%s BAD STARTTLS is not offered: this port is TLS from the "
                 "start%s\r\n", tag, "");
        } else {
            bad++;
            outf("%s BAD not allowed before login%s\r\n", tag, "");
        }
    }
}

/* ------------------------------------------------------------------ */
/* Monitor: root, never reads the network. */

static _Noreturn void
monitor(pid_t child, int sock, const char *self, const char *cp,
    const char *ip, int conn_in, int conn_out)
{
    static char *prog[] = { NULL, (char *)"-S", NULL };
    static struct authmon am;
    char req[IMAP_TAG_MAX + AUTHMON_REQUEST_MAX + 4];
    pid_t session = -1;
    int st;

    prog[0] = (char *)self;
    authmon_init(&am, cp, ip);
    am.in_fd = conn_in;
    am.out_fd = conn_out;
    for (;;) {
        char who[64];
        ssize_t n = read(sock, req, sizeof req);
        size_t tl;
        char a;
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        tl = strnlen(req, (size_t)n);
        if (tl == (size_t)n || !imap_tag_ok(req, tl)
            || setenv(ENV_TAG, req, 1) == -1) {
            explicit_bzero(req, sizeof req);
            a = 'T';
        } else {
            a = authmon_check(&am, prog, SESSION_REPORT_FD, 1, req + tl + 1,
                (size_t)n - tl - 1, who, sizeof who, &session);
        }
        if (write(sock, &a, 1) == -1 || a == 'Y')
            break;
    }
    close(sock);
    close(conn_in);
    close(conn_out);
    while (waitpid(child, &st, 0) == -1)
        if (errno != EINTR)
            break;
    if (session == -1)
        exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
    while (waitpid(session, &st, 0) == -1)
        if (errno != EINTR)
            exit(EXIT_TEMP);
    exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

int
main(int argc, char **argv)
{
    char cp[AUTHMON_PATH_MAX], self[AUTHMON_PATH_MAX];
    const char *runas = USER_DEFAULT;
    struct rlimit nocore = { 0, 0 };
    struct conninfo ci;
    int opt, sv[2], session = 0, cin, cout, null;
    pid_t pid;

    log_init("imapd");
    setrlimit(RLIMIT_CORE, &nocore);
    signal(SIGPIPE, SIG_IGN);
    cp[0] = 0;
    while ((opt = getopt(argc, argv, "u:c:S")) != -1) {
        if (opt == 'u')
            runas = optarg;
        else if (opt == 'c')
            snprintf(cp, sizeof cp, "%s", optarg);
        else if (opt == 'S')
            session = 1;
        else
            log_die(EXIT_PERM, "usage: imapd [-u user] [-c checkpassword]");
    }
    if (optind != argc)
        log_die(EXIT_PERM, "usage: imapd [-u user] [-c checkpassword]");
    if (session)
        return session_main();
    if (cp[0] == 0 && sibling_path(argv[0], "checkpassword", cp, sizeof cp)
        == -1)
        log_die(EXIT_TEMP, "cannot find checkpassword");
    if (sibling_path(argv[0], "imapd", self, sizeof self) == -1)
        log_die(EXIT_TEMP, "cannot find my own program");
    tls_on = getenv("SSL_PROTOCOL") != NULL;
    conninfo_get(&ci, 0);

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
        log_die(EXIT_TEMP, "socketpair: %s", strerror(errno));
    pid = fork();
    if (pid == -1)
        log_die(EXIT_TEMP, "fork: %s", strerror(errno));
    if (pid > 0) {
        /* The monitor keeps the connection only to hand it on. */
        cin = fcntl(0, F_DUPFD_CLOEXEC, 10);
        cout = fcntl(1, F_DUPFD_CLOEXEC, 10);
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (cin == -1 || cout == -1 || null == -1 || dup2(null, 0) == -1
            || dup2(null, 1) == -1)
            log_die(EXIT_TEMP, "cannot set up the monitor's descriptors");
        close(sv[1]);
        monitor(pid, sv[0], self, cp, ci.remoteip, cin, cout);
    }
    close(sv[0]);
    monsock = sv[1];
    if (priv_drop_user(runas) == -1)
        log_die(EXIT_TEMP, "cannot become %s: %s", runas, strerror(errno));
    preauth();
}
