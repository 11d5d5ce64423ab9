#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario driver of the systemd guest (tests/systemd).

Runs as espsd-driver.service under the real systemd 252, with the real
systemd-udevd and systemd-journald.  It plugs emulated CH340/CP2102 boards
(configfs gadget + FunctionFS espbridge on dummy_hcd), lets udev and systemd
do what they do on a lab machine (60-espwipe.rules, 61-espwipe-autowipe.rules,
espwipe-autowipe@.service), and checks the outcome: udev properties and
permissions, unit results, journal contents, the emulators' reports.

Records go to /dev/ttyS1, one per line (parsed on the host by run.py):
  @@BOOTED <uptime s>
  @@BEGIN <scn>
  @@FACT <scn> <key> <value...>
  @@REPORT <scn> <tag> <json>      a bridge's report (emulator state)
  @@END <scn> PASS|FAIL|SKIP <reason>
  @@DONE <uptime s>
The guest decides PASS/FAIL from what it sees; the host re-checks the reports.
"""
import glob
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import termios
import time

LIB = '/usr/local/lib/espsd'
BRIDGE = LIB + '/espbridge'
KO = LIB + '/espwipe.ko'
CONF = '/etc/espwipe/autowipe.conf'
CFG = '/sys/kernel/config/usb_gadget'
SERIALDEV = '/sys/bus/usb-serial/devices'
MARKERS = '/run/espwipe'
DIALOUT_GID = 20
# the test users: one in dialout, one not (created in /etc/passwd below)
USER_IN, USER_OUT = 4301, 4302
# Fast emulated flash with "firmware" in it: blank at the end proves an erase.
EMU_FAST = ['time-scale=50', 'flash-prefill=1']
# Slow flash: the erase takes seconds, long enough to unplug in the middle.
EMU_SLOW = ['time-scale=1', 'erase-slowdown=4', 'flash-prefill=1']
VIDPID = {'ch340': ('0x1a86', '0x7523'), 'cp2102': ('0x10c4', '0xea60')}
WIPE_MESSAGE_ID = '05db009042734d8a80c5f0de32f4fec5'

OUT = None
SCN = None
STATE = {}      # things learnt in one scenario and used by a later one


def out(line):
    os.write(OUT, (line.replace('\n', ' ') + '\n').encode())


def fact(key, value):
    out('@@FACT %s %s %s' % (SCN, key, value))


def uptime():
    with open('/proc/uptime') as f:
        return f.read().split()[0]


class Fail(Exception):
    pass


class Skip(Exception):
    pass


class Scenario:
    def __init__(self, name):
        self.name = name
        self.errors = []

    def check(self, cond, msg):
        if not cond:
            self.errors.append(msg)
        return cond


def run(cmd, timeout=60, **kw):
    """(rc, stdout, stderr) of a command; never raises on a non-zero exit."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       text=True, **kw)
    return p.returncode, p.stdout, p.stderr


def wait_for(pred, timeout, step=0.05):
    """Poll pred() until it returns something true or timeout seconds pass."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            return v
        time.sleep(step)


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def read(path, default=''):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


# ------------------------------------------------------------ boards

class Board:
    """An emulated ESP8266 board behind a CH340/CP2102 on one dummy UDC."""

    def __init__(self, name, chip, udc, emu):
        self.name, self.chip, self.udc, self.emu = name, chip, udc, emu
        self.g = '%s/%s' % (CFG, name)
        self.ffs = '/run/espsd/ffs/' + name
        self.tmp = '/run/espsd/' + name
        self.proc = None
        self.tty = None
        self.plugged = False

    def status(self):
        return read(self.tmp + '.status')

    def plug(self):
        g = self.g
        vid, pid = VIDPID[self.chip]
        for d in ('strings/0x409', 'configs/c.1', 'functions/ffs.' + self.name):
            os.makedirs('%s/%s' % (g, d), exist_ok=True)
        write(g + '/idVendor', vid)
        write(g + '/idProduct', pid)
        write(g + '/strings/0x409/serialnumber', 'esp-' + self.name)
        write(g + '/strings/0x409/product', 'espsd ' + self.chip)
        link = '%s/configs/c.1/ffs.%s' % (g, self.name)
        if not os.path.islink(link):
            os.symlink('%s/functions/ffs.%s' % (g, self.name), link)
        os.makedirs(self.ffs, exist_ok=True)
        rc, _, err = run(['mount', '-t', 'functionfs', self.name, self.ffs])
        if rc:
            raise Fail('mount functionfs %s: %s' % (self.name, err.strip()))
        for ext in ('.ready', '.json', '.status'):
            if os.path.exists(self.tmp + ext):
                os.unlink(self.tmp + ext)
        self.err = open(self.tmp + '.err', 'w')
        self.proc = subprocess.Popen(
            [BRIDGE, '--chip', self.chip, '--ffs', self.ffs, '--report', self.tmp + '.json',
             '--ready', self.tmp + '.ready', '--status', self.tmp + '.status'] + self.emu,
            stdout=subprocess.DEVNULL, stderr=self.err)
        if not wait_for(lambda: os.path.exists(self.tmp + '.ready') or self.proc.poll() is not None,
                        10) or self.proc.poll() is not None:
            raise Fail('bridge %s did not start: %s' % (self.name, read(self.tmp + '.err')[:300]))
        # the plug: bind the gadget to its UDC (dummy_hcd sees a connect)
        write(g + '/UDC', self.udc)
        self.plugged = True
        self.tty = wait_for(self.find_tty, 20)
        if not self.tty:
            raise Fail('no ttyUSB for board %s' % self.name)
        # udev has handled the tty once its database entry exists and the node
        # has the group the rules give it
        if not wait_for(lambda: os.path.exists('/dev/' + self.tty) and
                        os.path.exists(udev_db(self.tty)), 20):
            raise Fail('udev never finished the add event of %s' % self.tty)
        return self.tty

    def find_tty(self):
        for p in glob.glob(SERIALDEV + '/ttyUSB*'):
            d = os.path.dirname(os.path.dirname(os.path.realpath(p)))
            if read(d + '/serial').strip() == 'esp-' + self.name:
                return os.path.basename(p)
        return None

    def unplug(self):
        if self.plugged:
            write(self.g + '/UDC', '\n')
            self.plugged = False

    def snapshot(self, tag):
        """The bridge's report now (the bridge keeps running)."""
        if os.path.exists(self.tmp + '.json'):
            os.unlink(self.tmp + '.json')
        self.proc.send_signal(signal.SIGUSR1)
        if not wait_for(lambda: os.path.getsize(self.tmp + '.json')
                        if os.path.exists(self.tmp + '.json') else 0, 10):
            raise Fail('no report from bridge %s' % self.name)
        return self.report(tag)

    def report(self, tag):
        text = read(self.tmp + '.json')
        out('@@REPORT %s %s %s' % (SCN, tag, text.replace('\n', ' ')))
        return json.loads(text)

    def down(self, tag=None):
        """Unplug, stop the bridge, send its final report; returns it (or None)."""
        rep = None
        self.unplug()
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.err.close()
            if os.path.getsize(self.tmp + '.json') if os.path.exists(self.tmp + '.json') else 0:
                rep = self.report(tag or self.name)
        run(['umount', self.ffs])
        for p in ('configs/c.1/ffs.' + self.name,):
            if os.path.islink('%s/%s' % (self.g, p)):
                os.unlink('%s/%s' % (self.g, p))
        for d in ('configs/c.1', 'functions/ffs.' + self.name, 'strings/0x409', ''):
            try:
                os.rmdir('%s/%s' % (self.g, d) if d else self.g)
            except OSError:
                pass
        return rep


