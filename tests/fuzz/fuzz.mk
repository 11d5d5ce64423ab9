# SPDX-License-Identifier: GPL-2.0-or-later
# tests/fuzz: libFuzzer targets (clang; -fsanitize=fuzzer,address,undefined) for
# every parser of outside input.  Included from the top directory.
#
#   make fuzz FUZZ_SECONDS=60   each target for that long (default 60), working
#                               corpora under build/fuzz/work/<target>
#   make check-fuzz             replay tests/fuzz/regressions/<target>/*, then a
#                               short smoke of each (FUZZ_CHECK_SECONDS, default 5)
#   make fuzz-<target>          one target (FUZZ_SECONDS)
#
# Targets: rx (SLIP decoder + ROM replies + connect, identify, erase over a
# replayed stream), size (args_parse_size/args_parse_region against
# a reference), argv (args_parse on a split argv), kmod_seq (espwipe.ko's
# sequence parser; kmod/tests/fuzz_seq.c), autowipe_conf (the allow-list
# parser; only when userspace/autowipe_conf.c and tests/autowipe/fuzz_conf.c exist),
# journal (journal record fields as `espwipe log` reads and prints them; only
# when userspace/journal.c exists).
# Seeds: tests/fuzz/corpus/<target>/ (kmod_seq also kmod/tests/fuzz-corpus/).

FUZZ_DIR := tests/fuzz
FUZZ_OUT := $(BUILD)/fuzz
FUZZ_CLANG := $(shell command -v clang 2>/dev/null)
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 5
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_US_CFLAGS := $(shell pkg-config --cflags json-c 2>/dev/null) -Iuserspace

FUZZ_TARGETS := rx size argv kmod_seq
FUZZ_AW := $(and $(wildcard userspace/autowipe_conf.c),$(wildcard userspace/autowipe_conf.h),$(wildcard tests/autowipe/fuzz_conf.c))
ifneq ($(FUZZ_AW),)
FUZZ_TARGETS += autowipe_conf
endif
# `espwipe log`'s reading of journal records: only when journal.c exists.
FUZZ_JOURNAL := $(and $(wildcard userspace/journal.c),$(wildcard userspace/journal.h),$(wildcard userspace/output.c))
ifneq ($(FUZZ_JOURNAL),)
FUZZ_TARGETS += journal
endif
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_OUT)/fuzz_%)

CHECK_TARGETS += check-fuzz

.PHONY: fuzz check-fuzz fuzz-build $(FUZZ_TARGETS:%=fuzz-%)

fuzz-build: $(FUZZ_BINS)

FUZZ_PROTO_SRCS := userspace/slip.c userspace/rom.c userspace/connect.c userspace/chips.c userspace/chip.c \
	userspace/flashplan.c
$(FUZZ_OUT)/fuzz_rx: $(FUZZ_DIR)/fuzz_rx.c $(FUZZ_PROTO_SRCS) $(wildcard userspace/*.h)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -Iuserspace -o $@ $(FUZZ_DIR)/fuzz_rx.c $(FUZZ_PROTO_SRCS)

# port.c runs the link table's sequences and finds a re-enumerated port again (libudev).
FUZZ_PORT_SRCS := userspace/port.c userspace/links.c userspace/refind.c userspace/discovery.c
$(FUZZ_OUT)/fuzz_size: $(FUZZ_DIR)/fuzz_size.c userspace/args.c $(FUZZ_PORT_SRCS) $(wildcard userspace/*.h)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $(FUZZ_US_CFLAGS) -o $@ $(FUZZ_DIR)/fuzz_size.c userspace/args.c $(FUZZ_PORT_SRCS) -ludev

$(FUZZ_OUT)/fuzz_argv: $(FUZZ_DIR)/fuzz_argv.c userspace/args.c $(FUZZ_PORT_SRCS) $(wildcard userspace/*.h)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $(FUZZ_US_CFLAGS) -o $@ $(FUZZ_DIR)/fuzz_argv.c userspace/args.c $(FUZZ_PORT_SRCS) -ludev

$(FUZZ_OUT)/fuzz_kmod_seq: kmod/tests/fuzz_seq.c kmod/espwipe_seq.c kmod/espwipe_seq.h kmod/espwipe_shim.h
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -Ikmod -o $@ kmod/tests/fuzz_seq.c kmod/espwipe_seq.c

$(FUZZ_OUT)/fuzz_autowipe_conf: tests/autowipe/fuzz_conf.c userspace/autowipe_conf.c userspace/autowipe_conf.h
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -Iuserspace -o $@ tests/autowipe/fuzz_conf.c userspace/autowipe_conf.c

FUZZ_SD_CFLAGS := $(shell pkg-config --cflags json-c libsystemd 2>/dev/null) -Iuserspace
FUZZ_SD_LIBS := $(shell pkg-config --libs json-c libsystemd 2>/dev/null || echo -ljson-c -lsystemd)
$(FUZZ_OUT)/fuzz_journal: $(FUZZ_DIR)/fuzz_journal.c userspace/journal.c userspace/output.c $(wildcard userspace/*.h)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $(FUZZ_SD_CFLAGS) -o $@ $(FUZZ_DIR)/fuzz_journal.c userspace/journal.c \
		userspace/output.c $(FUZZ_SD_LIBS)

# fuzz-<target> (explicit rules: make skips pattern rules for phony targets)
define FUZZ_ONE
fuzz-$(1): $(FUZZ_OUT)/fuzz_$(1)
	@rm -f $(FUZZ_OUT)/summary-long.txt
	@sh $(FUZZ_DIR)/run_fuzz.sh long $(1) $$(FUZZ_SECONDS); rc=$$$$?; \
		cat $(FUZZ_OUT)/summary-long.txt; exit $$$$rc
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_ONE,$(t))))

fuzz:
	@test -n "$(FUZZ_CLANG)" || { echo "fuzz: needs clang and libclang-rt-dev" >&2; exit 1; }
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@rm -f $(FUZZ_OUT)/summary-long.txt
	@for t in $(FUZZ_TARGETS); do sh $(FUZZ_DIR)/run_fuzz.sh long $$t $(FUZZ_SECONDS) || exit 1; done
	@cat $(FUZZ_OUT)/summary-long.txt

check-fuzz:
	@if [ -z "$(FUZZ_CLANG)" ]; then echo "fuzz: SKIP (no clang)"; exit 0; fi; \
	$(MAKE) --no-print-directory $(FUZZ_BINS) && rm -f $(FUZZ_OUT)/summary-check.txt && \
	rc=0; for t in $(FUZZ_TARGETS); do \
		sh $(FUZZ_DIR)/run_fuzz.sh check $$t $(FUZZ_CHECK_SECONDS) || rc=1; done; \
	cat $(FUZZ_OUT)/summary-check.txt; \
	if [ $$rc -ne 0 ]; then echo "fuzz: FAILED"; exit 1; fi; echo "fuzz: all targets passed"
