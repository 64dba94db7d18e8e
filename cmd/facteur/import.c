/* import.c - facteur user import: mailbox users and their password
 * hashes from the password file of an Exim or Dovecot setup, so that
 * every user keeps their password.
 *
 * Usage:
 *   facteur user import exim-passwd|dovecot-passwd FILE [--domain D]
 *                       [--replace]
 *
 * The formats and the hashes accepted: pwline.h.  --domain D is the
 * domain of the lines that name a bare local part.  Every address must
 * be in a local domain and must not be an alias; one that is already a
 * user is skipped, or with --replace gets the imported hash (its mail
 * directory override is kept).  Two lines for the same address are an
 * error.
 *
 * All or nothing: every line is checked first; when one cannot be
 * imported, each such line is reported as FILE:LINE: why (at most
 * IMPORT_ERRORS_SHOWN of them) and nothing is imported (exit 1): fix the
 * file and run it again.  Otherwise the users table is saved once, and
 * one line on stdout counts the users imported, those skipped, and the
 * weak hashes (legacy {PLAIN-MD5}: lib/pwhash.h) whose users should
 * choose a new password, set with facteur user passwd.
 *
 * Only hashes are read, never passwords; the buffers that held them are
 * wiped (a Debian Exim passwd file's third field, a clear-text password,
 * is read into the line buffer and wiped with it).
 * Limits: TABLE_LINE_MAX bytes a line (of the file and of the users
 * line it makes), TABLE_LINES_MAX users.
 * Exit codes: 0 done (also when everything was skipped), 1 bad lines or
 * FILE cannot be opened, 100 bad usage, 111 FILE or the configuration
 * cannot be read or written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "dnsname.h"
#include "exitcode.h"
#include "pwhash.h"
#include "pwline.h"
#include "table.h"

#define IMPORT_ERRORS_SHOWN 100

struct import {
    const char *file;
    unsigned long lineno, bad;
    unsigned long imported, replaced, skipped, weak;
    int replace;
    struct table users, domains, aliases;
    /* For each row of users (table_set keeps a row where it is and adds
     * new ones at the end), the line that named it, or 0. */
    unsigned long *line_of;
    size_t nline_of;
};

/* The next line of f, without its LF, in buf (TABLE_LINE_MAX + 1 bytes):
 * its length; -1 at the end, -2 when it was longer (and is consumed), -3
 * a read error (errno). */
static long
read_line(FILE *f, char *buf)
{
    size_t n = 0;
    int c, toolong = 0;

    while ((c = getc(f)) != EOF && c != '\n') {
        if (n < TABLE_LINE_MAX)
            buf[n++] = (char)c;
        else
            toolong = 1;
    }
    if (ferror(f))
        return -3;
    if (c == EOF && n == 0 && !toolong)
        return -1;
    buf[n] = 0;
    return toolong ? -2 : (long)n;
}

/* Report a line that cannot be imported: why is a format with up to two
 * %s. */
static void
bad(struct import *im, const char *why, const char *a, const char *b)
{
    char msg[600];

    im->bad++;
    if (im->bad > IMPORT_ERRORS_SHOWN)
        return;
    snprintf(msg, sizeof msg, why, a ? a : "", b ? b : "");
    fprintf(stderr, "facteur: %s:%lu: %s\n", im->file, im->lineno, msg);
}

/* Record that the users row r came from the current line. */
static void
mark(struct import *im, const struct row *r)
{
    size_t i = (size_t)(r - im->users.rows);

    if (i >= im->nline_of) {
        size_t k = im->users.cap;
        unsigned long *p = realloc(im->line_of, k * sizeof *p);
        if (p == NULL)
            die(EXIT_TEMP, "out of memory", NULL, NULL);
        memset(p + im->nline_of, 0, (k - im->nline_of) * sizeof *p);
        im->line_of = p;
        im->nline_of = k;
    }
    im->line_of[i] = im->lineno;
}

