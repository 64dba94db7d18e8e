#!/bin/sh
# tests/fuzz/build.sh - libFuzzer builds (clang, ASan+UBSan) of every
# tests/fuzz/fuzz_*.c into .fuzz/.  Run one, seeded with its corpus:
#   .fuzz/fuzz_tlshello -max_total_time=60 tests/fuzz/corpus/tlshello
# New interesting inputs found that way belong in the corpus (make test
# replays it).
set -e
cd "$(dirname "$0")/../.."
mkdir -p .fuzz/lib
CC=${CC:-clang}
FLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib"
for c in lib/*.c; do
    $CC $FLAGS -c -o ".fuzz/lib/$(basename "$c" .c).o" "$c"
done
for f in tests/fuzz/fuzz_*.c; do
    n=$(basename "$f" .c)
    $CC -g -O1 -fsanitize=fuzzer,address,undefined -Ilib -o ".fuzz/$n" "$f" \
        .fuzz/lib/*.o -Wl,-Bstatic -lbearssl -Wl,-Bdynamic -lcdb -lcrypt
    echo "built .fuzz/$n"
done
