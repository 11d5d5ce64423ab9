# SPDX-License-Identifier: GPL-2.0-or-later
# System-test scenarios, sourced by the guest's /init (busybox sh).
#
# Every scenario brings its own emulated boards up (configfs gadget + espbridge
# on a dummy UDC) and down again, so scenarios start from a clean state inside
# one boot.  Results go to $OUT, one record per line (parsed on the host by
# run.py):
#   @@BEGIN <scn>
#   @@FACT <scn> <key> <value...>          something measured in the guest
#   @@REPORT <scn> <tag> <json>            a bridge report (requests, lines, emulator)
#   @@OUTPUT <scn> <tag> <text>            a tool's stdout (e.g. espwipe --json)
#   @@DMESG <scn> <line>                   kernel log lines that failed the check
#   @@END <scn> PASS|FAIL|SKIP <reason>    the guest-side verdict
# The host adds its own checks on the reports; a scenario passes only if both do.

KO=/lib/modules/espwipe.ko
ESPWIPE=/bin/espwipe
CFG=/sys/kernel/config/usb_gadget
SERIALDEV=/sys/bus/usb-serial/devices
# The module's built-in sequence (kmod/espwipe_seq.h) and the custom one the tests use.
SEQ_DEFAULT="U0,1|W0.1|U1,0|W0.05|U0,0"
SEQ_CUSTOM="D0|R1|W0.1|D1|R0|W0.05|D0"
# A sequence with a long first hold, to unplug or rmmod in the middle of.
SEQ_LONG="U0,1|W2|U1,0|W0.05|U0,0"
# Fast emulated flash for the tool's end-to-end runs; the flash starts with
# "firmware" in it, so a blank flash at the end proves the erase.
EMU_FAST="time-scale=50 flash-prefill=1"
# Slow flash (an erase of several seconds) to unplug in the middle of.
EMU_SLOW="time-scale=1 erase-slowdown=4 flash-prefill=1"
EMU_REAL="time-scale=1 flash-size=1M jedec=0x1440ef flash-prefill=1"
BAD_DMESG="Oops|WARNING|BUG|lockdep|circular|tty_port_close_start"
# The bridges' ep0 threads, which timestamp the control requests, run at this
# SCHED_FIFO priority: above espwipe.ko's worker (1) and every normal task, as
# a chip would see a request when it arrives, whatever the guest's load.
BRIDGE_FIFO=2

out() { echo "$*" > "$OUT"; }
fact() { out "@@FACT $SCN $*"; }
now_us() { ttylines now; }
fail() { VERDICT=FAIL; REASON="${REASON:+$REASON; }$*"; }
skip() { [ "$VERDICT" = FAIL ] || VERDICT=SKIP; REASON="${REASON:+$REASON; }$*"; }

# wait_for "COMMAND" TRIES: poll COMMAND every 20 ms (guest time), TRIES times.
wait_for() {
	local i=0
	while [ $i -lt "$2" ]; do
		eval "$1" && return 0
		sleep 0.02
		i=$((i + 1))
	done
	return 1
}

# tty_of NAME: the ttyUSBn whose USB device carries serial number esp-NAME.
tty_of() {
	local p d
	for p in $SERIALDEV/ttyUSB*; do
		[ -e "$p" ] || continue
		d=$(readlink -f "$p")
		d=${d%/*}
		d=${d%/*}
		if [ "$(cat "$d/serial" 2>/dev/null)" = "esp-$1" ]; then
			echo "${p##*/}"
			return 0
		fi
	done
	return 1
}

# gadget_up NAME CHIP UDC [bridge options / emulator key=value...]: sets TTY_<NAME>.
# ESPSYS_EMU_OPTS: emulator key=value defaults for every board (tests/debugkernel).
gadget_up() {
	local name=$1 chip=$2 udc=$3 g=$CFG/$1 vid pid tty
	shift 3
	case $chip in
	ch340) vid=0x1a86 pid=0x7523 ;;
	cp2102) vid=0x10c4 pid=0xea60 ;;
	esac
	mkdir -p $g/strings/0x409 $g/configs/c.1 $g/functions/ffs.$name || return 1
	echo $vid > $g/idVendor
	echo $pid > $g/idProduct
	echo "esp-$name" > $g/strings/0x409/serialnumber
	echo "espsys $chip" > $g/strings/0x409/product
	ln -s $g/functions/ffs.$name $g/configs/c.1/ffs.$name
	mkdir -p /ffs/$name
	mount -t functionfs $name /ffs/$name || return 1
	rm -f /tmp/$name.ready /tmp/$name.json /tmp/$name.status
	espbridge --chip $chip --ffs /ffs/$name --report /tmp/$name.json \
		--ready /tmp/$name.ready --status /tmp/$name.status --ctrl-fifo $BRIDGE_FIFO \
		$ESPSYS_EMU_OPTS "$@" 2> /tmp/$name.err &
	eval "BPID_$name=$!"
	wait_for "test -e /tmp/$name.ready" 250 || { cat /tmp/$name.err; return 1; }
	echo $udc > $g/UDC || return 1
	wait_for "tty_of $name > /dev/null" 500 || return 1
	tty=$(tty_of $name)
	wait_for "test -c /dev/$tty" 250 || return 1
	eval "TTY_$name=$tty"
}

