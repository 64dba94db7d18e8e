# 0400-smtpd.sh - the inbound MX: swaks and python smtplib (plain and
# STARTTLS) deliver to a Maildir through the queue; no AUTH before or
# after STARTTLS; STARTTLS injection; every SMTP smuggling variant; relay
# tricks; recipients, size, recipients, line and bad-command limits;
# timeouts; blocklist; a missing table; hop count; the busy answer; logs.
. "$(dirname "$0")/../lib.sh"
setup_conf
C=$FACTEUR_CONF
setup_mail mx.example.org
F=$BIN/facteur
"$F" domain add example.org
for u in alice bob; do echo pw | "$F" user add "$u@example.org"; done
"$F" alias add info@example.org alice@example.org
CHAT="$PY $TOP/tests/helpers/smtpchat.py 127.0.0.1"
# smtpd drops to this uid; the queue-inject it runs writes the queue as
# that user (an installed queue-inject is setuid to the queue owner).
SMTPD_IDS="-u 64012:64012"
chown -R 64012:64012 "$Q"
LOG=$T/log
"$BIN/queue-run" 2>>"$LOG" &
PIDS="$PIDS $!"

P=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P" "$BIN/tlswrap" -s $TLSWRAP_IDS "$BIN/smtpd" $SMTPD_IDS

# delivered USER TEXT: a message in USER's inbox holds TEXT (polls 5 s).
delivered() { in_mail "$M/example.org/$1/new" "$2"; }

check "swaks, plain: delivered to the Maildir" \
    swaks -S --server "127.0.0.1:$P" --helo client.test \
    --from sender@remote.test --to alice@example.org \
    --header "Subject: swaks-plain"
check "swaks plain: in alice's Maildir" delivered alice "Subject: swaks-plain"
# A message far larger than a pipe's buffer (1 MB): the queue program
# must read the message while smtpd writes it, whatever comes after.
$PY -c "import sys; sys.stdout.write(''.join('line %06d of a large message, long enough\\n' % i for i in range(24000)))" >"$T/large.txt"
check "a 1 MB message is accepted (250) without waiting on the queue program" \
    timeout 60 swaks -S --server "127.0.0.1:$P" --helo client.test \
    --from sender@remote.test --to alice@example.org \
    --header "Subject: swaks-large" --body "$T/large.txt" -n
check "the 1 MB message is in the Maildir, whole" \
    wait_for 5 sh -c "grep -l 'Subject: swaks-large' '$M'/example.org/alice/new/* | xargs grep -c 'of a large message' | grep -qx 24000"
check "swaks, STARTTLS" swaks -S -tls --server "127.0.0.1:$P" \
    --helo client.test --from sender@remote.test --to alice@example.org \
    --header "Subject: swaks-tls"
check "swaks STARTTLS: delivered" delivered alice "Subject: swaks-tls"
f=$(grep -rlF "Subject: swaks-tls" "$M/example.org/alice/new" | head -1)
check "Received: records TLS version and cipher" \
    grep -Eq 'with ESMTPS \(TLS1\.2:ECDHE-(ECDSA|RSA)-[A-Z0-9-]+\)' "${f:-/none}"
check "Received: names the peer and the host" \
    grep -q 'from client.test (\[127.0.0.1\])' "${f:-/none}"

cat >"$T/smtpclient.py" <<'PYEOF'
import smtplib, ssl, sys
port, tls, subj = int(sys.argv[1]), sys.argv[2] == "tls", sys.argv[3]
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("pyclient.test")
assert "auth" not in s.esmtp_features, "AUTH offered in clear"
if tls:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s.starttls(context=ctx)
    s.ehlo("pyclient.test")
    assert "auth" not in s.esmtp_features, "AUTH offered after STARTTLS"
    code, _ = s.docmd("AUTH", "PLAIN AGFsaWNlAHB3")
    assert code == 503, code
