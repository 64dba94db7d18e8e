/* tlsfacts.c - TLS facts wire form and UCSPI-TLS application side. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "loop.h"
#include "tlsfacts.h"

static int
name_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > TLSFACTS_NAME_MAX || !(s[0] >= 'A' && s[0] <= 'Z'))
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')
                || s[i] == '_'))
            return 0;
    return 1;
}

static int
value_ok(const char *s, size_t n)
{
    size_t i;

    if (n > TLSFACTS_VALUE_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

long
tlsfacts_parse(const unsigned char *p, size_t len, struct tlsfacts *f)
{
    size_t pos = 0, end, eq;
    const char *s = (const char *)p;

    f->n = 0;
    if (len > TLSFACTS_MAX)
        len = TLSFACTS_MAX + 1; /* anything past the cap is an error */
    for (;;) {
        if (pos >= len)
            return 0;
        if (p[pos] == 0) {
            if (pos + 1 > TLSFACTS_MAX)
                goto bad;
            return (long)(pos + 1);
        }
        for (end = pos; end < len && p[end] != 0; end++)
            ;
        if (end > TLSFACTS_MAX)
            goto bad;
        if (end == len)
            return len > TLSFACTS_MAX ? (errno = EPROTO, -1) : 0;
        for (eq = pos; eq < end && p[eq] != '='; eq++)
            ;
        if (eq == end || !name_ok(s + pos, eq - pos)
            || !value_ok(s + eq + 1, end - eq - 1)
            || f->n >= TLSFACTS_COUNT_MAX)
            goto bad;
        memcpy(f->name[f->n], s + pos, eq - pos);
        f->name[f->n][eq - pos] = 0;
        memcpy(f->value[f->n], s + eq + 1, end - eq - 1);
        f->value[f->n][end - eq - 1] = 0;
        f->n++;
        pos = end + 1;
    }
bad:
    errno = EPROTO;
    return -1;
}

const char *
tlsfacts_get(const struct tlsfacts *f, const char *name)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        if (strcmp(f->name[i], name) == 0)
            return f->value[i];
    return NULL;
}

int
tlsfacts_add(struct tlsfacts *f, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);

    if (!name_ok(name, nl) || !value_ok(value, vl)) {
        errno = EINVAL;
        return -1;
    }
    if (f->n >= TLSFACTS_COUNT_MAX) {
        errno = E2BIG;
        return -1;
    }
    memcpy(f->name[f->n], name, nl + 1);
    memcpy(f->value[f->n], value, vl + 1);
    f->n++;
    return 0;
}

long
tlsfacts_encode(const struct tlsfacts *f, unsigned char *out, size_t cap)
{
    size_t o = 0, i, nl, vl;

    for (i = 0; i < f->n; i++) {
        nl = strlen(f->name[i]);
        vl = strlen(f->value[i]);
        if (nl + vl + 2 > cap - o)
            goto full;
        memcpy(out + o, f->name[i], nl);
        o += nl;
        out[o++] = '=';
        memcpy(out + o, f->value[i], vl);
        o += vl;
        out[o++] = 0;
    }
    if (o >= cap || o + 1 > TLSFACTS_MAX)
        goto full;
    out[o++] = 0;
    return (long)o;
full:
    errno = E2BIG;
    return -1;
}

int
tlsfacts_read(int fd, struct tlsfacts *f, int64_t deadline)
{
    unsigned char msg[TLSFACTS_MAX];
    size_t len = 0;
    struct pollfd pfd;
    ssize_t r;
    long used;
    int pr;

    for (;;) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        pr = loop_poll(&pfd, 1, deadline);
        if (pr == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (pr < 0)
            return -1;
        /* Read one byte at a time: nothing after the message may be
         * consumed, the descriptor may carry more later. */
        r = read(fd, msg + len, 1);
        if (r == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r == -1)
            return -1;
        if (r == 0) {
            errno = EPIPE;
            return -1;
        }
        len++;
        used = tlsfacts_parse(msg, len, f);
        if (used == -1)
            return -1;
        if (used > 0)
            return 0;
        if (len == sizeof msg) {
            errno = EPROTO;
            return -1;
        }
    }
}

int
tlsfacts_setenv(const struct tlsfacts *f)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        if (setenv(f->name[i], f->value[i], 1) == -1)
            return -1;
    return 0;
}

static int
env_fd(const char *var, int *fd)
{
    const char *s = getenv(var);
    long v = 0;
    size_t i;

    if (s == NULL)
        return 0;
    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 6)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (i == 0 || fcntl((int)v, F_GETFD) == -1)
        return -1;
    *fd = (int)v;
    return 1;
}

int
ucspitls_init(struct ucspitls *u)
{
    int a, b, c;

    u->ctlfd = u->readfd = u->writefd = -1;
    a = env_fd("SSLCTLFD", &u->ctlfd);
    b = env_fd("SSLREADFD", &u->readfd);
    c = env_fd("SSLWRITEFD", &u->writefd);
    if (a == 0 && b == 0 && c == 0)
        return 0;
    if (a != 1 || b != 1 || c != 1) {
        u->ctlfd = u->readfd = u->writefd = -1;
        errno = EINVAL;
        return -1;
    }
    return 1;
}

int
ucspitls_starttls(struct ucspitls *u, struct tlsfacts *f, int64_t deadline)
{
    int r;

    if (u->ctlfd == -1) {
        errno = EBADF;
        return -1;
    }
    if (fd_write_all(u->ctlfd, "Y", 1, deadline) == -1)
        return -1;
    r = tlsfacts_read(u->ctlfd, f, deadline);
    close(u->ctlfd);
    u->ctlfd = -1;
    return r;
}
