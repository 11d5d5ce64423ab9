#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault matrix: the built espwipe against espemu with one injected fault per row.

For every row it records the expected outcome and the measured one and asserts:
  - the run ended within the row's wall-time bound;
  - the exit code is the documented one for that fault;
  - there is exactly one JSON result, and it never claims a false "erased":
    the claimed range lies inside what the emulator erased (erase events that
    did not fail) and inside what its report shows blank; with a non-zero exit
    the claim is smaller than the requested range.
It prints a markdown table and "N passed, N failed"; exit status 1 on any failure.

  /usr/bin/python3 tests/faults/fault_matrix.py [-k PATTERN] [--out FILE]

Erase times are scaled down (time-scale) where a row is about behaviour; rows
about erase time run at the real datasheet timing on a 2-sector region, whose
FLASH_BEGIN timeout (userspace/flashplan.c plan_step_timeout_ms: worst case
x 1.25 + 3 s) is about 4 s, so they stay short.
"""
import fcntl
import json
import os
import shutil
import subprocess
import sys
import termios
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in tests/integration
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Emu, Result, build_path, run_espwipe, sanitizer_env  # noqa: E402

MiB = 1 << 20
SECTOR = 4096
FAST = "200"
WHOLE = (0, 4 * MiB)
# Two sectors at 0x1000: the plan is one FLASH_BEGIN of 2 sector erases (ROM
# bug: 1 requested sector erases 2), max 2 x 400 ms, timeout 0.8*1.25+3 = 4 s.
SMALL = (0x1000, 0x2000)
SMALL_ARG = ["--region", "0x1000:0x2000"]
BASE_ARGS = ["--reset", "none", "--after", "stay"]
# A run still going this long after its row's bound is killed (and fails).
KILL_AFTER_S = 5


def sectors_erased(report):
    out = set()
    for ev in report["erase_events"]:
        if not ev["failed"]:
            first = ev["offset"] // SECTOR
            out.update(range(first, first + ev["length"] // SECTOR))
    return out


def blank_sectors(report):
    out = set()
    for a, b in report["flash"]["blank_ranges"]:
        out.update(range(a // SECTOR, b // SECTOR))
    return out


class Row:
    def __init__(self, name, expect, bound_s, emu=None, args=None, rng=WHOLE, lines=False,
                 hold=None, hang_on_erase=False, note="", user=None, known=None, stat=None,
                 needs_root=False, kill_emu_on_erase=False):
        self.name = name
        self.expect = expect if isinstance(expect, (set, frozenset)) else {expect}
        self.bound_s = bound_s
        self.emu = dict(emu or {})
        self.args = list(args or [])
        self.rng = rng
        self.lines = lines
        self.hold = hold
        self.hang_on_erase = hang_on_erase
        self.note = note
        self.user = user      # run the tool as this uid (the pty is opened up for it)
        self.known = known    # an open bug outside tests/: a failure is reported, not counted
        self.stat = stat      # emulator stat that must be > 0: the fault really happened
        self.needs_root = needs_root
        self.kill_emu_on_erase = kill_emu_on_erase  # the "cable" goes mid-erase
        self.skipped = None   # why the row could not run here
        # measured
        self.code = None
        self.seconds = None
        self.claimed = None
        self.blank = ""
        self.erased = ""
        self.records = None   # journal records the run sent (None: not captured)
        self.journal = "-"
        self.problems = []


ROWS = [
    Row("no fault (baseline)", 0, 10, {"time_scale": FAST}),
    Row("host->chip byte drops 0.1 %", 0, 20, {"time_scale": FAST, "drop_rate": "0.001", "seed": "11"},
        args=["--verify"], stat="bytes_dropped"),
    Row("host->chip byte drops 0.5 %", 0, 20, {"time_scale": FAST, "drop_rate": "0.005", "seed": "12"},
        args=["--verify"], stat="bytes_dropped"),
    # At 1 % a request is mangled about once in 8: the contract is then success or
    # a clean exit 9 (link lost) in bounded time, never another code.
    Row("host->chip byte drops 1 % (seed 13)", {0, 9}, 25,
        {"time_scale": FAST, "drop_rate": "0.01", "seed": "13"}, args=["--verify"],
        stat="bytes_dropped"),
    Row("host->chip byte drops 1 % (seed 16)", {0, 9}, 25,
        {"time_scale": FAST, "drop_rate": "0.01", "seed": "16"}, args=["--verify"],
        stat="bytes_dropped"),
    Row("chip->host noise 1 % (between frames)", 0, 10,
        {"time_scale": FAST, "noise_rate": "0.01", "seed": "21"},
        args=["--verify"], stat="noise_bytes"),
    Row("chip->host noise 5 % (between frames)", 0, 10,
        {"time_scale": FAST, "noise_rate": "0.05", "seed": "22"},
        args=["--verify"], stat="noise_bytes"),
    Row("chip->host noise 1 % inside frames too", 0, 10,
        {"time_scale": FAST, "noise_rate": "0.01", "noise_in_frames": "true", "seed": "23"},
        args=["--verify"], stat="noise_bytes"),
    Row("boot banner garbage (tiocm reset from app)", 0, 10,
        {"time_scale": FAST, "start_mode": "app", "first_sync_lost": "false"},
        args=["--reset", "tiocm", "--after", "stay"], lines=True),
    Row("first SYNC lost after boot (tiocm reset, no banner)", 0, 10,
        {"time_scale": FAST, "start_mode": "app", "boot_banner": "false", "first_sync_lost": "true"},
        args=["--reset", "tiocm", "--after", "stay"], lines=True),
    Row("chip never answers (app mode, --reset none)", 5, 15, {"time_scale": FAST, "start_mode": "app"}),
    Row("chip hangs on the erase FLASH_BEGIN", 7, 10, {}, args=SMALL_ARG, rng=SMALL,
        hang_on_erase=True, note="the erase step's timeout (4 s) then exit 7"),
    Row("erase 8.5x typical (SE 383 ms < 400 ms max)", 0, 8,
        {"erase_slowdown": "8.5"}, args=SMALL_ARG, rng=SMALL),
    Row("erase 100x typical (SE 4.5 s > 400 ms max)", 7, 10,
        {"erase_slowdown": "100"}, args=SMALL_ARG, rng=SMALL),
    Row("ROM error 0x06 to FLASH_BEGIN", 7, 10, {"time_scale": FAST, "flash_begin_error": "0x06"}),
    Row("ROM error 0x05 to FLASH_BEGIN (resent, refused)", 7, 10,
        {"time_scale": FAST, "flash_begin_error": "0x05"}),
    Row("16 MiB, ROM limit 4 MiB, SPI_SET_PARAMS refused", 7, 10,
        {"time_scale": FAST, "flash_size": "16M", "jedec": "0x1840ef", "rom_flash_limit": "4M",
         "spi_set_params": "0"}, rng=(0, 16 * MiB)),
    Row("link gone mid-erase (espemu killed: pty hangup)", 9, 10, {"erase_slowdown": "20"},
        args=SMALL_ARG, rng=SMALL, kill_emu_on_erase=True),
    # The ESP32 family: 4-byte ROM status, SPI_ATTACH, exact FLASH_BEGIN, MD5 verify.
    Row("ESP32-C3: no fault (baseline)", 0, 10, {"time_scale": FAST, "chip": "esp32c3"},
        args=["--verify", "--full"]),
    Row("ESP32: host->chip byte drops 0.5 %", 0, 20,
        {"time_scale": FAST, "chip": "esp32", "drop_rate": "0.005", "seed": "31"},
        args=["--verify"], stat="bytes_dropped"),
    Row("ESP32-S3: chip->host noise 1 % inside frames too", 0, 10,
        {"time_scale": FAST, "chip": "esp32s3", "noise_rate": "0.01", "noise_in_frames": "true",
         "seed": "32"}, args=["--verify"], stat="noise_bytes"),
    Row("ESP32-C3: first SYNC lost after boot (tiocm reset)", 0, 10,
        {"time_scale": FAST, "chip": "esp32c3", "start_mode": "app", "first_sync_lost": "true"},
        args=["--reset", "tiocm", "--after", "stay"], lines=True),
    Row("ESP32-C6: chip never answers (app mode, --reset none)", 5, 15,
        {"time_scale": FAST, "chip": "esp32c6", "start_mode": "app"}),
    Row("ESP32-C3: chip hangs on the erase FLASH_BEGIN", 7, 10, {"chip": "esp32c3"},
        args=SMALL_ARG, rng=SMALL, hang_on_erase=True, note="the erase step's timeout, then exit 7"),
    Row("ESP32-C3: erase 100x typical (SE 4.5 s > 400 ms max)", 7, 10,
        {"chip": "esp32c3", "erase_slowdown": "100"}, args=SMALL_ARG, rng=SMALL),
    Row("ESP32: ROM error 0x06 to FLASH_BEGIN (4-byte status)", 7, 10,
        {"time_scale": FAST, "chip": "esp32", "flash_begin_error": "0x06"}),
    Row("ESP32-H2: ROM error 0x05 to FLASH_BEGIN (resent, refused)", 7, 10,
        {"time_scale": FAST, "chip": "esp32h2", "flash_begin_error": "0x05"}),
    Row("ESP32-S3: link gone mid-erase (pty hangup)", 9, 10,
        {"chip": "esp32s3", "erase_slowdown": "20"}, args=SMALL_ARG, rng=SMALL,
        kill_emu_on_erase=True),
    Row("ESP32-S2: Secure Download Mode, no --flash-size", 14, 10,
        {"time_scale": FAST, "chip": "esp32s2", "sdm": "1"}),
    Row("ESP32-S2: Secure Download Mode, --flash-size 4M", 0, 10,
        {"time_scale": FAST, "chip": "esp32s2", "sdm": "1"}, args=["--flash-size", "4M"]),
    Row("ESP32-C3: flash encryption on, no --force", 12, 10,
        {"time_scale": FAST, "chip": "esp32c3", "flash_crypt_cnt": "1"}),
    Row("ESP32-S3: 32 MiB flash (ROM reaches 16 MiB)", 13, 20,
        {"time_scale": FAST, "chip": "esp32s3", "flash_size": "32M", "jedec": "0x1940ef"},
        rng=(0, 32 * MiB)),
    Row("ESP32-C2: hung after identify (no reply to SPI_ATTACH)", 9, 10,
        {"time_scale": FAST, "chip": "esp32c2", "hang_after": "6"}),
    Row("tty held by another process (flock)", 4, 5, {"time_scale": FAST}, hold="flock"),
    Row("tty held by another process (TIOCEXCL), tool as a user", 4, 5, {"time_scale": FAST},
        hold="excl", user=65534),
    Row("tty held by another process (TIOCEXCL), tool as root", 4, 5, {"time_scale": FAST},
        needs_root=True,
        hold="excl"),
]


def hang_index(row):
    """Index in the command log of the erase FLASH_BEGIN, from a fault-free run."""
    opts = {k: v for k, v in row.emu.items()}
    with Emu(**opts) as emu:
        r = run_espwipe(["erase", "-p", emu.pty] + BASE_ARGS + row.args)
        rep = emu.stop()
    if r.code != 0:
        raise RuntimeError("baseline for the hang row failed: %d %s" % (r.code, r.stderr))
    log = rep["command_log"]
    begins = [i for i, op in enumerate(log) if op == 0x02]
    n = erase_begin_ordinal(row)
    if len(begins) < n:
        raise RuntimeError("no erase FLASH_BEGIN in %s" % log)
    return begins[n - 1]


def erase_begin_ordinal(row):
    """Which FLASH_BEGIN erases: on the ESP8266 the first one only attaches
    (size 0) and the second erases; the ESP32 family attaches with SPI_ATTACH,
    so its first FLASH_BEGIN is the erase."""
    return 2 if row.emu.get("chip", "esp8266") in ("esp8266", "esp8285") else 1


def run_as(uid, args, timeout):
    """run_espwipe for an unprivileged uid (setpriv), same Result."""
    exe = build_path("asan", "espwipe")
    cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups", exe] + args + [
        "--json"]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, env=sanitizer_env(), timeout=timeout)
    dt = time.monotonic() - t0
    events = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    return Result(p.returncode, events, p.stdout, p.stderr, dt)


def run_killed(row, emu, args):
    """Start espwipe, SIGKILL espemu once the erasing FLASH_BEGIN has arrived
    (the pty master closes: the tool's reads fail), return (Result, last report)."""
    exe = build_path("asan", "espwipe")
    t0 = time.monotonic()
    proc = subprocess.Popen([exe] + args + ["--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=sanitizer_env())
    rep = None
    deadline = time.monotonic() + row.bound_s
    while time.monotonic() < deadline and proc.poll() is None:
        rep = emu.snapshot()
        if rep["stats"]["commands"].get("0x02", 0) >= erase_begin_ordinal(row):
            break
    emu.proc.kill()
    emu.proc.wait()
    try:
        out, err = proc.communicate(timeout=row.bound_s + KILL_AFTER_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None, rep
    events = [json.loads(x) for x in out.splitlines() if x.strip()]
    return Result(proc.returncode, events, out, err, time.monotonic() - t0), rep


SINK = os.path.join(HERE, "..", "autowipe", "journal_sink.py")
WIPE_MESSAGE_ID = "05db009042734d8a80c5f0de32f4fec5"


def journal_capable():
    return os.geteuid() == 0 and shutil.which("unshare") and os.path.exists(SINK)


def run_with_journal(args, env, timeout):
    """run_espwipe, but in a private mount namespace whose journald socket is
    journal_sink.py: returns the Result and the records espwipe sent."""
    out = "/tmp/espwipe-faults-sink-%d.json" % os.getpid()
    exe = build_path("asan", "espwipe")
    script = 'mount -t tmpfs espwipe-faults /run && exec "$@"'
    cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
           sys.executable, SINK, out, exe] + list(args) + ["--json"]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, env=sanitizer_env(env),
                       timeout=timeout)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("journal sink failed: %s" % p.stderr.strip()[-300:])
    with open(out) as f:
        rep = json.load(f)
    os.unlink(out)
    events = [json.loads(x) for x in rep["stdout"].splitlines() if x.strip()]
    return Result(rep["code"], events, rep["stdout"], rep["stderr"], dt), rep["entries"]


def run_row(row):
    opts = dict(row.emu)
    if row.hang_on_erase:
        opts["hang_after"] = str(hang_index(row))
    args = ["erase", "-p", None] + (row.args if row.args and row.args[0] == "--reset"
                                    else BASE_ARGS + row.args)
    with Emu(lines=row.lines, **opts) as emu:
        args[2] = emu.pty
        if row.kill_emu_on_erase:
            return run_killed(row, emu, args)
        fd = None
        if row.hold:
            fd = os.open(emu.pty, os.O_RDWR | os.O_NOCTTY)
            if row.hold == "flock":
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                fcntl.ioctl(fd, termios.TIOCEXCL)
        try:
            if row.user is not None and os.geteuid() == 0:
                os.chmod(os.path.realpath(emu.pty), 0o666)
                r = run_as(row.user, args, timeout=row.bound_s + KILL_AFTER_S)
                if r.code in (126, 127) or (r.code != 4 and not r.events):
                    row.skipped = "uid %d cannot run %s here (%d: %s)" % (
                        row.user, build_path("asan", "espwipe"), r.code, r.stderr.strip()[:120])
            elif journal_capable():
                r, row.records = run_with_journal(args, emu.env() if row.lines else None,
                                                  timeout=row.bound_s + KILL_AFTER_S)
            else:
                r = run_espwipe(args, env=emu.env() if row.lines else None,
                                timeout=row.bound_s + KILL_AFTER_S)
        except subprocess.TimeoutExpired:
            r = None
        finally:
            if fd is not None:
                os.close(fd)
        rep = emu.stop()
    return r, rep


def check_row(row, r, rep):
    p = row.problems
    if row.skipped:
        return
    if r is None:
        row.seconds = row.bound_s + KILL_AFTER_S
        p.append("still running %d s after its bound: killed" % KILL_AFTER_S)
        return
    row.code = r.code
    row.seconds = r.seconds
    if r.code not in row.expect:
        p.append("exit %d, expected %s: %s" % (r.code, sorted(row.expect), r.stderr.strip()[-300:]))
    if r.seconds > row.bound_s:
        p.append("took %.1f s, bound %d s" % (r.seconds, row.bound_s))
    res = [e for e in r.events if e.get("event") == "result"]
    if len(res) != 1:
        p.append("%d JSON result objects" % len(res))
        return
    res = res[0]
    if res.get("exit_code") != r.code:
        p.append("result exit_code %s != process exit %d" % (res.get("exit_code"), r.code))
    er = res.get("erased") or {"offset": 0, "length": 0}
    off, length = er.get("offset", 0), er.get("length", 0)
    row.claimed = (off, length)
    claim = set(range(off // SECTOR, (off + length) // SECTOR))
    if off % SECTOR or length % SECTOR:
        p.append("claimed range %#x+%#x not sector-aligned" % (off, length))
    lo, n = row.rng
    want = set(range(lo // SECTOR, (lo + n) // SECTOR))
    erased, blank = sectors_erased(rep), blank_sectors(rep)
    if claim - erased:
        p.append("claims %d sectors the emulator did not erase (first %#x)" % (
            len(claim - erased), min(claim - erased) * SECTOR))
    if claim - blank:
        p.append("claims %d sectors that are not blank" % len(claim - blank))
    after_erase = any(e.get("event") == "erased" for e in r.events)
    if r.code != 0 and length >= n and not after_erase:
        p.append("exit %d but claims the whole range" % r.code)
    if r.code == 0 and claim != want:
        p.append("exit 0 but claims %#x+%#x, requested %#x+%#x" % (off, length, lo, n))
    done = len(want & blank)
    row.blank = "yes" if done == len(want) else ("no" if done == 0 else "%d/%d sectors" % (
        done, len(want)))
    row.erased = "%d/%d" % (len(want & erased), len(want))
    if row.stat and not rep["stats"].get(row.stat):
        p.append("the fault was not injected (emulator %s = 0)" % row.stat)
    if row.stat:
        row.note = "%s %d" % (row.stat, rep["stats"][row.stat])
    if row.records is not None:
        check_record(row, r, res)
    if row.hold and rep["stats"]["sync_frames"] != 0:
        p.append("the chip saw %d SYNC frames while the port was held" % rep["stats"]["sync_frames"])


def check_record(row, r, res):
    """Exactly one wipe record, and it says what the result says."""
    p = row.problems
    recs = [e for e in row.records if e.get("MESSAGE_ID") == WIPE_MESSAGE_ID]
    row.journal = "%d" % len(recs)
    if len(recs) != 1:
        p.append("%d journal wipe records, expected 1" % len(recs))
        return
    rec = recs[0]
    if rec.get("ESPWIPE_EXIT_CODE") != str(r.code):
        p.append("journal ESPWIPE_EXIT_CODE %s, exit %d" % (rec.get("ESPWIPE_EXIT_CODE"), r.code))
    er = res.get("erased") or {"offset": 0, "length": 0}
    want = "0x%06x+0x%06x" % (er.get("offset", 0), er.get("length", 0))
    if "ESPWIPE_ERASED" in rec and rec["ESPWIPE_ERASED"] != want:
        p.append("journal ESPWIPE_ERASED %s, result claims %s" % (rec["ESPWIPE_ERASED"], want))
    if r.code != 0 and rec.get("PRIORITY") not in ("3", "4"):
        p.append("failed wipe logged with PRIORITY %s" % rec.get("PRIORITY"))
    row.journal = "1 (%s)" % rec.get("ESPWIPE_RESULT", "?")


def journal_note():
    try:
        ok = subprocess.run(["systemctl", "is-active", "systemd-journald"], capture_output=True,
                            timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    if journal_capable():
        return ("Journal records: each row (but the ones run as another user or with the "
                "emulator killed) runs espwipe in a private mount namespace whose journald "
                "socket is tests/autowipe/journal_sink.py, and asserts exactly one wipe record "
                "that agrees with the result (exit code, erased range, priority).")
    if ok:
        return "systemd-journald is active: records can be checked with `espwipe log`."
    return ("Journal records per row: not verifiable here (needs root and unshare(1) for "
            "the stand-in journald socket).")


def table(rows):
    out = ["| fault | expected | measured exit | seconds | erased claimed | emulator erased "
           "(sectors) | emulator blank | journal records | result |",
           "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        exp = "/".join(str(c) for c in sorted(row.expect))
        claimed = "-" if row.claimed is None else (
            "none" if row.claimed[1] == 0 else "%#x+%#x" % row.claimed)
        out.append("| %s | %s (< %d s) | %s | %s | %s | %s | %s | %s | %s |" % (
            row.name, exp, row.bound_s, "-" if row.code is None else row.code,
            "-" if row.seconds is None else "%.2f" % row.seconds, claimed, row.erased or "-",
            row.blank or "-", row.journal, status_of(row)))
    known = [r for r in rows if status_of(r) == "KNOWN BUG"]
    if known:
        out.append("")
        out.append("Known bugs (rows that fail until a fix outside tests/ lands):")
        for r in known:
            out.append("- %s: %s" % (r.name, r.known))
    return "\n".join(out)


def status_of(row):
    if row.skipped:
        return "skip"
    if not row.problems:
        return "pass"
    return "KNOWN BUG" if row.known else "FAIL"


def main(argv):
    pattern = None
    out_file = None
    i = 0
    while i < len(argv):
        if argv[i] == "-k":
            pattern = argv[i + 1]
            i += 2
        elif argv[i] == "--out":
            out_file = argv[i + 1]
            i += 2
        else:
            print("usage: fault_matrix.py [-k PATTERN] [--out FILE]", file=sys.stderr)
            return 2
    rows = [r for r in ROWS if not pattern or pattern.lower() in r.name.lower()]
    for row in rows:
        t0 = time.monotonic()
        if row.needs_root and os.geteuid() != 0:
            row.skipped = "needs root"
            print("skip %s: %s" % (row.name, row.skipped))
            continue
        try:
            r, rep = run_row(row)
            check_row(row, r, rep)
        except Exception:  # noqa: BLE001 - a harness error fails the row, the rest still run
            row.problems.append("harness error: " + traceback.format_exc().strip().splitlines()[-1])
            traceback.print_exc()
        status = {"pass": "ok  ", "KNOWN BUG": "KNOWN", "FAIL": "FAIL", "skip": "skip"}[status_of(row)]
        if row.known and status_of(row) == "pass":
            status += " (fixed now: drop its known= mark)"
        print("%s %s (%.1fs)%s" % (status, row.name, time.monotonic() - t0,
                                   "".join("\n     - " + x for x in row.problems)))
        sys.stdout.flush()
    text = table(rows)
    passed = sum(1 for r in rows if status_of(r) == "pass")
    known = sum(1 for r in rows if status_of(r) == "KNOWN BUG")
    skipped = sum(1 for r in rows if status_of(r) == "skip")
    failed = len(rows) - passed - known - skipped
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    if known:
        summary += " (%d known bug%s, not counted)" % (known, "s" if known > 1 else "")
    print()
    print(text)
    print()
    print(journal_note())
    print(summary)
    if out_file:
        with open(out_file + ".tmp", "w") as f:
            f.write("<!-- SPDX-License-Identifier: GPL-2.0-or-later -->\n")
            f.write("# Fault matrix (measured)\n\n")
            f.write(text + "\n\n" + journal_note() + "\n\n" + summary + "\n")
        os.rename(out_file + ".tmp", out_file)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
