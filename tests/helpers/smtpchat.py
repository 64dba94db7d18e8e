#!/usr/bin/python3
"""smtpchat.py - play an SMTP dialogue from a script, check every reply.

Usage: smtpchat.py HOST PORT < script      (exit 0 when every check held)

Script lines:
  S text        send text + CRLF
  B 'bytes'     send a Python bytes literal as is (b'...' without the b)
  R code        read one reply (all its lines); its code must start with
                code ("2" matches any 2xx); "R -" reads and ignores one
  R! code text  the same, and the reply must also contain text
  N text        the last reply must not contain text (case-insensitive)
  TLS           wrap the socket in TLS now (after a 220 to STARTTLS)
  SLEEP secs    wait
  EOF           the server must close the connection (within 10 s)
  # ...         a comment
Replies that did not match are printed with the line of the script.
"""
import ast
import socket
import ssl
import sys
import time


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    sock = socket.create_connection((host, port), timeout=10)
    f = sock.makefile("rb")
    last = ""
    ok = True

    def reply():
        lines = []
        while True:
            ln = f.readline()
            if not ln:
                return None
            lines.append(ln.decode("latin-1").rstrip("\r\n"))
            if len(ln) < 4 or ln[3:4] != b"-":
                return "\n".join(lines)

    for num, raw in enumerate(sys.stdin.read().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        op, _, arg = line.partition(" ")
        if op == "S":
            sock.sendall(arg.encode("utf-8") + b"\r\n")
        elif op == "B":
            sock.sendall(ast.literal_eval("b" + arg))
        elif op in ("R", "R!"):
            code, _, text = arg.partition(" ")
            last = reply()
            if last is None:
                print(f"line {num}: connection closed, wanted {arg}")
                return 1
            if code != "-" and not last.startswith(code):
                print(f"line {num}: wanted {code}, got: {last}")
                ok = False
            if op == "R!" and text not in last:
                print(f"line {num}: wanted {text!r} in: {last}")
                ok = False
        elif op == "N":
            if arg.lower() in last.lower():
                print(f"line {num}: {arg!r} should not be in: {last}")
                ok = False
        elif op == "TLS":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock)
            f = sock.makefile("rb")
        elif op == "SLEEP":
            time.sleep(float(arg))
        elif op == "EOF":
            sock.settimeout(10)
            try:
                data = f.read()
            except OSError:
                data = b""
            if data:
                print(f"line {num}: wanted the end, got {data[:200]!r}")
                ok = False
        else:
            print(f"line {num}: bad script line: {raw}")
            return 2
    return 0 if ok else 1


sys.exit(main())
