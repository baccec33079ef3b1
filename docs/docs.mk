# docs/docs.mk -- manual pages and installation (included by the Makefile).
#
#   make install [PREFIX=/usr/local] [DESTDIR=]  wcspc, the runtime, its headers, the pages
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
INSTALL   ?= install
INST_B     = $(B)/install
INST_RTDIR = $(PREFIX)/lib/wcsp
INST_INC   = $(PREFIX)/include/wcsp
MHD_STATIC = $(B)/mhd-static/lib/libmicrohttpd.a

.PHONY: install uninstall man-check install-wcspc-always

install-wcspc-always:

$(INST_B)/wcspc.o: compiler/wcspc.c install-wcspc-always $(B)/compiler/parser.h $(B)/compiler/lexer.h
	@mkdir -p $(INST_B)
	$(CC) $(ALL_CFLAGS) -DWCSP_RT_DIR='"$(INST_RTDIR)"' -DWCSP_RT_INC='"$(INST_INC)"' \
	    -DWCSP_LDLIBS='"$(MHD_LIBS) $(NETTLE_LIBS)"' -DWCSP_CC='"$(CC)"' -c $< -o $@

$(INST_B)/wcspc: $(INST_B)/wcspc.o $(filter-out $(B)/compiler/wcspc.o,$(CC_OBJ)) $(B)/libwcsprt_core.a
	$(CC) $(CFLAGS) -o $@ $^ $(NETTLE_LIBS)

install: all $(INST_B)/wcspc
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(INST_RTDIR) $(DESTDIR)$(INST_INC) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 755 -s $(INST_B)/wcspc $(DESTDIR)$(PREFIX)/bin/wcspc
	$(INSTALL) -m 644 $(B)/libwcsprt.a $(B)/wcsp_main.o $(DESTDIR)$(INST_RTDIR)/
	$(INSTALL) -m 644 runtime/*.h $(DESTDIR)$(INST_INC)/
	@if [ -f $(MHD_STATIC) ]; then \
	    echo "$(INSTALL) -m 644 $(MHD_STATIC) $(DESTDIR)$(INST_RTDIR)/mhd-static/lib/"; \
	    $(INSTALL) -d $(DESTDIR)$(INST_RTDIR)/mhd-static/lib && \
	    $(INSTALL) -m 644 $(MHD_STATIC) $(DESTDIR)$(INST_RTDIR)/mhd-static/lib/; \
	fi
	$(INSTALL) -m 644 docs/wcspc.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 docs/wcsp.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 644 docs/wcsp.8 $(DESTDIR)$(MANDIR)/man8/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/wcspc $(DESTDIR)$(MANDIR)/man1/wcspc.1 \
	    $(DESTDIR)$(MANDIR)/man5/wcsp.5 $(DESTDIR)$(MANDIR)/man8/wcsp.8
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
