/* fuzz_dnsbl.c - lines of the dnsbl file and TXT records as a list may
 * send them: no crash, no read past the input (copied to a buffer of
 * exactly its length), a zone taken is a host name, a reply text is
 * printable ASCII within DNSBL_TEXT_MAX. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbl.h"
#include "dnsname.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dnsbl_zone z;
    char out[DNSBL_TEXT_MAX + 50], q[DNSNAME_MAX + 1];
    char *t = malloc(size ? size : 1);
    size_t i;

    if (t == NULL)
        abort();
    memcpy(t, data, size);
    if (dnsbl_parse(t, size, &z) == 1) {
        if (!dnsname_valid(z.name, strlen(z.name))
            || (z.match && z.addr[0] != 127))
            abort();
        if (dnsbl_qname("2001:db8::1", z.name, q, sizeof q) != 0
            || !dnsname_valid(q, strlen(q)))
            abort();
    }
    dnsbl_text(t, size, out, sizeof out);
    if (strlen(out) > DNSBL_TEXT_MAX)
        abort();
    for (i = 0; out[i]; i++)
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
            abort();
    free(t);
    return 0;
}
