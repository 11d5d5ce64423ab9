// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Several boards at once.
 *
 * Threads: the main thread owns the board list, the hotplug source and the
 * screen; each board runs ops_run() in a thread of its own, exactly as a
 * single wipe (its own session, port, flock + TIOCEXCL, connect, retries,
 * journal record).  Boards share nothing mutable but their row state, which
 * the sink writes under `lock` and the renderer reads under it.  A worker
 * wakes the main thread (eventfd) on every step and when it has returned;
 * progress only updates the row, and the table is redrawn at most 10 times a
 * second while a board runs.
 *
 * Stop signals: they are blocked in the workers, so the main thread's poll
 * gets them; port.c's stop descriptor wakes every worker's wait at once, each
 * board fails its step with 128+N, says what the ROM confirmed, writes its
 * journal record and closes its port; the main thread waits for them all.
 */
#include "multi.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "args.h"
#include "autowipe_conf.h"
#include "devprops.h"
#include "discovery.h"
#include "exitcode.h"
#include "hotplug.h"
#include "port.h"
#include "table.h"

#define FRAME_US 100000u            /* at most 10 frames a second */
#define THREAD_STACK (1024u * 1024u)
#define PRESENT_MAX DISCOVERY_MAX

enum phase {
	PH_WAITING,
	PH_CONNECTING,
	PH_PREPARING,
	PH_ERASING,
	PH_VERIFYING,
	PH_RESETTING,
	PH_DONE,
	PH_FAILED,
	PH_UNPLUGGED,
	PH_STOPPED,
};

static const char *const phase_words[] = {
	[PH_WAITING] = "waiting",     [PH_CONNECTING] = "connecting", [PH_PREPARING] = "preparing",
	[PH_ERASING] = "erasing",     [PH_VERIFYING] = "verifying",   [PH_RESETTING] = "resetting",
	[PH_DONE] = "done",           [PH_FAILED] = "failed",         [PH_UNPLUGGED] = "unplugged",
	[PH_STOPPED] = "stopped",
};

enum display {
	D_TABLE, /* a terminal: the live table */
	D_JSON,  /* --json: every event of every board, with its port; a summary object */
	D_LINES, /* one line per event (or with -q per error), with its port; a summary line */
};

struct multi;

struct board {
	struct multi *m;
	unsigned int index;     /* order of creation */
	char spec[256];         /* -p as given, or the device node */
	char devnode[256];      /* "" if -p could not be resolved */
	char name[64];          /* shown as PORT */
	char socket[128];       /* ID_PATH or the test link's name; "" if unknown */
	char rowkey[256];       /* the row: the socket, else the device node */
	struct dev_props props;
	bool have_props;
	struct op_options opt;
	struct output out;
	pthread_t thread;
	bool started, joined, superseded;
	/* row state: written by the sink (worker) and the main thread, under m->lock */
	enum phase phase;
	char chip[24], mac[24], size[24];
	int permille;           /* < 0: no bar */
	double elapsed_s, expected_s;
	uint64_t progress_at_us;
	uint64_t start_us, end_us;
	bool finished, unplugged, have_result;
	int code;
	char error[512];
	int last_pct, last_decile;
};

struct multi {
	const struct op_options *opt;
	struct output *out;
	enum display disp;
	pthread_mutex_t lock;
	int wake_fd;
	struct board **b;
	size_t n, cap;
	uint64_t t0;
	struct aw_conf *match;
	size_t nmatch;
	struct hotplug *hp;
	bool stopping;
	int stop_sig;
	struct table_screen screen;
	uint64_t last_frame_us;
	char (*seen)[128];       /* plug-in keys already handled (--each) */
	size_t nseen, seen_cap;
	unsigned int next_index;
};

bool multi_wanted(const struct op_options *o)
{
	return o->nports > 1 || o->all || o->each;
}

