# 0620-spf.sh - SPF (RFC 7208) through the real resolver against a test
# zone: every mechanism and modifier, CIDR, macros, include results,
# redirect, the lookup and void limits, several records, temperror.
. "$(dirname "$0")/../lib.sh"
if ! /usr/bin/python3 -c 'import dnslib' 2>/dev/null; then
    skip "needs python3-dnslib (sh tools/deps test)"
    finish
fi
DP=$(freeport)
cat >"$T/zone" <<'EOF2'
$ORIGIN test.
a.test. TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
mxs.test. TXT "v=spf1 mx -all"
mxs.test. MX 10 mx.mxs.test.
mx.mxs.test. A 198.51.100.7
arec.test. TXT "v=spf1 a:host.arec.test/30 ~all"
host.arec.test. A 203.0.113.4
inc.test. TXT "v=spf1 include:a.test ?all"
incnone.test. TXT "v=spf1 include:nothing.test -all"
redir.test. TXT "v=spf1 redirect=a.test"
macro.test. TXT "v=spf1 exists:%{ir}.%{l1r-}.e.macro.test -all"
7.2.0.192.bob.e.macro.test. A 127.0.0.2
two.test. TXT "v=spf1 -all"
two.test. TXT "v=spf1 +all"
many.test. TXT "v=spf1 a:1.test a:2.test a:3.test a:4.test a:5.test a:6.test a:7.test a:8.test a:9.test a:10.test a:11.test -all"
voids.test. TXT "v=spf1 a:v1.test a:v2.test a:v3.test -all"
bad.test. TXT "v=spf1 foo:bar -all"
neutral.test. TXT "v=spf1 ip4:10.0.0.1"
temp.test. TXT "v=spf1 include:fail.test -all"
ptr.test. TXT "v=spf1 ptr -all"
EOF2
for k in 1 2 3 4 5 6 7 8 9 10 11; do echo "$k.test. A 10.9.9.$k"; done >>"$T/zone"
/usr/bin/python3 "$TOP/tests/helpers/dnsserver.py" --zone "$T/zone" \
    --servfail fail.test "$DP" 2>>"$T/log" &
PIDS="$PIDS $!"
export FACTEUR_RESOLVER="127.0.0.1:$DP"
sleep 0.5
spf() { "$TBIN/spfq" "$@" 2>&1; }
# is RESULT ARGS...: the result word is RESULT.
is() {
    want=$1
    shift
    got=$(spf "$@")
    [ "${got%%:*}" = "$want" ] || { echo "# got: $got"; return 1; }
}
check "ip4 in the /24: pass" is pass 192.0.2.7 u@a.test h.test
check "ip6 in the /32: pass" is pass 2001:db8::5 u@a.test h.test
check "elsewhere: fail (-all)" is fail 198.51.100.1 u@a.test h.test
check "IPv4-mapped IPv6 counts as IPv4" is pass ::ffff:192.0.2.9 u@a.test h.test
check "mx: pass for the MX's address" is pass 198.51.100.7 u@mxs.test h.test
check "a:host/30: pass inside the /30" is pass 203.0.113.6 u@arec.test h.test
check "a:host/30: softfail outside (~all)" is softfail 203.0.113.9 u@arec.test h.test
check "include: pass through the included record" is pass 192.0.2.1 u@inc.test h.test
check "include of a failing record: no match, then ?all: neutral" \
    is neutral 10.1.1.1 u@inc.test h.test
check "include of a domain without SPF: permerror" is permerror 192.0.2.1 u@incnone.test h.test
check "redirect=: the other domain's result" is fail 10.1.1.1 u@redir.test h.test
check "redirect=: pass" is pass 192.0.2.200 u@redir.test h.test
check "macros %{ir} and %{l1r-} in exists:" is pass 192.0.2.7 bob-x@macro.test h.test
check "exists: no such name: fail" is fail 192.0.2.8 bob-x@macro.test h.test
check "two SPF records: permerror" is permerror 192.0.2.1 u@two.test h.test
check "more than 10 lookups: permerror" is permerror 10.9.9.11 u@many.test h.test
check "more than 2 void lookups: permerror" is permerror 10.0.0.1 u@voids.test h.test
check "an unknown mechanism: permerror" is permerror 10.0.0.1 u@bad.test h.test
check "no term matches, no all: neutral" is neutral 10.0.0.2 u@neutral.test h.test
check "no record at all: none" is none 10.0.0.2 u@nothing.test h.test
check "SERVFAIL in an include: temperror" is temperror 10.0.0.2 u@temp.test h.test
check "ptr never matches (deprecated, no reverse lookups): fail" \
    is fail 10.0.0.2 u@ptr.test h.test
check "the reason names the matching term" \
    sh -c "'$TBIN/spfq' 192.0.2.7 u@a.test h.test | grep -q \"matched '+ip4:192.0.2.0/24' at a.test\""
finish
