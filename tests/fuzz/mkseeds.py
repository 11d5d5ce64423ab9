#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed corpora under tests/fuzz/corpus/ (small files, committed).

Run again after changing it; existing seeds with the same name are replaced.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def slip(body):
    return b"\xc0" + body.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"


def reply(op, value, status=0, error=0):
    return slip(struct.pack("<BBHI", 1, op, 2, value) + bytes([status, error]))


sync = reply(0x08, 0x20120707)
# rx: a good session (8 SYNC replies, magic, JEDEC via SPI registers, FLASH_BEGIN)
put("rx", "sync8", sync * 8)
put("rx", "session", sync * 8 + reply(0x0A, 0xFFF0C101) + reply(0x09, 0) * 6 +
    reply(0x0A, 0) + reply(0x0A, 0x1640EF) + reply(0x02, 0))
put("rx", "flash_begin_error", sync * 8 + reply(0x0A, 0xFFF0C101) + reply(0x02, 0, 1, 0x06))
put("rx", "banner_then_sync", b"\r\n ets Jan  8 2013,rst cause:2, boot mode:(1,6)\r\n\r\n" + sync * 2)
put("rx", "escapes", slip(struct.pack("<BBHI", 1, 0x0A, 2, 0xC0DBC0DB) + b"\x00\x00") + b"\xdb\xc0")
put("rx", "long_reply", slip(struct.pack("<BBHI", 1, 0x0A, 70, 0) + bytes(68) + b"\x00\x00"))

# rx, ESP32 family: 4-byte status (2 status + 2 reserved), GET_SECURITY_INFO
# in its 20-byte (C3) and 12-byte (S2) forms, SDM flags, the unsupported
# pattern under another op, an MD5 reply of 32 ASCII hex digits.
def reply4(op, value, payload=b"", status=0, error=0):
    data = payload + bytes([status, error, 0, 0])
    return slip(struct.pack("<BBHI", 1, op, len(data), value) + data)


sync4 = reply4(0x08, 0x20120707)
secinfo_c3 = struct.pack("<IB7sII", 0, 0, bytes(7), 5, 7)
secinfo_s2_sdm = struct.pack("<IB7s", 1 << 2, 0, bytes(7))
put("rx", "esp32c3_session", sync4 * 8 + reply4(0x0A, 0x4361606F) + reply4(0x14, 0, secinfo_c3) +
    reply4(0x0A, 0x1640EF) + reply4(0x0D, 0) + reply4(0x0B, 0) + reply4(0x02, 0))
put("rx", "esp32s2_sdm", sync4 * 8 + reply4(0x08, 0, status=1, error=5) * 8 +
    reply4(0x14, 0, secinfo_s2_sdm) + reply4(0x0D, 0) + reply4(0x0B, 0) + reply4(0x02, 0))
put("rx", "esp32_error4", sync4 * 8 + reply4(0x0A, 0x00F01D83) + reply4(0x02, 0, status=1, error=6))
put("rx", "md5_blank_4k", sync4 * 2 + reply4(0x13, 0, b"6ae59e64850377ee5470c854761551ea"))
put("rx", "secinfo_crypt", sync4 * 2 + reply4(0x14, 0, struct.pack("<IB7sII", 1, 3, bytes(7), 9, 0)))

# size: --region and size strings
for i, s in enumerate(["0x3FC000:16K", "0:4M", "4096:0x1000", "64KiB:1MiB", "0x1000",
                       "010:4K", "4294963200:4096", "1m", "0x0:0x400000"]):
    put("size", "s%02d" % i, s)

# argv: NUL-separated command lines
for i, argv in enumerate([
        ["erase", "-p", "/dev/ttyUSB0", "--region", "0x3FC000:16K", "--verify", "--json"],
        ["verify", "--full", "-b", "921600", "--reset", "none"],
        ["info", "--after", "stay", "--connect-attempts", "3", "-q"],
        ["autowipe", "/dev/ttyUSB1"],
        ["log", "-n", "20", "--follow"],
        ["-vv", "bootloader", "--reset=tiocm"],
        ["list", "--help"]]):
    put("argv", "a%02d" % i, "\0".join(argv))

# kmod_seq: extra sequences next to kmod/tests/fuzz-corpus
put("kmod_seq", "lines_waits", "U0,1|W0.1|U1,0|W0.05|U0,0\n")
put("kmod_seq", "single", "D1|R0|W0.5|D0\n")

# journal: the fields of a wipe record, NUL-separated
put("journal", "ok_record", "\0".join([
    "MESSAGE=Erased 0x000000..0x400000 on /dev/ttyUSB0", "ESPWIPE_COMMAND=erase",
    "ESPWIPE_PORT=/dev/ttyUSB0", "ESPWIPE_ID_PATH=pci-0000:00:14.0-usb-0:1:1.0",
    "ESPWIPE_CHIP=ESP8266EX", "ESPWIPE_MAC=5c:cf:7f:12:34:56", "ESPWIPE_FLASH_ID=0x1640ef",
    "ESPWIPE_FLASH_SIZE=4194304", "ESPWIPE_RESET=sysfs", "ESPWIPE_RESULT=ok",
    "ESPWIPE_ERASED=0x000000+0x400000", "ESPWIPE_EXIT_CODE=0", "ESPWIPE_SECONDS=10.8"]))
put("journal", "failed_record", "\0".join([
    "ESPWIPE_COMMAND=autowipe", "ESPWIPE_PORT=/dev/ttyUSB1", "ESPWIPE_RESULT=io",
    "ESPWIPE_EXIT_CODE=9", "ESPWIPE_SECONDS=0.3", "ESPWIPE_FLASH_SIZE=18446744073709551615"]))

# autowipe_conf: allow-lists
put("autowipe_conf", "all_kinds",
    "# lab bench\nany\npath pci-0000:00:14.0-usb-0:1:1.0\nserial 0001*\nusb 1a86:7523\n")
put("autowipe_conf", "comments", "  # only comments\n\n\t# more\nusb 10c4:ea60  # CP2102\n")
put("autowipe_conf", "wildcards", "path pci-*-usb-0:[12]:1.0\nserial ?BC*\n")