static void copy(char *dst, size_t len, const char *src)
{
	size_t n = src ? strnlen(src, len - 1) : 0;

	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void poke(struct multi *m)
{
	uint64_t one = 1;

	if (write(m->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is non-zero already: the main thread will look */
	}
}

static void fmt_size(int64_t bytes, char *buf, size_t len)
{
	if (bytes <= 0)
		buf[0] = '\0';
	else if (bytes >= (1 << 20) && bytes % (1 << 20) == 0)
		snprintf(buf, len, "%" PRId64 "M", bytes >> 20);
	else
		snprintf(buf, len, "%" PRId64 "K", bytes >> 10);
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static double jnum(struct json_object *o, const char *key, double dflt)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return dflt;
	return json_object_get_double(v);
}

static const char *board_port(const struct board *b)
{
	return b->devnode[0] ? b->devnode : b->spec;
}

/* ---- the sink: a board's messages (worker thread) ---- */

static void chip_fields(struct board *b, struct json_object *obj)
{
	const char *chip = jstr(obj, "chip_model"), *mac = jstr(obj, "mac");
	struct json_object *v;

	if (chip)
		copy(b->chip, sizeof(b->chip), chip);
	if (mac)
		copy(b->mac, sizeof(b->mac), mac);
	if (json_object_object_get_ex(obj, "flash_size", &v))
		fmt_size(json_object_get_int64(v), b->size, sizeof(b->size));
}

/* Update the row from one message; true if the table should be redrawn soon. */
static bool update_row(struct board *b, enum out_kind kind, struct json_object *obj)
{
	const char *ev = jstr(obj, "event");

	switch (kind) {
	case OUT_K_PROGRESS: {
		const char *what = jstr(obj, "what");

		if (what && strcmp(what, "Verifying") == 0)
			b->phase = PH_VERIFYING;
		b->permille = (int)(jnum(obj, "percent", 0) * 10 + 0.5);
		b->elapsed_s = jnum(obj, "elapsed_s", 0);
		b->expected_s = jnum(obj, "expected_s", 0);
		b->progress_at_us = port_now_us();
		return false;
	}
	case OUT_K_ERROR:
		copy(b->error, sizeof(b->error), jstr(obj, "error"));
		return true;
	case OUT_K_RESULT: {
		const char *err = jstr(obj, "error");

		chip_fields(b, obj);
		b->code = (int)jnum(obj, "exit_code", EXIT_INTERNAL);
		b->have_result = true;
		if (err)
			copy(b->error, sizeof(b->error), err);
		return true;
	}
	case OUT_K_EVENT:
		break;
	default:
		return false;
	}
	if (!ev)
		return false;
	if (strcmp(ev, "connect") == 0) {
		b->phase = PH_CONNECTING;
	} else if (strcmp(ev, "synced") == 0) {
		b->phase = PH_PREPARING;
	} else if (strcmp(ev, "chip") == 0) {
		chip_fields(b, obj);
	} else if (strcmp(ev, "erase-plan") == 0) {
		b->phase = PH_ERASING;
		b->permille = 0;
		b->elapsed_s = 0;
		b->expected_s = jnum(obj, "expected_s", 0);
		b->progress_at_us = port_now_us();
	} else if (strcmp(ev, "erased") == 0) {
		b->permille = 1000;
	} else if (strcmp(ev, "verify") == 0) {
		b->phase = PH_VERIFYING;
		b->permille = -1;
	} else if (strcmp(ev, "reset") == 0) {
		b->phase = PH_RESETTING;
		b->permille = -1;
	}
	return true;
}

/* The message as its own line, port first (D_LINES); under m->lock. */
static void emit_line(struct multi *m, struct board *b, enum out_kind kind, struct json_object *obj,
		      const char *text)
{
	bool quiet = m->out->quiet;
	const char *port = board_port(b);
	FILE *f = stdout;

	switch (kind) {
	case OUT_K_EVENT:
	case OUT_K_SUMMARY:
		if (quiet || !text[0])
			return;
		break;
	case OUT_K_PROGRESS: {
		int decile = (int)(jnum(obj, "percent", 0) / 10);

		if (quiet || decile == b->last_decile)
			return;
		b->last_decile = decile;
		fprintf(stderr, "%s: %s: %d%%%s\n", port, jstr(obj, "what") ? jstr(obj, "what") : "progress",
			decile * 10, json_object_get_boolean(json_object_object_get(obj, "estimate")) ?
			" (estimate)" : "");
		fflush(stderr);
		return;
	}
	case OUT_K_NOTE:
		if (quiet)
			return;
		f = stderr;
		break;
	case OUT_K_ERROR: {
		/* as a single run says it, the port named (once) */
		const char *msg = jstr(obj, "error"), *hint = jstr(obj, "hint");

		if (!msg)
			break;
		fprintf(stderr, "espwipe: error: %s%s%s%s%s%s\n", strncmp(msg, port, strlen(port)) == 0 ? "" : port,
			strncmp(msg, port, strlen(port)) == 0 ? "" : ": ", msg, hint ? " (hint: " : "",
			hint ? hint : "", hint ? ")" : "");
		fflush(stderr);
		return;
	}
	case OUT_K_DEBUG:
	case OUT_K_TRACE:
		f = stderr;
		break;
	case OUT_K_RESULT:
		return;
	}
	/* messages that start with the port already (errors, the summary) keep it once */
	if (strncmp(text, port, strlen(port)) == 0)
		fprintf(f, "%s\n", text);
	else
		fprintf(f, "%s: %s\n", port, text);
	fflush(f);
}

/* The message as JSON with the port attached (D_JSON); under m->lock. */
static void emit_json(struct multi *m, struct board *b, enum out_kind kind, struct json_object *obj)
{
	(void)m;
	if (!obj)
		return; /* the summary line: the result object says it all */
	if (kind == OUT_K_PROGRESS) {
		int pct = (int)jnum(obj, "percent", 0);

		if (pct == b->last_pct)
			return;
		b->last_pct = pct;
	}
	json_object_object_add(obj, "port", json_object_new_string(board_port(b)));
	if (b->socket[0])
		json_object_object_add(obj, "socket", json_object_new_string(b->socket));
	if (kind == OUT_K_RESULT && b->unplugged)
		json_object_object_add(obj, "unplugged", json_object_new_boolean(true));
	fputs(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN), stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

/*
 * Did a failed board leave?  The node goes (devtmpfs, in the kernel) before
 * udev's remove event is out, sometimes before the failure is noticed.
 */
static bool node_gone(const struct board *b, int code)
{
	return (code == EXIT_IO || code == EXIT_NOSYNC || code == EXIT_PORT) && b->devnode[0] &&
	       access(b->devnode, F_OK) != 0 && errno == ENOENT;
}

static void run_event(struct multi *m, const char *event, struct json_object *f, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Mark a board unplugged, and say so once (an `unplugged` event); any thread, m->lock not held. */
static void mark_unplugged(struct board *b)
{
	struct multi *m = b->m;
	bool first;

	pthread_mutex_lock(&m->lock);
	first = !b->unplugged;
	b->unplugged = true;
	if (!b->finished || b->code != EXIT_OK)
		b->phase = PH_UNPLUGGED;
	pthread_mutex_unlock(&m->lock);
	if (first) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "port", json_object_new_string(board_port(b)));
		if (b->socket[0])
			json_object_object_add(f, "socket", json_object_new_string(b->socket));
		run_event(m, "unplugged", f, "%s: unplugged while it was being worked on", board_port(b));
		if (m->disp == D_TABLE)
			poke(m);
	}
}

static void board_sink(void *ctx, enum out_kind kind, struct json_object *obj, const char *text)
{
	struct board *b = ctx;
	struct multi *m = b->m;
	bool redraw;

	/* gone already when it failed: its result says so */
	if (kind == OUT_K_RESULT && node_gone(b, (int)jnum(obj, "exit_code", 0)))
		mark_unplugged(b);
	pthread_mutex_lock(&m->lock);
	redraw = obj ? update_row(b, kind, obj) : false;
	if (m->disp == D_JSON)
		emit_json(m, b, kind, obj);
	else if (m->disp == D_LINES)
		emit_line(m, b, kind, obj, text);
	pthread_mutex_unlock(&m->lock);
	if (redraw && m->disp == D_TABLE)
		poke(m);
}

static enum phase final_phase(const struct board *b)
{
	if (b->code == EXIT_OK)
		return PH_DONE;
	if (b->unplugged)
		return PH_UNPLUGGED;
	if (b->code > EXIT_SIGNAL_BASE)
		return PH_STOPPED;
	return PH_FAILED;
}

static void *board_thread(void *arg)
{
	struct board *b = arg;
	int code = ops_run(&b->opt, &b->out);

	if (node_gone(b, code))
		mark_unplugged(b);
	/* ops_run has closed the port and written the journal record: only now is it done */
	pthread_mutex_lock(&b->m->lock);
	b->code = code;
	b->finished = true;
	b->end_us = port_now_us();
	b->phase = final_phase(b);
	b->permille = -1;
	pthread_mutex_unlock(&b->m->lock);
	poke(b->m);
	return NULL;
}

/* ---- boards ---- */

static struct board *new_board(struct multi *m, const char *spec, const char *devnode, const char *socket,
			       const struct dev_props *props)
{
	struct board *b = calloc(1, sizeof(*b));
	const char *shown;

	if (!b)
		return NULL;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct board **nb = realloc(m->b, cap * sizeof(*nb));

		if (!nb) {
			free(b);
			return NULL;
		}
		m->b = nb;
		m->cap = cap;
	}
	b->m = m;
	b->index = m->next_index++;
	copy(b->spec, sizeof(b->spec), spec);
	copy(b->devnode, sizeof(b->devnode), devnode);
	copy(b->socket, sizeof(b->socket), socket);
	shown = board_port(b);
	copy(b->name, sizeof(b->name), strncmp(shown, "/dev/", 5) == 0 ? shown + 5 : shown);
	copy(b->rowkey, sizeof(b->rowkey), b->socket[0] ? b->socket : shown);
	if (props) {
		b->props = *props;
		b->have_props = true;
	}
	b->opt = *m->opt;
	b->opt.port = board_port(b);
	b->opt.nports = 0;
	memset(b->opt.ports, 0, sizeof(b->opt.ports));
	b->opt.all = b->opt.each = false;
	b->opt.nmatch = 0;
	b->opt.props = b->have_props ? &b->props : NULL;
	output_init_sink(&b->out, m->out->verbose, board_sink, b);
	b->phase = PH_WAITING;
	b->permille = -1;
	b->last_pct = b->last_decile = -1;
	/* a new plug-in in a socket replaces the row of its last, finished wipe */
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->n; i++)
		if (m->b[i]->finished && strcmp(m->b[i]->rowkey, b->rowkey) == 0)
			m->b[i]->superseded = true;
	m->b[m->n++] = b;
	pthread_mutex_unlock(&m->lock);
	return b;
}

