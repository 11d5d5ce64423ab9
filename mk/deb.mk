# SPDX-License-Identifier: GPL-2.0-or-later
# Debian packages.  Included from the top Makefile.
#
#   make deb        espwipe and espwipe-dkms .debs in build/deb/, built from
#                   a copy of the tree in build/deb/espwipe-<version>/
#   make check-deb  make deb, lintian (no E:/W:), the packages' contents, and
#                   the packaged espwipe wiping the emulated board
#   make check-deb-system   (not in `make check`: one more guest boot) the
#                   packages in the tests/system QEMU guest: the espwipe .deb's
#                   binary and espwipe.ko built from the espwipe-dkms .deb's
#                   source as DKMS builds it, then the espwipe-sysfs/tiocm
#                   scenarios (ch340 and cp2102) on them
#
# The build runs only the fast host tests (debian/rules); DEB_BUILD_OPTIONS
# is passed through (nocheck skips them).

DEB_VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog 2>/dev/null)
DEB_UPSTREAM_VERSION := $(shell echo '$(DEB_VERSION)' | sed 's/-[^-]*$$//')
DEB_OUT := $(BUILD)/deb
DEB_TREE := $(DEB_OUT)/espwipe-$(DEB_UPSTREAM_VERSION)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB_CHANGES := $(DEB_OUT)/espwipe_$(DEB_VERSION)_$(DEB_ARCH).changes

CHECK_TARGETS += check-deb

.PHONY: deb check-deb check-deb-system

# The source files: git's view of the tree (tracked and new, not ignored,
# still present), else everything but build/ and .git/.
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
		{ echo "deb: needs dpkg-dev and debhelper (apt-get install dpkg-dev debhelper dh-dkms)" >&2; exit 1; }
	@rm -rf $(DEB_OUT) && mkdir -p $(DEB_TREE)
	@echo "deb: copying the tree to $(DEB_TREE)"
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -co --exclude-standard | while IFS= read -r f; do \
			[ -f "$$f" ] && printf '%s\n' "$$f"; done | grep -v '^build/' | \
			tar -cf - -T - | tar -xf - -C $(DEB_TREE); \
	else \
		tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C $(DEB_TREE); \
	fi
	@echo "deb: dpkg-buildpackage -us -uc -b (log: $(DEB_OUT)/build.log)"
	@cd $(DEB_TREE) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		DEB_BUILD_OPTIONS="parallel=2 $(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -us -uc -b > ../build.log 2>&1 || \
		{ tail -n 40 ../build.log; echo "deb: dpkg-buildpackage FAILED (log: $(DEB_OUT)/build.log)"; exit 1; }
	@ls $(DEB_OUT)/*.deb

check-deb: $(BUILD)/espemu
	@$(MAKE) --no-print-directory deb
	@sh tests/packaging/check_deb.sh $(DEB_CHANGES) $(BUILD)/espemu

# The guest has no dpkg: the packages are unpacked on the host and their files
# go into the initramfs through tests/system's SYS_ESPWIPE and SYS_KMOD.  The
# module is built from the unpacked /usr/src tree with the make command of the
# packaged dkms.conf, against the guest kernel's headers.
DEB_SYS := $(DEB_OUT)/system
DEB_SYS_SRC = $(DEB_SYS)/root/usr/src/espwipe-$(DEB_UPSTREAM_VERSION)

check-deb-system: $(BUILD)/espemu
	@test -f tests/system/system.mk || { echo "check-deb-system: needs tests/system" >&2; exit 1; }
	@test -n "$(SYS_KVER)" && test -f /lib/modules/$(SYS_KVER)/build/Makefile || \
		{ echo "check-deb-system: needs the headers of the guest kernel $(SYS_KVER)" >&2; exit 1; }
	@$(MAKE) --no-print-directory deb
	@rm -rf $(DEB_SYS) && mkdir -p $(DEB_SYS)/root
	dpkg-deb -x $(DEB_OUT)/espwipe_$(DEB_VERSION)_$(DEB_ARCH).deb $(DEB_SYS)/root
	dpkg-deb -x $(DEB_OUT)/espwipe-dkms_$(DEB_VERSION)_all.deb $(DEB_SYS)/root
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -C /lib/modules/$(SYS_KVER)/build M=$(abspath $(DEB_SYS_SRC)) modules \
		> $(DEB_SYS)/module.log 2>&1 || { cat $(DEB_SYS)/module.log; exit 1; }
	@modinfo -F vermagic $(DEB_SYS_SRC)/kmod/espwipe.ko | grep -q '^$(SYS_KVER) ' || \
		{ echo "check-deb-system: module not built for $(SYS_KVER)" >&2; exit 1; }
	$(MAKE) --no-print-directory check-system SYS_ONLY='espwipe-sysfs-*,espwipe-tiocm-*' \
		SYS_ESPWIPE=$(abspath $(DEB_SYS)/root/usr/bin/espwipe) \
		SYS_KMOD=$(abspath $(DEB_SYS_SRC)/kmod/espwipe.ko)
	@echo "check-deb-system: the packaged espwipe and the DKMS-built module wiped boards in the guest"