# gadget_down NAME [TAG]: unplug, stop the bridge, send its report as TAG.
gadget_down() {
	local name=$1 tag=${2:-$1} g=$CFG/$1 pid
	eval "pid=\$BPID_$name"
	[ -e $g/UDC ] && echo "" > $g/UDC 2> /dev/null
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2> /dev/null
		wait "$pid"
		eval "BPID_$name="
		if [ -s /tmp/$name.json ]; then
			out "@@REPORT $SCN $tag $(tr "\n" " " < /tmp/$name.json)"
		else
			fail "no report from bridge $name: $(head -c 300 /tmp/$name.err)"
		fi
	fi
	umount /ffs/$name 2> /dev/null
	rm -f $g/configs/c.1/ffs.$name
	rmdir $g/configs/c.1 $g/functions/ffs.$name $g/strings/0x409 $g 2> /dev/null
}

# bridge_wait NAME REGEX TRIES: wait until the bridge's status line matches
# (fields: lines= dtr= rts= mode= sync= flash_begin= erases= rx= cmds=).
bridge_wait() {
	wait_for "grep -qE '$2' /tmp/$1.status" "$3"
}

# bridge_snapshot NAME TAG: report now, the bridge keeps running.
bridge_snapshot() {
	local name=$1 pid
	eval "pid=\$BPID_$name"
	rm -f /tmp/$name.json
	kill -USR1 "$pid"
	wait_for "test -s /tmp/$name.json" 250 || fail "no snapshot from $name"
	out "@@REPORT $SCN $2 $(tr "\n" " " < /tmp/$name.json)"
}

# attr_write VALUE FILE: W_RC, W_ERR (the shell's message) and W_US (duration).
attr_write() {
	local t0 t1
	t0=$(now_us)
	W_ERR=$( (echo "$1" > "$2") 2>&1)
	W_RC=$?
	t1=$(now_us)
	W_US=$((t1 - t0))
	W_END=$t1
}

kmod_present() { [ -e $KO ]; }
kmod_loaded() { [ -d /sys/module/espwipe ]; }
kmod_load() { kmod_loaded || insmod $KO; }
kmod_unload() { ! kmod_loaded || rmmod espwipe; }
attr_of() { echo $SERIALDEV/$1/enter_bootloader; }
# the sequence "1" runs: the port's bootloader_sequence (canonical text)
seq_of() { cat $SERIALDEV/$1/bootloader_sequence 2> /dev/null || echo "$SEQ_DEFAULT"; }
wait_attr() { wait_for "test -e $(attr_of $1)" 250; }

dmesg_check() {
	dmesg -c >> /tmp/dmesg.$SCN
	if grep -qE "$BAD_DMESG" /tmp/dmesg.$SCN; then
		fail "kernel log: $(grep -E "$BAD_DMESG" /tmp/dmesg.$SCN | head -n1)"
		grep -E -A3 "$BAD_DMESG" /tmp/dmesg.$SCN | head -n 20 | while read -r l; do
			out "@@DMESG $SCN $l"
		done
	fi
}

# scenario NAME FUNCTION ARGS...: run if NAME matches a pattern of $ONLY.
scenario() {
	local pat match=
	SCN=$1
	shift
	if [ -n "$ONLY" ]; then
		for pat in $(echo "$ONLY" | tr ',' ' '); do
			case $SCN in $pat) match=1 ;; esac
		done
		[ -n "$match" ] || return 0
	else
		match=1
	fi
	VERDICT=PASS
	REASON=
	dmesg -c > /dev/null
	: > /tmp/dmesg.$SCN
	out "@@BEGIN $SCN"
	"$@"
	dmesg_check
	out "@@END $SCN $VERDICT ${REASON:-ok}"
}

# ---------------------------------------------------------------- scenarios

# The driver binds, and each TIOCMSET from userspace is one request.
s_bind() {
	local chip=$1 tty
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	tty=$TTY_b0
	dmesg -c >> /tmp/dmesg.$SCN
	grep -q "converter now attached to $tty" /tmp/dmesg.$SCN || fail "no 'converter now attached to $tty'"
	fact tty $tty
	if ! ttylines /dev/$tty roundtrip > /tmp/rt 2>&1; then
		fail "TIOCMSET/TIOCMGET round trip: $(grep -v ' ok$' /tmp/rt | head -n1)"
	fi
	while read -r l; do fact $l; done < /tmp/rt
	gadget_down b0
}

need_kmod() {
	if ! kmod_present; then
		skip "espwipe.ko absent (build/kmod/<kver>/espwipe.ko)"
		return 1
	fi
	kmod_load || { fail "insmod espwipe.ko failed"; return 1; }
}

# enter_bootloader with the port closed (module loaded before the plug).
s_kmod_closed() {
	local chip=$1 a
	need_kmod || return
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	a=$(attr_of $TTY_b0)
	wait_attr $TTY_b0 || fail "no $a"
	attr_write 1 "$a"
	fact seq "$(seq_of $TTY_b0)"
	fact port closed
	fact write_rc $W_RC
	fact write_us $W_US
	[ $W_RC = 0 ] || fail "write failed: $W_ERR"
	gadget_down b0
}

# A bridge that takes 4 ms to acknowledge each modem-control request (a slow
# bridge, or one behind a hub).  espwipe.ko times each hold from the start of
# the request before it, so the holds stay in the window (host check as
# kmod-closed).
s_kmod_slowbridge() {
	local chip=$1 a
	need_kmod || return
	gadget_up b0 $chip dummy_udc.0 --ctrl-delay-us 4000 || { fail "gadget did not come up"; gadget_down b0; return; }
	a=$(attr_of $TTY_b0)
	wait_attr $TTY_b0 || fail "no $a"
	attr_write 1 "$a"
	fact seq "$(seq_of $TTY_b0)"
	fact write_rc $W_RC
	[ $W_RC = 0 ] || fail "write failed: $W_ERR"
	gadget_down b0
}