def udev_db(tty):
    st = os.stat('/dev/' + tty) if os.path.exists('/dev/' + tty) else None
    if not st:
        return '/nonexistent'
    return '/run/udev/data/c%d:%d' % (os.major(st.st_rdev), os.minor(st.st_rdev))


def udev_props(tty):
    rc, so, _ = run(['udevadm', 'info', '--query=property', '/dev/' + tty])
    props = {}
    for line in so.splitlines():
        k, _, v = line.partition('=')
        props[k] = v
    return props


# ------------------------------------------------------------ systemd

def unit_of(tty):
    return 'espwipe-autowipe@%s.service' % tty


def unit_show(unit):
    rc, so, _ = run(['systemctl', 'show', unit, '-p',
                     'InvocationID,ActiveState,SubState,Result,ExecMainCode,ExecMainStatus,'
                     'ExecMainPID,LoadState'])
    return dict(line.split('=', 1) for line in so.splitlines() if '=' in line)


def invocation(unit):
    return unit_show(unit).get('InvocationID', '')


def invocations(n=8):
    """{ttyUSBk: InvocationID of its autowipe unit} for k < n, in one call."""
    units = [unit_of('ttyUSB%d' % k) for k in range(n)]
    rc, so, _ = run(['systemctl', 'show', '-p', 'Id,InvocationID'] + units)
    res, cur = {}, {}
    for line in so.splitlines() + ['']:
        if not line.strip():
            if 'Id' in cur:
                res[cur['Id'][len('espwipe-autowipe@'):-len('.service')]] = \
                    cur.get('InvocationID', '')
            cur = {}
            continue
        k, _, v = line.partition('=')
        cur[k] = v
    return {('ttyUSB%d' % k): res.get('ttyUSB%d' % k, '') for k in range(n)}


def wait_unit_done(unit, old_inv, timeout):
    """Wait for a run of unit newer than old_inv to end; its properties, or None."""
    def done():
        p = unit_show(unit)
        if p.get('InvocationID', '') not in ('', old_inv) and \
                p.get('ActiveState') in ('inactive', 'failed'):
            return p
        return None
    return wait_for(done, timeout, 0.2)


def journal(*args):
    rc, so, _ = run(['journalctl', '--no-pager', '-q', '-o', 'cat'] + list(args))
    return so


def unit_log(unit, inv, own_output=True):
    """What one run of the unit logged (its own output and systemd's lines).
    The process's output reaches journald through a stream that may lag
    behind the unit's state change: wait (bounded) until some of it is there."""
    if own_output:
        wait_for(lambda: journal('_SYSTEMD_INVOCATION_ID=' + inv).strip(), 5, 0.1)
    return journal('_SYSTEMD_INVOCATION_ID=' + inv, '+', 'INVOCATION_ID=' + inv)


def sync_journal():
    run(['journalctl', '--sync'])


def set_conf(text, mode=0o644, uid=0, gid=0):
    if text is None:
        if os.path.exists(CONF):
            os.unlink(CONF)
        return
    os.makedirs(os.path.dirname(CONF), exist_ok=True)
    write(CONF, text)
    os.chown(CONF, uid, gid)
    os.chmod(CONF, mode)


def perm(path):
    st = os.stat(path)
    grp = {DIALOUT_GID: 'dialout', 0: 'root'}.get(st.st_gid, str(st.st_gid))
    return '%s %o' % (grp, st.st_mode & 0o7777)