static void start_board(struct multi *m, struct board *b)
{
	pthread_attr_t attr;
	sigset_t block, old;
	int r;

	b->start_us = port_now_us();
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	/* stop signals go to the main thread; the stop descriptor wakes the workers */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	r = pthread_create(&b->thread, &attr, board_thread, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	pthread_mutex_lock(&m->lock);
	if (r == 0) {
		b->started = true;
	} else {
		b->finished = b->have_result = true;
		b->code = EXIT_INTERNAL;
		b->phase = PH_FAILED;
		b->end_us = b->start_us;
		snprintf(b->error, sizeof(b->error), "%s: cannot start a thread: %s", board_port(b), strerror(r));
	}
	pthread_mutex_unlock(&m->lock);
}

/* Table order: by socket, boards without one after, by device path; then in creation order. */
static int board_cmp(const void *pa, const void *pb)
{
	const struct board *a = *(const struct board *const *)pa, *b = *(const struct board *const *)pb;
	int r;

	if (!a->socket[0] != !b->socket[0])
		return a->socket[0] ? -1 : 1;
	if ((r = strcmp(a->socket, b->socket)))
		return r;
	if ((r = strcmp(board_port(a), board_port(b))))
		return r;
	return a->index < b->index ? -1 : a->index > b->index;
}

static struct board **sorted(struct multi *m)
{
	struct board **v = malloc((m->n ? m->n : 1) * sizeof(*v));

	if (!v)
		return NULL;
	if (m->n) {
		memcpy(v, m->b, m->n * sizeof(*v));
		qsort(v, m->n, sizeof(*v), board_cmp);
	}
	return v;
}

/* ---- the allow-list rules of --match ---- */

static int parse_match(struct multi *m)
{
	const struct op_options *o = m->opt;
	char err[512];

	if (!o->nmatch)
		return 0;
	m->match = calloc(o->nmatch, sizeof(*m->match));
	if (!m->match) {
		out_error(m->out, EXIT_INTERNAL, "out of memory", NULL);
		return EXIT_INTERNAL;
	}
	for (unsigned int i = 0; i < o->nmatch; i++, m->nmatch++) {
		if (aw_conf_parse(o->match[i], strlen(o->match[i]), "--match", &m->match[i], err, sizeof(err)) < 0 ||
		    m->match[i].n != 1) {
			char msg[768];

			snprintf(msg, sizeof(msg), "invalid --match '%s': %s", o->match[i],
				 m->match[i].n != 1 && !strchr(err, ':') ? "one rule per --match" : err);
			out_error(m->out, EXIT_USAGE, msg, "a rule as in autowipe.conf: 'path ID_PATH', 'serial SERIAL', "
				  "'usb VID:PID' or 'any'");
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* Which --match rule lets us touch this port (or "" without --match); NULL if none does. */
static const struct aw_rule *matching_rule(const struct multi *m, const struct hp_port *p)
{
	struct aw_device d = {
		.id_path = p->socket[0] ? p->socket : p->props.id_path,
		.serial = p->props.serial,
		.vid = p->props.vid,
		.pid = p->props.pid,
	};

	for (size_t i = 0; i < m->nmatch; i++) {
		const struct aw_rule *r = aw_conf_match(&m->match[i], &d);

		if (r)
			return r;
	}
	return NULL;
}

static bool allowed(const struct multi *m, const struct hp_port *p)
{
	return p->supported && (!m->nmatch || matching_rule(m, p));
}

/* ---- plug-ins (--each) ---- */

static bool seen_before(struct multi *m, const char *key)
{
	for (size_t i = 0; i < m->nseen; i++)
		if (strcmp(m->seen[i], key) == 0)
			return true;
	if (m->nseen == m->seen_cap) {
		size_t cap = m->seen_cap ? m->seen_cap * 2 : 64;
		char (*ns)[128] = realloc(m->seen, cap * sizeof(*ns));

		if (!ns)
			return false;
		m->seen = ns;
		m->seen_cap = cap;
	}
	copy(m->seen[m->nseen++], sizeof(m->seen[0]), key);
	return false;
}

/* A message of the run itself (not a board's): a JSON event, or a line on stderr. */
static void run_event(struct multi *m, const char *event, struct json_object *f, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m->disp == D_JSON) {
		if (!f)
			f = json_object_new_object();
		json_object_object_add(f, "event", json_object_new_string(event));
		json_object_object_add(f, "time", json_object_new_double(out_wall_time()));
		json_object_object_add(f, "message", json_object_new_string(msg));
		pthread_mutex_lock(&m->lock);
		fputs(json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN), stdout);
		fputc('\n', stdout);
		fflush(stdout);
		pthread_mutex_unlock(&m->lock);
		json_object_put(f);
		return;
	}
	json_object_put(f);
	if (m->disp == D_TABLE || m->out->quiet)
		return;
	pthread_mutex_lock(&m->lock);
	fprintf(stderr, "espwipe: %s\n", msg);
	fflush(stderr);
	pthread_mutex_unlock(&m->lock);
}

static struct json_object *port_json(const struct hp_port *p)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "port", json_object_new_string(p->devnode));
	if (p->socket[0])
		json_object_object_add(f, "socket", json_object_new_string(p->socket));
	return f;
}

