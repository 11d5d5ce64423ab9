# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of the protocol modules (cmocka, ASan+UBSan, fake transport and
# fake clock: no sleeps, no emulator).  `make check-unit` runs them.

# The protocol core; userspace.mk may reuse this list.
UNIT_PROTO_SRCS := userspace/slip.c userspace/rom.c userspace/connect.c userspace/blank_md5.c \
	userspace/chips.c userspace/chip.c userspace/flashplan.c
UNIT_TEST_SRCS := $(wildcard tests/unit/*.c)
# The link table, checked against espwipe.ko's own sequence parser (built in userspace),
# and the re-find of a port (libudev).
UNIT_LINK_SRCS := userspace/links.c kmod/espwipe_seq.c userspace/refind.c userspace/discovery.c
UNIT_OBJDIR := $(ASAN)/unit-obj
UNIT_RELDIR := $(BUILD)/unit-rel
UNIT_BIN := $(ASAN)/tests/unit_tests
UNIT_OBJS := $(patsubst %.c,$(UNIT_OBJDIR)/%.o,$(UNIT_PROTO_SRCS) $(UNIT_LINK_SRCS) $(UNIT_TEST_SRCS))
# The same protocol sources at -O2 with _FORTIFY_SOURCE, which finds other warnings.
UNIT_REL_OBJS := $(patsubst %.c,$(UNIT_RELDIR)/%.o,$(UNIT_PROTO_SRCS) userspace/links.c)
UNIT_CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
UNIT_CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

CHECK_TARGETS += check-unit

.PHONY: check-unit unit-tests
unit-tests: $(UNIT_BIN) $(UNIT_REL_OBJS)

check-unit: $(UNIT_BIN) $(UNIT_REL_OBJS)
	$(UNIT_BIN)

$(UNIT_BIN): $(UNIT_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ $(UNIT_CMOCKA_LIBS) -lmd -lm -ludev

$(UNIT_OBJDIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) $(UNIT_CMOCKA_CFLAGS) -Iuserspace -Itests/unit -MMD -MP -c -o $@ $<

$(UNIT_RELDIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -Iuserspace -MMD -MP -c -o $@ $<

-include $(UNIT_OBJS:.o=.d) $(UNIT_REL_OBJS:.o=.d)
