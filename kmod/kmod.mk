# SPDX-License-Identifier: GPL-2.0-or-later
# kmod/: espwipe.ko, its lint, DKMS packaging and the userspace tests of its
# sequence parser.  Included from the top directory.
#
# Every kernel target runs once per kernel of KVERS (mk/kernels.mk: every
# Debian kernel with image and headers); SYS_KVER=<v> or KDIR=<tree> picks one.
#
#   make module         build/kmod/<kver>/espwipe.ko for each kernel
#   make module-lint    checkpatch --strict, and W=1 + sparse (C=1) per kernel;
#                       any warning fails
#   make check-kmod     parser tests (ASan/UBSan), lint, a throwaway `dkms build`
#                       for each kernel
#   make dkms-install   register, build and install through DKMS for each
#                       kernel (root)
#   make dkms-remove    undo dkms-install (root)
#   make fuzz-kmod-seq  libFuzzer on the parser for KMOD_FUZZ_TIME seconds (clang)
#   make check-kmod-system   extra module scenarios (kmod/tests/guest-kmod.sh) in
#                       the QEMU guest of tests/system (group kmod-extra)

# Kernel build tree: KDIR if given, else the headers of SYS_KVER (in a
# per-kernel sub-make the kernel of that round, else the newest of KVERS).
KMOD_KDIR := $(or $(KDIR),$(if $(SYS_KVER),/lib/modules/$(SYS_KVER)/build))
KMOD_KVER := $(call kver_of_tree,$(KMOD_KDIR))

KMOD_SRCS := kmod/Kbuild kmod/espwipe_main.c kmod/espwipe_seq.c kmod/espwipe_ids.c \
	kmod/espwipe_seq.h kmod/espwipe_shim.h kmod/espwipe_compat.h
KMOD_LINT_FILES := $(filter-out kmod/Kbuild,$(KMOD_SRCS)) kmod/Kbuild Kbuild
KMOD_OUT := $(BUILD)/kmod
# Everything built against a kernel is under its release: a module is never
# reused for another kernel ("invalid module format" in the guest).
KMOD_KOUT := $(KMOD_OUT)/$(KMOD_KVER)
KMOD_KO := $(KMOD_KOUT)/espwipe.ko
KMOD_OBJDIR := $(KMOD_KOUT)/obj
KMOD_LINTDIR := $(KMOD_KOUT)/lint

# Kbuild must not inherit this make's command-line variables (CC=, CFLAGS=
# meant for userspace), so it runs in a clean make environment.  `module`
# can be asked for by two makes at once (check-system builds it too): the
# build holds a lock.
KMOD_KMAKE = env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES -u MAKELEVEL make -C $(KMOD_KDIR)

# checkpatch.pl and its data files, from each Debian kernel source tarball
# (linux-source-6.1 is in mk/deps.sh; a newer one, if installed, runs too).
KMOD_LINUX_TARS := $(sort $(wildcard /usr/src/linux-source-*.tar.xz))
KMOD_LINUX_TOPS := $(basename $(basename $(notdir $(KMOD_LINUX_TARS))))
KMOD_CPDIR := $(KMOD_OUT)/checkpatch
KMOD_CHECKPATCHES := $(foreach t,$(KMOD_LINUX_TOPS),$(KMOD_CPDIR)/$(t)/checkpatch.pl)

# DKMS: version from dkms.conf; the check uses its own version so it never
# touches a real installation.
KMOD_DKMS_VER := $(shell sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}/\1/p' dkms.conf)
KMOD_DKMS_CHECK_VER := $(KMOD_DKMS_VER).check
KMOD_DKMS_FILES := Kbuild dkms.conf $(KMOD_SRCS) kmod/README.md

# Parser unit tests.
KMOD_TEST := $(ASAN)/kmod/test_seq
KMOD_TEST_REL := $(KMOD_OUT)/test_seq
KMOD_SEQ_DEPS := kmod/espwipe_seq.c kmod/espwipe_seq.h kmod/espwipe_shim.h

# libFuzzer target (clang); check-kmod runs it briefly, fuzz-kmod-seq at length.
KMOD_CLANG := $(shell command -v clang 2>/dev/null)
KMOD_FUZZ := $(KMOD_OUT)/fuzz_seq
KMOD_FUZZ_CORPUS := $(KMOD_OUT)/fuzz-corpus
KMOD_FUZZ_TIME ?= 300
KMOD_FUZZ_CHECK_RUNS ?= 1000000

