# SPDX-License-Identifier: GPL-2.0-or-later
# Auto-wipe allow-list, markers and journal records: cmocka unit tests (ASan/UBSan),
# the autowipe/log commands against espemu, and list/autowipe on every kind of port
# in the fake udev world (udev/tests/fakeworld.py).  `make check-autowipe`.
CHECK_TARGETS += check-autowipe
AW_TEST_BIN := $(ASAN)/tests/test_autowipe
# Every userspace object except main().
AW_TEST_OBJS := $(filter-out %/cli.o,$(US_ASAN_OBJS))
AW_CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
AW_CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

$(AW_TEST_BIN): tests/autowipe/test_autowipe.c $(AW_TEST_OBJS) $(US_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) $(US_CFLAGS) $(AW_CMOCKA_CFLAGS) -o $@ tests/autowipe/test_autowipe.c \
		$(AW_TEST_OBJS) $(US_LIBS) $(AW_CMOCKA_LIBS)

.PHONY: check-autowipe check-autowipe-unit
check-autowipe-unit: $(AW_TEST_BIN)
	$(AW_TEST_BIN)

check-autowipe: check-autowipe-unit $(ASAN)/espwipe $(ASAN)/espemu $(BUILD)/libespemu-lines.so \
		$(UDEV_FAKESYSFS)
	/usr/bin/python3 tests/autowipe/test_autowipe_cli.py
	/usr/bin/python3 tests/autowipe/test_autowipe_links.py

# Optional: libFuzzer over the allow-list parser (needs clang); not part of `make check`.
AW_FUZZ_BIN := $(ASAN)/tests/fuzz_autowipe_conf
AW_FUZZ_SECONDS ?= 30
.PHONY: fuzz-autowipe
$(AW_FUZZ_BIN): tests/autowipe/fuzz_conf.c userspace/autowipe_conf.c userspace/autowipe_conf.h
	@mkdir -p $(@D)
	clang $(BASE_CFLAGS) -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iuserspace -o $@ tests/autowipe/fuzz_conf.c userspace/autowipe_conf.c

fuzz-autowipe: $(AW_FUZZ_BIN)
	@mkdir -p $(BUILD)/autowipe-fuzz-corpus
	$(AW_FUZZ_BIN) -max_total_time=$(AW_FUZZ_SECONDS) -max_len=4096 $(BUILD)/autowipe-fuzz-corpus
