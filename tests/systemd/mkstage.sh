#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Lay out the files the systemd guest copies over the host's root (its /init
# does `cp -a STAGE/. /`):
#
#   mkstage.sh STAGE ESPWIPE ESPWIPE.KO ESPBRIDGE [KVER MODDIR]
#
# the tool as /usr/bin/espwipe, the project's udev rules and unit as an admin
# would install them (/etc/udev/rules.d, /etc/systemd/system), the module and
# the bridge for the driver, the driver and its units, the masks.  A MODDIR
# other than /lib/modules/KVER (a kernel's modules_install tree) becomes the
# symlink /usr/lib/modules/KVER, so modprobe in the guest finds its modules.
set -eu
stage=$1; espwipe=$2; ko=$3; bridge=$4; kver=${5:-}; moddir=${6:-}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
for f in "$espwipe" "$ko" "$bridge" "$top/udev/60-espwipe.rules" \
		"$top/udev/61-espwipe-autowipe.rules" "$top/udev/espwipe-autowipe@.service"; do
	[ -e "$f" ] || { echo "tests/systemd: $f is missing" >&2; exit 1; }
done
rm -rf "$stage"
mkdir -p "$stage/usr/bin" "$stage/usr/local/lib/espsd" "$stage/etc/udev/rules.d" \
	"$stage/etc/systemd/system" "$stage/etc/systemd/journald.conf.d" "$stage/etc/espwipe"
install -m 0755 "$espwipe" "$stage/usr/bin/espwipe"
install -m 0644 "$ko" "$stage/usr/local/lib/espsd/espwipe.ko"
install -m 0755 "$bridge" "$stage/usr/local/lib/espsd/espbridge"
install -m 0755 "$here/guest/driver.py" "$stage/usr/local/lib/espsd/driver.py"
install -m 0644 "$top/udev/60-espwipe.rules" "$top/udev/61-espwipe-autowipe.rules" \
	"$stage/etc/udev/rules.d/"
install -m 0644 "$top/udev/espwipe-autowipe@.service" "$stage/etc/systemd/system/"
install -m 0644 "$here/guest/espsd-test.target" "$here/guest/espsd-driver.service" \
	"$stage/etc/systemd/system/"
install -m 0644 "$here/guest/journald-espsd.conf" "$stage/etc/systemd/journald.conf.d/espsd.conf"
grep -v -e '^#' -e '^$' "$here/guest/masked.list" | while read -r u; do
	ln -sf /dev/null "$stage/etc/systemd/system/$u"
done
# no fstab entries, no host-specific enablement
: > "$stage/etc/fstab"
if [ -n "$kver" ] && [ -n "$moddir" ] && [ "$moddir" != "/lib/modules/$kver" ] &&
		[ "$moddir" != "/usr/lib/modules/$kver" ]; then
	[ -f "$moddir/modules.dep" ] || { echo "tests/systemd: no $moddir/modules.dep" >&2; exit 1; }
	mkdir -p "$stage/usr/lib/modules"
	ln -s "$(cd "$moddir" && pwd)" "$stage/usr/lib/modules/$kver"
fi
