# tests/tests.mk -- test programs. Every test program prints one line per case:
#   PASS <name>            or          FAIL <name>: <what differed>
# and tests/run.sh counts them into the closing "N passed, N failed" line.

UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

$(B)/tests/test_%: tests/unit/test_%.c $(B)/libwcsprt.a | dirs
	$(CC) $(ALL_CFLAGS) $(MHD_CFLAGS) -o $@ $< $(B)/libwcsprt.a $(MHD_LIBS) $(NETTLE_LIBS) -lm

tests: all $(UNIT_BIN)
