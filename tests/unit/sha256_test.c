/* sha256_test.c - SHA-256: FIPS 180 examples, then random messages cut
 * at random places against BearSSL's br_sha256, on the SHA-NI path
 * (when the processor has it) and on the portable one; sha256_out
 * leaves the context as it was. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "tap.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;

/* xorshift64*: the same sequence every run. */
static uint32_t
rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545f4914f6cdd1du) >> 32);
}

static int
hex_is(const unsigned char h[32], const char *want)
{
    char s[65];
    int i;

    for (i = 0; i < 32; i++)
        snprintf(s + 2 * i, 3, "%02x", h[i]);
    return strcmp(s, want) == 0;
}

/* The hash of s given in one piece. */
static int
hash_is(const char *s, const char *want)
{
    struct sha256 c;
    unsigned char h[32];

    sha256_init(&c);
    sha256_update(&c, s, strlen(s));
    sha256_out(&c, h);
    return hex_is(h, want);
}

static int
million_a(void)
{
    static char a[1000];
    struct sha256 c;
    unsigned char h[32];
    int i;

    memset(a, 'a', sizeof a);
    sha256_init(&c);
    for (i = 0; i < 1000; i++)
        sha256_update(&c, a, sizeof a);
    sha256_out(&c, h);
    return hex_is(h,
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Random messages of 0..10000 bytes, fed in random pieces (some empty),
 * against br_sha256: the number of mismatches. */
static int
random_messages(int count)
{
    static unsigned char msg[10001];
    br_sha256_context bc;
    struct sha256 c;
    unsigned char h[32], want[32];
    size_t n, i, k;
    int bad = 0, j;

    for (j = 0; j < count; j++) {
        n = j < 200 ? (size_t)j : rnd() % 10001;
        for (i = 0; i < n; i++)
            msg[i] = (unsigned char)rnd();
        br_sha256_init(&bc);
        br_sha256_update(&bc, msg, n);
        br_sha256_out(&bc, want);
        sha256_init(&c);
        for (i = 0; i < n; i += k) {
            switch (rnd() % 4) {
            case 0:
                k = rnd() % 4;
                break;
            case 1:
                k = rnd() % 130;
                break;
            default:
                k = rnd() % (n + 1);
                break;
            }
            if (k > n - i)
                k = n - i;
            sha256_update(&c, msg + i, k);
        }
        sha256_out(&c, h);
        bad += memcmp(h, want, 32) != 0;
    }
    return bad;
}

/* sha256_out twice gives the same; the context goes on after it. */
static int
out_keeps(void)
{
    static const char a[] = "The quick brown fox jumps over the lazy dog, "
                            "and then some more to pass one block.";
    br_sha256_context bc;
    struct sha256 c;
    unsigned char h1[32], h2[32], want[32];
    size_t cut;

    for (cut = 0; cut <= sizeof a - 1; cut++) {
        sha256_init(&c);
        sha256_update(&c, a, cut);
        sha256_out(&c, h1);
        sha256_out(&c, h2);
        br_sha256_init(&bc);
        br_sha256_update(&bc, a, cut);
        br_sha256_out(&bc, want);
        if (memcmp(h1, want, 32) != 0 || memcmp(h2, want, 32) != 0)
            return 0;
        sha256_update(&c, a + cut, sizeof a - 1 - cut);
        sha256_out(&c, h1);
        br_sha256_update(&bc, a + cut, sizeof a - 1 - cut);
        br_sha256_out(&bc, want);
        if (memcmp(h1, want, 32) != 0)
            return 0;
    }
    return 1;
}

static void
suite(const char *path)
{
    ok(hash_is("abc",
           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        "%s: FIPS 180 \"abc\"", path);
    ok(hash_is("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
                   "7852b855"),
        "%s: the empty message", path);
    ok(hash_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        "%s: FIPS 180 448-bit message", path);
    ok(million_a(), "%s: FIPS 180 a million 'a'", path);
    ok(random_messages(1500) == 0,
        "%s: 1500 random messages of 0..10000 bytes cut at random places "
        "match br_sha256", path);
    ok(out_keeps(), "%s: out twice, then more bytes", path);
}

int
main(void)
{
    int ni = sha256_force_portable(0);

    printf("# SHA-NI on this processor: %s\n", ni ? "yes" : "no");
    suite(ni ? "SHA-NI" : "default (portable)");
    ok(sha256_force_portable(1) == 0, "the portable path can be forced");
    suite("portable");
    ok(sha256_force_portable(0) == ni, "and the default is back");
    return done();
}
