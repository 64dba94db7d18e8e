# 0370-facteur-check.sh - facteur check: a fresh installation whose DNS
# says what facteur dns prints has no problem; then each kind of drift
# and damage is reported with its fix and exit 1: DNS records (MX, SPF,
# DKIM, DMARC, TLSA), weak password hashes, a users table others can
# read, a certificate about to expire, a key that does not match its
# certificate, a listener on port 110; --no-dns; a DNS that does not
# answer.  The DNS is a test server on loopback serving the zone.
. "$(dirname "$0")/../lib.sh"
if ! /usr/bin/python3 -c 'import dnslib' 2>/dev/null; then
    skip "needs python3-dnslib (sh tools/deps test)"
    finish
fi
F=$BIN/facteur
C=$T/conf
export FACTEUR_CONF=$C
"$F" init --hostname mx.example.org --queue "$T/q" --mailroot "$T/m" \
    --statedir "$T/state" --no-system-users >/dev/null 2>&1
"$F" domain add example.org >/dev/null 2>&1
echo pw | "$F" user add alice@example.org
export FACTEUR_DNS_TIMEOUT_MS=300
"$F" dns example.org >"$T/dns"
HASH=$(sed -n 's/^_25._tcp.mx.example.org. IN TLSA 3 1 1 //p' "$T/dns")
SEL=$(cat "$C/dkim/example.org/selector")

# zone FILTER: serve the zone of facteur dns, edited by sed FILTER; the
# server's port in $DP.
DNSPID=""
zone() {
    [ -z "$DNSPID" ] || { kill "$DNSPID"; wait "$DNSPID" 2>/dev/null; }
    {
        echo '$ORIGIN example.org.'
        grep -v '^;' "$T/dns" | sed "$1"
    } >"$T/zone"
    DP=$(freeport)
    /usr/bin/python3 "$TOP/tests/helpers/dnsserver.py" --zone "$T/zone" \
        "$DP" 2>>"$T/dnslog" &
    DNSPID=$!
    PIDS="$PIDS $DNSPID"
    export FACTEUR_RESOLVER="127.0.0.1:$DP"
    sleep 0.4
}
# run: facteur check, its output in $T/c, its exit code in $rc.
run() { "$F" check "$@" >"$T/c" 2>&1; rc=$?; }
has() { grep -qF -e "$1" "$T/c"; }

zone ''
busy=""
for p in 143 110; do
    grep -q ":$(printf '%04X' $p) [0-9A-F]*:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null && busy=1
done
run
if [ -z "$busy" ]; then
    check "the DNS as facteur dns says: no problems, exit 0" \
        sh -c "[ $rc -eq 0 ] && tail -1 '$T/c' | grep -qx 'no problems'"
else
    skip "port 143 or 110 is busy on this machine"
fi
check "... MX, SPF, DKIM, DMARC, TLSA on 25/465/993, MTA-STS, TLS-RPT said ok" \
    sh -c "grep -q '^ok: example.org: MX mx.example.org' '$T/c' &&
        grep -q '^ok: example.org: SPF v=spf1 mx -all' '$T/c' &&
        grep -q '^ok: $SEL._domainkey.example.org: DKIM record matches' '$T/c' &&
        grep -q '^ok: _dmarc.example.org: DMARC p=quarantine' '$T/c' &&
        [ \$(grep -c '^ok: _[0-9]*._tcp.mx.example.org: TLSA matches' '$T/c') -eq 3 ] &&
        grep -q '^ok: _mta-sts.example.org: MTA-STS id' '$T/c' &&
        grep -q '^ok: _smtp._tls.example.org: TLS-RPT' '$T/c'"
check "... the certificate's days left, the DKIM key, the tables" \
    sh -c "grep -q '^ok: the certificate for default (EC) expires in 82[45] days' '$T/c' &&
        grep -q '^ok: DKIM key of example.org' '$T/c' &&
        grep -q '^ok: tables load' '$T/c' && grep -q '^ok: no weak password hash' '$T/c'"

# Drift: another MX, two SPF records, another DKIM key, no DMARC, a TLSA
# record for another key, an old MTA-STS id.
zone "s/IN MX 10 mx.example.org./IN MX 10 mx.elsewhere.test./
/v=spf1 mx -all/p
s/p=MIIB[A-Za-z0-9+\\/]*/p=MIIBAAAA/
/^_dmarc/d
s/^_25._tcp.mx.example.org. IN TLSA 3 1 1 .*/_25._tcp.mx.example.org. IN TLSA 3 1 1 $(printf '%064d' 0)/
s/id=[0-9a-f]*/id=0123/"
run
check "drift: exit 1" test "$rc" -eq 1
check "... MX elsewhere, with the record to publish" \
    sh -c "has() { grep -qF -e \"\$1\" '$T/c'; }
        has 'problem: example.org: no MX record names this host' &&
        has 'fix: publish example.org. IN MX 10 mx.example.org.'"
