# 0820-imapd-garbage.sh - the logged-in session (imapd -S) fed what a
# hostile or broken client might send, in every state (nothing selected,
# INBOX selected read-write, a folder examined read-only): the fuzz
# corpora of the IMAP parsers as command arguments, and commands mutated
# at random from a script of valid ones (a fixed seed: the same bytes on
# every run).  The session must answer and end by itself with 0 or 1,
# never by a signal (under make check-san, an ASan report is a signal
# too: abort), and the mailbox must still be usable afterwards; then a
# torn UID list header.
. "$(dirname "$0")/../lib.sh"
setup_conf
MD=$T/Maildir
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
for i in 1 2 3 4 5; do
    printf 'From: a%s@example.net\nTo: b@example.org\nSubject: s%s\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nbody %s\n--x\nContent-Type: message/rfc822\n\nSubject: inner\n\ninner body\n--x--\n' \
        "$i" "$i" "$i" >"$MD/new/17000000$i.M1P1.garbage"
done
cp -r "$MD" "$T/clean"

$PY - "$TOP" "$T" "$BIN/imapd" <<'PYEOF' >"$T/out" 2>&1
import os, random, subprocess, sys
top, t, imapd = sys.argv[1:4]
md = os.path.join(t, "Maildir")
rnd = random.Random(20261122)
prefixes = [b"", b"s SELECT INBOX\r\n", b"e EXAMINE Sent\r\nc CREATE Sent\r\n"
            b"e EXAMINE Sent\r\n"]
valid = [b"FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE BODYSTRUCTURE)",
         b"UID FETCH 1:* (BODY.PEEK[1.MIME] BODY[2.HEADER.FIELDS (SUBJECT)]<0.10>)",
         b"STORE 1:3 +FLAGS (\\Seen $Junk)", b"UID SEARCH OR FROM a1 NOT SEEN",
         b"SEARCH RETURN (MIN MAX COUNT) BODY inner", b"COPY 1:2 Sent",
         b"UID MOVE 4 Sent", b"EXPUNGE", b"LIST \"\" *", b"STATUS INBOX (MESSAGES UNSEEN)",
         b"APPEND INBOX (\\Flagged) {12+}\r\nSubject: a\r\n", b"CREATE a.b.c",
         b"RENAME a.b x", b"DELETE x", b"SUBSCRIBE INBOX", b"LSUB \"\" *",
         b"NOOP", b"CHECK", b"NAMESPACE", b"ID NIL", b"ENABLE UTF8=ACCEPT",
         b"UID EXPUNGE 1:*", b"CLOSE", b"UNSELECT", b"SELECT INBOX"]
corpus = []
for d in ("imapparse", "imapsearch"):
    p = os.path.join(top, "tests/fuzz/corpus", d)
    for f in sorted(os.listdir(p)):
        corpus.append(open(os.path.join(p, f), "rb").read()[:4096])

def mutate(b):
    b = bytearray(b)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randint(0, 4)
        i = rnd.randint(0, len(b)) if b else 0
        if op == 0 and b:
            del b[i:i + rnd.randint(1, 8)]
        elif op == 1:
            b[i:i] = bytes(rnd.choice(b"(){}[]<>*%:.,\\\" 0123456789\r\n\0\xff")
                           for _ in range(rnd.randint(1, 6)))
        elif op == 2 and b:
            b[min(i, len(b) - 1)] = rnd.randint(0, 255)
        elif op == 3:
            b[i:i] = rnd.choice(valid)
        else:
            b[i:i] = b"{%d}\r\n" % rnd.randint(0, 40)
    return bytes(b)

scripts = []
for c in corpus:
    for verb in (b"SEARCH ", b"FETCH ", b"UID STORE "):
        scripts.append(b"t1 " + verb + c + b"\r\n")
for _ in range(300):
    body = b"".join(b"t%d " % k + mutate(rnd.choice(valid)) + b"\r\n"
                    for k in range(rnd.randint(1, 6)))
    scripts.append(body)

bad = 0
env = dict(os.environ, USER="garbage@example.org", HOME=md,
           IMAPD_TAG="a0")
