#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host side of espwipe.ko's extra guest scenarios (kmod/tests/guest-kmod.sh).

tests/system/run.py does the booting, the record parsing and the checks of
the scenarios it knows; this adds host checks of the bridge's requests for
the "kx-" scenarios and then hands over to its main().  Same arguments as
run.py; the last line printed is "N passed, N failed, N skipped".
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_PY = os.path.join(HERE, '..', '..', 'tests', 'system', 'run.py')

spec = importlib.util.spec_from_file_location('system_run', RUN_PY)
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)

SEQ_DEFAULT = 'U0,1|W0.1|U1,0|W0.05|U0,0'
SEQ_RESET = 'U0,1|W0.1|U0,0'


def states_of(report):
    return [st for _, st in run.line_states(report)]


def check_reset(s, timing):
    """The reset sequence ran once, with its hold, and the chip did not
    end up in the loader."""
    r = run.need_report(s, 'b0')
    if not r:
        return
    steps = run.parse_seq(s.fact('seq', SEQ_RESET))
    lines = run.line_states(r)
    runs = run.find_runs(lines, steps)
    if len(runs) != 1:
        s.fail('reset sequence seen %d times: %s' % (len(runs), run.fmt_lines(lines)))
        return
    run.check_holds(s, lines, steps, runs[0], timing)
    mode = str(r.get('emu', {}).get('mode')).upper()
    if mode not in ('BOOTING', 'APP'):
        s.fail('after reset the chip is in %s, expected BOOTING or APP' % mode)
    if r.get('emu', {}).get('stats', {}).get('boots_loader', 0):
        s.fail('the reset sequence booted the ROM loader')


def check_killed(s, timing):
    """A writer killed in the first hold: the first step, then at once the
    in-kernel close (00), never the second step; then one full default
    sequence from the next write."""
    r = run.need_report(s, 'b0')
    if not r:
        return
    states = states_of(r)
    lines = run.line_states(r)
    if (False, True) not in states:
        s.fail('the sequence never started: %s' % run.fmt_lines(lines))
        return
    first = states.index((False, True))
    if states[first + 1:first + 2] != [(False, False)]:
        s.fail('after the killed step the bridge saw %s, expected 00 (close)'
               % run.fmt_lines(lines, first + 1, first + 3))
    steps = run.parse_seq(SEQ_DEFAULT)
    later = run.find_runs(lines, steps, first + 1)
    if len(later) != 1:
        s.fail('the write after the kill ran %d times: %s' % (len(later), run.fmt_lines(lines)))
    else:
        run.check_holds(s, lines, steps, later[0], timing)


run.CHECKS[:0] = [
    ('kx-reset-', check_reset),
    ('kx-kill-', check_killed),
]

if __name__ == '__main__':
    sys.exit(run.main())