def untouched(s, rep, tag):
    """The board was never spoken to: no SYNC, no command, flash as prefilled."""
    emu = (rep or {}).get('emu', {})
    s.check(rep is not None, '%s: no bridge report' % tag)
    s.check(not emu.get('command_log'), '%s: the ROM received commands %s' %
            (tag, emu.get('command_log')))
    s.check(not emu.get('flash', {}).get('blank'), '%s: the flash is blank' % tag)


def wiped(s, rep, tag):
    emu = (rep or {}).get('emu', {})
    s.check(rep is not None, '%s: no bridge report' % tag)
    s.check(emu.get('flash', {}).get('blank'), '%s: flash not blank (%s)' %
            (tag, emu.get('flash', {}).get('blank_ranges')))


def plug_and_wait(boards, timeout=60):
    """Plug boards, wait for each tty's autowipe run to end; {name: (props, log)}."""
    res = {}
    # the tty name is known only after the plug: snapshot every candidate
    before = invocations()
    for b in boards:
        b.plug()
    for b in boards:
        u = unit_of(b.tty)
        p = wait_unit_done(u, before[b.tty], timeout)
        if not p:
            p = unit_show(u)
            raise Fail('%s did not run to its end (state %s/%s)' % (u, p.get('ActiveState'),
                                                                     p.get('SubState')))
        res[b.name] = (p, unit_log(u, p['InvocationID']))
        fact('unit_%s' % b.name, '%s %s result=%s status=%s' % (
            u, p.get('ActiveState'), p.get('Result'), p.get('ExecMainStatus')))
    return res


# ------------------------------------------------------------ scenarios

def s_noconf(s):
    """CH340 and CP2102 plugged in, no allow-list: nothing wiped; udev properties
    and permissions; the ID_PATHs are kept for the next scenario."""
    set_conf(None)
    a = Board('a', 'ch340', 'dummy_udc.0', EMU_FAST)
    b = Board('b', 'cp2102', 'dummy_udc.1', EMU_FAST)
    boards = [a, b]
    try:
        res = plug_and_wait(boards)
        for bd in boards:
            p, log = res[bd.name]
            tty = bd.tty
            s.check(p.get('Result') == 'success' and p.get('ExecMainStatus') == '0',
                    '%s: unit result %s, exit %s' % (tty, p.get('Result'), p.get('ExecMainStatus')))
            s.check('no allow-list at %s, not wiped' % CONF in log,
                    '%s: the unit did not log "no allow-list": %r' % (tty, log[-300:]))
            props = udev_props(tty)
            fact('id_path_%s' % bd.name, props.get('ID_PATH', '-'))
            STATE['id_path_' + bd.name] = props.get('ID_PATH')
            s.check(props.get('ID_MM_DEVICE_IGNORE') == '1', '%s: ID_MM_DEVICE_IGNORE=%r' %
                    (tty, props.get('ID_MM_DEVICE_IGNORE')))
            s.check(unit_of(tty) in props.get('SYSTEMD_WANTS', ''), '%s: SYSTEMD_WANTS=%r' %
                    (tty, props.get('SYSTEMD_WANTS')))
            s.check('systemd' in props.get('TAGS', '') + props.get('CURRENT_TAGS', ''),
                    '%s: no systemd tag' % tty)
            pt = perm('/dev/' + tty)
            fact('perm_%s' % tty, pt)
            s.check(pt == 'dialout 660', '/dev/%s is %s, want dialout 660' % (tty, pt))
            d = '%s/%s' % (SERIALDEV, tty)
            for attr in ('enter_bootloader', 'reset'):
                if not s.check(os.path.exists('%s/%s' % (d, attr)), '%s: no %s' % (tty, attr)):
                    continue
                # the module's change event is handled asynchronously: wait for it
                pa = wait_for(lambda: perm('%s/%s' % (d, attr)) == 'dialout 220' and
                              perm('%s/%s' % (d, attr)), 5) or perm('%s/%s' % (d, attr))
                fact('perm_%s_%s' % (tty, attr), pa)
                s.check(pa == 'dialout 220', '%s/%s is %s, want dialout 220 (group-writable, '
                        'not world-writable)' % (tty, attr, pa))
            for attr in ('bootloader_sequence', 'reset_sequence'):
                if os.path.exists('%s/%s' % (d, attr)):
                    pa = perm('%s/%s' % (d, attr))
                    fact('perm_%s_%s' % (tty, attr), pa)
                    s.check(not os.stat('%s/%s' % (d, attr)).st_mode & 0o022,
                            '%s/%s is %s: writable beyond root' % (tty, attr, pa))
        rc, so, se = run(['espwipe', 'list', '--json'])
        fact('list_rc', rc)
        ports = [o for o in map(safe_json, so.splitlines()) if o and 'autowipe' in o]
        fact('list_ports', len(ports))
        s.check(len(ports) == 2 and not any(o['autowipe'] for o in ports),
                'espwipe list --json: %s' % so.strip()[:300])
    finally:
        for bd in boards:
            rep = bd.down()
            untouched(s, rep, bd.name)


def safe_json(line):
    try:
        return json.loads(line)
    except ValueError:
        return None


