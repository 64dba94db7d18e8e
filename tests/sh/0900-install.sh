# 0900-install.sh - make install: staged under DESTDIR with PREFIX=/usr,
# every program and its man page in place with the modes the Makefile
# lists, nothing setuid or setgid, the service templates pointing at
# PREFIX (never at DESTDIR); installed for real under a PREFIX in the
# test's directory, twice (the same result), the systemd units pass
# systemd-analyze verify and the installed programs run.
. "$(dirname "$0")/../lib.sh"
progs="tlswrap queue-inject facteur local-deliver queue-run sendmail smtpd
checkpassword submissiond remote-send dkim-sign imapd mail-auth"
S=$T/stage
make -s -C "$TOP" install DESTDIR="$S" PREFIX=/usr >"$T/out" 2>&1
check "make install DESTDIR=... PREFIX=/usr: exit 0" test $? -eq 0
missing=""
for p in $progs; do
    [ "$(stat -c %a "$S/usr/bin/$p" 2>/dev/null)" = 755 ] || missing="$missing $p"
    [ "$(stat -c %a "$S/usr/share/man/man8/$p.8" 2>/dev/null)" = 644 ] || missing="$missing $p.8"
done
check "every program 0755 in /usr/bin, its man page 0644 in man8 (missing:$missing)" \
    test -z "$missing"
check "nothing setuid or setgid" test -z "$(find "$S" -perm /6000)"
check "no file or directory writable by group or others" \
    test -z "$(find "$S" -perm /022 ! -type l)"
check "the templates name /usr/bin, never the staging directory nor /usr/local" \
    sh -c "! grep -rq -e '$S' -e /usr/local '$S/usr/share/facteur' &&
        grep -q '^ExecStart=/usr/bin/tlswrap -s /usr/bin/smtpd' '$S/usr/share/facteur/systemd/smtpd@.service' &&
        grep -q '^Environment=FACTEUR_QUEUE=/usr/bin/mail-auth' '$S/usr/share/facteur/systemd/smtpd@.service' &&
        grep -q 'importas -D /usr/bin bin FACTEUR_BIN' '$S/usr/share/facteur/s6/smtpd/run'"
check "s6 run scripts (and log/run) 0755, for each service; 587 down until started" \
    sh -c "[ -f '$S/usr/share/facteur/s6/submission587/down' ] &&
        grep -q 'tlswrap -s /usr/bin/submissiond' '$S/usr/share/facteur/systemd/submission587@.service' &&
        for s in smtpd submissiond submission587 imapd queue-run; do
        [ \$(stat -c %a '$S/usr/share/facteur/s6/'\$s/run) = 755 ] &&
        [ \$(stat -c %a '$S/usr/share/facteur/s6/'\$s/log/run) = 755 ] || exit 1; done"
check "the firewall and the tcprules example" \
    sh -c "[ -f '$S/usr/share/facteur/nftables.conf' ] && [ -f '$S/usr/share/facteur/tcprules/smtpd.rules' ]"

P=$T/prefix
make -s -C "$TOP" install PREFIX="$P" >"$T/out1" 2>&1
(cd "$P" && find . -printf '%p %m %s\n' | sort) >"$T/list1"
make -s -C "$TOP" install PREFIX="$P" >"$T/out2" 2>&1
(cd "$P" && find . -printf '%p %m %s\n' | sort) >"$T/list2"
check "installed twice: the same files, modes and sizes" cmp -s "$T/list1" "$T/list2"
check "the installed facteur runs (usage: 100)" \
    test "$(code "$P/bin/facteur")" = 100
if command -v systemd-analyze >/dev/null 2>&1; then
    (cd "$P/share/facteur/systemd" &&
        MANPATH="$P/share/man" systemd-analyze verify ./*.socket ./*.service) \
        >"$T/verify" 2>&1
    vrc=$?
    check "systemd-analyze verify: the installed units, their programs and man pages ($(head -c 300 "$T/verify"))" \
        test "$vrc" -eq 0
else
    skip "systemd-analyze not installed"
fi
finish
