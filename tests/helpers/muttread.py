"""muttread.py PORT CAFILE USER PASS DIR

neomutt, as a user runs it (in a pseudo-terminal: it has no batch mode
for reading), opens INBOX over imaps://localhost:PORT with the CA in
CAFILE, with its IMAP pipelining as deep as it goes (15 commands),
pipes the first message to DIR/mutt.out, sets \\Flagged on the second,
and quits.  The shell checks the results with a second client.  Prints
ok/FAIL lines (imapwire.Steps).
"""
import os
import pty
import re
import select
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imapwire import Steps  # noqa: E402

port, cafile, user, pw, d = sys.argv[1:6]
step = Steps()
out = os.path.join(d, "mutt.out")
rc = os.path.join(d, "muttrc")
with open(rc, "w") as f:
    f.write("""set ssl_ca_certificates_file="%s"
set imap_user="%s"
set imap_pass="%s"
set imap_pipeline_depth=15
set folder="imaps://localhost:%s/"
set spoolfile="+INBOX"
set header_cache=""
set message_cachedir=""
set quit=yes
set wait_key=no
set confirmappend=no
set mark_old=no
set move=no
set sort=mailbox-order
set mail_check_stats=no
set timeout=2
""" % (cafile, user, pw, port))

keys = ('<display-message><exit><pipe-message>cat > %s<enter>'
        '<next-entry><flag-message><quit>' % out)
env = dict(os.environ, TERM="xterm", HOME=d, LINES="40", COLUMNS="120")
pid, fd = pty.fork()
if pid == 0:
    os.execvpe("neomutt", ["neomutt", "-n", "-F", rc, "-e",
                           "push '%s'" % keys], env)
seen = b""
deadline = time.time() + 30
status = None
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            b = os.read(fd, 65536)
        except OSError:
            b = b""
        if not b:
            break
        seen += b
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
        break
# the terminal closes as neomutt exits: give it a moment to be reaped
while status is None and time.time() < deadline:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
    else:
        time.sleep(0.1)
if status is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
with open(os.path.join(d, "mutt.screen"), "wb") as f:
    f.write(seen)
screen = re.sub(rb"\x1b(\[[0-9;?]*[A-Za-z]|[()][A-Z0-9]|[=>])", b"", seen)
step("neomutt ran and quit by itself", status is not None
     and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
     screen[-400:].decode(errors="replace"))
try:
    text = open(out, "rb").read()
except OSError:
    text = b""
step("neomutt piped the first message", b"Subject:" in text,
     text[:200])
sys.exit(step.failures)
