# facteur - POSIX make.  Compile and link commands come from line 1 of
# conf-cc and conf-ld (qmail style); see those files.
.POSIX:
SHELL = /bin/sh

LIBH = lib/addr.h lib/conf.h lib/canon.h lib/envelope.h lib/queue.h lib/sibling.h lib/qinfo.h lib/hdraddr.h lib/buf.h lib/cdbq.h lib/conninfo.h lib/dns.h lib/dnsname.h lib/exitcode.h \
	lib/limits.h lib/log.h lib/loop.h lib/priv.h lib/sa.h lib/tlscache.h \
	lib/tlscert.h lib/tlsfacts.h lib/tlshello.h lib/tlskey.h \
	lib/base64.h lib/route.h lib/x509gen.h \
	lib/maildate.h lib/qspawn.h lib/rcpt.h lib/smtpcmd.h lib/smtpdata.h \
	lib/smtpsrv.h lib/maildir.h lib/pwhash.h lib/sasl.h lib/authfail.h \
	lib/tlsnames.h lib/tlsclient.h lib/smtpreply.h lib/rreport.h \
	lib/dane.h lib/mtasts.h lib/dkim.h lib/spf.h lib/authmon.h lib/str.h \
	lib/imap.h lib/imapparse.h lib/mutf7.h lib/imapmsg.h lib/imapsearch.h lib/mindex.h lib/fdpass.h lib/qfilter.h lib/dkimverify.h lib/psl.h lib/dmarc.h lib/dnsbl.h lib/sha256.h lib/ed25519.h lib/rsapriv.h
LIBOBJ = lib/addr.o lib/conf.o lib/canon.o lib/envelope.o lib/queue.o lib/sibling.o lib/qinfo.o lib/hdraddr.o lib/buf.o lib/cdbq.o lib/conninfo.o lib/dns.o lib/dnsname.o lib/log.o \
	lib/loop.o lib/priv.o lib/sa.o lib/tlscache.o lib/tlscert.o \
	lib/tlsfacts.o lib/tlshello.o lib/tlskey.o \
	lib/base64.o lib/route.o lib/x509gen.o \
	lib/maildate.o lib/qspawn.o lib/rcpt.o lib/smtpcmd.o lib/smtpdata.o \
	lib/smtpsrv.o lib/maildir.o lib/pwhash.o lib/sasl.o lib/authfail.o \
	lib/tlsnames.o lib/tlsclient.o lib/smtpreply.o lib/rreport.o \
	lib/dane.o lib/mtasts.o lib/dkim.o lib/spf.o lib/authmon.o lib/str.o \
	lib/imapparse.o lib/mutf7.o lib/imapmsg.o lib/imapsearch.o lib/mindex.o lib/fdpass.o lib/qfilter.o lib/dkimverify.o lib/psl.o lib/dmarc.o lib/dnsbl.o lib/sha256.o lib/ed25519.o lib/rsapriv.o
# BearSSL linked statically: a process per connection pays for every
# shared library at each exec (mapping and relocation), ~0.3 ms here.
LIBS = -Wl,-Bstatic -lbearssl -Wl,-Bdynamic -lcdb

PROGS = bin/tlswrap bin/queue-inject bin/facteur bin/local-deliver \
	bin/queue-run bin/sendmail bin/smtpd bin/checkpassword \
	bin/submissiond bin/remote-send bin/dkim-sign bin/imapd bin/mail-auth
TLSWRAP_OBJ = cmd/tlswrap/tlswrap.o cmd/tlswrap/engine.o cmd/tlswrap/keyproc.o
QINJECT_OBJ = cmd/queue-inject/queue-inject.o
FACTEUR_OBJ = cmd/facteur/facteur.o cmd/facteur/table.o \
	cmd/facteur/admin.o cmd/facteur/init.o cmd/facteur/route.o \
	cmd/facteur/import.o cmd/facteur/pwline.o cmd/facteur/dkim.o \
	cmd/facteur/dns.o cmd/facteur/check.o
LDELIVER_OBJ = cmd/local-deliver/local-deliver.o
QRUN_OBJ = cmd/queue-run/queue-run.o cmd/queue-run/dsn.o
SENDMAIL_OBJ = cmd/sendmail/sendmail.o
SMTPD_OBJ = cmd/smtpd/smtpd.o
CHECKPW_OBJ = cmd/checkpassword/checkpassword.o
SUBMIT_OBJ = cmd/submissiond/submissiond.o
RSEND_OBJ = cmd/remote-send/remote-send.o
DKIMSIGN_OBJ = cmd/dkim-sign/dkim-sign.o
MAILAUTH_OBJ = cmd/mail-auth/mail-auth.o
IMAPD_OBJ = cmd/imapd/imapd.o cmd/imapd/session.o cmd/imapd/mbox.o

