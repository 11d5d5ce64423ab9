# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: the tool against espemu with realistic timing (ESPTOOL_DIR=... adds esptool).
BENCH_TARGETS += bench-tool

$(BUILD)/bench-rusage: tests/bench/rusage.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $<

.PHONY: bench-tool
bench-tool: $(BUILD)/espwipe $(BUILD)/espemu $(BUILD)/libespemu-lines.so $(BUILD)/bench-rusage
	/usr/bin/python3 tests/bench/bench.py $(ESPTOOL_DIR)
