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

/* What a sink is handed (multi-board runs: multi.c). */
enum out_kind {
	OUT_K_EVENT,    /* out_event: a step; text is its human line or "" */
	OUT_K_PROGRESS, /* out_progress: every call, not rate-limited */
	OUT_K_ERROR,    /* out_error; text is "error: MSG (hint: HINT)" */
	OUT_K_NOTE,     /* out_note */
	OUT_K_DEBUG,    /* out_debug (only with -v) */
	OUT_K_TRACE,    /* out_trace (only with -v) */
	OUT_K_SUMMARY,  /* out_summary: the one line per board; obj is NULL */
	OUT_K_RESULT,   /* out_result: the final object; text is "" */
};

/*
 * With a sink set, nothing is printed: every message goes to the sink as the
 * JSON object --json would print (with "event" and "time"; borrowed, valid
 * for the call only; NULL for a summary) and its human text.  Each board of
 * a multi-board run has its own struct output whose sink attaches the port.
 */
typedef void (*out_sink_fn)(void *ctx, enum out_kind kind, struct json_object *obj, const char *text);

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
	out_sink_fn sink;  /* when set, every message goes here instead */
	void *sink_ctx;
};

void output_init(struct output *o, enum out_mode mode, bool quiet, int verbose);
/* An output whose messages all go to sink (no progress bar, nothing printed). */
void output_init_sink(struct output *o, int verbose, out_sink_fn sink, void *ctx);

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
