/* fuzz_dmarc.c - DMARC records as the DNS may bring them: no crash, no
 * read past the input (it is copied to a buffer of exactly its length,
 * so ASan sees one byte too many), and a usable record always has a
 * policy word, a pct within 0..100. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dmarc_record r;
    char *t = malloc(size ? size : 1);

    if (t == NULL)
        abort();
    memcpy(t, data, size);
    if (dmarc_parse(&r, t, size) == 0
        && ((strcmp(r.p, "none") != 0 && strcmp(r.p, "quarantine") != 0
                && strcmp(r.p, "reject") != 0)
            || r.pct > 100))
        abort();
    free(t);
    return 0;
}
