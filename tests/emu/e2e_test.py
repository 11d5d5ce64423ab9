#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end test of espemu on a real pty with libespemu-lines.so.

usage: e2e_test.py ESPEMU LIBESPEMU_LINES_SO

Starts espemu, then runs itself as a client under LD_PRELOAD=shim: the
client listens to the boot banner at 74880 baud, does the UnixTight DTR/RTS
reset, syncs, reads the magic register and erases a region through
FLASH_BEGIN.  The parent then checks espemu's JSON report (line changes,
resets, erase log) and that espemu exited when the port was closed.  A
second client does the same against an emulated ESP32-C3: banner at 115200,
4-byte status, GET_SECURITY_INFO, SPI_ATTACH, a 5-word FLASH_BEGIN that
erases exactly its range, and SPI_FLASH_MD5.
Prints "N passed, N failed" last; exit status 0 only if nothing failed.
"""
import errno
import fcntl
import hashlib
import json
import os
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time

TIOCMSET = 0x5418
TIOCMGET = 0x5415
TIOCM_DTR = 0x002
TIOCM_RTS = 0x004


# ---------------------------------------------------------------- client side

def slip(body):
    out = bytearray(b"\xc0")
    for b in body:
        if b == 0xC0:
            out += b"\xdb\xdc"
        elif b == 0xDB:
            out += b"\xdb\xdd"
        else:
            out.append(b)
    out += b"\xc0"
    return bytes(out)


def request(op, data=b"", csum=0):
    return slip(struct.pack("<BBHI", 0, op, len(data), csum) + data)


class Port:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        self.buf = bytearray()
        self.pending = []

    def set_baud(self, baud):
        # standard rates through termios; 74880 needs termios2 (BOTHER)
        attrs = termios.tcgetattr(self.fd)
        attrs[0] = 0
        attrs[1] = 0
        attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
        attrs[3] = 0
        attrs[6][termios.VMIN] = 0
        attrs[6][termios.VTIME] = 0
        if baud == 115200:
            attrs[4] = attrs[5] = termios.B115200
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
            return
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        TCGETS2, TCSETS2, BOTHER, CBAUD = 0x802C542A, 0x402C542B, 0o010000, 0o010017
        buf = bytearray(44)
        fcntl.ioctl(self.fd, TCGETS2, buf)
        cflag = struct.unpack_from("<I", buf, 8)[0]
        struct.pack_into("<I", buf, 8, (cflag & ~CBAUD) | BOTHER)
        struct.pack_into("<II", buf, 36, baud, baud)
        fcntl.ioctl(self.fd, TCSETS2, buf)

    def lines(self, dtr, rts):
        bits = (TIOCM_DTR if dtr else 0) | (TIOCM_RTS if rts else 0)
        fcntl.ioctl(self.fd, TIOCMSET, struct.pack("i", bits))

    def flush_input(self):
        termios.tcflush(self.fd, termios.TCIFLUSH)
        self.buf = bytearray()
        self.pending = []

    def write(self, data):
        os.write(self.fd, data)

    def read_for(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.buf += os.read(self.fd, 4096)

    def frames(self):
        """Complete frames in the buffer (decoded), consuming them."""
        out = []
        while True:
            try:
                start = self.buf.index(0xC0)
                end = self.buf.index(0xC0, start + 1)
            except ValueError:
                return out
            body = bytes(self.buf[start + 1:end])
            del self.buf[:end + 1]
            if not body:
                self.buf[0:0] = b"\xc0"  # C0 C0: the second starts a frame
                continue
            out.append(body.replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb"))

    def wait_frame(self, op, timeout):
        """First reply frame with this op; later frames stay in self.pending."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pending += self.frames()
            while self.pending:
                f = self.pending.pop(0)
                if len(f) >= 10 and f[0] == 1 and f[1] == op:
                    return f
            self.read_for(0.005)
        return None


def client(path):
    """Runs under LD_PRELOAD; prints one JSON line of observations."""
    obs = {}
    p = Port(path)
    p.set_baud(74880)
    # UnixTightReset (d = 50 ms)
    for dtr, rts in ((False, False), (True, True), (False, True)):
        p.lines(dtr, rts)
    time.sleep(0.1)
    p.lines(True, False)
    time.sleep(0.05)
    p.lines(False, False)
    p.read_for(0.05)
    obs["banner"] = bytes(p.buf).decode("latin-1")
    p.set_baud(115200)
    sync = request(0x08, b"\x07\x07\x12\x20" + b"\x55" * 32)
    obs["sync_tries"] = 0
    replies = []
    for _ in range(5):
        p.flush_input()
        obs["sync_tries"] += 1
        p.write(sync)
        first = p.wait_frame(0x08, 0.1)
        if first:
            p.read_for(0.05)
            replies = [first] + [f for f in p.pending + p.frames() if f[1] == 0x08]
            break
    obs["sync_replies"] = [r.hex() for r in replies]
    p.flush_input()
    p.write(request(0x0A, struct.pack("<I", 0x40001000)))
    f = p.wait_frame(0x0A, 1.0)
    obs["magic_reply"] = f.hex() if f else None
    # FLASH_BEGIN: 2 sectors at 0x1000 (the ROM erases 4), 0x400 blocks
    t0 = time.monotonic()
    p.write(request(0x02, struct.pack("<IIII", 2 * 4096, 8, 0x400, 0x1000)))
    f = p.wait_frame(0x02, 5.0)
    obs["erase_reply"] = f.hex() if f else None
    obs["erase_s"] = time.monotonic() - t0
    try:
        obs["tiocmget"] = struct.unpack("i", fcntl.ioctl(p.fd, TIOCMGET, b"\0\0\0\0"))[0]
    except OSError as e:
        obs["tiocmget"] = -e.errno
    os.close(p.fd)
    print(json.dumps(obs))
    return 0


