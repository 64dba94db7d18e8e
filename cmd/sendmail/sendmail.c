/* sendmail.c - the /usr/sbin/sendmail interface, for cron, PHP, scripts.
 *
 * Usage: sendmail [-t] [-i] [-oi] [-f sender | -r sender] [-F name]
 *                 [other sendmail options] [--] [recipient...]
 *
 * Translates the sendmail command line and execs queue-inject (its
 * sibling) with the message on fd 0 untouched: -t takes recipients from
 * To/Cc/Bcc and removes Bcc; -f/-r set the envelope sender.  A lone "."
 * never ends the message (-i is always in effect: the whole of fd 0 is
 * the message).  Accepted and ignored: -i, -oi and other -o options,
 * -F, -B, -N, -R, -V, -v, -bm, -odb/-odi/-oem/-oep.  Refused (exit 100):
 * -bs (SMTP on stdin), -bd, -bp and other modes; use facteur queue for
 * the queue.
 * Exit codes: those of queue-inject (0 queued, 100 permanent, 111
 * temporary).  No shell is involved; arguments reach queue-inject as
 * argv.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "sibling.h"

#define ARGS_MAX 10000

int
main(int argc, char **argv)
{
    static char *args[ARGS_MAX + 8];
    char qi[4096];
    const char *sender = NULL;
    int i, n = 0, tflag = 0, done_opts = 0;

    log_init("sendmail");
    if (sibling_path(argv[0], "queue-inject", qi, sizeof qi) == -1)
        log_die(EXIT_TEMP, "cannot find queue-inject beside sendmail");
    args[n++] = qi;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (done_opts || a[0] != '-' || a[1] == 0) {
            if (n >= ARGS_MAX)
                log_die(EXIT_PERM, "too many recipients");
            args[n++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            done_opts = 1;
            continue;
        }
        switch (a[1]) {
        case 't':
            tflag = 1;
            break;
        case 'i': case 'v':
            break;
        case 'o': case 'N': case 'R': case 'V': case 'B': case 'F':
            /* options with a value: attached (-oi, -Fname) or next */
            if (a[2] == 0 && a[1] != 'o' && i + 1 < argc)
                i++;
            break;
        case 'f': case 'r':
            sender = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
            if (sender == NULL)
                log_die(EXIT_PERM, "usage: -f needs an address");
            break;
        case 'b':
            if (strcmp(a, "-bm") == 0)
                break;
            log_die(EXIT_PERM, "mode %s is not supported (use facteur "
                               "queue to see the queue)", a);
        default:
            log_die(EXIT_PERM, "unknown option %s", a);
        }
    }
    /* queue-inject's options go before the recipients. */
    {
        int extra = (tflag ? 1 : 0) + (sender ? 2 : 0) + 1;
        memmove(args + 1 + extra, args + 1, (size_t)(n - 1) * sizeof *args);
        n += extra;
        i = 1;
        if (tflag)
            args[i++] = "-t";
        if (sender) {
            args[i++] = "-f";
            args[i++] = (char *)sender;
        }
        args[i++] = "--";
        args[n] = NULL;
    }
    if (n == 2 && !tflag)
        log_die(EXIT_PERM, "no recipient (give addresses, or -t)");
    execv(qi, args);
    log_die(EXIT_TEMP, "cannot run %s: %s", qi, strerror(errno));
}
