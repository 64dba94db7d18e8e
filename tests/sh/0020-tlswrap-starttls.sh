# 0020-tlswrap-starttls.sh - tlswrap -s: the UCSPI-TLS hand-off with a
# real client (openssl s_client -starttls smtp, python smtplib), and the
# STARTTLS injection cases (CVE-2011-0411 class).
. "$(dirname "$0")/../lib.sh"
setup_conf
P=$(freeport)
LOG=$T/log
# shellcheck disable=SC2086
serve "$LOG" "$P" "$BIN/tlswrap" -s -h 3 $TLSWRAP_IDS "$TBIN/linesrv"

printf 'EHLO x\r\nENV\r\nHISTORY\r\nQUIT\r\n' | sclient "$P" -starttls smtp \
    -servername mx.example.test
check "s_client -starttls smtp completes" contains "$T/out" "221 bye"
check "TLS 1.2 after STARTTLS" contains "$T/out" "Protocol  : TLSv1.2"
check "SNI honoured after STARTTLS" \
    contains "$T/out" "subject=CN = mx.example.test"
check "facts delivered on the control fd" \
    contains "$T/out" "250-SSL_PROTOCOL=TLSv1.2"
check "SNI fact delivered" \
    contains "$T/out" "250-SSL_TLS_SNI_SERVERNAME=mx.example.test"
check "STARTTLS no longer offered once TLS is on" \
    sh -c "! grep -q '250-STARTTLS' '$T/out'"
check "state reset: commands from before TLS forgotten" \
    sh -c "grep -q '250-EHLO x' '$T/out' && ! grep -q '250-EHLO openssl' '$T/out'"

# Plain session, no STARTTLS: one log line says so.
$PY - "$P" >"$T/plain" <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
code, msg = s.ehlo("plain")
print("starttls-offered" if s.has_extn("starttls") else "no-starttls")
s.quit()
PYEOF
check "STARTTLS offered in clear" contains "$T/plain" "starttls-offered"
sleep 0.3
check "a session without TLS is logged as tls=no" contains "$LOG" "tls=no"

# python smtplib's starttls (certificate verified).
$PY - "$P" "$CONF/tls/default/fullchain.pem" >"$T/py" 2>&1 <<'PYEOF'
import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = smtplib.SMTP("localhost", int(sys.argv[1]), timeout=10)
s.ehlo("client")
s.starttls(context=ctx)
print("tls", s.sock.version())
print(s.docmd("ECHO inside")[1].decode())
s.quit()
PYEOF
check "smtplib starttls with verification" contains "$T/py" "tls TLSv1.2"
check "dialogue continues inside TLS" contains "$T/py" "inside"

# Injection 1: commands pipelined with STARTTLS in the same packet must be
# dropped by the application, never run inside TLS.
$PY - "$P" >"$T/inj1" 2>&1 <<'PYEOF'
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
f.readline()
s.sendall(b"EHLO x\r\n")
while not f.readline().startswith(b"250 "):
    pass
s.sendall(b"STARTTLS\r\nECHO injected\r\n")
print("starttls reply:", f.readline().decode().strip())
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s)
g = t.makefile("rwb")
g.write(b"HISTORY\r\n"); g.flush()
lines = []
while True:
    l = g.readline().decode().strip()
    lines.append(l)
    if l.startswith("250 ") or not l:
        break
print("history:", lines)
PYEOF
check "pipelined STARTTLS: TLS still starts" contains "$T/inj1" "starttls reply: 220"
check "pipelined command after STARTTLS never executed" \
    sh -c "grep -q '^history:' '$T/inj1' && ! grep -q injected '$T/inj1'"

# Injection 2: clear text sent after the 220, before the ClientHello, lands
# in the TLS engine and fails the handshake; it is never executed.
$PY - "$P" >"$T/inj2" 2>&1 <<'PYEOF'
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
f.readline()
s.sendall(b"STARTTLS\r\n")
print("reply:", f.readline().decode().strip())
s.sendall(b"ECHO injected\r\n")
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
try:
    t = ctx.wrap_socket(s)
    t.sendall(b"HISTORY\r\n")
    print("data:", t.recv(1000))
except Exception as e:
    print("handshake failed:", type(e).__name__)
PYEOF
check "clear text before the ClientHello kills the handshake" \
    contains "$T/inj2" "handshake failed"
check "and is not executed" sh -c "! grep -q 'data:.*injected' '$T/inj2'"

# A bad control byte from the application is a usage error, logged.
cat >"$T/badctl.sh" <<'SHEOF'
#!/usr/bin/python3
import os, time
os.write(int(os.environ["SSLCTLFD"]), b"x")
time.sleep(1)
SHEOF
chmod 755 "$T/badctl.sh"
P2=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P2" "$BIN/tlswrap" -s $TLSWRAP_IDS "$T/badctl.sh"
$PY -c "import socket,sys,time; s=socket.create_connection(('127.0.0.1',$P2)); time.sleep(1.5)"
check "unknown control byte rejected and logged" \
    contains "$LOG" "ucspi-tls bad command byte=120"

# Key process exists before STARTTLS (it will be needed), as its own user.
if is_root; then
    hold "$P" plain 3
    hp=$held
    check "key process waits as its own user" grep -q " 64011$" "$T/ps"
    check "TLS process waits as its own user" grep -q " 64010$" "$T/ps"
    wait "$hp"
else
    skip "privilege checks need root"
fi
finish