# Self-test of the harness: the same slow bridge under a userspace sequence
# (ttylines: one TIOCMSET per step, each hold timed from when the call
# returned) stretches every hold by the 4 ms, beyond the +3 ms window.  The
# host expects its timing check to FAIL here (and reports PASS if it does).
s_selftest_slow() {
	local chip=$1
	gadget_up b0 $chip dummy_udc.0 --ctrl-delay-us 4000 || { fail "gadget did not come up"; gadget_down b0; return; }
	ttylines /dev/$TTY_b0 seq "$SEQ_DEFAULT" > /tmp/st.out 2>&1 || fail "ttylines seq: $(tail -n1 /tmp/st.out)"
	fact seq "$SEQ_DEFAULT"
	gadget_down b0
}

# ... with the port held open by another process.
s_kmod_open() {
	local chip=$1 a spid
	need_kmod || return
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	a=$(attr_of $TTY_b0)
	wait_attr $TTY_b0 || fail "no $a"
	sleep 5 < /dev/$TTY_b0 &
	spid=$!
	wait_for "[ \"\$(readlink /proc/$spid/fd/0)\" = /dev/$TTY_b0 ]" 250 || fail "holder did not open"
	attr_write 1 "$a"
	fact seq "$(seq_of $TTY_b0)"
	fact port open
	fact write_rc $W_RC
	fact write_us $W_US
	[ $W_RC = 0 ] || fail "write failed: $W_ERR"
	# the report must not include the holder's close
	bridge_snapshot b0 b0
	kill $spid
	wait $spid
	gadget_down b0 after-close
}

# A custom sequence written to the attribute.
s_kmod_custom() {
	local chip=$1 a
	need_kmod || return
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	a=$(attr_of $TTY_b0)
	wait_attr $TTY_b0 || fail "no $a"
	attr_write "$SEQ_CUSTOM" "$a"
	fact seq "$SEQ_CUSTOM"
	fact port closed
	fact write_rc $W_RC
	[ $W_RC = 0 ] || fail "write failed: $W_ERR"
	gadget_down b0
}

# cp210x with CRTSCTS set (kept in the tty's termios across opens): RTS moves
# through SET_FLOW instead of SET_MHS; still one line request per step.
s_kmod_crtscts() {
	local chip=$1 a
	need_kmod || return
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	a=$(attr_of $TTY_b0)
	wait_attr $TTY_b0 || fail "no $a"
	stty -F /dev/$TTY_b0 crtscts || fail "stty crtscts failed"
	bridge_snapshot b0 before
	attr_write 1 "$a"
	fact seq "$(seq_of $TTY_b0)"
	fact write_rc $W_RC
	[ $W_RC = 0 ] || fail "write failed: $W_ERR"
	gadget_down b0
}

# Invalid input: EINVAL and not a single request reaches the bridge.
s_kmod_invalid() {
	local chip=$1 a v long
	need_kmod || return
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	a=$(attr_of $TTY_b0)
	wait_attr $TTY_b0 || fail "no $a"
	long=U0,0
	for v in $(seq 1 40); do long="U0,1|$long"; done
	bridge_snapshot b0 before
	for v in x D2 "U0,1|Wx" "U0,1|W6" "U0,1||U0,0" "d0" "$long" "1 1"; do
		attr_write "$v" "$a"
		fact invalid "'$v'" rc=$W_RC "$W_ERR"
		case "$W_ERR" in
		*"Invalid argument"*) ;;
		*) fail "'$v': expected EINVAL, got rc=$W_RC '$W_ERR'" ;;
		esac
	done
	gadget_down b0 after
}

# writer_bg VALUE ATTR FILE: attr_write in the background, result into FILE.
writer_bg() {
	(
		attr_write "$1" "$2"
		echo "$W_RC $W_END $W_ERR" > "$3"
	) &
	WPID=$!
}

# Unplug (UDC unbound) in the middle of a sequence.
s_kmod_unplug() {
	local chip=$1 a t_unplug rc t_end err
	need_kmod || return
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	a=$(attr_of $TTY_b0)
	wait_attr $TTY_b0 || fail "no $a"
	writer_bg "$SEQ_LONG" "$a" /tmp/w1
	# in the 2 s hold after the first step
	bridge_wait b0 'dtr=0 rts=1' 250 || fail "the sequence did not start"
	sleep 0.1
	t_unplug=$(now_us)
	echo "" > $CFG/b0/UDC
	wait $WPID
	read -r rc t_end err < /tmp/w1
	fact write_rc $rc
	fact after_unplug_us $((t_end - t_unplug))
	fact write_err "$err"
	case "$err" in *"No such device"*) ;; *) fail "expected ENODEV, got rc=$rc '$err'" ;; esac
	[ $((t_end - t_unplug)) -lt 1000000 ] || fail "writer returned $((t_end - t_unplug)) us after unplug"
	[ -e "$a" ] && fail "attribute still present after unplug"
	gadget_down b0
}

