# tests/tests.mk -- test programs. Every test program prints one line per case:
#   PASS <name>            or          FAIL <name>: <what differed>
# and tests/run.sh counts them into the closing "N passed, N failed" line.

UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

$(B)/tests/test_%: tests/unit/test_%.c $(B)/libwcsprt.a | dirs
	$(CC) $(ALL_CFLAGS) $(MHD_CFLAGS) -o $@ $< $(B)/libwcsprt.a $(MHD_LIBS) $(NETTLE_LIBS) -lm

tests: all $(UNIT_BIN)

# a unit test that decides requests links the tables of tests/unit/NAME.wcsp
$(B)/tests/%_tables.c: tests/unit/%.wcsp $(B)/wcspc | dirs
	$(B)/wcspc emit -q $< -o $@

$(B)/tests/test_linear: tests/unit/test_linear.c $(B)/tests/linear_tables.c $(B)/libwcsprt.a | dirs
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/tests/linear_tables.c $(B)/libwcsprt.a -lm

# test_index compiles policies in process: the compiler's objects, without its main()
$(B)/tests/test_index: tests/unit/test_index.c $(filter-out $(B)/compiler/wcspc.o,$(CC_OBJ)) \
    $(B)/libwcsprt_core.a | dirs
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(NETTLE_LIBS) -lm

$(B)/tests/test_tokens: tests/unit/test_tokens.c $(B)/tests/tokens_tables.c $(B)/libwcsprt.a | dirs
	$(CC) $(ALL_CFLAGS) -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc -o $@ $< \
	    $(B)/tests/tokens_tables.c $(B)/libwcsprt.a $(NETTLE_LIBS) -lm

$(B)/tests/test_metrics: tests/unit/test_metrics.c $(B)/tests/metrics_tables.c $(B)/libwcsprt.a | dirs
	$(CC) $(ALL_CFLAGS) -Wl,--wrap=malloc -o $@ $< $(B)/tests/metrics_tables.c $(B)/libwcsprt.a -lpthread -lm

# tests/tools: helper programs the shell suites and bench/ run (not tests themselves)
$(B)/tests/loris: tests/tools/loris.c | dirs
	$(CC) $(STD) $(WARN) $(CFLAGS) -D_GNU_SOURCE -o $@ $<

$(B)/tests/hammer: tests/tools/hammer.c | dirs
	$(CC) $(STD) $(WARN) $(CFLAGS) -D_GNU_SOURCE -o $@ $< -lpthread

$(B)/tests/holdsock: tests/tools/holdsock.c | dirs
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ $<

$(B)/tests/startup: tests/tools/startup.c | dirs
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ $<

tests: $(B)/tests/loris $(B)/tests/hammer $(B)/tests/holdsock $(B)/tests/startup
