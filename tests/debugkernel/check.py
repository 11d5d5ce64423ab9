#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run the system-test groups on the debug kernel and fail on any report of
its detectors (tests/debugkernel/README.md).

    check.py run [--groups system,kmod,soak] [--planted NAME] [--only PATTERNS]
    check.py selftest
    check.py scan CONSOLE.log...       (re-scan earlier console logs)

`run` builds (or takes from the cache) the debug kernel (build.sh), builds
espwipe.ko against it from a copy of kmod/ (with tests/debugkernel/planted/
NAME.patch applied for --planted), packs the guest's initramfs with the
debug kernel's modules and guest-debug.sh, boots each group through
tests/system/run.py (kmod/tests/run_system.py for the kmod group) and then
scans the kernel console log.  A group fails if run.py fails it (a guest
scenario's dmesg check, a host check, kmemleak's debug-after pseudo-
scenario) or if the console shows any detector report.

`selftest` shows that the check catches each planted bug: for every
planted/*.patch the check must fail with the detector named in the patch's
"Expect:" line, and the real module must pass the same scenarios.  For
comparison (not a condition) it then runs the planted modules on the newest
production kernel with headers, which lets them pass.

DEBUGK_DIR=<build directory> uses that build instead of asking build.sh.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
SYS = os.path.join(TOP, 'tests', 'system')

# Kernel log lines that fail the check, with the detector they come from.
# The console gets every message up to KERN_WARNING (loglevel=5), which is
# where all of these are printed.
DETECTORS = [
    ('KASAN', r'BUG: KASAN: '),
    ('KFENCE', r'BUG: KFENCE: '),
    ('UBSAN', r'UBSAN: '),
    ('lockdep', r'WARNING: possible circular locking dependency'),
    ('lockdep', r'WARNING: possible recursive locking detected'),
    ('lockdep', r'WARNING: inconsistent lock state'),
    ('lockdep', r'WARNING: suspicious RCU usage'),
    ('lockdep', r'WARNING: (bad unlock balance|held lock freed|lock held when returning'
                r'|.*still has locks held|Nested lock was not taken|possible irq lock inversion)'),
    ('lockdep', r'turning off the locking correctness validator'),
    ('lockdep', r'BUG: MAX_LOCK'),
    ('ODEBUG', r'ODEBUG: '),
    ('atomic-sleep', r'BUG: sleeping function called from invalid context'),
    ('atomic-sleep', r'BUG: scheduling while atomic'),
    ('hung', r'INFO: task .* blocked for more than'),
    ('hung', r'BUG: soft lockup'),
    ('hung', r'rcu: INFO: .* detected stalls'),
    ('hung', r'BUG: workqueue lockup'),
    ('list', r'list_(add|del) corruption'),
    ('kmemleak', r'kmemleak: .*(disabled|Cannot allocate)'),
    ('sysfs', r'sysfs: cannot create duplicate filename|kobject_add_internal failed'),
    ('kobject', r'kobject: .*(is not initialized|does not have a release\(\) function)'),
    ('oops', r'Oops: |general protection fault|Kernel panic|kernel BUG at'),
    ('WARN', r'WARNING: '),
    ('BUG', r'BUG: '),
]
DETECTOR_RES = [(k, re.compile(p)) for k, p in DETECTORS]

GROUPS = {
    # name: (run.py --group, runner, extra guest scenarios)
    'system': ('check', os.path.join(SYS, 'run.py'), None),
    'kmod': ('kmod-extra', os.path.join(TOP, 'kmod', 'tests', 'run_system.py'),
             os.path.join(TOP, 'kmod', 'tests', 'guest-kmod.sh')),
    'soak': ('soak', os.path.join(SYS, 'run.py'), None),
}

# Kernel command line added to run.py's: every warning on the console, all
# KASAN reports (not just the first), a dmesg big enough for a whole group.
APPEND = 'loglevel=5 kasan_multi_shot log_buf_len=4M'


def env_int(name, default):
    return int(os.environ.get(name, default))


def log(msg):
    print('debugkernel: %s' % msg, flush=True)


def scan_console(path):
    """[(detector, line number, line)] for every report line in the log."""
    found = []
    try:
        with open(path, 'rb') as f:
            text = f.read().decode('utf-8', 'replace')
    except OSError:
        return found
    for n, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r'^\[\s*[0-9.]+\]\s*', '', raw.strip('\r'))
        for kind, rx in DETECTOR_RES:
            if rx.search(line):
                found.append((kind, n, line))
                break
    return found


def context(path, n, before=2, after=25):
    with open(path, 'rb') as f:
        lines = f.read().decode('utf-8', 'replace').splitlines()
    return lines[max(0, n - 1 - before):n - 1 + after]


# ------------------------------------------------------------ builds

def debug_kernel():
    """Build or reuse the cached debug kernel (DEBUGK_DIR: an existing build
    directory of build.sh instead); returns (dir, kver)."""
    kdir = os.environ.get('DEBUGK_DIR')
    if not kdir:
        r = subprocess.run(['sh', os.path.join(HERE, 'build.sh')], stdout=subprocess.PIPE,
                           universal_newlines=True)
        if r.returncode:
            sys.exit('debugkernel: the debug kernel build failed')
        kdir = r.stdout.strip().splitlines()[-1]
    if not os.path.exists(os.path.join(kdir, 'done')):
        sys.exit('debugkernel: %s is not a complete build' % kdir)
    with open(os.path.join(kdir, 'kernel.release')) as f:
        kver = f.read().strip()
    with open(os.path.join(kdir, 'build-time')) as f:
        log('kernel %s from %s (built in %s)' % (kver, kdir, f.read().strip()))
    return kdir, kver


def clean_make_env():
    env = dict(os.environ)
    for k in ('MAKEFLAGS', 'MFLAGS', 'MAKEOVERRIDES', 'MAKELEVEL'):
        env.pop(k, None)
    return env


def build_module(ktree, out, planted=None):
    """espwipe.ko from a copy of kmod/ (planted patch applied), built
    against the kernel build tree @ktree.  Returns the .ko path."""
    tree = os.path.join(out, 'tree')
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(os.path.join(tree, 'kmod'))
    for f in glob.glob(os.path.join(TOP, 'kmod', '*.[ch]')) + [os.path.join(TOP, 'kmod', 'Kbuild')]:
        shutil.copy2(f, os.path.join(tree, 'kmod'))
    if planted:
        patch = os.path.join(HERE, 'planted', planted + '.patch')
        r = subprocess.run(['patch', '-p1', '-s', '-d', tree, '-i', patch])
        if r.returncode:
            sys.exit('debugkernel: planted/%s.patch does not apply to kmod/ any more: '
                     'refresh it' % planted)
    src = os.path.join(tree, 'kmod')
    blog = os.path.join(out, 'kmod-build.log')
    with open(blog, 'w') as f:
        r = subprocess.run(['make', '-C', ktree, 'M=' + src, 'modules'],
                           stdout=f, stderr=subprocess.STDOUT, env=clean_make_env())
    if r.returncode:
        sys.stdout.write(open(blog).read()[-4000:])
        sys.exit('debugkernel: espwipe.ko did not build against %s' % ktree)
    return os.path.join(src, 'espwipe.ko')


def initramfs(out, kdir, kver, ko, tools, extra_scenarios):
    cpio = os.path.join(out, 'initramfs.cpio')
    env = dict(os.environ)
    env['ESPSYS_MODDIR'] = os.path.join(kdir, 'root', 'lib', 'modules', kver)
    files = [t for t in tools if t and os.path.exists(t)] + [ko]
    r = subprocess.run(['sh', os.path.join(SYS, 'mkinitramfs.sh'), cpio, kver] + files, env=env)
    if r.returncode:
        sys.exit('debugkernel: mkinitramfs.sh failed')
    append_overlay(out, cpio, extra_scenarios)
    return cpio


def append_overlay(out, cpio, extra_scenarios):
    """Append to @cpio an archive whose /bin/scenarios.sh is tests/system's,
    then the group's own extra scenarios, then guest-debug.sh (the kernel
    unpacks the appended archive last, so its file wins)."""
    ov = os.path.join(out, 'overlay')
    shutil.rmtree(ov, ignore_errors=True)
    os.makedirs(os.path.join(ov, 'bin'))
    scn = os.path.join(ov, 'bin', 'scenarios.sh')
    with open(scn, 'w') as o:
        for part in [os.path.join(SYS, 'scenarios.sh'), extra_scenarios,
                     os.path.join(HERE, 'guest-debug.sh')]:
            if part:
                with open(part) as i:
                    o.write(i.read())
                o.write('\n')
    os.chmod(scn, 0o755)
    listing = subprocess.run('find . | LC_ALL=C sort', shell=True, cwd=ov, check=True,
                             stdout=subprocess.PIPE).stdout
    with open(cpio, 'ab') as o:
        subprocess.run(['cpio', '-o', '-H', 'newc', '--quiet'], cwd=ov, input=listing,
                       stdout=o, check=True)


# ------------------------------------------------------------ one group

class Result:
    def __init__(self, group):
        self.group = group
        self.rc = None
        self.wall = 0.0
        self.summary = ''
        self.findings = []
        self.booted = ''
        self.facts = {}
        self.failed_lines = []

    @property
    def ok(self):
        return self.rc == 0 and not self.findings

    def kinds(self):
        kinds = set(k for k, _, _ in self.findings) | self.guest_kinds()
        # lockdep switches itself off after any report (a KASAN report
        # taints the kernel, which does too): news only on its own
        if len(kinds) > 1:
            kinds.discard('detector-off')
        return sorted(kinds)

    def guest_kinds(self):
        """Detectors named in the guest's failures (its dmesg checks)."""
        kinds = set()
        for line in self.failed_lines:
            for kind, rx in DETECTOR_RES:
                if rx.search(line):
                    kinds.add(kind)
                    break
            if 'suspected leaks' in line:
                kinds.add('kmemleak')
            if 'is off (' in line:
                kinds.add('detector-off')
        return kinds


def run_group(name, kdir, kver, ko, tools, out, args):
    run_group_name, runner, extra = GROUPS[name]
    gout = os.path.join(out, name)
    os.makedirs(gout, exist_ok=True)
    cpio = initramfs(gout, kdir, kver, ko, tools, extra)
    cmd = [sys.executable, os.path.join(HERE, 'run_debug.py'), '--runner', runner,
           '--kernel', os.path.join(kdir, 'bzImage'),
           '--initrd', cpio, '--out', gout, '--group', run_group_name,
           '--append', APPEND]
    if name == 'soak':
        cmd += ['--seed', str(args.soak_seed), '--cycles', str(args.soak_cycles),
                '--timeout', str(env_int('DEBUGK_SOAK_TIMEOUT', 5400))]
    else:
        cmd += ['--timeout', str(env_int('DEBUGK_TIMEOUT', 3600))]
    if args.only:
        cmd += ['--only', args.only]
    res = Result(name)
    log('group %s: %s --group %s%s' % (name, os.path.relpath(runner, TOP), run_group_name,
                                        ' --only ' + args.only if args.only else ''))
    t0 = time.monotonic()
    with open(os.path.join(gout, 'run.log'), 'w') as logf:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True)
        for line in p.stdout:
            sys.stdout.write('  ' + line)
            sys.stdout.flush()
            logf.write(line)
            if line.startswith('FAIL '):
                res.failed_lines.append(line.strip())
            if re.match(r'\d+ passed, \d+ failed', line):
                res.summary = line.strip()
        res.rc = p.wait()
    res.wall = time.monotonic() - t0
    clock = 'icount'
    console = os.path.join(gout, 'console-%s-%s.log' % (run_group_name, clock))
    results = os.path.join(gout, 'results-%s-%s.txt' % (run_group_name, clock))
    res.findings = scan_console(console)
    if os.path.exists(results):
        with open(results, 'rb') as f:
            for raw in f.read().decode('utf-8', 'replace').splitlines():
                if raw.startswith('@@BOOTED '):
                    res.booted = raw.split(' ', 1)[1].strip()
                m = re.match(r'@@FACT (\S+) (\S+) (.*)', raw)
                if m and (m.group(1) in ('soak', 'debug-after')):
                    res.facts['%s.%s' % (m.group(1), m.group(2))] = m.group(3).strip()
    if res.booted and not res.booted.endswith(kver.split('-')[-1]):
        res.findings.append(('harness', 0, 'guest booted %s, not the debug kernel %s'
                             % (res.booted, kver)))
    for kind, n, line in res.findings[:12]:
        log('  %s: console line %d: %s' % (kind, n, line))
    if res.findings:
        kind, n, line = res.findings[0]
        if n:
            log('  first report in %s:' % console)
            for c in context(console, n):
                print('    ' + c)
    log('group %s: %s, wall %.0f s, run.py exit %d, %d console report(s)'
        % (name, res.summary or 'no summary', res.wall, res.rc, len(res.findings)))
    return res


def do_run(args):
    kdir, kver = debug_kernel()
    out = os.path.abspath(args.out)
    variant = args.planted or 'real'
    vout = os.path.join(out, variant)
    os.makedirs(vout, exist_ok=True)
    ko = build_module(os.path.join(kdir, 'obj'), os.path.join(vout, 'kmod'), args.planted)
    tools = [args.bridge, args.ttylines, args.espwipe, args.idlerun]
    results = []
    for g in args.groups.split(','):
        if g not in GROUPS:
            sys.exit('debugkernel: unknown group %s (known: %s)' % (g, ', '.join(GROUPS)))
        results.append(run_group(g, kdir, kver, ko, tools, vout, args))
    print()
    print('debug kernel %s, module %s' % (kver, variant))
    print('%-7s %-6s %8s  %-40s %s' % ('group', 'result', 'wall s', 'scenarios', 'detectors'))
    for r in results:
        print('%-7s %-6s %8.0f  %-40s %s' % (r.group, 'PASS' if r.ok else 'FAIL', r.wall,
                                              r.summary or '-', ','.join(r.kinds()) or '-'))
        for k in sorted(r.facts):
            print('        %s: %s' % (k, r.facts[k]))
    return results


def cmd_run(args):
    results = do_run(args)
    bad = [r.group for r in results if not r.ok]
    if bad:
        print('check-debug-kernel: FAILED (%s)' % ', '.join(bad))
        return 1
    print('check-debug-kernel: all groups passed, no detector reports')
    return 0


def planted_expect(name):
    with open(os.path.join(HERE, 'planted', name + '.patch')) as f:
        for line in f:
            m = re.match(r'Expect:\s*(\S+)\s+(\S+)', line)
            if m:
                return m.group(1), m.group(2)
    sys.exit('debugkernel: planted/%s.patch has no "Expect: DETECTOR SCENARIOS" line' % name)


def production_kernel():
    """The newest Debian kernel with image, modules and headers, or None."""
    found = []
    for v in os.listdir('/lib/modules') if os.path.isdir('/lib/modules') else []:
        if (os.path.exists('/boot/vmlinuz-' + v) and os.path.isdir('/lib/modules/%s/kernel' % v)
                and os.path.exists('/lib/modules/%s/build/Makefile' % v)):
            found.append(v)
    key = lambda v: [int(x) if x.isdigit() else x for x in re.split(r'(\d+)', v)]
    return sorted(found, key=key)[-1] if found else None


def run_production(kver, planted, only, tools, out):
    """The planted module's scenarios on the production kernel @kver, for
    comparison: (passed?, summary line)."""
    os.makedirs(out, exist_ok=True)
    ko = build_module('/lib/modules/%s/build' % kver, os.path.join(out, 'kmod'), planted)
    cpio = os.path.join(out, 'initramfs.cpio')
    files = [t for t in tools if t and os.path.exists(t)] + [ko]
    env = dict(os.environ)
    env.pop('ESPSYS_MODDIR', None)
    subprocess.run(['sh', os.path.join(SYS, 'mkinitramfs.sh'), cpio, kver] + files, env=env,
                   check=True)
    # the same scenarios as on the debug kernel (dk-unplug-busy is in the
    # overlay; debug-after skips on a kernel without the detectors)
    append_overlay(out, cpio, None)
    log('production kernel %s, module %s: run.py --group check --only %s' % (kver, planted, only))
    r = subprocess.run([sys.executable, os.path.join(SYS, 'run.py'), '--kernel',
                        '/boot/vmlinuz-' + kver, '--initrd', cpio, '--out', out, '--group',
                        'check', '--only', only, '--timeout', '600'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    for line in r.stdout.splitlines():
        print('  ' + line)
    summary = [l for l in r.stdout.splitlines() if re.match(r'\d+ passed', l)]
    return r.returncode == 0, summary[-1] if summary else 'no summary'


def cmd_selftest(args):
    names = sorted(os.path.basename(p)[:-len('.patch')]
                   for p in glob.glob(os.path.join(HERE, 'planted', '*.patch')))
    if args.planted:
        names = [n for n in names if n in args.planted.split(',')]
    rows, ok = [], True
    for name in names:
        detector, only = planted_expect(name)
        for variant in (name, None):
            a = argparse.Namespace(**vars(args))
            a.planted, a.only, a.groups = variant, only, 'system'
            a.out = os.path.join(args.out, 'selftest-' + name)
            r = do_run(a)[0]
            kinds = r.kinds()
            if variant:
                good = not r.ok and detector in kinds
                want = 'FAIL with %s' % detector
            else:
                good = r.ok
                want = 'PASS'
            ok = ok and good
            rows.append((name, variant or 'real', want, 'PASS' if r.ok else 'FAIL',
                         ','.join(kinds) or '-', r.wall, good))
    # For comparison (not a condition): the same scenarios with the planted
    # module on the production kernel, which has none of the detectors.
    prod = production_kernel() if not os.environ.get('DEBUGK_NO_PRODUCTION') else None
    prod_rows = []
    if prod:
        tools = [args.bridge, args.ttylines, args.espwipe, args.idlerun]
        for name in names:
            detector, only = planted_expect(name)
            ok_prod, summary = run_production(prod, name, only, tools,
                                              os.path.join(args.out, 'production-' + name))
            prod_rows.append((name, ok_prod, summary))
    print()
    print('%-21s %-21s %-18s %-6s %-14s %7s  %s' % ('planted bug', 'module', 'expected', 'check',
                                                   'detectors', 'wall s', 'verdict'))
    for row in rows:
        print('%-21s %-21s %-18s %-6s %-14s %7.0f  %s'
              % (row[:6] + ('ok' if row[6] else 'WRONG',)))
    for name, ok_prod, summary in prod_rows:
        print('%-21s on the production kernel %s: %s (%s)'
              % (name, prod, 'unnoticed, the scenarios pass' if ok_prod else 'noticed', summary))
    if not ok:
        print('check-debug-kernel-selftest: FAILED (a planted bug went unnoticed, '
              'or the real module failed)')
        return 1
    print('check-debug-kernel-selftest: every planted bug was caught, the real module passed')
    return 0


def cmd_scan(args):
    rc = 0
    for path in args.logs:
        for kind, n, line in scan_console(path):
            print('%s:%d: %s: %s' % (path, n, kind, line))
            rc = 1
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd')
    for name in ('run', 'selftest'):
        p = sub.add_parser(name)
        p.add_argument('--out', default=os.path.join(TOP, 'build', 'debugkernel'))
        p.add_argument('--groups', default='system,kmod,soak')
        p.add_argument('--planted', default=None)
        p.add_argument('--only', default='')
        p.add_argument('--bridge', default=os.path.join(TOP, 'build', 'system', 'espbridge'))
        p.add_argument('--ttylines', default=os.path.join(TOP, 'build', 'system', 'ttylines'))
        p.add_argument('--espwipe', default=os.path.join(TOP, 'build', 'espwipe'))
        p.add_argument('--idlerun', default=os.path.join(TOP, 'build', 'debugkernel', 'idlerun'))
        p.add_argument('--soak-cycles', type=int, default=env_int('DEBUGK_SOAK_CYCLES', 10))
        p.add_argument('--soak-seed', type=int, default=env_int('DEBUGK_SOAK_SEED', 1))
    p = sub.add_parser('scan')
    p.add_argument('logs', nargs='+')
    args = ap.parse_args()
    if args.cmd == 'run':
        return cmd_run(args)
    if args.cmd == 'selftest':
        return cmd_selftest(args)
    if args.cmd == 'scan':
        return cmd_scan(args)
    ap.print_help()
    return 2


if __name__ == '__main__':
    sys.exit(main())
