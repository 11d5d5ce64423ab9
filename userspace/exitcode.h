/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The documented exit codes of espwipe; scripts branch on these. */
#ifndef ESPWIPE_EXITCODE_H
#define ESPWIPE_EXITCODE_H

enum exit_code {
	EXIT_OK = 0,       /* done, and checked */
	EXIT_INTERNAL = 1, /* unexpected internal error */
	EXIT_USAGE = 2,    /* bad command line */
	EXIT_PORT = 3,     /* no such port, no candidate, permission denied */
	EXIT_BUSY = 4,     /* port in use by another process */
	EXIT_NOSYNC = 5,   /* the chip did not answer SYNC */
	EXIT_CHIP = 6,     /* unsupported or unrecognised chip */
	EXIT_ERASE = 7,    /* erase refused, failed or timed out */
	EXIT_VERIFY = 8,   /* blank check found data */
	EXIT_IO = 9,       /* link lost after sync: device gone, timeout, protocol error */
	EXIT_CONFIG = 10,  /* autowipe: allow-list unreadable, unsafe or invalid; marker directory unusable */
	EXIT_JOURNAL = 11, /* log: the systemd journal cannot be opened or read */
	EXIT_SECURITY = 12, /* flash encryption or secure boot enabled: erase refused without --force */
	EXIT_PARTIAL = 13, /* flash beyond what the ROM addresses (16 MiB): only the part below erased/checked */
	EXIT_SDM = 14,     /* Secure Download Mode forbids what was asked (verify; size unknown without --flash-size) */
};

const char *exit_code_name(int code);

/*
 * Stopped by a signal (SIGTERM from systemd when the board goes away or the
 * unit stops, SIGINT from a terminal): 128 + the signal number, as shells
 * report it.  The result and the journal record still say what was erased.
 */
#define EXIT_SIGNAL_BASE 128

#endif /* ESPWIPE_EXITCODE_H */
