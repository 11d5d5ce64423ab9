# SPDX-License-Identifier: GPL-2.0-or-later
"""A fake udev world: the sysfs of every kind of port espwipe knows, and of
the ones it must leave alone, with the real udevadm and the real espwipe.

run_world(job) runs this file as root in a private mount namespace
(unshare -m).  There, tmpfs file systems replace /sys, /run, /dev and the
udev rules directories; the sysfs trees of DEVICES are built on /sys as the
kernel would show them (usb_device, usb_interface, usb-serial port or
cdc_acm control interface, tty, /sys/class/tty and /sys/dev/char links);
build/udev-tests/fakesysfs.so makes systemd's sd-device take that tmpfs for
sysfs.  Then, for each rules set of the job:

  - `udevadm test --action=add` on every tty (udev's own rule engine, with
    our rules and Debian's 60-serial.rules for ID_PATH and ID_SERIAL), and
    --action=bind and change on the device that carries espwipe.ko's
    attributes (the usb-serial port, or cdc_acm's control interface);
  - the node's owner and mode afterwards, the properties udev stored, and
    the RUN commands it would have run;

and last the job's commands (espwipe list, espwipe autowipe, ...) with the
database udevadm left in /run/udev/data.  A tty may stand for a pty (an
espemu board): the pty slave is bind-mounted on /dev/<tty> and the fake tty
gets its device number, so espwipe's udev lookups find the fake record
while its bytes and (with libespemu-lines.so) its modem lines reach espemu.

Nothing outside the namespace changes.  Needs root, unshare(1), udevadm.
"""
import grp
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FAKESYSFS = os.path.join(ROOT, "build", "udev-tests", "fakesysfs.so")
SERIAL_RULES = "/usr/lib/udev/rules.d/60-serial.rules"

USB_ROOT = "devices/pci0000:00/0000:00:14.0/usb1"

# name, tty, bus, vid, pid, usb driver, usb-serial driver, interface, USB port, serial, product,
# expected link (None: never a candidate)
DEVICES = [
    dict(name="ch340", tty="ttyUSB0", bus="usb-serial", vid="1a86", pid="7523", usb_driver="ch341",
         serial_driver="ch341-uart", iface=0, port="1-1", serial=None, product="USB Serial",
         link="ch341"),
    dict(name="cp2102", tty="ttyUSB1", bus="usb-serial", vid="10c4", pid="ea60", usb_driver="cp210x",
         serial_driver="cp210x", iface=0, port="1-2", serial="LAB-0042",
         product="CP2102N USB to UART Bridge Controller", link="cp210x"),
    dict(name="ft232r", tty="ttyUSB2", bus="usb-serial", vid="0403", pid="6001", usb_driver="ftdi_sio",
         serial_driver="ftdi_sio", iface=0, port="1-3", serial="A50285BI", product="FT232R USB UART",
         link="ftdi"),
    dict(name="ft2232h-a", tty="ttyUSB3", bus="usb-serial", vid="0403", pid="6010", usb_driver="ftdi_sio",
         serial_driver="ftdi_sio", iface=0, port="1-4", serial=None, product="Dual RS232-HS", link=None),
    dict(name="ft2232h-b", tty="ttyUSB4", bus="usb-serial", vid="0403", pid="6010", usb_driver="ftdi_sio",
         serial_driver="ftdi_sio", iface=1, port="1-4", serial=None, product="Dual RS232-HS", link="ftdi"),
    dict(name="pl2303", tty="ttyUSB5", bus="usb-serial", vid="067b", pid="2303", usb_driver="pl2303",
         serial_driver="pl2303", iface=0, port="1-5", serial=None, product="USB-Serial Controller",
         link="pl2303"),
    dict(name="ch9102f", tty="ttyACM0", bus="acm", vid="1a86", pid="55d4", usb_driver="cdc_acm",
         serial_driver=None, iface=0, port="1-6", serial="5434012345", product="USB Single Serial",
         link="cdc-acm"),
    dict(name="ch343", tty="ttyACM1", bus="acm", vid="1a86", pid="55d3", usb_driver="cdc_acm",
         serial_driver=None, iface=0, port="1-7", serial="0123456789", product="USB Single Serial",
         link="cdc-acm"),
    dict(name="usj", tty="ttyACM2", bus="acm", vid="303a", pid="1001", usb_driver="cdc_acm",
         serial_driver=None, iface=0, port="1-8", serial="AA:BB:CC:DD:EE:FF",
         product="USB JTAG/serial debug unit", link="usb-serial-jtag"),
    dict(name="s2-otg", tty="ttyACM3", bus="acm", vid="303a", pid="0002", usb_driver="cdc_acm",
         serial_driver=None, iface=0, port="1-9", serial="0", product="ESP32-S2", link="cdc-acm"),
    dict(name="modem", tty="ttyACM4", bus="acm", vid="2c7c", pid="0125", usb_driver="cdc_acm",
         serial_driver=None, iface=2, port="1-10", serial="123456789012345", product="EC25", link=None),
    dict(name="app-cdc", tty="ttyACM5", bus="acm", vid="303a", pid="4001", usb_driver="cdc_acm",
         serial_driver=None, iface=0, port="1-11", serial="3C:71:BF:00:11:22", product="TinyUSB CDC",
         link=None),
    dict(name="gsm-option", tty="ttyUSB6", bus="usb-serial", vid="1e0e", pid="9001", usb_driver="option",
         serial_driver="option1", iface=2, port="1-12", serial=None, product="SimTech", link=None),
]

