// SPDX-License-Identifier: GPL-2.0-or-later
/* Wipe records: writing them with sd_journal_sendv, reading them with sd_journal. */
#include "journal.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "exitcode.h"

static void add(struct journal_fields *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct journal_fields *out, const char *fmt, ...)
{
	va_list ap;
	char *f;

	if (out->n >= JOURNAL_FIELDS_MAX)
		return;
	f = out->f[out->n++];
	va_start(ap, fmt);
	vsnprintf(f, JOURNAL_FIELD_LEN, fmt, ap);
	va_end(ap);
	/* One line per field: control characters would only confuse readers. */
	for (char *p = f; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static void size_text(uint32_t bytes, char *buf, size_t len)
{
	if (bytes && bytes % (1u << 20) == 0)
		snprintf(buf, len, "%" PRIu32 " MiB", bytes >> 20);
	else if (bytes)
		snprintf(buf, len, "%" PRIu32 " KiB", bytes >> 10);
	else
		snprintf(buf, len, "?");
}

void journal_build(const struct wipe_record *r, struct journal_fields *out)
{
	const char *port = r->port && *r->port ? r->port : "(none)";
	const char *cmd = r->command ? r->command : "erase";
	char mac[24] = "", size[24];

	memset(out, 0, sizeof(*out));
	if (r->have_chip)
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", r->mac[0], r->mac[1], r->mac[2],
			 r->mac[3], r->mac[4], r->mac[5]);
	size_text(r->flash_size, size, sizeof(size));
	if (r->exit_code == EXIT_OK)
		add(out, "MESSAGE=%s: %s wiped %s (%s, MAC %s, flash %s) in %.1f s", "espwipe", cmd, port,
		    r->have_chip && r->chip ? r->chip : "?", mac[0] ? mac : "?", size, r->seconds);
	else
		add(out, "MESSAGE=%s: %s of %s failed (exit %d, %s): %s", "espwipe", cmd, port, r->exit_code,
		    exit_code_name(r->exit_code), r->error && *r->error ? r->error : "no detail");
	add(out, "MESSAGE_ID=%s", ESPWIPE_WIPE_MESSAGE_ID);
	add(out, "PRIORITY=%d", r->exit_code == EXIT_OK ? 6 : 3);
	add(out, "SYSLOG_IDENTIFIER=espwipe");
	add(out, "ESPWIPE_COMMAND=%s", cmd);
	add(out, "ESPWIPE_PORT=%s", port);
	if (r->id_path && *r->id_path)
		add(out, "ESPWIPE_ID_PATH=%s", r->id_path);
	if (r->have_chip) {
		add(out, "ESPWIPE_CHIP=%.47s", r->chip ? r->chip : "?");
		add(out, "ESPWIPE_MAC=%s", mac);
		add(out, "ESPWIPE_FLASH_ID=0x%06" PRIx32, r->flash_id);
		add(out, "ESPWIPE_FLASH_SIZE=%" PRIu32, r->flash_size);
	}
	if (r->reset)
		add(out, "ESPWIPE_RESET=%s", r->reset);
	if (r->erase_attempted)
		add(out, "ESPWIPE_ERASED=0x%06" PRIx32 "+0x%06" PRIx32, r->erased_offset, r->erased_length);
	if (r->verify_method && *r->verify_method)
		add(out, "ESPWIPE_VERIFY=%.15s", r->verify_method);
	add(out, "ESPWIPE_RESULT=%s", exit_code_name(r->exit_code));
	add(out, "ESPWIPE_EXIT_CODE=%d", r->exit_code);
	add(out, "ESPWIPE_SECONDS=%.3f", r->seconds);
}

int journal_send(const struct journal_fields *f)
{
	struct iovec iov[JOURNAL_FIELDS_MAX];

	for (size_t i = 0; i < f->n; i++) {
		iov[i].iov_base = (void *)f->f[i];
		iov[i].iov_len = strlen(f->f[i]);
	}
	return sd_journal_sendv(iov, (int)f->n);
}

/* ---- reading ---- */

void log_entry_init(struct log_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->exit_code = -1;
	e->seconds = -1;
	e->uid = -1;
}

static bool key_is(const char *data, size_t klen, const char *key)
{
	return klen == strlen(key) && memcmp(data, key, klen) == 0;
}

static void set_str(char *dst, size_t dlen, const char *v, size_t vlen)
{
	if (vlen >= dlen)
		vlen = dlen - 1;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
}

void log_entry_set(struct log_entry *e, const void *data, size_t len)
{
	const char *d = data;
	const char *eq = memchr(d, '=', len);
	size_t klen, vlen;
	const char *v;
	char num[32];

	if (!eq)
		return;
	klen = (size_t)(eq - d);
	v = eq + 1;
	vlen = len - klen - 1;
	if (key_is(d, klen, "_UID") && vlen < sizeof(num)) {
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		e->uid = strtol(num, NULL, 10);
	} else if (key_is(d, klen, "ESPWIPE_COMMAND"))
		set_str(e->command, sizeof(e->command), v, vlen);
	else if (key_is(d, klen, "ESPWIPE_PORT"))
		set_str(e->port, sizeof(e->port), v, vlen);
	else if (key_is(d, klen, "ESPWIPE_ID_PATH"))
		set_str(e->id_path, sizeof(e->id_path), v, vlen);
	else if (key_is(d, klen, "ESPWIPE_CHIP"))
		set_str(e->chip, sizeof(e->chip), v, vlen);
	else if (key_is(d, klen, "ESPWIPE_MAC"))
		set_str(e->mac, sizeof(e->mac), v, vlen);
	else if (key_is(d, klen, "ESPWIPE_FLASH_ID"))
		set_str(e->flash_id, sizeof(e->flash_id), v, vlen);
	else if (key_is(d, klen, "ESPWIPE_RESET"))
		set_str(e->reset, sizeof(e->reset), v, vlen);
	else if (key_is(d, klen, "ESPWIPE_RESULT"))
		set_str(e->result, sizeof(e->result), v, vlen);
	else if (key_is(d, klen, "ESPWIPE_VERIFY"))
		set_str(e->verify, sizeof(e->verify), v, vlen);
	else if (key_is(d, klen, "ESPWIPE_ERASED"))
		set_str(e->erased, sizeof(e->erased), v, vlen);
	else if (key_is(d, klen, "MESSAGE"))
		set_str(e->message, sizeof(e->message), v, vlen);
	else if (key_is(d, klen, "ESPWIPE_FLASH_SIZE") || key_is(d, klen, "ESPWIPE_EXIT_CODE") ||
		 key_is(d, klen, "ESPWIPE_SECONDS")) {
		char *end;

		set_str(num, sizeof(num), v, vlen);
		if (key_is(d, klen, "ESPWIPE_SECONDS")) {
			double s = strtod(num, &end);

			if (end != num && !*end && s >= 0)
				e->seconds = s;
		} else {
			unsigned long long n;

			errno = 0;
			n = strtoull(num, &end, 10);
			if (errno || end == num || *end || num[0] == '-')
				return;
			if (key_is(d, klen, "ESPWIPE_FLASH_SIZE") && n <= UINT32_MAX)
				e->flash_size = (uint32_t)n;
			else if (key_is(d, klen, "ESPWIPE_EXIT_CODE") && n <= 255)
				e->exit_code = (int)n;
		}
	}
}

#define ROW_FMT "%-19s %-13s %-34s %-9s %-17s %-7s %-8s %s"

void log_format_header(char *buf, size_t len)
{
	snprintf(buf, len, ROW_FMT, "TIME", "PORT", "ID_PATH", "CHIP", "MAC", "FLASH", "RESULT", "SECONDS");
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

void log_format_row(const struct log_entry *e, char *buf, size_t len)
{
	char when[32] = "-", flash[24] = "-", secs[24] = "-";
	time_t t = (time_t)(e->realtime_us / 1000000);
	struct tm tm;

	if (e->realtime_us && localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	if (e->flash_size)
		size_text(e->flash_size, flash, sizeof(flash));
	if (e->seconds >= 0)
		snprintf(secs, sizeof(secs), "%.1f", e->seconds);
	snprintf(buf, len, ROW_FMT, when, or_dash(e->port), or_dash(e->id_path), or_dash(e->chip),
		 or_dash(e->mac), flash, or_dash(e->result), secs);
	/*
	 * Any local user can log a record: never let its bytes drive the
	 * reader's terminal (escape sequences, line breaks).
	 */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

static void json_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v && *v ? json_object_new_string(v) : NULL);
}

struct json_object *log_entry_json(const struct log_entry *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "time", json_object_new_double((double)e->realtime_us / 1e6));
	json_str(o, "command", e->command);
	json_str(o, "port", e->port);
	json_str(o, "id_path", e->id_path);
	json_str(o, "chip", e->chip);
	json_str(o, "mac", e->mac);
	json_str(o, "flash_id", e->flash_id);
	json_object_object_add(o, "flash_size", e->flash_size ? json_object_new_int64(e->flash_size) : NULL);
	json_str(o, "reset", e->reset);
	json_str(o, "erased", e->erased);
	json_str(o, "verify", e->verify);
	json_str(o, "result", e->result);
	json_object_object_add(o, "exit_code", e->exit_code >= 0 ? json_object_new_int(e->exit_code) : NULL);
	json_object_object_add(o, "seconds", e->seconds >= 0 ? json_object_new_double(e->seconds) : NULL);
	json_str(o, "message", e->message);
	/* who logged it (journald's trusted _UID): a forged record shows its author */
	json_object_object_add(o, "uid", e->uid >= 0 ? json_object_new_int64(e->uid) : NULL);
	return o;
}

static int print_current(sd_journal *j, struct output *out)
{
	struct log_entry e;
	const void *data;
	size_t len;
	int r;

	log_entry_init(&e);
	r = sd_journal_get_realtime_usec(j, &e.realtime_us);
	if (r < 0)
		return r;
	SD_JOURNAL_FOREACH_DATA(j, data, len)
		log_entry_set(&e, data, len);
	if (out->mode == OUT_JSON) {
		out_event(out, "wipe", log_entry_json(&e), NULL);
	} else {
		char row[512];

		log_format_row(&e, row, sizeof(row));
		fprintf(out->out, "%s\n", row);
		fflush(out->out);
	}
	return 0;
}

static int log_fail(struct output *out, const char *what, int r)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "cannot %s the journal: %s", what, strerror(-r));
	out_error(out, EXIT_JOURNAL, msg,
		  r == -EACCES || r == -EPERM ? "run as root or join the systemd-journal group" : NULL);
	return EXIT_JOURNAL;
}