def s_allow_path(s):
    """Allow-list with socket A's ID_PATH: board A wiped, board B not; a
    replayed add event does not wipe A again."""
    pa = STATE.get('id_path_a')
    if not pa:
        raise Skip('no ID_PATH learnt in scenario 1')
    set_conf('# espsd: socket A only\npath %s\n' % pa)
    a = Board('a', 'ch340', 'dummy_udc.0', EMU_FAST)
    b = Board('b', 'cp2102', 'dummy_udc.1', EMU_FAST)
    boards = [a, b]
    try:
        res = plug_and_wait(boards)
        pa_, la = res['a']
        pb_, lb = res['b']
        s.check(pa_.get('Result') == 'success' and pa_.get('ExecMainStatus') == '0',
                'A: unit result %s exit %s: %r' % (pa_.get('Result'), pa_.get('ExecMainStatus'),
                                                  la[-300:]))
        s.check("matches the allow-list rule 'path %s (line 2)'" % pa in la,
                'A: no "matches the allow-list rule" line: %r' % la[-300:])
        s.check(pb_.get('Result') == 'success' and 'is not in the allow-list, not wiped' in lb,
                'B: %s, log %r' % (pb_.get('Result'), lb[-300:]))
        # the wipe record: written by the unit's unprivileged dynamic user
        recs = wait_for(lambda: journal_records(unit_of(a.tty), pa_['InvocationID']), 5)
        fact('record_a', json.dumps(recs))
        s.check(len(recs) == 1 and recs[0].get('ESPWIPE_RESULT') == 'ok' and
                recs[0].get('ESPWIPE_ID_PATH') == pa and recs[0].get('PRIORITY') == '6' and
                recs[0].get('ESPWIPE_RESET') == 'sysfs' and
                recs[0].get('_UID') not in (None, '0'),
                'A: wipe record %s' % recs)
        rc, so, _ = run(['espwipe', 'list', '--json'])
        aw = {o['port']: o['autowipe'] for o in map(safe_json, so.splitlines())
              if o and 'autowipe' in o}
        fact('list_autowipe', json.dumps(aw, sort_keys=True))
        s.check(aw.get('/dev/' + a.tty) is True and aw.get('/dev/' + b.tty) is False,
                'espwipe list --json autowipe column: %s' % aw)
        markers = sorted(glob.glob('%s/%s/plug-*' % (MARKERS, a.tty)))
        fact('markers_a', ' '.join(markers))
        STATE['markers'] = (a.tty, markers)
        s.check(len(markers) == 1 and read(markers[0]).strip() == 'exit=0' if markers else False,
                'A: marker %s with %r' % (markers, [read(m) for m in markers]))
        rep = a.snapshot('a-wiped')
        wiped(s, rep, 'a')
        syncs = len(rep.get('emu', {}).get('command_log', []))
        # replay the add event: the unit runs again, the marker refuses a second wipe
        u = unit_of(a.tty)
        inv = invocation(u)
        run(['udevadm', 'trigger', '--action=add', '--settle', '/dev/' + a.tty])
        p = wait_unit_done(u, inv, 30)
        if s.check(p, 'replayed add: %s did not run again' % u):
            lr = unit_log(u, p['InvocationID'])
            s.check('already wiped for this plug-in' in lr and p.get('ExecMainStatus') == '0',
                    'replayed add: %r' % lr[-300:])
        rep = a.snapshot('a-replay')
        s.check(len(rep.get('emu', {}).get('command_log', [])) == syncs,
                'replayed add: the ROM got more commands (%d -> %d)' % (
                    syncs, len(rep.get('emu', {}).get('command_log', []))))
        STATE['wiped_ok'] = (a.tty, pa)
    finally:
        ra = a.down()
        rb = b.down()
        wiped(s, ra, 'a')
        untouched(s, rb, 'b')


def s_badconf(s):
    """Unsafe allow-lists (group-writable, world-writable, not root's) that would
    match: refused (exit 10), the reason in the journal, nothing wiped."""
    # (world-writable takes the same path as group-writable in the loader; the
    # unit tests of tests/autowipe cover it, one plug-in here costs seconds)
    cases = [('group-writable', 0o664, 0, 'writable by its group (mode 0664)'),
             ('owner-4242', 0o644, 4242, 'owned by uid 4242, not by root')]
    for tag, mode, uid, why in cases:
        set_conf('any\n', mode=mode, uid=uid)
        a = Board('a', 'ch340', 'dummy_udc.0', EMU_FAST)
        rep = None
        try:
            res = plug_and_wait([a])
            p, log = res['a']
            fact('log_' + tag, log.strip().replace('\n', ' | ')[:400])
            s.check(p.get('Result') == 'exit-code' and p.get('ExecMainStatus') == '10',
                    '%s: unit result %s exit %s (want exit-code 10)' % (
                        tag, p.get('Result'), p.get('ExecMainStatus')))
            s.check('%s: %s' % (CONF, why) in log, '%s: the refusal ("%s") is not in the '
                    'journal: %r' % (tag, why, log[-300:]))
        finally:
            rep = a.down('a-' + tag)
            untouched(s, rep, 'a-' + tag)
        run(['systemctl', 'reset-failed'])
    set_conf(None)


