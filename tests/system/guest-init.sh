#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the system-test guest: mount the basics, load the USB gadget and
# usb-serial modules, run the scenario group named on the kernel command line
# (espsys.group=, espsys.only=), report on /dev/ttyS1 and power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp

for m in $(cat /lib/modules/order); do
	case $m in
	dummy_hcd) insmod /lib/modules/$m.ko num=4 ;;
	*) insmod /lib/modules/$m.ko ;;
	esac || echo "init: insmod $m failed"
done
mount -t configfs configfs /sys/kernel/config

OUT=/dev/ttyS1
stty -F $OUT raw -echo 2>/dev/null
GROUP=; ONLY=
for arg in $(cat /proc/cmdline); do
	case $arg in
	espsys.group=*) GROUP=${arg#espsys.group=} ;;
	espsys.only=*) ONLY=${arg#espsys.only=} ;;
	espsys.cycles=*) SOAK_CYCLES=${arg#espsys.cycles=} ;;
	espsys.seed=*) SOAK_SEED=${arg#espsys.seed=} ;;
	espsys.reps=*) BENCH_REPS=${arg#espsys.reps=} ;;
	esac
done

# The first getrandom() of the boot (json-c seeds its hash with it) would
# otherwise wait about a second for the CRNG inside the first timed scenario.
dd if=/dev/random of=/dev/null bs=1 count=1 2> /dev/null

. /bin/scenarios.sh
echo "@@BOOTED $(uname -r)" > $OUT
run_group "$GROUP" "$ONLY" 2>&1
# Optional step after the group, if the scenarios define one (tests/debugkernel:
# the kmemleak scan).
! type post_group > /dev/null 2>&1 || post_group 2>&1
echo "@@DONE" > $OUT
sync
poweroff -f
