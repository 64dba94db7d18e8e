/* log.c - one escaped line per event on stderr (see log.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "exitcode.h"
#include "limits.h"
#include "log.h"

static const char *log_prog = "facteur";
static char sid[LOG_SID_LEN + 1];

static const char *const level_names[] = { "fatal", "warning", "info",
    "debug" };

static int
sid_valid(const char *s)
{
    size_t i;

    for (i = 0; i < LOG_SID_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[i] == 0;
}

void
log_init(const char *prog)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[LOG_SID_LEN / 2];
    const char *e = getenv("FACTEUR_SID");
    size_t i;

    log_prog = prog;
    if (e != NULL && sid_valid(e)) {
        memcpy(sid, e, LOG_SID_LEN + 1);
        return;
    }
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        memset(r, 0, sizeof r); /* only an id: zeros still log */
    for (i = 0; i < sizeof r; i++) {
        sid[2 * i] = hex[r[i] >> 4];
        sid[2 * i + 1] = hex[r[i] & 15];
    }
    sid[LOG_SID_LEN] = 0;
}

const char *
log_sid(void)
{
    if (sid[0] == 0)
        log_init(log_prog);
    return sid;
}

int
log_sid_export(void)
{
    return setenv("FACTEUR_SID", log_sid(), 1);
}

char *
log_escape(char *dst, size_t dstlen, const void *src, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = src;
    size_t o = 0, i;

    if (dstlen == 0)
        return dst;
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
        if (o + need > dstlen - 1 - 3 && i + 1 < n) {
            /* not enough room for this byte and a possible "..." */
            if (o + 3 <= dstlen - 1) {
                memcpy(dst + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (o + need > dstlen - 1)
            break;
        if (need == 1) {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    dst[o] = 0;
    return dst;
}

void
log_vmsg(enum log_level lv, const char *fmt, va_list ap)
{
    char raw[LOG_LINE_MAX];
    char line[LOG_LINE_MAX];
    int e = errno;
    int n, m;

    n = vsnprintf(raw, sizeof raw, fmt, ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof raw)
        n = sizeof raw - 1;
    m = snprintf(line, sizeof line, "%s: %s: %s ", log_prog,
        level_names[lv], log_sid());
    if (m < 0 || (size_t)m >= sizeof line - 2)
        m = 0;
    log_escape(line + m, sizeof line - (size_t)m - 1, raw, (size_t)n);
    m += (int)strlen(line + m);
    line[m++] = '\n';
    (void)!write(2, line, (size_t)m);
    errno = e;
}

void
log_msg(enum log_level lv, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(lv, fmt, ap);
    va_end(ap);
}

void
log_die(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(LOG_FATAL, fmt, ap);
    va_end(ap);
    _exit(code);
}

void
log_bug(const char *file, int line)
{
    log_msg(LOG_FATAL, "bug file=%s line=%d", file, line);
    _exit(EXIT_TEMP);
}
