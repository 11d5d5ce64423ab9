#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests for the ESP32 family: the built espwipe (ASan/UBSan)
against espemu's ESP32-family ROM models on a pty.

Run: /usr/bin/python3 tests/integration/test_esp32.py [-k NAME]

Every chip gets a whole-chip erase with an MD5 verify, a region erase and a
sampled verify; the rest are behaviours of the family (Secure Download Mode,
security refusal, error status in the 4-byte position, flash above 16 MiB,
hung chip, noise, unknown chip id, watchdogs on USB-Serial/JTAG).  Each test
asserts on the emulator's report (opcodes received, erase operations, flash
contents), not only on what the tool says.
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Emu, run_espwipe, run_tests  # noqa: E402

MiB = 1 << 20
SECTOR = 4096
FAST = "200"
BASE = ["--reset", "none", "--after", "stay"]

# chip option, esptool's name, a revision to encode
CHIPS = [
    ("esp32", "ESP32", "3.0"),
    ("esp32s2", "ESP32-S2", "1.0"),
    ("esp32s3", "ESP32-S3", "0.2"),
    ("esp32c2", "ESP32-C2", "1.0"),
    ("esp32c3", "ESP32-C3", "0.4"),
    ("esp32c5", "ESP32-C5", "0.1"),
    ("esp32c6", "ESP32-C6", "0.1"),
    ("esp32c61", "ESP32-C61", "0.2"),
    ("esp32h2", "ESP32-H2", "0.1"),
    ("esp32p4", "ESP32-P4", "1.0"),
]

# What an ESP32-family ROM understands (sheet §3); 0x14 not on the ESP32.
FAMILY_OPS = {0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0D, 0x0E, 0x0F,
              0x10, 0x11, 0x12, 0x13, 0x14}
# What espwipe ever needs on the family.
TOOL_OPS = {0x02, 0x08, 0x09, 0x0A, 0x0B, 0x0D, 0x13, 0x14}


def ops_received(rep):
    return set(rep["command_log"])


def count(rep, op):
    return rep["stats"]["commands"].get("0x%02x" % op, 0)


