# 0040-tlswrap-supervision.sh - tlswrap under systemd socket activation
# (fd 3, LISTEN_FDS; and inetd-style fds 0/1) with the TCP* variables
# filled from the socket; the unit files pass systemd-analyze verify; the
# s6 run script brings a TLS service up under s6-svscan.
. "$(dirname "$0")/../lib.sh"
setup_conf
LOG=$T/log

# systemd Accept=yes: connection on fd 3, LISTEN_FDS=1, no TCP* variables.
P=$(freeport)
# shellcheck disable=SC2086
systemd-socket-activate -l "127.0.0.1:$P" --accept -E "FACTEUR_CONF=$CONF" \
    "$BIN/tlswrap" $TLSWRAP_IDS "$TBIN/linesrv" </dev/null 2>>"$LOG" &
PIDS="$PIDS $!"
wait_port "$P"
printf 'ENV\r\nQUIT\r\n' | sclient "$P"
check "socket activation (fd 3): TLS works" contains "$T/out" "221 bye"
check "TCPREMOTEIP filled from getpeername" \
    contains "$T/out" "250-TCPREMOTEIP=127.0.0.1"
check "TCPLOCALPORT filled from getsockname" \
    contains "$T/out" "250-TCPLOCALPORT=$P"
check "FACTEUR_SID passed to the application" \
    grep -Eq "250-FACTEUR_SID=[0-9a-f]{12}" "$T/out"
sid=$(sed -n 's/^250-FACTEUR_SID=//p' "$T/out" | tr -d '\r')
sleep 0.3
check "the application's session id is tlswrap's log id" \
    grep -q "tlswrap: info: $sid done" "$LOG"
check "LISTEN_FDS not leaked to the application" \
    sh -c "! grep -q LISTEN '$T/out'"

P=$(freeport)
# shellcheck disable=SC2086
systemd-socket-activate -l "127.0.0.1:$P" --inetd -a -E "FACTEUR_CONF=$CONF" \
    "$BIN/tlswrap" -s $TLSWRAP_IDS "$TBIN/linesrv" 2>>"$LOG" &
PIDS="$PIDS $!"
wait_port "$P"
printf 'ENV\r\nQUIT\r\n' | sclient "$P" -starttls smtp
check "inetd-style fds with STARTTLS" \
    contains "$T/out" "250-SSL_PROTOCOL=TLSv1.2"

# Unit files: verified as shipped, with the program paths pointed at this
# build, and
# without Documentation= (the man pages are not installed here).
if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir -p "$T/units" "$T/fakebin"
    ln -s "$BIN/tlswrap" "$T/fakebin/tlswrap"
    ln -s "$BIN/smtpd" "$T/fakebin/smtpd"
    ln -s "$BIN/submissiond" "$T/fakebin/submissiond"
    ln -s "$BIN/queue-run" "$T/fakebin/queue-run"
    ln -s "$BIN/imapd" "$T/fakebin/imapd"
    for f in "$TOP"/service/systemd/*; do
        sed -e "s|/usr/local/bin/|$T/fakebin/|g" -e '/^Documentation=/d' \
            "$f" >"$T/units/$(basename "$f")"
    done
    (cd "$T/units" && systemd-analyze verify ./*.socket ./*.service) \
        >"$T/verify" 2>&1
    vrc=$?
    check "systemd-analyze verify: units are valid ($(head -c 300 "$T/verify"))" \
        test "$vrc" -eq 0
else
    skip "systemd-analyze not installed"
fi

# s6: the submissiond run script, for real, under s6-svscan.
if command -v s6-svscan >/dev/null 2>&1 && is_root; then
    P=$(freeport)
    mkdir -p "$T/scan"
    cp -R "$TOP/service/s6/submissiond" "$T/scan/"
    mkdir -p "$T/scan/submissiond/env"
    echo "$CONF" >"$T/scan/submissiond/env/FACTEUR_CONF"
    echo "$T/fakebin" >"$T/scan/submissiond/env/FACTEUR_BIN"
    echo 127.0.0.1 >"$T/scan/submissiond/env/IP"
    echo "$P" >"$T/scan/submissiond/env/PORT"
    # The default users of tlswrap do not exist here: wrap it with ids.
    rm -f "$T/fakebin/tlswrap"
    printf '#!/bin/sh\nexec %s %s "$@"\n' "$BIN/tlswrap" "$TLSWRAP_IDS" \
        >"$T/fakebin/tlswrap"
    rm -f "$T/fakebin/submissiond"
    printf '#!/bin/sh\nexec %s -u 64012:64012 "$@"\n' "$BIN/submissiond" \
        >"$T/fakebin/submissiond"
    chmod 755 "$T/fakebin/tlswrap" "$T/fakebin/submissiond"
    s6-svscan "$T/scan" >/dev/null 2>&1 &
    SVPID=$!
    PIDS="$PIDS $SVPID"
    if wait_port "$P"; then
        printf 'EHLO c.test\r\nQUIT\r\n' | sclient "$P"
        check "s6 run script serves submission on implicit TLS (AUTH offered)" \
            sh -c "grep -q '250-AUTH PLAIN LOGIN' '$T/out' && grep -q '221 2.0.0' '$T/out'"
        sleep 0.5
        check "s6-log writes timestamped lines" \
            grep -Eq "^20[0-9-]+ [0-9:.]+  tlswrap: info: .* done peer=127.0.0.1" \
            "$T/scan/submissiond/log/main/current"
    else
        fail "s6 run script did not bring the port up"
        fail "s6-log"
    fi
    s6-svscanctl -t "$T/scan" 2>/dev/null
    sleep 0.5
else
    skip "s6 test needs s6 and root"
fi
finish
