// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: args_parse() on an argv split from the input at NUL
 * bytes (at most 24 arguments after "espwipe").  Checked on every input:
 * no memory error or undefined behaviour, the result is 0 or -1, a refusal
 * carries a non-empty message, and an accepted command line respects every
 * documented limit (region alignment, attempts 1..100, baud >= 300, options
 * only with the commands they belong to, the port pointing into argv).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

#define MAX_ARGS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool cond)
{
	if (!cond)
		abort();
}

static bool points_into(const char *p, char *const *argv, int argc)
{
	for (int i = 0; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAX_ARGS + 2], *saved[MAX_ARGS + 2];
	char err[256];
	struct args a;
	int argc = 1, rc;
	size_t start = 0;

	if (size > 1024)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = (char *)"espwipe";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	memcpy(saved, argv, sizeof(argv));

	memset(err, 0x5a, sizeof(err));
	err[sizeof(err) - 1] = '\0';
	err[0] = '\0';
	rc = args_parse(argc, argv, &a, err, sizeof(err));
	check(rc == 0 || rc == -1);
	if (rc) {
		check(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
		free(buf);
		return 0;
	}
	if (a.help || a.version) {
		free(buf);
		return 0;
	}
	check(a.op.baud >= 300);
	check(a.op.connect_attempts >= 1 && a.op.connect_attempts <= 100);
	check(a.op.log_lines >= 1 && a.op.log_lines <= 1000000);
	if (a.op.region) {
		check(a.op.cmd == CMD_ERASE || a.op.cmd == CMD_VERIFY);
		check(a.op.region_length > 0 && a.op.region_length % 4096 == 0);
		check(a.op.region_offset % 4096 == 0);
		check((uint64_t)a.op.region_offset + a.op.region_length <= UINT32_MAX);
	}
	if (a.op.verify)
		check(a.op.cmd == CMD_ERASE);
	if (a.op.follow)
		check(a.op.cmd == CMD_LOG);
	if (a.op.cmd == CMD_AUTOWIPE)
		check(a.op.port != NULL);
	if (a.op.cmd == CMD_BOOTLOADER)
		check(a.op.after == AFTER_STAY);
	if (a.op.port)
		check(points_into(a.op.port, saved, argc));
	free(buf);
	return 0;
}
