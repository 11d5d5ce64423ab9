// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target "journal": the fields of a journal record as `espwipe log`
 * reads them.  Any local user can send a record with espwipe's MESSAGE_ID
 * (journald accepts every field from every client), so the values are
 * outside input.  The input is split at NUL bytes into "KEY=value" data and
 * fed to log_entry_set(); the table row and the JSON object are then built.
 * Checked besides ASan/UBSan: every string of the entry stays terminated,
 * the row is terminated within its buffer, and the row holds no control
 * character (the table goes to a terminal: an ESC in a forged field would
 * be an escape sequence run on the reader's terminal).
 * With FUZZ_KNOWN_BUGS set (run_fuzz.sh, while regressions/KNOWN lists an
 * open bug of this target) inputs holding a control character other than
 * the NUL separator are skipped: the known class.
 */
#include <json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool cond)
{
	if (!cond)
		abort();
}

#define TERMINATED(field) check(memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log_entry e;
	char row[1024];
	size_t start = 0;
	struct json_object *o;

	if (size > 4096)
		return 0;
	if (getenv("FUZZ_KNOWN_BUGS")) {
		for (size_t i = 0; i < size; i++)
			if ((data[i] && data[i] < 0x20) || data[i] == 0x7f)
				return 0;
	}
	log_entry_init(&e);
	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\0') {
			if (i > start)
				log_entry_set(&e, data + start, i - start);
			start = i + 1;
		}
	}
	TERMINATED(e.command);
	TERMINATED(e.port);
	TERMINATED(e.id_path);
	TERMINATED(e.chip);
	TERMINATED(e.mac);
	TERMINATED(e.result);
	TERMINATED(e.erased);
	TERMINATED(e.message);
	check(e.exit_code >= -1 && e.exit_code <= 255);

	memset(row, 0x55, sizeof(row));
	log_format_row(&e, row, sizeof(row));
	check(memchr(row, '\0', sizeof(row)) != NULL);
	for (const char *p = row; *p; p++)
		check((unsigned char)*p >= 0x20 && *p != 0x7f);

	o = log_entry_json(&e);
	check(o != NULL);
	check(json_object_to_json_string(o) != NULL);
	json_object_put(o);
	return 0;
}
