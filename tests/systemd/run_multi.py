#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host side of the systemd guest's multi-board boot (guest/multi.py): boot the
same guest as run.py (real systemd, udevd, journald over the host's root) with
eight dummy UDCs and systemd.unit=espsd-multi.target, read the records,
re-check the bridges' reports, print one line per scenario, the latency
facts, and "N passed, N failed".

    run_multi.py --kernel K --initrd I --stage DIR [--only 'multi-*'] [--timeout S] [--out DIR]
    run_multi.py --parse RESULTS.txt
"""
import argparse
import fnmatch
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import parse_records  # noqa: E402

SCENARIOS = ['multi-all8', 'multi-each', 'autowipe-latency']
NUDC = 8


def emu(s, tag):
    r = s.reports.get(tag)
    if r is None:
        s.errors.append('host: no report %s' % tag)
        return {}
    e = r.get('emu', {})
    if e.get('stub'):
        s.errors.append('host: bridge %s ran the stub emulator' % tag)
    return e


def check_all8(s):
    for tag in ('m0', 'm1', 'm2', 'm5', 'm6', 'm7'):
        e = emu(s, tag)
        if not e.get('flash', {}).get('blank'):
            s.errors.append('host: %s not blank' % tag)
        if any(x.get('failed') for x in e.get('erase_events', [])):
            s.errors.append('host: %s: failed erase events' % tag)
    chips = {emu(s, t).get('chip') for t in ('m1', 'm2', 'm6')}
    if chips != {'esp32c3', 'esp32s3', 'esp32'}:
        s.errors.append('host: family chips %s' % chips)
    if 0x02 not in emu(s, 'm4').get('command_log', []):
        s.errors.append('host: m4 was unplugged before its erase began')


def check_each(s):
    for tag in ('ea', 'eb'):
        if not emu(s, tag).get('flash', {}).get('blank'):
            s.errors.append('host: %s not blank' % tag)


CHECKS = {'multi-all8': check_all8, 'multi-each': check_each}


def boot(args, results, console):
    append = ('console=ttyS0 loglevel=4 panic=-1 dummy_hcd.num=%d espsd.stage=%s'
              ' systemd.unit=espsd-multi.target systemd.show_status=auto'
              % (NUDC, os.path.abspath(args.stage)))
    if args.only:
        append += ' espsd.only=%s' % args.only
    cmd = ['timeout', str(args.timeout), 'qemu-system-x86_64', '-accel', 'tcg',
           '-m', '1024', '-smp', '1', '-nographic', '-no-reboot', '-monitor', 'none',
           '-nic', 'none',
           '-kernel', args.kernel, '-initrd', args.initrd, '-append', append,
           '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,'
           'multidevs=remap',
           '-serial', 'file:' + console, '-serial', 'file:' + results]
    for p in (results, console):
        if os.path.exists(p):
            os.unlink(p)
    t0 = time.monotonic()
    rc = subprocess.call(cmd, stdin=subprocess.DEVNULL)
    return rc, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--kernel')
    ap.add_argument('--initrd')
    ap.add_argument('--stage')
    ap.add_argument('--only', default='')
    ap.add_argument('--timeout', type=int, default=420)
    ap.add_argument('--out', default='build/systemd-multi')
    ap.add_argument('--parse')
    args = ap.parse_args()
    if args.parse:
        results = args.parse
    else:
        os.makedirs(args.out, exist_ok=True)
        results = os.path.join(args.out, 'results.txt')
        console = os.path.join(args.out, 'console.log')
        rc, secs = boot(args, results, console)
        print('guest ran %.1f s, exit %d%s; console: %s' % (
            secs, rc, ' (host timeout)' if rc == 124 else '', console))
    if not os.path.exists(results):
        print('FAIL guest: no results file')
        print('0 passed, 1 failed')
        return 1
    scns, booted, done, info, fatal = parse_records(results)
    passed = failed = skipped = 0
    seen = set()
    for s in scns:
        seen.add(s.name)
        if s.name in CHECKS and s.verdict in ('PASS', 'FAIL'):
            try:
                CHECKS[s.name](s)
            except (KeyError, ValueError, TypeError, AttributeError) as e:
                s.errors.append('host check crashed: %r' % e)
        if s.verdict is None:
            s.errors.append('scenario did not finish (guest hung or timed out)')
        for k, v in sorted(s.facts.items()):
            if k.startswith(('latency_', 'beyond_holds', 'target_', 'summary', 'exit', 'wall_s', 'records',
                             'chips', 'banner', 'flash_begins', 'udcs')):
                print('  %s %s: %s' % (s.name, k, v[-1]))
        secs = s.fact('seconds', '?')
        if s.verdict == 'SKIP' and not s.errors:
            skipped += 1
            print('SKIP %s: %s' % (s.name, s.reason))
        elif s.verdict == 'PASS' and not s.errors:
            passed += 1
            print('PASS %s (%s s)' % (s.name, secs))
        else:
            failed += 1
            why = ([s.reason] if s.verdict == 'FAIL' else []) + s.errors
            print('FAIL %s (%s s): %s' % (s.name, secs, '; '.join(why)))
    want = [n for n in SCENARIOS if not args.only or
            any(fnmatch.fnmatch(n, p) for p in args.only.split(','))]
    for n in want:
        if n not in seen:
            failed += 1
            print('FAIL %s: never started' % n)
    for f in fatal:
        failed += 1
        print('FAIL guest: %s' % f)
    if not booted:
        failed += 1
        print('FAIL guest: the driver never started (see the console log)')
    elif not done:
        failed += 1
        print('FAIL guest: did not finish (timeout %d s?)' % args.timeout)
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