check "... two SPF records: a permanent error" has "problem: example.org: 2 SPF records"
check "... the published DKIM key is another, with the record" \
    sh -c "grep -qF 'problem: $SEL._domainkey.example.org: the published key is another' '$T/c' &&
        grep -qF 'fix: publish $SEL._domainkey.example.org. IN TXT \"v=DKIM1; k=rsa; p=MIIB' '$T/c'"
check "... no DMARC" has "problem: _dmarc.example.org: no DMARC record"
check "... a TLSA record for another key on 25: DANE senders hold the mail" \
    sh -c "grep -qF 'problem: _25._tcp.mx.example.org: no TLSA record matches' '$T/c' &&
        grep -qF 'fix: publish _25._tcp.mx.example.org. IN TLSA 3 1 1 $HASH' '$T/c' &&
        grep -q '^ok: _465._tcp.mx.example.org: TLSA matches' '$T/c'"
check "... an old MTA-STS id: a note" has "note: _mta-sts.example.org: the MTA-STS id is 0123"
check "... 5 problems counted" sh -c "tail -1 '$T/c' | grep -qx '5 problems'"

zone "/^_mta-sts/d
/^_smtp._tls/d
/TLSA/d
s/v=spf1 mx -all/v=spf1 ip4:192.0.2.25 -all/"
run
check "records facteur dns suggests but that are optional, an SPF of the admin's: notes only" \
    sh -c "[ -n '$busy' ] || [ $rc -eq 0 ] && has() { grep -qF -e \"\$1\" '$T/c'; } &&
        has 'note: _mta-sts.example.org: no MTA-STS record' &&
        has 'note: _smtp._tls.example.org: no TLS-RPT record' &&
        has 'note: _25._tcp.mx.example.org: no TLSA record' &&
        has 'note: example.org: SPF is \"v=spf1 ip4:192.0.2.25 -all\"'"

"$F" dkim keygen example.org --ed25519 --selector e1 >/dev/null 2>&1
zone ''
run
check "an Ed25519 key not published yet: a problem, with the record to publish" \
    sh -c "grep -q '^problem: e1._domainkey.example.org: no record' '$T/c' &&
        grep -q 'fix: publish e1._domainkey.example.org. IN TXT \"v=DKIM1; k=ed25519; p=' '$T/c'"
"$F" dns example.org >"$T/dns"
zone ''
run
check "... published: ok" \
    grep -q '^ok: e1._domainkey.example.org: DKIM record matches the active Ed25519 key' "$T/c"

# A backup MX: each domain of backupmx against its MX records.
printf 'backup.test\nloop.test\n# a comment\nnowhere.test\nexample.org\n' >"$C/backupmx"
zone '$a\
backup.test. IN MX 10 prim.test.\
backup.test. IN MX 20 mx.example.org.\
loop.test. IN MX 10 mx.example.org.\
nowhere.test. IN MX 10 other.test.'
run
check "backupmx: behind its primary: ok" \
    grep -q '^ok: backup.test: backup MX behind prim.test' "$T/c"
check "backupmx: this host its best MX: a problem (mail would wait here)" \
    sh -c "grep -q '^problem: loop.test is in backupmx but this host is its best MX' '$T/c' &&
        grep -q 'fix: give its primary MX a lower preference number' '$T/c'"
check "backupmx: no MX names this host: a problem" \
    grep -q '^problem: nowhere.test is in backupmx but no MX record of it names this host' "$T/c"
check "backupmx: a local domain there: a note" \
    grep -q '^note: example.org is local and also in backupmx' "$T/c"
check "... 2 problems counted" sh -c "tail -1 '$T/c' | grep -qx '2 problems' && [ $rc -eq 1 ]"
chmod 600 "$C/backupmx"
run --no-dns
check "a backupmx smtpd cannot read (0600): a problem" \
    sh -c "grep -q '^problem: $C/backupmx is not readable by every user (mode 600)' '$T/c' &&
        grep -q 'fix: chmod 644 it' '$T/c'"
chmod 644 "$C/backupmx"
head -c 300 /dev/zero | tr '\0' x >"$C/backupmx"
run --no-dns
check "a damaged backupmx: a problem (smtpd answers 451)" \
    grep -q "^problem: $C/backupmx cannot be read or is damaged" "$T/c"
rm -f "$C/backupmx"
zone ''

kill "$DNSPID"
wait "$DNSPID" 2>/dev/null
DNSPID=""
run
check "a DNS that does not answer: a problem that says so" \
    sh -c "[ $rc -eq 1 ] && grep -q '^problem: no answer from the DNS for example.org' '$T/c'"
