# SPDX-License-Identifier: GPL-2.0-or-later
# udev rules, the auto-wipe unit, and their checks.
#   make check-udev     udev parses the rules; their effect on every kind of port in a
#                       fake udev world (and planted wrong rules caught); attribute modes,
#                       unit verification and `systemd-analyze security` exposure <= 2.0
#   make check-autowipe allow-list/journal unit tests and the autowipe/log commands
# Installing them is mk/install.mk's install-udev (part of `make install`).

CHECK_TARGETS += check-udev

# The fake udev world's shim (udev/tests/fakeworld.py): a tmpfs on /sys passes for sysfs.
UDEV_FAKESYSFS := $(BUILD)/udev-tests/fakesysfs.so
$(UDEV_FAKESYSFS): udev/tests/fakesysfs.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -fPIC -shared -o $@ $< -ldl

.PHONY: check-udev
check-udev: $(UDEV_FAKESYSFS) $(BUILD)/espwipe
	/usr/bin/python3 udev/tests/check_files.py

-include tests/autowipe/autowipe.mk

# The rules with the real systemd-udevd in the QEMU guest of tests/system (its
# helpers and scenarios are reused, not changed; see udev/tests/guest-udev.sh).
# Not part of `make check` (a guest boot, about a minute).
UDEV_SYS_OUT := $(BUILD)/udev-system
.PHONY: check-udev-system
check-udev-system: $(BUILD)/system/espbridge $(BUILD)/system/ttylines $(BUILD)/espwipe
	@test -n "$(SYS_KVER)" || { echo "check-udev-system: no Debian kernel (see tests/system/README.md)"; exit 1; }
	ESPSYS_MODDIR=$(SYS_MODDIR) sh udev/tests/mkguest.sh $(UDEV_SYS_OUT)/initramfs.cpio $(SYS_KVER) \
		$(BUILD)/system/espbridge $(BUILD)/system/ttylines $(BUILD)/espwipe $(wildcard $(SYS_KMOD))
	/usr/bin/python3 tests/system/run.py --kernel $(SYS_KERNEL) \
		--initrd $(UDEV_SYS_OUT)/initramfs.cpio --group udev --timeout 400 --out $(UDEV_SYS_OUT)