ALL_TARGETS += $(KMOD_TEST_REL) $(if $(wildcard $(KMOD_KDIR)/Makefile),module)
CHECK_TARGETS += check-kmod $(if $(wildcard tests/system/system.mk),check-kmod-system)

.PHONY: module module-one module-lint module-lint-one module-checkpatch check-kmod \
	check-kmod-kernel-one check-kmod-seq check-kmod-dkms check-kmod-system \
	check-kmod-system-one check-kmod-fuzz fuzz-kmod-seq dkms-install dkms-remove

KMOD_NO_KDIR = { echo "kmod: no kernel build tree for '$(KMOD_KVER)' ($(KMOD_KDIR)); install linux-headers-<version> or set KDIR=" >&2; exit 1; }

module:
	$(call per_kernel,module)

module-one: $(KMOD_KO)

$(KMOD_KO): $(KMOD_SRCS)
	@test -f "$(KMOD_KDIR)/Makefile" || $(KMOD_NO_KDIR)
	@mkdir -p $(KMOD_OBJDIR)
	flock $(KMOD_KOUT)/.build.lock sh -c 'cp -p $(KMOD_SRCS) $(KMOD_OBJDIR)/ && \
		$(KMOD_KMAKE) M=$(abspath $(KMOD_OBJDIR)) modules && \
		cp $(KMOD_OBJDIR)/espwipe.ko $@.tmp && mv $@.tmp $@'
	@modinfo -F vermagic $@ | grep -q '^$(KMOD_KVER) ' || \
		{ echo "kmod: $@ is not for $(KMOD_KVER): $$(modinfo -F vermagic $@)" >&2; rm -f $@; exit 1; }

$(KMOD_CPDIR)/%/checkpatch.pl:
	@mkdir -p $(@D)
	tar -xJf /usr/src/$*.tar.xz -C $(@D) --strip-components=2 \
		$*/scripts/checkpatch.pl $*/scripts/spelling.txt $*/scripts/const_structs.checkpatch
	@touch $@

# checkpatch does not depend on the kernel: once, with each tarball's script.
module-checkpatch: $(KMOD_CHECKPATCHES)
	@test -n "$(KMOD_CHECKPATCHES)" || \
		{ echo "kmod: checkpatch needs /usr/src/linux-source-*.tar.xz (linux-source-6.1)" >&2; exit 1; }
	@for cp in $(KMOD_CHECKPATCHES); do \
		echo "kmod: checkpatch --strict ($$(basename $$(dirname $$cp)))"; \
		perl $$cp --no-tree --strict --quiet -f $(KMOD_LINT_FILES) || \
			{ echo "kmod: lint FAILED (checkpatch)"; exit 1; }; \
	done

# A fresh copy every time, so W=1 and sparse see every file.  The probe
# results (espwipe_compat.h) are printed, to show which form each kernel got.
module-lint-one:
	@test -f "$(KMOD_KDIR)/Makefile" || $(KMOD_NO_KDIR)
	@rm -rf $(KMOD_LINTDIR) && mkdir -p $(KMOD_LINTDIR)
	@cp -p $(KMOD_SRCS) $(KMOD_LINTDIR)/
	@echo "kmod: W=1 C=1 build against $(KMOD_KDIR)"
	@$(KMOD_KMAKE) M=$(abspath $(KMOD_LINTDIR)) W=1 C=1 modules \
		>$(KMOD_LINTDIR)/build.log 2>&1; rc=$$?; \
	grep -E 'warning|error' $(KMOD_LINTDIR)/build.log; \
	if [ $$rc -ne 0 ] || grep -qE 'warning|error' $(KMOD_LINTDIR)/build.log; then \
		cat $(KMOD_LINTDIR)/build.log; echo "kmod: lint FAILED (compiler/sparse, $(KMOD_KVER))"; exit 1; fi
	@echo "kmod: probes on $(KMOD_KVER): $$(grep -oh 'ESPWIPE_HAVE_[A-Z0-9_]*' \
		$(KMOD_LINTDIR)/.espwipe_main.o.cmd | sort -u | tr '\n' ' ')"
	@echo "kmod: W=1 and sparse clean on $(KMOD_KVER)"

module-lint: module-checkpatch
	$(call per_kernel,module-lint)

