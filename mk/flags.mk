# SPDX-License-Identifier: GPL-2.0-or-later
# Flags shared by every userspace build in the tree.
CC ?= cc
BUILD := build
ASAN := $(BUILD)/asan
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-format-nonliteral
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g $(WARN)
REL_CFLAGS := $(BASE_CFLAGS) -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_CFLAGS := $(BASE_CFLAGS) -O1 $(SAN_FLAGS)
ASAN_LDFLAGS := $(SAN_FLAGS)
# Sanitizer runtime settings for every test that runs an ASan binary.
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=1:verify_asan_link_order=0
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
