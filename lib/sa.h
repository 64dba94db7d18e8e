/* sa.h - growable byte strings with a hard cap.
 *
 * A struct sa holds len bytes at s, followed by a NUL that is not counted
 * (so s can be passed to functions that want a C string when the content
 * has no NUL).  Every append checks the cap before it stores anything:
 * growth past max fails with E2BIG and leaves the string as it was
 * (notqmail gen_allocdefs.h, with overflow checks).
 */
#ifndef MAIL_SA_H
#define MAIL_SA_H

#include <stddef.h>

struct sa {
    char *s;
    size_t len;
    size_t cap;
    size_t max;
};

#define SA_INIT(max) { 0, 0, 0, (max) }

/**
 * sa_append - append n bytes.
 * Returns 0, or -1 with errno E2BIG (len + n > max) or ENOMEM; on failure
 * the string is unchanged.
 */
int sa_append(struct sa *sa, const void *p, size_t n);
/** sa_appends - append a C string; as sa_append. */
int sa_appends(struct sa *sa, const char *s);
/** sa_appendc - append one byte; as sa_append. */
int sa_appendc(struct sa *sa, char c);
/** sa_copy - replace the content with n bytes at p; as sa_append. */
int sa_copy(struct sa *sa, const void *p, size_t n);
/** sa_truncate - shorten to n bytes (n <= len). */
void sa_truncate(struct sa *sa, size_t n);
/** sa_free - release the memory; the sa can be used again. */
void sa_free(struct sa *sa);
/** sa_wipe - overwrite every byte ever stored, then release (secrets). */
void sa_wipe(struct sa *sa);

#endif
