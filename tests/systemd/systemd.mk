# SPDX-License-Identifier: GPL-2.0-or-later
# tests/systemd: a QEMU guest that boots the real systemd, systemd-udevd and
# journald (the host's root over 9p, read-only, under a tmpfs overlay) and
# tests udev/ (rules, espwipe-autowipe@.service) with espwipe, espwipe.ko and
# the FunctionFS bridges of tests/system.  Include after tests/system/system.mk.
#
#   make check-systemd                        every scenario, one boot per kernel (~2.5 min)
#   make check-systemd SYSD_ONLY='noconf,unplug*'
#   make check-systemd-unit                   host-side parser/check tests only
#   make check-systemd-negative               a deliberately broken install must fail
#
# Like tests/system, once per kernel of KVERS (mk/kernels.mk), outputs under
# build/systemd/<kver>/; SYS_KVER=, SYS_KERNEL= and SYS_MODDIR= apply here
# too (a SYS_MODDIR outside /lib/modules is linked into the guest's root).

SYSD_DIR := tests/systemd
SYSD_PY := /usr/bin/python3
SYSD_KVER ?= $(or $(SYS_KVER),$(shell for v in $$(ls /lib/modules 2>/dev/null); do \
	[ -e /boot/vmlinuz-$$v ] && [ -d /lib/modules/$$v/kernel ] && echo $$v; done | sort -V | tail -n1))
SYSD_KERNEL ?= $(or $(SYS_KERNEL),/boot/vmlinuz-$(SYSD_KVER))
SYSD_MODDIR ?= $(or $(SYS_MODDIR),/lib/modules/$(SYSD_KVER))
SYSD_OUT := $(BUILD)/systemd/$(SYSD_KVER)
SYSD_TIMEOUT ?= 300
SYSD_ONLY ?=
SYSD_INITRD := $(SYSD_OUT)/initramfs.cpio
SYSD_STAGE := $(SYSD_OUT)/stage
SYSD_ESPWIPE ?= $(BUILD)/espwipe
SYSD_KMOD ?= $(or $(KMOD_KO),$(BUILD)/kmod/$(SYSD_KVER)/espwipe.ko)
SYSD_BRIDGE ?= $(BUILD)/system/espbridge
SYSD_GUEST := $(wildcard $(SYSD_DIR)/guest/*) $(SYSD_DIR)/mkstage.sh \
	$(wildcard udev/60-espwipe.rules udev/61-espwipe-autowipe.rules udev/espwipe-autowipe@.service)

.PHONY: check-systemd check-systemd-one check-systemd-unit check-systemd-negative \
	check-systemd-negative-one

CHECK_TARGETS += check-systemd

$(SYSD_OUT):
	mkdir -p $@

$(SYSD_INITRD): $(SYSD_DIR)/mkinitramfs.sh $(SYSD_DIR)/init.sh tests/lib/kmods.sh | $(SYSD_OUT)
	@test -n "$(SYSD_KVER)" || { echo "tests/systemd: no Debian kernel in /lib/modules + /boot (apt-get install linux-image-amd64)"; exit 1; }
	ESPSYS_MODDIR=$(SYSD_MODDIR) sh $(SYSD_DIR)/mkinitramfs.sh $@ $(SYSD_KVER)

check-systemd-unit:
	$(SYSD_PY) $(SYSD_DIR)/test_run.py

# The stage is laid out again on every run (it is small); the tool, the module
# and the bridge are ordinary prerequisites built by their own fragments.
check-systemd: check-systemd-unit
	$(call per_kernel,check-systemd)

check-systemd-one: $(SYSD_INITRD) $(SYSD_ESPWIPE) $(SYSD_KMOD) $(SYSD_BRIDGE) \
		$(SYSD_GUEST) | $(SYSD_OUT)
	@if [ "$$(id -u)" != 0 ]; then echo "SKIP check-systemd: needs root (QEMU exports the whole host root to the guest)"; exit 0; fi; \
	sh $(SYSD_DIR)/mkstage.sh $(SYSD_STAGE) $(SYSD_ESPWIPE) $(SYSD_KMOD) $(SYSD_BRIDGE) \
		$(SYSD_KVER) $(SYSD_MODDIR) && \
	$(SYSD_PY) $(SYSD_DIR)/run.py --kernel $(SYSD_KERNEL) --initrd $(SYSD_INITRD) \
		--stage $(SYSD_STAGE) --timeout $(SYSD_TIMEOUT) --out $(SYSD_OUT) \
		$(if $(SYSD_ONLY),--only '$(SYSD_ONLY)')

# Negative control (one more boot, not part of `make check`): the same guest
# with three faults planted in a copy of the stage.  noconf must catch the
# rules (no ModemManager ignore, attributes world-writable), allow-path the
# unit without SupplementaryGroups=dialout (the tty stays 0660: the wipe is
# denied), unplug-bindsto the unit without BindsTo=; the others must pass.
SYSD_NEG := $(SYSD_OUT)/stage-negative
check-systemd-negative:
	$(call per_kernel,check-systemd-negative)

check-systemd-negative-one: $(SYSD_INITRD) $(SYSD_ESPWIPE) $(SYSD_KMOD) $(SYSD_BRIDGE) $(SYSD_GUEST) \
		| $(SYSD_OUT)
	sh $(SYSD_DIR)/mkstage.sh $(SYSD_NEG) $(SYSD_ESPWIPE) $(SYSD_KMOD) $(SYSD_BRIDGE) \
		$(SYSD_KVER) $(SYSD_MODDIR)
	sed -i -e 's/ENV{ID_MM_DEVICE_IGNORE}="1", //' -e 's/chmod 0220/chmod 0222/' \
		$(SYSD_NEG)/etc/udev/rules.d/60-espwipe.rules
	sed -i -e 's/^SupplementaryGroups=/#&/' -e 's/^BindsTo=/#&/' \
		$(SYSD_NEG)/etc/systemd/system/espwipe-autowipe@.service
	$(SYSD_PY) $(SYSD_DIR)/run.py --kernel $(SYSD_KERNEL) --initrd $(SYSD_INITRD) \
		--stage $(SYSD_NEG) --timeout $(SYSD_TIMEOUT) --out $(SYSD_OUT)/negative \
		--only 'noconf,allow-path,unplug-bindsto' \
		--expect-fail 'noconf,allow-path,unplug-bindsto'
