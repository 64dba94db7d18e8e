#!/usr/bin/python3
"""stsserver.py - an HTTPS server for MTA-STS policies, for the tests.

Usage: stsserver.py ADDR PORT CERT KEY DIR

GET /.well-known/mta-sts.txt with "Host: mta-sts.DOMAIN" answers the
file DIR/DOMAIN as text/plain (404 when there is none).  Every request is
logged on stderr.
"""
import http.server
import os
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "").lower()
        path = os.path.join(sys.argv[5], host[len("mta-sts."):])
        if (self.path != "/.well-known/mta-sts.txt"
                or not host.startswith("mta-sts.") or "/" in host
                or not os.path.isfile(path)):
            self.send_error(404)
            return
        body = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    addr, port, cert, key = sys.argv[1:5]
    srv = http.server.HTTPServer((addr, int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


main()
