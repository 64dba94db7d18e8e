/* dns.c - facteur dns: the records a local domain publishes.
 *
 * Usage:
 *   facteur dns D                    a zone fragment for D
 *   facteur dns D --mta-sts-policy   the MTA-STS policy file alone
 *
 * The fragment has, each record after a comment line that says what it
 * is for (so it can be pasted into a zone as it is):
 *   MX        D to this host ($FACTEUR_CONF/hostname)
 *   SPF       "v=spf1 mx -all": only the MX hosts send mail from D
 *   DKIM      every key of D, the active selector's first (dkim.c)
 *   DMARC     p=quarantine to start, reports to postmaster@D
 *   SRV       RFC 6186/8314: _submissions._tcp (465) and _imaps._tcp
 *             (993) on this host; _submission, _imap, _pop3, _pop3s
 *             with the target "." (not offered)
 *   TLSA      RFC 7672: "3 1 1", the SHA-256 of the public key of this
 *             host's certificate ($FACTEUR_CONF/tls/<hostname>/, else
 *             tls/default/; fullchain-rsa.pem beside it gives a second
 *             record), for ports 25, 465 and 993
 *   MTA-STS   RFC 8461: _mta-sts.D TXT with an id that is a digest of
 *             the policy (it changes when the policy does), and the
 *             policy in comments: mx this host, max_age a week, mode
 *             testing, or what $FACTEUR_CONF/mta-sts-mode says
 *             (testing, enforce or none)
 *   TLS-RPT   RFC 8460: reports to postmaster@D
 * Only what facteur knows is printed: no A/AAAA records (the addresses
 * are the admin's), no DNSSEC (TLSA records mean something only in a
 * signed zone, which the comment says).
 * The policy file is what https://mta-sts.D/.well-known/mta-sts.txt must
 * serve; facteur runs no web server.
 *
 * Exit codes: admin.h's; 1, after printing the rest, when D has no usable
 * DKIM key or this host no readable certificate.
 */
#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "dane.h"
#include "dkimcmd.h"
#include "exitcode.h"
#include "limits.h"
#include "loop.h"
#include "tlscert.h"

#define TXT_STRING_MAX 255 /* RFC 1035 3.3.14: one character-string */
#define PATH_LEN 4096
#define STS_MAX_AGE 604800 /* a week: RFC 8461 3.2 suggests weeks */

void
print_txt(const char *owner, const char *data)
{
    size_t n = strlen(data), i, k;

    printf("%s IN TXT", owner);
    for (i = 0; i < n; i += k) {
        k = n - i < TXT_STRING_MAX ? n - i : TXT_STRING_MAX;
        printf(" \"%.*s\"", (int)k, data + i);
    }
    putchar('\n');
}

static void
hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

/* The first certificate of a PEM file. */
static int
first_cert(void *ctx, const char *name, const unsigned char *der,
    size_t len)
{
    struct hostcert *c = ctx;
    const unsigned char *spki;
    size_t spkilen;
    unsigned char h[32];
    br_sha256_context sc;

    if (strcmp(name, "CERTIFICATE") != 0)
        return 0;
    if (len > sizeof c->der || dane_spki(der, len, &spki, &spkilen) == -1)
        return -1;
    memcpy(c->der, der, len);
    c->len = len;
    br_sha256_init(&sc);
    br_sha256_update(&sc, spki, spkilen);
    br_sha256_out(&sc, h);
    hex(h, sizeof h, c->tlsa);
    return -1; /* the server's own certificate comes first */
}

/*
 * The certificate in path into c: 1, 0 when there is no such file, -1
 * with a reason in err.
 */
