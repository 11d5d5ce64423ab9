/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wipe records in the systemd journal: every `erase` and `autowipe` leaves one
 * structured entry (MESSAGE_ID ESPWIPE_WIPE_MESSAGE_ID, ESPWIPE_* fields), and
 * `espwipe log` reads them back.  Building a record and formatting one for
 * the table are pure functions (unit-tested); only journal_send() and
 * journal_log_run() talk to the journal.
 */
#ifndef ESPWIPE_JOURNAL_H
#define ESPWIPE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops.h"
#include "output.h"

/* Fixed id of a wipe record: journalctl MESSAGE_ID=05db009042734d8a80c5f0de32f4fec5 */
#define ESPWIPE_WIPE_MESSAGE_ID "05db009042734d8a80c5f0de32f4fec5"
/* Read journal files from this directory instead of the system journal (tests). */
#define ESPWIPE_JOURNAL_DIR_ENV "ESPWIPE_JOURNAL_DIR"

struct wipe_record {
	const char *command;     /* "erase" or "autowipe" */
	const char *port;        /* /dev/ttyUSB0; NULL if none was chosen */
	const char *id_path;     /* may be NULL or empty */
	const char *reset;       /* reset method used */
	bool have_chip;
	const char *chip;        /* ESP8266EX, ESP32-C3 (revision v0.4) */
	uint8_t mac[6];
	uint32_t flash_id;
	uint32_t flash_size;     /* bytes, 0 if unknown */
	bool erase_attempted;
	uint32_t erased_offset, erased_length; /* what the ROM confirmed */
	const char *verify_method; /* "spi-read" or "md5" when a verify ran, else NULL */
	int exit_code;
	double seconds;
	const char *error;       /* the error message when exit_code != 0, or NULL */
};

#define JOURNAL_FIELDS_MAX 24
#define JOURNAL_FIELD_LEN 320

struct journal_fields {
	char f[JOURNAL_FIELDS_MAX][JOURNAL_FIELD_LEN]; /* "KEY=value" */
	size_t n;
};

/* The journal fields of one record (pure). */
void journal_build(const struct wipe_record *r, struct journal_fields *out);

/* Send them; 0 or -errno (no journald: -ENOENT, -ECONNREFUSED, ...). */
int journal_send(const struct journal_fields *f);

/* One record read back. */
struct log_entry {
	uint64_t realtime_us;
	char command[16];
	char port[64];
	char id_path[128];
	char chip[48];
	char mac[24];
	char flash_id[16];
	uint32_t flash_size;
	char reset[16];
	char verify[16];
	char result[16];
	int exit_code;
	double seconds;
	char erased[40];
	char message[256];
	long uid; /* _UID, set by journald (trusted): who logged the record; -1 unknown */
};

void log_entry_init(struct log_entry *e);
/* Take one "KEY=value" datum (len bytes, not NUL-terminated); unknown keys are ignored. */
void log_entry_set(struct log_entry *e, const void *data, size_t len);
/* The table (pure; times in the local time zone). */
void log_format_header(char *buf, size_t len);
void log_format_row(const struct log_entry *e, char *buf, size_t len);
/* The --json object of one record; the caller owns it. */
struct json_object *log_entry_json(const struct log_entry *e);

/* `espwipe log`: returns an exit code. */
int journal_log_run(const struct op_options *o, struct output *out);

#endif /* ESPWIPE_JOURNAL_H */
