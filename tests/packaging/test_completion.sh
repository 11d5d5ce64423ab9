#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Drive the bash completion as bash does (COMP_WORDS, COMP_CWORD, then the
# function) and compare COMPREPLY with what it must be.  Ports come from a
# fake /dev tree.  Usage: test_completion.sh completion/espwipe.bash
set -u
# shellcheck source=/dev/null
source "${1:?usage: test_completion.sh FILE}" || exit 1

dev=$(mktemp -d "${TMPDIR:-/tmp}/espwipe-comp.XXXXXX")
trap 'rm -rf "$dev"' EXIT
mkdir -p "$dev/serial/by-id" "$dev/serial/by-path"
touch "$dev/ttyUSB0" "$dev/ttyUSB1" "$dev/ttyACM0" "$dev/ttyS0" \
	"$dev/serial/by-id/usb-1a86_USB2.0-Serial-if00-port0" \
	"$dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0"
export ESPWIPE_COMP_DEV=$dev

pass=0 failed=0
# check "what" "expected words (sorted, space separated)" word...
# The last word is the one being completed.
check()
{
	local what=$1 want=$2 got
	shift 2
	COMP_WORDS=(espwipe "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_espwipe espwipe "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	got=$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ')
	got=${got% }
	if [[ $got == "$want" ]]; then
		pass=$((pass + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL %s:\n  words: %s\n  want:  [%s]\n  got:   [%s]\n' "$what" "$*" "$want" "$got"
	fi
}

D=$dev
check "commands" "autowipe bootloader erase info list log reset verify" ""
check "command prefix" "reset" "res"
check "command prefix, several" "verify" "v"
check "options after command" "--connect-attempts" erase --con
check "long options" "--flash-size --follow --force --full" --f
check "--flash-size values" "4M" erase --flash-size 4
check "--flash-size value is not the command" "autowipe bootloader erase info list log reset verify" \
	--flash-size 4M ""
check "--reset values" "auto none sysfs tiocm" erase --reset ""
check "--reset prefix" "tiocm" erase --reset t
check "--reset=VALUE split at =" "sysfs" erase --reset = s
check "--after values" "hard-reset stay" --after ""
check "--after= with nothing yet" "hard-reset stay" --after =
check "--port lists serial ports, not ttyS" \
	"$D/serial/by-id/usb-1a86_USB2.0-Serial-if00-port0 $D/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0 $D/ttyACM0 $D/ttyUSB0 $D/ttyUSB1" \
	erase --port ""
check "-p prefix" "$D/ttyUSB0 $D/ttyUSB1" -p "$D/ttyU"
check "by-id" "$D/serial/by-id/usb-1a86_USB2.0-Serial-if00-port0" -p "$D/serial/by-i"
check "autowipe takes a port" "$D/ttyACM0" autowipe "$D/ttyA"
check "autowipe takes one port" "" autowipe "$D/ttyUSB0" "$D/tty"
check "option value is not the command" "autowipe bootloader erase info list log reset verify" -p "$D/ttyUSB0" ""
check "no second command" "" erase ""
check "--baud rates" "115200" -b 115
check "--region takes a free value" "" erase --region ""
check "several boards: --all --each --match" "--all" erase --al
check "--each and --match" "--each" erase --ea
check "--match takes a free rule" "" erase --all --match ""
check "--match value is not the command" "autowipe bootloader erase info list log reset verify" \
	--all --match "usb 1a86:7523" ""
check "a second -p still lists ports" "$D/ttyUSB0 $D/ttyUSB1" erase -p "$D/ttyUSB0" -p "$D/ttyU"
check "--link values" "cdc-acm ch341 cp210x ftdi pl2303 usb-serial-jtag" erase --link ""
check "--link prefix" "usb-serial-jtag" info --link u
check "--link=VALUE split at =" "cdc-acm ch341 cp210x" --link = c
check "--link value is not the command" "autowipe bootloader erase info list log reset verify" \
	--link usb-serial-jtag ""
check "--link as an option" "--lines --link" erase --lin

echo "completion: $pass passed, $failed failed"
[[ $failed -eq 0 ]]
