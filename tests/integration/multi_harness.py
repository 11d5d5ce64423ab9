# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the multi-board tests (test_multi.py, test_table_tmux.py, bench.py).

PlugDir is the test seam of `espwipe erase --each/--all`: a directory named by
ESPWIPE_TEST_PLUG_DIR whose symbolic links are the plugged boards (name =
socket, target = the emulator's pty), as /dev/serial/by-path is.

Live runs the tool with --json and collects its events from a reader thread,
so a test can wait for a moment ("every board is erasing") and act then (send
a signal, plug or unplug a board).  With journal=True it runs inside a private
mount namespace whose journald socket is multi_sink.py (root and unshare(1)
needed; journal_capable() says whether they are there).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import build_path, sanitizer_env  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SINK = os.path.join(HERE, "multi_sink.py")
WIPE_MESSAGE_ID = "05db009042734d8a80c5f0de32f4fec5"


def journal_capable():
    return os.geteuid() == 0 and shutil.which("unshare") is not None


class PlugDir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="espwipe-plug-")

    def plug(self, socket, pty):
        """A board appears in `socket` (the link is made elsewhere and renamed in: one event)."""
        tmp = os.path.join(self.path, ".new-" + socket)
        os.symlink(pty, tmp)
        os.rename(tmp, os.path.join(self.path, socket))

    def unplug(self, socket):
        os.unlink(os.path.join(self.path, socket))

    def env(self, base=None):
        env = dict(os.environ if base is None else base)
        env["ESPWIPE_TEST_PLUG_DIR"] = self.path
        return env

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


class Live:
    """espwipe ARGS --json, running; events arrive in self.events."""

    def __init__(self, args, env=None, journal=False, variant="asan"):
        exe = build_path("asan", "espwipe") if variant == "asan" else build_path("espwipe")
        cmd = [exe] + list(args) + ["--json"]
        self.sink_out = None
        if journal:
            fd, self.sink_out = tempfile.mkstemp(prefix="espwipe-sink-", suffix=".json")
            os.close(fd)
            script = 'mount -t tmpfs espwipe-multi /run && exec "$@"'
            cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                   sys.executable, SINK, self.sink_out] + cmd
        self.events = []
        self.lines = []
        self.cond = threading.Condition()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=sanitizer_env(env))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.err_reader = threading.Thread(target=self._read_err, daemon=True)
        self.stderr = ""
        self.err_reader.start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            with self.cond:
                self.lines.append(line)
                try:
                    self.events.append(json.loads(line))
                except ValueError:
                    self.events.append({"event": "unparsed", "line": line})
                self.cond.notify_all()

    def _read_err(self):
        self.stderr = self.proc.stderr.read()

    def wait_for(self, pred, timeout=30, what="condition"):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred(self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for %s; events: %s" %
                                         (what, [e.get("event") for e in self.events][-40:]))
                self.cond.wait(left)

    def of(self, kind, port=None):
        with self.cond:
            return [e for e in self.events if e.get("event") == kind and (port is None or e.get("port") == port)]

    def signal(self, sig):
        self.proc.send_signal(sig)

    def finish(self, timeout=60):
        """Wait for the end; returns (exit code, summary object, journal entries or None)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        self.reader.join(5)
        self.err_reader.join(5)
        self.seconds = time.monotonic() - self.t0
        code = self.proc.returncode
        entries = None
        if self.sink_out:
            with open(self.sink_out) as f:
                rep = json.load(f)
            os.unlink(self.sink_out)
            code = rep["code"]
            entries = [e for e in rep["entries"] if e.get("MESSAGE_ID") == WIPE_MESSAGE_ID]
        summaries = self.of("summary")
        assert len(summaries) == 1, "expected one summary, got %d: %s %s" % (
            len(summaries), self.lines[-5:], self.stderr[-2000:])
        assert self.events[-1].get("event") == "summary", "the summary comes last"
        return code, summaries[0], entries


def run_lines(args, env=None, timeout=120, variant="asan"):
    """espwipe ARGS without --json (stdout not a terminal): (code, stdout, stderr, seconds)."""
    exe = build_path("asan", "espwipe") if variant == "asan" else build_path("espwipe")
    t0 = time.monotonic()
    p = subprocess.run([exe] + list(args), capture_output=True, text=True, env=sanitizer_env(env),
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def kill_emu(emu):
    """The board is pulled out: its pty hangs up at once."""
    if emu.proc.poll() is None:
        emu.proc.send_signal(signal.SIGKILL)
        emu.proc.wait()
