// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * espbridge: a CH340 or CP2102 USB-serial bridge with an ESP8266 behind it,
 * as a FunctionFS function inside the QEMU test guest.
 *
 *   espbridge --chip ch340|cp2102 --ffs DIR --report FILE [--ready FILE]
 *             [--status FILE] [--ctrl-delay-us N] [--ctrl-fifo PRIO]
 *             [key=value ...]          (emulator options, see espemu --help)
 *
 * Vendor control requests on ep0 are answered as the chip would (see
 * bridge_chip.c) and logged with CLOCK_MONOTONIC timestamps; modem-control
 * requests become emu_set_lines(), baud requests emu_set_baud(), bulk OUT
 * bytes emu_rx() and the emulator's output goes to bulk IN.  SIGUSR1 writes
 * the JSON report, SIGTERM writes it and exits.  --status keeps a one-line
 * summary in FILE, rewritten whenever it changes, so the guest scripts can
 * wait for an event (a line state, a command) instead of sleeping.
 * --ctrl-delay-us delays the
 * status stage of every modem-control request (a slow bridge or hub: used
 * to prove the timing checks can fail).  --ctrl-fifo runs the ep0 thread,
 * which timestamps the requests, at SCHED_FIFO PRIO: a real chip sees a
 * request when it arrives, not when the guest's scheduler gets round to
 * a reader, so load in the guest must not move the timestamps.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge_chip.h"
#include "espemu.h"

#define MAX_LOG 20000
#define LOG_DATA_MAX 20

struct req_entry {
	uint64_t t_us;
	struct bridge_setup s;
	uint8_t data[LOG_DATA_MAX];
	uint8_t data_len;
	bool stall;
};

struct line_entry {
	uint64_t t_us;
	bool dtr, rts;
};

