# 0920-deploy.sh - a real deployment: two mail hosts and a DNS server in
# network namespaces of their own, joined by a bridge on 192.0.2.0/24
# (TEST-NET-1: nothing here can reach an address outside them).
#
# Each host is installed as an admin would: make install (PREFIX
# /usr/local), facteur init as root (system users, setuid queue-inject),
# a domain, a user, a DKIM key, and the records facteur dns prints
# published on the DNS server (MX, SPF, DKIM, DMARC, TLSA 3 1 1 for the
# self-signed certificate), then s6-svscan on the installed s6 services
# on the real ports 25, 465 and 993.  /etc, /var and /usr/local are
# each host's own (tests/helpers/nshost), so the machine is not touched.
#
# alice@a.test submits on A's 465 (curl, verified TLS, AUTH); A's
# remote-send finds B by MX, verifies B's certificate by DANE over
# STARTTLS; B's mail-auth passes SPF, DKIM and DMARC; bob reads the
# message with curl over IMAPS on B's 993.  Then B's smtpd is stopped
# (s6-svc -d): A defers and keeps the message, and delivers it on its
# own retry once the service is back.
#
# The backup-MX variant (doc/scaling.md): a third host C, with its own
# domain c.test, is a backup MX for b.test (its file backupmx, and an MX
# record of preference 20).  With B down, A delivers to C; C's
# remote-send tries only the better MX (B, never itself), defers, and
# relays to B once B is back.  A domain whose best MX is C and that C
# does not serve waits at C ("loops back to myself"), never loops.
. "$(dirname "$0")/../lib.sh"

missing=""
for c in ip unshare s6-svscan s6-svc tcpserver execlineb curl; do
    command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
if ! is_root; then
    skip "a deployment needs root (network namespaces, make install, useradd)"
    finish
elif [ -n "$missing" ]; then
    skip "needs$missing (sh tools/deps test)"
    finish
elif ! $PY -c 'import dnslib' 2>/dev/null; then
    skip "needs python3-dnslib (sh tools/deps test)"
    finish
elif ! ip netns add "fct$$probe" 2>/dev/null; then
    skip "network namespaces are refused here"
    finish
fi
ip netns del "fct$$probe"

NET=192.0.2
NSD=fct$$d
NSA=fct$$a
NSB=fct$$b
NSC=fct$$c
IPD=$NET.53
IPA=$NET.10
IPB=$NET.20
IPC=$NET.30
NSHOST=$TOP/tests/helpers/nshost
# on HOST CMD...: run on host a or b, in its files and its network.
on() {
    h=$1
    shift
    env -u FACTEUR_CONF "$NSHOST" "$T/$h" "fct$$$h" "$@"
}
# client CMD...: run on the DNS server's namespace, the test's client.
client() { ip netns exec "$NSD" "$@"; }

teardown() {
    for h in a b c; do
        [ -d "$T/$h/scan" ] && s6-svscanctl -t "$T/$h/scan" 2>/dev/null
    done
    sleep 0.5
    for ns in "$NSA" "$NSB" "$NSC" "$NSD"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
}
[ -n "${KEEP:-}" ] || trap 'teardown; cleanup' EXIT INT TERM

# The network: a bridge in the DNS server's namespace, a veth to each host.
ip netns add "$NSD" && ip netns add "$NSA" && ip netns add "$NSB" &&
    ip netns add "$NSC"
ip -n "$NSD" link set lo up
ip -n "$NSD" link add br0 type bridge
ip -n "$NSD" link set br0 up
ip -n "$NSD" addr add "$IPD/24" dev br0
for h in a b c; do
    eval "ip=\$IP$(echo $h | tr a-z A-Z)"
    ip link add "fct$$$h" type veth peer name "fct$$${h}p"
    ip link set "fct$$$h" netns "fct$$$h"
    ip link set "fct$$${h}p" netns "$NSD"
    ip -n "$NSD" link set "fct$$${h}p" master br0 up
    ip -n "fct$$$h" link set lo up
    ip -n "fct$$$h" addr add "$ip/24" dev "fct$$$h"
    ip -n "fct$$$h" link set "fct$$$h" up
