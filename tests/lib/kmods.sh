# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the QEMU guests' initramfs builders (sourced, POSIX sh + local).
#
# stage_modules STAGE MODDIR NAME...: copy the named kernel modules and
# everything modules.dep says they need into STAGE/lib/modules/, dependencies
# first, decompressed (busybox insmod takes plain ELF), and list their load
# order in STAGE/lib/modules/order.  A module the kernel has built in
# (modules.builtin) is skipped: the same option is =m in one kernel and =y in
# another (virtio_pci: m in 6.1, y in 6.12), and either way it is there.
stage_modules() {
	_sm_stage=$1
	_sm_moddir=$2
	shift 2
	_sm_order=$_sm_stage/lib/modules/order
	mkdir -p "$_sm_stage/lib/modules"
	: > "$_sm_order"
	[ -f "$_sm_moddir/modules.dep" ] || {
		echo "stage_modules: no $_sm_moddir/modules.dep (is $_sm_moddir a modules directory?)" >&2
		return 1
	}
	for _sm_m in "$@"; do
		_sm_rel=$(grep -oE "^[^:]*/$_sm_m\.ko(\.xz|\.zst|\.gz)?:" "$_sm_moddir/modules.dep" |
			head -n1 | tr -d :)
		if [ -z "$_sm_rel" ]; then
			if _builtin_module "$_sm_m"; then
				echo "stage_modules: $_sm_m is built into the kernel" >&2
				continue
			fi
			echo "stage_modules: module $_sm_m neither in $_sm_moddir/modules.dep nor built in (modules.builtin)" >&2
			return 1
		fi
		_stage_module "$_sm_rel" || return 1
	done
}

# _builtin_module NAME: modules.builtin lists NAME (file names may spell
# '-' where the kernel's module name has '_', and the other way round).
_builtin_module() {
	local alt
	[ -f "$_sm_moddir/modules.builtin" ] || return 1
	alt=$(echo "$1" | sed 'y/_-/-_/')
	grep -qE "/($1|$alt)\.ko\$" "$_sm_moddir/modules.builtin"
}

_stage_module() { # relative path from modules.dep (recursive: keep variables local)
	local rel name deps d
	rel=$1
	name=$(basename "$rel")
	name=${name%%.ko*}
	grep -qx "$name" "$_sm_order" && return 0
	deps=$(grep -E "^$rel:" "$_sm_moddir/modules.dep" | cut -d: -f2)
	# modules.dep lists a module's dependencies with the deepest last
	for d in $(echo $deps | tr ' ' '\n' | sed '1!G;h;$!d'); do
		_stage_module "$d" || return 1
	done
	case $rel in
	*.ko.xz) xz -dc "$_sm_moddir/$rel" > "$_sm_stage/lib/modules/$name.ko" ;;
	*.ko.zst) zstd -qdc "$_sm_moddir/$rel" > "$_sm_stage/lib/modules/$name.ko" ;;
	*.ko.gz) gzip -dc "$_sm_moddir/$rel" > "$_sm_stage/lib/modules/$name.ko" ;;
	*) cp "$_sm_moddir/$rel" "$_sm_stage/lib/modules/$name.ko" ;;
	esac || return 1
	echo "$name" >> "$_sm_order"
}
