/* tlskey.c - key-process request format and signing (see tlskey.h). */
#include <errno.h>
#include <string.h>

#include "tlskey.h"

size_t
tlskey_hash_len(int hash_id)
{
    switch (hash_id) {
    case br_sha1_ID:
        return br_sha1_SIZE;
    case br_sha224_ID:
        return br_sha224_SIZE;
    case br_sha256_ID:
        return br_sha256_SIZE;
    case br_sha384_ID:
        return br_sha384_SIZE;
    case br_sha512_ID:
        return br_sha512_SIZE;
    default:
        return 0;
    }
}

size_t
tlskey_req_encode(unsigned char *out, size_t cap, unsigned index,
    int hash_id, const unsigned char *hv, size_t hv_len)
{
    if (index > 255 || tlskey_hash_len(hash_id) != hv_len || cap < 4 + hv_len)
        return 0;
    out[0] = 'S';
    out[1] = (unsigned char)index;
    out[2] = (unsigned char)hash_id;
    out[3] = (unsigned char)hv_len;
    memcpy(out + 4, hv, hv_len);
    return 4 + hv_len;
}

int
tlskey_req_decode(const unsigned char *p, size_t len, struct tlskey_req *req)
{
    if (len >= 1 && p[0] != 'S')
        goto bad;
    if (len >= 3 && tlskey_hash_len(p[2]) == 0)
        goto bad;
    if (len >= 4 && p[3] != tlskey_hash_len(p[2]))
        goto bad;
    if (len < 4 || len < 4 + (size_t)p[3])
        return 0;
    if (len > 4 + (size_t)p[3])
        goto bad; /* one request, nothing after it */
    req->index = p[1];
    req->hash_id = p[2];
    req->hv_len = p[3];
    memcpy(req->hv, p + 4, req->hv_len);
    return 1;
bad:
    errno = EPROTO;
    return -1;
}

static const unsigned char *
hash_oid(int hash_id)
{
    switch (hash_id) {
    case br_sha1_ID:
        return BR_HASH_OID_SHA1;
    case br_sha224_ID:
        return BR_HASH_OID_SHA224;
    case br_sha256_ID:
        return BR_HASH_OID_SHA256;
    case br_sha384_ID:
        return BR_HASH_OID_SHA384;
    case br_sha512_ID:
        return BR_HASH_OID_SHA512;
    default:
        return NULL;
    }
}

static const br_hash_class *
hash_class(int hash_id)
{
    switch (hash_id) {
    case br_sha1_ID:
        return &br_sha1_vtable;
    case br_sha224_ID:
        return &br_sha224_vtable;
    case br_sha256_ID:
        return &br_sha256_vtable;
    case br_sha384_ID:
        return &br_sha384_vtable;
    case br_sha512_ID:
        return &br_sha512_vtable;
    default:
        return NULL;
    }
}

size_t
tlskey_sign(const struct tlspair *kp, const struct tlskey_req *req,
    unsigned char *out, size_t cap)
{
    size_t n;

    if (!kp->has_key || tlskey_hash_len(req->hash_id) != req->hv_len)
        return 0;
    if (kp->keytype == BR_KEYTYPE_EC) {
        if (cap < kp->siglen_max)
            return 0;
        return br_ecdsa_sign_asn1_get_default()(br_ec_get_default(),
            hash_class(req->hash_id), req->hv, &kp->ec, out);
    }
    if (kp->keytype == BR_KEYTYPE_RSA) {
        n = (kp->rsa.n_bitlen + 7) / 8;
        if (cap < n)
            return 0;
        if (!br_rsa_pkcs1_sign_get_default()(hash_oid(req->hash_id), req->hv,
                req->hv_len, &kp->rsa, out))
            return 0;
        return n;
    }
    return 0;
}
