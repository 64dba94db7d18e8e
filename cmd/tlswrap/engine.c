/* engine.c - tlswrap's TLS process: handshake and record pump.
 *
 * The only part of tlswrap that reads network bytes.  It holds the
 * certificate chains (public) and asks the key process for the one
 * signature of the handshake.  Policy, fixed: TLS 1.2 only, ECDHE on
 * x25519 or P-256, AEAD suites only (AES-GCM, ChaCha20-Poly1305), the
 * server's preference, no renegotiation, no compression (BearSSL has none).
 *
 * Runs chrooted, as an unprivileged user, with no way to open files; its
 * descriptors are set up by tlswrap.c.  Exits when either side is done,
 * after one log line for the connection.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dnsname.h"
#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "tlsfacts.h"
#include "tlshello.h"
#include "tlskey.h"
#include "tlsnames.h"
#include "tlswrap.h"

/* ChaCha20 first unless the CPU does AES (AES-NI makes GCM faster). */
static const uint16_t suites_chacha_first[] = {
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};
static const uint16_t suites_aes_first[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};
const uint16_t tlswrap_suites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};
const size_t tlswrap_nsuites = sizeof tlswrap_suites / sizeof tlswrap_suites[0];

struct policy {
    const br_ssl_server_policy_class *vtable;
    struct engine *e;
    int chosen;         /* pair index, -1 before choose() */
    int64_t deadline;   /* for the key process's answer */
};

/* Preferred hash for the ServerKeyExchange signature, from the client's
 * bit mask (bit n = hash id n).  SHA-1 only when the client knows no
 * other (TLS 1.2 clients without signature_algorithms). */
static int
pick_hash(uint32_t bits)
{
    static const int pref[] = { br_sha256_ID, br_sha384_ID, br_sha512_ID,
        br_sha224_ID, br_sha1_ID };
    size_t i;

    for (i = 0; i < sizeof pref / sizeof pref[0]; i++)
        if (bits >> pref[i] & 1)
            return pref[i];
    return 0;
}

static int
pol_choose(const br_ssl_server_policy_class **pctx,
    const br_ssl_server_context *cc, br_ssl_server_choices *ch)
{
    struct policy *p = (struct policy *)pctx;
    const br_suite_translated *st;
    uint32_t hashes = br_ssl_server_get_client_hashes(cc);
    const char *sn = br_ssl_engine_get_server_name(&cc->eng);
    char sni[DNSNAME_MAX + 1];
    size_t n, i;

    if (dnsname_canon(sni, sizeof sni, sn, strlen(sn)) == -1)
        sni[0] = 0; /* absent or not a host name: the default cert */
    st = br_ssl_server_get_client_suites(cc, &n);
    for (i = 0; i < n; i++) {
        unsigned kx = st[i][1] >> 12;
        int kt, hid, idx;
        if (kx == BR_SSLKEYX_ECDHE_ECDSA) {
            kt = BR_KEYTYPE_EC;
            hid = pick_hash(hashes >> 8 & 0xff);
        } else if (kx == BR_SSLKEYX_ECDHE_RSA) {
            kt = BR_KEYTYPE_RSA;
            hid = pick_hash(hashes & 0xff);
        } else {
            continue;
        }
        if (hid == 0)
            continue;
        idx = tlsstore_pick(p->e->store, sni, kt);
        if (idx < 0)
            continue;
        ch->cipher_suite = st[i][0];
        ch->algo_id = 0xff00 + (unsigned)hid;
        ch->chain = p->e->store->pair[idx]->chain;
        ch->chain_len = p->e->store->pair[idx]->chain_len;
        p->chosen = idx;
        if (p->e->need != -1) {
            /* A full handshake: have the key process started now, so it
             * gets ready while we compute our ECDHE share. */
            (void)!write(p->e->need, "K", 1);
            close(p->e->need);
            p->e->need = -1;
        }
        return 1;
    }
    return 0;
}

static uint32_t
pol_do_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data,
    size_t *len)
{
    return 0; /* static RSA/ECDH key exchange is never offered */
}

