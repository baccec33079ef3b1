# wcsp -- build, test, install.  `make` builds wcspc and the runtime; `make test` runs everything.
CC      ?= cc
CFLAGS  ?= -O2 -g
STD      = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN     = -Wall -Wextra -Werror
B       ?= build
PREFIX  ?= /usr/local

MHD_CFLAGS := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS   := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
NETTLE_LIBS := $(shell pkg-config --libs hogweed nettle 2>/dev/null || echo -lhogweed -lnettle) -lgmp

ALL_CFLAGS = $(STD) $(WARN) $(CFLAGS) -Iruntime -I$(B)/compiler -Icompiler

# runtime: decision code (no HTTP) + server; main.o stays out of the archive so
# generated tables link as `tables.c main.o libwcsprt.a`.
RT_CORE  = runtime/abi.c runtime/catalog.c runtime/utf8.c runtime/json.c runtime/decide.c runtime/splice.c \
           runtime/world.c runtime/codec.c runtime/keys.c runtime/pubkeys.c runtime/jwt.c runtime/digest.c
RT_SERV  = runtime/server.c runtime/log.c runtime/metrics.c runtime/transport.c
RT_OBJ   = $(RT_CORE:%.c=$(B)/%.o) $(RT_SERV:%.c=$(B)/%.o)
RT_CORE_OBJ = $(RT_CORE:%.c=$(B)/%.o)

CC_SRC   = compiler/xalloc.c compiler/diag.c compiler/ast.c compiler/check.c compiler/template.c compiler/sbuf.c \
           compiler/lower.c compiler/emit.c compiler/fmt.c compiler/ptest.c compiler/wcspc.c compiler/frontend.c
CC_GEN   = $(B)/compiler/parser.c $(B)/compiler/lexer.c
CC_OBJ   = $(CC_SRC:%.c=$(B)/%.o) $(CC_GEN:%.c=%.o)

# where the installed/built wcspc finds the runtime to link servers against
RT_DIR  ?= $(abspath $(B))
RT_INC  ?= $(abspath runtime)

.PHONY: all clean test tests run deps install static-runtime
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

# libmicrohttpd without HTTPS from Debian's source package, for `wcspc build --static`
static-runtime: all
	sh tools/static-mhd.sh $(B)/mhd-static

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
	$(CC) $(CFLAGS) -o $@ $^ $(NETTLE_LIBS)

dirs:
	@mkdir -p $(B)/compiler $(B)/runtime $(B)/tests

include tests/tests.mk
-include tests/fuzz/fuzz.mk
-include tests/sanitize.mk
-include docs/docs.mk

clean:
	rm -rf $(B)