# rmmod in the middle of a sequence.
s_kmod_rmmod() {
	local chip=$1 a rc t_end err t0 t1
	need_kmod || return
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	a=$(attr_of $TTY_b0)
	wait_attr $TTY_b0 || fail "no $a"
	writer_bg "$SEQ_LONG" "$a" /tmp/w1
	bridge_wait b0 'dtr=0 rts=1' 250 || fail "the sequence did not start"
	sleep 0.1
	t0=$(now_us)
	rmmod espwipe || fail "rmmod failed"
	t1=$(now_us)
	wait $WPID
	read -r rc t_end err < /tmp/w1
	fact rmmod_us $((t1 - t0))
	fact write_rc $rc
	fact write_err "$err"
	[ "$rc" != 0 ] || fail "write succeeded although the module went away mid-sequence"
	[ -e "$a" ] && fail "attribute still present after rmmod"
	# RMMOD_MAX_US: tests/debugkernel widens it (delayed kobject releases)
	[ $((t1 - t0)) -lt ${RMMOD_MAX_US:-1000000} ] || fail "rmmod took $((t1 - t0)) us"
	# the checked report ends here; then the port must still work without the module
	bridge_snapshot b0 b0
	ttylines /dev/$TTY_b0 roundtrip > /dev/null 2>&1 || fail "port unusable after rmmod"
	kmod_load || fail "insmod after rmmod failed"
	wait_attr $TTY_b0 || fail "attribute not back after insmod"
	gadget_down b0 after
}

# Two writers at once: both succeed, sequences do not interleave.
s_kmod_concurrent() {
	local chip=$1 a p1 rc1 rc2 x
	need_kmod || return
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	a=$(attr_of $TTY_b0)
	wait_attr $TTY_b0 || fail "no $a"
	writer_bg 1 "$a" /tmp/w1
	p1=$WPID
	writer_bg 1 "$a" /tmp/w2
	wait $p1
	wait $WPID
	read -r rc1 x < /tmp/w1
	read -r rc2 x < /tmp/w2
	fact seq "$(seq_of $TTY_b0)"
	fact repeat 2
	fact write_rc "$rc1 $rc2 $(cut -d' ' -f3- /tmp/w1) $(cut -d' ' -f3- /tmp/w2)"
	[ "$rc1" = 0 ] && [ "$rc2" = 0 ] || fail "a writer failed: $(cat /tmp/w1 /tmp/w2)"
	gadget_down b0
}

# Module loaded after the device is plugged in (the bus scan path).
s_kmod_afterplug() {
	local chip=$1 a
	need_kmod || return
	kmod_unload || { fail "rmmod failed"; return; }
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	kmod_load || fail "insmod failed"
	a=$(attr_of $TTY_b0)
	wait_attr $TTY_b0 || fail "no $a after insmod"
	attr_write 1 "$a"
	fact seq "$(seq_of $TTY_b0)"
	fact port closed
	fact write_rc $W_RC
	[ $W_RC = 0 ] || fail "write failed: $W_ERR"
	gadget_down b0
}

need_espwipe() {
	if [ ! -x $ESPWIPE ]; then
		skip "build/espwipe absent"
		return 1
	fi
}

# run_espwipe NAME RESET TAG: espwipe erase on TTY_NAME; EW_RC, EW_US.
run_espwipe() {
	local tty t0 t1
	eval "tty=\$TTY_$1"
	t0=$(now_us)
	timeout 120 $ESPWIPE erase -p /dev/$tty --json --reset $2 > /tmp/ew.$3.out 2> /tmp/ew.$3.err
	EW_RC=$?
	t1=$(now_us)
	EW_US=$((t1 - t0))
	out "@@OUTPUT $SCN $3 $(tr '\n' ' ' < /tmp/ew.$3.out)"
	fact espwipe_rc "$3 $EW_RC"
	fact espwipe_us "$3 $EW_US"
	[ -s /tmp/ew.$3.err ] && fact espwipe_stderr "$3 $(tail -n 3 /tmp/ew.$3.err | tr '\n' ' ')"
}

# espwipe end to end; RESET is sysfs (through the module) or tiocm (no module).
s_espwipe() {
	local chip=$1 reset=$2
	need_espwipe || return
	if [ $reset = sysfs ]; then
		need_kmod || return
	else
		kmod_unload || { fail "rmmod failed"; return; }
	fi
	gadget_up b0 $chip dummy_udc.0 $EMU_FAST || { fail "gadget did not come up"; gadget_down b0; return; }
	if [ $reset = sysfs ]; then
		wait_attr $TTY_b0 || fail "no attribute"
		fact seq "$(seq_of $TTY_b0)"
	fi
	run_espwipe b0 $reset b0
	[ $EW_RC = 0 ] || fail "espwipe exited $EW_RC: $(tail -n1 /tmp/ew.b0.err)"
	gadget_down b0
	kmod_present && kmod_load
}

# Unplug during an erase: exit code 9 within a few seconds.
s_espwipe_unplug() {
	local chip=$1 pid t_unplug t_end
	need_espwipe || return
	kmod_present && kmod_load
	# slow flash, so the erase is still running when the board goes away
	gadget_up b0 $chip dummy_udc.0 $EMU_SLOW || { fail "gadget did not come up"; gadget_down b0; return; }
	(
		timeout 120 $ESPWIPE erase -p /dev/$TTY_b0 --json --reset tiocm > /tmp/ew.out 2> /tmp/ew.err
		echo "$? $(ttylines now)" > /tmp/ew.rc
	) &
	pid=$!
	# the erase starts with FLASH_BEGIN and takes seconds on this slow flash
	bridge_wait b0 'flash_begin=[1-9]' 1500 || fail "the tool never started an erase"
	sleep 0.2
	t_unplug=$(now_us)
	echo "" > $CFG/b0/UDC
	wait $pid
	read -r EW_RC t_end < /tmp/ew.rc
	fact espwipe_rc $EW_RC
	fact after_unplug_us $((t_end - t_unplug))
	out "@@OUTPUT $SCN b0 $(tr '\n' ' ' < /tmp/ew.out)"
	[ "$EW_RC" = 9 ] || fail "espwipe exited $EW_RC, expected 9: $(tail -n1 /tmp/ew.err)"
	[ $((t_end - t_unplug)) -lt 5000000 ] || fail "exit $((t_end - t_unplug)) us after unplug"
	gadget_down b0
}

