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
    `--no-stub flash-id` beside `espwipe info`, same emulator, same run.
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


def main():
    esptool_dir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ESPTOOL_DIR", "")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
