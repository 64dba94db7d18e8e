/* tlscert.c - certificate chains and private keys from PEM files.
 *
 * Runs as root in tlswrap before any network byte is read; see tlscert.h
 * for the layout and limits.  Key material is only ever copied into
 * tlspair.skmem and every temporary holding it is wiped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "dnsname.h"
#include "tlscert.h"

static void
seterr(char *err, size_t errlen, const char *a, const char *b)
{
    snprintf(err, errlen, "%s: %s", a, b);
}

/* Read a whole file of at most TLS_PEMFILE_MAX bytes into sa. */
static int
read_small_file(const char *path, struct sa *sa)
{
    unsigned char tmp[4096];
    struct stat st;
    ssize_t r;
    int fd, e;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd == -1)
        return -1;
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        e = errno ? errno : EINVAL;
        close(fd);
        errno = S_ISREG(st.st_mode) ? e : EINVAL;
        return -1;
    }
    for (;;) {
        r = read(fd, tmp, sizeof tmp);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (sa_append(sa, tmp, (size_t)r) == -1) {
            r = -1;
            break;
        }
    }
    e = errno;
    explicit_bzero(tmp, sizeof tmp);
    close(fd);
    if (r == -1) {
        errno = e;
        return -1;
    }
    return 0;
}

/* Does the line [p, p+n) read "-----<word> <name>-----"?  Sets name. */
static int
pem_marker(const unsigned char *p, size_t n, const char *word, char *name,
    size_t namelen)
{
    size_t w = strlen(word), k;

    if (n < 10 + w + 1 || memcmp(p, "-----", 5) != 0
        || memcmp(p + 5, word, w) != 0 || p[5 + w] != ' '
        || memcmp(p + n - 5, "-----", 5) != 0)
        return 0;
    k = n - 10 - w - 1;
    if (k == 0 || k >= namelen)
        return 0;
    memcpy(name, p + 6 + w, k);
    name[k] = 0;
    return 1;
}

/*
 * PEM (RFC 7468, the strict parts): objects between "-----BEGIN X-----"
 * and "-----END X-----" lines, base64 inside, text outside ignored.
 * Written here rather than br_pem_decoder, which runs in BearSSL's T0
 * interpreter and cost 0.9 million instructions a connection.
 */
int
tls_pem_decode(const unsigned char *buf, size_t len,
    int (*cb)(void *ctx, const char *name, const unsigned char *der,
        size_t derlen),
    void *ctx)
{
    struct sa der = SA_INIT(TLS_CERT_MAX);
    char name[128], endname[128];
    size_t pos = 0, eol, n, i;
    uint32_t acc = 0;
    int bits = 0, inobj = 0, pad = 0, count = 0, r = -1, e = EPROTO;

    while (pos < len) {
        const unsigned char *nl = memchr(buf + pos, '\n', len - pos);
        eol = nl ? (size_t)(nl - buf) : len;
        n = eol - pos;
        if (n > 0 && buf[pos + n - 1] == '\r')
            n--;
        if (!inobj) {
            if (pem_marker(buf + pos, n, "BEGIN", name, sizeof name)) {
                inobj = 1;
                acc = 0;
                bits = pad = 0;
                sa_wipe(&der);
            }
        } else if (n >= 5 && memcmp(buf + pos, "-----", 5) == 0) {
            if (!pem_marker(buf + pos, n, "END", endname, sizeof endname)
                || strcmp(name, endname) != 0 || bits >= 6
                || (acc & ((1u << bits) - 1)) != 0)
                goto out;
            if (cb(ctx, name, (const unsigned char *)der.s, der.len) == -1) {
                e = ECANCELED;
                goto out;
            }
            count++;
            inobj = 0;
        } else {
            for (i = 0; i < n; i++) {
                unsigned char c = buf[pos + i];
                int v;
                if (c == ' ' || c == '\t')
                    continue;
                if (c == '=') {
                    if (++pad > 2)
                        goto out;
                    continue;
                }
                v = base64_value(c);
                if (v < 0 || pad)
                    goto out; /* not base64, or data after padding */
                acc = (acc << 6) | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                    bits -= 8;
                    if (sa_appendc(&der, (char)(acc >> bits)) == -1) {
                        e = E2BIG;
                        goto out;
                    }
                    acc &= (1u << bits) - 1;
                }
            }
        }
        pos = nl ? eol + 1 : len;
    }
    if (inobj)
        goto out; /* the file ended inside an object */
    r = count;
