# 0800-imapd.sh - IMAP on implicit TLS: login (LOGIN, AUTHENTICATE PLAIN
# with SASL-IR), privilege separation, and the IMAP4rev1 commands driven
# by python's imaplib (tests/helpers/imapcheck.py), curl imaps://, and
# mbsync; wrong passwords, no login without TLS, limits.
. "$(dirname "$0")/../lib.sh"
setup_conf
C=$FACTEUR_CONF
setup_mail mx.example.org
mkdir -p "$T/state"
echo "$T/state" >"$C/statedir"
echo 64013:64012 >"$C/mailowner"
chown 64013:64012 "$M"
F=$BIN/facteur
"$F" domain add example.org >/dev/null
echo 'alice pw' | "$F" user add alice@example.org
echo 'bob pw' | "$F" user add bob@example.org
LOG=$T/log
IMAPD="$BIN/imapd -u 64012:64012"
P=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P" "$BIN/tlswrap" $TLSWRAP_IDS $IMAPD
# the same imapd without TLS in front: a misconfiguration
PP=$(freeport)
serve "$LOG" "$PP" $IMAPD

# Two messages for alice, delivered the usual way.
deliver() {
    printf 'From: %s\nTo: alice@example.org\nSubject: %s\nDate: Sun, 22 Nov 2026 10:00:00 +0100\nMessage-ID: <%s@example.org>\n\n%s\n' \
        "$1" "$2" "$2" "$3" | SENDER="$1" "$BIN/local-deliver" alice@example.org >/dev/null 2>&1
}
deliver carol@example.net "first message" "hello alice"
deliver dave@example.net "second message" "the body text"
MD=$M/example.org/alice

check "python imaplib: every command" \
    $PY "$TOP/tests/helpers/imapcheck.py" "$P" "$C/tls/default/fullchain.pem" "$MD"

CA=$C/tls/default/fullchain.pem
raw() { "$PY" "$TOP/tests/helpers/imapraw.py" "$@"; }

# A second listener: three failures per client, short delays.
PB=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$PB" env AUTH_FAIL_MAX=3 AUTH_FAIL_DELAY=100 \
    "$BIN/tlswrap" $TLSWRAP_IDS $IMAPD

steps "plaintext listener" raw plain "$PP"
steps "pre-auth" raw preauth "$P" "$CA"
steps "wrong logins" raw auth "$P" "$CA"
check "log: the failed logins are recorded" \
    grep -q 'login failed.*login=alice@example.org' "$LOG"
check "log: the unknown user's failure is recorded" \
    grep -q 'login failed.*login=nosuchuser@example.org' "$LOG"
steps "brute force (AUTH_FAIL_MAX=3)" raw brute "$PB" "$CA"
check "log: the refusal is recorded" grep -q 'too many failures' "$LOG"
steps "session" raw session "$P" "$CA"
steps "processes" raw procs "$P" "$CA" "$C"
steps "IDLE" raw idle "$P" "$CA" "$BIN"
steps "\\Recent" raw recent "$P" "$CA" "$BIN"
steps "races" raw races "$P" "$CA" "$MD"
steps "concurrency" raw concurrent "$P" "$CA" "$BIN" "$M/example.org/bob"
# Every password this file typed, right or wrong, is absent from the log.
for pw in 'alice pw' 'bob pw' Wr0ng-Secret-17 Unkn0wn-Secret-42 \
    Other-Secret-99 brute0 brute3 "$(printf '\0alice@example.org\0alice pw' | base64 -w0)"; do
    check "log: no password ($pw)" nowhere "$pw" "$LOG"
done
finish
