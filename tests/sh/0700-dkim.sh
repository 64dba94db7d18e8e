# 0700-dkim.sh - DKIM signing: facteur dkim keygen (the record matches the
# key), domain add makes the first key, facteur dns; dkim-sign as a
# qmail-queue filter (signed in the queue, verified by python3-dkim;
# a changed body or an added From: fails; LF input; an Ed25519 key
# adds an ed25519-sha256 signature (RFC 8463); no key passes
# unsigned; a broken key or one others may read is a temporary failure
# and queues nothing); end to end through submissiond and
# FACTEUR_QUEUE, to a local Maildir and through remote-send to another
# facteur.
. "$(dirname "$0")/../lib.sh"
if ! /usr/bin/python3 -c 'import dkim' 2>/dev/null; then
    skip "needs python3-dkim (sh tools/deps test)"
    finish
fi
setup_conf
C=$FACTEUR_CONF
setup_mail mx.example.org
F=$BIN/facteur
DS=$BIN/dkim-sign
LOG=$T/log

# verify FILE OWNER RECORD: python3-dkim verifies FILE (LF files, as in a
# Maildir, are read with CRLF) with RECORD as the TXT of OWNER: exit 0
# yes, 1 no, 2 it could not tell (an exception).
cat >"$T/verify.py" <<'PYEOF'
import sys, dkim
path, owner, rec = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
msg = open(path, "rb").read()
if b"\r\n" not in msg:
    msg = msg.replace(b"\n", b"\r\n")
def txt(name, timeout=5):
    return rec if name.rstrip(b".") == owner.rstrip(b".") else None
try:
    good = dkim.verify(msg, dnsfunc=txt)
except Exception as e:
    print(e, file=sys.stderr)
    sys.exit(2)
sys.exit(0 if good else 1)
PYEOF
verify() { /usr/bin/python3 "$T/verify.py" "$@"; }
# fails FILE OWNER RECORD: python3-dkim reads FILE and says no (exit 1).
fails() { /usr/bin/python3 "$T/verify.py" "$@"; [ $? -eq 1 ]; }
# record FILE OWNER: the TXT data printed for OWNER, strings joined.
record() {
    sed -n "s/^$2 IN TXT //p" "$1" | head -1 | sed 's/" "//g; s/"//g'
}
# pubkey KEYFILE: the base64 SubjectPublicKeyInfo, from openssl.
pubkey() { openssl pkey -in "$1" -pubout | sed '/-----/d' | tr -d '\n'; }

"$F" domain add example.org >"$T/add" 2>&1
check "domain add: exit 0, with a first key" test $? -eq 0
S0=$(cat "$C/dkim/example.org/selector")
check "domain add: the default selector is f + YYYYMM ($S0)" \
    test "$S0" = "f$(date -u +%Y%m)"
check "domain add: the key is 0600" \
    test "$(stat -c %a "$C/dkim/example.org/$S0.key")" = 600
R0=$(record "$T/add" "$S0._domainkey.example.org.")
check "domain add: prints the record, p= the key's (openssl pkey -pubout)" \
    test "$R0" = "v=DKIM1; k=rsa; p=$(pubkey "$C/dkim/example.org/$S0.key")"

"$F" dkim keygen example.org --selector s2 >"$T/kg" 2>&1
check "dkim keygen --selector s2: exit 0" test $? -eq 0
R2=$(record "$T/kg" s2._domainkey.example.org.)
check "keygen: the record's p= is the key's" \
    test "$R2" = "v=DKIM1; k=rsa; p=$(pubkey "$C/dkim/example.org/s2.key")"
check "keygen: TXT data cut into strings of at most 255 bytes" \
    sh -c "grep '^s2._domainkey' '$T/kg' | grep -o '\"[^\"]*\"' | awk 'length(\$0) > 257 {exit 1}'"
check "keygen: s2 is the active selector, the old key stays" \
    sh -c "[ \"\$(cat '$C/dkim/example.org/selector')\" = s2 ] && [ -f '$C/dkim/example.org/$S0.key' ]"
check "keygen: an existing selector is never replaced (1)" \
    test "$(code "$F" dkim keygen example.org --selector s2)" = 1
