/* canon.c - LF/CR/CRLF to CRLF, hop counting (see canon.h). */
#include <string.h>
#include <strings.h>

#include "canon.h"

void
canon_init(struct canon *c)
{
    memset(c, 0, sizeof *c);
    c->bol = 1;
    c->in_header = 1;
}

/* A header line is complete: count it if it is a hop, note the end of
 * the header section at the first empty line. */
static void
end_line(struct canon *c)
{
    if (c->in_header) {
        if (c->flen == 0)
            c->in_header = 0;
        else if ((c->flen >= 9 && strncasecmp(c->field, "received:", 9) == 0)
            || (c->flen >= 13
                && strncasecmp(c->field, "delivered-to:", 13) == 0))
            c->hops++;
    }
    c->flen = 0;
    c->bol = 1;
}

static size_t
put_eol(struct canon *c, unsigned char *out)
{
    out[0] = '\r';
    out[1] = '\n';
    c->size += 2;
    end_line(c);
    return 2;
}

size_t
canon_feed(struct canon *c, const unsigned char *in, size_t n,
    unsigned char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        unsigned char b = in[i];
        if (c->cr) {
            c->cr = 0;
            o += put_eol(c, out + o); /* CR LF, or a bare CR */
            if (b == '\n')
                continue;
        }
        if (b == '\r') {
            c->cr = 1;
            continue;
        }
        if (b == '\n') {
            o += put_eol(c, out + o);
            continue;
        }
        if (b == 0)
            c->nul = 1;
        if (c->in_header && c->flen < sizeof c->field)
            c->field[c->flen] = (char)b;
        if (c->in_header)
            c->flen++;
        out[o++] = b;
        c->size++;
        c->bol = 0;
    }
    return o;
}

size_t
canon_finish(struct canon *c, unsigned char *out)
{
    if (c->cr) {
        c->cr = 0;
        return put_eol(c, out);
    }
    if (!c->bol)
        return put_eol(c, out);
    return 0;
}
