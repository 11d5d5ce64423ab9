# SPDX-License-Identifier: GPL-2.0-or-later
# tests/debugkernel: the system-test guest on a debug kernel (KASAN, lockdep,
# KFENCE, kmemleak, debugobjects, DEBUG_KOBJECT_RELEASE, UBSAN), built once
# from Debian's linux-source-6.12 and cached outside the tree.  Included from
# the top Makefile after tests/system/system.mk; outputs under
# build/debugkernel/.  See tests/debugkernel/README.md.
#
#   make debug-kernel                  build it (or find it in the cache)
#   make check-debug-kernel            groups system, kmod and soak on it; any
#                                      detector report fails
#   make check-debug-kernel DEBUGK_GROUPS=system DEBUGK_ONLY='kmod-*'
#   make check-debug-kernel-selftest   the planted bugs (planted/*.patch) must be
#                                      caught, the real module must pass
#
# Not part of `make check` (only check-debug-kernel-unit is): cold, the
# kernel build and the groups take 22-45 of CI's 90 minutes (README.md, "Why
# not in make check").  Run it before every submission that touches kmod/.

DK_DIR := tests/debugkernel
DK_OUT := $(BUILD)/debugkernel
DK_PY := /usr/bin/python3
DEBUGK_GROUPS ?= system,kmod,soak
DEBUGK_ONLY ?=
DEBUGK_SOAK_CYCLES ?= 10
DEBUGK_SOAK_SEED ?= 1
export DEBUGK_SOAK_CYCLES DEBUGK_SOAK_SEED

# The guest's tools come from tests/system and userspace, as for check-system.
DK_BRIDGE := $(or $(SYS_BRIDGE),$(BUILD)/system/espbridge)
DK_TTYLINES := $(or $(SYS_TTYLINES),$(BUILD)/system/ttylines)
DK_ESPWIPE := $(BUILD)/espwipe
# idlerun: SCHED_IDLE writers for the debug-only scenario dk-unplug-busy.
DK_IDLERUN := $(DK_OUT)/idlerun
DK_TOOLS := $(DK_BRIDGE) $(DK_TTYLINES) $(DK_IDLERUN) \
	$(if $(filter $(DK_ESPWIPE),$(ALL_TARGETS)),$(DK_ESPWIPE))
DK_ARGS = --out $(abspath $(DK_OUT)) --bridge $(abspath $(DK_BRIDGE)) \
	--ttylines $(abspath $(DK_TTYLINES)) --espwipe $(abspath $(DK_ESPWIPE)) \
	--idlerun $(abspath $(DK_IDLERUN))

# The console scan's patterns, on the host (no kernel, no QEMU): in `make check`.
CHECK_TARGETS += check-debug-kernel-unit

.PHONY: debug-kernel check-debug-kernel check-debug-kernel-selftest check-debug-kernel-unit

$(DK_IDLERUN): $(DK_DIR)/idlerun.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $<

check-debug-kernel-unit:
	$(DK_PY) $(DK_DIR)/test_check.py

debug-kernel: deps-debugkernel
	sh $(DK_DIR)/build.sh

check-debug-kernel: deps-debugkernel $(DK_TOOLS)
	$(DK_PY) $(DK_DIR)/check.py run $(DK_ARGS) --groups $(DEBUGK_GROUPS)$(if $(DEBUGK_ONLY), --only '$(DEBUGK_ONLY)')

check-debug-kernel-selftest: deps-debugkernel $(DK_TOOLS)
	$(DK_PY) $(DK_DIR)/check.py selftest $(DK_ARGS)
