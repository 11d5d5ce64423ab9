#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of several boards from one process (userspace/multi.c):
several -p, --all and erase --each, against espemu boards on ptys.

--all and --each find the boards through the test seam ESPWIPE_TEST_PLUG_DIR
(a directory of links, like /dev/serial/by-path); everything after discovery
is the code real boards run.  Journal records are checked in a private mount
namespace whose journald socket is multi_sink.py (as root; skipped, and said
so, otherwise).

Run: /usr/bin/python3 tests/integration/test_multi.py [-k NAME]
"""
import fcntl
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Emu, run_tests  # noqa: E402
from multi_harness import Live, PlugDir, journal_capable, kill_emu, run_lines  # noqa: E402

MiB = 1 << 20
FAST = "50"
NOTES = []


def boards(n, **opts):
    opts.setdefault("time_scale", FAST)
    opts.setdefault("flash_size", "1M")
    opts.setdefault("jedec", "0x1440ef")
    return [Emu(**opts) for _ in range(n)]


def stop_all(emus):
    reps = []
    for e in emus:
        try:
            reps.append(e.stop())
        except Exception:  # noqa: BLE001 - a killed emulator has no report
            reps.append(None)
    return reps


def results_by_port(live):
    out = {}
    for r in live.of("result"):
        out.setdefault(r["port"], []).append(r)
    return out


def port_args(emus):
    args = []
    for e in emus:
        args += ["-p", e.pty]
    return args


# ---- several -p ----

def test_several_ports_one_hung_one_esp32():
    """Four boards, one of them hung after sync and one an ESP32-C3: the hung one fails
    alone, the others are blank, every event names its port, the summary names the failure."""
    emus = boards(3) + [Emu(time_scale=FAST, hang_after="4")]
    emus[1].stop()
    emus[1] = Emu(time_scale=FAST, chip="esp32c3", flash_size="1M", jedec="0x1440ef")
    try:
        live = Live(["erase", "--reset", "none"] + port_args(emus))
        code, summary, _ = live.finish()
        reps = stop_all(emus)
    finally:
        for e in emus:
            e.__exit__()
    hung = emus[3].pty
    assert code == 9, (code, live.stderr)
    for ev in live.events:
        if ev["event"] != "summary":
            assert ev.get("port") in [e.pty for e in emus], ev
    res = results_by_port(live)
    assert sorted(res) == sorted(e.pty for e in emus)
    for e, rep in zip(emus[:3], reps[:3]):
        assert res[e.pty][0]["exit_code"] == 0, res[e.pty]
        assert res[e.pty][0]["erased"] == {"offset": 0, "length": MiB}
        assert rep["flash"]["blank"] is True
    assert res[emus[1].pty][0]["chip_model"] == "ESP32-C3"
    assert res[hung][0]["exit_code"] == 9
    assert summary["boards"] == 4 and summary["ok"] == 3 and summary["failed"] == 1
    assert summary["exit_code"] == 9 and summary["exit_name"] == "io"
    assert [f["port"] for f in summary["failures"]] == [hung]
    assert "no reply from the ROM" in summary["failures"][0]["error"]
    # the hung board took its timeouts; the others did not wait for it
    ok_secs = max(res[e.pty][0]["seconds"] for e in emus[:3])
    assert ok_secs < res[hung][0]["seconds"], (ok_secs, res[hung][0]["seconds"])


def test_exit_code_is_the_first_failure_in_socket_order():
    """A busy board (4) and a silent chip (5): the exit code is the one whose socket sorts
    first, whichever it is; the summary names both."""
    for busy_socket, silent_socket in (("bench-1", "bench-2"), ("bench-2", "bench-1")):
        plug = PlugDir()
        busy = Emu(time_scale=FAST)
        silent = Emu(time_scale=FAST, start_mode="app")
        good = Emu(time_scale=FAST, flash_size="1M", jedec="0x1440ef")
        fd = os.open(busy.pty, os.O_RDWR | os.O_NOCTTY)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            plug.plug(busy_socket, busy.pty)
            plug.plug(silent_socket, silent.pty)
            plug.plug("bench-0", good.pty)
            live = Live(["erase", "--all", "--reset", "none", "--connect-attempts", "1"], env=plug.env())
            code, summary, _ = live.finish()
        finally:
            os.close(fd)
            stop_all([busy, silent, good])
            plug.cleanup()
        want = 4 if busy_socket == "bench-1" else 5
        assert code == want, (busy_socket, code, summary)
        assert summary["exit_code"] == want
        assert [f["socket"] for f in summary["failures"]] == ["bench-1", "bench-2"]
        assert {f["exit_code"] for f in summary["failures"]} == {4, 5}
        assert [r["socket"] for r in summary["results"]] == ["bench-0", "bench-1", "bench-2"]


def test_lines_when_not_a_terminal():
    """Without a terminal: one line per event, each with its port, then the summary."""
    emus = boards(2)
    try:
        code, out, err, _ = run_lines(["erase", "--reset", "none"] + port_args(emus))
        stop_all(emus)
    finally:
        for e in emus:
            e.__exit__()
    assert code == 0, (code, out, err)
    lines = [ln for ln in out.splitlines() if ln.strip()]
    body, tail = lines[:-1], lines[-1]
    assert tail.startswith("espwipe erase: 2 boards: 2 ok, 0 failed"), tail
    for ln in body:
        assert any(ln.startswith(e.pty) for e in emus), ln
    for e in emus:
        assert any(ln.startswith(e.pty + ": OK") for ln in body), out
        assert any(ln.startswith(e.pty + ": Erasing") for ln in body), out
    for ln in err.splitlines():
        assert any(ln.startswith(e.pty) for e in emus) or ln.startswith("espwipe"), ln


def test_quiet_prints_errors_and_the_summary():
    emus = boards(1) + [Emu(time_scale=FAST, start_mode="app")]
    try:
        code, out, err, _ = run_lines(["-q", "erase", "--reset", "none", "--connect-attempts", "1"] +
                                      port_args(emus))
        stop_all(emus)
    finally:
        for e in emus:
            e.__exit__()
    assert code == 5, (code, out, err)
    assert out.splitlines()[0].startswith("espwipe erase: 2 boards: 1 ok, 1 failed"), out
    assert "FAILED %s" % emus[1].pty in out
    assert err.strip().startswith("espwipe: error: %s:" % emus[1].pty), err
    assert len(err.strip().splitlines()) == 1, err


def test_same_port_twice_is_wiped_once():
    emus = boards(1)
    try:
        live = Live(["erase", "--reset", "none", "-p", emus[0].pty, "-p", emus[0].pty])
        code, summary, _ = live.finish()
        rep = emus[0].stop()
    finally:
        emus[0].__exit__()
    assert code == 0, live.stderr
    assert summary["boards"] == 1
    assert rep["stats"]["commands"].get("0x02") == 2  # attach + one erase
    assert any("given already" in n.get("message", "") for n in live.of("note")), live.events[:3]


def test_info_and_verify_on_several():
    emus = boards(2, flash_prefill="false")
    try:
        live = Live(["info", "--reset", "none", "--after", "stay"] + port_args(emus))
        code, summary, _ = live.finish()
        live2 = Live(["verify", "--reset", "none", "--after", "stay"] + port_args(emus))
        code2, summary2, _ = live2.finish()
        stop_all(emus)
    finally:
        for e in emus:
            e.__exit__()
    assert code == 0 and summary["ok"] == 2, live.stderr
    for r in live.of("result"):
        assert r["command"] == "info" and r["mac"] and r["flash_size"] == MiB
    assert code2 == 0 and summary2["ok"] == 2, live2.stderr
    for r in live2.of("result"):
        assert r["verify"]["blank"] is True


# ---- --all and --match ----

def test_all_with_match_touches_only_matching_sockets():
    plug = PlugDir()
    emus = boards(3)
    try:
        plug.plug("hub-a-1", emus[0].pty)
        plug.plug("hub-a-2", emus[1].pty)
        plug.plug("hub-b-1", emus[2].pty)
        live = Live(["erase", "--all", "--reset", "none", "--match", "path hub-a-*"], env=plug.env())
        code, summary, _ = live.finish()
        reps = stop_all(emus)
    finally:
        plug.cleanup()
    assert code == 0, live.stderr
    assert sorted(r["socket"] for r in summary["results"]) == ["hub-a-1", "hub-a-2"]
    assert reps[0]["flash"]["blank"] and reps[1]["flash"]["blank"]
    assert reps[2]["stats"]["sync_frames"] == 0, "a socket --match does not name was touched"


def test_bad_match_and_nothing_found():
    plug = PlugDir()
    try:
        code, out, err, _ = run_lines(["erase", "--all", "--match", "usb zz:1"], env=plug.env())
        assert code == 2, (code, err)
        assert "invalid --match 'usb zz:1'" in err, err
        code, out, err, _ = run_lines(["erase", "--all"], env=plug.env())
        assert code == 3, (code, err)
        assert "no supported serial port found" in err, err
    finally:
        plug.cleanup()


# ---- stop signals ----

def test_sigterm_stops_every_board_and_records_each():
    """SIGTERM while three boards erase (real timing): all stop within a second with 143,
    none claims an erase, each leaves its own journal record, each port is released."""
    emus = boards(3, time_scale="1")
    journal = journal_capable()
    try:
        live = Live(["erase", "--reset", "none"] + port_args(emus), journal=journal)
        live.wait_for(lambda ev: len([e for e in ev if e["event"] == "erase-plan"]) == 3, 20,
                      "three erases")
        t0 = time.monotonic()
        live.signal(signal.SIGTERM)
        code, summary, entries = live.finish()
        stopped_in = time.monotonic() - t0
        # released: each port can be opened and locked again at once
        for e in emus:
            fd = os.open(e.pty, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.close(fd)
        stop_all(emus)
    finally:
        for e in emus:
            e.__exit__()
    assert code == 143, (code, live.stderr)
    assert stopped_in < 1.5, stopped_in
    assert summary["exit_code"] == 143 and summary["failed"] == 3
    res = results_by_port(live)
    for e in emus:
        r = res[e.pty][0]
        assert r["exit_code"] == 143 and "stopped by SIGTERM" in r["error"], r
        assert r["erased"]["length"] == 0, r
    if journal:
        assert sorted(x["ESPWIPE_PORT"] for x in entries) == sorted(e.pty for e in emus), entries
        assert all(x["ESPWIPE_EXIT_CODE"] == "143" for x in entries)
    else:
        NOTES.append("journal records of a stopped multi-board run not checked (needs root and unshare)")


def test_journal_record_per_board():
    emus = boards(3) + [Emu(time_scale=FAST, start_mode="app")]
    if not journal_capable():
        NOTES.append("journal records per board not checked (needs root and unshare)")
        stop_all(emus)
        return
    try:
        live = Live(["erase", "--reset", "none", "--connect-attempts", "1"] + port_args(emus), journal=True)
        code, summary, entries = live.finish()
        stop_all(emus)
    finally:
        for e in emus:
            e.__exit__()
    assert code == 5, code
    assert len(entries) == 4, entries
    by = {x["ESPWIPE_PORT"]: x for x in entries}
    assert sorted(by) == sorted(e.pty for e in emus)
    for e in emus[:3]:
        assert by[e.pty]["ESPWIPE_EXIT_CODE"] == "0" and by[e.pty]["ESPWIPE_RESULT"] == "ok", by[e.pty]
    assert by[emus[3].pty]["ESPWIPE_EXIT_CODE"] == "5"


# ---- --each ----

def test_each_plug_replug_unplug_and_ctrl_c():
    """--each: boards plugged one after another are wiped once each; a board plugged in again
    is wiped again; one pulled out mid-erase is marked unplugged and the others go on;
    SIGINT ends with a summary naming the failure."""
    plug = PlugDir()
    a, b = boards(2)
    slow = Emu(time_scale="1", flash_size="4M")
    again = Emu(time_scale=FAST, flash_size="1M", jedec="0x1440ef")
    journal = journal_capable()
    try:
        live = Live(["erase", "--each", "--reset", "none", "--after", "stay"], env=plug.env(), journal=journal)
        live.wait_for(lambda ev: any(e["event"] == "each" for e in ev), 10, "the start banner")
        banner = live.of("each")[0]
        assert banner["match"] == [] and "EVERY" in banner["message"], banner
        plug.plug("bench-1", a.pty)
        live.wait_for(lambda ev: len([e for e in ev if e["event"] == "result"]) == 1, 20, "first wipe")
        plug.plug("bench-2", b.pty)
        live.wait_for(lambda ev: len([e for e in ev if e["event"] == "result"]) == 2, 20, "second wipe")
        # pulled out mid-erase: the link goes, then the tty hangs up
        plug.plug("bench-3", slow.pty)
        live.wait_for(lambda ev: any(e["event"] == "erase-plan" and e["port"] == slow.pty for e in ev), 20,
                      "the slow erase")
        plug.unplug("bench-3")
        time.sleep(0.2)
        kill_emu(slow)
        live.wait_for(lambda ev: len([e for e in ev if e["event"] == "result"]) == 3, 20, "unplugged result")
        # bench-1 again (a new plug-in of the same socket): wiped again
        plug.unplug("bench-1")
        plug.plug("bench-1", again.pty)
        live.wait_for(lambda ev: len([e for e in ev if e["event"] == "result"]) == 4, 20, "re-plug wipe")
        time.sleep(0.3)
        live.signal(signal.SIGINT)
        code, summary, entries = live.finish()
        reps = stop_all([a, b, again])
    finally:
        plug.cleanup()
        for e in (a, b, slow, again):
            e.__exit__()
    assert code == 9, (code, summary)
    assert summary["boards"] == 4 and summary["ok"] == 3 and summary["failed"] == 1, summary
    assert summary["stopped_by"] == "INT"
    assert [(f["socket"], f["exit_code"], f.get("unplugged")) for f in summary["failures"]] == \
        [("bench-3", 9, True)], summary
    res = results_by_port(live)
    assert len(res[a.pty]) == 1 and len(res[b.pty]) == 1 and len(res[again.pty]) == 1, res
    assert res[slow.pty][0].get("unplugged") is True
    assert [e["port"] for e in live.of("plugged")] == [a.pty, b.pty, slow.pty, again.pty]
    assert [e["port"] for e in live.of("unplugged")] == [slow.pty]
    for rep in reps:
        assert rep["flash"]["blank"] is True
        assert rep["stats"]["commands"].get("0x02") == 2, "wiped once per plug-in (attach + erase)"
    if journal:
        assert len(entries) == 4, entries
        assert sorted(x["ESPWIPE_ID_PATH"] for x in entries) == ["bench-1", "bench-1", "bench-2", "bench-3"]
    else:
        NOTES.append("--each journal records not checked (needs root and unshare)")


def test_each_unplug_after_the_hangup_is_still_marked():
    """The tty hangs up first, the remove event comes after the wipe failed: still 'unplugged'."""
    plug = PlugDir()
    slow = Emu(time_scale="1", flash_size="4M")
    try:
        live = Live(["erase", "--each", "--reset", "none"], env=plug.env())
        live.wait_for(lambda ev: any(e["event"] == "each" for e in ev), 10, "banner")
        plug.plug("s1", slow.pty)
        live.wait_for(lambda ev: any(e["event"] == "erase-plan" for e in ev), 20, "erase")
        kill_emu(slow)
        live.wait_for(lambda ev: any(e["event"] == "result" for e in ev), 20, "result")
        time.sleep(0.3)
        plug.unplug("s1")
        live.wait_for(lambda ev: any(e["event"] == "unplugged" for e in ev), 10, "unplugged")
        live.signal(signal.SIGTERM)
        code, summary, _ = live.finish()
    finally:
        plug.cleanup()
        slow.__exit__()
    assert code == 9, code
    assert summary["failures"][0].get("unplugged") is True, summary


def test_each_leaves_boards_present_at_start_alone_unless_all():
    plug = PlugDir()
    present = boards(1)[0]
    try:
        plug.plug("old", present.pty)
        live = Live(["erase", "--each", "--reset", "none", "--after", "stay", "--match", "path *"],
                    env=plug.env())
        live.wait_for(lambda ev: any(e["event"] == "present" for e in ev), 10, "present note")
        time.sleep(0.5)
        live.signal(signal.SIGINT)
        code, summary, _ = live.finish()
        assert code == 0 and summary["boards"] == 0, summary
        assert live.of("each")[0]["match"] == ["path *"]
        assert present.snapshot()["stats"]["sync_frames"] == 0
        live = Live(["erase", "--each", "--all", "--reset", "none", "--after", "stay"], env=plug.env())
        live.wait_for(lambda ev: any(e["event"] == "result" for e in ev), 20, "the present board wiped")
        live.signal(signal.SIGINT)
        code, summary, _ = live.finish()
        rep = present.stop()
    finally:
        plug.cleanup()
        present.__exit__()
    assert code == 0 and summary["boards"] == 1 and summary["ok"] == 1, summary
    assert rep["flash"]["blank"] is True


def test_each_match_ignores_other_sockets():
    plug = PlugDir()
    good, other = boards(2)
    try:
        live = Live(["erase", "--each", "--reset", "none", "--match", "path lab-*"], env=plug.env())
        live.wait_for(lambda ev: any(e["event"] == "each" for e in ev), 10, "banner")
        plug.plug("desk-1", other.pty)
        plug.plug("lab-1", good.pty)
        live.wait_for(lambda ev: any(e["event"] == "result" for e in ev), 20, "the lab board")
        live.wait_for(lambda ev: any(e["event"] == "ignored" for e in ev), 20, "the desk board ignored")
        live.signal(signal.SIGINT)
        code, summary, _ = live.finish()
        reps = stop_all([good, other])
    finally:
        plug.cleanup()
    assert code == 0 and summary["boards"] == 1, summary
    assert live.of("ignored")[0]["socket"] == "desk-1"
    assert reps[0]["flash"]["blank"] is True
    assert reps[1]["stats"]["sync_frames"] == 0


def test_ctrl_c_mid_erase_with_each_leaves_nothing_claimed():
    plug = PlugDir()
    emus = boards(2, time_scale="1", flash_size="4M", jedec="0x1640ef")
    try:
        live = Live(["erase", "--each", "--reset", "none"], env=plug.env())
        live.wait_for(lambda ev: any(e["event"] == "each" for e in ev), 10, "banner")
        plug.plug("x1", emus[0].pty)
        plug.plug("x2", emus[1].pty)
        live.wait_for(lambda ev: len([e for e in ev if e["event"] == "erase-plan"]) == 2, 20, "erases")
        t0 = time.monotonic()
        live.signal(signal.SIGINT)
        code, summary, _ = live.finish()
        stopped_in = time.monotonic() - t0
        for e in emus:
            fd = os.open(e.pty, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.close(fd)
        stop_all(emus)
    finally:
        plug.cleanup()
    assert code == 130, code
    assert stopped_in < 1.5, stopped_in
    assert summary["failed"] == 2 and all(f["exit_code"] == 130 for f in summary["failures"]), summary


def main():
    rc = run_tests(globals(), "multi")
    for note in sorted(set(NOTES)):
        print("note: " + note)
    return rc


if __name__ == "__main__":
    sys.exit(main())
