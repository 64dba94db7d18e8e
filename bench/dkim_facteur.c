/* dkim_facteur.c - bench/dkim's driver for facteur's DKIM library
 * (lib/dkim.h, lib/dkimverify.h), rsa-sha256, relaxed/relaxed.
 *
 *   dkim_facteur record KEY
 *       prints the key record ("v=DKIM1; k=rsa; p=...") of KEY.
 *   dkim_facteur bench KEY RECORD MSG N T SIGNED
 *       N signatures of MSG (a canonical message: CRLF lines) at time T,
 *       the key parsed once; N signatures each with the key parsed from
 *       the PEM in memory first (what OpenDKIM's API does every time);
 *       N verifications of the signed message (the field put in front),
 *       the key record from RECORD through the TXT callback (no DNS).
 *       Writes the signed message to SIGNED; prints
 *       "sign OPS sign+parse OPS verify OPS" (operations per second,
 *       wall clock).
 *   dkim_facteur check RECORD SIGNED
 *       verifies SIGNED once; prints the result, exits 0 on pass only.
 *
 * Exit codes: 0, 1 (check: not pass), 100 (usage), 111 (failure).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dkim.h"
#include "dkimverify.h"
#include "sa.h"

#define BENCH_PROG "dkim_facteur"
#include "dkim_io.h"

#define DOMAIN "bench.example"
#define SELECTOR "bench"

struct txt {
    const char *rec;
    size_t len;
    const char *name; /* the name asked for */
};

static int
txt_cb(void *arg, const char *name, char *out, size_t outlen, size_t *n)
{
    struct txt *t = arg;

    if (strcmp(name, t->name) != 0)
        return 0;
    memcpy(out, t->rec, t->len < outlen ? t->len : outlen);
    *n = t->len;
    return 1;
}

/* The record file, without a final newline. */
static void
load_record(struct txt *t, const char *path)
{
    size_t n;
    char *r = readfile(path, &n);

    while (n > 0 && (r[n - 1] == '\n' || r[n - 1] == '\r'))
        n--;
    r[n] = 0;
    t->rec = r;
    t->len = n;
    t->name = SELECTOR "._domainkey." DOMAIN;
}

static int
verify(const char *msg, size_t len, struct txt *t, struct dkimv_sig *res)
{
    size_t n = dkimv_verify(msg, len, txt_cb, t, (int64_t)time(NULL), res, 1);

    return n == 1 && res->result == DKIMV_PASS;
}

static void
usage(void)
{
    fprintf(stderr, "usage: dkim_facteur record KEY\n"
        "       dkim_facteur bench KEY RECORD MSG N T SIGNED\n"
        "       dkim_facteur check RECORD SIGNED\n");
    exit(100);
}

int
main(int argc, char **argv)
{
    static struct dkim_key key, key2;
    struct sa sig = SA_INIT(DKIMV_FIELD_MAX);
    struct dkimv_sig res;
    struct txt t;
    char err[256], rec[DKIM_RECORD_MAX];
    char *msg, *pem, *signd;
    size_t len, pemlen, slen;
    long i, n;
    long long when;
    double t0, t_sign, t_parse, t_verify;

    if (argc == 3 && strcmp(argv[1], "record") == 0) {
        if (dkim_key_load(&key, argv[2], err, sizeof err) == -1)
            die(err);
        if (dkim_key_record(&key, rec, sizeof rec) == -1)
            die("dkim_key_record failed");
        printf("%s\n", rec);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "check") == 0) {
        load_record(&t, argv[2]);
        msg = readfile(argv[3], &len);
        if (verify(msg, len, &t, &res)) {
            printf("pass\n");
            return 0;
        }
        printf("%s (%s)\n", dkimv_name(res.result), res.why);
        return 1;
    }
    if (argc != 8 || strcmp(argv[1], "bench") != 0)
        usage();
    n = atol(argv[5]);
    when = atoll(argv[6]);
    if (n < 1 || when < 0)
        usage();
    if (dkim_key_load(&key, argv[2], err, sizeof err) == -1)
        die(err);
    pem = readfile(argv[2], &pemlen);
    load_record(&t, argv[3]);
    msg = readfile(argv[4], &len);

    t0 = now();
    for (i = 0; i < n; i++)
        if (dkim_sign(&key, DOMAIN, SELECTOR, when, msg, len, &sig) == -1)
            die_sys("dkim_sign", "failed");
    t_sign = now() - t0;

    t0 = now();
    for (i = 0; i < n; i++) {
        if (dkim_key_parse(&key2, (unsigned char *)pem, pemlen, err,
            sizeof err) == -1)
            die(err);
        if (dkim_sign(&key2, DOMAIN, SELECTOR, when, msg, len, &sig) == -1)
            die_sys("dkim_sign", "failed");
    }
    t_parse = now() - t0;

    slen = sig.len + len;
    signd = malloc(slen);
    if (signd == NULL)
        die("out of memory");
    memcpy(signd, sig.s, sig.len);
    memcpy(signd + sig.len, msg, len);
    writefile(argv[7], signd, slen);

    t0 = now();
    for (i = 0; i < n; i++)
        if (!verify(signd, slen, &t, &res)) {
            fprintf(stderr, "dkim_facteur: own signature: %s (%s)\n",
                dkimv_name(res.result), res.why);
            exit(111);
        }
    t_verify = now() - t0;

    printf("sign %.3f sign+parse %.3f verify %.3f\n", n / t_sign,
        n / t_parse, n / t_verify);
    return 0;
}
