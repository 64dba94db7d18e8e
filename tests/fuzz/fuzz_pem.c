/* fuzz_pem.c - PEM decoding of certificate and key files, and the DER
 * decoders behind it (files an admin or an ACME client writes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlscert.h"

static int
cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
    br_x509_decoder_context xd;
    br_skey_decoder_context kd;

    if (len > TLS_CERT_MAX)
        abort();
    br_x509_decoder_init(&xd, NULL, NULL);
    br_x509_decoder_push(&xd, der, len);
    (void)br_x509_decoder_get_pkey(&xd);
    br_skey_decoder_init(&kd);
    br_skey_decoder_push(&kd, der, len);
    (void)br_skey_decoder_key_type(&kd);
    (*(int *)ctx)++;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int n = 0, r;

    if (size > TLS_PEMFILE_MAX)
        return 0;
    r = tls_pem_decode(data, size, cb, &n);
    if (r >= 0 && r != n)
        abort();
    return 0;
}