UNITS = tests/bin/sa_test tests/bin/buf_test tests/bin/log_test \
	tests/bin/loop_test tests/bin/conninfo_test tests/bin/dnsname_test \
	tests/bin/cdbq_test tests/bin/tlsfacts_test tests/bin/tlskey_test \
	tests/bin/tlscache_test tests/bin/tlscert_test tests/bin/priv_test \
	tests/bin/tlshello_test tests/bin/addr_test tests/bin/envelope_test \
	tests/bin/canon_test tests/bin/hdraddr_test tests/bin/conf_test \
	tests/bin/base64_test tests/bin/route_test tests/bin/x509gen_test \
	tests/bin/smtpdata_test tests/bin/smtpcmd_test tests/bin/dkim_test \
	tests/bin/mutf7_test tests/bin/imapmsg_test tests/bin/imapparse_test \
	tests/bin/imapsearch_test tests/bin/dkimverify_test tests/bin/psl_test \
	tests/bin/dnsbl_test tests/bin/ed25519_test tests/bin/sha256_test \
	tests/bin/rsapriv_test
FUZZ = tests/bin/fuzz_tlsfacts tests/bin/fuzz_dnsname tests/bin/fuzz_tlskey \
	tests/bin/fuzz_tlscache tests/bin/fuzz_pem tests/bin/fuzz_buf_getline \
	tests/bin/fuzz_tlshello tests/bin/fuzz_addr tests/bin/fuzz_envelope \
	tests/bin/fuzz_canon tests/bin/fuzz_qinfo tests/bin/fuzz_hdraddr \
	tests/bin/fuzz_routes tests/bin/fuzz_dns \
	tests/bin/fuzz_smtpdata tests/bin/fuzz_smtpcmd tests/bin/fuzz_sasl \
	tests/bin/fuzz_smtpreply tests/bin/fuzz_dane tests/bin/fuzz_mtasts \
	tests/bin/fuzz_spf \
	tests/bin/fuzz_pwimport tests/bin/fuzz_dkim tests/bin/fuzz_mutf7 \
	tests/bin/fuzz_imapmsg tests/bin/fuzz_imapparse tests/bin/fuzz_imapsearch \
	tests/bin/fuzz_mindex tests/bin/fuzz_dkimverify tests/bin/fuzz_dmarc \
	tests/bin/fuzz_dnsbl tests/bin/fuzz_ed25519 tests/bin/fuzz_dkimbody
HELPERS = tests/bin/linesrv tests/bin/dnsq tests/bin/spfq

all: $(PROGS) $(HELPERS)

compile: conf-cc
	{ echo '#!/bin/sh'; echo '# made from conf-cc by make; edit conf-cc'; \
	  echo "exec `head -n 1 conf-cc`"' $${EXTRA_CFLAGS} -Ilib -c "$$@"'; \
	} > compile
	chmod 755 compile

load: conf-ld
	{ echo '#!/bin/sh'; echo '# made from conf-ld by make; edit conf-ld'; \
	  echo "exec `head -n 1 conf-ld`"' $${EXTRA_LDFLAGS} "$$@"'; \
	} > load
	chmod 755 load

.SUFFIXES:
.SUFFIXES: .c .o
.c.o:
	./compile -o $@ $<

$(LIBOBJ) $(TLSWRAP_OBJ) $(QINJECT_OBJ) $(FACTEUR_OBJ) $(LDELIVER_OBJ) $(QRUN_OBJ) $(SENDMAIL_OBJ) $(SMTPD_OBJ) $(CHECKPW_OBJ) $(SUBMIT_OBJ) $(RSEND_OBJ) $(DKIMSIGN_OBJ) $(MAILAUTH_OBJ) $(IMAPD_OBJ): compile $(LIBH)
$(IMAPD_OBJ): cmd/imapd/imapd.h cmd/imapd/mbox.h
$(QRUN_OBJ): cmd/queue-run/dsn.h
$(FACTEUR_OBJ): cmd/facteur/table.h cmd/facteur/admin.h cmd/facteur/pwline.h
$(FACTEUR_OBJ): cmd/facteur/dkimcmd.h
$(TLSWRAP_OBJ): cmd/tlswrap/tlswrap.h

lib/libmail.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

