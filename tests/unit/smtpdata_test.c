/* smtpdata_test.c - where DATA ends: only <CRLF>.<CRLF>; every smuggling
 * variant is flagged and none ends the message; dot-unstuffing; feeding
 * in pieces of every size gives the same result. */
#include <string.h>

#include "smtpdata.h"
#include "tap.h"

static unsigned char res[8192];
static size_t reslen, used;

/* Feed s (n bytes) in pieces of k; the message in res, consumed bytes in
 * used. */
static struct smtpdata
run(const char *s, size_t n, size_t k)
{
    struct smtpdata d;
    unsigned char out[8192];
    size_t i, len, olen;

    smtpdata_init(&d);
    reslen = used = 0;
    for (i = 0; i < n && !d.done; i += len) {
        size_t c;
        len = n - i < k ? n - i : k;
        c = smtpdata_feed(&d, (const unsigned char *)s + i, len, out, &olen);
        memcpy(res + reslen, out, olen);
        reslen += olen;
        used += c;
        if (c < len)
            break;
    }
    res[reslen] = 0;
    return d;
}

#define RUN(lit, k) run(lit, sizeof(lit) - 1, k)

int
main(void)
{
    struct smtpdata d;
    size_t k;
    int all;
    static const struct {
        const char *in;
        const char *what;
    } smuggle[] = {
        { "a\r\n\n.\n", "<LF>.<LF>" },
        { "a\r\n\n.\r\n", "<LF>.<CR><LF>" },
        { "a\r\n.\n", "<CR><LF>.<LF>" },
        { "a\r.\r", "<CR>.<CR>" },
        { "a\r\n.\r\r\n", "a dot line ended by <CR><CR><LF>" },
    };

    d = RUN("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n", 100);
    ok(d.done && d.flags == 0 && strcmp((char *)res,
        "Subject: x\r\n\r\nbody\r\n") == 0 && used == 23,
        "CRLF.CRLF ends the message; the next command is left");
    d = RUN(".\r\n", 100);
    ok(d.done && reslen == 0, "a dot on the first line: an empty message");
    d = RUN("..x\r\n...\r\n. \r\n.\r\n", 100);
    ok(d.done && d.flags == 0 && strcmp((char *)res, ".x\r\n..\r\n \r\n") == 0,
        "leading dots are unstuffed");
    all = 1;
    for (k = 1; k <= 7; k++) {
        d = RUN("a\r\n..b\r\n\r\n.\r\nX", k);
        all &= d.done && d.flags == 0 && used == 13
            && strcmp((char *)res, "a\r\n.b\r\n\r\n") == 0;
    }
    ok(all, "the same result for any piece size");

    for (size_t i = 0; i < sizeof smuggle / sizeof smuggle[0]; i++) {
        /* The smuggled end, then a second message, then the real end. */
        char in[256];
        int good = 1;
        snprintf(in, sizeof in, "%sMAIL FROM:<x@y>\r\nRCPT TO:<v@w>\r\n"
            "DATA\r\nsmuggled\r\n.\r\n", smuggle[i].in);
        for (k = 1; k <= 3; k++) {
            d = run(in, strlen(in), k);
            good &= d.done && used == strlen(in)
                && (d.flags & (SMTPDATA_BARE_LF | SMTPDATA_BARE_CR)) != 0;
        }
        ok(good, "%s does not end DATA, and is flagged", smuggle[i].what);
    }
    d = RUN("a\rb\r\n.\r\n", 100);
    ok(d.done && d.flags == SMTPDATA_BARE_CR, "bare CR flagged");
    d = RUN("a\nb\r\n.\r\n", 100);
    ok(d.done && d.flags == SMTPDATA_BARE_LF, "bare LF flagged");
    d = RUN("a\0b\r\n.\r\n", 100);
    ok(d.done && d.flags == SMTPDATA_NUL, "NUL flagged");
    {
        static char big[2100];
        memset(big, 'x', 1100);
        memcpy(big + 1100, "\r\n.\r\n", 6);
        d = run(big, strlen(big), 64);
        ok(d.done && d.flags == SMTPDATA_LONG_LINE, "a 1102-byte line flagged");
        memset(big, 'x', 998);
        memcpy(big + 998, "\r\n.\r\n", 6);
        d = run(big, strlen(big), 64);
        ok(d.done && d.flags == 0, "a 1000-byte line (with CRLF) is fine");
    }
    d = RUN("abc\r\n.", 100);
    ok(!d.done, "no end without the final CRLF");

    smtpdata_init(&d);
    smtpdata_scan(&d, (const unsigned char *)"a\r", 2);
    smtpdata_scan(&d, (const unsigned char *)"\nb\r\n.x\r\n", 8);
    smtpdata_scan_end(&d);
    ok(d.flags == 0, "BDAT scan: a CRLF cut between chunks is fine");
    smtpdata_init(&d);
    smtpdata_scan(&d, (const unsigned char *)"a\nb", 3);
    ok(d.flags == SMTPDATA_BARE_LF, "BDAT scan: bare LF");
    smtpdata_init(&d);
    smtpdata_scan(&d, (const unsigned char *)"a\r", 2);
    smtpdata_scan_end(&d);
    ok(d.flags == SMTPDATA_BARE_CR, "BDAT scan: a CR at the very end");
    return done();
}
