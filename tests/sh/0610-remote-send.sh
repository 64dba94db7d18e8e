# 0610-remote-send.sh - outbound delivery through queue-run and
# remote-send, with a test DNS zone on loopback: MX fallback to a Postfix
# peer over STARTTLS (Postfix logs the TLS session), another facteur,
# smtp-sink; 4xx kept for later, 5xx, null MX and an unknown domain
# bounced; a TLS policy that is not met defers and sends nothing in clear;
# a smarthost on 465 with AUTH; a bare CR before a dot is stuffed so the
# next hop sees one message; bytes a server injects after its STARTTLS
# 220 gain nothing.
. "$(dirname "$0")/../lib.sh"
if ! is_root || [ ! -x /usr/sbin/postfix ] || ! /usr/bin/python3 -c 'import dnslib' 2>/dev/null; then
    skip "needs root, postfix and python3-dnslib (sh tools/deps test)"
    finish
fi
setup_conf
A=$FACTEUR_CONF
B=$T/b/conf
P=$(freeport)
DP=$(freeport)
LOG=$T/log

# DANE material: the SPKI digests of B's certificates (ECDSA and RSA),
# and a small CA with a leaf for mx.danta.test (DANE-TA).
spki() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64; }
EE1=$(spki "$A/tls/default/fullchain.pem")
EE2=$(spki "$A/tls/default/fullchain-rsa.pem")
mkdir -p "$T/ca" "$T/ta-tls/default"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 30 -subj "/CN=Test CA" -addext basicConstraints=critical,CA:TRUE \
    -keyout "$T/ca/key.pem" -out "$T/ca/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=mx.danta.test" -keyout "$T/ta-tls/default/privkey.pem" \
    -out "$T/ca/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:mx.danta.test\n' >"$T/ca/ext"
openssl x509 -req -in "$T/ca/leaf.csr" -CA "$T/ca/ca.pem" \
    -CAkey "$T/ca/key.pem" -CAcreateserial -days 30 -extfile "$T/ca/ext" \
    -out "$T/ca/leaf.pem" 2>/dev/null
cat "$T/ca/leaf.pem" "$T/ca/ca.pem" >"$T/ta-tls/default/fullchain.pem"
TA=$(spki "$T/ca/ca.pem")
# leaf NAME... DIR: a key and a chain for the names, signed by the CA.
leaf() {
    d=$1
    shift
    mkdir -p "$d"
    san=$(printf 'DNS:%s,' "$@" | sed 's/,$//')
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=$1" -keyout "$d/privkey.pem" -out "$d/leaf.csr" 2>/dev/null
    printf 'subjectAltName=%s\n' "$san" >"$d/ext"
    openssl x509 -req -in "$d/leaf.csr" -CA "$T/ca/ca.pem" \
        -CAkey "$T/ca/key.pem" -CAcreateserial -days 30 -extfile "$d/ext" \
        -out "$d/leaf.pem" 2>/dev/null
    cat "$d/leaf.pem" "$T/ca/ca.pem" >"$d/fullchain.pem"
}
leaf "$T/sts-tls/default" mx.sts.test
leaf "$T/sts-web" mta-sts.sts.test mta-sts.stsbad.test mta-sts.stsname.test
mkdir -p "$T/policies"
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n' \
    >"$T/policies/sts.test"
printf 'version: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 86400\n' \
    >"$T/policies/stsbad.test"
printf 'version: STSv1\nmode: enforce\nmx: *.stsname.test\nmax_age: 86400\n' \
    >"$T/policies/stsname.test"
ZERO=0000000000000000000000000000000000000000000000000000000000000000

