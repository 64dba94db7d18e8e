#!/usr/bin/python3
# dkimverify_vectors.py - make tests/unit/dkimverify_vectors.h: messages
# signed by an independent signer (dkimpy, Debian's python3-dkim) for
# tests/unit/dkimverify_test.c.  Run by hand when the vectors must
# change (new keys each time; the private keys are not kept):
#   /usr/bin/python3 tests/helpers/dkimverify_vectors.py \
#       > tests/unit/dkimverify_vectors.h
# Every vector is checked with dkimpy's own verifier before it is written.
import base64
import sys
import time

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

T = 1700000000  # the signing time of every vector (t=)
time.time = lambda: T  # dkimpy reads the clock for t= and its x= checks


def newkey(bits):
    k = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = k.private_bytes(serialization.Encoding.PEM,
                          serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption())
    spki = k.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    pkcs1 = k.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.PKCS1)
    rec = b"v=DKIM1; k=rsa; p=" + base64.b64encode(spki)
    return pem, rec, base64.b64encode(pkcs1)


class Expiring(dkim.DKIM):
    """dkimpy's signer with an x= tag, or b= first (it has no option for
    either)."""
    x = None
    bfirst = False

    def gen_header(self, fields, *a, **kw):
        i = [f[0] for f in fields].index(b"b")
        if self.x is not None:
            fields.insert(i, (b"x", str(self.x).encode()))
        if self.bfirst:
            fields.insert(0, fields.pop(i))
        return dkim.DKIM.gen_header(self, fields, *a, **kw)


def sign(msg, sel, pem, canon=(b"relaxed", b"relaxed"), headers=None,
         length=False, alg=b"rsa-sha256", identity=None, x=None,
         bfirst=False):
    if headers is None:
        headers = [b"from", b"to", b"subject", b"date", b"message-id",
                   b"from"]
    d = Expiring(msg, signature_algorithm=alg)
    d.x = x
    d.bfirst = bfirst
    return d.sign(sel, b"example.org", pem, canonicalize=canon,
                  include_headers=headers, length=length,
                  identity=identity)


def check(msg, rec, want=True, idx=0):
    d = dkim.DKIM(msg, minkey=512)
    got = d.verify(idx=idx, dnsfunc=lambda name, timeout=5: rec)
    if got != want:
        sys.exit("dkimpy disagrees on a vector (%r)" % msg[:200])


def cstr(name, data):
    """data as a C string constant, a piece per line of the message (a
    long line cut into pieces of at most 64 bytes)."""
    out = ["static const char %s[] =" % name]
    lines = data.split(b"\r\n")
    for i, line in enumerate(lines):
        if i == len(lines) - 1 and line == b"":
            break
        nl = b"\r\n" if i < len(lines) - 1 else b""
        pieces = [line[k:k + 64] for k in range(0, len(line), 64)] or [b""]
        for j, piece in enumerate(pieces):
            s = ""
            for c in piece + (nl if j == len(pieces) - 1 else b""):
                ch = chr(c)
                if ch == "\r":
                    s += "\\r"
                elif ch == "\n":
                    s += "\\n"
                elif ch in '"\\':
                    s += "\\" + ch
                elif 32 <= c < 127:
                    s += ch
                else:
                    s += "\\%03o" % c
            out.append('    "%s"' % s)
    if len(out) == 1:
        out.append('    ""')
    return "\n".join(out) + ";\n"


MSG = (b"From: Alice <alice@example.org>\r\n"
       b"To: bob@example.net\r\n"
       b"Subject:  a  folded\r\n"
       b"\tsubject line \r\n"
       b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
       b"Message-ID: <vec1@example.org>\r\n"
       b"Received: not signed\r\n"
       b"\r\n"
       b"Hello Bob,  \r\n"
       b"\r\n"
       b"a line\twith  spaces \t\r\n"
       b"bye\r\n"
       b"\r\n"
       b"\r\n")

pem_a, rec_a, pkcs1_a = newkey(2048)
pem_b, rec_b, _ = newkey(2048)
pem_512, rec_512, _ = newkey(512)
_, rec_8192, _ = newkey(8192)

vec = {}
vec["msg_rr"] = sign(MSG, b"sel", pem_a) + MSG
check(vec["msg_rr"], rec_a)
vec["msg_ss"] = sign(MSG, b"sel", pem_a, canon=(b"simple", b"simple")) + MSG
check(vec["msg_ss"], rec_a)
vec["msg_rs"] = sign(MSG, b"sel", pem_a, canon=(b"relaxed", b"simple")) + MSG
check(vec["msg_rs"], rec_a)
vec["msg_sr"] = sign(MSG, b"sel", pem_a, canon=(b"simple", b"relaxed"),
                     identity=b"alice@mail.example.org") + MSG
check(vec["msg_sr"], rec_a)
vec["msg_l"] = sign(MSG, b"sel", pem_a, length=True) + MSG
check(vec["msg_l"], rec_a)
vec["msg_x"] = sign(MSG, b"sel", pem_a, x=T + 3600) + MSG
check(vec["msg_x"], rec_a)
vec["msg_sha1"] = sign(MSG, b"sel", pem_a, alg=b"rsa-sha1") + MSG
check(vec["msg_sha1"], rec_a)
vec["msg_512"] = sign(MSG, b"sel", pem_512) + MSG
check(vec["msg_512"], rec_512)
# Two signatures: the top one by key B under a selector whose record is
# key A's (fails), the second good.
vec["msg_two"] = (sign(MSG, b"other", pem_b) + sign(MSG, b"sel", pem_a)
                  + MSG)
check(vec["msg_two"], rec_a, want=False, idx=0)
check(vec["msg_two"], rec_a, want=True, idx=1)
# b= first, before bh=: its value is removed from the middle of the field.
vec["msg_bfirst"] = sign(MSG, b"sel", pem_a, canon=(b"simple", b"simple"),
                         bfirst=True) + MSG
check(vec["msg_bfirst"], rec_a)
# An empty body, simple: it hashes as one CRLF.
EMPTY = MSG[:MSG.index(b"\r\n\r\n") + 4]
vec["msg_empty"] = sign(EMPTY, b"sel", pem_a,
                        canon=(b"simple", b"simple")) + EMPTY
check(vec["msg_empty"], rec_a)

# RFC 8463 Appendix A.3: the example signed with ed25519-sha256 and
# rsa-sha256 (the key of RFC 8463 A.2 / dkimpy's test data), as dkimpy
# ships it; LF made CRLF.
with open("/usr/lib/python3/dist-packages/dkim/tests/data/"
          "rfc6376.signed.msg", "rb") as f:
    rfc = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
with open("/usr/lib/python3/dist-packages/dkim/tests/data/test.txt",
          "rb") as f:
    rec_rfc = f.read().strip()
check(rfc, rec_rfc, idx=1)
vec["msg_rfc8463"] = rfc

print("/* dkimverify_vectors.h - made by tests/helpers/dkimverify_vectors.py")
print(" * (dkimpy %s signatures at t=%d, keys made for the occasion and"
      % (getattr(dkim, "__version__", "1.1"), T))
print(" * thrown away); do not edit. */")
print()
print('#define VEC_T %d' % T)
for name, rec in (("rec_a", rec_a), ("rec_b", rec_b), ("rec_512", rec_512),
                  ("rec_8192", rec_8192), ("rec_rfc8463", rec_rfc),
                  ("rec_a_pkcs1", b"v=DKIM1; p=" + pkcs1_a)):
    print(cstr(name, rec))
for name in vec:
    print(cstr(name, vec[name]))
