#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The live table as a person sees it: espwipe runs in a tmux pane (a real
terminal emulator) against emulated boards, and the tests read the screen
with `tmux capture-pane -p` at several moments, at 80 and at 60 columns.
The raw bytes the tool wrote (`pipe-pane`) show how it draws: in place, no
full clears, at most about 10 frames a second.

Run: /usr/bin/python3 tests/integration/test_table_tmux.py [-k NAME]
Needs tmux (mk/deps.sh installs it for `make check`).
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Emu, build_path, run_tests, sanitizer_env  # noqa: E402
from multi_harness import PlugDir, kill_emu  # noqa: E402

SOCK_PREFIX = "pci-0000:00:14.0-usb-0:1."


class Pane:
    """A detached tmux session of its own server, running one command."""

    def __init__(self, cmd, width, height=24, env=None):
        self.server = "espwipe-t%d-%d" % (os.getpid(), width)
        self.tmp = tempfile.mkdtemp(prefix="espwipe-tmux-")
        self.raw = os.path.join(self.tmp, "raw")
        self.done = os.path.join(self.tmp, "exit")
        env = sanitizer_env(env)
        assigns = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in sorted(env.items())
                           if k.startswith(("ESPWIPE_", "ASAN_", "UBSAN_")))
        # the exit code lands in a file; the pane stays so the screen can still be read
        script = "env %s %s; echo \"EXIT=$?\"; echo $? > %s; sleep 600" % (assigns, cmd, self.done)
        self.tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), script)
        self.tmux("pipe-pane", "-t", "t", "-o", "cat >> %s" % shlex.quote(self.raw))
        self.t0 = time.monotonic()

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.server, "-f", "/dev/null"] + list(args),
                              capture_output=True, text=True, check=True).stdout

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "t")

    def lines(self):
        return [ln.rstrip() for ln in self.screen().splitlines()]

    def wait_screen(self, pred, timeout=30, what="screen"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if pred(s):
                return s
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s; screen:\n%s" % (what, self.screen()))

    def key(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def raw_bytes(self):
        try:
            with open(self.raw, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def close(self):
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def table_rows(lines):
    """The board rows: lines after the column header up to the first blank or summary line."""
    out, inside = [], False
    for ln in lines:
        if ln.startswith("SOCKET") or ln.startswith("PORT"):
            inside = True
            continue
        if inside:
            if not ln.strip() or ln.startswith("espwipe "):
                break
            out.append(ln)
    return out


def header(lines):
    for ln in lines:
        if re.match(r"^(erase|info|verify|reset)( --each)?:", ln):
            return ln
    return ""


def bench(n_hung=1):
    """Eight boards: ESP8266 (4 and 1 MiB), ESP32-C3 and -S3, one hung after sync."""
    specs = [dict(flash_size="4M"), dict(flash_size="1M", jedec="0x1440ef"), dict(chip="esp32c3"),
             dict(flash_size="4M"), dict(chip="esp32s3"), dict(flash_size="1M", jedec="0x1440ef"),
             dict(flash_size="4M"), dict(flash_size="4M")]
    emus = []
    for i, s in enumerate(specs):
        s = dict(s, time_scale="3")
        if i == 4 and n_hung:
            s = dict(time_scale="3", hang_after="4")
        emus.append(Emu(**s))
    return emus


def check_frames(raw, seconds):
    """In place: cursor up + clear-to-end-of-line, never a full clear; about 10 frames/s at most."""
    assert b"\033[2J" not in raw and b"\033[H" not in raw, "a full-screen clear was drawn"
    ups = len(re.findall(rb"\r\033\[\d+A", raw))
    assert ups >= 3, "the table was not redrawn in place (%d frames)" % ups
    assert ups <= 12 * seconds + 20, "%d frames in %.1f s: more than ~10/s" % (ups, seconds)
    assert b"\033[K" in raw


def run_all(width):
    plug = PlugDir()
    emus = bench()
    for i, e in enumerate(emus):
        plug.plug("%s%d:1.0" % (SOCK_PREFIX, i + 1), e.pty)
    pane = Pane("%s erase --all --reset none" % build_path("asan", "espwipe"), width, env=plug.env())
    moments = {}
    try:
        moments["early"] = pane.wait_screen(lambda s: "erasing" in s or "erase " in s, 20, "an erase")
        moments["failed"] = pane.wait_screen(lambda s: "1 failed" in s, 30, "the hung board failing")
        moments["mid"] = pane.screen()
        moments["end"] = pane.wait_screen(lambda s: "EXIT=" in s, 60, "the end")
        seconds = time.monotonic() - pane.t0
        raw = pane.raw_bytes()
    finally:
        pane.close()
        for e in emus:
            e.__exit__()
        plug.cleanup()
    return moments, raw, seconds, emus


def test_all_8_boards_at_80_columns():
    moments, raw, seconds, emus = run_all(80)
    early = moments["early"].splitlines()
    rows = table_rows(early)
    assert len(rows) == 8, moments["early"]
    assert header(early).startswith("erase: 8 boards:"), header(early)
    # stable order by socket; the shared ID_PATH prefix is left out at 80 columns
    assert [r.split()[0] for r in rows] == ["1.%d:1.0" % (i + 1) for i in range(8)], rows
    assert [r.split()[1] for r in rows] == [e.pty[5:] for e in emus], rows
    for ln in moments["early"].splitlines():
        assert len(ln.rstrip()) <= 79, "line too wide for 80 columns: %r" % ln
    # mid-run: bars and time left on the erasing rows, the hung one failed
    mid = table_rows(moments["failed"].splitlines())
    erasing = [r for r in mid if " erasing " in r]
    assert erasing, moments["failed"]
    assert any(re.search(r"[#.]{6,}\s+\d+s", r) for r in erasing), erasing
    hung = mid[4]
    assert " failed " in hung and hung.rstrip().endswith("io 9"), hung
    # the end: every row final, the counts, the summary under the table, the exit code
    end = moments["end"].splitlines()
    rows = table_rows(end)
    assert len(rows) == 8, moments["end"]
    assert "7 done, 1 failed, 0 running" in header(end), header(end)
    for i, r in enumerate(rows):
        if i == 4:
            assert " failed " in r and r.rstrip().endswith("io 9"), r
        else:
            assert " done " in r and r.rstrip().endswith(" ok"), r
            assert re.search(r"ESP8266EX|ESP32-C3|ESP32-S3", r), r
            assert re.search(r"[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}", r), r
            assert re.search(r"\b(1M|4M)\b", r), r
    assert "ESP32-C3" in rows[2] and "ESP32-S3" not in rows[4]
    text = moments["end"]
    assert "espwipe erase: 8 boards: 7 ok, 1 failed" in text, text
    assert "FAILED %s (socket %s5:1.0): exit 9 (io)" % (emus[4].pty, SOCK_PREFIX) in text.replace("\n", ""), text
    assert "EXIT=9" in text
    check_frames(raw, seconds)


def test_all_8_boards_at_60_columns():
    moments, raw, seconds, emus = run_all(60)
    for name, scr in moments.items():
        for ln in scr.splitlines():
            if ln.startswith(("  FAILED", "exit code", "espwipe ")):
                continue  # the summary below the table is plain text
            assert len(ln.rstrip()) <= 59, "%s: too wide for 60 columns: %r" % (name, ln)
    end = moments["end"].splitlines()
    colhead = [ln for ln in end if ln.startswith("SOCKET") or ln.startswith("PORT")][0]
    for col in ("PORT", "PHASE", "RESULT"):
        assert col in colhead, colhead
    assert "MAC" not in colhead, colhead  # the first column to go
    rows = table_rows(end)
    assert len(rows) == 8
    assert sum(1 for r in rows if " done " in r and r.rstrip().endswith(" ok")) == 7, rows
    assert rows[4].rstrip().endswith("io 9"), rows[4]
    assert "7 done, 1 failed, 0 running" in header(end)
    mid = table_rows(moments["failed"].splitlines())
    assert any(re.search(r"(\d+%|#+\.*)\s+\d+s", r) for r in mid), mid
    check_frames(raw, seconds)


def test_each_under_tmux_plug_unplug_ctrl_c():
    """--each on a terminal: the banner, rows as boards are plugged in, one pulled out
    mid-erase marked unplugged, Ctrl-C ends with the counts and a summary."""
    plug = PlugDir()
    a = Emu(time_scale="50", flash_size="1M", jedec="0x1440ef")
    slow = Emu(time_scale="1", flash_size="4M")
    pane = Pane("%s erase --each --reset none" % build_path("asan", "espwipe"), 80, env=plug.env())
    try:
        scr = pane.wait_screen(lambda s: "Ctrl-C ends" in s, 10, "the idle table")
        assert "--each without --match: wiping EVERY" in scr, scr
        assert "0 done, 0 failed, 0 running" in scr, scr
        plug.plug("lab-1", a.pty)
        scr = pane.wait_screen(lambda s: "1 done" in s, 20, "the first board done")
        rows = table_rows(scr.splitlines())
        assert len(rows) == 1 and rows[0].startswith("lab-1") and rows[0].rstrip().endswith(" ok"), rows
        plug.plug("lab-2", slow.pty)
        pane.wait_screen(lambda s: "erasing" in s, 20, "the second board erasing")
        plug.unplug("lab-2")
        kill_emu(slow)
        scr = pane.wait_screen(lambda s: "1 failed" in s, 20, "the unplugged board")
        rows = table_rows(scr.splitlines())
        assert [r.split()[0] for r in rows] == ["lab-1", "lab-2"], rows
        assert " unplugged " in rows[1] and rows[1].rstrip().endswith("io 9"), rows[1]
        pane.key("C-c")
        scr = pane.wait_screen(lambda s: "EXIT=" in s, 20, "the end")
        assert "1 done, 1 failed, 0 running; stopping" in scr, scr
        assert "espwipe erase: 2 wipes: 1 ok, 1 failed" in scr and "ended by a signal" in scr, scr
        assert "unplugged" in scr.split("espwipe erase: 2 wipes")[1], scr
        assert "EXIT=9" in scr, scr
        check_frames(pane.raw_bytes(), time.monotonic() - pane.t0)
    finally:
        pane.close()
        a.__exit__()
        slow.__exit__()
        plug.cleanup()


def main():
    if not shutil.which("tmux"):
        print("table (tmux): tmux is not installed (mk/deps.sh check installs it)")
        return 1
    return run_tests(globals(), "table (tmux)")


if __name__ == "__main__":
    sys.exit(main())