# The zone.
cat >"$T/zone" <<EOF
\$ORIGIN test.
fallback.test. MX 10 mx-dead.fallback.test.
fallback.test. MX 20 mx-pf.fallback.test.
mx-dead.fallback.test. A 127.0.0.2
mx-pf.fallback.test. A 127.0.0.1
b.test. MX 10 mx.b.test.
mx.b.test. A 127.0.0.3
implicit.test. A 127.0.0.3
sink.test. MX 10 mx.sink.test.
mx.sink.test. A 127.0.0.4
soft.test. MX 10 mx.soft.test.
mx.soft.test. A 127.0.0.5
hard.test. MX 10 mx.hard.test.
mx.hard.test. A 127.0.0.6
nullmx.test. MX 0 .
inject.test. MX 10 mx.inject.test.
mx.inject.test. A 127.0.0.8
dane.test. MX 10 mx.dane.test.
mx.dane.test. A 127.0.0.3
_$P._tcp.mx.dane.test. TLSA 3 1 1 $EE1
_$P._tcp.mx.dane.test. TLSA 3 1 1 $EE2
danebad.test. MX 10 mx.danebad.test.
mx.danebad.test. A 127.0.0.3
_$P._tcp.mx.danebad.test. TLSA 3 1 1 $ZERO
insecure.test. MX 10 mx.insecure.test.
mx.insecure.test. A 127.0.0.3
_$P._tcp.mx.insecure.test. TLSA 3 1 1 $ZERO
danta.test. MX 10 mx.danta.test.
mx.danta.test. A 127.0.0.10
_$P._tcp.mx.danta.test. TLSA 2 1 1 $TA
danta2.test. MX 10 mx.danta2.test.
mx.danta2.test. A 127.0.0.10
_$P._tcp.mx.danta2.test. TLSA 2 1 1 $TA
ipv6.test. MX 10 mx.ipv6.test.
mx.ipv6.test. AAAA ::1
mx.ipv6.test. A 127.0.0.2
sts.test. MX 10 mx.sts.test.
mx.sts.test. A 127.0.0.12
_mta-sts.sts.test. TXT "v=STSv1; id=20261122;"
mta-sts.sts.test. A 127.0.0.11
stsbad.test. MX 10 mx.sts.test.
_mta-sts.stsbad.test. TXT "v=STSv1; id=1;"
mta-sts.stsbad.test. A 127.0.0.11
stsname.test. MX 10 mx.stsname.test.
mx.stsname.test. A 127.0.0.3
_mta-sts.stsname.test. TXT "v=STSv1; id=1;"
mta-sts.stsname.test. A 127.0.0.11
danefail.test. MX 10 mx.danefail.test.
mx.danefail.test. A 127.0.0.3
_$P._tcp.mx.danefail.test. TLSA 3 1 1 $EE1
EOF
# AD (validated) on the DANE names, but for insecure.test's TLSA.
ads=""
for dn in dane danebad danta danta2 danefail; do
    ads="$ads --ad $dn.test --ad _$P._tcp.mx.$dn.test"
done
# shellcheck disable=SC2086
/usr/bin/python3 "$TOP/tests/helpers/dnsserver.py" --zone "$T/zone" $ads \
    --ad insecure.test --servfail "_$P._tcp.mx.danefail.test" "$DP" \
    2>>"$LOG" &
PIDS="$PIDS $!"

# B: another facteur, MX of b.test and implicit.test (smtpd), and a
# submission service on 465 for the smarthost test.
mkdir -p "$B" "$T/b/queue/tmp" "$T/b/queue/mess" "$T/b/queue/todo" \
    "$T/b/mail" "$T/b/state"
cp -R "$A/tls" "$A/empty" "$B/"
echo "$T/b/queue" >"$B/queuedir"
echo "$T/b/mail" >"$B/mailroot"
echo "$T/b/state" >"$B/statedir"
echo mx.b.test >"$B/hostname"
echo 64013:64012 >"$B/mailowner"
FB() { FACTEUR_CONF=$B "$BIN/facteur" "$@"; }
FB domain add b.test
FB domain add implicit.test
echo pw | FB user add bob@b.test
for dom in dane danebad insecure danta danta2 danefail sts stsbad stsname ipv6; do
    FB domain add $dom.test
    echo pw | FB user add "bob@$dom.test"
