/* fuzz_sasl.c - AUTH PLAIN and LOGIN responses (base64 and the PLAIN
 * fields): no crash; what is accepted is within the limits, holds no NUL,
 * and a PLAIN response encoded again from the decoded fields with an
 * empty authzid decodes to the same login and password. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char login[SASL_LOGIN_MAX + 1], pw[SASL_PASS_MAX + 1];
    char l2[SASL_LOGIN_MAX + 1], p2[SASL_PASS_MAX + 1], text[SASL_PASS_MAX + 1];
    char raw[SASL_LOGIN_MAX + SASL_PASS_MAX + 3], enc[BASE64_LEN(sizeof raw) + 1];
    size_t ll, pl;

    if (size > SASL_LINE_MAX + 16)
        return 0;
    if (sasl_text((const char *)data, size, text, SASL_PASS_MAX) == 0
        && (strlen(text) == 0 || strlen(text) > SASL_PASS_MAX))
        abort();
    if (sasl_plain((const char *)data, size, login, pw) == -1)
        return 0;
    ll = strlen(login);
    pl = strlen(pw);
    if (ll == 0 || ll > SASL_LOGIN_MAX || pl == 0 || pl > SASL_PASS_MAX)
        abort();
    raw[0] = 0;
    memcpy(raw + 1, login, ll);
    raw[ll + 1] = 0;
    memcpy(raw + ll + 2, pw, pl);
    if (base64_encode(enc, sizeof enc, raw, ll + pl + 2) < 0
        || sasl_plain(enc, strlen(enc), l2, p2) == -1 || strcmp(l2, login)
        || strcmp(p2, pw))
        abort();
    return 0;
}
