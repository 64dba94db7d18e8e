# 0600-dns.sh - lib/dns (through tests/bin/dnsq) against the test DNS
# server tests/helpers/dnsserver.py on loopback: record types, CNAME
# chains, temporary and permanent failures kept apart, TCP after TC,
# forged answers ignored, and how the resolver is chosen.
. "$(dirname "$0")/../lib.sh"
Q=$TBIN/dnsq
P=$(freeport)
export FACTEUR_CONF=$T/conf
mkdir -p "$FACTEUR_CONF"
# Three tries of 200 ms for what never gets an answer.
export FACTEUR_DNS_TIMEOUT_MS=200
export FACTEUR_RESOLVER=127.0.0.1:$P

long=$(printf '%0250d' 0)
hex32=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
{
    cat <<EOF
\$ORIGIN example.test.
\$TTL 300
@            MX    20 mx2
@            MX    10 mx1
@            MX    10 MX0.Example.TEST.
@            A     192.0.2.1
@            AAAA  2001:db8::1
@            TXT   "v=spf1 " "ip4:192.0.2.0/24 " "-all"
@            TXT   "second"
mx1          A     192.0.2.10
_25._tcp.mx1 TLSA  3 1 1 $hex32
_25._tcp.mx2 TLSA  3 0 0 $hex32$hex32$hex32
null         MX    0 .
badmx        MX    10 bad_host.example.test.
mixmx        MX    10 bad_host.example.test.
mixmx        MX    20 mx1.example.test.
www          CNAME alias1
alias1       CNAME alias2.example.test.
alias2       A     192.0.2.20
dangling     CNAME nowhere.example.test.
loop1        CNAME loop2
loop2        CNAME loop1
signed       A     192.0.2.30
big          A     192.0.2.40
big          A     192.0.2.41
bare         A     192.0.2.42
servfail     A     192.0.2.50
silent       A     192.0.2.51
badid        A     192.0.2.52
spoofed      A     192.0.2.53
EOF
    # A chain of 8 links (the most followed) and one of 9.
    for i in 0 1 2 3 4 5 6 7 8; do
        echo "c$i CNAME c$((i + 1))"
        [ "$i" -lt 8 ] && echo "d$i CNAME d$((i + 1))"
    done
    echo "c9 A 192.0.2.60"
    echo "d8 A 192.0.2.61"
    # Too big for 1232 bytes over UDP: the server sets TC by itself.
    for i in 1 2 3 4 5 6; do echo "bigtxt TXT \"$i$long\""; done
    # More records than DNS_ANSWERS_MAX (64).
    for i in $(seq 1 65); do echo "many A 192.0.2.$i"; done
} >"$T/zone"

v6=""
if $PY -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
    2>/dev/null; then
    v6="--addr ::1"
fi
# shellcheck disable=SC2086
$PY "$TOP/tests/helpers/dnsserver.py" --zone "$T/zone" --log "$T/log" \
    --addr 127.0.0.1 $v6 --ad signed.example.test \
    --tc big.example.test --tc-bare bare.example.test \
    --servfail servfail.example.test --drop silent.example.test \
    --badid badid.example.test --spoof spoofed.example.test \
    "$P" 2>"$T/dnsserver.err" &
PIDS="$PIDS $!"
wait_port "$P" || echo "# dnsserver did not start: $(cat "$T/dnsserver.err")"

# is EXPECTED TYPE NAME: dnsq's output and "rc=N" are EXPECTED.
is() {
    exp=$1
    shift
    got=$("$Q" "$@" 2>&1; echo "rc=$?")
    [ "$got" = "$exp" ] && return 0
    printf 'expected:\n%s\ngot:\n%s\n' "$exp" "$got" | sed 's/^/# /'
    return 1
}
# one_a NAME FINAL ADDR: dnsq a NAME gives the one address ADDR, at
# FINAL (after CNAMEs).
one_a() {
    is "ok ad=0 rcode=0 name=$2 n=1
a $3
rc=0" a "$1"
}
# temp TYPE NAME: dnsq says temporary, with nothing else.
temp() {
    is "temp ad=0 rcode=0 name= n=0
rc=3" "$@"
}
# asked PROTO NAME TYPE: how many times the server saw that query.
asked() { grep -c "^$1 $2 $3 " "$T/log"; }
quiet() { "$@" >/dev/null 2>&1; }
# temp_after LINE-START TRIES NAME: dnsq a NAME is temporary (exit 3),
# its first line starts so, after TRIES queries over UDP.
temp_after() {
    "$Q" a "$3" >"$T/o"
    [ $? -eq 3 ] && grep -q "^$1" "$T/o" && [ "$(asked udp "$3" A)" -eq "$2" ]
}
# over_tcp NAME: dnsq a NAME gives 192.0.2.40 and .41, asked over TCP.
over_tcp() {
    "$Q" a "$1" >"$T/o" &&
        [ "$(tail -n 2 "$T/o" | tr '\n' ' ')" = \
            "a 192.0.2.40 a 192.0.2.41 " ] &&
        [ "$(asked tcp "$1" A)" -eq 1 ]
}
# bigtxt: the six long TXT records, whole.
bigtxt() {
    "$Q" txt bigtxt.example.test >"$T/o" &&
        grep -q '^ok ad=0 rcode=0 name=bigtxt.example.test n=6$' "$T/o" &&
        [ "$(grep -c "^txt \"[1-6]$long\"\$" "$T/o")" -eq 6 ]
}
# fast_temp: nothing listens: dnsq is temporary within 2 seconds, though
# each try could wait 5.
fast_temp() {
    s=$(date +%s)
    FACTEUR_RESOLVER=127.0.0.1:1 FACTEUR_DNS_TIMEOUT_MS=5000 \
        "$Q" a example.test >/dev/null
    [ $? -eq 3 ] && [ $(($(date +%s) - s)) -le 2 ]
}

