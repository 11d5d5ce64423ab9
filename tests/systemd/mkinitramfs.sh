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
. "$here/../lib/kmods.sh"
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
stage_modules "$stage" "$moddir" $wanted || exit 1

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out"
