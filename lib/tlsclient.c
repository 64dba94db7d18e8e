/* tlsclient.c - the client side of TLS (see tlsclient.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dane.h"
#include "loop.h"
#include "tlscert.h"
#include "tlsclient.h"
#include "tlsnames.h"

/* ---- trust anchors from a PEM bundle ---- */

struct dnbuf {
    unsigned char *p;
    size_t len, cap;
};

static void
dn_append(void *ctx, const void *buf, size_t len)
{
    struct dnbuf *d = ctx;

    if (d->p == NULL || d->len + len > d->cap)
        return; /* too long: the anchor is dropped below */
    memcpy(d->p + d->len, buf, len);
    d->len += len;
}

/* The DN of a DANE-TA anchor, into a fixed buffer. */
static void
dn_collect(void *ctx, const void *buf, size_t len)
{
    struct { unsigned char *p; size_t len; } *d = ctx;

    if (d->len + len > 4096) {
        d->len = 4097; /* too long: refused by the caller */
        return;
    }
    memcpy(d->p + d->len, buf, len);
    d->len += len;
}

static void *
dup_bytes(const void *p, size_t n)
{
    void *c = malloc(n ? n : 1);

    if (c != NULL)
        memcpy(c, p, n);
    return c;
}

/* One certificate to an anchor (CA flag as in the certificate). */
static int
add_anchor(void *ctx, const char *name, const unsigned char *der, size_t len)
{
    struct tlsanchors *a = ctx;
    br_x509_decoder_context dc;
    struct dnbuf dn;
    br_x509_trust_anchor *ta;
    const br_x509_pkey *pk;

    if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "TRUSTED CERTIFICATE"))
        return 0;
    if (a->n >= TLSCLIENT_ANCHORS_MAX)
        return 0;
    dn.cap = 4096;
    dn.len = 0;
    dn.p = malloc(dn.cap);
    if (dn.p == NULL)
        return -1;
    br_x509_decoder_init(&dc, dn_append, &dn);
    br_x509_decoder_push(&dc, der, len);
    pk = br_x509_decoder_get_pkey(&dc);
    if (pk == NULL || dn.len == 0 || dn.len > dn.cap) {
        free(dn.p);
        return 0; /* not usable: skipped */
    }
    ta = realloc(a->ta, (a->n + 1) * sizeof *ta);
    if (ta == NULL) {
        free(dn.p);
        return -1;
    }
    a->ta = ta;
    ta = &a->ta[a->n];
    memset(ta, 0, sizeof *ta);
    ta->dn.data = dn.p;
    ta->dn.len = dn.len;
    ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
    if (pk->key_type == BR_KEYTYPE_RSA) {
        ta->pkey.key_type = BR_KEYTYPE_RSA;
        ta->pkey.key.rsa.n = dup_bytes(pk->key.rsa.n, pk->key.rsa.nlen);
        ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
        ta->pkey.key.rsa.e = dup_bytes(pk->key.rsa.e, pk->key.rsa.elen);
        ta->pkey.key.rsa.elen = pk->key.rsa.elen;
        if (ta->pkey.key.rsa.n == NULL || ta->pkey.key.rsa.e == NULL)
            return -1;
    } else if (pk->key_type == BR_KEYTYPE_EC) {
        ta->pkey.key_type = BR_KEYTYPE_EC;
        ta->pkey.key.ec.curve = pk->key.ec.curve;
        ta->pkey.key.ec.q = dup_bytes(pk->key.ec.q, pk->key.ec.qlen);
        ta->pkey.key.ec.qlen = pk->key.ec.qlen;
        if (ta->pkey.key.ec.q == NULL)
            return -1;
    } else {
        free(dn.p);
        return 0;
    }
    a->n++;
    return 0;
}

