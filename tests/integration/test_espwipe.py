#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests: the built espwipe (ASan/UBSan build) against espemu on a pty.

Run: /usr/bin/python3 tests/integration/test_espwipe.py [-k NAME]
Each test starts its own emulator; the erase timing is scaled down
(time-scale) where the test is about behaviour, not duration.
"""
import fcntl
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Emu, run_espwipe, run_tests, build_path  # noqa: E402

MiB = 1 << 20
SECTOR = 4096
FAST = "200"  # time scale for behaviour tests


def erased_sectors(report):
    """Set of sector indices the emulated flash erased successfully."""
    out = set()
    for ev in report["erase_events"]:
        if ev["failed"]:
            continue
        first = ev["offset"] // SECTOR
        for s in range(first, first + ev["length"] // SECTOR):
            out.add(s)
    return out


def assert_only_rom_ops(report):
    allowed = {0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B}
    ops = set(report["command_log"])
    assert ops <= allowed, "tool sent opcodes the ESP8266 ROM lacks: %s" % sorted(ops - allowed)
    assert report["stats"]["unsupported"] == 0, "emulator counted unsupported opcodes"


def whole_erase(size, jedec, **opts):
    with Emu(flash_size=size, jedec=jedec, time_scale=FAST, **opts) as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "none", "--after", "stay"])
        rep = emu.stop()
    return r, rep


# ---- whole-chip erase ----

def test_erase_4mib_single_flash_begin():
    r, rep = whole_erase(4 * MiB, "0x1640ef")
    assert r.code == 0, r.stderr + r.stdout
    res = r.final()
    assert res["exit_code"] == 0 and res["chip"] == "ESP8266EX"
    assert res["flash_size"] == 4 * MiB and res["flash_id"] == "0x1640ef"
    assert res["erased"] == {"offset": 0, "length": 4 * MiB}
    assert rep["flash"]["blank"] is True
    # the flash-time optimum: one FLASH_BEGIN, 32 sector + 62 block erases
    assert rep["stats"]["commands"].get("0x02") == 2, rep["stats"]["commands"]  # attach + erase
    assert rep["stats"]["sector_erases"] == 32 and rep["stats"]["block_erases"] == 62
    assert erased_sectors(rep) == set(range(1024))
    assert_only_rom_ops(rep)
    assert rep["mode"] == "loader"


def test_erase_1mib():
    r, rep = whole_erase(1 * MiB, "0x1440ef")
    assert r.code == 0, r.stderr
    assert r.final()["erased"] == {"offset": 0, "length": MiB}
    assert rep["flash"]["blank"] is True
    assert rep["stats"]["sector_erases"] == 32 and rep["stats"]["block_erases"] == 14


def test_erase_16mib_needs_spi_set_params():
    r, rep = whole_erase(16 * MiB, "0x1840ef", rom_flash_limit="4M", spi_set_params="1")
    assert r.code == 0, r.stderr + r.stdout
    assert r.final()["erased"] == {"offset": 0, "length": 16 * MiB}
    assert rep["flash"]["blank"] is True
    assert rep["stats"]["commands"].get("0x0b") == 1
    assert rep["stats"]["rom_chip_size"] == 16 * MiB
    assert rep["stats"]["sector_erases"] == 32 and rep["stats"]["block_erases"] == 254


def test_erase_16mib_refused_fails_clearly():
    r, rep = whole_erase(16 * MiB, "0x1840ef", rom_flash_limit="4M", spi_set_params="0")
    assert r.code == 7, (r.code, r.stderr)
    res = r.final()
    assert res["exit_name"] == "erase"
    assert res["erased"]["length"] == 0
    assert "nothing was erased" in res["error"], res["error"]
    assert rep["flash"]["blank"] is False


def test_erase_esp8285():
    with Emu(chip="esp8285", flash_size="1M", jedec="0x1468a1", time_scale=FAST) as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "none"])
        rep = emu.stop()
    assert r.code == 0, r.stderr
    assert r.final()["chip"] == "ESP8285"
    assert rep["flash"]["blank"] is True


def test_info_reports_chip_mac_crystal():
    with Emu(mac="18:fe:34:aa:bb:cc", crystal="40", time_scale=FAST) as emu:
        r = run_espwipe(["info", "-p", emu.pty, "--reset", "none", "--after", "stay"])
        rep = emu.stop()
    assert r.code == 0, r.stderr
    res = r.final()
    assert res["mac"] == "18:fe:34:aa:bb:cc"
    assert res["crystal_mhz"] == 40
    assert res["flash_id"] == "0x1640ef" and res["flash_size"] == 4 * MiB
    assert rep["stats"]["sector_erases"] == 0 and rep["stats"]["block_erases"] == 0
    assert rep["flash"]["blank"] is False
    assert_only_rom_ops(rep)


def test_human_output_and_hard_reset_without_lines():
    """On a pty there are no lines: espwipe leaves the loader with FLASH_END."""
    with Emu(time_scale=FAST) as emu:
        r = run_espwipe(["erase", "-p", emu.pty], json_out=False)
        rep = emu.stop()
    assert r.code == 0, r.stderr
    assert "Erased 0x000000..0x400000" in r.stdout, r.stdout
    assert "no modem-control lines" in r.stderr
    assert rep["mode"] == "app"


def test_unknown_magic_is_refused_by_name():
    # An ESP8266-style ROM (no GET_SECURITY_INFO) whose magic word is no known
    # chip's: the tool probes 0x14 once, sees it refused, and names the magic.
    with Emu(magic="0x12345678", time_scale=FAST) as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "none"])
        rep = emu.stop()
    assert r.code == 6, (r.code, r.stderr)
    assert "0x12345678" in r.final()["error"], r.final()["error"]
    assert rep["stats"]["sector_erases"] == 0 and rep["flash"]["blank"] is False
    assert rep["stats"]["commands"].get("0x02", 0) == 0


# ---- region erase ----

def merge_ranges(ranges):
    """Merge [start, end) pairs, as espemu reports blank ranges."""
    out = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return out


def region_case(offset, length, size=4 * MiB):
    with Emu(time_scale=FAST) as emu:
        before = emu.snapshot()["flash"]["blank_ranges"]
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "none", "--after", "stay",
                         "--region", "%#x:%#x" % (offset, length)])
        rep = emu.stop()
    assert r.code == 0, (offset, length, r.stderr)
    assert r.final()["erased"] == {"offset": offset, "length": length}
    want = set(range(offset // SECTOR, (offset + length) // SECTOR))
    got = erased_sectors(rep)
    assert got == want, "region %#x+%#x: outside %s, missing %s" % (
        offset, length, sorted(got - want)[:8], sorted(want - got)[:8])
    # blank now: exactly what was blank before plus the region
    assert rep["flash"]["blank_ranges"] == merge_ranges(before + [[offset, offset + length]]), (
        rep["flash"]["blank_ranges"], before)
    assert_only_rom_ops(rep)


def test_region_odd_sectors_unaligned():
    region_case(0x3000, 0x5000)   # 5 sectors starting at sector 3


def test_region_single_sector():
    region_case(0x7000, 0x1000)


def test_region_spanning_blocks():
    region_case(0x0F000, 0x23000)  # 35 sectors from sector 15


def test_region_aligned_block():
    region_case(0x10000, 0x10000)


# ---- verify ----

def test_verify_full_catches_bad_sector():
    # --full reads every byte (about 11 register round trips per 32 bytes), so
    # keep the range small: one 64 KiB block with a sector that will not erase.
    with Emu(bad_sector="37", time_scale=FAST) as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "none", "-b", "921600",
                         "--region", "0x20000:0x10000", "--verify", "--full"], timeout=300)
        emu.stop()
    assert r.code == 8, (r.code, r.stderr)
    res = r.final()
    assert res["verify"]["blank"] is False and res["verify"]["mode"] == "full"
    bad = int(r.of("verified")[0]["first_bad"], 16)
    assert bad == 37 * SECTOR, hex(bad)
    # the erase itself was confirmed by the ROM, and is reported as such
    assert res["erased"] == {"offset": 0x20000, "length": 0x10000}


def test_verify_sampled_catches_failed_head_sector():
    with Emu(bad_sector="3", time_scale=FAST) as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "none", "--verify"])
        emu.stop()
    assert r.code == 8, (r.code, r.stderr)
    assert r.final()["verify"]["mode"] == "sampled"


def test_verify_sampled_passes_and_reports_amount():
    with Emu(time_scale=FAST) as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "none", "--verify"])
        emu.stop()
    assert r.code == 0, r.stderr
    v = r.of("verified")[0]
    assert v["blank"] is True and v["mode"] == "sampled"
    assert v["bytes_checked"] >= 4 * (32 + 62), v


def test_verify_blank_check_on_prefilled_flash_fails():
    with Emu(time_scale=FAST) as emu:
        r = run_espwipe(["verify", "-p", emu.pty, "--reset", "none"])
        emu.stop()
    assert r.code == 8, r.stderr


# ---- link faults ----

def test_noise_drops_and_banner_still_succeed():
    with Emu(time_scale=FAST, drop_rate="0.002", noise_rate="0.02", seed="7") as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "none"])
        rep = emu.stop()
    assert r.code == 0, r.stderr + r.stdout
    assert rep["flash"]["blank"] is True
    assert rep["stats"]["noise_bytes"] > 0


def test_hung_chip_fails_within_timeout():
    with Emu(hang_after="4", time_scale=FAST) as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "none"])
        emu.stop()
    assert r.code == 9, (r.code, r.stderr)
    assert r.seconds < 15, r.seconds


def test_sigterm_mid_erase_reports_what_was_erased():
    """systemd stops the unit (SIGTERM): exit 143, and no claim of an erase."""
    with Emu(flash_size="1M", jedec="0x1440ef", time_scale="1") as emu:
        exe = build_path("asan", "espwipe")
        p = subprocess.Popen([exe, "erase", "-p", emu.pty, "--reset", "none", "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in p.stdout:
            if '"erase-plan"' in line:
                break
        t0 = time.monotonic()
        p.terminate()
        out, _ = p.communicate(timeout=10)
        stopped_in = time.monotonic() - t0
        rep = emu.stop()
    assert p.returncode == 128 + 15, p.returncode
    assert stopped_in < 1.0, stopped_in
    res = [json.loads(x) for x in out.splitlines() if x.strip()][-1]
    assert res["event"] == "result" and res["exit_name"] == "signal"
    assert res["erased"]["length"] == 0, res
    assert "stopped by SIGTERM" in res["error"] and "nothing was erased" in res["error"], res["error"]
    # the ROM never confirmed: whether the emulated flash already changed
    # (the FLASH_BEGIN may or may not have gone out) must not matter
    assert rep["stats"]["commands"].get("0x02", 0) <= 2


def test_silent_chip_is_no_sync():
    with Emu(start_mode="app", time_scale=FAST) as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "none", "--connect-attempts", "1"])
        rep = emu.stop()
    assert r.code == 5, (r.code, r.stderr)
    assert "did not answer SYNC" in r.final()["error"]
    assert rep["flash"]["blank"] is False


# ---- auto-reset through the emulated circuit (modem lines via the shim) ----

def hold_times(report):
    ev = report["line_events"]
    return [(e["dtr"], e["rts"]) for e in ev], [
        (ev[i + 1]["t_us"] - ev[i]["t_us"]) / 1000.0 for i in range(len(ev) - 1)]


def test_tiocm_reset_enters_loader_from_app():
    with Emu(lines=True, start_mode="app", time_scale=FAST) as emu:
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "tiocm", "--after", "stay"], env=emu.env())
        rep = emu.stop()
    assert r.code == 0, r.stderr + r.stdout
    assert r.of("synced")[0]["reset"] == "tiocm"
    states, holds = hold_times(rep)
    # one TIOCMSET per step, both lines at once: reset, GPIO0 low, release
    assert states[:3] == [(False, True), (True, False), (False, False)], states
    assert 100 <= holds[0] < 115 and 50 <= holds[1] < 65, holds
    assert rep["stats"]["boots_loader"] >= 1
    assert rep["flash"]["blank"] is True


def test_hard_reset_after_erase_runs_app():
    with Emu(lines=True, start_mode="app", time_scale=FAST) as emu:
        r = run_espwipe(["erase", "-p", emu.pty], env=emu.env())
        rep = emu.wait_mode_settled()
    assert r.code == 0, r.stderr
    assert rep["mode"] == "app"
    states, holds = hold_times(rep)
    assert states[-2:] == [(False, True), (False, False)], states
    assert 100 <= holds[-1] < 115


def test_reset_command_pulses_en():
    with Emu(lines=True, start_mode="loader", time_scale=FAST) as emu:
        r = run_espwipe(["reset", "-p", emu.pty], env=emu.env())
        rep = emu.wait_mode_settled()
    assert r.code == 0, r.stderr
    assert rep["mode"] == "app"
    assert rep["stats"]["commands"].get("0x08") is None, "reset must not need the ROM"


def test_bootloader_command_stays_in_loader():
    with Emu(lines=True, start_mode="app", time_scale=FAST) as emu:
        r = run_espwipe(["bootloader", "-p", emu.pty], env=emu.env())
        rep = emu.stop()
    assert r.code == 0, r.stderr
    assert rep["mode"] == "loader"


def fake_sysfs(tmp, pty, writable=True):
    """A sysfs tree with the module's attributes for this pty (ESPWIPE_SYSFS)."""
    name = os.path.basename(os.path.realpath(pty))
    dev = os.path.join(tmp, "class", "tty", name, "device")
    os.makedirs(dev)
    for attr in ("enter_bootloader", "reset"):
        path = os.path.join(dev, attr)
        open(path, "w").close()
        os.chmod(path, 0o200 if writable else 0o000)
    with open(os.path.join(dev, "bootloader_sequence"), "w") as f:
        f.write("U0,1|W0.1|U1,0|W0.05|U0,0\n")
    return dev


