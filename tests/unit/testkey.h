/* testkey.h - a 1024-bit RSA key openssl made, for dkim_test and
 * rsapriv_test (test only; never a real key). */
#ifndef TESTKEY_H
#define TESTKEY_H

/* PKCS#1, both primes = 1 mod 4: BearSSL cannot recompute its public
 * exponent. */
static const char openssl_key[] =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIICXQIBAAKBgQDWQ9AHA+mCFM6WWnoY3iOwekYGTo+AdL8Ax23dfKwf9tWfRgk0\n"
    "epB/8umNvJWKU2B7Dp5Z1oc6D25X2hhoSPP8yF6IFF0web2YN99EP6ChainOQP8R\n"
    "GMoO00Jg5hFBM642mPKADbxwPv9fkw+8kSdpt7gCKtDtNdu1B+omyYe9FQIDAQAB\n"
    "AoGAUjwKnnao620S8O/exqaTagszzv3d475rBGCGUSilY0s4J/4YUFTuGr1fWC/V\n"
    "8RYZBIHS0sYcdnMvtXYWQggl494UmuRJolMKJ5BCPZ7bYQvnOi57w/8rpy2J21PJ\n"
    "FSpFsXdy5FCDxdJ2XCgEaNJcV92tH8OZBT8FE4t8cigMLeECQQDzl7VzqvIDDMc5\n"
    "vmBBO+N228aD0+9JtLKMLu+cQA4SpfFEFBogrBUg9JD7Pszm0k89jVhMQDFHbApq\n"
    "24Vlea8pAkEA4S2wboPJZIn42sXpy0VYQHgs3sQBsE9CBwHD5PETqoZDbUVwkVoE\n"
    "ztZgFGAbkwiycMCbeIQA3VgzekeuHj4YDQJBAOi9ReBrL2pclimEzQDnELEq0WR5\n"
    "ZULeBE5ONh/rT8bfiEKMll4rLNDc+30ihrHvtUhROVE5cBwWjWmFrtHCzukCQHF3\n"
    "lHAb+F+xJrUXBbhoORBDfljCbBdr2NmvCgdTc5V6En/9fbvAoKuZWtDpnPt6ZnBq\n"
    "ne0cl1LyHv5/ID4dDAECQQClirNKrmmqcIyw5QJCCkEWTh7XlcBoeuQol5v+DNd1\n"
    "sKWUWXr4pgakG3YkjR43mPAlGTaEbjLEHZLo3xLTQmKN\n"
    "-----END RSA PRIVATE KEY-----\n";
static const char openssl_pub[] =
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDWQ9AHA+mCFM6WWnoY3iOwekYGTo+AdL8Ax"
    "23dfKwf9tWfRgk0epB/8umNvJWKU2B7Dp5Z1oc6D25X2hhoSPP8yF6IFF0web2YN99EP6Chai"
    "nOQP8RGMoO00Jg5hFBM642mPKADbxwPv9fkw+8kSdpt7gCKtDtNdu1B+omyYe9FQIDAQAB";

#endif
