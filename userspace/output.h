/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Everything espwipe tells the user: plain lines, a progress bar on a
 * terminal, a packet trace with -v, or one JSON object per line with --json.
 */
#ifndef ESPWIPE_OUTPUT_H
#define ESPWIPE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

enum out_mode {
	OUT_HUMAN,
	OUT_JSON,
};

struct output {
	enum out_mode mode;
	bool quiet;
	int verbose;
	bool bar;          /* draw a progress bar (stderr is a terminal) */
	bool bar_drawn;    /* a bar line is on screen and needs clearing */
	unsigned int last_permille;
	uint64_t last_progress_us;
	FILE *out;         /* results and events */
	FILE *err;         /* messages, progress, trace */
};

void output_init(struct output *o, enum out_mode mode, bool quiet, int verbose);

/* A step happened ("connect", "synced", "erase-step", ...); fields may be NULL. */
void out_event(struct output *o, const char *event, struct json_object *fields,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Progress of a long step in permille; `estimate` says it is time-based. */
void out_progress(struct output *o, const char *what, unsigned int permille, bool estimate,
		  double elapsed_s, double expected_s);
void out_progress_done(struct output *o);

/* A one-line error with a hint, before the result. */
void out_error(struct output *o, int code, const char *msg, const char *hint);
/* Informational note (verbose-independent, suppressed by -q). */
void out_note(struct output *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Detail shown with -v only. */
void out_debug(struct output *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Packet trace hook, matches transport.trace. */
void out_trace(void *ctx, char dir, const uint8_t *body, size_t len);

/* Wall-clock time in seconds, as the "time" of every JSON event. */
double out_wall_time(void);

/* The one-line human summary of a run (not with --json or -q). */
void out_summary(struct output *o, const char *line);

/* The final result object; takes ownership of fields. */
void out_result(struct output *o, struct json_object *fields);

#endif /* ESPWIPE_OUTPUT_H */