def s_unplug(s):
    """Unplug during an auto-wipe: BindsTo= stops the unit, the journal has the
    failed wipe."""
    set_conf('usb 1a86:7523\n')
    a = Board('a', 'ch340', 'dummy_udc.0', EMU_SLOW)
    u = None
    try:
        inv = invocations()
        a.plug()
        u = unit_of(a.tty)
        old = inv[a.tty]
        # the erase has begun when the emulator got FLASH_BEGIN
        if not wait_for(lambda: re.search(r'flash_begin=[1-9]', a.status()), 60, 0.1):
            raise Fail('the auto-wipe never started erasing (status %r, unit %s)' % (
                a.status().strip(), unit_show(u)))
        st = unit_show(u)
        fact('unit_before_unplug', '%s/%s' % (st.get('ActiveState'), st.get('SubState')))
        # a new plug-in of the same tty gets its own wipe: a new marker, and the
        # one of allow-path's plug-in is gone
        markers = sorted(glob.glob('%s/%s/plug-*' % (MARKERS, a.tty)))
        fact('markers', ' '.join(markers))
        if STATE.get('markers', (None,))[0] == a.tty:
            s.check(len(markers) == 1 and markers[0] not in STATE['markers'][1],
                    'markers after a new plug-in: %s (before: %s)' % (markers,
                                                                     STATE['markers'][1]))
        s.check(st.get('ActiveState') == 'activating',
                'the unit is %s while erasing' % st.get('ActiveState'))
        # (the emulator blanks the flash when FLASH_BEGIN arrives and answers
        # when the erase time is over: the report cannot tell "interrupted"
        # from the content; the ROM's confirmation in the journal can)
        rep = a.snapshot('a-erasing')
        s.check(0x02 in rep.get('emu', {}).get('command_log', []),
                'no FLASH_BEGIN before the unplug')
        t0 = time.monotonic()
        a.unplug()
        p = wait_unit_done(u, old, 20)
        fact('stop_s', '%.2f' % (time.monotonic() - t0))
        if not s.check(p, '%s still running 20 s after the unplug: %s' % (u, unit_show(u))):
            return
        fact('unit_after', 'ActiveState=%s Result=%s ExecMainCode=%s ExecMainStatus=%s' % (
            p.get('ActiveState'), p.get('Result'), p.get('ExecMainCode'),
            p.get('ExecMainStatus')))
        s.check(p.get('ActiveState') == 'failed' or p.get('ExecMainStatus') not in ('0', ''),
                'the unit ended as %s' % p)
        sync_journal()
        log = unit_log(u, p['InvocationID'])
        fact('unit_log', log.strip().replace('\n', ' | ')[-400:])
        # the record (if any) was sent before the process ended; give journald
        # a bounded moment to have it indexed
        recs = wait_for(lambda: journal_records(u, p['InvocationID']), 2)
        fact('wipe_records', json.dumps(recs))
        # Two outcomes race: espwipe sees the link go (exit 9), or systemd's
        # stop (BindsTo=) reaches it first with SIGTERM (exit 143, result
        # "signal").  Either way it must leave exactly one failure record.
        fact('wipe_record', '%s exit %s' % (
            recs[0].get('ESPWIPE_RESULT'), recs[0].get('ESPWIPE_EXIT_CODE'))
            if recs else 'absent')
        s.check(len(recs) == 1 and recs[0].get('ESPWIPE_RESULT') in ('io', 'signal') and
                recs[0].get('ESPWIPE_EXIT_CODE') in ('9', '143') and
                recs[0].get('PRIORITY') == '3',
                'journal wipe records of the interrupted run: %s' % recs)
        # the ROM never confirmed the erase: the record must not claim it
        s.check(recs and recs[0].get('ESPWIPE_ERASED', '').endswith('+0x000000'),
                'the interrupted record claims an erase: %s' % recs)
        markers = glob.glob('%s/%s/plug-*' % (MARKERS, a.tty))
        fact('marker', ' '.join('%s=%r' % (m, read(m)) for m in markers))
        if recs:
            STATE['unplug'] = (a.tty, recs[0])
    finally:
        a.down('a')
        set_conf(None)
        run(['systemctl', 'reset-failed'])


def s_stop(s):
    """`systemctl stop` in the middle of an auto-wipe (what BindsTo= does when
    it wins the race with the tool's own link-loss detection, or an admin
    does): the README promises a journal record for every wipe, whatever its
    outcome."""
    set_conf('usb 1a86:7523\n')
    a = Board('a', 'ch340', 'dummy_udc.0', EMU_SLOW)
    try:
        old = invocations()
        a.plug()
        u = unit_of(a.tty)
        if not wait_for(lambda: re.search(r'flash_begin=[1-9]', a.status()), 60, 0.1):
            raise Fail('the auto-wipe never started erasing (status %r)' % a.status().strip())
        a.snapshot('a-erasing')
        rc, _, err = run(['systemctl', 'stop', u], timeout=60)
        fact('stop_rc', rc)
        p = wait_unit_done(u, old[a.tty], 20)
        if not s.check(p, '%s still running after systemctl stop' % u):
            return
        fact('unit_after', 'ActiveState=%s Result=%s ExecMainCode=%s ExecMainStatus=%s' % (
            p.get('ActiveState'), p.get('Result'), p.get('ExecMainCode'),
            p.get('ExecMainStatus')))
        sync_journal()
        recs = wait_for(lambda: journal_records(u, p['InvocationID']), 5)
        fact('wipe_records', json.dumps(recs))
        s.check(recs and len(recs) == 1 and recs[0].get('ESPWIPE_EXIT_CODE') == '143' and
                recs[0].get('ESPWIPE_RESULT') == 'signal' and recs[0].get('PRIORITY') == '3',
                'no SIGTERM failure record in the journal for the stopped auto-wipe '
                '(records: %s)' % recs)
        s.check(p.get('ExecMainStatus') == '143', 'exit status %s, want 143' %
                p.get('ExecMainStatus'))
        markers = glob.glob('%s/%s/plug-*' % (MARKERS, a.tty))
        fact('marker', ' '.join('%s=%r' % (m, read(m)) for m in markers))
        s.check(len(markers) == 1 and read(markers[0]).strip() == 'exit=143',
                'the marker does not record the outcome: %s' %
                [(m, read(m)) for m in markers])
        if recs:
            STATE['stopped'] = (a.tty, recs[0])
    finally:
        a.down('a')
        set_conf(None)
        run(['systemctl', 'reset-failed'])


