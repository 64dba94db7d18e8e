/* fuzz_smtpreply.c - SMTP replies as remote-send reads them, and
 * remote-send's report as queue-run reads it: no crash; a reply's code is
 * 200..599 and its kept text printable and within its cap; a report's
 * codes are A, P or T and its texts printable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rreport.h"
#include "smtpreply.h"

static int
printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rresult r[8];
    struct rresult m;
    struct smtpreply rep;
    size_t i = 0;

    /* Replies: the input as lines. */
    smtpreply_init(&rep);
    while (i < size) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t n = nl ? (size_t)(nl - (data + i)) : size - i;
        int x = smtpreply_line(&rep, (const char *)data + i, n);
        if (x != -1 && (rep.code < 200 || rep.code > 599))
            abort();
        if (rep.tlen > SMTPREPLY_TEXT_MAX || strlen(rep.text) != rep.tlen
            || !printable(rep.text))
            abort();
        if (x != 0)
            smtpreply_init(&rep);
        i += n + 1;
    }
    /* The same bytes as a report for 8 recipients. */
    (void)rreport_parse((const char *)data, size, r, 8, &m);
    for (i = 0; i < 8; i++)
        if ((r[i].code && !strchr("APT", r[i].code)) || !printable(r[i].text))
            abort();
    if ((m.code && !strchr("APT", m.code)) || !printable(m.text))
        abort();
    return 0;
}
