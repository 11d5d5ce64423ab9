# SPDX-License-Identifier: GPL-2.0-or-later
# espwipe: top-level build.  `make` builds the tool, `make check` runs every
# test, `make bench` the benchmarks, `make demo` wipes the built-in emulated board.
# Each directory owns a *.mk fragment; this file only ties them together.

PREFIX ?= /usr/local
DESTDIR ?=

ALL_TARGETS :=
CHECK_TARGETS :=
BENCH_TARGETS :=
INSTALL_TARGETS :=

.PHONY: all check bench demo install deps clean
all:

include mk/flags.mk
include mk/kernels.mk
-include userspace/userspace.mk
-include tests/emu/emu.mk
-include tests/unit/unit.mk
-include tests/cli/cli.mk
-include tests/integration/integration.mk
-include udev/udev.mk
-include tests/bench/bench.mk
-include mk/install.mk
-include mk/deb.mk
-include kmod/kmod.mk
-include tests/fuzz/fuzz.mk
-include tests/faults/faults.mk
-include tests/system/system.mk
-include tests/systemd/systemd.mk
-include tests/systemd/multi.mk
-include tests/debugkernel/debugkernel.mk

all: $(ALL_TARGETS)

# Install the Debian packages a target needs (apt-get as root, else print the line).
deps-%:
	@sh mk/deps.sh $*

check: deps-check
	@$(MAKE) --no-print-directory check-run

check-run: $(CHECK_TARGETS)
	@echo "make check: all test groups passed"

bench: deps-bench
	@$(MAKE) --no-print-directory $(BENCH_TARGETS)

demo: deps-demo
	@$(MAKE) --no-print-directory demo-run

install: $(INSTALL_TARGETS)

clean:
	rm -rf $(BUILD)

demo-run: $(BUILD)/espwipe $(BUILD)/espemu $(BUILD)/libespemu-lines.so
	@sh mk/demo.sh
