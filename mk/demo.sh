#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: wipe the built-in emulated board.
#
# espemu serves an ESP8266 with firmware on its 4 MiB flash, running its
# application, with realistic Winbond erase timing.  A pty has no modem lines,
# so libespemu-lines.so carries espwipe's DTR/RTS changes to the emulated
# auto-reset circuit: the chip really has to be reset into its loader.
set -eu
B=${BUILD:-build}
tmp=$(mktemp -d)
emu_pid=
cleanup() {
	[ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$B/espemu" --flash-prefill=true --start-mode=app --report="$tmp/report.json" \
	--lines-socket="$tmp/lines" --link="$tmp/ttyESP0" >"$tmp/pty" &
emu_pid=$!
# espemu prints the pty path once it is serving.
while [ ! -s "$tmp/pty" ]; do
	kill -0 "$emu_pid" 2>/dev/null || { echo "demo: espemu did not start" >&2; exit 1; }
	sleep 0.05
done

echo "== Emulated board: ESP8266EX, 4 MiB Winbond flash with firmware, running its application"
echo "== espwipe erase --verify -p $tmp/ttyESP0"
rc=0
ESPEMU_LINES_SOCKET="$tmp/lines" LD_PRELOAD="$PWD/$B/libespemu-lines.so" \
	"$B/espwipe" erase --verify -p "$tmp/ttyESP0" ${DEMO_ARGS:-} || rc=$?
# The hard reset has just released EN: give the emulated chip the ~31 ms it
# needs to boot its application before asking for its state.
sleep 0.2
kill -TERM "$emu_pid"
wait "$emu_pid" || true
emu_pid=
/usr/bin/python3 - "$tmp/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["stats"]
print("== The emulator's view: flash blank: %s; %d sector + %d block erases (%.2f s of flash time); "
      "chip now in %s mode" % ("yes" if r["flash"]["blank"] else "NO", s["sector_erases"],
      s["block_erases"], s["flash_busy_us"] / 1e6, r["mode"]))
PY
exit $rc
