#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The initramfs for the udev guest scenarios (udev/tests/guest-udev.sh):
#
#   mkguest.sh OUT.cpio KVER FILE...
#
# It is the system tests' own initramfs, built by tests/system/mkinitramfs.sh
# (unchanged) with udevadm added to its FILEs, followed by a second cpio
# archive that the kernel unpacks on top of it: systemd-udevd (udevadm under
# that name), 60-serial.rules, 99-systemd.rules and espwipe's two rules files,
# users (lab in dialout, other not), and /bin/scenarios.sh = the system tests'
# scenarios with run_group renamed base_run_group, then guest-udev.sh.
set -eu

out=$1; kver=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dir=$(dirname "$out")
mkdir -p "$dir"
udevadm=$(command -v udevadm)

sh "$top/tests/system/mkinitramfs.sh" "$dir/base.cpio" "$kver" "$@" "$udevadm"

stage=$dir/overlay
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib/systemd" "$stage/lib/udev/rules.d" "$stage/etc/udev" "$stage/run"
ln -s /bin/udevadm "$stage/lib/systemd/systemd-udevd"
for r in 60-serial.rules 99-systemd.rules; do
	cp "/lib/udev/rules.d/$r" "$stage/lib/udev/rules.d/"
done
cp "$top/udev/60-espwipe.rules" "$top/udev/61-espwipe-autowipe.rules" "$stage/lib/udev/rules.d/"
cat > "$stage/etc/passwd" <<'PASSWD'
root:x:0:0:root:/:/bin/sh
lab:x:1000:1000:lab user in dialout:/tmp:/bin/sh
other:x:1001:1001:user outside dialout:/tmp:/bin/sh
PASSWD
cat > "$stage/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
dialout:x:20:lab
lab:x:1000:
other:x:1001:
GROUP
sed 's/^run_group() {$/base_run_group() {/' "$top/tests/system/scenarios.sh" > "$stage/bin/scenarios.sh"
grep -q '^base_run_group() {$' "$stage/bin/scenarios.sh" || {
	echo "mkguest: run_group() not found in tests/system/scenarios.sh" >&2
	exit 1
}
cat "$here/guest-udev.sh" >> "$stage/bin/scenarios.sh"
chmod 755 "$stage/bin/scenarios.sh"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$dir/overlay.cpio"
cat "$dir/base.cpio" "$dir/overlay.cpio" > "$out"
