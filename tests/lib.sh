# tests/lib.sh - shared by the integration tests (sourced, POSIX sh).
#
# Each test prints TAP lines through check/pass/fail, runs the real
# programs from bin/ under tcpserver on 127.0.0.1 (or ::1) with a free
# high port, keeps everything in a temporary directory and cleans up.
# Tests run as root in CI; a check that needs root says SKIP otherwise.

set -u
LC_ALL=C
export LC_ALL
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/bin
TBIN=$TOP/tests/bin
PY=/usr/bin/python3
T=$(mktemp -d /tmp/facteur-test.XXXXXX)
chmod 755 "$T"
n=0
failed=0
PIDS=""

cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    # A test may have mounted a small file system (disk-full tests).
    awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts 2>/dev/null |
        while read -r m; do umount "$m"; done
    rm -rf "$T"
}
[ -n "${KEEP:-}" ] || trap cleanup EXIT INT TERM

pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - # SKIP $*"; }
# check "description" command...: pass when the command succeeds.
check() {
    d=$1
    shift
    if "$@"; then pass "$d"; else fail "$d"; fi
}
# contains FILE PATTERN (fixed string)
contains() { grep -F -q -e "$2" "$1"; }
finish() {
    echo "1..$n"
    [ "$failed" -eq 0 ]
    exit $?
}
is_root() { [ "$(id -u)" -eq 0 ]; }
# code CMD...: run CMD without input, its output in $T/o and $T/e; print
# its exit code.
code() { "$@" >"$T/o" 2>"$T/e" </dev/null; echo $?; }
# facteur_conf: an empty configuration directory $C (exported as
# FACTEUR_CONF) for the admin command $F.
facteur_conf() {
    C=$T/conf
    F=$BIN/facteur
    export FACTEUR_CONF="$C"
    mkdir -p "$C"
}

freeport() {
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT [HOST]: until something listens (5 s at most).
wait_port() {
    $PY - "$1" "${2:-127.0.0.1}" <<'PYEOF'
import socket, sys, time
port, host = int(sys.argv[1]), sys.argv[2]
for _ in range(100):
    try:
        socket.create_connection((host, port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PYEOF
}

# mkcert DIR CN [ec|rsa]: self-signed fullchain.pem + privkey.pem in DIR.
mkcert() {
    mkdir -p "$1"
    if [ "${3:-ec}" = rsa ]; then
        kopt="rsa:2048"
        files="fullchain-rsa.pem privkey-rsa.pem"
    else
        kopt="ec -pkeyopt ec_paramgen_curve:P-256"
        files="fullchain.pem privkey.pem"
    fi
    set -- "$1" "$2" $files
    # shellcheck disable=SC2086
    openssl req -x509 -newkey $kopt -nodes -days 30 -subj "/CN=$2" \
        -addext "subjectAltName=DNS:$2" -keyout "$1/$4" -out "$1/$3" \
        2>/dev/null
}

# setup_conf: $T/conf with tls/default (ECDSA CN=localhost, plus RSA) and
# tls/mx.example.test (ECDSA), and the jail directory.
setup_conf() {
    CONF=$T/conf
    export FACTEUR_CONF=$CONF
    mkdir -p "$CONF/tls"
    mkcert "$CONF/tls/default" localhost ec
    mkcert "$CONF/tls/default" localhost rsa
    mkcert "$CONF/tls/mx.example.test" mx.example.test ec
    mkdir -m 555 "$CONF/empty"
    TLSWRAP_IDS="-u 64010:64010 -k 64011:64011"
}

# serve LOG PORT args...: tcpserver on 127.0.0.1:PORT running args, stderr
# (the log) to LOG.
serve() {
    log=$1
    port=$2
    shift 2
    tcpserver -DRHl0 127.0.0.1 "$port" "$@" 2>>"$log" &
    PIDS="$PIDS $!"
    wait_port "$port"
}

# sclient PORT [s_client options]: input from stdin, output in $T/out.
sclient() {
    port=$1
    shift
    timeout 10 openssl s_client -connect "127.0.0.1:$port" -ign_eof "$@" \
        >"$T/out" 2>&1
}

# hold PORT tls|plain SECS [NAME]: open a connection (TLS or clear),
# read the greeting, keep it SECS seconds in the background (pid in
# $held); when it is up, list this test's live processes called NAME
# (default tlswrap) as "pid uid" in $T/ps.
# Exited helpers are reparented; zombies are skipped, since nothing reaps
# them in a container without an init.
hold() {
    rm -f "$T/held"
    $PY - "$1" "$2" "$3" "$T/held" <<'PYEOF' &
import socket, ssl, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
if sys.argv[2] == "tls":
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s)
s.recv(100)
open(sys.argv[4], "w").close()
time.sleep(float(sys.argv[3]))
PYEOF
    held=$!
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -f "$T/held" ] && break; sleep 0.2; done
    # Only this test's processes (its FACTEUR_CONF): other tests or
    # benchmarks may run tlswrap at the same time.
    ps -eo pid=,uid=,stat=,comm= |
        awk -v name="${4:-tlswrap}" '$4==name && $3 !~ /Z/ {print $1, $2}' |
        while read -r hp_pid hp_uid; do
            tr '\0' '\n' <"/proc/$hp_pid/environ" 2>/dev/null |
                grep -qx "FACTEUR_CONF=$FACTEUR_CONF" &&
                echo "$hp_pid $hp_uid"
        done >"$T/ps"
}

# steps NAME command...: run a helper that prints "ok - x" / "FAIL - x:
# why" lines; each becomes a TAP line "NAME: x".  A helper that dies
# without saying why is one failure.
steps() {
    st_name=$1
    shift
    "$@" >"$T/steps" 2>"$T/steps.err"
    st_rc=$?
    st_f=0
    while IFS= read -r st_l; do
        case $st_l in
        "ok - "*) pass "$st_name: ${st_l#ok - }" ;;
        "FAIL - "*) fail "$st_name: ${st_l#FAIL - }"; st_f=$((st_f + 1)) ;;
        *) echo "# $st_l" ;;
        esac
    done <"$T/steps"
    if [ "$st_rc" -ne 0 ] && [ "$st_f" -eq 0 ]; then
        fail "$st_name: helper exited $st_rc"
        sed 's/^/# /' "$T/steps.err" | head -20
    fi
}

