/* maildate.h - a date as RFC 5322 3.3 writes it, for Received: and Date:.
 *
 * "Sun, 22 Nov 2026 09:30:00 +0100" in local time with its offset; the
 * names are the C locale's (no setlocale anywhere in facteur).
 */
#ifndef MAIL_MAILDATE_H
#define MAIL_MAILDATE_H

#include <stddef.h>
#include <time.h>

#define MAILDATE_MAX 40

/** maildate - write the date of t into out (at least MAILDATE_MAX). */
void maildate(char *out, size_t len, time_t t);

#endif
