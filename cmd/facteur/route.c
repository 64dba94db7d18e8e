/* route.c - facteur route: static routes for outbound mail.
 *
 * Usage:
 *   facteur route add DOMAIN HOST[:PORT] [--tls none|may|encrypt|verify]
 *                     [--auth USER]
 *   facteur route del DOMAIN
 *   facteur route list
 *
 * DOMAIN is a domain name or "*" (the smarthost for every other domain);
 * HOST a host name, used as given (no MX lookup), or an address literal
 * ([192.0.2.1], [IPv6:2001:db8::1]); PORT defaults to 25, 465 meaning
 * implicit TLS.  The policy defaults to may.  With --auth the password is
 * one line on standard input (every byte but NUL up to the LF, at most
 * ROUTE_PASS_MAX), read without stdio buffering and wiped after use;
 * --auth needs --tls encrypt or verify, so that the password never goes
 * out where TLS may be missing.  The table and its format: table.h and
 * lib/route.h (routes, mode 0600, read by remote-send as routes.cdb).
 * A domain that is local (facteur domain) cannot have a route: its mail
 * is delivered here.  `list` never shows a password.
 *
 * Exit codes: 0 done; 1 a problem it reports (the route exists, no such
 * route, the domain is local, --auth with a policy that allows clear
 * text, tls=none on port 465); 100 bad usage (a malformed domain, host,
 * port, policy, user or password); 111 temporary failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "exitcode.h"
#include "route.h"

/* The password: one line on fd 0, read a byte at a time so that no copy
 * stays in a stdio buffer. */
static void
read_password(struct route *r)
{
    unsigned char c;
    ssize_t k;

    r->passlen = 0;
    for (;;) {
        k = read(0, &c, 1);
        if (k == -1 && errno == EINTR)
            continue;
        if (k == -1) {
            route_wipe(r);
            die(EXIT_TEMP, "cannot read the password: %s", strerror(errno),
                NULL);
        }
        if (k == 0 || c == '\n')
            break;
        if (c == 0 || r->passlen == ROUTE_PASS_MAX) {
            route_wipe(r);
            die(EXIT_PERM, c == 0 ? "a NUL byte in the password"
                                  : "password longer than 255 bytes",
                NULL, NULL);
        }
        r->pass[r->passlen++] = (char)c;
    }
    c = 0;
    if (r->passlen == 0)
        die(EXIT_PERM, "no password on standard input (--auth reads one line)",
            NULL, NULL);
}

static int
route_add(int argc, char **argv)
{
    char key[ROUTE_HOST_MAX + 2], text[ROUTE_TEXT_MAX];
    const char *pos[2], *why, *user = NULL;
    struct route r;
    struct table t;
    struct row *old;
    int i, npos = 0;

    memset(&r, 0, sizeof r);
    r.tls = ROUTE_TLS_MAY;
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--tls") == 0 && i + 1 < argc) {
            i++;
            if (route_tls_parse(argv[i], strlen(argv[i]), &r.tls) == -1)
                die(EXIT_PERM, "unknown TLS policy %s (none, may, encrypt, "
                    "verify)", argv[i], NULL);
        } else if (strcmp(argv[i], "--auth") == 0 && i + 1 < argc) {
            user = argv[++i];
            if (!route_user_valid(user, strlen(user)))
                die(EXIT_PERM, "not a user name for AUTH: %s (1 to 255 bytes, "
                    "no space or control character)", user, NULL);
        } else if (argv[i][0] == '-' || npos == 2) {
            usage();
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (npos != 2)
        usage();
    if (route_key(key, sizeof key, pos[0], strlen(pos[0])) == -1)
        die(EXIT_PERM, "not a domain name or *: %s", pos[0], NULL);
    if (route_host(&r, pos[1], strlen(pos[1]), &why) == -1)
        die(EXIT_PERM, "%s: %s", pos[1], why);
    if (user != NULL)
        snprintf(r.user, sizeof r.user, "%s", user);
    if ((why = route_check(&r)) != NULL)
        die(EXIT_PROBLEM, "refused: %s", why, NULL);

    refuse_if_in("domains", key, "%s is a local domain: its mail is "
        "delivered here, not routed (facteur domain del %s first)");
    load(&t, "routes");
    old = table_find(&t, key);
    if (old != NULL)
        die(EXIT_PROBLEM, "%s already has a route: delete it first "
            "(facteur route del %s)", key, key);

    if (user != NULL)
        read_password(&r);
    if (route_format_text(&r, text, sizeof text) == -1) {
        route_wipe(&r);
        die(EXIT_PERM, "route too long", NULL, NULL);
    }
    route_wipe(&r);
    if (table_set(&t, key, text) == -1) {
        explicit_bzero(text, sizeof text);
        die(EXIT_TEMP, "out of memory", NULL, NULL);
    }
    explicit_bzero(text, sizeof text);
    save(&t);
    table_free(&t);
    return EXIT_OK;
}

static int
route_list(void)
{
    struct table t;
    struct route r;
    const char *why;
    size_t i;

    load(&t, "routes");
    for (i = 0; i < t.n; i++) {
        /* table_load checked every line: this cannot fail. */
        if (route_parse_text(&r, t.rows[i].val, strlen(t.rows[i].val), &why)
            == -1)
            die(EXIT_PROBLEM, "routes: %s: %s", t.rows[i].key, why);
        printf("%s %s:%u tls=%s%s%s\n", t.rows[i].key, r.host, r.port,
            route_tls_name(r.tls), r.user[0] ? " auth=" : "", r.user);
        route_wipe(&r);
    }
    table_free(&t);
    if (fflush(stdout) == EOF)
        return EXIT_TEMP;
    return EXIT_OK;
}

int
cmd_route(int argc, char **argv)
{
    char key[ROUTE_HOST_MAX + 2];
    struct table t;

    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return route_list();
    if (argc >= 1 && strcmp(argv[0], "add") == 0)
        return route_add(argc - 1, argv + 1);
    if (argc != 2 || strcmp(argv[0], "del") != 0)
        usage();
    if (route_key(key, sizeof key, argv[1], strlen(argv[1])) == -1)
        die(EXIT_PERM, "not a domain name or *: %s", argv[1], NULL);
    load(&t, "routes");
    if (!table_del(&t, key))
        die(EXIT_PROBLEM, "no route for %s", key, NULL);
    save(&t);
    table_free(&t);
    return EXIT_OK;
}
