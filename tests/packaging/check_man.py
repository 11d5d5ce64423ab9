#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The man page and `espwipe --help` must describe the same interface.

  check_man.py ESPWIPE MAN.scd [EXITCODE_H]   compare the two (both ways)
  check_man.py --selftest                      show that a mismatch is caught

Compared: the long options (and the short option paired with each), the
commands, and the exit codes (also against userspace/exitcode.h).
"""
import re
import subprocess
import sys

HELP_OPT = re.compile(r"^\s+(?:-([A-Za-z0-9]), )?--([a-z][a-z0-9-]*)\b")
HELP_CMD = re.compile(r"^  ([a-z][a-z-]*)\b")
MAN_OPT = re.compile(r"^\*(?:-([A-Za-z0-9])\*, \*)?--([a-z][a-z0-9-]*)\*")
MAN_CMD = re.compile(r"^\*([a-z][a-z-]*)\*")
MAN_EXIT = re.compile(r"^\|\s+(\d+)\s*$")


def sections(text, header_re):
    """Map section name -> list of lines, split where header_re matches."""
    out, cur = {}, None
    for line in text.splitlines():
        m = header_re.match(line)
        if m:
            cur = m.group(1)
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def parse_help(text):
    secs = sections(text, re.compile(r"^([A-Z][A-Za-z ]*):\s*$"))
    opts = {}
    for line in secs.get("Options", []):
        m = HELP_OPT.match(line)
        if m:
            opts[m.group(2)] = m.group(1)
    cmds = set()
    for line in secs.get("Commands", []):
        m = HELP_CMD.match(line)
        if m:
            cmds.add(m.group(1))
    codes = set()
    m = re.search(r"^Exit codes:(.*?)(?:\n\n|\Z)", text, re.S | re.M)
    if m:
        codes = {int(c) for c in re.findall(r"(?:^|[\s,:])(\d+) [a-z]", m.group(1))}
    return opts, cmds, codes


def parse_man(text):
    secs = sections(text, re.compile(r"^# ([A-Z][A-Z -]*)$"))
    opts = {}
    for line in secs.get("OPTIONS", []):
        m = MAN_OPT.match(line)
        if m:
            opts[m.group(2)] = m.group(1)
    cmds = set()
    for line in secs.get("COMMANDS", []):
        m = MAN_CMD.match(line)
        if m:
            cmds.add(m.group(1))
    codes = set()
    for line in secs.get("EXIT STATUS", []):
        m = MAN_EXIT.match(line)
        if m:
            codes.add(int(m.group(1)))
    return opts, cmds, codes


def parse_exitcodes(text):
    return {int(v) for v in re.findall(r"^\s*EXIT_[A-Z_]+\s*=\s*(\d+)\s*,", text, re.M)}


def compare(help_text, man_text, header_text=None):
    """A list of problems (empty when they agree)."""
    errs = []
    h_opts, h_cmds, h_codes = parse_help(help_text)
    m_opts, m_cmds, m_codes = parse_man(man_text)
    if not h_opts:
        errs.append("no options found in --help (format changed?)")
    if not m_opts:
        errs.append("no options found in the man page's OPTIONS section")
    for o in sorted(set(h_opts) - set(m_opts)):
        errs.append(f"--{o} is in --help but not in the man page's OPTIONS")
    for o in sorted(set(m_opts) - set(h_opts)):
        errs.append(f"--{o} is in the man page's OPTIONS but not in --help")
    for o in sorted(set(h_opts) & set(m_opts)):
        if h_opts[o] != m_opts[o]:
            errs.append(f"--{o}: short option -{h_opts[o]} in --help, -{m_opts[o]} in the man page")
    for c in sorted(h_cmds - m_cmds):
        errs.append(f"command '{c}' is in --help but not in the man page's COMMANDS")
    for c in sorted(m_cmds - h_cmds):
        errs.append(f"command '{c}' is in the man page's COMMANDS but not in --help")
    if not h_codes:
        errs.append("no exit codes found in --help")
    if h_codes != m_codes:
        errs.append(f"exit codes differ: --help {sorted(h_codes)}, man page {sorted(m_codes)}")
    if header_text is not None:
        hdr = parse_exitcodes(header_text)
        if hdr != m_codes:
            errs.append(f"exit codes differ: exitcode.h {sorted(hdr)}, man page {sorted(m_codes)}")
    return errs


SELF_HELP = """Usage: x
Commands:
  erase       erase
  list        list

Options:
  -p, --port PORT          port
      --json               json
  -q, --quiet              quiet

Exit codes: 0 ok, 1 internal, 2 usage.
"""

SELF_MAN = """x(1)

# COMMANDS

*erase*
	erase

*list*
	list

# OPTIONS

*-p*, *--port* _PORT_
	port

*--json*
	json

*-q*, *--quiet*
	quiet

# EXIT STATUS

[[ *code*
:[ *meaning*
|  0
:  ok
|  1
:  internal
|  2
:  usage
"""


def selftest():
    bad = []
    if compare(SELF_HELP, SELF_MAN):
        bad.append(f"agreeing texts reported: {compare(SELF_HELP, SELF_MAN)}")
    cases = [
        ("option only in --help", SELF_HELP.replace("  -q, --quiet", "      --follow  f\n  -q, --quiet"),
         SELF_MAN, "--follow is in --help"),
        ("option only in the man page", SELF_HELP,
         SELF_MAN.replace("# EXIT STATUS", "*-v*, *--verbose*\n\tmore\n\n# EXIT STATUS"),
         "--verbose is in the man page's OPTIONS but not in --help"),
        ("short option differs", SELF_HELP.replace("-q, --quiet", "-Q, --quiet"), SELF_MAN,
         "short option -Q"),
        ("command only in the man page", SELF_HELP, SELF_MAN.replace("*list*", "*list*\n\tl\n\n*log*"),
         "command 'log' is in the man page"),
        ("exit code missing from the man page", SELF_HELP.replace("2 usage.", "2 usage, 3 port."),
         SELF_MAN, "exit codes differ"),
    ]
    for name, h, m, want in cases:
        errs = compare(h, m)
        if not any(want in e for e in errs):
            bad.append(f"{name}: not caught (got {errs})")
    hdr_errs = compare(SELF_HELP, SELF_MAN, "EXIT_OK = 0,\nEXIT_A = 1,\nEXIT_B = 2,\nEXIT_C = 3,\n")
    if not any("exitcode.h" in e for e in hdr_errs):
        bad.append("exitcode.h mismatch not caught")
    for b in bad:
        print(f"check-man selftest: FAIL: {b}")
    if not bad:
        print(f"check-man selftest: {len(cases) + 2} cases, every mismatch caught")
    return 1 if bad else 0


def main(argv):
    if argv[1:] == ["--selftest"]:
        return selftest()
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    r = subprocess.run([argv[1], "--help"], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        print(f"check-man: FAIL: {argv[1]} --help exited {r.returncode}")
        return 1
    with open(argv[2], encoding="utf-8") as f:
        man = f.read()
    header = None
    if len(argv) == 4:
        with open(argv[3], encoding="utf-8") as f:
            header = f.read()
    errs = compare(r.stdout, man, header)
    for e in errs:
        print(f"check-man: FAIL: {e}")
    if errs:
        return 1
    opts, cmds, codes = parse_help(r.stdout)
    print(f"check-man: man page and --help agree: {len(opts)} options, {len(cmds)} commands, "
          f"exit codes {min(codes)}-{max(codes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
