/* tlswrap.h - what the three parts of tlswrap share.
 *
 * tlswrap.c  (main)   reads configuration as root, forks the two helper
 *                      processes, and execs the application.
 * engine.c   (TLS)    the only process that touches network bytes: BearSSL
 *                      handshake and record pump; holds no private key.
 * keyproc.c  (key)    holds the private keys and makes one signature.
 */
#ifndef TLSWRAP_H
#define TLSWRAP_H

#include <stdint.h>
#include <sys/types.h>

#include "tlscache.h"
#include "tlscert.h"

struct engine {
    int netr, netw;    /* the network connection */
    int ctl;           /* -s: our end of the UCSPI-TLS control socket */
    int report;        /* implicit TLS: pipe to the exec'ing process */
    int app_in;        /* plaintext from the application */
    int app_out;       /* plaintext to the application */
    int keyfd;         /* socket to the key process */
    pid_t keypid;      /* -s: our child, reaped when we are done with it */
    int need;          /* implicit: pipe to ask for the key process */
    int64_t key_cpu;   /* CPU the key process reported (us) */
    struct tlsstore *store;
    struct tlscache *cache; /* NULL: no resumption */
    int64_t hs_timeout;     /* ms */
    int64_t idle_timeout;   /* ms */
    const char *peer;       /* ip:port, for the log line */
};

/** engine_run - run the TLS process; returns its exit code. */
int engine_run(struct engine *e);

/** keyproc_run - serve signing requests on fd; returns the exit code. */
int keyproc_run(int fd, struct tlsstore *st);

/** The cipher suites tlswrap offers, for the session cache's check. */
extern const uint16_t tlswrap_suites[];
extern const size_t tlswrap_nsuites;

#endif