/*
 * A board whose link re-enumerates on reset (USB-Serial/JTAG) leaves the bus
 * and comes back during its own wipe: the wipe finds it again by its USB
 * serial or path (refind.c).  Its remove and add events are that, not a
 * new board or an unplug.  The running board with the same identity, or NULL.
 */
static struct board *reenumerating_board(struct multi *m, const struct hp_port *p)
{
	struct board *hit = NULL;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->n && !hit; i++) {
		struct board *b = m->b[i];
		const struct dev_props *q = &b->props;

		if (b->finished || !b->have_props || !q->link || !q->link->reenumerates)
			continue;
		if ((q->serial[0] && !strcmp(q->serial, p->props.serial)) ||
		    (q->usb_path[0] && !strcmp(q->usb_path, p->props.usb_path)) ||
		    (b->socket[0] && !strcmp(b->socket, p->socket)) || !strcmp(b->devnode, p->devnode))
			hit = b;
	}
	pthread_mutex_unlock(&m->lock);
	return hit;
}

static void plugged(struct multi *m, const struct hp_port *p)
{
	struct board *b;
	struct json_object *f;

	if (reenumerating_board(m, p)) {
		out_debug(m->out, "%s: the board being wiped came back after its reset", p->devnode);
		return;
	}
	if (seen_before(m, p->key)) {
		out_debug(m->out, "%s: plug-in %s seen already", p->devnode, p->key);
		return;
	}
	if (m->stopping)
		return;
	if (!allowed(m, p)) {
		const char *why = !p->supported ? "not a supported port" : "no --match rule names it";

		f = port_json(p);
		json_object_object_add(f, "reason", json_object_new_string(why));
		run_event(m, "ignored", f, "%s%s%s%s: %s, left alone", p->devnode, p->socket[0] ? " (socket " : "",
			  p->socket, p->socket[0] ? ")" : "", why);
		return;
	}
	f = port_json(p);
	json_object_object_add(f, "plug_key", json_object_new_string(p->key));
	run_event(m, "plugged", f, "%s%s%s%s: plugged in, wiping", p->devnode, p->socket[0] ? " (socket " : "",
		  p->socket, p->socket[0] ? ")" : "");
	b = new_board(m, p->devnode, p->devnode, p->socket, &p->props);
	if (b)
		start_board(m, b);
}

