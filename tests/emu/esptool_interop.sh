#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Real esptool (ROM mode, --no-stub) against espemu: the ESP8266 model and
# every ESP32-family model.
#   usage: tests/emu/esptool_interop.sh ESPTOOL_DIR
# ESPTOOL_DIR is an esptool source tree (tested: v4.10.0 and v5.2.0, made with
# `git archive`).  The checks follow the version: v5 spells commands and
# options with hyphens and prints "Chip type:"; v4 uses underscores and
# "Chip is".  Needs /usr/bin/python3 with python3-serial (and, for v5,
# python3-rich-click).  ESPEMU and ESPEMU_SHIM may name other builds.
# Prints "N passed, N failed"; exits 1 on any failure.
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
VERSION=$($ESPTOOL version 2>&1 | tail -1)
echo "esptool: $VERSION"
case $VERSION in
5.*) V5=1 ;;
[0-4].*) V5=0 ;;
*) echo "esptool_interop: cannot run esptool in $ESPTOOL_DIR"; echo "0 passed, 1 failed"; exit 1 ;;
esac

# c NAME: the command as this version spells it (v5: hyphens, v4: underscores)
c() { if [ $V5 -eq 1 ]; then echo "$1" | tr _ -; else echo "$1" | tr - _; fi; }
NR="--before $(c no_reset) --after $(c no_reset)"
# what esptool prints for the chip line and the crystal
if [ $V5 -eq 1 ]; then CHIP_IS="Chip type: *"; XTAL="Crystal frequency: *"; else
	CHIP_IS="Chip is "; XTAL="Crystal is "; fi

ok() { PASS=$((PASS + 1)); echo "PASS $1"; }
ko() { FAIL=$((FAIL + 1)); echo "FAIL $1"; }

