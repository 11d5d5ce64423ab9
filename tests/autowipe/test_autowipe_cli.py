# SPDX-License-Identifier: GPL-2.0-or-later
"""`espwipe autowipe`, `espwipe log` and the journal records, against espemu.

A pty has no udev record, so these runs see a device without ID_PATH, serial
or USB ids: only `any` matches it, and its plug-in key comes from the node's
device number and ctime.  The ASan build of espwipe is used throughout.

The journal test runs espwipe in a private mount namespace whose
/run/systemd/journal/socket is journal_sink.py, turns what espwipe sent into
a journal file with systemd-journal-remote, and reads it back with
`espwipe log` (ESPWIPE_JOURNAL_DIR).  It needs root, unshare(1) and
systemd-journal-remote, and says SKIP without them.
"""
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Emu, run_espwipe, build_path, sanitizer_env  # noqa: E402

FAST = "200"
MESSAGE_ID = "05db009042734d8a80c5f0de32f4fec5"
JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"


class Skip(Exception):
    pass


def conf_env(tmp, text=None, mode=0o644):
    """Environment with an allow-list (None: no file at all) and a private marker dir."""
    path = os.path.join(tmp, "autowipe.conf")
    if text is not None:
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
    return dict(os.environ, ESPWIPE_AUTOWIPE_CONF=path, ESPWIPE_RUNDIR=os.path.join(tmp, "run"))


def untouched(rep):
    assert rep["stats"]["sync_frames"] == 0, rep["stats"]
    assert rep["stats"]["sector_erases"] == 0 and rep["stats"]["block_erases"] == 0
    assert not rep["flash"]["blank"]


def decision(r):
    ev = r.of("autowipe")
    assert len(ev) == 1, r.stdout
    return ev[0]


# ---- the allow-list decides ----

def test_no_config_wipes_nothing():
    with Emu(time_scale=FAST) as emu:
        r = run_espwipe(["autowipe", emu.pty], env=conf_env(emu.tmp))
        rep = emu.stop()
    assert r.code == 0, (r.code, r.stderr)
    d = decision(r)
    assert d["allowed"] is False
    assert "no allow-list" in d["message"] and "not wiped" in d["message"]
    assert not r.of("result")
    untouched(rep)


def test_not_in_allow_list_wipes_nothing():
    with Emu(time_scale=FAST) as emu:
        env = conf_env(emu.tmp, "# only the bench sockets\nserial NOPE\nusb 1a86:7523\n"
                                "path pci-*\n")
        r = run_espwipe(["autowipe", emu.pty], env=env)
        rep = emu.stop()
    assert r.code == 0, (r.code, r.stderr)
    d = decision(r)
    assert d["allowed"] is False and d["rule"] is None
    assert "is not in the allow-list, not wiped" in d["message"]
    untouched(rep)
    assert not os.path.exists(os.path.join(emu.tmp, "run"))  # no marker either


def test_allowed_board_is_wiped_once_per_plug_in():
    with Emu(time_scale=FAST) as emu:
        env = conf_env(emu.tmp, "serial NOPE\nany   # everything on this bench\n")
        r1 = run_espwipe(["autowipe", emu.pty], env=env)
        mid = emu.snapshot()
        r2 = run_espwipe(["autowipe", emu.pty], env=env)
        rep = emu.stop()
    assert r1.code == 0, (r1.code, r1.stderr)
    d = decision(r1)
    assert d["allowed"] is True and d["rule"] == "any (line 2)", d
    res = r1.final()
    assert res["command"] == "erase" and res["exit_code"] == 0
    assert res["erased"] == {"offset": 0, "length": 4 << 20}
    assert mid["flash"]["blank"], "the allowed board was not erased"
    # the second run sees the marker and does not touch the board
    assert r2.code == 0, (r2.code, r2.stderr)
    d2 = decision(r2)
    assert "already wiped for this plug-in" in d2["message"], d2
    assert not r2.of("result")
    assert rep["stats"]["sync_frames"] == mid["stats"]["sync_frames"]
    markers = []
    for root, _, files in os.walk(os.path.join(emu.tmp, "run")):
        markers += [os.path.join(root, f) for f in files]
    assert len(markers) == 1 and os.path.basename(markers[0]).startswith("plug-dev"), markers
    with open(markers[0]) as f:
        assert f.read() == "exit=0\n"
    assert os.stat(markers[0]).st_mode & 0o777 == 0o600


