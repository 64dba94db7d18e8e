# 0010-tlswrap-implicit.sh - implicit TLS with openssl s_client: policy
# (TLS 1.2 only, ECDHE x25519/P-256, AEAD only), SNI, ECDSA+RSA, facts in
# the environment, resumption across processes, the log line, timeouts,
# certificate renewal without restart, privilege separation.
. "$(dirname "$0")/../lib.sh"
setup_conf
P=$(freeport)
LOG=$T/log
# shellcheck disable=SC2086
serve "$LOG" "$P" "$BIN/tlswrap" -h 2 $TLSWRAP_IDS "$TBIN/linesrv"

printf 'ENV\r\nQUIT\r\n' | sclient "$P"
check "handshake and app dialogue" contains "$T/out" "221 bye"
check "TLS 1.2" contains "$T/out" "Protocol  : TLSv1.2"
check "ECDSA certificate, AEAD suite chosen by the server" \
    contains "$T/out" "Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"
check "x25519 key exchange" contains "$T/out" "Server Temp Key: X25519"
check "SSL_PROTOCOL in the app's environment" \
    contains "$T/out" "250-SSL_PROTOCOL=TLSv1.2"
check "SSL_CIPHER in the app's environment" \
    contains "$T/out" "250-SSL_CIPHER=ECDHE-ECDSA-AES128-GCM-SHA256"
check "no SSL_TLS_SNI_SERVERNAME without SNI" \
    sh -c "! grep -q SNI '$T/out'"

printf 'ENV\r\nQUIT\r\n' | sclient "$P" -servername mx.example.test
check "SNI selects the per-name certificate" \
    contains "$T/out" "subject=CN = mx.example.test"
check "SNI name in the environment" \
    contains "$T/out" "SSL_TLS_SNI_SERVERNAME=mx.example.test"
printf 'QUIT\r\n' | sclient "$P" -servername unknown.example.test
check "unknown SNI gets the default certificate" \
    contains "$T/out" "subject=CN = localhost"
printf 'QUIT\r\n' | sclient "$P" -servername MX.Example.TEST
check "SNI is case-insensitive" contains "$T/out" "subject=CN = mx.example.test"

printf 'QUIT\r\n' | sclient "$P" -cipher ECDHE-RSA-AES256-GCM-SHA384
check "RSA certificate for an RSA-only client" \
    contains "$T/out" "Cipher is ECDHE-RSA-AES256-GCM-SHA384"
printf 'QUIT\r\n' | sclient "$P" -cipher ECDHE-ECDSA-CHACHA20-POLY1305
check "ChaCha20-Poly1305" \
    contains "$T/out" "Cipher is ECDHE-ECDSA-CHACHA20-POLY1305"
printf 'QUIT\r\n' | sclient "$P" -curves P-256
check "P-256 key exchange" contains "$T/out" "Server Temp Key: ECDH, prime256v1"

# Refusals: the handshake must fail.
refused() {
    printf 'QUIT\r\n' | sclient "$P" "$@"
    ! grep -q "221 bye" "$T/out"
}
check "TLS 1.0 refused" refused -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
check "TLS 1.1 refused" refused -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
check "TLS 1.3-only client refused (BearSSL has no 1.3)" refused -tls1_3
check "CBC suite refused" refused -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256
check "static RSA key exchange refused" refused -tls1_2 -cipher AES128-GCM-SHA256
check "plain DHE refused" refused -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256
check "P-384-only client refused" refused -curves P-384
check "NULL/anonymous suites refused" refused -tls1_2 -cipher 'aNULL:eNULL:@SECLEVEL=0'

# Resumption across processes: every connection is a new tlswrap.
printf 'QUIT\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$P" \
    -reconnect >"$T/out" 2>&1
check "s_client -reconnect: Reused" contains "$T/out" "Reused, TLSv1.2"
printf 'QUIT\r\n' | sclient "$P" -sess_out "$T/sess" -servername mx.example.test
printf 'QUIT\r\n' | sclient "$P" -sess_in "$T/sess" -servername mx.example.test
check "session saved in one process resumes in another" \
    contains "$T/out" "Reused, TLSv1.2"
