/* psl.c - organizational domains from the Public Suffix List (psl.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "psl.h"

static char *text;      /* the file, its rules made NUL-terminated */
static char **rules;    /* sorted */
static size_t nrules;
static int loaded;      /* 1 loaded, -1 not available */

static int
cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
has(const char *r)
{
    return bsearch(&r, rules, nrules, sizeof *rules, cmp) != NULL;
}

static int
load(void)
{
    const char *path = getenv("FACTEUR_PSL");
    struct stat st;
    size_t len = 0, cap = 0, i;
    int fd;

    if (loaded)
        return loaded;
    loaded = -1;
    fd = open(path && path[0] ? path : PSL_FILE, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    if (fstat(fd, &st) == -1 || st.st_size > PSL_FILE_MAX
        || (text = malloc((size_t)st.st_size + 1)) == NULL) {
        close(fd);
        return -1;
    }
    while (len < (size_t)st.st_size) {
        ssize_t r = read(fd, text + len, (size_t)st.st_size - len);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    text[len] = 0;
    /* a rule is the first word of a line that is not a comment */
    for (i = 0; i < len;) {
        size_t e = i, w;
        while (e < len && text[e] != '\n')
            e++;
        for (w = i; w < e && !isspace((unsigned char)text[w]); w++)
            text[w] = (char)tolower((unsigned char)text[w]);
        if (w > i && !(text[i] == '/' && i + 1 < e && text[i + 1] == '/')) {
            if (nrules == cap) {
                size_t nc = cap ? cap * 2 : 4096;
                char **nr;
                if (nc > PSL_RULES_MAX)
                    break;
                nr = realloc(rules, nc * sizeof *nr);
                if (nr == NULL)
                    break;
                rules = nr;
                cap = nc;
            }
            rules[nrules++] = text + i;
        }
        if (w < len)
            text[w] = 0;
        i = e + 1;
    }
    if (nrules > 1)
        qsort(rules, nrules, sizeof *rules, cmp);
    loaded = nrules > 0 ? 1 : -1;
    return loaded;
}

int
psl_org_domain(const char *name, char *out, size_t outlen)
{
    const char *suffix = NULL, *p, *org;
    char w[300];
    size_t n = strlen(name);

    if (load() != 1) {
        errno = ENOENT;
        return -1;
    }
    /* every suffix of name at a label boundary, longest first */
    for (p = name; p != NULL; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
        const char *parent = strchr(p, '.');
        if (strlen(p) + 2 > sizeof w)
            continue;
        w[0] = '!';
        strcpy(w + 1, p);
        if (has(w)) { /* exception: its parent is the suffix */
            suffix = parent ? parent + 1 : p;
            break;
        }
        if (has(p)) {
            suffix = p;
            break;
        }
        if (parent != NULL) {
            w[0] = '*';
            strcpy(w + 1, parent);
            if (has(w)) {
                suffix = p;
                break;
            }
        }
    }
    if (suffix == NULL) /* the default rule "*": the last label */
        suffix = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
    /* the organizational domain: one label before the suffix */
    if (suffix == name) {
        org = name;
    } else {
        org = suffix - 1; /* the dot */
        while (org > name && org[-1] != '.')
            org--;
    }
    if ((size_t)(name + n - org) + 1 > outlen) {
        errno = ERANGE;
        return -1;
    }
    strcpy(out, org);
    return 0;
}
