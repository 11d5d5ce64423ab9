#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The links against espemu on a pty: the USB-Serial/JTAG reset sequence and
the port coming back after a re-enumeration.

espemu's link-mode=usb-serial-jtag gives the chip its USB-Serial/JTAG
peripheral's DTR/RTS decode (tests/emu/reset.c, inferred from esptool) and,
with reenumerate=on|gone, makes the pty hang up after such a reset and (for
on) come back as a new pty behind the --link symlink, as a by-id link would.
A pty has no udev record, so --link tells espwipe the link.

Run: /usr/bin/python3 tests/integration/test_links.py [-k NAME]
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Emu, run_espwipe, run_tests  # noqa: E402

FAST = "200"
USJ = dict(chip="esp32c3", link_mode="usb-serial-jtag", start_mode="app", lines=True,
           time_scale=FAST)


def hold_times(report):
    ev = report["line_events"]
    return [(e["dtr"], e["rts"]) for e in ev], [
        (ev[i + 1]["t_us"] - ev[i]["t_us"]) / 1000.0 for i in range(len(ev) - 1)]


def board_link(emu):
    return os.path.join(emu.tmp, "board")


# ---- the sequences ----

def test_usj_sequence_enters_the_loader_of_a_usj_chip():
    with Emu(**USJ) as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--link", "usb-serial-jtag", "--reset", "tiocm",
                         "--after", "stay"], env=emu.env())
        rep = emu.stop()
    assert r.code == 0, r.stderr + r.stdout
    assert r.of("connect")[0]["link"] == "usb-serial-jtag"
    assert r.of("synced")[0]["attempt"] == 1
    states, holds = hold_times(rep)
    # espemu starts idle, so (0,0) is no change: (1,0) 100 ms, (1,1), (0,1) 100 ms, (0,0)
    assert states[:4] == [(True, False), (True, True), (False, True), (False, False)], states
    assert 95 <= holds[0] < 250 and holds[1] < 50 and 95 <= holds[2] < 250, holds
    assert rep["stats"]["usj_download_resets"] == 1, rep["stats"]
    # a long erase on this link: the RTC and super watchdogs are off first (sheet §8.4)
    assert rep["watchdogs_disabled"] is True
    assert r.of("chip")[0]["watchdogs_disabled"] is True
    assert rep["flash"]["blank"] is True


def test_classic_sequence_does_not_enter_a_usj_chip():
    with Emu(**USJ) as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--link", "cp210x", "--reset", "tiocm",
                         "--connect-attempts", "2"], env=emu.env())
        rep = emu.wait_mode_settled()
    assert r.code == 5, (r.code, r.stderr)
    st = rep["stats"]
    # every attempt reset the chip, each into its application
    assert st["usj_resets"] == 2 and st["usj_download_resets"] == 0, st
    assert st["sync_frames"] == 0 and rep["mode"] == "app"
    assert not rep["flash"]["blank"]


def test_usj_sequence_does_not_enter_a_bridge_board():
    with Emu(chip="esp32c3", start_mode="app", lines=True, time_scale=FAST) as emu:
        r = run_espwipe(["info", "-p", emu.pty, "--link", "usb-serial-jtag", "--reset", "tiocm",
                         "--connect-attempts", "2"], env=emu.env())
        rep = emu.wait_mode_settled()
    assert r.code == 5, (r.code, r.stderr)
    assert rep["stats"]["boots_loader"] == 0 and rep["mode"] == "app", rep["stats"]
    # and the classic sequence does enter it
    with Emu(chip="esp32c3", start_mode="app", lines=True, time_scale=FAST) as emu:
        r = run_espwipe(["info", "-p", emu.pty, "--link", "ftdi", "--reset", "tiocm"], env=emu.env())
        emu.stop()
    assert r.code == 0, r.stderr


def test_every_bridge_link_runs_the_classic_sequence():
    for link in ("ch341", "cp210x", "ftdi", "pl2303", "cdc-acm"):
        with Emu(chip="esp32", start_mode="app", lines=True, time_scale=FAST) as emu:
            r = run_espwipe(["info", "-p", emu.pty, "--link", link, "--reset", "tiocm"], env=emu.env())
            rep = emu.stop()
        assert r.code == 0, (link, r.stderr)
        states, holds = hold_times(rep)
        assert states[:3] == [(False, True), (True, False), (False, False)], (link, states)
        # a hold runs from the start of the request before it, as in espwipe.ko: the board
        # may see it shorter by that request's latency.  Only the lower bounds are tight here
        # (test_espwipe.py checks the precision): a loaded machine may oversleep.
        assert 95 <= holds[0] < 400 and 45 <= holds[1] < 400, (link, holds)


