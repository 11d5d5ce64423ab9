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
};

const char *exit_code_name(int code);

#endif /* ESPWIPE_EXITCODE_H */