def test_unsafe_allow_list_is_refused():
    cases = [(0o666, "writable by everyone"), (0o664, "writable by its group")]
    for mode, frag in cases:
        with Emu(time_scale=FAST) as emu:
            r = run_espwipe(["autowipe", emu.pty], env=conf_env(emu.tmp, "any\n", mode))
            rep = emu.stop()
        assert r.code == 10, (mode, r.code, r.stderr)
        assert frag in r.of("error")[0]["error"], r.stdout
        untouched(rep)
    if os.geteuid() == 0:
        with Emu(time_scale=FAST) as emu:
            env = conf_env(emu.tmp, "any\n")
            os.chown(env["ESPWIPE_AUTOWIPE_CONF"], 4242, 4242)
            r = run_espwipe(["autowipe", emu.pty], env=env)
            rep = emu.stop()
        assert r.code == 10, (r.code, r.stderr)
        assert "owned by uid 4242, not by root" in r.of("error")[0]["error"]
        untouched(rep)


def test_bad_allow_list_names_the_line():
    with Emu(time_scale=FAST) as emu:
        env = conf_env(emu.tmp, "# bench\nany\nusb 1a86-7523\n")
        r = run_espwipe(["autowipe", emu.pty], env=env, json_out=False)
        rep = emu.stop()
    assert r.code == 10, (r.code, r.stderr)
    assert "autowipe.conf:3: usb wants VID:PID" in r.stderr, r.stderr
    assert "nothing was wiped" in r.stderr
    untouched(rep)


def test_unusable_marker_directory_wipes_nothing():
    with Emu(time_scale=FAST) as emu:
        env = conf_env(emu.tmp, "any\n")
        with open(os.path.join(emu.tmp, "notadir"), "w"):
            pass
        env["ESPWIPE_RUNDIR"] = os.path.join(emu.tmp, "notadir")
        r = run_espwipe(["autowipe", emu.pty], env=env)
        rep = emu.stop()
    assert r.code == 10, (r.code, r.stderr)
    assert "cannot create the per-plug-in marker" in r.of("error")[0]["error"]
    untouched(rep)


def test_other_devices_are_never_wiped():
    # /dev/null has a udev record (sysfs) and is on no supported link, even for "any"
    with tempfile.TemporaryDirectory() as tmp:
        r = run_espwipe(["autowipe", "/dev/null"], env=conf_env(tmp, "any\n"))
        assert r.code == 0, (r.code, r.stderr)
        d = decision(r)
        assert d["allowed"] is False and "is not on a supported link" in d["message"], d
        assert not r.of("result") and not os.path.exists(os.path.join(tmp, "run"))


def test_missing_port():
    with tempfile.TemporaryDirectory() as tmp:
        r = run_espwipe(["autowipe", "/dev/ttyESPWIPE-none"], env=conf_env(tmp, "any\n"))
    assert r.code == 3, (r.code, r.stderr)


def test_usage_errors():
    for args, frag in [
        (["autowipe"], "autowipe needs the port"),
        (["autowipe", "/dev/a", "/dev/b"], "autowipe takes one port"),
        (["erase", "/dev/ttyUSB0"], "unexpected argument"),
        (["erase", "--follow"], "apply to log only"),
        (["info", "-n", "3"], "apply to log only"),
        (["log", "-n", "0"], "--lines"),
        (["log", "-n", "x"], "--lines"),
    ]:
        r = run_espwipe(args, json_out=False)
        assert r.code == 2, (args, r.code, r.stderr)
        assert frag in r.stderr, (args, r.stderr)
    r = run_espwipe(["--help"], json_out=False)
    for word in ["autowipe PORT", "log ", "--follow", "--lines", "10 auto-wipe"]:
        assert word in r.stdout, word


def test_list_shows_the_autowipe_column():
    with tempfile.TemporaryDirectory() as tmp:
        r = run_espwipe(["list"], env=conf_env(tmp, "any\n"), json_out=False)
        assert r.code == 0, r.stderr
        assert r.stdout.splitlines()[0].split() == [
            "PORT", "DRIVER", "LINK", "VID:PID", "MODULE", "SUPPORTED", "AUTOWIPE", "ID_PATH"]
        r = run_espwipe(["list"], env=conf_env(tmp, "any\n", 0o666), json_out=False)
        assert r.code == 0
        assert "allow-list ignored" in r.stderr
        for e in run_espwipe(["list"], env=conf_env(tmp, "any\n")).events:
            assert isinstance(e.get("autowipe"), bool), e


# ---- journal records and `espwipe log` ----

