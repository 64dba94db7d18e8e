/* mtasts.c - MTA-STS records and policies (see mtasts.h). */
#include <string.h>
#include <strings.h>

#include "dnsname.h"
#include "mtasts.h"

static int
blank(char c)
{
    return c == ' ' || c == '\t';
}

int
mtasts_txt(const char *txt, size_t n, char *id)
{
    size_t i = 0, field = 0;
    int have_id = 0;

    while (i < n) {
        size_t ks, kl, vs, vl;
        while (i < n && blank(txt[i]))
            i++;
        if (i == n)
            break;
        ks = i;
        while (i < n && txt[i] != '=' && txt[i] != ';')
            i++;
        if (i == n || txt[i] != '=')
            return -1;
        kl = i - ks;
        vs = ++i;
        while (i < n && txt[i] != ';')
            i++;
        vl = i - vs;
        while (vl > 0 && blank(txt[vs + vl - 1]))
            vl--;
        if (i < n)
            i++; /* ';' */
        /* The first field must be v=STSv1 (RFC 8461 3.1). */
        if (field == 0 && !(kl == 1 && txt[ks] == 'v' && vl == 5
                && memcmp(txt + vs, "STSv1", 5) == 0))
            return -1;
        if (kl == 2 && memcmp(txt + ks, "id", 2) == 0) {
            size_t k;
            if (vl == 0 || vl > MTASTS_ID_MAX)
                return -1;
            for (k = 0; k < vl; k++) {
                char c = txt[vs + k];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                        || (c >= '0' && c <= '9')))
                    return -1;
            }
            memcpy(id, txt + vs, vl);
            id[vl] = 0;
            have_id = 1;
        }
        field++;
    }
    return have_id ? 0 : -1;
}

int
mtasts_parse(const char *p, size_t n, struct mtasts_policy *pol)
{
    size_t i = 0;
    int have_version = 0, have_mode = 0, have_age = 0;

    memset(pol, 0, sizeof *pol);
    if (n > MTASTS_POLICY_MAX)
        return -1;
    while (i < n) {
        const char *l = p + i, *nl = memchr(l, '\n', n - i), *colon;
        size_t ll = nl ? (size_t)(nl - l) : n - i, kl, vs, vl;
        i += ll + (nl != NULL);
        if (ll > 0 && l[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            continue;
        colon = memchr(l, ':', ll);
        if (colon == NULL)
            return -1;
        kl = (size_t)(colon - l);
        vs = kl + 1;
        while (vs < ll && blank(l[vs]))
            vs++;
        vl = ll - vs;
        while (vl > 0 && blank(l[vs + vl - 1]))
            vl--;
        if (kl == 7 && memcmp(l, "version", 7) == 0) {
            if (vl != 5 || memcmp(l + vs, "STSv1", 5) != 0)
                return -1;
            have_version = 1;
        } else if (kl == 4 && memcmp(l, "mode", 4) == 0) {
            if (vl == 7 && memcmp(l + vs, "enforce", 7) == 0)
                pol->mode = MTASTS_ENFORCE;
            else if (vl == 7 && memcmp(l + vs, "testing", 7) == 0)
                pol->mode = MTASTS_TESTING;
            else if (vl == 4 && memcmp(l + vs, "none", 4) == 0)
                pol->mode = MTASTS_NONE;
            else
                return -1;
            have_mode = 1;
        } else if (kl == 7 && memcmp(l, "max_age", 7) == 0) {
            uint64_t v = 0;
            size_t k;
            if (vl == 0 || vl > 10)
                return -1;
            for (k = 0; k < vl; k++) {
                if (l[vs + k] < '0' || l[vs + k] > '9')
                    return -1;
                v = v * 10 + (uint64_t)(l[vs + k] - '0');
            }
            pol->max_age = v > MTASTS_MAXAGE_MAX ? MTASTS_MAXAGE_MAX : v;
            have_age = 1;
        } else if (kl == 2 && memcmp(l, "mx", 2) == 0) {
            const char *h = l + vs;
            size_t hl = vl, off = 0;
            char *dst;
            if (pol->nmx >= MTASTS_MX_MAX)
                return -1;
            dst = pol->mx[pol->nmx];
            if (hl > 2 && h[0] == '*' && h[1] == '.') {
                memcpy(dst, "*.", 2);
                off = 2;
            }
            if (dnsname_canon(dst + off, sizeof pol->mx[0] - off, h + off,
                    hl - off) == -1)
                return -1;
            pol->nmx++;
        }
    }
    if (!have_version || !have_mode || !have_age)
        return -1;
    if (pol->mode != MTASTS_NONE && pol->nmx == 0)
        return -1;
    return 0;
}

int
mtasts_mx_ok(const struct mtasts_policy *pol, const char *host)
{
    size_t i;

    for (i = 0; i < pol->nmx; i++) {
        const char *pat = pol->mx[i];
        if (pat[0] == '*') {
            const char *dot = strchr(host, '.');
            if (dot != NULL && dot != host
                && strcasecmp(dot + 1, pat + 2) == 0)
                return 1;
        } else if (strcasecmp(pat, host) == 0) {
            return 1;
        }
    }
    return 0;
}
