/* smtpsrv.h - the one SMTP server state machine, for smtpd and submissiond.
 *
 * The core speaks RFC 5321 (with PIPELINING, SIZE, 8BITMIME,
 * ENHANCEDSTATUSCODES, SMTPUTF8, CHUNKING and STARTTLS through UCSPI-TLS)
 * and hands each accepted message to the queue program (qspawn.h); a
 * program adds its policy through the hooks of struct smtpsrv_policy:
 * which senders and recipients it takes, extra EHLO keywords and commands
 * (AUTH), a check of the header section.  Neither program copies the
 * state machine.
 *
 * What the core guarantees, whatever the policy:
 *   - HELO/EHLO before MAIL, MAIL before RCPT, a recipient before DATA;
 *     VRFY answers 252 and reveals nothing, EXPN is refused (502);
 *   - STARTTLS (only with a UCSPI-TLS wrapper, only once): "220", flush,
 *     hand-off, fresh buffers, everything the client pipelined in clear
 *     is dropped, HELO and the transaction are forgotten;
 *   - DATA (smtpdata.h): only <CRLF>.<CRLF> ends it; a bare CR or LF, a
 *     NUL, a line over 1000 bytes, a message over the size limit, a
 *     header section over SMTPSRV_HEADER_MAX or more than
 *     SMTPSRV_HOPS_MAX Received: fields make the whole message refused
 *     after its end was read (never a second message);
 *   - BDAT (RFC 3030): exactly the announced bytes are read, even for a
 *     refused BDAT (so chunk data is never run as commands); the chunks
 *     get the checks of DATA but for dots; a malformed size ends the
 *     session (the stream cannot be framed any more);
 *   - "250" after DATA or BDAT LAST only once the queue program exited 0;
 *   - a Received: field first, with the TLS version and cipher;
 *   - limits: SMTP_CMD_MAX a command line, SMTPSRV_RCPT_MAX recipients,
 *     SMTPSRV_BAD_MAX bad commands, then "421" and the end; a command
 *     must come within SMTP_TIMEOUT seconds (environment; default
 *     SMTPSRV_CMD_TIMEOUT), each DATA read within SMTP_DATA_TIMEOUT
 *     (default SMTPSRV_DATA_TIMEOUT), the whole session within
 *     SMTP_SESSION_TIMEOUT (default SMTPSRV_SESSION_TIMEOUT); each 1 to
 *     SMTPSRV_TIMEOUT_MAX.
 * Descriptors: fds 0/1 (or the UCSPI-TLS pair after STARTTLS); stderr for
 * the log: one line per session and one per message.
 */
#ifndef MAIL_SMTPSRV_H
#define MAIL_SMTPSRV_H

#include <stdint.h>

#include "buf.h"
#include "conninfo.h"
#include "envelope.h"
#include "limits.h"
#include "sa.h"
#include "smtpcmd.h"
#include "tlsfacts.h"

#define SMTPSRV_RCPT_MAX 100          /* RFC 5321 4.5.3.1.8 */
#define SMTPSRV_BAD_MAX 10
#define SMTPSRV_HOPS_MAX 100          /* RFC 5321 6.3 */
#define SMTPSRV_HEADER_MAX (256 * 1024)
#define SMTPSRV_CMD_TIMEOUT 300       /* RFC 5321 4.5.3.2.7: 5 minutes */
#define SMTPSRV_DATA_TIMEOUT 180      /* 4.5.3.2.6: 3 minutes a block */
#define SMTPSRV_SESSION_TIMEOUT 3600
#define SMTPSRV_TIMEOUT_MAX 86400

struct smtpsrv;

struct smtpsrv_policy {
    /* Extra EHLO keyword lines (e.g. "AUTH PLAIN LOGIN"), or NULL. */
    const char *(*ehlo)(struct smtpsrv *s);
    /* A command the core does not handle itself (AUTH, or any unknown
     * verb): return 1 when it answered, 0 to let the core refuse it. */
    int (*command)(struct smtpsrv *s, const struct smtp_cmd *c);
    /* May this sender start a transaction?  NULL yes, else the reply. */
    const char *(*mail)(struct smtpsrv *s, const struct smtp_path *p);
    /* Is this recipient taken?  NULL yes (the address to queue in *to,
     * which the hook fills from p->a or, for <postmaster>, itself), else
     * the reply. */
    const char *(*rcpt)(struct smtpsrv *s, const struct smtp_path *p,
        struct addr *to);
    /* Check (or rewrite) the header section, CRLF lines, before anything
     * is queued.  NULL accepted, else the reply.  May be NULL. */
    const char *(*header)(struct smtpsrv *s, struct sa *hdr);
};

struct smtpsrv {
    /* Set by the program before smtpsrv_run. */
    const struct smtpsrv_policy *pol;
    void *ctx;
    const char *argv0;        /* to find the queue program */
    const char *service;      /* for the Received: field: "smtpd" */
    char hostname[DNSNAME_MAX + 1];
    uint64_t sizelimit;
    struct conninfo ci;
    const char *busy;         /* non-NULL: answer 421 with this and end */
    int authenticated;        /* set by the policy (AUTH): ESMTPA */
    int received_private;     /* Received: without the client's name and
                               * address (submission privacy) */

    /* State the policy may read. */
    int tls_on;
    char tls_version[32];     /* "TLS1.2" */
    char tls_cipher[TLSFACTS_VALUE_MAX + 1];
    char helo[256];
    int esmtp;
    int in_mail;
    struct smtp_path mail;
    struct envelope env;
    unsigned nmsg;
    struct buf in, out;

    /* The core's own. */
    int cmd_timeout, data_timeout, session_timeout; /* seconds */
    struct ucspitls tls;
    unsigned bad;
    int64_t session_deadline;
};

/**
 * smtpsrv_run - serve the session on fds 0/1 until QUIT, end of file, a
 * timeout or too many errors.  Returns the exit code for the program
 * (0 normal end, 1 the peer vanished or timed out, 111 a system error).
 */
int smtpsrv_run(struct smtpsrv *s);

/** smtpsrv_reply - queue one reply line (CRLF added). */
void smtpsrv_reply(struct smtpsrv *s, const char *line);

/**
 * smtpsrv_getline - for a policy's command (AUTH): flush the replies and
 * read one client line of at most max - 1 bytes, without its CRLF, within
 * the command timeout.  1 read, 0 the session is over, -1 too long (the
 * line was dropped).
 */
int smtpsrv_getline(struct smtpsrv *s, char *line, size_t max, size_t *len);

/** smtpsrv_reset - forget the transaction (RSET, HELO, STARTTLS). */
void smtpsrv_reset(struct smtpsrv *s);

#endif