def erased_sectors(rep):
    out = set()
    for ev in rep["erase_events"]:
        if not ev["failed"]:
            first = ev["offset"] // SECTOR
            out.update(range(first, first + ev["length"] // SECTOR))
    return out


def assert_rom_only(rep, chip):
    ops = ops_received(rep)
    allowed = set(TOOL_OPS)
    if chip == "esp32":
        allowed.discard(0x14)
    assert ops <= allowed, "tool sent opcodes it must not: %s" % sorted(ops - allowed)
    assert ops <= FAMILY_OPS
    assert rep["stats"]["unsupported"] == 0, "the ROM counted unsupported opcodes"
    # no stub: nothing was loaded into RAM, no FLASH_DATA, no FLASH_END
    for op in (0x03, 0x04, 0x05, 0x06, 0x07):
        assert count(rep, op) == 0, "opcode 0x%02x sent" % op


def run(emu, args, **kw):
    return run_espwipe(list(args) + ["-p", emu.pty] + BASE, **kw)


# ---- every chip ----

def per_chip_whole_erase_md5(chip, name, rev):
    with Emu(chip=chip, revision=rev, time_scale=FAST) as emu:
        r = run(emu, ["erase", "--verify", "--full"])
        rep = emu.stop()
    assert r.code == 0, (chip, r.code, r.stderr, r.stdout)
    res = r.final()
    assert res["chip"] == "%s (revision v%s)" % (name, rev), res["chip"]
    assert res["chip_model"] == name and res["chip_revision"] == "v" + rev
    assert res["flash_size"] == 4 * MiB and res["flash_id"] == "0x1640ef"
    assert res["erased"] == {"offset": 0, "length": 4 * MiB}
    assert res["verify"]["method"] == "md5" and res["verify"]["mode"] == "full"
    assert res["verify"]["blank"] is True
    assert res["secure_download_mode"] is False
    assert rep["flash"]["blank"] is True
    assert erased_sectors(rep) == set(range(1024))
    # SPI_ATTACH, SPI_SET_PARAMS, one FLASH_BEGIN with the right word count
    assert count(rep, 0x0D) == 1 and count(rep, 0x0B) == 1 and count(rep, 0x02) == 1
    assert rep["flash_begin_words"] == [4 if chip == "esp32" else 5], rep["flash_begin_words"]
    # the order: attach, then params, then the erase
    log = [op for op in rep["command_log"] if op in (0x0D, 0x0B, 0x02, 0x13)]
    assert log[:3] == [0x0D, 0x0B, 0x02] and log[3:] and set(log[3:]) == {0x13}, log
    assert count(rep, 0x14) == (0 if chip == "esp32" else 1)
    assert rep["stats"]["md5_requests"] >= 1
    assert_rom_only(rep, chip)


def per_chip_region_sampled(chip, name, rev):
    off, length = 0x11000, 0x23000
    with Emu(chip=chip, revision=rev, time_scale=FAST) as emu:
        r = run(emu, ["erase", "--region", "0x%x:0x%x" % (off, length), "--verify"])
        rep = emu.stop()
    assert r.code == 0, (chip, r.stderr, r.stdout)
    res = r.final()
    assert res["erased"] == {"offset": off, "length": length}
    assert res["verify"]["method"] == "md5" and res["verify"]["mode"] == "sampled"
    # exactly the range: no erase-size bug on the family
    assert erased_sectors(rep) == set(range(off // SECTOR, (off + length) // SECTOR))
    assert count(rep, 0x02) == 1
    assert_rom_only(rep, chip)


def per_chip_info(chip, name, rev):
    mac = "24:6f:28:01:02:03" if chip == "esp32" else "60:55:f9:0a:0b:0c"
    with Emu(chip=chip, revision=rev, mac=mac, time_scale=FAST) as emu:
        r = run(emu, ["info"])
        rep = emu.stop()
    assert r.code == 0, (chip, r.stderr)
    res = r.final()
    assert res["mac"] == mac, (chip, res["mac"])
    assert res["chip"] == "%s (revision v%s)" % (name, rev)
    assert count(rep, 0x02) == 0, "info must not erase or open the flash"
    assert rep["erase_events"] == []
    assert_rom_only(rep, chip)


def make_per_chip(fn):
    for chip, name, rev in CHIPS:
        def t(chip=chip, name=name, rev=rev):
            fn(chip, name, rev)
        globals()["test_%s_%s" % (fn.__name__.replace("per_chip_", ""), chip)] = t


make_per_chip(per_chip_whole_erase_md5)
make_per_chip(per_chip_region_sampled)
make_per_chip(per_chip_info)


# ---- detection ----

def test_esp32_never_gets_security_info():
    with Emu(chip="esp32", time_scale=FAST) as emu:
        r = run(emu, ["info"])
        rep = emu.stop()
    assert r.code == 0, r.stderr
    assert count(rep, 0x14) == 0 and rep["stats"]["unsupported"] == 0


def test_esp8266_path_unchanged_no_new_opcodes():
    with Emu(time_scale=FAST) as emu:
        r = run(emu, ["erase"])
        rep = emu.stop()
    assert r.code == 0, r.stderr
    assert ops_received(rep) <= {0x02, 0x08, 0x09, 0x0A}, sorted(ops_received(rep))
    assert rep["stats"]["unsupported"] == 0
    assert r.final()["chip"] == "ESP8266EX"


def test_unknown_chip_id_is_named():
    with Emu(chip="esp32c3", chip_id="77", time_scale=FAST) as emu:
        r = run(emu, ["erase"])
        rep = emu.stop()
    assert r.code == 6, (r.code, r.stderr)
    assert "77" in r.final()["error"], r.final()["error"]
    assert count(rep, 0x02) == 0 and rep["erase_events"] == []


# ---- failures never claim an erase ----

def test_error_status_in_4_byte_position_fails():
    # The reserved trailing bytes stay 00 00: a tool reading the status from
    # the end would see success.
    with Emu(chip="esp32c3", flash_begin_error="0x06", time_scale=FAST) as emu:
        r = run(emu, ["erase"])
        rep = emu.stop()
    assert r.code == 7, (r.code, r.stderr)
    res = r.final()
    assert res["erased"]["length"] == 0, res["erased"]
    assert rep["erase_events"] == [] and rep["flash"]["blank"] is False


def test_without_set_params_rom_limit_is_respected():
    # The emulated ROM refuses past 2 MiB until SPI_SET_PARAMS; the tool must
    # have sent it, and the whole 8 MiB is erased.
    with Emu(chip="esp32s3", flash_size="8M", jedec="0x1740ef", time_scale=FAST) as emu:
        r = run(emu, ["erase"])
        rep = emu.stop()
    assert r.code == 0, r.stderr
    assert r.final()["erased"] == {"offset": 0, "length": 8 * MiB}
    assert erased_sectors(rep) == set(range(8 * MiB // SECTOR))


def test_flash_above_16mib_is_partial():
    with Emu(chip="esp32s3", flash_size="32M", jedec="0x1940ef", time_scale=FAST) as emu:
        r = run(emu, ["erase"])
        rep = emu.stop()
    assert r.code == 13, (r.code, r.stderr)
    res = r.final()
    assert res["erased"] == {"offset": 0, "length": 16 * MiB}
    assert "16 MiB" in res["error"], res["error"]
    assert erased_sectors(rep) == set(range(16 * MiB // SECTOR))


def test_hung_chip_fails_within_bound():
    with Emu(chip="esp32c6", hang_after="5", time_scale=FAST) as emu:
        t0 = time.monotonic()
        r = run(emu, ["erase"])
        dt = time.monotonic() - t0
        emu.stop()
    assert r.code == 9, (r.code, r.stderr)
    assert dt < 15, dt
    assert r.final().get("erased", {"length": 0})["length"] == 0


def test_noise_and_drops_still_succeed():
    with Emu(chip="esp32c3", drop_rate="0.002", noise_rate="0.02", seed="11",
             time_scale=FAST) as emu:
        r = run(emu, ["erase", "--verify", "--full"])
        rep = emu.stop()
    assert r.code == 0, r.stderr + r.stdout
    assert rep["flash"]["blank"] is True


def test_verify_md5_finds_bad_sector():
    # sector 100 holds firmware (the prefill covers the first 512 KiB)
    with Emu(chip="esp32h2", bad_sector="100", time_scale=FAST) as emu:
        r = run(emu, ["erase", "--verify", "--full"])
        emu.stop()
    assert r.code == 8, (r.code, r.stderr)
    v = r.final()["verify"]
    assert v["method"] == "md5" and v["blank"] is False
    assert "0x064000" in r.final()["error"], r.final()["error"]


def test_verify_sampled_catches_ignored_block():
    # sector 40 lies in the 64 KiB block 2: the sample of every erase unit finds it
    with Emu(chip="esp32c2", bad_sector="40", time_scale=FAST) as emu:
        r = run(emu, ["erase", "--verify"])
        emu.stop()
    assert r.code == 8, (r.code, r.stderr)
    assert r.final()["verify"]["mode"] == "sampled"


def test_sampled_verify_checks_each_sector_once():
    # A 16 KiB region: the sampled check runs out of sectors long before its
    # budget; it must stop there, not check the same sectors again.
    with Emu(chip="esp32c3", time_scale=FAST) as emu:
        r = run(emu, ["erase", "--region", "0x10000:0x4000", "--verify"])
        rep = emu.stop()
    assert r.code == 0, r.stderr
    v = r.final()["verify"]
    assert v["mode"] == "sampled" and v["bytes_checked"] == 0x4000, v
    assert rep["stats"]["md5_requests"] == 4, rep["stats"]["md5_requests"]
    assert r.seconds < 1.5, r.seconds


def test_verify_on_prefilled_flash_fails():
    with Emu(chip="esp32c3", time_scale=FAST) as emu:
        r = run(emu, ["verify", "--full"])
        rep = emu.stop()
    assert r.code == 8, (r.code, r.stderr)
    assert rep["erase_events"] == [] and count(rep, 0x02) == 0


# ---- Secure Download Mode and security features ----

def test_sdm_erase_needs_flash_size():
    with Emu(chip="esp32c3", sdm="1", time_scale=FAST) as emu:
        r = run(emu, ["erase"])
        rep = emu.stop()
    assert r.code == 14, (r.code, r.stderr)
    assert "--flash-size" in r.stdout, r.stdout
    assert rep["erase_events"] == [] and count(rep, 0x02) == 0


def test_sdm_erase_with_flash_size():
    with Emu(chip="esp32s2", sdm="1", time_scale=FAST) as emu:
        r = run(emu, ["erase", "--flash-size", "4M"])
        rep = emu.stop()
    assert r.code == 0, (r.code, r.stderr)
    res = r.final()
    assert res["secure_download_mode"] is True and res["flash_size_source"] == "user"
    assert res["erased"] == {"offset": 0, "length": 4 * MiB}
    assert rep["flash"]["blank"] is True
    # no register access was even tried
    assert count(rep, 0x09) == 0 and count(rep, 0x13) == 0
    assert rep["stats"]["unsupported"] <= 1  # at most the refused magic read


def test_sdm_verify_is_impossible():
    with Emu(chip="esp32c6", sdm="1", time_scale=FAST) as emu:
        r = run(emu, ["erase", "--flash-size", "4M", "--verify"])
        emu.stop()
    assert r.code == 14, (r.code, r.stderr)
    res = r.final()
    assert res["erased"] == {"offset": 0, "length": 4 * MiB}
    assert "Secure Download Mode" in res["error"]


def test_sdm_info_exits_zero():
    with Emu(chip="esp32s3", sdm="1", time_scale=FAST) as emu:
        r = run(emu, ["info"])
        emu.stop()
    assert r.code == 0, (r.code, r.stderr)
    assert r.final()["secure_download_mode"] is True


def test_flash_encryption_refused_then_forced():
    with Emu(chip="esp32c3", flash_crypt_cnt="1", time_scale=FAST) as emu:
        r = run(emu, ["erase"])
        rep = emu.stop()
    assert r.code == 12, (r.code, r.stderr)
    assert rep["erase_events"] == [] and count(rep, 0x02) == 0
    with Emu(chip="esp32c3", flash_crypt_cnt="1", time_scale=FAST) as emu:
        r = run(emu, ["erase", "--force"])
        rep = emu.stop()
    assert r.code == 0, (r.code, r.stderr)
    assert rep["flash"]["blank"] is True
    assert r.final()["security"]["flash_encryption"] is True


def test_secure_boot_refused():
    for chip in ("esp32", "esp32s3"):
        with Emu(chip=chip, secure_boot="1", time_scale=FAST) as emu:
            r = run(emu, ["erase"])
            rep = emu.stop()
        assert r.code == 12, (chip, r.code, r.stderr)
        assert rep["erase_events"] == []


def test_usb_serial_jtag_watchdogs_disabled():
    with Emu(chip="esp32c3", usb_serial_jtag="1", time_scale=FAST) as emu:
        r = run(emu, ["erase"])
        rep = emu.stop()
    assert r.code == 0, r.stderr
    assert rep["watchdogs_disabled"] is True
    with Emu(chip="esp32c3", time_scale=FAST) as emu:
        r = run(emu, ["erase"])
        rep = emu.stop()
    assert r.code == 0 and rep["watchdogs_disabled"] is False


def test_human_summary_names_chip():
    with Emu(chip="esp32c3", revision="0.4", time_scale=FAST) as emu:
        r = run(emu, ["erase", "--verify", "--full"], json_out=False)
        emu.stop()
    assert r.code == 0, r.stderr
    line = [ln for ln in (r.stdout + r.stderr).splitlines() if ": OK" in ln]
    assert line, r.stdout + r.stderr
    assert "ESP32-C3 (revision v0.4)" in line[-1] and "md5" in line[-1], line[-1]


if __name__ == "__main__":
    sys.exit(run_tests(globals(), "integration-esp32"))
