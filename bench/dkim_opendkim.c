/* dkim_opendkim.c - bench/dkim's driver for OpenDKIM's library
 * (libopendkim, Debian's libopendkim-dev), rsa-sha256, relaxed/relaxed.
 *
 *   dkim_opendkim bench KEY RECORD MSG N T SIGNED NAMES
 *       N signatures of MSG (a canonical message: CRLF lines) at time T
 *       (DKIM_OPTS_FIXEDTIME): dkim_sign with the PEM in memory (the
 *       library parses it for every message: its API has no way to keep
 *       a parsed key), the header fields through dkim_header, dkim_eoh,
 *       the body through dkim_body, dkim_eom, dkim_getsighdr_d,
 *       dkim_free.  NAMES (comma separated) is the list of fields to sign
 *       when present (DKIM_OPTS_SIGNHDRS), "from" over-signed
 *       (DKIM_OPTS_OVERSIGNHDRS), as facteur does.  Then N verifications
 *       of the signed message (the field put in front), the key record
 *       from RECORD through dkim_set_key_lookup (no DNS), each checked
 *       (DKIM_STAT_OK, DKIM_SIGFLAG_PASSED, DKIM_SIGBH_MATCH).  Writes
 *       the signed message to SIGNED; prints "sign OPS verify OPS"
 *       (operations per second, wall clock).
 *   dkim_opendkim check RECORD SIGNED
 *       verifies SIGNED once; prints the result, exits 0 on pass only.
 *   dkim_opendkim version
 *       prints the library's version.
 *
 * Exit codes: 0, 1 (check: not pass), 100 (usage), 111 (failure).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <opendkim/dkim.h>

#define BENCH_PROG "dkim_opendkim"
#include "dkim_io.h"

#define DOMAIN "bench.example"
#define SELECTOR "bench"
#define NAMES_MAX 256
#define FIELDS_MAX 4096

static char *record;
static size_t record_len;

/* The header fields of a message: offsets and lengths, without the CRLF
 * that ends each one (what dkim_header wants). */
struct fields {
    size_t off[FIELDS_MAX];
    size_t len[FIELDS_MAX];
    size_t n;
    size_t body; /* where the body starts */
};

static void
die_stat(const char *what, DKIM_STAT st, DKIM *d)
{
    fprintf(stderr, "dkim_opendkim: %s: %s%s%s\n", what,
        dkim_getresultstr(st), d != NULL && dkim_geterror(d) != NULL
        ? ": " : "", d != NULL && dkim_geterror(d) != NULL
        ? dkim_geterror(d) : "");
    exit(111);
}

/* Split the header section: a field starts at a line that does not start
 * with SP or HTAB and runs to the CRLF before the next such line. */
static void
split(const char *m, size_t len, struct fields *f)
{
    size_t i = 0, start;

    f->n = 0;
    while (i < len) {
        if (m[i] == '\r' && i + 1 < len && m[i + 1] == '\n') {
            f->body = i + 2; /* the empty line */
            return;
        }
        start = i;
        for (;;) {
            while (i < len && m[i] != '\n')
                i++;
            if (i >= len)
                die("header section without an end");
            i++; /* past LF */
            if (i >= len || (m[i] != ' ' && m[i] != '\t'))
                break;
        }
        if (f->n == FIELDS_MAX)
            die("too many header fields");
        f->off[f->n] = start;
        f->len[f->n] = i - 2 - start; /* without CRLF */
        f->n++;
    }
    f->body = len;
}

static DKIM_CBSTAT
key_lookup(DKIM *d, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
    const char *s = (const char *)dkim_sig_getselector(sig);
    const char *dom = (const char *)dkim_sig_getdomain(sig);

    if (s == NULL || dom == NULL || strcmp(s, SELECTOR) != 0
        || strcmp(dom, DOMAIN) != 0)
        return DKIM_CBSTAT_NOTFOUND;
    if (record_len + 1 > buflen)
        return DKIM_CBSTAT_ERROR;
    memcpy(buf, record, record_len + 1);
    return DKIM_CBSTAT_CONTINUE;
}

static void
load_record(const char *path)
{
    record = readfile(path, &record_len);
    while (record_len > 0 && (record[record_len - 1] == '\n'
        || record[record_len - 1] == '\r'))
        record_len--;
    record[record_len] = 0;
}

static DKIM_LIB *
lib_open(uint64_t when, const char **names)
{
    static const char *over_list[] = { "from", NULL };
    const char **over = over_list;
    DKIM_LIB *lib = dkim_init(NULL, NULL);

    if (lib == NULL)
        die("dkim_init failed");
    if (names != NULL && (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
        names, sizeof names) != DKIM_STAT_OK
        || dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
        over, sizeof over) != DKIM_STAT_OK))
        die("dkim_options (header lists) failed");
    if (when != 0 && dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME,
        &when, sizeof when) != DKIM_STAT_OK)
        die("dkim_options (fixed time) failed");
    if (dkim_set_key_lookup(lib, key_lookup) != DKIM_STAT_OK)
        die("dkim_set_key_lookup failed");
    return lib;
}