int
tlsclient_bundle(const char *path, unsigned char **out, size_t *outlen)
{
    size_t cap = (size_t)TLS_PEMFILE_MAX * 64, len = 0;
    unsigned char *buf;
    int fd, e;
    ssize_t r;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    buf = malloc(cap);
    if (buf == NULL) {
        close(fd);
        return -1;
    }
    while ((r = read(fd, buf + len, cap - len)) > 0)
        len += (size_t)r;
    e = errno;
    close(fd);
    if (r == -1 || len == cap) {
        free(buf);
        errno = r == -1 ? e : E2BIG;
        return -1;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

int
tlsclient_anchors(struct tlsanchors *a, const unsigned char *buf, size_t len)
{
    int e;

    a->ta = NULL;
    a->n = 0;
    if (tls_pem_decode(buf, len, add_anchor, a) == -1 || a->n == 0) {
        e = errno;
        tlsclient_anchors_free(a);
        errno = e ? e : EPROTO;
        return -1;
    }
    return 0;
}

void
tlsclient_anchors_free(struct tlsanchors *a)
{
    size_t i;

    for (i = 0; i < a->n; i++) {
        br_x509_trust_anchor *ta = &a->ta[i];
        free(ta->dn.data);
        if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
            free(ta->pkey.key.rsa.n);
            free(ta->pkey.key.rsa.e);
        } else {
            free(ta->pkey.key.ec.q);
        }
    }
    free(a->ta);
    a->ta = NULL;
    a->n = 0;
}

/* ---- the x509 engine: minimal's verdict, the decoder's key ---- */

static struct tlsclient *
owner(const br_x509_class **ctx)
{
    return ((struct tlsclient_x509 *)(void *)ctx)->t;
}

static void
xw_start_chain(const br_x509_class **ctx, const char *server_name)
{
    struct tlsclient *t = owner(ctx);

    t->xm.vtable->start_chain(&t->xm.vtable, server_name);
    t->first = 1;
    t->ncert = 0;
    t->certover = 0;
    t->dane = NULL;
    br_x509_decoder_init(&t->dec, NULL, NULL);
}

static void
xw_start_cert(const br_x509_class **ctx, uint32_t length)
{
    struct tlsclient *t = owner(ctx);

    t->xm.vtable->start_cert(&t->xm.vtable, length);
    if (t->ncert < TLS_CHAIN_MAX)
        t->certlen[t->ncert] = 0;
    t->certover = 0;
}

static void
xw_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
    struct tlsclient *t = owner(ctx);
    size_t k = t->ncert;

    t->xm.vtable->append(&t->xm.vtable, buf, len);
    if (t->first)
        br_x509_decoder_push(&t->dec, buf, len);
    if (k >= TLS_CHAIN_MAX || t->certover)
        return;
    if (t->certlen[k] + len > TLS_CERT_MAX) {
        t->certover = 1;
        t->certlen[k] = 0;
        return;
    }
    memcpy(t->chain[k] + t->certlen[k], buf, len);
    t->certlen[k] += len;
}

static void
xw_end_cert(const br_x509_class **ctx)
{
    struct tlsclient *t = owner(ctx);

    t->xm.vtable->end_cert(&t->xm.vtable);
    t->first = 0;
    if (t->ncert < TLS_CHAIN_MAX) {
        if (t->certover)
            t->certlen[t->ncert] = 0;
        t->ncert++;
    }
}

/* DANE-TA: chain[ta] is the trust anchor; the certificates before it must
 * chain up to it, valid now, the first one for the server name. */
static int
dane_ta_chain(struct tlsclient *t, size_t ta)
{
    static br_x509_minimal_context xm2;
    static struct { unsigned char *p; size_t len; } dn;
    static unsigned char dnbuf[4096];
    br_x509_decoder_context dc;
    br_x509_trust_anchor anchor;
    const br_x509_pkey *pk;
    size_t k;

    dn.p = dnbuf;
    dn.len = 0;
    br_x509_decoder_init(&dc, dn_collect, &dn);
    br_x509_decoder_push(&dc, t->chain[ta], t->certlen[ta]);
    pk = br_x509_decoder_get_pkey(&dc);
    if (pk == NULL || dn.len == 0 || dn.len > sizeof dnbuf)
        return 0;
    memset(&anchor, 0, sizeof anchor);
    anchor.dn.data = dnbuf;
    anchor.dn.len = dn.len;
    anchor.flags = BR_X509_TA_CA;
    anchor.pkey = *pk;
    br_x509_minimal_init_full(&xm2, &anchor, 1);
    xm2.vtable->start_chain(&xm2.vtable, t->name);
    for (k = 0; k < ta; k++) {
        if (t->certlen[k] == 0)
            return 0;
        xm2.vtable->start_cert(&xm2.vtable, (uint32_t)t->certlen[k]);
        xm2.vtable->append(&xm2.vtable, t->chain[k], t->certlen[k]);
        xm2.vtable->end_cert(&xm2.vtable);
    }
    return xm2.vtable->end_chain(&xm2.vtable) == 0;
}

/* The chain against the TLSA records: 1 when one matches. */
static int
dane_check(struct tlsclient *t)
{
    size_t i, k;

    for (i = 0; i < t->ntlsa; i++) {
        const struct dns_tlsa *r = &t->tlsa[i];
        if (r->usage == 3 && t->ncert > 0 && t->certlen[0] > 0
            && dane_match(r, t->chain[0], t->certlen[0])) {
            t->dane = "DANE-EE";
            return 1;
        }
        if (r->usage != 2)
            continue;
        for (k = 0; k < t->ncert; k++)
            if (t->certlen[k] > 0 && dane_match(r, t->chain[k], t->certlen[k])
                && (k == 0 || dane_ta_chain(t, k))) {
                t->dane = "DANE-TA";
                return 1;
            }
    }
    return 0;
}

