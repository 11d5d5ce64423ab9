#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make bench: espwipe against espemu on a pty, with realistic erase timing.

Measures, for a 4 MiB Winbond board:
  - connect overhead: process start to "synced", minus the reset holds and
    the emulated boot delay (the time that is the tool's own);
  - erase ratio: wall time of the erase / the emulated physical erase time,
    and that flash time against the single-FLASH_BEGIN optimum (10.74 s);
  - CPU time and peak RSS of the espwipe process;
  - sampled and full verify speed;
  - optionally (ESPTOOL_DIR=path or first argument) real esptool
    `--no-stub flash-id` beside `espwipe info`, same emulator, same run;
  - one process wiping 1, 4, 8 and 16 boards (`erase --all`): wall time
    against one board, CPU per board-second, peak RSS; 16 also with the
    live table drawn on a pty (BENCH_ONLY=multi runs only this part).
Release builds are used; nothing here asserts, it reports.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Emu, build_path  # noqa: E402

RESET_HOLDS_MS = 100.0 + 50.0
SINGLE_BEGIN_4MIB_S = 10.745  # 32 SE x 45 ms + 62 BE x 150 ms


def run_rusage(cmd, env=None):
    """Run cmd under bench-rusage so its own CPU time and peak RSS are known."""
    p = subprocess.run([build_path("bench-rusage")] + cmd, capture_output=True, text=True, env=env)
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith('{"rusage"')]
    ru = json.loads(lines[-1])
    return {"rc": ru["rc"], "out": p.stdout, "wall": ru["wall"], "cpu": ru["cpu"],
            "rss_kib": ru["rss_kib"]}


def events(out):
    return [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]


def bench_erase():
    with Emu(variant="release", lines=True, start_mode="app") as emu:
        env = emu.env()
        launched = time.time()
        r = run_rusage([build_path("espwipe"), "erase", "-p", emu.pty, "--json", "--after", "stay"],
                       env=env)
        rep = emu.stop()
    ev = events(r["out"])
    res = [e for e in ev if e["event"] == "result"][0]
    synced = [e for e in ev if e["event"] == "synced"][0]
    erased = [e for e in ev if e["event"] == "erased"][0]
    flash_s = rep["stats"]["flash_busy_us"] / 1e6
    # from process start (wall clock at launch) to the first SYNC reply
    connect_ms = (synced["synced_time"] - launched) * 1000.0
    return {
        "rc": r["rc"],
        "exit": res["exit_code"],
        "connect_total_ms": connect_ms,
        # the emulated boot (30 ms) runs inside the 50 ms GPIO0 hold, so only
        # the holds are subtracted: what remains is the tool's own time plus
        # two SYNC frames and one reply on the 115200 baud wire (~9 ms)
        "connect_overhead_ms": connect_ms - RESET_HOLDS_MS,
        "syncs_sent": synced["syncs_sent"],
        "erase_wall_s": erased["seconds"],
        "flash_s": flash_s,
        "erase_ratio": erased["seconds"] / flash_s if flash_s else float("nan"),
        "flash_vs_single_begin": flash_s / SINGLE_BEGIN_4MIB_S,
        "se": rep["stats"]["sector_erases"],
        "be": rep["stats"]["block_erases"],
        "cpu_ms": r["cpu"] * 1000,
        "rss_kib": r["rss_kib"],
        "total_s": r["wall"],
        "blank": rep["flash"]["blank"],
    }


def bench_verify(full_bytes, baud):
    out = {}
    with Emu(variant="release", time_scale="1000", baud=str(baud), flash_prefill="false") as emu:
        r = run_rusage([build_path("espwipe"), "verify", "-p", emu.pty, "--json", "--reset", "none",
                        "--after", "stay", "-b", str(baud)])
        v = [e for e in events(r["out"]) if e["event"] == "verified"][0]
        out["sampled_bytes"] = v["bytes_checked"]
        out["sampled_s"] = v["seconds"]
        r = run_rusage([build_path("espwipe"), "verify", "-p", emu.pty, "--json", "--reset", "none",
                        "--after", "stay", "--full", "-b", str(baud),
                        "--region", "0x80000:%#x" % full_bytes])
        v = [e for e in events(r["out"]) if e["event"] == "verified"][0]
        out["full_bytes"] = v["bytes_checked"]
        out["full_s"] = v["seconds"]
        out["full_4mib_min"] = v["seconds"] * (4 << 20) / v["bytes_checked"] / 60
        emu.stop()
    return out


