/* fuzz_smtpdata.c - the DATA state machine.  Invariants: the result does
 * not depend on how the input is cut; when a message ends clean, it is
 * exactly the consumed lines before the final ".\r\n", each without one
 * leading dot, and no earlier line was "." (nothing lost, nothing ended
 * early); output never exceeds input plus one byte a call; BDAT's
 * scanner flags the same whatever the chunk sizes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpdata.h"

#define MAX 4096

static size_t
run(const uint8_t *in, size_t n, size_t k, struct smtpdata *d, uint8_t *res)
{
    static uint8_t out[MAX + 1];
    size_t i = 0, r = 0, olen, c;

    smtpdata_init(d);
    while (i < n && !d->done) {
        size_t len = n - i < k ? n - i : k;
        c = smtpdata_feed(d, in + i, len, out, &olen);
        if (c > len || olen > c + 1)
            abort();
        memcpy(res + r, out, olen);
        r += olen;
        i += c;
    }
    return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t a[MAX + 8], b[MAX + 8], again[2 * MAX + 8];
    struct smtpdata d1, d2;
    size_t k, la, lb, used = 0, i, g = 0;

    if (size < 1 || size > MAX)
        return 0;
    k = data[0] % 16 + 1;
    data++;
    size--;
    la = run(data, size, size ? size : 1, &d1, a);
    lb = run(data, size, k, &d2, b);
    if (la != lb || memcmp(a, b, la) != 0 || d1.done != d2.done
        || d1.flags != d2.flags)
        abort();
    /* BDAT's scanner: the same flags however the chunks are cut. */
    {
        struct smtpdata s1, s2;
        smtpdata_init(&s1);
        smtpdata_init(&s2);
        smtpdata_scan(&s1, data, size);
        smtpdata_scan_end(&s1);
        for (i = 0; i < size; i += k)
            smtpdata_scan(&s2, data + i, size - i < k ? size - i : k);
        smtpdata_scan_end(&s2);
        if (s1.flags != s2.flags)
            abort();
    }
    if (!d1.done || d1.flags != 0)
        return 0;
    /* Find how much was consumed: feed once more in one piece. */
    {
        static uint8_t out[MAX + 1];
        size_t olen;
        smtpdata_init(&d1);
        used = smtpdata_feed(&d1, data, size, out, &olen);
    }
    /* Clean CRLF lines: the consumed input is lines, then ".\r\n"; the
     * message is those lines, each without one leading dot, and none of
     * them is "." (the first such line is the end). */
    if (used < 3 || memcmp(data + used - 3, ".\r\n", 3) != 0
        || (used > 3 && data[used - 4] != '\n'))
        abort();
    for (i = 0; i < used - 3;) {
        size_t e = i;
        while (!(data[e] == '\r' && data[e + 1] == '\n'))
            e++;
        if (e - i == 1 && data[i] == '.')
            abort(); /* an end line that did not end the message */
        if (data[i] == '.')
            i++;
        memcpy(again + g, data + i, e + 2 - i);
        g += e + 2 - i;
        i = e + 2;
    }
    if (g != la || memcmp(again, a, la) != 0)
        abort();
    return 0;
}