for i, s in enumerate(scripts):
    pre = prefixes[i % len(prefixes)]
    p = subprocess.run([imapd, "-S"], input=pre + s + b"\r\nz LOGOUT\r\n",
                       cwd=md, env=env, capture_output=True, timeout=30)
    if p.returncode not in (0, 1) or b"ERROR: AddressSanitizer" in p.stderr \
            or b"runtime error" in p.stderr:
        bad += 1
        print("script %d: exit %d: %r\n%s" % (i, p.returncode, pre + s,
              p.stderr.decode(errors="replace")[-2000:]))
print("%d scripts, %d bad" % (len(scripts), bad))
sys.exit(1 if bad else 0)
PYEOF
rc=$?
check "imapd -S survives $(tail -1 "$T/out")" test "$rc" -eq 0
[ "$rc" -eq 0 ] || head -c 3000 "$T/out" | sed 's/^/# /'
# and the mailbox is still sound: a clean session lists and fetches
printf 'a1 SELECT INBOX\r\na2 FETCH 1:* (UID FLAGS)\r\na3 LOGOUT\r\n' |
    (cd "$MD" && env USER=garbage@example.org HOME="$MD" IMAPD_TAG=a0 \
        "$BIN/imapd" -S) >"$T/after" 2>"$T/after.err"
check "afterwards: SELECT and FETCH still answer OK" \
    sh -c "grep -q '^a1 OK' '$T/after' && grep -q '^a2 OK' '$T/after'"
# A damaged index (a disk's garbage in its header, its records, its
# names; cut short) is a cache: the session reads the directories
# again and writes it anew, with the same messages and UIDs.
sel() {
    printf 'a1 SELECT INBOX\r\na2 FETCH 1:* (UID FLAGS RFC822.SIZE)\r\na3 LOGOUT\r\n' |
        (cd "$MD" && env USER=garbage@example.org HOME="$MD" IMAPD_TAG=a0 \
            "$BIN/imapd" -S) 2>>"$T/ix.err" | grep -v '^a[0-9] OK \[READ-WRITE\]' |
        grep -E '^\* [0-9]+ (EXISTS|FETCH)|^a[23] OK'
}
sel >"$T/ix.before"
for how in "header 8" "records 300" "names 20000" "cut 1000"; do
    set -- $how
    if [ "$1" = cut ]; then
        truncate -s "$2" "$MD/facteur-index"
    else
        head -c 64 /dev/urandom | dd of="$MD/facteur-index" bs=1 seek="$2" conv=notrunc 2>/dev/null
    fi
    sel >"$T/ix.after"
    check "a damaged index ($1): the same messages, UIDs, flags and sizes" \
        cmp -s "$T/ix.before" "$T/ix.after"
done
check "... the index written anew" test "$(stat -c %s "$MD/facteur-index")" -gt 1000

# A UID list whose header a disk tore is set aside when UIDs are next
# given (a delivery arrives), and the mailbox gets a new UIDVALIDITY
# (clients start again), not an error forever.
v1=$(grep -o 'UIDVALIDITY [0-9]*' "$T/after" | head -1)
printf 'garbage, not a header      ' | dd of="$MD/facteur-uidlist" conv=notrunc 2>/dev/null
printf 'Subject: after the tear\n\nx\n' >"$MD/new/1790000099.M1P1.torn"
sleep 1 # a new UIDVALIDITY is at least the time: make it differ
printf 'a1 SELECT INBOX\r\na2 FETCH 1:* (UID)\r\na3 LOGOUT\r\n' |
    (cd "$MD" && env USER=garbage@example.org HOME="$MD" IMAPD_TAG=a0 \
        "$BIN/imapd" -S) >"$T/torn" 2>"$T/torn.err"
v2=$(grep -o 'UIDVALIDITY [0-9]*' "$T/torn" | head -1)
check "a torn uidlist header: SELECT answers OK" grep -q '^a1 OK' "$T/torn"
check "... with a new UIDVALIDITY ($v1 -> $v2)" \
    sh -c "[ -n '$v2' ] && [ '$v1' != '$v2' ]"
check "... the old list set aside and the reason logged" \
    sh -c "[ -f '$MD/facteur-uidlist.broken' ] && grep -q 'set aside' '$T/torn.err'"
finish
