# 0500-submissiond.sh - authenticated submission on implicit TLS: swaks
# (PLAIN, LOGIN), msmtp with the seeds' settings, curl smtps://, python
# SMTP_SSL; a local Maildir and a remote recipient kept queued; wrong
# password, unknown user, no AUTH without TLS, MAIL before AUTH, envelope
# and From: spoofing, the brute-force limit, a missing or killed
# checkpassword; privacy rewriting; no password in the logs.
. "$(dirname "$0")/../lib.sh"
setup_conf
C=$FACTEUR_CONF
setup_mail mx.example.org
mkdir -p "$T/state"
echo "$T/state" >"$C/statedir"
# Mailboxes belong to one unprivileged owner (local-deliver and
# checkpassword become it); submissiond's session runs as another.  Both
# inject into the queue, through its group here (an installed
# queue-inject is setuid to the queue owner).
echo 64013:64012 >"$C/mailowner"
chown 64013:64012 "$M"
chown -R 64012:64012 "$Q"
chmod -R g+w "$Q"
F=$BIN/facteur
"$F" domain add example.org
echo 'alice pw' | "$F" user add alice@example.org
echo 'bob pw' | "$F" user add bob@example.org
"$F" alias add sales@example.org alice@example.org bob@example.org
# Remote mail goes to a closed port: it waits in the queue.
"$F" route add far.example "[127.0.0.1]:$(freeport)"
printf 'boss@example.org alice@example.org\n' | cdb -c -m "$C/sendas.cdb"
LOG=$T/log
"$BIN/queue-run" 2>>"$LOG" &
PIDS="$PIDS $!"
CHAT="$PY $TOP/tests/helpers/smtpchat.py 127.0.0.1"
SUB="$BIN/submissiond -u 64012:64012"
P=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P" "$BIN/tlswrap" $TLSWRAP_IDS $SUB

delivered() { in_mail "$M/example.org/$1/new" "$2"; }
plain() { printf '\0%s\0%s' "$1" "$2" | base64 -w0; }

check "swaks --tls-on-connect, AUTH PLAIN" \
    swaks -S --tls-on-connect --server "127.0.0.1:$P" --auth PLAIN \
    --auth-user alice@example.org --auth-password 'alice pw' \
    --from alice@example.org --to bob@example.org --header "Subject: swaks-plain"
check "AUTH PLAIN: delivered to bob" delivered bob "Subject: swaks-plain"
check "swaks --tls-on-connect, AUTH LOGIN" \
    swaks -S --tls-on-connect --server "127.0.0.1:$P" --auth LOGIN \
    --auth-user alice@example.org --auth-password 'alice pw' \
    --from alice@example.org --to bob@example.org --header "Subject: swaks-login"
check "AUTH LOGIN: delivered" delivered bob "Subject: swaks-login"

# msmtp configured as the seeds configure it: port 465, tls on,
# tls_starttls off; the certificate checked against the test CA.
cat >"$T/msmtprc" <<EOF
account default
host localhost
port $P
tls on
tls_starttls off
tls_trust_file $C/tls/default/fullchain.pem
auth on
user alice@example.org
password alice pw
from alice@example.org
EOF
chmod 600 "$T/msmtprc"
printf 'From: alice@example.org\nTo: bob@example.org\nSubject: via-msmtp\n\nhello\n' |
    msmtp -C "$T/msmtprc" bob@example.org >"$T/msmtp.out" 2>&1
check "msmtp (tls on, tls_starttls off, certificate verified): accepted" \
    test $? -eq 0
check "msmtp: delivered" delivered bob "Subject: via-msmtp"

printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: via-curl\r\n\r\nhello\r\n' >"$T/curl.msg"
check "curl --ssl-reqd smtps:// with a login" \
    curl -s --ssl-reqd --cacert "$C/tls/default/fullchain.pem" \
    "smtps://localhost:$P" --user 'alice@example.org:alice pw' \
    --mail-from alice@example.org --mail-rcpt bob@example.org \
    -T "$T/curl.msg"
check "curl: delivered" delivered bob "Subject: via-curl"

