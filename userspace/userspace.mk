# SPDX-License-Identifier: GPL-2.0-or-later
# The espwipe command.
US_PROTO_SRCS := userspace/slip.c userspace/rom.c userspace/connect.c userspace/chips.c userspace/chip.c \
	userspace/flashplan.c
US_HOST_SRCS := userspace/port.c userspace/discovery.c userspace/output.c userspace/ops.c \
	userspace/args.c userspace/autowipe_conf.c userspace/autowipe.c userspace/devprops.c \
	userspace/journal.c userspace/blank_md5.c userspace/links.c userspace/refind.c userspace/multi.c userspace/table.c userspace/hotplug.c
US_SRCS := $(US_PROTO_SRCS) $(US_HOST_SRCS) userspace/cli.c
# libmd: the MD5 of erased flash that SPI_FLASH_MD5 answers are compared with.
US_LIBS := $(shell pkg-config --libs libudev libsystemd json-c libmd 2>/dev/null || \
	echo -ludev -lsystemd -ljson-c -lmd) -pthread
US_CFLAGS := $(shell pkg-config --cflags libudev libsystemd json-c libmd 2>/dev/null) -Iuserspace
US_HDRS := $(wildcard userspace/*.h)

US_OBJS := $(US_SRCS:%.c=$(BUILD)/obj/%.o)
US_ASAN_OBJS := $(US_SRCS:%.c=$(ASAN)/obj/%.o)

ALL_TARGETS += $(BUILD)/espwipe

$(BUILD)/obj/userspace/%.o: userspace/%.c $(US_HDRS)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) $(US_CFLAGS) -c $< -o $@

$(ASAN)/obj/userspace/%.o: userspace/%.c $(US_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) $(US_CFLAGS) -c $< -o $@

$(BUILD)/espwipe: $(US_OBJS)
	$(CC) $(REL_CFLAGS) -o $@ $^ $(US_LIBS)

$(ASAN)/espwipe: $(US_ASAN_OBJS)
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ $(US_LIBS)

# Installing it: mk/install.mk (install-espwipe).