static int
read_exact(int fd, unsigned char *p, size_t n, int64_t deadline)
{
    struct pollfd pfd;
    ssize_t r;

    while (n > 0) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        if (loop_poll(&pfd, 1, deadline) <= 0)
            return -1;
        r = read(fd, p, n);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static size_t
pol_do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
    unsigned char *data, size_t hv_len, size_t len)
{
    struct policy *p = (struct policy *)pctx;
    unsigned char req[TLSKEY_REQ_MAX], hdr[2], cpu[4];
    size_t reqlen, siglen;
    int fd = p->e->keyfd;

    if ((algo_id & 0xff00) != 0xff00 || p->chosen < 0 || fd == -1)
        return 0;
    reqlen = tlskey_req_encode(req, sizeof req, (unsigned)p->chosen,
        (int)(algo_id & 0xff), data, hv_len);
    if (reqlen == 0 || fd_write_all(fd, req, reqlen, p->deadline) == -1)
        return 0;
    if (read_exact(fd, hdr, 2, p->deadline) == -1)
        return 0;
    siglen = (size_t)hdr[0] << 8 | hdr[1];
    if (siglen == 0 || siglen > len)
        return 0;
    if (read_exact(fd, data, siglen, p->deadline) == -1
        || read_exact(fd, cpu, 4, p->deadline) == -1)
        return 0;
    p->e->key_cpu = (int64_t)((uint32_t)cpu[0] << 24 | (uint32_t)cpu[1] << 16
        | (uint32_t)cpu[2] << 8 | cpu[3]);
    return siglen;
}

static const br_ssl_server_policy_class policy_vtable = {
    sizeof(struct policy), pol_choose, pol_do_keyx, pol_do_sign
};

/* Connection state beyond BearSSL's. */
struct conn {
    br_ssl_server_context sc;
    unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
    struct policy pol;
    br_ec_impl ec;
    uint64_t bytes_in, bytes_out;
    int hs_done;
    int resumed;
    char sni[DNSNAME_MAX + 1];
    const char *result;
    unsigned char hello[TLSHELLO_MAX]; /* the client's first bytes */
    size_t hello_len;
    int64_t hs_cpu; /* CPU at setup, then CPU of the handshake (us) */
};

static int64_t
cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
setup(struct conn *c, struct engine *e)
{
    br_ssl_engine_context *eng = &c->sc.eng;
    unsigned char seed[32];
    int aes_hw = br_aes_x86ni_ctr_get_vtable() != NULL;

    c->hs_cpu = cpu_us();
    br_ssl_server_zero(&c->sc);
    br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_suites(eng,
        aes_hw ? suites_aes_first : suites_chacha_first,
        sizeof suites_aes_first / sizeof suites_aes_first[0]);
    br_ssl_engine_set_all_flags(eng,
        BR_OPT_ENFORCE_SERVER_PREFERENCES | BR_OPT_NO_RENEGOTIATION);
    /* Hashes: the handshake transcript, the PRF and signatures. */
    br_ssl_engine_set_hash(eng, br_sha1_ID, &br_sha1_vtable);
    br_ssl_engine_set_hash(eng, br_sha224_ID, &br_sha224_vtable);
    br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
    br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
    br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
    br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
    br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
    br_ssl_engine_set_default_aes_gcm(eng);
    br_ssl_engine_set_default_chapol(eng);
    /* ECDHE on x25519 and P-256 only. */
    c->ec = *br_ec_get_default();
    c->ec.supported_curves =
        (uint32_t)1 << BR_EC_curve25519 | (uint32_t)1 << BR_EC_secp256r1;
    br_ssl_engine_set_ec(eng, &c->ec);
    br_ssl_engine_set_buffer(eng, c->iobuf, sizeof c->iobuf, 1);

    c->pol.vtable = &policy_vtable;
    c->pol.e = e;
    c->pol.chosen = -1;
    br_ssl_server_set_policy(&c->sc, &c->pol.vtable);
    if (e->cache != NULL) {
        e->cache->hello = c->hello;
        e->cache->hello_len = &c->hello_len;
        br_ssl_server_set_cache(&c->sc, &e->cache->vtable);
    }

    /* Seed from getrandom(): chrooted, there is no /dev/urandom. */
    if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        log_die(EXIT_TEMP, "getrandom failed error=%s", strerror(errno));
    br_ssl_engine_inject_entropy(eng, seed, sizeof seed);
    explicit_bzero(seed, sizeof seed);
    if (!br_ssl_server_reset(&c->sc))
        log_die(EXIT_TEMP, "TLS engine reset failed br_err=%d",
            br_ssl_engine_last_error(eng));
}