# N boards wiped in parallel (chips alternate); facts give the wall time.
# The optional third argument replaces the emulator options.
s_espwipe_parallel() {
	local n=$1 reset=$2 emu_opts=${3:-$EMU_FAST} i pids= chip t0 t1 rc
	need_espwipe || return
	[ $reset = sysfs ] && { need_kmod || return; }
	i=0
	while [ $i -lt $n ]; do
		chip=ch340
		[ $((i % 2)) = 1 ] && chip=cp2102
		gadget_up p$i $chip dummy_udc.$i $emu_opts || fail "gadget p$i did not come up"
		[ $reset = sysfs ] && { wait_attr $(eval echo \$TTY_p$i) || fail "no attribute on p$i"; }
		i=$((i + 1))
	done
	t0=$(now_us)
	i=0
	while [ $i -lt $n ]; do
		(
			run_espwipe p$i $reset p$i > /dev/null
			echo $EW_RC > /tmp/ew.p$i.rc
		) &
		pids="$pids $!"
		i=$((i + 1))
	done
	for i in $pids; do wait $i; done
	t1=$(now_us)
	fact boards $n
	fact wall_us $((t1 - t0))
	i=0
	while [ $i -lt $n ]; do
		rc=$(cat /tmp/ew.p$i.rc 2> /dev/null)
		[ "$rc" = 0 ] || fail "board p$i: espwipe exited ${rc:-?}"
		gadget_down p$i
		i=$((i + 1))
	done
}

# ---------------------------------------------------------------- faults (issue 5)
# The tool against a board that fails at each phase.  The host checks (run.py
# check_fault) that the JSON result never claims more than the emulator erased.

# ew_bg NAME ARGS...: espwipe ARGS --json in the background; ew_collect NAME
# waits and sets EW_RC and EW_END (guest µs when it exited).
ew_bg() {
	local name=$1
	shift
	rm -f /tmp/ew.$name.rc
	(
		timeout 120 $ESPWIPE "$@" --json > /tmp/ew.$name.out 2> /tmp/ew.$name.err
		echo "$? $(ttylines now)" > /tmp/ew.$name.rc
	) &
	EW_PID=$!
}

ew_collect() {
	wait $EW_PID
	read -r EW_RC EW_END < /tmp/ew.$1.rc
	out "@@OUTPUT $SCN $1 $(tr '\n' ' ' < /tmp/ew.$1.out)"
	fact espwipe_rc $EW_RC
	[ -s /tmp/ew.$1.err ] && fact espwipe_stderr "$(tail -n 2 /tmp/ew.$1.err | tr '\n' ' ')"
}

# status_field NAME FIELD: a number from the bridge's status line.
status_field() {
	sed -n "s/.* $2=\([0-9]*\).*/\1/p" /tmp/$1.status
}

# unplug_and_collect NAME: unbind the UDC now, wait for espwipe; EW_AFTER_US.
unplug_and_collect() {
	local t
	t=$(now_us)
	echo "" > $CFG/$1/UDC
	ew_collect $1
	EW_AFTER_US=$((EW_END - t))
	fact after_unplug_us $EW_AFTER_US
	[ $EW_AFTER_US -lt 5000000 ] || fail "espwipe exited $EW_AFTER_US us after the unplug"
}

# Unplugged before sync: the chip runs its app and never answers; the tool is
# still sending SYNCs.  Exit 9 (link lost) or 5 (no sync), within 5 s.
s_fault_unplug_presync() {
	local chip=$1
	need_espwipe || return
	gadget_up b0 $chip dummy_udc.0 $EMU_FAST start-mode=app || { fail "gadget did not come up"; gadget_down b0; return; }
	ew_bg b0 erase -p /dev/$TTY_b0 --reset none
	bridge_wait b0 ' rx=[1-9]' 1500 || fail "no SYNC reached the chip"
	unplug_and_collect b0
	case $EW_RC in 5|9) ;; *) fail "espwipe exited $EW_RC, expected 9 (or 5)" ;; esac
	gadget_down b0
}

# Unplugged while the sampled verify after the erase runs: exit 9 within 5 s.
s_fault_unplug_verify() {
	local chip=$1 n0
	need_espwipe || return
	kmod_present && kmod_load
	gadget_up b0 $chip dummy_udc.0 $EMU_FAST || { fail "gadget did not come up"; gadget_down b0; return; }
	ew_bg b0 erase -p /dev/$TTY_b0 --verify
	# the erasing FLASH_BEGIN is the second; the ROM parses nothing else until
	# it has replied, so more commands after it mean the verify is reading
	bridge_wait b0 'flash_begin=2 ' 1500 || fail "the erase never started"
	n0=$(status_field b0 cmds)
	wait_for "[ \$(status_field b0 cmds) -gt $((n0 + 10)) ]" 1500 || fail "the verify never started"
	fact cmds_at_erase "$n0"
	fact cmds_at_unplug "$(status_field b0 cmds)"
	unplug_and_collect b0
	[ "$EW_RC" = 9 ] || fail "espwipe exited $EW_RC, expected 9: $(tail -n1 /tmp/ew.b0.err)"
	gadget_down b0
}