done
echo 'relay pw' | FB user add relay@b.test
FB route add '*' "[127.0.0.9]:$(freeport)"  # B's own outbound: nowhere
printf '@example.org relay@b.test\n' | cdb -c -m "$B/sendas.cdb"
chown -R 64012:64012 "$T/b/queue"
chmod -R g+w "$T/b/queue"
chown 64013:64012 "$T/b/mail"
FACTEUR_CONF=$B "$BIN/queue-run" 2>>"$T/logb" &
PIDS="$PIDS $!"
# shellcheck disable=SC2086
FACTEUR_CONF=$B tcpserver -DRHl0 127.0.0.3 "$P" "$BIN/tlswrap" -s \
    $TLSWRAP_IDS "$BIN/smtpd" -u 64012:64012 2>>"$T/logb" &
PIDS="$PIDS $!"
# shellcheck disable=SC2086
FACTEUR_CONF=$B tcpserver -DRHl0 127.0.0.10 "$P" "$BIN/tlswrap" -s \
    -d "$T/ta-tls" $TLSWRAP_IDS "$BIN/smtpd" -u 64012:64012 2>>"$T/logb" &
PIDS="$PIDS $!"
# shellcheck disable=SC2086
FACTEUR_CONF=$B tcpserver -DRHl0 ::1 "$P" "$BIN/tlswrap" -s \
    $TLSWRAP_IDS "$BIN/smtpd" -u 64012:64012 2>>"$T/logb" &
PIDS="$PIDS $!"
# shellcheck disable=SC2086
FACTEUR_CONF=$B tcpserver -DRHl0 127.0.0.12 "$P" "$BIN/tlswrap" -s \
    -d "$T/sts-tls" $TLSWRAP_IDS "$BIN/smtpd" -u 64012:64012 2>>"$T/logb" &
PIDS="$PIDS $!"
$PY "$TOP/tests/helpers/stsserver.py" 127.0.0.11 443 \
    "$T/sts-web/fullchain.pem" "$T/sts-web/privkey.pem" "$T/policies" \
    2>>"$T/sts.log" &
PIDS="$PIDS $!"
# shellcheck disable=SC2086
FACTEUR_CONF=$B tcpserver -DRHl0 127.0.0.7 465 "$BIN/tlswrap" \
    $TLSWRAP_IDS "$BIN/submissiond" -u 64012:64012 2>>"$T/logb" &
PIDS="$PIDS $!"

# smtp-sink: one accepting all, one deferring RCPT, one refusing RCPT.
mkdir -p "$T/sink"
chmod 777 "$T/sink"
smtp-sink -u nobody -d "$T/sink/%M." "127.0.0.4:$P" 10 2>>"$LOG" &
PIDS="$PIDS $!"
smtp-sink -u nobody -r RCPT "127.0.0.5:$P" 10 2>>"$LOG" &
PIDS="$PIDS $!"
smtp-sink -u nobody -f RCPT "127.0.0.6:$P" 10 2>>"$LOG" &
PIDS="$PIDS $!"
$PY "$TOP/tests/helpers/injectsrv.py" 127.0.0.8 "$P" \
    "$A/tls/default/fullchain.pem" "$A/tls/default/privkey.pem" \
    "$T/inject.log" 2>>"$LOG" &
PIDS="$PIDS $!"

