# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks of the udev rules and the auto-wipe unit.

- udev parses the rules without a complaint (udevadm test in a private mount
  namespace with the rules in a tmpfs /etc/udev/rules.d; a deliberately bad
  canary file must be reported, so the check is known to work);
- the rules on every kind of port (fakeworld.py: the sysfs of a CH340, a
  CP2102, an FT232R, both FT2232H channels, a PL2303, a CH9102F, a CH343, a
  USB-Serial/JTAG board, an ESP32-S2 in its ROM, a cdc_acm modem, an
  application's CDC port and a usb-serial GSM modem, with the real udevadm):
  exactly the candidates get ESPWIPE_LINK, ID_MM_DEVICE_IGNORE=1,
  root:dialout 0660, the auto-wipe unit, and the module's attributes made
  root:dialout 0220 (on the usb-serial port or cdc_acm's control
  interface); the auto-wipe unit is wanted for all of them but
  usb-serial-jtag; espwipe's own link table (`espwipe list`) says the same
  link for every port; and planted wrong rules (no ID_MM_DEVICE_IGNORE,
  every cdc_acm device, a wrong USB-Serial/JTAG id, both FT2232H channels,
  no attributes on cdc_acm, mode 0666, the unit for usb-serial-jtag) are
  each caught;
- every chmod the rules run leaves the file unreadable and not writable by
  others (no world access to the module's attributes);
- systemd-analyze accepts the unit and rates its exposure at most 2.0.

Checks whose tools are missing (not root, no unshare/udevadm/systemd-analyze)
print SKIP; the rest still run.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
UDEV = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import fakeworld  # noqa: E402
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


def real_rules():
    return {r: open(os.path.join(UDEV, r)).read() for r in RULES}


def espwipe_bin():
    for p in (os.path.join(fakeworld.ROOT, "build", "espwipe"),
              os.path.join(fakeworld.ROOT, "build", "asan", "espwipe")):
        if os.path.exists(p):
            return p
    raise Skip("espwipe is not built")


def world(rule_sets, commands=(), attr_actions=("bind", "change")):
    try:
        return fakeworld.run_world({"rule_sets": rule_sets, "commands": list(commands),
                                    "attr_actions": list(attr_actions)})
    except fakeworld.Unavailable as e:
        raise Skip("fake udev world: %s" % e)


def test_rules_on_every_kind_of_port():
    asan = {"ASAN_OPTIONS": "detect_leaks=0:verify_asan_link_order=0"}
    res = world({"real": real_rules()},
                [{"argv": [espwipe_bin(), "list", "--json"], "env": asan}])
    problems = fakeworld.rules_problems(res, "real")
    assert not problems, "\n".join(problems)
    # espwipe's link table and the rules agree on every port
    listed = {}
    for line in res["commands"][0]["stdout"].splitlines():
        ev = json.loads(line)
        listed[ev["port"]] = ev
    assert res["commands"][0]["code"] == 0, res["commands"][0]["stderr"]
    for d in res["devices"]:
        ev = listed.get("/dev/" + d["tty"])
        assert ev, "espwipe list does not show %s" % d["tty"]
        udev_link = res["sets"]["real"][d["name"]]["tty"]["props"].get("ESPWIPE_LINK")
        assert ev["link"] == d["link"] == udev_link, (d["name"], ev["link"], udev_link)
        assert ev["supported"] is (d["link"] is not None), ev
        assert ev["id_path"].startswith("pci-0000:00:14.0-usb-0:"), ev
    print("     %d ports, %d candidates: rules and link table agree" %
          (len(res["devices"]), sum(1 for d in res["devices"] if d["link"])))


# Planted wrong rules: (name, old text, new text, a device the check must complain about).
MUTANTS = [
    ("no ID_MM_DEVICE_IGNORE", 'ENV{ID_MM_DEVICE_IGNORE}="1", ', "", "usj"),
    ("every cdc_acm device", 'ENV{ESPWIPE_LINK}=="?*", \\',
     'ENV{.ESPWIPE_ACM}=="1", ENV{ESPWIPE_LINK}=="", ENV{ESPWIPE_LINK}="cdc-acm"\n'
     'ENV{ESPWIPE_LINK}=="?*", \\', "modem"),
    ("a wrong USB-Serial/JTAG id", 'ATTRS{idProduct}=="1001", ENV{ESPWIPE_LINK}',
     'ATTRS{idProduct}=="1002", ENV{ESPWIPE_LINK}', "usj"),
    ("both FT2232H channels", 'ENV{ESPWIPE_LINK}="", ENV{.ESPWIPE_FT2232H}="1"', 'ENV{.ESPWIPE_FT2232H}="1"',
     "ft2232h-a"),
    ("no attributes on cdc_acm", 'DRIVER!="cdc_acm", GOTO="espwipe_end"', 'DRIVER!="cdc-acm", GOTO="espwipe_end"',
     "ch9102f"),
    ("tty mode 0666", 'MODE="0660"', 'MODE="0666"', "cp2102"),
]
# ... and in the auto-wipe rules
AUTOWIPE_MUTANTS = [
    ("the unit for usb-serial-jtag", 'ENV{ESPWIPE_LINK}=="usb-serial-jtag", GOTO="espwipe_autowipe_end"\n', "",
     "usj"),
]


def test_planted_wrong_rules_are_caught():
    base = real_rules()
    sets = {}
    for name, old, new, _ in MUTANTS:
        text = base[RULES[0]]
        assert old in text, "mutant %r: %r is not in %s" % (name, old, RULES[0])
        sets[name] = dict(base, **{RULES[0]: text.replace(old, new, 1)})
    for name, old, new, _ in AUTOWIPE_MUTANTS:
        text = base[RULES[1]]
        assert old in text, "mutant %r: %r is not in %s" % (name, old, RULES[1])
        sets[name] = dict(base, **{RULES[1]: text.replace(old, new, 1)})
    res = world(sets, attr_actions=("change",))
    for name, _, _, dev in MUTANTS + AUTOWIPE_MUTANTS:
        problems = fakeworld.rules_problems(res, name)
        assert any(p.startswith(dev) for p in problems), \
            "planted rule %r not caught (problems: %s)" % (name, problems)
    print("     %d planted wrong rules, each caught" % (len(MUTANTS) + len(AUTOWIPE_MUTANTS)))


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
    for drv in ("ch341-uart", "cp210x", "ftdi_sio", "pl2303", "cdc_acm"):
        assert drv in text
    for vid, pid in (("1a86", "55d4"), ("1a86", "55d3"), ("303a", "1001"), ("303a", "0002")):
        assert re.search(r'ATTRS\{idVendor\}=="%s", ATTRS\{idProduct\}=="[0-9a-f|]*%s' % (vid, pid), text), \
            (vid, pid)
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
