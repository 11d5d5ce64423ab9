# SPDX-License-Identifier: GPL-2.0-or-later
# udev scenarios for the QEMU system-test guest (group "udev"): the real
# systemd-udevd with only 60-serial.rules, 99-systemd.rules and espwipe's
# rules, the real ch341/cp210x drivers, espwipe.ko and espwipe.
#
# Sourced by the guest's /bin/scenarios.sh that udev/tests/mkguest.sh puts in
# the initramfs: that file is tests/system/scenarios.sh with its run_group
# renamed base_run_group, followed by this file, so every helper of the
# system tests (gadget_up, fact, fail, scenario, ...) is used unchanged.
# There is no systemd in the guest: the unit is not run, but the udev
# properties that would start it are checked, and `espwipe autowipe` is run
# by hand with the udev database the daemon wrote.

UDEVD=/lib/systemd/systemd-udevd
AW_CONF=/etc/espwipe/autowipe.conf

settle() { udevadm settle -t 30; }
prop() { udevadm info -q property -n "/dev/$1" | sed -n "s/^$2=//p"; }
owner_mode() { stat -c '%U:%G:%a' "$1" 2>&1; }
# expect WHAT GOT WANT
expect() { [ "$2" = "$3" ] || fail "$1: '$2', expected '$3'"; }

udev_start() {
	mkdir -p /run && mount -t tmpfs tmpfs /run || return 1
	$UDEVD --daemon || return 1
	udevadm trigger --action=add || return 1
	settle
}

# espwipe as a user: su USER COMMAND; returns its exit code.
as_user() {
	local user=$1
	shift
	su -s /bin/sh "$user" -c "$*"
}

s_udev_perms() {
	local chip=$1 tty a
	gadget_up b0 $chip dummy_udc.0 $EMU_FAST || { fail "gadget did not come up"; gadget_down b0; return; }
	tty=$TTY_b0
	settle
	fact tty "$tty"
	expect "tty node" "$(owner_mode /dev/$tty)" "root:dialout:660"
	expect ID_MM_DEVICE_IGNORE "$(prop $tty ID_MM_DEVICE_IGNORE)" 1
	expect ESPWIPE_PORT "$(prop $tty ESPWIPE_PORT)" 1
	expect SYSTEMD_WANTS "$(prop $tty SYSTEMD_WANTS)" "espwipe-autowipe@$tty.service"
	case " $(prop $tty TAGS) $(prop $tty CURRENT_TAGS) " in
	*:systemd:*) ;;
	*) fail "no systemd tag: $(prop $tty TAGS)" ;;
	esac
	fact id_path "$(prop $tty ID_PATH)"
	[ -n "$(prop $tty ID_PATH)" ] || fail "no ID_PATH"
	[ -n "$(prop $tty USEC_INITIALIZED)" ] || fail "no USEC_INITIALIZED"
	if ! kmod_present; then
		skip "no espwipe.ko: attributes not checked"
		gadget_down b0
		return
	fi
	wait_attr $tty || fail "no attribute"
	settle
	for a in enter_bootloader reset; do
		expect "$a" "$(owner_mode $SERIALDEV/$tty/$a)" "root:dialout:220"
	done
	for a in bootloader_sequence reset_sequence; do
		expect "$a" "$(owner_mode $SERIALDEV/$tty/$a)" "root:root:644"
	done
	# a dialout member may run the sequence, anybody else may not
	as_user lab "echo 1 > $SERIALDEV/$tty/enter_bootloader" 2> /tmp/su.err
	a=$?
	fact lab_write_rc "$a $(cat /tmp/su.err)"
	[ $a = 0 ] || fail "dialout member could not write enter_bootloader: $(cat /tmp/su.err)"
	bridge_wait b0 'mode=loader' 250 || fail "the board did not enter its loader"
	as_user other "echo 1 > $SERIALDEV/$tty/enter_bootloader" 2> /tmp/su.err
	a=$?
	fact other_write_rc "$a $(cat /tmp/su.err)"
	[ $a != 0 ] || fail "a user outside dialout could write enter_bootloader"
	as_user lab "echo U0,0 > $SERIALDEV/$tty/bootloader_sequence" 2> /dev/null &&
		fail "a dialout member could change bootloader_sequence"
	gadget_down b0
}

# espwipe.ko loaded after the plug: its change event must fix the modes too.
s_udev_afterplug() {
	local chip=$1 tty a
	kmod_present || { skip "no espwipe.ko"; return; }
	kmod_unload || { fail "rmmod failed"; return; }
	gadget_up b0 $chip dummy_udc.0 $EMU_FAST || { fail "gadget did not come up"; gadget_down b0; kmod_load; return; }
	tty=$TTY_b0
	settle
	[ -e $SERIALDEV/$tty/enter_bootloader ] && fail "attribute present before the module"
	kmod_load || fail "insmod failed"
	wait_attr $tty || fail "no attribute after insmod"
	settle
	for a in enter_bootloader reset; do
		expect "$a" "$(owner_mode $SERIALDEV/$tty/$a)" "root:dialout:220"
	done
	gadget_down b0
}

