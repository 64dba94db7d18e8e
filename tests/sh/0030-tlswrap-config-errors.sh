# 0030-tlswrap-config-errors.sh - clear errors and exit codes for bad
# certificates, keys, users, jail and usage (tlswrap run directly).
. "$(dirname "$0")/../lib.sh"
setup_conf
D=$CONF/tls/default

# run_tw [tlswrap args...]: exit code in $rc, stderr in $T/err.
run_tw() {
    # shellcheck disable=SC2086
    "$BIN/tlswrap" "$@" </dev/null >/dev/null 2>"$T/err"
    rc=$?
}
expect() { # expect CODE TEXT description
    if [ "$rc" -eq "$1" ] && grep -F -q -e "$2" "$T/err"; then
        pass "$3 (exit $rc)"
    else
        fail "$3 (exit $rc: $(cat "$T/err"))"
    fi
}

# shellcheck disable=SC2086
run_tw -s $TLSWRAP_IDS true
check "a good configuration starts (STARTTLS mode, app declines)" test "$rc" -eq 0

cp "$D/privkey.pem" "$T/good.key"
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 \
    -out "$D/privkey.pem" 2>/dev/null
# shellcheck disable=SC2086
run_tw -s $TLSWRAP_IDS true
expect 111 "private key does not match the certificate" "mismatched key"

rm "$D/privkey.pem"
ln -s "$T/nowhere.pem" "$D/privkey.pem"
# shellcheck disable=SC2086
run_tw -s $TLSWRAP_IDS true
expect 111 "privkey.pem: No such file or directory" "dangling symlink"

rm "$D/privkey.pem"
mkdir "$D/privkey.pem"
# shellcheck disable=SC2086
run_tw -s $TLSWRAP_IDS true
expect 111 "privkey.pem: Invalid argument" "key path is a directory"
rmdir "$D/privkey.pem"

echo "not a key" >"$D/privkey.pem"
# shellcheck disable=SC2086
run_tw -s $TLSWRAP_IDS true
expect 111 "no private key found" "file without a key"

cp "$T/good.key" "$D/privkey.pem"
head -c 400 "$D/fullchain.pem" >"$T/trunc.pem"
cp "$D/fullchain.pem" "$T/good.crt"
cp "$T/trunc.pem" "$D/fullchain.pem"
# shellcheck disable=SC2086
run_tw -s $TLSWRAP_IDS true
expect 111 "fullchain.pem: malformed PEM" "truncated certificate file"
cp "$T/good.crt" "$D/fullchain.pem"

openssl req -x509 -newkey rsa:1024 -nodes -days 1 -subj /CN=weak \
    -keyout "$T/weak.key" -out "$T/weak.crt" 2>/dev/null
cp "$T/weak.key" "$D/privkey-rsa.pem"
cp "$T/weak.crt" "$D/fullchain-rsa.pem"
# shellcheck disable=SC2086
run_tw -s $TLSWRAP_IDS true
expect 111 "RSA key shorter than 2048 bits" "weak RSA key refused"
rm "$D/privkey-rsa.pem" "$D/fullchain-rsa.pem"

mv "$D" "$T/default.away"
# shellcheck disable=SC2086
run_tw -s $TLSWRAP_IDS true
expect 111 "default/fullchain.pem: No such file or directory" \
    "no default certificate"
mv "$T/default.away" "$D"

# A broken secondary name is skipped with a warning, the rest works.
cp "$T/weak.key" "$CONF/tls/mx.example.test/privkey.pem"
# shellcheck disable=SC2086
run_tw -s $TLSWRAP_IDS true
expect 0 "certificate skipped" "broken secondary certificate skipped"

# Session cache in an unusable place: warning, not a failure.
# shellcheck disable=SC2086
run_tw -s -c /nonexistent/dir/cache $TLSWRAP_IDS true
expect 0 "session cache disabled" "unusable session cache only warns"

run_tw -s
expect 100 "usage:" "no program: usage"
run_tw -s -h 0 true
expect 100 "usage:" "zero timeout: usage"
run_tw -s -h abc true
expect 100 "usage:" "non-numeric timeout: usage"
run_tw -s -x true
expect 100 "usage:" "unknown option: usage"

if is_root; then
    run_tw -s -u 64010:64010 -k 64010:64010 true
    expect 111 "two different users" "same user for both processes refused"
    run_tw -s -u 0:0 -k 64011:64011 true
    expect 111 "unusable user for the TLS process" "root as TLS user refused"
    run_tw -s -u no-such-user-here -k 64011:64011 true
    expect 111 "user=no-such-user-here" "unknown user refused"
    # shellcheck disable=SC2086
    run_tw -s -j "$T/nojail" $TLSWRAP_IDS true
    expect 111 "jail directory missing" "missing jail refused"
    mkdir -m 777 "$T/openjail"
    # shellcheck disable=SC2086
    run_tw -s -j "$T/openjail" $TLSWRAP_IDS true
    expect 111 "not writable by others" "world-writable jail refused"
    # shellcheck disable=SC2086
    run_tw -s $TLSWRAP_IDS "$T/no-such-program"
    expect 100 "cannot run prog=" "missing application: exit 100"
else
    skip "user and jail checks need root"
fi
finish
