#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Make sure the Debian packages a make target needs are installed.
# As root it installs what is missing with apt-get; otherwise it prints the
# one apt-get line to run and fails.
set -eu

build="gcc make pkg-config libc6-dev libudev-dev libjson-c-dev libsystemd-dev libmd-dev scdoc"
tests="libcmocka-dev python3 clang libclang-rt-dev debhelper dh-dkms lintian dpkg-dev udev systemd tmux"
# Both kernel series the module is tested on (kmod/README.md, "Kernel range"):
# bookworm's 6.1 and the 6.12 of bookworm-security; `make check` runs the
# module's lint, DKMS build and QEMU groups on each.
kernel="linux-image-amd64 linux-headers-amd64 linux-image-6.12-amd64 linux-headers-6.12-amd64 \
linux-source-6.1 sparse dkms kmod perl openssl util-linux \
qemu-system-x86 busybox-static cpio xz-utils zstd"
interop="python3-serial python3-intelhex python3-rich-click"

case "${1:-build}" in
build) want="$build" ;;
demo) want="$build python3" ;;
check) want="$build $tests $kernel $interop" ;;
bench) want="$build $tests $kernel $interop" ;;
# tests/debugkernel: building the debug kernel for the QEMU guest
debugkernel) want="$build $kernel linux-source-6.12 bc bison flex libelf-dev libssl-dev" ;;
*) echo "deps.sh: unknown target '$1'" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "Installing missing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
else
	echo "Missing Debian packages. Run:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