struct bridge {
	enum bridge_chip chip;
	const char *ffs_dir, *report_path, *ready_path, *status_path;
	int ep0, ep_in, ep_out, status_fd;
	char status[160];     /* last text written to status_fd */
	unsigned int ctrl_delay_us;
	int ctrl_fifo;        /* SCHED_FIFO priority of the ep0 thread, 0: none */

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t wake;  /* the pump: new input or new line state */
	struct emu *emu;
	uint64_t emu_now;     /* last time handed to the emulator (monotonic) */
	struct bridge_state st;
	struct req_entry *reqs;
	size_t n_reqs, dropped_reqs;
	struct line_entry *lines;
	size_t n_lines;
	uint64_t bytes_out, bytes_in, t_start;
	unsigned long enables, disables;
	bool enabled;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The emulator's clock must not go backwards; threads stamp independently. */
static uint64_t emu_clock(struct bridge *b, uint64_t t)
{
	if (t > b->emu_now)
		b->emu_now = t;
	return b->emu_now;
}

/* ---- descriptors ---- */

static size_t put_intf(uint8_t *p, unsigned int neps)
{
	struct usb_interface_descriptor d = {
		.bLength = USB_DT_INTERFACE_SIZE,
		.bDescriptorType = USB_DT_INTERFACE,
		.bNumEndpoints = (uint8_t)neps,
		.bInterfaceClass = USB_CLASS_VENDOR_SPEC,
		.bInterfaceSubClass = 0,
		.bInterfaceProtocol = 0,
		.iInterface = 1,
	};

	memcpy(p, &d, USB_DT_INTERFACE_SIZE);
	return USB_DT_INTERFACE_SIZE;
}

static size_t put_ep(uint8_t *p, uint8_t addr, uint8_t attr, uint16_t maxp, uint8_t interval)
{
	struct usb_endpoint_descriptor_no_audio d = {
		.bLength = USB_DT_ENDPOINT_SIZE,
		.bDescriptorType = USB_DT_ENDPOINT,
		.bEndpointAddress = addr,
		.bmAttributes = attr,
		.wMaxPacketSize = htole16(maxp),
		.bInterval = interval,
	};

	memcpy(p, &d, USB_DT_ENDPOINT_SIZE);
	return USB_DT_ENDPOINT_SIZE;
}

/* One speed's set: interface, bulk IN (ep1), bulk OUT (ep2), [interrupt IN (ep3)]. */
static size_t put_speed(uint8_t *p, bool high, bool with_intr)
{
	size_t n = 0;
	uint16_t bulk = high ? 512 : 64;

	n += put_intf(p + n, with_intr ? 3 : 2);
	n += put_ep(p + n, 1 | USB_DIR_IN, USB_ENDPOINT_XFER_BULK, bulk, 0);
	n += put_ep(p + n, 2 | USB_DIR_OUT, USB_ENDPOINT_XFER_BULK, bulk, 0);
	if (with_intr)
		n += put_ep(p + n, 3 | USB_DIR_IN, USB_ENDPOINT_XFER_INT, 8, high ? 4 : 1);
	return n;
}

static int write_descriptors(struct bridge *b)
{
	uint8_t buf[256];
	struct usb_functionfs_descs_head_v2 head;
	bool intr = b->chip == BRIDGE_CH340;
	uint32_t count = intr ? 4 : 3, le;
	size_t n = sizeof(head);

	le = htole32(count);
	memcpy(buf + n, &le, 4);
	memcpy(buf + n + 4, &le, 4);
	n += 8;
	n += put_speed(buf + n, false, intr);
	n += put_speed(buf + n, true, intr);
	head.magic = htole32(FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
	head.length = htole32((uint32_t)n);
	head.flags = htole32(FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC |
			     FUNCTIONFS_ALL_CTRL_RECIP);
	memcpy(buf, &head, sizeof(head));
	if (write(b->ep0, buf, n) != (ssize_t)n) {
		perror("espbridge: write descriptors");
		return -1;
	}

	/* one string (the interface name) in US English */
	static const char name[] = "espbridge";
	struct usb_functionfs_strings_head sh;
	size_t sn = sizeof(sh) + 2 + sizeof(name);
	uint16_t lang = htole16(0x0409);

	sh.magic = htole32(FUNCTIONFS_STRINGS_MAGIC);
	sh.length = htole32((uint32_t)sn);
	sh.str_count = htole32(1);
	sh.lang_count = htole32(1);
	memcpy(buf, &sh, sizeof(sh));
	memcpy(buf + sizeof(sh), &lang, 2);
	memcpy(buf + sizeof(sh) + 2, name, sizeof(name));
	if (write(b->ep0, buf, sn) != (ssize_t)sn) {
		perror("espbridge: write strings");
		return -1;
	}
	return 0;
}

/* ---- report ---- */

static void json_lines(FILE *f, const struct bridge *b)
{
	size_t i;

	fputs("\"lines\":[", f);
	for (i = 0; i < b->n_lines; i++)
		fprintf(f, "%s{\"t_us\":%" PRIu64 ",\"dtr\":%d,\"rts\":%d}", i ? "," : "",
			b->lines[i].t_us, b->lines[i].dtr, b->lines[i].rts);
	fputs("]", f);
}

static void json_requests(FILE *f, const struct bridge *b)
{
	size_t i, j;

	fputs("\"requests\":[", f);
	for (i = 0; i < b->n_reqs; i++) {
		const struct req_entry *r = &b->reqs[i];

		fprintf(f,
			"%s{\"t_us\":%" PRIu64 ",\"type\":%u,\"req\":%u,\"value\":%u,"
			"\"index\":%u,\"len\":%u,\"stall\":%d,\"data\":\"",
			i ? "," : "", r->t_us, r->s.request_type, r->s.request, r->s.value,
			r->s.index, r->s.length, r->stall);
		for (j = 0; j < r->data_len; j++)
			fprintf(f, "%02x", r->data[j]);
		fputs("\"}", f);
	}
	fputs("]", f);
}

static int write_report(struct bridge *b)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", b->report_path);
	f = fopen(tmp, "w");
	if (!f) {
		perror("espbridge: report");
		return -1;
	}
	fprintf(f,
		"{\"chip\":\"%s\",\"t_start_us\":%" PRIu64 ",\"t_report_us\":%" PRIu64
		",\"dtr\":%d,\"rts\":%d,\"baud\":%" PRIu32 ",\"bytes_out\":%" PRIu64
		",\"bytes_in\":%" PRIu64 ",\"enables\":%lu,\"disables\":%lu,"
		"\"dropped_requests\":%zu,",
		bridge_chip_name(b->chip), b->t_start, now_us(), b->st.dtr, b->st.rts,
		b->st.baud, b->bytes_out, b->bytes_in, b->enables, b->disables,
		b->dropped_reqs);
	json_requests(f, b);
	fputs(",", f);
	json_lines(f, b);
	fputs(",\"emu\":", f);
	emu_advance(b->emu, emu_clock(b, now_us()));
	emu_report_json(b->emu, f);
	fputs("}\n", f);
	if (fclose(f) != 0 || rename(tmp, b->report_path) != 0) {
		perror("espbridge: report");
		return -1;
	}
	return 0;
}

/* ---- status file (called with the lock held) ---- */

/* Requests the ROM has parsed so far, whatever their op. */
static unsigned long commands_total(const struct emu_stats *st)
{
	unsigned long n = 0;

	for (size_t i = 0; i < sizeof(st->commands) / sizeof(st->commands[0]); i++)
		n += st->commands[i];
	return n;
}

static void update_status(struct bridge *b)
{
	struct emu_stats st;
	char text[sizeof(b->status)];
	int n;

	if (b->status_fd < 0)
		return;
	emu_get_stats(b->emu, &st);
	n = snprintf(text, sizeof(text),
		     "lines=%zu dtr=%d rts=%d mode=%s sync=%lu flash_begin=%lu erases=%lu rx=%lu "
		     "cmds=%lu\n",
		     b->n_lines, b->st.dtr, b->st.rts, emu_mode_name(emu_mode(b->emu)),
		     st.sync_frames, st.commands[0x02], st.sector_erases + st.block_erases +
		     st.chip_erases, st.bytes_rx, commands_total(&st));
	if (n <= 0 || (size_t)n >= sizeof(text) || !strcmp(text, b->status))
		return;
	memcpy(b->status, text, (size_t)n + 1);
	if (pwrite(b->status_fd, text, (size_t)n, 0) != n || ftruncate(b->status_fd, n))
		perror("espbridge: status");
}

/* ---- ep0 ---- */

static void log_request(struct bridge *b, uint64_t t, const struct bridge_setup *s,
			const uint8_t *data, size_t len, bool stall)
{
	struct req_entry *r;

	if (b->n_reqs >= MAX_LOG) {
		b->dropped_reqs++;
		return;
	}
	r = &b->reqs[b->n_reqs++];
	r->t_us = t;
	r->s = *s;
	r->stall = stall;
	r->data_len = (uint8_t)(len < LOG_DATA_MAX ? len : LOG_DATA_MAX);
	if (data && r->data_len)
		memcpy(r->data, data, r->data_len);
}

static void handle_setup(struct bridge *b, const struct usb_ctrlrequest *c, uint64_t t)
{
	struct bridge_setup s = {
		.request_type = c->bRequestType,
		.request = c->bRequest,
		.value = le16toh(c->wValue),
		.index = le16toh(c->wIndex),
		.length = le16toh(c->wLength),
	};
	uint8_t data[4096], reply[4096];
	struct bridge_effect fx;
	bool in = s.request_type & USB_DIR_IN;
	ssize_t r;

	if (s.length > sizeof(data)) {
		/* nothing the drivers send; refuse it */
		r = in ? read(b->ep0, NULL, 0) : write(b->ep0, NULL, 0);
		(void)r;
		return;
	}
	if (!in && s.length) {
		r = read(b->ep0, data, s.length);
		if (r != s.length) {
			fprintf(stderr, "espbridge: ep0 data: %s\n", r < 0 ? strerror(errno) : "short");
			return;
		}
	}

	pthread_mutex_lock(&b->lock);
	bridge_handle(&b->st, &s, data, reply, &fx);
	log_request(b, t, &s, in ? reply : data, in ? fx.reply_len : s.length, fx.stall);
	if (fx.lines_changed) {
		if (b->n_lines < MAX_LOG) {
			b->lines[b->n_lines].t_us = t;
			b->lines[b->n_lines].dtr = b->st.dtr;
			b->lines[b->n_lines].rts = b->st.rts;
			b->n_lines++;
		}
		emu_set_lines(b->emu, b->st.dtr, b->st.rts, emu_clock(b, t));
	}
	if (fx.baud_changed)
		emu_set_baud(b->emu, b->st.baud, emu_clock(b, t));
	update_status(b);
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->lock);

