/* session.c - imapd after login: the mailbox owner's IMAP session.
 *
 * Run by checkpassword (imapd -S) as the mailbox owner, in the Maildir
 * (the working directory and HOME), with the connection on fds 0 and 1
 * and the login command's tag in IMAPD_TAG.  It writes one byte on fd 4
 * (the monitor's sign that the login succeeded), answers the tag with
 * the capabilities, and serves commands until LOGOUT, an idle timeout
 * (SESSION_TIMEOUT_MS) or too many bad commands (SESSION_BAD_MAX).
 *
 * Reading: a command is assembled whole (lines and literals) before it is
 * parsed (lib/imapparse.h).  A synchronizing literal over its limit is
 * refused before the "+" (so the client never sends it); a
 * non-synchronizing one (LITERAL+) over the limit is read and dropped,
 * or the session ends when it is absurdly large.  Limits: IMAP_LINE_MAX
 * per line, IMAP_COMMAND_MAX per command, and APPEND's message up to
 * the configured sizelimit (advertised as APPENDLIMIT=n, RFC 7889).
 *
 * Mailboxes are Maildir++ folders (mbox.h); names are modified UTF-7 on
 * the wire and on disk (lib/mutf7.h), hierarchy separator ".", INBOX is
 * the Maildir itself.  The special-use folders Sent, Drafts, Junk, Trash
 * and Archive are made (and subscribed) at the first login.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "exitcode.h"
#include "imap.h"
#include "imapd.h"
#include "imapmsg.h"
#include "imapparse.h"
#include "imapsearch.h"
#include "log.h"
#include "loop.h"
#include "mbox.h"
#include "mutf7.h"
#include "str.h"

#define SPECIALUSE_MARK "facteur-specialuse"
#define SUBSCRIPTIONS "subscriptions"
/* The subscriptions file: far above IMAP_FOLDERS_MAX names. */
#define SUBSCRIPTIONS_MAX (1 << 20)
/* How long IDLE waits for more changes before it reports (ms); how often
 * it looks when inotify is not available (too many instances). */
#define IDLE_COALESCE_MS 50
#define IDLE_POLL_MS 2000
/* A non-synchronizing literal over the limit is drained up to this. */
#define DRAIN_MAX ((uint64_t)64 << 20)

static struct buf in, out;
static unsigned char inmem[65536], outmem[65536];
static char line[IMAP_LINE_MAX + 2];
static struct str cmd, tmp;
static uint64_t appendlimit;
static char tag[IMAP_TAG_MAX + 1];
static const char *user;
static int bad;

static struct mbox mb;
static int selected;
static uint32_t shown;          /* EXISTS as the client knows it */
static uint32_t shown_recent;
static uint32_t *changed;       /* sequence numbers with new flags */
static uint32_t nchanged, capchanged;

/* The message last read and parsed, for FETCH of several items; only
 * its header when that was all a FETCH needed. */
static struct {
    uint32_t uid;
    char *p;
    size_t n;
    struct imapmsg *m;
    int header_only;
} cache;

/* ------------------------------------------------------------------ */
/* Output. */

static void
o(const char *s)
{
    if (buf_puts(&out, s) == -1)
        exit(1);
}

static void
on(const void *p, size_t n)
{
    if (buf_put(&out, p, n) == -1)
        exit(1);
}

