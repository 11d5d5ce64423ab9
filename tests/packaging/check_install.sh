#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make install` into a temporary DESTDIR with a non-default PREFIX: exactly
# the expected files, with the right modes, the unit pointing at this
# PREFIX; then `make uninstall` must leave no file behind.
# Usage: check_install.sh MAKE   (run from the top of the tree)
set -eu
make_cmd=${1:-make}
prefix=/opt/espwipe-check
dest=$(mktemp -d "${TMPDIR:-/tmp}/espwipe-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT INT TERM
fail() { echo "check-install: FAIL: $*" >&2; exit 1; }

udevdir=$(pkg-config --variable=udevdir udev 2>/dev/null || true)
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || true)
[ -n "$udevdir" ] || udevdir=$( [ -d /lib/udev/rules.d ] && echo /lib/udev || echo /usr/lib/udev)
[ -n "$unitdir" ] || unitdir=$( [ -d /lib/systemd/system ] && echo /lib/systemd/system || echo /usr/lib/systemd/system)

# What must be there: mode and path.  udev/ files only once they exist.
expect=$dest/expected
{
	echo "755 $prefix/bin/espwipe"
	echo "644 $prefix/share/man/man1/espwipe.1"
	echo "644 $prefix/share/bash-completion/completions/espwipe"
	for f in 60-espwipe.rules 61-espwipe-autowipe.rules; do
		[ -f "udev/$f" ] && echo "644 $udevdir/rules.d/$f"
	done
	[ -f udev/espwipe-autowipe@.service ] && echo "644 $unitdir/espwipe-autowipe@.service"
	[ -f udev/autowipe.conf.example ] && echo "644 $prefix/share/doc/espwipe/autowipe.conf.example"
	[ -f udev/README.md ] && echo "644 $prefix/share/doc/espwipe/udev/README.md"
} | LC_ALL=C sort > "$expect"

$make_cmd --no-print-directory -s install DESTDIR="$dest/root" PREFIX="$prefix" >/dev/null
(cd "$dest/root" && find . \( -type f -o -type l \) -printf '%m /%P\n') | LC_ALL=C sort > "$dest/got"
if ! diff -u "$expect" "$dest/got"; then
	fail "installed files differ from the expected list (- expected, + installed)"
fi
echo "check-install: $(wc -l < "$dest/got") files installed as expected under DESTDIR"

"$dest/root$prefix/bin/espwipe" --version | grep -q '^espwipe ' || fail "installed binary does not run"
unit=$dest/root$unitdir/espwipe-autowipe@.service
if [ -f "$unit" ]; then
	grep -q "^ExecStart=$prefix/bin/espwipe " "$unit" || fail "unit ExecStart does not use $prefix/bin/espwipe"
	! grep -q '/usr/bin/espwipe' "$unit" || fail "unit still names /usr/bin/espwipe"
fi
grep -q '^\.TH "\{0,1\}espwipe' "$dest/root$prefix/share/man/man1/espwipe.1" || fail "man page is not a man page"

$make_cmd --no-print-directory -s uninstall DESTDIR="$dest/root" PREFIX="$prefix" >/dev/null
left=$(cd "$dest/root" && find . \( -type f -o -type l \) -printf '/%P\n')
[ -z "$left" ] || fail "uninstall left: $left"
[ ! -e "$dest/root$prefix/share/doc/espwipe" ] || fail "uninstall left $prefix/share/doc/espwipe"
echo "check-install: uninstall removed every file"
echo "check-install: passed"
