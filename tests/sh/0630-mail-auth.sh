# 0630-mail-auth.sh - the inbound checks: smtpd with mail-auth as its
# queue filter, a test zone served on loopback; swaks as the sending
# server, messages signed by an independent DKIM signer (python3-dkim).
# SPF pass/fail/softfail/none, the fail refused unless DKIM rescues it,
# temperror deferred, DKIM pass and a broken signature, one
# Authentication-Results field, forged ones removed, trusted clients
# not checked.
. "$(dirname "$0")/../lib.sh"
if ! /usr/bin/python3 -c 'import dnslib, dkim, nacl' 2>/dev/null; then
    skip "needs python3-dnslib, python3-dkim and python3-nacl (sh tools/deps test)"
    finish
fi
setup_conf
C=$FACTEUR_CONF
setup_mail mx.example.org
F=$BIN/facteur
"$F" domain add example.org >/dev/null
echo pw | "$F" user add alice@example.org
chown -R 64012:64012 "$Q"
LOG=$T/log

# The signer's key, and its record.
openssl genrsa -out "$T/dkim.pem" 2048 2>/dev/null
pub=$(openssl rsa -in "$T/dkim.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
# An Ed25519 key (RFC 8463) for python3-dkim: the seed, base64; the
# record's p= is the bare public key.
/usr/bin/python3 -c '
import nacl.signing, base64, sys
k = nacl.signing.SigningKey(bytes(range(32)))
open(sys.argv[1], "wb").write(base64.b64encode(bytes(k)))
print(base64.b64encode(bytes(k.verify_key)).decode())' "$T/ed.key" >"$T/ed.pub"
DP=$(freeport)
{
    echo '$ORIGIN test.'
    echo 'pass.test. TXT "v=spf1 ip4:127.0.0.1 -all"'
    echo 'fail.test. TXT "v=spf1 ip4:192.0.2.1 -all"'
    echo 'soft.test. TXT "v=spf1 ip4:192.0.2.1 ~all"'
    echo 'signed.test. TXT "v=spf1 ip4:192.0.2.1 -all"'
    echo '_dmarc.signed.test. TXT "v=DMARC1; p=reject; adkim=s"'
    echo 'helo.test. TXT "v=spf1 ip4:127.0.0.1 -all"'
    echo 'reject.test. TXT "v=spf1 ip4:127.0.0.1 -all"'
    echo '_dmarc.reject.test. TXT "v=DMARC1; p=reject"'
    echo '_dmarc.quar.test. TXT "v=DMARC1; p=quarantine; pct=100"'
    echo '_dmarc.orgpol.test. TXT "v=DMARC1; p=reject; sp=none"'
    echo 'strict.test. TXT "v=spf1 ip4:127.0.0.1 -all"'
    echo 'sub.strict.test. TXT "v=spf1 ip4:127.0.0.1 -all"'
    echo '_dmarc.strict.test. TXT "v=DMARC1; p=reject; aspf=s"'
    # the key in strings of at most 255 bytes, as a zone holds it
    echo 'ed.test. TXT "v=spf1 ip4:192.0.2.1 -all"'
    echo '_dmarc.ed.test. TXT "v=DMARC1; p=reject"'
    echo "e1._domainkey.ed.test. TXT \"v=DKIM1; k=ed25519; p=$(cat "$T/ed.pub")\""
    printf 's1._domainkey.signed.test. TXT "v=DKIM1; k=rsa; p="'
    echo "$pub" | fold -w 250 | while read -r part; do printf ' "%s"' "$part"; done
    echo
} >"$T/zone"
/usr/bin/python3 "$TOP/tests/helpers/dnsserver.py" --zone "$T/zone" \
    --servfail temp.test --servfail _dmarc.dtemp.test "$DP" 2>>"$LOG" &
PIDS="$PIDS $!"
export FACTEUR_RESOLVER="127.0.0.1:$DP"
export FACTEUR_QUEUE=$BIN/mail-auth
"$BIN/queue-run" 2>>"$LOG" &
PIDS="$PIDS $!"
P=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P" "$BIN/tlswrap" -s $TLSWRAP_IDS "$BIN/smtpd" -u 64012:64012
sleep 0.5

IN=$M/example.org/alice/new
# msg FROM SUBJECT [EXTRA HEADER]: a message's text (LF lines).
msg() {
    printf 'From: <%s>\nTo: <alice@example.org>\nSubject: %s\nDate: Sun, 22 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@x>\n%s\nhello\n' \
        "$1" "$2" "$2" "${3:+$3
}"
}
# send FROM FILE [PORT]: swaks as a sending server; its output in $T/sw.
send() {
    swaks -S --server "127.0.0.1:${3:-$P}" --helo helo.test --from "$1" \
        --to alice@example.org --data "$2" >"$T/sw" 2>&1
}
# ar SUBJECT: the Authentication-Results field of that message.
ar() {
    f=$(grep -rlF "Subject: $1" "$IN" 2>/dev/null | head -1)
    [ -n "$f" ] && sed -n '/^Authentication-Results:/,/^[^ \t]/p' "$f" | sed '$d'
}