static void
of(const char *fmt, ...) __attribute__((__format__(__printf__, 1, 2)));
static void
of(const char *fmt, ...)
{
    char b[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    on(b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

static void
flush(void)
{
    if (buf_flush(&out) == -1)
        exit(1);
}

/* A client that stops reading must not keep the session forever: every
 * command's answer is written within the idle timeout. */
static void
out_deadline(void)
{
    out.deadline = loop_now() + SESSION_TIMEOUT_MS;
}

static void
ok(const char *text)
{
    of("%s OK %s\r\n", tag, text);
}

static void
no(const char *text)
{
    of("%s NO %s\r\n", tag, text);
}

static void
badcmd(const char *text)
{
    bad++;
    of("%s BAD %s\r\n", tag, text);
}

static _Noreturn void
bye(const char *text, int code)
{
    of("* BYE %s\r\n", text);
    (void)buf_flush(&out);
    exit(code);
}

/* An IMAP string of a C string. */
static void
ostring(const char *s, size_t n)
{
    str_reset(&tmp);
    str_imap(&tmp, s, n);
    if (tmp.err)
        exit(1);
    on(tmp.s, tmp.len);
}

/* ------------------------------------------------------------------ */
/* Reading a command. */

/* "{n}" or "{n+}" at the end of line[0..len): 1 with *n and *plus. */
static int
literal_at_end(const char *l, size_t len, uint64_t *n, int *plus)
{
    size_t k = len;
    uint64_t v = 0, mul = 1;

    if (k == 0 || l[k - 1] != '}')
        return 0;
    k--;
    *plus = 0;
    if (k > 0 && l[k - 1] == '+') {
        *plus = 1;
        k--;
    }
    while (k > 0 && l[k - 1] >= '0' && l[k - 1] <= '9') {
        if (len - k > 18)
            return 0;
        v += (uint64_t)(l[k - 1] - '0') * mul;
        mul *= 10;
        k--;
    }
    if (k == 0 || l[k - 1] != '{' || mul == 1)
        return 0;
    *n = v;
    return 1;
}

/* Is the command being read an APPEND (whose literal may be large)? */
static int
is_append(void)
{
    const char *sp = memchr(cmd.s, ' ', cmd.len);
    return sp != NULL && (size_t)(cmd.s + cmd.len - sp) > 7
        && strncasecmp(sp + 1, "APPEND ", 7) == 0;
}

/* The tag of the command being read, for an early answer. */
static void
early_tag(void)
{
    size_t i = 0;

    while (i < cmd.len && i < IMAP_TAG_MAX && cmd.s[i] != ' ')
        i++;
    if (imap_tag_ok(cmd.s, i)) {
        memcpy(tag, cmd.s, i);
        tag[i] = 0;
    } else {
        snprintf(tag, sizeof tag, "*");
    }
}

/*
 * Read one whole command into cmd.  1 ready, 0 refused (answered).
 * Exits at end of file or timeout.
 */
static int
readcmd(void)
{
    str_reset(&cmd);
    for (;;) {
        size_t len;
        uint64_t n;
        int r, plus;

        if (buf_unread(&in) == 0)
            flush();
        in.deadline = loop_now() + SESSION_TIMEOUT_MS;
        out_deadline();
        r = buf_getline(&in, line, sizeof line, &len);
        if (r == 0)
            exit(1);
        if (r == -1) {
            if (errno == ERANGE) {
                /* the tag is in what was kept of the line */
                str_put(&cmd, line, len);
                early_tag();
                str_reset(&cmd);
                badcmd("line too long");
                return 0;
            }
            if (errno == ETIMEDOUT)
                bye("autologout: idle for too long", 1);
            exit(1);
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        str_put(&cmd, line, len);
        if (!literal_at_end(line, len, &n, &plus))
            break;
        {
            uint64_t limit = is_append() ? appendlimit + IMAP_COMMAND_MAX
                                         : IMAP_COMMAND_MAX;
            if (n > limit || cmd.len + n > limit) {
                early_tag();
                if (plus) {
                    if (n > DRAIN_MAX)
                        bye("literal too large", 1);
                    while (n > 0) {
                        char d[4096];
                        ssize_t g = buf_get(&in, d,
                            n < sizeof d ? (size_t)n : sizeof d);
                        if (g <= 0)
                            exit(1);
                        n -= (uint64_t)g;
                    }
                    /* the rest of the command's line, dropped */
                    if (buf_getline(&in, line, sizeof line, &len) != 1
                        && errno != ERANGE)
                        exit(1);
                }
                str_reset(&cmd);
                of("%s NO [TOOBIG] literal too large\r\n", tag);
                return 0;
            }
        }
        if (!plus) {
            o("+ OK\r\n");
            flush();
        }
        str_put(&cmd, "\r\n", 2);
        if (str_ready(&cmd, (size_t)n) == -1)
            bye("out of memory", 111);
        while (n > 0) {
            ssize_t g = buf_get(&in, cmd.s + cmd.len, (size_t)n);
            if (g <= 0)
                exit(1);
            cmd.len += (size_t)g;
            n -= (uint64_t)g;
        }
        cmd.s[cmd.len] = 0;
    }
    if (cmd.err)
        bye("out of memory", 111);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Mailbox names. */

/* The directory of mailbox name (modified UTF-7, as the client sends
 * it): 0, or -1 for a name that cannot be a mailbox. */
static int
mailbox_dir(const char *name, size_t n, char *dir, size_t dlen)
{
    char utf8[IMAP_MAILBOX_MAX * 4 + 1];
    long l;

    if (n == 5 && strncasecmp(name, "INBOX", 5) == 0) {
        snprintf(dir, dlen, ".");
        return 0;
    }
    l = mutf7_decode(utf8, sizeof utf8, name, n);
    if (l < 0)
        return -1;
    return mutf7_folder_dir(dir, dlen, utf8, (size_t)l);
}

static int
is_inbox(const char *name, size_t n)
{
    return n == 5 && strncasecmp(name, "INBOX", 5) == 0;
}

/* Read a mailbox name argument: 1 with the name in buf, else answered. */
static int
arg_mailbox(struct imapp *ip, char *name, size_t max, size_t *len,
    char *dir, size_t dlen)
{
    if (imapp_astring(ip, name, max, len) != 1) {
        badcmd("mailbox name expected");
        return 0;
    }
    if (mailbox_dir(name, *len, dir, dlen) == -1) {
        no("[CANNOT] invalid mailbox name");
        return 0;
    }
    return 1;
}

static const char *special[] = { "Sent", "Drafts", "Junk", "Trash",
    "Archive" };
static const char *special_attr[] = { "\\Sent", "\\Drafts", "\\Junk",
    "\\Trash", "\\Archive" };

/* fsync the Maildir itself (the working directory): a rename in it
 * lasts.  0 or -1. */
static int
sync_here(void)
{
    int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

    if (fd == -1)
        return -1;
    r = fsync(fd);
    close(fd);
    return r;
}

/* Subscriptions: one name (modified UTF-7) a line. */
static int
subs_has(const char *buf, size_t blen, const char *name, size_t n)
{
    size_t i = 0;

    while (i < blen) {
        const char *nl = memchr(buf + i, '\n', blen - i);
        size_t l = nl ? (size_t)(nl - buf - i) : blen - i;
        if (l == n && memcmp(buf + i, name, n) == 0)
            return 1;
        i += l + 1;
    }
    return 0;
}

/* The subscriptions file whole (at most SUBSCRIPTIONS_MAX bytes) into
 * *buf (NULL when there is none or it is empty): 0, or -1 when it cannot
 * be read, so that nobody rewrites it from a part of it. */
static int
subs_read(char **buf, size_t *len)
{
    int fd = open(SUBSCRIPTIONS, O_RDONLY | O_CLOEXEC);
    struct str s = { 0 };
    char b[4096];
    ssize_t r;

    *buf = NULL;
    *len = 0;
    if (fd == -1)
        return errno == ENOENT ? 0 : -1;
    s.max = SUBSCRIPTIONS_MAX;
    while ((r = read(fd, b, sizeof b)) != 0) {
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1 || str_put(&s, b, (size_t)r) == -1) {
            close(fd);
            str_free(&s);
            return -1;
        }
    }
    close(fd);
    *buf = s.s;
    *len = s.len;
    return 0;
}

/* Add or remove name; 0 or -1. */
static int
subs_set(const char *name, size_t n, int on)
{
    size_t len, i = 0;
    char *buf;
    struct str s = { 0 };
    int fd, r = -1;

    if (subs_read(&buf, &len) == -1)
        return -1;

    while (buf != NULL && i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - buf - i) : len - i;
        if (l > 0 && !(l == n && memcmp(buf + i, name, n) == 0)) {
            str_put(&s, buf + i, l);
            str_putc(&s, '\n');
        }
        i += l + 1;
    }
    if (on) {
        str_put(&s, name, n);
        str_putc(&s, '\n');
    }
    free(buf);
    if (s.err)
        goto out;
    fd = open(SUBSCRIPTIONS ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
        0600);
    if (fd == -1)
        goto out;
    if (fd_write_all(fd, s.s ? s.s : "", s.len, -1) == -1 || fsync(fd) == -1
        || close(fd) == -1 || rename(SUBSCRIPTIONS ".tmp", SUBSCRIPTIONS) == -1
        || sync_here() == -1)
        goto out;
    r = 0;
out:
    str_free(&s);
    return r;
}

/* ------------------------------------------------------------------ */
/* Untagged updates. */

static void
ev_expunged(void *arg, uint32_t seq)
{
    uint32_t i, k = 0;

    of("* %u EXPUNGE\r\n", seq);
    if (shown > 0)
        shown--;
    /* flag changes already recorded shift down or go */
    for (i = 0; i < nchanged; i++) {
        if (changed[i] == seq)
            continue;
        changed[k++] = changed[i] > seq ? changed[i] - 1 : changed[i];
    }
    nchanged = k;
}

static void
ev_flags(void *arg, uint32_t seq)
{
    if (nchanged == capchanged) {
        uint32_t nc = capchanged ? capchanged * 2 : 64;
        uint32_t *p = realloc(changed, nc * sizeof *p);
        if (p == NULL)
            return; /* the update is lost, not the session */
        changed = p;
        capchanged = nc;
    }
    changed[nchanged++] = seq;
}

static const struct mbox_events events = { ev_expunged, ev_flags, NULL };

static void
oflags(const struct msg *m)
{
    static const char *names[] = { "\\Seen", "\\Answered", "\\Flagged",
        "\\Deleted", "\\Draft", "\\Recent" };
    unsigned i;
    int sp = 0;

    o("(");
    for (i = 0; i < 6; i++)
        if (m->flags & (1u << i)) {
            if (sp++)
                o(" ");
            o(names[i]);
        }
    for (i = 0; i < IMAP_KEYWORDS_MAX; i++)
        if ((m->kw & (1u << i)) && mb.kwname[i][0]) {
            if (sp++)
                o(" ");
            o(mb.kwname[i]);
        }
    o(")");
}

static void
report_exists(void)
{
    if (mb.n != shown) {
        of("* %u EXISTS\r\n", mb.n);
        shown = mb.n;
    }
    if (mb.nrecent != shown_recent) {
        of("* %u RECENT\r\n", mb.nrecent);
        shown_recent = mb.nrecent;
    }
}

/* Look at the mailbox again and tell the client what changed. */
static void
update(int uid)
{
    uint32_t i;

    if (!selected)
        return;
    nchanged = 0;
    if (mbox_sync(&mb, &events) == -1) {
        log_warn("cannot read mailbox %s: %s", mb.name, strerror(errno));
        return;
    }
    report_exists();
    for (i = 0; i < nchanged; i++) {
        if (changed[i] == 0 || changed[i] > mb.n)
            continue;
        struct msg m = mbox_msg(&mb, changed[i]);
        of("* %u FETCH (", changed[i]);
        if (uid)
            of("UID %u ", m.uid);
        o("FLAGS ");
        oflags(&m);
        o(")\r\n");
    }
    nchanged = 0;
}

static void
cache_drop(void)
{
    if (cache.m)
        imapmsg_free(cache.m);
    free(cache.p);
    memset(&cache, 0, sizeof cache);
}

static void
deselect(void)
{
    cache_drop();
    if (selected)
        mbox_close(&mb);
    selected = 0;
    shown = shown_recent = 0;
}

/* ------------------------------------------------------------------ */
/* Sets of messages. */

/*
 * Mark the messages of set (sequence numbers, or UIDs when uid) in sel
 * (mb.n bytes).  Returns the count, or -1 when a sequence number is out
 * of range (the caller answers BAD).  Ranges are never expanded.
 */
static long
select_set(struct seqset *set, int uid, unsigned char *sel)
{
    uint32_t i, k;
    long count = 0;

    if (uid) {
        seqset_resolve(set, mb.n ? mb.uid[mb.n - 1] : 0);
        seqset_merge(set);
        for (k = 0; k < set->n; k++) {
            uint32_t lo = 0, hi = mb.n;
            while (lo < hi) { /* first message with uid >= set->lo[k] */
                uint32_t mid = lo + (hi - lo) / 2;
                if (mb.uid[mid] < set->lo[k])
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (i = lo; i < mb.n && mb.uid[i] <= set->hi[k]; i++)
                if (!sel[i]) {
                    sel[i] = 1;
                    count++;
                }
        }
        return count;
    }
    seqset_resolve(set, mb.n);
    for (k = 0; k < set->n; k++)
        if (set->lo[k] == 0 || set->hi[k] > mb.n)
            return -1;
    seqset_merge(set);
    for (k = 0; k < set->n; k++) {
        for (i = set->lo[k] - 1; i < set->hi[k]; i++)
            if (!sel[i]) {
                sel[i] = 1;
                count++;
            }
    }
    return count;
}

/* The messages of set as a malloc'd array of mb.n flags (count in
 * *count), or NULL when the set is invalid (answered BAD). */
static unsigned char *
selection(struct seqset *set, int uid, long *count)
{
    unsigned char *sel = calloc(mb.n + 1, 1);

    if (sel == NULL)
        bye("out of memory", 111);
    *count = select_set(set, uid, sel);
    if (*count < 0) {
        free(sel);
        badcmd("invalid message sequence number");
        return NULL;
    }
    return sel;
}

/* Append the UIDs of a sorted list as a compact set ("1:3,7"). */
static void
str_uidset(struct str *s, const uint32_t *u, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t j = i;
        while (j + 1 < n && u[j + 1] == u[j] + 1)
            j++;
        if (i > 0)
            str_putc(s, ',');
        if (j > i)
            str_printf(s, "%u:%u", u[i], u[j]);
        else
            str_printf(s, "%u", u[i]);
        i = j + 1;
    }
}

/* ------------------------------------------------------------------ */
/* Commands of any state. */

static void
c_capability(struct imapp *ip, int uid)
{
    if (!imapp_end(ip)) {
        badcmd("CAPABILITY takes no arguments");
        return;
    }
    of("* CAPABILITY " CAPS_SESSION " APPENDLIMIT=%llu\r\n",
        (unsigned long long)appendlimit);
    ok("CAPABILITY completed");
}

/* NOOP and CHECK: a look at the mailbox (writes are synced as they are
 * made, so CHECK has nothing else to do). */
static void
c_noop(struct imapp *ip, int check)
{
    update(0);
    ok(check ? "CHECK completed" : "NOOP completed");
}

static void
c_logout(struct imapp *ip, int uid)
{
    o("* BYE logging out\r\n");
    ok("LOGOUT completed");
    flush();
    log_info("logout user=%s", user);
    exit(0);
}

static void
c_id(struct imapp *ip, int uid)
{
    o("* ID (\"name\" \"facteur\")\r\n");
    ok("ID completed");
}

static void
c_enable(struct imapp *ip, int uid)
{
    /* nothing facteur offers needs enabling yet (no CONDSTORE, no
     * UTF8=ACCEPT): every extension asked for stays off */
    o("* ENABLED\r\n");
    ok("ENABLE completed");
}

static void
c_namespace(struct imapp *ip, int uid)
{
    o("* NAMESPACE ((\"\" \".\")) NIL NIL\r\n");
    ok("NAMESPACE completed");
}

/* ------------------------------------------------------------------ */
/* Authenticated state. */

static void
c_select(struct imapp *ip, int readonly)
{
    char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX * 2 + 8];
    size_t len;
    uint32_t i, unseen = 0;
    unsigned k;

    if (imapp_sp(ip) != 1) {
        badcmd("mailbox name expected");
        return;
    }
    if (!arg_mailbox(ip, name, sizeof name, &len, dir, sizeof dir))
        return;
    if (!imapp_end(ip)) {
        badcmd("unexpected arguments");
        return;
    }
    deselect();
    if (mbox_open(&mb, dir, name, readonly) == -1) {
        if (errno == ENOENT)
            no("[NONEXISTENT] no such mailbox");
        else {
            log_warn("cannot open %s: %s", dir, strerror(errno));
            no("[SERVERBUG] cannot open the mailbox");
        }
        return;
    }
    selected = 1;
    o("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft");
    for (k = 0; k < IMAP_KEYWORDS_MAX; k++)
        if (mb.kwname[k][0])
            of(" %s", mb.kwname[k]);
    o(")\r\n");
    o("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft");
    for (k = 0; k < IMAP_KEYWORDS_MAX; k++)
        if (mb.kwname[k][0])
            of(" %s", mb.kwname[k]);
    o(readonly ? ")] Read-only mailbox\r\n" : " \\*)] Flags permitted\r\n");
    of("* %u EXISTS\r\n* %u RECENT\r\n", mb.n, mb.nrecent);
    shown = mb.n;
    shown_recent = mb.nrecent;
    for (i = 0; i < mb.n; i++)
        if (!(mbox_msg(&mb, i + 1).flags & IMAPF_SEEN)) {
            unseen = i + 1;
            break;
        }
    if (unseen)
        of("* OK [UNSEEN %u] First unseen\r\n", unseen);
    of("* OK [UIDVALIDITY %u] UIDs valid\r\n* OK [UIDNEXT %u] Predicted next "
       "UID\r\n", mb.uidvalidity, mb.uidnext);
    of("%s OK [%s] %s completed\r\n", tag, readonly ? "READ-ONLY" : "READ-WRITE",
        readonly ? "EXAMINE" : "SELECT");
}

static void
c_create(struct imapp *ip, int uid)
{
    char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX * 2 + 8];
    size_t len;

    if (imapp_sp(ip) != 1 || imapp_astring(ip, name, sizeof name, &len) != 1
        || !imapp_end(ip)) {
        badcmd("usage: CREATE mailbox");
        return;
    }
    while (len > 0 && name[len - 1] == '.') /* "a." creates a */
        name[--len] = 0;
    if (is_inbox(name, len)) {
        no("[ALREADYEXISTS] INBOX exists");
        return;
    }
    if (mailbox_dir(name, len, dir, sizeof dir) == -1) {
        no("[CANNOT] invalid mailbox name");
        return;
    }
    if (mbox_create(dir) == -1) {
        if (errno == EEXIST)
            no("[ALREADYEXISTS] mailbox exists");
        else {
            log_warn("cannot create %s: %s", dir, strerror(errno));
            no("[SERVERBUG] cannot create the mailbox");
        }
        return;
    }
    ok("CREATE completed");
}

/* Remove a folder directory and what it holds (files of its own; its
 * children are separate directories .a.b and stay). */
static int
remove_folder(const char *dir)
{
    static const char *sub[] = { "cur", "new", "tmp" };
    char p[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
    struct dirent *d;
    unsigned i;
    DIR *dp;

    for (i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, sub[i]);
        dp = opendir(p);
        if (dp == NULL && errno != ENOENT)
            return -1;
        while (dp != NULL && (d = readdir(dp)) != NULL) {
            char f[sizeof p + MBOX_NAME_MAX + 2];
            if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
                continue;
            snprintf(f, sizeof f, "%s/%s", p, d->d_name);
            if (unlink(f) == -1 && errno != ENOENT) {
                closedir(dp);
                return -1;
            }
        }
        if (dp != NULL)
            closedir(dp);
        if (rmdir(p) == -1 && errno != ENOENT)
            return -1;
    }
    dp = opendir(dir);
    if (dp == NULL)
        return -1;
    while ((d = readdir(dp)) != NULL) {
        char f[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        snprintf(f, sizeof f, "%s/%s", dir, d->d_name);
        if (unlink(f) == -1 && errno != ENOENT) {
            closedir(dp);
            return -1;
        }
    }
    closedir(dp);
    return rmdir(dir);
}

static void
c_delete(struct imapp *ip, int uid)
{
    char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX * 2 + 8];
    size_t len;
    struct stat st;

    if (imapp_sp(ip) != 1 || !arg_mailbox(ip, name, sizeof name, &len, dir,
        sizeof dir))
        return;
    if (is_inbox(name, len)) {
        no("[CANNOT] INBOX cannot be deleted");
        return;
    }
    if (stat(dir, &st) == -1) {
        no("[NONEXISTENT] no such mailbox");
        return;
    }
    if (selected && strcmp(mb.dir, dir) == 0)
        deselect();
    if (remove_folder(dir) == -1) {
        log_warn("cannot delete %s: %s", dir, strerror(errno));
        no("[SERVERBUG] cannot delete the mailbox");
        return;
    }
    (void)subs_set(name, len, 0);
    ok("DELETE completed");
}

static void
c_rename(struct imapp *ip, int uid)
{
    char from[IMAP_MAILBOX_MAX + 1], to[IMAP_MAILBOX_MAX + 1];
    char fdir[IMAP_MAILBOX_MAX * 2 + 8], tdir[IMAP_MAILBOX_MAX * 2 + 8];
    size_t fl, tl, dl;
    struct stat st;
    struct dirent *d;
    DIR *dp;
    int failed = 0;

    if (imapp_sp(ip) != 1
        || !arg_mailbox(ip, from, sizeof from, &fl, fdir, sizeof fdir))
        return;
    if (imapp_sp(ip) != 1
        || !arg_mailbox(ip, to, sizeof to, &tl, tdir, sizeof tdir))
        return;
    if (is_inbox(to, tl)) {
        no("[ALREADYEXISTS] INBOX exists");
        return;
    }
    if (stat(tdir, &st) == 0) {
        no("[ALREADYEXISTS] the new name exists");
        return;
    }
    if (is_inbox(from, fl)) {
        /* RFC 3501 6.3.5: INBOX's messages move, INBOX stays */
        struct mbox src;
        uint32_t i, v, u;
        if (mbox_create(tdir) == -1 || mbox_open(&src, ".", "INBOX", 0) == -1) {
            no("[SERVERBUG] cannot rename INBOX");
            return;
        }
        for (i = 0; i < src.n; i++) {
            char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
            struct msg m = mbox_msg(&src, i + 1);
            int64_t t = -1;
            (void)mbox_mtime(&src, &m, &t);
            if (mbox_path(&src, &m, path, sizeof path) == -1
                || mbox_add(tdir, path, NULL, 0, m.flags, src.kwname, m.kw, t,
                    &v, &u) == -1)
                break;
        }
        /* every message was copied: the view's UIDs all go (a copy of
         * them: the view shrinks as they go) */
        {
            uint32_t *all = i < src.n ? NULL
                : malloc(((size_t)src.n + 1) * sizeof *all);
            int r = -1;
            if (all != NULL) {
                if (src.n > 0)
                    memcpy(all, src.uid, (size_t)src.n * sizeof *all);
                r = mbox_expunge_uids(&src, all, src.n, NULL);
                free(all);
            }
            if (r == -1)
                i = 0; /* answered below */
        }
        if (i < src.n) {
            mbox_close(&src);
            no("[SERVERBUG] cannot move every message out of INBOX");
            return;
        }
        mbox_close(&src);
        if (selected && strcmp(mb.dir, ".") == 0)
            update(0);
        ok("RENAME completed");
        return;
    }
    if (stat(fdir, &st) == -1) {
        no("[NONEXISTENT] no such mailbox");
        return;
    }
    if (selected && strcmp(mb.dir, fdir) == 0)
        deselect();
    if (rename(fdir, tdir) == -1) {
        no("[SERVERBUG] cannot rename the mailbox");
        return;
    }
    /* the children: .from.x becomes .to.x */
    dl = strlen(fdir);
    dp = opendir(".");
    while (dp != NULL && (d = readdir(dp)) != NULL) {
        char nn[IMAP_MAILBOX_MAX * 2 + 8];
        if (strncmp(d->d_name, fdir, dl) != 0 || d->d_name[dl] != '.')
            continue;
        if (snprintf(nn, sizeof nn, "%s%s", tdir, d->d_name + dl)
                >= (int)sizeof nn || rename(d->d_name, nn) == -1) {
            log_warn("cannot rename %s under %s: %s", d->d_name, tdir,
                strerror(errno));
            failed++;
        }
    }
    if (dp == NULL)
        failed++;
    else
        closedir(dp);
    if (sync_here() == -1)
        failed++;
    if (subs_set(from, fl, 0) == 0)
        (void)subs_set(to, tl, 1);
    if (failed) {
        no("[SERVERBUG] renamed, but not every child mailbox");
        return;
    }
    ok("RENAME completed");
}

static void
c_subscribe(struct imapp *ip, int on)
{
    char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX * 2 + 8];
    size_t len;

    if (imapp_sp(ip) != 1
        || !arg_mailbox(ip, name, sizeof name, &len, dir, sizeof dir))
        return;
    if (subs_set(name, len, on) == -1) {
        no("[SERVERBUG] cannot write the subscriptions");
        return;
    }
    ok(on ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
}

/* IMAP list wildcards: "*" matches anything, "%" anything but the
 * separator.  Dynamic programming over (pattern, name) prefixes with one
 * row: time pl * sl, never exponential whatever the pattern. */
static int
wildmat(const char *pat, size_t pl, const char *s, size_t sl)
{
    unsigned char row[IMAP_MAILBOX_MAX * 2 + 8];
    size_t p, i;

    if (sl + 1 > sizeof row)
        return 0;
    /* row[i]: pat[0..p) matches s[0..i) */
    memset(row, 0, sl + 1);
    row[0] = 1;
    for (p = 0; p < pl; p++) {
        char c = pat[p];
        if (c == '*' || c == '%') {
            /* row'[i] = row[j] for some j <= i with s[j..i) allowed */
            int reach = 0;
            for (i = 0; i <= sl; i++) {
                if (row[i])
                    reach = 1;
                else if (c == '%' && i > 0 && s[i - 1] == '.')
                    reach = 0;
                if (c == '%' && i > 0 && s[i - 1] == '.' && !row[i])
                    reach = 0;
                row[i] = (unsigned char)reach;
            }
        } else {
            for (i = sl; i > 0; i--)
                row[i] = row[i - 1] && s[i - 1] == c;
            row[0] = 0;
        }
    }
    return row[sl];
}

struct folder {
    char name[IMAP_MAILBOX_MAX * 2 + 8]; /* modified UTF-7 */
    int exists;
};

static int
folder_cmp(const void *a, const void *b)
{
    return strcmp(((const struct folder *)a)->name,
        ((const struct folder *)b)->name);
}

/* Every mailbox name, with the parents that exist only as prefixes. */
static struct folder *
folders(size_t *count)
{
    struct folder *f = NULL;
    size_t n = 0, cap = 0, i;
    struct dirent *d;
    DIR *dp = opendir(".");

    if (dp == NULL)
        return NULL;
    for (;;) {
        char utf8[IMAP_MAILBOX_MAX * 4 + 1], enc[IMAP_MAILBOX_MAX * 2 + 8];
        const char *nm;
        long l;
        if (n == 0) {
            nm = "INBOX";
        } else {
            struct stat st;
            d = readdir(dp);
            if (d == NULL)
                break;
            l = mutf7_folder_name(utf8, sizeof utf8, d->d_name,
                strlen(d->d_name));
            if (l < 0 || stat(d->d_name, &st) == -1 || !S_ISDIR(st.st_mode))
                continue;
            l = mutf7_encode(enc, sizeof enc, utf8, (size_t)l);
            if (l < 0)
                continue;
            nm = enc;
        }
        if (n >= IMAP_FOLDERS_MAX)
            break;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            struct folder *nf = realloc(f, nc * sizeof *nf);
            if (nf == NULL)
                break;
            f = nf;
            cap = nc;
        }
        snprintf(f[n].name, sizeof f[n].name, "%s", nm);
        f[n].exists = 1;
        n++;
    }
    closedir(dp);
    /* parents: "a" for "a.b" when there is no ".a" */
    for (i = 1; i < n && f != NULL; i++) {
        char *dot = strrchr(f[i].name, '.');
        while (dot != NULL && n < IMAP_FOLDERS_MAX) {
            size_t pl = (size_t)(dot - f[i].name), k;
            for (k = 1; k < n; k++)
                if (strlen(f[k].name) == pl
                    && strncmp(f[k].name, f[i].name, pl) == 0)
                    break;
            if (k < n)
                break;
            if (n == cap) {
                size_t nc = cap * 2;
                struct folder *nf = realloc(f, nc * sizeof *nf);
                if (nf == NULL)
                    break;
                f = nf;
                cap = nc;
            }
            snprintf(f[n].name, sizeof f[n].name, "%.*s", (int)pl, f[i].name);
            f[n].exists = 0;
            n++;
            dot = NULL; /* the next level up, if any */
            for (k = pl; k > 0 && dot == NULL; k--)
                if (f[i].name[k - 1] == '.')
                    dot = f[i].name + k - 1;
        }
    }
    if (f != NULL && n > 1)
        qsort(f + 1, n - 1, sizeof *f, folder_cmp);
    *count = n;
    return f;
}

