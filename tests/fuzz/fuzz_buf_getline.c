/* fuzz_buf_getline.c - capped line reading from a descriptor, the first
 * parser every network program runs.  The input goes through a temporary
 * file; the first byte picks the cap. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char mem[64];
    char line[300];
    size_t max, len, total = 0;
    struct buf b;
    FILE *f;
    int r;

    if (size < 1)
        return 0;
    max = 2 + data[0]; /* 2..257 */
    f = tmpfile();
    if (f == NULL)
        return 0;
    if (fwrite(data + 1, 1, size - 1, f) != size - 1 || fflush(f) != 0) {
        fclose(f);
        return 0;
    }
    rewind(f);
    buf_init(&b, fileno(f), mem, sizeof mem);
    for (;;) {
        r = buf_getline(&b, line, max, &len);
        if (r == 0)
            break;
        if (r == 1) {
            if (len == 0 || len > max - 1 || line[len - 1] != '\n'
                || memchr(line, '\n', len - 1) != NULL || line[len] != 0)
                abort();
            total += len;
        } else if (errno != ERANGE) {
            break; /* EPROTO: the input ended inside a line */
        }
        if (total > size)
            abort();
    }
    fclose(f);
    return 0;
}
