# 0300-facteur-tables.sh - facteur domain/user/alias: text and cdb tables,
# yescrypt hashes, refusals with the right exit codes, the lock.
. "$(dirname "$0")/../lib.sh"
export FACTEUR_CONF=$T/conf
mkdir -p "$FACTEUR_CONF"
F=$BIN/facteur
C=$FACTEUR_CONF
code() { "$@" >"$T/o" 2>"$T/e" </dev/null; echo $?; }
lookup() { cdb -q "$C/$1.cdb" "$2" 2>/dev/null | tr '\0' '|'; }

check "domain add" test "$(code "$F" domain add Example.ORG)" = 0
"$F" domain add example.net
check "domain list (canonical, in order)" \
    test "$("$F" domain list | tr '\n' ' ')" = "example.org example.net "
check "domains.cdb has the domain" sh -c "cdb -q '$C/domains.cdb' example.org >/dev/null"
check "duplicate domain: 1" test "$(code "$F" domain add example.org)" = 1
check "bad domain name: 100" test "$(code "$F" domain add 'bad_name')" = 100
check "usage: 100" test "$(code "$F" domain frobnicate x)" = 100

echo 'correct horse' | "$F" user add Alice@EXAMPLE.org
check "user add: 0" test $? -eq 0
check "user list shows the canonical address" \
    test "$("$F" user list)" = "Alice@example.org"
check "yescrypt hash in users" grep -q '^Alice@example.org:\$y\$' "$C/users"
h=$(sed -n 's/^Alice@example.org://p' "$C/users")
check "users.cdb: hash then an empty mail directory" \
    test "$(lookup users Alice@example.org)" = "$h|"
check "users file 0600, users.cdb 0640" \
    test "$(stat -c %a "$C/users") $(stat -c %a "$C/users.cdb")" = "600 640"
check "mailboxes.cdb: the address, no hash, readable by all (0644)" \
    sh -c "cdb -q '$C/mailboxes.cdb' Alice@example.org >/dev/null &&
        test \"\$(cdb -q '$C/mailboxes.cdb' Alice@example.org)|\$(stat -c %a '$C/mailboxes.cdb')\" = '|644'"
check "an address starting with # is refused (the tables read # as a comment)" \
    test "$(echo x | code "$F" user add '"#a"@example.org')" = 100
rm "$C/mailboxes.cdb"
echo x | "$F" user add old@example.org
check "a missing mailboxes.cdb is made again from users" \
    sh -c "cdb -q '$C/mailboxes.cdb' Alice@example.org >/dev/null &&
        cdb -q '$C/mailboxes.cdb' old@example.org >/dev/null"
echo x | "$F" user del old@example.org
check "the hash verifies the password (libxcrypt via python crypt)" \
    $PY -W ignore -c "import crypt,sys; sys.exit(crypt.crypt('correct horse', '$h') != '$h')"
echo other | "$F" user add bob@unknown.example >/dev/null 2>"$T/e"
check "user in a domain that is not local: 1" test $? -eq 1
echo x | "$F" user add Alice@example.org 2>/dev/null
check "duplicate user: 1" test $? -eq 1
check "empty password refused: 100" \
    test "$(printf '\n' | "$F" user add carol@example.org 2>/dev/null; echo $?)" = 100
echo 'new secret' | "$F" user passwd Alice@example.org
h2=$(sed -n 's/^Alice@example.org://p' "$C/users")
check "passwd: a new hash, old password no longer matches" \
    $PY -W ignore -c "import crypt,sys; sys.exit(not (crypt.crypt('new secret', '$h2') == '$h2' and crypt.crypt('correct horse', '$h2') != '$h2'))"

"$F" alias add postmaster@example.org Alice@example.org bob@example.net
check "alias add" test $? -eq 0
check "aliases.cdb: targets as text0" \
    test "$(lookup aliases postmaster@example.org)" = "Alice@example.org|bob@example.net|"
"$F" alias add postmaster@example.org bob@example.net carol@example.net
check "alias add merges, no duplicate target" \
    test "$(lookup aliases postmaster@example.org)" = "Alice@example.org|bob@example.net|carol@example.net|"
"$F" alias del postmaster@example.org bob@example.net
check "alias del of one target" \
    test "$(lookup aliases postmaster@example.org)" = "Alice@example.org|carol@example.net|"
"$F" alias add @example.org Alice@example.org
check "catch-all @domain" test "$(lookup aliases @example.org)" = "Alice@example.org|"
check "alias named like a user: 1" \
    test "$(code "$F" alias add Alice@example.org bob@example.net)" = 1
check "alias to itself: 1" \
    test "$(code "$F" alias add x@example.org x@example.org)" = 1
check "alias with a bad target: 100" \
    test "$(code "$F" alias add x@example.org 'not an address')" = 100
echo pw | "$F" user add postmaster@example.org 2>/dev/null
check "user named like an alias: 1" test $? -eq 1
check "domain with users cannot be deleted: 1" \
    test "$(code "$F" domain del example.org)" = 1
"$F" alias del postmaster@example.org
check "alias del" sh -c "! cdb -q '$C/aliases.cdb' postmaster@example.org >/dev/null"
"$F" user del Alice@example.org
"$F" alias del @example.org
check "user del, then the domain can go" \
    test "$(code "$F" domain del example.org)" = 0

# A hand-edited table with a mistake: a clear error with file:line.
printf 'good@example.net:$y$x\nbad line\n' >"$C/users"
check "malformed table: 1 with file:line" \
    sh -c "[ \$(code() { '$F' user list >/dev/null 2>'$T/e'; echo \$?; }; code) = 1 ] && grep -q 'users:2: no' '$T/e'"
rm "$C/users"

# The lock: 20 users added at once, none lost.
i=0
while [ $i -lt 20 ]; do
    (echo "pw$i" | "$F" user add "u$i@example.net") &
    i=$((i + 1))
done
wait
check "20 concurrent user add: 20 users" test "$("$F" user list | wc -l)" -eq 20
check "and 20 keys in users.cdb" \
    test "$(cdb -l -m "$C/users.cdb" | wc -l)" -eq 20
finish
