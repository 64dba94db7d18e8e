/* dkim-sign.c - a qmail-queue filter that DKIM-signs (RFC 6376).
 *
 * Usage: dkim-sign   (no argument; FACTEUR_QUEUE=/path/to/dkim-sign in
 *                     front of submissiond's queue)
 *
 * Reads the message on fd 0 to its end, then the envelope on fd 1 (text0,
 * lib/envelope.h), as qmail-queue does.  The message is put in canonical
 * form first (lib/canon.h, what queue-inject stores), so the signature
 * is computed on the bytes the queue will hold.  It is signed with the
 * key of the domain of its From: address, if that domain has one
 * ($FACTEUR_CONF/dkim/<domain>/selector names the selector S, and
 * dkim/<domain>/S.key holds the key: rsa-sha256), and also with the
 * Ed25519 key that dkim/<domain>/selector-ed25519 names, when there is
 * that file (ed25519-sha256, RFC 8463: a second signature, which
 * verifiers that know only RSA ignore); the DKIM-Signature fields are
 * put in front of it (lib/dkim.h: relaxed/relaxed, From: over-signed).  Then queue-inject, from this program's directory (never
 * $FACTEUR_QUEUE, which names this program), gets the message on its
 * fd 0 and the envelope, unchanged, on its fd 1, through pipes; its exit
 * code is ours.
 * Not signed, and passed on with one log line: no From: field, several,
 * or one without a usable address; no key for the domain (no selector
 * file).  A key that exists but cannot be used (selector file or key
 * unreadable or malformed, a key others may read) is a temporary
 * failure: nothing is queued, nothing is sent signed wrong or unsigned.
 *
 * Environment: FACTEUR_CONF, FACTEUR_SID (log).  Files: sizelimit,
 * dkim/<domain>/selector, dkim/<domain>/selector-ed25519,
 * dkim/<domain>/<selector>.key.
 * Exit codes (qmail-queue's): queue-inject's own, else 31 refused for
 * good (larger than sizelimit, a header section too large to sign),
 * 51 out of memory, 54 cannot read the message or the envelope,
 * 55 cannot read or use the configuration or the key, 71 cannot run
 * queue-inject, 81 internal error (a signature that does not verify),
 * 91 envelope too large, 100 usage.  All but 31 are temporary for the
 * caller (lib/qspawn.h).
 * Limits: the message size limit (sizelimit; the message is held in
 * memory), lib/dkim.h's header limits, ENVELOPE_MAX, each read and the
 * hand-over wait at most QFILTER_TIMEOUT_MS (lib/qfilter.h).
 * Privileges: none; it runs as its caller (submissiond's session user),
 * who must be able to read the keys.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "dkim.h"
#include "envelope.h"
#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "qfilter.h"

#define PATH_MAX_LEN 4096

/*
 * The field of the key that the selector file file (of dkim/<domain>/)
 * names, put after what sig holds: 1, 0 when there is no such file.
 * Dies when the key exists but cannot be used; want is the key type the
 * file must name, or -1 for any.
 */
static int
sign_with(const struct sa *msg, const char *domain, const char *file,
    int want, struct sa *sig)
{
    static struct dkim_key key;
    struct sa one = SA_INIT(65536);
    char sel[DKIM_SELECTOR_MAX + 2], name[400];
    char path[PATH_MAX_LEN], err[PATH_MAX_LEN + 200];
    int r;

    snprintf(name, sizeof name, "dkim/%s/%s", domain, file);
    r = conf_line(name, sel, sizeof sel);
    if (r == 0)
        return 0;
    if (r == -1 || !dkim_selector_valid(sel))
        log_die(Q_CONF, "cannot use %s/%s: %s", conf_dir(), name,
            r == -1 ? strerror(errno) : "not a valid selector");
    if ((size_t)snprintf(path, sizeof path, "%s/dkim/%s/%s.key", conf_dir(),
            domain, sel) >= sizeof path)
        log_die(Q_CONF, "key path too long");
    if (dkim_key_load(&key, path, err, sizeof err) == -1)
        log_die(Q_CONF, "cannot use the DKIM key: %s", err);
    if (want != -1 && key.type != want)
        log_die(Q_CONF, "cannot use the DKIM key: %s: not an Ed25519 key "
            "(named by %s)", path, name);
    r = dkim_sign(&key, domain, sel, (int64_t)time(NULL), msg->s, msg->len,
        &one);
    if (r == 0 && sa_append(sig, one.s, one.len) == -1)
        r = -1;
    sa_free(&one);
    if (r == -1 && errno == E2BIG)
        log_die(Q_REFUSED, "message refused: its header section is too large "
                           "to sign");
    if (r == -1 && errno == ENOMEM)
        log_die(Q_NOMEM, "out of memory");
    if (r == -1)
        log_die(Q_BUG, "cannot sign for d=%s s=%s: %s", domain, sel,
            strerror(errno));
    log_info("signed d=%s s=%s a=%s", domain, sel,
        key.type == DKIM_KEY_ED25519 ? "ed25519-sha256" : "rsa-sha256");
    dkim_key_wipe(&key);
    return 1;
}

/*
 * The DKIM-Signature fields for msg into sig: the key of dkim/<domain>/
 * selector (RSA), then, when there is one, that of selector-ed25519
 * (RFC 8463 recommends both: verifiers that know only RSA ignore the
 * other); nothing when the domain has neither.  Dies when a key exists
 * but cannot be used.
 */
static void
sign(const struct sa *msg, struct sa *sig)
{
    char domain[256];
    size_t body, hlen = dkim_header_len(msg->s, msg->len, &body);
    int r;

    r = dkim_from_domain(msg->s, hlen, domain, sizeof domain);
    if (r != 1) {
        log_info("not signed reason=%s", r == 0 ? "no-from"
                : errno == EEXIST                ? "several-from"
                                                 : "from-unusable");
        return;
    }
    r = sign_with(msg, domain, "selector", -1, sig);
    r += sign_with(msg, domain, "selector-ed25519", DKIM_KEY_ED25519, sig);
    if (r == 0)
        log_info("not signed d=%s reason=no-key", domain);
}

int
main(int argc, char **argv)
{
    struct sa msg = SA_INIT(0), env = SA_INIT(ENVELOPE_MAX);
    struct sa sig = SA_INIT(65536);
    uint64_t limit;

    log_init("dkim-sign");
    signal(SIGPIPE, SIG_IGN);
    if (argc != 1)
        log_die(EXIT_PERM, "usage: dkim-sign < message 1< envelope (a "
                           "qmail-queue filter: no argument)");
    if (conf_sizelimit(&limit) == -1)
        log_die(Q_CONF, "cannot read $FACTEUR_CONF/sizelimit");
    msg.max = limit > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)limit + 2;
    qfilter_read(&msg, limit, &env);
    sign(&msg, &sig);
    /* queue-inject, the sibling, with the same envelope */
    return qfilter_pass(argv[0], &sig, &msg, &env);
}
