/* dsn.c - RFC 3464 reports of failed recipients, queued with queue-inject.
 *
 * multipart/report; report-type=delivery-status: a text part, the
 * message/delivery-status part (one block per failed recipient: Action
 * failed, a Status taken from an enhanced code at the start of the reason
 * when there is one, else 5.0.0), and the original header section as
 * text/rfc822-headers.  Sent with the null sender, so it never bounces
 * back: a failure of a message from <> becomes a double bounce to
 * postmaster@host, and a failed double bounce is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "log.h"
#include "maildate.h"
#include "sa.h"
#include "sibling.h"

#define HEADER_MAX 65536

/* The status code of a reason, with the class forced to cls (5 for a
 * failure, 4 for a delay), else cls.0.0. */
static void
status_of(const char *reason, unsigned cls, char *out, size_t len)
{
    const char *p;
    unsigned a, b, c;
    int n = 0;

    /* The first enhanced status code (RFC 3463: class.subject.detail) at
     * the start of a word: "... said: 550 5.1.1 no such user". */
    for (p = reason; *p; p++) {
        if ((p != reason && p[-1] != ' ') || (*p != '2' && *p != '4'
                && *p != '5') || p[1] != '.')
            continue;
        if (sscanf(p, "%1u.%3u.%3u%n", &a, &b, &c, &n) == 3 && n > 0
            && (p[n] == 0 || p[n] == ' ')) {
            snprintf(out, len, "%u.%u.%u", cls, b, c);
            return;
        }
    }
    snprintf(out, len, "%u.0.0", cls);
}

/* The original header section, CRLF lines, up to HEADER_MAX. */
static void
original_header(int messfd, const char *id, struct sa *out)
{
    char b[8192];
    ssize_t r;
    int fd = openat(messfd, id, O_RDONLY | O_CLOEXEC);
    char *end;

    if (fd == -1)
        return;
    while (out->len < HEADER_MAX && (r = read(fd, b, sizeof b)) > 0)
        if (sa_append(out, b, (size_t)r) == -1)
            break;
    close(fd);
    if (out->s == NULL)
        return;
    end = strstr(out->s, "\r\n\r\n");
    if (end != NULL)
        sa_truncate(out, (size_t)(end - out->s) + 2);
}

int
dsn_send(const char *argv0, int messfd, const char *id,
    const struct qinfo *q, const char *host, enum dsn_kind kind,
    int64_t until)
{
    const char want = kind == DSN_DELAYED ? R_PENDING : R_FAILED;
    char udate[MAILDATE_MAX];
    struct sa m = SA_INIT(HEADER_MAX + 1048576), hdr = SA_INIT(HEADER_MAX + 8192);
    char qi[4096], line[1024], date[64], to[300], st[16];
    time_t now = time(NULL);
    size_t i, nfail = 0, npm = 0;
    int p[2], status;
    pid_t pid;

    if (kind == DSN_DELAYED && q->sender[0] == 0)
        return 0; /* no warnings about bounces */
    if (q->sender[0]) {
        snprintf(to, sizeof to, "%s", q->sender);
    } else {
        snprintf(to, sizeof to, "postmaster@%s", host);
        for (i = 0; i < q->n; i++)
            if (q->r[i].state == 'F') {
                nfail++;
                npm += strcmp(q->r[i].addr, to) == 0;
            }
        if (nfail == npm) {
            log_info("dropped id=%s: a double bounce failed", id);
            return 0;
        }
    }
    maildate(date, sizeof date, now);
    snprintf(line, sizeof line,
        "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
        "To: <%s>\r\nSubject: %s\r\n"
        "Date: %s\r\nMessage-ID: <%s.%s@%s>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        "\tboundary=\"%s/%s\"\r\n\r\n",
        host, to, kind == DSN_DELAYED ? "Delayed Mail (still being retried)"
                                      : "Undelivered Mail Returned to Sender",
        date, id, kind == DSN_DELAYED ? "delay" : "dsn", host, id, host);
    sa_appends(&m, line);
    snprintf(line, sizeof line,
        "--%s/%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host %s.\r\n\r\n%s\r\n\r\n",
        id, host, host,
        kind == DSN_DELAYED
            ? "Your message has not been delivered yet to the recipients "
              "below.\r\nThis is only a warning: the mail system keeps "
              "trying, and will\r\ntell you if it gives up."
            : "Your message could not be delivered to the recipients below.");
    sa_appends(&m, line);
    for (i = 0; i < q->n; i++)
        if (q->r[i].state == want) {
            snprintf(line, sizeof line, "<%s>: %s\r\n", q->r[i].addr,
                q->r[i].reason);
            sa_appends(&m, line);
        }
    snprintf(line, sizeof line,
        "\r\n--%s/%s\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; %s\r\n",
        id, host, host);
    sa_appends(&m, line);
    maildate(udate, sizeof udate, (time_t)until);
    for (i = 0; i < q->n; i++)
        if (q->r[i].state == want) {
            status_of(q->r[i].reason, kind == DSN_DELAYED ? 4 : 5, st,
                sizeof st);
            snprintf(line, sizeof line,
                "\r\nFinal-Recipient: rfc822; %s\r\nAction: %s\r\n"
                "Status: %s\r\nDiagnostic-Code: x-facteur; %s\r\n%s%s%s",
                q->r[i].addr, kind == DSN_DELAYED ? "delayed" : "failed", st,
                q->r[i].reason, kind == DSN_DELAYED ? "Will-Retry-Until: " : "",
                kind == DSN_DELAYED ? udate : "",
                kind == DSN_DELAYED ? "\r\n" : "");
            sa_appends(&m, line);
        }
    snprintf(line, sizeof line,
        "\r\n--%s/%s\r\nContent-Type: text/rfc822-headers\r\n\r\n", id, host);
    sa_appends(&m, line);
    original_header(messfd, id, &hdr);
    if (hdr.len > 0)
        sa_append(&m, hdr.s, hdr.len);
    snprintf(line, sizeof line, "\r\n--%s/%s--\r\n", id, host);
    if (sa_appends(&m, line) == -1) {
        sa_free(&m);
        sa_free(&hdr);
        return -1;
    }
    sa_free(&hdr);

    if (sibling_path(argv0, "queue-inject", qi, sizeof qi) == -1
        || pipe(p) == -1) {
        sa_free(&m);
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        char *args[] = { qi, "-f", "", to, NULL };
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        execv(qi, args);
        _exit(111);
    }
    close(p[0]);
    if (pid != -1)
        (void)fd_write_all(p[1], m.s, m.len, -1);
    close(p[1]);
    sa_free(&m);
    if (pid == -1)
        return -1;
    while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        log_warn("cannot queue the report id=%s to=%s", id, to);
        return -1;
    }
    log_info("%s id=%s to=<%s>", kind == DSN_DELAYED ? "delay-warning"
                                                    : "bounce", id, to);
    return 0;
}
