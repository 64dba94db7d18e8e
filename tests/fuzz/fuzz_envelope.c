/* fuzz_envelope.c - text0 envelopes (qmail-queue fd 1, the queue's
 * envelope files): a parsed envelope re-encodes and re-parses the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct envelope e, f;
    struct sa out = SA_INIT(ENVELOPE_MAX);
    long n;

    n = envelope_parse((const char *)data, size, &e, NULL);
    if (n <= 0)
        return 0;
    if (e.nrcpt == 0 || e.nrcpt > ENVELOPE_RCPT_MAX)
        abort();
    if (envelope_encode(&e, &out) == -1)
        abort();
    if (envelope_parse(out.s, out.len, &f, NULL) != (long)out.len
        || f.nrcpt != e.nrcpt)
        abort();
    envelope_free(&e);
    envelope_free(&f);
    sa_free(&out);
    return 0;
}
