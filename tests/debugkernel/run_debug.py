#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/run.py (or kmod/tests/run_system.py with --runner) with the
host checks' hold window made coarse for the debug kernel; same arguments.

    run_debug.py [--runner PATH] RUN.PY-ARGS...

On the production kernel a hold must land in [-0.5, +3] ms.  On the debug
kernel most holds still do (measured: -0.10 to +0.29 ms), but a control
request costs about 4.5 times as many instructions (1.2 ms against 0.26 ms
back to back), and the bridge that timestamps the requests shares the
guest's one CPU: when another process runs beside a sequence, a request can
reach the bridge ms late, which also makes the next hold look early (a user
open during kmod-custom-openrace: a 2 s hold +3.03 ms, the 50 ms after it
-2.76 ms).  So the window here is [-5, +10] ms: a wrong hold still fails, the
jitter of a slow kernel does not.  selftest-slowbridge shows that the fine
window catches a 4 ms stretch; the coarse one cannot (by design), so here that
scenario gets the ordinary sequence check instead.  Hold precision is checked
by `make check` on the production kernels.
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HOLD_EARLY_MS = 5.0
HOLD_LATE_MS = 10.0


def main():
    runner = os.path.join(HERE, '..', 'system', 'run.py')
    argv = sys.argv[1:]
    if argv[:1] == ['--runner']:
        runner, argv = argv[1], argv[2:]
    spec = importlib.util.spec_from_file_location('debugk_runner', runner)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    run = mod if hasattr(mod, 'HOLD_EARLY_MS') else mod.run  # run_system.py: .run
    run.HOLD_EARLY_MS = HOLD_EARLY_MS
    run.HOLD_LATE_MS = HOLD_LATE_MS
    run.CHECKS[:] = [(p, (lambda s, timing: run.check_sequence(s, timing))
                      if p == 'selftest-slowbridge-' else fn) for p, fn in run.CHECKS]
    sys.argv = [runner] + argv
    return run.main()


if __name__ == '__main__':
    sys.exit(main())