def s_unplug_idpath(s):
    """The record of the wipe interrupted by the unplug names its socket
    (ESPWIPE_ID_PATH), like every other record: a lab wants to know where the
    board was that failed."""
    if 'unplug' not in STATE:
        raise Skip('run with the unplug scenario')
    tty, rec = STATE['unplug']
    fact('record', json.dumps(rec))
    s.check(rec.get('ESPWIPE_ID_PATH') == STATE.get('id_path_a'),
            'ESPWIPE_ID_PATH is %r, the socket was %r' % (rec.get('ESPWIPE_ID_PATH'),
                                                          STATE.get('id_path_a')))


def s_audit(s):
    """What udevd and systemd said about the project's files over the whole
    boot: no rule-parsing complaint, no unit-file warning, no failed RUN+=."""
    udevd = journal('-u', 'systemd-udevd.service', '-p', 'notice')
    bad = [l for l in udevd.splitlines() if 'espwipe' in l or 'chgrp' in l or 'chmod' in l]
    for l in bad[:10]:
        fact('udevd', l[:200])
    s.check(not bad, 'systemd-udevd complained: %s' % ' | '.join(bad[:3]))
    pid1 = journal('_PID=1', '-p', 'warning')
    bad = [l for l in pid1.splitlines() if 'espwipe-autowipe@' in l and
           ('.service:' in l and ('Unknown' in l or 'Ignoring' in l or 'invalid' in l.lower() or
                                  'not supported' in l or 'Failed to parse' in l))]
    for l in bad[:10]:
        fact('pid1', l[:200])
    s.check(not bad, 'systemd complained about the unit: %s' % ' | '.join(bad[:3]))
    rc, so, se = run(['systemd-analyze', 'verify', '/etc/systemd/system/espwipe-autowipe@.service'])
    fact('verify_rc', rc)
    for l in (so + se).splitlines()[:5]:
        fact('verify', l[:200])


HOLD_DROPIN = '/run/systemd/system/espwipe-autowipe@.service.d/50-espsd-hold.conf'


def daemon_reload():
    rc, _, err = run(['systemctl', 'daemon-reload'], timeout=120)
    if rc:
        raise Fail('daemon-reload: %s' % err.strip())


def s_bindsto(s):
    """BindsTo=dev-%i.device alone: with the unit's ExecStart= replaced (runtime
    drop-in) by a process that ignores the unplug, systemd must stop the unit
    when the tty goes away."""
    set_conf(None)
    os.makedirs(os.path.dirname(HOLD_DROPIN), exist_ok=True)
    write(HOLD_DROPIN, '[Service]\nExecStart=\nExecStart=/bin/sleep 600\n')
    t0 = time.monotonic()
    daemon_reload()
    fact('daemon_reload_s', '%.2f' % (time.monotonic() - t0))
    a = Board('a', 'ch340', 'dummy_udc.0', EMU_FAST)
    try:
        old = invocations()
        a.plug()
        u = unit_of(a.tty)
        st = wait_for(lambda: (lambda p: p if p.get('SubState') == 'start' and
                                p.get('InvocationID') not in ('', old[a.tty]) else None)(
                                    unit_show(u)), 30, 0.2)
        if not st:
            raise Fail('%s never started: %s' % (u, unit_show(u)))
        rc, so, _ = run(['systemctl', 'show', u, '-p', 'BindsTo'])
        fact('bindsto', so.strip())
        s.check('dev-%s.device' % a.tty in so, 'BindsTo is %r' % so.strip())
        t0 = time.monotonic()
        a.unplug()
        p = wait_unit_done(u, old[a.tty], 20)
        fact('stop_s', '%.2f' % (time.monotonic() - t0))
        if not s.check(p, '%s still %s 20 s after the unplug' % (u, unit_show(u))):
            return
        fact('unit_after', 'ActiveState=%s Result=%s' % (p.get('ActiveState'), p.get('Result')))
        log = wait_for(lambda: (lambda t: t if 'Stopped' in t else None)(
            unit_log(u, p['InvocationID'], False)), 5) or unit_log(u, p['InvocationID'], False)
        fact('unit_log', log.strip().replace('\n', ' | ')[-300:])
        s.check('Stopping' in log or 'Stopped' in log, 'no stop of %s in the journal' % u)
    finally:
        a.down('a')
        # the drop-in stays: this is the last scenario that plugs a board (a
        # second daemon-reload costs seconds under TCG)
        run(['systemctl', 'reset-failed'])


def journal_records(unit, inv):
    rc, so, _ = run(['journalctl', '--no-pager', '-q', '-o', 'json',
                     'MESSAGE_ID=' + WIPE_MESSAGE_ID, '_SYSTEMD_INVOCATION_ID=' + inv])
    recs = []
    for line in so.splitlines():
        o = safe_json(line)
        if o:
            recs.append({k: v for k, v in o.items() if k.startswith('ESPWIPE_') or
                         k in ('MESSAGE', 'PRIORITY', '_UID', '__REALTIME_TIMESTAMP')})
    return recs


def ensure_users():
    with open('/etc/passwd', 'a') as f:
        f.write('espin:x:%d:%d:espsd dialout user:/nonexistent:/usr/sbin/nologin\n'
                % (USER_IN, USER_IN))
        f.write('espout:x:%d:%d:espsd other user:/nonexistent:/usr/sbin/nologin\n'
                % (USER_OUT, USER_OUT))
    grp = read('/etc/group').splitlines()
    with open('/etc/group', 'w') as f:
        for line in grp:
            if line.startswith('dialout:'):
                line += ('' if line.endswith(':') else ',') + 'espin'
            f.write(line + '\n')
        f.write('espin:x:%d:\nespout:x:%d:\n' % (USER_IN, USER_OUT))