run --no-dns
check "--no-dns: not asked, a note" \
    sh -c "{ [ -n '$busy' ] || [ $rc -eq 0 ]; } && grep -q '^note: the DNS was not checked' '$T/c'"

# Local damage.
printf 'bob:5f4dcc3b5aa765d61d8327deb882cf99\n' >"$T/exim"
"$F" user import exim-passwd "$T/exim" --domain example.org >/dev/null 2>&1
chmod 644 "$C/users"
run --no-dns
check "a weak hash: the user and the fix" \
    sh -c "grep -q '^problem: bob@example.org has a weak password hash' '$T/c' &&
        grep -q 'fix: facteur user passwd bob@example.org' '$T/c'"
check "the users table readable by all: chmod 600" \
    sh -c "grep -q '^problem: $C/users is readable by every user (mode 644)' '$T/c' &&
        grep -q 'fix: chmod 600 it' '$T/c' && [ $rc -eq 1 ]"
chmod 600 "$C/users"

mv "$C/tls/default/fullchain.pem" "$T/fc" && mv "$C/tls/default/privkey.pem" "$T/pk"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 5 \
    -subj /CN=mx.example.org -keyout "$C/tls/default/privkey.pem" \
    -out "$C/tls/default/fullchain.pem" 2>/dev/null
run --no-dns
check "a certificate that expires in 5 days: renew it" \
    sh -c "grep -q '^problem: the certificate for default (EC) expires in [45] days' '$T/c' &&
        grep -q 'fix: renew it' '$T/c'"
cp "$T/pk" "$C/tls/default/privkey.pem"
run --no-dns
check "a key that is not the certificate's: said" \
    sh -c "[ $rc -eq 1 ] && grep -qi '^problem: .*match' '$T/c'"
mv "$T/fc" "$C/tls/default/fullchain.pem"

run --no-dns
check "the queue is the caller's own, queue-inject not setuid: a note" \
    grep -q "^note: queue-inject is not setuid and the queue $T/q is yours" "$T/c"
chown 4242 "$T/q"
rmdir "$T/state/authfail"
run --no-dns
check "a queue of another uid (not facteur-queue) without a setuid queue-inject: a note" \
    grep -q "^note: queue-inject is not setuid and the queue $T/q belongs to uid 4242: only that user" "$T/c"
check "the state directory without authfail/: logins would be refused" \
    sh -c "grep -q '^problem: $T/state/authfail is missing: submission and IMAP logins are refused' '$T/c' && [ $rc -eq 1 ]"
chown "$(id -u)" "$T/q"
mkdir -m 700 "$T/state/authfail"

if [ -z "$busy" ]; then
    /usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 110)); s.listen(1); time.sleep(30)' &
    LP=$!
    PIDS="$PIDS $LP"
    sleep 0.5
    run --no-dns
    kill "$LP"
    check "something on port 110: a problem" \
        sh -c "[ $rc -eq 1 ] && grep -q '^problem: something listens on port 110' '$T/c'"
else
    skip "port 143 or 110 is busy on this machine"
fi
# A table edited by hand: its cdb is stale until facteur init compiles it.
sleep 0.01
printf '# the team\nteam@example.org:alice@example.org\n' >>"$C/aliases"
run --no-dns
check "an alias added by hand, not compiled: a problem, with the fix" \
    sh -c "grep -q '^problem: $C/aliases was changed after its cdb was compiled' '$T/c' &&
        grep -q 'fix: facteur init compiles it' '$T/c' && [ $rc -eq 1 ]"
"$F" init --no-system-users >"$T/init" 2>&1
check "facteur init compiles it, and says so" \
    sh -c "grep -q '^compiled $C/aliases.cdb from aliases, edited by hand' '$T/init' &&
        [ \"\$(cdb -q '$C/aliases.cdb' team@example.org)\" = alice@example.org ]"
check "... leaving the text as written (the comment kept)" \
    grep -q '^# the team$' "$C/aliases"
run --no-dns
check "... and check no longer reports it" \
    sh -c "! grep -q 'was changed after its cdb' '$T/c'"
check "bad usage: 100" test "$(code "$F" check --dns)" = 100
# The firewall the fix for 143/110 points to.
if command -v nft >/dev/null && nft -c -f /dev/null 2>/dev/null; then
    check "doc/nftables.conf: nft -c accepts it" nft -c -f "$TOP/doc/nftables.conf"
    check "... 25, 465, 993 open; 143, 110, 587 not" \
        sh -c "grep -q '^[[:space:]]*tcp dport 25 accept' '$TOP/doc/nftables.conf' &&
            grep -q '^[[:space:]]*tcp dport { 465, 993 } accept' '$TOP/doc/nftables.conf' &&
            ! grep -qE '^[^#]*dport[^#]*(143|110|587)' '$TOP/doc/nftables.conf'"
else
    skip "nft (nftables) cannot check rules here"
fi
finish