# Postfix: the second MX of fallback.test, STARTTLS offered.
PF=$T/pf
postfix_conf "$PF"
sed -i "s/^smtp      inet/127.0.0.1:$P      inet/" "$PF/conf/master.cf"
cat >>"$PF/conf/main.cf" <<EOF
myhostname = mx-pf.fallback.test
inet_interfaces = 127.0.0.1
virtual_mailbox_domains = fallback.test
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = texthash:$PF/conf/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
smtpd_tls_security_level = may
smtpd_tls_cert_file = $A/tls/default/fullchain.pem
smtpd_tls_key_file = $A/tls/default/privkey.pem
smtpd_tls_loglevel = 1
# drops a connection idle for a second (the reuse test below)
smtpd_timeout = 1s
EOF
echo "u@fallback.test fallback.test/u/" >"$PF/conf/vmailbox"
chown 65534:65534 "$PF/mail"
postfix -c "$PF/conf" start >/dev/null 2>&1
trap 'postfix -c "$PF/conf" stop >/dev/null 2>&1; [ -n "${KEEP:-}" ] || cleanup' EXIT INT TERM

# A: the sender.
mkdir -p "$T/a/queue/tmp" "$T/a/queue/mess" "$T/a/queue/todo" "$T/a/mail"
echo "$T/a/queue" >"$A/queuedir"
echo "$T/a/mail" >"$A/mailroot"
echo mail.example.org >"$A/hostname"
echo "$T/ca/ca.pem" >"$A/cafile"
mkdir -p "$T/state-a"
echo "$T/state-a" >"$A/statedir"
F=$BIN/facteur
"$F" domain add example.org
echo pw | "$F" user add alice@example.org
"$F" route add sink2.test "[127.0.0.4]:$P" --tls encrypt
echo 'relay pw' | "$F" route add relayed.test "[127.0.0.7]:465" --tls encrypt \
    --auth relay@b.test
for p in "$P"; do wait_port "$p" 127.0.0.3; wait_port "$p" 127.0.0.4; done
wait_port 465 127.0.0.7
wait_port "$P" 127.0.0.8
env FACTEUR_RESOLVER="127.0.0.1:$DP" REMOTE_SMTP_PORT="$P" \
    "$BIN/queue-run" 2>>"$LOG" &
PIDS="$PIDS $!"

