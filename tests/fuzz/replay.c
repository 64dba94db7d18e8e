/* replay.c - run a libFuzzer target over files, without libFuzzer.
 *
 * Linked with each tests/fuzz/fuzz_X.c into tests/bin/fuzz_X so that
 * `make test` replays the corpus (tests/fuzz/corpus/X/) with the normal
 * compiler, and under ASan+UBSan in `make check-san`.  Arguments are
 * files or directories (not recursive).  Prints one line with the count.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_FILE_MAX (1 << 20)

static int
run_file(const char *path)
{
    static unsigned char buf[REPLAY_FILE_MAX];
    FILE *f = fopen(path, "rb");
    size_t n;
    unsigned char *copy;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    /* An exact-size copy, so ASan sees reads past the end. */
    copy = malloc(n ? n : 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, buf, n);
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
    return 0;
}

int
main(int argc, char **argv)
{
    int i, count = 0;

    for (i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == -1) {
            perror(argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            char p[4096];
            if (d == NULL)
                return 1;
            while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                    continue;
                snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
                if (run_file(p) == -1)
                    return 1;
                count++;
            }
            closedir(d);
        } else {
            if (run_file(argv[i]) == -1)
                return 1;
            count++;
        }
    }
    printf("replayed %d inputs\n", count);
    return count > 0 ? 0 : 1;
}
