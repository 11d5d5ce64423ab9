# SPDX-License-Identifier: GPL-2.0-or-later
"""Run the built espwipe against espemu on a pseudo-terminal.

An Emu starts espemu with options, learns the pty path from its first line of
output, and on stop() sends SIGTERM and reads the JSON report espemu writes.
run_espwipe() runs the tool with --json and returns the exit code, the parsed
JSON events and the elapsed time.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def build_path(*parts):
    return os.path.join(ROOT, "build", *parts)


class Emu:
    def __init__(self, variant="asan", lines=False, **opts):
        self.tmp = tempfile.mkdtemp(prefix="espwipe-it-")
        self.report_path = os.path.join(self.tmp, "report.json")
        self.lines_sock = os.path.join(self.tmp, "lines.sock") if lines else None
        exe = build_path("asan", "espemu") if variant == "asan" else build_path("espemu")
        args = [exe, "--report=" + self.report_path]
        # Tests start from a board with firmware on it, already in its loader,
        # unless they say otherwise.
        opts.setdefault("flash_prefill", "true")
        opts.setdefault("start_mode", "loader")
        if self.lines_sock:
            args.append("--lines-socket=" + self.lines_sock)
        for k, v in opts.items():
            args.append("--%s=%s" % (k.replace("_", "-"), v))
        self.args = args
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=sanitizer_env())
        line = self.proc.stdout.readline().strip()
        if not line.startswith("/dev/"):
            err = self.proc.stderr.read()
            raise RuntimeError("espemu did not start: %r %s" % (line, err))
        self.pty = line
        self.report = None

    def env(self):
        """Environment for a client that should see modem lines on the pty."""
        env = dict(os.environ)
        if self.lines_sock:
            env["ESPEMU_LINES_SOCKET"] = self.lines_sock
            shim = build_path("libespemu-lines.so")
            pre = env.get("LD_PRELOAD", "")
            env["LD_PRELOAD"] = (pre + " " + shim).strip()
        return env

    def snapshot(self):
        """Ask for a report now (SIGUSR1) and return it."""
        before = os.path.getmtime(self.report_path) if os.path.exists(self.report_path) else 0
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.path.exists(self.report_path) and os.path.getmtime(self.report_path) != before:
                try:
                    with open(self.report_path) as f:
                        return json.load(f)
                except ValueError:
                    pass
            time.sleep(0.01)
        raise RuntimeError("espemu wrote no report")

    def wait_mode_settled(self, timeout=3.0):
        """Let a chip that is still booting finish (bounded), then stop."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.snapshot()["mode"] not in ("booting", "reset"):
                break
        return self.stop()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr = self.proc.stderr.read()
        if self.proc.returncode not in (0, -signal.SIGTERM):
            raise RuntimeError("espemu exited %d: %s" % (self.proc.returncode, self.stderr))
        with open(self.report_path) as f:
            self.report = json.load(f)
        return self.report

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Result:
    def __init__(self, code, events, stdout, stderr, seconds):
        self.code = code
        self.events = events
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    def final(self):
        res = [e for e in self.events if e.get("event") == "result"]
        assert len(res) == 1, "expected one result object, got %d: %s" % (len(res), self.stdout)
        return res[0]

    def of(self, kind):
        return [e for e in self.events if e.get("event") == kind]


def sanitizer_env(env=None):
    """The ASan/UBSan settings make check exports, also for direct runs."""
    env = dict(os.environ if env is None else env)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1:verify_asan_link_order=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


def run_espwipe(args, env=None, json_out=True, timeout=120, variant="asan"):
    exe = build_path("asan", "espwipe") if variant == "asan" else build_path("espwipe")
    cmd = [exe] + list(args)
    if json_out:
        cmd.append("--json")
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, env=sanitizer_env(env),
                       timeout=timeout)
    dt = time.monotonic() - t0
    events = []
    if json_out:
        for line in p.stdout.splitlines():
            line = line.strip()
            if line:
                events.append(json.loads(line))
    return Result(p.returncode, events, p.stdout, p.stderr, dt)


class Skip(Exception):
    """Raised by a test that cannot run here; counted as skipped, not failed."""


def run_tests(namespace, label, argv=None):
    """Run every test_* function of a module's namespace (or those whose name
    contains PATTERN with -k PATTERN), each to the end whatever the others do;
    print one line each and "LABEL: N passed, N failed[, N skipped]".
    Returns the process exit status."""
    argv = sys.argv if argv is None else argv
    names = [n for n in sorted(namespace) if n.startswith("test_") and callable(namespace[n])]
    if len(argv) > 2 and argv[1] == "-k":
        names = [n for n in names if argv[2] in n]
    passed = failed = skipped = 0
    for n in names:
        t0 = time.monotonic()
        try:
            namespace[n]()
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
    tail = ", %d skipped" % skipped if skipped else ""
    print("%s: %d passed, %d failed%s" % (label, passed, failed, tail))
    return 1 if failed else 0
