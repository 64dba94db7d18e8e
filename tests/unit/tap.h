/* tap.h - minimal TAP output for the unit tests (kcgi regress style).
 * ok(cond, name) prints "ok N - name" or "not ok N - name"; done() prints
 * the plan and returns the exit code (1 if anything failed). */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                        \
    do {                                                                     \
        int ok_c_ = (cond) ? 1 : 0;                                          \
        tap_n++;                                                             \
        if (!ok_c_)                                                          \
            tap_failed++;                                                    \
        printf("%sok %d - ", ok_c_ ? "" : "not ", tap_n);                    \
        printf(__VA_ARGS__);                                                 \
        printf("%s\n", ok_c_ ? "" : "  # at " __FILE__);                     \
    } while (0)

static int
done(void)
{
    printf("1..%d\n", tap_n);
    fflush(stdout);
    return tap_failed ? 1 : 0;
}

#endif