def client32(path):
    """The ESP32-C3 client: same reset, then family-only requests."""
    obs = {}
    p = Port(path)
    p.set_baud(115200)
    for dtr, rts in ((False, False), (True, True), (False, True)):
        p.lines(dtr, rts)
    time.sleep(0.1)
    p.lines(True, False)
    time.sleep(0.05)
    p.lines(False, False)
    p.read_for(0.08)
    obs["banner"] = bytes(p.buf).decode("latin-1")
    sync = request(0x08, b"\x07\x07\x12\x20" + b"\x55" * 32)
    replies = []
    for _ in range(5):
        p.flush_input()
        p.write(sync)
        first = p.wait_frame(0x08, 0.1)
        if first:
            p.read_for(0.05)
            replies = [first] + [f for f in p.pending + p.frames() if f[1] == 0x08]
            break
    obs["sync_replies"] = [r.hex() for r in replies]
    p.flush_input()
    p.write(request(0x14))
    f = p.wait_frame(0x14, 1.0)
    obs["security_info"] = f.hex() if f else None
    p.write(request(0x0D, b"\0" * 8))
    f = p.wait_frame(0x0D, 1.0)
    obs["attach"] = f.hex() if f else None
    p.write(request(0x02, struct.pack("<IIIII", 2 * 4096, 8, 0x400, 0x1000, 0)))
    f = p.wait_frame(0x02, 5.0)
    obs["erase_reply"] = f.hex() if f else None
    p.write(request(0x13, struct.pack("<IIII", 0x1000, 2 * 4096, 0, 0)))
    f = p.wait_frame(0x13, 5.0)
    obs["md5_reply"] = f.hex() if f else None
    os.close(p.fd)
    print(json.dumps(obs))
    return 0


# ---------------------------------------------------------------- test side

class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print(f"PASS {name}")
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}")


def start_espemu(espemu, tmp, *extra):
    lines = os.path.join(tmp, "lines.sock")
    report = os.path.join(tmp, "report.json")
    proc = subprocess.Popen(
        [espemu, "--lines-socket=" + lines, "--report=" + report, "--exit-when-closed",
         "--time-scale=100", *extra],
        stdout=subprocess.PIPE, text=True)
    slave = proc.stdout.readline().strip()
    return proc, slave, lines, report


