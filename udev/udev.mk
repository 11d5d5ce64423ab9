# SPDX-License-Identifier: GPL-2.0-or-later
# udev rules, the auto-wipe unit, and their checks.
#   make check-udev     static checks: udev parses the rules, attribute modes, unit
#                       verification and `systemd-analyze security` exposure <= 2.0
#   make check-autowipe allow-list/journal unit tests and the autowipe/log commands
# Installing them is mk/install.mk's install-udev (part of `make install`).

CHECK_TARGETS += check-udev

.PHONY: check-udev
check-udev:
	/usr/bin/python3 udev/tests/check_files.py

-include tests/autowipe/autowipe.mk

# The rules with the real systemd-udevd in the QEMU guest of tests/system (its
# helpers and scenarios are reused, not changed; see udev/tests/guest-udev.sh).
# Not part of `make check` (a guest boot, about a minute).
UDEV_SYS_OUT := $(BUILD)/udev-system
.PHONY: check-udev-system
check-udev-system: $(BUILD)/system/espbridge $(BUILD)/system/ttylines $(BUILD)/espwipe
	@test -n "$(SYS_KVER)" || { echo "check-udev-system: no Debian kernel (see tests/system/README.md)"; exit 1; }
	sh udev/tests/mkguest.sh $(UDEV_SYS_OUT)/initramfs.cpio $(SYS_KVER) $(BUILD)/system/espbridge \
		$(BUILD)/system/ttylines $(BUILD)/espwipe $(wildcard $(BUILD)/kmod/espwipe.ko)
	/usr/bin/python3 tests/system/run.py --kernel /boot/vmlinuz-$(SYS_KVER) \
		--initrd $(UDEV_SYS_OUT)/initramfs.cpio --group udev --timeout 400 --out $(UDEV_SYS_OUT)

