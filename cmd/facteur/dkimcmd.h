/* dkimcmd.h - facteur dkim and facteur dns (dkim.c). */
#ifndef FACTEUR_DKIMCMD_H
#define FACTEUR_DKIMCMD_H

/** cmd_dkim - facteur dkim keygen D [--selector S]; argv after "dkim".
 * Exit code. */
int cmd_dkim(int argc, char **argv);

/** cmd_dns - facteur dns D; argv after "dns".  Exit code. */
int cmd_dns(int argc, char **argv);

/**
 * cmd_dkim_first - after `domain add d`: make d's first DKIM key unless
 * it has a selector already.  0, or 1 (EXIT_PROBLEM) with the reason on
 * stderr: the domain stays added.
 */
int cmd_dkim_first(const char *d);

#endif