static void
c_list(struct imapp *ip, int lsub)
{
    char ref[IMAP_MAILBOX_MAX + 1], pat[IMAP_MAILBOX_MAX + 1];
    char full[IMAP_MAILBOX_MAX * 2 + 2];
    size_t rl, pl, n = 0, i, k, slen = 0;
    int sel_special = 0, sel_subscribed = 0, ret_special = 0, ret_subs = 0;
    struct folder *f;
    char *subs;
    const char *s;
    size_t len;

    if (imapp_sp(ip) != 1) {
        badcmd("usage: LIST reference pattern");
        return;
    }
    if (!lsub && imapp_char(ip, '(')) { /* LIST-EXTENDED selection */
        while (!imapp_char(ip, ')')) {
            if (imapp_atom(ip, &s, &len) != 1) {
                badcmd("bad selection options");
                return;
            }
            if (len == 11 && strncasecmp(s, "SPECIAL-USE", 11) == 0)
                sel_special = ret_special = 1;
            else if (len == 10 && strncasecmp(s, "SUBSCRIBED", 10) == 0)
                sel_subscribed = ret_subs = 1;
            imapp_char(ip, ' ');
        }
        if (imapp_sp(ip) != 1) {
            badcmd("usage: LIST reference pattern");
            return;
        }
    }
    if (imapp_astring(ip, ref, sizeof ref, &rl) != 1 || imapp_sp(ip) != 1) {
        badcmd("usage: LIST reference pattern");
        return;
    }
    /* list-mailbox: an astring that may hold % and * */
    if (imapp_string(ip, pat, sizeof pat, &pl) != 1) {
        size_t st = ip->pos;
        while (!imapp_end(ip) && imapp_peek(ip) != ' ' && imapp_peek(ip) > 0x20
            && imapp_peek(ip) < 0x7f && imapp_peek(ip) != '(')
            ip->pos++;
        pl = ip->pos - st;
        if (pl == 0 || pl >= sizeof pat) {
            badcmd("bad pattern");
            return;
        }
        memcpy(pat, ip->p + st, pl);
        pat[pl] = 0;
    }
    if (imapp_char(ip, ' ')) { /* RETURN (...) */
        if (imapp_atom(ip, &s, &len) != 1 || len != 6
            || strncasecmp(s, "RETURN", 6) != 0 || imapp_sp(ip) != 1
            || !imapp_char(ip, '(')) {
            badcmd("bad LIST return options");
            return;
        }
        while (!imapp_char(ip, ')')) {
            if (imapp_atom(ip, &s, &len) != 1) {
                badcmd("bad LIST return options");
                return;
            }
            if (len == 11 && strncasecmp(s, "SPECIAL-USE", 11) == 0)
                ret_special = 1;
            else if (len == 10 && strncasecmp(s, "SUBSCRIBED", 10) == 0)
                ret_subs = 1;
            imapp_char(ip, ' ');
        }
    }
    if (!imapp_end(ip)) {
        badcmd("unexpected arguments");
        return;
    }
    if (pl == 0) {
        of("* %s (\\Noselect) \".\" \"\"\r\n", lsub ? "LSUB" : "LIST");
        ok(lsub ? "LSUB completed" : "LIST completed");
        return;
    }
    snprintf(full, sizeof full, "%s%s", ref, pat);
    f = folders(&n);
    if (subs_read(&subs, &slen) == -1)
        log_warn("cannot read %s: %s", SUBSCRIPTIONS, strerror(errno));
    (void)ret_special;
    for (i = 0; i < n; i++) {
        const char *nm = f[i].name;
        size_t nl = strlen(nm);
        int subscribed = subs != NULL && subs_has(subs, slen, nm, nl);
        int children = 0, sp = -1;
        /* INBOX matches case-insensitively */
        if (i == 0 ? !(wildmat(full, strlen(full), nm, nl)
                || (strlen(full) == 5 && strcasecmp(full, "INBOX") == 0))
                   : !wildmat(full, strlen(full), nm, nl))
            continue;
        if ((lsub || sel_subscribed) && !subscribed)
            continue;
        for (k = 0; k < 5; k++)
            if (strcmp(nm, special[k]) == 0)
                sp = (int)k;
        if (sel_special && sp < 0)
            continue;
        for (k = 1; k < n; k++)
            if (k != i && strncmp(f[k].name, nm, nl) == 0
                && f[k].name[nl] == '.')
                children = 1;
        of("* %s (", lsub ? "LSUB" : "LIST");
        if (lsub) {
            if (!f[i].exists)
                o("\\Noselect");
        } else {
            o(children ? "\\HasChildren" : "\\HasNoChildren");
            if (!f[i].exists)
                o(" \\Noselect");
            if (ret_subs && subscribed)
                o(" \\Subscribed");
            if (sp >= 0)
                of(" %s", special_attr[sp]);
        }
        o(") \".\" ");
        ostring(nm, nl);
        o("\r\n");
    }
    free(f);
    free(subs);
    ok(lsub ? "LSUB completed" : "LIST completed");
}