def bench_esptool(esptool_dir):
    """Real esptool --no-stub flash-id beside espwipe info, same emulator build."""
    entry = None
    for cand in ("esptool.py", "esptool/__main__.py"):
        if os.path.exists(os.path.join(esptool_dir, cand)):
            entry = cand
    if entry is None:
        return None
    res = {}
    with Emu(variant="release", start_mode="loader", time_scale="1000") as emu:
        env = dict(os.environ, PYTHONPATH=esptool_dir)
        if entry == "esptool.py":
            cmd = ["/usr/bin/python3", os.path.join(esptool_dir, entry)]
        else:
            cmd = ["/usr/bin/python3", "-m", "esptool"]
        help_text = subprocess.run(cmd + ["-h"], capture_output=True, text=True, env=env).stdout
        dash = "-" if "flash-id" in help_text else "_"
        before = "no%sreset" % dash
        et = run_rusage(cmd + ["--no-stub", "--before", before, "--after", before, "-p", emu.pty,
                               "flash%sid" % dash], env=env)
        ew = run_rusage([build_path("espwipe"), "info", "-p", emu.pty, "--reset", "none",
                         "--after", "stay", "--json"])
        emu.stop()
    res["esptool"] = et
    res["espwipe"] = ew
    return res


FAMILY_BENCH = [("esp32", "ESP32"), ("esp32s3", "ESP32-S3"), ("esp32c3", "ESP32-C3")]


def bench_family(chip):
    """One ESP32-family chip at realistic timing: connect, erase, MD5 verify."""
    with Emu(variant="release", lines=True, start_mode="app", chip=chip) as emu:
        env = emu.env()
        launched = time.time()
        r = run_rusage([build_path("espwipe"), "erase", "--verify", "--full", "-p", emu.pty,
                        "--json", "--after", "stay"], env=env)
        rep = emu.stop()
    ev = events(r["out"])
    res = [e for e in ev if e["event"] == "result"][0]
    synced = [e for e in ev if e["event"] == "synced"][0]
    erased = [e for e in ev if e["event"] == "erased"]
    verified = [e for e in ev if e["event"] == "verified"]
    flash_s = rep["stats"]["flash_busy_us"] / 1e6
    md5_s = rep["stats"].get("md5_busy_us", 0) / 1e6
    out = {
        "exit": res["exit_code"],
        "chip": res.get("chip", "?"),
        "connect_overhead_ms": (synced["synced_time"] - launched) * 1000.0 - RESET_HOLDS_MS,
        "flash_s": flash_s,
        "erase_ratio": erased[0]["seconds"] / flash_s if erased and flash_s else float("nan"),
        "md5_s": md5_s,
        "verify_ratio": verified[0]["seconds"] / md5_s if verified and md5_s else float("nan"),
        "cpu_ms": r["cpu"] * 1000,
        "rss_kib": r["rss_kib"],
        "blank": rep["flash"]["blank"],
    }
    return out


def esptool_cmd(esptool_dir):
    if os.path.exists(os.path.join(esptool_dir, "esptool.py")):
        return ["/usr/bin/python3", os.path.join(esptool_dir, "esptool.py")]
    if os.path.exists(os.path.join(esptool_dir, "esptool", "__main__.py")):
        return ["/usr/bin/python3", "-m", "esptool"]
    return None


def bench_family_esptool(esptool_dir, chip):
    """esptool --no-stub flash-id and espwipe info on the same emulated chip."""
    cmd = esptool_cmd(esptool_dir)
    if cmd is None:
        return None
    env = dict(os.environ, PYTHONPATH=esptool_dir)
    with Emu(variant="release", start_mode="loader", time_scale="1000", chip=chip) as emu:
        et = run_rusage(cmd + ["--no-stub", "--before", "no-reset", "--after", "no-reset", "-p",
                               emu.pty, "flash-id"], env=env)
        ew = run_rusage([build_path("espwipe"), "info", "-p", emu.pty, "--reset", "none",
                         "--after", "stay", "--json"])
        emu.stop()
    return et, ew