/* One parsed line into the users table, or why not. */
static void
import_one(struct import *im, const struct pwline *pl)
{
    char val[TABLE_LINE_MAX + 1], at[32];
    const char *domain = strrchr(pl->addr, '@') + 1, *md = "";
    struct row *r;
    size_t i;
    int n;

    if (table_find(&im->domains, domain) == NULL) {
        bad(im, "%s is not a local domain (facteur domain add %s)", domain,
            domain);
        return;
    }
    if (table_find(&im->aliases, pl->addr) != NULL) {
        bad(im, "%s is an alias: delete it first", pl->addr, NULL);
        return;
    }
    r = table_find(&im->users, pl->addr);
    i = r != NULL ? (size_t)(r - im->users.rows) : 0;
    if (r != NULL && i < im->nline_of && im->line_of[i] != 0) {
        snprintf(at, sizeof at, "%lu", im->line_of[i]);
        bad(im, "%s already appears at line %s", pl->addr, at);
        return;
    }
    if (r != NULL && !im->replace) {
        mark(im, r);
        im->skipped++;
        return;
    }
    if (r != NULL && strchr(r->val, ':') != NULL)
        md = strchr(r->val, ':'); /* keep a mail directory override */
    n = snprintf(val, sizeof val, "%s%s", pl->hash, md);
    if (n < 0 || strlen(pl->addr) + 1 + (size_t)n > TABLE_LINE_MAX) {
        explicit_bzero(val, sizeof val);
        bad(im, "%s: the users line would be longer than 4096 bytes",
            pl->addr, NULL);
        return;
    }
    if (table_set(&im->users, pl->addr, val) == -1) {
        explicit_bzero(val, sizeof val);
        die(EXIT_TEMP, errno == E2BIG ? "too many users" : "out of memory",
            NULL, NULL);
    }
    explicit_bzero(val, sizeof val);
    /* table_set replaced r's value, or added the row at the end. */
    mark(im, r != NULL ? r : &im->users.rows[im->users.n - 1]);
    im->imported++;
    im->replaced += r != NULL;
    im->weak += (unsigned long)pwhash_weak(pl->hash);
}

static void
import_file(struct import *im, FILE *f, enum pwline_format fmt,
    const char *domain)
{
    char line[TABLE_LINE_MAX + 1];
    struct pwline pl;
    const char *why;
    long n;

    while ((n = read_line(f, line)) != -1) {
        im->lineno++;
        if (n == -3) {
            explicit_bzero(line, sizeof line);
            die(EXIT_TEMP, "cannot read %s: %s", im->file, strerror(errno));
        }
        if (n == -2) {
            bad(im, "line longer than 4096 bytes", NULL, NULL);
            continue;
        }
        switch (pwline_parse(fmt, domain, line, (size_t)n, &pl, &why)) {
        case 1:
            import_one(im, &pl);
            break;
        case -1:
            bad(im, "%s", why, NULL);
            break;
        }
        explicit_bzero(&pl, sizeof pl);
    }
    explicit_bzero(line, sizeof line);
}

int
cmd_user_import(int argc, char **argv)
{
    char domain[256];
    const char *pos[2];
    struct import im;
    enum pwline_format fmt;
    FILE *f;
    int i, npos = 0, has_domain = 0;

    memset(&im, 0, sizeof im);
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--domain") == 0 && i + 1 < argc) {
            i++;
            if (dnsname_canon(domain, sizeof domain, argv[i], strlen(argv[i]))
                == -1)
                die(EXIT_PERM, "not a domain name: %s", argv[i], NULL);
            has_domain = 1;
        } else if (strcmp(argv[i], "--replace") == 0) {
            im.replace = 1;
        } else if (argv[i][0] == '-' || npos == 2) {
            usage();
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (npos != 2)
        usage();
    if (strcmp(pos[0], "exim-passwd") == 0)
        fmt = PWLINE_EXIM;
    else if (strcmp(pos[0], "dovecot-passwd") == 0)
        fmt = PWLINE_DOVECOT;
    else
        usage();
    im.file = pos[1];

    load(&im.users, "users");
    load(&im.domains, "domains");
    load(&im.aliases, "aliases");
    f = fopen(im.file, "re");
    if (f == NULL)
        die(EXIT_PROBLEM, "cannot open %s: %s", im.file, strerror(errno));
    import_file(&im, f, fmt, has_domain ? domain : NULL);
    fclose(f);
    free(im.line_of);
    if (im.bad > 0) {
        char msg[100];
        if (im.bad > IMPORT_ERRORS_SHOWN)
            fprintf(stderr, "facteur: %s: %lu more not shown\n", im.file,
                im.bad - IMPORT_ERRORS_SHOWN);
        snprintf(msg, sizeof msg, "%lu line%s cannot be imported",
            im.bad, im.bad == 1 ? "" : "s");
        die(EXIT_PROBLEM, "%s: %s: nothing imported (fix the file and run "
            "the import again)", im.file, msg);
    }
    if (im.imported > 0)
        save(&im.users);
    table_free(&im.users);
    printf("%lu imported", im.imported);
    if (im.replace)
        printf(" (%lu replaced)", im.replaced);
    printf(", %lu skipped (already users), %lu weak", im.skipped, im.weak);
    if (im.weak > 0)
        printf(" (legacy MD5: ask those users to choose a new password, "
               "set with facteur user passwd; facteur user list marks "
               "them weak)");
    putchar('\n');
    if (fflush(stdout) == EOF)
        return EXIT_TEMP;
    return EXIT_OK;
}
