"""imapraw.py TEST PORT CAFILE [ARGS] - imapd at the byte level.

Tests (each prints "ok - name" / "FAIL - name: why"; the exit code is
the number of failures):
  plain PORT                 the listener without TLS: LOGINDISABLED,
                             [PRIVACYREQUIRED], nothing checked
  preauth PORT CAFILE        what is allowed before login, STARTTLS,
                             the bad-command limit, literals
  auth PORT CAFILE           wrong password, unknown user (in parallel)
  brute PORT CAFILE          AUTH_FAIL_MAX=3: the 4th attempt refused
                             (from 127.0.0.3; 127.0.0.4 unaffected)
  session PORT CAFILE        SASL-IR and continuation, a command
                             pipelined after LOGIN, literal and line
                             limits, huge sequence sets
  procs PORT CAFILE CONF     the uids of the pre-auth, monitor and
                             session processes (/proc)
  idle PORT CAFILE BIN       IDLE sees a delivery by BIN/local-deliver
                             (< 3 s), a flag change and an expunge by
                             another session; DONE
  recent PORT CAFILE BIN      \Recent: one session only, for a delivery
                             and for an APPEND
  concurrent PORT CAFILE BIN MAILDIR
                             two sessions (flags, expunges) and 50
                             deliveries to bob at once; UIDs afterwards
Users: alice@example.org / "alice pw", bob@example.org / "bob pw".
"""
import base64
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imapwire import Closed, Conn, Steps  # noqa: E402

step = Steps()
ALICE = ("alice@example.org", "alice pw")
BOB = ("bob@example.org", "bob pw")


def plain_b64(user, pw):
    return base64.b64encode(("\0%s\0%s" % (user, pw)).encode()).decode()


def login(port, cafile, who=ALICE, src=None):
    c = Conn(port, cafile=cafile, src=src)
    c.line()
    _, r = c.cmd('LOGIN "%s" "%s"' % who)
    if b" OK " not in r:
        raise RuntimeError("login failed: %r" % r)
    return c