int journal_log_run(const struct op_options *o, struct output *out)
{
	const char *dir = getenv(ESPWIPE_JOURNAL_DIR_ENV);
	sd_journal *j = NULL;
	unsigned int shown = 0;
	int r, skipped;

	r = dir && *dir ? sd_journal_open_directory(&j, dir, 0) : sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0)
		return log_fail(out, "open", r);
	r = sd_journal_add_match(j, "MESSAGE_ID=" ESPWIPE_WIPE_MESSAGE_ID, 0);
	if (r < 0) {
		sd_journal_close(j);
		return log_fail(out, "filter", r);
	}
	if (out->mode == OUT_HUMAN && !out->quiet) {
		char hdr[256];

		log_format_header(hdr, sizeof(hdr));
		fprintf(out->out, "%s\n", hdr);
	}
	r = sd_journal_seek_tail(j);
	skipped = r < 0 ? r : sd_journal_previous_skip(j, o->log_lines);
	if (skipped < 0) {
		sd_journal_close(j);
		return log_fail(out, "read", skipped);
	}
	if (skipped > 0) {
		do {
			if ((r = print_current(j, out)) < 0) {
				sd_journal_close(j);
				return log_fail(out, "read", r);
			}
			shown++;
		} while ((r = sd_journal_next(j)) > 0);
		if (r < 0) {
			sd_journal_close(j);
			return log_fail(out, "read", r);
		}
	}
	if (!shown && !o->follow)
		out_note(out, "no espwipe wipe records in the journal%s%s", dir && *dir ? " directory " : "",
			 dir && *dir ? dir : "");
	while (o->follow) {
		r = sd_journal_wait(j, (uint64_t)-1);
		if (r < 0) {
			sd_journal_close(j);
			return log_fail(out, "wait on", r);
		}
		while ((r = sd_journal_next(j)) > 0) {
			if ((r = print_current(j, out)) < 0)
				break;
		}
		if (r < 0) {
			sd_journal_close(j);
			return log_fail(out, "read", r);
		}
	}
	sd_journal_close(j);
	return EXIT_OK;
}
