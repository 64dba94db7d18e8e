/* admin.h - what the parts of the admin command share.
 *
 * facteur.c dispatches; init.c, route.c and import.c hold the init,
 * route and user import subcommands (pwline.c parses import's lines);
 * admin.c the helpers every part uses to report a problem and exit with
 * the facteur exit code (0 ok, 1 a problem it reports, 100 bad usage,
 * 111 temporary failure).
 */
#ifndef FACTEUR_ADMIN_H
#define FACTEUR_ADMIN_H

#include "table.h"

#define EXIT_PROBLEM 1

/* $FACTEUR_CONF, set by main before anything else. */
extern const char *conf;

/** die - "facteur: " + fmt (with up to two %s) on stderr, exit code. */
_Noreturn void die(int code, const char *fmt, const char *a, const char *b);

/** usage - the synopsis on stderr, exit 100. */
_Noreturn void usage(void);

/** load - table_load, or die (1 malformed, 111 unreadable). */
void load(struct table *t, const char *name);

/** save - table_save, or die 111. */
void save(const struct table *t);

/**
 * refuse_if_in - die 1 with msg (a format naming key twice) when key is
 * in the table name: local domains and routes exclude each other.
 */
void refuse_if_in(const char *name, const char *key, const char *msg);

/** cmd_init - facteur init [options]; argv after "init".  Exit code. */
int cmd_init(int argc, char **argv);

/** cmd_route - facteur route add|del|list; argv after "route". */
int cmd_route(int argc, char **argv);

/**
 * cmd_user_import - facteur user import FORMAT FILE [--domain D]
 * [--replace]; argv after "import".  Exit code.
 */
int cmd_user_import(int argc, char **argv);

#endif
