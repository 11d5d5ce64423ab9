# SPDX-License-Identifier: GPL-2.0-or-later
# Several boards from one process in the systemd guest (tests/systemd/guest/multi.py):
# 8 boards wiped by one `espwipe erase --all`, `erase --each` with the real udev
# monitor, and the auto-wipe latency from plug to the first SYNC (a measurement:
# reported, not asserted).  One boot (about 3.5 min under TCG), on SYSD_KVER (the
# newest kernel, or SYS_KVER=).  Part of `make check`.  Include after
# tests/systemd/systemd.mk.
#
#   make check-systemd-multi [SYSD_MULTI_ONLY='multi-*']

SYSD_MULTI_OUT := $(BUILD)/systemd-multi/$(SYSD_KVER)
SYSD_MULTI_STAGE := $(SYSD_MULTI_OUT)/stage
SYSD_MULTI_ONLY ?=

CHECK_TARGETS += check-systemd-multi

.PHONY: check-systemd-multi
check-systemd-multi: $(SYSD_INITRD) $(SYSD_ESPWIPE) $(SYSD_KMOD) $(SYSD_BRIDGE) $(SYSD_GUEST) \
		$(SYSD_DIR)/guest/multi.py $(SYSD_DIR)/mkstage-multi.sh $(SYSD_DIR)/run_multi.py
	@if [ "$$(id -u)" != 0 ]; then echo "SKIP check-systemd-multi: needs root"; exit 0; fi; \
	mkdir -p $(SYSD_MULTI_OUT) && \
	sh $(SYSD_DIR)/mkstage-multi.sh $(SYSD_MULTI_STAGE) $(SYSD_ESPWIPE) $(SYSD_KMOD) $(SYSD_BRIDGE) \
		$(SYSD_KVER) $(SYSD_MODDIR) && \
	$(SYSD_PY) $(SYSD_DIR)/run_multi.py --kernel $(SYSD_KERNEL) --initrd $(SYSD_INITRD) \
		--stage $(SYSD_MULTI_STAGE) --out $(SYSD_MULTI_OUT) \
		$(if $(SYSD_MULTI_ONLY),--only '$(SYSD_MULTI_ONLY)')