QI=$BIN/queue-inject
send() { printf 'Subject: %s\n\n%s\n' "$2" "${3:-hello}" | "$QI" -f alice@example.org "$1"; }
has() { grep -rqF -e "$2" "$1" 2>/dev/null; }
state() { cat "$T"/a/queue/info/* 2>/dev/null | grep -q "$1"; }
bounced() { grep -rlF "Final-Recipient: rfc822; $1" "$T/a/mail/example.org/alice/new" 2>/dev/null | xargs grep -l "$2" >/dev/null 2>&1; }

send u@fallback.test to-postfix
check "MX fallback: the first MX refuses, the second (Postfix) takes it" \
    wait_for 15 has "$PF/mail/fallback.test/u/new" "Subject: to-postfix"
check "Postfix logged a TLS connection from remote-send" \
    grep -q "TLS connection established from .*127.0.0.1" "$PF/maillog"
check "remote-send logged host, TLS version and cipher" \
    grep -Eq "remote-send: info: [0-9a-f]+ sent host=mx-pf.fallback.test ip=127.0.0.1 tls=TLSv1.2:ECDHE-" "$LOG"

# Connection reuse: messages to one domain queued together share
# connections (queue-run gives a remote-send whose report is in the next
# message for its domain, REMOTE_IDLE_MS).
n0=$(grep -c "connect from" "$PF/maillog")
for i in 1 2 3 4 5 6; do send u@fallback.test "reuse-$i"; done
check "six messages to one domain: all taken" \
    wait_for 15 sh -c "[ \$(grep -rl 'Subject: reuse-' '$PF/mail/fallback.test/u/new' | wc -l) -eq 6 ]"
sids=$(grep "sent host=mx-pf.fallback.test" "$LOG" | tail -6 | awk '{print $3}' | sort -u | wc -l)
conns=$(($(grep -c "connect from" "$PF/maillog") - n0))
check "... by fewer processes and connections than messages (remote-send $sids, Postfix connections $conns)" \
    sh -c "[ $sids -lt 6 ] && [ $conns -lt 6 ]"
# A kept connection the server closes (Postfix: 421 after its 1 s
# timeout) is not used: the next message goes over a new one, at once.
send u@fallback.test before-idle
wait_for 10 has "$PF/mail/fallback.test/u/new" "Subject: before-idle"
sleep 1.5
send u@fallback.test after-idle
check "a kept connection the server closed: the next message goes over a new one" \
    wait_for 10 has "$PF/mail/fallback.test/u/new" "Subject: after-idle"
check "... by the same remote-send, never deferred" \
    sh -c "[ \$(grep 'sent host=mx-pf.fallback.test' '$LOG' | tail -2 | awk '{print \$3}' | sort -u | wc -l) -eq 1 ] && ! cat '$T'/a/queue/info/* 2>/dev/null | grep -q u@fallback.test"

send bob@b.test to-facteur
check "delivered to another facteur through its smtpd" \
    wait_for 10 has "$T/b/mail/b.test/bob/new" "Subject: to-facteur"
f=$(grep -rlF "Subject: to-facteur" "$T/b/mail/b.test/bob/new" | head -1)
check "the other side's Received: shows ESMTPS" \
    grep -q "from mail.example.org (\[127.0.0.1\])" "${f:-/none}"
send bob@implicit.test to-implicit
check "no MX: the domain's own address (implicit MX)" \
    wait_for 10 bounced bob@implicit.test "implicit.test \[127.0.0.3\] said: 550"

send bob@ipv6.test to-ipv6
check "IPv6 first: delivered to the MX's AAAA (::1)" \
    wait_for 10 has "$T/b/mail/ipv6.test/bob/new" "Subject: to-ipv6"
check "... logged with its IPv6 address" \
    grep -q "sent host=mx.ipv6.test ip=::1 " "$LOG"

send x@sink.test to-sink
check "delivered to smtp-sink" wait_for 10 has "$T/sink" "Subject: to-sink"

send x@soft.test to-soft
check "4xx from the server: kept for later with the reply" \
    wait_for 10 state "r P x@soft.test mx.soft.test \[127.0.0.5\] said: 4"
send x@hard.test to-hard
check "5xx from the server: a DSN to the sender" \
    wait_for 10 bounced x@hard.test "said: 5"
send x@nullmx.test to-nullmx
check "null MX: a DSN at once" wait_for 10 bounced x@nullmx.test "null MX"
send x@nx.test to-nx
check "a domain that does not exist: a DSN" \
    wait_for 10 bounced x@nx.test "does not exist"

n0=$(find "$T/sink" -type f | wc -l)
send y@sink2.test to-sink2
check "tls=encrypt and no STARTTLS offered: deferred with the reason" \
    wait_for 10 state "r P y@sink2.test .*TLS is required by the policy but not offered"
check "... and nothing was sent in clear" test "$(find "$T/sink" -type f | wc -l)" -eq "$n0"

send z@relayed.test via-smarthost
check "smarthost on 465 (implicit TLS) with AUTH: taken by the relay" \
    wait_for 10 sh -c "FACTEUR_CONF='$B' '$F' queue | grep -q 'to=z@relayed.test'"
check "the relay logged the AUTH login" \
    grep -q "auth ok mech=PLAIN login=relay@b.test" "$T/logb"

# A bare CR before a dot, then what would be a second message: the queue
# made the CR a line end; remote-send stuffs the dot; the next hop takes
# one message holding it all.
before=$(find "$T/b/mail/b.test/bob/new" -type f | wc -l)
printf 'Subject: cr-dot\n\nfirst\r.\rMAIL FROM:<evil@x.test>\r\nRCPT TO:<bob@b.test>\r\nDATA\r\nSubject: SMUGGLED\r\n\r\nevil\n' |
    "$QI" -f alice@example.org bob@b.test
check "bare CR then dot: delivered as one message" \
    wait_for 10 has "$T/b/mail/b.test/bob/new" "Subject: cr-dot"
sleep 0.5
check "... with the dot line and the rest inside it, no second message" \
    sh -c "[ \$(find '$T/b/mail/b.test/bob/new' -type f | wc -l) -eq $((before + 1)) ] &&
        grep -rl 'Subject: cr-dot' '$T/b/mail/b.test/bob/new' | xargs grep -q '^Subject: SMUGGLED'"

send w@inject.test to-inject
check "a server injecting bytes after its STARTTLS 220: delivered normally" \
    wait_for 10 sh -c "grep -q 'delivered id=.* to=w@inject.test' '$LOG'"
check "... EHLO was sent again inside TLS and the injected line ignored" \
    grep -q "^tls EHLO mail.example.org" "$T/inject.log"

# DANE (RFC 7672), the zone's AD bit standing for a validating resolver.
send bob@dane.test to-dane
check "DANE-EE: a TLSA 3 1 1 match, delivered" \
    wait_for 10 has "$T/b/mail/dane.test/bob/new" "Subject: to-dane"
check "DANE-EE: logged as verified by DANE-EE" \
    grep -q "sent host=mx.dane.test .* verified=DANE-EE" "$LOG"
send bob@danebad.test to-danebad
check "DANE: no TLSA record matches: deferred, nothing delivered" \
    wait_for 10 state "r P bob@danebad.test .*no TLSA record matches"
check "DANE mismatch: nothing reached the server" \
    nowhere "Subject: to-danebad" "$T/b/mail"
send bob@insecure.test to-insecure
check "TLSA without AD (not validated): ignored, delivered" \
    wait_for 10 has "$T/b/mail/insecure.test/bob/new" "Subject: to-insecure"
send bob@danta.test to-danta
check "DANE-TA 2 1 1: the CA in the chain matches, the leaf names the MX" \
    wait_for 10 has "$T/b/mail/danta.test/bob/new" "Subject: to-danta"
check "DANE-TA: logged as verified by DANE-TA" \
    grep -q "sent host=mx.danta.test .* verified=DANE-TA" "$LOG"
send bob@danta2.test to-danta2
check "DANE-TA with a certificate for another name: deferred" \
    wait_for 10 state "r P bob@danta2.test .*no TLSA record matches"
send bob@danefail.test to-danefail
check "a TLSA lookup that fails (SERVFAIL): the host is not used, deferred" \
    wait_for 10 state "r P bob@danefail.test .*TLSA lookup failed"

# MTA-STS (RFC 8461), the policies served over HTTPS on loopback.
wait_port 443 127.0.0.11
send bob@sts.test to-sts
check "MTA-STS enforce: the named MX with a valid certificate, delivered" \
    wait_for 10 has "$T/b/mail/sts.test/bob/new" "Subject: to-sts"
check "MTA-STS: the policy was fetched and logged, and delivery verified" \
    sh -c "grep -q 'mta-sts domain=sts.test id=20261122 mode=enforce fetched' '$LOG' && grep -q 'sent host=mx.sts.test .* verified=ca' '$LOG'"
check "MTA-STS: the policy is cached with its id" \
    grep -q "^20261122 " "$T/state-a/mta-sts/sts.test"
send bob@stsbad.test to-stsbad
check "MTA-STS enforce: an MX the policy does not name is not used" \
    wait_for 10 state "r P bob@stsbad.test .*not allowed by the MTA-STS policy"
send bob@stsname.test to-stsname
check "MTA-STS enforce: a certificate not valid for the MX: deferred" \
    wait_for 10 state "r P bob@stsname.test .*certificate not valid"
check "MTA-STS: nothing reached the servers for the refused ones" \
    sh -c "! grep -rqE 'to-stsbad|to-stsname' '$T/b/mail'"
finish
