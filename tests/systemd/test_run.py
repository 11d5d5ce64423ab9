#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host-only tests of tests/systemd/run.py: a complete, correct record stream
passes, and each fault the host side is meant to catch makes it fail."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, 'run.py')
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import run  # noqa: E402


def emu(blank, commands=None):
    return json.dumps({'requests': [], 'lines': [],
                       'emu': {'flash': {'blank': blank, 'blank_ranges': []},
                               'command_log': commands or [],
                               'erase_events': [{'t_us': 1, 'offset': 0, 'length': 4096,
                                                 'kind': 'B', 'failed': False}] if blank else []}})


def good_records():
    r = ['@@BOOTED 20.0', '@@BEGIN setup', '@@END setup PASS ok']
    reports = {
        'noconf': [('a', emu(False)), ('b', emu(False))],
        'allow-path': [('a', emu(True, [8, 2])), ('b', emu(False))],
        'badconf': [('a-group-writable', emu(False)), ('a-owner-4242', emu(False))],
        'unplug': [('a-erasing', emu(True, [8, 2]))],
        'stop-midwipe': [('a-erasing', emu(True, [8, 2]))],
        'user-dialout': [('a-outsider', emu(False)), ('a-user', emu(True, [8, 2]))],
    }
    for name in run.SCENARIOS:
        r.append('@@BEGIN %s' % name)
        for tag, rep in reports.get(name, []):
            r.append('@@REPORT %s %s %s' % (name, tag, rep))
        r.append('@@FACT %s seconds 1.0' % name)
        r.append('@@END %s PASS ok' % name)
    r.append('@@DONE 90.0')
    return r


def verdict(lines):
    with tempfile.NamedTemporaryFile('w', suffix='.txt', delete=False) as f:
        f.write('\n'.join(lines) + '\n')
        path = f.name
    try:
        p = subprocess.run([sys.executable, RUN, '--parse', path], stdout=subprocess.PIPE,
                           text=True)
    finally:
        os.unlink(path)
    return p.returncode, p.stdout


def replace(lines, prefix, new):
    return [new if l.startswith(prefix) else l for l in lines]


def main():
    failures = 0
    rc, so = verdict(good_records())
    if rc != 0 or '0 failed' not in so:
        print('FAIL the correct record stream does not pass:\n' + so)
        failures += 1
    else:
        print('ok   correct records pass')
    good = good_records()
    faults = {
        'the allowed board not wiped':
            replace(good, '@@REPORT allow-path a ', '@@REPORT allow-path a ' + emu(False)),
        'the other board wiped':
            replace(good, '@@REPORT allow-path b ', '@@REPORT allow-path b ' + emu(True)),
        'no-config board spoken to':
            replace(good, '@@REPORT noconf a ', '@@REPORT noconf a ' + emu(False, [8])),
        'bad config still wiped':
            replace(good, '@@REPORT badconf a-owner-4242 ',
                    '@@REPORT badconf a-owner-4242 ' + emu(True, [8, 2])),
        'unplug before FLASH_BEGIN':
            replace(good, '@@REPORT unplug a-erasing ',
                    '@@REPORT unplug a-erasing ' + emu(False, [8])),
        'stop before FLASH_BEGIN':
            replace(good, '@@REPORT stop-midwipe a-erasing ',
                    '@@REPORT stop-midwipe a-erasing ' + emu(False, [8])),
        'outsider reached the ROM':
            replace(good, '@@REPORT user-dialout a-outsider ',
                    '@@REPORT user-dialout a-outsider ' + emu(False, [8])),
        'a report missing': [l for l in good if not l.startswith('@@REPORT user-dialout a-user')],
        'guest verdict FAIL': replace(good, '@@END log-json', '@@END log-json FAIL 2 records'),
        'scenario never ended': [l for l in good if not l.startswith('@@END security')],
        'scenario never started': [l for l in good if 'unplug-bindsto' not in l],
        'no @@DONE': [l for l in good if not l.startswith('@@DONE')],
        'no @@BOOTED': [l for l in good if not l.startswith('@@BOOTED')],
        'init failed': good + ['@@FATAL init: cannot mount the 9p share hostroot'],
    }
    for what, lines in faults.items():
        rc, so = verdict(lines)
        if rc == 0:
            print('FAIL the host side accepts: %s\n%s' % (what, so))
            failures += 1
        else:
            print('ok   caught: %s' % what)
    print('%d passed, %d failed' % (1 + len(faults) - failures, failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
