/* priv.h - dropping privileges for good.
 *
 * Order (tlswrapper jail.c): setgroups to the one group, setgid, chroot to
 * an empty directory, setuid, then check that the change holds and cannot
 * be undone, and set rlimits that make a compromised process less useful
 * (no core files, no new processes).
 */
#ifndef MAIL_PRIV_H
#define MAIL_PRIV_H

#include <sys/types.h>

/**
 * priv_parse - resolve "uid:gid" (numbers) or a user name from the
 * password database.  Returns 0, or -1 with errno (ENOENT no such user,
 * EINVAL malformed, EPERM uid or gid 0).
 */
int priv_parse(const char *spec, uid_t *uid, gid_t *gid);

/**
 * priv_drop - become uid/gid for good, chrooted to jail (NULL: no chroot).
 * Refuses uid 0.  Returns 0, or -1 with errno; on failure the caller must
 * exit, the process may be half changed.
 */
int priv_drop(uid_t uid, gid_t gid, const char *jail);

/**
 * priv_become - for a delivery program started as root: become the user
 * named in the configuration file confname (a name or uid:gid), else the
 * user defuser.  Not root: nothing changes.  A configured user that
 * cannot be used is an error; defuser missing from the system (a checkout
 * without `facteur init`) leaves the process as it is.
 * Returns 1 changed, 0 unchanged, -1 with errno (the caller exits 111).
 */
int priv_become(const char *confname, const char *defuser);

/**
 * priv_resolve - the user priv_become would become, without becoming it:
 * 1 (uid, gid set), 0 none (not root, or defuser missing), -1 with errno.
 */
int priv_resolve(const char *confname, const char *defuser, uid_t *uid,
    gid_t *gid);

/**
 * priv_drop_user - for a session started as root: become spec (a name or
 * uid:gid, priv_parse) for good, without chroot.  Not root: nothing
 * changes.  0, or -1 with errno (the caller exits 111).
 */
int priv_drop_user(const char *spec);

/** priv_limits - rlimits for a process that will create nothing: no core
 * file, no new process.  0 or -1. */
int priv_limits(void);

#endif
