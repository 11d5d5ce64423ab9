/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The operations espwipe performs on a board: info, erase, verify, reset, bootloader. */
/* (autowipe is in autowipe.h, log in journal.h.) */
#ifndef ESPWIPE_OPS_H
#define ESPWIPE_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "output.h"
#include "port.h"

struct dev_props;

enum command {
	CMD_INFO,
	CMD_ERASE,
	CMD_VERIFY,
	CMD_RESET,
	CMD_BOOTLOADER,
	CMD_LIST,
	CMD_AUTOWIPE,
	CMD_LOG,
};

struct op_options {
	enum command cmd;
	const char *port;        /* -p as given, or NULL */
	uint32_t baud;
	enum reset_method reset;
	enum after_action after;
	bool region;
	uint32_t region_offset, region_length;
	bool verify;             /* erase --verify */
	bool full;               /* verify --full */
	int connect_attempts;
	double verify_budget_s;  /* sampled verify budget */
	bool autowipe;           /* this erase was started by `espwipe autowipe` (journal) */
	/* the port's udev properties when the caller has them already (autowipe) */
	const struct dev_props *props;
	bool follow;             /* log --follow */
	unsigned int log_lines;  /* log -n */
};

void op_options_default(struct op_options *o);

/* Run one command; returns the exit code (exitcode.h). */
int ops_run(const struct op_options *opt, struct output *out);

#endif /* ESPWIPE_OPS_H */