static int
cert_of(const char *path, struct hostcert *c, char *err, size_t errlen)
{
    static unsigned char buf[TLS_PEMFILE_MAX + 1];
    size_t len = 0;
    ssize_t r;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    c->len = 0;
    if (fd == -1) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    while (len < sizeof buf
        && (r = read(fd, buf + len, sizeof buf - len)) != 0) {
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1) {
            snprintf(err, errlen, "cannot read %s: %s", path,
                strerror(errno));
            close(fd);
            return -1;
        }
        len += (size_t)r;
    }
    close(fd);
    if (len == sizeof buf) {
        snprintf(err, errlen, "%s: larger than %d bytes", path,
            TLS_PEMFILE_MAX);
        return -1;
    }
    tls_pem_decode(buf, len, first_cert, c);
    if (c->len == 0) {
        snprintf(err, errlen, "%s: no certificate in it", path);
        return -1;
    }
    return 1;
}

int
host_certs(const char *host, struct hostcerts *hc, char *err, size_t errlen)
{
    static const char *const files[] = { "fullchain.pem",
        "fullchain-rsa.pem" };
    char dir[PATH_LEN], path[PATH_LEN + 32];
    size_t i;
    int r;

    /* tlswrap's choice for the host name: its own directory, else the
     * default one (lib/tlscert.h). */
    snprintf(dir, sizeof dir, "%s/tls/%s", conf, host);
    if (access(dir, F_OK) == -1)
        snprintf(dir, sizeof dir, "%s/tls/default", conf);
    hc->n = 0;
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        r = cert_of(path, &hc->c[hc->n], err, errlen);
        if (r == 0 && i > 0)
            continue; /* the second (RSA) pair is optional */
        if (r == 0)
            snprintf(err, errlen, "no certificate %s (facteur init makes "
                "one)", path);
        if (r != 1)
            return -1;
        snprintf(hc->c[hc->n].path, sizeof hc->c[hc->n].path, "%s", path);
        hc->n++;
    }
    return 0;
}

/* The TLSA records of this host's certificates: 0, or 1 (a problem). */
static int
tlsa_records(const char *host)
{
    static const char *const ports[] = { "25", "465", "993" };
    static struct hostcerts hc;
    char err[PATH_LEN + 300];
    size_t i, p;

    printf("; DANE (RFC 7672): the SHA-256 of this host's public key "
           "(TLSA 3 1 1), for SMTP, submission and IMAP; publish it only "
           "in a DNSSEC-signed zone.\n"
           "; It follows the key, not the certificate: renewing with the "
           "same key (certbot --reuse-key) keeps it valid; publish a new "
           "key's record beside the old one before switching.\n");
    if (host_certs(host, &hc, err, sizeof err) == -1) {
        printf("; TLSA: %s\n", err);
        fprintf(stderr, "facteur: %s\n", err);
        return 1;
    }
    for (i = 0; i < hc.n; i++)
        for (p = 0; p < sizeof ports / sizeof ports[0]; p++)
            printf("_%s._tcp.%s. IN TLSA 3 1 1 %s\n", ports[p], host,
                hc.c[i].tlsa);
    return 0;
}

int
sts_policy(const char *host, char *out, size_t len)
{
    char mode[16];
    int r = conf_line("mta-sts-mode", mode, sizeof mode);

    if (r == 0)
        snprintf(mode, sizeof mode, "testing");
    else if (r == -1 || (strcmp(mode, "testing") != 0
                            && strcmp(mode, "enforce") != 0
                            && strcmp(mode, "none") != 0)) {
        fprintf(stderr, "facteur: %s/mta-sts-mode: not testing, enforce "
            "or none\n", conf);
        return -1;
    }
    snprintf(out, len,
        "version: STSv1\n"
        "mode: %s\n"
        "mx: %s\n"
        "max_age: %d\n",
        mode, host, STS_MAX_AGE);
    return 0;
}

void
sts_id(const char *policy, char *id)
{
    unsigned char h[32];
    br_sha256_context c;

    br_sha256_init(&c);
    br_sha256_update(&c, policy, strlen(policy));
    br_sha256_out(&c, h);
    hex(h, STS_ID_LEN / 2, id);
}