printf 'QUIT\r\n' | sclient "$P" -sess_in "$T/sess" -servername localhost
check "a session never resumes under another SNI name" \
    contains "$T/out" "New, TLSv1.2"
check "resumption is logged" contains "$LOG" "resumed=yes"

# The log line.
check "one log line per connection with peer, sni, cipher, bytes" \
    grep -Eq "tlswrap: info: [0-9a-f]{12} done peer=127\.0\.0\.1:[0-9]+ sni=mx\.example\.test proto=TLSv1\.2 cipher=ECDHE-ECDSA-[A-Z0-9-]+ resumed=(yes|no) in=[0-9]+ out=[0-9]+ hs_cpu_us=[0-9]+ result=ok" "$LOG"
check "refused handshakes are logged" \
    grep -q "tls=failed result=" "$LOG"

# Handshake timeout (-h 2): a silent client is dropped.
$PY - "$P" >"$T/to" <<'PYEOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t = time.time()
s.settimeout(10)
d = s.recv(100)
print("closed" if d == b"" else "data", round(time.time() - t))
PYEOF
check "silent client closed at the handshake timeout" \
    grep -Eq "^closed [234]$" "$T/to"
check "handshake timeout logged" contains "$LOG" "result=handshake_timeout"

# Idle timeout (-i 1 on a second listener): silence after the handshake.
P3=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P3" "$BIN/tlswrap" -i 1 $TLSWRAP_IDS "$TBIN/linesrv"
$PY - "$P3" >"$T/idle" 2>&1 <<'PYEOF'
import socket, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
s.settimeout(10)
s.recv(100)                      # the greeting
t = time.time()
try:
    d = s.recv(100)
    print("closed" if d == b"" else "data", round(time.time() - t))
except ssl.SSLEOFError:
    print("closed-without-notify", round(time.time() - t))
PYEOF
check "idle connection closed at the idle timeout ($(cat "$T/idle"))" \
    grep -Eq "^closed(-without-notify)? [123]$" "$T/idle"
sleep 0.3
check "idle timeout logged" contains "$LOG" "result=idle_timeout"

# close_notify: when the application ends, the client gets a clean TLS
# close, not a bare TCP EOF.
$PY - "$P" >"$T/cn" 2>&1 <<'PYEOF'
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
f = s.makefile("rwb")
f.readline()
f.write(b"QUIT\r\n"); f.flush()
print(f.readline().decode().strip())
try:
    print("eof" if s.recv(100) == b"" else "data")
    s.unwrap()
    print("close_notify")
except ssl.SSLEOFError:
    print("truncated")
PYEOF
check "application exit sends close_notify" contains "$T/cn" "close_notify"

# IPv6 on ::1.
P6=$(freeport)
tcpserver -DRHl0 ::1 "$P6" "$BIN/tlswrap" $TLSWRAP_IDS "$TBIN/linesrv" \
    2>>"$LOG" &
PIDS="$PIDS $!"
wait_port "$P6" ::1
printf 'ENV\r\nQUIT\r\n' | timeout 10 openssl s_client -connect "[::1]:$P6" \
    -ign_eof >"$T/out6" 2>&1
check "IPv6: TLS over ::1" contains "$T/out6" "221 bye"
check "IPv6: TCPREMOTEIP is ::1" contains "$T/out6" "250-TCPREMOTEIP=::1"
sleep 0.3
check "IPv6: peer logged as [::1]:port" grep -Eq "done peer=\[::1\]:[0-9]+ " "$LOG"

# Plain text on a TLS port.
$PY - "$P" >"$T/pl" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"EHLO plain\r\n")
s.settimeout(5)
try:
    d = s.recv(100)
except Exception:
    d = b"?"
print("reply" if b"250" in d or b"220" in d else "noreply")
PYEOF
check "clear text on the TLS port never reaches the app" \
    contains "$T/pl" "noreply"

