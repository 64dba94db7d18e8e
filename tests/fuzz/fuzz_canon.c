/* fuzz_canon.c - the canonicalizer: output has CRLF line ends only (no
 * bare CR, no bare LF), ends with CRLF, and does not depend on how the
 * input is split. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"

static size_t
run(const uint8_t *d, size_t n, size_t k, unsigned char *out, struct canon *c)
{
    size_t i, o = 0, len;

    canon_init(c);
    for (i = 0; i < n; i += len) {
        len = n - i < k ? n - i : k;
        o += canon_feed(c, d + i, len, out + o);
    }
    return o + canon_finish(c, out + o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *a, *b;
    struct canon c1, c2;
    size_t n1, n2, i;

    if (size > 65536)
        return 0;
    a = malloc(2 * size + 2);
    b = malloc(2 * size + 2);
    if (a == NULL || b == NULL)
        abort();
    n1 = run(data, size, size ? size : 1, a, &c1);
    n2 = run(data, size, 1 + size % 7, b, &c2);
    if (n1 != n2 || memcmp(a, b, n1) != 0 || c1.hops != c2.hops
        || c1.nul != c2.nul || c1.size != n1)
        abort();
    for (i = 0; i < n1; i++) {
        if (a[i] == '\r' && (i + 1 == n1 || a[i + 1] != '\n'))
            abort();
        if (a[i] == '\n' && (i == 0 || a[i - 1] != '\r'))
            abort();
    }
    if (n1 > 0 && (n1 < 2 || a[n1 - 1] != '\n'))
        abort();
    free(a);
    free(b);
    return 0;
}