msg = "From: a@remote.test\r\nTo: bob@example.org\r\nSubject: %s\r\n\r\nhi\r\n" % subj
refused = s.sendmail("a@remote.test", ["bob@example.org", "info@example.org"], msg)
assert not refused, refused
s.quit()
PYEOF
check "smtplib, plain (no AUTH offered)" $PY "$T/smtpclient.py" "$P" plain smtplib-plain
check "smtplib plain: delivered" delivered bob "Subject: smtplib-plain"
check "smtplib, STARTTLS (no AUTH offered after it, AUTH refused)" \
    $PY "$T/smtpclient.py" "$P" tls smtplib-tls
check "smtplib STARTTLS: delivered to bob" delivered bob "Subject: smtplib-tls"
check "smtplib STARTTLS: the alias reached alice" \
    delivered alice "Subject: smtplib-tls"

check "AUTH refused before STARTTLS; STARTTLS only once" $CHAT "$P" <<'EOF'
R 220
S EHLO c.test
R 250
N AUTH
S AUTH LOGIN
R 503
S STARTTLS
R 220
TLS
S EHLO c.test
R 250
N STARTTLS
N AUTH
S STARTTLS
R 503
S AUTH PLAIN AGFsaWNlAHB3
R 503
S QUIT
R 221
EOF

# STARTTLS injection: commands pipelined in clear after STARTTLS are
# dropped; a RCPT after the handshake finds no MAIL.
check "commands pipelined after STARTTLS are never executed" \
    $CHAT "$P" <<'EOF'
R 220
S EHLO c.test
R 250
B 'STARTTLS\r\nMAIL FROM:<evil@remote.test>\r\nRCPT TO:<alice@example.org>\r\n'
R 220
TLS
S RCPT TO:<alice@example.org>
R 503
S EHLO c.test
R 250
S RCPT TO:<alice@example.org>
R 503
S QUIT
R 221
EOF

# SMTP smuggling: each end-of-data variant, followed by a second
# message; the whole is refused and neither message appears.
i=0
for v in '\n.\n' '\n.\r\n' '\r\n.\n' '\r.\r' '\r\n.\r\r\n'; do
    i=$((i + 1))
    check "smuggling variant $i refused, no second message" $CHAT "$P" <<EOF
R 220
S EHLO c.test
R 250
S MAIL FROM:<a@remote.test>
R 250
S RCPT TO:<alice@example.org>
R 250
S DATA
R 354
B 'Subject: smuggle-carrier-$i\r\n\r\nfirst${v}MAIL FROM:<evil@remote.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: SMUGGLED-$i\r\n\r\nevil\r\n.\r\n'
R! 554 bare CR or LF
S MAIL FROM:<a@remote.test>
R 250
S RCPT TO:<alice@example.org>
R 250
S DATA
R 354
B 'Subject: after-smuggle-$i\r\n\r\nok\r\n.\r\n'
R 250
S QUIT
R 221
EOF
done
check "the message after each refused one is delivered" \
    delivered alice "Subject: after-smuggle-5"
check "no smuggled message and no carrier anywhere" \
    sh -c "! grep -rqE 'SMUGGLED|smuggle-carrier' '$M' '$Q'"

# CHUNKING (RFC 3030): chunks of exact sizes, pipelined; the same checks
# as DATA; a refused BDAT's bytes are still read, never run as commands.
check "BDAT: two chunks, pipelined, delivered" $CHAT "$P" <<'EOF'
R 220
S EHLO c.test
R! 250 CHUNKING
B 'MAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.org>\r\nBDAT 24\r\nSubject: bdat-chunks\r\n\r\nBDAT 11 LAST\r\n.line one\r\n'
R 250
R 250
R! 250 24 octets
R! 250 2.0.0 ok
S QUIT
R 221
EOF
check "BDAT: delivered" delivered alice "Subject: bdat-chunks"
check "BDAT: the leading dot kept (no unstuffing)" \
    sh -c "grep -rlF 'Subject: bdat-chunks' '$M/example.org/alice/new' | xargs grep -q '^\.line one'"
check "BDAT: a bare LF refused at LAST; BDAT without MAIL consumed" \
    $CHAT "$P" <<'EOF'
