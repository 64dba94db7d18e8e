# 0340-facteur-init.sh - facteur init: what it creates and the modes, the
# BearSSL-made certificate as openssl and tlswrap see it, a second run
# that changes nothing, refusals, and, as root, a real system: make
# install and facteur init with their defaults, in a private mount
# namespace over copies of /etc, /var and /usr/local (tests/helpers/nshost),
# so the real system is never touched: the system users, the owners, the
# setuid queue-inject and the services' users writing the queue with it.
. "$(dirname "$0")/../lib.sh"
F=$BIN/facteur
C=$T/conf
export FACTEUR_CONF=$C
H=mail.example.test
Q=$T/spool/queue
M=$T/mail
S=$T/state
modes() { for f in "$@"; do stat -c %a "$f"; done | tr '\n' ' '; }
listing() { find "$C" "$Q" "$M" "$S" -printf '%p %m %s %T@\n' | sort; }

"$F" init --hostname "$H" --queue "$Q" --mailroot "$M" --statedir "$S" \
    --no-system-users >"$T/out1" 2>"$T/err1"
check "init: exit 0, nothing on stderr" \
    sh -c "[ $? -eq 0 ] && [ ! -s '$T/err1' ]"
check "configuration directory 0755, empty/ 0555" \
    test "$(modes "$C" "$C/empty")" = "755 555 "
check "domains and aliases (text, cdb) 0644" \
    test "$(modes "$C/domains" "$C/domains.cdb" "$C/aliases" "$C/aliases.cdb")" = "644 644 644 644 "
check "users and routes 0600, their cdbs 0640" \
    test "$(modes "$C/users" "$C/users.cdb" "$C/routes" "$C/routes.cdb")" = "600 640 600 640 "
check "tables empty, cdbs valid" \
    sh -c "[ ! -s '$C/routes' ] && [ \$(cdb -l -m '$C/routes.cdb' | wc -l) -eq 0 ]"
check "hostname, queuedir, mailroot, statedir recorded (0644)" \
    test "$(cat "$C/hostname")|$(cat "$C/queuedir")|$(cat "$C/mailroot")|$(cat "$C/statedir")|$(modes "$C/hostname")" = "$H|$Q|$M|$S|644 "
check "queue and its tmp mess todo info pool, 0750" \
    test "$(modes "$Q" "$Q/tmp" "$Q/mess" "$Q/todo" "$Q/info" "$Q/pool")" = "750 750 750 750 750 750 "
check "mail root 0750" test "$(modes "$M")" = "750 "
check "state directory 0755, its authfail/ and mta-sts/ 0700" \
    test "$(modes "$S" "$S/authfail" "$S/mta-sts")" = "755 700 700 "
check "tls/ and tls/default/ 0755, privkey.pem 0600, fullchain.pem 0644" \
    test "$(modes "$C/tls" "$C/tls/default" "$C/tls/default/privkey.pem" "$C/tls/default/fullchain.pem")" = "755 755 600 644 "
check "no temporary file left" \
    test "$(find "$C" -name '.*tmp*' | wc -l)" -eq 0
check "one line for each thing created (25)" \
    test "$(grep -c '^created ' "$T/out1")" -eq 25
check "output: the certificate" \
    contains "$T/out1" "created $C/tls/default/fullchain.pem (self-signed for $H"
check "output: the directories stay the caller's (no system users)" \
    contains "$T/out1" "no system users (--no-system-users): the queue and the mail root stay owned by uid"
check "output: what to do next" contains "$T/out1" "facteur domain add"

# The certificate, as openssl sees it.
K=$C/tls/default/privkey.pem
P=$C/tls/default/fullchain.pem
openssl x509 -in "$P" -noout -text >"$T/x509" 2>&1
check "X.509 v3" contains "$T/x509" "Version: 3 (0x2)"
check "subject and issuer CN=$H" \
    sh -c "grep -q 'Subject: CN = $H\$' '$T/x509' && grep -q 'Issuer: CN = $H\$' '$T/x509'"
