/* smtpdata.c - the DATA state machine (see smtpdata.h). */
#include "smtpdata.h"

enum {
    S_BOL,    /* at the beginning of a line */
    S_DOT,    /* "." at the beginning of a line */
    S_DOTCR,  /* ".\r" at the beginning of a line */
    S_MID,    /* inside a line */
    S_CR      /* "\r" inside a line */
};

void
smtpdata_init(struct smtpdata *d)
{
    d->state = S_BOL;
    d->flags = 0;
    d->linelen = 0;
    d->done = 0;
}

size_t
smtpdata_feed(struct smtpdata *d, const unsigned char *in, size_t n,
    unsigned char *out, size_t *outlen)
{
    size_t i, o = 0;

    for (i = 0; i < n && !d->done; i++) {
        unsigned char c = in[i];
        if (c == 0)
            d->flags |= SMTPDATA_NUL;
        if (++d->linelen > SMTP_TEXT_LINE_MAX)
            d->flags |= SMTPDATA_LONG_LINE;
        switch (d->state) {
        case S_BOL:
            if (c == '.') {
                d->state = S_DOT;
                continue;
            }
            break;
        case S_DOT:
            if (c == '\r') {
                d->state = S_DOTCR;
                continue;
            }
            break; /* the dot is dropped: unstuffed */
        case S_DOTCR:
            if (c == '\n') {
                d->done = 1;
                continue;
            }
            /* ".\r" then something else: the CR is bare. */
            d->flags |= SMTPDATA_BARE_CR;
            out[o++] = '\r';
            d->state = S_MID;
            break;
        case S_CR:
            if (c == '\n') {
                out[o++] = '\r';
                out[o++] = '\n';
                d->state = S_BOL;
                d->linelen = 0;
                continue;
            }
            d->flags |= SMTPDATA_BARE_CR;
            out[o++] = '\r';
            break;
        default:
            break;
        }
        /* Inside a line (S_BOL, S_DOT, S_MID and a bare CR's follower). */
        if (c == '\r') {
            d->state = S_CR;
            continue;
        }
        if (c == '\n')
            d->flags |= SMTPDATA_BARE_LF;
        out[o++] = c;
        d->state = S_MID;
    }
    *outlen = o;
    return i;
}

void
smtpdata_scan(struct smtpdata *d, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == 0)
            d->flags |= SMTPDATA_NUL;
        if (++d->linelen > SMTP_TEXT_LINE_MAX)
            d->flags |= SMTPDATA_LONG_LINE;
        if (d->state == S_CR && c != '\n')
            d->flags |= SMTPDATA_BARE_CR;
        if (c == '\n' && d->state != S_CR)
            d->flags |= SMTPDATA_BARE_LF;
        if (c == '\n')
            d->linelen = 0;
        d->state = c == '\r' ? S_CR : S_MID;
    }
}

void
smtpdata_scan_end(struct smtpdata *d)
{
    if (d->state == S_CR)
        d->flags |= SMTPDATA_BARE_CR;
}

void
smtpstuff_init(struct smtpstuff *s)
{
    s->bol = 1;
    s->cr = 0;
}

size_t
smtpstuff_feed(struct smtpstuff *s, const unsigned char *in, size_t n,
    unsigned char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = in[i];
        if (s->cr) {
            /* CR then anything: the line ends here (CRLF, or a bare CR
             * made CRLF). */
            out[o++] = '\r';
            out[o++] = '\n';
            s->cr = 0;
            s->bol = 1;
            if (c == '\n')
                continue;
        }
        if (c == '\r') {
            s->cr = 1;
            continue;
        }
        if (c == '\n') {
            out[o++] = '\r';
            out[o++] = '\n';
            s->bol = 1;
            continue;
        }
        if (s->bol && c == '.')
            out[o++] = '.';
        out[o++] = c;
        s->bol = 0;
    }
    return o;
}

size_t
smtpstuff_finish(struct smtpstuff *s, unsigned char *out)
{
    size_t o = 0;

    if (s->cr || !s->bol) {
        out[o++] = '\r';
        out[o++] = '\n';
    }
    out[o++] = '.';
    out[o++] = '\r';
    out[o++] = '\n';
    s->cr = 0;
    s->bol = 1;
    return o;
}
