#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host-only test of check.py's console scan: every detector's report
header is classified as that detector, and the debug kernel's ordinary boot
and test messages are not reported at all.  No kernel, no QEMU."""
import importlib.util
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('dk_check', os.path.join(HERE, 'check.py'))
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)

# (expected detector, console line) as the 6.12 debug kernel prints them
REPORTS = [
    ('KASAN', '[   42.100000] BUG: KASAN: slab-use-after-free in sysfs_remove_group+0x2f/0x120'),
    ('KFENCE', '[   42.1] BUG: KFENCE: use-after-free read in espwipe_remove+0x1c/0x90 [espwipe]'),
    ('UBSAN', '[   42.1] UBSAN: shift-out-of-bounds in kmod/espwipe_seq.c:88:14'),
    ('UBSAN', '[   42.1] UBSAN: array-index-out-of-bounds in drivers/usb/serial/ch341.c:300:5'),
    ('lockdep', '[   42.1] WARNING: possible circular locking dependency detected'),
    ('lockdep', '[   42.1] WARNING: possible recursive locking detected'),
    ('lockdep', '[   42.1] WARNING: inconsistent lock state'),
    ('lockdep', '[   42.1] WARNING: suspicious RCU usage'),
    ('lockdep', '[   42.1] WARNING: bad unlock balance detected!'),
    ('lockdep', '[   42.1] WARNING: held lock freed!'),
    ('lockdep', '[   42.1] WARNING: lock held when returning to user space!'),
    ('lockdep', '[   42.1] WARNING: sh/231 still has locks held!'),
    ('lockdep', '[   42.1] turning off the locking correctness validator.'),
    ('lockdep', '[   42.1] BUG: MAX_LOCKDEP_KEYS too low!'),
    ('ODEBUG', '[   42.1] ODEBUG: free active (active state 0) object: 0000000012345678 '
               'object type: hrtimer hint: hrtimer_wakeup+0x0/0x70'),
    ('atomic-sleep', '[   42.1] BUG: sleeping function called from invalid context at '
                     'kernel/locking/mutex.c:585'),
    ('atomic-sleep', '[   42.1] BUG: scheduling while atomic: sh/231/0x00000002'),
    ('hung', '[  242.1] INFO: task sh:231 blocked for more than 60 seconds.'),
    ('hung', '[  242.1] BUG: soft lockup - CPU#0 stuck for 26s! [espwipe/ttyUSB0:99]'),
    ('hung', '[  242.1] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:'),
    ('list', '[   42.1] list_del corruption. prev->next should be ffff888003a1c010, '
             'but was dead000000000100'),
    ('sysfs', "[   19.5] sysfs: cannot create duplicate filename '/bus/gadget/drivers/"
              "configfs-gadget.b0'"),
    ('sysfs', '[   19.5] kobject: kobject_add_internal failed for configfs-gadget.b0 with '
              '-EEXIST, don\'t try to register things with the same name in the same directory.'),
    ('kobject', "[   19.5] kobject: 'espwipe' (00000000deadbeef): does not have a release() "
                'function, it is broken and must be fixed. See Documentation/core-api/kobject.rst.'),
    ('oops', '[   42.1] Oops: general protection fault, probably for non-canonical address '
             '0xdffffc0000000003: 0000 [#1] PREEMPT SMP KASAN'),
    ('oops', '[   42.1] Kernel panic - not syncing: Fatal exception'),
    ('oops', '[   42.1] kernel BUG at drivers/usb/serial/usb-serial.c:100!'),
    ('WARN', '[   42.1] WARNING: CPU: 0 PID: 231 at lib/refcount.c:28 refcount_warn_saturate'),
    ('BUG', '[   42.1] BUG: unable to handle page fault for address: ffffc90000123000'),
    ('kmemleak', '[   42.1] kmemleak: Kernel memory leak detector disabled'),
]

# Lines of a clean run that must not count (boot banner, USB, the module).
BENIGN = [
    '[    0.000000] Linux version 6.12.118-espdebug (root@host) (gcc (Debian 12.2.0-14) 12.2.0)',
    '[    0.000000] kasan: KernelAddressSanitizer initialized (generic)',
    '[    0.100000] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar',
    '[    0.100000] ... MAX_LOCKDEP_KEYS:        8192',
    '[    0.200000] kmemleak: Kernel memory leak detector initialized (mem pool available: 14000)',
    '[    0.200000] kfence: initialized - using 2097152 bytes for 255 objects at 0x(ptrval)',
    '[   17.5] espwipe: loading out-of-tree module taints kernel.',
    '[   18.0] usb 1-1: new high-speed USB device number 2 using dummy_hcd',
    '[   18.2] usb 1-1: ch341-uart converter now attached to ttyUSB0',
    '[   18.3] espwipe: watching usb-serial ports of ch341-uart and cp210x',
    '[   20.0] ch341-uart ttyUSB0: espwipe attached (ch341-uart)',
    '[   36.1] reboot: Power down',
]


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'console.log')
        for want, line in REPORTS:
            with open(path, 'w') as f:
                f.write('\n'.join(BENIGN[:3] + [line] + BENIGN[3:]) + '\n')
            got = check.scan_console(path)
            kinds = [k for k, _, _ in got]
            if kinds != [want]:
                print('FAIL %r: expected [%s], got %s' % (line, want, kinds))
                failures += 1
            elif got[0][1] != 4:
                print('FAIL %r: reported at line %d, not 4' % (line, got[0][1]))
                failures += 1
        with open(path, 'w') as f:
            f.write('\n'.join(BENIGN) + '\n')
        got = check.scan_console(path)
        if got:
            print('FAIL clean log reported: %s' % got)
            failures += 1
        # a guest failure line names its detector
        r = check.Result('system')
        r.failed_lines = ['FAIL kmod-unplug-ch340: kernel log: [ 40.1] BUG: KASAN: '
                          'slab-use-after-free in sysfs_remove_group+0x2f/0x120',
                          'FAIL debug-after: kmemleak: 2 suspected leaks after the group']
        if r.kinds() != ['KASAN', 'kmemleak']:
            print('FAIL guest failure lines classified as %s' % r.kinds())
            failures += 1
    print('debugkernel scan: %d report lines, %d benign lines, %d failure(s)'
          % (len(REPORTS), len(BENIGN), failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