def print_family(esptool_dirs):
    print()
    print("ESP32 family (espemu, 115200 baud, 4 MiB Winbond, typical timing; erase --verify --full)")
    print("%-10s %5s %10s %9s %9s %9s %9s %8s %9s" % ("chip", "exit", "connect", "flash s", "erase r",
                                                     "md5 s", "verify r", "CPU ms", "RSS MiB"))
    for chip, name in FAMILY_BENCH:
        f = bench_family(chip)
        print("%-10s %5d %7.1f ms %9.3f %9.4f %9.3f %9.4f %8.1f %9.2f%s" % (
            name, f["exit"], f["connect_overhead_ms"], f["flash_s"], f["erase_ratio"], f["md5_s"],
            f["verify_ratio"], f["cpu_ms"], f["rss_kib"] / 1024, "" if f["blank"] else "  NOT BLANK"))
    print("targets: connect overhead < 20 ms, erase ratio <= 1.02, verify ratio <= 1.05")
    v5 = [d for d in esptool_dirs if "5." in os.path.basename(d.rstrip("/"))] or esptool_dirs[-1:]
    if not v5:
        print("(esptool comparison skipped: ESPTOOL_DIRS names no esptool v5 checkout)")
        return
    print()
    print("esptool (%s) --no-stub flash-id vs espwipe info, same emulated chip" % os.path.basename(v5[0]))
    print("%-10s %18s %18s %18s" % ("chip", "wall (ratio)", "CPU (ratio)", "peak RSS (ratio)"))
    for chip, name in FAMILY_BENCH:
        c = bench_family_esptool(v5[0], chip)
        if c is None:
            print("%-10s esptool not found" % name)
            continue
        et, ew = c
        print("%-10s %6.3f/%5.3f s %4.1fx %5.0f/%4.0f ms %4.1fx %5.1f/%4.1f MiB %4.1fx%s" % (
            name, et["wall"], ew["wall"], et["wall"] / ew["wall"], et["cpu"] * 1e3, ew["cpu"] * 1e3,
            et["cpu"] / max(ew["cpu"], 1e-6), et["rss_kib"] / 1024, ew["rss_kib"] / 1024,
            et["rss_kib"] / ew["rss_kib"],
            "" if et["rc"] == 0 and ew["rc"] == 0 else "  (rc esptool %d, espwipe %d)" % (et["rc"], ew["rc"])))



# ---- several boards from one process (userspace/multi.c) ----

MULTI_COUNTS = (1, 4, 8, 16)


def bench_multi(n, table=False):
    """One espwipe process wiping n emulated 4 MiB boards (typical timing, time-scale 1) found
    through the --all test seam (ESPWIPE_TEST_PLUG_DIR).  With table=True its stdout is a
    pty of 80x24, so it draws the live table; otherwise --json into a pipe."""
    import fcntl
    import pty
    import shutil
    import struct
    import tempfile
    import termios
    import threading

    plug = tempfile.mkdtemp(prefix="espwipe-bench-plug-")
    emus = [Emu(variant="release", start_mode="loader") for _ in range(n)]
    try:
        for i, e in enumerate(emus):
            os.symlink(e.pty, os.path.join(plug, "bench-%02d" % i))
        env = dict(os.environ, ESPWIPE_TEST_PLUG_DIR=plug)
        cmd = [build_path("bench-rusage"), build_path("espwipe"), "erase", "--all", "--reset", "none"]
        if not table:
            r = run_rusage(cmd[1:] + ["--json"], env=env)
            ev = events(r["out"])
        else:
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            screen = []
            drain = threading.Thread(target=lambda: _drain(master, screen), daemon=True)
            drain.start()
            p = subprocess.run(cmd, stdin=slave, stdout=slave, stderr=subprocess.PIPE, text=True,
                               env=dict(env, TERM="xterm"))
            os.close(slave)
            drain.join(5)
            os.close(master)
            ru = json.loads([ln for ln in p.stderr.splitlines() if ln.startswith('{"rusage"')][-1])
            r = {"rc": ru["rc"], "wall": ru["wall"], "cpu": ru["cpu"], "rss_kib": ru["rss_kib"]}
            ev = []
        reps = [e.stop() for e in emus]
    finally:
        for e in emus:
            e.__exit__()
        shutil.rmtree(plug, ignore_errors=True)
    results = [e for e in ev if e.get("event") == "result"]
    board_s = sum(x["seconds"] for x in results) if results else r["wall"] * n
    return {
        "n": n,
        "rc": r["rc"],
        "wall": r["wall"],
        "cpu_ms": r["cpu"] * 1000,
        "rss_kib": r["rss_kib"],
        "board_s": board_s,
        "flash_s": max(x["stats"]["flash_busy_us"] for x in reps) / 1e6,
        "blank": all(x["flash"]["blank"] for x in reps),
        "ok": len([x for x in results if x["exit_code"] == 0]) if results else (n if r["rc"] == 0 else 0),
    }


def _drain(fd, sink):
    while True:
        try:
            b = os.read(fd, 65536)
        except OSError:
            return
        if not b:
            return
        sink.append(len(b))


