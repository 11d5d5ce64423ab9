#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host side of the system tests: boot the QEMU guest for one scenario group,
read the result records it writes on its second serial port, check the bridge
reports, print one line per scenario and a final "N passed, N failed" line.

    run.py --kernel K --initrd I --group check [--only 'bind-*,kmod-*'] [--realtime]
    run.py ... --group bench           (prints the timing table instead)
    run.py --parse RESULTS.txt --group check   (re-check a previous run's records)
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time

# Holds must land in [configured - EARLY, configured + LATE] milliseconds.
HOLD_EARLY_MS = 0.5
HOLD_LATE_MS = 3.0
OPEN_STATE = (True, True)    # a tty open raises DTR and RTS
CLOSED_STATE = (False, False)  # HUPCL drops both on close
# Modem-control requests the 6.1 drivers send by themselves (notes §6):
# ch341 probe writes 0xA4 FFFF; an open writes the cached ~mcr (00) and then
# raises both lines (11); cp210x's open sends SET_FLOW (00) and SET_MHS 0303.
DRIVER_PROBE = {'ch340': [CLOSED_STATE], 'cp2102': []}
DRIVER_OPEN = [CLOSED_STATE, OPEN_STATE]
DRIVER_CLOSE = [CLOSED_STATE]


# ------------------------------------------------------------ step model

def parse_seq(text, start=OPEN_STATE):
    """espwipe.ko notation -> [(dtr, rts, hold_ms)], one entry per request."""
    dtr, rts = start
    steps = []
    for tok in text.strip().split('|'):
        if tok.startswith('W'):
            if not steps:
                raise ValueError('wait before any line step: ' + text)
            d, r, h = steps[-1]
            steps[-1] = (d, r, h + float(tok[1:]) * 1000.0)
            continue
        if tok in ('D0', 'D1'):
            dtr = tok == 'D1'
        elif tok in ('R0', 'R1'):
            rts = tok == 'R1'
        elif len(tok) == 4 and tok[0] == 'U' and tok[2] == ',':
            dtr, rts = tok[1] == '1', tok[3] == '1'
        else:
            raise ValueError('bad step %r in %s' % (tok, text))
        steps.append((dtr, rts, 0.0))
    return steps


def line_states(report):
    """One (t_us, (dtr, rts)) per modem-control request the bridge saw."""
    return [(ev['t_us'], (bool(ev['dtr']), bool(ev['rts']))) for ev in report['lines']]


def find_runs(lines, steps, start=0):
    """All non-overlapping places where the steps appear as consecutive requests."""
    want = [(d, r) for d, r, _ in steps]
    runs, i = [], start
    while i + len(want) <= len(lines):
        if [s for _, s in lines[i:i + len(want)]] == want:
            runs.append(i)
            i += len(want)
        else:
            i += 1
    return runs


def hold_errors(lines, steps, at):
    """(configured_ms, error_ms) for every hold of the run starting at index at."""
    out = []
    for k, (_, _, hold) in enumerate(steps[:-1]):
        if hold > 0:
            gap = (lines[at + k + 1][0] - lines[at + k][0]) / 1000.0
            out.append((hold, gap - hold))
    return out


def fmt_lines(lines, a=0, b=None):
    return ' '.join('%d%d' % s for _, s in lines[a:b])


# ------------------------------------------------------------ records

class Scenario:
    def __init__(self, name):
        self.name = name
        self.facts = {}
        self.reports = {}
        self.outputs = {}
        self.dmesg = []
        self.verdict = None
        self.reason = ''
        self.errors = []

    def fact(self, key, default=None):
        v = self.facts.get(key)
        return v[-1] if v else default

    def fail(self, msg):
        self.errors.append(msg)


def parse_records(path):
    scns, order, booted, done, stray = {}, [], None, False, []
    with open(path, 'rb') as f:
        data = f.read().decode('utf-8', 'replace')
    for raw in data.splitlines():
        line = raw.strip('\r')
        if not line.startswith('@@'):
            if line.strip():
                stray.append(line)
            continue
        kind, _, rest = line.partition(' ')
        if kind == '@@BOOTED':
            booted = rest
            continue
        if kind == '@@DONE':
            done = True
            continue
        name, _, rest = rest.partition(' ')
        if kind == '@@BEGIN':
            scns[name] = Scenario(name)
            order.append(name)
            continue
        s = scns.setdefault(name, Scenario(name))
        if name not in order:
            order.append(name)
        if kind == '@@FACT':
            key, _, val = rest.partition(' ')
            s.facts.setdefault(key, []).append(val)
        elif kind == '@@REPORT':
            tag, _, js = rest.partition(' ')
            try:
                s.reports[tag] = json.loads(js)
            except ValueError as e:
                s.fail('report %s is not JSON: %s' % (tag, e))
        elif kind == '@@OUTPUT':
            tag, _, text = rest.partition(' ')
            s.outputs[tag] = text
        elif kind == '@@DMESG':
            s.dmesg.append(rest)
        elif kind == '@@END':
            verdict, _, reason = rest.partition(' ')
            s.verdict, s.reason = verdict, reason
    return [scns[n] for n in order], booted, done, stray


# ------------------------------------------------------------ host checks

def need_report(s, tag):
    r = s.reports.get(tag)
    if r is None:
        s.fail('no bridge report %r' % tag)
    return r


def check_emu_mode(s, report, mode):
    got = str(report.get('emu', {}).get('mode')).upper()
    if got != mode:
        s.fail('emulated chip ends in %s, expected %s' % (got, mode))


def check_holds(s, lines, steps, at, timing):
    for hold, err in hold_errors(lines, steps, at):
        s.facts.setdefault('hold_err_ms', []).append('%.3f/%g' % (err, hold))
        if timing and not -HOLD_EARLY_MS <= err <= HOLD_LATE_MS:
            s.fail('hold of %g ms came out %+.3f ms off' % (hold, err))


def check_bind(s, timing):
    r = need_report(s, 'b0')
    if not r:
        return
    lines = line_states(r)
    want = [(True, False, 0), (False, True, 0), (False, False, 0), (True, True, 0)]
    runs = find_runs(lines, want)
    if len(runs) != 1:
        s.fail('round trip is not one request per change: modem requests %s' % fmt_lines(lines))
    stalls = [q for q in r['requests'] if q['stall']]
    if stalls:
        s.fail('bridge stalled %d requests (first: req 0x%02x)' % (len(stalls), stalls[0]['req']))


def check_sequence(s, timing, tag='b0', repeat=1, closed=True):
    r = need_report(s, tag)
    seq = s.fact('seq')
    if not r or not seq:
        return
    steps = parse_seq(seq)
    lines = line_states(r)
    runs = find_runs(lines, steps)
    if len(runs) != repeat:
        s.fail('expected the %d-step sequence %d time(s) as consecutive requests, '
               'found %d; modem requests: %s' % (len(steps), repeat, len(runs), fmt_lines(lines)))
        return
    for at in runs:
        check_holds(s, lines, steps, at, timing)
        if at == 0 or lines[at - 1][1] != OPEN_STATE:
            s.fail('request before the sequence is not the open state 11: %s' % fmt_lines(lines))
    # Exactly: the driver's own requests, then per run the (in-kernel or the
    # holder's) open, the steps, and the close when the port was closed.
    want = list(DRIVER_PROBE.get(r.get('chip'), []))
    per_run = [(d, r_) for d, r_, _ in steps]
    for k in range(repeat):
        if closed or k == 0:
            want += DRIVER_OPEN
        want += per_run
        if closed:
            want += DRIVER_CLOSE
    got = [st for _, st in lines]
    if got != want:
        s.fail('modem requests %s, expected exactly %s' % (
            ' '.join('%d%d' % t for t in got), ' '.join('%d%d' % t for t in want)))
    check_emu_mode(s, r, 'LOADER')


CP_SET_MHS, CP_SET_FLOW = 0x07, 0x13


def check_crtscts(s, timing):
    """cp210x with CRTSCTS: after the 'before' snapshot exactly open, steps,
    close, each step one SET_FLOW (RTS is under flow control, SET_MHS would
    stall), holds in the window, LOADER."""
    before, r = need_report(s, 'before'), need_report(s, 'b0')
    seq = s.fact('seq')
    if not before or not r or not seq:
        return
    steps = parse_seq(seq)
    lines = line_states(r)[len(before['lines']):]
    want = DRIVER_OPEN + [(d, r_) for d, r_, _ in steps] + DRIVER_CLOSE
    got = [st for _, st in lines]
    if got != want:
        s.fail('modem requests %s, expected exactly %s' % (
            ' '.join('%d%d' % t for t in got), ' '.join('%d%d' % t for t in want)))
        return
    check_holds(s, lines, steps, len(DRIVER_OPEN), timing)
    new = r['requests'][len(before['requests']):]
    modem = [q['req'] for q in new if q['type'] == 0x41 and q['req'] in (CP_SET_MHS, CP_SET_FLOW)]
    if modem.count(CP_SET_MHS) or modem.count(CP_SET_FLOW) != len(want):
        s.fail('expected every line change as SET_FLOW under crtscts, got requests %s'
               % ' '.join('%02x' % m for m in modem))
    stalls = [q for q in new if q['stall']]
    if stalls:
        s.fail('%d stalled requests' % len(stalls))
    check_emu_mode(s, r, 'LOADER')


def check_invalid(s, timing):
    before, after = need_report(s, 'before'), need_report(s, 'after')
    if before and after:
        nb, na = len(before['requests']), len(after['requests'])
        if nb != na:
            extra = after['requests'][nb:]
            s.fail('%d request(s) reached the bridge after invalid writes (first: 0x%02x/0x%02x)'
                   % (na - nb, extra[0]['type'], extra[0]['req']))


def check_interrupted(s, timing):
    """Unplug/rmmod mid-sequence: the first step happened, the second did not."""
    r = need_report(s, 'b0')
    if not r:
        return
    lines = line_states(r)
    states = [st for _, st in lines]
    if (False, True) not in states:
        s.fail('the sequence had not started when the port went away: %s' % fmt_lines(lines))
        return
    first = states.index((False, True))
    if (True, False) in states[first:]:
        s.fail('the second step still reached the bridge: %s' % fmt_lines(lines))


def espwipe_json(s, tag):
    text = s.outputs.get(tag, '').strip()
    if not text:
        s.fail('espwipe %s printed no JSON' % tag)
        return None
    try:
        return json.loads(text)
    except ValueError:
        # one JSON object per line is also fine: take the last one
        objs = []
        dec = json.JSONDecoder()
        i = 0
        while i < len(text):
            try:
                obj, j = dec.raw_decode(text, i)
                objs.append(obj)
                i = j
            except ValueError:
                i += 1
        if not objs:
            s.fail('espwipe %s output is not JSON: %.80s' % (tag, text))
            return None
        return objs[-1]


def check_wiped(s, tag):
    r = need_report(s, tag)
    if not r:
        return
    emu = r.get('emu', {})
    if emu.get('stub'):
        s.fail('bridge %s ran the stub emulator (build/libespemu.a missing)' % tag)
        return
    if not emu.get('flash', {}).get('blank'):
        s.fail('flash of %s is not blank after the erase: blank ranges %s'
               % (tag, emu.get('flash', {}).get('blank_ranges')))
    erases = emu.get('erase_events', [])
    if not erases or any(e.get('failed') for e in erases):
        s.fail('%s: %d erase events, failed ones: %d' % (
            tag, len(erases), sum(1 for e in erases if e.get('failed'))))
    espwipe_json(s, tag)


def check_espwipe(s, timing):
    check_wiped(s, 'b0')
    seq = s.fact('seq')
    r = s.reports.get('b0')
    if seq and r and not find_runs(line_states(r), parse_seq(seq)):
        s.fail('--reset sysfs, but the module\'s sequence %s never reached the bridge' % seq)


FLASH_BEGIN = 0x02


def check_espwipe_unplug(s, timing):
    """The unplug must have hit the erase: FLASH_BEGIN arrived (so before the
    unplug), and the flash is not yet blank at the time of the unplug report."""
    r = need_report(s, 'b0')
    if not r:
        return
    emu = r.get('emu', {})
    if FLASH_BEGIN not in emu.get('command_log', []):
        s.fail('the tool had not started erasing when the board was unplugged (commands %s)'
               % emu.get('command_log'))


def check_parallel(s, timing):
    n = int(s.fact('boards', '0'))
    for i in range(n):
        check_wiped(s, 'p%d' % i)


def check_bench(s, timing):
    r = need_report(s, 'b0')
    if not r:
        return
    steps = parse_seq(s.fact('seq'))
    lines = line_states(r)
    runs = find_runs(lines, steps)
    rep = int(s.fact('repeat', '0'))
    if len(runs) != rep:
        s.fail('found the sequence %d times, expected %d' % (len(runs), rep))
    s.hold_errs = [e for at in runs for e in hold_errors(lines, steps, at)]


def check_selftest_slow(s, timing):
    """The harness must notice holds stretched by 4 ms: a slow bridge under
    the userspace path, which times each hold from the end of its request."""
    check_sequence(s, timing)
    late = [e for e in s.errors if 'ms off' in e]
    other = [e for e in s.errors if 'ms off' not in e]
    s.errors = other
    if timing and not late:
        s.fail('timing check did not catch holds stretched by 4 ms (%s)'
               % ', '.join(s.facts.get('hold_err_ms', [])))


SECTOR = 4096


def emu_erased_sectors(emu):
    out = set()
    for ev in emu.get('erase_events', []):
        if not ev.get('failed'):
            first = ev['offset'] // SECTOR
            out.update(range(first, first + ev['length'] // SECTOR))
    return out


def emu_blank_sectors(emu):
    out = set()
    for a, b in emu.get('flash', {}).get('blank_ranges', []):
        out.update(range(a // SECTOR, b // SECTOR))
    return out


def check_no_false_claim(s, tag):
    """The JSON result never claims an erase the emulator did not do; a failed
    run claims the whole flash only if the failure came after the erase."""
    r = need_report(s, tag)
    res = espwipe_json(s, tag)
    if not r or res is None:
        return None
    if res.get('event') != 'result':
        s.fail('%s: the last JSON object is not the result: %.80s' % (tag, res))
        return None
    emu = r.get('emu', {})
    er = res.get('erased') or {'offset': 0, 'length': 0}
    claim = set(range(er['offset'] // SECTOR, (er['offset'] + er['length']) // SECTOR))
    bad = claim - (emu_erased_sectors(emu) & emu_blank_sectors(emu))
    if bad:
        s.fail('%s: espwipe claims %d sectors erased that the emulator did not erase (first %#x)'
               % (tag, len(bad), min(bad) * SECTOR))
    size = emu.get('flash', {}).get('size', 0)
    text = s.outputs.get(tag, '')
    erased_event = re.search(r'"event"\s*:\s*"erased"', text) is not None
    if res.get('exit_code', 0) != 0 and size and er['length'] >= size and not erased_event:
        s.fail('%s: exit %s but the whole flash is claimed erased' % (tag, res.get('exit_code')))
    s.facts.setdefault('claimed', []).append('%s %#x+%#x' % (tag, er['offset'], er['length']))
    return res


def check_fault(s, timing):
    check_no_false_claim(s, 'b0')


def check_fault_busy(s, timing):
    check_no_false_claim(s, 'b0')
    r = need_report(s, 'b0')
    if r and r.get('emu', {}).get('command_log'):
        s.fail('the chip received commands while another process held the port: %s'
               % r['emu']['command_log'][:8])


def check_fault_rmmod(s, timing):
    check_wiped(s, 'b0')
    res = check_no_false_claim(s, 'b0')
    r = s.reports.get('b0')
    emu = r.get('emu', {}) if r else {}
    # the loader entry and the final hard reset; the report may catch the chip
    # still booting into its app
    if r and (emu.get('mode') not in ('booting', 'app') or
              emu.get('stats', {}).get('resets', 0) < 2):
        s.fail('no hard reset after rmmod: the chip is in %s after %s resets'
               % (emu.get('mode'), emu.get('stats', {}).get('resets')))
    if res and res.get('reset_method') != 'tiocm':
        s.fail('the hard reset after rmmod used %s, expected the tiocm fallback'
               % res.get('reset_method'))


def check_fault_renumber(s, timing):
    check_wiped(s, 'ra')
    check_no_false_claim(s, 'ra')
    r = need_report(s, 'rb')
    if r:
        emu = r.get('emu', {})
        if emu.get('erase_events') or emu.get('flash', {}).get('blank'):
            s.fail('board rb (not named by -p) was erased')


def check_soak(s, timing):
    for key in ('cycles', 'counts', 'slab_unreclaimable_kb'):
        if s.fact(key) is None:
            s.fail('soak reported no %s' % key)


CHECKS = [
    ('bind-', check_bind),
    ('selftest-slowbridge-', check_selftest_slow),
    ('kmod-closed-', check_sequence),
    ('kmod-custom-', check_sequence),
    ('kmod-afterplug-', check_sequence),
    ('kmod-slowbridge-', check_sequence),
    ('kmod-open-', lambda s, t: check_sequence(s, t, closed=False)),
    ('kmod-concurrent-', lambda s, t: check_sequence(s, t, repeat=2)),
    ('kmod-invalid-', check_invalid),
    ('kmod-crtscts-', check_crtscts),
    ('kmod-unplug-', check_interrupted),
    ('kmod-rmmod-', check_interrupted),
    ('espwipe-unplug-', lambda s, t: (check_espwipe_unplug(s, t), check_no_false_claim(s, 'b0'))),
    ('fault-busy-', check_fault_busy),
    ('fault-rmmod-midrun-', check_fault_rmmod),
    ('fault-renumber', check_fault_renumber),
    ('fault-', check_fault),
    ('soak', check_soak),
    ('espwipe-parallel', check_parallel),
    ('espwipe-', check_espwipe),
    ('bench-wipe', check_parallel),
    ('bench-', check_bench),
]


def host_check(s, timing):
    if s.verdict == 'SKIP':
        return
    for prefix, fn in CHECKS:
        if s.name.startswith(prefix):
            try:
                fn(s, timing)
            except (KeyError, ValueError, IndexError, TypeError) as e:
                s.fail('host check crashed: %r' % e)
            return


# ------------------------------------------------------------ QEMU

class HostStalls(threading.Thread):
    """In a real-time run, guest time is host time, and a host that does not
    run QEMU for a few ms (other load, or the hypervisor under this machine)
    makes a hold that much longer or shorter.  This counts how often a 1 ms
    sleep on the host overslept by more than 1 ms while the guest ran, to set
    the table's outliers against."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.sleeps = self.late1 = self.late3 = 0
        self.worst = 0.0
        self.secs = 0.0

    def run(self):
        t0 = time.monotonic()
        while not self.stop.is_set():
            a = time.monotonic()
            time.sleep(0.001)
            late = time.monotonic() - a - 0.001
            self.sleeps += 1
            self.late1 += late > 0.001
            self.late3 += late > 0.003
            self.worst = max(self.worst, late)
        self.secs = time.monotonic() - t0

    def summary(self):
        return ('host: %d of %d 1-ms sleeps overslept by >1 ms (%.1f/s), %d by >3 ms, worst %.1f ms'
                % (self.late1, self.sleeps, self.late1 / max(self.secs, 1e-9), self.late3,
                   self.worst * 1e3))


def boot(args, results, console):
    # dummy_hcd.num: for a kernel with dummy_hcd built in (guest-init.sh
    # passes num=4 to insmod when it is a module)
    append = ('console=ttyS0 loglevel=4 panic=-1 dummy_hcd.num=4 espsys.group=%s'
              % args.group)
    if args.only:
        append += ' espsys.only=%s' % args.only
    if args.cycles:
        append += ' espsys.cycles=%d' % args.cycles
    if args.seed:
        append += ' espsys.seed=%d' % args.seed
    if args.reps:
        append += ' espsys.reps=%d' % args.reps
    if args.append:
        append += ' ' + args.append
    cmd = ['timeout', str(args.timeout), 'qemu-system-x86_64', '-accel', 'tcg',
           '-m', '768', '-smp', '1', '-nographic', '-no-reboot', '-monitor', 'none',
           '-kernel', args.kernel, '-initrd', args.initrd, '-append', append,
           '-serial', 'file:' + console, '-serial', 'file:' + results]
    if not args.realtime:
        cmd += ['-icount', 'shift=0,sleep=off']
    elif args.host_nice and os.geteuid() == 0:
        # Guest time is host time here: a host task that takes QEMU's CPU for
        # a few ms shows up as a hold that long.  A higher host priority
        # keeps other load on a shared host out of what the guest measures.
        cmd = ['nice', '-n', str(args.host_nice)] + cmd
    for p in (results, console):
        if os.path.exists(p):
            os.unlink(p)
    t0 = time.monotonic()
    stalls = HostStalls() if args.realtime else None
    if stalls:
        stalls.start()
    rc = subprocess.call(cmd, stdin=subprocess.DEVNULL)
    if stalls:
        stalls.stop.set()
        stalls.join()
        args.host_stalls = stalls.summary()
    return rc, time.monotonic() - t0


def print_bench(scns, clock):
    rows = []
    for s in scns:
        if s.name.startswith('bench-wipe'):
            continue
        errs = getattr(s, 'hold_errs', [])
        parts = s.name.split('-')  # bench-<chip>-<path>-<load>
        if len(parts) != 4 or not errs:
            continue
        e = sorted(x for _, x in errs)

        def pct(q):
            return e[min(len(e) - 1, int(round(q * (len(e) - 1))))]
        rows.append((parts[1], parts[2], parts[3], len(e), statistics.median(e), pct(0.9),
                     pct(0.99), e[0], e[-1]))
    print('hold error vs configured time, ms (clock: %s)' % clock)
    print('%-7s %-7s %-5s %5s %9s %9s %9s %9s %9s' % ('chip', 'path', 'load', 'holds', 'median',
                                                      'p90', 'p99', 'min', 'max'))
    for r in rows:
        print('%-7s %-7s %-5s %5d %+9.3f %+9.3f %+9.3f %+9.3f %+9.3f' % r)
    wall = {}
    for s in scns:
        if s.name.startswith('bench-wipe') and s.verdict == 'PASS' and not s.errors:
            wall[int(s.fact('boards', '0'))] = int(s.fact('wall_us', '0')) / 1e6
    if 1 in wall and 4 in wall:
        print('wipe wall time (guest clock): 1 board %.2f s, 4 boards %.2f s, ratio %.2f'
              % (wall[1], wall[4], wall[4] / wall[1]))
    else:
        print('wipe wall time: not measured (espwipe or the module absent, or a wipe failed)')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--kernel')
    ap.add_argument('--initrd')
    ap.add_argument('--group', default='check')
    ap.add_argument('--only', default='')
    ap.add_argument('--realtime', action='store_true', help='plain TCG, no -icount')
    ap.add_argument('--host-nice', type=int, default=-10,
                    help='with --realtime, as root: run QEMU at this nice value (0: unchanged)')
    ap.add_argument('--timeout', type=int, default=300)
    ap.add_argument('--out', default='build/system')
    ap.add_argument('--parse', help='check an existing results file, no boot')
    ap.add_argument('--cycles', type=int, default=0, help='soak group: cycles (SOAK_CYCLES)')
    ap.add_argument('--seed', type=int, default=0, help='soak group: RANDOM seed')
    ap.add_argument('--reps', type=int, default=0,
                    help='bench group: sequences per row (BENCH_REPS, default 25)')
    ap.add_argument('--append', default='',
                    help='extra kernel command-line arguments (tests/debugkernel)')
    args = ap.parse_args()

    clock = 'realtime' if args.realtime else 'icount'
    timing = not args.realtime
    tag = '%s-%s' % (args.group, clock)
    if args.parse:
        results = args.parse
        rc, secs = 0, 0.0
    else:
        os.makedirs(args.out, exist_ok=True)
        results = os.path.join(args.out, 'results-%s.txt' % tag)
        console = os.path.join(args.out, 'console-%s.log' % tag)
        rc, secs = boot(args, results, console)
        print('guest (%s, %s) ran %.1f s, exit %d; console: %s' % (args.group, clock, secs, rc,
                                                                   console))
    if not os.path.exists(results):
        hint = ' (qemu-system-x86_64 missing? apt-get install qemu-system-x86)' if rc == 127 else ''
        print('FAIL guest: no results file%s' % hint)
        print('0 passed, 1 failed')
        return 1
    scns, booted, done, stray = parse_records(results)
    passed = failed = skipped = 0
    for s in scns:
        host_check(s, timing)
        if s.verdict is None:
            s.fail('scenario did not finish (guest hung or timed out)')
        if s.dmesg:
            s.errors.extend('dmesg: ' + d for d in s.dmesg[:3])
        if s.verdict == 'SKIP' and not s.errors:
            skipped += 1
            print('SKIP %s: %s' % (s.name, s.reason))
        elif s.verdict == 'PASS' and not s.errors:
            passed += 1
            extra = ''
            if 'hold_err_ms' in s.facts:
                extra = ' (hold errors ms: %s)' % ', '.join(s.facts['hold_err_ms'][:6])
            print('PASS %s%s' % (s.name, extra))
        else:
            failed += 1
            why = ([s.reason] if s.verdict == 'FAIL' else []) + s.errors
            print('FAIL %s: %s' % (s.name, '; '.join(why)))
    if not booted:
        failed += 1
        print('FAIL guest: did not boot (see the console log)')
    elif not done:
        failed += 1
        print('FAIL guest: did not finish the group (timeout %d s?)' % args.timeout)
    for line in stray[:5]:
        print('guest: %s' % line)
    if args.group == 'bench':
        print_bench(scns, clock)
        if getattr(args, 'host_stalls', None):
            print(args.host_stalls)
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
