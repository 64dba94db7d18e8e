"""imapdo.py PORT CAFILE USER PASS COMMAND... - log in over TLS, SELECT
INBOX, run each COMMAND (tags added) and print every response.  Exit 0
when all answered OK, 1 otherwise.  For the shell tests."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imapwire import Conn  # noqa: E402

port, cafile, user, pw = sys.argv[1:5]
c = Conn(int(port), cafile=cafile)
c.line()
rc = 0
for cmd in ['LOGIN "%s" "%s"' % (user, pw), "SELECT INBOX"] + sys.argv[5:]:
    got, r = c.cmd(cmd)
    for g in got + [r]:
        sys.stdout.write(g.decode("utf-8", "replace").replace("\r\n", "\n"))
    if r.split()[1] != b"OK":
        rc = 1
c.cmd("LOGOUT")
sys.exit(rc)
