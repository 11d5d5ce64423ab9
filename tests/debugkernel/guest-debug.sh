# SPDX-License-Identifier: GPL-2.0-or-later
# Debug-kernel additions to the system-test guest, appended to
# /bin/scenarios.sh (after tests/system/scenarios.sh and, for the kmod group,
# kmod/tests/guest-kmod.sh).  Sourced by /init before run_group:
#  - every scenario's dmesg check also fails on the debug detectors' reports;
#  - timing limits that the debug options stretch by design are widened;
#  - post_group (called by /init after the group) runs the debug-only
#    scenarios (after the system group) and the pseudo-scenario debug-after:
#    kmemleak (boot-time suspects are cleared now) must find nothing the
#    group left, and lockdep and KFENCE must still be on.

# The detectors' report headers (BUG:, WARNING: and lockdep are already in).
BAD_DMESG="$BAD_DMESG|KASAN|KFENCE|UBSAN|ODEBUG|inconsistent lock state|suspicious RCU usage"
BAD_DMESG="$BAD_DMESG|possible recursive locking|blocked for more than|soft lockup"
BAD_DMESG="$BAD_DMESG|rcu_preempt detected stall|list_add corruption|list_del corruption"
BAD_DMESG="$BAD_DMESG|refcount_t:|general protection fault|Kernel panic|kmemleak: .*leak"

# CONFIG_DEBUG_KOBJECT_RELEASE releases every kobject 1-4 s late, and
# rmmod waits for the module's own (kernel/module/sysfs.c: mod_kobject_put),
# which its children drivers/ and holders/ pin until their own delayed
# release: up to 8 s (measured 6.3-8.4 s), against < 1 s otherwise.
RMMOD_MAX_US=10000000

# A control request takes about 1.2 ms from tiocmset() to the bridge here,
# 0.26 ms on the production kernel (measured back to back, both 6.12).  A
# sequence that releases EN in one request and pulls GPIO0 low in the next
# (kmod-custom: "D1|R0") then loses the race against the emulated board's
# EN RC (1 ms): widen the RC so the request count and holds are what is
# tested, as on the production kernel.
ESPSYS_EMU_OPTS="en-rc-us=5000"

DEBUGK_KMEMLEAK=/sys/kernel/debug/kmemleak
mount -t debugfs debugfs /sys/kernel/debug 2> /dev/null

debugk_uptime() { cut -d. -f1 /proc/uptime; }

# Scan twice (an object is reported only once it is older than 5 s and
# unreferenced in a full scan) and keep the list in $1.
debugk_scan() {
	echo scan > $DEBUGK_KMEMLEAK
	sleep 1
	echo scan > $DEBUGK_KMEMLEAK
	cat $DEBUGK_KMEMLEAK > "$1"
}

# Baseline: what boot itself left (kernel, not ours) is cleared, after every
# boot-time object is old enough to be judged (guest clock; -icount
# sleep=off skips idle time, so this costs no host time).
DEBUGK_BOOT_LEAKS=
if [ -e $DEBUGK_KMEMLEAK ]; then
	while [ "$(debugk_uptime)" -lt 7 ]; do sleep 1; done
	debugk_scan /tmp/kmemleak.boot
	DEBUGK_BOOT_LEAKS=$(grep -c '^unreferenced object' /tmp/kmemleak.boot)
	echo clear > $DEBUGK_KMEMLEAK
fi

