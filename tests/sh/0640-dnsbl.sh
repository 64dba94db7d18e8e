# 0640-dnsbl.sh - DNS blocklists in smtpd (RFC 5782): none by default; a
# listed client refused at RCPT with the list's text, postmaster still
# reachable; lists that filter on an answer, refuse the query
# (127.255.255.x) or do not answer list nobody; IPv6 clients asked by
# nibbles; trusted clients not asked; a malformed dnsbl file gives 451.
# swaks as the sending server, a test zone served on loopback.
. "$(dirname "$0")/../lib.sh"
if ! /usr/bin/python3 -c 'import dnslib' 2>/dev/null; then
    skip "needs python3-dnslib (sh tools/deps test)"
    finish
fi
setup_conf
C=$FACTEUR_CONF
setup_mail mx.example.org
F=$BIN/facteur
"$F" domain add example.org >/dev/null
echo pw | "$F" user add alice@example.org
"$F" alias add postmaster@example.org alice@example.org
chown -R 64012:64012 "$Q"
LOG=$T/log
DP=$(freeport)
# ::1 by nibbles, lowest first: 1 and 31 zeros
six=1$(printf '.0%.0s' $(seq 31))
{
    echo '$ORIGIN test.'
    echo '1.0.0.127.bl.test. A 127.0.0.2'
    echo '1.0.0.127.bl.test. TXT "Listed: see https://bl.test/?ip=127.0.0.1"'
    echo '1.0.0.127.other.test. A 127.0.0.2'
    echo '1.0.0.127.refused.test. A 127.255.255.254'
    echo '1.0.0.127.web.test. A 192.0.2.1'
    echo "$six.bl6.test. A 127.0.0.3"
} >"$T/zone"
/usr/bin/python3 "$TOP/tests/helpers/dnsserver.py" --zone "$T/zone" \
    --servfail 1.0.0.127.down.test --log "$T/dnslog" "$DP" 2>>"$LOG" &
PIDS="$PIDS $!"
export FACTEUR_RESOLVER="127.0.0.1:$DP"
export FACTEUR_DNS_TIMEOUT_MS=500
"$BIN/queue-run" 2>>"$LOG" &
PIDS="$PIDS $!"
P=$(freeport)
serve "$LOG" "$P" "$BIN/smtpd" -u 64012:64012
IN=$M/example.org/alice/new

# send TO SUBJECT [SERVER]: swaks as a sending server; output in $T/sw.
send() {
    swaks -S --server "${3:-127.0.0.1:$P}" --helo client.test \
        --from u@client.test --to "$1" \
        --header "Subject: $2" --body x >"$T/sw" 2>&1
}

send alice@example.org no-lists
check "no dnsbl file: delivered" in_mail "$IN" "Subject: no-lists"
check "... and no list asked" sh -c "! grep -q '127' '$T/dnslog' 2>/dev/null"

printf '# lists that list nobody here\ndown.test\nrefused.test\nweb.test\nother.test=127.0.0.4\n' >"$C/dnsbl"
send alice@example.org not-listed
check "lists that do not answer, refuse, answer outside 127/8 or with another code: delivered" \
    in_mail "$IN" "Subject: not-listed"
check "... each was asked" sh -c "for z in down refused web other; do grep -q \"1.0.0.127.\$z.test A\" '$T/dnslog' || exit 1; done"
check "... the refusal (127.255.255.254) logged" \
    grep -q 'dnsbl zone=refused.test refused the query' "$LOG"
check "... the silent list logged" \
    grep -q 'dnsbl zone=down.test no answer for now' "$LOG"

echo 'BL.Test.' >>"$C/dnsbl"
send alice@example.org listed
check "a listed client: 554 5.7.1 at RCPT, with the zone" \
    grep -q '<\*\* *554 5.7.1 Service unavailable; client \[127.0.0.1\] blocked using bl.test' "$T/sw"
check "... and the list's TXT" grep -q 'blocked using bl.test; Listed: see https://bl.test/?ip=127.0.0.1' "$T/sw"
check "... nothing delivered" nowhere "Subject: listed" "$IN"
check "... logged" grep -q 'dnsbl listed ip=127.0.0.1 zone=bl.test' "$LOG"
send postmaster@example.org to-postmaster
check "postmaster of a local domain stays reachable from a listed client" \
    in_mail "$IN" "Subject: to-postmaster"
send other@elsewhere.test relay-listed
check "a listed client relaying: refused (554)" grep -q '<\*\* *554 5.7.1' "$T/sw"

# A trusted client is not asked.
P2=$(freeport)
serve "$LOG" "$P2" env RELAYCLIENT= "$BIN/smtpd" -u 64012:64012
: >"$T/dnslog"
send alice@example.org trusted "127.0.0.1:$P2"
check "RELAYCLIENT: taken from a listed address" in_mail "$IN" "Subject: trusted"
check "... no list asked" sh -c "! grep -q 'bl.test' '$T/dnslog'"

# IPv6: the address by nibbles.
P6=$(freeport)
tcpserver -DRHl0 ::1 "$P6" "$BIN/smtpd" -u 64012:64012 2>>"$LOG" &
PIDS="$PIDS $!"
sleep 0.3
echo bl6.test >"$C/dnsbl"
send alice@example.org v6 "[::1]:$P6"
check "an IPv6 client listed by nibbles: refused" \
    grep -q '<\*\* *554 5.7.1 Service unavailable; client \[::1\] blocked using bl6.test$' "$T/sw"

echo 'bl_test' >"$C/dnsbl"
send alice@example.org malformed
check "a malformed dnsbl file: 451, never acceptance" \
    grep -q '<\*\* *451 4.3.0 blocklist configuration unusable' "$T/sw"
check "... the line logged" grep -q 'dnsbl line 1: not a zone' "$LOG"
finish
