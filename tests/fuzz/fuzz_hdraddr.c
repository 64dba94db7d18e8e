/* fuzz_hdraddr.c - address lists in To:/Cc:/Bcc: (sendmail -t input):
 * every address found is valid by addr.h's grammar. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hdraddr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct envelope e;
    struct addr a;
    size_t i;
    int r;

    memset(&e, 0, sizeof e);
    r = hdraddr_parse((const char *)data, size, &e);
    if (r >= 0 && (size_t)r != e.nrcpt)
        abort();
    for (i = 0; i < e.nrcpt; i++)
        if (addr_parse(e.rcpt[i].full, strlen(e.rcpt[i].full), 0, &a) == -1)
            abort();
    envelope_free(&e);
    return 0;
}