def sink_run(tmp, args, env):
    """Run espwipe with journal_sink.py as the journal; return its report."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        raise Skip("needs root and unshare(1) for a private /run")
    out = os.path.join(tmp, "sink-%d.json" % len(os.listdir(tmp)))
    script = ("mount -t tmpfs espwipe-test /run && exec %s %s %s %s" %
              (sys.executable, os.path.join(HERE, "journal_sink.py"), out,
               " ".join([build_path("asan", "espwipe")] + args)))
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       env=sanitizer_env(env), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    with open(out) as f:
        return json.load(f)


def to_journal(entries, path, t0):
    """Write entries (dicts) as a journal file with systemd-journal-remote.
    Their timestamps grow from t0 (microseconds): entries of one boot in
    several files are ordered by the monotonic one."""
    lines = []
    boot = "0" * 31 + "1"
    for i, e in enumerate(entries):
        lines.append("__REALTIME_TIMESTAMP=%d" % (t0 + i * 1000000))
        # one boot: entries of all files are ordered by this, so it must grow too
        lines.append("__MONOTONIC_TIMESTAMP=%d" % (t0 + i * 1000000))
        lines.append("_BOOT_ID=%s" % boot)
        for k, v in e.items():
            assert "\n" not in v
            lines.append("%s=%s" % (k, v))
        lines.append("")
    p = subprocess.run([JOURNAL_REMOTE, "-o", path, "-"], input="\n".join(lines) + "\n",
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr


def test_erase_and_autowipe_leave_journal_records():
    if not os.access(JOURNAL_REMOTE, os.X_OK):
        raise Skip("systemd-journal-remote is not installed (apt-get install systemd-journal-remote)")
    tmp = tempfile.mkdtemp(prefix="espwipe-journal-")
    sinkdir = os.path.join(tmp, "sink")
    os.makedirs(sinkdir)
    with Emu(time_scale=FAST) as emu:
        env = conf_env(emu.tmp, "any\n")
        # stay in the loader: the pty has no reset lines to bring it back for the autowipe
        manual = sink_run(sinkdir, ["erase", "-p", emu.pty, "--after", "stay", "--json"], env)
        auto = sink_run(sinkdir, ["autowipe", emu.pty, "--json"], env)
        emu.stop()
    with Emu(time_scale=FAST, start_mode="app") as emu:  # not in its loader: no SYNC reply
        failed = sink_run(sinkdir, ["erase", "-p", emu.pty, "--reset", "none",
                                    "--connect-attempts", "1"], env)
        emu.stop()
    assert manual["code"] == 0 and auto["code"] == 0, (manual, auto)
    assert failed["code"] == 5, failed["stderr"]
    recs = []
    for run, command, code in [(manual, "erase", 0), (auto, "autowipe", 0), (failed, "erase", 5)]:
        mine = [e for e in run["entries"] if e.get("MESSAGE_ID") == MESSAGE_ID]
        assert len(mine) == 1, run["entries"]
        e = mine[0]
        assert e["SYSLOG_IDENTIFIER"] == "espwipe"
        assert e["ESPWIPE_COMMAND"] == command
        assert e["ESPWIPE_EXIT_CODE"] == str(code)
        assert e["ESPWIPE_PORT"].startswith("/dev/pts/")
        assert float(e["ESPWIPE_SECONDS"]) > 0
        recs.append(e)
    ok = recs[0]
    assert ok["ESPWIPE_RESULT"] == "ok" and ok["PRIORITY"] == "6"
    assert ok["ESPWIPE_CHIP"] == "ESP8266EX"
    assert ok["ESPWIPE_MAC"] == json.loads(manual["stdout"].splitlines()[-1])["mac"]
    assert ok["ESPWIPE_FLASH_ID"] == "0x1640ef" and ok["ESPWIPE_FLASH_SIZE"] == str(4 << 20)
    assert ok["ESPWIPE_ERASED"] == "0x000000+0x400000"
    assert recs[2]["ESPWIPE_RESULT"] == "no-sync" and recs[2]["PRIORITY"] == "3"
    assert "ESPWIPE_CHIP" not in recs[2]
    assert "did not answer SYNC" in recs[2]["MESSAGE"]

    # Into a journal file, with an unrelated entry in between, and read back.
    jdir = os.path.join(tmp, "journal")
    os.makedirs(jdir)
    other = {"MESSAGE": "unrelated", "SYSLOG_IDENTIFIER": "other", "ESPWIPE_PORT": "/dev/nope"}
    t0 = 1795724684000000
    to_journal([recs[0], other, recs[1], recs[2]], os.path.join(jdir, "a.journal"), t0)
    env = dict(os.environ, ESPWIPE_JOURNAL_DIR=jdir, TZ="UTC")
    r = run_espwipe(["log"], env=env)
    got = r.of("wipe")
    assert r.code == 0, r.stderr
    assert [g["command"] for g in got] == ["erase", "autowipe", "erase"], got
    assert [g["exit_code"] for g in got] == [0, 0, 5]
    assert got[0]["mac"] == ok["ESPWIPE_MAC"] and got[0]["flash_size"] == 4 << 20
    # (journal-remote may stamp entries with its own receive time; only the order is certain)
    assert 0 < got[0]["time"] <= got[1]["time"] <= got[2]["time"], got
    r = run_espwipe(["log", "-n", "1"], env=env)
    assert [g["result"] for g in r.of("wipe")] == ["no-sync"]
    r = run_espwipe(["log", "-n", "2"], env=env, json_out=False)
    rows = r.stdout.splitlines()
    assert r.code == 0 and len(rows) == 3, r.stdout
    assert rows[0].split() == ["TIME", "PORT", "ID_PATH", "CHIP", "MAC", "FLASH", "RESULT", "SECONDS"]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /dev/pts/", rows[1]), rows[1]
    assert "ESP8266EX" in rows[1] and "4 MiB" in rows[1] and " ok " in rows[1]
    assert " no-sync " in rows[2] and "nope" not in r.stdout

    # --follow prints records that arrive later, and only those.
    fol = subprocess.Popen([build_path("asan", "espwipe"), "log", "--follow", "-n", "1", "--json"],
                           env=sanitizer_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        ready, _, _ = select.select([fol.stdout], [], [], 15)
        assert ready, "espwipe log --follow printed nothing within 15 s"
        first = json.loads(fol.stdout.readline())
        assert first["result"] == "no-sync", first
        newer = dict(recs[1], ESPWIPE_PORT="/dev/ttyFOLLOW")
        to_journal([newer], os.path.join(jdir, "b.journal"), t0 + 3600 * 1000000)
        ready, _, _ = select.select([fol.stdout], [], [], 15)
        assert ready, "espwipe log --follow did not print the new record within 15 s"
        line = fol.stdout.readline()
        assert json.loads(line)["port"] == "/dev/ttyFOLLOW", line
    finally:
        fol.terminate()
        fol.wait(timeout=10)
    shutil.rmtree(tmp)


def test_log_without_a_journal():
    with tempfile.TemporaryDirectory() as tmp:
        r = run_espwipe(["log"], env=dict(os.environ, ESPWIPE_JOURNAL_DIR=tmp), json_out=False)
        assert r.code == 0, (r.code, r.stderr)
        assert r.stdout.startswith("TIME ") and len(r.stdout.splitlines()) == 1, r.stdout
        assert "no espwipe wipe records" in r.stderr
        r = run_espwipe(["log"], env=dict(os.environ, ESPWIPE_JOURNAL_DIR=tmp + "/missing"))
        assert r.code == 11, (r.code, r.stderr)
        assert "cannot open the journal" in r.of("error")[0]["error"]


def test_log_reads_the_live_journal():
    p = subprocess.run(["systemctl", "is-active", "systemd-journald"], capture_output=True, text=True)
    if p.returncode != 0 or p.stdout.strip() != "active":
        raise Skip("systemd-journald is not running here (systemctl is-active: %r)" %
                   (p.stdout.strip() or p.stderr.strip()))
    r = run_espwipe(["log", "-n", "5"])
    assert r.code == 0, r.stderr
    for e in r.of("wipe"):
        assert e["port"], e


def main():
    names = [n for n in sorted(globals()) if n.startswith("test_")]
    if len(sys.argv) > 2 and sys.argv[1] == "-k":
        names = [n for n in names if sys.argv[2] in n]
    passed = failed = skipped = 0
    for n in names:
        t0 = time.monotonic()
        try:
            globals()[n]()
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (n, e))
        except Exception:  # noqa: BLE001 - report every failure and carry on
            failed += 1
            print("FAIL %s (%.1fs)" % (n, time.monotonic() - t0))
            traceback.print_exc()
        else:
            passed += 1
            print("ok   %s (%.1fs)" % (n, time.monotonic() - t0))
        sys.stdout.flush()
    print("autowipe: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
