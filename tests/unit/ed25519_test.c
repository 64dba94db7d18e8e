/* ed25519_test.c - Ed25519 (lib/ed25519.c): the RFC 8032 7.1 vectors,
 * libsodium's (ed25519_vectors.h, made by
 * tests/helpers/ed25519_vectors.py), and what verification must refuse:
 * a changed message, R, S or key; S >= L; keys that do not decode; the
 * non-canonical encodings of the neutral point, which a verifier that
 * reduced y mod p or ignored the sign of x = 0 would accept. */
#include <stdio.h>
#include <string.h>

#include "ed25519.h"
#include "ed25519_vectors.h"
#include "tap.h"

#define NVEC (sizeof ed25519_vectors / sizeof ed25519_vectors[0])

/* RFC 8032 7.1, in hex: TEST 1, 2, 3, 1024 (a 1023-byte message) and
 * SHA(abc) (the message is SHA-512("abc")). */
static const struct rfc_vector {
    const char *name, *seed, *pub, *msg, *sig;
} rfc[] = {
    { "TEST 1",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
    { "TEST 2",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
    { "TEST 3",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
    { "TEST 1024",
        "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
        "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
        "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
        "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
        "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
        "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
        "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
        "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
        "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
        "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
        "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
        "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
        "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
        "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
        "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
        "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
        "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
        "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
        "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
        "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
        "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
        "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
        "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
        "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
        "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
        "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
        "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
        "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
        "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
        "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
        "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
        "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
        "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
        "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
        "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
        "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03" },
    { "TEST SHA(abc)",
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
        "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
};

/* L, the order of B, little-endian. */
static const unsigned char order[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a,
    0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };

/* The neutral point (0, 1), and the base point B (y = 4/5, x even). */
static const char neutral_hex[] =
    "0100000000000000000000000000000000000000000000000000000000000000";
static const char base_hex[] =
    "5866666666666666666666666666666666666666666666666666666666666666";

static int
nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return c - 'a' + 10;
}

/* The bytes of hex into out; their count. */
static size_t
unhex(unsigned char *out, const char *hex)
{
    size_t n = 0;

    for (; hex[0] != '\0' && hex[1] != '\0'; hex += 2)
        out[n++] = (unsigned char)(nibble(hex[0]) << 4 | nibble(hex[1]));
    return n;
}

/* s += L (s < L, so no carry out of 256 bits). */
static void
add_order(unsigned char s[32])
{
    unsigned c = 0;
    int i;

    for (i = 0; i < 32; i++) {
        c += (unsigned)s[i] + order[i];
        s[i] = (unsigned char)c;
        c >>= 8;
    }
}

static void
rfc_checks(const struct rfc_vector *v)
{
    unsigned char seed[32], pub[32], want[32], sig[64], got[64], bad[64];
    static unsigned char msg[1024];
    size_t len;

    unhex(seed, v->seed);
    unhex(want, v->pub);
    unhex(sig, v->sig);
    len = unhex(msg, v->msg);

    ed25519_public(pub, seed);
    ok(memcmp(pub, want, 32) == 0, "%s: public key from the seed", v->name);
    ed25519_sign(got, msg, len, seed, want);
    ok(memcmp(got, sig, 64) == 0, "%s: the signature", v->name);
    ok(ed25519_verify(sig, msg, len, want) == 1, "%s: verifies", v->name);

    if (len > 0) {
        msg[len - 1] ^= 1;
        ok(ed25519_verify(sig, msg, len, want) == 0,
            "%s: a changed message is refused", v->name);
        msg[len - 1] ^= 1;
    } else {
        ok(ed25519_verify(sig, "", 1, want) == 0,
            "%s: a longer message is refused", v->name);
    }
    memcpy(bad, sig, 64);
    bad[5] ^= 0x20;
    ok(ed25519_verify(bad, msg, len, want) == 0,
        "%s: a changed R is refused", v->name);
    memcpy(bad, sig, 64);
    bad[31] ^= 0x80;
    ok(ed25519_verify(bad, msg, len, want) == 0,
        "%s: R with x's sign flipped is refused", v->name);
    memcpy(bad, sig, 64);
    bad[40] ^= 0x01;
    ok(ed25519_verify(bad, msg, len, want) == 0,
        "%s: a changed S is refused", v->name);
    memcpy(bad, sig, 64);
    add_order(bad + 32);
    ok(ed25519_verify(bad, msg, len, want) == 0,
        "%s: S + L (the same point, not canonical) is refused", v->name);
    memcpy(pub, want, 32);
    pub[9] ^= 0x04;
    ok(ed25519_verify(sig, msg, len, pub) == 0,
        "%s: a changed public key is refused", v->name);
}

int
main(void)
{
    static unsigned char big[1024];
    unsigned char pub[32], sig[64], sig2[64], key[32], buf[128];
    size_t i;
    int good, refused;

    for (i = 0; i < sizeof rfc / sizeof rfc[0]; i++)
        rfc_checks(&rfc[i]);

    /* An empty message may be NULL. */
    unhex(key, rfc[0].pub);
    unhex(buf, rfc[0].seed);
    ed25519_sign(sig, NULL, 0, buf, key);
    unhex(sig2, rfc[0].sig);
    ok(memcmp(sig, sig2, 64) == 0 && ed25519_verify(sig, NULL, 0, key) == 1,
        "TEST 1 with msg NULL");

    /* libsodium's vectors: the same keys and bytes, then refusals. */
    for (i = 0; i < NVEC; i++) {
        const struct ed25519_vector *v = &ed25519_vectors[i];

        ed25519_public(pub, v->seed);
        ed25519_sign(sig, v->msg, v->len, v->seed, v->pub);
        ok(memcmp(pub, v->pub, 32) == 0 && memcmp(sig, v->sig, 64) == 0
                && ed25519_verify(v->sig, v->msg, v->len, v->pub) == 1,
            "libsodium vector %zu (%zu bytes): public key, signature, "
            "verifies", i, v->len);
        if (v->len == 0) {
            refused = ed25519_verify(v->sig, "", 1, v->pub) == 0;
        } else {
            memcpy(big, v->msg, v->len);
            big[v->len / 2] ^= 0x80;
            refused = ed25519_verify(v->sig, big, v->len, v->pub) == 0
                && ed25519_verify(v->sig, v->msg, v->len - 1, v->pub) == 0;
        }
        ok(refused, "libsodium vector %zu: a changed or shorter message is "
            "refused", i);
    }

    /* Signing is deterministic; sig may overlap msg (written last). */
    unhex(key, rfc[2].pub);
    unhex(buf + 64, rfc[2].seed);
    memset(buf, 'm', 64);
    ed25519_sign(sig, buf, 64, buf + 64, key);
    ed25519_sign(sig2, buf, 64, buf + 64, key);
    ok(memcmp(sig, sig2, 64) == 0, "the same input, the same signature");
    ed25519_sign(buf, buf, 64, buf + 64, key);
    ok(memcmp(buf, sig, 64) == 0, "sig over msg: the same signature");

    /* Over S: L itself, a set top bit, and S = 0 with a wrong R. */
    unhex(key, rfc[1].pub);
    unhex(sig, rfc[1].sig);
    memcpy(sig + 32, order, 32);
    ok(ed25519_verify(sig, "r", 1, key) == 0, "S = L is refused");
    unhex(sig, rfc[1].sig);
    sig[63] |= 0x80;
    ok(ed25519_verify(sig, "r", 1, key) == 0, "S with bit 255 is refused");
    unhex(sig, rfc[1].sig);
    memset(sig + 32, 0, 32);
    ok(ed25519_verify(sig, "r", 1, key) == 0, "S = 0 is refused");

    /* Keys that are no point: y = 2 has no x; y = p, y = 2^255 - 1 are
     * not canonical.  The signature is TEST 2's. */
    unhex(sig, rfc[1].sig);
    memset(key, 0, 32);
    key[0] = 2;
    ok(ed25519_verify(sig, "r", 1, key) == 0, "a key with y = 2 (no x)");
    memset(key, 0xff, 32);
    key[0] = 0xed;
    key[31] = 0x7f;
    ok(ed25519_verify(sig, "r", 1, key) == 0, "a key with y = p");
    memset(key, 0xff, 32);
    ok(ed25519_verify(sig, "r", 1, key) == 0, "a key with y = 2^255 - 1");

    /* The neutral point as the key: [S]B - [k]O = [S]B, so (R = B, S = 1)
     * is valid for any message (small-order keys are not refused), and
     * (R = O, S = 0) too.  The same with the key, or R, encoded
     * non-canonically must fail: y = p + 1, or x = 0 with the sign bit. */
    unhex(key, neutral_hex);
    unhex(sig, base_hex);
    memset(sig + 32, 0, 32);
    sig[32] = 1;
    ok(ed25519_verify(sig, "any", 3, key) == 1,
        "key O, R = B, S = 1: valid (cofactorless, O not refused)");
    key[31] = 0x80;
    ok(ed25519_verify(sig, "any", 3, key) == 0,
        "key O with the sign bit of x = 0 is refused");
    memset(key, 0xff, 32);
    key[0] = 0xee;
    key[31] = 0x7f;
    ok(ed25519_verify(sig, "any", 3, key) == 0,
        "key O as y = p + 1 is refused");
    unhex(key, neutral_hex);
    unhex(sig, neutral_hex);
    memset(sig + 32, 0, 32);
    ok(ed25519_verify(sig, "any", 3, key) == 1, "key O, R = O, S = 0: valid");
    sig[31] = 0x80;
    ok(ed25519_verify(sig, "any", 3, key) == 0,
        "R = O with the sign bit of x = 0 is refused");
    memset(sig, 0xff, 32);
    sig[0] = 0xee;
    sig[31] = 0x7f;
    ok(ed25519_verify(sig, "any", 3, key) == 0,
        "R = O as y = p + 1 is refused");

    /* Keys made here sign and verify, and no other key verifies. */
    good = refused = 0;
    for (i = 0; i < 64; i++) {
        memset(buf, (int)i, 64);
        buf[32] ^= 1; /* the other seed */
        ed25519_public(key, buf);
        ed25519_sign(sig, buf, i, buf, key);
        good += ed25519_verify(sig, buf, i, key);
        ed25519_public(pub, buf + 32);
        refused += !ed25519_verify(sig, buf, i, pub);
    }
    ok(good == 64 && refused == 64,
        "64 keys: their signatures verify, not with another key");
    return done();
}
