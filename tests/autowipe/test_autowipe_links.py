# SPDX-License-Identifier: GPL-2.0-or-later
"""`espwipe list` and `espwipe autowipe` on every kind of port, in the fake
udev world of udev/tests/fakeworld.py.

Each tty of the world is an emulated board: espemu's pty is bind-mounted on
/dev/ttyUSBn or /dev/ttyACMn and the fake sysfs tty gets its device number,
so espwipe finds the record udevadm made with our rules (ID_PATH, serial,
USB ids, USEC_INITIALIZED), recognises the link from the fake sysfs, and
runs that link's sequence through libespemu-lines.so: the classic one on the
bridges, esptool's USB-Serial/JTAG one on 303a:1001 (espemu in
link-mode=usb-serial-jtag), none on the ESP32-S2 ROM's OTG port (espemu in
its loader).  The ports that are no candidate (FT2232H channel A, a cdc_acm
modem, an application's CDC port, a usb-serial GSM modem) must be refused
without a SYNC reaching their board, whatever the allow-list says.

Needs root, unshare(1) and udevadm (SKIP otherwise).
"""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "udev", "tests"))
from harness import Emu, Skip, build_path, run_tests  # noqa: E402
import fakeworld  # noqa: E402

FAST = "200"
ASAN = "detect_leaks=1:abort_on_error=1:verify_asan_link_order=0"

# the board behind each tty of the world
BOARDS = {
    "ch340": dict(chip="esp8266"),
    "cp2102": dict(chip="esp32"),
    "ft232r": dict(chip="esp32s3"),
    "ft2232h-a": dict(chip="esp32"),
    "ft2232h-b": dict(chip="esp32"),
    "pl2303": dict(chip="esp8266"),
    "ch9102f": dict(chip="esp32"),
    "ch343": dict(chip="esp32c3"),
    "usj": dict(chip="esp32c3", link_mode="usb-serial-jtag"),
    "s2-otg": dict(chip="esp32s2", start_mode="loader"),
    "modem": dict(chip="esp32"),
    "app-cdc": dict(chip="esp32s3"),
    "gsm-option": dict(chip="esp8266"),
}


def start_boards():
    emus = {}
    try:
        for d in fakeworld.DEVICES:
            opts = dict(start_mode="app", time_scale=FAST, lines=True)
            opts.update(BOARDS[d["name"]])
            emus[d["name"]] = Emu(**opts)
    except Exception:
        for e in emus.values():
            e.__exit__(None, None, None)
        raise
    return emus


def test_list_and_autowipe_on_every_kind():
    try:
        fakeworld.check_available()
    except fakeworld.Unavailable as e:
        raise Skip(str(e))
    espwipe = build_path("asan", "espwipe")
    shim = build_path("libespemu-lines.so")
    rules = {r: open(os.path.join(fakeworld.ROOT, "udev", r)).read()
             for r in ("60-espwipe.rules", "61-espwipe-autowipe.rules")}
    emus = start_boards()
    try:
        with tempfile.TemporaryDirectory(prefix="espwipe-aw-world-") as tmp:
            conf = os.path.join(tmp, "autowipe.conf")
            with open(conf, "w") as f:
                f.write("# the whole bench, whatever it is\nany\n")
            os.chmod(conf, 0o644)
            base = {"ASAN_OPTIONS": ASAN, "ESPWIPE_AUTOWIPE_CONF": conf,
                    "ESPWIPE_RUNDIR": os.path.join(tmp, "run")}
            commands = [{"argv": [espwipe, "list", "--json"], "env": base}]
            for d in fakeworld.DEVICES:
                env = dict(base, ESPEMU_LINES_SOCKET=emus[d["name"]].lines_sock)
                commands.append({"argv": [espwipe, "autowipe", "/dev/" + d["tty"], "--json"],
                                 "env": env, "preload": [shim]})
            res = fakeworld.run_world({"module": False, "udev_db_rules": rules,
                                       "ptys": {d["tty"]: emus[d["name"]].pty for d in fakeworld.DEVICES},
                                       "commands": commands})
        reports = {n: e.wait_mode_settled() for n, e in emus.items()}
    finally:
        for e in emus.values():
            e.__exit__(None, None, None)

    # list: every port, its link, and the allow-list column only on candidates
    lst = res["commands"][0]
    assert lst["code"] == 0, lst["stderr"]
    ports = {json.loads(l)["port"]: json.loads(l) for l in lst["stdout"].splitlines() if l.strip()}
    for d in fakeworld.DEVICES:
        ev = ports["/dev/" + d["tty"]]
        assert ev["link"] == d["link"], (d["name"], ev)
        assert ev["autowipe"] is (d["link"] is not None), (d["name"], ev)
        assert ev["id_path"], ev

    for d, cmd in zip(fakeworld.DEVICES, res["commands"][1:]):
        events = [json.loads(l) for l in cmd["stdout"].splitlines() if l.strip()]
        decision = [e for e in events if e.get("event") == "autowipe"]
        rep = reports[d["name"]]
        assert cmd["code"] == 0, (d["name"], cmd["code"], cmd["stderr"], cmd["stdout"][-1500:])
        assert len(decision) == 1, (d["name"], cmd["stdout"])
        if not d["link"]:
            assert decision[0]["allowed"] is False, decision
            assert "is not on a supported link" in decision[0]["message"], decision
            assert rep["stats"]["sync_frames"] == 0, (d["name"], rep["stats"])
            assert not rep["flash"]["blank"], d["name"]
            continue
        assert decision[0]["allowed"] is True and decision[0]["link"] == d["link"], decision
        result = [e for e in events if e.get("event") == "result"]
        assert result and result[0]["exit_code"] == 0, (d["name"], result)
        assert rep["flash"]["blank"] is True, d["name"]
        connect = [e for e in events if e.get("event") == "connect"][0]
        assert connect["link"] == d["link"], connect
        if d["name"] == "s2-otg":
            assert connect["reset"] == "none", connect
            assert rep["line_events"] == [], rep["line_events"]
        else:
            assert connect["reset"] == "tiocm", connect
            st = rep["stats"]
            if d["name"] == "usj":
                # esptool's USB-Serial/JTAG sequence, chosen from udev's ids alone
                assert st["usj_download_resets"] == 1, st
                # watchdogs off before the erase (the hard reset after it turned them on again)
                chip = [e for e in events if e.get("event") == "chip"][0]
                assert chip["usb_serial_jtag"] is True and chip["watchdogs_disabled"] is True, chip
                assert st["usj_resets"] == 2 and rep["mode"] == "app", (st, rep["mode"])
            else:
                assert [(e["dtr"], e["rts"]) for e in rep["line_events"][:3]] == [
                    (False, True), (True, False), (False, False)], (d["name"], rep["line_events"])
    print("     %d ports: %d wiped, %d refused" % (
        len(fakeworld.DEVICES), sum(1 for d in fakeworld.DEVICES if d["link"]),
        sum(1 for d in fakeworld.DEVICES if not d["link"])))


if __name__ == "__main__":
    sys.exit(run_tests(globals(), "autowipe-links"))
