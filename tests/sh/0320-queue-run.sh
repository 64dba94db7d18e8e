# 0320-queue-run.sh - queue-run end to end: inotify pickup, local
# delivery, bounces (RFC 3464) to the sender's Maildir, double bounce to
# postmaster, remote recipients held, restart, flush, expiry, and a
# fault-injection run with SIGKILL of queue-run and local-deliver.
. "$(dirname "$0")/../lib.sh"
export FACTEUR_CONF=$T/conf
C=$FACTEUR_CONF
mkdir -p "$C"
setup_mail example.org
F=$BIN/facteur
QI=$BIN/queue-inject
"$F" domain add example.org
for u in alice bob postmaster; do echo pw | "$F" user add "$u@example.org"; done
LOG=$T/log
# kill_ours NAME: SIGKILL this test's processes called NAME (its
# FACTEUR_CONF), never another test's or benchmark's.
kill_ours() {
    for ko_pid in $(pgrep -x "$1"); do
        tr '\0' '\n' 2>/dev/null <"/proc/$ko_pid/environ" |
            grep -qx "FACTEUR_CONF=$FACTEUR_CONF" && kill -9 "$ko_pid" 2>/dev/null
    done
}
start_qr() { "$BIN/queue-run" 2>>"$LOG" & QR=$!; PIDS="$PIDS $QR"; }
stop_qr() { kill "$QR" 2>/dev/null; wait "$QR" 2>/dev/null; }
files() { find "$M/example.org/$1/new" -type f 2>/dev/null | wc -l; }
# nfiles USER N: USER's inbox holds N messages (evaluated at each call).
nfiles() { test "$(files "$1")" -eq "$2"; }

start_qr
printf 'Subject: hello\n\nhi\n' | "$QI" -f bob@example.org alice@example.org
check "delivered within 2 s of injection (inotify, no polling)" \
    wait_for 2 nfiles alice 1
# queue_empty: nothing in mess/, todo/, info/ (evaluated at each call).
queue_empty() { test -z "$(ls "$Q/mess" "$Q/todo" "$Q/info" 2>/dev/null | grep -v :)"; }
# no_work: nothing left to deliver (todo/ and info/ empty).  A SIGKILL
# between removing the state and removing mess/<id> leaves an orphan
# body there, which the sweep removes after QUEUE_ORPHAN_AGE.
no_work() { test -z "$(ls "$Q/todo" "$Q/info" 2>/dev/null | grep -v :)"; }
check "queue empty after delivery" wait_for 2 queue_empty

printf 'Subject: to nobody\n\nx\n' | "$QI" -f bob@example.org nobody@example.org
check "unknown user: a bounce lands in the sender's Maildir" \
    wait_for 5 nfiles bob 1
b=$(find "$M/example.org/bob/new" -type f | head -1)
check "bounce: null Return-Path" grep -q '^Return-Path: <>' "$b"
check "bounce: multipart/report delivery-status" \
    grep -q 'Content-Type: multipart/report; report-type=delivery-status' "$b"
check "bounce: Final-Recipient, Action failed, Status 5.x" \
    sh -c "grep -q '^Final-Recipient: rfc822; nobody@example.org' '$b' && grep -q '^Action: failed' '$b' && grep -q '^Status: 5\.' '$b'"
check "bounce: the original header is included" grep -q '^Subject: to nobody' "$b"

printf 'Subject: from null\n\nx\n' | "$QI" -f '' nobody@example.org
check "failure of a message from <>: double bounce to postmaster" \
    wait_for 5 nfiles postmaster 1

# One local-deliver serves a burst: after a delivery it waits for the
# next recipient (LOCAL_REUSE), so 20 messages in a row are not 20
# processes (at most LOCAL_MAX, 10, run at once, plus one more after
# the failure); an unknown user among them ends that process with its
# bounce, and the next message gets a fresh one.  Idle, it goes after
# LOCAL_IDLE_MS (5 s).
pids_before=$(ls "$M/example.org/alice/new" | sed 's/.*P\([0-9]*\)R.*/\1/' | sort -u | wc -l)
i=0
while [ $i -lt 20 ]; do
    [ $i -eq 10 ] && printf 'Subject: burst-nobody\n\nx\n' |
        "$QI" -f bob@example.org nobody2@example.org
    printf 'Subject: burst-%s\n\nx\n' $i | "$QI" -f bob@example.org alice@example.org
    i=$((i + 1))
