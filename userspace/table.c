// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live table: column layout for a terminal width, row formatting, and
 * drawing frames in place.
 *
 * Layout: every column starts at the width its content wants (the whole MAC,
 * a 10-cell bar, ...).  While the line is wider than the terminal, fixed
 * steps make it narrower, in this order: a shorter bar, the MAC's last three
 * octets only, a capped socket, short phase words, a percentage instead of
 * the bar, then whole columns leave (MAC, flash size, chip, socket,
 * progress).  Room left over goes back to the MAC, the socket and the bar.
 * Unless everything fits at full width, sockets lose the prefix every row
 * shares (the host controller part of ID_PATH), then, if still too long,
 * their head: the tail names the socket.
 * A line is always at least one column narrower than the terminal, so it
 * never wraps and cursor-up counts stay right.
 */
#include "table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BAR_WANT 10
#define BAR_MAX 24
#define BAR_MIN 6
#define ETA_W 5            /* "1m05s" never: "1m05", "59s", "99m+" */
#define PCT_W (4 + 1 + ETA_W)
#define PHASE_LONG 10      /* "connecting", "unplugged" */
#define PHASE_SHORT 7      /* "connect" */
#define MAC_LONG 17
#define MAC_SHORT 8
#define CHIP_W 9           /* "ESP8266EX", "ESP32-C61" */
#define SIZE_W 4           /* "512K", "16M" */
#define SOCKET_SHORT 9     /* sockets this short keep their shared prefix */

static const char *const col_names[TC_N] = {
	[TC_SOCKET] = "SOCKET", [TC_PORT] = "PORT", [TC_CHIP] = "CHIP", [TC_MAC] = "MAC",
	[TC_SIZE] = "SIZE", [TC_PHASE] = "PHASE", [TC_PROGRESS] = "PROGRESS", [TC_RESULT] = "RESULT",
};

static const struct {
	const char *lng, *shrt;
} phase_words[] = {
	{ "waiting", "wait" },       { "connecting", "connect" }, { "preparing", "prepare" },
	{ "erasing", "erase" },      { "verifying", "verify" },   { "resetting", "reset" },
	{ "done", "done" },          { "failed", "failed" },      { "unplugged", "unplug" },
	{ "stopped", "stopped" },
};

const char *table_phase_short(const char *phase)
{
	for (size_t i = 0; i < sizeof(phase_words) / sizeof(phase_words[0]); i++)
		if (strcmp(phase, phase_words[i].lng) == 0)
			return phase_words[i].shrt;
	return phase;
}

