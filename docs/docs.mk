# docs/docs.mk -- manual pages and installation (included by the Makefile).
#
#   make install [PREFIX=/usr/local] [DESTDIR=]  wcspc, the runtime, its headers, the pages,
#                                                the systemd units
#   make uninstall [PREFIX=...] [DESTDIR=]
#   make man-check                                lint the pages; any warning fails
#
# $(B)/wcspc has the build tree's runtime paths compiled in (WCSP_RT_DIR=$(B),
# WCSP_RT_INC=runtime), so it cannot be installed as it is. install links another one,
# $(B)/install/wcspc, from the same objects but for compiler/wcspc.c, which is compiled
# again with WCSP_RT_DIR=$(PREFIX)/lib/wcsp and WCSP_RT_INC=$(PREFIX)/include/wcsp.
# DESTDIR only stages the files and is not compiled in. wcspc.o is rebuilt on every
# install, because make cannot see that PREFIX changed.

MANPAGES   = docs/wcspc.1 docs/wcsp.5 docs/wcsp.8
MANDIR    ?= $(PREFIX)/share/man
# systemd/wcsp@.service and wcsp@.socket go to $(PREFIX)/lib/systemd/system: systemd reads
# /usr/local/lib/systemd/system, and PREFIX=/usr gives /usr/lib/systemd/system, where a .deb
# puts units. The units run /usr/local/libexec/wcsp/NAME whatever PREFIX is (wcsp(8), SYSTEMD).
UNITDIR   ?= $(PREFIX)/lib/systemd/system
UNITS      = systemd/wcsp@.service systemd/wcsp@.socket
INSTALL   ?= install
# -s strips wcspc; INSTALL_STRIP= or DEB_BUILD_OPTIONS=nostrip keeps its symbols (dh_strip
# strips it itself and keeps them in a debug package)
INSTALL_STRIP ?= $(if $(filter nostrip,$(DEB_BUILD_OPTIONS)),,-s)
INST_B     = $(B)/install
INST_RTDIR = $(PREFIX)/lib/wcsp
INST_INC   = $(PREFIX)/include/wcsp
# the static runtimes `make static-runtime` built: $(B)/static/ARCH/ but its work/
STATIC_ARCHES = $(notdir $(patsubst %/toolchain,%,$(wildcard $(B)/static/*/toolchain)))

.PHONY: install uninstall man-check install-wcspc-always

install-wcspc-always:

$(INST_B)/wcspc.o: compiler/wcspc.c install-wcspc-always $(B)/compiler/parser.h $(B)/compiler/lexer.h
	@mkdir -p $(INST_B)
	$(CC) $(ALL_CFLAGS) -DWCSP_RT_DIR='"$(INST_RTDIR)"' -DWCSP_RT_INC='"$(INST_INC)"' \
	    -DWCSP_LDLIBS='"$(MHD_LIBS) $(NETTLE_LIBS)"' -DWCSP_CC='"$(CC)"' -c $< -o $@

$(INST_B)/wcspc: $(INST_B)/wcspc.o $(filter-out $(B)/compiler/wcspc.o,$(CC_OBJ)) $(B)/libwcsprt_core.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(NETTLE_LIBS)

install: all $(INST_B)/wcspc
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(INST_RTDIR) $(DESTDIR)$(INST_INC) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 755 $(INSTALL_STRIP) $(INST_B)/wcspc $(DESTDIR)$(PREFIX)/bin/wcspc
	$(INSTALL) -m 644 $(B)/libwcsprt.a $(B)/wcsp_main.o $(DESTDIR)$(INST_RTDIR)/
	$(INSTALL) -m 644 runtime/*.h $(DESTDIR)$(INST_INC)/
	for a in $(STATIC_ARCHES); do \
	    $(INSTALL) -d $(DESTDIR)$(INST_RTDIR)/static/$$a && \
	    $(INSTALL) -m 644 $(B)/static/$$a/toolchain $(B)/static/$$a/wcsp_main.o \
	        $(DESTDIR)$(INST_RTDIR)/static/$$a/ && \
	    $(INSTALL) -m 644 $(B)/static/$$a/*.a $(DESTDIR)$(INST_RTDIR)/static/$$a/ || exit 1; \
	done
	$(INSTALL) -m 644 docs/wcspc.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 docs/wcsp.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 644 docs/wcsp.8 $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 644 $(UNITS) $(DESTDIR)$(UNITDIR)/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/wcspc $(DESTDIR)$(MANDIR)/man1/wcspc.1 \
	    $(DESTDIR)$(MANDIR)/man5/wcsp.5 $(DESTDIR)$(MANDIR)/man8/wcsp.8 \
	    $(DESTDIR)$(UNITDIR)/wcsp@.service $(DESTDIR)$(UNITDIR)/wcsp@.socket
	rm -rf $(DESTDIR)$(INST_RTDIR) $(DESTDIR)$(INST_INC)

# mandoc -Tlint when it is installed (Debian: mandoc), else groff and man-db's warnings.
# mandoc's STYLE messages (such as cross references to pages not installed yet) pass.
man-check:
	@if command -v mandoc >/dev/null 2>&1; then \
	    echo "mandoc -Tlint -W warning $(MANPAGES)"; \
	    mandoc -Tlint -W warning $(MANPAGES); \
	else \
	    echo "man-check: no mandoc, using groff -ww and man --warnings"; \
	    out=$$(for f in $(MANPAGES); do \
	        groff -mandoc -Tutf8 -ww -z $$f 2>&1; \
	        man --warnings -l $$f 2>&1 >/dev/null; \
	    done); \
	    if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	fi
