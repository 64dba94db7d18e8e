# 0710-rsapriv-ct.sh - lib/rsapriv.c (DKIM's RSA signatures) is
# constant-time in the compiled code: tests/unit/rsapriv_test.c built
# with -DRSAPRIV_CTGRIND marks the key and the input undefined, and
# valgrind's memcheck reports any branch or memory address that depends
# on them (ctgrind).  Skipped without valgrind, and in the sanitizer
# build (valgrind cannot run AddressSanitizer's binaries).
. "$(dirname "$0")/../lib.sh"
CT=$TBIN/rsapriv_ct
if ! command -v valgrind >/dev/null 2>&1; then
    skip "valgrind is not installed (sh tools/deps)"
    finish
fi
if nm "$CT" 2>/dev/null | grep -q __asan_init; then
    skip "the sanitizer build: valgrind cannot run it"
    finish
fi
valgrind -q --error-exitcode=97 "$CT" ct >"$T/out" 2>"$T/err"
rc=$?
check "valgrind: no secret-dependent branch or address (exit $rc)" \
    test "$rc" -eq 0
check "... and the check ran: its results match BearSSL's" \
    sh -c "grep -q '^ok ' '$T/out' && ! grep -q '^not ok' '$T/out'"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/err" | head -30
finish