static void
c_status(struct imapp *ip, int uid)
{
    char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX * 2 + 8];
    uint32_t v, nx, msgs, recent, unseen;
    unsigned want = 0;
    const char *s;
    size_t len;
    int sp = 0;

    if (imapp_sp(ip) != 1
        || !arg_mailbox(ip, name, sizeof name, &len, dir, sizeof dir))
        return;
    if (imapp_sp(ip) != 1 || !imapp_char(ip, '(')) {
        badcmd("usage: STATUS mailbox (items)");
        return;
    }
    while (!imapp_char(ip, ')')) {
        static const char *items[] = { "MESSAGES", "RECENT", "UIDNEXT",
            "UIDVALIDITY", "UNSEEN" };
        unsigned k;
        if (imapp_atom(ip, &s, &len) != 1) {
            badcmd("bad STATUS item");
            return;
        }
        for (k = 0; k < 5; k++)
            if (strlen(items[k]) == len && strncasecmp(items[k], s, len) == 0)
                want |= 1u << k;
        if (want == 0 || (imapp_peek(ip) != ')' && imapp_sp(ip) != 1)) {
            badcmd("bad STATUS item");
            return;
        }
    }
    if (mbox_status(dir, &v, &nx, &msgs, &recent, &unseen) == -1) {
        no(errno == ENOENT ? "[NONEXISTENT] no such mailbox"
                           : "[SERVERBUG] cannot read the mailbox");
        return;
    }
    o("* STATUS ");
    ostring(name, strlen(name));
    o(" (");
    if (want & 1)
        of("%sMESSAGES %u", sp++ ? " " : "", msgs);
    if (want & 2)
        of("%sRECENT %u", sp++ ? " " : "", recent);
    if (want & 4)
        of("%sUIDNEXT %u", sp++ ? " " : "", nx);
    if (want & 8)
        of("%sUIDVALIDITY %u", sp++ ? " " : "", v);
    if (want & 16)
        of("%sUNSEEN %u", sp++ ? " " : "", unseen);
    o(")\r\n");
    ok("STATUS completed");
}

