# SPDX-License-Identifier: GPL-2.0-or-later
# Extra system-test scenarios for espwipe.ko, run in the QEMU guest of
# tests/system (group "kmod-extra", see kmod/kmod.mk: check-kmod-system).
#
# Sourced after tests/system/scenarios.sh, whose helpers (gadget_up,
# attr_write, fact, fail, ...) and record format it reuses.  Scenario names
# starting with "kmod-custom-" also get run.py's host check of the bridge's
# requests (the sequence once, as consecutive requests, with its holds);
# kmod/tests/run_system.py adds host checks for some "kx-" ones.

SEQ_RESET="U0,1|W0.1|U0,0"
# Written with redundant zeros; the attribute must read back canonically.
SEQ_ATTR_IN="D0|R1|W0.100|D1|R0|W0.050|D0"
SEQ_ATTR="D0|R1|W0.1|D1|R0|W0.05|D0"
SEQ_PARAM="U0,1|W0.2|U1,0|W0.05|U0,0"
SEQ_PARAM_RESET="U0,1|W0.03|U0,0"

# expect_errno TEXT WHAT: the last attr_write failed with TEXT.
expect_errno() {
	case "$W_ERR" in
	*"$1"*) ;;
	*) fail "$2: expected '$1', got rc=$W_RC '$W_ERR'" ;;
	esac
}

# x_up CHIP: module loaded, board b0 up with its attributes; 1 on failure.
x_up() {
	need_kmod || return 1
	gadget_up b0 $1 dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return 1; }
	wait_attr $TTY_b0 || fail "no attributes on $TTY_b0"
	D=$SERIALDEV/$TTY_b0
}

# File modes, the reset attribute, and "reset" accepting only "1".
x_reset() {
	local m
	x_up $1 || return
	m="$(stat -c %a $D/enter_bootloader) $(stat -c %a $D/reset)"
	m="$m $(stat -c %a $D/bootloader_sequence) $(stat -c %a $D/reset_sequence)"
	fact modes "$m"
	[ "$m" = "200 200 644 644" ] || fail "attribute modes are $m"
	[ "$(cat $D/reset_sequence)" = "$SEQ_RESET" ] || fail "reset_sequence reads '$(cat $D/reset_sequence)'"
	attr_write 1 $D/reset
	fact seq "$SEQ_RESET"
	fact write_rc $W_RC
	fact write_us $W_US
	[ $W_RC = 0 ] || fail "reset failed: $W_ERR"
	# anything but "1" is refused without a request (the host check sees no extra steps)
	for v in 0 2 "$SEQ_RESET" "1 1"; do
		attr_write "$v" $D/reset
		expect_errno "Invalid argument" "reset '$v'"
	done
	gadget_down b0
}

# bootloader_sequence: canonical read-back, invalid writes change nothing,
# and "1" then runs the stored sequence.
x_seqattr() {
	local v got
	x_up $1 || return
	[ "$(cat $D/bootloader_sequence)" = "$SEQ_DEFAULT" ] || fail "default reads '$(cat $D/bootloader_sequence)'"
	attr_write "$SEQ_ATTR_IN" $D/bootloader_sequence
	[ $W_RC = 0 ] || fail "writing bootloader_sequence failed: $W_ERR"
	got=$(cat $D/bootloader_sequence)
	fact readback "$got"
	[ "$got" = "$SEQ_ATTR" ] || fail "read back '$got', expected '$SEQ_ATTR'"
	for v in "" W6 "D0||D1" "D0|" x "W0.0001"; do
		attr_write "$v" $D/bootloader_sequence
		expect_errno "Invalid argument" "bootloader_sequence '$v'"
	done
	got=$(cat $D/bootloader_sequence)
	[ "$got" = "$SEQ_ATTR" ] || fail "invalid writes changed it to '$got'"
	attr_write "$SEQ_RESET" $D/reset_sequence
	[ "$(cat $D/reset_sequence)" = "$SEQ_RESET" ] || fail "reset_sequence reads '$(cat $D/reset_sequence)'"
	attr_write 1 $D/enter_bootloader
	fact seq "$SEQ_ATTR"
	fact write_rc $W_RC
	[ $W_RC = 0 ] || fail "enter_bootloader failed: $W_ERR"
	gadget_down b0
}

