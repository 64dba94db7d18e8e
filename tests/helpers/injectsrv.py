#!/usr/bin/python3
"""injectsrv.py - a hostile SMTP server for remote-send's STARTTLS test.

Usage: injectsrv.py ADDR PORT CERT KEY LOG

Offers STARTTLS; its reply to STARTTLS is "220 go ahead" followed, in the
same packet, by an injected "554 5.7.0 injected" line, sent in clear just
before the TLS handshake (the other direction of CVE-2011-0411).  A
client that read those bytes after the handshake would take them for the
reply to its next EHLO and fail.  Then it behaves: it takes one message
through TLS and answers 250.  Everything it receives is written to LOG.
Serves connections until killed.
"""
import socket
import ssl
import sys


def main():
    addr, port, cert, key, logpath = sys.argv[1:6]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, int(port)))
    srv.listen(5)
    while True:
        conn, _ = srv.accept()
        with open(logpath, "a") as log:
            try:
                serve(conn, ctx, log)
            except (OSError, ssl.SSLError) as e:
                log.write("error %s\n" % e)
        conn.close()


def serve(conn, ctx, log):
    conn.sendall(b"220 inject.test ESMTP\r\n")
    f = conn.makefile("rb")
    tls = False
    data = False
    while True:
        line = f.readline()
        if not line:
            return
        log.write(("tls " if tls else "clear ") + line.decode("latin-1"))
        log.flush()
        cmd = line.strip().upper()
        if data:
            if line == b".\r\n":
                data = False
                out(conn, b"250 2.0.0 taken\r\n")
            continue
        if cmd.startswith(b"EHLO"):
            if tls:
                out(conn, b"250-inject.test\r\n250 PIPELINING\r\n")
            else:
                out(conn, b"250-inject.test\r\n250 STARTTLS\r\n")
        elif cmd == b"STARTTLS" and not tls:
            conn.sendall(b"220 2.0.0 go ahead\r\n554 5.7.0 injected\r\n")
            conn = ctx.wrap_socket(conn, server_side=True)
            f = conn.makefile("rb")
            tls = True
        elif cmd == b"DATA":
            data = True
            out(conn, b"354 go\r\n")
        elif cmd == b"QUIT":
            out(conn, b"221 bye\r\n")
            return
        else:
            out(conn, b"250 2.0.0 ok\r\n")


def out(conn, b):
    conn.sendall(b)


main()