/* A flag list "(\Seen $Junk)" or, for STORE, flags without parentheses.
 * Keywords are created in the selected mailbox when create is set,
 * else their names are kept in names (APPEND to another mailbox).
 * 1, or 0 (answered). */
static int
flaglist(struct imapp *ip, int parens_optional, unsigned *flags,
    uint32_t *kw, char names[][IMAP_KEYWORD_LEN_MAX + 1], int create)
{
    static const struct { const char *n; unsigned f; } sys[] = {
        { "\\Seen", IMAPF_SEEN }, { "\\Answered", IMAPF_ANSWERED },
        { "\\Flagged", IMAPF_FLAGGED }, { "\\Deleted", IMAPF_DELETED },
        { "\\Draft", IMAPF_DRAFT }, { "\\Recent", 0 } };
    int parens = imapp_char(ip, '(');
    unsigned nk = 0;

    *flags = 0;
    *kw = 0;
    if (!parens && !parens_optional) {
        badcmd("flag list expected");
        return 0;
    }
    for (;;) {
        const char *s;
        size_t len;
        unsigned k;
        int r;
        if (parens && imapp_char(ip, ')'))
            break;
        r = imapp_flag(ip, &s, &len);
        if (r != 1) {
            if (!parens && imapp_end(ip) && (*flags || *kw))
                break;
            badcmd("bad flag");
            return 0;
        }
        if (s[0] == '\\') {
            for (k = 0; k < 6; k++)
                if (strlen(sys[k].n) == len && strncasecmp(sys[k].n, s, len) == 0)
                    break;
            if (k == 6) {
                badcmd("unknown system flag");
                return 0;
            }
            *flags |= sys[k].f;
        } else if (create) {
            int i = mbox_keyword(&mb, s, len, 1);
            if (i < 0) {
                no("[LIMIT] too many keywords in this mailbox");
                return 0;
            }
            *kw |= 1u << i;
        } else if (names != NULL && len <= IMAP_KEYWORD_LEN_MAX
            && nk < IMAP_KEYWORDS_MAX) {
            memcpy(names[nk], s, len);
            names[nk][len] = 0;
            *kw |= 1u << nk++;
        }
        if (parens && imapp_char(ip, ')'))
            break;
        if (!parens && imapp_end(ip))
            break;
        if (imapp_sp(ip) != 1) {
            badcmd("bad flag list");
            return 0;
        }
    }
    return 1;
}

static void
c_append(struct imapp *ip, int uid)
{
    char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX * 2 + 8];
    char names[IMAP_KEYWORDS_MAX][IMAP_KEYWORD_LEN_MAX + 1];
    unsigned flags = 0;
    uint32_t kw = 0, v, u;
    int64_t date = -1;
    const char *msg;
    size_t len, ml;

    if (imapp_sp(ip) != 1
        || !arg_mailbox(ip, name, sizeof name, &len, dir, sizeof dir))
        return;
    if (imapp_sp(ip) != 1) {
        badcmd("usage: APPEND mailbox [(flags)] [date] literal");
        return;
    }
    memset(names, 0, sizeof names);
    if (imapp_peek(ip) == '(') {
        if (!flaglist(ip, 0, &flags, &kw, names, 0))
            return;
        if (imapp_sp(ip) != 1) {
            badcmd("usage: APPEND mailbox [(flags)] [date] literal");
            return;
        }
    }
    if (imapp_peek(ip) == '"') {
        if (imapp_datetime(ip, &date) != 1 || imapp_sp(ip) != 1) {
            badcmd("bad date-time");
            return;
        }
    }
    if (imapp_string_ref(ip, &msg, &ml) != 1 || !imapp_end(ip)) {
        badcmd("a literal with the message expected (one message: no "
               "MULTIAPPEND)");
        return;
    }
    if (ml > appendlimit) {
        no("[TOOBIG] message too large");
        return;
    }
    if (mbox_add(dir, NULL, msg, ml, flags, names, kw, date, &v, &u) == -1) {
        if (errno == ENOENT)
            no("[TRYCREATE] no such mailbox");
        else {
            log_warn("append to %s failed: %s", dir, strerror(errno));
            no("[SERVERBUG] cannot store the message");
        }
        return;
    }
    log_info("append user=%s mailbox=%s uid=%u size=%zu", user, dir, u, ml);
    if (selected && strcmp(mb.dir, dir) == 0)
        update(0);
    of("%s OK [APPENDUID %u %u] APPEND completed\r\n", tag, v, u);
}

/* ------------------------------------------------------------------ */
/* Selected state. */

static void
c_close(struct imapp *ip, int unselect)
{
    if (!unselect && !mb.readonly)
        (void)mbox_expunge(&mb, NULL, NULL);
    deselect();
    ok(unselect ? "UNSELECT completed" : "CLOSE completed");
}

static void
c_expunge(struct imapp *ip, int uid)
{
    static struct seqset set;

    if (mb.readonly) {
        no("[READ-ONLY] mailbox is read-only");
        return;
    }
    if (uid) {
        if (imapp_sp(ip) != 1 || imapp_seqset(ip, &set) != 1) {
            badcmd("usage: UID EXPUNGE set");
            return;
        }
        seqset_resolve(&set, mb.n ? mb.uid[mb.n - 1] : 0);
        seqset_merge(&set);
    }
    cache_drop();
    nchanged = 0;
    if (mbox_expunge(&mb, uid ? &set : NULL, &events) == -1) {
        no("[SERVERBUG] cannot expunge");
        return;
    }
    update(uid);
    ok("EXPUNGE completed");
}

/* The parsed message m (cached). */
static const struct imapmsg *
load_part(struct msg *m, int header_only)
{
    if (cache.m != NULL && cache.uid == m->uid
        && (header_only || !cache.header_only))
        return cache.m;
    cache_drop();
    cache.p = header_only ? mbox_read_header(&mb, m, &cache.n)
                          : mbox_read(&mb, m, &cache.n);
    cache.header_only = header_only;
    if (cache.p == NULL)
        return NULL;
    cache.m = imapmsg_parse(cache.p, cache.n);
    if (cache.m == NULL) {
        cache_drop();
        return NULL;
    }
    cache.uid = m->uid;
    return cache.m;
}

static const struct imapmsg *
load(struct msg *m)
{
    return load_part(m, 0);
}

enum fetch_kind { F_UID, F_FLAGS, F_INTERNALDATE, F_SIZE, F_ENVELOPE,
    F_BODY, F_BODYSTRUCTURE, F_SECTION, F_RFC822, F_RFC822_HEADER,
    F_RFC822_TEXT };

#define FETCH_ATTS_MAX 64

struct fatt {
    enum fetch_kind k;
    const char *sec;   /* inside the brackets */
    size_t seclen;
    int peek, partial;
    uint64_t off, cnt;
};

/* One fetch attribute: 1, or 0 (answered). */
static int
fetch_att(struct imapp *ip, struct fatt *a)
{
    static const struct { const char *n; enum fetch_kind k; } names[] = {
        { "UID", F_UID }, { "FLAGS", F_FLAGS },
        { "INTERNALDATE", F_INTERNALDATE }, { "RFC822.SIZE", F_SIZE },
        { "ENVELOPE", F_ENVELOPE }, { "BODYSTRUCTURE", F_BODYSTRUCTURE },
        { "RFC822.HEADER", F_RFC822_HEADER }, { "RFC822.TEXT", F_RFC822_TEXT },
        { "RFC822", F_RFC822 }, { "BODY.PEEK", F_SECTION },
        { "BODY", F_BODY } };
    const char *s;
    size_t len, start;
    unsigned i;

    memset(a, 0, sizeof *a);
    start = ip->pos;
    /* atoms stop at "[": BODY[...] and BODY.PEEK[...] */
    while (!imapp_end(ip) && imapp_peek(ip) != '[' && imapp_peek(ip) != ' '
        && imapp_peek(ip) != ')' && imapp_peek(ip) != '(')
        ip->pos++;
    s = ip->p + start;
    len = ip->pos - start;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].n) == len && strncasecmp(names[i].n, s, len) == 0)
            break;
    if (i == sizeof names / sizeof names[0]) {
        badcmd("unknown FETCH attribute");
        return 0;
    }
    a->k = names[i].k;
    if (a->k == F_SECTION || (a->k == F_BODY && imapp_peek(ip) == '[')) {
        size_t depth = 0, sstart;
        int quoted = 0;
        a->peek = a->k == F_SECTION;
        a->k = F_SECTION;
        if (!imapp_char(ip, '[')) {
            badcmd("section expected");
            return 0;
        }
        sstart = ip->pos;
        for (;;) {
            int c = imapp_peek(ip);
            if (c == -1 || c == '\r' || c == '\n') {
                badcmd("unterminated section");
                return 0;
            }
            if (c == '"')
                quoted = !quoted;
            else if (!quoted && c == '(')
                depth++;
            else if (!quoted && c == ')' && depth > 0)
                depth--;
            else if (!quoted && c == ']' && depth == 0)
                break;
            ip->pos++;
        }
        a->sec = ip->p + sstart;
        a->seclen = ip->pos - sstart;
        ip->pos++; /* ] */
        if (imapp_char(ip, '<')) {
            uint32_t o, c;
            if (imapp_number(ip, &o) != 1 || !imapp_char(ip, '.')
                || imapp_number(ip, &c) != 1 || c == 0
                || !imapp_char(ip, '>')) {
                badcmd("bad partial");
                return 0;
            }
            a->partial = 1;
            a->off = o;
            a->cnt = c;
        }
    }
    return 1;
}

