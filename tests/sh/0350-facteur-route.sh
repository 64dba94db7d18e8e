# 0350-facteur-route.sh - facteur route add/del/list: the routes table as
# text (0600) and cdb (the exact bytes remote-send reads), the smarthost,
# AUTH passwords from stdin never listed, refusals with the right exit
# codes, and the conflict with local domains both ways.
. "$(dirname "$0")/../lib.sh"
facteur_conf
# the cdb value with NULs shown as |
value() { cdb -q "$C/routes.cdb" "$1" 2>/dev/null | tr '\0' '|'; }

check "route add DOMAIN HOST: 0" \
    test "$(code "$F" route add Example.COM MX.Example.NET)" = 0
check "defaults: port 25, tls=may; names in lower case" \
    test "$("$F" route list)" = "example.com mx.example.net:25 tls=may"
check "text line: DOMAIN: HOST:PORT tls=POLICY" \
    test "$(cat "$C/routes")" = "example.com: mx.example.net:25 tls=may"
check "cdb value: host, port, policy, empty user and password" \
    test "$(value example.com)" = "mx.example.net|25|may|||"
check "routes 0600, routes.cdb 0640" \
    test "$(stat -c %a "$C/routes") $(stat -c %a "$C/routes.cdb")" = "600 640"
check "the other tables exist too (services need them)" \
    sh -c "[ -f '$C/domains.cdb' ] && [ -f '$C/users.cdb' ] && [ -f '$C/aliases.cdb' ]"

check "smarthost '*' on port 465 with tls=encrypt: 0" \
    test "$(code "$F" route add '*' '[192.0.2.1]:465' --tls encrypt)" = 0
check "'*' in the cdb, address literal as given" \
    test "$(value '*')" = "[192.0.2.1]|465|encrypt|||"
check "IPv6 literal, canonical form" \
    test "$(code "$F" route add v6.example '[ipv6:2001:DB8:0::1]:2525' --tls none)" = 0
check "IPv6 literal in the cdb" \
    test "$(value v6.example)" = "[IPv6:2001:db8::1]|2525|none|||"

# AUTH: the password on stdin, one line; any byte but NUL and LF.
printf 'pa ss:w\rord\n' | "$F" route add example.org smtp.example.org:587 \
    --tls verify --auth me@example.org >"$T/o" 2>"$T/e"
check "route add --auth with the password on stdin: 0" test $? -eq 0
check "cdb value: user and the password's exact bytes (CR and space kept)" \
    sh -c "cdb -q '$C/routes.cdb' example.org | od -An -c | tr -s ' ' | tr -d '\n' | grep -qF 's m t p . e x a m p l e . o r g \0 5 8 7 \0 v e r i f y \0 m e @ e x a m p l e . o r g \0 p a s s : w \r o r d \0'"
check "text line: auth= and the password in base64" \
    grep -qx 'example.org: smtp.example.org:587 tls=verify auth=me@example.org pass=cGEgc3M6dw1vcmQ=' "$C/routes"
"$F" route list >"$T/list"
check "list shows the user" \
    grep -qx 'example.org smtp.example.org:587 tls=verify auth=me@example.org' "$T/list"
check "list never shows the password, plain or base64" \
    sh -c "! grep -q -e 'pass' -e 'cGEgc3M6dw1vcmQ' -e 'ord' '$T/list'"
check "list: one line a route" test "$(wc -l <"$T/list")" -eq 4
check "the routes file is still 0600 with a password in it" \
    test "$(stat -c %a "$C/routes")" = 600

# Refusals, one a line: the exit code wanted | standard input (printf
# %b: \n, \0) | the arguments of "route add" (split on blanks) | what.
long=$(head -c 256 /dev/zero | tr '\0' x)
set -f # no globbing of '*.example' or '[192.0.2.300]'
while IFS='|' read -r want input args what; do
    # shellcheck disable=SC2086
    got=$(printf '%b' "$input" | "$F" route add $args >/dev/null 2>"$T/e"
        echo $?)
    check "$what: $want" test "$got" = "$want"