bin/tlswrap: load $(TLSWRAP_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(TLSWRAP_OBJ) lib/libmail.a $(LIBS)

bin/queue-inject: load $(QINJECT_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(QINJECT_OBJ) lib/libmail.a

bin/sendmail: load $(SENDMAIL_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(SENDMAIL_OBJ) lib/libmail.a

bin/smtpd: load $(SMTPD_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(SMTPD_OBJ) lib/libmail.a -lcdb

bin/checkpassword: load $(CHECKPW_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(CHECKPW_OBJ) lib/libmail.a $(LIBS) -lcrypt

bin/submissiond: load $(SUBMIT_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(SUBMIT_OBJ) lib/libmail.a -lcdb

bin/remote-send: load $(RSEND_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(RSEND_OBJ) lib/libmail.a $(LIBS)

bin/dkim-sign: load $(DKIMSIGN_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(DKIMSIGN_OBJ) lib/libmail.a $(LIBS)

bin/mail-auth: load $(MAILAUTH_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(MAILAUTH_OBJ) lib/libmail.a $(LIBS)

bin/imapd: load $(IMAPD_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(IMAPD_OBJ) lib/libmail.a

bin/queue-run: load $(QRUN_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(QRUN_OBJ) lib/libmail.a -lcdb

bin/local-deliver: load $(LDELIVER_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(LDELIVER_OBJ) lib/libmail.a -lcdb

bin/facteur: load $(FACTEUR_OBJ) lib/libmail.a
	mkdir -p bin
	./load -o $@ $(FACTEUR_OBJ) lib/libmail.a $(LIBS) -lcrypt

# Test programs: each tests/unit/X_test.c, tests/fuzz/fuzz_X.c (with the
# replay main) and tests/helpers/X.c is one program in tests/bin/.
tests/bin/.dir:
	mkdir -p tests/bin && touch $@

TESTDEPS = compile load lib/libmail.a $(LIBH) tests/bin/.dir tests/unit/tap.h

$(UNITS): $(TESTDEPS)
	n=`basename $@`; ./compile -Itests/unit -o tests/bin/$$n.o tests/unit/$$n.c && \
	./load -o $@ tests/bin/$$n.o lib/libmail.a $(LIBS)

$(FUZZ): $(TESTDEPS) tests/fuzz/replay.c
	n=`basename $@`; ./compile -o tests/bin/$$n.o tests/fuzz/$$n.c && \
	./compile -o tests/bin/replay.o tests/fuzz/replay.c && \
	./load -o $@ tests/bin/$$n.o tests/bin/replay.o lib/libmail.a $(LIBS)

$(HELPERS): $(TESTDEPS)
	n=`basename $@`; ./compile -o tests/bin/$$n.o tests/helpers/$$n.c && \
	./load -o $@ tests/bin/$$n.o lib/libmail.a $(LIBS)

# Each test program depends on its own source.
tests/bin/sa_test: tests/unit/sa_test.c
tests/bin/buf_test: tests/unit/buf_test.c
tests/bin/log_test: tests/unit/log_test.c
tests/bin/loop_test: tests/unit/loop_test.c
tests/bin/conninfo_test: tests/unit/conninfo_test.c
tests/bin/dnsname_test: tests/unit/dnsname_test.c
tests/bin/cdbq_test: tests/unit/cdbq_test.c
tests/bin/tlsfacts_test: tests/unit/tlsfacts_test.c
tests/bin/tlskey_test: tests/unit/tlskey_test.c
tests/bin/tlscache_test: tests/unit/tlscache_test.c
tests/bin/tlscert_test: tests/unit/tlscert_test.c
tests/bin/smtpdata_test: tests/unit/smtpdata_test.c
tests/bin/smtpcmd_test: tests/unit/smtpcmd_test.c
tests/bin/priv_test: tests/unit/priv_test.c
tests/bin/tlscert_test: tests/unit/certs.h
tests/bin/tlshello_test: tests/unit/tlshello_test.c
tests/bin/fuzz_tlshello: tests/fuzz/fuzz_tlshello.c
tests/bin/addr_test: tests/unit/addr_test.c
tests/bin/envelope_test: tests/unit/envelope_test.c
tests/bin/fuzz_addr: tests/fuzz/fuzz_addr.c
tests/bin/fuzz_envelope: tests/fuzz/fuzz_envelope.c
tests/bin/canon_test: tests/unit/canon_test.c
tests/bin/fuzz_canon: tests/fuzz/fuzz_canon.c
tests/bin/fuzz_qinfo: tests/fuzz/fuzz_qinfo.c
tests/bin/hdraddr_test: tests/unit/hdraddr_test.c
tests/bin/conf_test: tests/unit/conf_test.c
tests/bin/fuzz_hdraddr: tests/fuzz/fuzz_hdraddr.c
tests/bin/fuzz_smtpdata: tests/fuzz/fuzz_smtpdata.c
tests/bin/fuzz_smtpcmd: tests/fuzz/fuzz_smtpcmd.c
tests/bin/fuzz_sasl: tests/fuzz/fuzz_sasl.c
tests/bin/fuzz_smtpreply: tests/fuzz/fuzz_smtpreply.c
tests/bin/fuzz_dane: tests/fuzz/fuzz_dane.c
tests/bin/fuzz_mtasts: tests/fuzz/fuzz_mtasts.c
tests/bin/fuzz_spf: tests/fuzz/fuzz_spf.c
tests/bin/fuzz_tlsfacts: tests/fuzz/fuzz_tlsfacts.c
tests/bin/fuzz_dnsname: tests/fuzz/fuzz_dnsname.c
tests/bin/fuzz_tlskey: tests/fuzz/fuzz_tlskey.c
tests/bin/fuzz_tlscache: tests/fuzz/fuzz_tlscache.c
tests/bin/fuzz_pem: tests/fuzz/fuzz_pem.c
tests/bin/fuzz_buf_getline: tests/fuzz/fuzz_buf_getline.c
tests/bin/linesrv: tests/helpers/linesrv.c
tests/bin/base64_test: tests/unit/base64_test.c
tests/bin/route_test: tests/unit/route_test.c
tests/bin/x509gen_test: tests/unit/x509gen_test.c
tests/bin/fuzz_routes: tests/fuzz/fuzz_routes.c
tests/bin/mutf7_test: tests/unit/mutf7_test.c
tests/bin/fuzz_mutf7: tests/fuzz/fuzz_mutf7.c
tests/bin/imapmsg_test: tests/unit/imapmsg_test.c
tests/bin/imapparse_test: tests/unit/imapparse_test.c
tests/bin/imapsearch_test: tests/unit/imapsearch_test.c
tests/bin/fuzz_imapmsg: tests/fuzz/fuzz_imapmsg.c
tests/bin/fuzz_mindex: tests/fuzz/fuzz_mindex.c
tests/bin/fuzz_dkimverify: tests/fuzz/fuzz_dkimverify.c
tests/bin/fuzz_dmarc: tests/fuzz/fuzz_dmarc.c
tests/bin/dnsbl_test: tests/unit/dnsbl_test.c
tests/bin/fuzz_dnsbl: tests/fuzz/fuzz_dnsbl.c
tests/bin/ed25519_test: tests/unit/ed25519_test.c \
	tests/unit/ed25519_vectors.h
tests/bin/fuzz_ed25519: tests/fuzz/fuzz_ed25519.c
tests/bin/psl_test: tests/unit/psl_test.c
tests/bin/dkimverify_test: tests/unit/dkimverify_test.c \
	tests/unit/dkimverify_vectors.h
tests/bin/fuzz_imapparse: tests/fuzz/fuzz_imapparse.c
tests/bin/fuzz_imapsearch: tests/fuzz/fuzz_imapsearch.c
tests/bin/fuzz_dns: tests/fuzz/fuzz_dns.c
tests/bin/fuzz_pwimport: tests/fuzz/fuzz_pwimport.c cmd/facteur/pwline.c \
	cmd/facteur/pwline.h
tests/bin/dnsq: tests/helpers/dnsq.c
tests/bin/spfq: tests/helpers/spfq.c
tests/bin/dkim_test: tests/unit/dkim_test.c tests/unit/testkey.h
tests/bin/fuzz_dkim: tests/fuzz/fuzz_dkim.c
tests/bin/sha256_test: tests/unit/sha256_test.c
tests/bin/fuzz_dkimbody: tests/fuzz/fuzz_dkimbody.c
tests/bin/rsapriv_test: tests/unit/rsapriv_test.c tests/unit/testkey.h
# The same test built for valgrind (the secrets marked undefined):
# tests/sh/0710-rsapriv-ct.sh runs it when valgrind is there.
tests/bin/rsapriv_ct: tests/unit/rsapriv_test.c tests/unit/testkey.h $(TESTDEPS)
	./compile -DRSAPRIV_CTGRIND -Itests/unit -o tests/bin/rsapriv_ct.o \
	  tests/unit/rsapriv_test.c && \
	./load -o $@ tests/bin/rsapriv_ct.o lib/libmail.a $(LIBS)

tests: $(PROGS) $(HELPERS) $(UNITS) $(FUZZ) tests/bin/rsapriv_ct

test: tests
	sh tests/run

# The slower TLS scanner test (testssl.sh, ~1 minute); CI runs it.
test-slow: tests
	sh tests/run tests/slow

# The same suite with AddressSanitizer and UndefinedBehaviorSanitizer, in
# a copy of the tree so the normal build stays as it is.
check-san:
	rm -rf .san && mkdir .san
	tar cf - Makefile conf-cc conf-ld cmd lib service doc tests/unit tests/fuzz \
	  tests/helpers tests/sh tests/data tests/run tests/lib.sh | (cd .san && tar xf -)
	if [ -d .deps ]; then ln -s ../.deps .san/.deps; fi
	cd .san && \
	  EXTRA_CFLAGS='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
	  EXTRA_LDFLAGS='-fsanitize=address,undefined' \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(MAKE) test

# libFuzzer builds (clang) of every target, in .fuzz/; run one with
#   .fuzz/fuzz_tlsfacts tests/fuzz/corpus/tlsfacts
fuzz:
	sh tests/fuzz/build.sh

# make install [DESTDIR=/staging] [PREFIX=/usr/local]: the programs,
# the man pages, and the service templates with their paths pointing
# at $(PREFIX)/bin.  DESTDIR is only where the files are put (packages
# stage there); the installed files name $(PREFIX), never DESTDIR.
#
# Modes, all in one place: programs 0755, man pages and templates
# 0644 (and s6's "down" files: submission587 is off until started), run
# scripts 0755, directories 0755, owner the installing user (root).
# One exception: queue-inject is setuid to the queue's owner, 04711
# facteur-queue:facteur-queue (as qmail-queue is), since smtpd,
# submissiond, local-deliver's forwards and sendmail's callers all
# write the queue through it.  facteur init makes the user and sets
# the bit; install sets it again (install replaces the file, which
# drops it) when installing for real (no DESTDIR) as root and the user
# exists.  Nothing else is setuid or setgid: the services start as root
# under their supervisor and drop to their own users.  Install runs no
# shell on data and overwrites what it installed before (running it
# twice is the same).
PREFIX = /usr/local
DESTDIR =
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
SHAREDIR = $(PREFIX)/share/facteur

install: all
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(SHAREDIR)/systemd $(DESTDIR)$(SHAREDIR)/tcprules
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)
	install -m 0644 doc/*.8 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 doc/nftables.conf $(DESTDIR)$(SHAREDIR)
	install -m 0644 service/tcprules/* $(DESTDIR)$(SHAREDIR)/tcprules
	for f in service/systemd/*; do \
	  sed 's|/usr/local/bin/|$(BINDIR)/|g' $$f >$(DESTDIR)$(SHAREDIR)/systemd/.tmp && \
	  chmod 0644 $(DESTDIR)$(SHAREDIR)/systemd/.tmp && \
	  mv $(DESTDIR)$(SHAREDIR)/systemd/.tmp $(DESTDIR)$(SHAREDIR)/systemd/`basename $$f` || exit 1; \
	done
	for d in service/s6/*/ service/s6/*/log/; do \
	  install -d -m 0755 $(DESTDIR)$(SHAREDIR)/s6/$${d#service/s6/} && \
	  sed 's|/usr/local/bin|$(BINDIR)|g' $${d}run >$(DESTDIR)$(SHAREDIR)/s6/$${d#service/s6/}.run && \
	  chmod 0755 $(DESTDIR)$(SHAREDIR)/s6/$${d#service/s6/}.run && \
	  mv $(DESTDIR)$(SHAREDIR)/s6/$${d#service/s6/}.run $(DESTDIR)$(SHAREDIR)/s6/$${d#service/s6/}run || exit 1; \
	  if [ -f $${d}down ]; then install -m 0644 $${d}down $(DESTDIR)$(SHAREDIR)/s6/$${d#service/s6/}down || exit 1; fi; \
	done
	if [ -z "$(DESTDIR)" ] && [ "`id -u`" = 0 ] && \
	    id -u facteur-queue >/dev/null 2>&1; then \
	  chown facteur-queue:facteur-queue $(BINDIR)/queue-inject && \
	  chmod 04711 $(BINDIR)/queue-inject; \
	fi

clean:
	rm -rf bin tests/bin .san .fuzz compile load lib/*.o lib/*.a \
	  cmd/*/*.o