R 220
S EHLO c.test
R 250
B 'BDAT 22\r\nMAIL FROM:<e@x.test>\r\n'
R! 503 MAIL
S MAIL FROM:<a@remote.test>
R 250
S RCPT TO:<alice@example.org>
R 250
B 'BDAT 28 LAST\r\nSubject: bdat-bare\n\nbare\r\n\r\n'
R! 554 bare CR or LF
S DATA
R 503
S BDAT x
R! 501 closing
EOF
check "BDAT: the bare-LF message went nowhere" nowhere "Subject: bdat-bare" "$M" "$Q"

# Relay tricks: none of these may be accepted on a connection without
# RELAYCLIENT.
{
    echo "R 220"
    echo "S EHLO c.test"
    echo "R 250"
    echo "S MAIL FROM:<a@remote.test>"
    echo "R 250"
    for r in 'u@other.test' 'u%other.test@example.org' \
        'other.test!u@example.org' '@example.org:u@other.test' \
        '"u@other.test"@example.org' 'u@other.test.' 'u@[127.0.0.1]' \
        'u@[IPv6:::1]' 'U@OTHER.TEST' 'alice@example.org@other.test' \
        'u@example.org.other.test' \
        '@other.test,@x.test:u%other.test@example.org' 'u@other.test:25' \
        'u\@other.test@example.org'; do
        echo "S RCPT TO:<$r>"
        echo "R 5"
    done
    echo "S RCPT TO:<Alice@EXAMPLE.org>"
    echo "R 250"
    echo "S RCPT TO:<alice@example.org.>"
    echo "R 250"
    echo "S QUIT"
    echo "R 221"
} >"$T/relay.chat"
check "relay tricks: every one refused (Alice@EXAMPLE.org and a trailing dot are local)" \
    $CHAT "$P" <"$T/relay.chat"

# A backup MX: the domains of backupmx are relayed, others still not;
# the relay tricks stay refused; a damaged file is "try later".
printf '# backup MX for\n\n  backup.test \nBackup2.TEST\nbackup3.test.\r\n' >"$C/backupmx"
check "backupmx: its domains taken (any case), others and tricks refused" \
    $CHAT "$P" <<'EOF'
R 220
S EHLO c.test
R 250
S MAIL FROM:<a@remote.test>
R 250
S RCPT TO:<anyone@backup.test>
R 250
S RCPT TO:<x@BACKUP2.test>
R 250
S RCPT TO:<y@backup3.test>
R 250
S RCPT TO:<u@other.test>
R 554 5.7.1 relaying denied
S RCPT TO:<u@sub.backup.test>
R 554
S RCPT TO:<u%other.test@backup.test>
R 250
S RCPT TO:<"u@other.test"@backup.test>
R 250
S RCPT TO:<u@[127.0.0.1]>
R 554
S QUIT
R 221
EOF
for damage in long nul; do
    if [ $damage = long ]; then
        head -c 300 /dev/zero | tr '\0' x >"$C/backupmx"
    else
        printf 'other.test\000\nbackup.test\n' >"$C/backupmx"
    fi
    check "backupmx with a line over 255 bytes, or a NUL byte ($damage): 451, not a guess" \
        $CHAT "$P" <<'EOF'
R 220
S EHLO c.test
R 250
S MAIL FROM:<a@remote.test>
R 250
S RCPT TO:<u@backup.test>
R 451
S QUIT
R 221
EOF
done
rm -f "$C/backupmx"

P2=$(freeport)
# The shipped tcprules example marks loopback as trusted.
tcprules "$T/rules.cdb" "$T/rules.tmp" <"$TOP/service/tcprules/smtpd.rules"
tcpserver -DRHl0 -x "$T/rules.cdb" 127.0.0.1 "$P2" "$BIN/smtpd" $SMTPD_IDS \
    2>>"$LOG" &
PIDS="$PIDS $!"
wait_port "$P2"
check "RELAYCLIENT from tcprules: a trusted host may relay" $CHAT "$P2" <<'EOF'
R 220
S HELO c.test
R 250
S MAIL FROM:<a@example.org>
R 250
S RCPT TO:<u@other.test>
R 250
S RSET
R 250
S QUIT
R 221
EOF

