/* keyproc.c - tlswrap's key process.
 *
 * Holds the private keys of every certificate tlswrap loaded, and nothing
 * the network can reach directly: its only input is the socket from the
 * TLS process, read in the fixed request format of tlskey.h.  It makes at
 * most TLSKEY_SIGNS_MAX signatures and exits when the TLS process closes
 * the socket (after the handshake) or on any malformed request.
 * Runs chrooted as its own unprivileged user (-k), distinct from the TLS
 * process's user, so the TLS process cannot ptrace it or read its memory.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "tlskey.h"
#include "tlswrap.h"

int
keyproc_run(int fd, struct tlsstore *st)
{
    unsigned char req[TLSKEY_REQ_MAX];
    unsigned char reply[2 + TLSKEY_SIG_MAX];
    struct tlskey_req kr;
    size_t len = 0, siglen;
    int signs = 0, d;
    ssize_t r;

    for (;;) {
        r = read(fd, req + len, sizeof req - len);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == 0 && len == 0)
            return EXIT_OK; /* handshake over or connection gone */
        if (r <= 0) {
            log_warn("keyproc read error=%s", r ? strerror(errno) : "eof");
            return EXIT_TEMP;
        }
        len += (size_t)r;
        d = tlskey_req_decode(req, len, &kr);
        if (d == -1 || (d == 0 && len == sizeof req)) {
            log_warn("keyproc bad request");
            return EXIT_TEMP;
        }
        if (d == 0)
            continue;
        siglen = 0;
        if (signs < TLSKEY_SIGNS_MAX && kr.index < st->n)
            siglen = tlskey_sign(st->pair[kr.index], &kr, reply + 2,
                sizeof reply - 2);
        signs++;
        explicit_bzero(&kr, sizeof kr);
        reply[0] = (unsigned char)(siglen >> 8);
        reply[1] = (unsigned char)siglen;
        if (fd_write_all(fd, reply, 2 + siglen, -1) == -1)
            return EXIT_TEMP;
        len = 0;
    }
}
