# 0360-facteur-import.sh - facteur user import exim-passwd|dovecot-passwd:
# the imported hashes let checkpassword accept the old passwords (and
# only them); all or nothing on a bad line, with file:line; --domain,
# --replace; user list marks the legacy MD5 hashes weak.
. "$(dirname "$0")/../lib.sh"
facteur_conf
M=$T/mail
mkdir -p "$M"
echo "$M" >"$C/mailroot"
echo 64013:64013 >"$C/mailowner"
"$F" domain add example.org
"$F" domain add example.net

md5() { printf %s "$1" | md5sum | cut -d' ' -f1; }
mkcrypt() {
    $PY -W ignore -c "import crypt, sys; m = sys.argv[2]
s = crypt.mksalt(crypt.METHOD_SHA512)[3:] if m == 'y' else crypt.mksalt(getattr(crypt, 'METHOD_' + m))
print(crypt.crypt(sys.argv[1], '\$y\$j9T\$' + s if m == 'y' else s))" "$1" "$2"
}
# login ADDR PW: checkpassword's exit code, USER it set in $T/cpo.
login() {
    printf '%s\0%s\0\0' "$1" "$2" |
        "$BIN/checkpassword" /usr/bin/printenv USER 3<&0 >"$T/cpo" 2>"$T/cpe"
    echo $?
}
# accepts ADDR PW: checkpassword exits 0 and runs the program as ADDR.
accepts() { test "$(login "$1" "$2")|$(cat "$T/cpo")" = "0|$1"; }
# refuses ADDR PW: checkpassword exits 1.
refuses() { test "$(login "$1" "$2")" = 1; }
# import ARGS...: facteur user import ARGS, output in $T/o and $T/e; the
# exit code.
import() { code "$F" user import "$@"; }

if ! is_root; then
    skip "checkpassword switches to the mailbox owner: needs root"
    finish
fi
chown 64013:64013 "$M"

# An Exim passwd file: ${md5:password} hex (upper case too), a crypt
# hash with {CRYPT}, Debian's third field (clear text) ignored.
SHA=$(mkcrypt 'sha pw' SHA512)
cat >"$T/exim" <<EOF
# Exim passwd for the smtp_auth authenticator
alice@example.org:$(md5 'alice pw')
Bob@EXAMPLE.org: {CRYPT}$SHA
carol@example.org:$(md5 'carol pw' | tr a-f A-F):carol-clear-text
EOF
check "exim-passwd import: 0" test "$(import exim-passwd "$T/exim")" = 0
check "summary: 3 imported, 0 skipped, 2 weak with the advice" \
    sh -c "grep -q '^3 imported, 0 skipped (already users), 2 weak (legacy MD5: .*facteur user passwd' '$T/o'"
check "MD5 stored as {PLAIN-MD5} lowercase hex" \
    grep -qx "carol@example.org:{PLAIN-MD5}$(md5 'carol pw')" "$C/users"
check "the clear-text third field is stored nowhere" \
    sh -c "! grep -rq carol-clear-text '$C'"
check "checkpassword accepts the MD5 password" accepts alice@example.org 'alice pw'
check "and refuses a wrong one" refuses alice@example.org 'alice pW'
check "the Maildir was made for the owner" \
    test "$(stat -c %u "$M/example.org/alice/new")" = 64013
check "upper-case hex MD5: accepted" accepts carol@example.org 'carol pw'
check "{CRYPT} sha512-crypt, canonical address" accepts Bob@example.org 'sha pw'
check "sha512-crypt: wrong password refused" refuses Bob@example.org 'alice pw'

# A Dovecot passwd-file, bare local parts with --domain.
BLF=$(mkcrypt 'blf pw' BLOWFISH)
YES=$(mkcrypt 'yes pw' y)
S256=$(mkcrypt 's256 pw' SHA256)
B64=$(printf %s 'md5 pw' | openssl md5 -binary | base64)
cat >"$T/dovecot" <<EOF
dave:{SHA512-CRYPT}$SHA:1000:1000::/home/dave::userdb_quota_rule=*:storage=1G
erin:{BLF-CRYPT}$BLF:1001:1001::/home/erin::
frank:{PLAIN-MD5}$B64
gina:$YES
henry@example.org:{crypt}$BLF
ivan:{SHA256-CRYPT}$S256:1002:1002::/home/ivan::
EOF
check "dovecot-passwd without --domain: 1, bare names reported" \
    sh -c "[ \$('$F' user import dovecot-passwd '$T/dovecot' 2>'$T/e' >/dev/null; echo \$?) = 1 ] && grep -q 'dovecot:1: .*--domain' '$T/e' && grep -q 'dovecot:4: ' '$T/e' && ! grep -q 'dovecot:5' '$T/e'"
check "and nothing imported" sh -c "! grep -q '^henry' '$C/users'"
check "dovecot-passwd --domain: 0" \
    test "$(import dovecot-passwd "$T/dovecot" --domain Example.NET)" = 0
check "summary: 6 imported, 1 weak" \
    grep -q '^6 imported, 0 skipped (already users), 1 weak' "$T/o"
check "{SHA512-CRYPT}" accepts dave@example.net 'sha pw'
check "{SHA512-CRYPT}: wrong password" refuses dave@example.net 'blf pw'
check "{BLF-CRYPT}" accepts erin@example.net 'blf pw'
check "{BLF-CRYPT}: wrong password" refuses erin@example.net 'sha pw'
check "{PLAIN-MD5} base64 normalized to hex" \
    grep -qx "frank@example.net:{PLAIN-MD5}$(md5 'md5 pw')" "$C/users"
