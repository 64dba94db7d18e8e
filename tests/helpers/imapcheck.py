"""imapcheck.py PORT CAFILE MAILDIR - drive imapd with python's imaplib.

Each step prints "ok - name" or "FAIL - name: why"; the exit code is the
number of failures.  The Maildir holds two messages for alice at start.
"""
import imaplib
import os
import ssl
import sys
import time

port, cafile, maildir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
failures = 0


def step(name, cond, why=""):
    global failures
    if cond:
        print("ok - " + name)
    else:
        failures += 1
        print("FAIL - %s: %s" % (name, why))


def connect(user="alice@example.org", pw="alice pw"):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx)
    m.login(user, pw)
    return m


ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False
m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx)
caps = m.capabilities
step("pre-auth capabilities", "AUTH=PLAIN" in caps and "STARTTLS" not in caps
     and "IDLE" in caps, caps)
try:
    m.login("alice@example.org", "wrong")
    step("wrong password refused", False, "logged in")
except imaplib.IMAP4.error as e:
    step("wrong password refused", "AUTHENTICATIONFAILED" in str(e), e)
typ, data = m.login("alice@example.org", "alice pw")
step("LOGIN", typ == "OK", data)
typ, data = m.capability()
step("post-login CAPABILITY", b"UIDPLUS" in data[0] and b"MOVE" in data[0],
     data)
typ, data = m.list()
names = [d.decode() for d in data]
step("LIST shows INBOX and the special-use folders",
     any('"INBOX"' in n or " INBOX" in n for n in names)
     and any("\\Sent" in n and "Sent" in n for n in names)
     and any("\\Trash" in n for n in names), names)
typ, data = m.select("INBOX")
step("SELECT INBOX: 2 messages", typ == "OK" and data[0] == b"2", data)
uidv = m.untagged_responses.get("UIDVALIDITY", [b"0"])[0]
step("UIDVALIDITY given", int(uidv) > 0, uidv)
typ, data = m.fetch("1:*", "(UID FLAGS RFC822.SIZE)")
step("FETCH 1:* (UID FLAGS RFC822.SIZE)", typ == "OK" and len(data) == 2
     and b"UID 1 " in data[0] and b"UID 2 " in data[1], data)
typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
step("BODY.PEEK[HEADER.FIELDS (SUBJECT)]",
     typ == "OK" and data[0][1].strip() == b"Subject: first message", data)
typ, data = m.fetch("1", "(FLAGS)")
step("PEEK leaves \\Seen unset", b"\\Seen" not in data[0], data)
typ, data = m.fetch("2", "(BODY[TEXT])")
step("BODY[TEXT]", data[0][1] == b"the body text\r\n", data)
typ, data = m.fetch("2", "(FLAGS)")
step("BODY[] sets \\Seen", b"\\Seen" in data[0], data)
typ, data = m.fetch("1", "(RFC822)")
raw = data[0][1]
step("RFC822 with CRLF line ends", b"\r\nSubject: first message\r\n" in raw
     and b"\n" not in raw.replace(b"\r\n", b""), raw)
typ, data = m.fetch("1", "(RFC822.SIZE)")
step("RFC822.SIZE counts CRLF", ("RFC822.SIZE %d" % len(raw)).encode()
     in data[0], (data, len(raw)))
typ, data = m.fetch("1", "(ENVELOPE)")
step("ENVELOPE", b'"first message"' in data[0] and b'"carol"' in data[0],
     data)
typ, data = m.fetch("1", "(BODYSTRUCTURE)")
step("BODYSTRUCTURE", b'"text" "plain"' in data[0].lower()
     or b'"TEXT" "PLAIN"' in data[0], data)
typ, data = m.fetch("1", "(BODY[]<0.4>)")
step("partial BODY[]<0.4>", data[0][1] == raw[:4], data)
m.store("1", "-FLAGS.SILENT", "(\\Seen)")
typ, data = m.search(None, "UNSEEN")
step("SEARCH UNSEEN after -FLAGS.SILENT", data[0] == b"1", data)
typ, data = m.uid("SEARCH", None, "FROM", "dave")
step("UID SEARCH FROM", data[0] == b"2", data)
typ, data = m.search(None, "BODY", "hello")
step("SEARCH BODY", data[0] == b"1", data)
typ, data = m.store("1", "+FLAGS", "(\\Flagged $Label1)")
step("STORE +FLAGS with a keyword", typ == "OK" and b"\\Flagged" in data[0]
     and b"$Label1" in data[0], data)
typ, data = m.search(None, "KEYWORD", "$Label1")
step("SEARCH KEYWORD", data[0] == b"1", data)
typ, data = m.create("Work")
step("CREATE Work", typ == "OK", data)
typ, data = m.copy("1:2", "Work")
step("COPY with COPYUID", typ == "OK" and b"COPYUID" in data[0], data)
typ, data = m.status("Work", "(MESSAGES UIDNEXT UNSEEN)")
step("STATUS Work", b"MESSAGES 2" in data[0] and b"UIDNEXT 3" in data[0],
     data)
typ, data = m.append("Work", "(\\Seen)", imaplib.Time2Internaldate(
    time.time()), b"Subject: appended\r\n\r\nappended body\r\n")
step("APPEND with APPENDUID", typ == "OK" and b"APPENDUID" in data[0], data)
typ, data = m.rename("Work", "Archive2")
step("RENAME", typ == "OK", data)
typ, data = m.select("Archive2")
step("renamed mailbox has 3 messages", data[0] == b"3", data)
m.store("1", "+FLAGS", "(\\Deleted)")
typ, data = m.uid("MOVE", "3", "INBOX")
step("UID MOVE", typ == "OK", data)
typ, data = m.select("Archive2")
step("moved message gone", data[0] == b"2", data)
typ, data = m.fetch("1", "(FLAGS)")
step("MOVE expunges only what it moved (\\Deleted on 1 stays)",
     b"\\Deleted" in data[0], data)
m.store("1", "+FLAGS", "\\Deleted")
typ, data = m.expunge()
step("EXPUNGE", typ == "OK" and data[0] == b"1", data)
typ, data = m.select("INBOX")
step("INBOX now 3", data[0] == b"3", data)
typ, data = m.fetch("3", "(BODY[TEXT])")
step("moved message readable", data[0][1] == b"appended body\r\n", data)
m.close()
typ, data = m.delete("Archive2")
step("DELETE", typ == "OK", data)
typ, data = m.list('""', "Arch*")
step("LIST pattern after DELETE", all(b"Archive2" not in d for d in data),
     data)
m.logout()

# UIDs are stable across sessions
m = connect()
m.select("INBOX")
typ, data = m.uid("FETCH", "1:*", "(UID)")
uids = [d.split()[2].rstrip(b")") for d in data]
step("UIDs stable across sessions", uids == [b"1", b"2", b"3"], data)
m.logout()

sys.exit(failures)
