/* keyproc.c - tlswrap's key process.
 *
 * Holds the private keys of every certificate tlswrap loaded, and nothing
 * the network can reach directly: its only input is the socket from the
 * TLS process, read in the fixed request format of tlskey.h.  It makes at
 * most TLSKEY_SIGNS_MAX signatures (each reply: tlskey.h's, then its own
 * CPU time so far in microseconds, 4 bytes big-endian, for the log line)
 * and exits when the TLS process closes
 * the socket (after the handshake) or on any malformed request.
 * Runs chrooted as its own unprivileged user (-k), distinct from the TLS
 * process's user, so the TLS process cannot ptrace it or read its memory.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "tlskey.h"
#include "tlswrap.h"

/* Our CPU time so far in microseconds (for the TLS process's log line). */
static uint32_t
cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint32_t)(ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

int
keyproc_run(int fd, struct tlsstore *st)
{
    unsigned char req[TLSKEY_REQ_MAX];
    unsigned char reply[2 + TLSKEY_SIG_MAX + 4];
    struct tlskey_req kr;
    size_t len = 0, siglen;
    uint32_t cpu;
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
        cpu = cpu_us();
        reply[2 + siglen] = (unsigned char)(cpu >> 24);
        reply[3 + siglen] = (unsigned char)(cpu >> 16);
        reply[4 + siglen] = (unsigned char)(cpu >> 8);
        reply[5 + siglen] = (unsigned char)cpu;
        if (fd_write_all(fd, reply, 2 + siglen + 4, -1) == -1)
            return EXIT_TEMP;
        len = 0;
    }
}