# Module parameters: an invalid one fails the load, valid ones become the
# defaults of ports attached afterwards.
x_param() {
	local chip=$1 got
	need_kmod || return
	kmod_unload || { fail "rmmod failed"; return; }
	if insmod $KO bootloader_sequence=W9 2> /dev/null; then
		fail "insmod accepted bootloader_sequence=W9"
		rmmod espwipe
	fi
	kmod_loaded && fail "module loaded after an invalid parameter"
	insmod $KO "bootloader_sequence=$SEQ_PARAM" "reset_sequence=$SEQ_PARAM_RESET" ||
		{ fail "insmod with parameters failed"; kmod_load; return; }
	got=$(cat /sys/module/espwipe/parameters/bootloader_sequence)
	[ "$got" = "$SEQ_PARAM" ] || fail "parameter reads '$got'"
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	wait_attr $TTY_b0 || fail "no attributes"
	D=$SERIALDEV/$TTY_b0
	got=$(cat $D/bootloader_sequence)
	[ "$got" = "$SEQ_PARAM" ] || fail "port's bootloader_sequence is '$got'"
	got=$(cat $D/reset_sequence)
	[ "$got" = "$SEQ_PARAM_RESET" ] || fail "port's reset_sequence is '$got'"
	attr_write 1 $D/enter_bootloader
	fact seq "$SEQ_PARAM"
	fact write_rc $W_RC
	[ $W_RC = 0 ] || fail "enter_bootloader failed: $W_ERR"
	gadget_down b0
	rmmod espwipe || fail "rmmod failed"
	kmod_load || fail "insmod failed"
}

# A user open during an in-kernel-open sequence gets EBUSY and sends
# nothing; after the write it opens fine.
x_openrace() {
	local rc x err orc
	x_up $1 || return
	writer_bg "$SEQ_LONG" $D/enter_bootloader /tmp/w1
	sleep 0.5
	ttylines /dev/$TTY_b0 hold 0 > /tmp/o1 2>&1
	orc=$?
	fact user_open "rc=$orc $(cat /tmp/o1)"
	[ $orc != 0 ] && grep -q "busy" /tmp/o1 || fail "user open during the sequence: rc=$orc $(cat /tmp/o1)"
	wait $WPID
	read -r rc x err < /tmp/w1
	fact write_rc "$rc $err"
	[ "$rc" = 0 ] || fail "write failed: $err"
	fact seq "$SEQ_LONG"
	bridge_snapshot b0 b0
	ttylines /dev/$TTY_b0 hold 0 > /tmp/o2 2>&1 || fail "user open after the sequence: $(cat /tmp/o2)"
	gadget_down b0 after
}

# A writer killed mid-sequence returns at once, the port stays usable.
x_kill() {
	local pid t0 t1
	x_up $1 || return
	(echo "$SEQ_LONG" > $D/enter_bootloader) 2> /dev/null &
	pid=$!
	sleep 0.5
	t0=$(now_us)
	kill -KILL $pid
	wait $pid
	t1=$(now_us)
	fact killed_after_us $((t1 - t0))
	[ $((t1 - t0)) -lt 500000 ] || fail "killed writer took $((t1 - t0)) us to go"
	attr_write 1 $D/enter_bootloader
	fact write_rc $W_RC
	[ $W_RC = 0 ] || fail "write after the kill failed: $W_ERR"
	ttylines /dev/$TTY_b0 roundtrip > /dev/null 2>&1 || fail "port unusable after the kill"
	gadget_down b0
}

# An attribute fd opened before the unplug gets ENODEV afterwards.
x_stalefd() {
	x_up $1 || return
	exec 3> $D/enter_bootloader
	echo "" > $CFG/b0/UDC
	wait_for "test ! -e $D/enter_bootloader" 250 || fail "attribute still there after unplug"
	W_ERR=$( (echo 1 >&3) 2>&1)
	W_RC=$?
	exec 3>&-
	fact stale_write "rc=$W_RC $W_ERR"
	expect_errno "No such device" "write on a stale fd"
	gadget_down b0
}

