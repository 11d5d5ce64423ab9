# SPDX-License-Identifier: GPL-2.0-or-later
# tests/emu: libespemu (chip model), espemu (pty server), libespemu-lines.so
# (modem-line shim) and their tests.  Included from the top directory.

EMU_DIR := tests/emu
EMU_LIB_SRCS := $(addprefix $(EMU_DIR)/,emu.c uart.c rom_loader.c rom_esp32.c regs.c efuse.c spi.c \
	flash.c reset.c config.c report.c chips.c banner.c md5.c)
EMU_HDRS := $(addprefix $(EMU_DIR)/,espemu.h emu_internal.h chips.h pty_baud.h lines_proto.h)
EMU_SRV_SRCS := $(addprefix $(EMU_DIR)/,espemu.c pty_baud.c)

EMU_OBJS := $(patsubst $(EMU_DIR)/%.c,$(BUILD)/emu/%.o,$(EMU_LIB_SRCS))
EMU_ASAN_OBJS := $(patsubst $(EMU_DIR)/%.c,$(ASAN)/emu/%.o,$(EMU_LIB_SRCS))
EMU_SRV_OBJS := $(patsubst $(EMU_DIR)/%.c,$(BUILD)/emu/%.o,$(EMU_SRV_SRCS))
EMU_ASAN_SRV_OBJS := $(patsubst $(EMU_DIR)/%.c,$(ASAN)/emu/%.o,$(EMU_SRV_SRCS))

EMU_LIB := $(BUILD)/libespemu.a
EMU_ASAN_LIB := $(ASAN)/libespemu.a
EMU_BIN := $(BUILD)/espemu
EMU_ASAN_BIN := $(ASAN)/espemu
EMU_SHIM := $(BUILD)/libespemu-lines.so
EMU_TEST := $(ASAN)/test_emu
EMU_TEST32 := $(ASAN)/test_esp32
EMU_TESTLINK := $(ASAN)/test_emu_links
EMU_PY := /usr/bin/python3

ALL_TARGETS += $(EMU_LIB) $(EMU_ASAN_LIB) $(EMU_BIN) $(EMU_ASAN_BIN) $(EMU_SHIM)
CHECK_TARGETS += check-emu

.PHONY: check-emu check-emu-unit check-emu-e2e check-emu-esptool

$(BUILD)/emu/%.o: $(EMU_DIR)/%.c $(EMU_HDRS) | $(BUILD)/emu
	$(CC) $(REL_CFLAGS) -c $< -o $@

$(ASAN)/emu/%.o: $(EMU_DIR)/%.c $(EMU_HDRS) | $(ASAN)/emu
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

$(BUILD)/emu $(ASAN)/emu:
	mkdir -p $@

$(EMU_LIB): $(EMU_OBJS)
	rm -f $@ && ar rcs $@ $^

$(EMU_ASAN_LIB): $(EMU_ASAN_OBJS)
	rm -f $@ && ar rcs $@ $^

$(EMU_BIN): $(EMU_SRV_OBJS) $(EMU_LIB)
	$(CC) $(REL_CFLAGS) -o $@ $^ -lm

$(EMU_ASAN_BIN): $(EMU_ASAN_SRV_OBJS) $(EMU_ASAN_LIB)
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ -lm

$(EMU_SHIM): $(EMU_DIR)/lines_shim.c | $(BUILD)/emu
	$(CC) $(REL_CFLAGS) -fPIC -shared -o $@ $< -ldl

$(ASAN)/emu/test_emu.o: $(EMU_DIR)/test_emu.c $(EMU_DIR)/test_rig.h $(EMU_HDRS) | $(ASAN)/emu
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

$(ASAN)/emu/test_rig.o: $(EMU_DIR)/test_rig.c $(EMU_DIR)/test_rig.h $(EMU_HDRS) | $(ASAN)/emu
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

$(EMU_TEST): $(ASAN)/emu/test_emu.o $(ASAN)/emu/test_rig.o $(EMU_ASAN_LIB)
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ -lcmocka -lm

$(ASAN)/emu/test_esp32.o: $(EMU_DIR)/test_esp32.c $(EMU_DIR)/test_rig.h $(EMU_HDRS) | $(ASAN)/emu
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

$(EMU_TEST32): $(ASAN)/emu/test_esp32.o $(ASAN)/emu/test_rig.o $(EMU_ASAN_LIB)
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ -lcmocka -lm

$(ASAN)/emu/test_links.o: $(EMU_DIR)/test_links.c $(EMU_DIR)/test_rig.h $(EMU_HDRS) | $(ASAN)/emu
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

$(EMU_TESTLINK): $(ASAN)/emu/test_links.o $(ASAN)/emu/test_rig.o $(EMU_ASAN_LIB)
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ -lcmocka -lm

check-emu-unit: $(EMU_TEST) $(EMU_TEST32) $(EMU_TESTLINK)
	$(EMU_TEST)
	$(EMU_TEST32)
	$(EMU_TESTLINK)

check-emu-e2e: $(EMU_ASAN_BIN) $(EMU_SHIM)
	$(EMU_PY) $(EMU_DIR)/e2e_test.py $(EMU_ASAN_BIN) $(EMU_SHIM)

# Real esptool against espemu: ESPTOOL_DIR names one esptool source tree,
# ESPTOOL_DIRS several (space-separated), e.g. v4.10.0 and v5.2.0 checkouts.
# Each tree prints its own "N passed, N failed".
ESPTOOL_DIRS ?= $(ESPTOOL_DIR)
check-emu-esptool: $(EMU_BIN) $(EMU_SHIM)
	@if [ -z "$(strip $(ESPTOOL_DIRS))" ]; then \
		echo "check-emu-esptool: SKIPPED (set ESPTOOL_DIR or ESPTOOL_DIRS to esptool source trees, e.g. v4.10.0 and v5.2.0)"; \
	else \
		rc=0; \
		for d in $(ESPTOOL_DIRS); do \
			sh $(EMU_DIR)/esptool_interop.sh "$$d" || rc=1; \
		done; \
		exit $$rc; \
	fi

# The groups run one after another (timing-sensitive pty tests must not
# compete with each other for the two cores).
check-emu: $(EMU_TEST) $(EMU_TEST32) $(EMU_TESTLINK) $(EMU_ASAN_BIN) $(EMU_BIN) $(EMU_SHIM)
	@$(MAKE) --no-print-directory check-emu-unit
	@$(MAKE) --no-print-directory check-emu-e2e
	@$(MAKE) --no-print-directory check-emu-esptool