void table_sanitize(char *buf, size_t len, const char *src)
{
	size_t i = 0;

	if (!len)
		return;
	for (; src && src[i] && i + 1 < len; i++) {
		unsigned char c = (unsigned char)src[i];

		buf[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	buf[i] = '\0';
}

void table_format_eta(double s, char *buf, size_t len)
{
	long v = s < 0 ? 0 : (long)(s + 0.5);

	if (v < 60)
		snprintf(buf, len, "%lds", v);
	else if (v < 100 * 60)
		snprintf(buf, len, "%ldm%02ld", v / 60, v % 60);
	else
		snprintf(buf, len, "99m+");
}

static int imax(int a, int b)
{
	return a > b ? a : b;
}

static int imin(int a, int b)
{
	return a < b ? a : b;
}

/* The prefix every non-empty socket shares, cut back to just after a '-' or ':'. */
static size_t shared_prefix(const struct table_row *rows, size_t n)
{
	const char *first = NULL;
	size_t common = 0, k = 0;

	for (size_t i = 0; i < n; i++) {
		const char *s = rows[i].socket;

		if (!s || !s[0])
			continue;
		if (!first) {
			first = s;
			common = strlen(s);
		} else {
			size_t j = 0;

			while (j < common && s[j] == first[j])
				j++;
			common = j;
		}
		k++;
	}
	if (k < 2)
		return 0;
	while (common > 0 && first[common - 1] != '-' && first[common - 1] != ':')
		common--;
	return common;
}

static int socket_len(const struct table_row *rows, size_t n, size_t skip)
{
	int m = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = rows[i].socket ? strlen(rows[i].socket) : 0;

		m = imax(m, (int)(l > skip ? l - skip : 0));
	}
	return m;
}

static int total_width(const struct table_layout *l)
{
	int t = 0, cols = 0;

	for (int c = 0; c < TC_N; c++) {
		if (l->width[c]) {
			t += l->width[c];
			cols++;
		}
	}
	return cols ? t + cols - 1 : 0;
}

static int progress_width(const struct table_layout *l)
{
	return l->bar ? l->bar + 1 + ETA_W : PCT_W;
}

enum step_kind { S_SHORT_MAC, S_BAR, S_CAP, S_SHORT_PHASE, S_PCT, S_DROP };

static const struct {
	enum step_kind kind;
	int col, val;
} shrink_steps[] = {
	{ S_BAR, TC_PROGRESS, BAR_MIN }, { S_SHORT_MAC, TC_MAC, 0 },  { S_CAP, TC_SOCKET, 12 },
	{ S_SHORT_PHASE, TC_PHASE, 0 }, { S_PCT, TC_PROGRESS, 0 },  { S_CAP, TC_SOCKET, 9 },
	{ S_DROP, TC_MAC, 0 },       { S_CAP, TC_PORT, 8 },           { S_DROP, TC_SIZE, 0 },
	{ S_CAP, TC_SOCKET, 6 },     { S_DROP, TC_CHIP, 0 },          { S_DROP, TC_SOCKET, 0 },
	{ S_DROP, TC_PROGRESS, 0 },  { S_CAP, TC_RESULT, 6 },         { S_CAP, TC_PORT, 6 },
};

/* Lay out with the sockets' first `skip` bytes left out; returns how many shrink steps it took. */
static size_t layout_pass(struct table_layout *l, const struct table_row *rows, size_t n, int avail,
			  size_t skip)
{
	size_t steps = 0;

	/* room for "no-sync 5", "signal 130" from the start: the columns do not move at the end */
	int port = 4, result = 10, sock = socket_len(rows, n, skip);

	for (size_t i = 0; i < n; i++) {
		port = imax(port, rows[i].port ? (int)strlen(rows[i].port) : 0);
		result = imax(result, rows[i].result ? (int)strlen(rows[i].result) : 0);
	}
	memset(l, 0, sizeof(*l));
	l->socket_skip = skip;
	l->bar = BAR_WANT;
	l->width[TC_SOCKET] = imax(6, imin(sock, 24));
	l->width[TC_PORT] = imin(port, 16);
	l->width[TC_CHIP] = CHIP_W;
	l->width[TC_MAC] = MAC_LONG;
	l->width[TC_SIZE] = SIZE_W;
	l->width[TC_PHASE] = PHASE_LONG;
	l->width[TC_PROGRESS] = progress_width(l);
	l->width[TC_RESULT] = imin(result, 16);
	for (size_t i = 0; i < sizeof(shrink_steps) / sizeof(shrink_steps[0]) && total_width(l) > avail; i++) {
		int c = shrink_steps[i].col, v = shrink_steps[i].val;

		steps++;
		switch (shrink_steps[i].kind) {
		case S_SHORT_MAC:
			l->short_mac = true;
			l->width[c] = MAC_SHORT;
			break;
		case S_BAR:
			if (l->bar)
				l->bar = imin(l->bar, v);
			l->width[c] = l->width[c] ? progress_width(l) : 0;
			break;
		case S_PCT:
			l->bar = 0;
			l->width[c] = l->width[c] ? progress_width(l) : 0;
			break;
		case S_CAP:
			if (l->width[c] > v)
				l->width[c] = v;
			break;
		case S_SHORT_PHASE:
			l->short_phase = true;
			l->width[c] = PHASE_SHORT;
			break;
		case S_DROP:
			l->width[c] = 0;
			break;
		}
	}
	/* Room left: the whole MAC, the whole socket, a longer bar. */
	if (l->short_mac && l->width[TC_MAC] && avail - total_width(l) >= MAC_LONG - MAC_SHORT) {
		l->short_mac = false;
		l->width[TC_MAC] = MAC_LONG;
	}
	if (l->short_phase && avail - total_width(l) >= PHASE_LONG - PHASE_SHORT) {
		l->short_phase = false;
		l->width[TC_PHASE] = PHASE_LONG;
	}
	if (l->width[TC_SOCKET] && l->width[TC_SOCKET] < sock)
		l->width[TC_SOCKET] += imin(sock - l->width[TC_SOCKET], imax(0, avail - total_width(l)));
	if (l->width[TC_PROGRESS] && l->bar) {
		l->bar += imin(BAR_MAX - l->bar, imax(0, avail - total_width(l)));
		l->width[TC_PROGRESS] = progress_width(l);
	}
	l->total = imin(total_width(l), avail);
	return steps;
}

void table_layout_compute(struct table_layout *l, const struct table_row *rows, size_t n, int columns)
{
	int avail = imax(columns - 1, 10);
	size_t skip = shared_prefix(rows, n);

	/* Whole sockets if nothing else had to give way for them, or they are short anyway. */
	if (layout_pass(l, rows, n, avail, 0) && skip && socket_len(rows, n, 0) > SOCKET_SHORT)
		layout_pass(l, rows, n, avail, skip);
}

/* Append text to buf at *pos, cut to w (keep_tail: its head gives way, marked ".."), padded if pad. */
static void cell(char *buf, size_t len, size_t *pos, const char *text, int w, bool keep_tail, bool pad)
{
	char clean[256], shown[260];
	int tl, i;

	table_sanitize(clean, sizeof(clean), text ? text : "");
	tl = (int)strlen(clean);
	if (w > (int)sizeof(clean) - 1)
		w = (int)sizeof(clean) - 1;
	if (tl <= w)
		snprintf(shown, sizeof(shown), "%s", clean);
	else if (keep_tail && w > 2)
		snprintf(shown, sizeof(shown), "..%s", clean + tl - (w - 2));
	else
		snprintf(shown, sizeof(shown), "%.*s", w, clean);
	for (i = 0; shown[i] && *pos + 1 < len; i++)
		buf[(*pos)++] = shown[i];
	for (; pad && i < w && *pos + 1 < len; i++)
		buf[(*pos)++] = ' ';
	buf[*pos] = '\0';
}

static int last_col(const struct table_layout *l)
{
	int last = -1;

	for (int c = 0; c < TC_N; c++)
		if (l->width[c])
			last = c;
	return last;
}

static void finish_line(const struct table_layout *l, char *buf, size_t len, size_t pos)
{
	/* no trailing blanks; never wider than the layout */
	while (pos > 0 && buf[pos - 1] == ' ')
		pos--;
	if (pos > (size_t)l->total)
		pos = (size_t)l->total;
	if (pos >= len)
		pos = len - 1;
	buf[pos] = '\0';
}

void table_format_colhead(const struct table_layout *l, char *buf, size_t len)
{
	size_t pos = 0;
	int last = last_col(l);

	if (!len)
		return;
	buf[0] = '\0';
	for (int c = 0; c < TC_N; c++) {
		if (!l->width[c])
			continue;
		cell(buf, len, &pos, col_names[c], l->width[c], false, c != last);
		if (c != last && pos + 1 < len)
			buf[pos++] = ' ';
	}
	finish_line(l, buf, len, pos);
}

static void progress_cell(const struct table_layout *l, const struct table_row *r, char *out, size_t len)
{
	char eta[16] = "";
	int w = l->width[TC_PROGRESS];

	out[0] = '\0';
	if (r->finished) {
		snprintf(out, len, "%.1fs", r->seconds);
		if ((int)strlen(out) > w)
			snprintf(out, len, "%.0fs", r->seconds);
		return;
	}
	if (r->permille < 0)
		return;
	if (r->remaining_s >= 0)
		table_format_eta(r->remaining_s, eta, sizeof(eta));
	if (l->bar) {
		int pm = r->permille > 1000 ? 1000 : r->permille;
		int fill = pm * l->bar / 1000, i = 0;

		for (; i < l->bar && (size_t)i + 1 < len; i++)
			out[i] = i < fill ? '#' : '.';
		snprintf(out + i, len - (size_t)i, " %*s", ETA_W, eta);
	} else {
		snprintf(out, len, "%3d%% %*s", (r->permille > 1000 ? 1000 : r->permille) / 10, ETA_W, eta);
	}
}

static void mac_cell(const struct table_layout *l, const char *mac, char *out, size_t len)
{
	size_t ml = mac ? strlen(mac) : 0;

	if (l->short_mac && ml > MAC_SHORT)
		snprintf(out, len, "%s", mac + ml - MAC_SHORT);
	else
		snprintf(out, len, "%s", mac ? mac : "");
}

void table_format_row(const struct table_layout *l, const struct table_row *r, char *buf, size_t len)
{
	size_t pos = 0;
	int last = last_col(l);
	char tmp[96];

	if (!len)
		return;
	buf[0] = '\0';
	for (int c = 0; c < TC_N; c++) {
		const char *text = "";
		bool tail = false;

		if (!l->width[c])
			continue;
		switch ((enum table_col)c) {
		case TC_SOCKET: {
			const char *s = r->socket ? r->socket : "";

			text = strlen(s) > l->socket_skip ? s + l->socket_skip : s;
			if (!text[0])
				text = "-";
			tail = true;
			break;
		}
		case TC_PORT:
			text = r->port;
			tail = true;
			break;
		case TC_CHIP:
			text = r->chip;
			break;
		case TC_MAC:
			mac_cell(l, r->mac, tmp, sizeof(tmp));
			text = tmp;
			break;
		case TC_SIZE:
			text = r->size;
			break;
		case TC_PHASE:
			text = l->short_phase ? table_phase_short(r->phase) : r->phase;
			break;
		case TC_PROGRESS:
			progress_cell(l, r, tmp, sizeof(tmp));
			text = tmp;
			break;
		case TC_RESULT:
			text = r->result;
			break;
		case TC_N:
			break;
		}
		cell(buf, len, &pos, text, l->width[c], tail, c != last);
		if (c != last && pos + 1 < len)
			buf[pos++] = ' ';
	}
	finish_line(l, buf, len, pos);
}

/* ---- the screen ---- */

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

void table_screen_size(int fd, int *columns, int *rows)
{
	struct winsize ws;

	*columns = 80;
	*rows = 24;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
		if (ws.ws_col > 0)
			*columns = ws.ws_col;
		if (ws.ws_row > 0)
			*rows = ws.ws_row;
	}
}

