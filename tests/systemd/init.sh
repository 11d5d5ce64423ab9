#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the systemd guest: the host's root (9p, read-only) under a tmpfs
# overlay, the staged test files (espsd.stage=DIR on the host) copied on top,
# then the real systemd.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

die() {
	echo "espsd-init: $*"
	echo "@@FATAL init: $*" > /dev/ttyS1
	poweroff -f
}

for m in $(cat /lib/modules/order); do
	insmod /lib/modules/$m.ko || die "insmod $m failed"
done
STAGE=
for arg in $(cat /proc/cmdline); do
	case $arg in
	espsd.stage=*) STAGE=${arg#espsd.stage=} ;;
	esac
done
[ -n "$STAGE" ] || die "no espsd.stage= on the kernel command line"

# virtio-pci probes asynchronously: wait (bounded) for the 9p channel.
i=0
until mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose \
		hostroot /lower 2> /dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "cannot mount the 9p share hostroot"
	sleep 0.05
done
mount -t tmpfs -o mode=0755 tmpfs /rw || die "tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	die "overlay mount failed"
[ -d "/newroot$STAGE" ] || die "stage $STAGE not visible through 9p"
cp -a "/newroot$STAGE/." /newroot/ || die "copying the stage failed"
# The host is a container: its marker files would make systemd believe it runs
# in one too (it then ignores the kernel command line and skips udevd).
rm -f /newroot/.dockerenv /newroot/run/.containerenv

umount /proc /sys
mount --move /dev /newroot/dev 2> /dev/null || umount /dev
exec switch_root /newroot /lib/systemd/systemd
