#!/usr/bin/python3
# ed25519_vectors.py - make tests/unit/ed25519_vectors.h: Ed25519 keys
# and signatures made by an independent implementation (libsodium, through
# PyNaCl: Debian's python3-nacl) for tests/unit/ed25519_test.c.  Run by
# hand when the vectors must change:
#   /usr/bin/python3 tests/helpers/ed25519_vectors.py \
#       > tests/unit/ed25519_vectors.h
# The seeds and messages come from a fixed RNG seed, so the output is the
# same at each run.  Every signature is checked with PyNaCl's verifier
# before it is written.
import random
import sys

import nacl
import nacl.signing

RNG_SEED = 8463  # RFC 8463, ed25519-sha256 for DKIM
COUNT = 40
MSG_MAX = 300

# Lengths that end at or straddle SHA-512's 128-byte blocks (the hashed
# input is 64 bytes of R || A, or 32 of prefix, then the message), then
# random ones.
LENGTHS = [0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 95, 96, 97, 111, 112, 113,
           127, 128, 129, 255, 256, 257, 299, 300]


def message(rng, n, i):
    """Random bytes for even i, printable text (as a DKIM header hash
    input would be) for odd i."""
    if i % 2 == 0:
        return bytes(rng.randrange(256) for _ in range(n))
    text = b"abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789:;=-\r\n"
    return bytes(rng.choice(text) for _ in range(n))


def carray(data, indent):
    """data as a C initializer list, 10 bytes a line, the lines after the
    first indented by indent."""
    lines = [", ".join("0x%02x" % b for b in data[k:k + 10])
             for k in range(0, len(data), 10)]
    return "{ " + (",\n" + indent).join(lines) + " }"


def cstr(data, indent):
    """data as a C string constant, octal escapes for all but letters,
    digits, space and a few marks (no '?': no trigraphs), 16 bytes a
    line."""
    if not data:
        return '""'
    safe = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            b"0123456789 :;=-")
    pieces = []
    for k in range(0, len(data), 16):
        s = "".join(chr(c) if c in safe else "\\%03o" % c
                    for c in data[k:k + 16])
        pieces.append('%s"%s"' % (indent, s))
    return "\n".join(pieces).lstrip()


rng = random.Random(RNG_SEED)
lengths = LENGTHS + [rng.randrange(MSG_MAX + 1)
                     for _ in range(COUNT - len(LENGTHS))]
vectors = []
for i, n in enumerate(lengths):
    seed = bytes(rng.randrange(256) for _ in range(32))
    msg = message(rng, n, i)
    key = nacl.signing.SigningKey(seed)
    pub = key.verify_key.encode()
    sig = key.sign(msg).signature
    if nacl.signing.VerifyKey(pub).verify(msg, sig) != msg:
        sys.exit("PyNaCl does not verify its own vector %d" % i)
    vectors.append((seed, pub, sig, msg))

print("/* ed25519_vectors.h - made by tests/helpers/ed25519_vectors.py")
print(" * (PyNaCl %s, libsodium's Ed25519; RNG seed %d, %d vectors); do"
      % (nacl.__version__, RNG_SEED, len(vectors)))
print(" * not edit. */")
print()
print("struct ed25519_vector {")
print("    unsigned char seed[32], pub[32], sig[64];")
print("    size_t len;")
print("    const char *msg;")
print("};")
print()
print("static const struct ed25519_vector ed25519_vectors[] = {")
for seed, pub, sig, msg in vectors:
    print("    {")
    for data in (seed, pub, sig):
        print("        %s," % carray(data, "          "))
    print("        %d, %s }," % (len(msg), cstr(msg, "        ")))
print("};")