void table_screen_begin(struct table_screen *s, int fd)
{
	s->fd = fd;
	s->lines = 0;
	s->active = true;
	write_all(fd, "\033[?25l", 6); /* no cursor flickering through the rows */
}

void table_screen_frame(struct table_screen *s, const char *const *lines, size_t n)
{
	size_t cap = 64, pos = 0;
	char stackbuf[8192];
	char *buf = stackbuf;

	for (size_t i = 0; i < n; i++)
		cap += strlen(lines[i]) + 8;
	if (cap > sizeof(stackbuf))
		buf = malloc(cap);
	if (!buf) {
		buf = stackbuf; /* lines are cut to fit below */
		cap = sizeof(stackbuf);
	} else if (buf == stackbuf) {
		cap = sizeof(stackbuf);
	}
	/* back to the first line of the last frame; each line rewritten, then cleared to its end */
	if (s->lines > 0)
		pos += (size_t)snprintf(buf + pos, cap - pos, "\r\033[%dA", s->lines);
	for (size_t i = 0; i < n && pos + 16 < cap; i++) {
		size_t l = strlen(lines[i]);

		if (l > cap - pos - 16)
			l = cap - pos - 16;
		memcpy(buf + pos, lines[i], l);
		pos += l;
		memcpy(buf + pos, "\033[K\r\n", 5);
		pos += 5;
	}
	/* a shorter frame: clear what the last one left below */
	if (pos + 4 <= cap) {
		memcpy(buf + pos, "\033[J", 3);
		pos += 3;
	}
	write_all(s->fd, buf, pos);
	if (buf != stackbuf)
		free(buf);
	s->lines = (int)n;
}

void table_screen_end(struct table_screen *s)
{
	if (!s->active)
		return;
	write_all(s->fd, "\033[?25h", 6);
	s->active = false;
}
