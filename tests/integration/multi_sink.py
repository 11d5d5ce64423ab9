# SPDX-License-Identifier: GPL-2.0-or-later
"""Stand in for journald's native socket while a command runs, live.

Like tests/autowipe/journal_sink.py, but the command's stdout and stderr pass
straight through (a test reads its events as they come) and SIGTERM, SIGINT
and SIGHUP sent to this process are passed on to the command.  Run inside a
private mount namespace with a fresh tmpfs on /run:

    multi_sink.py OUT.json CMD ARGS...

OUT.json: {"code": exit code, "entries": [{field: value}, ...]}.
"""
import json
import os
import signal
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
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sock.setblocking(False)
    entries = []
    p = subprocess.Popen(cmd)

    def forward(sig, _frame):
        p.send_signal(sig)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, forward)
    while True:
        try:
            code = p.wait(timeout=0.05)
            break
        except subprocess.TimeoutExpired:
            pass
        while True:  # drain as it goes: the socket's queue is small
            try:
                entries.append(decode(sock.recv(1 << 20)))
            except BlockingIOError:
                break
    while True:
        try:
            entries.append(decode(sock.recv(1 << 20)))
        except BlockingIOError:
            break
    with open(out, "w") as f:
        json.dump({"code": code, "entries": entries}, f)


if __name__ == "__main__":
    main()
