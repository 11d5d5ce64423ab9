# SPDX-License-Identifier: GPL-2.0-or-later
# The kernels espwipe.ko is built for and the QEMU guests boot.  Included
# from the top Makefile before every fragment that uses it.
#
#   KVERS          the kernels the per-kernel targets loop over: every Debian
#                  kernel found with its image (/boot/vmlinuz-<v>), modules
#                  (/lib/modules/<v>/kernel) and headers (/lib/modules/<v>/build),
#                  oldest first (sort -V), so the newest is the last one run
#   SYS_KVER=<v>   only that kernel (guests and module)
#   KDIR=<tree>    only the kernel of that build tree: the module is built
#                  against it, the guests boot its release (include/generated/
#                  utsrelease.h); give SYS_KERNEL= and SYS_MODDIR= with it when
#                  its image and modules are not in /boot and /lib/modules
#   KVERS="<v> ..."   an explicit list
#
# Every per-kernel output is under a directory named by the kernel release:
# build/kmod/<v>/espwipe.ko, build/system/<v>/, build/systemd/<v>/.

# kver_of_tree DIR: the release a kernel build tree was configured for.
# Debian's include/config/kernel.release says "6.1.192" where the modules
# live under 6.1.0-57-amd64: utsrelease.h first.
kver_of_tree = $(if $(filter /lib/modules/%/build,$(patsubst %/,%,$(1))),$(patsubst /lib/modules/%/build,%,$(patsubst %/,%,$(1))),$(or $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(1)/include/generated/utsrelease.h 2>/dev/null),$(shell cat $(1)/include/config/kernel.release 2>/dev/null)))

KVERS_IMAGES := $(shell for v in $$(ls /lib/modules 2>/dev/null); do \
	[ -e /boot/vmlinuz-$$v ] && [ -d /lib/modules/$$v/kernel ] && echo $$v; done | sort -V)
KVERS_FOUND := $(shell for v in $(KVERS_IMAGES); do \
	[ -f /lib/modules/$$v/build/Makefile ] && echo $$v; done)

ifdef SYS_KVER
KVERS := $(SYS_KVER)
else ifdef KDIR
KVERS := $(call kver_of_tree,$(KDIR))
SYS_KVER := $(KVERS)
else
# Kernels without headers only when there is no other (the module's
# scenarios then SKIP, as they do without build/kmod/<v>/espwipe.ko).
KVERS ?= $(or $(KVERS_FOUND),$(KVERS_IMAGES))
SYS_KVER := $(lastword $(KVERS))
endif

# $(call per_kernel,TARGET): `make TARGET-one SYS_KVER=<v>` for each kernel
# of KVERS in turn (never two guests at once), every kernel even after a
# failure; fails if any did.  One line per kernel with its wall time.
define per_kernel
@test -n "$(strip $(KVERS))" || { echo "$(1): no Debian kernel found (apt-get install linux-image-amd64 linux-headers-amd64)" >&2; exit 1; }; \
rc=0; for v in $(KVERS); do \
	t0=$$(date +%s); echo "==== $(1) on $$v"; \
	if $(MAKE) --no-print-directory $(1)-one SYS_KVER=$$v; then st=passed; else st=FAILED; rc=1; fi; \
	echo "==== $(1) on $$v: $$st in $$(( $$(date +%s) - t0 )) s"; \
done; exit $$rc
endef