out:
    sa_wipe(&der);
    acc = 0;
    if (r == -1)
        errno = e;
    return r;
}

struct chainctx {
    struct tlspair *kp;
    size_t offs[TLS_CHAIN_MAX];
    size_t lens[TLS_CHAIN_MAX];
    int toomany;
};

static int
chain_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
    struct chainctx *c = ctx;
    struct tlspair *kp = c->kp;

    if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "X509 CERTIFICATE"))
        return 0; /* other objects (parameters, keys) are not ours */
    if (kp->chain_len >= TLS_CHAIN_MAX) {
        c->toomany = 1;
        return -1;
    }
    c->offs[kp->chain_len] = kp->chainmem.len;
    c->lens[kp->chain_len] = len;
    if (sa_append(&kp->chainmem, der, len) == -1)
        return -1;
    kp->chain_len++;
    return 0;
}

struct keyctx {
    br_skey_decoder_context dc;
    int seen;
};

static int
key_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
    struct keyctx *k = ctx;

    if (strcmp(name, "PRIVATE KEY") != 0 && strcmp(name, "EC PRIVATE KEY")
        && strcmp(name, "RSA PRIVATE KEY"))
        return 0; /* e.g. "EC PARAMETERS" before the key */
    if (k->seen++)
        return -1; /* one key per file */
    br_skey_decoder_init(&k->dc);
    br_skey_decoder_push(&k->dc, der, len);
    return 0;
}

/* Strip leading zero bytes of a big-endian integer. */
static const unsigned char *
strip0(const unsigned char *p, size_t *len)
{
    while (*len > 0 && *p == 0) {
        p++;
        (*len)--;
    }
    return p;
}

static int
same_int(const unsigned char *a, size_t al, const unsigned char *b, size_t bl)
{
    a = strip0(a, &al);
    b = strip0(b, &bl);
    return al == bl && memcmp(a, b, al) == 0;
}

/* The tlscheck hash of a pair: label, key type, key, certificate. */
static void
check_hash(const struct tlspair *kp, unsigned char h[32])
{
    br_sha256_context c;
    unsigned char t = (unsigned char)kp->keytype;

    br_sha256_init(&c);
    br_sha256_update(&c, "facteur-keycheck-1", 19);
    br_sha256_update(&c, &t, 1);
    if (kp->keytype == BR_KEYTYPE_EC) {
        t = (unsigned char)kp->ec.curve;
        br_sha256_update(&c, &t, 1);
        br_sha256_update(&c, kp->ec.x, kp->ec.xlen);
    } else {
        br_sha256_update(&c, kp->rsa.p, kp->rsa.plen);
        br_sha256_update(&c, kp->rsa.q, kp->rsa.qlen);
    }
    br_sha256_update(&c, kp->chain[0].data, kp->chain[0].data_len);
    br_sha256_out(&c, h);
    explicit_bzero(&c, sizeof c);
}