static unsigned
xw_end_chain(const br_x509_class **ctx)
{
    struct tlsclient *t = owner(ctx);

    t->xerr = t->xm.vtable->end_chain(&t->xm.vtable);
    if (t->ntlsa > 0) {
        /* DANE decides alone: a match is enough, no match is fatal. */
        if (!dane_check(t) || br_x509_decoder_get_pkey(&t->dec) == NULL)
            return BR_ERR_X509_NOT_TRUSTED;
        return 0;
    }
    if (t->verify)
        return t->xerr;
    if (br_x509_decoder_get_pkey(&t->dec) == NULL)
        return BR_ERR_X509_BAD_TAG_CLASS; /* no usable key at all */
    return 0;
}

static const br_x509_pkey *
xw_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
    struct tlsclient *t = ((const struct tlsclient_x509 *)(const void *)ctx)->t;

    if (t->verify && t->ntlsa == 0)
        return t->xm.vtable->get_pkey(&t->xm.vtable, usages);
    if (usages != NULL)
        *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
    return br_x509_decoder_get_pkey(&t->dec);
}

static const br_x509_class xw_vtable = {
    sizeof(struct tlsclient_x509),
    xw_start_chain,
    xw_start_cert,
    xw_append,
    xw_end_cert,
    xw_end_chain,
    xw_get_pkey,
};

/* ---- I/O with deadlines ---- */

static int
sock_read(void *ctx, unsigned char *buf, size_t len)
{
    struct tlsclient *t = ctx;

    for (;;) {
        ssize_t r;
        if (fd_wait(t->fd, POLLIN, t->deadline) == -1)
            return -1;
        r = read(t->fd, buf, len);
        if (r == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        return r <= 0 ? -1 : (int)r;
    }
}

static int
sock_write(void *ctx, const unsigned char *buf, size_t len)
{
    struct tlsclient *t = ctx;

    for (;;) {
        ssize_t r;
        if (fd_wait(t->fd, POLLOUT, t->deadline) == -1)
            return -1;
        r = write(t->fd, buf, len);
        if (r == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        return r <= 0 ? -1 : (int)r;
    }
}

void
tlsclient_dane(struct tlsclient *t, const struct dns_tlsa *tlsa, size_t n)
{
    t->tlsa = tlsa;
    t->ntlsa = n;
}

int
tlsclient_start(struct tlsclient *t, int fd, const char *name,
    const struct tlsanchors *anchors, int verify, int64_t deadline,
    const char **why)
{
    br_ssl_client_init_full(&t->cc, &t->xm, anchors ? anchors->ta : NULL,
        anchors ? anchors->n : 0);
    t->xw.vtable = &xw_vtable;
    t->xw.t = t;
    t->verify = verify;
    t->xerr = BR_ERR_X509_NOT_TRUSTED;
    t->fd = fd;
    t->deadline = deadline;
    t->name = name;
    br_ssl_engine_set_x509(&t->cc.eng, &t->xw.vtable);
    if (verify)
        br_ssl_engine_set_versions(&t->cc.eng, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_buffer(&t->cc.eng, t->iobuf, sizeof t->iobuf, 1);
    if (!br_ssl_client_reset(&t->cc, name, 0)) {
        *why = "TLS setup failed";
        return -1;
    }
    br_sslio_init(&t->io, &t->cc.eng, sock_read, t, sock_write, t);
    /* Flushing nothing drives the handshake to its end. */
    br_sslio_flush(&t->io);
    if (br_ssl_engine_current_state(&t->cc.eng) == BR_SSL_CLOSED) {
        int err = br_ssl_engine_last_error(&t->cc.eng);
        if (err >= BR_ERR_X509_OK && err < BR_ERR_X509_OK + 64)
            *why = t->ntlsa ? "no TLSA record matches the certificate (DANE)"
                : verify ? "certificate not valid for the host"
                         : "unusable certificate";
        else if (err == BR_ERR_IO)
            *why = "connection lost or timed out during the TLS handshake";
        else
            *why = "TLS handshake failed";
        return -1;
    }
    return 0;
}

int
tlsclient_verified(const struct tlsclient *t)
{
    return t->xerr == 0;
}

const char *
tlsclient_version(const struct tlsclient *t)
{
    return tls_version_name(br_ssl_engine_get_version(&t->cc.eng));
}

const char *
tlsclient_cipher(const struct tlsclient *t)
{
    br_ssl_session_parameters sp;

    br_ssl_engine_get_session_parameters(&t->cc.eng, &sp);
    return tls_suite_name(sp.cipher_suite);
}

ssize_t
tlsclient_read(struct tlsclient *t, void *buf, size_t n)
{
    int r = br_sslio_read(&t->io, buf, n);

    if (r < 0)
        return br_ssl_engine_last_error(&t->cc.eng) == 0 ? 0 : -1;
    return r;
}

int
tlsclient_write(struct tlsclient *t, const void *buf, size_t n)
{
    if (br_sslio_write_all(&t->io, buf, n) < 0)
        return -1;
    return br_sslio_flush(&t->io) < 0 ? -1 : 0;
}

void
tlsclient_close(struct tlsclient *t)
{
    int64_t d = loop_now() + 2000;

    if (t->deadline > d)
        t->deadline = d;
    br_sslio_close(&t->io);
}