	if (fx.lines_changed && b->ctrl_delay_us)
		usleep(b->ctrl_delay_us);
	if (in) {
		r = fx.stall ? read(b->ep0, NULL, 0) : write(b->ep0, reply, fx.reply_len);
	} else if (!s.length) {
		/* a zero-length read acknowledges the status stage; a write stalls */
		r = fx.stall ? write(b->ep0, NULL, 0) : read(b->ep0, NULL, 0);
	} else {
		r = 0;
	}
	if (r < 0 && !fx.stall && errno != EL2HLT)
		fprintf(stderr, "espbridge: ep0 reply %02x/%02x: %s\n", s.request_type,
			s.request, strerror(errno));
}

static void ep0_loop(struct bridge *b)
{
	struct usb_functionfs_event ev[8];

	for (;;) {
		ssize_t n = read(b->ep0, ev, sizeof(ev));
		uint64_t t = now_us();
		size_t i;

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("espbridge: ep0 read");
			return;
		}
		for (i = 0; i < (size_t)n / sizeof(ev[0]); i++) {
			switch (ev[i].type) {
			case FUNCTIONFS_SETUP:
				handle_setup(b, &ev[i].u.setup, t);
				break;
			case FUNCTIONFS_ENABLE:
			case FUNCTIONFS_DISABLE:
			case FUNCTIONFS_UNBIND:
				pthread_mutex_lock(&b->lock);
				b->enabled = ev[i].type == FUNCTIONFS_ENABLE;
				if (b->enabled)
					b->enables++;
				else if (ev[i].type == FUNCTIONFS_DISABLE)
					b->disables++;
				pthread_cond_signal(&b->wake);
				pthread_mutex_unlock(&b->lock);
				break;
			default:
				break;
			}
		}
	}
}

