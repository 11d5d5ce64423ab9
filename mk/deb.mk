# SPDX-License-Identifier: GPL-2.0-or-later
# Debian packages.  Included from the top Makefile.
#
#   make deb        espwipe and espwipe-dkms .debs in build/deb/, built from
#                   a copy of the tree in build/deb/espwipe-<version>/
#   make check-deb  make deb, lintian (no E:/W:), the packages' contents, the
#                   packaged espwipe wiping the emulated board, and the
#                   espwipe-dkms .deb's source built for every kernel of KVERS
#   make check-deb-system   (not in `make check`: one more guest boot per
#                   kernel) the packages in the tests/system QEMU guest: the
#                   espwipe .deb's binary and espwipe.ko built from the
#                   espwipe-dkms .deb's source as DKMS builds it, then the
#                   espwipe-sysfs/tiocm scenarios (ch340 and cp2102) on them
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

.PHONY: deb check-deb check-deb-dkms-src check-deb-system check-deb-system-one

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
	@$(MAKE) --no-print-directory check-deb-dkms-src

# The espwipe-dkms .deb's /usr/src tree, built (a fresh copy per kernel) with
# the make command its dkms.conf gives DKMS, for every kernel of KVERS.
DEB_DKMS_SRC := $(DEB_OUT)/dkms-src
check-deb-dkms-src:
	@rm -rf $(DEB_DKMS_SRC) && mkdir -p $(DEB_DKMS_SRC)/root
	@dpkg-deb -x $(DEB_OUT)/espwipe-dkms_$(DEB_VERSION)_all.deb $(DEB_DKMS_SRC)/root
	@src=$(DEB_DKMS_SRC)/root/usr/src/espwipe-$(DEB_UPSTREAM_VERSION); \
	test -f $$src/dkms.conf || { echo "check-deb: no $$src/dkms.conf" >&2; exit 1; }; \
	for k in $(KVERS); do \
		kd=$(or $(KDIR),/lib/modules/$$k/build); \
		tree=$(abspath $(DEB_DKMS_SRC))/$$k; b=$$tree/espwipe/$(DEB_UPSTREAM_VERSION)/build; \
		mkdir -p $$(dirname $$b) && cp -a $$src $$b; \
		mk=$$(kernelver=$$k kernel_source_dir=$$kd dkms_tree=$$tree \
			bash -c '. "$$0/dkms.conf" && echo "$${MAKE[0]}"' $$b); \
		test -n "$$mk" || { echo "check-deb: dkms.conf gives no MAKE[0]" >&2; exit 1; }; \
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES $$mk > $$tree/build.log 2>&1 || \
			{ cat $$tree/build.log; echo "check-deb: the DKMS source does not build for $$k" >&2; exit 1; }; \
		modinfo -F vermagic $$b/kmod/espwipe.ko | grep -q "^$$k " || \
			{ echo "check-deb: $$b/kmod/espwipe.ko is not for $$k" >&2; exit 1; }; \
		echo "check-deb: the espwipe-dkms source builds for $$k"; \
	done

# The guest has no dpkg: the packages are unpacked on the host and their files
# go into the initramfs through tests/system's SYS_ESPWIPE and SYS_KMOD.  The
# module is built from the unpacked /usr/src tree with the make command of the
# packaged dkms.conf, against the guest kernel's headers.
DEB_SYS := $(DEB_OUT)/system/$(SYS_KVER)
DEB_SYS_SRC = $(DEB_SYS)/root/usr/src/espwipe-$(DEB_UPSTREAM_VERSION)

check-deb-system: $(BUILD)/espemu
	@test -f tests/system/system.mk || { echo "check-deb-system: needs tests/system" >&2; exit 1; }
	@$(MAKE) --no-print-directory deb
	$(call per_kernel,check-deb-system)

check-deb-system-one:
	@test -n "$(SYS_KVER)" && test -f $(KMOD_KDIR)/Makefile || \
		{ echo "check-deb-system: needs the headers of the guest kernel $(SYS_KVER)" >&2; exit 1; }
	@rm -rf $(DEB_SYS) && mkdir -p $(DEB_SYS)/root
	dpkg-deb -x $(DEB_OUT)/espwipe_$(DEB_VERSION)_$(DEB_ARCH).deb $(DEB_SYS)/root
	dpkg-deb -x $(DEB_OUT)/espwipe-dkms_$(DEB_VERSION)_all.deb $(DEB_SYS)/root
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -C $(KMOD_KDIR) M=$(abspath $(DEB_SYS_SRC)) modules \
		> $(DEB_SYS)/module.log 2>&1 || { cat $(DEB_SYS)/module.log; exit 1; }
	@modinfo -F vermagic $(DEB_SYS_SRC)/kmod/espwipe.ko | grep -q '^$(SYS_KVER) ' || \
		{ echo "check-deb-system: module not built for $(SYS_KVER)" >&2; exit 1; }
	$(MAKE) --no-print-directory check-system-one SYS_ONLY='espwipe-sysfs-*,espwipe-tiocm-*' \
		SYS_ESPWIPE=$(abspath $(DEB_SYS)/root/usr/bin/espwipe) \
		SYS_KMOD=$(abspath $(DEB_SYS_SRC)/kmod/espwipe.ko)
	@echo "check-deb-system: the packaged espwipe and the DKMS-built module wiped boards in the guest ($(SYS_KVER))"