/* recv/send with MSG_DONTWAIT so the socket's shared file flags stay as
 * they are (in -s mode the application holds the same socket); plain
 * read/write when the "network" is a pipe. */
static ssize_t
net_read(int fd, void *p, size_t n)
{
    ssize_t r = recv(fd, p, n, MSG_DONTWAIT);

    if (r == -1 && errno == ENOTSOCK)
        r = read(fd, p, n);
    return r;
}

static ssize_t
net_write(int fd, const void *p, size_t n)
{
    ssize_t r = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

    if (r == -1 && errno == ENOTSOCK)
        r = write(fd, p, n);
    return r;
}

/* Close the key process's socket (it exits on EOF) and, if it is our
 * child, reap it. */
static void
release_keyproc(struct engine *e)
{
    if (e->keyfd != -1) {
        close(e->keyfd);
        e->keyfd = -1;
    }
    if (e->need != -1) {
        close(e->need);
        e->need = -1;
    }
    if (e->keypid > 0) {
        while (waitpid(e->keypid, NULL, 0) == -1 && errno == EINTR)
            ;
        e->keypid = 0;
    }
}

static void
handshake_done(struct conn *c, struct engine *e)
{
    br_ssl_engine_context *eng = &c->sc.eng;
    br_ssl_session_parameters sp;
    struct tlsfacts f;
    unsigned char msg[TLSFACTS_MAX];
    const char *sn = br_ssl_engine_get_server_name(eng);
    long n;

    c->hs_done = 1;
    /* No renegotiation, so no further signature: let the key process go.
     * The handshake's CPU (ours since setup, plus the key process's) goes
     * in the log line: it is what bench/tls compares, apart from the
     * cost of making processes. */
    release_keyproc(e);
    c->hs_cpu = cpu_us() - c->hs_cpu + e->key_cpu;
    br_ssl_engine_get_session_parameters(eng, &sp);
    c->resumed = c->pol.chosen < 0;
    if (dnsname_canon(c->sni, sizeof c->sni, sn, strlen(sn)) == -1)
        c->sni[0] = 0;
    memset(&f, 0, sizeof f);
    tlsfacts_add(&f, "SSL_PROTOCOL", "TLSv1.2");
    tlsfacts_add(&f, "SSL_CIPHER", tls_suite_name(sp.cipher_suite));
    if (c->sni[0])
        tlsfacts_add(&f, "SSL_TLS_SNI_SERVERNAME", c->sni);
    tlsfacts_add(&f, "SSL_SESSION_RESUMED", c->resumed ? "1" : "0");
    explicit_bzero(&sp, sizeof sp);
    n = tlsfacts_encode(&f, msg, sizeof msg);
    if (n > 0) {
        /* The receiver reads one message and nothing after it; a failed
         * write means it is gone, which the pump notices soon enough. */
        if (e->report != -1)
            (void)fd_write_all(e->report, msg, (size_t)n, -1);
        if (e->ctl != -1)
            (void)fd_write_all(e->ctl, msg, (size_t)n, -1);
    }
    if (e->report != -1) {
        close(e->report);
        e->report = -1;
    }
    if (e->ctl != -1) {
        close(e->ctl);
        e->ctl = -1;
    }
}

