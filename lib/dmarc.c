/* dmarc.c - DMARC policy records (see dmarc.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dmarc.h"

/* The policy word of a p= or sp= value into out: none, quarantine,
 * reject; 0, or -1 for another word. */
static int
policy_word(const char *v, size_t n, char *out, size_t outlen)
{
    static const char *const w[] = { "none", "quarantine", "reject" };
    size_t i;

    for (i = 0; i < 3; i++)
        if (strlen(w[i]) == n && strncasecmp(v, w[i], n) == 0) {
            snprintf(out, outlen, "%s", w[i]);
            return 0;
        }
    return -1;
}

int
dmarc_parse(struct dmarc_record *r, const char *t, size_t n)
{
    size_t i = 0, tag = 0;

    memset(r, 0, sizeof *r);
    r->pct = 100;
    while (i < n) {
        size_t ns, ne, vs, ve;
        while (i < n && (t[i] == ' ' || t[i] == '\t'))
            i++;
        ns = i;
        while (i < n && t[i] != '=' && t[i] != ';')
            i++;
        ne = i;
        while (ne > ns && (t[ne - 1] == ' ' || t[ne - 1] == '\t'))
            ne--;
        if (i < n && t[i] == '=')
            i++;
        while (i < n && (t[i] == ' ' || t[i] == '\t'))
            i++;
        vs = i;
        while (i < n && t[i] != ';')
            i++;
        ve = i;
        while (ve > vs && (t[ve - 1] == ' ' || t[ve - 1] == '\t'))
            ve--;
        if (i < n)
            i++;
        if (ne == ns)
            continue;
#define TAG(x) (ne - ns == sizeof x - 1 && strncasecmp(t + ns, x, ne - ns) == 0)
        if (tag++ == 0) {
            if (!TAG("v") || ve - vs != 6 || strncmp(t + vs, "DMARC1", 6) != 0)
                return -1;
        } else if (TAG("p")) {
            if (policy_word(t + vs, ve - vs, r->p, sizeof r->p) == -1)
                return -1;
        } else if (TAG("sp")) {
            (void)policy_word(t + vs, ve - vs, r->sp, sizeof r->sp);
        } else if (TAG("pct")) {
            unsigned long v = 0;
            size_t k;
            for (k = vs; k < ve && t[k] >= '0' && t[k] <= '9' && v <= 100; k++)
                v = v * 10 + (unsigned long)(t[k] - '0');
            if (k == ve && ve > vs && v <= 100)
                r->pct = (unsigned)v;
        } else if (TAG("adkim")) {
            r->adkim_strict = ve - vs == 1 && (t[vs] == 's' || t[vs] == 'S');
        } else if (TAG("aspf")) {
            r->aspf_strict = ve - vs == 1 && (t[vs] == 's' || t[vs] == 'S');
        }
#undef TAG
    }
    return r->p[0] ? 0 : -1;
}

