/* sibling.h - finding the other facteur programs.
 *
 * A program runs its siblings (queue-inject, local-deliver, ...) from the
 * directory of its own executable, so bin/ in a checkout and $PREFIX/bin
 * after install both work without PATH (DESIGN.md).
 */
#ifndef MAIL_SIBLING_H
#define MAIL_SIBLING_H

#include <stddef.h>

/**
 * sibling_path - out = <directory of this executable>/<name>.  Uses
 * /proc/self/exe, else argv0 when it holds a '/'.  0, or -1 with errno.
 */
int sibling_path(const char *argv0, const char *name, char *out,
    size_t outlen);

#endif