# The tty held (flock, as pyserial's exclusive mode and lockers do) by another
# process: exit 4 at once, and no SYNC reaches the chip.
s_fault_busy() {
	local chip=$1 hpid
	need_espwipe || return
	gadget_up b0 $chip dummy_udc.0 $EMU_FAST || { fail "gadget did not come up"; gadget_down b0; return; }
	ttylines /dev/$TTY_b0 hold 30 lock > /tmp/hold.out 2>&1 &
	hpid=$!
	wait_for "grep -q held /tmp/hold.out" 250 || fail "holder did not lock the port: $(cat /tmp/hold.out)"
	ew_bg b0 erase -p /dev/$TTY_b0
	ew_collect b0
	kill $hpid
	wait $hpid
	[ "$EW_RC" = 4 ] || fail "espwipe exited $EW_RC, expected 4 (busy)"
	[ "$(status_field b0 sync)" = 0 ] || fail "SYNC reached the chip while the port was held"
	gadget_down b0
}

# espwipe.ko unloaded while the tool erases (it entered the loader through the
# module's attribute).  Right outcome: the module's part was over once the
# write returned, the erase goes on over the tty, and the final hard reset
# falls back to TIOCMSET: exit 0, flash blank, chip back in its app (host
# check: the report at unplug says app, reset_method tiocm).
s_fault_rmmod_midrun() {
	local chip=$1 t0 t1
	need_espwipe || return
	need_kmod || return
	gadget_up b0 $chip dummy_udc.0 $EMU_REAL || { fail "gadget did not come up"; gadget_down b0; return; }
	wait_attr $TTY_b0 || fail "no attribute"
	ew_bg b0 erase -p /dev/$TTY_b0
	bridge_wait b0 'flash_begin=2 ' 1500 || fail "the erase never started"
	t0=$(now_us)
	rmmod espwipe || fail "rmmod failed while espwipe ran"
	t1=$(now_us)
	fact rmmod_us $((t1 - t0))
	ew_collect b0
	[ "$EW_RC" = 0 ] || fail "espwipe exited $EW_RC after rmmod, expected 0: $(tail -n1 /tmp/ew.b0.err)"
	gadget_down b0
	kmod_load || fail "insmod after the run failed"
}

# The port renumbered on replug: board ra is plugged (ttyUSB0), unplugged; rb
# is plugged first and takes ttyUSB0; ra comes back as another ttyUSBn.
# `espwipe -p esp-ra` (the USB serial number, read from sysfs by libudev
# without udevd) must wipe ra and leave rb alone.
s_fault_renumber() {
	local before
	need_espwipe || return
	kmod_present && kmod_load
	gadget_up ra ch340 dummy_udc.0 $EMU_FAST || { fail "gadget ra did not come up"; gadget_down ra; return; }
	before=$TTY_ra
	gadget_down ra ra-first
	gadget_up rb cp2102 dummy_udc.1 $EMU_FAST || fail "gadget rb did not come up"
	gadget_up ra ch340 dummy_udc.0 $EMU_FAST || fail "gadget ra did not come back"
	fact ttys "ra $before -> $TTY_ra, rb $TTY_rb"
	[ "$TTY_ra" != "$before" ] || fail "the port number did not move ($before)"
	$ESPWIPE list --json > /tmp/list.out 2>&1
	out "@@OUTPUT $SCN list $(tr '\n' ' ' < /tmp/list.out)"
	ew_bg ra erase -p esp-ra
	ew_collect ra
	[ "$EW_RC" = 0 ] || fail "espwipe -p esp-ra exited $EW_RC: $(tail -n1 /tmp/ew.ra.err)"
	tr -d '\\' < /tmp/ew.ra.out | grep -q "\"port\": *\"/dev/$TTY_ra\"" || fail "espwipe did not use /dev/$TTY_ra"
	gadget_down ra ra
	gadget_down rb rb
}

# ---------------------------------------------------------------- soak (issue 5)
# SOAK_CYCLES cycles of: 2-4 boards plugged (dummy_udc.0..3), the attribute
# modes checked, one board wiped while random writers (valid and invalid
# values) hit the others' attributes, sometimes a board unplugged under its
# writers, all unplugged; every 4th cycle (at random) the module unloaded and
# reloaded, with or without boards plugged.  Then: dmesg clean, no
# usb-serial device (so no attribute directory) left, and unreclaimable slab
# back to its level after the warm-up cycles (tolerance: SOAK_SLAB_KB,
# default 256 KiB; see tests/system/README.md).

SOAK_VALS="1 1 U0,1|W0.01|U0,0 D0|R1|W0.005|R0 x D2 U0,1|W6 U0,1||U0,0 0 11"
SOAK_SEQ_VALS="U0,1|W0.02|U1,0|W0.01|U0,0 D1|W0.01|D0 bogus W99"

