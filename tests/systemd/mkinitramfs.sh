#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the systemd guest's tiny initramfs (uncompressed newc cpio): busybox,
# the modules needed to reach the host's root over 9p (virtio-pci) and to put
# a tmpfs overlay on it, and /init (init.sh).
#
#   mkinitramfs.sh OUT.cpio KVER
set -eu

out=$1; kver=$2
here=$(cd "$(dirname "$0")" && pwd)
moddir=/lib/modules/$kver
stage=$(dirname "$out")/initramfs
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib/modules" "$stage/proc" "$stage/sys" "$stage/dev" \
	"$stage/lower" "$stage/rw" "$stage/newroot"

cp /bin/busybox "$stage/bin/busybox"
cp "$here/init.sh" "$stage/init"
chmod 755 "$stage/init"

# The wanted modules and what modules.dep says they need, dependencies first.
wanted="virtio_pci 9pnet_virtio 9p overlay"
order=$stage/lib/modules/order
: > "$order"
add_module() {
	local rel name deps d
	rel=$1
	name=$(basename "$rel"); name=${name%%.ko*}
	grep -qx "$name" "$order" && return 0
	deps=$(grep -E "^$rel:" "$moddir/modules.dep" | cut -d: -f2)
	# the deepest dependency is listed last: load from the end
	for d in $(echo $deps | tr ' ' '\n' | sed '1!G;h;$!d'); do
		add_module "$d"
	done
	case $rel in
	*.ko.xz) xz -dc "$moddir/$rel" > "$stage/lib/modules/$name.ko" ;;
	*.ko.zst) zstd -qdc "$moddir/$rel" > "$stage/lib/modules/$name.ko" ;;
	*.ko.gz) gzip -dc "$moddir/$rel" > "$stage/lib/modules/$name.ko" ;;
	*) cp "$moddir/$rel" "$stage/lib/modules/$name.ko" ;;
	esac
	echo "$name" >> "$order"
}
for m in $wanted; do
	rel=$(grep -oE "^[^:]*/$m\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n1 | tr -d :)
	if [ -z "$rel" ]; then
		echo "tests/systemd/mkinitramfs: module $m not in $moddir/modules.dep" >&2
		exit 1
	fi
	add_module "$rel"
done

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out"
