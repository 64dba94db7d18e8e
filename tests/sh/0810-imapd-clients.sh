# 0810-imapd-clients.sh - imapd with real clients over implicit TLS:
# curl imaps:// (LIST, a message by UID, a section, SEARCH), mbsync
# (isync) syncing both ways with a local Maildir (flags, new mail,
# deletions, a second run that changes nothing), and Dovecot's imap as
# an oracle for FETCH ENVELOPE/BODYSTRUCTURE/BODY/sections on the
# messages of tests/data/imap/; a Maildir Dovecot or Courier-IMAP served
# keeps its UIDs; neomutt reads and flags mail.
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
echo 'olga pw' | "$F" user add olga@example.org
echo 'nina pw' | "$F" user add nina@example.org
LOG=$T/log
CA=$C/tls/default/fullchain.pem
P=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P" "$BIN/tlswrap" $TLSWRAP_IDS "$BIN/imapd" -u 64012:64012

deliver() {
    printf 'From: %s\nTo: alice@example.org\nSubject: %s\nDate: Sun, 22 Nov 2026 10:00:00 +0100\nMessage-ID: <%s@example.org>\n\n%s\n' \
        "$1" "$2" "$(echo "$2" | tr ' ' -)" "$3" |
        SENDER="$1" "$BIN/local-deliver" alice@example.org >/dev/null 2>&1
}
MD=$M/example.org/alice

