"""imapimport.py PORT CAFILE USER PASS LOCALDELIVER dovecot DOVECOTCONF DOVECOTHOME
   imapimport.py PORT CAFILE USER PASS LOCALDELIVER courier MAILDIR IMAPD

A mailbox another server has served keeps its UIDs under facteur: that
server (Dovecot's imap in PREAUTH mode, or Courier's imapd started as
its imaplogin starts it, AUTHENTICATED set; either as the mailbox owner)
selects the INBOX prepared by the shell (three messages in new/),
expunges the second and records its UIDVALIDITY and the UID of each
Message-ID; then local-deliver adds a fourth message and imapd, at its
first open, imports dovecot-uidlist or courierimapuiddb: the same
UIDVALIDITY, the same UIDs for the old messages, and a UID above the
other server's for the new one.  Prints ok/FAIL lines (imapwire.Steps).
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imapwire import Conn, Steps  # noqa: E402

port, cafile, user, pw, ld, server = sys.argv[1:7]
step = Steps()


def uids(conn):
    got, r = conn.cmd("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS "
                      "(MESSAGE-ID)])")
    out = {}
    for g in got:
        m = re.search(rb"UID (\d+).*?(<[^>]+>)", g, re.S)
        if m:
            out[m.group(2).decode()] = int(m.group(1))
    return out


def validity(got):
    for g in got:
        m = re.search(rb"UIDVALIDITY (\d+)", g)
        if m:
            return int(m.group(1))
    return None


if server == "dovecot":
    dconf, dhome = sys.argv[7:9]
    env = {"USER": "dora", "HOME": dhome, "PATH": "/usr/bin:/bin"}
    argv = ["/usr/lib/dovecot/imap", "-c", dconf]
else:
    maildir, cimapd = sys.argv[7:9]
    env = {"AUTHENTICATED": user, "MAILDIR": maildir, "HOME": maildir,
           "PATH": "/usr/bin:/bin",
           "LD_LIBRARY_PATH": os.environ.get("LD_LIBRARY_PATH", "")}
    argv = [cimapd, maildir]
if os.geteuid() == 0:
    argv = ["setpriv", "--reuid", "64013", "--regid", "64012",
            "--clear-groups"] + argv
d = Conn.spawn(argv, env=env)
d.line()
got, r = d.cmd("SELECT INBOX")
dv = validity(got)
d.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)")
d.cmd("EXPUNGE")
before = uids(d)
d.cmd("LOGOUT")
step("%s served the mailbox (2 messages left)" % server, len(before) == 2
     and dv is not None, (before, dv))

msg = b"From: x@example.net\nSubject: after\nMessage-ID: <after@x>\n\nnew\n"
subprocess.run([ld, user], input=msg, env=dict(os.environ, SENDER="x@example.net"),
               check=True, capture_output=True)

f = Conn(int(port), cafile=cafile)
f.line()
f.cmd('LOGIN "%s" "%s"' % (user, pw))
got, r = f.cmd("SELECT INBOX")
fv = validity(got)
after = uids(f)
f.cmd("LOGOUT")
step("the same UIDVALIDITY as %s's" % server, fv == dv, (fv, dv))
step("the same UIDs for %s's messages" % server,
     all(after.get(k) == v for k, v in before.items()), (before, after))
new = after.get("<after@x>")
step("a new message gets a UID above %s's" % server,
     new is not None and new > max(before.values()), (before, after))
sys.exit(step.failures)