def print_multi():
    print()
    print("Several boards, one process: espwipe erase --all (espemu on ptys, 115200 baud, 4 MiB Winbond,")
    print("typical timing, time-scale 1, --reset none); release build, measured by bench-rusage")
    print("%-20s %5s %8s %7s %8s %13s %9s %6s" % ("boards", "exit", "wall s", "ratio", "CPU ms",
                                               "CPU ms/b-s", "RSS MiB", "blank"))
    base = None
    rows = [(n, False) for n in MULTI_COUNTS] + [(16, True)]
    out = {}
    for n, table in rows:
        m = bench_multi(n, table)
        if base is None:
            base = m["wall"]
        out[(n, table)] = m
        print("%-20s %5d %8.3f %7.3f %8.1f %13.3f %9.2f %6s" % (
            "%d%s" % (n, " (table on a pty)" if table else " (--json)"), m["rc"], m["wall"],
            m["wall"] / base, m["cpu_ms"], m["cpu_ms"] / m["board_s"], m["rss_kib"] / 1024,
            "yes" if m["blank"] else "NO"))
    w16 = out[(16, False)]
    print("targets: wall(16) <= 1.05 x wall(1) [%.3f]; CPU per board-second < 2 ms [%.3f]; "
          "peak RSS(16) < 8 MiB [%.2f]" % (w16["wall"] / base, w16["cpu_ms"] / w16["board_s"],
                                            w16["rss_kib"] / 1024))
    return out

def main():
    if os.environ.get("BENCH_ONLY") == "multi":
        print_multi()
        return 0
    esptool_dir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ESPTOOL_DIR", "")
    esptool_dirs = os.environ.get("ESPTOOL_DIRS", "").split() or ([esptool_dir] if esptool_dir else [])
    e = bench_erase()
    print("espwipe benchmark (espemu on a pty, 115200 baud, 4 MiB Winbond, typical timing)")
    print("%-44s %12s   %s" % ("metric", "value", "target"))
    rows = [
        ("exit code", "%d" % e["exit"], "0"),
        ("connect: process start to synced", "%.1f ms" % e["connect_total_ms"], ""),
        ("connect overhead (minus the 150 ms of holds)", "%.1f ms" % e["connect_overhead_ms"], "< 20 ms"),
        ("SYNC frames sent", "%d" % e["syncs_sent"], ""),
        ("erase plan executed (SE + BE)", "%d + %d" % (e["se"], e["be"]), "32 + 62"),
        ("emulated flash time", "%.3f s" % e["flash_s"], "<= 10.745 s"),
        ("flash time / single-FLASH_BEGIN plan", "%.3f" % e["flash_vs_single_begin"], "<= 1.000"),
        ("erase wall time", "%.3f s" % e["erase_wall_s"], ""),
        ("erase wall / emulated flash time", "%.4f" % e["erase_ratio"], "<= 1.02"),
        ("espwipe CPU time (user+sys)", "%.1f ms" % e["cpu_ms"], "< 50 ms"),
        ("espwipe peak RSS", "%.2f MiB" % (e["rss_kib"] / 1024), "< 4 MiB"),
        ("flash blank afterwards", "yes" if e["blank"] else "NO", "yes"),
    ]
    v = bench_verify(16384, 115200)
    rows += [
        ("verify sampled: bytes read / time", "%d B / %.2f s" % (v["sampled_bytes"], v["sampled_s"]),
         "about 2 s"),
        ("verify --full: 16 KiB at 115200", "%.1f s" % v["full_s"], ""),
        ("verify --full: 4 MiB at 115200 (extrapolated)", "%.0f min" % v["full_4mib_min"], ""),
    ]
    v2 = bench_verify(65536, 921600)
    rows.append(("verify --full: 4 MiB at 921600 (extrapolated)", "%.0f min" % v2["full_4mib_min"], ""))
    for r in rows:
        print("%-44s %12s   %s" % r)
    if esptool_dir:
        c = bench_esptool(esptool_dir)
        if c is None:
            print("esptool: no esptool.py or esptool/ package in %s" % esptool_dir)
        else:
            et, ew = c["esptool"], c["espwipe"]
            print()
            print("esptool --no-stub flash-id vs espwipe info (same emulator; esptool rc=%d, espwipe rc=%d)"
                  % (et["rc"], ew["rc"]))
            print("%-20s %12s %12s %8s" % ("", "esptool", "espwipe", "ratio"))
            print("%-20s %10.3f s %10.3f s %8.1f" % ("wall", et["wall"], ew["wall"], et["wall"] / ew["wall"]))
            print("%-20s %9.1f ms %9.1f ms %8.1f" % ("CPU", et["cpu"] * 1e3, ew["cpu"] * 1e3,
                                                     et["cpu"] / max(ew["cpu"], 1e-6)))
            print("%-20s %8.2f MiB %8.2f MiB %8.1f" % ("peak RSS", et["rss_kib"] / 1024, ew["rss_kib"] / 1024,
                                                      et["rss_kib"] / ew["rss_kib"]))
    else:
        print("(esptool comparison skipped: pass an esptool checkout as ESPTOOL_DIR=...)")
    print_family(esptool_dirs)
    print_multi()
    return 0


if __name__ == "__main__":
    sys.exit(main())