/*
 * The tty hangs up as the board goes; udev's remove event comes a little
 * later, so a wipe that failed just before it was unplugged too.
 */
#define UNPLUG_GRACE_US 3000000u

static void unplugged(struct multi *m, const struct hp_port *p)
{
	uint64_t now = port_now_us();

	/* a re-enumerating board's own reset: its wipe decides (it finds it again, or fails) */
	if (reenumerating_board(m, p))
		return;

	for (size_t i = 0; i < m->n; i++) {
		struct board *b = m->b[i];
		bool hit;

		pthread_mutex_lock(&m->lock);
		hit = strcmp(b->devnode, p->devnode) == 0 &&
		      !(b->finished && (b->code == EXIT_OK || now - b->end_us > UNPLUG_GRACE_US));
		pthread_mutex_unlock(&m->lock);
		if (hit)
			mark_unplugged(b);
	}
}

static void hotplug_events(struct multi *m)
{
	struct hp_event ev;
	int r;

	while ((r = hotplug_next(m->hp, &ev)) > 0) {
		if (ev.kind == HP_REMOVE)
			unplugged(m, &ev.port);
		else if (m->opt->each)
			plugged(m, &ev.port);
	}
	if (r < 0)
		out_debug(m->out, "hotplug: %s", strerror(-r));
}

/* ---- the table ---- */

struct row_snap {
	char socket[128], port[64], chip[24], mac[24], size[24], result[24];
	const char *phase;
	struct table_row row;
};

static void snap_row(const struct board *b, uint64_t now, struct row_snap *s)
{
	struct table_row *r = &s->row;

	copy(s->socket, sizeof(s->socket), b->socket);
	copy(s->port, sizeof(s->port), b->name);
	copy(s->chip, sizeof(s->chip), b->chip);
	copy(s->mac, sizeof(s->mac), b->mac);
	copy(s->size, sizeof(s->size), b->size);
	s->result[0] = '\0';
	if (b->finished) {
		if (b->code == EXIT_OK)
			snprintf(s->result, sizeof(s->result), "ok");
		else
			snprintf(s->result, sizeof(s->result), "%s %d", exit_code_name(b->code), b->code);
	}
	memset(r, 0, sizeof(*r));
	r->socket = s->socket;
	r->port = s->port;
	r->chip = s->chip;
	r->mac = s->mac;
	r->size = s->size;
	r->phase = phase_words[b->phase];
	r->permille = b->finished ? -1 : b->permille;
	r->remaining_s = -1;
	if (!b->finished && b->permille >= 0 && b->expected_s > 0) {
		double el = b->elapsed_s + (double)(now - b->progress_at_us) / 1e6;

		r->remaining_s = b->expected_s > el ? b->expected_s - el : 0;
	}
	r->finished = b->finished;
	r->seconds = (double)((b->finished ? b->end_us : now) - b->start_us) / 1e6;
	r->result = s->result;
}

struct counts {
	unsigned int done, failed, running, total;
};

static struct counts count(const struct multi *m)
{
	struct counts c = { 0 };

	for (size_t i = 0; i < m->n; i++) {
		const struct board *b = m->b[i];

		c.total++;
		if (!b->finished)
			c.running++;
		else if (b->code == EXIT_OK)
			c.done++;
		else
			c.failed++;
	}
	return c;
}

static void fmt_clock(double s, char *buf, size_t len)
{
	long v = (long)s;

	if (v < 60)
		snprintf(buf, len, "%.1fs", s);
	else if (v < 3600)
		snprintf(buf, len, "%ldm%02lds", v / 60, v % 60);
	else
		snprintf(buf, len, "%ldh%02ldm", v / 3600, (v / 60) % 60);
}

static void header_line(const struct multi *m, const struct counts *c, int columns, char *buf, size_t len)
{
	char clock[24];
	int avail = columns - 1;

	fmt_clock((double)(port_now_us() - m->t0) / 1e6, clock, sizeof(clock));
	if (m->opt->each)
		snprintf(buf, len, "%s --each: %u done, %u failed, %u running%s  %s", command_name(m->opt->cmd),
			 c->done, c->failed, c->running,
			 m->stopping ? "; stopping" : "; plug boards in, Ctrl-C ends", clock);
	else
		snprintf(buf, len, "%s: %u boards: %u done, %u failed, %u running%s  %s", command_name(m->opt->cmd),
			 c->total, c->done, c->failed, c->running, m->stopping ? "; stopping" : "", clock);
	if (avail > 0 && strlen(buf) > (size_t)avail)
		buf[avail] = '\0';
}