msg u@pass.test spf-pass >"$T/m1"
send u@pass.test "$T/m1"
check "SPF pass: delivered" in_mail "$IN" "Subject: spf-pass"
ar spf-pass >"$T/ar1"
check "... one Authentication-Results field from this host" \
    sh -c "[ \$(grep -c '^Authentication-Results:' \"\$(grep -rlF 'Subject: spf-pass' '$IN')\") -eq 1 ] && grep -q '^Authentication-Results: mx.example.org;' '$T/ar1'"
check "... spf=pass smtp.mailfrom=pass.test; dkim=none" \
    sh -c "grep -q 'spf=pass smtp.mailfrom=pass.test' '$T/ar1' && grep -q 'dkim=none' '$T/ar1'"

msg u@fail.test spf-fail >"$T/m2"
send u@fail.test "$T/m2"
check "SPF fail (-all) without DKIM: refused with 550 5.7.23" \
    grep -q '<\*\* *550 5.7.23' "$T/sw"
check "... and nothing delivered" nowhere "Subject: spf-fail" "$IN"

msg u@soft.test spf-soft >"$T/m3"
send u@soft.test "$T/m3"
check "SPF softfail (~all): delivered, spf=softfail" \
    wait_for 5 sh -c "grep -rqF 'Subject: spf-soft' '$IN' && grep -rl 'Subject: spf-soft' '$IN' | xargs grep -q 'spf=softfail smtp.mailfrom=soft.test'"

msg u@none.test spf-none >"$T/m4"
send u@none.test "$T/m4"
check "no SPF record: delivered, spf=none" \
    wait_for 5 sh -c "grep -rl 'Subject: spf-none' '$IN' 2>/dev/null | xargs grep -q 'spf=none'"

msg u@temp.test spf-temp >"$T/m5"
send u@temp.test "$T/m5"
check "SPF temperror (SERVFAIL): deferred with 451 4.4.3" \
    grep -q '<\*\* *451 4.4.3' "$T/sw"

# DKIM: signed by python3-dkim for signed.test, whose SPF fails here.
msg u@signed.test dkim-good >"$T/m6"
/usr/bin/python3 - "$T/dkim.pem" "$T/m6" <<'PYEOF'
import dkim, sys
key = open(sys.argv[1], "rb").read()
m = open(sys.argv[2], "rb").read().replace(b"\n", b"\r\n")
sig = dkim.sign(m, b"s1", b"signed.test", key,
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=[b"from", b"to", b"subject", b"date"])
open(sys.argv[2], "wb").write(sig + m)
PYEOF
send u@signed.test "$T/m6"
check "DKIM pass rescues an SPF fail: delivered" in_mail "$IN" "Subject: dkim-good"
ar dkim-good >"$T/ar6"
check "... spf=fail, dkim=pass header.d=signed.test header.s=s1" \
    sh -c "grep -q 'spf=fail' '$T/ar6' && grep -q 'dkim=pass header.d=signed.test header.s=s1' '$T/ar6'"
