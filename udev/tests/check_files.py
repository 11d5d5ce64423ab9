# SPDX-License-Identifier: GPL-2.0-or-later
"""Static checks of the udev rules and the auto-wipe unit.

- udev parses the rules without a complaint (udevadm test in a private mount
  namespace with the rules in a tmpfs /etc/udev/rules.d; a deliberately bad
  canary file must be reported, so the check is known to work);
- every chmod the rules run leaves the file unreadable and not writable by
  others (no world access to the module's attributes);
- systemd-analyze accepts the unit and rates its exposure at most 2.0.

Checks whose tools are missing (not root, no unshare/udevadm/systemd-analyze)
print SKIP; the rest still run.
"""
import os
import re
import shutil
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
UDEV = os.path.dirname(HERE)
RULES = ["60-espwipe.rules", "61-espwipe-autowipe.rules"]
UNIT = os.path.join(UDEV, "espwipe-autowipe@.service")
MAX_EXPOSURE = 2.0


class Skip(Exception):
    pass


def logical_lines(path):
    """Rule lines with backslash continuations joined, with their first line number."""
    out, buf, start = [], "", 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not buf:
                start = n
            if line.endswith("\\"):
                buf += line[:-1]
                continue
            buf += line
            if buf.strip() and not buf.lstrip().startswith("#"):
                out.append((start, buf))
            buf = ""
    return out


def test_rules_parse_cleanly():
    tool = shutil.which("udevadm")
    if os.geteuid() != 0 or not shutil.which("unshare") or not tool:
        raise Skip("needs root, unshare(1) and udevadm")
    tty = "/sys/class/tty/tty0"
    if not os.path.exists(tty):
        raise Skip("no %s to run udevadm test on" % tty)
    script = ("mount -t tmpfs espwipe-rules /etc/udev/rules.d && cp %s /etc/udev/rules.d/ && "
              "printf 'SUBSYSTEM==\"tty\", ESPWIPE_CANARY=\"x\"\\n' > /etc/udev/rules.d/62-espwipe-canary.rules && "
              "exec %s test --action=add %s" %
              (" ".join(os.path.join(UDEV, r) for r in RULES), tool, tty))
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=60)
    log = p.stdout + p.stderr
    for r in RULES:
        assert "Reading rules file: /etc/udev/rules.d/%s" % r in log, log[-2000:]
    assert "62-espwipe-canary.rules:1" in log, "udevadm did not report the bad canary rule:\n" + log[-2000:]
    complaints = [l for l in log.splitlines()
                  if any(r + ":" in l for r in RULES)]
    assert not complaints, "udev complains about the rules:\n" + "\n".join(complaints)
    # tty0 is no usb-serial port: nothing of ours may apply to it
    assert "ID_MM_DEVICE_IGNORE" not in log and "espwipe-autowipe@" not in log, log[-2000:]


def test_attribute_modes_never_world_accessible():
    seen = 0
    for r in RULES:
        for n, line in logical_lines(os.path.join(UDEV, r)):
            for m in re.finditer(r"chmod\s+(\S+)", line):
                mode = m.group(1)
                assert re.fullmatch(r"0?[0-7]{3}", mode), "%s:%d: use an octal mode, not %s" % (r, n, mode)
                assert int(mode, 8) & 0o007 == 0, "%s:%d: mode %s gives others access" % (r, n, mode)
                seen += 1
            for m in re.finditer(r'MODE\s*=\s*"(\d+)"', line):
                assert int(m.group(1), 8) & 0o007 == 0, "%s:%d: MODE %s" % (r, n, m.group(1))
    assert seen >= 1, "no chmod of the module's attributes found"


def test_rules_match_the_supported_drivers():
    text = open(os.path.join(UDEV, RULES[0])).read()
    for drv in ("ch341-uart", "cp210x"):
        assert drv in text
    assert 'ENV{ID_MM_DEVICE_IGNORE}="1"' in text
    auto = open(os.path.join(UDEV, RULES[1])).read()
    assert 'ENV{SYSTEMD_WANTS}+="espwipe-autowipe@%k.service"' in auto
    assert re.search(r'ACTION=="add",\s*ENV\{SYSTEMD_WANTS\}', auto), "the unit must be wanted on add only"


def analyze(args):
    tool = shutil.which("systemd-analyze")
    if not tool:
        raise Skip("systemd-analyze is not installed")
    return subprocess.run([tool] + args, capture_output=True, text=True, timeout=60)


def test_unit_verifies():
    p = analyze(["verify", UNIT])
    # The binary is not installed where the unit expects it on a build machine.
    problems = [l for l in (p.stdout + p.stderr).splitlines()
                if l.strip() and "/usr/bin/espwipe" not in l]
    assert not problems, "\n".join(problems)


def test_unit_exposure():
    p = analyze(["security", "--offline=yes", UNIT])
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", p.stdout)
    assert m, p.stdout[-2000:] + p.stderr
    level = float(m.group(1))
    print("     systemd-analyze security exposure: %.1f (limit %.1f)" % (level, MAX_EXPOSURE))
    assert level <= MAX_EXPOSURE, p.stdout
    text = open(UNIT).read()
    for must in ("BindsTo=dev-%i.device", "After=dev-%i.device",
                 "ExecStart=/usr/bin/espwipe autowipe /dev/%I", "Type=oneshot",
                 "DevicePolicy=closed", "DeviceAllow=/dev/%I rw", "PrivateNetwork=yes",
                 "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_UNIX", "CapabilityBoundingSet=\n",
                 "RuntimeDirectoryPreserve=yes"):
        assert must in text, must


def main():
    names = [n for n in sorted(globals()) if n.startswith("test_")]
    passed = failed = skipped = 0
    for n in names:
        try:
            globals()[n]()
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (n, e))
        except Exception:  # noqa: BLE001 - report every failure and carry on
            failed += 1
            print("FAIL %s" % n)
            traceback.print_exc()
        else:
            passed += 1
            print("ok   %s" % n)
        sys.stdout.flush()
    print("udev files: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