check "keygen: not a local domain (1)" \
    test "$(code "$F" dkim keygen other.example)" = 1
check "keygen: a bad selector (100)" \
    test "$(code "$F" dkim keygen example.org --selector 'a/b')" = 100

"$F" dns example.org >"$T/dns" 2>&1
check "dns: exit 0" test $? -eq 0
check "dns: MX, SPF, DMARC, the SRV records, each after a comment" \
    sh -c "grep -qx 'example.org. IN MX 10 mx.example.org.' '$T/dns' &&
        grep -qx 'example.org. IN TXT \"v=spf1 mx -all\"' '$T/dns' &&
        grep -qx '_dmarc.example.org. IN TXT \"v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org\"' '$T/dns' &&
        grep -qx '_submissions._tcp.example.org. IN SRV 0 1 465 mx.example.org.' '$T/dns' &&
        grep -qx '_submission._tcp.example.org. IN SRV 0 0 0 .' '$T/dns' &&
        grep -qx '_imaps._tcp.example.org. IN SRV 0 1 993 mx.example.org.' '$T/dns' &&
        grep -qx '_imap._tcp.example.org. IN SRV 0 0 0 .' '$T/dns' &&
        grep -qx '_pop3._tcp.example.org. IN SRV 0 0 0 .' '$T/dns' &&
        grep -qx '_pop3s._tcp.example.org. IN SRV 0 0 0 .' '$T/dns' &&
        test \$(grep -c '^;' '$T/dns') -ge 12"
check "dns: the DKIM record of the active selector" \
    test "$(record "$T/dns" s2._domainkey.example.org.)" = "$R2"
check "dns: the older key's record too, after the active one" \
    sh -c "[ '$(record "$T/dns" "$S0._domainkey.example.org.")' = '$R0' ] &&
        [ \$(grep -n '^s2._domainkey' '$T/dns' | cut -d: -f1) -lt \$(grep -n '^$S0._domainkey' '$T/dns' | cut -d: -f1) ]"
# spkihash PEM: the SHA-256 of the certificate's public key, from openssl.
spkihash() {
    openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
        sha256sum | cut -d' ' -f1
}
H1=$(spkihash "$C/tls/default/fullchain.pem")
H2=$(spkihash "$C/tls/default/fullchain-rsa.pem")
check "dns: TLSA 3 1 1 of the host's certificates (ECDSA and RSA) for 25, 465 and 993" \
    sh -c "for p in 25 465 993; do for h in $H1 $H2; do grep -qx \"_\$p._tcp.mx.example.org. IN TLSA 3 1 1 \$h\" '$T/dns' || exit 1; done; done"
"$F" dns example.org --mta-sts-policy >"$T/sts"
check "dns --mta-sts-policy: the policy file (testing, this MX, a week)" \
    sh -c "printf 'version: STSv1\\nmode: testing\\nmx: mx.example.org\\nmax_age: 604800\\n' | cmp -s - '$T/sts'"
ID=$(sha256sum <"$T/sts" | cut -c1-16)
check "dns: MTA-STS id, the policy's digest; the policy in comments; TLS-RPT" \
    sh -c "grep -qx '_mta-sts.example.org. IN TXT \"v=STSv1; id=$ID\"' '$T/dns' &&
        grep -qx ';   mode: testing' '$T/dns' &&
        grep -qx '_smtp._tls.example.org. IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@example.org\"' '$T/dns'"
echo enforce >"$C/mta-sts-mode"
"$F" dns example.org >"$T/dns4"
ID2=$(sha256sum <"$T/sts" | cut -c1-16)
check "dns: mta-sts-mode enforce: the policy says so, a new id" \
    sh -c "'$F' dns example.org --mta-sts-policy | grep -qx 'mode: enforce' &&
        ! grep -q 'id=$ID' '$T/dns4' && grep -q '_mta-sts.example.org. IN TXT \"v=STSv1; id=' '$T/dns4'"
echo sometimes >"$C/mta-sts-mode"
check "dns: a wrong mta-sts-mode: exit 1" \
    test "$(code "$F" dns example.org)" = 1