static void draw(struct multi *m)
{
	int columns, rows, vis;
	size_t nrows = 0, hidden = 0, nlines = 0;
	struct board **v;
	struct row_snap *snap;
	struct table_row *tr;
	struct table_layout l;
	struct counts c;
	char **lines;
	uint64_t now = port_now_us();
	unsigned int hidden_running = 0;

	table_screen_size(STDOUT_FILENO, &columns, &rows);
	pthread_mutex_lock(&m->lock);
	v = sorted(m);
	snap = calloc(m->n + 1, sizeof(*snap));
	tr = calloc(m->n + 1, sizeof(*tr));
	lines = calloc(m->n + 4, sizeof(*lines));
	if (!v || !snap || !tr || !lines) {
		pthread_mutex_unlock(&m->lock);
		goto out;
	}
	c = count(m);
	/* room for the header, the column names and a "more" line */
	vis = rows - 3 > 1 ? rows - 3 : 1;
	for (size_t i = 0; i < m->n; i++) {
		if (v[i]->superseded)
			continue;
		if ((int)nrows >= vis) {
			hidden++;
			hidden_running += !v[i]->finished;
			continue;
		}
		snap_row(v[i], now, &snap[nrows]);
		tr[nrows] = snap[nrows].row;
		nrows++;
	}
	pthread_mutex_unlock(&m->lock);
	table_layout_compute(&l, tr, nrows, columns);
	for (size_t i = 0; i < nrows + 3; i++) {
		lines[i] = malloc(512);
		if (!lines[i])
			goto out;
	}
	header_line(m, &c, columns, lines[nlines++], 512);
	table_format_colhead(&l, lines[nlines++], 512);
	for (size_t i = 0; i < nrows; i++)
		table_format_row(&l, &tr[i], lines[nlines++], 512);
	if (hidden) {
		snprintf(lines[nlines], 512, "... and %zu more (%u running)", hidden, hidden_running);
		lines[nlines][columns > 1 ? columns - 1 : 1] = '\0';
		nlines++;
	}
	table_screen_frame(&m->screen, (const char *const *)lines, nlines);
	m->last_frame_us = now;
out:
	if (lines)
		for (size_t i = 0; i < nrows + 3; i++)
			free(lines[i]);
	free(lines);
	free(tr);
	free(snap);
	free(v);
}

/* ---- the end ---- */

static int summarize(struct multi *m)
{
	struct board **v = sorted(m);
	struct counts c = count(m);
	double secs = (double)(port_now_us() - m->t0) / 1e6;
	int code = EXIT_OK;
	const struct board *first = NULL;

	if (!v) {
		out_error(m->out, EXIT_INTERNAL, "out of memory", NULL);
		return EXIT_INTERNAL;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (v[i]->code != EXIT_OK && !first) {
			first = v[i];
			code = v[i]->code;
		}
	}
	if (m->disp == D_JSON) {
		struct json_object *f = json_object_new_object(), *fails = json_object_new_array(),
				   *all = json_object_new_array();

		for (size_t i = 0; i < m->n; i++) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "port", json_object_new_string(board_port(v[i])));
			if (v[i]->socket[0])
				json_object_object_add(e, "socket", json_object_new_string(v[i]->socket));
			json_object_object_add(e, "exit_code", json_object_new_int(v[i]->code));
			json_object_object_add(e, "exit_name", json_object_new_string(exit_code_name(v[i]->code)));
			if (v[i]->unplugged)
				json_object_object_add(e, "unplugged", json_object_new_boolean(true));
			if (v[i]->code != EXIT_OK) {
				json_object_object_add(e, "error", json_object_new_string(v[i]->error));
				json_object_array_add(fails, json_object_get(e));
			}
			json_object_array_add(all, e);
		}
		json_object_object_add(f, "event", json_object_new_string("summary"));
		json_object_object_add(f, "time", json_object_new_double(out_wall_time()));
		json_object_object_add(f, "command", json_object_new_string(command_name(m->opt->cmd)));
		json_object_object_add(f, "boards", json_object_new_int((int)c.total));
		json_object_object_add(f, "ok", json_object_new_int((int)c.done));
		json_object_object_add(f, "failed", json_object_new_int((int)c.failed));
		json_object_object_add(f, "seconds", json_object_new_double(secs));
		if (m->stop_sig)
			json_object_object_add(f, "stopped_by", json_object_new_string(sigabbrev_np(m->stop_sig) ?
										       sigabbrev_np(m->stop_sig) : "?"));
		json_object_object_add(f, "exit_code", json_object_new_int(code));
		json_object_object_add(f, "exit_name", json_object_new_string(exit_code_name(code)));
		json_object_object_add(f, "failures", fails);
		json_object_object_add(f, "results", all);
		fputs(json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN), stdout);
		fputc('\n', stdout);
		fflush(stdout);
		json_object_put(f);
		free(v);
		return code;
	}
	printf("espwipe %s: %u %s%s: %u ok, %u failed, %.1f s%s\n", command_name(m->opt->cmd), c.total,
	       m->opt->each ? "wipe" : "board", c.total == 1 ? "" : "s", c.done, c.failed, secs,
	       m->stop_sig ? (m->opt->each ? "; ended by a signal" : "; stopped by a signal") : "");
	for (size_t i = 0; i < m->n; i++) {
		const struct board *b = v[i];
		const char *port = board_port(b);

		if (b->code == EXIT_OK)
			continue;
		printf("  FAILED %s%s%s%s: exit %d (%s)%s: %s\n", port, b->socket[0] ? " (socket " : "", b->socket,
		       b->socket[0] ? ")" : "", b->code, exit_code_name(b->code), b->unplugged ? ", unplugged" : "",
		       strncmp(b->error, port, strlen(port)) == 0 && b->error[strlen(port)] == ':' ?
		       b->error + strlen(port) + 2 : b->error[0] ? b->error : "?");
	}
	if (first)
		printf("exit code %d (%s): the first failed board in the table's order, %s\n", code, exit_code_name(code),
		       board_port(first));
	fflush(stdout);
	free(v);
	return code;
}