/* Copy the decoded key into kp->skmem and check it against pk. */
static int
take_key(struct tlspair *kp, const br_skey_decoder_context *dc,
    const br_x509_pkey *pk, const struct tlscheck *ck, char *err,
    size_t errlen, const char *path)
{
    unsigned char h[32];
    int known;
    unsigned char buf[TLS_RSA_BITS_MAX / 8 + 1];
    size_t o = 0, n;

    if (br_skey_decoder_key_type(dc) == BR_KEYTYPE_EC) {
        const br_ec_private_key *ec = br_skey_decoder_get_ec(dc);
        if (pk->key_type != BR_KEYTYPE_EC) {
            seterr(err, errlen, path, "key type does not match certificate");
            return -1;
        }
        if (ec->curve != BR_EC_secp256r1 && ec->curve != BR_EC_secp384r1
            && ec->curve != BR_EC_secp521r1) {
            seterr(err, errlen, path, "EC key on an unsupported curve");
            return -1;
        }
        if (ec->xlen > sizeof kp->skmem) {
            seterr(err, errlen, path, "EC key too large");
            return -1;
        }
        memcpy(kp->skmem, ec->x, ec->xlen);
        kp->ec.curve = ec->curve;
        kp->ec.x = kp->skmem;
        kp->ec.xlen = ec->xlen;
        kp->keytype = BR_KEYTYPE_EC;
        check_hash(kp, h);
        known = ck != NULL && ck->known(ck->ctx, h);
        if (!known) {
            br_ec_public_key pub;
            n = br_ec_compute_pub(br_ec_get_default(), &pub, buf, &kp->ec);
            if (n == 0 || pk->key.ec.curve != ec->curve
                || pk->key.ec.qlen != n
                || memcmp(pk->key.ec.q, buf, n) != 0) {
                explicit_bzero(buf, sizeof buf);
                seterr(err, errlen, path,
                    "private key does not match the certificate");
                return -1;
            }
            if (ck != NULL)
                ck->add(ck->ctx, h);
        }
        kp->siglen_max = 9 + 2 * 66; /* ASN.1 ECDSA on P-521 */
    } else if (br_skey_decoder_key_type(dc) == BR_KEYTYPE_RSA) {
        const br_rsa_private_key *rsa = br_skey_decoder_get_rsa(dc);
        const unsigned char *parts[5] = { rsa->p, rsa->q, rsa->dp, rsa->dq,
            rsa->iq };
        size_t lens[5] = { rsa->plen, rsa->qlen, rsa->dplen, rsa->dqlen,
            rsa->iqlen };
        unsigned char *dst[5];
        int i;

        if (pk->key_type != BR_KEYTYPE_RSA) {
            seterr(err, errlen, path, "key type does not match certificate");
            return -1;
        }
        if (rsa->n_bitlen < TLS_RSA_BITS_MIN) {
            seterr(err, errlen, path, "RSA key shorter than 2048 bits");
            return -1;
        }
        if (rsa->n_bitlen > TLS_RSA_BITS_MAX) {
            seterr(err, errlen, path, "RSA key longer than 4096 bits");
            return -1;
        }
        for (i = 0; i < 5; i++) {
            if (lens[i] > sizeof kp->skmem - o) {
                seterr(err, errlen, path, "RSA key too large");
                return -1;
            }
            dst[i] = kp->skmem + o;
            memcpy(dst[i], parts[i], lens[i]);
            o += lens[i];
        }
        kp->rsa.n_bitlen = rsa->n_bitlen;
        kp->rsa.p = dst[0];
        kp->rsa.plen = lens[0];
        kp->rsa.q = dst[1];
        kp->rsa.qlen = lens[1];
        kp->rsa.dp = dst[2];
        kp->rsa.dplen = lens[2];
        kp->rsa.dq = dst[3];
        kp->rsa.dqlen = lens[3];
        kp->rsa.iq = dst[4];
        kp->rsa.iqlen = lens[4];
        /* The modulus decides: the same n means the same p and q.  (Not
         * br_rsa_compute_pubexp: BearSSL 0.6's often returns 0 for valid
         * keys.) */
        n = br_rsa_compute_modulus_get_default()(NULL, &kp->rsa);
        if (n == 0 || n > sizeof buf
            || br_rsa_compute_modulus_get_default()(buf, &kp->rsa) != n
            || !same_int(buf, n, pk->key.rsa.n, pk->key.rsa.nlen)) {
            seterr(err, errlen, path,
                "private key does not match the certificate");
            return -1;
        }
        kp->keytype = BR_KEYTYPE_RSA;
        kp->siglen_max = (rsa->n_bitlen + 7) / 8;
    } else {
        seterr(err, errlen, path, "not a usable private key");
        return -1;
    }
    kp->has_key = 1;
    return 0;
}

