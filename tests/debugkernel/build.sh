#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (once) and cache the debug kernel for the tests/system QEMU guest.
#
#   build.sh            build if needed; print the cache directory
#   build.sh --key      print the cache directory only (nothing is built)
#
# Source: DEBUGK_TAR (default /usr/src/linux-source-6.12.tar.xz, Debian's
# linux-source-6.12), with kernel-patches/*.patch applied (test-harness fixes
# of the debug options, see README.md).  Config: tinyconfig +
# kvm_guest.config + debug.config.
# Cache: ${ESPWIPE_CACHE:-/var/cache/espwipe}/debugkernel/
#   src/<tarball>-<package version>-p<patches>/  the patched source (shared)
#   <tarball>-<package version>-<key>/    one build, <key> = sha256 of
#       debug.config, the kernel patches and the recipe below (config steps,
#       make variables, compiler version), so only a change to one of them
#       rebuilds:
#     bzImage System.map config kernel.release build-time
#     obj/                    the O= build tree (make -C obj M=... modules)
#     root/lib/modules/<kver>/ modules_install output, with modules.dep
#     done                    written last: the build is complete
#
# The build runs at idle priority (chrt -i 0, nice 19) with DEBUGK_JOBS (2)
# jobs, so timing-sensitive tests on the same cores keep their CPU.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug.config
tar=${DEBUGK_TAR:-/usr/src/linux-source-6.12.tar.xz}
cache=${ESPWIPE_CACHE:-/var/cache/espwipe}/debugkernel
jobs=${DEBUGK_JOBS:-2}
kmake_vars="ARCH=x86_64"
# Everything that decides the kernel besides the fragment and the source.
recipe="v1 tinyconfig kvm_guest.config debug.config; $kmake_vars; bzImage modules;"
recipe="$recipe $(${CC:-gcc} -dumpfullversion 2>/dev/null || echo unknown-gcc)"

[ -f "$tar" ] || { echo "debugkernel: no $tar (apt-get install linux-source-6.12)" >&2; exit 1; }
srcname=$(basename "$tar" .tar.xz)
# The Debian package version names the source; a tarball from elsewhere is
# named by its checksum.
pkg=$(dpkg -S "$tar" 2>/dev/null | head -n1 | cut -d: -f1) || pkg=
if [ -n "$pkg" ]; then
	srcver=$(dpkg-query -W -f='${Version}' "$pkg" | tr '~:' '__')
else
	srcver=sha$(sha256sum "$tar" | cut -c1-12)
fi
patches=$(ls "$here"/kernel-patches/*.patch 2>/dev/null | LC_ALL=C sort) || patches=
psum=$(cat /dev/null $patches | sha256sum | cut -c1-8)
key=$( { cat "$frag" $patches; echo "$recipe"; } | sha256sum | cut -c1-12)
dir=$cache/$srcname-$srcver-$key
if [ "${1:-}" = --key ]; then
	echo "$dir"
	exit 0
fi
if [ -e "$dir/done" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$cache"
exec 9> "$cache/.lock"
echo "debugkernel: waiting for the build lock ($cache/.lock)" >&2
flock 9
if [ -e "$dir/done" ]; then # built by whoever held the lock
	echo "$dir"
	exit 0
fi

src=$cache/src/$srcname-$srcver-p$psum
if [ ! -f "$src/Makefile" ]; then
	echo "debugkernel: unpacking $tar" >&2
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tar" -C "$src.tmp" --strip-components=1
	for p in $patches; do
		echo "debugkernel: applying kernel-patches/$(basename "$p")" >&2
		patch -p1 -s -d "$src.tmp" -i "$p" || { echo "debugkernel: $p does not apply" >&2; exit 1; }
	done
	rm -rf "$src"
	mv "$src.tmp" "$src"
fi

obj=$dir/obj
mkdir -p "$obj"
idle() { chrt -i 0 nice -n 19 "$@"; }
kmake() { idle make -C "$src" O="$obj" $kmake_vars "$@"; }

echo "debugkernel: configuring $dir" >&2
kmake -s tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
	"$src/kernel/configs/kvm_guest.config" "$frag" > "$obj/merge.log"
kmake -s olddefconfig
# Every line of the fragment must have survived olddefconfig.
bad=$(grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' "$frag" | while read -r l; do
	case $l in
	"# CONFIG_"*)
		s=${l#\# }; s=${s%% *}
		grep -qE "^$s=" "$obj/.config" && echo "  want '$l', have '$(grep -E "^$s=" "$obj/.config")'"
		;;
	*)
		grep -qxF "$l" "$obj/.config" ||
			echo "  want '$l', have '$(grep -E "^(# )?${l%%=*}[= ]" "$obj/.config" || echo absent)'"
		;;
	esac
done)
if [ -n "$bad" ]; then
	echo "debugkernel: options of debug.config lost in olddefconfig (missing dependency?):" >&2
	echo "$bad" >&2
	exit 1
fi

echo "debugkernel: building with $jobs jobs at idle priority (log: $dir/build.log)" >&2
t0=$(date +%s)
if ! kmake -j"$jobs" bzImage modules > "$dir/build.log" 2>&1; then
	tail -n 40 "$dir/build.log" >&2
	echo "debugkernel: build FAILED (log: $dir/build.log)" >&2
	exit 1
fi
t1=$(date +%s)
rm -rf "$dir/root"
kmake -s INSTALL_MOD_PATH="$dir/root" modules_install >> "$dir/build.log" 2>&1
kver=$(cat "$obj/include/config/kernel.release")
[ -f "$dir/root/lib/modules/$kver/modules.dep" ] ||
	{ echo "debugkernel: no modules.dep (depmod missing? apt-get install kmod)" >&2; exit 1; }
# modules_install links build/ to the tree; keep the link pointing at obj
ln -sfn "$obj" "$dir/root/lib/modules/$kver/build"
cp "$obj/arch/x86/boot/bzImage" "$dir/bzImage"
cp "$obj/System.map" "$dir/System.map"
cp "$obj/.config" "$dir/config"
echo "$kver" > "$dir/kernel.release"
echo "$((t1 - t0)) s with -j$jobs on $(nproc) cores ($(date -u +%Y-%m-%dT%H:%MZ))" > "$dir/build-time"
echo "debugkernel: built $kver in $((t1 - t0)) s" >&2
touch "$dir/done"
echo "$dir"