soak_pick() {
	# soak_pick WORDS...: one of them at random
	shift $((RANDOM % $#))
	echo "$1"
}

# soak_down NAME: unplug and stop a bridge without sending its report.
soak_down() {
	local name=$1 g=$CFG/$1 pid
	eval "pid=\$BPID_$name"
	[ -e $g/UDC ] && echo "" > $g/UDC 2> /dev/null
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2> /dev/null
		wait "$pid"
		eval "BPID_$name="
	fi
	umount /ffs/$name 2> /dev/null
	rm -f $g/configs/c.1/ffs.$name
	rmdir $g/configs/c.1 $g/functions/ffs.$name $g/strings/0x409 $g 2> /dev/null
}

# Unreclaimable slab in kB, measured after dropping the reclaimable caches and
# shrinking every cache (SLUB: per-cpu partial slabs flushed, empty slabs
# freed), so what is left is objects still allocated, not slabs kept for reuse.
soak_slab_kb() {
	local f
	sync
	echo 3 > /proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do echo 1 > "$f" 2> /dev/null; done
	sed -n 's/^SUnreclaim: *\([0-9]*\) kB/\1/p' /proc/meminfo
}

# name active_objs objsize, one cache per line
soak_slabinfo() {
	awk 'NR > 2 { print $1, $2, $4 }' /proc/slabinfo > "$1"
}

soak_modes_ok() {
	local tty=$1 m a
	m=
	for a in enter_bootloader reset bootloader_sequence reset_sequence; do
		m="$m $(stat -c %a $SERIALDEV/$tty/$a 2> /dev/null || echo none)"
	done
	[ "$m" = " 200 200 644 644" ] && return 0
	fail "attribute modes of $tty are$m (want 200 200 644 644)"
	return 1
}

soak_cycle() {
	local i=$1 nb j chip tool wpids= a v k victim
	nb=$((2 + RANDOM % 3))
	j=0
	while [ $j -lt $nb ]; do
		chip=$(soak_pick ch340 cp2102)
		gadget_up s$j $chip dummy_udc.$j $EMU_FAST || { fail "cycle $i: gadget s$j did not come up"; return 1; }
		j=$((j + 1))
	done
	if kmod_loaded; then
		j=0
		while [ $j -lt $nb ]; do
			wait_attr $(eval echo \$TTY_s$j) || { fail "cycle $i: no attribute on s$j"; return 1; }
			soak_modes_ok $(eval echo \$TTY_s$j) || return 1
			j=$((j + 1))
		done
	fi
	tool=$((RANDOM % nb))
	ew_bg s$tool erase -p /dev/$(eval echo \$TTY_s$tool) --after stay
	j=0
	while [ $j -lt $nb ]; do
		if [ $j != $tool ]; then
			for k in 1 2; do
				a=$SERIALDEV/$(eval echo \$TTY_s$j)/$(soak_pick enter_bootloader enter_bootloader reset bootloader_sequence reset_sequence)
				case $a in
				*_sequence) v=$(soak_pick $SOAK_SEQ_VALS) ;;
				*) v=$(soak_pick $SOAK_VALS) ;;
				esac
				(echo "$v" > "$a") 2> /dev/null &
				wpids="$wpids $!"
			done
		fi
		j=$((j + 1))
	done
	# sometimes a board goes away under its writers
	if [ $((RANDOM % 3)) = 0 ] && [ $nb -gt 1 ]; then
		victim=$(( (tool + 1 + RANDOM % (nb - 1)) % nb ))
		echo "" > $CFG/s$victim/UDC
		SOAK_UNPLUGS=$((SOAK_UNPLUGS + 1))
	fi
	for k in $wpids; do wait $k; SOAK_WRITES=$((SOAK_WRITES + 1)); done
	wait $EW_PID
	read -r EW_RC EW_END < /tmp/ew.s$tool.rc
	[ "$EW_RC" = 0 ] || { fail "cycle $i: espwipe on s$tool exited $EW_RC: $(tail -n1 /tmp/ew.s$tool.err)"; return 1; }
	SOAK_WIPES=$((SOAK_WIPES + 1))
	# module unload/reload: with the boards still plugged, or between cycles
	if [ -e $KO ] && [ $((RANDOM % 4)) = 0 ]; then
		rmmod espwipe || { fail "cycle $i: rmmod failed"; return 1; }
		j=0
		while [ $j -lt $nb ]; do
			[ -e $SERIALDEV/$(eval echo \$TTY_s$j)/enter_bootloader ] && { fail "cycle $i: attribute left after rmmod"; return 1; }
			j=$((j + 1))
		done
		[ $((RANDOM % 2)) = 0 ] && insmod $KO
		SOAK_RELOADS=$((SOAK_RELOADS + 1))
	fi
	j=0
	while [ $j -lt $nb ]; do
		soak_down s$j
		j=$((j + 1))
	done
	kmod_loaded || insmod $KO || { fail "cycle $i: insmod failed"; return 1; }
	wait_for "[ -z \"\$(ls $SERIALDEV)\" ]" 250 || { fail "cycle $i: left behind: $(ls $SERIALDEV)"; return 1; }
	dmesg -c >> /tmp/dmesg.$SCN
	if grep -qE "$BAD_DMESG" /tmp/dmesg.$SCN; then
		fail "cycle $i: kernel log: $(grep -E "$BAD_DMESG" /tmp/dmesg.$SCN | head -n1)"
		return 1
	fi
	# only the last few cycles' messages are kept
	tail -n 200 /tmp/dmesg.$SCN > /tmp/dmesg.keep && mv /tmp/dmesg.keep /tmp/dmesg.$SCN
	return 0
}