check "... dmarc=pass under p=reject, adkim=s: DKIM alone aligned" \
    grep -q 'dmarc=pass (p=reject) header.from=signed.test' "$T/ar6"
# the same, its body changed after signing
sed 's/^hello/hello, changed/' "$T/m6" | sed 's/dkim-good/dkim-bad/' >"$T/m7"
send u@signed.test "$T/m7"
check "a signature that no longer verifies does not rescue: refused" \
    grep -q '<\*\* *550 5.7.23' "$T/sw"
sed 's/^hello/hello, changed/' "$T/m6" | sed 's/dkim-good/dkim-bad2/' >"$T/m8"
send u@pass.test "$T/m8"
check "a broken signature, SPF passing for another domain: DMARC p=reject refuses it" \
    grep -q '<\*\* *550 5.7.1' "$T/sw"
check "... logged as dkim=fail, then dmarc=fail" \
    sh -c "grep -q 'dkim=fail d=signed.test s=s1' '$LOG' && grep -q 'refused dmarc=fail from=signed.test p=reject' '$LOG'"
# the same signature on a message whose From: was changed afterwards
sed 's/^From: <u@signed.test>/From: <u@pass.test>/; s/dkim-good/dkim-bad3/' \
    "$T/m6" >"$T/m8b"
send u@pass.test "$T/m8b"
check "a broken signature, no DMARC record: delivered, dkim=fail" \
    wait_for 5 sh -c "grep -rl 'Subject: dkim-bad3' '$IN' 2>/dev/null | xargs grep -q 'dkim=fail (signature did not verify) header.d=signed.test'"

# Ed25519 (RFC 8463), signed by python3-dkim: SPF fails, the signature
# rescues it and passes DMARC p=reject.
msg u@ed.test dkim-ed25519 >"$T/m19"
/usr/bin/python3 - "$T/ed.key" "$T/m19" <<'PYEOF'
import dkim, sys
key = open(sys.argv[1], "rb").read()
m = open(sys.argv[2], "rb").read().replace(b"\n", b"\r\n")
sig = dkim.sign(m, b"e1", b"ed.test", key,
                signature_algorithm=b"ed25519-sha256",
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=[b"from", b"to", b"subject", b"date"])
open(sys.argv[2], "wb").write(sig + m)
PYEOF
send u@ed.test "$T/m19"
check "ed25519-sha256 (python3-dkim): dkim=pass, dmarc=pass under p=reject" \
    wait_for 5 sh -c "grep -rl 'Subject: dkim-ed25519' '$IN' 2>/dev/null | xargs grep -q 'dkim=pass header.d=ed.test header.s=e1' &&
        grep -rl 'Subject: dkim-ed25519' '$IN' | xargs grep -q 'dmarc=pass (p=reject) header.from=ed.test'"
sed 's/^hello/hello, changed/; s/dkim-ed25519/dkim-ed25519-bad/' "$T/m19" >"$T/m20"
send u@ed.test "$T/m20"
check "... its body changed: refused (SPF fail, no DKIM pass)" \
    grep -q '<\*\* *550 5.7.23' "$T/sw"

# Forged results: a field claiming this host is removed, another kept.
msg u@pass.test forged "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=evil.test
Authentication-Results: elsewhere.test; dkim=pass" >"$T/m9"
send u@pass.test "$T/m9"
check "forged Authentication-Results for this host: delivered" \
    in_mail "$IN" "Subject: forged"
f9=$(grep -rlF "Subject: forged" "$IN" | head -1)
check "... the forged field is gone, ours is the only one for this host" \
    sh -c "[ \$(grep -c '^Authentication-Results: mx.example.org' '$f9') -eq 1 ] && ! grep -q 'evil.test' '$f9'"
check "... another host's field is kept" grep -q '^Authentication-Results: elsewhere.test' "$f9"
check "log: the removal is recorded" grep -q 'removed 1 forged field (Authentication-Results for mx.example.org' "$LOG"