/* Do the items need nothing but the message's header (ENVELOPE,
 * RFC822.HEADER, BODY[HEADER...] of the message itself)? */
static int
header_only(const struct fatt *atts, unsigned na)
{
    unsigned i;

    for (i = 0; i < na; i++) {
        const struct fatt *a = &atts[i];
        if (a->k == F_ENVELOPE || a->k == F_RFC822_HEADER)
            continue;
        if (a->k == F_SECTION && a->seclen >= 6
            && strncasecmp(a->sec, "HEADER", 6) == 0)
            continue;
        if (a->k != F_SECTION && a->k != F_BODY && a->k != F_BODYSTRUCTURE
            && a->k != F_RFC822 && a->k != F_RFC822_TEXT)
            continue; /* no content at all */
        return 0;
    }
    return 1;
}

static void
odate(int64_t t)
{
    static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm;
    time_t tt = (time_t)t;

    gmtime_r(&tt, &tm);
    of("\"%02d-%.3s-%04d %02d:%02d:%02d +0000\"", tm.tm_mday,
        mon + 3 * tm.tm_mon, tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
        tm.tm_sec);
}

/* The section name as it is echoed: upper case. */
static void
osection(const char *name, const struct fatt *a, int partial_off)
{
    size_t i;

    o(name);
    o("[");
    for (i = 0; i < a->seclen; i++) {
        char c = a->sec[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        on(&c, 1);
    }
    o("]");
    if (partial_off)
        of("<%llu>", (unsigned long long)a->off);
}

/* Send bytes p[0..n) as a literal, cut by a partial. */
static void
oliteral(const char *p, size_t n, const struct fatt *a)
{
    if (a->partial) {
        if (a->off >= n) {
            n = 0;
        } else {
            p += a->off;
            n -= (size_t)a->off;
            if (a->cnt < n)
                n = (size_t)a->cnt;
        }
    }
    of("{%zu}\r\n", n);
    on(p, n);
}

/* Returns 0 when the message could not be read (expunged by another
 * session meanwhile: answered as NIL values, as RFC 2180 4.1.3 allows).
 */
static void
fetch_one(uint32_t seq, struct fatt *atts, unsigned na, int uid,
    int header_only)
{
    struct msg mm = mbox_msg(&mb, seq), *m = &mm;
    const struct imapmsg *im = NULL;
    int sp = 0, setseen = 0, flags_done = 0;
    unsigned i;

    for (i = 0; i < na; i++)
        if ((atts[i].k == F_SECTION && !atts[i].peek) || atts[i].k == F_RFC822
            || atts[i].k == F_RFC822_TEXT)
            setseen = 1;
    if (setseen && !mb.readonly && !(m->flags & IMAPF_SEEN)) {
        if (mbox_setflags(&mb, m, 1, IMAPF_SEEN, 0) == 0)
            setseen = 2; /* FLAGS goes in the answer */
    }
    for (i = 0; i < na && im == NULL; i++)
        if (atts[i].k >= F_ENVELOPE && atts[i].k != F_SIZE)
            /* the file is read first: its internal date comes along */
            im = load_part(m, header_only);
    of("* %u FETCH (", seq);
    if (uid) {
        of("UID %u", m->uid);
        sp = 1;
    }
    for (i = 0; i < na; i++) {
        struct fatt *a = &atts[i];
        if (a->k == F_UID && uid)
            continue;
        if (a->k == F_FLAGS && flags_done)
            continue;
        if (sp++)
            o(" ");
        switch (a->k) {
        case F_UID:
            of("UID %u", m->uid);
            break;
        case F_FLAGS:
            o("FLAGS ");
            oflags(m);
            flags_done = 1;
            break;
        case F_INTERNALDATE: {
            int64_t t = 0;
            (void)mbox_mtime(&mb, m, &t);
            o("INTERNALDATE ");
            odate(t);
            break;
        }
        case F_SIZE: {
            uint64_t size = 0;
            (void)mbox_size(&mb, m, &size);
            of("RFC822.SIZE %llu", (unsigned long long)size);
            break;
        }
        default:
            if (im == NULL)
                im = load_part(m, header_only);
            str_reset(&tmp);
            if (im == NULL) {
                /* gone or unreadable: empty values keep the answer valid */
                static const char empty[] = "";
                switch (a->k) {
                case F_ENVELOPE:
                    o("ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
                    break;
                case F_BODY:
                case F_BODYSTRUCTURE:
                    o(a->k == F_BODY ? "BODY " : "BODYSTRUCTURE ");
                    o("(\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0)");
                    break;
                case F_SECTION:
                    osection("BODY", a, a->partial);
                    o(" ");
                    oliteral(empty, 0, a);
                    break;
                default:
                    o(a->k == F_RFC822 ? "RFC822 " : a->k == F_RFC822_HEADER
                            ? "RFC822.HEADER " : "RFC822.TEXT ");
                    o("{0}\r\n");
                }
                break;
            }
            switch (a->k) {
            case F_ENVELOPE:
                o("ENVELOPE ");
                imapmsg_envelope(im, &tmp);
                break;
            case F_BODY:
                o("BODY ");
                imapmsg_bodystructure(im, 0, &tmp);
                break;
            case F_BODYSTRUCTURE:
                o("BODYSTRUCTURE ");
                imapmsg_bodystructure(im, 1, &tmp);
                break;
            case F_SECTION:
                if (imapmsg_section(im, a->sec, a->seclen, &tmp) == -1
                    && !tmp.err) {
                    /* checked before the first answer: cannot happen */
                    str_reset(&tmp);
                }
                osection("BODY", a, a->partial);
                o(" ");
                oliteral(tmp.s ? tmp.s : "", tmp.len, a);
                str_reset(&tmp);
                break;
            case F_RFC822:
            case F_RFC822_HEADER:
            case F_RFC822_TEXT:
                o(a->k == F_RFC822 ? "RFC822 " : a->k == F_RFC822_HEADER
                        ? "RFC822.HEADER " : "RFC822.TEXT ");
                imapmsg_section(im, a->k == F_RFC822 ? "" : a->k
                        == F_RFC822_HEADER ? "HEADER" : "TEXT",
                    a->k == F_RFC822 ? 0 : a->k == F_RFC822_HEADER ? 6 : 4,
                    &tmp);
                of("{%zu}\r\n", tmp.len);
                on(tmp.s ? tmp.s : "", tmp.len);
                str_reset(&tmp);
                break;
            default:
                break;
            }
            if (tmp.err)
                bye("out of memory", 111);
            on(tmp.s ? tmp.s : "", tmp.len);
        }
    }
    if (setseen == 2 && !flags_done) {
        o(" FLAGS ");
        oflags(m);
    }
    o(")\r\n");
}

static void
c_fetch(struct imapp *ip, int uid)
{
    static struct seqset set;
    struct fatt atts[FETCH_ATTS_MAX];
    unsigned na = 0, i;
    unsigned char *sel;
    long count;

    if (imapp_sp(ip) != 1 || imapp_seqset(ip, &set) != 1
        || imapp_sp(ip) != 1) {
        badcmd("usage: FETCH set attributes");
        return;
    }
    if (imapp_peek(ip) == '(') {
        ip->pos++;
        for (;;) {
            if (na == FETCH_ATTS_MAX) {
                badcmd("too many FETCH attributes");
                return;
            }
            if (!fetch_att(ip, &atts[na]))
                return;
            na++;
            if (imapp_char(ip, ')'))
                break;
            if (imapp_sp(ip) != 1) {
                badcmd("bad FETCH attribute list");
                return;
            }
        }
    } else {
        const char *s = ip->p + ip->pos;
        size_t left = ip->n - ip->pos;
        /* the macros */
        if (left == 3 && strncasecmp(s, "ALL", 3) == 0) {
            atts[0].k = F_FLAGS; atts[1].k = F_INTERNALDATE;
            atts[2].k = F_SIZE; atts[3].k = F_ENVELOPE;
            na = 4;
            ip->pos += 3;
        } else if (left == 4 && strncasecmp(s, "FAST", 4) == 0) {
            atts[0].k = F_FLAGS; atts[1].k = F_INTERNALDATE;
            atts[2].k = F_SIZE;
            na = 3;
            ip->pos += 4;
        } else if (left == 4 && strncasecmp(s, "FULL", 4) == 0) {
            atts[0].k = F_FLAGS; atts[1].k = F_INTERNALDATE;
            atts[2].k = F_SIZE; atts[3].k = F_ENVELOPE; atts[4].k = F_BODY;
            na = 5;
            ip->pos += 4;
        } else {
            if (!fetch_att(ip, &atts[0]))
                return;
            na = 1;
        }
    }
    if (!imapp_end(ip)) {
        badcmd("unexpected arguments");
        return;
    }
    /* sections are checked once, before anything is sent */
    for (i = 0; i < na; i++)
        if (atts[i].k == F_SECTION) {
            static const char probe[] = "Subject: x\n\nx\n";
            struct imapmsg *pm = imapmsg_parse(probe, sizeof probe - 1);
            int r;
            str_reset(&tmp);
            r = pm ? imapmsg_section(pm, atts[i].sec, atts[i].seclen, &tmp)
                   : 0;
            if (pm)
                imapmsg_free(pm);
            str_reset(&tmp);
            if (r == -1) {
                badcmd("bad section");
                return;
            }
        }
    sel = selection(&set, uid, &count);
    if (sel == NULL)
        return;
    for (i = 0; i < mb.n; i++)
        if (sel[i])
            fetch_one(i + 1, atts, na, uid, header_only(atts, na));
    free(sel);
    if (uid)
        update(1); /* UID commands may report expunges (RFC 3501 7.4.1) */
    ok(uid ? "UID FETCH completed" : "FETCH completed");
}

static void
c_store(struct imapp *ip, int uid)
{
    static struct seqset set;
    const char *s;
    size_t len;
    int mode = 0, silent = 0;
    unsigned flags;
    uint32_t kw, i;
    long count;
    unsigned char *sel;

    if (imapp_sp(ip) != 1 || imapp_seqset(ip, &set) != 1
        || imapp_sp(ip) != 1) {
        badcmd("usage: STORE set [+-]FLAGS[.SILENT] (flags)");
        return;
    }
    if (imapp_char(ip, '+'))
        mode = 1;
    else if (imapp_char(ip, '-'))
        mode = -1;
    if (imapp_atom(ip, &s, &len) != 1 || (len != 5 && len != 12)
        || strncasecmp(s, "FLAGS", 5) != 0
        || (len == 12 && strncasecmp(s + 5, ".SILENT", 7) != 0)
        || imapp_sp(ip) != 1) {
        badcmd("usage: STORE set [+-]FLAGS[.SILENT] (flags)");
        return;
    }
    silent = len == 12;
    if (mb.readonly) {
        no("[READ-ONLY] mailbox is read-only");
        return;
    }
    if (!flaglist(ip, 1, &flags, &kw, NULL, 1))
        return;
    if (!imapp_end(ip)) {
        badcmd("unexpected arguments");
        return;
    }
    sel = selection(&set, uid, &count);
    if (sel == NULL)
        return;
    /* the changes under one hold of the lock, then the answers: a
     * client slow to read holds up no other session */
    if (mbox_begin(&mb) == -1) {
        free(sel);
        no("[SERVERBUG] cannot lock the mailbox");
        return;
    }
    for (i = 0; i < mb.n; i++) {
        struct msg m;
        if (!sel[i])
            continue;
        m = mbox_msg(&mb, i + 1);
        if (mbox_setflags(&mb, &m, mode, flags, kw) == -1 && errno != ENOENT)
            log_warn("cannot set flags on UID %u: %s", m.uid, strerror(errno));
    }
    mbox_end(&mb);
    for (i = 0; i < mb.n && !silent; i++) {
        struct msg m;
        if (!sel[i])
            continue;
        m = mbox_msg(&mb, i + 1);
        of("* %u FETCH (", i + 1);
        if (uid)
            of("UID %u ", m.uid);
        o("FLAGS ");
        oflags(&m);
        o(")\r\n");
    }
    free(sel);
    ok(uid ? "UID STORE completed" : "STORE completed");
}

static void
c_copy(struct imapp *ip, int uid, int move)
{
    static struct seqset set;
    char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX * 2 + 8];
    struct str srcs = { 0 }, dsts = { 0 };
    uint32_t *su = NULL, *du = NULL, n = 0, i, v = 0;
    unsigned char *sel;
    size_t len;
    long count;

    if (imapp_sp(ip) != 1 || imapp_seqset(ip, &set) != 1
        || imapp_sp(ip) != 1) {
        badcmd(move ? "usage: MOVE set mailbox" : "usage: COPY set mailbox");
        return;
    }
    if (!arg_mailbox(ip, name, sizeof name, &len, dir, sizeof dir))
        return;
    if (!imapp_end(ip)) {
        badcmd("unexpected arguments");
        return;
    }
    if (move && mb.readonly) {
        no("[READ-ONLY] mailbox is read-only");
        return;
    }
    sel = selection(&set, uid, &count);
    if (sel == NULL)
        return;
    su = calloc((size_t)count + 1, sizeof *su);
    du = calloc((size_t)count + 1, sizeof *du);
    if (su == NULL || du == NULL)
        bye("out of memory", 111);
    {
        struct stat st;
        char cur[sizeof dir + 8];
        snprintf(cur, sizeof cur, "%s/cur", dir);
        if (stat(cur, &st) == -1) {
            no("[TRYCREATE] no such mailbox");
            goto out;
        }
    }
    for (i = 0; i < mb.n; i++) {
        char path[IMAP_MAILBOX_MAX * 2 + MBOX_NAME_MAX + 16];
        int64_t t = -1;
        uint32_t u;
        struct msg m;
        if (!sel[i])
            continue;
        m = mbox_msg(&mb, i + 1);
        (void)mbox_mtime(&mb, &m, &t);
        if (mbox_path(&mb, &m, path, sizeof path) == -1
            || mbox_add(dir, path, NULL, 0, m.flags, mb.kwname, m.kw, t, &v,
                &u) == -1) {
            if (errno == ENOENT)
                continue; /* expunged meanwhile: nothing to copy */
            log_warn("copy to %s failed: %s", dir, strerror(errno));
            no("[SERVERBUG] cannot copy every message (some may have been "
               "copied)");
            goto out;
        }
        su[n] = m.uid;
        du[n] = u;
        n++;
    }
    str_uidset(&srcs, su, n);
    str_uidset(&dsts, du, n);
    if (move) {
        /* only the moved messages go (su: ascending, as the view) */
        if (n > 0 && !srcs.err)
            of("* OK [COPYUID %u %s %s] moved\r\n", v, srcs.s, dsts.s);
        cache_drop();
        (void)mbox_expunge_uids(&mb, su, n, &events);
        update(uid);
        ok(uid ? "UID MOVE completed" : "MOVE completed");
    } else if (n > 0 && !srcs.err && !dsts.err) {
        of("%s OK [COPYUID %u %s %s] %s completed\r\n", tag, v, srcs.s, dsts.s,
            uid ? "UID COPY" : "COPY");
    } else {
        ok(uid ? "UID COPY completed" : "COPY completed");
    }
    if (selected && strcmp(mb.dir, dir) == 0)
        update(uid);
out:
    free(sel);
    free(su);
    free(du);
    str_free(&srcs);
    str_free(&dsts);
}

static int
kw_lookup(void *arg, const char *name, size_t len)
{
    return mbox_keyword(&mb, name, len, 0);
}

static const struct imapmsg *
search_load(void *arg)
{
    return load((struct msg *)arg);
}

static void
c_search(struct imapp *ip, int uid)
{
    struct search_env env;
    struct search *prog;
    const char *errtext = "bad SEARCH";
    unsigned ret = 0; /* ESEARCH: 1 MIN, 2 MAX, 4 COUNT, 8 ALL */
    uint32_t i, count = 0, min = 0, max = 0;
    struct str all = { 0 };
    int err = 0, esearch = 0, usedate, usesize;
    uint32_t *hits = NULL, nh = 0;

    if (imapp_sp(ip) != 1) {
        badcmd("usage: SEARCH keys");
        return;
    }
    {
        size_t save = ip->pos;
        const char *s;
        size_t len;
        if (imapp_atom(ip, &s, &len) == 1 && len == 6
            && strncasecmp(s, "RETURN", 6) == 0) {
            esearch = 1;
            if (imapp_sp(ip) != 1 || !imapp_char(ip, '(')) {
                badcmd("bad RETURN options");
                return;
            }
            while (!imapp_char(ip, ')')) {
                if (imapp_atom(ip, &s, &len) != 1) {
                    badcmd("bad RETURN options");
                    return;
                }
                if (len == 3 && strncasecmp(s, "MIN", 3) == 0)
                    ret |= 1;
                else if (len == 3 && strncasecmp(s, "MAX", 3) == 0)
                    ret |= 2;
                else if (len == 5 && strncasecmp(s, "COUNT", 5) == 0)
                    ret |= 4;
                else if (len == 3 && strncasecmp(s, "ALL", 3) == 0)
                    ret |= 8;
                else {
                    badcmd("unknown RETURN option");
                    return;
                }
                imapp_char(ip, ' ');
            }
            if (ret == 0)
                ret = 8;
            if (imapp_sp(ip) != 1) {
                badcmd("usage: SEARCH RETURN (options) keys");
                return;
            }
        } else {
            ip->pos = save;
        }
    }
    env.maxseq = mb.n;
    env.maxuid = mb.n ? mb.uid[mb.n - 1] : 0;
    env.keyword = kw_lookup;
    env.arg = NULL;
    prog = search_parse(ip, &env, &err, &errtext);
    if (prog == NULL) {
        if (err == 2)
            no("[BADCHARSET (UTF-8 US-ASCII)] unsupported charset");
        else if (err == 3)
            bye("out of memory", 111);
        else
            badcmd(errtext ? errtext : "bad SEARCH");
        return;
    }
    usedate = search_uses_date(prog);
    usesize = search_uses_size(prog);
    hits = malloc((mb.n + 1) * sizeof *hits);
    if (hits == NULL)
        bye("out of memory", 111);
    for (i = 0; i < mb.n; i++) {
        struct search_msg sm;
        struct msg mm = mbox_msg(&mb, i + 1), *m = &mm;
        sm.seq = i + 1;
        sm.uid = m->uid;
        sm.flags = m->flags;
        sm.keywords = m->kw;
        sm.internaldate = 0;
        if (usedate)
            (void)mbox_mtime(&mb, m, &sm.internaldate);
        sm.size = 0;
        if (usesize)
            (void)mbox_size(&mb, m, &sm.size);
        sm.load = search_load;
        sm.arg = m;
        if (search_match(prog, &sm))
            hits[nh++] = uid ? m->uid : i + 1;
    }
    search_free(prog);
    if (esearch) {
        of("* ESEARCH (TAG \"%s\")%s", tag, uid ? " UID" : "");
        if (nh > 0) {
            min = hits[0];
            max = hits[nh - 1];
            count = nh;
            if (ret & 1)
                of(" MIN %u", min);
            if (ret & 2)
                of(" MAX %u", max);
            if (ret & 8) {
                str_uidset(&all, hits, nh);
                if (all.err)
                    bye("out of memory", 111);
                o(" ALL ");
                on(all.s, all.len);
            }
        }
        if (ret & 4)
            of(" COUNT %u", count);
        o("\r\n");
    } else {
        o("* SEARCH");
        for (i = 0; i < nh; i++)
            of(" %u", hits[i]);
        o("\r\n");
    }
    free(hits);
    str_free(&all);
    if (uid)
        update(1);
    ok(uid ? "UID SEARCH completed" : "SEARCH completed");
}

static void
c_idle(struct imapp *ip, int uid)
{
    int ino = -1;
    int64_t end = loop_now() + SESSION_TIMEOUT_MS;

    if (!imapp_end(ip)) {
        badcmd("IDLE takes no arguments");
        return;
    }
    if (selected) {
        char p[sizeof mb.dir + 8];
        ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (ino == -1)
            log_warn("IDLE without inotify (%s): looking every %d s "
                     "(raise fs.inotify.max_user_instances)",
                strerror(errno), IDLE_POLL_MS / 1000);
        if (ino != -1) {
            snprintf(p, sizeof p, "%s/new", mb.dir);
            inotify_add_watch(ino, p, IN_CREATE | IN_MOVED_TO | IN_DELETE
                | IN_MOVED_FROM);
            snprintf(p, sizeof p, "%s/cur", mb.dir);
            inotify_add_watch(ino, p, IN_CREATE | IN_MOVED_TO | IN_DELETE
                | IN_MOVED_FROM);
        }
        update(0);
    }
    o("+ idling\r\n");
    flush();
    for (;;) {
        struct pollfd p[2];
        int np = 1, r;
        int64_t left = end - loop_now();
        if (left <= 0)
            bye("autologout: idle for too long", 1);
        if (buf_unread(&in) > 0)
            break;
        p[0].fd = in.fd;
        p[0].events = POLLIN;
        if (ino != -1) {
            p[1].fd = ino;
            p[1].events = POLLIN;
            np = 2;
        }
        r = poll(p, (nfds_t)np, (int)(left > IDLE_POLL_MS ? IDLE_POLL_MS
                                                         : left));
        if (r == -1 && errno != EINTR)
            exit(1);
        if (r == 0 && selected && ino == -1) {
            /* no inotify: look (a sync of unchanged directories reads
             * nothing) */
            out_deadline();
            update(0);
            flush();
        }
        if (r <= 0)
            continue;
        if (np == 2 && (p[1].revents & POLLIN)) {
            char evbuf[4096];
            poll(NULL, 0, IDLE_COALESCE_MS);
            while (read(ino, evbuf, sizeof evbuf) > 0)
                ;
            out_deadline();
            update(0);
            flush();
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
            break;
    }
    if (ino != -1)
        close(ino);
    {
        size_t len;
        int r;
        in.deadline = end;
        r = buf_getline(&in, line, sizeof line, &len);
        if (r != 1)
            exit(1);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len != 4 || strncasecmp(line, "DONE", 4) != 0) {
            badcmd("expected DONE");
            return;
        }
    }
    ok("IDLE terminated");
}

/* ------------------------------------------------------------------ */

enum { ANY, AUTH, SEL };

static const struct command {
    const char *name;
    void (*fn)(struct imapp *, int);
    int state;
    int arg;      /* passed when not a UID command */
    int uid_ok;   /* may follow UID */
} commands[] = {
    { "CAPABILITY", c_capability, ANY, 0, 0 },
    { "NOOP", c_noop, ANY, 0, 0 },
    { "LOGOUT", c_logout, ANY, 0, 0 },
    { "ID", c_id, ANY, 0, 0 },
    { "ENABLE", c_enable, AUTH, 0, 0 },
    { "NAMESPACE", c_namespace, AUTH, 0, 0 },
    { "SELECT", c_select, AUTH, 0, 0 },
    { "EXAMINE", c_select, AUTH, 1, 0 },
    { "CREATE", c_create, AUTH, 0, 0 },
    { "DELETE", c_delete, AUTH, 0, 0 },
    { "RENAME", c_rename, AUTH, 0, 0 },
    { "SUBSCRIBE", c_subscribe, AUTH, 1, 0 },
    { "UNSUBSCRIBE", c_subscribe, AUTH, 0, 0 },
    { "LIST", c_list, AUTH, 0, 0 },
    { "LSUB", c_list, AUTH, 1, 0 },
    { "STATUS", c_status, AUTH, 0, 0 },
    { "APPEND", c_append, AUTH, 0, 0 },
    { "IDLE", c_idle, AUTH, 0, 0 },
    { "CHECK", c_noop, SEL, 1, 0 },
    { "CLOSE", c_close, SEL, 0, 0 },
    { "UNSELECT", c_close, SEL, 1, 0 },
    { "EXPUNGE", c_expunge, SEL, 0, 1 },
    { "SEARCH", c_search, SEL, 0, 1 },
    { "FETCH", c_fetch, SEL, 0, 1 },
    { "STORE", c_store, SEL, 0, 1 },
    { "COPY", NULL, SEL, 0, 1 },
    { "MOVE", NULL, SEL, 1, 1 },
};

static void
dispatch(void)
{
    struct imapp ip;
    const char *s;
    size_t len;
    unsigned i;
    int uid = 0;

    imapp_init(&ip, cmd.s, cmd.len);
    if (imapp_atom(&ip, &s, &len) != 1 || !imap_tag_ok(s, len)
        || imapp_sp(&ip) != 1) {
        bad++;
        o("* BAD missing tag or command\r\n");
        return;
    }
    memcpy(tag, s, len);
    tag[len] = 0;
    if (imapp_atom(&ip, &s, &len) != 1) {
        badcmd("missing command");
        return;
    }
    if (len == 3 && strncasecmp(s, "UID", 3) == 0) {
        uid = 1;
        if (imapp_sp(&ip) != 1 || imapp_atom(&ip, &s, &len) != 1) {
            badcmd("UID what?");
            return;
        }
    }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strlen(commands[i].name) == len
            && strncasecmp(commands[i].name, s, len) == 0)
            break;
    if (i == sizeof commands / sizeof commands[0]
        || (uid && !commands[i].uid_ok)) {
        badcmd("unknown command");
        return;
    }
    if (commands[i].state == SEL && !selected) {
        badcmd("no mailbox selected");
        return;
    }
    if (commands[i].fn == NULL) {
        c_copy(&ip, uid, commands[i].arg);
        return;
    }
    commands[i].fn(&ip, commands[i].uid_ok ? uid : commands[i].arg);
}

