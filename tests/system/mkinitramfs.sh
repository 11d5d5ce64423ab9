#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the system-test guest's initramfs (an uncompressed newc cpio).
#
#   mkinitramfs.sh OUT.cpio KVER FILE...
#
# FILE arguments are copied to /bin (executables, with the shared libraries
# ldd lists and the loader) or /lib/modules (*.ko, which must be built for
# KVER).  Missing FILEs are skipped so optional parts (espwipe, espwipe.ko)
# simply do not exist in the guest.  The kernel's own modules come from
# /lib/modules/KVER, or ESPSYS_MODDIR (a modules directory with modules.dep,
# e.g. a `make modules_install` tree); modules it has built in are skipped.
set -eu

out=$1; kver=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/kmods.sh"
# ESPSYS_MODDIR: modules from another tree (tests/debugkernel: its modules_install)
moddir=${ESPSYS_MODDIR:-/lib/modules/$kver}
stage=$(dirname "$out")/initramfs
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib/modules" "$stage/proc" "$stage/sys" "$stage/dev" \
	"$stage/tmp" "$stage/ffs" "$stage/etc"

cp /bin/busybox "$stage/bin/busybox"
cp "$here/guest-init.sh" "$stage/init"
cp "$here/scenarios.sh" "$stage/bin/scenarios.sh"
chmod 755 "$stage/init" "$stage/bin/scenarios.sh"

# Kernel modules: the wanted ones and everything modules.dep says they need,
# dependencies first; .ko.xz/.ko.zst are decompressed here (busybox insmod
# in the guest takes plain ELF).
wanted="usb-common usbcore udc-core dummy_hcd configfs libcomposite usb_f_fs usbserial ch341 cp210x"
stage_modules "$stage" "$moddir" $wanted || exit 1

copy_lib() {
	src=$1
	dst=$stage$src
	[ -e "$dst" ] && return 0
	mkdir -p "$(dirname "$dst")"
	cp -L "$src" "$dst"
}
for f in "$@"; do
	[ -e "$f" ] || continue
	case $f in
	*.ko)
		# A module built for another kernel would only fail in the guest
		# ("invalid module format"): refuse it here, naming both.
		vm=$(modinfo -F vermagic "$f" 2>/dev/null | cut -d' ' -f1)
		if [ "$vm" != "$kver" ]; then
			echo "mkinitramfs: $f is built for '${vm:-?}', the guest boots $kver" >&2
			exit 1
		fi
		cp "$f" "$stage/lib/modules/"
		;;
	*)
		cp "$f" "$stage/bin/"
		# "libx.so => /path (addr)" and the bare loader line "/lib64/ld-linux... (addr)"
		for lib in $(ldd "$f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
			copy_lib "$lib"
		done
		;;
	esac
done

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out"