def main(argv):
    if len(argv) == 3 and argv[1] == "--client":
        return client(argv[2])
    if len(argv) == 3 and argv[1] == "--client32":
        return client32(argv[2])
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    espemu, shim = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    c = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        # 1. without the shim a pty has no modem lines
        proc, slave, _, _ = start_espemu(espemu, tmp)
        fd = os.open(slave, os.O_RDWR | os.O_NOCTTY)
        try:
            fcntl.ioctl(fd, TIOCMSET, struct.pack("i", TIOCM_DTR))
            err = 0
        except OSError as e:
            err = e.errno
        os.close(fd)
        c.check("pty without shim: TIOCMSET fails", err in (errno.ENOTTY, errno.EINVAL),
                f"errno {err}")
        try:
            proc.wait(timeout=5)
            c.check("exit-when-closed after first host close", proc.returncode == 0,
                    f"rc {proc.returncode}")
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            c.check("exit-when-closed after first host close", False, "still running")

        # 2. the full client under the shim
        proc, slave, lines, report = start_espemu(espemu, tmp)
        env = dict(os.environ, LD_PRELOAD=shim, ESPEMU_LINES_SOCKET=lines)
        env.pop("ASAN_OPTIONS", None)
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--client", slave],
                             env=env, capture_output=True, text=True, timeout=60)
        try:
            obs = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            obs = {}
            print(out.stdout, out.stderr, file=sys.stderr)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait()
        c.check("espemu exited cleanly", proc.returncode == 0, f"rc {proc.returncode}")
        c.check("banner readable at 74880", "boot mode:(1,6)" in obs.get("banner", ""),
                repr(obs.get("banner")))
        reps = obs.get("sync_replies", [])
        c.check("first SYNC lost, second answered", obs.get("sync_tries") == 2,
                f"tries {obs.get('sync_tries')}")
        c.check("8 identical SYNC replies",
                len(reps) == 8 and all(r == "0108020007071220" + "0000" for r in reps),
                str(reps))
        c.check("READ_REG magic reply bytes",
                obs.get("magic_reply") == "010a020001c1f0ff0000", str(obs.get("magic_reply")))
        er_reply = obs.get("erase_reply") or ""
        c.check("FLASH_BEGIN reply OK (value repeats the magic)",
                er_reply == "0102020001c1f0ff0000", er_reply)
        c.check("shim TIOCMGET reports DTR/RTS clear",
                obs.get("tiocmget", -1) >= 0 and not obs["tiocmget"] & (TIOCM_DTR | TIOCM_RTS),
                str(obs.get("tiocmget")))
        try:
            with open(report) as f:
                rep = json.load(f)
        except (OSError, ValueError) as e:
            rep = {}
            print(f"report: {e}", file=sys.stderr)
        st = rep.get("stats", {})
        c.check("report: mode loader", rep.get("mode") == "loader", rep.get("mode"))
        c.check("report: one reset, one loader boot",
                st.get("resets") == 1 and st.get("boots_loader") == 1, str(st))
        ev = [(e["dtr"], e["rts"]) for e in rep.get("line_events", [])]
        c.check("report: UnixTight line sequence",
                ev == [(True, True), (False, True), (True, False), (False, False)], str(ev))
        er = [(e["kind"], e["offset"]) for e in rep.get("erase_events", [])]
        c.check("report: ROM erased 4 sectors for 2 sent",
                er == [("S", 0x1000), ("S", 0x2000), ("S", 0x3000), ("S", 0x4000)], str(er))
        c.check("report: flash_busy 4 x 45 ms", st.get("flash_busy_us") == 180000,
                str(st.get("flash_busy_us")))
        c.check("erase reply waited for the (scaled) erase time",
                obs.get("erase_s", 0) >= 0.0018, str(obs.get("erase_s")))
        c.check("report: SYNC frames 2, commands 08/0a/02",
                st.get("sync_frames") == 2 and
                st.get("commands") == {"0x02": 1, "0x08": 1, "0x0a": 1}, str(st))

        # 3. an ESP32-C3 on the same pty path
        proc, slave, lines, report = start_espemu(espemu, tmp, "--chip=esp32c3",
                                                  "--flash-prefill=1", "--md5-us-per-mib=0")
        env = dict(os.environ, LD_PRELOAD=shim, ESPEMU_LINES_SOCKET=lines)
        env.pop("ASAN_OPTIONS", None)
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--client32", slave],
                             env=env, capture_output=True, text=True, timeout=60)
        try:
            obs = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            obs = {}
            print(out.stdout, out.stderr, file=sys.stderr)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait()
        c.check("esp32c3: espemu exited cleanly", proc.returncode == 0, f"rc {proc.returncode}")
        ban = obs.get("banner", "")
        c.check("esp32c3: banner readable at 115200, download mode",
                "ESP-ROM:esp32c3-api1-20210207" in ban and "boot:0x5 (DOWNLOAD(USB/UART0/1))"
                in ban and "waiting for download" in ban, repr(ban))
        reps = obs.get("sync_replies", [])
        c.check("esp32c3: 8 SYNC replies with 4 status bytes",
                len(reps) == 8 and all(r == "010804000707122000000000" for r in reps), str(reps))
        si = obs.get("security_info") or ""
        c.check("esp32c3: security info 20 bytes + 4 status, chip id 5",
                si == "01141800" + "07071220" + "00" * 12 + "05000000" + "00000000" + "00" * 4,
                si)
        c.check("esp32c3: SPI_ATTACH OK", obs.get("attach") == "010d04000707122000000000",
                str(obs.get("attach")))
        c.check("esp32c3: FLASH_BEGIN (5 words) OK",
                obs.get("erase_reply") == "010204000707122000000000", str(obs.get("erase_reply")))
        md5 = bytes.fromhex(obs.get("md5_reply") or "")
        c.check("esp32c3: MD5 of the erased range, 32 hex digits + 00 00 00 00",
                md5[:4] == b"\x01\x13\x24\x00" and md5[8:40] ==
                hashlib.md5(b"\xff" * 8192).hexdigest().encode() and md5[40:] == b"\0" * 4,
                md5.hex())
        try:
            with open(report) as f:
                rep = json.load(f)
        except (OSError, ValueError):
            rep = {}
        er = [(e["kind"], e["offset"]) for e in rep.get("erase_events", [])]
        c.check("esp32c3: report: exactly the 2 sectors sent, words [5], chip",
                er == [("S", 0x1000), ("S", 0x2000)] and rep.get("flash_begin_words") == [5]
                and rep.get("chip") == "esp32c3" and rep.get("stats", {}).get("md5_requests") == 1,
                str((er, rep.get("flash_begin_words"), rep.get("chip"))))
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
