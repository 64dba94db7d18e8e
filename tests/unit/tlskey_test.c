/* tlskey_test.c - the key process's request format. */
#include <string.h>

#include "tap.h"
#include "tlskey.h"

int
main(void)
{
    unsigned char hv[64], req[TLSKEY_REQ_MAX + 4];
    struct tlskey_req r;
    size_t n, i;

    memset(hv, 7, sizeof hv);
    n = tlskey_req_encode(req, sizeof req, 3, br_sha256_ID, hv, 32);
    ok(n == 36, "encode sha256 request");
    for (i = 0; i < n; i++)
        if (tlskey_req_decode(req, i, &r) != 0)
            break;
    ok(i == n, "every prefix needs more");
    ok(tlskey_req_decode(req, n, &r) == 1 && r.index == 3
            && r.hash_id == br_sha256_ID && r.hv_len == 32
            && memcmp(r.hv, hv, 32) == 0,
        "decode");
    req[n] = 'S';
    ok(tlskey_req_decode(req, n + 1, &r) == -1, "trailing bytes refused");
    req[3] = 20;
    ok(tlskey_req_decode(req, n, &r) == -1, "length not the hash's refused");
    req[3] = 32;
    req[2] = 9;
    ok(tlskey_req_decode(req, n, &r) == -1, "unknown hash refused");
    req[2] = br_sha256_ID;
    req[0] = 'K';
    ok(tlskey_req_decode(req, n, &r) == -1, "unknown verb refused");
    ok(tlskey_req_encode(req, sizeof req, 300, br_sha256_ID, hv, 32) == 0,
        "index over 255 refused");
    ok(tlskey_req_encode(req, sizeof req, 0, br_sha256_ID, hv, 31) == 0,
        "wrong hash length refused");
    ok(tlskey_req_encode(req, 10, 0, br_sha256_ID, hv, 32) == 0,
        "no room refused");
    ok(tlskey_req_encode(req, sizeof req, 0, br_sha512_ID, hv, 64) == 68,
        "sha512 fits the maximum");
    return done();
}
