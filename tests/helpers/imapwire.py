"""imapwire.py - a small IMAP client at the byte level, for the tests.

Used by imapraw.py (security, limits, IDLE, concurrency) and
imaporacle.py (facteur against Dovecot).  A Conn talks to a server over
TCP (with TLS or without) or over a child process's stdin/stdout (Dovecot
in PREAUTH mode); responses are read whole, literals included.
"""
import re
import socket
import ssl
import subprocess
import time

LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class Closed(Exception):
    pass


class Conn:
    def __init__(self, port=None, tls=True, cafile=None, src=None,
                 proc=None, timeout=10):
        self.buf = b""
        self.proc = proc
        self.ntag = 0
        if proc is not None:
            self.sock = None
            return
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if src:
            s.bind((src, 0))
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        if tls:
            ctx = ssl.create_default_context(cafile=cafile)
            ctx.check_hostname = False
            if cafile is None:
                ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
        self.sock = s

    @classmethod
    def spawn(cls, argv, env=None):
        p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=env, bufsize=0)
        return cls(proc=p)

    def settimeout(self, t):
        if self.sock:
            self.sock.settimeout(t)

    def _recv(self):
        if self.proc is not None:
            d = self.proc.stdout.read1(65536) if hasattr(
                self.proc.stdout, "read1") else self.proc.stdout.read(1)
        else:
            try:
                d = self.sock.recv(65536)
            except ssl.SSLError:
                d = b""
            except ConnectionResetError:
                d = b""
        if not d:
            raise Closed("connection closed")
        self.buf += d

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        if self.proc is not None:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        else:
            self.sock.sendall(data)

    def line(self):
        """One line, CRLF included."""
        while b"\n" not in self.buf:
            self._recv()
        i = self.buf.index(b"\n") + 1
        ln, self.buf = self.buf[:i], self.buf[i:]
        return ln

    def response(self):
        """One whole response: a line and the literals it announces."""
        r = self.line()
        while True:
            m = LITERAL.search(r)
            if not m:
                return r
            n = int(m.group(1))
            while len(self.buf) < n:
                self._recv()
            r += self.buf[:n]
            self.buf = self.buf[n:]
            r += self.line()

    def tag(self):
        self.ntag += 1
        return "t%d" % self.ntag

    def until(self, tag):
        """Responses up to and including the tagged one: (untagged, last)."""
        got = []
        t = tag.encode() + b" "
        while True:
            r = self.response()
            if r.startswith(t):
                return got, r
            got.append(r)

    def cmd(self, text, tag=None):
        tag = tag or self.tag()
        self.send("%s %s\r\n" % (tag, text))
        return self.until(tag)

    def closed(self, wait=2.0):
        """True when the peer closes within wait seconds (reads dropped)."""
        end = time.time() + wait
        self.settimeout(wait)
        try:
            while time.time() < end:
                self.buf = b""
                self._recv()
        except Closed:
            return True
        except socket.timeout:
            return False
        return False

    def close(self):
        try:
            if self.sock:
                self.sock.close()
            if self.proc:
                self.proc.stdin.close()
                self.proc.wait(5)
        except Exception:
            pass


class Steps:
    """ok/FAIL lines, as imapcheck.py prints them; failures counted."""

    def __init__(self):
        self.failures = 0

    def __call__(self, name, cond, why=""):
        if cond:
            print("ok - " + name, flush=True)
        else:
            self.failures += 1
            why = repr(why)
            if len(why) > 600:
                why = why[:600] + "..."
            print("FAIL - %s: %s" % (name, why), flush=True)
        return cond

    def guard(self, name, fn, *args):
        """Run fn; an exception is a failure of the step name."""
        try:
            return fn(*args)
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            self(name, False, "%s: %s" % (type(e).__name__, e))
            return None