# ---------------------------------------------------------------- Dovecot
# The test messages go into olga's Maildir as they are (new/, the bytes
# of tests/data/imap/); Dovecot reads a copy made before facteur sees it.
OD=$M/example.org/olga
mkdir -p "$OD/new" "$OD/cur" "$OD/tmp"
i=0
for f in "$TOP"/tests/data/imap/*.eml; do
    i=$((i + 1))
    cp "$f" "$OD/new/1790000000.M${i}P1.oracle"
done
chown 64013:64012 "$M/example.org"
chown -R 64013:64012 "$OD"
if [ -x /usr/lib/dovecot/imap ]; then
    DV=$T/dovecot
    mkdir -p "$DV"
    cp -a "$OD" "$DV/mail"
    cat >"$DV/dovecot.conf" <<DEOF
mail_location = maildir:$DV/mail:INDEX=MEMORY
log_path = /dev/stderr
ssl = no
DEOF
    chown -R 64013:64012 "$DV"
    steps "dovecot oracle" "$PY" "$TOP/tests/helpers/imaporacle.py" "$P" "$CA" \
        olga@example.org 'olga pw' "$DV/dovecot.conf" "$DV"
else
    skip "dovecot oracle: /usr/lib/dovecot/imap missing (dovecot-imapd)"
fi
# old_inbox USER: USER's Maildir as another server found it, three
# messages in new/ (the other server gives them UIDs).
old_inbox() {
    echo "$1 pw" | "$F" user add "$1@example.org"
    mkdir -p "$M/example.org/$1/new" "$M/example.org/$1/cur" \
        "$M/example.org/$1/tmp"
    for i in 1 2 3; do
        printf 'From: x@example.net\nSubject: old %s\nMessage-ID: <old%s@x>\n\nold\n' \
            "$i" "$i" >"$M/example.org/$1/new/1780000000.M${i}P1.$1"
    done
    chown -R 64013:64012 "$M/example.org/$1"
}
# A mailbox Dovecot served before keeps its UIDVALIDITY and UIDs:
# imapd imports dovecot-uidlist at the first open.
old_inbox dora
DD=$M/example.org/dora
if [ -x /usr/lib/dovecot/imap ]; then
    DI=$T/dovecot-import
    mkdir -p "$DI"
    printf 'mail_location = maildir:%s\nlog_path = /dev/stderr\nssl = no\n' \
        "$DD" >"$DI/dovecot.conf"
    chown -R 64013:64012 "$DI"
    steps "dovecot-uidlist import" "$PY" "$TOP/tests/helpers/imapimport.py" \
        "$P" "$CA" dora@example.org 'dora pw' "$BIN/local-deliver" dovecot \
        "$DI/dovecot.conf" "$DI"
else
    skip "dovecot-uidlist import: /usr/lib/dovecot/imap missing (dovecot-imapd)"
fi
# The same from Courier-IMAP: its courierimapuiddb is imported.
old_inbox cora
CD=$M/example.org/cora
CI=$TOP/.deps/courier/usr
if [ -x "$CI/bin/imapd" ]; then
    steps "courierimapuiddb import" env LD_LIBRARY_PATH="$CI/lib" \
        "$PY" "$TOP/tests/helpers/imapimport.py" "$P" "$CA" cora@example.org \
        'cora pw' "$BIN/local-deliver" courier "$CD" "$CI/bin/imapd"
else
    skip "courierimapuiddb import: $CI/bin/imapd missing (sh tools/deps test)"
fi

# facteur names the files it writes (APPEND, COPY) with ",W=<size in
# CRLF>", which Dovecot (and others) take as RFC822.SIZE without
# reading: every such size in cur/ must be exact.
# wsizes DIR: DIR holds such names, and each size is right.
wsizes() {
    $PY - "$1" <<'PYEOF'
import os, re, sys
bad = []
seen = 0
d = sys.argv[1]
names = os.listdir(d)
for n in names:
    m = re.search(r",W=(\d+)", n)
    data = open(os.path.join(d, n), "rb").read()
    size = len(data) + data.count(b"\n") - data.count(b"\r\n")
    if m and int(m.group(1)) != size:
        bad.append((n, size))
    seen = seen + 1 if m else seen
if bad or not seen:
    print(bad or "no ,W= name in " + d)
sys.exit(1 if bad or not seen else 0)
PYEOF
}

# ------------------------------------------------------------------ curl
deliver carol@example.net "first message" "hello alice"
deliver dave@example.net "second message" "the body text"
CURL="curl -sS --max-time 10 --cacert $CA --resolve localhost:$P:127.0.0.1"
U="imaps://localhost:$P"
$CURL -u 'alice@example.org:alice pw' "$U/" >"$T/curl.list" 2>"$T/curl.err"
check "curl imaps:// LIST: exit 0" test $? -eq 0
check "curl LIST shows INBOX" grep -q 'INBOX' "$T/curl.list"
check "curl LIST shows Sent with \\Sent" grep -q '\\Sent.*Sent' "$T/curl.list"
$CURL -u 'alice@example.org:alice pw' "$U/INBOX;UID=1" >"$T/curl.1" 2>>"$T/curl.err"
check "curl INBOX;UID=1: exit 0" test $? -eq 0
check "curl INBOX;UID=1: the header" grep -q '^Subject: first message' "$T/curl.1"
check "curl INBOX;UID=1: the body" grep -q '^hello alice' "$T/curl.1"
check "curl INBOX;UID=1: CRLF line ends" \
    sh -c "tr -d '\n' <'$T/curl.1' | grep -q 'first message.Date:' && [ \$(grep -c \$(printf '\r')\$ '$T/curl.1') -eq \$(wc -l <'$T/curl.1') ]"
$CURL -u 'alice@example.org:alice pw' "$U/INBOX;UID=2;SECTION=TEXT" >"$T/curl.2" 2>>"$T/curl.err"
check "curl INBOX;UID=2;SECTION=TEXT: the body only" \
    sh -c "[ \"\$(tr -d '\r' <'$T/curl.2')\" = 'the body text' ]"
$CURL -u 'alice@example.org:alice pw' "$U/INBOX?SUBJECT%20second" >"$T/curl.s" 2>>"$T/curl.err"
check "curl INBOX?SUBJECT second: SEARCH 2" grep -q '^\* SEARCH 2' "$T/curl.s"
$CURL -u 'alice@example.org:wrong' "$U/INBOX;UID=1" >/dev/null 2>&1
check "curl with a wrong password: login denied (exit 67)" test $? -eq 67
$CURL -u 'alice@example.org:alice pw' "$U/INBOX;UID=99" >/dev/null 2>&1
check "curl INBOX;UID=99: not found (non-zero exit)" test $? -ne 0
$CURL -u 'nina@example.org:nina pw' "$U/" >"$T/curl.nina" 2>&1
check "curl: a user who never had mail logs in and sees INBOX" \
    grep -q INBOX "$T/curl.nina"
curl -sS --max-time 10 --resolve "localhost:$P:127.0.0.1" \
    -u 'alice@example.org:alice pw' "$U/" >/dev/null 2>&1
check "curl without the test CA: certificate refused (exit 60)" test $? -eq 60

# ---------------------------------------------------------------- mbsync
# isync's mbsync between the server ("Far", implicit TLS, the test CA;
# "localhost" as the certificate says) and a Maildir under $T ("Near").
ido() { $PY "$TOP/tests/helpers/imapdo.py" "$P" "$CA" alice@example.org 'alice pw' "$@"; }
NEAR=$T/near
mkdir -p "$NEAR"
cat >"$T/mbsyncrc" <<MEOF
IMAPAccount far
Host localhost
Port $P
User alice@example.org
Pass "alice pw"
SSLType IMAPS
CertificateFile $CA
SystemCertificates no

IMAPStore far
Account far

MaildirStore near
Path $NEAR/
Inbox $NEAR/INBOX
SubFolders Verbatim

Channel ch
Far :far:
Near :near:
Patterns INBOX
Create Both
Expunge Both
Sync All
SyncState *
MEOF
# sync [-V]: mbsync -a, its output in $T/mbsync.out; under script(1) so
# that it prints its counters (it does only on a terminal).
sync() {
    timeout 20 script -qec "mbsync -c '$T/mbsyncrc' $* -a" /dev/null \
        >"$T/mbsync.out" 2>&1 </dev/null
    ms_rc=$?
    cat "$T/mbsync.out" >>"$T/mbsync.all"
    return $ms_rc
}
# near SUBJECT / far SUBJECT: the local / the server's file with that
# subject (empty when none)
near() { grep -l -r -e "^Subject: $1\$" "$NEAR/INBOX/cur" "$NEAR/INBOX/new" 2>/dev/null | head -1; }
far() { grep -l -r -e "^Subject: $1\$" "$MD/cur" "$MD/new" 2>/dev/null | head -1; }
# has_near/has_far SUBJECT [FLAG]: the file is there (with FLAG among its
# Maildir flags); no_near/no_far SUBJECT: it is not.
flagged() {
    [ -z "$2" ] && return 0
    case $1 in *:2,*"$2"*) return 0 ;; esac
    return 1
}
has_near() { f=$(near "$1"); [ -n "$f" ] && flagged "$f" "${2:-}"; }
has_far() { f=$(far "$1"); [ -n "$f" ] && flagged "$f" "${2:-}"; }
no_near() { [ -z "$(near "$1")" ]; }
no_far() { [ -z "$(far "$1")" ]; }
lf_copy() {
    f=$(near 'first message')
    [ -n "$f" ] && ! grep -q "$(printf '\r')" "$f" && grep -q '^hello alice' "$f"
}
count_far() {
    ido 'FETCH 1:* (FLAGS)' >"$T/far.list"
    [ "$(grep -c '^\* [0-9]* FETCH' "$T/far.list")" -eq "$1" ]
}
list() {
    (cd "$1" && find . -path ./tmp -prune -o -type f -print | sort)
}
# uid SUBJECT: the server's UID of the message with that subject
uid() {
    ido "UID SEARCH SUBJECT \"$1\"" |
        sed -n 's/^\* SEARCH \([0-9]*\).*/\1/p'
}
if command -v mbsync >/dev/null; then
    # two unread messages (curl above read the first two)
    deliver frank@example.net "fourth message" "four"
    deliver frank@example.net "fifth message" "five"
    count_far 4
    n0=$(grep -c '^\* [0-9]* FETCH' "$T/far.list")
    sync
    check "mbsync: first run exits 0" test $? -eq 0
    check "mbsync: first message pulled" has_near "first message"
    check "mbsync: second message pulled" has_near "second message"
    check "mbsync: fourth message pulled, not seen" has_near "fourth message"
    check "mbsync: fourth message pulled, not seen" \
        sh -c "! echo '$(near "fourth message")' | grep -q ':2,.*S'"
    check "mbsync: the local copy: LF line ends, the body" lf_copy

    # flags both ways: seen here, flagged there
    f=$(near 'fourth message')
    [ -n "$f" ] && mv "$f" "$NEAR/INBOX/cur/$(basename "${f%%:2,*}"):2,S"
    ido "UID STORE $(uid 'fifth message') +FLAGS (\\Flagged)" >"$T/store.out"
    sed 's/^/# /' "$T/store.out" | tail -2
    # new mail both ways
    deliver erin@example.net "third message" "delivered on the server"
    mkdir -p "$NEAR/INBOX/new"
    printf 'From: alice@example.org\nTo: bob@example.org\nSubject: from near\nMessage-ID: <near1@example.org>\n\nwritten locally\n' \
        >"$NEAR/INBOX/new/1790000001.near1.localhost"
    sync
    check "mbsync: second run exits 0" test $? -eq 0
    check "mbsync: seen locally -> \\Seen on the server" \
        has_far 'fourth message' S
    check "mbsync: flagged on the server -> F locally" \
        has_near 'fifth message' F
    check "mbsync: a delivery on the server appears locally" \
        has_near 'third message'
    check "mbsync: a local message is uploaded" has_far 'from near'
    check "the uploaded (APPENDed) file's ,W= is its CRLF size" wsizes "$MD/cur"
    check "mbsync: the server has two messages more" count_far $((n0 + 2))
    # deletions both ways
    rm -f "$(near 'first message')"
    ido "UID STORE $(uid 'second message') +FLAGS.SILENT (\\Deleted)" \
        'EXPUNGE' >"$T/store.out"
    sed 's/^/# /' "$T/store.out" | tail -2
    sync
    check "mbsync: third run exits 0" test $? -eq 0
    check "mbsync: deleted locally -> gone from the server" \
        no_far 'first message'
    check "mbsync: expunged on the server -> gone locally" \
        no_near 'second message'
    check "mbsync: the others stay (here)" has_near 'third message'
    check "mbsync: the others stay (here)" has_near 'from near'
    check "mbsync: the others stay (there)" has_far 'third message'
    check "mbsync: the others stay (there)" has_far 'from near'
    check "mbsync: the server has two messages less" count_far "$n0"
    # a run with nothing to do changes nothing
    list "$NEAR/INBOX" >"$T/near.before"
    list "$MD" >"$T/far.before"
    sync -V
    check "mbsync: fourth run exits 0" test $? -eq 0
    list "$NEAR/INBOX" >"$T/near.after"
    list "$MD" >"$T/far.after"
    check "mbsync: nothing to do: the local Maildir unchanged" \
        cmp -s "$T/near.before" "$T/near.after"
    check "mbsync: nothing to do: the server's Maildir unchanged" \
        cmp -s "$T/far.before" "$T/far.after"
    # the counters' last state: channels and boxes done, nothing added
    # (+), no flags changed (*), nothing trashed (#) on either side
    check "mbsync -V: its counters say nothing was propagated" \
        grep -q 'C: 1/1  B: 1/1  F: +0/0 \*0/0 #0/0  N: +0/0 \*0/0 #0/0' \
        "$T/mbsync.out"
    tr '\r' '\n' <"$T/mbsync.out" | grep . | tail -1 | sed 's/^/# /'
