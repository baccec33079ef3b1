# wcsp -- build, test, install.  `make` builds wcspc and the runtime; `make test` runs everything.
# `make static-runtime` adds static (musl) runtimes for `wcspc build --static`: see its rule.
CC      ?= cc
CFLAGS  ?= -O2 -g
STD      = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN     = -Wall -Wextra -Werror
B       ?= build
PREFIX  ?= /usr/local

MHD_CFLAGS := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS   := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
NETTLE_LIBS := $(shell pkg-config --libs hogweed nettle 2>/dev/null || echo -lhogweed -lnettle) -lgmp

ALL_CFLAGS = $(STD) $(WARN) $(CPPFLAGS) $(CFLAGS) -Iruntime -I$(B)/compiler -Icompiler

# runtime: decision code (no HTTP) + server; main.o stays out of the archive so
# generated tables link as `tables.c main.o libwcsprt.a`.
RT_CORE  = runtime/abi.c runtime/catalog.c runtime/utf8.c runtime/json.c runtime/decide.c runtime/splice.c \
           runtime/world.c runtime/codec.c runtime/keys.c runtime/pubkeys.c runtime/jwt.c runtime/digest.c
RT_SERV  = runtime/server.c runtime/log.c runtime/metrics.c runtime/transport.c
RT_OBJ   = $(RT_CORE:%.c=$(B)/%.o) $(RT_SERV:%.c=$(B)/%.o)
RT_CORE_OBJ = $(RT_CORE:%.c=$(B)/%.o)

CC_SRC   = compiler/xalloc.c compiler/diag.c compiler/ast.c compiler/check.c compiler/template.c compiler/sbuf.c \
           compiler/lower.c compiler/emit.c compiler/fmt.c compiler/ptest.c compiler/wcspc.c compiler/frontend.c \
           compiler/wiring.c
CC_GEN   = $(B)/compiler/parser.c $(B)/compiler/lexer.c
CC_OBJ   = $(CC_SRC:%.c=$(B)/%.o) $(CC_GEN:%.c=%.o)

# where the installed/built wcspc finds the runtime to link servers against
RT_DIR  ?= $(abspath $(B))
RT_INC  ?= $(abspath runtime)

.PHONY: all clean test tests run deps install static-runtime deb FORCE
all: $(B)/wcspc $(B)/libwcsprt.a $(B)/wcsp_main.o

# The README's two commands. Each installs missing Debian packages first.
PORT ?= 9277
run: deps
	$(MAKE) all
	$(B)/wcspc build policies/echo.wcsp -o $(B)/echo
	@echo "wcsp: POST http://127.0.0.1:$(PORT)/<any prefix>/<method>; Ctrl-C stops"
	exec $(B)/echo --listen 127.0.0.1:$(PORT)

test: deps
	$(MAKE) tests
	B=$(B) bash tests/run.sh

deps:
	@sh tools/deps.sh

# the wcspc .deb (tools/deb.sh, docs/packaging.md): static-runtime first (it downloads), then
# dpkg-buildpackage in a copy of the tree; results in $(B)/deb/
deb:
	B=$(B) sh tools/deb.sh

# Static runtimes, for `wcspc build --static [--target ARCH]`: `make static-runtime` builds
# one per ARCH in TARGETS (x86_64 aarch64; `make static-runtime TARGETS=x86_64` for one) with
# musl: STATIC_CC_ARCH, STATIC_CFLAGS. $(B)/static/ holds
#   src/                     Debian source packages, downloaded once (tools/static-runtime.sh)
#   ARCH/toolchain           line 1 the compiler, line 2 the flags: wcspc compiles and links
#                            with them (then -std=c11 -W... -s, the tables, the files below)
#   ARCH/wcsp_main.o         runtime/main.c
#   ARCH/libwcsprt.a         the runtime, as $(B)/libwcsprt.a (LTO objects, fat: they link
#                            without LTO too)
#   ARCH/libmicrohttpd.a libnettle.a libhogweed.a   tools/static-runtime.sh
#   ARCH/work/               objects, headers, mhd-echo (a bare libmicrohttpd echo built the
#                            same way, for the size comparison of tests/static.sh); not installed
# `make install` copies ARCH/ but work/ to $(PREFIX)/lib/wcsp/static/ARCH/ (docs/docs.mk).
# Nothing is rebuilt once built but what changed: runtime sources; the archives when their
# compiler or flags change (work/deps.stamp holds them), or the script.
TARGETS ?= x86_64 aarch64
STATIC_CC_x86_64  = musl-gcc
STATIC_CC_aarch64 = aarch64-linux-gnu-gcc -specs /usr/lib/aarch64-linux-musl/musl-gcc.specs
STATIC_AR_x86_64  = gcc-ar
STATIC_AR_aarch64 = aarch64-linux-gnu-gcc-ar
# the third-party archives are built without -flto: their warnings would otherwise come back
# at every server's link, where -Werror applies (the runtime and the tables are LTO-linked)
STATIC_DEPS_CFLAGS = -Os -fno-pie -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
    -fno-unwind-tables -fno-ident