done
check "the network: no route leads out of it" \
    sh -c "! ip netns exec $NSA ip route get 9.9.9.9 >/dev/null 2>&1"

# Each host, installed and set up by the admin's commands (domain add
# makes the domain's DKIM key).
setup() {
    h=$1 dom=$2 user=$3
    on "$h" sh -e -c '
        make -s -C "$0" install >/dev/null
        f=/usr/local/bin/facteur
        $f init --hostname "mx.$1"
        $f domain add "$1"
        echo "pw-$2" | $f user add "$2@$1"
        $f alias add "postmaster@$1" "$2@$1"
        echo "$3" >/etc/facteur/resolver
        mkdir -p "$4"
        cp -R /usr/local/share/facteur/s6/. "$4/"
    ' "$TOP" "$dom" "$user" "$IPD" "$T/$h/scan" >"$T/$h.setup" 2>&1
}
setup a a.test alice
rca=$?
setup b b.test bob
rcb=$?
setup c c.test carol
rcc=$?
check "make install, facteur init, domain, user, alias, DKIM key on A, B and C" \
    test "$rca$rcb$rcc" = 000
check "queue-inject setuid facteur-queue on both" \
    sh -c "grep -q '^made /usr/local/bin/queue-inject setuid facteur-queue' '$T/a.setup' &&
        grep -q '^made /usr/local/bin/queue-inject setuid facteur-queue' '$T/b.setup'"

# The records, as facteur dns prints them, and each host's address.
for h in a b c; do
    eval "ip=\$IP$(echo $h | tr a-z A-Z)"
    on "$h" /usr/local/bin/facteur dns "$h.test" >"$T/$h.dns"
    {
        echo "\$ORIGIN $h.test."
        grep -v '^;' "$T/$h.dns"
        echo "mx.$h.test. IN A $ip"
    } >"$T/$h.zone"
done
check "facteur dns: MX, SPF, DKIM, DMARC and TLSA for A and B" \
    sh -c "for h in a b; do
        grep -q \"^\$h.test. IN MX 10 mx.\$h.test.\" '$T/'\$h.dns &&
        grep -q '\"v=spf1 mx -all\"' '$T/'\$h.dns &&
        grep -q '_domainkey.'\$h'.test. IN TXT' '$T/'\$h.dns &&
        grep -q '^_dmarc.'\$h'.test. IN TXT' '$T/'\$h.dns &&
        grep -q '^_25._tcp.mx.'\$h'.test. IN TLSA 3 1 1 ' '$T/'\$h.dns || exit 1; done"
# A validating resolver sets AD on what DNSSEC proved; this server
# stands for it (DANE needs it).  dns [ZONE...]: (re)start it with the
# zones of the three hosts and these.
DNSPID=""
dns() {
    [ -z "$DNSPID" ] || { kill "$DNSPID"; wait "$DNSPID" 2>/dev/null; }
    zones=""
    for z in "$T/a.zone" "$T/b.zone" "$T/c.zone" "$@"; do
        zones="$zones --zone $z"
    done
    # shellcheck disable=SC2086
    ip netns exec "$NSD" "$PY" "$TOP/tests/helpers/dnsserver.py" $zones \
        --addr "$IPD" --ad '*' --log "$T/dns.log" 53 >>"$T/dns.out" 2>&1 &
    DNSPID=$!
    PIDS="$PIDS $DNSPID"
    client "$PY" - "$IPD" <<'EOF'
import socket, sys, time
for i in range(100):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.connect((sys.argv[1], 53))
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
    finally:
        s.close()
sys.exit(1)
EOF
}
dns

# Supervision: the installed s6 services, one scan directory a host.
for h in a b c; do
    on "$h" setsid s6-svscan "$T/$h/scan" >"$T/$h.svscan" 2>&1 &
