# 0410-smtpd-postfix.sh - a real MTA as the peer: a private Postfix
# instance on loopback relays a message into smtpd over STARTTLS
# (smtp_tls_security_level = encrypt); Postfix's log shows the TLS
# session and the delivered message's Received: field the cipher.
. "$(dirname "$0")/../lib.sh"
if ! is_root || [ ! -x /usr/sbin/postfix ]; then
    skip "needs root and the postfix package (sh tools/deps test)"
    finish
fi
setup_conf
C=$FACTEUR_CONF
setup_mail mx.example.org
"$BIN/facteur" domain add example.org
echo pw | "$BIN/facteur" user add alice@example.org
chown -R 64012:64012 "$Q"
LOG=$T/log
"$BIN/queue-run" 2>>"$LOG" &
PIDS="$PIDS $!"
P=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P" "$BIN/tlswrap" -s $TLSWRAP_IDS "$BIN/smtpd" -u 64012:64012

PF=$T/pf
postfix_conf "$PF"
cat >>"$PF/conf/main.cf" <<EOF
myhostname = relay.test
inet_interfaces = loopback-only
master_service_disable = inet
relayhost = [127.0.0.1]:$P
smtp_tls_security_level = encrypt
smtp_tls_loglevel = 1
EOF
postfix -c "$PF/conf" start >/dev/null 2>&1
pfstop() { postfix -c "$PF/conf" stop >/dev/null 2>&1; }
trap 'pfstop; cleanup' EXIT INT TERM

printf 'From: someone@relay.test\nTo: alice@example.org\nSubject: via-postfix\n\nrelayed\n' |
    /usr/sbin/sendmail -C "$PF/conf" -f someone@relay.test alice@example.org
got() {
    grep -rqF "Subject: via-postfix" "$M/example.org/alice/new" 2>/dev/null
}
i=0
while [ $i -lt 150 ] && ! got; do sleep 0.1; i=$((i + 1)); done
check "Postfix relayed the message into alice's Maildir" got
check "Postfix logged a TLS connection to smtpd" \
    grep -q "TLS connection established to 127.0.0.1\[127.0.0.1\]:$P: TLSv1.2" "$PF/maillog"
check "Postfix logged the delivery as sent (250)" \
    grep -q "status=sent (250 2.0.0 ok" "$PF/maillog"
f=$(grep -rlF "Subject: via-postfix" "$M/example.org/alice/new" | head -1)
check "Received: names Postfix's HELO and shows ESMTPS with the cipher" \
    sh -c "grep -q 'from relay.test (\[127.0.0.1\])' '${f:-/none}' &&
        grep -Eq 'with ESMTPS \(TLS1\.2:ECDHE-' '${f:-/none}'"
finish
