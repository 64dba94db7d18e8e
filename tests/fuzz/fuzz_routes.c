/* fuzz_routes.c - the routes table's parsers (lib/route.h), which read a
 * file admins edit by hand and the cdb remote-send reads: whatever parses
 * formats to a canonical form that parses to the same route, as text and
 * as a cdb value; a cdb value that parses is already canonical. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

static int
same(const struct route *a, const struct route *b)
{
    return strcmp(a->host, b->host) == 0 && a->port == b->port
        && a->tls == b->tls && strcmp(a->user, b->user) == 0
        && a->passlen == b->passlen
        && memcmp(a->pass, b->pass, a->passlen) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *why;
    char text[ROUTE_TEXT_MAX], key[ROUTE_HOST_MAX + 2];
    struct sa v = SA_INIT(4096);
    struct route a, b;
    const char *colon = memchr(s, ':', size);

    /* A whole line: "key: value". */
    if (colon != NULL)
        (void)route_key(key, sizeof key, s, (size_t)(colon - s));

    if (route_parse_text(&a, s, size, &why) == 0) {
        if (route_format_text(&a, text, sizeof text) == -1
            || route_parse_text(&b, text, strlen(text), &why) == -1
            || !same(&a, &b))
            abort();
        if (route_format_value(&a, &v) == -1
            || route_parse_value(&b, v.s, v.len, &why) == -1 || !same(&a, &b))
            abort();
    } else if (why == NULL) {
        abort(); /* every refusal says why */
    }

    if (route_parse_value(&a, s, size, &why) == 0) {
        if (route_format_value(&a, &v) == -1 || v.len != size
            || memcmp(v.s, s, size) != 0)
            abort();
    }
    sa_wipe(&v);
    route_wipe(&a);
    route_wipe(&b);
    return 0;
}