# The filter hook: FACTEUR_QUEUE names a qmail-queue style program put
# in front of queue-inject (here a shell filter adding a field; envelope
# on fd 1 passed through untouched).
cat >"$T/filter" <<EOF
#!/bin/sh
{ printf 'X-Filtered: yes\r\n'; cat; } | exec "$BIN/queue-inject"
EOF
chmod 755 "$T/filter"
P6=$(freeport)
env FACTEUR_QUEUE="$T/filter" tcpserver -DRHl0 127.0.0.1 "$P6" \
    "$BIN/smtpd" $SMTPD_IDS 2>>"$LOG" &
PIDS="$PIDS $!"
wait_port "$P6"
check "FACTEUR_QUEUE: the message goes through the filter" \
    swaks -S --server "127.0.0.1:$P6" --from a@remote.test \
    --to alice@example.org --header "Subject: filtered"
filtered() {
    f=$(grep -rlF 'Subject: filtered' "$M/example.org/alice/new" 2>/dev/null | head -1)
    [ -n "$f" ] && grep -q '^X-Filtered: yes' "$f"
}
check "FACTEUR_QUEUE: delivered with the filter's field" wait_for 5 filtered
printf '#!/bin/sh\nexit 31\n' >"$T/refuse"
chmod 755 "$T/refuse"
P7=$(freeport)
env FACTEUR_QUEUE="$T/refuse" tcpserver -DRHl0 127.0.0.1 "$P7" \
    "$BIN/smtpd" $SMTPD_IDS 2>>"$LOG" &
PIDS="$PIDS $!"
wait_port "$P7"
check "a filter that refuses (exit 31): 554, never 250" $CHAT "$P7" <<'EOF'
R 220
S HELO c.test
R 250
S MAIL FROM:<a@remote.test>
R 250
S RCPT TO:<alice@example.org>
R 250
S DATA
R 354
S Subject: refused-by-filter
S
S x
S .
R! 554 5.6.0
S QUIT
R 221
EOF

check "unknown user 550 5.1.1, null sender, postmaster, VRFY, EXPN" \
    $CHAT "$P" <<'EOF'
R 220
S MAIL FROM:<a@remote.test>
R 503
S VRFY alice
R 252
S EXPN info
R 502
S HELO c.test
R 250
S MAIL FROM:<>
R 250
S RCPT TO:<nobody@example.org>
R! 550 5.1.1
S RCPT TO:<postmaster>
R 250
S RCPT TO:<abuse@example.org>
R 250
S RCPT TO:<alice+folder@example.org>
R 250
S RSET
R 250
S DATA
R 503
S QUIT
R 221
EOF

echo 10000 >"$C/sizelimit"
$PY - "$T/big.chat" <<'PYEOF'
import sys
body = ("x" * 70 + "\\r\\n") * 300
open(sys.argv[1], "w").write(
    "R 220\nS EHLO c.test\nR! 250 SIZE 10000\n"
    "S MAIL FROM:<a@remote.test> SIZE=20000\nR! 552 5.3.4\n"
    "S MAIL FROM:<a@remote.test>\nR 250\nS RCPT TO:<alice@example.org>\n"
    "R 250\nS DATA\nR 354\n"
    "B 'Subject: too-big\\r\\n\\r\\n" + body + ".\\r\\n'\n"
    "R! 552 5.3.4\nS QUIT\nR 221\n")
PYEOF
check "size: advertised, refused at MAIL and after DATA" $CHAT "$P" <"$T/big.chat"
rm -f "$C/sizelimit"
check "the oversized message went nowhere" nowhere "Subject: too-big" "$M" "$Q"

{
    echo "R 220"
    echo "S EHLO c.test"
    echo "R 250"
    echo "S MAIL FROM:<a@remote.test>"
    echo "R 250"
    k=0
    while [ $k -lt 100 ]; do
        k=$((k + 1))
        echo "S RCPT TO:<alice+$k@example.org>"
        echo "R 250"
    done
    echo "S RCPT TO:<bob@example.org>"
    echo "R! 452 4.5.3"
    echo "S QUIT"
    echo "R 221"
} >"$T/many.chat"
check "recipients: the 101st gets 452 4.5.3" $CHAT "$P" <"$T/many.chat"

