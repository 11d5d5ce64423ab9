#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Check what `make deb` built: lintian shows no error or warning, both
# packages hold the files they must, and the packaged espwipe (extracted, not
# installed) wipes the emulated board.
# Usage: check_deb.sh build/deb/espwipe_<ver>_<arch>.changes build/espemu
set -eu
changes=$1
espemu=$2
out=$(dirname "$changes")
fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }
[ -f "$changes" ] || fail "no $changes (did make deb run?)"

ver=$(sed -n 's/^Version: //p' "$changes")
uver=${ver%-*}
arch=$(sed -n 's/^Architecture: //p' "$changes" | tr ' ' '\n' | grep -v '^all$' | head -n 1)
tool=$out/espwipe_${ver}_$arch.deb
dkms=$out/espwipe-dkms_${ver}_all.deb
[ -f "$tool" ] || fail "no $tool"
[ -f "$dkms" ] || fail "no $dkms"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/espwipe-deb.XXXXXX")
emu_pid=
cleanup() {
	[ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# 1. lintian at its default level: any E: or W: line fails.
lintian "$changes" > "$tmp/lintian.txt" 2>"$tmp/lintian.err" || true
grep -v 'running with root privileges' "$tmp/lintian.err" >&2 || true
if grep -E '^(E|W): ' "$tmp/lintian.txt"; then
	fail "lintian reports errors or warnings (above)"
fi
echo "check-deb: lintian: no errors or warnings ($(wc -l < "$tmp/lintian.txt") other lines)"

# 2. Contents.  Paths end the line in dpkg-deb -c; the udev/ files are
# expected once they exist in the source tree.
dpkg-deb -c "$tool" | awk '{print $NF}' | sed 's|^\./|/|' > "$tmp/tool.list"
dpkg-deb -c "$dkms" | awk '{print $NF}' | sed 's|^\./|/|' > "$tmp/dkms.list"
need() { # need LIST REGEX...
	list=$1
	shift
	for re in "$@"; do
		grep -qE "^$re\$" "$tmp/$list.list" || fail "$list package lacks $re"
	done
}
need tool /usr/bin/espwipe /usr/share/man/man1/espwipe\\.1\\.gz \
	/usr/share/bash-completion/completions/espwipe /usr/share/doc/espwipe/copyright
for f in 60-espwipe.rules 61-espwipe-autowipe.rules; do
	[ -f "udev/$f" ] && need tool "(/usr)?/lib/udev/rules\\.d/$f"
done
[ -f udev/espwipe-autowipe@.service ] && need tool "(/usr)?/lib/systemd/system/espwipe-autowipe@\\.service"
[ -f udev/autowipe.conf.example ] && need tool /usr/share/doc/espwipe/autowipe\\.conf\\.example
[ -f udev/README.md ] && need tool /usr/share/doc/espwipe/udev/README\\.md
src=/usr/src/espwipe-$uver
need dkms "$src/dkms\\.conf" "$src/Kbuild" "$src/kmod/Kbuild" "$src/kmod/espwipe_main\\.c" \
	"$src/kmod/espwipe_seq\\.c" "$src/kmod/espwipe_seq\\.h" "$src/kmod/espwipe_ids\\.c" \
	"$src/kmod/espwipe_shim\\.h" "$src/kmod/espwipe_compat\\.h"
# No build output, no test or emulator code in either package.
if grep -E '\.(o|ko|a)$|/tests?/|espemu' "$tmp/tool.list" "$tmp/dkms.list"; then
	fail "build output or test files in a package (above)"
fi
dpkg-deb -f "$dkms" Depends | grep -q 'dkms' || fail "espwipe-dkms does not depend on dkms"
dpkg-deb -f "$tool" Depends | grep -q 'libudev1' || fail "espwipe's Depends lack the shlibs (libudev1)"
dpkg-deb -e "$dkms" "$tmp/dkms-ctl"
grep -q 'DKMS_VERSION=' "$tmp/dkms-ctl/postinst" || fail "espwipe-dkms postinst does not register with DKMS"
dpkg-deb -x "$dkms" "$tmp/dkms-root"
grep -q "^PACKAGE_VERSION=\"\\{0,1\\}$uver\"\\{0,1\\}\$" "$tmp/dkms-root$src/dkms.conf" ||
	fail "$src/dkms.conf does not say PACKAGE_VERSION=$uver"
echo "check-deb: contents: $(grep -vc '/$' "$tmp/tool.list") entries in espwipe, dkms source in $src"

# 3. The packaged binary wipes the emulated board.
dpkg-deb -x "$tool" "$tmp/root"
"$espemu" --start-mode=loader --flash-prefill=true --time-scale=200 > "$tmp/emu.out" 2>"$tmp/emu.err" &
emu_pid=$!
i=0
while [ ! -s "$tmp/emu.out" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
pty=$(head -n 1 "$tmp/emu.out")
[ -c "$pty" ] || fail "espemu printed no pty ($(cat "$tmp/emu.err"))"
rc=0
timeout 60 "$tmp/root/usr/bin/espwipe" erase -p "$pty" --reset none --json > "$tmp/wipe.json" 2>"$tmp/wipe.err" || rc=$?
kill "$emu_pid" 2>/dev/null || true
wait "$emu_pid" 2>/dev/null || true
emu_pid=
if [ $rc -ne 0 ]; then
	cat "$tmp/wipe.err" >&2
	fail "packaged espwipe erase exited $rc"
fi
grep -q '"event":"result"' "$tmp/wipe.json" || fail "no result event from the packaged espwipe"
echo "check-deb: packaged espwipe erased the emulated board: $(grep '"event":"result"' "$tmp/wipe.json" | \
	sed 's/.*"erased":\({[^}]*}\).*/erased \1/')"
echo "check-deb: passed"
