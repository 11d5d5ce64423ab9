# SPDX-License-Identifier: GPL-2.0-or-later
# Installation, the man page and the bash completion.  Included from the top
# Makefile.
#
#   make install        PREFIX (default /usr/local) and DESTDIR are honoured
#   make uninstall      removes exactly what install put there
#   make man            build/espwipe.1 from man/espwipe.1.scd (scdoc)
#   make check-install  install into a temporary DESTDIR, compare the file list,
#                       uninstall, check nothing is left
#   make check-man      --help and the man page name the same options
#   make check-completion  the bash completion, driven as bash would
#
# The udev rules and the systemd unit go where udev and systemd read them
# (pkg-config's udevdir and systemdsystemunitdir, under DESTDIR), not under
# PREFIX: /usr/local/lib/udev is never read.  Override with UDEVRULESDIR= and
# SYSTEMDUNITDIR=.

BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/espwipe
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions

# pkg-config first; else the directory this system has (merged /usr or not).
INST_UDEVDIR := $(shell pkg-config --variable=udevdir udev 2>/dev/null)
ifeq ($(INST_UDEVDIR),)
INST_UDEVDIR := $(if $(wildcard /lib/udev/rules.d),/lib/udev,/usr/lib/udev)
endif
INST_UNITDIR := $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
ifeq ($(INST_UNITDIR),)
INST_UNITDIR := $(if $(wildcard /lib/systemd/system),/lib/systemd/system,/usr/lib/systemd/system)
endif
UDEVRULESDIR ?= $(INST_UDEVDIR)/rules.d
SYSTEMDUNITDIR ?= $(INST_UNITDIR)

INST_MAN := $(BUILD)/espwipe.1
INST_SCDOC := $(shell command -v scdoc 2>/dev/null)
# udev/ is written in parallel with this file: install what exists.
INST_RULES := $(wildcard udev/60-espwipe.rules udev/61-espwipe-autowipe.rules)
INST_UNITS := $(wildcard udev/espwipe-autowipe@.service)
INST_DOCS := $(wildcard udev/autowipe.conf.example)
INST_UDEV_README := $(wildcard udev/README.md)

ALL_TARGETS += $(if $(INST_SCDOC),$(INST_MAN))
INSTALL_TARGETS += install-espwipe install-man install-completion install-udev
CHECK_TARGETS += check-install check-man check-completion

.PHONY: uninstall man install-espwipe install-man install-completion install-udev \
	check-install check-man check-completion

man: $(INST_MAN)

$(INST_MAN): man/espwipe.1.scd
	@test -n "$(INST_SCDOC)" || { echo "man: scdoc is missing (apt-get install scdoc)" >&2; exit 1; }
	@mkdir -p $(@D)
	scdoc < $< > $@.tmp && mv $@.tmp $@

install-espwipe: $(BUILD)/espwipe
	install -D -m 0755 $(BUILD)/espwipe $(DESTDIR)$(BINDIR)/espwipe

install-man: $(INST_MAN)
	install -D -m 0644 $(INST_MAN) $(DESTDIR)$(MANDIR)/man1/espwipe.1

install-completion:
	install -D -m 0644 completion/espwipe.bash $(DESTDIR)$(BASHCOMPDIR)/espwipe

# The unit names /usr/bin/espwipe and /usr/share/doc/espwipe; point it at
# this PREFIX's copies.
install-udev:
	$(if $(INST_RULES),install -d $(DESTDIR)$(UDEVRULESDIR))
	$(if $(INST_RULES),install -m 0644 $(INST_RULES) $(DESTDIR)$(UDEVRULESDIR)/)
	$(foreach u,$(INST_UNITS),install -d $(DESTDIR)$(SYSTEMDUNITDIR) && \
		sed -e 's|/usr/bin/espwipe|$(BINDIR)/espwipe|g' \
		-e 's|/usr/share/doc/espwipe|$(DOCDIR)|g' $(u) > $(DESTDIR)$(SYSTEMDUNITDIR)/$(notdir $(u)) && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$(notdir $(u));)
	$(if $(INST_DOCS),install -D -m 0644 $(INST_DOCS) -t $(DESTDIR)$(DOCDIR))
	$(if $(INST_UDEV_README),install -D -m 0644 $(INST_UDEV_README) $(DESTDIR)$(DOCDIR)/udev/README.md)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/espwipe $(DESTDIR)$(MANDIR)/man1/espwipe.1 \
		$(DESTDIR)$(BASHCOMPDIR)/espwipe
	rm -f $(addprefix $(DESTDIR)$(UDEVRULESDIR)/,60-espwipe.rules 61-espwipe-autowipe.rules) \
		$(DESTDIR)$(SYSTEMDUNITDIR)/espwipe-autowipe@.service
	rm -f $(DESTDIR)$(DOCDIR)/autowipe.conf.example $(DESTDIR)$(DOCDIR)/udev/README.md
	rmdir $(DESTDIR)$(DOCDIR)/udev $(DESTDIR)$(DOCDIR) 2>/dev/null || true

check-install: $(BUILD)/espwipe $(INST_MAN)
	@sh tests/packaging/check_install.sh "$(MAKE)"

check-man: $(BUILD)/espwipe $(INST_MAN)
	@/usr/bin/python3 tests/packaging/check_man.py --selftest
	@/usr/bin/python3 tests/packaging/check_man.py $(BUILD)/espwipe man/espwipe.1.scd \
		userspace/exitcode.h

check-completion:
	@bash tests/packaging/test_completion.sh completion/espwipe.bash