static const char *
br_err_name(int err)
{
    switch (err) {
    case BR_ERR_OK:
        return "none";
    case BR_ERR_UNSUPPORTED_VERSION:
        return "unsupported_version";
    case BR_ERR_BAD_VERSION:
        return "bad_version";
    case BR_ERR_BAD_CIPHER_SUITE:
        return "no_shared_cipher";
    case BR_ERR_BAD_HANDSHAKE:
        return "bad_handshake";
    case BR_ERR_BAD_MAC:
        return "bad_mac";
    case BR_ERR_UNKNOWN_TYPE:
        return "not_tls";
    case BR_ERR_BAD_SNI:
        return "bad_sni";
    case BR_ERR_BAD_SECRENEG:
        return "bad_renegotiation";
    case BR_ERR_INVALID_ALGORITHM:
        return "no_shared_algorithm";
    case BR_ERR_BAD_SIGNATURE:
        return "signature_failed";
    case BR_ERR_IO:
        return "io";
    default:
        if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT)
            return "alert_received";
        if (err >= BR_ERR_SEND_FATAL_ALERT)
            return "alert_sent";
        return "other";
    }
}

/*
 * The pump.  Before the handshake completes only the network is served;
 * after it, plaintext moves between the network and the application.
 * Ends when: the application closed its output (we send close_notify and
 * stop), the peer sent close_notify (BearSSL answers it), the network
 * failed or reached EOF and the application is done, or a deadline passed.
 */
static void
pump(struct conn *c, struct engine *e)
{
    br_ssl_engine_context *eng = &c->sc.eng;
    int64_t hs_deadline = loop_now() + e->hs_timeout, last = loop_now();
    int net_eof = 0, closing = 0;

    c->pol.deadline = hs_deadline;
    for (;;) {
        struct pollfd pf[4];
        int ineti = -1, onet = -1, iapp = -1, oapp = -1;
        nfds_t n = 0;
        unsigned st = br_ssl_engine_current_state(eng);
        unsigned char *b;
        size_t len;
        ssize_t r;
        int pr;

        if (st == BR_SSL_CLOSED) {
            int err = br_ssl_engine_last_error(eng);
            if (c->result == NULL)
                c->result = err == BR_ERR_OK ? "ok" : br_err_name(err);
            return;
        }
        if (!c->hs_done && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
            handshake_done(c, e);
        if (closing && !(st & BR_SSL_SENDREC)) {
            c->result = "ok"; /* our close_notify is out */
            return;
        }
        if (st & BR_SSL_SENDREC) {
            pf[n].fd = e->netw;
            pf[n].events = POLLOUT;
            onet = (int)n++;
        }
        if ((st & BR_SSL_RECVREC) && !net_eof) {
            pf[n].fd = e->netr;
            pf[n].events = POLLIN;
            ineti = (int)n++;
        }
        if (c->hs_done && (st & BR_SSL_RECVAPP) && e->app_out != -1) {
            pf[n].fd = e->app_out;
            pf[n].events = POLLOUT;
            oapp = (int)n++;
        }
        if (c->hs_done && (st & BR_SSL_SENDAPP) && e->app_in != -1
            && !closing) {
            pf[n].fd = e->app_in;
            pf[n].events = POLLIN;
            iapp = (int)n++;
        }
        if (net_eof && e->app_out != -1 && !(st & BR_SSL_RECVAPP)) {
            /* Everything the peer sent is delivered: pass the EOF on. */
            close(e->app_out);
            e->app_out = -1;
            continue;
        }
        if (n == 0) {
            c->result = net_eof ? "eof" : "stuck";
            return;
        }
        pr = loop_poll(pf, n, c->hs_done ? last + e->idle_timeout
                                         : hs_deadline);
        if (pr == 0) {
            c->result = c->hs_done ? "idle_timeout" : "handshake_timeout";
            return;
        }
        if (pr < 0) {
            c->result = "poll_error";
            return;
        }
        last = loop_now();

        if (onet >= 0 && pf[onet].revents) {
            b = br_ssl_engine_sendrec_buf(eng, &len);
            r = net_write(e->netw, b, len);
            if (r > 0) {
                br_ssl_engine_sendrec_ack(eng, (size_t)r);
            } else if (!(r == -1 && (errno == EAGAIN || errno == EINTR))) {
                c->result = c->hs_done ? "network_write_error" : "eof";
                return;
            }
            continue; /* state changed: recompute before anything else */
        }
        if (ineti >= 0 && pf[ineti].revents) {
            b = br_ssl_engine_recvrec_buf(eng, &len);
            r = net_read(e->netr, b, len);
            if (r > 0) {
                if (!c->hs_done && c->hello_len < sizeof c->hello) {
                    size_t k = sizeof c->hello - c->hello_len;
                    if (k > (size_t)r)
                        k = (size_t)r;
                    memcpy(c->hello + c->hello_len, b, k);
                    c->hello_len += k;
                }
                br_ssl_engine_recvrec_ack(eng, (size_t)r);
            } else if (r == 0 || !(errno == EAGAIN || errno == EINTR)) {
                if (!c->hs_done) {
                    c->result = "eof_in_handshake";
                    return;
                }
                /* EOF without close_notify: python smtplib and swaks
                 * do this after QUIT; not worth a warning. */
                net_eof = 1;
                if (c->result == NULL)
                    c->result = "eof";
            }
        }
        if (oapp >= 0 && pf[oapp].revents) {
            b = br_ssl_engine_recvapp_buf(eng, &len);
            r = write(e->app_out, b, len);
            if (r > 0) {
                br_ssl_engine_recvapp_ack(eng, (size_t)r);
                c->bytes_in += (uint64_t)r;
            } else if (!(r == -1 && (errno == EAGAIN || errno == EINTR))) {
                /* The application stopped reading: it is going away. */
                close(e->app_out);
                e->app_out = -1;
                br_ssl_engine_close(eng);
                closing = 1;
            }
        }
        if (iapp >= 0 && pf[iapp].revents) {
            b = br_ssl_engine_sendapp_buf(eng, &len);
            r = read(e->app_in, b, len);
            if (r > 0) {
                br_ssl_engine_sendapp_ack(eng, (size_t)r);
                br_ssl_engine_flush(eng, 0);
                c->bytes_out += (uint64_t)r;
            } else if (!(r == -1 && (errno == EAGAIN || errno == EINTR))) {
                close(e->app_in);
                e->app_in = -1;
                br_ssl_engine_close(eng);
                closing = 1;
            }
        }
    }
}

/* -s: wait for the application's command on the control socket. */
static int
wait_command(struct engine *e)
{
    unsigned char cmd;
    ssize_t r;

    for (;;) {
        r = read(e->ctl, &cmd, 1);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == 0)
            return 0; /* the application declined TLS or is gone */
        if (r == -1)
            return -1;
        if (cmd == 'Y')
            return 1;
        if (cmd == 'y') {
            close(e->ctl); /* no facts wanted */
            e->ctl = -1;
            return 1;
        }
        log_warn("ucspi-tls bad command byte=%u", cmd);
        return -1;
    }
}