/* ---- bulk ---- */

static void *bulk_out_thread(void *arg)
{
	struct bridge *b = arg;
	uint8_t buf[512];

	for (;;) {
		ssize_t n = read(b->ep_out, buf, sizeof(buf));

		if (n < 0) {
			/* disabled or disconnected: the next read waits for enable */
			if (errno != EINTR)
				usleep(2000);
			continue;
		}
		pthread_mutex_lock(&b->lock);
		b->bytes_out += (uint64_t)n;
		emu_rx(b->emu, buf, (size_t)n, emu_clock(b, now_us()));
		update_status(b);
		pthread_cond_signal(&b->wake);
		pthread_mutex_unlock(&b->lock);
	}
	return NULL;
}

static void *bulk_in_thread(void *arg)
{
	struct bridge *b = arg;
	uint8_t buf[512];

	pthread_mutex_lock(&b->lock);
	for (;;) {
		uint64_t t = emu_clock(b, now_us()), next;
		size_t n;

		emu_advance(b->emu, t);
		update_status(b);
		n = emu_tx(b->emu, buf, sizeof(buf), t);
		if (n) {
			ssize_t w;

			pthread_mutex_unlock(&b->lock);
			w = write(b->ep_in, buf, n);
			pthread_mutex_lock(&b->lock);
			if (w > 0)
				b->bytes_in += (uint64_t)w;
			continue;
		}
		next = emu_next_event_us(b->emu);
		if (next > t + 1000000)
			next = t + 1000000;
		struct timespec ts = {
			.tv_sec = (time_t)(next / 1000000u),
			.tv_nsec = (long)(next % 1000000u) * 1000,
		};
		pthread_cond_timedwait(&b->wake, &b->lock, &ts);
	}
	return NULL;
}

/* ---- signals and setup ---- */

static void *signal_thread(void *arg)
{
	struct bridge *b = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		pthread_mutex_lock(&b->lock);
		int rc = write_report(b);
		pthread_mutex_unlock(&b->lock);
		if (sig != SIGUSR1)
			_exit(rc ? 1 : 0);
	}
	return NULL;
}

static int open_ep(const struct bridge *b, const char *name, int flags)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", b->ffs_dir, name);
	fd = open(path, flags);
	if (fd < 0)
		fprintf(stderr, "espbridge: %s: %s\n", path, strerror(errno));
	return fd;
}

static void usage(FILE *f)
{
	fputs("usage: espbridge --chip ch340|cp2102 --ffs DIR --report FILE [--ready FILE]\n"
	      "                 [--status FILE] [--ctrl-delay-us N] [--ctrl-fifo PRIO]\n"
	      "                 [key=value ...]   (emulator options:)\n", f);
	emu_config_help(f);
}