def as_user(uid, cmd, groups):
    return ['setpriv', '--reuid=%d' % uid, '--regid=%d' % uid,
            '--groups=%s' % ','.join(str(g) for g in groups) if groups else '--clear-groups',
            '--'] + cmd


def s_user(s):
    """A dialout user (not root) erases through espwipe.ko's attribute; a user
    outside dialout is refused."""
    set_conf(None)
    a = Board('a', 'cp2102', 'dummy_udc.0', EMU_FAST)
    try:
        plug_and_wait([a])
        dev = '/dev/' + a.tty
        attr = '%s/%s/enter_bootloader' % (SERIALDEV, a.tty)
        wait_for(lambda: perm(attr) == 'dialout 220', 10)
        rc, so, se = run(as_user(USER_OUT, ['espwipe', 'erase', '-p', dev, '--reset', 'sysfs',
                                            '--json'], [USER_OUT]))
        fact('outsider_rc', rc)
        s.check(rc == 3, 'a user outside dialout: exit %d (want 3): %s' % (rc, se.strip()[-200:]))
        rep = a.snapshot('a-outsider')
        s.check(not rep.get('emu', {}).get('command_log'), 'the outsider reached the ROM')
        t0 = time.monotonic()
        rc, so, se = run(as_user(USER_IN, ['espwipe', 'erase', '-p', dev, '--reset', 'sysfs',
                                           '--json'], [USER_IN, DIALOUT_GID]), timeout=120)
        fact('dialout_rc', rc)
        fact('dialout_s', '%.2f' % (time.monotonic() - t0))
        res = [o for o in map(safe_json, so.splitlines()) if o and o.get('event') == 'result']
        fact('dialout_result', json.dumps(res[-1] if res else None))
        s.check(rc == 0, 'the dialout user: exit %d: %s' % (rc, se.strip()[-300:]))
        s.check('permission' not in se.lower(), 'stderr: %s' % se.strip()[-200:])
        rep = a.snapshot('a-user')
        wiped(s, rep, 'a-user')
        lines = rep.get('lines', [])
        fact('line_changes', len(lines))
        STATE['user'] = (a.tty, USER_IN)
    finally:
        a.down('a')


def same(entry, rec):
    """An `espwipe log --json` entry is this journal record: same duration to
    the millisecond (the entry's "time" cannot be used: see log-time)."""
    try:
        return abs(float(entry.get('seconds')) - float(rec['ESPWIPE_SECONDS'])) < 0.0005
    except (KeyError, TypeError, ValueError):
        return False


def s_log_time(s):
    """`espwipe log --json`'s "time" is the record's journal timestamp."""
    recs = [r for k in ('unplug', 'stopped') if k in STATE for r in [STATE[k][1]]]
    if not recs:
        raise Skip('run with unplug or stop-midwipe')
    rc, so, se = run(['espwipe', 'log', '--json', '-n', '50'])
    entries = [o for o in map(safe_json, so.splitlines()) if o and o.get('event') == 'wipe']
    for rec in recs:
        e = [x for x in entries if same(x, rec)]
        if not s.check(len(e) == 1, 'record %s: %d entries' % (rec.get('ESPWIPE_SECONDS'), len(e))):
            continue
        t = float(e[0].get('time') or 0)
        want = int(rec['__REALTIME_TIMESTAMP']) / 1e6
        fact('time', 'entry %.6f journal %.6f' % (t, want))
        s.check(abs(t - want) < 0.001, '"time" %.6f is not the journal\'s %.6f (off by %.3f s)'
                % (t, want, t - want))


def s_log(s):
    """espwipe log --json shows each wipe: the allowed auto-wipe (ok), the
    interrupted one (failed) and the dialout user's erase (ok)."""
    sync_journal()
    rc, so, se = run(['espwipe', 'log', '--json', '-n', '50'])
    fact('log_rc', rc)
    recs = [o for o in map(safe_json, so.splitlines()) if o and o.get('event') == 'wipe']
    for r in recs:
        fact('record', json.dumps({k: r.get(k) for k in ('seconds', 'command', 'port', 'id_path',
                                                         'result',
                                                         'exit_code', 'reset', 'erased')}))
    s.check(rc == 0, 'espwipe log --json: exit %d: %s' % (rc, se.strip()[-200:]))
    want = []
    if 'wiped_ok' in STATE:
        tty, idp = STATE['wiped_ok']
        want.append(('autowipe ok', lambda r: r.get('command') == 'autowipe' and
                     r.get('port') == '/dev/' + tty and r.get('id_path') == idp and
                     r.get('result') == 'ok' and r.get('exit_code') == 0 and
                     (r.get('erased') or '').startswith('0x000000+')))
    if 'unplug' in STATE:
        tty, rec = STATE['unplug']
        want.append(('autowipe interrupted by the unplug', lambda r, rec=rec: same(r, rec) and
                     r.get('command') == 'autowipe' and r.get('port') == '/dev/' + tty and
                     r.get('result') == rec.get('ESPWIPE_RESULT') and
                     str(r.get('exit_code')) == rec.get('ESPWIPE_EXIT_CODE')))
    if 'stopped' in STATE:
        tty, rec = STATE['stopped']
        want.append(('autowipe stopped by systemctl', lambda r, rec=rec: same(r, rec) and
                     r.get('command') == 'autowipe' and r.get('port') == '/dev/' + tty and
                     r.get('result') == 'signal' and r.get('exit_code') == 143))
    if 'user' in STATE:
        tty, _ = STATE['user']
        # every erase leaves a record, a refused one too
        want.append(('erase refused to the user outside dialout', lambda r:
                     r.get('command') == 'erase' and r.get('port') == '/dev/' + tty and
                     r.get('exit_code') == 3))
        want.append(('erase by the dialout user', lambda r: r.get('command') == 'erase' and
                     r.get('port') == '/dev/' + tty and r.get('result') == 'ok' and
                     r.get('reset') == 'sysfs'))
    if not want:
        raise Skip('no earlier scenario ran')
    for what, pred in want:
        n = sum(1 for r in recs if pred(r))
        s.check(n == 1, '%s: %d matching records in espwipe log --json' % (what, n))
    s.check(len(recs) == len(want), '%d records, expected %d' % (len(recs), len(want)))
    rc, so, se = run(['espwipe', 'log'])
    fact('log_table', so.strip().replace('\n', ' | ')[:600])