# KOBJ_CHANGE for the port when the module attaches after the plug.
x_uevent() {
	local dp
	need_kmod || return
	kmod_unload || { fail "rmmod failed"; return; }
	gadget_up b0 $1 dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	rm -f /tmp/ue.log
	uevent sh -c 'echo "$ACTION $DEVPATH" >> /tmp/ue.log' &
	UPID=$!
	sleep 0.2
	kmod_load || fail "insmod failed"
	wait_attr $TTY_b0 || fail "no attributes"
	dp=$(readlink -f $SERIALDEV/$TTY_b0)
	dp=${dp#/sys}
	wait_for "grep -qx 'change $dp' /tmp/ue.log" 100 ||
		fail "no 'change $dp' uevent: $(tr '\n' ';' < /tmp/ue.log 2> /dev/null)"
	kill $UPID
	wait $UPID 2> /dev/null
	fact uevents "$(grep -c . /tmp/ue.log)"
	gadget_down b0
}

# rmmod/insmod loops with a CH340 and a CP2102 present, every third one
# with a sequence running.
x_loadloop() {
	local n=${1:-12} i t rc x err
	need_kmod || return
	gadget_up l0 ch340 dummy_udc.0 || { fail "gadget l0 did not come up"; gadget_down l0; return; }
	gadget_up l1 cp2102 dummy_udc.1 || { fail "gadget l1 did not come up"; gadget_down l0; gadget_down l1; return; }
	i=0
	while [ $i -lt $n ]; do
		kmod_load || { fail "insmod $i failed"; break; }
		for t in $TTY_l0 $TTY_l1; do
			wait_attr $t || fail "loop $i: no attributes on $t"
		done
		if [ $((i % 3)) = 2 ]; then
			writer_bg "$SEQ_LONG" $(attr_of $TTY_l1) /tmp/wl
			sleep 0.2
		else
			WPID=
		fi
		rmmod espwipe || { fail "rmmod $i failed"; break; }
		if [ -n "$WPID" ]; then
			wait $WPID
			read -r rc x err < /tmp/wl
			case "$err" in *"No such device"*) ;; *) fail "loop $i: writer got rc=$rc '$err'" ;; esac
		fi
		for t in $TTY_l0 $TTY_l1; do
			[ -e $SERIALDEV/$t/enter_bootloader ] && fail "loop $i: attribute left on $t"
			[ -n "$(worker_pids espwipe/$t)" ] && fail "loop $i: worker espwipe/$t left after rmmod"
		done
		i=$((i + 1))
	done
	fact loops $i
	ls /sys/bus/usb-serial/drivers | grep -q espwipe && fail "espwipe-busprobe left registered"
	kmod_load || fail "final insmod failed"
	for t in $TTY_l0 $TTY_l1; do
		wait_attr $t || fail "no attributes on $t at the end"
		attr_write 1 $(attr_of $t)
		[ $W_RC = 0 ] || fail "write on $t at the end: $W_ERR"
	done
	fact attached "$(dmesg | grep -c 'espwipe attached')"
	gadget_down l0
	gadget_down l1
}

# worker_pids COMM: the pids of the tasks named COMM.
worker_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(cat $p/comm 2> /dev/null)" = "$1" ] && echo ${p#/proc/}
	done
}

