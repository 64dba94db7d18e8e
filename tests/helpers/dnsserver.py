#!/usr/bin/python3
"""dnsserver.py - a small authoritative DNS server for the tests.

Serves the records of a zone file and/or a Python dict over UDP and TCP
on loopback, and misbehaves on request, one name at a time, so that the
resolver's handling of bad servers can be tested.  Needs dnslib (Debian:
python3-dnslib): run it with /usr/bin/python3.

    dnsserver.py [options] PORT

  --zone FILE       records in zone-file syntax (dnslib's: $ORIGIN, $TTL,
                    full names or relative to $ORIGIN), repeatable
  --records DICT    records as a Python literal, e.g.
                    '{"example.test": ["MX 10 mx1.example.test.",
                                       "TXT \\"v=spf1 -all\\""]}'
  --addr ADDR       address to listen on (default 127.0.0.1), repeatable:
                    --addr 127.0.0.1 --addr ::1 listens on both
  --log FILE        one line per query received: "PROTO NAME TYPE EDNS"
                    (PROTO udp, tcp, udp6, tcp6; EDNS noedns, edns=SIZE
                    or edns=SIZE,do)

Misbehaviour for a query name NAME (any case, no final dot; "*" = all):
  --ad NAME         set the AD bit in the answer
  --tc NAME         over UDP, an empty answer with TC set (the question
                    kept, as real servers do); TCP gives the whole answer
  --tc-bare NAME    the same without the question section (dnslib's
                    truncate(), as some servers send it)
  --servfail NAME   answer SERVFAIL
  --drop NAME       never answer (UDP or TCP)
  --badid NAME      answer only with a wrong id (so: never)
  --spoof NAME      before the real answer, send three forged ones that
                    carry A 192.0.2.66: wrong id, wrong question name, and
                    the right answer from another source port

Answers follow CNAMEs inside the served records as a recursive resolver
would (a CNAME loop stops at the first repeated name).  A name with no
records that has none below it either is NXDOMAIN; UDP answers larger
than the client's EDNS size (512 without EDNS) come back with TC set.
"""
import argparse
import ast
import socket
import socketserver
import struct
import sys
import threading

from dnslib import A, DNSHeader, DNSQuestion, DNSRecord, EDNS0, QTYPE, RCODE, RR

MAX_CHAIN = 16  # CNAME links followed while answering
FORGED = "192.0.2.66"  # TEST-NET-1: what a forged answer says

opts = None
zone = {}  # name (lower case, no final dot) -> [RR]
log_lock = threading.Lock()


def key(name):
    return str(name).lower().rstrip(".")


def load_zone(text):
    for rr in RR.fromZone(text):
        zone.setdefault(key(rr.rname), []).append(rr)


def load_dict(literal):
    lines = []
    for name, records in ast.literal_eval(literal).items():
        for rec in records:
            lines.append("%s. 300 IN %s" % (name.rstrip("."), rec))
    load_zone("\n".join(lines))


def marked(option, qname):
    names = getattr(opts, option) or []
    return "*" in names or qname in [key(n) for n in names]


def exists(name):
    return any(n == name or n.endswith("." + name) for n in zone)


def lookup(qname, qtype):
    """The answer records for qname/qtype, CNAMEs first, and the rcode."""
    answers, name, seen = [], qname, set()
    for _ in range(MAX_CHAIN):
        if name in seen:
            break
        seen.add(name)
        rrs = zone.get(name, [])
        cnames = [rr for rr in rrs if rr.rtype == QTYPE.CNAME]
        if cnames and qtype != QTYPE.CNAME:
            answers += cnames
            name = key(cnames[0].rdata.label)
            continue
        answers += [rr for rr in rrs if rr.rtype == qtype]
        break
    return answers, (RCODE.NOERROR if exists(name) else RCODE.NXDOMAIN)


def log(proto, qname, qtype, edns):
    """One line a query: "udp|udp6|tcp|tcp6 NAME TYPE EDNS", EDNS being
    noedns or edns=SIZE, then ",do" when the DO bit is set."""
    flags = "noedns"
    if edns:
        do = ",do" if edns[0].edns_do else ""
        flags = "edns=%d%s" % (edns[0].edns_len, do)
    with log_lock, open(opts.log, "a") as f:
        f.write("%s %s %s %s\n" % (proto, qname, qtype, flags))


