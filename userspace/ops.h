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
struct link_row;

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

/* Most boards one command works on (every -p; --all; boards at once with --each). */
#define OPS_PORTS_MAX 64
/* Most --match rules. */
#define OPS_MATCH_MAX 64

struct op_options {
	enum command cmd;
	const char *port;        /* -p as given (the first, if several), or NULL */
	/* every -p in order; more than one, --all or --each runs multi.c */
	const char *ports[OPS_PORTS_MAX];
	unsigned int nports;
	bool all;                /* --all: every supported candidate port */
	bool each;               /* --each: keep running, wipe every board plugged in */
	const char *match[OPS_MATCH_MAX]; /* --match: allow-list rules ("usb 1a86:7523") */
	unsigned int nmatch;
	uint32_t baud;
	enum reset_method reset;
	enum after_action after;
	bool region;
	uint32_t region_offset, region_length;
	bool verify;             /* erase --verify */
	bool full;               /* verify --full */
	int connect_attempts;
	double verify_budget_s;  /* sampled verify budget */
	uint32_t flash_size;     /* --flash-size: bytes, 0 = not given */
	bool force;              /* --force: erase despite flash encryption / secure boot */
	bool autowipe;           /* this erase was started by `espwipe autowipe` (journal) */
	/* the port's udev properties when the caller has them already (autowipe) */
	const struct dev_props *props;
	bool follow;             /* log --follow */
	unsigned int log_lines;  /* log -n */
	/* --link: the port's link as declared by the user (links.h); NULL: what udev shows */
	const struct link_row *link;
};

void op_options_default(struct op_options *o);

/* Run one command; returns the exit code (exitcode.h). */
int ops_run(const struct op_options *opt, struct output *out);

#endif /* ESPWIPE_OPS_H */