def test_auto_uses_the_module_attribute():
    with Emu(time_scale=FAST) as emu:
        dev = fake_sysfs(emu.tmp + "/sys", emu.pty)
        env = dict(os.environ, ESPWIPE_SYSFS=emu.tmp + "/sys")
        r = run_espwipe(["info", "-p", emu.pty, "-v"], env=env)
        emu.stop()
    assert r.code == 0, r.stderr
    assert r.of("synced")[0]["reset"] == "sysfs"
    assert r.final()["reset_method"] == "sysfs"  # the hard reset used `reset` too
    with open(os.path.join(dev, "enter_bootloader")) as f:
        assert f.read() == "1"
    with open(os.path.join(dev, "reset")) as f:
        assert f.read() == "1"


def test_sysfs_forced_without_module_fails_clearly():
    with Emu(time_scale=FAST) as emu:
        env = dict(os.environ, ESPWIPE_SYSFS=emu.tmp + "/nosys")
        r = run_espwipe(["erase", "-p", emu.pty, "--reset", "sysfs"], env=env)
        rep = emu.stop()
    assert r.code == 3, (r.code, r.stderr)
    assert "enter_bootloader is missing" in r.final()["error"]
    assert "modprobe espwipe" in r.of("error")[0]["hint"]
    assert rep["stats"]["sector_erases"] == 0


