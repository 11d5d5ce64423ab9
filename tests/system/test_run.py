#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host-only tests of run.py's checks on synthetic bridge reports: each check
must pass on a good report and fail on the fault it exists to catch."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

SEQ = 'U0,1|W0.1|U1,0|W0.05|U0,0'


def report(states, mode='LOADER', requests=None):
    """states: [(t_ms, 'dr')] -> a cp2102 bridge report with those modem requests."""
    lines = [{'t_us': int(t * 1000), 'dtr': int(s[0]), 'rts': int(s[1])} for t, s in states]
    return {'chip': 'cp2102', 'lines': lines, 'requests': requests or [],
            'emu': {'mode': mode}}


def scenario(name, rep, seq=SEQ, **facts):
    s = run.Scenario(name)
    s.verdict = 'PASS'
    s.reports['b0'] = rep
    s.facts['seq'] = [seq]
    for k, v in facts.items():
        s.facts[k] = [v]
    return s


def closed_run(t0=0.0, late=0.0):
    """in-kernel open (00 11), the three steps, the close (00)"""
    return [(t0 - 1, '00'), (t0, '11'), (t0 + 1, '01'), (t0 + 101.2 + late, '10'),
            (t0 + 151.5 + late, '00'), (t0 + 152, '00')]


def main():
    results = []

    def case(name, s, want_fail, check=None):
        (check or run.host_check)(s, True)
        ok = bool(s.errors) == want_fail
        results.append(ok)
        print('%s %s%s' % ('ok  ' if ok else 'BAD ', name, '' if ok else ': %s' % s.errors))

    base = []
    case('good closed sequence passes', scenario('kmod-closed-x', report(base + closed_run(10))),
         False)
    case('hold 3.5 ms late fails', scenario('kmod-closed-x', report(base + closed_run(10, 3.5))),
         True)
    case('hold 1 ms early fails', scenario('kmod-closed-x', report(base + closed_run(10, -1.8))),
         True)
    case('chip not in LOADER fails',
         scenario('kmod-closed-x', report(base + closed_run(10), mode='APP')), True)
    case('missing close request fails',
         scenario('kmod-closed-x', report(base + closed_run(10)[:-1])), True)
    extra = base + closed_run(10)[:3] + [(112, '11')] + closed_run(10)[3:]
    case('extra request inside the sequence fails', scenario('kmod-closed-x', report(extra)), True)
    two = base + closed_run(10) + closed_run(300)
    case('two clean sequences pass (concurrent)',
         scenario('kmod-concurrent-x', report(two), repeat='2'), False)
    inter = base + [(9, '00'), (10, '11'), (11, '01'), (12, '01'), (112, '10'), (113, '10'),
                    (163, '00'), (164, '00')]
    case('interleaved writers fail (concurrent)',
         scenario('kmod-concurrent-x', report(inter), repeat='2'), True)

    s = run.Scenario('kmod-invalid-x')
    s.verdict = 'PASS'
    s.reports['before'] = report(base, requests=[{'type': 0x40, 'req': 0xa4}])
    s.reports['after'] = report(base, requests=[{'type': 0x40, 'req': 0xa4}] * 2)
    case('a request after an invalid write fails', s, True)

    case('round trip as 4 requests passes',
         scenario('bind-x', report(base + [(10, '11'), (11, '10'), (12, '01'), (13, '00'),
                                           (14, '11'), (15, '00')])), False)
    case('round trip with a glitch request fails',
         scenario('bind-x', report(base + [(10, '11'), (11, '10'), (11.5, '00'), (12, '01'),
                                           (13, '00'), (14, '11')])), True)
    case('mid-sequence unplug with the 2nd step seen fails',
         scenario('kmod-unplug-x', report(base + closed_run(10))), True)
    case('mid-sequence unplug, 1st step only, passes',
         scenario('kmod-unplug-x', report(base + closed_run(10)[:3])), False)
    case('an extra request before the in-kernel open fails',
         scenario('kmod-closed-x', report([(2, '10')] + closed_run(10))), True)
    case('custom D/R sequence: one request per step',
         scenario('kmod-custom-x', report(base + [(9, '00'), (10, '11'), (11, '01'), (12, '01'),
                                                  (112.5, '11'), (113, '10'), (163.4, '00'),
                                                  (164, '00')]),
                  seq='D0|R1|W0.1|D1|R0|W0.05|D0'), False)
    def crtscts(set_mhs):
        before = report([(0, '00'), (1, '11'), (2, '11'), (3, '00')],
                        requests=[{'type': 0x41, 'req': 0x13, 'stall': 0}] * 4)
        after = report([(0, '00'), (1, '11'), (2, '11'), (3, '00')] + closed_run(10))
        reqs = before['requests'] + [{'type': 0x41, 'req': 0x13, 'stall': 0}] * 6
        if set_mhs:
            reqs[-3] = {'type': 0x41, 'req': 0x07, 'stall': 0}
        after['requests'] = reqs
        s = scenario('kmod-crtscts-x', after)
        s.reports['before'] = before
        return s
    case('crtscts: every step a SET_FLOW passes', crtscts(False), False)
    case('crtscts: a step through SET_MHS fails', crtscts(True), True)

    # fault rows: the JSON result must not claim more than the emulator erased
    def fault(claim_len, exit_code, erased_len, erased_event=False, name='fault-unplug-verify-x'):
        emu = {'mode': 'loader',
               'flash': {'size': 0x400000, 'blank': erased_len == 0x400000,
                         'blank_ranges': [[0, erased_len]] if erased_len else []},
               'erase_events': [{'offset': 0, 'length': erased_len, 'kind': 'B',
                                 'failed': False}] if erased_len else []}
        s = scenario(name, {'chip': 'cp2102', 'lines': [], 'requests': [], 'emu': emu})
        res = {'event': 'result', 'exit_code': exit_code,
               'erased': {'offset': 0, 'length': claim_len}}
        out = '{"event":"erased"} ' if erased_event else ''
        s.outputs['b0'] = out + run.json.dumps(res)
        return s
    case('fault: exit 9 after the erase, whole claim, erased event passes',
         fault(0x400000, 9, 0x400000, True), False)
    case('fault: exit 9, nothing claimed passes', fault(0, 9, 0x10000), False)
    case('fault: claim beyond what the emulator erased fails', fault(0x400000, 0, 0x10000), True)
    case('fault: exit 9 before the erase finished but whole claim fails',
         fault(0x400000, 9, 0x400000, False), True)
    passed = sum(results)
    print('%d passed, %d failed' % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == '__main__':
    sys.exit(main())
