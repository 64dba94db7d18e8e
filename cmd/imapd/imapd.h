/* imapd.h - what imapd's two halves share (imapd.c: before login;
 * session.c: the mailbox owner's session). */
#ifndef IMAPD_IMAPD_H
#define IMAPD_IMAPD_H

/* The capabilities before and after login.  Never UIDONLY, XLIST or
 * STARTTLS (implicit TLS only, RFC 8314). */
#define CAPS_COMMON "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE"
#define CAPS_PREAUTH CAPS_COMMON " AUTH=PLAIN"
#define CAPS_SESSION CAPS_COMMON " NAMESPACE UIDPLUS MOVE UNSELECT" \
    " CHILDREN SPECIAL-USE ESEARCH"

/* The environment the pre-auth half passes to the session through
 * checkpassword: the LOGIN/AUTHENTICATE command's tag. */
#define ENV_TAG "IMAPD_TAG"
/* The descriptor on which the session tells the monitor it started. */
#define SESSION_REPORT_FD 4

/* Pre-auth: a short time to log in, few mistakes. */
#define PREAUTH_TIMEOUT_MS 60000
#define PREAUTH_LINE_MAX 2048
#define PREAUTH_BAD_MAX 5
/* After login: RFC 3501 5.4's "at least 30 minutes". */
#define SESSION_TIMEOUT_MS (30 * 60 * 1000)
#define SESSION_BAD_MAX 20

/** session_main - the logged-in session (imapd -S).  Returns the exit
 * code. */
int session_main(void);

#endif