rm "$C/mta-sts-mode"
if command -v named-checkzone >/dev/null; then
    {
        printf '$ORIGIN example.org.\n$TTL 3600\n'
        printf '@ IN SOA ns hostmaster 1 3600 600 86400 3600\n@ IN NS ns\n'
        printf 'ns IN A 192.0.2.53\nmx IN A 192.0.2.25\n'
        cat "$T/dns"
    } >"$T/zone"
    check "dns: the output loads as a zone (named-checkzone)" \
        named-checkzone -q example.org "$T/zone"
    echo 'bad IN TLSA 3 1 1 xyz' >>"$T/zone"
    check "... and named-checkzone does refuse a bad zone" \
        sh -c "! named-checkzone -q example.org '$T/zone'"
else
    skip "named-checkzone (bind9-utils) not installed"
fi
mv "$C/tls/default/fullchain.pem" "$C/tls/default/fc"
check "dns: no certificate: said, exit 1" \
    sh -c "'$F' dns example.org >'$T/dns5' 2>'$T/dns5e'; [ \$? -eq 1 ] && grep -q 'no certificate' '$T/dns5e' && grep -q '_mta-sts' '$T/dns5'"
mv "$C/tls/default/fc" "$C/tls/default/fullchain.pem"
"$F" domain add nokey.example >/dev/null
rm -r "$C/dkim/nokey.example"
check "dns: no key for the domain: said, exit 1" \
    sh -c "'$F' dns nokey.example >'$T/dns2' 2>'$T/dns2e'; [ \$? -eq 1 ] && grep -q 'no DKIM key' '$T/dns2e' && grep -q '_dmarc.nokey.example' '$T/dns2'"
check "dns: not a local domain (1)" \
    test "$(code "$F" dns other.example)" = 1

# dkim-sign as its callers run it: message on fd 0, envelope on fd 1.
printf 'Falice@example.org\0Tbob@example.net\0\0' >"$T/env"
printf 'From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: signed  here\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n\r\nHello  world \r\n\r\n\r\n' >"$T/m1"
# sign FILE: run dkim-sign; its exit code; the new queue file in $new.
sign() {
    ls "$Q/mess" >"$T/before"
    "$DS" <"$1" 1<"$T/env" 2>>"$LOG"
    rc=$?
    new=$(ls "$Q/mess" | grep -vxF -f "$T/before" | head -1)
    [ -n "$new" ] && new=$Q/mess/$new
    return $rc
}
sign "$T/m1"
check "dkim-sign: exit 0, queued" sh -c "[ $? -eq 0 ] && [ -n '$new' ]"
m1=$new
id1=$(basename "$m1")
check "the envelope is queued unchanged" cmp -s "$T/env" "$Q/todo/$id1"
check "the queued message starts with its DKIM-Signature (after queue-inject's Received)" \
    sh -c "sed -n 3p '$m1' | grep -q '^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;'"
check "s=, t=, h= with From: over-signed" \
    sh -c "tr -d '\r\n\t' <'$m1' | grep -q 's=s2; *t=[0-9]*; *h=from:from:subject:date:message-id:to;'"
check "python3-dkim verifies the queued message" \
    verify "$m1" s2._domainkey.example.org "$R2"
check "the signer logged one line" \
    grep -q "dkim-sign: info: .* signed d=example.org s=s2" "$LOG"
sed 's/Hello  world/Hello  World/' "$m1" >"$T/bad1"
check "a changed body does not verify" \
    fails "$T/bad1" s2._domainkey.example.org "$R2"
# A From: added above the signed one: the bottom-up pick still finds the
# signed one, so only the over-signing catches it.
{ printf 'From: Mallory <m@evil.example>\r\n'; cat "$m1"; } >"$T/bad2"
check "a From: added on top does not verify (over-signed)" \
    fails "$T/bad2" s2._domainkey.example.org "$R2"
check "with the old selector's record, no (s2 signed it)" \
    fails "$m1" s2._domainkey.example.org "$R0"

printf 'From: alice@example.org\nTo: bob@example.net\nSubject: lf\n\nline one  \n\tline two\n' >"$T/m2"
sign "$T/m2"
check "LF input: queued" test -n "$new"
check "LF input: the queued (CRLF) message verifies" \
    verify "$new" s2._domainkey.example.org "$R2"