int
tlspair_load_files(struct tlspair *kp, const char *chainpath,
    const char *keypath, const struct tlscheck *check, char *err,
    size_t errlen)
{
    struct sa file = SA_INIT(TLS_PEMFILE_MAX);
    struct chainctx cc;
    struct keyctx *kc = NULL;
    br_x509_decoder_context *xd = NULL;
    const br_x509_pkey *pk;
    size_t i;
    int r = -1;

    memset(&cc, 0, sizeof cc);
    cc.kp = kp;
    kp->chain_len = 0;
    kp->has_key = 0;
    kp->chainmem = (struct sa)SA_INIT(TLS_CHAIN_MAX * TLS_CERT_MAX);

    if (read_small_file(chainpath, &file) == -1) {
        seterr(err, errlen, chainpath,
            errno == E2BIG ? "file too large" : strerror(errno));
        goto out;
    }
    if (tls_pem_decode((unsigned char *)file.s, file.len, chain_cb, &cc)
        == -1) {
        seterr(err, errlen, chainpath,
            cc.toomany ? "more than 8 certificates in the chain"
                       : "malformed PEM");
        goto out;
    }
    if (kp->chain_len == 0) {
        seterr(err, errlen, chainpath, "no certificate found");
        goto out;
    }
    for (i = 0; i < kp->chain_len; i++) {
        kp->chain[i].data = (unsigned char *)kp->chainmem.s + cc.offs[i];
        kp->chain[i].data_len = cc.lens[i];
    }
    xd = malloc(sizeof *xd);
    kc = malloc(sizeof *kc);
    if (xd == NULL || kc == NULL) {
        seterr(err, errlen, chainpath, strerror(errno));
        goto out;
    }
    br_x509_decoder_init(xd, NULL, NULL);
    br_x509_decoder_push(xd, kp->chain[0].data, kp->chain[0].data_len);
    pk = br_x509_decoder_get_pkey(xd);
    if (pk == NULL || br_x509_decoder_last_error(xd) != 0) {
        seterr(err, errlen, chainpath, "first certificate is malformed");
        goto out;
    }

    sa_wipe(&file);
    file = (struct sa)SA_INIT(TLS_PEMFILE_MAX);
    if (read_small_file(keypath, &file) == -1) {
        seterr(err, errlen, keypath,
            errno == E2BIG ? "file too large" : strerror(errno));
        goto out;
    }
    memset(kc, 0, sizeof *kc);
    if (tls_pem_decode((unsigned char *)file.s, file.len, key_cb, kc) == -1) {
        seterr(err, errlen, keypath,
            kc->seen > 1 ? "more than one private key" : "malformed PEM");
        goto out;
    }
    if (kc->seen == 0) {
        seterr(err, errlen, keypath, "no private key found");
        goto out;
    }
    if (br_skey_decoder_last_error(&kc->dc) != 0) {
        seterr(err, errlen, keypath, "malformed private key");
        goto out;
    }
    if (take_key(kp, &kc->dc, pk, check, err, errlen, keypath) == -1)
        goto out;
    r = 0;
out:
    sa_wipe(&file);
    if (kc != NULL) {
        explicit_bzero(kc, sizeof *kc);
        free(kc);
    }
    free(xd);
    if (r == -1) {
        explicit_bzero(kp->skmem, sizeof kp->skmem);
        kp->has_key = 0;
        sa_free(&kp->chainmem);
        kp->chain_len = 0;
    }
    return r;
}

static void
pair_free(struct tlspair *kp)
{
    explicit_bzero(kp->skmem, sizeof kp->skmem);
    sa_free(&kp->chainmem);
    free(kp);
}

/* Load dir/<name>/<chain>+<key> into a new pair appended to st.
 * Returns 1 loaded, 0 absent (neither file exists), -1 error. */
static int
load_pair(struct tlsstore *st, const char *dir, const char *name,
    const char *chainf, const char *keyf, char *err, size_t errlen)
{
    char cp[4096], kpth[4096];
    struct tlspair *kp;
    int a, b;

    a = snprintf(cp, sizeof cp, "%s/%s/%s", dir, name, chainf);
    b = snprintf(kpth, sizeof kpth, "%s/%s/%s", dir, name, keyf);
    if (a < 0 || b < 0 || (size_t)a >= sizeof cp || (size_t)b >= sizeof kpth) {
        seterr(err, errlen, dir, "path too long");
        return -1;
    }
    if (access(cp, F_OK) == -1 && errno == ENOENT && access(kpth, F_OK) == -1
        && errno == ENOENT)
        return 0;
    if (st->n >= sizeof st->pair / sizeof st->pair[0]) {
        seterr(err, errlen, dir, "too many certificates");
        return -1;
    }
    kp = calloc(1, sizeof *kp);
    if (kp == NULL) {
        seterr(err, errlen, dir, strerror(errno));
        return -1;
    }
    snprintf(kp->name, sizeof kp->name, "%s", name);
    if (tlspair_load_files(kp, cp, kpth, st->check, err, errlen) == -1) {
        pair_free(kp);
        return -1;
    }
    st->pair[st->n++] = kp;
    return 1;
}

