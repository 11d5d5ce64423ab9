# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of the command-line parser.
CHECK_TARGETS += check-cli
CLI_TEST_BIN := $(ASAN)/tests/test_args

$(CLI_TEST_BIN): tests/cli/test_args.c $(ASAN)/obj/userspace/args.o $(ASAN)/obj/userspace/port.o
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) $(US_CFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

.PHONY: check-cli
check-cli: $(CLI_TEST_BIN)
	$(CLI_TEST_BIN)