check "subjectAltName DNS:$H" contains "$T/x509" "DNS:$H"
check "ECDSA P-256 key" contains "$T/x509" "NIST CURVE: P-256"
check "signed with ecdsa-with-SHA256" \
    contains "$T/x509" "Signature Algorithm: ecdsa-with-SHA256"
check "basicConstraints CA:FALSE, critical" \
    sh -c "grep -A1 'Basic Constraints: critical' '$T/x509' | grep -q 'CA:FALSE'"
check "keyUsage digitalSignature, critical" \
    sh -c "grep -A1 'Key Usage: critical' '$T/x509' | grep -q 'Digital Signature\$'"
check "extKeyUsage serverAuth" contains "$T/x509" "TLS Web Server Authentication"
check "serial: 16 bytes" \
    test "$(openssl x509 -in "$P" -noout -serial | sed 's/serial=//' | tr -d '\n' | wc -c)" -eq 32
now=$(date +%s)
nb=$(date -d "$(openssl x509 -in "$P" -noout -startdate | sed 's/.*=//')" +%s)
na=$(date -d "$(openssl x509 -in "$P" -noout -enddate | sed 's/.*=//')" +%s)
check "valid from an hour ago for 825 days" \
    test $((now - 3600 - nb)) -le 60 -a $((now - 3600 - nb)) -ge -60 \
    -a $((na - nb - 825 * 86400 - 3600)) -eq 0
check "openssl verify, the self-signature checked (-check_ss_sig)" \
    sh -c "openssl verify -check_ss_sig -CAfile '$P' '$P' >/dev/null"
openssl x509 -in "$P" -outform DER -out "$T/c.der"
$PY -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[-4] ^= 1; open(sys.argv[1], "wb").write(d)' "$T/c.der"
openssl x509 -inform DER -in "$T/c.der" -out "$T/bad.pem" 2>/dev/null
check "control: a flipped signature bit fails that check" \
    sh -c "! openssl verify -check_ss_sig -CAfile '$T/bad.pem' '$T/bad.pem' >/dev/null 2>&1"
check "the private key is PKCS#8 PEM" \
    test "$(head -n 1 "$K")" = "-----BEGIN PRIVATE KEY-----"
check "the key's public half is the certificate's" \
    test "$(openssl pkey -in "$K" -pubout)" = "$(openssl x509 -in "$P" -noout -pubkey)"

# A second run changes nothing, with or without the options.
listing >"$T/l1"
sleep 1 # so a rewritten file would show a new mtime
"$F" init --hostname "$H" --queue "$Q" --mailroot "$M" --statedir "$S" \
    --no-system-users >"$T/out2" 2>&1
check "second init: exit 0" test $? -eq 0
check "second init: says nothing changed" contains "$T/out2" "nothing changed"
check "second init: no 'created' line" sh -c "! grep -q '^created' '$T/out2'"
"$F" init --no-system-users >"$T/out3" 2>&1
check "init without options uses what is recorded" \
    sh -c "[ $? -eq 0 ] && grep -q 'nothing changed' '$T/out3'"
listing >"$T/l2"
check "no file or directory changed (name, mode, size, mtime)" \
    cmp -s "$T/l1" "$T/l2"

# Refusals.
check "--queue differing from the recorded queuedir: 1" \
    test "$(code "$F" init --queue "$T/other" --no-system-users)" = 1
check "... and the message names queuedir and both paths" \
    sh -c "grep -q 'queuedir is recorded as $Q' '$T/e' && grep -q '$T/other' '$T/e'"
check "--hostname differing from the recorded one: 1" \
    test "$(code "$F" init --hostname other.example.test --no-system-users)" = 1
check "--mailroot differing: 1" \
    test "$(code "$F" init --mailroot "$T/m2" --no-system-users)" = 1
check "--statedir differing: 1" \
    test "$(code "$F" init --statedir "$T/s2" --no-system-users)" = 1