STATIC_CFLAGS = $(STATIC_DEPS_CFLAGS) -flto -ffat-lto-objects
STATIC_LDFLAGS = -static -no-pie -Wl,--gc-sections,-z,norelro,-z,noseparate-code,--build-id=none
ST = $(B)/static
RT_ALL = $(RT_CORE) $(RT_SERV)

static-runtime: all $(foreach t,$(TARGETS),$(ST)/$(t)/toolchain $(ST)/$(t)/wcsp_main.o \
    $(ST)/$(t)/libwcsprt.a $(ST)/$(t)/work/mhd-echo)

# static_arch ARCH: the rules of $(ST)/ARCH/ (musl's headers want _GNU_SOURCE for tcp_info)
define static_arch
$(ST)/$(1)/work/deps.stamp: tools/static-runtime.sh FORCE
	STATIC_CFLAGS='$(STATIC_DEPS_CFLAGS)' AR=$(STATIC_AR_$(1)) sh tools/static-runtime.sh $(ST) $(1) $(STATIC_CC_$(1))
$(ST)/$(1)/work/obj/%.o: runtime/%.c $(wildcard runtime/*.h) $(ST)/$(1)/work/deps.stamp
	@mkdir -p $$(@D)
	$(STATIC_CC_$(1)) $(STD) -D_GNU_SOURCE $(WARN) $(STATIC_CFLAGS) -Iruntime -I$(ST)/$(1)/work/include -c $$< -o $$@
$(ST)/$(1)/libwcsprt.a: $(RT_ALL:runtime/%.c=$(ST)/$(1)/work/obj/%.o)
	rm -f $$@ && $(STATIC_AR_$(1)) rcs $$@ $$^
$(ST)/$(1)/wcsp_main.o: $(ST)/$(1)/work/obj/main.o
	cp $$< $$@
$(ST)/$(1)/toolchain: Makefile
	@mkdir -p $$(@D)
	printf '%s\n%s\n' '$(STATIC_CC_$(1))' '$(STATIC_CFLAGS) $(STATIC_LDFLAGS)' >$$@
$(ST)/$(1)/work/mhd-echo: tools/mhd-echo.c $(ST)/$(1)/work/deps.stamp
	$(STATIC_CC_$(1)) $(STD) $(WARN) $(STATIC_CFLAGS) $(STATIC_LDFLAGS) -s -I$(ST)/$(1)/work/include \
	    -o $$@ $$< $(ST)/$(1)/libmicrohttpd.a -lpthread
endef
$(foreach t,$(sort $(TARGETS) x86_64 aarch64),$(eval $(call static_arch,$(t))))

$(B)/%.o: %.c $(wildcard runtime/*.h compiler/*.h) | dirs
	$(CC) $(ALL_CFLAGS) $(MHD_CFLAGS) -c $< -o $@

$(B)/wcsp_main.o: runtime/main.c $(wildcard runtime/*.h) | dirs
	$(CC) $(ALL_CFLAGS) $(MHD_CFLAGS) -c $< -o $@

$(B)/libwcsprt.a: $(RT_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/libwcsprt_core.a: $(RT_CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/compiler/parser.c $(B)/compiler/parser.h &: compiler/parser.y | dirs
	bison -Wall -Werror --defines=$(B)/compiler/parser.h -o $(B)/compiler/parser.c $<

$(B)/compiler/lexer.c $(B)/compiler/lexer.h &: compiler/lexer.l | dirs
	flex --header-file=$(B)/compiler/lexer.h -o $(B)/compiler/lexer.c $<

HDRS = $(wildcard runtime/*.h compiler/*.h)
$(B)/compiler/parser.o: $(B)/compiler/parser.c $(B)/compiler/lexer.h $(HDRS)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(B)/compiler/lexer.o: $(B)/compiler/lexer.c $(B)/compiler/parser.h $(HDRS)
	$(CC) $(ALL_CFLAGS) -Wno-unused-function -c $< -o $@
$(CC_SRC:%.c=$(B)/%.o): $(B)/compiler/parser.h $(B)/compiler/lexer.h

$(B)/compiler/wcspc.o: ALL_CFLAGS += -DWCSP_RT_DIR='"$(RT_DIR)"' -DWCSP_RT_INC='"$(RT_INC)"' \
    -DWCSP_LDLIBS='"$(MHD_LIBS) $(NETTLE_LIBS)"' -DWCSP_CC='"$(CC)"'

$(B)/wcspc: $(CC_OBJ) $(B)/libwcsprt_core.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(NETTLE_LIBS)

dirs:
	@mkdir -p $(B)/compiler $(B)/runtime $(B)/tests

include tests/tests.mk
-include tests/fuzz/fuzz.mk
-include tests/sanitize.mk
-include docs/docs.mk

clean:
	rm -rf $(B)
FORCE:
