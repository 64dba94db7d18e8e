# 0100-testssl.sh - testssl.sh scans tlswrap on loopback (implicit TLS and
# STARTTLS SMTP): protocols, ciphers, server preference and the known
# vulnerabilities.  testssl's exit code says nothing: its JSON is read.
# Findings allowed: trust problems of the self-signed test certificate,
# and the absence of TLS 1.3 (BearSSL 0.6 has none) and of OCSP stapling.
. "$(dirname "$0")/../lib.sh"
if ! command -v testssl >/dev/null 2>&1; then
    skip "testssl not installed"
    finish
fi
setup_conf
LOG=$T/log
P=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P" "$BIN/tlswrap" $TLSWRAP_IDS "$TBIN/linesrv"
P2=$(freeport)
# shellcheck disable=SC2086
serve "$LOG" "$P2" "$BIN/tlswrap" -s $TLSWRAP_IDS "$TBIN/linesrv"

scan() { # scan NAME testssl-args...
    name=$1
    shift
    timeout 300 testssl --quiet --color 0 --warnings off --ip one \
        --jsonfile "$T/$name.json" "$@" >"$T/$name.txt" 2>&1
    $PY - "$T/$name.json" >"$T/$name.bad" <<'PYEOF'
import json, sys
allowed_ids = {
    # the self-signed test certificate
    "cert_chain_of_trust", "cert_trust", "cert_caIssuers", "cert_crlDistributionPoints",
    "cert_ocspURL", "OCSP_stapling", "cert_mustStapleExtension",
    "cert_certificateTransparency", "DNS_CAArecord", "cert_expirationStatus",
    "cert_validityPeriod", "cert_notAfter", "cert_extlifeSpan",
    # BearSSL 0.6 speaks TLS 1.2 only
    "TLS1_3", "TLS_session_ticket", "ALPN_HTTP2", "ALPN",
    "scanProblem", "engine_problem", "service",
}
bad = []
findings = json.load(open(sys.argv[1]))
with open(sys.argv[1] + ".all", "w") as out:
    for f in findings:
        out.write(f"{f.get('id','')}|{f.get('severity','')}|{f.get('finding','')}\n")
for f in findings:
    sev = f.get("severity", "")
    fid = f.get("id", "")
    if sev in ("MEDIUM", "HIGH", "CRITICAL", "WARN") and fid not in allowed_ids \
            and not fid.startswith("cert_"):
        bad.append(f"{fid} {sev} {f.get('finding','')}")
for b in bad:
    print(b)
PYEOF
}

scan implicit -p -s -f -S -U "127.0.0.1:$P"
check "testssl ran (implicit)" grep -q '"id"' "$T/implicit.json"
check "implicit TLS: no weak protocol, cipher or vulnerability ($(tr '\n' ';' <"$T/implicit.bad"))" \
    test ! -s "$T/implicit.bad"
A=$T/implicit.json.all
for v in SSLv2 SSLv3 TLS1 TLS1_1; do
    check "implicit: $v not offered" grep -q "^$v|[A-Z]*|not offered" "$A"
done
check "implicit: TLS 1.2 offered" grep -q "^TLS1_2|OK|offered" "$A"
check "implicit: no NULL, aNULL, EXPORT or 3DES suites" \
    sh -c "grep -q '^cipherlist_NULL|OK|not offered' '$A' &&
           grep -q '^cipherlist_aNULL|OK|not offered' '$A' &&
           grep -q '^cipherlist_EXPORT|OK|not offered' '$A' &&
           grep -q '^cipherlist_3DES_IDEA|[A-Z]*|not offered' '$A'"
check "implicit: client-initiated renegotiation refused" \
    grep -q "^secure_client_renego|OK|not vulnerable" "$A"
check "implicit: Heartbleed, ROBOT, CCS, POODLE, SWEET32, LUCKY13 not vulnerable" \
    sh -c "for v in heartbleed ROBOT CCS POODLE_SSL SWEET32 LUCKY13; do
               grep -q \"^\$v|OK|\" '$A' || exit 1; done"

scan starttls -t smtp -p -s -U "127.0.0.1:$P2"
check "testssl ran (STARTTLS)" grep -q '"id"' "$T/starttls.json"
check "STARTTLS: no weak protocol, cipher or vulnerability ($(tr '\n' ';' <"$T/starttls.bad"))" \
    test ! -s "$T/starttls.bad"
finish