/* One verification; 1 if it passes.  why gets a reason otherwise. */
static int
verify(DKIM_LIB *lib, char *m, size_t len, const char **why)
{
    struct fields f;
    DKIM_STAT st;
    DKIM_SIGINFO *sig;
    DKIM *d;
    size_t i;
    int ok;

    split(m, len, &f);
    d = dkim_verify(lib, (const u_char *)"bench", NULL, &st);
    if (d == NULL)
        die_stat("dkim_verify", st, NULL);
    for (i = 0; i < f.n; i++)
        if ((st = dkim_header(d, (u_char *)m + f.off[i], f.len[i]))
            != DKIM_STAT_OK)
            die_stat("dkim_header", st, d);
    st = dkim_eoh(d);
    if (st == DKIM_STAT_OK)
        st = dkim_body(d, (u_char *)m + f.body, len - f.body);
    if (st == DKIM_STAT_OK)
        st = dkim_eom(d, NULL);
    sig = dkim_getsignature(d);
    ok = st == DKIM_STAT_OK && sig != NULL
        && (dkim_sig_getflags(sig) & DKIM_SIGFLAG_PASSED) != 0
        && dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH;
    if (!ok)
        *why = st != DKIM_STAT_OK ? dkim_getresultstr(st) : sig == NULL
            ? "no signature" : dkim_sig_getbh(sig) != DKIM_SIGBH_MATCH
            ? "body hash mismatch" : "signature did not verify";
    dkim_free(d);
    return ok;
}

static void
usage(void)
{
    fprintf(stderr, "usage: dkim_opendkim bench KEY RECORD MSG N T SIGNED "
        "NAMES\n"
        "       dkim_opendkim check RECORD SIGNED\n"
        "       dkim_opendkim version\n");
    exit(100);
}

int
main(int argc, char **argv)
{
    static struct fields f;
    const char *names[NAMES_MAX + 1], *why = "";
    DKIM_LIB *lib;
    DKIM_STAT st;
    DKIM *d;
    char *msg, *pem, *p, *signd = NULL;
    u_char *hdr;
    size_t len, pemlen, hlen, slen = 0, i, j, nn = 0;
    long k, n;
    long long when;
    double t0, t_sign, t_verify;

    if (argc == 2 && strcmp(argv[1], "version") == 0) {
        uint32_t v = dkim_libversion();
        printf("%u.%u.%u\n", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "check") == 0) {
        load_record(argv[2]);
        msg = readfile(argv[3], &len);
        lib = lib_open(0, NULL);
        if (verify(lib, msg, len, &why)) {
            printf("pass\n");
            return 0;
        }
        printf("%s\n", why);
        return 1;
    }
    if (argc != 9 || strcmp(argv[1], "bench") != 0)
        usage();
    n = atol(argv[5]);
    when = atoll(argv[6]);
    if (n < 1 || when <= 0)
        usage();
    for (p = strtok(argv[8], ","); p != NULL; p = strtok(NULL, ",")) {
        if (nn == NAMES_MAX)
            usage();
        names[nn++] = p;
    }
    names[nn] = NULL;
    pem = readfile(argv[2], &pemlen);
    load_record(argv[3]);
    msg = readfile(argv[4], &len);
    lib = lib_open((uint64_t)when, names);

    t0 = now();
    for (k = 0; k < n; k++) {
        split(msg, len, &f);
        d = dkim_sign(lib, (const u_char *)"bench", NULL, (dkim_sigkey_t)pem,
            (const u_char *)SELECTOR, (const u_char *)DOMAIN,
            DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1,
            &st);
        if (d == NULL)
            die_stat("dkim_sign", st, NULL);
        for (i = 0; i < f.n; i++)
            if ((st = dkim_header(d, (u_char *)msg + f.off[i], f.len[i]))
                != DKIM_STAT_OK)
                die_stat("dkim_header", st, d);
        if ((st = dkim_eoh(d)) != DKIM_STAT_OK)
            die_stat("dkim_eoh", st, d);
        if ((st = dkim_body(d, (u_char *)msg + f.body, len - f.body))
            != DKIM_STAT_OK)
            die_stat("dkim_body", st, d);
        if ((st = dkim_eom(d, NULL)) != DKIM_STAT_OK)
            die_stat("dkim_eom", st, d);
        if ((st = dkim_getsighdr_d(d, strlen("DKIM-Signature: "), &hdr,
            &hlen)) != DKIM_STAT_OK)
            die_stat("dkim_getsighdr_d", st, d);
        if (k == n - 1) {
            /* "DKIM-Signature: ", the value (folded with LF or CRLF:
             * made CRLF), CRLF, the message. */
            signd = malloc(16 + 2 * hlen + 2 + len);
            if (signd == NULL)
                die("out of memory");
            memcpy(signd, "DKIM-Signature: ", 16);
            slen = 16;
            for (j = 0; j < hlen; j++) {
                if (hdr[j] == '\n' && (j == 0 || hdr[j - 1] != '\r'))
                    signd[slen++] = '\r';
                signd[slen++] = (char)hdr[j];
            }
            memcpy(signd + slen, "\r\n", 2);
            memcpy(signd + slen + 2, msg, len);
            slen += 2 + len;
        }
        dkim_free(d);
    }
    t_sign = now() - t0;
    writefile(argv[7], signd, slen);

    t0 = now();
    for (k = 0; k < n; k++)
        if (!verify(lib, signd, slen, &why)) {
            fprintf(stderr, "dkim_opendkim: own signature: %s\n", why);
            exit(111);
        }
    t_verify = now() - t0;

    printf("sign %.3f verify %.3f\n", n / t_sign, n / t_verify);
    dkim_close(lib);
    return 0;
}