check "MX: sorted by preference, stable, names in lower case" \
    is "ok ad=0 rcode=0 name=example.test n=3
mx 10 mx1.example.test
mx 10 mx0.example.test
mx 20 mx2.example.test
rc=0" mx example.test
check "null MX (RFC 7505): one record, host \"\"" \
    is "ok ad=0 rcode=0 name=null.example.test n=1
mx 0 .
rc=0" mx null.example.test
check "A" one_a example.test example.test 192.0.2.1
check "AAAA" is "ok ad=0 rcode=0 name=example.test n=1
aaaa 2001:db8::1
rc=0" aaaa example.test
check "TXT: each record's strings joined" \
    is "ok ad=0 rcode=0 name=example.test n=2
txt \"v=spf1 ip4:192.0.2.0/24 -all\"
txt \"second\"
rc=0" txt example.test
check "TLSA under _25._tcp" \
    is "ok ad=0 rcode=0 name=_25._tcp.mx1.example.test n=1
tlsa 3 1 1 $hex32
rc=0" tlsa _25._tcp.mx1.example.test
check "TLSA data too long to hold: kept, with no data (unusable)" \
    is "ok ad=0 rcode=0 name=_25._tcp.mx2.example.test n=1
tlsa 3 0 0 
rc=0" tlsa _25._tcp.mx2.example.test
check "the name asked in any case, the answer's in lower case" \
    one_a MX1.Example.Test. mx1.example.test 192.0.2.10
check "MX whose exchange is not a host name: skipped" \
    is "ok ad=0 rcode=0 name=mixmx.example.test n=1
mx 20 mx1.example.test
rc=0" mx mixmx.example.test
check "MX with no usable exchange: temporary" \
    temp mx badmx.example.test

check "CNAME chain followed, name is its end" \
    one_a www.example.test alias2.example.test 192.0.2.20
check "CNAME query: the links and the end" \
    is "ok ad=0 rcode=0 name=alias1.example.test n=1
rc=0" cname www.example.test
check "a chain of DNS_CNAME_MAX (8) links is followed" \
    one_a d0.example.test d8.example.test 192.0.2.61
check "a chain of 9 links: temporary" \
    temp a c0.example.test
check "a CNAME loop: temporary, bounded" \
    temp a loop1.example.test

check "NXDOMAIN" is "nxdomain ad=0 rcode=3 name=nothere.example.test n=0
rc=2" mx nothere.example.test
check "NXDOMAIN at the end of a CNAME chain (RFC 6604)" \
    is "nxdomain ad=0 rcode=3 name=nowhere.example.test n=0
rc=2" a dangling.example.test
check "NODATA: the name exists, not that type" \
    is "nodata ad=0 rcode=0 name=mx1.example.test n=0
rc=1" aaaa mx1.example.test
check "NODATA: an empty non-terminal" \
    is "nodata ad=0 rcode=0 name=_tcp.mx1.example.test n=0
rc=1" tlsa _tcp.mx1.example.test
check "SERVFAIL: temporary, asked once" \
    temp_after "temp ad=0 rcode=2 " 1 servfail.example.test
check "no answer: temporary after DNS_TRIES (3) tries" \
    temp_after "temp ad=0 rcode=0 " 3 silent.example.test
check "an answer with another id is ignored: temporary" \
    temp a badid.example.test
check "forged answers (wrong id, question, source port) are ignored" \
    one_a spoofed.example.test spoofed.example.test 192.0.2.53
check "an invalid name is not asked: temporary" \
    temp a 'bad..example.test'

check "TC over UDP: asked again over TCP, the whole answer" \
    over_tcp big.example.test