# ---- port and usage errors ----

def test_missing_port():
    r = run_espwipe(["erase", "-p", "/dev/ttyESPWIPE-none"])
    assert r.code == 3, r.code
    assert "no such port" in r.final()["error"]


def test_permission_denied():
    """A user who may not open the tty gets exit 3 and the dialout hint."""
    if os.geteuid() != 0:
        return  # needs root to switch to another user
    with Emu(time_scale=FAST) as emu:
        os.chmod(emu.pty, 0o600)
        exe = build_path("asan", "espwipe")
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            exe, "info", "-p", emu.pty, "--json"],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"))
        emu.stop()
    assert p.returncode == 3, (p.returncode, p.stderr)
    res = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    err = [e for e in res if e["event"] == "error"][0]
    assert "permission denied" in err["error"] and "dialout" in err["hint"], err


def test_busy_port():
    with Emu(time_scale=FAST) as emu:
        fd = os.open(emu.pty, os.O_RDWR | os.O_NOCTTY)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            r = run_espwipe(["erase", "-p", emu.pty, "--reset", "none"])
        finally:
            os.close(fd)
        rep = emu.stop()
    assert r.code == 4, (r.code, r.stderr)
    assert "busy" in r.final()["error"]
    assert rep["stats"]["sync_frames"] == 0