else
    skip "mbsync: not installed (isync)"
fi
# ---------------------------------------------------------------- neomutt
# neomutt (pipelining 15 commands) reads a message and flags another.
if command -v neomutt >/dev/null 2>&1; then
    echo 'neo pw' | "$F" user add neo@example.org
    for i in 1 2; do
        printf 'From: x@example.net\nSubject: for neomutt %s\n\nbody %s\n' "$i" "$i" |
            SENDER=x@example.net "$BIN/local-deliver" neo@example.org >/dev/null 2>&1
    done
    mkdir -p "$T/neo"
    steps "neomutt" "$PY" "$TOP/tests/helpers/muttread.py" "$P" "$CA" \
        neo@example.org 'neo pw' "$T/neo"
    check "neomutt: the piped message is the first one, whole" \
        grep -q '^body 1' "$T/neo/mutt.out"
    $CURL -u 'neo@example.org:neo pw' "$U/INBOX" -X 'FETCH 1:2 (FLAGS)' \
        >"$T/neo/flags" 2>&1
    check "neomutt: its read made the first \\Seen, its flag the second \\Flagged" \
        sh -c "grep -q '1 FETCH (FLAGS (\\\\Seen))' '$T/neo/flags' && grep -q '2 FETCH (FLAGS (\\\\Flagged))' '$T/neo/flags'"
    [ -s "$T/neo/flags" ] && sed 's/^/# /' "$T/neo/flags"
else
    skip "neomutt: not installed"
fi
finish
