# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: the tool against espemu with realistic timing.  ESPTOOL_DIRS="v4 v5"
# (or ESPTOOL_DIR=one) adds the esptool comparison; the family table uses the v5 one.
BENCH_TARGETS += bench-tool

$(BUILD)/bench-rusage: tests/bench/rusage.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $<

.PHONY: bench-tool
bench-tool: $(BUILD)/espwipe $(BUILD)/espemu $(BUILD)/libespemu-lines.so $(BUILD)/bench-rusage
	ESPTOOL_DIRS="$(ESPTOOL_DIRS)" /usr/bin/python3 tests/bench/bench.py $(or $(ESPTOOL_DIR),$(lastword $(ESPTOOL_DIRS)))