# wait_for SECONDS command...: poll every 0.1 s until the command succeeds.
wait_for() {
    wf_s=$1
    shift
    wf_i=0
    while [ $wf_i -lt $((wf_s * 10)) ]; do
        "$@" && return 0
        sleep 0.1
        wf_i=$((wf_i + 1))
    done
    return 1
}

# setup_mail HOSTNAME: a queue ($Q) and a mail root ($M) under $T,
# recorded in $FACTEUR_CONF with the host name.
setup_mail() {
    Q=$T/queue
    M=$T/mail
    mkdir -p "$Q/tmp" "$Q/mess" "$Q/todo" "$M"
    echo "$Q" >"$FACTEUR_CONF/queuedir"
    echo "$M" >"$FACTEUR_CONF/mailroot"
    echo "$1" >"$FACTEUR_CONF/hostname"
}

# in_mail DIR TEXT: a message under DIR holds TEXT (polls 5 s).
in_mail() { wait_for 5 grep -rqsF -e "$2" "$1"; }
# nowhere TEXT DIR...: no file under the DIRs holds TEXT.
nowhere() {
    nw_t=$1
    shift
    ! grep -rqF -e "$nw_t" "$@" 2>/dev/null
}

# postfix_conf DIR: a private Postfix instance's directories under DIR
# (conf/ with Debian's master.cf, queue/, data/, mail/); the caller
# appends to DIR/conf/main.cf and starts it with postfix -c DIR/conf.
postfix_conf() {
    mkdir -p "$1/conf" "$1/queue" "$1/data" "$1/mail"
    if [ -f /etc/postfix/master.cf ]; then
        cp /etc/postfix/master.cf "$1/conf/"
    else
        cp /usr/share/postfix/master.cf.dist "$1/conf/master.cf"
    fi
    chown postfix "$1/data"
    cat >"$1/conf/main.cf" <<PFEOF
compatibility_level = 3.6
queue_directory = $1/queue
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
mydestination =
inet_protocols = ipv4
maillog_file = $1/maillog
maillog_file_prefixes = $1
alias_maps =
alias_database =
smtputf8_enable = no
PFEOF
}
