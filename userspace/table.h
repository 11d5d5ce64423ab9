/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The live table of a multi-board run: one row per board.  Laying out the
 * columns for a terminal width and formatting the lines are pure functions
 * (unit-tested in tests/cli/test_table.c); table_screen_* draws frames in
 * place with ANSI cursor movement, one write() per frame.
 */
#ifndef ESPWIPE_TABLE_H
#define ESPWIPE_TABLE_H

#include <stdbool.h>
#include <stddef.h>

enum table_col {
	TC_SOCKET,   /* the hub socket (ID_PATH), the prefix all rows share left out */
	TC_PORT,     /* ttyUSB0 */
	TC_CHIP,     /* ESP8266EX, ESP32-C3 */
	TC_MAC,      /* the whole MAC, or its last three octets when narrow */
	TC_SIZE,     /* flash size: 4M, 512K */
	TC_PHASE,    /* connecting, erasing, ... (short words when narrow) */
	TC_PROGRESS, /* a bar and the time left; the total time once finished */
	TC_RESULT,   /* ok, or the exit-code word and number: "io 9" */
	TC_N,
};

struct table_row {
	const char *socket;  /* "" when unknown */
	const char *port;
	const char *chip;    /* "" until identified */
	const char *mac;
	const char *size;
	const char *phase;   /* one of the long phase words (table_phase_short knows them) */
	int permille;        /* progress, 0..1000; < 0: no bar */
	double remaining_s;  /* estimate of the time left; < 0: none */
	bool finished;
	double seconds;      /* total time, shown once finished */
	const char *result;  /* "" while running */
};

struct table_layout {
	int width[TC_N];     /* 0: column left out */
	int bar;             /* bar cells in TC_PROGRESS; 0: "NN%" instead */
	bool short_phase;
	bool short_mac;
	size_t socket_skip;  /* leading bytes of every socket not shown (shared prefix) */
	int total;           /* width of a line */
};

/* Lay the columns out for rows[0..n) on a terminal `columns` wide (lines stay narrower). */
void table_layout_compute(struct table_layout *l, const struct table_row *rows, size_t n, int columns);

/* The column header line and one row, cut to the layout's width; NUL-terminated. */
void table_format_colhead(const struct table_layout *l, char *buf, size_t len);
void table_format_row(const struct table_layout *l, const struct table_row *r, char *buf, size_t len);

/* "connecting" -> "connect", ...; unknown words unchanged. */
const char *table_phase_short(const char *phase);

/* Time left as the table shows it: "12s", "1m05", "99m+". */
void table_format_eta(double s, char *buf, size_t len);

/* Copy src into buf (len bytes) for a terminal: control and non-ASCII bytes become '?'. */
void table_sanitize(char *buf, size_t len, const char *src);

/* Drawing frames in place on a terminal. */
struct table_screen {
	int fd;
	int lines;      /* lines of the last frame (the cursor is below them) */
	bool active;
};

void table_screen_begin(struct table_screen *s, int fd);
/* Replace the last frame with lines[0..n) (each narrower than the terminal). */
void table_screen_frame(struct table_screen *s, const char *const *lines, size_t n);
/* Leave the last frame on screen, the cursor below it, and show the cursor again. */
void table_screen_end(struct table_screen *s);
/* The terminal's size, or 80x24. */
void table_screen_size(int fd, int *columns, int *rows);

#endif /* ESPWIPE_TABLE_H */
