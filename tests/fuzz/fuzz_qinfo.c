/* fuzz_qinfo.c - queue-run's state file parser: what parses re-encodes
 * to something that parses to the same state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qinfo.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qinfo a, b;
    struct sa out = SA_INIT(1 << 24);
    size_t i;

    if (qinfo_parse((const char *)data, size, &a) == -1)
        return 0;
    if (qinfo_encode(&a, &out) == -1)
        abort();
    if (qinfo_parse(out.s, out.len, &b) == -1 || b.n != a.n
        || b.created != a.created || b.next != a.next || b.tries != a.tries
        || strcmp(a.sender, b.sender) != 0)
        abort();
    for (i = 0; i < a.n; i++)
        if (a.r[i].state != b.r[i].state || strcmp(a.r[i].addr, b.r[i].addr)
            || strcmp(a.r[i].reason, b.r[i].reason))
            abort();
    qinfo_free(&a);
    qinfo_free(&b);
    sa_free(&out);
    return 0;
}
