# SPDX-License-Identifier: GPL-2.0-or-later
# tests/system: QEMU guest with the real ch341/cp210x drivers talking to
# emulated bridges (FunctionFS + dummy_hcd) wired to libespemu.
# Included from the top directory; outputs under build/system/.
#
#   make check-system                      the scenarios (one guest boot per kernel, -icount)
#   make check-system SYS_ONLY='bind-*'    a subset (comma-separated shell patterns)
#   make bench-system                      hold-timing and parallel-wipe table per kernel
#   make check-system-unit                 request decoding and run.py checks, host only
#
# The guest targets run once per kernel of KVERS (mk/kernels.mk), one after
# the other, each with its own outputs under build/system/<kver>/:
#   SYS_KVER=<v>       one kernel (its image /boot/vmlinuz-<v>, modules
#                      /lib/modules/<v>, module build/kmod/<v>/espwipe.ko)
#   SYS_KERNEL=<file>  another kernel image (with SYS_KVER= or KDIR=)
#   SYS_MODDIR=<dir>   another modules directory (with modules.dep), e.g. a
#                      `make modules_install` tree: <root>/lib/modules/<v>

SYS_DIR := tests/system
SYS_OUT := $(BUILD)/system
SYS_CFLAGS = $(REL_CFLAGS) -I$(SYS_DIR) -Itests/emu
SYS_PY := /usr/bin/python3
# The Debian kernel the guest boots (the running kernel is not a Debian one):
# set by mk/kernels.mk, the kernel of this round or the newest of KVERS.
SYS_KVER ?= $(shell for v in $$(ls /lib/modules 2>/dev/null); do \
	[ -e /boot/vmlinuz-$$v ] && [ -d /lib/modules/$$v/kernel ] && echo $$v; done | sort -V | tail -n1)
SYS_KERNEL ?= /boot/vmlinuz-$(SYS_KVER)
SYS_MODDIR ?= /lib/modules/$(SYS_KVER)
SYS_TIMEOUT ?= 420
SYS_ONLY ?=

# Host tools (kernel-independent) in build/system/, guest outputs per kernel.
SYS_BRIDGE := $(SYS_OUT)/espbridge
SYS_TTYLINES := $(SYS_OUT)/ttylines
SYS_UNIT := $(SYS_OUT)/test_bridge_chip
SYS_KOUT := $(SYS_OUT)/$(SYS_KVER)
SYS_INITRD := $(SYS_KOUT)/initramfs.cpio
SYS_GUEST_FILES := $(SYS_DIR)/guest-init.sh $(SYS_DIR)/scenarios.sh $(SYS_DIR)/mkinitramfs.sh \
	tests/lib/kmods.sh
# Optional parts: scenarios that need them SKIP when they are absent.
SYS_ESPWIPE ?= $(BUILD)/espwipe
SYS_KMOD ?= $(or $(KMOD_KO),$(BUILD)/kmod/$(SYS_KVER)/espwipe.ko)

# The bridge links the real emulator when tests/emu provides it; the stub is
# only for bring-up without it (scenarios that need the ROM protocol fail).
ifneq ($(wildcard tests/emu/emu.mk),)
SYS_EMU := $(BUILD)/libespemu.a
SYS_EMU_SRC :=
else
SYS_EMU :=
SYS_EMU_SRC := $(SYS_DIR)/emu_stub.c
endif

ALL_TARGETS += $(SYS_BRIDGE) $(SYS_TTYLINES)
CHECK_TARGETS += check-system
BENCH_TARGETS += bench-system

.PHONY: check-system check-system-one check-system-unit bench-system bench-system-one \
	system-initrd

$(SYS_OUT) $(SYS_KOUT):
	mkdir -p $@

$(SYS_BRIDGE): $(SYS_DIR)/espbridge.c $(SYS_DIR)/bridge_chip.c $(SYS_DIR)/bridge_chip.h \
		$(SYS_EMU_SRC) tests/emu/espemu.h $(SYS_EMU) | $(SYS_OUT)
	$(CC) $(SYS_CFLAGS) -o $@ $(SYS_DIR)/espbridge.c $(SYS_DIR)/bridge_chip.c \
		$(SYS_EMU_SRC) $(SYS_EMU) -lpthread -lm

$(SYS_TTYLINES): $(SYS_DIR)/ttylines.c | $(SYS_OUT)
	$(CC) $(SYS_CFLAGS) -o $@ $<

$(SYS_UNIT): $(SYS_DIR)/test_bridge_chip.c $(SYS_DIR)/bridge_chip.c $(SYS_DIR)/bridge_chip.h \
		| $(SYS_OUT)
	$(CC) $(ASAN_CFLAGS) -I$(SYS_DIR) -o $@ $(SYS_DIR)/test_bridge_chip.c \
		$(SYS_DIR)/bridge_chip.c $(ASAN_LDFLAGS)