done <<EOF
1|pw\n|a.example h --auth u|--auth with the default policy (may)
1|pw\n|a.example h --tls may --auth u|--auth with --tls may
1|pw\n|a.example h --tls none --auth u|--auth with --tls none
100||a.example h --tls encrypt --auth u|--auth with --tls encrypt, no password
100|a\0b\n|a.example h --tls encrypt --auth u|a password with a NUL byte
100|$long\n|a.example h --tls encrypt --auth u|a password of 256 bytes
1||a.example h:465 --tls none|port 465 (implicit TLS) with --tls none
100||a.example h:0|port 0
100||a.example h:65536|port 65536
100||a.example h:smtp|a port that is not a number
100||a.example bad_host|a bad host name
100||a.example 192.0.2.1|a bare IP address (not a literal)
100||a.example [192.0.2.300]|a bad address literal
100||a.example h --tls maybe|an unknown policy
100||a_b h|a bad domain
100||*.example h|a wildcard other than '*'
100||a.example|no HOST
100||a.example h --frob|an unknown option
EOF
set +f
echo pw | "$F" route add a.example h --auth u 2>"$T/e"
check "--auth with may is explained: the password could go in clear text" \
    contains "$T/e" "password could be sent in clear text"
check "an AUTH user with a space: 100" \
    test "$(echo pw | "$F" route add a.example h --tls encrypt --auth 'a b' >/dev/null 2>&1; echo $?)" = 100
check "an existing route: 1 (delete first)" \
    test "$(code "$F" route add example.com other.example.net)" = 1
check "... and the old route stays" \
    test "$(value example.com)" = "mx.example.net|25|may|||"
check "refusals wrote nothing" test "$("$F" route list | wc -l)" -eq 4

# Local domains and routes exclude each other.
check "domain add for a routed domain: 1" \
    test "$(code "$F" domain add example.com)" = 1
check "... with the way out in the message" \
    contains "$T/e" "facteur route del example.com"
"$F" domain add local.example
check "route add for a local domain: 1" \
    test "$(code "$F" route add local.example h)" = 1
check "... with the way out in the message" \
    contains "$T/e" "facteur domain del local.example"

# del
check "route del: 0" test "$(code "$F" route del EXAMPLE.com)" = 0
check "route del removes it from the cdb" \
    sh -c "! cdb -q '$C/routes.cdb' example.com >/dev/null"
check "route del of no route: 1" test "$(code "$F" route del example.com)" = 1
check "route del of a bad name: 100" test "$(code "$F" route del 'a_b')" = 100
check "route del '*'" test "$(code "$F" route del '*')" = 0
check "then domain add for the once-routed domain: 0" \
    test "$(code "$F" domain add example.com)" = 0

# A hand-edited table: every line is checked, errors say file:line.
printf '# smarthost\n*: [192.0.2.7]:587 tls=verify auth=u pass=cA==\nx.example: h tls=may auth=u pass=cA==\n' >"$C/routes"
check "a hand-edited line with auth and tls=may: 1, with file:line" \
    sh -c "[ \$(code() { '$F' route list >/dev/null 2>'$T/e'; echo \$?; }; code) = 1 ] && grep -q 'routes:3: auth needs' '$T/e'"
printf '*: [192.0.2.7]:587 tls=verify auth=u pass=cA==\nx.example h\n' >"$C/routes"
check "a line without ':': 1" \
    sh -c "'$F' route list >/dev/null 2>'$T/e'; [ \$? = 1 ] && grep -q 'routes:2:' '$T/e'"
printf '*:   [192.0.2.7]:587   tls=verify auth=u pass=cA==\n' >"$C/routes"
"$F" route add y.example h
check "a good hand-edited line is kept as written when the table is rewritten" \
    test "$(sed -n 1p "$C/routes")" = "*: [192.0.2.7]:587   tls=verify auth=u pass=cA=="
check "its password reaches the cdb as bytes" test "$(value '*')" = "[192.0.2.7]|587|verify|u|p|"
finish