/* ---- collecting the boards ---- */

static int collect_ports(struct multi *m)
{
	const struct op_options *o = m->opt;

	for (unsigned int i = 0; i < o->nports; i++) {
		char devnode[256] = "", real[4096], other[4096];
		struct dev_props props;
		bool have = false, dup = false;

		if (discovery_resolve(o->ports[i], devnode, sizeof(devnode)) < 0)
			devnode[0] = '\0'; /* ops_run says what is wrong with it */
		for (size_t k = 0; devnode[0] && k < m->n; k++) {
			if (!m->b[k]->devnode[0])
				continue;
			if (strcmp(m->b[k]->devnode, devnode) == 0 ||
			    (realpath(devnode, real) && realpath(m->b[k]->devnode, other) && strcmp(real, other) == 0))
				dup = true;
		}
		if (dup) {
			out_note(m->out, "%s names a port given already: working on it once", o->ports[i]);
			continue;
		}
		if (devnode[0])
			have = devprops_lookup(devnode, &props) == 0;
		if (!new_board(m, o->ports[i], devnode, have ? props.id_path : "", have ? &props : NULL))
			return -ENOMEM;
	}
	return 0;
}

/* Boards there now: --all wipes them; --each alone only remembers them (once per plug-in). */
static int collect_present(struct multi *m)
{
	struct hp_port *p = calloc(PRESENT_MAX, sizeof(*p));
	int n = p ? hotplug_present(p, PRESENT_MAX) : -ENOMEM;
	unsigned int supported = 0, left = 0;

	if (n < 0) {
		free(p);
		out_error(m->out, EXIT_INTERNAL, "cannot enumerate devices through udev", NULL);
		return EXIT_INTERNAL;
	}
	for (int i = 0; i < n; i++) {
		supported += p[i].supported;
		if (!allowed(m, &p[i]))
			continue;
		if (m->opt->each)
			seen_before(m, p[i].key);
		if (!m->opt->all) {
			left++;
			continue;
		}
		if (!new_board(m, p[i].devnode, p[i].devnode, p[i].socket, &p[i].props)) {
			free(p);
			return EXIT_INTERNAL;
		}
	}
	free(p);
	if (m->opt->each && !m->opt->all && left)
		run_event(m, "present", NULL, "%u board%s plugged in already %s left alone (plug %s in again, or add --all)",
			  left, left == 1 ? "" : "s", left == 1 ? "is" : "are", left == 1 ? "it" : "them");
	if (m->opt->all && !m->opt->each && m->n == 0) {
		if (supported && m->nmatch)
			out_error(m->out, EXIT_PORT, "no supported port matches --match",
				  "`espwipe list` shows the ports and their ID_PATH");
		else
			out_error(m->out, EXIT_PORT, "no supported serial port found", "plug in the boards");
		return EXIT_PORT;
	}
	return 0;
}

static void each_banner(struct multi *m)
{
	struct json_object *f = json_object_new_object(), *rules = json_object_new_array();
	char list[1024] = "";
	size_t pos = 0;

	for (unsigned int i = 0; i < m->opt->nmatch; i++) {
		json_object_array_add(rules, json_object_new_string(m->opt->match[i]));
		pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s'%s'", i ? ", " : "", m->opt->match[i]);
		if (pos >= sizeof(list))
			pos = sizeof(list) - 1;
	}
	json_object_object_add(f, "source", json_object_new_string(hotplug_source(m->hp)));
	json_object_object_add(f, "match", rules);
	if (m->opt->nmatch)
		run_event(m, "each", f, "--each: wiping each board plugged in that a rule matches: %s (%s); Ctrl-C ends",
			  list, hotplug_source(m->hp));
	else
		run_event(m, "each", f, "--each without --match: wiping EVERY supported board plugged in (%s); "
			  "Ctrl-C ends", hotplug_source(m->hp));
	if (m->disp == D_TABLE) {
		if (m->opt->nmatch)
			fprintf(stderr, "espwipe: --each: wiping each board plugged in that a rule matches: %s\n", list);
		else
			fprintf(stderr, "espwipe: --each without --match: wiping EVERY supported board plugged in\n");
	}
}

/* ---- the main loop ---- */

static void reap(struct multi *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct board *b = m->b[i];
		bool done;

		pthread_mutex_lock(&m->lock);
		done = b->finished;
		pthread_mutex_unlock(&m->lock);
		if (done && b->started && !b->joined) {
			pthread_join(b->thread, NULL);
			b->joined = true;
			/* a socket's newer wipe, started while this one finished, takes its row */
			for (size_t k = i + 1; k < m->n; k++)
				if (strcmp(m->b[k]->rowkey, b->rowkey) == 0)
					b->superseded = true;
		}
	}
}

