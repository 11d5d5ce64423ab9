#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host side of tests/systemd: boot the guest that runs the real systemd,
systemd-udevd and journald over the host's root (9p, read-only, tmpfs
overlay), read the records its driver writes on the second serial port,
re-check the emulators' reports, print one line per scenario and a final
"N passed, N failed" line.

    run.py --kernel K --initrd I --stage DIR [--only 'noconf,allow-*'] [--timeout S]
    run.py --parse RESULTS.txt            (check the records of an earlier run)
"""
import argparse
import json
import os
import subprocess
import sys
import time

# Every scenario the driver knows, in its order: a missing one is a failure.
SCENARIOS = ['noconf', 'allow-path', 'badconf', 'unplug', 'stop-midwipe', 'user-dialout',
             'log-json', 'unplug-idpath', 'log-time',
             'security', 'journal-audit', 'unplug-bindsto']

# Scenarios that fail today on a reported bug: run only when named in --only.
KNOWN_BUGS = []


class Scn:
    def __init__(self, name):
        self.name = name
        self.verdict = None
        self.reason = ''
        self.facts = {}
        self.reports = {}
        self.errors = []

    def fact(self, key, default=None):
        v = self.facts.get(key)
        return v[-1] if v else default


def parse_records(path):
    scns, order = {}, []
    info, booted, done, fatal = [], None, None, []
    with open(path, 'rb') as f:
        text = f.read().decode('utf-8', 'replace')
    for line in text.splitlines():
        line = line.rstrip('\r')
        if not line.startswith('@@'):
            continue
        tag, _, rest = line.partition(' ')
        if tag == '@@BOOTED':
            booted = rest
        elif tag == '@@DONE':
            done = rest
        elif tag == '@@INFO':
            info.append(rest)
        elif tag == '@@FATAL':
            fatal.append(rest)
        elif tag == '@@BEGIN':
            scns[rest] = Scn(rest)
            order.append(rest)
        elif tag in ('@@FACT', '@@REPORT', '@@END'):
            name, _, rest = rest.partition(' ')
            s = scns.get(name)
            if s is None:
                continue
            if tag == '@@FACT':
                k, _, v = rest.partition(' ')
                s.facts.setdefault(k, []).append(v)
            elif tag == '@@REPORT':
                k, _, v = rest.partition(' ')
                try:
                    s.reports[k] = json.loads(v)
                except ValueError:
                    s.errors.append('report %s is not JSON' % k)
            else:
                v, _, why = rest.partition(' ')
                s.verdict, s.reason = v, why
    return [scns[n] for n in order], booted, done, info, fatal


# ------------------------------------------------------------ host checks

def emu(s, tag):
    r = s.reports.get(tag)
    if r is None:
        s.errors.append('host: no report %s' % tag)
        return None
    e = r.get('emu', {})
    if e.get('stub'):
        s.errors.append('host: bridge %s ran the stub emulator' % tag)
        return None
    return e


def blank(s, tag, want):
    e = emu(s, tag)
    if e is None:
        return
    is_blank = bool(e.get('flash', {}).get('blank'))
    if is_blank != want:
        s.errors.append('host: flash of %s is %s, expected %s' % (
            tag, 'blank' if is_blank else 'not blank', 'blank' if want else 'untouched'))
    if want:
        ev = e.get('erase_events', [])
        if not ev or any(x.get('failed') for x in ev):
            s.errors.append('host: %s: %d erase events, failed: %d' % (
                tag, len(ev), sum(1 for x in ev if x.get('failed'))))
    elif e.get('command_log'):
        s.errors.append('host: %s was spoken to (commands %s)' % (tag, e['command_log'][:8]))


FLASH_BEGIN = 0x02


def check_noconf(s):
    blank(s, 'a', False)
    blank(s, 'b', False)


def check_allow(s):
    blank(s, 'a', True)
    blank(s, 'b', False)


def check_badconf(s):
    for tag in ('a-group-writable', 'a-owner-4242'):
        blank(s, tag, False)


def check_unplug(s):
    e = emu(s, 'a-erasing')
    if e is None:
        return
    if FLASH_BEGIN not in e.get('command_log', []):
        s.errors.append('host: unplugged before the erase began (commands %s)'
                        % e.get('command_log'))


def check_user(s):
    blank(s, 'a-user', True)
    e = emu(s, 'a-outsider')
    if e is not None and e.get('command_log'):
        s.errors.append('host: the user outside dialout reached the ROM')


def check_stop(s):
    e = emu(s, 'a-erasing')
    if e is not None and FLASH_BEGIN not in e.get('command_log', []):
        s.errors.append('host: stopped before the erase began (commands %s)'
                        % e.get('command_log'))


CHECKS = {'stop-midwipe': check_stop, 'noconf': check_noconf, 'allow-path': check_allow, 'badconf': check_badconf,
          'unplug': check_unplug, 'user-dialout': check_user}


# ------------------------------------------------------------ QEMU

def boot(args, results, console):
    # dummy_hcd.num: also for a kernel with dummy_hcd built in (the driver's
    # `modprobe dummy_hcd num=4` cannot set it then)
    append = ('console=ttyS0 loglevel=4 panic=-1 dummy_hcd.num=4 espsd.stage=%s'
              ' systemd.unit=espsd-test.target systemd.show_status=auto'
              % os.path.abspath(args.stage))
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
    ap.add_argument('--timeout', type=int, default=240)
    ap.add_argument('--out', default='build/systemd')
    ap.add_argument('--parse', help='check an existing results file, no boot')
    ap.add_argument('--expect-fail', default='',
                    help='comma-separated scenarios that must FAIL (negative control of a '
                    'deliberately broken stage); exit 0 only if exactly these fail')
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
    for i in info:
        print('guest: %s' % i)
    passed = failed = skipped = 0
    seen = set()
    failed_names = set()
    for s in scns:
        seen.add(s.name)
        if s.name in CHECKS and s.verdict in ('PASS', 'FAIL'):
            try:
                CHECKS[s.name](s)
            except (KeyError, ValueError, TypeError, AttributeError) as e:
                s.errors.append('host check crashed: %r' % e)
        if s.verdict is None:
            s.errors.append('scenario did not finish (guest hung or timed out)')
        for k in ('exposure', 'stop_s', 'unit_after', 'wipe_record', 'seconds'):
            if k in s.facts and k != 'seconds':
                print('  %s %s: %s' % (s.name, k, s.fact(k)))
        secs = s.fact('seconds', '?')
        if s.verdict == 'SKIP' and not s.errors:
            skipped += 1
            print('SKIP %s: %s' % (s.name, s.reason))
        elif s.verdict == 'PASS' and not s.errors:
            passed += 1
            print('PASS %s (%s s)' % (s.name, secs))
        else:
            failed += 1
            failed_names.add(s.name)
            why = ([s.reason] if s.verdict == 'FAIL' else []) + s.errors
            print('FAIL %s (%s s): %s' % (s.name, secs, '; '.join(why)))
    want = [n for n in SCENARIOS if not args.only or
            any(__import__('fnmatch').fnmatch(n, p) for p in args.only.split(','))]
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
    if not args.only and KNOWN_BUGS:
        print('not run (known bugs, see tests/systemd/README.md): %s; '
              "make check-systemd SYSD_ONLY='unplug,stop-midwipe,%s'"
              % (', '.join(KNOWN_BUGS), ','.join(KNOWN_BUGS)))
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    if args.expect_fail:
        want_fail = set(args.expect_fail.split(','))
        ok = booted and done and not fatal and failed_names == want_fail and \
            failed == len(want_fail)
        print('negative control: %s (expected to fail: %s; failed: %s)' % (
            'PASS' if ok else 'FAIL', ','.join(sorted(want_fail)),
            ','.join(sorted(failed_names)) or 'none'))
        return 0 if ok else 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