long=$($PY -c 'print("x" * 600)')
check "a 600-byte command line: 500 5.5.2, the session goes on" \
    $CHAT "$P" <<EOF
R 220
S NOOP $long
R! 500 too long
S NOOP
R 250
S QUIT
R 221
EOF
longdata=$($PY -c 'print("y" * 1200)')
check "a 1200-byte text line in DATA: refused" $CHAT "$P" <<EOF
R 220
S EHLO c.test
R 250
S MAIL FROM:<a@remote.test>
R 250
S RCPT TO:<alice@example.org>
R 250
S DATA
R 354
S Subject: long-line
S
S $longdata
S .
R! 554 longer than 1000
S QUIT
R 221
EOF

{
    echo "R 220"
    k=0
    while [ $k -lt 10 ]; do
        k=$((k + 1))
        echo "S BOGUS $k"
        echo "R 500"
    done
    echo "R! 421 too many errors"
    echo "EOF"
} >"$T/bad.chat"
check "ten bad commands: 421 and the end" $CHAT "$P" <"$T/bad.chat"

{
    echo "R 220"
    echo "S EHLO c.test"
    echo "R 250"
    echo "S MAIL FROM:<a@remote.test>"
    echo "R 250"
    echo "S RCPT TO:<alice@example.org>"
    echo "R 250"
    echo "S DATA"
    echo "R 354"
    k=0
    while [ $k -lt 101 ]; do
        k=$((k + 1))
        echo "S Received: from hop$k.test by x; Sun, 22 Nov 2026 00:00:00 +0000"
    done
    echo "S Subject: looping"
    echo "S"
    echo "S loop"
    echo "S ."
    echo "R! 554 5.4.6"
    echo "S QUIT"
    echo "R 221"
} >"$T/hops.chat"
check "101 Received: fields: 554 5.4.6, a loop" $CHAT "$P" <"$T/hops.chat"

printf 'spam.test Go away, spammer\nbad@remote.test \n' |
    cdb -c -m "$C/blocksenders.cdb"
check "sender blocklist: address and domain (with subdomains)" \
    $CHAT "$P" <<'EOF'
R 220
S HELO c.test
R 250
S MAIL FROM:<x@mail.spam.test>
R! 550 Go away, spammer
S MAIL FROM:<bad@remote.test>
R! 550 5.7.1
S MAIL FROM:<good@remote.test>
R 250
S QUIT
R 221
EOF
rm -f "$C/blocksenders.cdb"

mv "$C/aliases.cdb" "$C/aliases.cdb.away"
check "a missing table: 451, never acceptance" $CHAT "$P" <<'EOF'
R 220
S HELO c.test
R 250
S MAIL FROM:<a@remote.test>
R 250
S RCPT TO:<alice@example.org>
R! 451 4.3.0
S RCPT TO:<u@other.test>
R 451
S QUIT
R 221
EOF
mv "$C/aliases.cdb.away" "$C/aliases.cdb"

P3=$(freeport)
env SMTP_TIMEOUT=1 SMTP_DATA_TIMEOUT=2 tcpserver -DRHl0 127.0.0.1 "$P3" "$BIN/smtpd" \
    $SMTPD_IDS 2>>"$LOG" &
PIDS="$PIDS $!"
wait_port "$P3"
check "command timeout: 421 4.4.2 and the end" $CHAT "$P3" <<'EOF'
R 220
SLEEP 1.5
R! 421 4.4.2
EOF
check "DATA timeout: 421 and nothing queued" $CHAT "$P3" <<'EOF'
R 220
S HELO c.test
R 250
S MAIL FROM:<a@remote.test>
R 250
S RCPT TO:<alice@example.org>
R 250
S DATA
R 354
S Subject: timed-out
SLEEP 2.5
R 421
EOF
check "the timed-out message went nowhere" nowhere "Subject: timed-out" "$M" "$Q"