def test_sysfs_attribute_first_on_a_usj_port():
    """The module's enter_bootloader is used when present, on cdc_acm ports too."""
    with Emu(chip="esp32s3", link_mode="usb-serial-jtag", start_mode="loader", time_scale=FAST) as emu:
        sys_root = os.path.join(emu.tmp, "sys")
        dev = os.path.join(sys_root, "class", "tty", os.path.basename(os.path.realpath(emu.pty)),
                           "device")
        os.makedirs(dev)
        for attr in ("enter_bootloader", "reset"):
            open(os.path.join(dev, attr), "w").close()
            os.chmod(os.path.join(dev, attr), 0o200)
        with open(os.path.join(dev, "bootloader_sequence"), "w") as f:
            f.write("U0,0|W0.1|U1,0|W0.1|U1,1|U0,1|W0.1|U0,0\n")
        env = dict(os.environ, ESPWIPE_SYSFS=sys_root)
        r = run_espwipe(["info", "-p", emu.pty, "--link", "usb-serial-jtag"], env=env)
        emu.stop()
    assert r.code == 0, r.stderr
    assert r.of("synced")[0]["reset"] == "sysfs"
    with open(os.path.join(dev, "enter_bootloader")) as f:
        assert f.read() == "1"  # the port's own sequence; USJ has no long variant


# ---- finding the port again ----

def run_reenum(extra_args=(), **opts):
    """espwipe erase via the board's link on a re-enumerating USJ emu: (result, report, old, new)."""
    base = dict(USJ)
    base.update(opts)
    link = os.path.join("/tmp", "espwipe-link-%d-%d" % (os.getpid(), time.monotonic_ns()))
    base["link"] = link
    try:
        with Emu(**base) as emu:
            old = os.path.realpath(link)
            r = run_espwipe(["erase", "-p", link, "--link", "usb-serial-jtag"] + list(extra_args),
                            env=emu.env())
            # the hard reset after the erase may have made it leave again: wait for it (bounded)
            deadline = time.monotonic() + 3
            while (opts.get("reenumerate") == "on" and not os.path.exists(link)
                   and time.monotonic() < deadline):
                time.sleep(0.05)
            new = os.path.realpath(link) if os.path.exists(link) else None
            rep = emu.wait_mode_settled()
    finally:
        if os.path.lexists(link):
            os.unlink(link)
    return r, rep, old, new


def test_refind_after_reenumeration():
    r, rep, old, new = run_reenum(reenumerate="on", reenumerate_us="400000")
    assert r.code == 0, r.stderr + r.stdout
    back = r.of("port_back")
    assert len(back) == 1, r.stdout
    assert back[0]["node"] != old and back[0]["node"].startswith("/dev/pts/"), (back, old)
    # it left at the reset; the tool noticed at the sequence's last step, 100 ms later
    assert 250 <= back[0]["ms"] < 3000, back
    st = rep["stats"]
    # it left with the loader reset and with the hard reset after the erase
    assert st["usb_detaches"] == 2 and st["usb_attaches"] == 2, st
    assert st["usj_download_resets"] == 1, st
    assert rep["flash"]["blank"] is True
    assert r.of("reset"), "no hard reset reported"
    assert rep["mode"] == "app", rep["mode"]
    # and it came back once more after the hard reset (espemu's link points to a live pty)
    assert new is not None and new.startswith("/dev/pts/")


def test_refind_when_the_hangup_comes_after_the_sequence():
    """The host notices the device gone only after the sequence: a SYNC round sees the hang-up."""
    r, rep, old, _ = run_reenum(reenumerate="on", reenumerate_us="300000", detach_delay_us="250000")
    assert r.code == 0, r.stderr + r.stdout
    assert len(r.of("port_back")) == 1
    assert r.of("port_back")[0]["node"] != old
    assert rep["flash"]["blank"] is True


def test_never_back_fails_clearly():
    r, rep, _, _ = run_reenum(reenumerate="gone")
    dt = r.seconds
    assert r.code == 3, (r.code, r.stderr)
    err = r.final()["error"]
    assert "left the bus with the reset and did not come back within 3 s" in err, err
    assert 3.0 <= dt < 6.0, dt
    assert rep["stats"]["sync_frames"] == 0
    assert "erased" not in r.final() or r.final()["erased"] is None


def test_reset_command_counts_the_hangup_as_done():
    link = os.path.join("/tmp", "espwipe-link-%d-r" % os.getpid())
    opts = dict(USJ, reenumerate="on", reenumerate_us="200000", link=link, start_mode="loader")
    try:
        with Emu(**opts) as emu:
            r = run_espwipe(["reset", "-p", link, "--link", "usb-serial-jtag"], env=emu.env())
            rep = emu.wait_mode_settled()
    finally:
        if os.path.lexists(link):
            os.unlink(link)
    assert r.code == 0, (r.code, r.stderr)
    assert r.of("reset") and "tiocm" in r.of("reset")[0]["message"]
    assert rep["stats"]["usj_resets"] == 1 and rep["stats"]["usb_detaches"] == 1
    # the straps said download at power-on, and a USJ reset does not read them again
    assert rep["mode"] == "loader"


# ---- the option ----

def test_link_option_is_checked():
    r = run_espwipe(["info", "--link", "usj"], json_out=False)
    assert r.code == 2 and "ch341, cp210x, ftdi, pl2303, cdc-acm, usb-serial-jtag" in r.stderr, r.stderr
    r = run_espwipe(["list", "--link", "ftdi"], json_out=False)
    assert r.code == 2 and "--link applies to" in r.stderr, r.stderr


if __name__ == "__main__":
    sys.exit(run_tests(globals(), "links"))