# python ssl (as the mail clients do) with certificate verification
$PY - "$P" "$CONF/tls/default/fullchain.pem" >"$T/py" 2>&1 <<'PYEOF'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        f = s.makefile("rwb")
        print(f.readline().decode().strip())
        f.write(b"ECHO verified\r\n"); f.flush()
        print(f.readline().decode().strip(), s.version())
PYEOF
check "python ssl verifies the chain and talks" contains "$T/py" "250 verified TLSv1.2"

# Renewal: replace the files (write, then rename); no restart.
mkcert "$T/new" renewed.example.test ec
mv "$T/new/fullchain.pem" "$CONF/tls/default/fullchain.pem.new"
mv "$T/new/privkey.pem" "$CONF/tls/default/privkey.pem.new"
mv "$CONF/tls/default/privkey.pem.new" "$CONF/tls/default/privkey.pem"
mv "$CONF/tls/default/fullchain.pem.new" "$CONF/tls/default/fullchain.pem"
printf 'QUIT\r\n' | sclient "$P"
check "a renewed certificate is used by the next connection" \
    contains "$T/out" "subject=CN = renewed.example.test"

# Privilege separation, observed on live processes.
if is_root; then
    hold "$P" tls 4
    hp=$held
    check "TLS process runs as the unprivileged user" \
        grep -Eq "^[0-9]+ 64010$" "$T/ps"
    check "no tlswrap process keeps root" sh -c "! grep -Eq '^[0-9]+ 0$' '$T/ps'"
    check "key process gone once the handshake is done" \
        sh -c "! grep -Eq '^[0-9]+ 64011$' '$T/ps'"
    epid=$(awk '$2==64010 {print $1; exit}' "$T/ps")
    check "TLS process is chrooted to the empty jail" \
        test "$(readlink "/proc/$epid/root")" = "$CONF/empty"
    # The private scalar of the default key must not be in its memory.
    cat >"$T/scan.py" <<'PYEOF'
import re, subprocess, sys
pid = sys.argv[1]
txt = subprocess.run(["openssl", "ec", "-in", sys.argv[2], "-text", "-noout"],
                     capture_output=True, text=True).stdout
m = re.search(r"priv:\s*((?:[0-9a-f]{2}:?\s*)+)pub:", txt)
priv = bytes.fromhex(re.sub(r"[:\s]", "", m.group(1)))
priv = priv[-32:]
found = False
scanned = 0
CHUNK = 1 << 20
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
    for line in maps:
        a, b = (int(x, 16) for x in line.split()[0].split("-"))
        # Unreadable regions, and the huge sanitizer shadow reservations.
        if "r" not in line.split()[1] or b - a > (1 << 30):
            continue
        prev = b""
        for off in range(a, b, CHUNK):
            try:
                mem.seek(off)
                data = mem.read(min(CHUNK, b - off))
            except OSError:
                prev = b""
                continue
            scanned += len(data)
            if priv in prev[-31:] + data:
                found = True
            prev = data
print("found" if found else "absent", len(priv), "scanned" if scanned else "nothing")
PYEOF
    $PY "$T/scan.py" "$epid" "$CONF/tls/default/privkey.pem" >"$T/mem"
    # Positive control: the same scan finds the key in a process that
    # holds it, so "absent" above means something.
    $PY -c 'import re, subprocess, sys, time
t = subprocess.run(["openssl", "ec", "-in", sys.argv[1], "-text", "-noout"], capture_output=True, text=True).stdout
k = bytes.fromhex(re.sub(r"[:\s]", "", re.search(r"priv:\s*((?:[0-9a-f]{2}:?\s*)+)pub:", t).group(1)))[-32:]
time.sleep(3)' "$CONF/tls/default/privkey.pem" &
    cp=$!
    sleep 1
    $PY "$T/scan.py" "$cp" "$CONF/tls/default/privkey.pem" >"$T/memctl"
    wait "$cp"
    check "the memory scan finds a key where there is one" \
        contains "$T/memctl" "found 32"
    check "the TLS process's memory holds no private key" \
        contains "$T/mem" "absent 32 scanned"
    wait "$hp"
else
    skip "privilege checks need root"
fi

finish