def test_two_wipes_never_share_a_board():
    with Emu(time_scale="5") as emu:
        exe = build_path("asan", "espwipe")
        first = subprocess.Popen([exe, "erase", "-p", emu.pty, "--reset", "none", "--json"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # wait until the first one has synced before starting the second
        for line in first.stdout:
            if '"synced"' in line:
                break
        r2 = run_espwipe(["erase", "-p", emu.pty, "--reset", "none"])
        first.communicate(timeout=60)
        emu.stop()
    assert first.returncode == 0
    assert r2.code == 4, r2.code


def test_bad_arguments():
    for args, frag in [
        (["erase", "--region", "0x1001:0x1000"], "--region"),
        (["erase", "--region", "0:0"], "--region"),
        (["frobnicate"], "unknown command"),
        ([], "no command"),
        (["erase", "--reset", "magic"], "--reset"),
        (["info", "--region", "0:4K"], "erase and verify only"),
        (["erase", "--bogus"], "unknown option"),
        (["erase", "-b", "fast"], "baud"),
    ]:
        r = run_espwipe(args, json_out=False)
        assert r.code == 2, (args, r.code)
        assert frag in r.stderr, (args, r.stderr)


def test_help_lists_every_command():
    r = run_espwipe(["--help"], json_out=False)
    assert r.code == 0
    for word in ["erase", "verify", "info", "reset", "bootloader", "--region", "--json", "--after"]:
        assert word in r.stdout


if __name__ == "__main__":
    sys.exit(run_tests(globals(), "integration"))