cat >"$T/smtps_client.py" <<'PYEOF'
import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = smtplib.SMTP_SSL("localhost", int(sys.argv[1]), context=ctx, timeout=10)
s.login("alice@example.org", "alice pw")
msg = "From: alice@example.org\r\nTo: x\r\nSubject: via-smtplib\r\nX-Originating-IP: [192.0.2.7]\r\nUser-Agent: Test/1.0\r\n\r\nhi\r\n"
r = s.sendmail("alice@example.org", ["bob@example.org", "someone@far.example"], msg)
assert not r, r
s.quit()
PYEOF
check "python SMTP_SSL: login, a local and a remote recipient" \
    $PY "$T/smtps_client.py" "$P" "$C/tls/default/fullchain.pem"
check "smtplib: delivered to bob" delivered bob "Subject: via-smtplib"
remote_waits() {
    cat "$Q"/info/* 2>/dev/null |
        grep -q 'r P someone@far.example cannot connect'
}
check "the remote recipient is tried by remote-send and stays queued" \
    wait_for 3 remote_waits
f=$(grep -rlF "Subject: via-smtplib" "$M/example.org/bob/new" | head -1)
check "privacy: Received: without the client's address or HELO" \
    sh -c "! grep -q '127.0.0.1' '$f' && grep -q 'Received: by mx.example.org (facteur submissiond) with ESMTPSA (TLS1.2:' '$f'"
check "privacy: X-Originating-IP and User-Agent removed" \
    sh -c "test -n '$f' && ! grep -Eqi '^(X-Originating-IP|User-Agent):' '$f'"
check "Date: and Message-ID: added when missing" \
    sh -c "grep -q '^Date: ' '$f' && grep -q '^Message-ID: <.*@mx.example.org>' '$f'"

A=$(plain alice@example.org 'alice pw')
check "sender rules: own, +tag, alias, sendas grant yes; others 553" \
    $CHAT "$P" <<EOF
TLS
R 220
S EHLO c.test
R! 250 AUTH PLAIN LOGIN
S MAIL FROM:<alice@example.org>
R! 530 authentication required
S AUTH PLAIN $A
R! 235 2.7.0
S MAIL FROM:<bob@example.org>
R! 553 5.7.1
S MAIL FROM:<someone@far.example>
R! 553 5.7.1
S MAIL FROM:<alice+lists@example.org>
R 250
S RSET
R 250
S MAIL FROM:<sales@example.org>
R 250
S RSET
R 250
S MAIL FROM:<boss@example.org>
R 250
S RSET
R 250
S MAIL FROM:<Alice@EXAMPLE.ORG>
R 250
S RCPT TO:<nobody@example.org>
R! 550 5.1.1
S RCPT TO:<anyone@far.example>
R 250
S RSET
R 250
S MAIL FROM:<alice@example.org>
R 250
S RCPT TO:<bob@example.org>
R 250
S DATA
R 354
S From: Bob <bob@example.org>
S Subject: from-spoof
S
S x
S .
R! 553 5.7.1 the From: address is not yours
S MAIL FROM:<alice@example.org>
R 250
S RCPT TO:<bob@example.org>
R 250
S DATA
R 354
S From: Sales <sales@example.org>, Alice <alice@example.org>
S Subject: from-alias
S
S x
S .
R 250
S AUTH PLAIN $A
R 503
S QUIT
R 221
EOF
check "the spoofed From: went nowhere" nowhere "Subject: from-spoof" "$M" "$Q"
check "the From: with an alias was delivered" delivered bob "Subject: from-alias"

check "AUTH: wrong password, unknown user, malformed, cancelled" \
    $CHAT "$P" <<EOF
TLS
R 220
S EHLO c.test
R 250
S AUTH PLAIN $(plain alice@example.org wrong)
R! 535 5.7.8
S AUTH PLAIN $(plain nobody@example.org 'alice pw')
R! 535 5.7.8
S AUTH PLAIN not-base64!
R! 501
S AUTH PLAIN $(printf 'bob@example.org\0alice@example.org\0alice pw' | base64 -w0)
R! 501
S AUTH LOGIN
R! 334 VXNlcm5hbWU6
S *
R! 501 cancelled
S AUTH CRAM-MD5
R! 504
S QUIT
R 221
EOF

# A plaintext listener (no TLS wrapper): useless, never open.
P2=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P2" $SUB
check "without TLS: no AUTH offered, AUTH refused 538, MAIL refused 530" \
    $CHAT "$P2" <<EOF
R 220
S EHLO c.test
R 250
N AUTH
S AUTH PLAIN $A
R! 538 5.7.11
S MAIL FROM:<alice@example.org>
R! 530
S QUIT
R 221
EOF

# Port 587 style: tlswrap -s in front; AUTH only after STARTTLS.
P587=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P587" "$BIN/tlswrap" -s $TLSWRAP_IDS $SUB
check "587 with STARTTLS: no AUTH in clear, AUTH after STARTTLS, then mail" \
    $CHAT "$P587" <<EOF
R 220
S EHLO c.test
R! 250 STARTTLS
N AUTH
S MAIL FROM:<alice@example.org>
R 530
S STARTTLS
R 220
TLS
S EHLO c.test
R! 250 AUTH PLAIN LOGIN
N STARTTLS
S AUTH PLAIN $A
R 235
S MAIL FROM:<alice@example.org>
R 250
S RCPT TO:<bob@example.org>
R 250
S DATA
R 354
S Subject: via-587
S
S x
S .
R 250
S QUIT
R 221
EOF
check "587: delivered" delivered bob "Subject: via-587"

# Brute force: 3 failures in the window, then even the right password
# gets 454 (the count is shared across connections).
P3=$(freeport)
# shellcheck disable=SC2086
env AUTH_FAIL_MAX=3 AUTH_FAIL_DELAY=10 tcpserver -DRHl0 127.0.0.1 "$P3" \
    "$BIN/tlswrap" $TLSWRAP_IDS $SUB 2>>"$LOG" &
PIDS="$PIDS $!"
wait_port "$P3"
rm -rf "$T/state/authfail"
for k in 1 2 3; do
    $CHAT "$P3" <<EOF >/dev/null
TLS
R 220
S EHLO c.test
R 250
S AUTH PLAIN $(plain alice@example.org "guess$k")
R 535
S QUIT
R 221
EOF
done
check "brute force: after 3 failures (3 connections), 454 4.7.0 even for the right password" \
    $CHAT "$P3" <<EOF
TLS
R 220
S EHLO c.test
R 250
S AUTH PLAIN $A
R! 454 4.7.0 too many
S QUIT
R 221
EOF
check "brute force: the failures were delayed and logged without the password" \
    sh -c "grep -q 'auth failed mech=PLAIN login=alice@example.org ip=127.0.0.1' '$LOG' && ! grep -q 'guess1' '$LOG' && ! grep -q 'alice pw' '$LOG'"

# checkpassword missing, or killed: 454, never success.
P4=$(freeport)
printf '#!/bin/sh\nkill -9 $$\n' >"$T/killed-cp"
chmod 755 "$T/killed-cp"
# shellcheck disable=SC2086
serve "$LOG" "$P4" "$BIN/tlswrap" $TLSWRAP_IDS "$BIN/submissiond" \
    -u 64012:64012 -c "$T/killed-cp"
P5=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P5" "$BIN/tlswrap" $TLSWRAP_IDS "$BIN/submissiond" \
    -u 64012:64012 -c "$T/no-such-checkpassword"
for p in "$P4" "$P5"; do
    check "checkpassword $( [ "$p" = "$P4" ] && echo killed || echo missing ): 454, not success" \
        $CHAT "$p" <<EOF
TLS
R 220
S EHLO c.test
R 250
S AUTH PLAIN $A
R! 454 4.7.0
S MAIL FROM:<alice@example.org>
R 530
S QUIT
R 221
EOF
done
hold "$P" tls 2 submissiond
check "the session runs unprivileged (64012), the monitor as root" \
    sh -c "grep -Eq '^[0-9]+ 64012$' '$T/ps' && grep -Eq '^[0-9]+ 0$' '$T/ps'"
finish