P4=$(freeport)
env SMTPD_BUSY="overloaded, come back later" tcpserver -DRHl0 127.0.0.1 \
    "$P4" "$BIN/smtpd" $SMTPD_IDS 2>>"$LOG" &
PIDS="$PIDS $!"
wait_port "$P4"
check "SMTPD_BUSY: 421 and the end" $CHAT "$P4" <<'EOF'
R! 421 overloaded
EOF

# The s6 service directory as shipped, under s6-svscan.
if command -v s6-svscan >/dev/null 2>&1; then
    P5=$(freeport)
    mkdir -p "$T/scan" "$T/fakebin"
    cp -R "$TOP/service/s6/smtpd" "$T/scan/"
    e=$T/scan/smtpd/env
    mkdir -p "$e"
    echo "$C" >"$e/FACTEUR_CONF"
    echo "$T/fakebin" >"$e/FACTEUR_BIN"
    echo 127.0.0.1 >"$e/IP"
    echo "$P5" >"$e/PORT"
    echo "$T/rules.cdb" >"$e/RULES"
    # The default users do not exist here: wrappers add numeric ids.
    printf '#!/bin/sh\nexec %s %s "$@"\n' "$BIN/tlswrap" "$TLSWRAP_IDS" \
        >"$T/fakebin/tlswrap"
    printf '#!/bin/sh\nexec %s %s "$@"\n' "$BIN/smtpd" "$SMTPD_IDS" \
        >"$T/fakebin/smtpd"
    chmod 755 "$T/fakebin/tlswrap" "$T/fakebin/smtpd"
    # the run script's queue program: mail-auth, then its sibling
    ln -s "$BIN/mail-auth" "$BIN/queue-inject" "$T/fakebin/"
    s6-svscan "$T/scan" >/dev/null 2>&1 &
    PIDS="$PIDS $!"
    if wait_port "$P5"; then
        check "s6: the run script serves SMTP with STARTTLS, RULES gives RELAYCLIENT" $CHAT "$P5" <<'EOF'
R 220
S EHLO c.test
R! 250 STARTTLS
S STARTTLS
R 220
TLS
S EHLO c.test
R 250
S MAIL FROM:<a@remote.test>
R 250
S RCPT TO:<alice@example.org>
R 250
S DATA
R 354
S Subject: via-s6
S
S hi
S .
R 250
S MAIL FROM:<a@example.org>
R 250
S RCPT TO:<u@other.test>
R 250
S RSET
R 250
S QUIT
R 221
EOF
        check "s6: delivered" delivered alice "Subject: via-s6"
        sleep 0.3
        check "s6-log: timestamped smtpd session lines" \
            grep -Eq "^20[0-9-]+ [0-9:.]+  smtpd: info: .* session ip=127.0.0.1" \
            "$T/scan/smtpd/log/main/current"
        s6-svc -d "$T/scan/smtpd"
        sleep 0.5
        check "s6-svc -d stops the listener" sh -c "! $PY -c 'import socket; socket.create_connection((\"127.0.0.1\", $P5), timeout=1)' 2>/dev/null"
    else
        fail "s6: the run script did not bring the port up"
    fi
    s6-svscanctl -t "$T/scan" 2>/dev/null
else
    skip "s6 not installed"
fi

check "log: one line per message with id, from, result" \
    grep -Eq 'smtpd: info: [0-9a-f]+ msg id=[0-9a-f]+\.1 from=<sender@remote\.test> nrcpt=1 size=[0-9]+ result="250"' "$LOG"
check "log: one line per session with peer, HELO and TLS" \
    grep -Eq 'smtpd: info: [0-9a-f]+ session ip=127\.0\.0\.1 helo=client\.test tls=ECDHE-[A-Z0-9-]+ msgs=1 end=quit' "$LOG"
hold "$P" plain 2 smtpd
check "smtpd runs as its own user (64012), not root" \
    sh -c "grep -Eq '^[0-9]+ 64012$' '$T/ps' && ! grep -Eq '^[0-9]+ 0$' '$T/ps'"
finish
