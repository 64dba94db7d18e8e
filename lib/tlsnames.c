/* tlsnames.c - TLS version and suite names (see tlsnames.h). */
#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsnames.h"

static const struct {
    uint16_t id;
    const char *name;
} suites[] = {
    { BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-ECDSA-CHACHA20-POLY1305" },
    { BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-ECDSA-AES128-GCM-SHA256" },
    { BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-ECDSA-AES256-GCM-SHA384" },
    { BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-RSA-CHACHA20-POLY1305" },
    { BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-RSA-AES128-GCM-SHA256" },
    { BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-RSA-AES256-GCM-SHA384" },
    /* What an old server may leave a client (remote-send) with. */
    { BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        "ECDHE-ECDSA-AES128-SHA256" },
    { BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
        "ECDHE-ECDSA-AES256-SHA384" },
    { BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE-RSA-AES128-SHA256" },
    { BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, "ECDHE-RSA-AES256-SHA384" },
    { BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE-ECDSA-AES128-SHA" },
    { BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE-ECDSA-AES256-SHA" },
    { BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE-RSA-AES128-SHA" },
    { BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE-RSA-AES256-SHA" },
    { BR_TLS_RSA_WITH_AES_128_GCM_SHA256, "AES128-GCM-SHA256" },
    { BR_TLS_RSA_WITH_AES_256_GCM_SHA384, "AES256-GCM-SHA384" },
    { BR_TLS_RSA_WITH_AES_128_CBC_SHA256, "AES128-SHA256" },
    { BR_TLS_RSA_WITH_AES_256_CBC_SHA256, "AES256-SHA256" },
    { BR_TLS_RSA_WITH_AES_128_CBC_SHA, "AES128-SHA" },
    { BR_TLS_RSA_WITH_AES_256_CBC_SHA, "AES256-SHA" },
    { BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA, "DES-CBC3-SHA" },
};

const char *
tls_suite_name(unsigned id)
{
    size_t i;

    for (i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].id == id)
            return suites[i].name;
    return "unknown";
}

const char *
tls_version_name(unsigned v)
{
    switch (v) {
    case BR_TLS12:
        return "TLSv1.2";
    case BR_TLS11:
        return "TLSv1.1";
    case BR_TLS10:
        return "TLSv1.0";
    default:
        return "unknown";
    }
}