/* Load the main pair and the optional RSA pair of one directory. */
static int
load_dir(struct tlsstore *st, const char *dir, const char *name, char *err,
    size_t errlen)
{
    size_t first = st->n;
    int r;

    r = load_pair(st, dir, name, "fullchain.pem", "privkey.pem", err, errlen);
    if (r == 0) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s/fullchain.pem", dir, name);
        seterr(err, errlen, p, strerror(ENOENT));
        return -1;
    }
    if (r == -1)
        return -1;
    r = load_pair(st, dir, name, "fullchain-rsa.pem", "privkey-rsa.pem", err,
        errlen);
    if (r == -1) {
        while (st->n > first)
            pair_free(st->pair[--st->n]);
        return -1;
    }
    return 0;
}

int
tlsstore_load(struct tlsstore *st, const char *dir,
    const struct tlscheck *check, char *err, size_t errlen,
    void (*warn)(const char *msg))
{
    char name[DNSNAME_MAX + 1], werr[512];
    struct dirent *d;
    struct stat sb;
    char path[4096];
    DIR *dh;
    size_t names = 0;

    st->n = 0;
    st->check = check;
    if (load_dir(st, dir, "default", err, errlen) == -1)
        goto fail;
    dh = opendir(dir);
    if (dh == NULL) {
        seterr(err, errlen, dir, strerror(errno));
        goto fail;
    }
    while ((d = readdir(dh)) != NULL) {
        if (d->d_name[0] == '.' || strcmp(d->d_name, "default") == 0)
            continue;
        if (dnsname_canon(name, sizeof name, d->d_name, strlen(d->d_name))
                == -1
            || strcmp(name, d->d_name) != 0)
            continue; /* not a lower-case host name: not a certificate dir */
        snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
        if (stat(path, &sb) == -1 || !S_ISDIR(sb.st_mode))
            continue;
        if (++names >= TLS_NAMES_MAX) {
            if (warn)
                warn("more than 64 certificate directories, rest ignored");
            break;
        }
        if (load_dir(st, dir, name, werr, sizeof werr) == -1 && warn)
            warn(werr);
    }
    closedir(dh);
    return 0;
fail:
    tlsstore_free(st);
    return -1;
}

int
tlsstore_pick(const struct tlsstore *st, const char *name, int keytype)
{
    size_t i;
    int named = name != NULL && name[0] != 0 && tlsstore_has_name(st, name);

    for (i = 0; i < st->n; i++)
        if (strcmp(st->pair[i]->name, named ? name : "default") == 0
            && st->pair[i]->keytype == keytype)
            return (int)i;
    return -1;
}

int
tlsstore_has_name(const struct tlsstore *st, const char *name)
{
    size_t i;

    for (i = 0; i < st->n; i++)
        if (strcmp(st->pair[i]->name, name) == 0)
            return 1;
    return 0;
}

void
tlsstore_wipe_keys(struct tlsstore *st)
{
    size_t i;

    for (i = 0; i < st->n; i++) {
        explicit_bzero(st->pair[i]->skmem, sizeof st->pair[i]->skmem);
        explicit_bzero(&st->pair[i]->ec, sizeof st->pair[i]->ec);
        explicit_bzero(&st->pair[i]->rsa, sizeof st->pair[i]->rsa);
        st->pair[i]->has_key = 0;
    }
}

void
tlsstore_free(struct tlsstore *st)
{
    size_t i;

    for (i = 0; i < st->n; i++)
        pair_free(st->pair[i]);
    st->n = 0;
}
