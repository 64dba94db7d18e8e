/* maildate.c - RFC 5322 dates (see maildate.h). */
#include <stdio.h>

#include "maildate.h"

void
maildate(char *out, size_t len, time_t t)
{
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL
        || strftime(out, len, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
        snprintf(out, len, "Thu, 01 Jan 1970 00:00:00 +0000");
}