int
engine_run(struct engine *e)
{
    static struct conn c; /* static: 33 KB of buffers off the stack */
    int code = EXIT_OK;

    if (e->ctl != -1) {
        int w = wait_command(e);
        if (w <= 0) {
            release_keyproc(e);
            log_info("done peer=%s tls=no", e->peer);
            return w == 0 ? EXIT_OK : EXIT_PERM;
        }
    }
    setup(&c, e);
    pump(&c, e);
    if (!c.hs_done) {
        int err = br_ssl_engine_last_error(&c.sc.eng);
        log_info("done peer=%s tls=failed result=%s br_err=%d", e->peer,
            c.result ? c.result : br_err_name(err), err);
        code = 1;
    } else {
        br_ssl_session_parameters sp;
        br_ssl_engine_get_session_parameters(&c.sc.eng, &sp);
        log_info("done peer=%s sni=%s proto=TLSv1.2 cipher=%s resumed=%s "
                 "in=%llu out=%llu hs_cpu_us=%lld result=%s",
            e->peer, c.sni[0] ? c.sni : "-", tls_suite_name(sp.cipher_suite),
            c.resumed ? "yes" : "no", (unsigned long long)c.bytes_in,
            (unsigned long long)c.bytes_out, (long long)c.hs_cpu,
            c.result ? c.result : "ok");
        explicit_bzero(&sp, sizeof sp);
    }
    /* Flush nothing more; shut the write side so the peer sees the end
     * even if the application (which may share the socket) lives on. */
    shutdown(e->netw, SHUT_WR);
    release_keyproc(e);
    explicit_bzero(&c, sizeof c);
    return code;
}