check "TC without the question section: TCP too" \
    one_a bare.example.test bare.example.test 192.0.2.42
check "an answer too big for 1232 bytes comes whole over TCP" bigtxt
check "more than DNS_ANSWERS_MAX records: temporary" \
    temp a many.example.test
check "AD bit reported" is "ok ad=1 rcode=0 name=signed.example.test n=1
a 192.0.2.30
rc=0" a signed.example.test
check "queries carry EDNS0: UDP size 1232, DO set" \
    grep -q "^udp signed.example.test A edns=1232,do$" "$T/log"

if [ -n "$v6" ]; then
    check "FACTEUR_RESOLVER=[::1]:PORT" \
        quiet env FACTEUR_RESOLVER="[::1]:$P" "$Q" a mx1.example.test
    check "the server saw it on ::1 (FACTEUR_RESOLVER=[::1]:PORT)" \
        grep -q "^udp6 mx1.example.test A " "$T/log"
else
    skip "FACTEUR_RESOLVER=[::1]:PORT (no IPv6 loopback)"
fi
for bad in "127.0.0.1:" "127.0.0.1:99999" "[::1" "[127.0.0.1]:$P" \
    "localhost" "::1:$P:x"; do
    check "FACTEUR_RESOLVER=$bad: refused (111)" \
        test "$(code env FACTEUR_RESOLVER="$bad" "$Q" a example.test)" = 111
done
check "nothing listening (ICMP refused): temporary, at once" fast_temp

unset FACTEUR_RESOLVER
echo "127.0.0.1:$P" >"$FACTEUR_CONF/resolver"
check "the resolver file" one_a mx1.example.test mx1.example.test 192.0.2.10
if [ -n "$v6" ]; then
    echo " [::1]:$P " >"$FACTEUR_CONF/resolver"
    check "the resolver file with [IPv6]:PORT (blanks around)" \
        one_a mx1.example.test mx1.example.test 192.0.2.10
fi
echo "127.0.0.1:1" >"$FACTEUR_CONF/resolver"
check "FACTEUR_RESOLVER wins over the file" \
    quiet env FACTEUR_RESOLVER="127.0.0.1:$P" "$Q" a mx1.example.test
echo "not an address" >"$FACTEUR_CONF/resolver"
check "a malformed resolver file: refused (111)" \
    test "$(code "$Q" a example.test)" = 111
: >"$FACTEUR_CONF/resolver"
check "an empty resolver file: refused (111)" \
    test "$(code "$Q" a example.test)" = 111

# /etc/resolv.conf, and 127.0.0.1 when it names no server: in a network
# and mount namespace of their own, with the server on ADDR port 53 and
# the file bound over /etc/resolv.conf (ns.sh FILE ADDR).
cat >"$T/ns.sh" <<'EOF'
set -u
ip link set lo up && mount --bind "$1" /etc/resolv.conf || exit 1
"$PY" "$TOP/tests/helpers/dnsserver.py" --zone "$T/zone" --addr "$2" 53 &
for _ in $(seq 50); do
    "$PY" -c "import socket; socket.create_connection(('$2', 53), 1)" \
        2>/dev/null && break
    sleep 0.1
done
"$Q" a mx1.example.test
kill $!
EOF
# resolv_conf FILE ADDR: dnsq a mx1.example.test answers with FILE as
# /etc/resolv.conf, the server on ADDR, no FACTEUR_RESOLVER and no
# resolver file.
resolv_conf() {
    rm -f "$FACTEUR_CONF/resolver"
    env -u FACTEUR_RESOLVER PY="$PY" TOP="$TOP" T="$T" Q="$Q" \
        unshare -mn sh "$T/ns.sh" "$1" "$2" >"$T/o" 2>&1
    [ "$(head -n 1 "$T/o")" = "ok ad=0 rcode=0 name=mx1.example.test n=1" ] ||
        { sed 's/^/# /' "$T/o"; return 1; }
}
cat >"$T/resolv1" <<EOF
# comment
search example.test
nameserver fe80::1%eth0
nameserver$(printf '\t')127.0.0.2   # the first that parses
nameserver 192.0.2.99
EOF
printf 'search example.test\noptions ndots:2\n' >"$T/resolv2"
if is_root && unshare -mn true 2>/dev/null; then
    check "/etc/resolv.conf: its first usable nameserver" \
        resolv_conf "$T/resolv1" 127.0.0.2
    check "/etc/resolv.conf without a nameserver: 127.0.0.1" \
        resolv_conf "$T/resolv2" 127.0.0.1
else
    skip "/etc/resolv.conf (needs root and unshare)"
    skip "/etc/resolv.conf without a nameserver (needs root and unshare)"
fi
check "dnsq usage: 100" test "$(code "$Q" srv example.test)" = 100
finish