def s_security(s):
    rc, so, se = run(['systemd-analyze', 'security', '--no-pager',
                      'espwipe-autowipe@ttyUSB0.service'], timeout=120)
    m = re.search(r'Overall exposure level for \S+: ([0-9.]+) (\S+)', so + se)
    fact('exposure', '%s %s' % (m.group(1), m.group(2)) if m else '?')
    for line in so.splitlines():
        if line.startswith('✗'):
            fact('exposed', line[1:].strip()[:160])
    s.check(m and float(m.group(1)) <= 2.0, 'exposure %s (rc %d): %s' % (
        m.group(0) if m else '?', rc, (so + se)[-200:]))


SCENARIOS = [
    ('noconf', s_noconf),
    ('allow-path', s_allow_path),
    ('badconf', s_badconf),
    ('unplug', s_unplug),
    ('stop-midwipe', s_stop),
    ('user-dialout', s_user),
    ('log-json', s_log),
    ('unplug-idpath', s_unplug_idpath),
    ('log-time', s_log_time),
    ('security', s_security),
    ('journal-audit', s_audit),
    # last: it leaves a runtime drop-in on the unit
    ('unplug-bindsto', s_bindsto),
]
# Known to fail (a bug reported, not fixed yet): run only when named in
# espsd.only= (make check-systemd SYSD_ONLY='noconf,unplug,unplug-idpath').
KNOWN_BUGS = []


def setup():
    """Modules and configfs; the bridges' scratch space."""
    os.makedirs('/run/espsd/ffs', exist_ok=True)
    # usbserial, ch341 and cp210x first: espwipe.ko uses their symbols (udevd
    # would load the two drivers by modalias at the first plug anyway)
    for cmd in (['modprobe', 'dummy_hcd', 'num=4'], ['modprobe', 'libcomposite'],
                ['modprobe', 'usb_f_fs'], ['modprobe', '-a', 'usbserial', 'ch341', 'cp210x'],
                ['insmod', KO]):
        rc, _, err = run(cmd)
        fact('setup', '%s rc=%d %s' % (' '.join(cmd), rc, err.strip()[:200]))
        if rc and cmd[0] != 'insmod':
            raise Fail('%s: %s' % (' '.join(cmd), err.strip()))
        if rc and cmd[0] == 'insmod' and 'File exists' not in err:
            raise Fail('insmod espwipe.ko: %s' % err.strip())
    if not os.path.isdir(CFG):
        run(['mount', '-t', 'configfs', 'configfs', '/sys/kernel/config'])
    ensure_users()
    # json-c seeds from getrandom(): wait for the CRNG once, not inside a scenario
    with open('/dev/random', 'rb') as f:
        f.read(1)


def main():
    global OUT, SCN
    OUT = os.open('/dev/ttyS1', os.O_WRONLY | os.O_NOCTTY)
    attrs = termios.tcgetattr(OUT)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(OUT, termios.TCSANOW, attrs)
    only = ''
    for arg in read('/proc/cmdline').split():
        if arg.startswith('espsd.only='):
            only = arg.split('=', 1)[1]
    pats = [p for p in only.split(',') if p]
    out('@@BOOTED %s' % uptime())
    SCN = 'setup'
    out('@@BEGIN setup')
    try:
        setup()
        out('@@END setup PASS ok')
    except Exception as e:  # noqa: BLE001 - reported, then the run ends
        out('@@END setup FAIL %s' % e)
        out('@@DONE %s' % uptime())
        return
    import fnmatch
    for name, fn in SCENARIOS + KNOWN_BUGS:
        if pats and not any(fnmatch.fnmatch(name, p) for p in pats):
            continue
        if not pats and (name, fn) in KNOWN_BUGS:
            continue
        SCN = name
        s = Scenario(name)
        out('@@BEGIN %s' % name)
        t0 = time.monotonic()
        verdict = None
        try:
            fn(s)
        except Skip as e:
            verdict = 'SKIP %s' % e
        except Fail as e:
            s.errors.append(str(e))
        except Exception as e:  # noqa: BLE001 - a crash fails the scenario, the run goes on
            s.errors.append('driver crashed: %r' % e)
        fact('seconds', '%.1f' % (time.monotonic() - t0))
        if verdict is None:
            verdict = 'FAIL %s' % '; '.join(s.errors) if s.errors else 'PASS ok'
        out('@@END %s %s' % (name, verdict))
    out('@@DONE %s' % uptime())
    termios.tcdrain(OUT)


if __name__ == '__main__':
    try:
        main()
    finally:
        if OUT is not None:
            termios.tcdrain(OUT)
        sys.stdout.flush()