# DMARC: the From: domain's policy.
msg u@reject.test dmarc-aligned >"$T/m12"
send u@reject.test "$T/m12"
check "DMARC pass (SPF aligned with From:): delivered, dmarc=pass (p=reject)" \
    wait_for 5 sh -c "grep -rl 'Subject: dmarc-aligned' '$IN' 2>/dev/null | xargs grep -q 'dmarc=pass (p=reject) header.from=reject.test'"
msg u@reject.test dmarc-reject >"$T/m13"
send u@pass.test "$T/m13"
check "DMARC fail under p=reject (SPF passes for another domain): 550 5.7.1" \
    grep -q '<\*\* *550 5.7.1' "$T/sw"
check "... and nothing delivered" nowhere "Subject: dmarc-reject" "$IN"
mkdir -p "$M/example.org/alice/.Junk/new" "$M/example.org/alice/.Junk/cur" \
    "$M/example.org/alice/.Junk/tmp"
chown -R 64013:64012 "$M/example.org/alice/.Junk" 2>/dev/null
msg u@quar.test dmarc-quarantine >"$T/m14"
send u@pass.test "$T/m14"
check "DMARC fail under p=quarantine: delivered into Junk" \
    in_mail "$M/example.org/alice/.Junk/new" "Subject: dmarc-quarantine"
check "... not into the inbox" nowhere "Subject: dmarc-quarantine" "$IN"
msg u@sub.orgpol.test dmarc-sp >"$T/m15"
send u@pass.test "$T/m15"
check "a subdomain without a record: its organizational domain's sp=none applies" \
    wait_for 5 sh -c "grep -rl 'Subject: dmarc-sp' '$IN' 2>/dev/null | xargs grep -q 'dmarc=fail (p=none) header.from=sub.orgpol.test'"
msg u@strict.test dmarc-strict >"$T/m16"
send u@sub.strict.test "$T/m16"
check "aspf=s: SPF for a subdomain is not aligned: refused" \
    grep -q '<\*\* *550 5.7.1' "$T/sw"
msg u@dtemp.test dmarc-temp >"$T/m17"
send u@pass.test "$T/m17"
check "the DMARC lookup fails (SERVFAIL): 451 4.7.5" \
    grep -q '<\*\* *451 4.7.5' "$T/sw"
msg u@pass.test fake-quarantine "X-Facteur-Quarantine: forged" >"$T/m18"
send u@pass.test "$T/m18"
check "a quarantine mark from outside is removed: delivered to the inbox" \
    in_mail "$IN" "Subject: fake-quarantine"
check "... without the mark" \
    sh -c "! grep -rl 'Subject: fake-quarantine' '$IN' | xargs grep -q 'X-Facteur-Quarantine'"

# A trusted client (RELAYCLIENT from its tcprules): not checked.
P2=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P2" env RELAYCLIENT= "$BIN/tlswrap" -s $TLSWRAP_IDS \
    "$BIN/smtpd" -u 64012:64012
msg u@fail.test trusted >"$T/m10"
send u@fail.test "$T/m10" "$P2"
check "RELAYCLIENT: an SPF-failing sender is taken, not checked" \
    in_mail "$IN" "Subject: trusted"
check "... no Authentication-Results field added" \
    sh -c "! grep -rl 'Subject: trusted' '$IN' | xargs grep -q '^Authentication-Results'"

# The null sender: SPF of the HELO name.
printf 'From: <postmaster@helo.test>\nTo: <alice@example.org>\nSubject: bounce\n\nx\n' >"$T/m11"
swaks -S --server "127.0.0.1:$P" --helo helo.test --from '<>' \
    --to alice@example.org --data "$T/m11" >"$T/sw" 2>&1
check "null sender: SPF of the HELO name (spf=pass smtp.helo=helo.test)" \
    wait_for 5 sh -c "grep -rl 'Subject: bounce' '$IN' 2>/dev/null | xargs grep -q 'spf=pass smtp.helo=helo.test'"
finish