/* The special-use folders, once per user (a marker file says it was
 * done, so a folder the user deleted is not made again). */
static void
make_special(void)
{
    struct stat st;
    unsigned i;
    int fd;

    if (stat(SPECIALUSE_MARK, &st) == 0)
        return;
    for (i = 0; i < 5; i++) {
        char dir[16];
        snprintf(dir, sizeof dir, ".%s", special[i]);
        if (mbox_create(dir) == 0 || errno == EEXIST)
            (void)subs_set(special[i], strlen(special[i]), 1);
    }
    fd = open(SPECIALUSE_MARK, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd != -1)
        close(fd);
}

int
session_main(void)
{
    const char *t = getenv(ENV_TAG);

    user = getenv("USER");
    if (user == NULL || t == NULL || !imap_tag_ok(t, strlen(t)))
        log_die(EXIT_PERM, "imapd -S is run by checkpassword after a login");
    snprintf(tag, sizeof tag, "%s", t);
    if (conf_sizelimit(&appendlimit) == -1)
        appendlimit = 50UL << 20;
    buf_init(&in, 0, inmem, sizeof inmem);
    buf_init(&out, 1, outmem, sizeof outmem);
    out_deadline();
    cmd.max = IMAP_COMMAND_MAX * 2 + (size_t)appendlimit;
    /* tell the monitor: logged in */
    (void)!write(SESSION_REPORT_FD, "Y\n", 2);
    close(SESSION_REPORT_FD);
    umask(077);
    make_special();
    log_info("login user=%s", user);
    of("%s OK [CAPABILITY " CAPS_SESSION " APPENDLIMIT=%llu] Logged in\r\n",
        tag, (unsigned long long)appendlimit);
    for (;;) {
        if (bad >= SESSION_BAD_MAX)
            bye("too many bad commands", 1);
        if (!readcmd())
            continue;
        out_deadline();
        dispatch();
        if (tmp.cap > (1u << 20))
            str_free(&tmp);
    }
}