done
check "burst: 20 messages delivered" wait_for 5 nfiles alice 21
check "burst: the unknown user among them bounced" \
    wait_for 5 sh -c "grep -l '^Final-Recipient: rfc822; nobody2@example.org' '$M'/example.org/bob/new/* >/dev/null"
pids=$(ls "$M/example.org/alice/new" | sed 's/.*P\([0-9]*\)R.*/\1/' | sort -u | wc -l)
check "burst: delivered by $((pids - pids_before)) local-deliver processes, not 20" \
    test $((pids - pids_before)) -le 11
ours() {
    for p in $(pgrep -x local-deliver); do
        tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "FACTEUR_CONF=$FACTEUR_CONF" && echo "$p"
    done
}
check "burst: an idle local-deliver waits (LOCAL_IDLE_MS)" test -n "$(ours)"
no_ours() { test -z "$(ours)"; }
check "burst: and is gone after it" wait_for 8 no_ours
grep -l '^Subject: burst-' "$M"/example.org/alice/new/* | xargs rm -f

# A remote domain whose route leads to a closed port: remote-send is
# run, fails at once, and the recipient waits with its reason.
DEAD=$(freeport)
"$F" route add far.example "[127.0.0.1]:$DEAD"
printf 'Subject: remote\n\nx\n' | "$QI" -f bob@example.org someone@far.example
sleep 1
check "remote recipient: remote-send ran, the recipient waits with its reason" \
    sh -c "cat '$Q'/info/* | grep -q 'r P someone@far.example cannot connect to \[127.0.0.1\]'"

"$F" queue >"$T/fq"
check "facteur queue: one line with id, age, sender, recipient, next, last error" \
    grep -Eq '^[0-9a-f]{16} age=[0-9]+[smhd].* from=<bob@example.org> to=someone@far.example next=(now|in [0-9]+[smhd]) last="cannot connect to \[127.0.0.1\]' "$T/fq"

# Restart: a message injected while queue-run is down is delivered after.
stop_qr
printf 'Subject: while down\n\nx\n' | "$QI" -f bob@example.org alice@example.org
"$F" queue >"$T/fq"
check "facteur queue lists a message queue-run has not taken yet (next=new)" \
    grep -q 'to=alice@example.org next=new' "$T/fq"
start_qr
check "restart: the message injected meanwhile is delivered" \
    wait_for 3 nfiles alice 2

# SIGTERM while a delivery runs: queue-run waits for it and records the
# end of the message before it stops, so a restart does not deliver it
# again.  A local-deliver that starts one second late (queue-run runs
# the local-deliver next to it) keeps the delivery running for the TERM.
stop_qr
mkdir "$T/slow"
cp "$BIN/queue-run" "$BIN/queue-inject" "$T/slow/"
printf '#!/bin/sh\nsleep 1\nexec "%s/local-deliver" "$@"\n' "$BIN" >"$T/slow/local-deliver"
chmod 755 "$T/slow/local-deliver"
"$T/slow/queue-run" 2>>"$LOG" & QR=$!; PIDS="$PIDS $QR"
printf 'Subject: at stop\n\nx\n' | "$QI" -f bob@example.org alice@example.org
sleep 0.5
stop_qr
check "SIGTERM during a delivery: the delivery ends, then queue-run" nfiles alice 3
"$F" queue >"$T/fq"
check "SIGTERM during a delivery: nothing left to deliver for alice" \
    sh -c "! grep -q 'to=alice@example.org' '$T/fq'"
start_qr
sleep 1
check "SIGTERM during a delivery: not delivered again after the restart" \
    nfiles alice 3

# A temporary failure, then flush: retried at once.
mv "$C/mailboxes.cdb" "$C/mailboxes.cdb.off"
printf 'Subject: deferred\n\nx\n' | "$QI" -f bob@example.org alice@example.org
sleep 1
check "missing table: deferred, not bounced" \
    sh -c "[ $(files alice) -eq 3 ] && grep -q 'r P alice@example.org' '$Q'/info/*"
mv "$C/mailboxes.cdb.off" "$C/mailboxes.cdb"
"$F" queue flush
check "facteur queue flush: retried now and delivered" wait_for 3 nfiles alice 4

# Delay warning: after delaywarning seconds, one RFC 3464 "delayed"
# report for the still-pending remote recipient, and only one.
stop_qr
echo 1 >"$C/delaywarning"
start_qr
touch "$Q/flush"
delayed() { grep -l '^Action: delayed' "$M"/example.org/bob/new/* 2>/dev/null | wc -l; }
check "delay warning: a report with Action: delayed reaches the sender" \
    wait_for 5 sh -c "[ \$(grep -l '^Action: delayed' '$M'/example.org/bob/new/* 2>/dev/null | wc -l) -ge 1 ]"
w=$(grep -l '^Action: delayed' "$M"/example.org/bob/new/* 2>/dev/null | head -1)
check "delay warning: Status 4.x.x, Will-Retry-Until, the pending recipient" \
    sh -c "grep -q '^Status: 4\.' '$w' && grep -q '^Will-Retry-Until: ' '$w' && grep -q '^Final-Recipient: rfc822; someone@far.example' '$w' && grep -q '^Subject: Delayed Mail' '$w'"
touch "$Q/flush"
sleep 1.5
check "delay warning: sent once only" test "$(delayed)" -eq 1
rm "$C/delaywarning"

# Expiry: lifetime 2 s; the remote message expires and bounces.
stop_qr
echo 2 >"$C/queuelifetime"
start_qr
sleep 3
touch "$Q/flush"
check "expired recipient bounced with 4.4.7 reason" \
    wait_for 5 sh -c "grep -l 'message expired in the queue' '$M'/example.org/bob/new/* >/dev/null"
stop_qr
rm "$C/queuelifetime"
rm -rf "$Q"/info/* "$Q"/mess/*

# Fault injection: 200 messages from 4 injectors while queue-run and
# local-deliver are killed with SIGKILL at random moments.
N=1000
rm -rf "$M/example.org/alice"
start_qr
(
    for k in 1 2 3 4; do
        (i=0; while [ $i -lt $((N / 4)) ]; do
            printf 'Subject: fi-%s-%s\n\nx\n' "$k" "$i" |
                "$QI" -f bob@example.org alice@example.org || echo "inject failed"
            i=$((i + 1))
        done) &
    done
    wait
) >"$T/inj" 2>&1 &
INJ=$!
kills=0
while kill -0 "$INJ" 2>/dev/null || ! no_work; do
    sleep 0.$(( $(od -An -N1 -tu1 /dev/urandom) % 4 + 1 ))
    if [ $((kills % 2)) -eq 0 ]; then
        kill -9 "$QR" 2>/dev/null; wait "$QR" 2>/dev/null
        kill_ours local-deliver
        start_qr
    else
        kill_ours local-deliver
    fi
    kills=$((kills + 1))
    [ $kills -gt 300 ] && break
    touch "$Q/flush"
done
wait "$INJ"
touch "$Q/flush"
wait_for 20 no_work
got=$(grep -h '^Subject: fi-' "$M"/example.org/alice/new/* 2>/dev/null | sort -u | wc -l)
all=$(grep -h '^Subject: fi-' "$M"/example.org/alice/new/* 2>/dev/null | wc -l)
check "fault injection: $N injected, $got delivered ($((all - got)) duplicates, $kills kill rounds, $(grep -c failed "$T/inj") injections refused)" \
    test "$got" -eq $((N - $(grep -c failed "$T/inj")))
stop_qr

# pool/: queue-run keeps spent queue files there (no inode freed per
# message); queue-inject takes them by rename, writes over them and cuts
# them to their new length.
pool() { ls "$Q/pool" | wc -l; }
p0=$(pool)
check "pool/ holds spent queue files after the deliveries ($p0, at most 1024)" \
    test "$p0" -gt 0 -a "$p0" -le 1024
check "no envelope file waits hidden there once its removal is synced" \
    test -z "$(ls -A "$Q/pool" | grep '^\.')"
printf 'Subject: from the pool\n\nsmall\n' | "$QI" -f bob@example.org alice@example.org
check "an injection takes two of them (message and envelope): $p0 -> $(pool)" \
    test "$(pool)" -eq $((p0 - 2))
# two larger spent files: what is written must replace them whole
rm -f "$Q"/pool/*
for f in a b; do head -c 10000 /dev/zero | tr '\0' Z >"$Q/pool/$f"; done
printf 'Subject: from the pool\n\nsmall\n' | "$QI" -f bob@example.org alice@example.org
id=$(ls -t "$Q/todo" | head -1)
check "the reused file holds the new message only (cut to its length)" \
    sh -c "[ \$(ls '$Q/pool' | wc -l) -eq 0 ] && [ \$(wc -c <'$Q/mess/$id') -lt 200 ] && ! grep -q Z '$Q/mess/$id' && tail -1 '$Q/mess/$id' | grep -q '^small'"
check "and the reused envelope file the new envelope only" \
    sh -c "! grep -q Z '$Q/todo/$id' && tr '\\0' '\\n' <'$Q/todo/$id' | grep -c . | grep -qx 2"
check "tmp/ is empty" test -z "$(ls "$Q/tmp")"
# Something that is not a plain file of ours is never written through:
# a symlink planted in pool/ is dropped, its target untouched.
rm -f "$Q"/pool/*
echo untouched >"$T/target"
ln -s "$T/target" "$Q/pool/planted"
printf 'Subject: not through a link\n\nx\n' | "$QI" -f bob@example.org alice@example.org
touch "$Q/pool/.0123456789abcdef.e" # as a crash would leave it
# A pool name that is a second link to a live file (as a crash can
# leave one) is dropped, and the live file is not emptied.
echo live-content >"$Q/mess/live"
ln "$Q/mess/live" "$Q/pool/hardlinked"
printf 'Subject: not through a hard link\n\nx\n' | "$QI" -f bob@example.org alice@example.org
check "a hard-linked pool file is not emptied, and its pool name is gone" \
    sh -c "[ \"\$(cat '$Q/mess/live')\" = live-content ] && [ ! -e '$Q/pool/hardlinked' ] && [ -z \"\$(ls '$Q/tmp')\" ]"
rm -f "$Q/mess/live"
check "a symlink in pool/ is not written through, and is gone" \
    sh -c "[ \"\$(cat '$T/target')\" = untouched ] && [ ! -e '$Q/pool/planted' ] && [ ! -L '$Q/pool/planted' ] && [ -z \"\$(ls '$Q/tmp')\" ]"
# A directory planted there is not left behind in tmp/ either.
mkdir "$Q/pool/planteddir"
printf 'Subject: not into a directory\n\nx\n' | "$QI" -f bob@example.org alice@example.org
check "a directory in pool/ is taken out, not left in tmp/" \
    sh -c "[ ! -e '$Q/pool/planteddir' ] && [ -z \"\$(ls '$Q/tmp')\" ]"
start_qr
check "a hidden pool file left by a crash is removed at the start" \
    wait_for 2 test ! -e "$Q/pool/.0123456789abcdef.e"
check "the five messages delivered after all" wait_for 5 sh -c \
    "[ \$(grep -l 'Subject: from the pool' '$M'/example.org/alice/new/* | wc -l) -eq 2 ] && grep -l 'Subject: not through a link' '$M'/example.org/alice/new/* && grep -l 'Subject: not through a hard link' '$M'/example.org/alice/new/* && grep -l 'Subject: not into a directory' '$M'/example.org/alice/new/*"
stop_qr
finish