# autowipe: the allow-list against the properties udev really sets.
s_udev_autowipe() {
	local ta tb usec rc
	need_espwipe || return
	gadget_up a ch340 dummy_udc.0 $EMU_FAST || { fail "gadget a"; gadget_down a; return; }
	gadget_up b cp2102 dummy_udc.1 $EMU_FAST || { fail "gadget b"; gadget_down a; gadget_down b; return; }
	settle
	ta=$TTY_a
	tb=$TTY_b
	mkdir -p /etc/espwipe
	printf '# guest test\npath %s\n' "$(prop $ta ID_PATH)" > $AW_CONF
	chmod 0644 $AW_CONF
	fact conf "$(tr '\n' '|' < $AW_CONF)"

	$ESPWIPE list --json > /tmp/aw.list
	grep "$ta\"" /tmp/aw.list | grep -q '"autowipe":true' || fail "list: $ta not marked autowipe"
	grep "$tb\"" /tmp/aw.list | grep -q '"autowipe":false' || fail "list: $tb marked autowipe"

	$ESPWIPE autowipe /dev/$tb > /tmp/aw.b 2>&1
	rc=$?
	fact autowipe_b "$rc $(head -n1 /tmp/aw.b)"
	[ $rc = 0 ] || fail "autowipe of the other board exited $rc"
	grep -q "not in the allow-list, not wiped" /tmp/aw.b || fail "other board: $(head -n1 /tmp/aw.b)"

	timeout 120 $ESPWIPE autowipe /dev/$ta --json > /tmp/aw.a1 2> /tmp/aw.a1.err
	rc=$?
	out "@@OUTPUT $SCN autowipe-a1 $(tr '\n' ' ' < /tmp/aw.a1)"
	[ $rc = 0 ] || fail "autowipe exited $rc: $(tail -n1 /tmp/aw.a1.err)"
	grep -q '"allowed":true' /tmp/aw.a1 || fail "autowipe did not allow $ta"
	bridge_wait a 'erases=[1-9]' 50 || fail "board a was not erased: $(cat /tmp/a.status)"

	$ESPWIPE autowipe /dev/$ta > /tmp/aw.a2 2>&1
	rc=$?
	fact autowipe_a2 "$rc $(head -n1 /tmp/aw.a2)"
	[ $rc = 0 ] && grep -q "already wiped for this plug-in" /tmp/aw.a2 || fail "second run: $(cat /tmp/aw.a2)"

	# a replayed add event is the same plug-in
	usec=$(prop $ta USEC_INITIALIZED)
	udevadm trigger --action=add /sys/class/tty/$ta
	settle
	expect "USEC_INITIALIZED after trigger" "$(prop $ta USEC_INITIALIZED)" "$usec"
	$ESPWIPE autowipe /dev/$ta > /tmp/aw.a3 2>&1
	grep -q "already wiped for this plug-in" /tmp/aw.a3 || fail "after trigger: $(cat /tmp/aw.a3)"
	ls /run/espwipe/$ta > /tmp/aw.markers
	fact markers "$(tr '\n' ' ' < /tmp/aw.markers)"

	# an unsafe allow-list is refused
	chmod 0666 $AW_CONF
	$ESPWIPE autowipe /dev/$ta > /tmp/aw.a4 2>&1
	rc=$?
	expect "unsafe config exit" "$rc" 10
	chmod 0644 $AW_CONF
	grep -q 'sync=0 ' /tmp/b.status || fail "board b was touched: $(cat /tmp/b.status)"
	gadget_down b

	# unplugged and plugged again: a new plug-in, wiped again
	gadget_down a a-first
	gadget_up a ch340 dummy_udc.0 $EMU_FAST || { fail "gadget a again"; gadget_down a; return; }
	settle
	ta=$TTY_a
	[ "$(prop $ta USEC_INITIALIZED)" != "$usec" ] || fail "USEC_INITIALIZED did not change on replug"
	timeout 120 $ESPWIPE autowipe /dev/$ta > /tmp/aw.a5 2>&1
	rc=$?
	fact autowipe_a5 "$rc $(head -n1 /tmp/aw.a5)"
	[ $rc = 0 ] || fail "autowipe after replug exited $rc"
	bridge_wait a 'erases=[1-9]' 50 || fail "board a was not erased after replug"
	rm -f $AW_CONF
	gadget_down a
}

run_group() {
	local chip
	case $1 in
	udev)
		udev_start || { out "@@ERROR systemd-udevd did not start"; return; }
		kmod_present && insmod $KO
		for chip in ch340 cp2102; do
			scenario udev-perms-$chip s_udev_perms $chip
			scenario udev-afterplug-$chip s_udev_afterplug $chip
		done
		scenario udev-autowipe s_udev_autowipe
		;;
	*)
		base_run_group "$@"
		;;
	esac
}