MAJOR = {"ttyUSB": 188, "ttyACM": 166}


# ---- outside: run a job in a namespace ----

class Unavailable(Exception):
    """This machine cannot run the fake world (not root, no unshare/udevadm, no shim)."""


def check_available():
    if os.geteuid() != 0:
        raise Unavailable("needs root (mount namespaces)")
    for tool in ("unshare", "udevadm", "mount"):
        if not shutil.which(tool):
            raise Unavailable("needs %s" % tool)
    if not os.path.exists(FAKESYSFS):
        raise Unavailable("%s is not built" % FAKESYSFS)


def run_world(job, timeout=300):
    """Run job (a dict, see inner_main) in a fresh namespace; returns its result dict."""
    check_available()
    with tempfile.TemporaryDirectory(prefix="espwipe-world-") as tmp:
        jpath = os.path.join(tmp, "job.json")
        job = dict(job, stage=tmp)
        if os.path.exists(SERIAL_RULES) and "serial_rules" not in job:
            with open(SERIAL_RULES) as f:
                job["serial_rules"] = f.read()
        with open(jpath, "w") as f:
            json.dump(job, f)
        p = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                            os.path.abspath(__file__), jpath], capture_output=True, text=True,
                           timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("fake world failed (%d):\n%s\n%s" % (p.returncode, p.stdout[-3000:],
                                                                    p.stderr[-3000:]))
        return json.loads(p.stdout)


# ---- inside ----

def sh(*argv):
    subprocess.run(list(argv), check=True)


