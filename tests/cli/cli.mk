# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of the command-line parser.
CHECK_TARGETS += check-cli
CLI_TEST_BIN := $(ASAN)/tests/test_args
# The live table of multi-board runs, and the parser's multi-board options.
CLI_TABLE_BIN := $(ASAN)/tests/test_table
# port.o runs the link table's sequences and finds a re-enumerated port again (libudev).
CLI_PORT_OBJS := $(ASAN)/obj/userspace/port.o $(addprefix $(ASAN)/obj/userspace/,links.o refind.o discovery.o)

$(CLI_TEST_BIN): tests/cli/test_args.c $(ASAN)/obj/userspace/args.o $(CLI_PORT_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) $(US_CFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka) -ludev

$(CLI_TABLE_BIN): tests/cli/test_table.c $(ASAN)/obj/userspace/table.o $(ASAN)/obj/userspace/args.o \
		$(CLI_PORT_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) $(US_CFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka) -ludev

.PHONY: check-cli
check-cli: $(CLI_TEST_BIN) $(CLI_TABLE_BIN)
	$(CLI_TEST_BIN)
	$(CLI_TABLE_BIN)