check "a relative --queue: 100" test "$(code "$F" init --queue spool)" = 100
check "a --queue with '..': 100" \
    test "$(code "$F" init --queue "$T/a/../b")" = 100
check "a malformed --hostname: 100" \
    test "$(code "$F" init --hostname 'bad_name')" = 100
check "an unknown option: 100" test "$(code "$F" init --frobnicate)" = 100
check "an option without its value: 100" test "$(code "$F" init --queue)" = 100
listing >"$T/l3"
check "refusals changed nothing" cmp -s "$T/l1" "$T/l3"

C2=$T/conf2
mkdir -p "$C2/tls/default"
cp "$K" "$C2/tls/default/"
check "a key without its certificate: 1, and nothing created" \
    sh -c "[ \$(FACTEUR_CONF='$C2' '$F' init --hostname $H --queue '$T/q2' \
        --mailroot '$T/m2' --no-system-users >/dev/null 2>&1; echo \$?) = 1 ] \
        && [ ! -e '$T/q2' ] && [ ! -e '$C2/hostname' ]"
check "the queue inside the mail root: 100" \
    test "$(code env FACTEUR_CONF="$T/conf3" "$F" init --hostname "$H" --queue "$T/m3/q" --mailroot "$T/m3")" = 100
check "the state directory inside the queue: 100" \
    test "$(code env FACTEUR_CONF="$T/conf3" "$F" init --hostname "$H" --queue "$T/q3" --mailroot "$T/m3" --statedir "$T/q3/state")" = 100
sys=$(hostname)
case $sys in
*.*) skip "the system's host name has a dot; the no-FQDN refusal is not testable here" ;;
*)
    if grep -qw "$sys" /etc/hosts; then
        check "no --hostname and no FQDN for '$sys': 1, asking for --hostname" \
            sh -c "[ \$(FACTEUR_CONF='$T/conf4' '$F' init --queue '$T/q4' --mailroot '$T/m4' --no-system-users >/dev/null 2>'$T/e4'; echo \$?) = 1 ] && grep -q -- '--hostname' '$T/e4' && [ ! -e '$T/conf4' ]"
    else
        skip "'$sys' is not in /etc/hosts: looking it up would query the DNS"
    fi
    ;;
esac

# tlswrap serves the certificate: a verified handshake for the host name.
PORT=$(freeport)
serve "$T/log" "$PORT" "$BIN/tlswrap" -u 64010:64010 -k 64011:64011 \
    "$TBIN/linesrv"
printf 'QUIT\r\n' | sclient "$PORT" -servername "$H" -verify_return_error \
    -CAfile "$P" -verify_hostname "$H"
check "tlswrap serves it; s_client verifies chain and host name" \
    sh -c "grep -q 'Verify return code: 0 (ok)' '$T/out' && grep -q '221 bye' '$T/out'"
check "the peer certificate is the one init made" \
    contains "$T/out" "subject=CN = $H"
printf 'QUIT\r\n' | sclient "$PORT" -verify_return_error -CAfile "$P" \
    -verify_hostname other.example.test
check "control: another host name does not verify" \
    sh -c "! grep -q '221 bye' '$T/out'"

# A real system, as root: make install and facteur init with their
# defaults, on copies of /etc, /var and /usr/local (nshost).
if ! is_root; then
    skip "system users: facteur init makes them only as root"
elif ! unshare -m true 2>/dev/null; then
    skip "system users: unshare -m is refused here (no mount namespace)"
elif getent passwd facteur-queue >/dev/null; then
    skip "system users: facteur-queue exists on this machine already"