printf 'From: x@nokey.example\r\nSubject: unsigned\r\n\r\nx\r\n' >"$T/m3"
sign "$T/m3"
check "no key for the From: domain: queued (exit 0)" \
    sh -c "[ $? -eq 0 ] && [ -n '$new' ]"
check "no key: not signed, one log line" \
    sh -c "! grep -q '^DKIM-Signature' '$new' && grep -q 'not signed d=nokey.example reason=no-key' '$LOG'"
printf 'To: x@example.org\r\nSubject: no from\r\n\r\nx\r\n' >"$T/m4"
sign "$T/m4"
check "no From: field: queued unsigned" \
    sh -c "[ -n '$new' ] && ! grep -q '^DKIM-Signature' '$new'"

# A key openssl made, as PKCS#1 ("RSA PRIVATE KEY"): its public exponent
# is found even when BearSSL cannot recompute it (primes not 3 mod 4).
"$F" domain add ossl.example >/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
    openssl pkey -traditional -out "$C/dkim/ossl.example/o1.key"
chmod 600 "$C/dkim/ossl.example/o1.key"
echo o1 >"$C/dkim/ossl.example/selector"
printf 'From: x@ossl.example\r\nSubject: openssl key\r\n\r\nx\r\n' >"$T/m6"
sign "$T/m6"
check "an openssl key (RSA PRIVATE KEY): signed, verifies" \
    verify "$new" o1._domainkey.ossl.example \
    "v=DKIM1; k=rsa; p=$(pubkey "$C/dkim/ossl.example/o1.key")"
"$F" dns ossl.example >"$T/dns3"
check "dns: the record of an openssl key is openssl's public key" \
    test "$(record "$T/dns3" o1._domainkey.ossl.example.)" = \
    "v=DKIM1; k=rsa; p=$(pubkey "$C/dkim/ossl.example/o1.key")"

# A key that exists but cannot be used: temporary, nothing queued.
mkdir -p "$C/dkim/broken.example"
echo b1 >"$C/dkim/broken.example/selector"
printf -- '-----BEGIN PRIVATE KEY-----\nMIIBAAAA\n-----END PRIVATE KEY-----\n' \
    >"$C/dkim/broken.example/b1.key"
chmod 600 "$C/dkim/broken.example/b1.key"
printf 'From: x@broken.example\r\nSubject: broken\r\n\r\nx\r\n' >"$T/m5"
sign "$T/m5"
rc=$?
check "a broken key: exit 55 (temporary for qmail-queue callers), nothing queued" \
    sh -c "[ $rc -eq 55 ] && [ -z '$new' ]"
check "a broken key: the reason is logged" \
    grep -q "dkim-sign: fatal: .*broken.example/b1.key" "$LOG"
rm "$C/dkim/broken.example/b1.key"
sign "$T/m5"
rc=$?
check "a selector without its key: 55, nothing queued" \
    sh -c "[ $rc -eq 55 ] && [ -z '$new' ]"
cp "$C/dkim/example.org/s2.key" "$C/dkim/broken.example/b1.key"
chmod 644 "$C/dkim/broken.example/b1.key"
sign "$T/m5"
rc=$?
check "a key others may read: 55, nothing queued" \
    sh -c "[ $rc -eq 55 ] && [ -z '$new' ] && grep -q 'others may use it' '$LOG'"

if ! is_root; then
    skip "submission end to end needs root"
    finish
fi

# Ed25519 (RFC 8463): a second key, a second signature.
cat >"$T/verify2.py" <<'PYEOF'
import sys, dkim
path, recs = sys.argv[1], dict(a.encode().split(b"=", 1) for a in sys.argv[2:])
msg = open(path, "rb").read()
if b"\r\n" not in msg:
    msg = msg.replace(b"\n", b"\r\n")
def txt(name, timeout=5):
    return recs.get(name.rstrip(b"."))
d = dkim.DKIM(msg)
n = len([l for l in msg.split(b"\r\n") if l.lower().startswith(b"dkim-signature:")])
algs = []
for i in range(n):
    if not d.verify(idx=i, dnsfunc=txt):
        sys.exit(1)
    algs.append(d.signature_fields[b"a"].decode())
