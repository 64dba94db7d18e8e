/* log.h - one line per event on stderr, key=value, with a session id.
 *
 * Format: "prog: level: sid event key=value ..." (s6-log or journald add
 * the time).  Every line is escaped (bytes outside printable ASCII become
 * \xHH, so a peer cannot forge a line) and capped at LOG_LINE_MAX.
 * The session id is taken from FACTEUR_SID when the program before us in
 * the chain set it, so one connection keeps one id across programs;
 * otherwise it is made from random bytes.  Never log a password.
 */
#ifndef MAIL_LOG_H
#define MAIL_LOG_H

#include <stdarg.h>

#define LOG_SID_LEN 12

enum log_level { LOG_FATAL, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/** log_init - set the program name; adopt or create the session id. */
void log_init(const char *prog);
/** log_sid - the session id (LOG_SID_LEN hex digits). */
const char *log_sid(void);
/** log_sid_export - put the session id in the environment as FACTEUR_SID. */
int log_sid_export(void);

void log_msg(enum log_level lv, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));
void log_vmsg(enum log_level lv, const char *fmt, va_list ap)
    __attribute__((__format__(__printf__, 2, 0)));

#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)

/** log_die - log at level fatal and exit with code. */
_Noreturn void log_die(int code, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

/** log_bug - an impossible state: log file:line and exit 111. */
_Noreturn void log_bug(const char *file, int line);
#define bug() log_bug(__FILE__, __LINE__)

/**
 * log_escape - copy src (n bytes) to dst escaping non-printables as \xHH,
 * at most dstlen - 1 bytes plus a NUL; a cut is marked with "...".
 * Returns dst.  For values a caller puts in a key=value pair.
 */
char *log_escape(char *dst, size_t dstlen, const void *src, size_t n);

#endif