def write(path, text=""):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def link(target, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.lexists(path):
        os.symlink(os.path.relpath(target, os.path.dirname(path)), path)


def device_dir(path, subsystem, uevent, driver=None, attrs=None):
    os.makedirs(path, exist_ok=True)
    link("/sys/" + subsystem, os.path.join(path, "subsystem"))
    if driver:
        ddir = "/sys/%s/drivers/%s" % ("bus/" + subsystem.split("/")[-1] if subsystem.startswith("bus/")
                                       else subsystem, driver)
        os.makedirs(ddir, exist_ok=True)
        link(ddir, os.path.join(path, "driver"))
    write(os.path.join(path, "uevent"), "".join("%s=%s\n" % kv for kv in uevent))
    for k, v in (attrs or {}).items():
        write(os.path.join(path, k), "%s\n" % v)


def build_sysfs(devices, ptys, module=True):
    for d in ("bus/usb/drivers", "bus/usb-serial/drivers", "bus/pci/drivers", "class/tty", "dev/char",
              "bus/usb/devices", "bus/usb-serial/devices"):
        os.makedirs("/sys/" + d, exist_ok=True)
    pci = "/sys/devices/pci0000:00/0000:00:14.0"
    os.makedirs("/sys/devices/pci0000:00", exist_ok=True)
    write("/sys/devices/pci0000:00/uevent")
    device_dir(pci, "bus/pci", [("DRIVER", "xhci_hcd"), ("PCI_SLOT_NAME", "0000:00:14.0")],
               driver="xhci_hcd", attrs={"vendor": "0x8086", "device": "0xa36d", "class": "0x0c0330"})
    hub = "/sys/" + USB_ROOT
    device_dir(hub, "bus/usb", [("DEVTYPE", "usb_device"), ("BUSNUM", "001"), ("DEVNUM", "001")],
               driver="usb", attrs={"idVendor": "1d6b", "idProduct": "0002", "busnum": "1", "devnum": "1"})
    counts = {}
    for i, d in enumerate(devices):
        prefix = re.match(r"(ttyUSB|ttyACM)", d["tty"]).group(1)
        udev = "%s/%s" % (hub, d["port"])
        if not os.path.exists(udev):
            attrs = {"idVendor": d["vid"], "idProduct": d["pid"], "product": d["product"],
                     "manufacturer": "Espwipe Test", "bcdDevice": "0100", "busnum": "1",
                     "devnum": str(2 + i), "bDeviceClass": "00", "bNumInterfaces": " 1"}
            if d["serial"]:
                attrs["serial"] = d["serial"]
            device_dir(udev, "bus/usb", [("DEVTYPE", "usb_device"), ("DRIVER", "usb"),
                                         ("PRODUCT", "%x/%x/100" % (int(d["vid"], 16), int(d["pid"], 16))),
                                         ("BUSNUM", "001"), ("DEVNUM", "%03d" % (2 + i))],
                       driver="usb", attrs=attrs)
            link(udev, "/sys/bus/usb/devices/" + d["port"])
        intf_name = "%s:1.%d" % (d["port"], d["iface"])
        intf = "%s/%s" % (udev, intf_name)
        cls = "02" if d["bus"] == "acm" else "ff"
        device_dir(intf, "bus/usb", [("DEVTYPE", "usb_interface"), ("DRIVER", d["usb_driver"]),
                                     ("INTERFACE", "%d/2/1" % int(cls, 16))],
                   driver=d["usb_driver"],
                   attrs={"bInterfaceNumber": "%02x" % d["iface"], "bInterfaceClass": cls,
                          "bInterfaceSubClass": "02" if d["bus"] == "acm" else "ff",
                          "bInterfaceProtocol": "01" if d["bus"] == "acm" else "ff",
                          "bAlternateSetting": " 0", "bNumEndpoints": "03"})
        link(intf, "/sys/bus/usb/devices/" + intf_name)
        if d["bus"] == "acm":
            # cdc_acm claims the data interface too
            data = "%s/%s:1.%d" % (udev, d["port"], d["iface"] + 1)
            device_dir(data, "bus/usb", [("DEVTYPE", "usb_interface"), ("DRIVER", "cdc_acm"),
                                         ("INTERFACE", "10/0/0")], driver="cdc_acm",
                       attrs={"bInterfaceNumber": "%02x" % (d["iface"] + 1), "bInterfaceClass": "0a"})
            holder = intf
        else:
            holder = "%s/%s" % (intf, d["tty"])
            device_dir(holder, "bus/usb-serial", [("DRIVER", d["serial_driver"])],
                       driver=d["serial_driver"], attrs={"port_number": "0"})
            link(holder, "/sys/bus/usb-serial/devices/" + d["tty"])
        d["holder"] = holder
        # espwipe.ko's attributes, root-only as the module makes them (on every device: the
        # rules must widen them on exactly the candidates)
        for a in ("enter_bootloader", "reset") if module else ():
            write(os.path.join(holder, a))
            os.chmod(os.path.join(holder, a), 0o200)
        for a, v in (("bootloader_sequence", "U0,1|W0.1|U1,0|W0.05|U0,0"),
                     ("reset_sequence", "U0,1|W0.1|U0,0"), ("link", d["link"] or "none")) if module else ():
            write(os.path.join(holder, a), v + "\n")
            os.chmod(os.path.join(holder, a), 0o644)
        pty = ptys.get(d["tty"])
        if pty:
            st = os.stat(pty)
            major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
        else:
            major = MAJOR[prefix]
            minor = counts.get(prefix, 0)
        counts[prefix] = counts.get(prefix, 0) + 1
        tty = "%s/tty/%s" % (holder, d["tty"])
        device_dir(tty, "class/tty", [("MAJOR", major), ("MINOR", minor), ("DEVNAME", d["tty"])],
                   attrs={"dev": "%d:%d" % (major, minor)})
        link(holder, os.path.join(tty, "device"))
        link(tty, "/sys/class/tty/" + d["tty"])
        link(tty, "/sys/dev/char/%d:%d" % (major, minor))
        d["devnum"] = (major, minor)
        d["tty_syspath"] = "/sys/class/tty/" + d["tty"]


def make_dev(devices, ptys, stage):
    # keep the real ptys reachable: espemu's boards are there
    os.makedirs(os.path.join(stage, "pts"), exist_ok=True)
    sh("mount", "--bind", "/dev/pts", os.path.join(stage, "pts"))
    sh("mount", "-t", "tmpfs", "espwipe-dev", "/dev")
    os.makedirs("/dev/pts")
    sh("mount", "--bind", os.path.join(stage, "pts"), "/dev/pts")
    for name, (maj, mnr) in (("null", (1, 3)), ("zero", (1, 5)), ("urandom", (1, 9)), ("random", (1, 8))):
        os.mknod("/dev/" + name, 0o20666, os.makedev(maj, mnr))
        os.chmod("/dev/" + name, 0o666)
    os.symlink("/proc/self/fd", "/dev/fd")
    for d in devices:
        node = "/dev/" + d["tty"]
        pty = ptys.get(d["tty"])
        if pty:
            write(node)
            sh("mount", "--bind", pty, node)
        else:
            os.mknod(node, 0o20600, os.makedev(*d["devnum"]))
            os.chmod(node, 0o600)
            os.chown(node, 0, 0)


def install_rules(rules, serial_rules):
    for f in os.listdir("/etc/udev/rules.d"):
        os.unlink(os.path.join("/etc/udev/rules.d", f))
    for name, text in rules.items():
        write(os.path.join("/etc/udev/rules.d", name), text)
    if serial_rules:
        write("/etc/udev/rules.d/60-serial.rules", serial_rules)


def udevadm_test(action, syspath):
    env = dict(os.environ, LD_PRELOAD=FAKESYSFS, SYSTEMD_LOG_LEVEL="debug")
    p = subprocess.run(["udevadm", "test", "--action=" + action, syspath], capture_output=True,
                       text=True, env=env, timeout=60)
    out = p.stdout + p.stderr
    props, runs = {}, []
    tail = out.split("some values may be different", 1)
    for line in (tail[1] if len(tail) > 1 else "").splitlines():
        m = re.match(r"^([A-Z_][A-Z0-9_.]*)=(.*)$", line)
        if m:
            props[m.group(1)] = m.group(2)
        m = re.match(r"^run: '(.*)'$", line)
        if m:
            runs.append(m.group(1))
    complaints = [l for l in out.splitlines() if "espwipe" in l and
                  re.search(r"(invalid|unknown|ignoring|failed to|error)", l, re.I)
                  and "Failed to read $container" not in l]
    return {"code": p.returncode, "props": props, "runs": runs, "complaints": complaints,
            "log": out[-1500:]}


def node_state(node):
    try:
        st = os.stat(node)
    except OSError:
        return None
    return {"uid": st.st_uid, "gid": st.st_gid, "mode": st.st_mode & 0o7777}


def reset_node(d, ptys):
    if not ptys.get(d["tty"]):
        os.chmod("/dev/" + d["tty"], 0o600)
        os.chown("/dev/" + d["tty"], 0, 0)


def inner_main(jpath):
    """The job (JSON): devices (default DEVICES), ptys {tty: pty slave path}, module (plant
    espwipe.ko's attributes, default true), rule_sets {name: {file: text}} to test,
    attr_actions (default bind, change), udev_db_rules (rules whose udev database the
    commands see; else the last rule set's), serial_rules (60-serial.rules text), and
    commands [{argv, env, preload [libs after fakesysfs.so], timeout}]."""
    with open(jpath) as f:
        job = json.load(f)
    devices = [dict(d) for d in job.get("devices", DEVICES)]
    ptys = job.get("ptys", {})
    stage = job["stage"]
    sh("mount", "-t", "tmpfs", "espwipe-sys", "/sys")
    sh("mount", "-t", "tmpfs", "espwipe-run", "/run")
    sh("mount", "-t", "tmpfs", "espwipe-rules", "/etc/udev/rules.d")
    if os.path.isdir("/usr/lib/udev/rules.d"):
        sh("mount", "-t", "tmpfs", "espwipe-sysrules", "/usr/lib/udev/rules.d")
    build_sysfs(devices, ptys, job.get("module", True))
    make_dev(devices, ptys, stage)
    result = {"dialout_gid": grp.getgrnam("dialout").gr_gid, "sets": {}, "commands": [],
              "devices": [{k: d[k] for k in ("name", "tty", "link", "holder")} for d in devices]}
    if job.get("udev_db_rules"):
        # the database the commands read: udev's record of every tty, as after a plug-in
        install_rules(job["udev_db_rules"], job.get("serial_rules"))
        for d in devices:
            udevadm_test("add", d["tty_syspath"])
    for set_name, rules in job.get("rule_sets", {}).items():
        install_rules(rules, job.get("serial_rules"))
        shutil.rmtree("/run/udev", ignore_errors=True)
        per = {}
        for d in devices:
            reset_node(d, ptys)
            tty = udevadm_test("add", d["tty_syspath"])
            tty["node"] = node_state("/dev/" + d["tty"])
            attrs = {a: udevadm_test(a, d["holder"]) for a in job.get("attr_actions", ["bind", "change"])}
            per[d["name"]] = {"tty": tty, "attrs": attrs}
        result["sets"][set_name] = per
    for cmd in job.get("commands", []):
        env = dict(os.environ)
        env.update(cmd.get("env", {}))
        pre = [FAKESYSFS] + cmd.get("preload", [])
        env["LD_PRELOAD"] = " ".join(pre)
        p = subprocess.run(cmd["argv"], capture_output=True, text=True, env=env,
                           timeout=cmd.get("timeout", 120))
        result["commands"].append({"argv": cmd["argv"], "code": p.returncode, "stdout": p.stdout,
                                   "stderr": p.stderr})
    json.dump(result, sys.stdout)


# ---- the rules' expected effect, for every device ----

def rules_problems(result, set_name):
    """What is wrong with a rules set's effect on the fake devices (empty: nothing)."""
    problems = []
    gid = result["dialout_gid"]
    per = result["sets"][set_name]
    for d in result["devices"]:
        r = per[d["name"]]
        props, node = r["tty"]["props"], r["tty"]["node"]
        want = d["link"]
        if r["tty"]["complaints"]:
            problems.append("%s: udev complains: %s" % (d["name"], r["tty"]["complaints"]))
        if want:
            if props.get("ESPWIPE_LINK") != want:
                problems.append("%s: ESPWIPE_LINK=%r, expected %r" % (d["name"], props.get("ESPWIPE_LINK"), want))
            if props.get("ID_MM_DEVICE_IGNORE") != "1":
                problems.append("%s: no ID_MM_DEVICE_IGNORE=1" % d["name"])
            if props.get("ESPWIPE_PORT") != "1":
                problems.append("%s: no ESPWIPE_PORT=1" % d["name"])
            # not for usb-serial-jtag: its re-enumerations would restart the unit (udev/README.md)
            wants = None if want == "usb-serial-jtag" else "espwipe-autowipe@%s.service" % d["tty"]
            if props.get("SYSTEMD_WANTS") != wants:
                problems.append("%s: SYSTEMD_WANTS=%r, expected %r" % (d["name"], props.get("SYSTEMD_WANTS"),
                                                                       wants))
            if ":systemd:" not in props.get("TAGS", ""):
                problems.append("%s: no systemd tag" % d["name"])
            if not node or node["gid"] != gid or node["mode"] != 0o660:
                problems.append("%s: node %s, expected root:dialout 0660" % (d["name"], node))
        else:
            for k in ("ESPWIPE_LINK", "ID_MM_DEVICE_IGNORE", "ESPWIPE_PORT", "SYSTEMD_WANTS"):
                if props.get(k):
                    problems.append("%s (not a candidate): %s=%s" % (d["name"], k, props[k]))
            if node and (node["gid"] == gid or node["mode"] != 0o600):
                problems.append("%s (not a candidate): node changed to %s" % (d["name"], node))
        for action, a in r["attrs"].items():
            mine = [c for c in a["runs"] if "enter_bootloader" in c or "/reset" in c]
            if a["complaints"]:
                problems.append("%s %s: udev complains: %s" % (d["name"], action, a["complaints"]))
            if not want:
                if mine:
                    problems.append("%s (not a candidate) %s: runs %s" % (d["name"], action, mine))
                continue
            attrs = [os.path.join(d["holder"], x) for x in ("enter_bootloader", "reset")]
            chgrp = [c for c in mine if c.startswith("/bin/chgrp dialout ")]
            chmod = [c for c in mine if c.startswith("/bin/chmod 0220 ")]
            if not chgrp or not chmod or not all(x in chgrp[0] and x in chmod[0] for x in attrs):
                problems.append("%s %s: the attributes are not made root:dialout 0220 (%s)"
                                % (d["name"], action, mine))
            if any("sequence" in c or "/link" in c for c in mine):
                problems.append("%s %s: the sequences or link are touched: %s" % (d["name"], action, mine))
    return problems


if __name__ == "__main__":
    inner_main(sys.argv[1])
