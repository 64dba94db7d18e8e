/* fuzz_mindex.c - a facteur-index file of any content (a disk's garbage,
 * a file cut short, one written by another version): ix_open takes it or
 * refuses it, never crashes, and what it takes is safe to walk: every
 * record's name lies inside the file, the UIDs ascend, ix_find finds
 * each record, and a record appended is found after.  The input's boot
 * field is replaced by this boot's id, as an index of another boot is
 * refused before anything else is looked at. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mindex.h"

/* Larger files add nothing but time. */
#define FUZZ_MINDEX_IN_MAX (1 << 20)

static char dir[64];
static char boot[40];

static void
setup(void)
{
    int fd;
    ssize_t r;

    snprintf(dir, sizeof dir, "/tmp/fuzz_mindex.XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY);
    r = fd == -1 ? -1 : read(fd, boot, sizeof boot - 1);
    if (fd != -1)
        close(fd);
    boot[r > 0 ? r : 0] = 0;
    if (r > 0 && boot[r - 1] == '\n')
        boot[r - 1] = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    unsigned char *b;
    struct ixhdr h;
    size_t want;
    struct ix ix;
    uint32_t c, i, hint = 0;
    unsigned long sum = 0;
    int fd;

    if (dir[0] == 0)
        setup();
    if (size > FUZZ_MINDEX_IN_MAX)
        return 0;
    /* an input shorter than the size its header gives is that file with
     * its end zero (as made: reserved, unwritten), so that the corpus can
     * be small */
    want = size;
    if (size >= sizeof h) {
        memcpy(&h, data, sizeof h);
        if ((uint64_t)IX_HDR + (uint64_t)h.cap * sizeof(struct ixrec)
                + h.names_cap <= FUZZ_MINDEX_IN_MAX)
            want = IX_HDR + (size_t)h.cap * sizeof(struct ixrec) + h.names_cap;
        if (want < size)
            want = size;
    }
    b = calloc(want ? want : 1, 1);
    if (b == NULL)
        abort();
    memcpy(b, data, size);
    size = want;
    if (size >= offsetof(struct ixhdr, boot) + sizeof boot)
        memcpy(b + offsetof(struct ixhdr, boot), boot, sizeof boot);
    snprintf(path, sizeof path, "%s/%s", dir, IX_FILE);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd == -1 || write(fd, b, size) != (ssize_t)size || close(fd) == -1)
        abort();
    free(b);
    if (ix_open(&ix, dir) != 1)
        return 0;
    c = ix_count(&ix);
    for (i = 0; i < c; i++) {
        const struct ixrec *r = ix_rec(&ix, i);
        const char *base = ix_base(&ix, r);
        uint16_t k;
        for (k = 0; k < r->baselen; k++) /* ASan: inside the map */
            sum += (unsigned char)base[k];
        if (i > 0 && ix_rec(&ix, i - 1)->uid >= r->uid)
            abort();
        if (ix_find(&ix, r->uid, &hint) != (long)i)
            abort();
    }
    {
        struct ixent e;
        uint32_t top = c ? ix_rec(&ix, c - 1)->uid : 0;
        e.uid = top + 1;
        e.flags = 0;
        e.kw = 0;
        e.base = "1.M1P1.fuzz";
        e.baselen = strlen(e.base);
        if (top < UINT32_MAX - 1 && ix_append(&ix, &e) == 0
            && (ix_find(&ix, top + 1, NULL) != (long)c
                || ix_count(&ix) != c + 1))
            abort();
    }
    ix_close(&ix);
    return sum == 1 ? 0 : 0;
}