done
# up HOST IP PORT...: wait (10 s) until each port accepts connections.
up() {
    ip=$1
    shift
    client "$PY" - "$ip" "$@" <<'EOF'
import socket, sys, time
ip, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
end = time.time() + 10
while ports and time.time() < end:
    try:
        socket.create_connection((ip, ports[0]), 1).close()
        ports.pop(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1 if ports else 0)
EOF
}
check "s6-svscan brings up smtpd, submissiond, imapd on A (25, 465, 993)" \
    up "$IPA" 25 465 993
check "... and on B" up "$IPB" 25 465 993
check "... and on C" up "$IPC" 25 465 993
check "the bridge joins the hosts: A connects to B's port 25" \
    ip netns exec "$NSA" "$PY" -c "import socket; socket.create_connection(('$IPB', 25), 2)"
check "submission on 587 is down until started (its down file): port 587 closed on A" \
    sh -c "s6-svstat -u '$T/a/scan/submission587' | grep -qx false &&
        ! ip netns exec $NSD $PY -c 'import socket; socket.create_connection((\"$IPA\", 587), 1)' 2>/dev/null"
check "queue-run runs under s6 on both" \
    sh -c "s6-svstat -u '$T/a/scan/queue-run' | grep -qx true &&
        s6-svstat -u '$T/b/scan/queue-run' | grep -qx true"

# facteur check on a host that is deployed as facteur dns says.
for h in a b c; do
    on "$h" /usr/local/bin/facteur check >"$T/$h.check" 2>&1
    echo $? >"$T/$h.check.rc"
done
check "facteur check on A, B and C: no problems (the DNS, the setuid queue-inject, the directories)" \
    sh -c "for h in a b c; do [ \$(cat '$T/'\$h.check.rc) = 0 ] &&
        grep -q '^ok: queue-inject is setuid' '$T/'\$h.check &&
        grep -q '^ok: '\$h'.test: MX mx.'\$h'.test' '$T/'\$h.check &&
        grep -q '^ok: _25._tcp.mx.'\$h'.test: TLSA matches' '$T/'\$h.check || exit 1; done"

