// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Output: human lines on stdout, progress and trace on stderr; with --json one
 * object per line on stdout, built with json-c so strings are always escaped
 * correctly.
 */
#include "output.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"

double out_wall_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void output_init(struct output *o, enum out_mode mode, bool quiet, int verbose)
{
	memset(o, 0, sizeof(*o));
	o->mode = mode;
	o->quiet = quiet;
	o->verbose = verbose;
	o->out = stdout;
	o->err = stderr;
	o->bar = mode == OUT_HUMAN && !quiet && isatty(STDERR_FILENO);
}

void output_init_sink(struct output *o, int verbose, out_sink_fn sink, void *ctx)
{
	output_init(o, OUT_JSON, false, verbose);
	o->bar = false;
	o->sink = sink;
	o->sink_ctx = ctx;
}

/* Hand obj (event and time added) to the sink, and drop it. */
static void to_sink(struct output *o, enum out_kind kind, const char *event, struct json_object *obj,
		    const char *text)
{
	if (event)
		json_object_object_add(obj, "event", json_object_new_string(event));
	if (obj && !json_object_object_get_ex(obj, "time", NULL))
		json_object_object_add(obj, "time", json_object_new_double(out_wall_time()));
	o->sink(o->sink_ctx, kind, obj, text ? text : "");
	json_object_put(obj);
}

static void clear_bar(struct output *o)
{
	if (o->bar_drawn) {
		fputs("\r\033[K", o->err);
		o->bar_drawn = false;
	}
}

static void emit_json(struct output *o, struct json_object *obj)
{
	fputs(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN), o->out);
	fputc('\n', o->out);
	fflush(o->out);
}

void out_event(struct output *o, const char *event, struct json_object *fields,
	       const char *fmt, ...)
{
	char msg[512] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	if (o->sink) {
		struct json_object *obj = fields ? fields : json_object_new_object();

		if (msg[0])
			json_object_object_add(obj, "message", json_object_new_string(msg));
		to_sink(o, OUT_K_EVENT, event, obj, msg);
		return;
	}
	if (o->mode == OUT_JSON) {
		struct json_object *obj = fields ? fields : json_object_new_object();

		json_object_object_add(obj, "event", json_object_new_string(event));
		/* an event about the past (a journal record) brings its own time */
		if (!json_object_object_get_ex(obj, "time", NULL))
			json_object_object_add(obj, "time", json_object_new_double(out_wall_time()));
		if (msg[0])
			json_object_object_add(obj, "message", json_object_new_string(msg));
		emit_json(o, obj);
		json_object_put(obj);
		return;
	}
	json_object_put(fields);
	if (o->quiet || !msg[0])
		return;
	clear_bar(o);
	fprintf(o->out, "%s\n", msg);
	fflush(o->out);
}

void out_progress(struct output *o, const char *what, unsigned int permille, bool estimate,
		  double elapsed_s, double expected_s)
{
	if (permille > 1000)
		permille = 1000;
	if (o->sink) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "what", json_object_new_string(what));
		json_object_object_add(f, "percent", json_object_new_double(permille / 10.0));
		json_object_object_add(f, "estimate", json_object_new_boolean(estimate));
		json_object_object_add(f, "elapsed_s", json_object_new_double(elapsed_s));
		json_object_object_add(f, "expected_s", json_object_new_double(expected_s));
		to_sink(o, OUT_K_PROGRESS, "progress", f, NULL);
		return;
	}
	if (o->mode == OUT_JSON) {
		struct json_object *f;

		/* Rate-limit JSON progress to one event per percent. */
		if (permille / 10 == o->last_permille / 10 && o->last_progress_us)
			return;
		o->last_permille = permille;
		o->last_progress_us = 1;
		f = json_object_new_object();
		json_object_object_add(f, "what", json_object_new_string(what));
		json_object_object_add(f, "percent", json_object_new_double(permille / 10.0));
		json_object_object_add(f, "estimate", json_object_new_boolean(estimate));
		json_object_object_add(f, "elapsed_s", json_object_new_double(elapsed_s));
		json_object_object_add(f, "expected_s", json_object_new_double(expected_s));
		out_event(o, "progress", f, NULL);
		return;
	}
	if (o->quiet)
		return;
	if (o->bar) {
		char bar[41];
		unsigned int fill = permille * 40 / 1000;

		memset(bar, '#', fill);
		memset(bar + fill, '.', 40 - fill);
		bar[40] = '\0';
		fprintf(o->err, "\r\033[K%s [%s] %3u%%%s %.0fs/%.0fs", what, bar, permille / 10,
			estimate ? " (estimate)" : "", elapsed_s, expected_s);
		fflush(o->err);
		o->bar_drawn = true;
		return;
	}
	/* Not a terminal: a plain line every 10 %. */
	if (permille / 100 != o->last_permille / 100 || !o->last_progress_us) {
		fprintf(o->err, "%s: %u%%%s\n", what, permille / 10, estimate ? " (estimate)" : "");
		fflush(o->err);
	}
	o->last_permille = permille;
	o->last_progress_us = 1;
}

void out_progress_done(struct output *o)
{
	clear_bar(o);
	o->last_permille = 0;
	o->last_progress_us = 0;
}