# Debug-only scenario, after the system group.  An unplug while two
# store()s are inside enter_bootloader: one running its sequence, one queued
# on run_lock.  The writers run under SCHED_IDLE (idlerun), so the removal
# (usb's hub_event, a normal kworker) gets to sysfs_remove_group() before
# either has returned, and the group's drain really waits for them: only then
# does kernfs tell lockdep about the attributes' active references
# (fs/kernfs/dir.c: kernfs_drain()), so only then does a lock taken both
# inside a store() and around the removal show up (planted/
# lock-inversion-sysfs.patch).  In kmod-unplug the aborted writer is usually
# gone before the removal gets there.
s_dk_unplug_busy() {
	local chip=$1 a p1 p2 r1 r2
	need_kmod || return
	command -v idlerun > /dev/null || { skip "no idlerun in the initramfs"; return; }
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	a=$(attr_of $TTY_b0)
	wait_attr $TTY_b0 || fail "no $a"
	idlerun sh -c "echo '$SEQ_LONG' > $a" 2> /tmp/dk.w1 &
	p1=$!
	bridge_wait b0 'dtr=0 rts=1' 250 || fail "the sequence did not start"
	idlerun sh -c "echo 1 > $a" 2> /tmp/dk.w2 &
	p2=$!
	sleep 0.1
	echo "" > $CFG/b0/UDC
	wait $p1
	r1=$?
	wait $p2
	r2=$?
	fact write_rc "$r1 $r2"
	fact write_err "$(cat /tmp/dk.w1) / $(cat /tmp/dk.w2)"
	grep -q "No such device" /tmp/dk.w1 || fail "running writer: rc=$r1 $(cat /tmp/dk.w1)"
	grep -q "No such device" /tmp/dk.w2 || fail "queued writer: rc=$r2 $(cat /tmp/dk.w2)"
	[ -e "$a" ] && fail "attribute still present after unplug"
	gadget_down b0
}

post_group() {
	local chip
	if [ "$GROUP" = check ]; then
		for chip in ch340 cp2102; do
			scenario dk-unplug-busy-$chip s_dk_unplug_busy $chip
		done
	fi
	debugk_after
}

debugk_after() {
	local n
	SCN=debug-after
	VERDICT=PASS
	REASON=
	out "@@BEGIN $SCN"
	case $(uname -r) in
	*-espdebug) ;;
	*)
		# the self-test's comparison run on a production kernel
		out "@@END $SCN SKIP not the debug kernel ($(uname -r))"
		return
		;;
	esac
	if [ ! -e $DEBUGK_KMEMLEAK ]; then
		fail "no $DEBUGK_KMEMLEAK (kernel without CONFIG_DEBUG_KMEMLEAK, or kmemleak disabled itself)"
		dmesg | grep -i kmemleak | tail -n 3 | while read -r l; do out "@@DMESG $SCN $l"; done
		out "@@END $SCN $VERDICT $REASON"
		return
	fi
	fact boot_suspects_cleared "$DEBUGK_BOOT_LEAKS"
	# the detectors must still be on: lockdep turns itself off after its
	# first report (or a taint that makes it unreliable), KFENCE on errors
	n=$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats 2> /dev/null)
	fact lockdep_debug_locks "${n:-none}"
	[ "$n" = 1 ] || fail "lockdep is off (debug_locks=${n:-no /proc/lockdep_stats})"
	n=$(sed -n 's/^enabled: *//p' /sys/kernel/debug/kfence/stats 2> /dev/null)
	fact kfence_enabled "${n:-none}"
	[ "$n" = 1 ] || fail "KFENCE is off (enabled=${n:-no stats})"
	# Let delayed kobject releases (up to 4 s) finish and the group's last
	# allocations age past kmemleak's 5 s.
	sleep 6
	debugk_scan /tmp/kmemleak.post
	n=$(grep -c '^unreferenced object' /tmp/kmemleak.post)
	fact suspects "$n"
	fact slab_unreclaimable_kb "$(sed -n 's/^SUnreclaim: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
	if [ "$n" != 0 ]; then
		fail "kmemleak: $n suspected leaks after the group"
		head -n 300 /tmp/kmemleak.post | while read -r l; do out "@@DMESG $SCN $l"; done
	fi
	# a last look at the log, for reports printed after the last scenario
	dmesg_check
	out "@@END $SCN $VERDICT ${REASON:-ok}"
}