def deliver(bindir, rcpt, mid, subject="s", body="b"):
    msg = ("From: test@example.net\nTo: %s\nSubject: %s\n"
           "Message-ID: <%s>\n\n%s\n" % (rcpt, subject, mid, body))
    env = dict(os.environ, SENDER="test@example.net")
    p = subprocess.run([os.path.join(bindir, "local-deliver"), rcpt],
                       input=msg.encode(), env=env, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("local-deliver: %d %r" % (p.returncode, p.stderr))


FETCH_RE = re.compile(rb"^\* (\d+) FETCH \((.*)\)\r\n$", re.S)


def fetch_map(c, what="1:*"):
    """seq -> dict(uid, flags, mid) from UID FETCH of UID FLAGS MESSAGE-ID."""
    got, r = c.cmd("UID FETCH %s (UID FLAGS BODY.PEEK[HEADER.FIELDS "
                   "(MESSAGE-ID)])" % what)
    if b" OK " not in r:
        raise RuntimeError("UID FETCH: %r" % r)
    out = {}
    for g in got:
        m = FETCH_RE.match(g)
        if not m:
            continue
        body = m.group(2)
        uid = re.search(rb"UID (\d+)", body)
        fl = re.search(rb"FLAGS \(([^)]*)\)", body)
        mid = re.search(rb"Message-ID: (<[^>]*>)", body, re.I)
        if not uid or not mid:
            continue  # an unsolicited FETCH (FLAGS) update
        out[int(m.group(1))] = {
            "uid": int(uid.group(1)) if uid else None,
            "flags": fl.group(1).decode().split() if fl else None,
            "mid": mid.group(1).decode() if mid else None,
        }
    return out


# ---------------------------------------------------------------------
def t_plain(port):
    c = Conn(port, tls=False)
    g = c.line()
    step("plaintext greeting says LOGINDISABLED, no AUTH=",
         g.startswith(b"* OK") and b"LOGINDISABLED" in g and b"AUTH=" not in g
         and b"STARTTLS" not in g, g)
    got, r = c.cmd("CAPABILITY")
    step("plaintext CAPABILITY: LOGINDISABLED, no AUTH=PLAIN, no STARTTLS",
         b"LOGINDISABLED" in b"".join(got) and b"AUTH=PLAIN" not in
         b"".join(got) and b"STARTTLS" not in b"".join(got), got)
    _, r = c.cmd('LOGIN "alice@example.org" "alice pw"', "a1")
    step("plaintext LOGIN refused with [PRIVACYREQUIRED]",
         r.startswith(b"a1 NO [PRIVACYREQUIRED]"), r)
    _, r = c.cmd("AUTHENTICATE PLAIN " + plain_b64(*ALICE), "a2")
    step("plaintext AUTHENTICATE PLAIN refused with [PRIVACYREQUIRED]",
         r.startswith(b"a2 NO [PRIVACYREQUIRED]"), r)
    _, r = c.cmd("STARTTLS", "a3")
    step("plaintext STARTTLS is BAD (never offered)",
         r.startswith(b"a3 BAD"), r)
    _, r = c.cmd("SELECT INBOX", "a4")
    step("plaintext SELECT before login is BAD", r.startswith(b"a4 BAD"), r)
    _, r = c.cmd("LOGOUT", "a5")
    step("plaintext LOGOUT", r.startswith(b"a5 OK"), r)


def t_preauth(port, cafile):
    c = Conn(port, cafile=cafile)
    g = c.line()
    step("TLS greeting: CAPABILITY with AUTH=PLAIN SASL-IR, no STARTTLS, "
         "no LOGINDISABLED",
         b"AUTH=PLAIN" in g and b"SASL-IR" in g and b"STARTTLS" not in g
         and b"LOGINDISABLED" not in g, g)
    _, r = c.cmd("STARTTLS", "s1")
    step("STARTTLS is BAD", r.startswith(b"s1 BAD"), r)
    for tag, cmd in (("p1", "CAPABILITY"), ("p2", "NOOP"),
                     ("p3", 'ID ("name" "test")')):
        got, r = c.cmd(cmd, tag)
        step("pre-auth %s is OK" % cmd.split()[0], r.startswith(tag.encode()
             + b" OK"), (got, r))
    _, r = c.cmd("AUTHENTICATE CRAM-MD5", "p4")
    step("AUTHENTICATE with another mechanism: NO", r.startswith(b"p4 NO"), r)
    bad = ["SELECT INBOX", 'LIST "" "*"', "EXAMINE INBOX",
           "UID FETCH 1:* (FLAGS)"]
    for i, cmd in enumerate(bad):
        _, r = c.cmd(cmd, "b%d" % i)
        step("pre-auth %s is BAD" % cmd, r.startswith(b"b%d BAD" % i), r)
    # the same connection still logs in
    _, r = c.cmd('LOGIN "alice@example.org" "alice pw"', "l1")
    step("LOGIN after the refused commands", r.startswith(b"l1 OK"), r)
    c.cmd("LOGOUT")
    c.close()

    # five bad commands and the connection ends
    c = Conn(port, cafile=cafile)
    c.line()
    rs = []
    try:
        for i, cmd in enumerate(["CREATE x", "DELETE x", 'STATUS INBOX '
                                 '(MESSAGES)', "APPEND INBOX {3+}\r\nabc",
                                 "FOO"]):
            rs.append(c.cmd(cmd, "c%d" % i)[1])
        step("five bad pre-auth commands are all BAD",
             all(b" BAD " in r for r in rs), rs)
        bye = c.line()
        step("then BYE and the connection closes",
             bye.startswith(b"* BYE") and c.closed(), bye)
    except Closed:
        step("five bad pre-auth commands are all BAD, then BYE", False, rs)

    # an oversized synchronizing literal is refused before any "+"
    c = Conn(port, cafile=cafile)
    c.line()
    c.send("o1 LOGIN {999999999}\r\n")
    r = c.line()
    step("pre-auth: LOGIN {999999999} refused before any '+'",
         not r.startswith(b"+") and (b"BAD" in r or b"NO" in r), r)
    _, r = c.cmd("NOOP", "o2")
    step("pre-auth: the connection still works after it",
         r.startswith(b"o2 OK"), r)
    # a literal password works (synchronizing)
    c.send('o3 LOGIN "alice@example.org" {8}\r\n')
    r = c.line()
    step("pre-auth: small literal gets '+'", r.startswith(b"+"), r)
    c.send("alice pw\r\n")
    _, r = c.until("o3")
    step("LOGIN with the password as a literal", r.startswith(b"o3 OK"), r)
    c.close()

    # a pre-auth line over the limit
    c = Conn(port, cafile=cafile)
    c.line()
    c.send("x1 NOOP " + "a" * 10000 + "\r\n")
    try:
        r = c.line()
        _, r2 = c.cmd("NOOP", "x2")
        step("pre-auth: a 10000-byte line is BAD, the connection goes on",
             b"BAD" in r and r2.startswith(b"x2 OK"), (r, r2))
    except Closed as e:
        step("pre-auth: a 10000-byte line is BAD, the connection goes on",
             False, e)


def attempt(port, cafile, user, pw, src=None, out=None, key=None):
    c = Conn(port, cafile=cafile, src=src, timeout=30)
    c.line()
    t0 = time.time()
    _, r = c.cmd('LOGIN "%s" "%s"' % (user, pw), "w")
    dt = time.time() - t0
    c.close()
    if out is not None:
        out[key] = (r, dt)
    return r, dt


def t_auth(port, cafile):
    res = {}
    th = [threading.Thread(target=attempt, args=(port, cafile,
                           "alice@example.org", "Wr0ng-Secret-17", None,
                           res, "wrong")),
          threading.Thread(target=attempt, args=(port, cafile,
                           "nosuchuser@example.org", "Unkn0wn-Secret-42",
                           None, res, "unknown")),
          threading.Thread(target=attempt, args=(port, cafile,
                           "alice@nowhere.invalid", "Other-Secret-99",
                           None, res, "baddomain"))]
    for t in th:
        t.start()
    for t in th:
        t.join()
    for k in ("wrong", "unknown", "baddomain"):
        r, dt = res.get(k, (b"", 0))
        step("%s: NO [AUTHENTICATIONFAILED]" % k,
             r.startswith(b"w NO [AUTHENTICATIONFAILED]"), r)
    # the same answer for both, so a client cannot tell users apart
    step("wrong password and unknown user: the same text",
         res["wrong"][0] == res["unknown"][0], res)
    step("failures are delayed (>= 1 s by default)",
         all(res[k][1] >= 1.0 for k in res), {k: res[k][1] for k in res})


def t_brute(port, cafile):
    rs = []
    for i in range(3):
        rs.append(attempt(port, cafile, "alice@example.org", "brute%d" % i,
                          src="127.0.0.3")[0])
    step("3 wrong passwords: AUTHENTICATIONFAILED",
         all(r.startswith(b"w NO [AUTHENTICATIONFAILED]") for r in rs), rs)
    r, _ = attempt(port, cafile, "alice@example.org", "brute3",
                   src="127.0.0.3")
    step("4th attempt: NO [UNAVAILABLE]", r.startswith(b"w NO [UNAVAILABLE]"),
         r)
    r, _ = attempt(port, cafile, "alice@example.org", "alice pw",
                   src="127.0.0.3")
    step("even the right password is refused now",
         r.startswith(b"w NO [UNAVAILABLE]"), r)
    c = Conn(port, cafile=cafile, src="127.0.0.3")
    c.line()
    c.send("a AUTHENTICATE PLAIN %s\r\n" % plain_b64(*ALICE))
    _, r = c.until("a")
    step("and AUTHENTICATE PLAIN too", r.startswith(b"a NO [UNAVAILABLE]"), r)
    c.close()
    r, _ = attempt(port, cafile, "alice@example.org", "alice pw",
                   src="127.0.0.4")
    step("another client address still logs in", r.startswith(b"w OK"), r)


def t_session(port, cafile):
    # SASL-IR
    c = Conn(port, cafile=cafile)
    c.line()
    _, r = c.cmd("AUTHENTICATE PLAIN " + plain_b64(*ALICE), "a1")
    step("AUTHENTICATE PLAIN with SASL-IR", r.startswith(b"a1 OK"), r)
    c.cmd("LOGOUT")
    c.close()
    # continuation
    c = Conn(port, cafile=cafile)
    c.line()
    c.send("a2 AUTHENTICATE PLAIN\r\n")
    r = c.line()
    step("AUTHENTICATE PLAIN without SASL-IR: '+ ' continuation",
         r.startswith(b"+"), r)
    c.send(plain_b64(*ALICE) + "\r\n")
    _, r = c.until("a2")
    step("AUTHENTICATE PLAIN continuation: OK", r.startswith(b"a2 OK"), r)
    c.close()
    # cancelled
    c = Conn(port, cafile=cafile)
    c.line()
    c.send("a3 AUTHENTICATE PLAIN\r\n")
    c.line()
    c.send("*\r\n")
    _, r = c.until("a3")
    step("AUTHENTICATE cancelled with '*': BAD", r.startswith(b"a3 BAD"), r)
    c.close()

    # a command pipelined in the same write as LOGIN
    c = Conn(port, cafile=cafile)
    c.line()
    c.send('a LOGIN "alice@example.org" "alice pw"\r\nb SELECT INBOX\r\n'
           "c NOOP\r\n")
    try:
        _, ra = c.until("a")
        got, rb = c.until("b")
        _, rc = c.until("c")
        step("LOGIN + SELECT + NOOP in one write: all answered",
             ra.startswith(b"a OK") and rb.startswith(b"b OK")
             and rc.startswith(b"c OK")
             and any(b"EXISTS" in g for g in got), (ra, rb, rc))
    except (Closed, OSError) as e:
        step("LOGIN + SELECT + NOOP in one write: all answered", False, e)
        c = login(port, cafile)
        c.cmd("SELECT INBOX")

    # oversized synchronizing literal: refused before any "+"
    c.send("d APPEND INBOX {999999999}\r\n")
    r = c.line()
    step("APPEND {999999999}: NO/BAD before any '+'",
         r.startswith(b"d NO") or r.startswith(b"d BAD"), r)
    c.send("e SELECT {999999999}\r\n")
    r = c.line()
    step("SELECT {999999999}: NO/BAD before any '+'",
         r.startswith(b"e NO") or r.startswith(b"e BAD"), r)
    _, r = c.cmd("NOOP", "f")
    step("session goes on after the refused literals", r.startswith(b"f OK"),
         r)
    # a line over 8192 bytes
    c.send("g NOOP " + "x" * 9000 + "\r\n")
    r = c.line()
    step("9000-byte line: BAD", b" BAD " in r, r)
    step("9000-byte line: BAD carries the tag (else a client waits forever)",
         r.startswith(b"g BAD"), r)
    _, r = c.cmd("NOOP", "h")
    step("session goes on after the long line", r.startswith(b"h OK"), r)
    c.send("h2 FETCH 1 (" + " ".join(["FLAGS"] * 1300) + ")\r\n")
    r = c.line()
    while r.startswith(b"* ") and b"FETCH" in r:
        r = c.line()
    step("FETCH with 1300 attributes: BAD, not a crash", b"BAD" in r, r)
    _, r = c.cmd("NOOP", "h3")
    step("session goes on", r.startswith(b"h3 OK"), r)

    # huge sequence sets
    got, r = c.cmd("SELECT INBOX", "i")
    n = int([g for g in got if g.endswith(b"EXISTS\r\n")][0].split()[1])
    got, r = c.cmd("UID FETCH 1:* (UID)", "j0")
    maxuid = max(int(re.search(rb"UID (\d+)", g).group(1)) for g in got)
    t0 = time.time()
    got, r = c.cmd("UID FETCH 1:4294967295 (UID)", "j")
    dt = time.time() - t0
    step("UID FETCH 1:4294967295 completes fast (%.3f s)" % dt,
         dt < 1.0, (dt, r))
    step("UID FETCH 1:4294967295: OK with every message (4294967295 is a "
         "valid nz-number)", r.startswith(b"j OK") and len(got) == n,
         (r, got))
    t0 = time.time()
    got, r = c.cmd("UID SEARCH UID 1:4294967295", "k")
    dt = time.time() - t0
    step("UID SEARCH UID 1:4294967295 fast (%.3f s)" % dt,
         r.startswith(b"k OK") and dt < 1.0, (dt, r))
    t0 = time.time()
    got, r = c.cmd("UID STORE 4294967000:4294967294 +FLAGS.SILENT (\\Seen)",
                   "l")
    dt = time.time() - t0
    step("UID STORE on a huge empty range: OK, fast, touches nothing",
         r.startswith(b"l OK") and dt < 1.0 and not any(b"FETCH" in g for g
                                                         in got), (dt, got, r))
    t0 = time.time()
    got, r = c.cmd("SEARCH 1:4294967295,2:4294967295,3:4294967294", "m")
    dt = time.time() - t0
    step("SEARCH with huge sequence ranges: answered fast (%.3f s)" % dt,
         (r.startswith(b"m OK") or r.startswith(b"m BAD")) and dt < 1.0,
         (dt, r))
    got, r = c.cmd("FETCH 1:4294967295 (UID)", "m2")
    step("FETCH 1:4294967295 (sequence numbers beyond EXISTS): BAD",
         r.startswith(b"m2 BAD"), (r, len(got)))
    got, r = c.cmd("UID FETCH 4294967296 (UID)", "n")
    step("UID FETCH 4294967296 (not a 32-bit number): BAD",
         r.startswith(b"n BAD"), r)
    # "4294967295" is a UID, not "*": nothing has it
    got, r = c.cmd("UID FETCH 4294967295 (UID)", "o")
    step("UID FETCH 4294967295 returns no message (it is not '*')",
         r.startswith(b"o OK") and not got, (r, got))
    got, r = c.cmd("UID FETCH %d:4294967295 (UID)" % (maxuid + 10), "p")
    step("UID FETCH maxuid+10:4294967295 returns nothing (RFC 3501 6.4.8)",
         r.startswith(b"p OK") and not got, (r, got))
    got, r = c.cmd("UID FETCH %d:* (UID)" % (maxuid + 10), "q")
    step("UID FETCH maxuid+10:* returns the last message",
         r.startswith(b"q OK") and len(got) == 1
         and (b"UID %d" % maxuid) in got[0], got)
    c.cmd("LOGOUT")
    c.close()


def procs(conf):
    """[(pid, ppid, uids, gids, groups, fd0)] of live imapd processes with
    FACTEUR_CONF=conf."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                if f.read().strip() != "imapd":
                    continue
            with open("/proc/%s/environ" % pid, "rb") as f:
                if ("FACTEUR_CONF=" + conf).encode() not in f.read().split(
                        b"\0"):
                    continue
            st = {}
            with open("/proc/%s/status" % pid) as f:
                for ln in f:
                    k, _, v = ln.partition(":")
                    st[k] = v.split()
            if st["State"][0] == "Z":
                continue
            try:
                fd0 = os.readlink("/proc/%s/fd/0" % pid)
            except OSError:
                fd0 = "?"
            out.append((int(pid), int(st["PPid"][0]), st["Uid"], st["Gid"],
                        st.get("Groups", []), fd0))
        except (OSError, KeyError):
            continue
    return out


def t_procs(port, cafile, conf):
    c = Conn(port, cafile=cafile)
    c.line()
    time.sleep(0.2)
    ps = procs(conf)
    pre = [p for p in ps if p[2] == ["64012"] * 4]
    mon = [p for p in ps if p[2] == ["0"] * 4]
    step("before login: a pre-auth imapd with uid 64012 (real, effective, "
         "saved, fs)", len(pre) == 1, ps)
    step("before login: its gid 64012 and no supplementary group but 64012",
         len(pre) == 1 and pre[0][3] == ["64012"] * 4
         and set(pre[0][4]) <= {"64012"}, pre)
    step("before login: the monitor (root) is its parent and has no network "
         "on fd 0", len(pre) == 1 and len(mon) == 1
         and pre[0][1] == mon[0][0] and mon[0][5] == "/dev/null", ps)
    step("before login: nothing else", len(ps) == 2, ps)
    _, r = c.cmd('LOGIN "alice@example.org" "alice pw"')
    c.cmd("SELECT INBOX")
    time.sleep(0.2)
    ps = procs(conf)
    sess = [p for p in ps if p[2] == ["64013"] * 4]
    step("logged in: the session imapd runs as 64013 (all four uids)",
         r.split()[1] == b"OK" and len(sess) == 1, ps)
    step("logged in: session gid 64012, no root group",
         len(sess) == 1 and sess[0][3] == ["64012"] * 4
         and "0" not in sess[0][4], sess)
    step("logged in: the pre-auth process is gone",
         not [p for p in ps if p[2][0] == "64012"], ps)
    step("logged in: only the monitor and the session",
         len(ps) == 2 and len([p for p in ps if p[2] == ["0"] * 4]) == 1, ps)
    c.cmd("LOGOUT")
    c.close()
    time.sleep(0.3)
    step("after LOGOUT: no imapd left", procs(conf) == [], procs(conf))


def t_idle(port, cafile, bindir):
    a = login(port, cafile)
    got, _ = a.cmd("SELECT INBOX")
    n = int([g for g in got if g.endswith(b"EXISTS\r\n")][0].split()[1])
    a.send("i1 IDLE\r\n")
    r = a.line()
    step("IDLE: continuation", r.startswith(b"+"), r)
    t0 = time.time()
    deliver(bindir, "alice@example.org", "idle1@example.net", "idle test")
    a.settimeout(3)
    got = []
    try:
        while True:
            r = a.line()
            got.append(r)
            if r.endswith(b"EXISTS\r\n"):
                break
        dt = time.time() - t0
        step("IDLE: * %d EXISTS after a delivery in %.2f s (< 3 s)"
             % (n + 1, dt), r == b"* %d EXISTS\r\n" % (n + 1) and dt < 3,
             got)
    except Exception as e:  # noqa: BLE001
        step("IDLE: EXISTS after a delivery (< 3 s)", False, (e, got))
    # a flag change and an expunge by another session
    b = login(port, cafile)
    b.cmd("SELECT INBOX")
    b.cmd("STORE %d +FLAGS.SILENT (\\Flagged)" % (n + 1))
    got = []
    try:
        t0 = time.time()
        while True:
            r = a.line()
            got.append(r)
            if b"FETCH" in r:
                break
        step("IDLE: another session's STORE shows as FETCH FLAGS (%.2f s)"
             % (time.time() - t0), r.startswith(b"* %d FETCH" % (n + 1))
             and b"\\Flagged" in r, got)
    except Exception as e:  # noqa: BLE001
        step("IDLE: another session's STORE shows as FETCH FLAGS", False,
             (e, got))
    b.cmd("STORE %d +FLAGS.SILENT (\\Deleted)" % (n + 1))
    b.cmd("EXPUNGE")
    got = []
    try:
        while True:
            r = a.line()
            got.append(r)
            if b"EXPUNGE" in r:
                break
        step("IDLE: another session's EXPUNGE shows",
             r == b"* %d EXPUNGE\r\n" % (n + 1), got)
    except Exception as e:  # noqa: BLE001
        step("IDLE: another session's EXPUNGE shows", False, (e, got))
    a.settimeout(10)
    a.send("DONE\r\n")
    got, r = a.until("i1")
    step("DONE ends IDLE with OK", r.startswith(b"i1 OK"), (got, r))
    _, r = a.cmd("NOOP", "i2")
    step("the session goes on after IDLE", r.startswith(b"i2 OK"), r)
    a.send("i3 IDLE\r\n")
    a.line()
    a.send("NOTDONE\r\n")
    _, r = a.until("i3")
    step("IDLE ended by something else than DONE: BAD",
         r.startswith(b"i3 BAD"), r)
    a.close()
    b.close()


def recent_count(got):
    for g in got:
        m = re.match(rb"^\* (\d+) RECENT", g)
        if m:
            return int(m.group(1))
    return None


def t_recent(port, cafile, bindir):
    """RFC 3501 2.3.2: \\Recent for the first session told of a message,
    for no other: a delivery, an APPEND from a session elsewhere."""
    a, b, c = (login(port, cafile, BOB) for _ in range(3))
    a.cmd("CREATE RecentBox")
    _, r = a.cmd("APPEND RecentBox {29+}\r\nSubject: recent\r\n\r\nappended\r\n")
    step("APPEND to a folder nobody has selected", b" OK " in r, r)
    got, _ = b.cmd("SELECT RecentBox")
    step("the first SELECT after the APPEND: * 1 RECENT",
         recent_count(got) == 1, got)
    got, _ = b.cmd("FETCH 1 (FLAGS)")
    step("... and the message has \\Recent there",
         any(b"\\Recent" in g for g in got), got)
    got, _ = c.cmd("EXAMINE RecentBox")
    step("a second session: * 0 RECENT", recent_count(got) == 0, got)
    got, _ = c.cmd("FETCH 1 (FLAGS)")
    step("... without \\Recent", not any(b"\\Recent" in g for g in got),
         got)
    got, _ = b.cmd("SELECT INBOX")
    rb0 = recent_count(got) or 0
    got, _ = c.cmd("SELECT INBOX")
    rc0 = recent_count(got) or 0
    deliver(bindir, "bob@example.org", "recent1@example.net", "recent")
    got_b, _ = b.cmd("NOOP")
    got_c, _ = c.cmd("NOOP")
    rb1, rc1 = recent_count(got_b), recent_count(got_c)
    rb1 = rb0 if rb1 is None else rb1
    rc1 = rc0 if rc1 is None else rc1
    step("a delivery is \\Recent in one of two sessions (RECENT %d->%d, "
         "%d->%d)" % (rb0, rb1, rc0, rc1),
         sorted([rb1 - rb0, rc1 - rc0]) == [0, 1], (got_b, got_c))
    # leave bob's INBOX as it was (the concurrency test counts it)
    got, _ = b.cmd("UID SEARCH HEADER Message-ID recent1@example.net")
    for g in got:
        if g.startswith(b"* SEARCH "):
            for u in g.split()[2:]:
                b.cmd("UID STORE %s +FLAGS.SILENT (\\Deleted)" % u.decode())
                b.cmd("UID EXPUNGE %s" % u.decode())
    for x in (a, b, c):
        x.cmd("LOGOUT")
        x.close()


def t_concurrent(port, cafile, bindir, maildir):
    rcpt = "bob@example.org"
    for i in range(10):
        deliver(bindir, rcpt, "pre%d@example.net" % i)
    c = login(port, cafile, BOB)
    c.cmd("SELECT INBOX")
    before = {v["mid"]: v["uid"] for v in fetch_map(c).values()}
    c.cmd("LOGOUT")
    step("concurrency: 10 messages at start", len(before) == 10, before)
    maxbefore = max(before.values())

    a = login(port, cafile, BOB)
    a.cmd("SELECT INBOX")
    b = login(port, cafile, BOB)
    b.cmd("SELECT INBOX")
    done = threading.Event()
    errors = []
    flagged, deleted = set(), {}  # mids; deleted: mid -> uid

    def deliverer():
        try:
            for i in range(50):
                deliver(bindir, rcpt, "new%d@example.net" % i)
        except Exception as e:  # noqa: BLE001
            errors.append(("deliver", e))
        done.set()

    def session_a():
        try:
            while True:
                last = done.is_set()
                for seq, v in fetch_map(a).items():
                    k = int(re.sub(r"\D", "", v["mid"].split("@")[0]) or 0)
                    if v["mid"] in flagged or k % 3 != 1:
                        continue
                    _, r = a.cmd("UID STORE %d +FLAGS (\\Flagged)" % v["uid"])
                    if b" OK " in r:
                        flagged.add(v["mid"])
                if last:
                    break
        except Exception as e:  # noqa: BLE001
            errors.append(("A", e))

    def session_b():
        try:
            while True:
                last = done.is_set()
                todel = []
                for seq, v in fetch_map(b).items():
                    k = int(re.sub(r"\D", "", v["mid"].split("@")[0]) or 0)
                    if v["mid"] not in deleted and k % 4 == 0:
                        todel.append(v)
                for v in todel:
                    _, r = b.cmd("UID STORE %d +FLAGS.SILENT (\\Deleted)"
                                 % v["uid"])
                    if b" OK " in r:
                        deleted[v["mid"]] = v["uid"]
                got, r = b.cmd("EXPUNGE")
                if b" OK " not in r:
                    errors.append(("B expunge", r))
                if last:
                    break
        except Exception as e:  # noqa: BLE001
            errors.append(("B", e))

    th = [threading.Thread(target=f) for f in (deliverer, session_a,
                                              session_b)]
    t0 = time.time()
    for t in th:
        t.start()
    for t in th:
        t.join(60)
    step("concurrency: no errors in the three workers (%.1f s)"
         % (time.time() - t0), not errors, errors)

    # both sessions catch up; B learns A's later flag changes on NOOP
    b.cmd("NOOP")
    a.cmd("NOOP")
    bmap = fetch_map(b)
    amap = fetch_map(a)
    step("concurrency: A and B see the same messages afterwards",
         [v["uid"] for _, v in sorted(amap.items())]
         == [v["uid"] for _, v in sorted(bmap.items())],
         ([(k, v["uid"]) for k, v in sorted(amap.items())],
          [(k, v["uid"]) for k, v in sorted(bmap.items())]))
    targets = [v["uid"] for _, v in sorted(amap.items())][:3]
    for u in targets:
        a.cmd("UID STORE %d +FLAGS.SILENT (\\Answered)" % u)
    got, r = b.cmd("NOOP")
    seen = {}
    for g in got:
        m = FETCH_RE.match(g)
        if m and b"\\Answered" in g:
            seen[bmap[int(m.group(1))]["uid"]] = g
    step("concurrency: A's STOREs reported to B on NOOP as FETCH FLAGS",
         set(seen) == set(targets), (targets, got))

    a.cmd("LOGOUT")
    b.cmd("LOGOUT")
    c = login(port, cafile, BOB)
    got, _ = c.cmd("SELECT INBOX")
    after = fetch_map(c)
    c.cmd("LOGOUT")
    seqs = sorted(after)
    uids = [after[s]["uid"] for s in seqs]
    mids = [after[s]["mid"] for s in seqs]
    files = len(os.listdir(os.path.join(maildir, "new"))) + len(
        os.listdir(os.path.join(maildir, "cur")))
    step("concurrency: a fresh session sees every file (%d)" % files,
         len(after) == files and seqs == list(range(1, files + 1)),
         (len(after), files))
    step("concurrency: 60 - deleted messages remain",
         len(after) == 60 - len(deleted), (len(after), len(deleted)))
    step("concurrency: UIDs strictly increasing",
         all(x < y for x, y in zip(uids, uids[1:])), uids)
    step("concurrency: every Message-ID once", len(set(mids)) == len(mids),
         mids)
    step("concurrency: no deleted message is back",
         not set(deleted) & set(mids), set(deleted) & set(mids))
    kept = {m: u for m, u in zip(mids, uids)}
    step("concurrency: the UIDs of older messages did not change",
         all(kept[m] == before[m] for m in before if m in kept),
         {m: (before[m], kept.get(m)) for m in before})
    new_uids = [u for m, u in kept.items() if m.startswith("<new")]
    step("concurrency: new messages got new UIDs (> %d, none reused)"
         % maxbefore, all(u > maxbefore for u in new_uids)
         and not set(new_uids) & set(deleted.values()),
         (new_uids, deleted))
    step("concurrency: all 50 deliveries arrived (kept or deleted)",
         len([m for m in kept if m.startswith("<new")])
         + len([m for m in deleted if m.startswith("<new")]) == 50,
         (len(kept), len(deleted)))
    flags = {after[s]["mid"]: after[s]["flags"] for s in seqs}
    step("concurrency: A's \\Flagged kept on every message it flagged",
         all("\\Flagged" in flags[m] for m in flagged if m in flags)
         and len(flagged) > 5, (flagged, flags))
    step("concurrency: nothing flagged that A did not flag",
         all("\\Flagged" not in f for m, f in flags.items()
             if m not in flagged), flags)


def t_races(port, cafile, maildir):
    """Two sessions changing the same message, each without a NOOP
    between: both changes must survive (Maildir renames)."""
    a = login(port, cafile)
    b = login(port, cafile)
    a.cmd("CREATE Race")
    for i in range(3):
        a.cmd("APPEND Race {%d+}\r\nSubject: race %d\r\n\r\nx\r\n"
              % (len("Subject: race %d\r\n\r\nx\r\n" % i), i))
    a.cmd("SELECT Race")
    b.cmd("SELECT Race")
    cur = os.path.join(maildir, ".Race", "cur")
    # 1: B sets \Deleted, then A (stale) sets \Flagged on the same message
    b.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)")
    got, r = a.cmd("STORE 1 +FLAGS (\\Flagged)")
    names = sorted(os.listdir(cur))
    step("race: B's \\Deleted survives A's later +FLAGS \\Flagged "
         "(file has F and T)",
         any(n.endswith(":2,FT") for n in names), (names, got))
    step("race: A's STORE answer shows both flags",
         any(b"\\Deleted" in g and b"\\Flagged" in g for g in got), got)
    # 2: A sets \Deleted on 2; B sees it and adds \Seen; A expunges
    a.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)")
    b.cmd("NOOP")
    b.cmd("STORE 2 +FLAGS.SILENT (\\Seen)")
    got, r = a.cmd("EXPUNGE")
    names = sorted(os.listdir(cur))
    said = [g for g in got if g.endswith(b"EXPUNGE\r\n")]
    step("race: EXPUNGE of a message another session renamed: file gone "
         "when EXPUNGE is reported",
         not said or len(names) == 3 - len(said), (said, names))
    c = login(port, cafile)
    got, r = c.cmd("SELECT Race")
    exists = [g for g in got if g.endswith(b"EXISTS\r\n")]
    got, r = a.cmd("NOOP")
    ga, _ = a.cmd("FETCH 1:* (UID)")
    gc, _ = c.cmd("FETCH 1:* (UID)")
    step("race: the expunging session and a fresh one agree",
         [re.sub(rb"^\* \d+ ", b"", g) for g in ga if b"FETCH" in g]
         == [re.sub(rb"^\* \d+ ", b"", g) for g in gc if b"FETCH" in g],
         (ga, gc, exists))
    for x in (a, b, c):
        x.cmd("LOGOUT")
        x.close()


def main():
    t = sys.argv[1]
    a = sys.argv[2:]
    port = int(a[0])
    fn = {"plain": lambda: t_plain(port),
          "preauth": lambda: t_preauth(port, a[1]),
          "auth": lambda: t_auth(port, a[1]),
          "brute": lambda: t_brute(port, a[1]),
          "session": lambda: t_session(port, a[1]),
          "races": lambda: t_races(port, a[1], a[2]),
          "procs": lambda: t_procs(port, a[1], a[2]),
          "idle": lambda: t_idle(port, a[1], a[2]),
          "recent": lambda: t_recent(port, a[1], a[2]),
          "concurrent": lambda: t_concurrent(port, a[1], a[2], a[3])}[t]
    step.guard(t + " (ran to the end)", fn)
    sys.exit(min(step.failures, 99))


if __name__ == "__main__":
    main()