void out_error(struct output *o, int code, const char *msg, const char *hint)
{
	if (o->sink) {
		struct json_object *f = json_object_new_object();
		char text[1024];

		json_object_object_add(f, "exit_code", json_object_new_int(code));
		json_object_object_add(f, "exit_name", json_object_new_string(exit_code_name(code)));
		json_object_object_add(f, "error", json_object_new_string(msg));
		if (hint)
			json_object_object_add(f, "hint", json_object_new_string(hint));
		snprintf(text, sizeof(text), "error: %s%s%s%s", msg, hint ? " (hint: " : "", hint ? hint : "",
			 hint ? ")" : "");
		to_sink(o, OUT_K_ERROR, "error", f, text);
		return;
	}
	if (o->mode == OUT_JSON) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "exit_code", json_object_new_int(code));
		json_object_object_add(f, "exit_name", json_object_new_string(exit_code_name(code)));
		json_object_object_add(f, "error", json_object_new_string(msg));
		if (hint)
			json_object_object_add(f, "hint", json_object_new_string(hint));
		out_event(o, "error", f, NULL);
		return;
	}
	clear_bar(o);
	if (hint)
		fprintf(o->err, "espwipe: error: %s (hint: %s)\n", msg, hint);
	else
		fprintf(o->err, "espwipe: error: %s\n", msg);
	fflush(o->err);
}

static void vnote(struct output *o, const char *kind, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (o->sink) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "message", json_object_new_string(msg));
		to_sink(o, strcmp(kind, "debug") == 0 ? OUT_K_DEBUG : OUT_K_NOTE, kind, f, msg);
		return;
	}
	if (o->mode == OUT_JSON) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "message", json_object_new_string(msg));
		out_event(o, kind, f, NULL);
		return;
	}
	clear_bar(o);
	fprintf(o->err, "%s\n", msg);
	fflush(o->err);
}

void out_note(struct output *o, const char *fmt, ...)
{
	va_list ap;

	if (o->quiet && o->mode != OUT_JSON)
		return;
	va_start(ap, fmt);
	vnote(o, "note", fmt, ap);
	va_end(ap);
}

void out_debug(struct output *o, const char *fmt, ...)
{
	va_list ap;

	if (o->verbose < 1)
		return;
	va_start(ap, fmt);
	vnote(o, "debug", fmt, ap);
	va_end(ap);
}

void out_trace(void *ctx, char dir, const uint8_t *body, size_t len)
{
	struct output *o = ctx;
	char hex[3 * 64 + 8];
	size_t n = len < 64 ? len : 64, pos = 0;

	if (o->verbose < 1)
		return;
	for (size_t i = 0; i < n; i++)
		pos += (size_t)snprintf(hex + pos, sizeof(hex) - pos, "%02x%s", body[i],
					i + 1 < n ? " " : "");
	if (len > n)
		snprintf(hex + pos, sizeof(hex) - pos, " ...");
	if (o->sink) {
		struct json_object *f = json_object_new_object();
		char text[sizeof(hex) + 16];

		json_object_object_add(f, "dir", json_object_new_string(dir == '>' ? "out" : "in"));
		json_object_object_add(f, "len", json_object_new_int((int)len));
		json_object_object_add(f, "bytes", json_object_new_string(hex));
		snprintf(text, sizeof(text), "%c %3zu: %s", dir, len, hex);
		to_sink(o, OUT_K_TRACE, "packet", f, text);
		return;
	}
	if (o->mode == OUT_JSON) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "dir", json_object_new_string(dir == '>' ? "out" : "in"));
		json_object_object_add(f, "len", json_object_new_int((int)len));
		json_object_object_add(f, "bytes", json_object_new_string(hex));
		out_event(o, "packet", f, NULL);
		return;
	}
	clear_bar(o);
	fprintf(o->err, "%c %3zu: %s\n", dir, len, hex);
}

void out_summary(struct output *o, const char *line)
{
	if (o->sink) {
		o->sink(o->sink_ctx, OUT_K_SUMMARY, NULL, line);
		return;
	}
	if (o->mode != OUT_HUMAN || o->quiet)
		return;
	clear_bar(o);
	fprintf(o->out, "%s\n", line);
	fflush(o->out);
}

void out_result(struct output *o, struct json_object *fields)
{
	if (o->sink) {
		to_sink(o, OUT_K_RESULT, "result", fields, NULL);
		return;
	}
	if (o->mode == OUT_JSON) {
		json_object_object_add(fields, "event", json_object_new_string("result"));
		emit_json(o, fields);
	}
	json_object_put(fields);
}

const char *exit_code_name(int code)
{
	switch (code) {
	case EXIT_OK: return "ok";
	case EXIT_INTERNAL: return "internal";
	case EXIT_USAGE: return "usage";
	case EXIT_PORT: return "port";
	case EXIT_BUSY: return "busy";
	case EXIT_NOSYNC: return "no-sync";
	case EXIT_CHIP: return "chip";
	case EXIT_ERASE: return "erase";
	case EXIT_VERIFY: return "verify";
	case EXIT_IO: return "io";
	case EXIT_CONFIG: return "config";
	case EXIT_JOURNAL: return "journal";
	case EXIT_SECURITY: return "security";
	case EXIT_PARTIAL: return "partial";
	case EXIT_SDM: return "sdm";
	}
	if (code > EXIT_SIGNAL_BASE)
		return "signal";
	return "unknown";
}