else
    X=$T/host
    host() { env -u FACTEUR_CONF "$TOP/tests/helpers/nshost" "$X" - "$@"; }
    host sh -c "make -s -C '$TOP' install >'$T/inst1' 2>&1" 
    check "make install (PREFIX /usr/local) before init: nothing setuid yet" \
        sh -c "[ -x '$X/usr-local/bin/facteur' ] && [ -z \"\$(find '$X/usr-local' -perm /6000)\" ]"
    # certbot's layout: live/ links into archive/.
    le() {
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -days "$2" -subj "/CN=$H" -addext "subjectAltName=DNS:$H" \
            -keyout "$X/etc/letsencrypt/archive/$H/privkey$1.pem" \
            -out "$X/etc/letsencrypt/archive/$H/fullchain$1.pem" 2>/dev/null
        ln -sfn "../../archive/$H/fullchain$1.pem" "$X/etc/letsencrypt/live/$H/fullchain.pem"
        ln -sfn "../../archive/$H/privkey$1.pem" "$X/etc/letsencrypt/live/$H/privkey.pem"
    }
    mkdir -p "$X/etc/letsencrypt/archive/$H" "$X/etc/letsencrypt/live/$H"
    le 1 90
    host /usr/local/bin/facteur init --hostname $H >"$T/u1" 2>&1
    check "init as root: exit 0" test $? -eq 0
    check "certbot's certificate for $H: tls/default links to it, said in the output" \
        sh -c "grep -q '^linked /etc/facteur/tls/default/fullchain.pem and privkey.pem to /etc/letsencrypt/live/$H/' '$T/u1' &&
            [ \"\$(readlink '$X/etc/facteur/tls/default/fullchain.pem')\" = /etc/letsencrypt/live/$H/fullchain.pem ] &&
            [ \"\$(readlink '$X/etc/facteur/tls/default/privkey.pem')\" = /etc/letsencrypt/live/$H/privkey.pem ] &&
            ! grep -q 'self-signed' '$T/u1'"
    host /usr/local/bin/facteur check --no-dns >"$T/le1"
    le 2 60
    host /usr/local/bin/facteur check --no-dns >"$T/le2"
    check "facteur check loads it through the links; a renewal is seen without init" \
        sh -c "grep -Eq '^ok: the certificate for default \(EC\) expires in (89|90) days' '$T/le1' &&
            grep -Eq '^ok: the certificate for default \(EC\) expires in (59|60) days' '$T/le2'"
    host sh -c 'cp /etc/passwd /etc/group "$0"' "$T" 2>/dev/null
    cp "$X/etc/passwd" "$T/passwd1"
    host /usr/local/bin/facteur init >"$T/u2" 2>&1
    check "second run as root: exit 0, nothing changed" \
        sh -c "[ $? = 0 ] && grep -q 'nothing changed' '$T/u2'"
    check "second run: existing users left alone" cmp -s "$T/passwd1" "$X/etc/passwd"
    host sh -c 'for u in facteur-queue facteur-mail facteur-smtpd facteur-auth facteur-tls facteur-tlskey; do
        getent passwd $u; getent group $u | cut -d: -f1; done' >"$T/pw"
    check "six system users, each with its own group" \
        test "$(grep -c '^facteur-' "$T/pw")" -eq 12
    check "system users: no home, no shell, system uids" \
        test "$(awk -F: 'NF == 7 && $6 == "/nonexistent" && $7 == "/usr/sbin/nologin" && $3 < 1000' "$T/pw" | wc -l)" -eq 6
    check "output names each user created" \
        test "$(grep -c '^created system user facteur-' "$T/u1")" -eq 6
    host sh -c 'q=/var/spool/facteur; cat /etc/facteur/queuedir /etc/facteur/mailroot /etc/facteur/statedir;
        stat -c "%n %U:%G %a" $q $q/tmp $q/mess $q/todo $q/info $q/pool /var/mail/facteur \
        /var/lib/facteur /var/lib/facteur/authfail /var/lib/facteur/mta-sts \
        /usr/local/bin/queue-inject' >"$T/own"
    check "the defaults recorded: /var/spool/facteur, /var/mail/facteur, /var/lib/facteur" \
        test "$(head -n 3 "$T/own" | tr '\n' ' ')" = "/var/spool/facteur /var/mail/facteur /var/lib/facteur "
    check "the queue belongs to facteur-queue (0750)" \
        test "$(grep -c "^/var/spool/facteur[a-z/]* facteur-queue:facteur-queue 750\$" "$T/own")" -eq 6
    check "the mail root belongs to facteur-mail (0750)" \
        grep -q "^/var/mail/facteur facteur-mail:facteur-mail 750\$" "$T/own"
    check "the state directory root's (0755), authfail/ root's, mta-sts/ remote-send's user's (0700)" \
        sh -c "grep -q '^/var/lib/facteur root:root 755\$' '$T/own' &&
            grep -q '^/var/lib/facteur/authfail root:root 700\$' '$T/own' &&
            grep -q '^/var/lib/facteur/mta-sts facteur-smtpd:facteur-smtpd 700\$' '$T/own'"
    check "queue-inject setuid facteur-queue, 04711 (said in the output)" \
        sh -c "grep -q '^/usr/local/bin/queue-inject facteur-queue:facteur-queue 4711\$' '$T/own' &&
            grep -q '^made /usr/local/bin/queue-inject setuid facteur-queue' '$T/u1'"
    check "nothing else installed is setuid or setgid" \
        test "$(find "$X/usr-local" -perm /6000 | wc -l)" -eq 1
    # The users the services run as queue mail through it; a caller's
    # FACTEUR_CONF does not choose the queue it writes.
    for u in facteur-smtpd facteur-mail; do
        printf 'Subject: from %s\n\nhello\n' $u | host env FACTEUR_CONF="$T/conf" \
            setpriv --reuid=$u --regid=$u --clear-groups \
            /usr/local/bin/queue-inject -f sender@example.test rcpt@example.net
        echo $? >>"$T/qi.rc"
    done
    check "queue-inject as facteur-smtpd and facteur-mail: exit 0 twice" \
        test "$(cat "$T/qi.rc" | tr '\n' ' ')" = "0 0 "
    host /usr/local/bin/facteur queue >"$T/queue"
    check "both messages in the system's queue" \
        test "$(grep -c 'from=<sender@example.test> to=rcpt@example.net' "$T/queue")" -eq 2
    check "... not in the queue FACTEUR_CONF named" \
        test -z "$(ls "$Q/todo")"
    printf 'x\n' | host setpriv --reuid=65534 --regid=65534 --clear-groups \
        sh -c 'echo x >/var/spool/facteur/tmp/x' 2>/dev/null
    check "control: without queue-inject, the services' users cannot write the queue" \
        test ! -e "$X/var/spool/facteur/tmp/x"
    host /usr/local/bin/facteur check --no-dns >"$T/check"
    check "facteur check: queue-inject setuid to the queue's owner, the directories there" \
        sh -c "grep -q '^ok: queue-inject is setuid to the queue.s owner (facteur-queue)' '$T/check' &&
            grep -q '^ok: the queue, the mail root and the state directory /var/lib/facteur exist' '$T/check'"
    # The bit lost (a copy installed by hand): check names the problem.
    host chmod 0755 /usr/local/bin/queue-inject
    host /usr/local/bin/facteur check --no-dns >"$T/check2"
    check "queue-inject no longer setuid: facteur check, a problem with the fix" \
        sh -c "grep -q '^problem: the queue /var/spool/facteur belongs to facteur-queue but /usr/local/bin/queue-inject is not setuid to it' '$T/check2' &&
            grep -q 'fix: facteur init (as root) makes it setuid' '$T/check2'"
    host sh -c "make -s -C '$TOP' install >'$T/inst2' 2>&1"
    check "make install again (an upgrade) keeps queue-inject setuid" \
        test "$(host stat -c '%U %a' /usr/local/bin/queue-inject)" = "facteur-queue 4711"
    check "the real /etc is untouched" \
        sh -c "! getent passwd facteur-queue >/dev/null"
fi
finish