int
cmd_dns(int argc, char **argv)
{
    char d[DNSNAME_MAX + 1], host[DNSNAME_MAX + 1], owner[DNSNAME_MAX + 32];
    char val[DNSNAME_MAX + 64], policy[DNSNAME_MAX + 128];
    char id[STS_ID_LEN + 1], *line, *nl;
    int problem = 0;

    if (argc != 1 && (argc != 2 || strcmp(argv[1], "--mta-sts-policy") != 0))
        usage();
    canon_domain(argv[0], d, sizeof d);
    if (conf_hostname(host, sizeof host) == -1)
        die(EXIT_PROBLEM, "no valid host name (%s/hostname): facteur init "
            "--hostname", conf, NULL);
    if (sts_policy(host, policy, sizeof policy) == -1)
        return EXIT_PROBLEM;
    if (argc == 2) {
        fputs(policy, stdout);
        return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_OK;
    }

    printf("; the records to publish for %s (facteur dns)\n", d);
    printf("; MX: mail for %s goes to this host\n", d);
    printf("%s. IN MX 10 %s.\n", d, host);
    printf("; SPF (RFC 7208): only the MX hosts send mail from %s\n", d);
    snprintf(owner, sizeof owner, "%s.", d);
    print_txt(owner, "v=spf1 mx -all");

    problem |= dkim_records(d);

    printf("; DMARC (RFC 7489): quarantine what fails SPF and DKIM "
           "alignment, reports to postmaster; once the reports show that "
           "all your mail passes, make it p=reject\n");
    snprintf(owner, sizeof owner, "_dmarc.%s.", d);
    snprintf(val, sizeof val, "v=DMARC1; p=quarantine; "
        "rua=mailto:postmaster@%s", d);
    print_txt(owner, val);

    printf("; mail clients (RFC 6186, RFC 8314): submission and IMAP over "
           "implicit TLS\n"
           "_submissions._tcp.%s. IN SRV 0 1 465 %s.\n", d, host);
    printf("; IMAP over implicit TLS\n"
           "_imaps._tcp.%s. IN SRV 0 1 993 %s.\n", d, host);
    printf("; not offered (target \".\"): submission with STARTTLS on "
           "587, IMAP without TLS, POP3\n"
           "_submission._tcp.%s. IN SRV 0 0 0 .\n"
           "_imap._tcp.%s. IN SRV 0 0 0 .\n"
           "_pop3._tcp.%s. IN SRV 0 0 0 .\n"
           "_pop3s._tcp.%s. IN SRV 0 0 0 .\n", d, d, d, d);

    problem |= tlsa_records(host);

    sts_id(policy, id);
    printf("; MTA-STS (RFC 8461): senders that know it insist on TLS with "
           "a valid certificate to the MX; the id changes with the "
           "policy.\n"
           "; https://mta-sts.%s/.well-known/mta-sts.txt (a certificate "
           "valid for mta-sts.%s) must serve this policy (facteur dns %s "
           "--mta-sts-policy prints it alone):\n", d, d, d);
    for (line = policy; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        printf(";   %.*s\n", (int)(nl - line), line);
    }
    if (strstr(policy, "mode: testing") != NULL)
        printf("; once TLS-RPT reports show no failures: echo enforce > "
               "%s/mta-sts-mode, serve the new policy, then publish the "
               "new id\n", conf);
    snprintf(owner, sizeof owner, "_mta-sts.%s.", d);
    snprintf(val, sizeof val, "v=STSv1; id=%s", id);
    print_txt(owner, val);
    printf("; TLS-RPT (RFC 8460): where senders report TLS failures\n");
    snprintf(owner, sizeof owner, "_smtp._tls.%s.", d);
    snprintf(val, sizeof val, "v=TLSRPTv1; rua=mailto:postmaster@%s", d);
    print_txt(owner, val);
    if (fflush(stdout) == EOF)
        return EXIT_TEMP;
    return problem ? EXIT_PROBLEM : EXIT_OK;
}
