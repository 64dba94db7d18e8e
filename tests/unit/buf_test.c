/* buf_test.c - line reading limits, EOF inside a line, deadlines, writes. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "loop.h"
#include "tap.h"

static void
feed(int fd, const char *s)
{
    (void)!write(fd, s, strlen(s));
}

int
main(void)
{
    unsigned char mem[16];
    char line[8];
    struct buf b;
    size_t len;
    int p[2], r;

    if (pipe(p) == -1)
        return 1;
    buf_init(&b, p[0], mem, sizeof mem);
    feed(p[1], "ab\ncdefghijklmnop\nxyz\r\n");
    r = buf_getline(&b, line, sizeof line, &len);
    ok(r == 1 && len == 3 && strcmp(line, "ab\n") == 0, "short line");
    errno = 0;
    r = buf_getline(&b, line, sizeof line, &len);
    ok(r == -1 && errno == ERANGE, "long line gives ERANGE");
    r = buf_getline(&b, line, sizeof line, &len);
    ok(r == 1 && strcmp(line, "xyz\r\n") == 0,
        "next line after a long one is intact");
    feed(p[1], "tail");
    close(p[1]);
    errno = 0;
    r = buf_getline(&b, line, sizeof line, &len);
    ok(r == -1 && errno == EPROTO, "EOF inside a line gives EPROTO");
    ok(len == 4 && strcmp(line, "tail") == 0, "with the partial line in out");
    r = buf_getline(&b, line, sizeof line, &len);
    ok(r == 0, "then EOF");
    close(p[0]);

    if (pipe(p) == -1)
        return 1;
    buf_init(&b, p[0], mem, sizeof mem);
    b.deadline = loop_now() + 100;
    errno = 0;
    r = buf_getline(&b, line, sizeof line, &len);
    ok(r == -1 && errno == ETIMEDOUT, "silent peer: ETIMEDOUT at deadline");
    ok(loop_now() >= b.deadline, "waited until the deadline");

    b.deadline = -1;
    feed(p[1], "one\ntwo\n");
    r = buf_getline(&b, line, sizeof line, &len);
    ok(r == 1 && buf_unread(&b) == 4, "pipelined bytes stay buffered");
    buf_discard(&b);
    ok(buf_unread(&b) == 0, "discard forgets buffered input");
    feed(p[1], "new\n");
    r = buf_getline(&b, line, sizeof line, &len);
    ok(r == 1 && strcmp(line, "new\n") == 0, "after discard, fresh input");

    {
        unsigned char out[4];
        char got[64];
        struct buf w;
        ssize_t n;
        buf_init(&w, p[1], out, sizeof out);
        ok(buf_puts(&w, "hello, world") == 0 && buf_flush(&w) == 0,
            "put larger than the buffer, then flush");
        n = read(p[0], got, sizeof got);
        ok(n == 12 && memcmp(got, "hello, world", 12) == 0,
            "all bytes written in order");
    }
    {
        char big[9];
        unsigned char m2[4];
        struct buf g;
        feed(p[1], "0123456789\n");
        buf_init(&g, p[0], m2, sizeof m2);
        r = buf_getline(&g, big, sizeof big, &len);
        ok(r == -1 && errno == ERANGE,
            "line longer than both buffer and cap refused");
    }
    return done();
}