static unsigned int running(struct multi *m)
{
	struct counts c;

	pthread_mutex_lock(&m->lock);
	c = count(m);
	pthread_mutex_unlock(&m->lock);
	return c.running;
}

static void loop(struct multi *m)
{
	bool dirty = true;

	for (;;) {
		struct pollfd fds[3];
		nfds_t nfds = 0;
		int stop_i = -1, hp_i = -1, timeout = -1;
		unsigned int run;
		uint64_t now;

		reap(m);
		run = running(m);
		if (run == 0 && (!m->opt->each || m->stopping))
			break;
		now = port_now_us();
		if (m->disp == D_TABLE) {
			uint64_t since = now - m->last_frame_us;

			if ((dirty || run) && since >= FRAME_US) {
				draw(m);
				dirty = false;
				since = 0;
			}
			/* while boards run, a frame every 100 ms (bars, time left); idle, the clock each second */
			if (run || dirty)
				timeout = (int)((FRAME_US - since) / 1000) + 1;
			else
				timeout = 1000;
		}
		fds[nfds++] = (struct pollfd){ .fd = m->wake_fd, .events = POLLIN };
		if (!m->stopping && port_stop_fd() >= 0) {
			stop_i = (int)nfds;
			fds[nfds++] = (struct pollfd){ .fd = port_stop_fd(), .events = POLLIN };
		}
		if (m->hp) {
			hp_i = (int)nfds;
			fds[nfds++] = (struct pollfd){ .fd = hotplug_fd(m->hp), .events = POLLIN };
		}
		if (poll(fds, nfds, timeout) < 0 && errno != EINTR)
			break;
		if (fds[0].revents & POLLIN) {
			uint64_t v;

			if (read(m->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: another poll already emptied it */
			}
			dirty = true;
		}
		if ((stop_i >= 0 && (fds[stop_i].revents & POLLIN)) || (!m->stopping && port_stop_signal())) {
			m->stopping = true;
			m->stop_sig = port_stop_signal();
			dirty = true;
			if (running(m))
				run_event(m, "stopping", NULL, "stopped by SIG%s: waiting for %u board%s to finish their step",
					  sigabbrev_np(m->stop_sig) ? sigabbrev_np(m->stop_sig) : "?", running(m),
					  running(m) == 1 ? "" : "s");
		}
		if (hp_i >= 0 && (fds[hp_i].revents & POLLIN)) {
			hotplug_events(m);
			dirty = true;
		}
	}
}

int multi_run(const struct op_options *o, struct output *out)
{
	struct multi *m = calloc(1, sizeof(*m));
	char err[512];
	int code = 0;

	if (!m) {
		out_error(out, EXIT_INTERNAL, "out of memory", NULL);
		return EXIT_INTERNAL;
	}
	m->opt = o;
	m->out = out;
	m->t0 = port_now_us();
	pthread_mutex_init(&m->lock, NULL);
	if (out->mode == OUT_JSON)
		m->disp = D_JSON;
	else if (!out->quiet && isatty(STDOUT_FILENO) && !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0))
		m->disp = D_TABLE;
	else
		m->disp = D_LINES;
	m->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->wake_fd < 0) {
		out_error(out, EXIT_INTERNAL, "cannot create an eventfd", NULL);
		code = EXIT_INTERNAL;
		goto done;
	}
	if ((code = parse_match(m)))
		goto done;
	/* --each needs the events; the others only mark boards that go away */
	if (hotplug_open(&m->hp, err, sizeof(err)) < 0) {
		m->hp = NULL;
		if (o->each) {
			out_error(out, EXIT_INTERNAL, err, NULL);
			code = EXIT_INTERNAL;
			goto done;
		}
		out_debug(out, "%s (boards unplugged show as failed, not as unplugged)", err);
	}
	if (o->nports)
		code = collect_ports(m) < 0 ? EXIT_INTERNAL : 0;
	else
		code = collect_present(m);
	if (code)
		goto done;
	/* from here on, a board plugged in is wiped: say so now, not before */
	if (o->each)
		each_banner(m);
	if (m->disp == D_TABLE) {
		table_screen_begin(&m->screen, STDOUT_FILENO);
		draw(m);
	}
	for (size_t i = 0; i < m->n; i++)
		start_board(m, m->b[i]);
	loop(m);
	reap(m);
	/* a remove event that came after the last board ended, and nodes that went without one */
	if (m->hp)
		hotplug_events(m);
	for (size_t i = 0; !o->each && i < m->n; i++)
		if (m->b[i]->finished && !m->b[i]->unplugged && node_gone(m->b[i], m->b[i]->code))
			mark_unplugged(m->b[i]);
	if (m->disp == D_TABLE) {
		draw(m);
		table_screen_end(&m->screen);
	}
	code = summarize(m);
done:
	for (size_t i = 0; i < m->n; i++)
		free(m->b[i]);
	free(m->b);
	for (size_t i = 0; i < m->nmatch; i++)
		aw_conf_free(&m->match[i]);
	free(m->match);
	free(m->seen);
	hotplug_close(m->hp);
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	pthread_mutex_destroy(&m->lock);
	free(m);
	return code;
}
