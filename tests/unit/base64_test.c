/* base64_test.c - RFC 4648 test vectors and the strict decoder. */
#include <errno.h>
#include <string.h>

#include "base64.h"
#include "tap.h"

static int
enc(const char *in, const char *want)
{
    char out[64];
    long n = base64_encode(out, sizeof out, in, strlen(in));

    return n == (long)strlen(want) && strcmp(out, want) == 0;
}

static int
dec(const char *in, const char *want)
{
    char out[64];
    long n = base64_decode(out, sizeof out, in, strlen(in));

    return n == (long)strlen(want) && memcmp(out, want, (size_t)n) == 0;
}

static int
bad(const char *in)
{
    char out[64];

    errno = 0;
    return base64_decode(out, sizeof out, in, strlen(in)) == -1
        && errno == EINVAL;
}

int
main(void)
{
    static const char *const v[][2] = { { "", "" }, { "f", "Zg==" },
        { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
        { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" } };
    unsigned char all[256], back[256];
    char text[BASE64_LEN(256) + 1], small[4];
    size_t i;
    int good = 1;

    for (i = 0; i < sizeof v / sizeof v[0]; i++)
        good &= enc(v[i][0], v[i][1]) && dec(v[i][1], v[i][0]);
    ok(good, "RFC 4648 section 10 vectors, both ways");
    for (i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    ok(base64_encode(text, sizeof text, all, 256) == BASE64_LEN(256)
            && base64_decode(back, sizeof back, text, strlen(text)) == 256
            && memcmp(all, back, 256) == 0,
        "every byte value survives a round trip");
    ok(bad("Zg=") && bad("Zg") && bad("Z===") && bad("Zg==Zg==")
            && bad("Zm9v\n") && bad("Zm 9v") && bad("Zh==") && bad("Zm9=")
            && bad("=Zg=") && bad("Zm-v") && bad("Zm_v"),
        "refused: bad length, padding inside, non-canonical bits, "
        "white space, the URL alphabet");
    ok(base64_encode(small, sizeof small, "f", 1) == -1 && errno == ERANGE,
        "encode: output too short is ERANGE");
    ok(base64_decode(small, 2, "Zm9v", 4) == -1 && errno == ERANGE,
        "decode: output too short is ERANGE");
    return done();
}