def answer(request, proto):
    """The reply to request (None: stay silent) and the forgeries to send
    before it."""
    q = request.q
    qname = key(q.qname)
    edns = [rr for rr in request.ar if rr.rtype == QTYPE.OPT]
    if opts.log:
        log(proto, qname, QTYPE.get(q.qtype), edns)
    if marked("drop", qname):
        return None, []
    reply = request.reply()
    if marked("servfail", qname):
        reply.header.rcode = RCODE.SERVFAIL
    else:
        records, rcode = lookup(qname, q.qtype)
        reply.header.rcode = rcode
        for rr in records:
            reply.add_answer(rr)
    if marked("ad", qname):
        reply.header.ad = 1
    if edns:
        reply.add_ar(EDNS0(udp_len=1232, flags="do"))
    if marked("badid", qname):
        reply.header.id = (reply.header.id + 1) & 0xFFFF
    forged = []
    if marked("spoof", qname):
        forged = spoofs(request)
    if proto.startswith("udp"):
        size = edns[0].edns_len if edns else 512
        if marked("tc", qname) or len(reply.pack()) > size:
            full = reply
            reply = request.reply()
            reply.header.id = full.header.id
            reply.header.tc = 1
        elif marked("tc_bare", qname):
            reply = reply.truncate()
    return reply, forged


def spoofs(request):
    """Three forged answers: wrong id, wrong question, right answer (the
    caller sends it from another port)."""
    out = []
    for kind in ("id", "question", "port"):
        qname = request.q.qname
        if kind == "question":
            qname = "forged." + key(qname)
        # A new question: reply() would share (and here change) request's.
        fake = DNSRecord(DNSHeader(id=request.header.id, qr=1, aa=1, ra=1),
                         q=DNSQuestion(qname, request.q.qtype))
        if kind == "id":
            fake.header.id = (fake.header.id + 7) & 0xFFFF
        fake.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(FORGED)))
        out.append((kind, fake.pack()))
    return out


def proto_name(proto, sock):
    return proto + ("6" if sock.family == socket.AF_INET6 else "")


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        try:
            request = DNSRecord.parse(data)
        except Exception:
            return
        reply, forged = answer(request, proto_name("udp", sock))
        for kind, packet in forged:
            if kind == "port":
                other = socket.socket(sock.family, socket.SOCK_DGRAM)
                other.sendto(packet, self.client_address)
                other.close()
            else:
                sock.sendto(packet, self.client_address)
        if reply is not None:
            sock.sendto(reply.pack(), self.client_address)


class TCPHandler(socketserver.BaseRequestHandler):
    def recv_all(self, n):
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def handle(self):
        while True:
            head = self.recv_all(2)
            if head is None:
                return
            data = self.recv_all(struct.unpack("!H", head)[0])
            if data is None:
                return
            try:
                request = DNSRecord.parse(data)
            except Exception:
                return
            reply, _ = answer(request, proto_name("tcp", self.request))
            if reply is None:
                continue  # silent: the client times out
            packet = reply.pack()
            self.request.sendall(struct.pack("!H", len(packet)) + packet)


def servers(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET

    class UDP(socketserver.ThreadingUDPServer):
        address_family = family
        daemon_threads = True
        allow_reuse_address = True

    class TCP(socketserver.ThreadingTCPServer):
        address_family = family
        daemon_threads = True
        allow_reuse_address = True

    return [UDP((addr, port), UDPHandler), TCP((addr, port), TCPHandler)]


def main():
    global opts
    p = argparse.ArgumentParser(description="authoritative DNS for tests")
    p.add_argument("port", type=int)
    p.add_argument("--zone", action="append", default=[])
    p.add_argument("--records")
    p.add_argument("--addr", action="append")
    p.add_argument("--log")
    for o in ("ad", "tc", "tc-bare", "servfail", "drop", "badid", "spoof"):
        p.add_argument("--" + o, action="append")
    opts = p.parse_args()
    for path in opts.zone:
        with open(path) as f:
            load_zone(f.read())
    if opts.records:
        load_dict(opts.records)
    running = []
    for addr in opts.addr or ["127.0.0.1"]:
        for srv in servers(addr, opts.port):
            t = threading.Thread(target=srv.serve_forever, daemon=True)
            t.start()
            running.append(t)
    for t in running:
        t.join()


if __name__ == "__main__":
    sys.exit(main())
