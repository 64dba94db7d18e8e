/* linesrv.c - a small SMTP-like line service to put behind tlswrap in
 * tests and in the demo, until smtpd exists.
 *
 * Greets with 220; EHLO/HELO list STARTTLS when a UCSPI-TLS wrapper is
 * present and TLS is not on; STARTTLS follows the hand-off of
 * lib/tlsfacts.h (220, flush, "Y", fresh buffers on the TLS fds: what
 * the client pipelined in clear is dropped, and the session is reset as
 * after a new EHLO).  ENV lists the SSL_* facts, TCP*, LISTEN_* and
 * FACTEUR_SID,
 * HISTORY the commands run
 * since the last reset (so tests can see that injected commands never
 * ran), ECHO x answers x, QUIT ends.  Lines are capped at 512 bytes and
 * each read at 60 seconds.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "tlsfacts.h"

#define LINE_MAX_LEN 512
#define TIMEOUT_MS 60000
#define HISTORY_MAX 32

extern char **environ;

static struct buf in, out;
static unsigned char inmem[4096], outmem[4096];
static char history[HISTORY_MAX][64];
static int nhistory;
static struct tlsfacts facts;
static int tls_on;

static void
reply(const char *s)
{
    buf_puts(&out, s);
    buf_puts(&out, "\r\n");
}

static void
flush_or_die(void)
{
    if (buf_flush(&out) == -1)
        _exit(EXIT_TEMP);
}

static void
show_env(void)
{
    size_t i;
    char **e;
    char l[600];

    for (i = 0; i < facts.n; i++) {
        snprintf(l, sizeof l, "250-%s=%s", facts.name[i], facts.value[i]);
        reply(l);
    }
    for (e = environ; *e; e++)
        if ((strncmp(*e, "SSL_", 4) == 0 && facts.n == 0)
            || strncmp(*e, "TCP", 3) == 0 || strncmp(*e, "LISTEN_", 7) == 0
            || strncmp(*e, "FACTEUR_SID=", 12) == 0) {
            snprintf(l, sizeof l, "250-%.500s", *e);
            reply(l);
        }
    reply("250 end");
}

int
main(void)
{
    struct ucspitls u;
    char line[LINE_MAX_LEN + 1], l[700];
    size_t len;
    int r, i;

    log_init("linesrv");
    signal(SIGPIPE, SIG_IGN);
    buf_init(&in, 0, inmem, sizeof inmem);
    buf_init(&out, 1, outmem, sizeof outmem);
    if (ucspitls_init(&u) == -1)
        log_die(EXIT_PERM, "bad UCSPI-TLS environment");
    tls_on = getenv("SSL_PROTOCOL") != NULL;
    reply("220 linesrv ready");
    flush_or_die();
    for (;;) {
        in.deadline = out.deadline = loop_now() + TIMEOUT_MS;
        r = buf_getline(&in, line, sizeof line, &len);
        if (r == 0)
            return 0;
        if (r == -1) {
            if (errno == ERANGE) {
                reply("500 line too long");
                flush_or_die();
                continue;
            }
            return errno == ETIMEDOUT ? EXIT_TEMP : 0;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (nhistory < HISTORY_MAX)
            snprintf(history[nhistory++], sizeof history[0], "%.60s", line);
        if (strncasecmp(line, "EHLO", 4) == 0
            || strncasecmp(line, "HELO", 4) == 0) {
            reply("250-linesrv");
            if (u.ctlfd != -1 && !tls_on)
                reply("250-STARTTLS");
            reply("250 HELP");
        } else if (strcasecmp(line, "STARTTLS") == 0 && u.ctlfd != -1
            && !tls_on) {
            reply("220 ready to start TLS");
            flush_or_die();
            if (ucspitls_starttls(&u, &facts, loop_now() + TIMEOUT_MS)
                == -1)
                return 1;
            /* Fresh buffers on the TLS descriptors; the cleartext we had
             * read past STARTTLS is dropped, never executed. */
            buf_init(&in, u.readfd, inmem, sizeof inmem);
            buf_init(&out, u.writefd, outmem, sizeof outmem);
            close(0);
            close(1);
            tls_on = 1;
            nhistory = 0;
            continue; /* the client speaks first after STARTTLS */
        } else if (strcasecmp(line, "ENV") == 0) {
            show_env();
        } else if (strcasecmp(line, "HISTORY") == 0) {
            for (i = 0; i < nhistory; i++) {
                snprintf(l, sizeof l, "250-%.60s", history[i]);
                reply(l);
            }
            reply("250 end");
        } else if (strncasecmp(line, "ECHO ", 5) == 0) {
            snprintf(l, sizeof l, "250 %.500s", line + 5);
            reply(l);
        } else if (strcasecmp(line, "QUIT") == 0) {
            reply("221 bye");
            flush_or_die();
            return 0;
        } else {
            reply("500 unknown command");
        }
        /* Pipelining: flush only when no more input is waiting. */
        if (buf_unread(&in) == 0)
            flush_or_die();
    }
}
