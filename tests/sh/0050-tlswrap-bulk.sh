# 0050-tlswrap-bulk.sh - the record pump under load: 16 MB each way
# through tlswrap and cat at once (backpressure in both directions), and
# 40 connections in parallel.
. "$(dirname "$0")/../lib.sh"
setup_conf
LOG=$T/log
P=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P" "$BIN/tlswrap" $TLSWRAP_IDS /bin/cat

# openssl s_client reads stdin and the socket in one select loop: full
# duplex.  (python's ssl sockets are not safe to read and write from two
# threads at once, which made a threaded client flaky.)
head -c 16777216 /dev/urandom >"$T/big"
timeout 60 openssl s_client -quiet -ign_eof -connect "127.0.0.1:$P" \
    <"$T/big" 2>/dev/null | head -c 16777216 >"$T/back"
check "16 MB each way at once, echoed intact ($(wc -c <"$T/back") bytes back)" \
    cmp -s "$T/big" "$T/back"
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