static int parse_args(struct bridge *b, struct emu_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "chip", required_argument, NULL, 'c' },
		{ "ffs", required_argument, NULL, 'f' },
		{ "report", required_argument, NULL, 'o' },
		{ "ready", required_argument, NULL, 'r' },
		{ "ctrl-delay-us", required_argument, NULL, 'd' },
		{ "status", required_argument, NULL, 's' },
		{ "ctrl-fifo", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i;

	while ((c = getopt_long(argc, argv, "c:f:o:r:d:s:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (bridge_chip_parse(optarg, &b->chip)) {
				fprintf(stderr, "espbridge: unknown chip '%s'\n", optarg);
				return -1;
			}
			break;
		case 'f':
			b->ffs_dir = optarg;
			break;
		case 'o':
			b->report_path = optarg;
			break;
		case 'r':
			b->ready_path = optarg;
			break;
		case 's':
			b->status_path = optarg;
			break;
		case 'd':
			b->ctrl_delay_us = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			b->ctrl_fifo = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (!b->ffs_dir || !b->report_path) {
		usage(stderr);
		return -1;
	}
	for (i = optind; i < argc; i++) {
		char key[128], err[256];
		const char *eq = strchr(argv[i], '=');

		if (!eq || (size_t)(eq - argv[i]) >= sizeof(key)) {
			fprintf(stderr, "espbridge: expected key=value, got '%s'\n", argv[i]);
			return -1;
		}
		memcpy(key, argv[i], (size_t)(eq - argv[i]));
		key[eq - argv[i]] = '\0';
		if (emu_config_set(cfg, key, eq + 1, err, sizeof(err))) {
			fprintf(stderr, "espbridge: %s: %s\n", argv[i], err);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bridge b = { 0 };
	struct emu_config cfg;
	pthread_t th;
	pthread_condattr_t ca;
	pthread_mutexattr_t ma;
	sigset_t set;

	b.chip = BRIDGE_CH340;
	b.status_fd = -1;
	emu_config_defaults(&cfg);
	if (parse_args(&b, &cfg, argc, argv))
		return 2;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* priority inheritance: a real-time ep0 thread never waits behind a
	 * preempted pump thread */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(&b.lock, &ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b.wake, &ca);
	bridge_state_init(&b.st, b.chip);
	b.reqs = calloc(MAX_LOG, sizeof(*b.reqs));
	b.lines = calloc(MAX_LOG, sizeof(*b.lines));
	b.t_start = now_us();
	b.emu_now = b.t_start;
	b.emu = emu_new(&cfg, b.t_start);
	if (!b.reqs || !b.lines || !b.emu) {
		fputs("espbridge: out of memory\n", stderr);
		return 1;
	}

	if (b.status_path) {
		b.status_fd = open(b.status_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (b.status_fd < 0) {
			perror("espbridge: status file");
			return 1;
		}
		update_status(&b);
	}
	b.ep0 = open_ep(&b, "ep0", O_RDWR);
	if (b.ep0 < 0 || write_descriptors(&b))
		return 1;
	b.ep_in = open_ep(&b, "ep1", O_RDWR);
	b.ep_out = open_ep(&b, "ep2", O_RDWR);
	if (b.ep_in < 0 || b.ep_out < 0)
		return 1;
	/* ch340's interrupt endpoint (ep3) is never written: no status changes */

	if (pthread_create(&th, NULL, signal_thread, &b) ||
	    pthread_create(&th, NULL, bulk_out_thread, &b) ||
	    pthread_create(&th, NULL, bulk_in_thread, &b)) {
		fputs("espbridge: cannot start threads\n", stderr);
		return 1;
	}
	/* only this thread (ep0), set after the others have started */
	if (b.ctrl_fifo > 0) {
		struct sched_param sp = { .sched_priority = b.ctrl_fifo };
		int e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);

		if (e)
			fprintf(stderr, "espbridge: SCHED_FIFO %d for ep0: %s (continuing)\n",
				b.ctrl_fifo, strerror(e));
	}
	if (b.ready_path) {
		FILE *f = fopen(b.ready_path, "w");

		if (!f || fclose(f)) {
			perror("espbridge: ready file");
			return 1;
		}
	}
	ep0_loop(&b);
	pthread_mutex_lock(&b.lock);
	write_report(&b);
	return 1;
}