print(" ".join(sorted(algs)))
PYEOF
"$F" dkim keygen example.org --ed25519 --selector e1 >"$T/kge" 2>&1
check "dkim keygen --ed25519: exit 0, an Ed25519 key, selector-ed25519 names it" \
    sh -c "[ $? -eq 0 ] && grep -q 'created .*e1.key (Ed25519, 0600' '$T/kge' &&
        [ \"\$(cat '$C/dkim/example.org/selector-ed25519')\" = e1 ] &&
        [ \"\$(cat '$C/dkim/example.org/selector')\" = s2 ]"
RE=$(record "$T/kge" e1._domainkey.example.org.)
EDPUB=$(openssl pkey -in "$C/dkim/example.org/e1.key" -pubout -outform DER | tail -c 32 | base64)
check "its record: k=ed25519, p= the bare key (openssl's)" \
    test "$RE" = "v=DKIM1; k=ed25519; p=$EDPUB"
"$F" dns example.org >"$T/dnse"
check "dns: the Ed25519 record after the RSA one, not among the older keys" \
    sh -c "[ '$(record "$T/dnse" e1._domainkey.example.org.)' = '$RE' ] &&
        [ \$(grep -c '^e1._domainkey' '$T/dnse') -eq 1 ] &&
        grep -q '^; DKIM (RFC 8463): the Ed25519 key of the active selector, e1' '$T/dnse'"
chown 64012:64012 "$C/dkim/example.org/e1.key" 2>/dev/null
sign "$T/m1"
check "dkim-sign: two signatures, rsa-sha256 and ed25519-sha256" \
    sh -c "[ \$(grep -c '^DKIM-Signature:' '$new') -eq 2 ] && grep -q 'a=ed25519-sha256' '$new' && grep -q 'a=rsa-sha256' '$new'"
check "python3-dkim verifies both" \
    sh -c "[ \"\$(/usr/bin/python3 '$T/verify2.py' '$new' 's2._domainkey.example.org=$R2' 'e1._domainkey.example.org=$RE')\" = 'ed25519-sha256 rsa-sha256' ]"
check "... and logged both" \
    sh -c "grep -q 'signed d=example.org s=s2 a=rsa-sha256' '$LOG' && grep -q 'signed d=example.org s=e1 a=ed25519-sha256' '$LOG'"
# An Ed25519 key from openssl as the key file.
openssl genpkey -algorithm ed25519 -out "$C/dkim/example.org/o2.key" 2>/dev/null
chmod 600 "$C/dkim/example.org/o2.key"
echo o2 >"$C/dkim/example.org/selector-ed25519"
RO="v=DKIM1; k=ed25519; p=$(openssl pkey -in "$C/dkim/example.org/o2.key" -pubout -outform DER | tail -c 32 | base64)"
sign "$T/m1"
check "an openssl Ed25519 key: signs, python3-dkim verifies" \
    sh -c "[ \"\$(/usr/bin/python3 '$T/verify2.py' '$new' 's2._domainkey.example.org=$R2' 'o2._domainkey.example.org=$RO')\" = 'ed25519-sha256 rsa-sha256' ]"
cp "$C/dkim/example.org/s2.key" "$C/dkim/example.org/r3.key"
echo r3 >"$C/dkim/example.org/selector-ed25519"
check "selector-ed25519 naming an RSA key: 55, nothing queued" \
    sh -c "'$DS' <'$T/m1' 1<'$T/env' 2>>'$LOG'; [ \$? -eq 55 ] && grep -q 'r3.key: not an Ed25519 key' '$LOG'"
# The rest signs with RSA alone.
rm "$C/dkim/example.org/selector-ed25519"

# End to end: submissiond (session uid 64012) with FACTEUR_QUEUE naming
# dkim-sign, which reads the key as that user; local delivery to a
# Maildir, and remote-send to another facteur (B) by a static route.
echo 64013:64012 >"$C/mailowner"
mkdir -p "$T/state"
echo "$T/state" >"$C/statedir"
chown 64013:64012 "$M"
chown -R 64012:64012 "$Q"
chmod -R g+w "$Q"
chown 64012:64012 "$C/dkim/example.org/s2.key"
echo 'alice pw' | "$F" user add alice@example.org
echo 'bob pw' | "$F" user add bob@example.org

B=$T/b/conf
mkdir -p "$B" "$T/b/queue/tmp" "$T/b/queue/mess" "$T/b/queue/todo" "$T/b/mail"
cp -R "$C/tls" "$C/empty" "$B/"
echo "$T/b/queue" >"$B/queuedir"
echo "$T/b/mail" >"$B/mailroot"
echo mx.b.example >"$B/hostname"
echo 64013:64012 >"$B/mailowner"
FACTEUR_CONF=$B "$F" domain add b.example >/dev/null
echo 'carol pw' | FACTEUR_CONF=$B "$F" user add carol@b.example
chown -R 64012:64012 "$T/b/queue"
chmod -R g+w "$T/b/queue"
chown 64013:64012 "$T/b/mail"
FACTEUR_CONF=$B "$BIN/queue-run" 2>>"$T/logb" &
PIDS="$PIDS $!"
PB=$(freeport)
# shellcheck disable=SC2086
FACTEUR_CONF=$B tcpserver -DRHl0 127.0.0.1 "$PB" "$BIN/tlswrap" -s \
    $TLSWRAP_IDS "$BIN/smtpd" -u 64012:64012 2>>"$T/logb" &
PIDS="$PIDS $!"
wait_port "$PB"
"$F" route add b.example "[127.0.0.1]:$PB" --tls encrypt

"$BIN/queue-run" 2>>"$LOG" &
PIDS="$PIDS $!"
P=$(freeport)
# shellcheck disable=SC2086
env FACTEUR_QUEUE="$DS" tcpserver -DRHl0 127.0.0.1 "$P" "$BIN/tlswrap" \
    $TLSWRAP_IDS "$BIN/submissiond" -u 64012:64012 2>>"$T/logsub" &
PIDS="$PIDS $!"
wait_port "$P"
# submit CODE SUBJECT RCPT...: alice submits a message; the reply to
# its DATA must be CODE (250, or the error).
cat >"$T/submit.py" <<'PYEOF'
import smtplib, ssl, sys
port, code, subject, rcpts = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=20)
s.login("alice@example.org", "alice pw")
msg = ("From: Alice <alice@example.org>\r\nTo: " + ", ".join(rcpts) + "\r\n"
       "Subject: " + subject + "\r\nContent-Type: text/plain\r\n\r\n"
       "over  submission \r\n.dot line\r\n")
try:
    s.sendmail("alice@example.org", rcpts, msg)
    got = 250
except smtplib.SMTPDataError as e:
    got = e.smtp_code
s.quit()
sys.exit(0 if got == code else 1)
PYEOF
submit() { $PY "$T/submit.py" "$P" "$@"; }
check "submission with FACTEUR_QUEUE=dkim-sign: accepted" \
    submit 250 "end to end" bob@example.org carol@b.example
check "delivered to bob's Maildir" \
    in_mail "$M/example.org/bob/new" "Subject: end to end"
fb=$(grep -rlF "Subject: end to end" "$M/example.org/bob/new" | head -1)
check "the Maildir message (LF) is signed and verifies" \
    sh -c "grep -q '^DKIM-Signature: .*d=example.org' '$fb' && /usr/bin/python3 '$T/verify.py' '$fb' s2._domainkey.example.org '$R2'"
check "dkim-sign logged it, in the submission session's log" \
    grep -q "dkim-sign: info: .* signed d=example.org s=s2" "$T/logsub"
check "through remote-send to another facteur: delivered" \
    in_mail "$T/b/mail/b.example/carol/new" "Subject: end to end"
fc=$(grep -rlF "Subject: end to end" "$T/b/mail/b.example/carol/new" | head -1)
check "after remote-send (dot-stuffing, STARTTLS) the signature verifies" \
    verify "$fc" s2._domainkey.example.org "$R2"

# The session user cannot read the key: 451, try later; nothing queued.
chown 0:0 "$C/dkim/example.org/s2.key"
check "a key the session user cannot read: 451 (temporary), not sent unsigned" \
    submit 451 "unreadable key" bob@example.org
sleep 1
check "nothing of it was queued or delivered; the reason is logged" \
    sh -c "! grep -rqF 'Subject: unreadable key' '$Q' '$M' && grep -q 'dkim-sign: fatal: .*s2.key: Permission denied' '$T/logsub'"
finish