check "{PLAIN-MD5} base64" accepts frank@example.net 'md5 pw'
check "{PLAIN-MD5}: wrong password" refuses frank@example.net 'md5 PW'
check "no scheme: {CRYPT} (yescrypt)" accepts gina@example.net 'yes pw'
check "yescrypt: wrong password" refuses gina@example.net 'yes'
check "a full address beside --domain keeps its domain" \
    accepts henry@example.org 'blf pw'
check "{SHA256-CRYPT}" accepts ivan@example.net 's256 pw'
check "{SHA256-CRYPT}: wrong password" refuses ivan@example.net 'sha pw'

check "user list: ' weak' for the MD5 hashes only" \
    test "$("$F" user list | tr '\n' ' ')" = "alice@example.org weak Bob@example.org carol@example.org weak dave@example.net erin@example.net frank@example.net weak gina@example.net henry@example.org ivan@example.net "

# Users already there are skipped; --replace gives them the new hash and
# keeps a mail directory override.
check "again: 0 imported, 3 skipped" \
    test "$(import exim-passwd "$T/exim")|$(cat "$T/o")" = "0|0 imported, 3 skipped (already users), 0 weak"
# A mail directory override, edited by hand (the import rewrites the cdbs).
sed -i "s|^alice@example.org:\\(.*\\)\$|alice@example.org:\\1:$M/alice-box|" "$C/users"
printf 'alice@example.org:%s\n' "$(md5 'alice new')" >"$T/exim2"
check "--replace: 0" test "$(import exim-passwd "$T/exim2" --replace)" = 0
check "summary: 1 imported (1 replaced)" \
    grep -q '^1 imported (1 replaced), 0 skipped (already users), 1 weak' "$T/o"
check "the mail directory override is kept" \
    grep -qx "alice@example.org:{PLAIN-MD5}$(md5 'alice new'):$M/alice-box" "$C/users"
check "the new password works" accepts alice@example.org 'alice new'
check "in the override directory" test -d "$M/alice-box/new"
check "the old one no longer does" refuses alice@example.org 'alice pw'

# One bad line: nothing imported, every bad line as file:line.
cp "$C/users" "$T/users.before"
cat >"$T/bad" <<EOF
ok1@example.org:$SHA
plain@example.org:{PLAIN}secret
remote@elsewhere.example:$SHA
ok2@example.org:$(md5 x)
cram@example.org:{CRAM-MD5}0123456789abcdef
md5crypt@example.org:\$1\$saltsalt\$qjXMvbEw8oaL.CzflDugX/
ok1@example.org:$SHA
EOF
check "a file with bad lines: 1" test "$(import exim-passwd "$T/bad")" = 1
check "{PLAIN} refused at bad:2" grep -q 'bad:2: unsupported scheme' "$T/e"
check "a domain that is not local refused at bad:3" \
    grep -q 'bad:3: elsewhere.example is not a local domain' "$T/e"
check "{CRAM-MD5} at bad:5, md5-crypt at bad:6" \
    sh -c "grep -q 'bad:5: unsupported' '$T/e' && grep -q 'bad:6: md5-crypt' '$T/e'"
check "a duplicate at bad:7" grep -q 'bad:7: ok1@example.org already appears at line 1' "$T/e"
check "the count, and nothing imported" \
    grep -q 'bad: 5 lines cannot be imported: nothing imported' "$T/e"
check "users unchanged" cmp -s "$C/users" "$T/users.before"
check "the good lines were not imported either" refuses ok1@example.org 'sha pw'

check "a domain that is not local alone: 1" sh -c \
    "printf 'z@example.com:%s\n' '$SHA' >'$T/nl'; [ \$('$F' user import exim-passwd '$T/nl' 2>'$T/e2' >/dev/null; echo \$?) = 1 ] && grep -q 'nl:1: example.com is not a local domain' '$T/e2'"
"$F" alias add al@example.org alice@example.org
printf 'al@example.org:%s\n' "$SHA" >"$T/al"
check "an alias: 1" test "$(import exim-passwd "$T/al")" = 1
check "said so" grep -q 'al:1: al@example.org is an alias' "$T/e"
{ printf 'long@example.org:{CRYPT}'; head -c 5000 /dev/zero | tr '\0' a; echo; } >"$T/long"
check "a line longer than 4096 bytes: 1" test "$(import dovecot-passwd "$T/long")" = 1
check "said so with file:line" grep -q 'long:1: line longer than 4096 bytes' "$T/e"
printf 'colon@example.org:{PLAIN-MD5}%s\n' "$(md5 a | cut -c1-30)" >"$T/short"
check "a short MD5: 1" test "$(import exim-passwd "$T/short")" = 1
printf 'mangled@example.org:%s\n' "$(echo "$SHA" | cut -c1-50)" >"$T/mangled"
check "a truncated sha512-crypt hash: 1" test "$(import dovecot-passwd "$T/mangled")" = 1
check "said so" grep -q 'mangled:1: not a well-formed sha512-crypt' "$T/e"
check "unknown format: 100" test "$(import shadow "$T/exim")" = 100
check "no file argument: 100" test "$(import exim-passwd)" = 100
check "bad --domain: 100" test "$(import dovecot-passwd "$T/dovecot" --domain 'bad_name')" = 100
check "missing file: 1" test "$(import exim-passwd "$T/none")" = 1
finish
