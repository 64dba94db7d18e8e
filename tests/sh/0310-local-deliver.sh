# 0310-local-deliver.sh - local-deliver: Maildir delivery, subaddress
# folders, aliases and catch-all through queue-inject, refusals, loops,
# safe paths, commit order, disk full.
. "$(dirname "$0")/../lib.sh"
export FACTEUR_CONF=$T/conf
C=$FACTEUR_CONF
mkdir -p "$C"
setup_mail example.org
F=$BIN/facteur
LD=$BIN/local-deliver
"$F" domain add example.org
"$F" domain add example.net
echo pw | "$F" user add alice@example.org
echo pw | "$F" user add 'a/b@example.org'
"$F" alias add postmaster@example.org alice@example.org ops@remote.example
"$F" alias add @example.org alice@example.org
msg() { printf 'Received: x\r\nSubject: %s\r\n\r\nbody line\r\n.\r\n' "$1"; }
deliver() { # deliver RCPT [SUBJECT]: exit code in $rc
    msg "${2:-test}" | SENDER=bob@example.net "$LD" "$1" 2>"$T/err"
    rc=$?
}
one_file() { ls "$1" 2>/dev/null | head -1; }

deliver alice@example.org first
check "deliver: exit 0" test "$rc" -eq 0
f=$M/example.org/alice/new/$(one_file "$M/example.org/alice/new")
check "Maildir created with cur/ new/ tmp/" \
    test -d "$M/example.org/alice/cur" -a -d "$M/example.org/alice/tmp"
check "Return-Path and Delivered-To first" \
    sh -c "head -2 '$f' | tr '\n' '|' | grep -qx 'Return-Path: <bob@example.net>|Delivered-To: alice@example.org|'"
check "LF line ends in the Maildir (no CR)" sh -c "! grep -q \"\$(printf '\r')\" '$f'"
check "message kept whole" grep -q '^body line$' "$f"
check "tmp/ empty after delivery" test -z "$(ls "$M/example.org/alice/tmp")"

mkdir -p "$M/example.org/alice/.lists/cur" "$M/example.org/alice/.lists/new" \
    "$M/example.org/alice/.lists/tmp"
deliver alice+lists@example.org tagged
check "subaddress: delivered into the existing folder .lists" \
    sh -c "[ $rc -eq 0 ] && grep -q 'Subject: tagged' '$M'/example.org/alice/.lists/new/*"
deliver alice+nofolder@example.org untagged
check "subaddress without a folder: inbox" \
    sh -c "[ $rc -eq 0 ] && grep -l 'Subject: untagged' '$M'/example.org/alice/new/* >/dev/null"
deliver 'alice+../../x@example.org' escape
check "'..' in an address is malformed: 100" test "$rc" -eq 100
deliver 'alice+.hidden@example.org' hidden
check "a tag starting with a dot never names a folder: inbox" \
    sh -c "[ $rc -eq 0 ] && grep -l 'Subject: hidden' '$M'/example.org/alice/new/* >/dev/null"
deliver 'alice+x/y@example.org' slashtag
check "a tag with '/' never names a path: inbox" \
    sh -c "[ $rc -eq 0 ] && grep -l 'Subject: slashtag' '$M'/example.org/alice/new/* >/dev/null"

deliver 'a/b@example.org' slash
check "a '/' in a local part stays inside the mail root (a%2Fb)" \
    sh -c "[ $rc -eq 0 ] && ls '$M/example.org/a%2Fb/new' | grep -q . && [ ! -e '$M/example.org/a' ]"

deliver postmaster@example.org alias
check "alias: forwarded through queue-inject" test "$rc" -eq 0
id=$(ls "$Q/todo" | head -1)
printf 'Fbob@example.net\0Talice@example.org\0Tops@remote.example\0\0' >"$T/want"
check "alias: envelope with the sender and both targets" cmp -s "$Q/todo/$id" "$T/want"
check "alias: Delivered-To added for loop detection" \
    grep -q "^Delivered-To: postmaster@example.org" "$Q/mess/$id"
