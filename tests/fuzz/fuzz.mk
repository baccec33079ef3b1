# tests/fuzz/fuzz.mk -- libFuzzer targets (included by the Makefile).
#
#   make fuzz          both targets at once for FUZZ_SECONDS (default 60), restarted after a
#                      crash: one line per target with its exec and crash counts, then each
#                      distinct crash with the command that replays it; the working corpora
#                      grow in $(B)/fuzz/corpus-<target>/, reproducers go to $(B)/fuzz/artifacts/
#   make fuzz-smoke    both targets at once for FUZZ_SMOKE_SECONDS (default 10) over the seed
#                      corpora: "PASS fuzz <target> (N execs)" or "FAIL fuzz <target>: ..."
#   make fuzz-build    just the two binaries, $(B)/fuzz/fuzz_compiler and fuzz_request
# (the running is tests/hardening.sh's; seeds are tests/fuzz/corpus/{compiler,request}/)
#
# Everything is compiled here with clang and the sanitizers (never the gcc objects of the
# main build) into $(B)/fuzz/. The lexer and parser sources are the flex/bison outputs in
# $(B)/compiler/. fuzz_request links the tables of tests/fuzz/request.wcsp, emitted by the
# freshly built $(B)/wcspc, and loads that policy's keys (tests/fuzz/keys/) and live set
# (tests/fuzz/banned.txt) from FUZZ_DATA_DIR, this tree's tests/fuzz as an absolute path,
# so that it runs from any directory. fuzz_compiler links with -Wl,--wrap=fopen: its
# __wrap_fopen confines the compiler's file reads (includes, set files) to a private
# directory.
#
# Reproduce a crash:  $(B)/fuzz/fuzz_compiler CRASH-FILE   (or fuzz_request)

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_DIR            = $(B)/fuzz
FUZZ_SAN            = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS         = $(STD) $(WARN) -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) \
                      -Iruntime -I$(B)/compiler -Icompiler
FUZZ_LINK           = -fsanitize=fuzzer $(FUZZ_SAN)

FUZZ_RT_OBJ  = $(RT_CORE:%.c=$(FUZZ_DIR)/%.o)
FUZZ_CC_OBJ  = $(patsubst %.c,$(FUZZ_DIR)/%.o,$(filter-out compiler/wcspc.c,$(CC_SRC))) \
               $(FUZZ_DIR)/compiler/parser.o $(FUZZ_DIR)/compiler/lexer.o
FUZZ_BINS    = $(FUZZ_DIR)/fuzz_compiler $(FUZZ_DIR)/fuzz_request

.PHONY: fuzz fuzz-smoke fuzz-build

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@B=$(B) FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/hardening.sh fuzz

fuzz-smoke: fuzz-build
	@B=$(B) FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) bash tests/hardening.sh fuzz-smoke

$(FUZZ_DIR)/runtime/%.o: runtime/%.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/compiler/%.o: compiler/%.c $(HDRS) $(B)/compiler/parser.h $(B)/compiler/lexer.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/compiler/parser.o: $(B)/compiler/parser.c $(B)/compiler/lexer.h $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/compiler/lexer.o: $(B)/compiler/lexer.c $(B)/compiler/parser.h $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-unused-function -fsanitize=fuzzer-no-link -c $< -o $@

FUZZ_DATA_DIR = $(CURDIR)/tests/fuzz

# (wcspc reads the key files too: it refuses a public key where a secret is due)
$(FUZZ_DIR)/request_tables.c: tests/fuzz/request.wcsp policies/publishers.txt \
                              $(wildcard tests/fuzz/keys/*) $(B)/wcspc
	@mkdir -p $(@D)
	$(B)/wcspc emit -q tests/fuzz/request.wcsp -o $@

$(FUZZ_DIR)/request_tables.o: $(FUZZ_DIR)/request_tables.c runtime/wcsp_abi.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz_compiler: tests/fuzz/fuzz_compiler.c $(FUZZ_CC_OBJ) $(FUZZ_RT_OBJ) $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LINK) -Wl,--wrap=fopen -o $@ $< $(FUZZ_CC_OBJ) $(FUZZ_RT_OBJ) $(NETTLE_LIBS)

$(FUZZ_DIR)/fuzz_request: tests/fuzz/fuzz_request.c $(FUZZ_DIR)/request_tables.o $(FUZZ_RT_OBJ) $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LINK) -DFUZZ_DATA_DIR='"$(FUZZ_DATA_DIR)"' -o $@ $< \
		$(FUZZ_DIR)/request_tables.o $(FUZZ_RT_OBJ) $(NETTLE_LIBS)
