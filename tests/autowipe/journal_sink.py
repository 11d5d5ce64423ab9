# SPDX-License-Identifier: GPL-2.0-or-later
"""Stand in for journald's native socket, then run a command.

Run inside a private mount namespace with a fresh tmpfs on /run (the test
does that with unshare), so the command's sd_journal_send() lands here:

    journal_sink.py OUT.json CMD ARGS...

Writes OUT.json: {"code": exit code, "stdout": ..., "stderr": ..., "entries":
[{field: value}, ...]} with every datagram the command sent, decoded from the
native protocol (KEY=value lines, or KEY\\n + 64-bit little-endian length +
value + \\n for values that contain a newline).
"""
import json
import os
import socket
import struct
import subprocess
import sys

SOCKET = "/run/systemd/journal/socket"


def decode(dgram):
    fields = {}
    pos = 0
    while pos < len(dgram):
        nl = dgram.index(b"\n", pos)
        line = dgram[pos:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            pos = nl + 1
        else:
            k = line
            (n,) = struct.unpack("<Q", dgram[nl + 1:nl + 9])
            v = dgram[nl + 9:nl + 9 + n]
            pos = nl + 9 + n + 1
        fields[k.decode()] = v.decode(errors="replace")
    return fields


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    os.makedirs(os.path.dirname(SOCKET), exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(SOCKET)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    sock.setblocking(False)
    entries = []
    while True:
        try:
            entries.append(decode(sock.recv(1 << 20)))
        except BlockingIOError:
            break
    with open(out, "w") as f:
        json.dump({"code": p.returncode, "stdout": p.stdout, "stderr": p.stderr,
                   "entries": entries}, f)


if __name__ == "__main__":
    main()
