# 0200-queue-inject.sh - queue-inject: canonical form, envelope, address
# checks, limits, qmail-queue and session modes, commit order (strace), disk full
# (a small tmpfs), concurrent injectors.
. "$(dirname "$0")/../lib.sh"
CONF=$T/conf
Q=$T/queue
export FACTEUR_CONF=$CONF
mkdir -p "$CONF" "$Q/tmp" "$Q/mess" "$Q/todo"
echo "$Q" >"$CONF/queuedir"
echo mx.example.test >"$CONF/hostname"
QI=$BIN/queue-inject

count() { ls "$Q/$1" | wc -l | tr -d ' '; }
empty_queue() { rm -f "$Q"/tmp/* "$Q"/mess/* "$Q"/todo/*; }

printf 'Subject: hi\nX: y\n\nline one\nbare\rcr\n.\nlast' |
    "$QI" -f bob@example.org alice@Example.ORG carol@example.net
rc=$?
check "inject: exit 0" test "$rc" -eq 0
check "one message and one envelope" \
    sh -c "[ \$(ls '$Q/mess' | wc -l) -eq 1 ] && [ \$(ls '$Q/todo' | wc -l) -eq 1 ]"
id=$(ls "$Q/todo")
check "same id in mess/ and todo/, 16 hex digits" \
    sh -c "echo '$id' | grep -Eq '^[0-9a-f]{16}$' && [ -f '$Q/mess/$id' ]"
check "tmp/ left empty" test "$(count tmp)" -eq 0
$PY - "$Q/mess/$id" >"$T/m" <<'PYEOF'
import sys
d = open(sys.argv[1], "rb").read()
lines = d.split(b"\r\n")
print("received" if d.startswith(b"Received: (facteur queue-inject invoked by uid ") else "noreceived")
print("crlf" if b"\r" not in d.replace(b"\r\n", b"") and b"\n" not in d.replace(b"\r\n", b"") else "stray")
print("ends" if d.endswith(b"last\r\n") else "noend")
print("body" if b"\r\n\r\nline one\r\nbare\r\ncr\r\n.\r\nlast\r\n" in d else "nobody")
PYEOF
check "Received field added" contains "$T/m" "received"
check "only CRLF line ends, bare CR repaired" contains "$T/m" "crlf"
check "final line end added" contains "$T/m" "ends"
check "body intact, dot line kept" contains "$T/m" "body"
printf 'Fbob@example.org\0Talice@example.org\0Tcarol@example.net\0\0' >"$T/want"
check "envelope: canonical text0" cmp -s "$Q/todo/$id" "$T/want"
empty_queue

echo x | "$QI" alice@example.org
id=$(ls "$Q/todo")
check "default sender: the user at the configured host name" \
    grep -q "^F$(id -un)@mx.example.test" "$Q/todo/$id"
empty_queue
echo x | "$QI" -f '' postmaster@example.org
id=$(ls "$Q/todo")
printf 'F\0Tpostmaster@example.org\0\0' >"$T/want"
check "null sender with -f ''" cmp -s "$Q/todo/$id" "$T/want"
empty_queue

# refusals: exit 100, nothing queued
refuse() { # refuse DESCRIPTION INPUT ARGS...
    d=$1
    shift
    printf '%b' "$1" >"$T/in"
    shift
    "$QI" "$@" <"$T/in" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 100 ] && [ "$(count todo)$(count mess)$(count tmp)" = 000 ]; then
        pass "$d ($(cat "$T/err"))"
    else
        fail "$d (exit $rc, $(count todo)/$(count mess)/$(count tmp))"
    fi
    empty_queue
}
refuse "bad recipient" 'x\n' nodomain
refuse "source route" 'x\n' '@relay.example:user@example.org'
refuse "bad sender" 'x\n' -f 'a b@c' user@example.org
refuse "control byte in address" 'x\n' "$(printf 'a\nb@example.org')"
refuse "NUL in the message" 'a\0b\n' user@example.org
echo 1000 >"$CONF/sizelimit"
refuse "larger than sizelimit" "$(head -c 2000 /dev/zero | tr '\0' x)\n" \
    user@example.org
rm "$CONF/sizelimit"
refuse "more than 100 hops" "$(i=0; while [ $i -lt 101 ]; do printf 'Received: x\\n'; i=$((i+1)); done)\nbody\n" \
    user@example.org
check "100 hops still pass" sh -c "
    i=0; while [ \$i -lt 99 ]; do echo 'Received: x'; i=\$((i+1)); done |
    '$QI' user@example.org"
empty_queue
"$QI" -f a@b.c </dev/null 2>"$T/err"
check "no recipient: usage (100)" test $? -eq 100
mv "$CONF/queuedir" "$CONF/queuedir.off"
echo x | "$QI" user@example.org 2>"$T/err"
rc=$?
check "no queue configured: temporary (111): $(cat "$T/err")" test "$rc" -eq 111
mv "$CONF/queuedir.off" "$CONF/queuedir"

# qmail-queue mode: envelope on fd 1.
qq() { # qq ENVELOPE MESSAGE: prints the exit code
    $PY - "$QI" "$1" "$2" <<'PYEOF'
import os, subprocess, sys
r, w = os.pipe()
os.write(w, sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
os.close(w)
p = subprocess.run([sys.argv[1]], input=sys.argv[3].encode(), stdout=r,
                   stderr=subprocess.DEVNULL)
print(p.returncode)
PYEOF
}
check "qmail-queue mode: queued (0)" \
    test "$(qq 'Fa@b.c\0Tuser@example.org\0\0' 'Subject: q\n\nq\n')" = 0
check "qmail-queue mode: envelope stored" \
    sh -c "cat '$Q'/todo/* | grep -q 'Tuser@example.org'"
empty_queue
check "qmail-queue mode: bad address is 11" \
    test "$(qq 'Fa@b.c\0Tnot an address\0\0' 'x\n')" = 11
check "qmail-queue mode: envelope format error is 91" \
    test "$(qq 'Xa@b.c\0\0' 'x\n')" = 91
check "qmail-queue mode: truncated envelope is 91" \
    test "$(qq 'Fa@b.c\0Tuser@example.org\0' 'x\n')" = 91
echo 10 >"$CONF/sizelimit"
check "qmail-queue mode: too large is 31" \
    test "$(qq 'Fa@b.c\0Tuser@example.org\0\0' 'xxxxxxxxxxxxxxxxxxxxxxx\n')" = 31
rm "$CONF/sizelimit"
check "nothing left by refused messages" \
    test "$(count todo)$(count mess)$(count tmp)" = 000

# qmail-queue's order: the whole message first, then the envelope.  A
# message larger than a pipe's buffer must not leave both sides waiting.
cat >"$T/qorder.py" <<'PYEOF'
import os, subprocess, sys
mr, mw = os.pipe(); er, ew = os.pipe()
p = subprocess.Popen([sys.argv[1]], stdin=mr, stdout=er, stderr=subprocess.DEVNULL)
os.close(mr); os.close(er)
os.write(mw, b"Subject: big\r\n\r\n" + b"x" * 70 * 15000 + b"\r\n")
os.close(mw)
os.write(ew, b"Fa@b.c\0Tuser@example.org\0\0"); os.close(ew)
print(p.wait())
PYEOF
check "qmail-queue mode: 1 MB written before the envelope is queued (0)" \
    test "$(timeout 20 $PY "$T/qorder.py" "$QI")" = 0
empty_queue

# Session mode (-s): fd 0 a SEQPACKET socket; per message the records
# "m" and "e" with the message's and the envelope's pipes; "0" back once
# queued; a failure ends the process with qmail-queue's code; EOF ends it
# with 0.
cat >"$T/session.py" <<'PYEOF'
import array, os, socket, subprocess, sys
qi = sys.argv[1]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
p = subprocess.Popen([qi, "-s"], stdin=b, stdout=b, stderr=subprocess.DEVNULL)
b.close()
def give(kind, fd):
    a.sendmsg([kind], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
out = []
msgs = [(b"Fa@b.c\0Tone@example.org\0\0", b"Subject: s1\n\none\n"),
        (b"F\0Ttwo@example.org\0Tthree@example.org\0\0", b"Subject: s2\n\n" + b"y" * 200000 + b"\n"),
        (b"Fa@b.c\0Tnot an address\0\0", b"Subject: s3\n\nthree\n")]
for env, body in msgs:
    mr, mw = os.pipe(); er, ew = os.pipe()
    give(b"m", mr); give(b"e", er); os.close(mr); os.close(er)
    os.write(mw, body); os.close(mw)
    os.write(ew, env); os.close(ew)
    r = a.recv(8)
    out.append(r.decode() or "eof")
    if not r:
        break
a.close()
print(" ".join(out), p.wait())
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
p = subprocess.Popen([qi, "-s"], stdin=b, stdout=b, stderr=subprocess.DEVNULL)
b.close(); a.close()
print(p.wait())
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
p = subprocess.Popen([qi, "-s"], stdin=b, stdout=b, stderr=subprocess.DEVNULL)
b.close(); a.send(b"junk"); a.close()
print(p.wait())
PYEOF
timeout 30 $PY "$T/session.py" "$QI" >"$T/session.out" 2>&1
check "session mode: two messages queued by one process, then a bad address ends it with 11" \
    test "$(sed -n 1p "$T/session.out")" = "0 0 eof 11"
check "session mode: both envelopes and messages stored, nothing of the third" \
    sh -c "[ \$(ls '$Q/todo' | wc -l) -eq 2 ] && cat '$Q'/todo/* | grep -q 'Tthree@example.org' && grep -l '^Subject: s2' '$Q'/mess/* | xargs cat | wc -c | grep -q '^20[0-9][0-9][0-9][0-9]$' && [ \$(ls '$Q/tmp' | wc -l) -eq 0 ]"
check "session mode: EOF before a message is exit 0" \
    test "$(sed -n 2p "$T/session.out")" = 0
check "session mode: a record that is not m/e is 91" \
    test "$(sed -n 3p "$T/session.out")" = 91
check "session mode: -s takes nothing else" \
    sh -c "! '$QI' -s -f a@b.c user@example.org </dev/null 2>/dev/null"
empty_queue

# Without /proc (no way to name an unnamed file), tmp/<id>.m and .e are
# used: a private mount namespace without /proc shows it (as root).
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
    empty_queue
    echo noproc | unshare -m sh -c "umount -l /proc && '$QI' user@example.org" 2>"$T/err"
    rc=$?
    check "no /proc: queued through tmp/ names (exit $rc)" \
        sh -c "[ $rc -eq 0 ] && [ \$(ls '$Q/todo' | wc -l) -eq 1 ] && [ \$(ls '$Q/tmp' | wc -l) -eq 0 ] && grep -q noproc '$Q'/mess/*"
    empty_queue
fi

# The commit order, as the kernel saw it.
if command -v strace >/dev/null 2>&1; then
    echo x | strace -f -o "$T/st" -e trace=fsync,linkat,openat,close,exit_group \
        "$QI" user@example.org
    $PY - "$T/st" >"$T/order" <<'PYEOF'
import re, sys
# files: tmp/<id>.m and .e, or unnamed (O_TMPFILE: the first is the
# message, the second the envelope), linked through /proc/self/fd
ev = []
fds = {}
unnamed = iter(["m", "e"])
for line in open(sys.argv[1]):
    m = re.search(r'openat\(\d+, "([0-9a-f]{16})\.(m|e)".*\) = (\d+)', line)
    if m:
        fds[m.group(3)] = "file." + m.group(2)
    m = re.search(r'openat\(\d+, ".*O_TMPFILE.*\) = (\d+)', line)
    if m:
        fds[m.group(1)] = "file." + next(unnamed)
    m = re.search(r'fsync\((\d+)\)', line)
    if m:
        ev.append("fsync:" + fds.get(m.group(1), "dir"))
    m = re.search(r'linkat\(\d+, "[0-9a-f]{16}\.(m|e)"', line)
    if m:
        ev.append("link:" + m.group(1))
    m = re.search(r'linkat\(AT_FDCWD, "/proc/self/fd/(\d+)"', line)
    if m:
        ev.append("link:" + fds.get(m.group(1), "?")[-1])
    if "exit_group" in line:
        ev.append("exit")
print(" ".join(ev))
PYEOF
    check "commit order: fsync message, link, fsync dir, fsync envelope, link, fsync dir, exit ($(cat "$T/order"))" \
        grep -q "^fsync:file.m link:m fsync:dir fsync:file.e link:e fsync:dir exit$" "$T/order"
    empty_queue
else
    skip "strace not installed"
fi

# Disk full: a 256 KB tmpfs as the queue; a 1 MB message must fail.
if is_root && mkdir -p "$T/small" && mount -t tmpfs -o size=256k tmpfs "$T/small" 2>/dev/null; then
    mkdir -p "$T/small/tmp" "$T/small/mess" "$T/small/todo"
    echo "$T/small" >"$CONF/queuedir"
    head -c 1000000 /dev/zero | tr '\0' 'x' | fold -w 70 |
        "$QI" user@example.org 2>"$T/err"
    rc=$?
    check "disk full: temporary failure (111): $(cat "$T/err")" test "$rc" -eq 111
    check "disk full: nothing left in the queue" \
        test "$(find "$T/small" -type f | wc -l)" -eq 0
    echo x | "$QI" user@example.org
    check "after disk full, a small message still goes in" \
        test "$(ls "$T/small/todo" | wc -l)" -eq 1
    umount "$T/small"
    echo "$Q" >"$CONF/queuedir"
else
    skip "disk-full test needs root and tmpfs"
fi

# 50 concurrent injectors: 50 distinct complete messages.
i=0
while [ $i -lt 50 ]; do
    (printf 'Subject: %s\n\nm%s\n' "$i" "$i" | "$QI" "u$i@example.org") &
    i=$((i + 1))
done
wait
check "50 concurrent injections: 50 messages, 50 envelopes" \
    test "$(count mess):$(count todo):$(count tmp)" = "50:50:0"

# Setuid to the queue's owner (qmail-queue's model), queue-inject must
# not take its configuration from its caller: a user pointing
# FACTEUR_CONF at a queue of their choosing would write there as the
# queue's owner.  Not on a /tmp mounted nosuid, and only as root.
if is_root && command -v setpriv >/dev/null 2>&1 &&
    ! findmnt -no OPTIONS -T "$T" | grep -qw nosuid && [ ! -e /etc/facteur ]; then
    cp "$QI" "$T/qi-suid"
    chown 64014:64014 "$T/qi-suid" "$Q" "$Q/tmp" "$Q/mess" "$Q/todo"
    chmod 4755 "$T/qi-suid"
    chmod 755 "$T"
    before=$(count mess)
    echo x | setpriv --reuid=65534 --regid=65534 --clear-groups \
        env FACTEUR_CONF="$CONF" "$T/qi-suid" u@example.org >"$T/o" 2>"$T/e"
    rc=$?
    check "setuid: \$FACTEUR_CONF from the caller ignored (no /etc/facteur here: 111, nothing queued)" \
        sh -c "[ $rc -eq 111 ] && [ $(count mess) -eq $before ] && grep -q 'no queue configured' '$T/e'"
    echo x | setpriv --reuid=64014 --regid=64014 --clear-groups \
        env FACTEUR_CONF="$CONF" "$T/qi-suid" -f o@example.org u@example.org \
        >"$T/o" 2>"$T/e"
    rc=$?
    check "... run by the queue's owner itself (not setuid then): it is read, queued" \
        sh -c "[ $rc -eq 0 ] && [ $(count mess) -eq $((before + 1)) ]"
else
    skip "setuid test: needs root, setpriv, a suid-capable $T and no /etc/facteur"
fi
finish
