# 0050-tlswrap-bulk.sh - the record pump under load: 16 MB each way
# through tlswrap and cat at once (backpressure in both directions), and
# 40 connections in parallel.
. "$(dirname "$0")/../lib.sh"
setup_conf
LOG=$T/log
P=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P" "$BIN/tlswrap" $TLSWRAP_IDS /bin/cat

$PY - "$P" >"$T/bulk" 2>&1 <<'PYEOF'
import hashlib, socket, ssl, sys, threading
N = 16 << 20
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
s.settimeout(60)
sent = hashlib.sha256()
def send():
    block = bytes(range(256)) * 64          # 16 KB, not all zeros
    n = 0
    while n < N:
        chunk = block[: min(len(block), N - n)]
        s.sendall(chunk)
        sent.update(chunk)
        n += len(chunk)
t = threading.Thread(target=send)
t.start()
got = hashlib.sha256()
n = 0
while n < N:
    d = s.recv(65536)
    if not d:
        break
    got.update(d)
    n += len(d)
t.join()
print("bytes", n, "match" if got.digest() == sent.digest() else "MISMATCH")
PYEOF
check "16 MB each way at once, echoed intact ($(cat "$T/bulk"))" \
    contains "$T/bulk" "bytes 16777216 match"

$PY - "$P" >"$T/par" 2>&1 <<'PYEOF'
import socket, ssl, sys, threading
ok = []
def one(i):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30))
        msg = b"conn %d\n" % i
        s.sendall(msg)
        d = b""
        while not d.endswith(b"\n"):
            d += s.recv(100)
        ok.append(d == msg)
        s.close()
    except Exception as e:
        ok.append(False)
ts = [threading.Thread(target=one, args=(i,)) for i in range(40)]
for t in ts: t.start()
for t in ts: t.join()
print("ok", sum(ok), "of", len(ok))
PYEOF
check "40 parallel connections ($(cat "$T/par"))" contains "$T/par" "ok 40 of 40"
sleep 0.5
check "every connection logged ok" \
    test "$(grep -c 'result=ok' "$LOG")" -ge 40
finish
