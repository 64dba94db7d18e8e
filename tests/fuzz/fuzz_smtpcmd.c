/* fuzz_smtpcmd.c - SMTP command lines and MAIL/RCPT paths: no crash, and
 * an accepted address is one the one grammar accepts again, with a
 * domain that holds no '@'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpcmd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char line[SMTP_CMD_MAX + 1];
    struct smtp_cmd c;
    struct smtp_path p;
    const char *why;
    struct addr b;
    int m;

    if (size > SMTP_CMD_MAX)
        return 0;
    memcpy(line, data, size);
    line[size] = 0;
    if (smtpcmd_split(line, size, &c) == -1)
        return 0;
    if (c.arg < line || c.arg + c.arglen > line + size)
        abort();
    (void)smtpcmd_helo(c.arg, c.arglen);
    for (m = 0; m < 2; m++) {
        if (smtpcmd_path(c.arg, c.arglen, m, &p, &why) == -1) {
            if (why == NULL || strlen(why) < 10)
                abort();
            continue;
        }
        if (p.a.full[0] == 0)
            continue;
        if (strchr(p.a.domain, '@') != NULL
            || addr_parse(p.a.full, strlen(p.a.full), 0, &b) == -1
            || strcmp(b.full, p.a.full) != 0)
            abort();
    }
    return 0;
}
