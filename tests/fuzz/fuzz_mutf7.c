/* fuzz_mutf7.c - modified UTF-7 and folder directory names: no crash, no
 * write past any output (each output buffer is allocated to exactly the
 * length passed, so ASan sees one byte too many), and canonical forms
 * both ways: what decodes encodes back to exactly the input, what encodes
 * decodes back, and the same for folder names and their directories.
 * Output that fits exactly works; one byte shorter is ERANGE, never a
 * truncated success. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "mutf7.h"

/* Larger inputs add nothing but time. */
#define FUZZ_MUTF7_IN_MAX 4096

static char *
alloc(size_t n)
{
    char *c = malloc(n ? n : 1);

    if (c == NULL)
        abort();
    return c;
}

/* Only bytes in lo..hi in the n bytes at s. */
static int
all_in(const char *s, size_t n, unsigned char lo, unsigned char hi)
{
    size_t i;

    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < lo || (unsigned char)s[i] > hi)
            return 0;
    return 1;
}

/* No control character (C0, DEL) in the n bytes at s. */
static int
nocontrol(const char *s, size_t n)
{
    return memchr(s, 0x7f, n) == NULL && all_in(s, n, 0x20, 0xff);
}

/*
 * Run f on in (n bytes) with outlen cap; if it succeeds, check the
 * result and that exactly its length + 1 works and its length is ERANGE.
 * Returns the result (malloc'd, NUL terminated) and its length in *len,
 * or NULL with errno from f.
 */
static char *
run(long (*f)(char *, size_t, const char *, size_t), size_t cap,
    const char *in, size_t n, long *len)
{
    char *out = alloc(cap), *again;
    long l;
    int e;

    l = f(out, cap, in, n);
    if (l == -1) {
        e = errno;
        free(out);
        errno = e;
        return NULL;
    }
    if (l < 0 || (size_t)l >= cap || out[l] != 0 || strlen(out) != (size_t)l)
        abort();
    again = alloc((size_t)l + 1);
    if (f(again, (size_t)l + 1, in, n) != l
        || memcmp(again, out, (size_t)l + 1) != 0)
        abort();
    free(again);
    again = alloc((size_t)l);
    if (f(again, (size_t)l, in, n) != -1 || errno != ERANGE)
        abort();
    free(again);
    *len = l;
    return out;
}

static long
folder_dir(char *out, size_t outlen, const char *in, size_t n)
{
    return mutf7_folder_dir(out, outlen, in, n);
}

/* The input as modified UTF-7: if it decodes, it is the encoding. */
static void
check_decode(const char *in, size_t n)
{
    long len, rl;
    char *out = run(mutf7_decode, MUTF7_DECODED_MAX(n) + 1, in, n, &len);
    char *re;

    if (out == NULL) {
        if (errno != EINVAL)
            abort(); /* the bound is always enough */
        return;
    }
    if ((size_t)len > MUTF7_DECODED_MAX(n) || !all_in(in, n, 0x20, 0x7e)
        || !mutf7_valid_utf8(out, (size_t)len) || !nocontrol(out, (size_t)len))
        abort();
    re = run(mutf7_encode, n + 1, out, (size_t)len, &rl);
    if (re == NULL || rl != (long)n || memcmp(re, in, n) != 0)
        abort();
    free(re);
    free(out);
}

/* The input as UTF-8: if it encodes, it decodes back. */
static void
check_encode(const char *in, size_t n)
{
    long len, rl;
    char *out = run(mutf7_encode, MUTF7_ENCODED_MAX(n) + 1, in, n, &len);
    char *back;
    int valid = mutf7_valid_utf8(in, n);

    if (out == NULL) {
        /* Refused only for invalid UTF-8 or a control character. */
        if (errno != EINVAL || (valid && nocontrol(in, n)))
            abort();
        return;
    }
    if (!valid || !nocontrol(in, n) || (size_t)len > MUTF7_ENCODED_MAX(n)
        || !all_in(out, (size_t)len, 0x20, 0x7e))
        abort();
    back = run(mutf7_decode, n + 1, out, (size_t)len, &rl);
    if (back == NULL || rl != (long)n || memcmp(back, in, n) != 0)
        abort();
    free(back);
    free(out);
}

/* The input as a folder name, and as a directory name. */
static void
check_folder(const char *in, size_t n)
{
    long len, rl;
    char *out, *back;

    out = run(folder_dir, MUTF7_DIRNAME_MAX + 1, in, n, &len);
    if (out == NULL) {
        if (errno != EINVAL && errno != ENAMETOOLONG)
            abort();
    } else {
        if (len < 2 || len > MUTF7_DIRNAME_MAX || out[0] != '.'
            || memchr(out, '/', (size_t)len) != NULL
            || strcmp(out, "..") == 0 || n > IMAP_MAILBOX_MAX)
            abort();
        back = run(mutf7_folder_name, IMAP_MAILBOX_MAX + 1, out, (size_t)len,
            &rl);
        if (back == NULL || rl != (long)n || memcmp(back, in, n) != 0)
            abort();
        free(back);
        free(out);
    }

    out = run(mutf7_folder_name, IMAP_MAILBOX_MAX + 1, in, n, &len);
    if (out == NULL) {
        if (errno != EINVAL)
            abort();
        return;
    }
    if (len < 1 || len > IMAP_MAILBOX_MAX || n < 2 || in[0] != '.'
        || (n == 2 && in[1] == '.'))
        abort();
    back = run(folder_dir, MUTF7_DIRNAME_MAX + 1, out, (size_t)len, &rl);
    if (back == NULL || rl != (long)n || memcmp(back, in, n) != 0)
        abort();
    free(back);
    free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in;

    if (size > FUZZ_MUTF7_IN_MAX)
        return 0;
    /* A copy of exactly size bytes: ASan sees any read past the input. */
    in = alloc(size);
    if (size)
        memcpy(in, data, size);
    check_decode(in, size);
    check_encode(in, size);
    check_folder(in, size);
    free(in);
    return 0;
}