$(KMOD_TEST): kmod/tests/test_seq.c $(KMOD_SEQ_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Ikmod -o $@ kmod/tests/test_seq.c kmod/espwipe_seq.c \
		$(ASAN_LDFLAGS) -lcmocka

$(KMOD_TEST_REL): kmod/tests/test_seq.c $(KMOD_SEQ_DEPS)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -Ikmod -o $@ kmod/tests/test_seq.c kmod/espwipe_seq.c -lcmocka

check-kmod-seq: $(KMOD_TEST) $(KMOD_TEST_REL)
	$(KMOD_TEST)
	$(KMOD_TEST_REL) >/dev/null 2>&1 || { echo "kmod: test_seq (release build) failed"; exit 1; }

$(KMOD_FUZZ): kmod/tests/fuzz_seq.c $(KMOD_SEQ_DEPS)
	@mkdir -p $(@D)
	$(KMOD_CLANG) -std=c11 -g -O1 $(WARN) -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Ikmod -o $@ kmod/tests/fuzz_seq.c kmod/espwipe_seq.c

check-kmod-fuzz:
	@if [ -z "$(KMOD_CLANG)" ]; then echo "kmod: SKIP fuzz run (no clang)"; exit 0; fi; \
	$(MAKE) --no-print-directory $(KMOD_FUZZ) && mkdir -p $(KMOD_FUZZ_CORPUS) && \
	$(KMOD_FUZZ) -seed=1 -runs=$(KMOD_FUZZ_CHECK_RUNS) $(KMOD_FUZZ_CORPUS) \
		kmod/tests/fuzz-corpus > $(KMOD_OUT)/fuzz-check.log 2>&1 || \
		{ tail -n 30 $(KMOD_OUT)/fuzz-check.log; echo "kmod: fuzz run FAILED"; exit 1; }; \
	echo "kmod: fuzz run passed ($(KMOD_FUZZ_CHECK_RUNS) inputs, $$(ls $(KMOD_FUZZ_CORPUS) | wc -l) in corpus)"

fuzz-kmod-seq: $(KMOD_FUZZ)
	@mkdir -p $(KMOD_FUZZ_CORPUS)
	$(KMOD_FUZZ) -max_total_time=$(KMOD_FUZZ_TIME) $(KMOD_FUZZ_CORPUS) kmod/tests/fuzz-corpus

# Build the tree through DKMS as a package would, for every kernel of KVERS
# (KDIR= is passed as --kernelsourcedir), then remove every trace.  A kernel
# that dkms.conf's BUILD_EXCLUSIVE_* turns away (exit 77) fails the check:
# every kernel here must be one the package supports.
KMOD_DKMS_KSRC := $(if $(KDIR),--kernelsourcedir $(KDIR))
check-kmod-dkms:
	@if [ "$$(id -u)" != 0 ] || ! command -v dkms >/dev/null; then \
		echo "kmod: SKIP dkms build (needs root and dkms)"; exit 0; fi; \
	ver=$(KMOD_DKMS_CHECK_VER); src=/usr/src/espwipe-$$ver; \
	dkms remove -m espwipe -v $$ver --all >/dev/null 2>&1 || true; \
	rm -rf $$src; mkdir -p $$src; \
	tar -cf - $(KMOD_DKMS_FILES) | tar -xf - -C $$src; \
	sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$$ver\"/" $$src/dkms.conf; \
	rc=0; env -u MAKEFLAGS -u MFLAGS dkms add -m espwipe -v $$ver >/dev/null || rc=1; \
	for k in $(KVERS); do \
		[ $$rc -eq 0 ] || break; \
		env -u MAKEFLAGS -u MFLAGS dkms build -m espwipe -v $$ver -k $$k $(KMOD_DKMS_KSRC) \
			> $(KMOD_OUT)/dkms-$$k.log 2>&1 || { rc=$$?; cat $(KMOD_OUT)/dkms-$$k.log; \
			cat /var/lib/dkms/espwipe/$$ver/build/make.log 2>/dev/null; \
			echo "kmod: dkms build for $$k FAILED (exit $$rc)"; break; }; \
		grep -i 'deprecat' $(KMOD_OUT)/dkms-$$k.log && { echo "kmod: dkms warns about dkms.conf"; rc=1; break; }; \
		ko=$$(find /var/lib/dkms/espwipe/$$ver/$$k -name 'espwipe.ko*' | head -n 1); \
		if [ -n "$$ko" ]; then echo "kmod: dkms built $$ko"; else echo "kmod: dkms produced no module for $$k"; rc=1; fi; \
	done; \
	dkms remove -m espwipe -v $$ver --all >/dev/null 2>&1 || true; \
	rm -rf $$src /var/lib/dkms/espwipe/$$ver; \
	rmdir /var/lib/dkms/espwipe 2>/dev/null || true; \
	if [ $$rc -ne 0 ]; then echo "kmod: dkms build FAILED"; exit 1; fi; \
	echo "kmod: dkms build passed on $(KVERS) (and removed)"

# What check-kmod does against each kernel: lint (compiler, sparse) and build.
check-kmod-kernel-one: module-lint-one module-one

check-kmod: check-kmod-seq check-kmod-fuzz module-checkpatch check-kmod-dkms
	$(call per_kernel,check-kmod-kernel)
	@echo "kmod: all checks passed ($(KVERS))"

dkms-install:
	@test "$$(id -u)" = 0 || { echo "kmod: dkms-install needs root" >&2; exit 1; }
	dkms remove -m espwipe -v $(KMOD_DKMS_VER) --all >/dev/null 2>&1 || true
	rm -rf /usr/src/espwipe-$(KMOD_DKMS_VER)
	mkdir -p /usr/src/espwipe-$(KMOD_DKMS_VER)
	tar -cf - $(KMOD_DKMS_FILES) | tar -xf - -C /usr/src/espwipe-$(KMOD_DKMS_VER)
	dkms add -m espwipe -v $(KMOD_DKMS_VER)
	for k in $(KVERS); do dkms install -m espwipe -v $(KMOD_DKMS_VER) -k $$k $(KMOD_DKMS_KSRC) || exit 1; done

dkms-remove:
	@test "$$(id -u)" = 0 || { echo "kmod: dkms-remove needs root" >&2; exit 1; }
	dkms remove -m espwipe -v $(KMOD_DKMS_VER) --all || true
	rm -rf /usr/src/espwipe-$(KMOD_DKMS_VER)

# The module's own guest scenarios, on tests/system's harness: its initramfs,
# plus an appended cpio whose /bin/scenarios.sh is theirs followed by ours
# (the kernel unpacks both; the later file wins).  SYS_* come from
# tests/system/system.mk, read at run time.
KMOD_SYS_OUT := $(KMOD_KOUT)/system
KMOD_SYS_INITRD := $(KMOD_SYS_OUT)/initramfs.cpio
KMOD_SYS_TIMEOUT ?= 900

check-kmod-system:
	$(call per_kernel,check-kmod-system)

check-kmod-system-one: $(KMOD_KO)
	@test -f tests/system/system.mk || { echo "kmod: SKIP system scenarios (no tests/system)"; exit 0; }
	@$(MAKE) --no-print-directory $(SYS_BRIDGE) $(SYS_TTYLINES)
	@test -n "$(SYS_KVER)" || { echo "kmod: no Debian kernel image for the guest" >&2; exit 1; }
	@rm -rf $(KMOD_SYS_OUT)/overlay && mkdir -p $(KMOD_SYS_OUT)/overlay/bin
	ESPSYS_MODDIR=$(SYS_MODDIR) sh tests/system/mkinitramfs.sh $(KMOD_SYS_INITRD) $(SYS_KVER) \
		$(SYS_BRIDGE) $(SYS_TTYLINES) $(KMOD_KO)
	cat tests/system/scenarios.sh kmod/tests/guest-kmod.sh > $(KMOD_SYS_OUT)/overlay/bin/scenarios.sh
	chmod 755 $(KMOD_SYS_OUT)/overlay/bin/scenarios.sh
	(cd $(KMOD_SYS_OUT)/overlay && find . | LC_ALL=C sort | cpio -o -H newc --quiet) \
		>> $(KMOD_SYS_INITRD)
	$(SYS_PY) kmod/tests/run_system.py --kernel $(SYS_KERNEL) --initrd $(KMOD_SYS_INITRD) \
		--group kmod-extra --timeout $(KMOD_SYS_TIMEOUT) --out $(KMOD_SYS_OUT) \
		$(if $(KMOD_SYS_ONLY),--only '$(KMOD_SYS_ONLY)')