rm -f "$Q"/todo/* "$Q"/mess/*
deliver nobody@example.org catchall
check "catch-all: forwarded" \
    sh -c "[ $rc -eq 0 ] && cat '$Q'/todo/* | grep -q Talice@example.org"
rm -f "$Q"/todo/* "$Q"/mess/*

deliver nobody@example.net
check "unknown user: 100 ($(cat "$T/err"))" test "$rc" -eq 100
deliver abuse@example.net
check "abuse@ without a mailbox or a postmaster setting: 111, never a bounce" \
    test "$rc" -eq 111
echo alice@example.org >"$C/postmaster"
deliver Abuse@example.net
check "abuse@ goes to \$FACTEUR_CONF/postmaster" \
    sh -c "[ $rc -eq 0 ] && cat '$Q'/todo/* | grep -q Talice@example.org"
rm -f "$Q"/todo/* "$Q"/mess/* "$C/postmaster"
deliver someone@elsewhere.example
check "not a local domain: 100" test "$rc" -eq 100
deliver 'not an address'
check "malformed recipient: 100" test "$rc" -eq 100
printf 'Delivered-To: alice@example.org\r\nSubject: loop\r\n\r\nx\r\n' |
    SENDER=bob@example.net "$LD" alice@example.org 2>"$T/err"
check "loop (Delivered-To already names the recipient): 100" test $? -eq 100
mv "$C/mailboxes.cdb" "$C/mailboxes.cdb.off"
deliver alice@example.org
check "users table missing: 111, never a bounce" test "$rc" -eq 111
mv "$C/mailboxes.cdb.off" "$C/mailboxes.cdb"

if command -v strace >/dev/null 2>&1; then
    msg order | SENDER=b@example.net strace -o "$T/st" -e trace=fsync,link,linkat,exit_group \
        "$LD" alice@example.org 2>/dev/null
    check "commit order: fsync file, link into new/, fsync new/, exit" \
        sh -c "grep -oE '^(fsync|link|linkat|exit_group)' '$T/st' | sed 's/^linkat/link/' | tr '\n' ' ' | grep -qx 'fsync link fsync exit_group '"
    check "the file was unnamed until it went into new/ (O_TMPFILE)" \
        grep -q 'linkat(AT_FDCWD, "/proc/self/fd/[0-9]*", AT_FDCWD, ".*/new/' "$T/st"
else
    skip "strace not installed"
fi

if is_root && mkdir -p "$T/small" && mount -t tmpfs -o size=128k tmpfs "$T/small" 2>/dev/null; then
    echo "$T/small" >"$C/mailroot"
    { printf 'Subject: big\r\n\r\n'; head -c 400000 /dev/zero | tr '\0' x | fold -w 70; } |
        SENDER=b@example.net "$LD" alice@example.org 2>"$T/err"
    rc=$?
    check "disk full: 111 ($(cat "$T/err"))" test "$rc" -eq 111
    check "disk full: nothing in new/, tmp/ cleaned" \
        test "$(find "$T/small" -type f | wc -l)" -eq 0
    umount "$T/small"
    echo "$M" >"$C/mailroot"
else
    skip "disk-full test needs root and tmpfs"
fi
# LOCAL_REUSE: queue-run's protocol on fd 3 (a SEQPACKET socket): "0"
# after each delivery, then the next job "<rcpt>\0<sender>\0" with the
# message's descriptor; EOF ends it with 0, a bad record with 111.
cat >"$T/reuse.py" <<'PYEOF'
import array, os, socket, subprocess, sys
ld, tmp = sys.argv[1], sys.argv[2]
def msgfd(subject):
    p = os.path.join(tmp, "m-" + subject)
    with open(p, "wb") as f:
        f.write(b"Subject: " + subject.encode() + b"\r\n\r\nx\r\n")
    return os.open(p, os.O_RDONLY)
def job(sock, rcpt, sender, subject):
    fd = msgfd(subject)
    sock.sendmsg([rcpt.encode() + b"\0" + sender.encode() + b"\0"],
                 [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
    os.close(fd)
def run(jobs, bad=None):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    first = msgfd("reuse-0")
    env = dict(os.environ, SENDER="bob@example.net", LOCAL_REUSE="1")
    p = subprocess.Popen([ld, "alice@example.org"], stdin=first, env=env,
                         pass_fds=[3], preexec_fn=lambda: os.dup2(b.fileno(), 3))
    os.close(first)
    b.close()
    reports = [a.recv(16)]
    for i, r in enumerate(jobs):
        job(a, r, "carol@example.net", "reuse-%d" % (i + 1))
        reports.append(a.recv(16))
    if bad is not None:
        a.send(bad)
    a.close()
    return p.wait(), reports
rc, reps = run(["alice@example.org", "alice+x@example.org"])
print(rc, b"".join(reps).decode())
rc, reps = run([], bad=b"no-sender-field")
print(rc, b"".join(reps).decode())
PYEOF
python3 "$T/reuse.py" "$LD" "$T" >"$T/reuse.out" 2>"$T/reuse.err"
check "LOCAL_REUSE: three deliveries, three reports, exit 0 at EOF" \
    test "$(sed -n 1p "$T/reuse.out")" = "0 000"
check "LOCAL_REUSE: the later jobs' sender and recipient are used" \
    sh -c "grep -l '^Subject: reuse-2' '$M'/example.org/alice/new/* | xargs grep -q '^Return-Path: <carol@example.net>'"
check "LOCAL_REUSE: a malformed job record: exit 111" \
    test "$(sed -n 2p "$T/reuse.out")" = "111 0"
finish