# alice submits on A's 465: implicit TLS, verified, AUTH PLAIN.
mail() {
    cat <<EOF
From: Alice <alice@a.test>
To: Bob <bob@b.test>
Subject: $1

Hello Bob, this is $1.
EOF
}
submit() {
    mail "$1" >"$T/$1.eml"
    client curl -sS --ssl-reqd --cacert "$T/a/etc/facteur/tls/default/fullchain.pem" \
        --resolve "mx.a.test:465:$IPA" --url smtps://mx.a.test:465 \
        --mail-from alice@a.test --mail-rcpt bob@b.test --crlf \
        --user alice@a.test:pw-alice --upload-file "$T/$1.eml" \
        >"$T/$1.curl" 2>&1
}
BOX=$T/b/var/mail/facteur/b.test/bob
# inbox SUBJECT: the file of bob's inbox (new/ or cur/) with it.
inbox() { grep -l "^Subject: $1\$" "$BOX"/new/* "$BOX"/cur/* 2>/dev/null | head -n 1; }
# arrived SUBJECT: wait (30 s) until such a message is in bob's inbox.
arrived() {
    i=0
    while [ $i -lt 300 ]; do
        [ -n "$(inbox "$1")" ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
submit deploy-one
check "curl smtps:// to A's 465 with AUTH (certificate verified): accepted" \
    test $? -eq 0
check "the message reaches bob's Maildir on B" arrived deploy-one
M1=$(inbox deploy-one)
[ -n "$M1" ] || M1=/dev/null
check "B's Received: line: from mx.a.test, over ESMTPS" \
    grep -q "with ESMTPS (TLS" "$M1"
check "signed by A: DKIM-Signature d=a.test" \
    sh -c "grep -q '^DKIM-Signature:.* d=a.test' '$M1' || grep -A3 '^DKIM-Signature:' '$M1' | grep -q 'd=a.test'"
ar=$(sed -n '/^Authentication-Results:/,/^[^ \t]/p' "$M1" | tr -d '\n')
check "B's Authentication-Results: spf=pass, dkim=pass, dmarc=pass ($ar)" \
    sh -c "echo '$ar' | grep -q 'spf=pass' && echo '$ar' | grep -q 'dkim=pass' &&
        echo '$ar' | grep -q 'dmarc=pass'"
LOGA=$T/a/scan/queue-run/log/main/current
check "A's remote-send: mx.b.test by MX, STARTTLS verified by DANE" \
    grep -q "sent host=mx.b.test ip=$IPB tls=TLSv1.2:.* verified=DANE-EE" "$LOGA"
client curl -sS --cacert "$T/b/etc/facteur/tls/default/fullchain.pem" \
    --resolve "mx.b.test:993:$IPB" --user bob@b.test:pw-bob \
    "imaps://mx.b.test:993/INBOX;UID=1" >"$T/imap1" 2>&1
check "bob reads it with curl imaps:// on B's 993 (certificate verified)" \
    grep -q "^Subject: deploy-one" "$T/imap1"

# Port 587, started by the admin: STARTTLS, then AUTH.
s6-svc -u "$T/a/scan/submission587"
up "$IPA" 587
mail deploy-587 >"$T/deploy-587.eml"
client curl -sS --ssl-reqd --cacert "$T/a/etc/facteur/tls/default/fullchain.pem" \
    --resolve "mx.a.test:587:$IPA" --url smtp://mx.a.test:587 \
    --mail-from alice@a.test --mail-rcpt bob@b.test --crlf \
    --user alice@a.test:pw-alice --upload-file "$T/deploy-587.eml" \
    >"$T/deploy-587.curl" 2>&1
check "s6-svc -u starts 587; curl smtp:// with STARTTLS (required) and AUTH: accepted" \
    test $? -eq 0
check "... and bob gets it" arrived deploy-587
client curl -sS --url smtp://mx.a.test:587 --resolve "mx.a.test:587:$IPA" \
    --mail-from alice@a.test --mail-rcpt bob@b.test --crlf \
    --user alice@a.test:pw-alice --upload-file "$T/deploy-587.eml" \
    >"$T/clear-587.curl" 2>&1
check "... without STARTTLS no login is possible (curl fails)" test $? -ne 0

# B's smtpd stops: A keeps the message and retries.  First A's session
# ends (remote-send keeps it open a moment for more mail): stopping
# tcpserver leaves running sessions alone.
# stop_b: wait (30 s) until no SMTP session is open on B, stop its smtpd.
stop_b() {
    i=0
    while [ $i -lt 300 ] &&
        [ -n "$(ip netns exec "$NSB" ss -Htn state established '( sport = :25 )')" ]; do
        sleep 0.1
        i=$((i + 1))
    done
    s6-svc -wD -T 10000 -d "$T/b/scan/smtpd" 2>/dev/null
}
stop_b
check "s6-svc -d stops B's smtpd (port 25 closed)" \
    sh -c "! ip netns exec $NSD $PY -c 'import socket; socket.create_connection((\"$IPB\", 25), 1)' 2>/dev/null"
submit deploy-two
check "the second message is accepted by A" test $? -eq 0
i=0
while [ $i -lt 300 ] && ! grep -q "deferred id=.* to=bob@b.test" "$LOGA"; do
    sleep 0.1
    i=$((i + 1))
done
check "A defers it (B does not answer)" grep -q "deferred id=.* to=bob@b.test" "$LOGA"
on a /usr/local/bin/facteur queue >"$T/queue-a"
check "... and keeps it in its queue" grep -q "to=bob@b.test" "$T/queue-a"
check "... not delivered meanwhile" test -z "$(inbox deploy-two)"
s6-svc -u "$T/b/scan/smtpd"
up "$IPB" 25
# No flush: queue-run's own retry (60 s after the first try).
i=0
while [ $i -lt 90 ] && [ -z "$(inbox deploy-two)" ]; do
    sleep 1
    i=$((i + 1))
done
check "B's smtpd back: A retries on its own and delivers (after ${i} s)" \
    test -n "$(inbox deploy-two)"
check "... A's log: deferred, then delivered to bob" \
    sh -c "grep 'to=bob@b.test' '$LOGA' | tail -n 2 | head -n 1 | grep -q deferred &&
        grep 'to=bob@b.test' '$LOGA' | tail -n 1 | grep -q 'delivered id='"
on a /usr/local/bin/facteur queue >"$T/queue-a2"
rcq=$?
check "A's queue is empty again (facteur queue: exit 0, no line)" \
    test "$rcq" -eq 0 -a ! -s "$T/queue-a2"
client curl -sS --cacert "$T/b/etc/facteur/tls/default/fullchain.pem" \
    --resolve "mx.b.test:993:$IPB" --user bob@b.test:pw-bob \
    "imaps://mx.b.test:993/INBOX;UID=3" >"$T/imap2" 2>&1
check "bob reads the second one over IMAPS" grep -q "^Subject: deploy-two" "$T/imap2"

# The backup MX.  C becomes one for b.test: the file backupmx, and an MX
# of preference 20 in the DNS; loop.test names C its best MX.
echo b.test >"$T/c/etc/facteur/backupmx"
echo loop.test >>"$T/c/etc/facteur/backupmx"
cat >"$T/x.zone" <<EOF
\$ORIGIN b.test.
b.test. IN MX 20 mx.c.test.
loop.test. IN MX 10 mx.c.test.
EOF
dns "$T/x.zone"
# waitlog FILE PATTERN [COUNT]: wait (30 s) for COUNT lines (default 1).
waitlog() {
    i=0
    while [ $i -lt 300 ] && [ "$(grep -c "$2" "$1" 2>/dev/null)" -lt "${3:-1}" ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ "$(grep -c "$2" "$1" 2>/dev/null)" -ge "${3:-1}" ]
}
stop_b
submit deploy-three
check "with B down, A takes the third message" test $? -eq 0
check "A delivers it to the backup MX C (MX 20), verified by DANE" \
    waitlog "$LOGA" "sent host=mx.c.test ip=$IPC tls=TLSv1.2:.* verified=DANE-EE"
LOGC=$T/c/scan/queue-run/log/main/current
check "C tries only the better MX (B), and defers" \
    waitlog "$LOGC" "deferred id=.* to=bob@b.test"
check "... never itself" sh -c "! grep -q 'host=mx.c.test' '$LOGC'"
check "... and B has not got it" test -z "$(inbox deploy-three)"
s6-svc -u "$T/b/scan/smtpd"
up "$IPB" 25
on c /usr/local/bin/facteur queue flush >/dev/null
check "B back, C's queue flushed: C relays it to B" arrived deploy-three
M3=$(inbox deploy-three)
[ -n "$M3" ] || M3=/dev/null
check "B got it from mx.c.test, over ESMTPS" \
    grep -q "^Received: from mx.c.test (\[$IPC\])" "$M3"
ar=$(sed -n '/^Authentication-Results: mx.b.test/,/^[^ \t]/p' "$M3" | tr -d '\n')
check "at B, SPF fails (C is not a.test's), A's DKIM signature still passes, and so DMARC ($ar)" \
    sh -c "echo '$ar' | grep -q 'spf=fail smtp.mailfrom=a.test' &&
        echo '$ar' | grep -q 'dkim=pass header.d=a.test' &&
        echo '$ar' | grep -q 'dmarc=pass'"
printf 'Subject: loop\n\nx\n' | on c /usr/local/bin/queue-inject -f carol@c.test x@loop.test
check "a domain whose best MX is C itself: it waits, 4.4.6 loops back to myself" \
    waitlog "$LOGC" "deferred id=.* to=x@loop.test reason=\"4.4.6 mail for loop.test loops back to myself"
check "the machine's own /etc has no facteur user" \
    sh -c "! getent passwd facteur-queue >/dev/null"
finish