check-system-unit: $(SYS_UNIT)
	$(SYS_UNIT)
	$(SYS_PY) $(SYS_DIR)/test_run.py

# The tool and the module, when their fragments define them (this fragment is
# included after theirs), are ordinary prerequisites, so one make builds them
# once even under -j.  Without them their scenarios SKIP.
SYS_OPT_DEPS := $(if $(KMOD_KO),$(KMOD_KO)) \
	$(if $(filter $(BUILD)/espwipe,$(ALL_TARGETS)),$(BUILD)/espwipe)
SYS_NO_KERNEL = { echo "tests/system: no Debian kernel in /lib/modules + /boot (apt-get install linux-image-amd64)"; exit 1; }
# mkinitramfs.sh INITRD: the guest's modules from SYS_MODDIR; it refuses a
# module built for another kernel than SYS_KVER.
SYS_MKINITRD_TO = test -n "$(SYS_KVER)" || $(SYS_NO_KERNEL); \
	ESPSYS_MODDIR=$(SYS_MODDIR) sh $(SYS_DIR)/mkinitramfs.sh $(1) $(SYS_KVER) $(SYS_BRIDGE) \
		$(SYS_TTYLINES) $(SYS_ESPWIPE) $(SYS_KMOD)
SYS_MKINITRD = @$(call SYS_MKINITRD_TO,$(SYS_INITRD))
SYS_RUN = $(SYS_PY) $(SYS_DIR)/run.py --kernel $(SYS_KERNEL) --initrd $(SYS_INITRD) \
	--timeout $(SYS_TIMEOUT) --out $(SYS_KOUT)

# Repacked every time (a second): takes whichever optional parts exist now.
system-initrd: $(SYS_BRIDGE) $(SYS_TTYLINES) $(SYS_GUEST_FILES) | $(SYS_KOUT)
	$(SYS_MKINITRD)

check-system: check-system-unit
	$(call per_kernel,check-system)

check-system-one: $(SYS_BRIDGE) $(SYS_TTYLINES) $(SYS_GUEST_FILES) $(SYS_OPT_DEPS) | $(SYS_KOUT)
	$(SYS_MKINITRD)
	$(SYS_RUN) --group check $(if $(SYS_ONLY),--only '$(SYS_ONLY)')

bench-system:
	$(call per_kernel,bench-system)

# BENCH_REPS sequences per row: 100 give 200 holds, so p99 is not the maximum.
BENCH_REPS ?= 100
BENCH_TIMEOUT ?= 1200
bench-system-one: $(SYS_BRIDGE) $(SYS_TTYLINES) $(SYS_GUEST_FILES) $(SYS_OPT_DEPS) | $(SYS_KOUT)
	$(SYS_MKINITRD)
	$(SYS_RUN) --group bench --reps $(BENCH_REPS) --timeout $(BENCH_TIMEOUT)
	$(SYS_RUN) --group bench --reps $(BENCH_REPS) --timeout $(BENCH_TIMEOUT) --realtime

# Kernel soak (issue 5): the `soak` group in a boot and initramfs of its own,
# so it can run next to check-system.  check-soak is the short run in `make
# check`; `make soak` the long one (SOAK_CYCLES).  SOAK_SEED picks the random
# choices (boards, writers, unplugs, reloads); the same seed repeats them.
SOAK_OUT := $(SYS_KOUT)/soak
SOAK_CHECK_CYCLES ?= 10
SOAK_CYCLES ?= 300
SOAK_SEED ?= 1
SOAK_TIMEOUT ?= 3600
CHECK_TARGETS += check-soak

.PHONY: check-soak check-soak-one soak soak-one
$(SOAK_OUT):
	mkdir -p $@

# soak_boot DIR CYCLES TIMEOUT: initramfs and results in DIR (check and long
# runs apart, so neither overwrites the other's).
SOAK_BOOT = @mkdir -p $(1) && $(call SYS_MKINITRD_TO,$(1)/initramfs.cpio) && \
	$(SYS_PY) $(SYS_DIR)/run.py --kernel $(SYS_KERNEL) --initrd $(1)/initramfs.cpio \
		--out $(1) --group soak --seed $(SOAK_SEED) --cycles $(2) --timeout $(3)

check-soak:
	$(call per_kernel,check-soak)

check-soak-one: $(SYS_BRIDGE) $(SYS_TTYLINES) $(SYS_GUEST_FILES) $(SYS_OPT_DEPS) | $(SOAK_OUT)
	$(call SOAK_BOOT,$(SOAK_OUT)/check,$(SOAK_CHECK_CYCLES),300)

soak:
	$(call per_kernel,soak)

soak-one: $(SYS_BRIDGE) $(SYS_TTYLINES) $(SYS_GUEST_FILES) $(SYS_OPT_DEPS) | $(SOAK_OUT)
	$(call SOAK_BOOT,$(SOAK_OUT)/long,$(SOAK_CYCLES),$(SOAK_TIMEOUT))
