#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Real esptool (ROM mode, --no-stub) against espemu.
#   usage: tests/emu/esptool_interop.sh ESPTOOL_DIR
# ESPTOOL_DIR is an esptool source tree (tested: v4.7.0, via `git archive`).
# Needs /usr/bin/python3 with python3-serial.  ESPEMU and ESPEMU_SHIM may
# name other builds.  Prints "N passed, N failed"; exits 1 on any failure.
set -u

ESPTOOL_DIR=${1:?usage: esptool_interop.sh ESPTOOL_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ESPEMU=${ESPEMU:-$ROOT/build/espemu}
SHIM=${ESPEMU_SHIM:-$ROOT/build/libespemu-lines.so}
PY=/usr/bin/python3
TMP=$(mktemp -d)
PASS=0
FAIL=0
trap 'rm -rf "$TMP"' EXIT

if [ -f "$ESPTOOL_DIR/esptool.py" ]; then
	ESPTOOL="$PY $ESPTOOL_DIR/esptool.py"
else
	ESPTOOL="env PYTHONPATH=$ESPTOOL_DIR $PY -m esptool"
fi
echo "esptool: $($ESPTOOL version 2>&1 | tail -1)"

ok() { PASS=$((PASS + 1)); echo "PASS $1"; }
ko() { FAIL=$((FAIL + 1)); echo "FAIL $1"; }

# run NAME "espemu options" "esptool args": output in $TMP/NAME.out, report
# in $TMP/NAME.json, esptool's status in $RC.
run() {
	name=$1 emuopts=$2 args=$3
	rm -f "$TMP/$name.json"
	# shellcheck disable=SC2086
	"$ESPEMU" --exit-when-closed --link="$TMP/tty" --report="$TMP/$name.json" \
		--lines-socket="$TMP/lines" --dump-flash="$TMP/$name.flash" $emuopts \
		>"$TMP/$name.pty" 2>"$TMP/$name.emu.err" &
	emu=$!
	i=0
	while [ ! -e "$TMP/tty" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	# shellcheck disable=SC2086
	LD_PRELOAD=$SHIM ESPEMU_LINES_SOCKET=$TMP/lines timeout 120 \
		$ESPTOOL --no-stub -p "$TMP/tty" $args >"$TMP/$name.out" 2>&1
	RC=$?
	i=0
	while kill -0 $emu 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill $emu 2>/dev/null
	wait $emu 2>/dev/null
	sed 's/^/    | /' "$TMP/$name.out" | grep -v '^    | $'
}

# has NAME TEXT: esptool printed TEXT
has() { grep -q -- "$2" "$TMP/$1.out"; }

# report NAME PYTHON-EXPRESSION over r (the report) is true
report() {
	$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$TMP/$1.json" "$2"
}

check() { if "$@"; then ok "$CHECK"; else ko "$CHECK"; fi; }

NR="--before no_reset --after no_reset"
LOADER="--start-mode=loader --time-scale=10"

run flash_id "$LOADER" "--chip esp8266 $NR flash_id"
CHECK="flash_id: exit 0"; check [ "$RC" -eq 0 ]
CHECK="flash_id: JEDEC ef 4016 4MB"
check sh -c "grep -q 'Manufacturer: ef' $TMP/flash_id.out && grep -q 'Device: 4016' $TMP/flash_id.out && grep -q 'flash size: 4MB' $TMP/flash_id.out"
CHECK="flash_id: crystal 26MHz"; check has flash_id "Crystal is 26MHz"
CHECK="flash_id: report loader, no erase, FLASH_BEGIN(0,0) attach"
check report flash_id "r['mode']=='loader' and not r['erase_events'] and r['stats']['commands'].get('0x02')==1"

run chip_id "$LOADER" "$NR chip_id"
CHECK="chip_id (autodetect sends 0x14): exit 0"; check [ "$RC" -eq 0 ]
CHECK="chip_id: 0x00123456"; check has chip_id "Chip ID: 0x00123456"
CHECK="chip_id: report counts 0x14 as unsupported"
check report chip_id "r['stats']['unsupported']==1 and r['stats']['commands'].get('0x14')==1"

run read_mac "$LOADER" "$NR read_mac"
CHECK="read_mac: exit 0, MAC 5c:cf:7f:12:34:56"
check sh -c "[ $RC -eq 0 ] && grep -q 'MAC: 5c:cf:7f:12:34:56' $TMP/read_mac.out"

run read_mac_18fe34 "$LOADER --mac=18:FE:34:AB:CD:EF" "--chip esp8266 $NR read_mac"
CHECK="read_mac: OUI 18:FE:34 (m3 = 0, m1[23:16] = 0)"; check has read_mac_18fe34 "MAC: 18:fe:34:ab:cd:ef"

run read_mac_acd074 "$LOADER --mac=AC:D0:74:01:02:03" "--chip esp8266 $NR read_mac"
CHECK="read_mac: OUI AC:D0:74 (m3 = 0, m1[23:16] = 1)"; check has read_mac_acd074 "MAC: ac:d0:74:01:02:03"

run esp8285 "$LOADER --chip=esp8285 --flash-size=1M --jedec=0x1440c8" "--chip esp8266 $NR flash_id"
CHECK="esp8285: detected as ESP8285"; check has esp8285 "Chip is ESP8285"

run xtal40 "$LOADER --crystal=40" "--chip esp8266 $NR chip_id"
CHECK="crystal 40 MHz detected"; check has xtal40 "Crystal is 40MHz"

head -c 12288 /dev/urandom >"$TMP/img.bin"
run write_flash "$LOADER" "--chip esp8266 $NR write_flash 0x1000 $TMP/img.bin"
CHECK="write_flash (ROM FLASH_BEGIN/DATA): exit 0"; check [ "$RC" -eq 0 ]
CHECK="write_flash: ROM erased sectors 1..4 (esptool sent 2 for 3, ROM doubles)"
check report write_flash "[(e['kind'],e['offset']) for e in r['erase_events']]==[('S',0x1000),('S',0x2000),('S',0x3000),('S',0x4000)]"
CHECK="write_flash: 12 FLASH_DATA blocks"
check report write_flash "r['stats']['commands'].get('0x03')==12"
CHECK="write_flash: flash contents equal the image"
check $PY -c 'import sys; f=open(sys.argv[1],"rb").read(); i=open(sys.argv[2],"rb").read(); sys.exit(0 if f[0x1000:0x4000]==i and f[0x4000:0x5000]==b"\xff"*4096 else 1)' "$TMP/write_flash.flash" "$TMP/img.bin"

run erase_region "$LOADER" "--chip esp8266 $NR erase_region 0x1000 0x3000"
CHECK="erase_region: esptool refuses it in ROM mode (stub only), nothing erased"
check sh -c "grep -q 'does not support function erase_region' $TMP/erase_region.out && [ $RC -ne 0 ]"

run erase_flash "$LOADER" "--chip esp8266 $NR erase_flash"
CHECK="erase_flash: esptool refuses it in ROM mode (stub only)"
check sh -c "grep -q 'does not support function erase_flash' $TMP/erase_flash.out && [ $RC -ne 0 ]"

# esptool's own DTR/RTS reset through the shim, from a running app
run reset "--time-scale=10" "flash_id"
CHECK="default_reset/hard_reset via shim: exit 0, flash id read"
check sh -c "[ $RC -eq 0 ] && grep -q 'Device: 4016' $TMP/reset.out"
CHECK="default_reset: chip reset into the loader, then hard_reset pulsed EN"
check report reset "r['stats']['boots_loader']>=1 and r['stats']['resets']>=2 and len(r['line_events'])>=5"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
