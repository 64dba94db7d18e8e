/* fuzz_imapsearch.c - SEARCH programs from arbitrary bytes, parsed against
 * a fixed mailbox (10 messages, UIDs up to 20, one keyword "$Junk") and
 * matched against a few fixed messages whose file cannot be read (load()
 * returns NULL, so no message parser is involved).  Checks: no crash or
 * leak, an error always comes with a text, matching gives 0 or 1, load()
 * is called at most once per match and never when the program says it
 * needs no message, and NOT (program) matches exactly where the program
 * does not whenever both parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapsearch.h"

#define FUZZ_INPUT_MAX 65536

static int fuzz_loads;

static const struct imapmsg *
fuzz_load(void *arg)
{
    (void)arg;
    fuzz_loads++;
    return NULL;
}

static int
fuzz_keyword(void *arg, const char *name, size_t len)
{
    (void)arg;
    if (len == 5 && memcmp(name, "$Junk", 5) == 0)
        return 0;
    return -1;
}

static const struct search_env fuzz_env = { 10, 20, fuzz_keyword, NULL };

static const struct search_msg fuzz_msgs[] = {
    { 1, 1, 0, 0, 0, 0, fuzz_load, NULL },
    { 2, 5, IMAPF_SEEN | IMAPF_RECENT, 1, 1706745600, 1234, fuzz_load, NULL },
    { 7, 12, IMAPF_ANSWERED | IMAPF_FLAGGED | IMAPF_DELETED | IMAPF_DRAFT,
      0x3ffffff, -1, UINT64_MAX, fuzz_load, NULL },
    { 10, 20, IMAPF_RECENT, 0, INT64_MIN, 1, fuzz_load, NULL },
    { 11, 4294967295u, IMAPF_SEEN, 0, INT64_MAX, 9999, NULL, NULL },
};
#define FUZZ_NMSGS (sizeof fuzz_msgs / sizeof fuzz_msgs[0])

static struct search *
fuzz_parse(const char *p, size_t n, int *m)
{
    struct imapp ip;
    struct search *s;
    const char *text = NULL;
    int err = 0;
    size_t i;

    imapp_init(&ip, p, n);
    s = search_parse(&ip, &fuzz_env, &err, &text);
    if (s == NULL) {
        if (err < SEARCH_ESYNTAX || err > SEARCH_ENOMEM || text == NULL)
            abort();
        return NULL;
    }
    if (!imapp_end(&ip))
        abort();
    for (i = 0; i < FUZZ_NMSGS; i++) {
        fuzz_loads = 0;
        m[i] = search_match(s, &fuzz_msgs[i]);
        if ((m[i] != 0 && m[i] != 1) || fuzz_loads > 1
            || (fuzz_loads > 0 && !search_needs_message(s)))
            abort();
    }
    return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct search *s, *t;
    int m[FUZZ_NMSGS], nm[FUZZ_NMSGS];
    char *wrap;
    size_t i;

    if (size > FUZZ_INPUT_MAX)
        return 0;
    s = fuzz_parse((const char *)data, size, m);
    if (s == NULL)
        return 0;
    /* NOT (program): the complement */
    wrap = malloc(size + 6);
    if (wrap == NULL)
        abort();
    memcpy(wrap, "NOT (", 5);
    memcpy(wrap + 5, data, size);
    wrap[size + 5] = ')';
    t = fuzz_parse(wrap, size + 6, nm);
    if (t != NULL) {
        for (i = 0; i < FUZZ_NMSGS; i++)
            if (nm[i] == m[i])
                abort();
        search_free(t);
    }
    free(wrap);
    search_free(s);
    return 0;
}
