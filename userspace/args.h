/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command-line parsing, kept free of I/O so it can be unit-tested and fuzzed. */
#ifndef ESPWIPE_ARGS_H
#define ESPWIPE_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops.h"
#include "output.h"

struct args {
	struct op_options op;
	enum out_mode mode;
	bool quiet;
	int verbose;
	bool help, version;
};

/* The word for a command ("erase", ...). */
const char *command_name(enum command c);

/* "4096", "0x1000", "64K", "4M": 0 and the value, or -1. */
int args_parse_size(const char *s, uint32_t *out);
/* "OFFSET:SIZE", both 4 KiB multiples, SIZE > 0, no overflow: 0 or -1. */
int args_parse_region(const char *s, uint32_t *offset, uint32_t *size);

/*
 * Parse argv.  Returns 0, or -1 with a message in err.  getopt state is reset
 * first, so it may be called repeatedly (tests).
 */
int args_parse(int argc, char **argv, struct args *a, char *err, size_t errlen);

/* The --help text. */
extern const char args_usage[];

#endif /* ESPWIPE_ARGS_H */
