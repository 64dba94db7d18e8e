/* sa.c - growable byte strings with a hard cap (see sa.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sa.h"

static int
sa_reserve(struct sa *sa, size_t n)
{
    size_t want, cap;
    char *p;

    if (n > sa->max || sa->len > sa->max - n) {
        errno = E2BIG;
        return -1;
    }
    want = sa->len + n + 1; /* + the NUL */
    if (want <= sa->cap)
        return 0;
    cap = sa->cap ? sa->cap : 32;
    while (cap < want)
        cap = cap > ((size_t)-1) / 2 ? want : cap * 2;
    if (cap > sa->max + 1)
        cap = sa->max + 1;
    if (cap < want)
        cap = want;
    /* Never realloc: a secret left behind in a freed block is not wiped. */
    p = malloc(cap);
    if (p == NULL)
        return -1;
    if (sa->s != NULL) {
        memcpy(p, sa->s, sa->len);
        explicit_bzero(sa->s, sa->cap);
        free(sa->s);
    }
    sa->s = p;
    sa->cap = cap;
    return 0;
}

int
sa_append(struct sa *sa, const void *p, size_t n)
{
    if (sa_reserve(sa, n) == -1)
        return -1;
    if (n > 0)
        memcpy(sa->s + sa->len, p, n);
    sa->len += n;
    sa->s[sa->len] = 0;
    return 0;
}

int
sa_appends(struct sa *sa, const char *s)
{
    return sa_append(sa, s, strlen(s));
}

int
sa_appendc(struct sa *sa, char c)
{
    return sa_append(sa, &c, 1);
}

int
sa_copy(struct sa *sa, const void *p, size_t n)
{
    size_t old = sa->len;

    sa->len = 0;
    if (sa_append(sa, p, n) == -1) {
        sa->len = old;
        return -1;
    }
    return 0;
}

void
sa_truncate(struct sa *sa, size_t n)
{
    if (n < sa->len) {
        sa->len = n;
        sa->s[n] = 0;
    }
}

void
sa_free(struct sa *sa)
{
    free(sa->s);
    sa->s = NULL;
    sa->len = sa->cap = 0;
}

void
sa_wipe(struct sa *sa)
{
    if (sa->s != NULL)
        explicit_bzero(sa->s, sa->cap);
    sa_free(sa);
}