s_soak() {
	local n=$1 i kb0 kb1 t0 t1 warm
	need_espwipe || return
	need_kmod || return
	RANDOM=${SOAK_SEED:-1}
	SOAK_WIPES=0 SOAK_WRITES=0 SOAK_UNPLUGS=0 SOAK_RELOADS=0 SOAK_TREND=""
	# the first cycles warm the caches (first use of the modules, sysfs,
	# FunctionFS, IDR layers): unreclaimable slab settles within about 3
	# cycles (measured), so the baseline is taken after them
	warm=$((n / 3))
	[ $warm -gt 3 ] && warm=3
	[ $warm -lt 1 ] && warm=1
	t0=$(now_us)
	i=1
	while [ $i -le $n ]; do
		soak_cycle $i || break
		if [ $i = $warm ]; then
			kb0=$(soak_slab_kb)
			soak_slabinfo /tmp/slab.0
		elif [ $((i % 4)) = 0 ]; then
			SOAK_TREND="$SOAK_TREND $(soak_slab_kb)"
		fi
		i=$((i + 1))
	done
	kb1=$(soak_slab_kb)
	soak_slabinfo /tmp/slab.1
	t1=$(now_us)
	fact cycles "$((i - 1)) of $n (baseline after cycle $warm)"
	fact counts "wipes=$SOAK_WIPES writes=$SOAK_WRITES unplugs_under_writers=$SOAK_UNPLUGS reloads=$SOAK_RELOADS"
	fact guest_s $(((t1 - t0) / 1000000))
	[ -n "$kb0" ] || { fail "no baseline (stopped in cycle $i)"; return; }
	fact slab_unreclaimable_kb "$kb0 -> $kb1 (delta $((kb1 - kb0)))"
	fact slab_trend_kb "every 4 cycles:$SOAK_TREND"
	# the caches that grew or shrank most, for a diagnosis
	fact slab_growth "$(awk 'NR == FNR { o[$1] = $2 * $3; next } { d = $2 * $3 - o[$1]; if (d > 0) print d, $1 }' /tmp/slab.0 /tmp/slab.1 | sort -rn | head -n 8 | awk '{ printf "%s:+%dB ", $2, $1 }')"
	fact slab_shrink "$(awk 'NR == FNR { o[$1] = $2 * $3; next } { d = $2 * $3 - o[$1]; if (d < 0) print d, $1 }' /tmp/slab.0 /tmp/slab.1 | sort -n | head -n 5 | awk '{ printf "%s:%dB ", $2, $1 }')"
	[ $((kb1 - kb0)) -le ${SOAK_SLAB_KB:-256} ] || fail "unreclaimable slab grew by $((kb1 - kb0)) kB from cycle $warm to $n (tolerance ${SOAK_SLAB_KB:-256})"
}

# ---------------------------------------------------------------- benchmark

# bench_holds CHIP PATH LOAD REPS: PATH kernel|user, LOAD 0|1.
s_bench_holds() {
	local chip=$1 path=$2 load=$3 reps=$4 i lpids= a
	[ $path = kernel ] && { need_kmod || return; }
	[ $path = user ] && { kmod_unload || { fail "rmmod failed"; return; }; }
	gadget_up b0 $chip dummy_udc.0 || { fail "gadget did not come up"; gadget_down b0; return; }
	a=$(attr_of $TTY_b0)
	[ $path = kernel ] && { wait_attr $TTY_b0 || fail "no $a"; }
	if [ $load = 1 ]; then
		for i in 1 2 3; do
			(while :; do :; done) &
			lpids="$lpids $!"
		done
	fi
	fact seq "$SEQ_DEFAULT"
	fact repeat $reps
	i=0
	while [ $i -lt $reps ]; do
		if [ $path = kernel ]; then
			attr_write 1 "$a"
			[ $W_RC = 0 ] || fail "write failed: $W_ERR"
		else
			ttylines /dev/$TTY_b0 seq "$SEQ_DEFAULT" > /dev/null || fail "ttylines failed"
		fi
		i=$((i + 1))
	done
	for i in $lpids; do kill $i; done
	for i in $lpids; do wait $i; done
	gadget_down b0
	kmod_present && kmod_load
}

# ---------------------------------------------------------------- groups

run_group() {
	local chip
	case $1 in
	check)
		kmod_present && insmod $KO
		for chip in ch340 cp2102; do
			scenario bind-$chip s_bind $chip
			scenario kmod-closed-$chip s_kmod_closed $chip
			scenario kmod-open-$chip s_kmod_open $chip
			scenario kmod-custom-$chip s_kmod_custom $chip
			scenario kmod-invalid-$chip s_kmod_invalid $chip
			scenario kmod-concurrent-$chip s_kmod_concurrent $chip
			scenario kmod-unplug-$chip s_kmod_unplug $chip
			scenario kmod-rmmod-$chip s_kmod_rmmod $chip
			scenario kmod-afterplug-$chip s_kmod_afterplug $chip
			scenario kmod-slowbridge-$chip s_kmod_slowbridge $chip
			scenario selftest-slowbridge-$chip s_selftest_slow $chip
			scenario espwipe-sysfs-$chip s_espwipe $chip sysfs
			scenario espwipe-tiocm-$chip s_espwipe $chip tiocm
			scenario espwipe-unplug-$chip s_espwipe_unplug $chip
		done
		scenario kmod-crtscts-cp2102 s_kmod_crtscts cp2102
		scenario espwipe-parallel4 s_espwipe_parallel 4 sysfs
		for chip in ch340 cp2102; do
			scenario fault-unplug-presync-$chip s_fault_unplug_presync $chip
			scenario fault-unplug-verify-$chip s_fault_unplug_verify $chip
			scenario fault-busy-$chip s_fault_busy $chip
			scenario fault-rmmod-midrun-$chip s_fault_rmmod_midrun $chip
		done
		scenario fault-renumber s_fault_renumber
		;;
	soak)
		kmod_present && insmod $KO
		scenario soak s_soak ${SOAK_CYCLES:-20}
		;;
	bench)
		kmod_present && insmod $KO
		for chip in ch340 cp2102; do
			for path in kernel user; do
				scenario bench-$chip-$path-idle s_bench_holds $chip $path 0 ${BENCH_REPS:-25}
				scenario bench-$chip-$path-load s_bench_holds $chip $path 1 ${BENCH_REPS:-25}
			done
		done
		# real erase timing (1 MiB: 32 sector + 14 block erases, 3.5 s):
		# what a lab sees, rather than the guest's CPU time for the protocol
		scenario bench-wipe1 s_espwipe_parallel 1 sysfs "$EMU_REAL"
		scenario bench-wipe4 s_espwipe_parallel 4 sysfs "$EMU_REAL"
		;;
	*)
		out "@@ERROR unknown group '$1'"
		;;
	esac
}
