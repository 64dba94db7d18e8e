# 0330-sendmail.sh - the sendmail interface and queue-inject -t: recipients
# from To/Cc/Bcc, Bcc removed, options of cron and PHP, refusals.
. "$(dirname "$0")/../lib.sh"
export FACTEUR_CONF=$T/conf
Q=$T/queue
mkdir -p "$FACTEUR_CONF" "$Q/tmp" "$Q/mess" "$Q/todo"
echo "$Q" >"$FACTEUR_CONF/queuedir"
echo mx.example.test >"$FACTEUR_CONF/hostname"
SM=$BIN/sendmail
clear() { rm -f "$Q"/todo/* "$Q"/mess/*; }
env_of() { tr '\0' '|' <"$Q/todo/$(ls "$Q/todo" | head -1)"; }
mess_of() { cat "$Q/mess/$(ls "$Q/mess" | head -1)"; }

# A script as cron or PHP writes it.
cat >"$T/script.sh" <<SHEOF
#!/bin/sh
$SM -t -i -f bob@example.org <<'MSG'
From: Bob <bob@example.org>
To: Alice <alice@example.org>, "Doe, John" <jd@example.net>
Cc: team: carol@example.org (Carol);
Bcc: secret@example.org
Subject: report
 folded subject

hello
.
still the body
MSG
SHEOF
sh "$T/script.sh"
check "sendmail -t -i -f: exit 0" test $? -eq 0
check "recipients from To, Cc (group, comments) and Bcc" \
    test "$(env_of)" = "Fbob@example.org|Talice@example.org|Tjd@example.net|Tcarol@example.org|Tsecret@example.org||"
check "Bcc removed from the message" sh -c "! grep -qi '^bcc:' '$Q/mess/$(ls "$Q/mess")'"
check "other header fields kept, folding too" \
    sh -c "grep -q '^Subject: report' '$Q/mess/$(ls "$Q/mess")' && grep -q '^ folded subject' '$Q/mess/$(ls "$Q/mess")'"
check "a lone dot does not end the message" \
    grep -q '^still the body' "$Q/mess/$(ls "$Q/mess")"
clear

printf 'Subject: x\n\ny\n' | "$SM" -oi -F "Cron Daemon" alice@example.org
check "sendmail -oi -F name rcpt: queued for the argument" \
    test "$(env_of)" = "F$(id -un)@mx.example.test|Talice@example.org||"
clear
printf 'To: a@example.org\n\ny\n' | "$SM" -t -f '' b@example.org
check "-t adds header recipients to the arguments; -f '' is <>" \
    test "$(env_of)" = "F|Tb@example.org|Ta@example.org||"
clear
printf 'Subject: x\nTo: last@example.org' | "$SM" -t
check "-t: a last header line without LF, no body: its recipient counts" \
    test "$(env_of)" = "F$(id -un)@mx.example.test|Tlast@example.org||"
check "-t: and the line is kept" grep -q '^To: last@example.org' "$Q/mess/$(ls "$Q/mess")"
clear
printf 'Subject: none\n\ny\n' | "$SM" -t 2>/dev/null
check "-t without any recipient: 100" test $? -eq 100
printf 'To: not an address\n\ny\n' | "$SM" -t 2>/dev/null
check "-t with a malformed To: 100" test $? -eq 100
"$SM" -bs </dev/null 2>/dev/null
check "-bs (SMTP on stdin) refused: 100" test $? -eq 100
"$SM" -bp </dev/null 2>/dev/null
check "-bp refused: 100" test $? -eq 100
check "nothing queued by the refusals" test -z "$(ls "$Q/todo")"
printf 'Subject: x\n\ny\n' | "$SM" -- -dash@example.org
check "after --, an argument starting with '-' is an address" \
    test "$(env_of)" = "F$(id -un)@mx.example.test|T-dash@example.org||"
finish