# run NAME "espemu options" "esptool args": output in $TMP/NAME.out, report
# in $TMP/NAME.json, flash in $TMP/NAME.flash, esptool's status in $RC.
# (sh has no locals: the _-prefixed names are run()'s own.)
run() {
	_n=$1 _o=$2 _a=$3
	rm -f "$TMP/$_n.json" "$TMP/tty"
	# shellcheck disable=SC2086
	"$ESPEMU" --exit-when-closed --link="$TMP/tty" --report="$TMP/$_n.json" \
		--lines-socket="$TMP/lines" --dump-flash="$TMP/$_n.flash" $_o \
		>"$TMP/$_n.pty" 2>"$TMP/$_n.emu.err" &
	emu=$!
	i=0
	while [ ! -e "$TMP/tty" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	# shellcheck disable=SC2086
	LD_PRELOAD=$SHIM ESPEMU_LINES_SOCKET=$TMP/lines timeout 120 \
		$ESPTOOL --no-stub -p "$TMP/tty" $_a >"$TMP/$_n.out" 2>&1
	RC=$?
	i=0
	while kill -0 $emu 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill $emu 2>/dev/null
	wait $emu 2>/dev/null
	cat "$TMP/$_n.emu.err"
	# progress bars and colour codes make long lines; keep the readable ones
	sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/^/    | /' "$TMP/$_n.out" |
		grep -v -e '^    | *$' -e 'Writing at 0x' -e 'Deprecat'
}

# has NAME REGEX: esptool printed a line matching REGEX (basic regex)
has() { grep -q -- "$2" "$TMP/$1.out"; }

# report NAME PYTHON-EXPRESSION over r (the report) is true
report() {
	$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$TMP/$1.json" "$2"
}

check() { if "$@"; then ok "$CHECK"; else ko "$CHECK"; fi; }

# No stub ever: nothing loaded into RAM, nothing run from it.
NO_STUB="not any(r['stats']['commands'].get(k) for k in ('0x05', '0x06', '0x07'))"

# ------------------------------------------------------------- ESP8266

LOADER="--start-mode=loader --time-scale=10"

run flash_id "$LOADER" "--chip esp8266 $NR $(c flash_id)"
CHECK="flash_id: exit 0"; check [ "$RC" -eq 0 ]
CHECK="flash_id: JEDEC ef 4016 4MB"
check sh -c "grep -q 'Manufacturer: ef' $TMP/flash_id.out && grep -q 'Device: 4016' $TMP/flash_id.out && grep -qi 'flash size: 4MB' $TMP/flash_id.out"
CHECK="flash_id: crystal 26MHz"; check has flash_id "${XTAL}26MHz"
CHECK="flash_id: report loader, no erase, FLASH_BEGIN(0,0) attach"
check report flash_id "r['mode']=='loader' and not r['erase_events'] and r['stats']['commands'].get('0x02')==1"

run chip_id "$LOADER" "$NR $(c chip_id)"
CHECK="chip_id (autodetect sends 0x14): exit 0"; check [ "$RC" -eq 0 ]
CHECK="chip_id: 0x00123456"; check has chip_id "Chip ID: 0x00123456"
CHECK="chip_id: report counts 0x14 as unsupported"
check report chip_id "r['stats']['unsupported']==1 and r['stats']['commands'].get('0x14')==1"

run read_mac "$LOADER" "$NR $(c read_mac)"
CHECK="read_mac: exit 0, MAC 5c:cf:7f:12:34:56"
check sh -c "[ $RC -eq 0 ] && grep -q 'MAC: *5c:cf:7f:12:34:56' $TMP/read_mac.out"

run read_mac_18fe34 "$LOADER --mac=18:FE:34:AB:CD:EF" "--chip esp8266 $NR $(c read_mac)"
CHECK="read_mac: OUI 18:FE:34 (m3 = 0, m1[23:16] = 0)"; check has read_mac_18fe34 "MAC: *18:fe:34:ab:cd:ef"

run read_mac_acd074 "$LOADER --mac=AC:D0:74:01:02:03" "--chip esp8266 $NR $(c read_mac)"
CHECK="read_mac: OUI AC:D0:74 (m3 = 0, m1[23:16] = 1)"; check has read_mac_acd074 "MAC: *ac:d0:74:01:02:03"

run esp8285 "$LOADER --chip=esp8285 --flash-size=1M --jedec=0x1440c8" "--chip esp8266 $NR $(c flash_id)"
CHECK="esp8285: detected as ESP8285"; check has esp8285 "${CHIP_IS}ESP8285"

run xtal40 "$LOADER --crystal=40" "--chip esp8266 $NR $(c chip_id)"
CHECK="crystal 40 MHz detected"; check has xtal40 "${XTAL}40MHz"

head -c 12288 /dev/urandom >"$TMP/img.bin"
run write_flash "$LOADER" "--chip esp8266 $NR $(c write_flash) 0x1000 $TMP/img.bin"
CHECK="write_flash (ROM FLASH_BEGIN/DATA): exit 0"; check [ "$RC" -eq 0 ]
CHECK="write_flash: ROM erased sectors 1..4 (esptool sent 2 for 3, ROM doubles)"
check report write_flash "[(e['kind'],e['offset']) for e in r['erase_events']]==[('S',0x1000),('S',0x2000),('S',0x3000),('S',0x4000)]"
CHECK="write_flash: 12 FLASH_DATA blocks"
check report write_flash "r['stats']['commands'].get('0x03')==12"
CHECK="write_flash: flash contents equal the image"
check $PY -c 'import sys; f=open(sys.argv[1],"rb").read(); i=open(sys.argv[2],"rb").read(); sys.exit(0 if f[0x1000:0x4000]==i and f[0x4000:0x5000]==b"\xff"*4096 else 1)' "$TMP/write_flash.flash" "$TMP/img.bin"

run erase_region "$LOADER" "--chip esp8266 $NR $(c erase_region) 0x1000 0x3000"
CHECK="erase_region: esptool refuses it in ROM mode (stub only), nothing erased"
check sh -c "grep -q 'does not support function erase_region' $TMP/erase_region.out && [ $RC -ne 0 ]"

run erase_flash "$LOADER" "--chip esp8266 $NR $(c erase_flash)"
CHECK="erase_flash: esptool refuses it in ROM mode (stub only)"
check sh -c "grep -q 'does not support function erase_flash' $TMP/erase_flash.out && [ $RC -ne 0 ]"

# esptool's own DTR/RTS reset through the shim, from a running app
run reset "--time-scale=10" "$(c flash_id)"
CHECK="default_reset/hard_reset via shim: exit 0, flash id read"
check sh -c "[ $RC -eq 0 ] && grep -q 'Device: 4016' $TMP/reset.out"
CHECK="default_reset: chip reset into the loader, then hard_reset pulsed EN"
check report reset "r['stats']['boots_loader']>=1 and r['stats']['resets']>=2 and len(r['line_events'])>=5"

# ------------------------------------------------------- ESP32 family

# emulator chip, esptool's --chip, esptool's name, revision it prints
FAMILY="esp32:esp32:ESP32:3.0 esp32s2:esp32s2:ESP32-S2:1.0 esp32s3:esp32s3:ESP32-S3:0.2
esp32c2:esp32c2:ESP32-C2:1.0 esp32c3:esp32c3:ESP32-C3:0.4 esp32c5:esp32c5:ESP32-C5:0.1
esp32c6:esp32c6:ESP32-C6:0.1 esp32c61:esp32c61:ESP32-C61:0.2 esp32h2:esp32h2:ESP32-H2:0.1
esp32p4:esp32p4:ESP32-P4:1.0"
FAST="--start-mode=loader --time-scale=1000"
MiB=1048576

head -c 12288 /dev/urandom >"$TMP/img32.bin"
for row in $FAMILY; do
	chip=${row%%:*}; rest=${row#*:}
	arg=${rest%%:*}; rest=${rest#*:}
	name=${rest%%:*}; rev=${rest#*:}
	words=5; [ "$chip" = esp32 ] && words=4
	# detection: the ESP32 ROM refuses 0x14 (esptool then reads the magic)
	unsup=0; [ "$chip" = esp32 ] && unsup=1

	run "${chip}_auto" "$FAST --chip=$chip" "--chip auto $NR $(c chip_id)"
	CHECK="$chip: --chip auto names $name (revision v$rev)"
	check sh -c "[ $RC -eq 0 ] && grep -q 'Detecting chip type\.\.\. $name\$' $TMP/${chip}_auto.out && grep -q \"${CHIP_IS}$name.* (revision v$rev)\" $TMP/${chip}_auto.out"
	CHECK="$chip: detection: unsupported frames only for 0x14 on the ESP32, no stub"
	check report "${chip}_auto" "r['stats']['unsupported']==$unsup*r['stats']['commands'].get('0x14',0) and r['stats']['commands'].get('0x14',0)>=1 and $NO_STUB"

	run "${chip}_mac" "$FAST --chip=$chip --mac=24:6f:28:7a:d8:84" "--chip $arg $NR $(c read_mac)"
	CHECK="$chip: --chip $arg read-mac 24:6f:28:7a:d8:84"
	check sh -c "[ $RC -eq 0 ] && grep -q 'MAC: *24:6f:28:7a:d8:84' $TMP/${chip}_mac.out"

	run "${chip}_fid" "$FAST --chip=$chip" "--chip $arg $NR $(c flash_id)"
	CHECK="$chip: flash-id ef 4016 4MB (RDID through the SPI registers after SPI_ATTACH)"
	check sh -c "[ $RC -eq 0 ] && grep -q 'Manufacturer: ef' $TMP/${chip}_fid.out && grep -q 'Device: 4016' $TMP/${chip}_fid.out && grep -qi 'flash size: 4MB' $TMP/${chip}_fid.out"
	CHECK="$chip: flash-id: SPI_ATTACH, no FLASH_BEGIN, no erase, no stub"
	check report "${chip}_fid" "r['stats']['commands'].get('0x0d')==1 and not r['stats']['commands'].get('0x02') and not r['erase_events'] and r['spi_attached'] and $NO_STUB"

	if [ $V5 -eq 1 ]; then
		# v5.2.0 sets the flash size first: the whole 4 MiB goes
		run "${chip}_erase" "$FAST --chip=$chip --flash-prefill=1" "--chip $arg $NR erase-region 0 ALL"
		CHECK="$chip: erase-region 0 ALL: exit 0, whole flash blank"
		check sh -c "[ $RC -eq 0 ] && grep -q 'erased successfully' $TMP/${chip}_erase.out"
		CHECK="$chip: erase-region: SPI_SET_PARAMS 4 MiB, one $words-word FLASH_BEGIN, 32 sectors + 62 blocks, no FLASH_DATA/END"
		check report "${chip}_erase" "r['flash']['blank'] and r['stats']['commands'].get('0x0b')==1 and r['stats']['rom_chip_size']==4*$MiB and r['flash_begin_words']==[$words] and r['stats']['sector_erases']==32 and r['stats']['block_erases']==62 and not r['stats']['commands'].get('0x03') and not r['stats']['commands'].get('0x04') and $NO_STUB"
	else
		# v4.10.0 has no SPI_SET_PARAMS there: inside 2 MiB it works ...
		run "${chip}_erase" "$FAST --chip=$chip --flash-prefill=1" "--chip $arg $NR erase_region 0x11000 0x23000"
		CHECK="$chip: erase_region 0x11000 0x23000 (inside the ROM's 2 MiB): exit 0"
		check sh -c "[ $RC -eq 0 ] && grep -q 'Erase completed successfully' $TMP/${chip}_erase.out"
		CHECK="$chip: erase_region: exactly sectors 0x11..0x33, one $words-word FLASH_BEGIN, no SPI_SET_PARAMS"
		check report "${chip}_erase" "sorted(s for e in r['erase_events'] for s in range(e['offset']//4096, (e['offset']+e['length'])//4096))==list(range(0x11,0x34)) and r['flash_begin_words']==[$words] and not r['stats']['commands'].get('0x0b') and $NO_STUB"
		# ... past it the ROM refuses and nothing is erased
		err=0164; [ "$chip" = esp32 ] && err=0106
		run "${chip}_erase4m" "$FAST --chip=$chip --flash-prefill=1" "--chip $arg $NR erase_region 0 0x400000"
		CHECK="$chip: erase_region 0 4MiB past the ROM's 2 MiB: refused with $err"
		check sh -c "[ $RC -ne 0 ] && grep -q 'result was $err' $TMP/${chip}_erase4m.out"
		CHECK="$chip: erase_region past 2 MiB: nothing erased, flash as it was"
		check report "${chip}_erase4m" "not r['erase_events'] and r['stats']['rom_chip_size']==2*$MiB and not r['flash']['blank'] and $NO_STUB"
	fi

	run "${chip}_write" "$FAST --chip=$chip --flash-size=1M --jedec=0x1440ef" "--chip $arg $NR $(c write_flash) 0x10000 $TMP/img32.bin"
	CHECK="$chip: write-flash 12 KiB: exit 0, esptool's MD5 check passed"
	check sh -c "[ $RC -eq 0 ] && grep -q 'Hash of data verified' $TMP/${chip}_write.out"
	CHECK="$chip: write-flash: 3 sectors erased exactly, 12 FLASH_DATA, one SPI_FLASH_MD5, no FLASH_END, no stub"
	check report "${chip}_write" "[(e['kind'],e['offset']) for e in r['erase_events']]==[('S',0x10000),('S',0x11000),('S',0x12000)] and r['stats']['commands'].get('0x03')==12 and r['stats']['md5_requests']==1 and not r['stats']['commands'].get('0x04') and r['flash_begin_words']==[$words] and $NO_STUB"
	CHECK="$chip: write-flash: flash contents equal the image"
	check $PY -c 'import sys; f=open(sys.argv[1],"rb").read(); i=open(sys.argv[2],"rb").read(); sys.exit(0 if f[0x10000:0x13000]==i and f[0x13000:0x14000]==b"\xff"*4096 else 1)' "$TMP/${chip}_write.flash" "$TMP/img32.bin"
done

# Secure Download Mode: the S2 is found by its refused READ_REG
run s2_sdm "$FAST --chip=esp32s2 --sdm=1" "$NR $(c get_security_info)"
CHECK="esp32s2 sdm: --chip auto: ESP32-S2 in Secure Download Mode"
check sh -c "[ $RC -eq 0 ] && grep -q \"${CHIP_IS}ESP32-S2 in Secure Download Mode\" $TMP/s2_sdm.out"
CHECK="esp32s2 sdm: the magic READ_REG was refused, nothing else was"
check report s2_sdm "r['stats']['unsupported']==1 and r['stats']['commands'].get('0x0a')==1 and $NO_STUB"

# ... and a C3 in SDM still erases through FLASH_BEGIN
run c3_sdm "$FAST --chip=esp32c3 --sdm=1 --flash-prefill=1" "--chip esp32c3 $NR $(c erase_region) 0x10000 0x20000"
CHECK="esp32c3 sdm: erase-region 0x10000 0x20000: exit 0, no register access"
check sh -c "[ $RC -eq 0 ]"
CHECK="esp32c3 sdm: exactly 0x10000..0x30000 erased, no READ_REG/WRITE_REG sent"
check report c3_sdm "sorted(s for e in r['erase_events'] for s in range(e['offset']//4096, (e['offset']+e['length'])//4096))==list(range(0x10,0x30)) and not r['stats']['commands'].get('0x0a') and not r['stats']['commands'].get('0x09') and r['stats']['unsupported']==0"

# USB-Serial/JTAG: esptool disables the RTC WDT and auto-feeds the SWD
run c3_usj "$FAST --chip=esp32c3 --usb-serial-jtag=1" "--chip esp32c3 $NR $(c chip_id)"
CHECK="esp32c3 usb-serial-jtag: esptool disabled the watchdogs (report)"
check sh -c "[ $RC -eq 0 ] && $PY -c 'import json,sys; sys.exit(0 if json.load(open(\"$TMP/c3_usj.json\"))[\"watchdogs_disabled\"] else 1)'"
run c3_uart "$FAST --chip=esp32c3" "--chip esp32c3 $NR $(c chip_id)"
CHECK="esp32c3 on a UART: watchdogs left alone"
check report c3_uart "r['watchdogs_disabled'] is False"

# the family's boot text and esptool's DTR/RTS reset from a running app
run c6_reset "--chip=esp32c6 --time-scale=100" "--chip esp32c6 $(c flash_id)"
CHECK="esp32c6 default-reset via shim: exit 0, flash id read, back in the loader once"
check sh -c "[ $RC -eq 0 ] && grep -q 'Device: 4016' $TMP/c6_reset.out"
CHECK="esp32c6 default-reset: the chip was reset into the loader"
check report c6_reset "r['stats']['boots_loader']>=1 and r['stats']['resets']>=1"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