# The steps run on a kthread of the port's own, espwipe/ttyUSBn at
# SCHED_FIFO 1: made on the port's first write, one per port (two ports run
# their sequences at the same time, neither waits for the other), gone with
# its port, and none left after rmmod.
x_worker() {
	local t0 p0 rc0 e0 rc1 e1 x pid st
	need_kmod || return
	gadget_up w0 ch340 dummy_udc.0 || { fail "gadget w0 did not come up"; gadget_down w0; return; }
	gadget_up w1 cp2102 dummy_udc.1 || { fail "gadget w1 did not come up"; gadget_down w0; gadget_down w1; return; }
	wait_attr $TTY_w0 && wait_attr $TTY_w1 || fail "no attributes"
	[ -z "$(worker_pids espwipe/$TTY_w0)" ] || fail "a worker exists before the first write"
	attr_write 1 $(attr_of $TTY_w0)
	[ $W_RC = 0 ] || fail "write failed: $W_ERR"
	pid=$(worker_pids espwipe/$TTY_w0)
	[ $(echo $pid | wc -w) = 1 ] || fail "expected one task espwipe/$TTY_w0, found '$pid'"
	# /proc/PID/stat after the "(comm)": field 38 rt_priority, 39 policy (1 = FIFO)
	st=$(cut -d')' -f2 /proc/$pid/stat 2> /dev/null | awk '{ print $38, $39 }')
	fact worker "espwipe/$TTY_w0 pid $pid rt_priority,policy $st"
	[ "$st" = "1 1" ] || fail "espwipe/$TTY_w0 is not SCHED_FIFO priority 1: '$st'"
	# a 1 s hold on each port at once: about 1 s for both, not 2
	t0=$(now_us)
	writer_bg "U0,1|W1|U0,0" $(attr_of $TTY_w0) /tmp/p0
	p0=$WPID
	writer_bg "U0,1|W1|U0,0" $(attr_of $TTY_w1) /tmp/p1
	wait $p0
	wait $WPID
	read -r rc0 e0 x < /tmp/p0
	read -r rc1 e1 x < /tmp/p1
	fact parallel_us "$((e0 - t0)) $((e1 - t0))"
	[ "$rc0" = 0 ] && [ "$rc1" = 0 ] || fail "parallel writes: $(cat /tmp/p0 /tmp/p1)"
	[ $((e0 - t0)) -lt 1600000 ] && [ $((e1 - t0)) -lt 1600000 ] ||
		fail "two ports' 1 s sequences took $((e0 - t0)) and $((e1 - t0)) us: serialized?"
	[ $(worker_pids espwipe/$TTY_w1 | wc -w) = 1 ] || fail "no worker of its own for $TTY_w1"
	x=$TTY_w0
	gadget_down w0
	wait_for "[ -z \"\$(worker_pids espwipe/$x)\" ]" 250 || fail "espwipe/$x left after the unplug"
	rmmod espwipe || fail "rmmod failed"
	[ -z "$(worker_pids espwipe/$TTY_w1)" ] || fail "espwipe/$TTY_w1 left after rmmod"
	kmod_load || fail "insmod failed"
	gadget_down w1
}

# The usb-serial busprobe driver must never bind, even with a matching new_id.
x_busprobe() {
	local chip=$1
	need_kmod || return
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	[ -d /sys/bus/usb-serial/drivers/espwipe-busprobe ] || fail "no espwipe-busprobe driver"
	ls /sys/bus/usb-serial/drivers/espwipe-busprobe | grep -q ttyUSB && fail "busprobe bound a port"
	ls /sys/bus/usb/drivers/espwipe-busprobe | grep -q ':' && fail "busprobe bound an interface"
	fact driver "$(basename "$(readlink -f $SERIALDEV/$TTY_b0/driver)")"
	gadget_down b0
}

run_group() {
	local chip
	case $1 in
	kmod-extra)
		kmod_present && insmod $KO
		for chip in ch340 cp2102; do
			scenario kx-reset-$chip x_reset $chip
			scenario kmod-custom-seqattr-$chip x_seqattr $chip
			scenario kmod-custom-param-$chip x_param $chip
			scenario kmod-custom-openrace-$chip x_openrace $chip
			scenario kx-kill-$chip x_kill $chip
			scenario kx-stalefd-$chip x_stalefd $chip
			scenario kx-uevent-$chip x_uevent $chip
			scenario kx-busprobe-$chip x_busprobe $chip
		done
		scenario kx-worker x_worker
		scenario kx-loadloop x_loadloop 12
		;;
	*)
		out "@@ERROR unknown group '$1'"
		;;
	esac
}
