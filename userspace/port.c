// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The serial port as espwipe uses it.
 *
 * Line convention everywhere in this file: "asserted" is the TIOCM bit set,
 * which drives the pin to 0 V.  On the NodeMCU two-transistor circuit
 * (DTR, RTS) = (0, 1) holds EN low (reset) and (1, 0) holds GPIO0 low; (0, 0)
 * and (1, 1) are both idle.  The sequences come from the port's row of the
 * link table (links.h) and are run one TIOCMSET per step, as espwipe.ko runs
 * them: a U step changes both lines at once, so the circuit never sees an
 * intermediate state.
 *
 * USB-Serial/JTAG: the reset can make the tty leave the bus and come back,
 * maybe as another ttyACMn.  From the reset until port_link_settled(), a
 * hang-up (a failed line step, the sysfs write's errno, or the first reads
 * and writes after the reset) makes the port wait for the board's tty to
 * come back (refind.h, at most REFIND_TIMEOUT_MS) and reopen it, and the
 * caller carries on as if nothing happened but the wait.
 */
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "devprops.h"
#include "links.h"

/*
 * The signal that asked espwipe to stop (SIGTERM from systemd when the board
 * goes away or the unit is stopped, SIGINT from a terminal).  The one piece
 * of global state in the tool: a signal handler can reach nothing else.
 */
static volatile sig_atomic_t stop_signal;
/*
 * Written once by the handler and never read: it stays readable, so every
 * wait that polls it (every board's, in a multi-board run) wakes at once.
 */
static int stop_pipe[2] = { -1, -1 };

static void on_stop_signal(int sig)
{
	int saved = errno;

	stop_signal = sig;
	if (stop_pipe[1] >= 0 && write(stop_pipe[1], "", 1) < 0) {
		/* full or closed: it is readable already */
	}
	errno = saved;
}

int port_catch_stop_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;

	if (stop_pipe[0] < 0 && pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked poll() or sleep must return */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	return 0;
}

int port_stop_signal(void)
{
	return stop_signal;
}

int port_stop_fd(void)
{
	return stop_pipe[0];
}

uint64_t port_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

const char *reset_method_name(enum reset_method m)
{
	switch (m) {
	case RESET_AUTO: return "auto";
	case RESET_SYSFS: return "sysfs";
	case RESET_TIOCM: return "tiocm";
	case RESET_NONE: return "none";
	}
	return "?";
}

int reset_method_parse(const char *s, enum reset_method *m)
{
	static const enum reset_method all[] = { RESET_AUTO, RESET_SYSFS, RESET_TIOCM, RESET_NONE };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, reset_method_name(all[i])) == 0) {
			*m = all[i];
			return 0;
		}
	}
	return -1;
}

static speed_t baud_to_speed(uint32_t baud)
{
	static const struct { uint32_t baud; speed_t speed; } table[] = {
		{ 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 },
		{ 74880, 0 }, /* not a termios constant; refused below */
		{ 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 },
		{ 500000, B500000 }, { 576000, B576000 }, { 921600, B921600 },
		{ 1000000, B1000000 }, { 1500000, B1500000 }, { 2000000, B2000000 },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].baud == baud)
			return table[i].speed;
	return 0;
}

/* ---- transport implementation ---- */

static int comeback(struct port *p);

/* What a tty answers once its USB device is gone (hung up, or the URBs failing). */
static bool gone_errno(int e)
{
	return e == EIO || e == ENODEV || e == ENXIO || e == ESHUTDOWN || e == EPROTO || e == EPIPE;
}

static int port_tr_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct port *p = ctx;

	while (len > 0) {
		ssize_t n;

		if (stop_signal)
			return -EINTR;
		n = write(p->fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd[2] = { { .fd = p->fd, .events = POLLOUT },
							 { .fd = stop_pipe[0], .events = POLLIN } };

				if (poll(pfd, 2, 1000) <= 0)
					return -ETIMEDOUT;
				continue;
			}
			int e = errno;

			if (gone_errno(e) && comeback(p) == 0)
				continue; /* the same bytes to the port that came back */
			return -e;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t port_tr_read(void *ctx, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct port *p = ctx;
	uint64_t deadline = port_now_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;

	for (;;) {
		uint64_t now = port_now_us();
		int slice = 0;

		if (now < deadline)
			slice = (int)((deadline - now + 999) / 1000);
		if (p->tick && p->tick_ms > 0 && slice > p->tick_ms)
			slice = p->tick_ms;

		/* the stop pipe wakes this wait when the signal went to another thread */
		struct pollfd fds[2] = { { .fd = p->fd, .events = POLLIN },
					 { .fd = stop_pipe[0], .events = POLLIN } };
		struct pollfd pfd;
		int r;

		if (stop_signal)
			return -EINTR;
		r = poll(fds, 2, slice);
		if (r < 0) {
			if (errno == EINTR)
				continue; /* the loop head returns if it was a stop signal */
			return -errno;
		}
		pfd = fds[0];
		/* bytes that came with the signal are still read: they may confirm an erase */
		if (r > 0 && pfd.revents) {
			bool gone = false;

			if (pfd.revents & (POLLERR | POLLNVAL)) {
				gone = true;
			} else {
				ssize_t n = read(p->fd, buf, cap);
				int e = n < 0 ? errno : 0;

				if (n > 0)
					return n;
				if (n < 0 && e != EAGAIN && e != EINTR && !gone_errno(e))
					return -e;
				/* n == 0 is a hangup: the device went away */
				gone = n == 0 || (e != EAGAIN && e != EINTR) || (pfd.revents & POLLHUP);
			}
			if (gone) {
				if (comeback(p) == 0)
					continue; /* the port is back: wait on it for the rest */
				return -ENODEV;
			}
		}
		now = port_now_us();
		if (p->tick)
			p->tick(p->tick_ctx, now);
		if (now >= deadline)
			return 0;
	}
}

static int port_tr_flush(void *ctx)
{
	struct port *p = ctx;

	if (tcflush(p->fd, TCIOFLUSH) < 0) {
		int e = errno;

		if (gone_errno(e) && comeback(p) == 0)
			return tcflush(p->fd, TCIOFLUSH) < 0 ? -errno : 0;
		return -e;
	}
	return 0;
}

static uint64_t port_tr_now(void *ctx)
{
	(void)ctx;
	return port_now_us();
}

static const struct transport_ops port_transport_ops = {
	.write = port_tr_write,
	.read = port_tr_read,
	.flush = port_tr_flush,
	.now_us = port_tr_now,
};

/* ---- open and close ---- */

static void port_find_sysfs(struct port *p)
{
	char real[PATH_MAX];
	const char *root = getenv("ESPWIPE_SYSFS");

	if (!root || !*root)
		root = "/sys";
	p->tty_name[0] = '\0';
	p->sysfs_dev[0] = '\0';
	if (!realpath(p->path, real))
		return;
	snprintf(p->tty_name, sizeof(p->tty_name), "%s", basename(real));
	snprintf(p->sysfs_dev, sizeof(p->sysfs_dev), "%s/class/tty/%s/device", root, p->tty_name);
}

/* Open path exclusively in raw mode at speed into *fd: PORT_OK, or why not (err = errno). */
static enum port_error open_tty(const char *path, speed_t speed, int *fdp, bool *has_lines, int *err)
{
	struct termios tio;
	int fd, lines, excl = 0;

	*fdp = -1;
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		if (errno == ENOENT || errno == ENXIO || errno == ENODEV || errno == ENOTDIR)
			return PORT_NOT_FOUND;
		if (errno == EACCES || errno == EPERM)
			return PORT_DENIED;
		if (errno == EBUSY)
			return PORT_BUSY; /* another holder set TIOCEXCL */
		return PORT_OTHER;
	}
	/* Two wipes must never share a board: advisory lock plus TIOCEXCL. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		*err = errno;
		close(fd);
		return *err == EWOULDBLOCK ? PORT_BUSY : PORT_OTHER;
	}
	if (tcgetattr(fd, &tio) < 0) {
		*err = errno;
		close(fd);
		return PORT_NOT_TTY;
	}
	/*
	 * Root opens a tty even when its holder set TIOCEXCL: look, so a
	 * board another program is using is never wiped under it.
	 */
	if (ioctl(fd, TIOCGEXCL, &excl) == 0 && excl) {
		*err = EBUSY;
		close(fd);
		return PORT_BUSY;
	}
	if (ioctl(fd, TIOCEXCL) < 0) {
		*err = errno;
		close(fd);
		return PORT_OTHER;
	}
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	/* never RTS/CTS flow control: FTDI would ignore the RTS of every reset step (links.c) */
	tio.c_cflag &= ~(tcflag_t)CRTSCTS;
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	/* Rate set after open: some CH341 drivers open at 9600 whatever was asked. */
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	if (tcsetattr(fd, TCSANOW, &tio) < 0) {
		*err = errno;
		ioctl(fd, TIOCNXCL);
		close(fd);
		return PORT_OTHER;
	}
	*has_lines = ioctl(fd, TIOCMGET, &lines) == 0;
	*fdp = fd;
	return PORT_OK;
}

enum port_error port_open(struct port *p, const char *path, uint32_t baud, int *err)
{
	speed_t speed = baud_to_speed(baud);
	enum port_error pe;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	*err = 0;
	if (snprintf(p->path, sizeof(p->path), "%s", path) >= (int)sizeof(p->path)) {
		*err = ENAMETOOLONG;
		return PORT_NOT_FOUND;
	}
	if (!speed) {
		*err = EINVAL;
		return PORT_BAD_BAUD;
	}
	pe = open_tty(path, speed, &p->fd, &p->has_lines, err);
	if (pe != PORT_OK)
		return pe;
	p->excl_set = true;
	p->baud = baud;
	port_find_sysfs(p);
	p->tr.ops = &port_transport_ops;
	p->tr.ctx = p;
	p->used = RESET_NONE;
	snprintf(p->who.path, sizeof(p->who.path), "%s", path);
	return PORT_OK;
}

void port_close(struct port *p)
{
	refind_free(p->refind);
	p->refind = NULL;
	p->refind_armed = false;
	if (p->fd >= 0) {
		/*
		 * The kernel clears exclusive mode only at the tty's last close;
		 * if another holder keeps it open, leaving it set would lock
		 * the next user out.
		 */
		if (p->excl_set)
			ioctl(p->fd, TIOCNXCL);
		close(p->fd);
		p->fd = -1;
	}
}

/* ---- line control ---- */

static void sleep_until(uint64_t t_us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t_us / 1000000u),
		.tv_nsec = (long)(t_us % 1000000u) * 1000,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop_signal)
		;
}

/* One step: one TIOCMSET, the lines the step does not name and other modem bits kept. */
static int set_lines(struct port *p, const struct link_step *st)
{
	int bits;

	if (ioctl(p->fd, TIOCMGET, &bits) < 0)
		return -errno;
	if (st->kind != LINK_STEP_RTS)
		bits = st->dtr ? bits | TIOCM_DTR : bits & ~TIOCM_DTR;
	if (st->kind != LINK_STEP_DTR)
		bits = st->rts ? bits | TIOCM_RTS : bits & ~TIOCM_RTS;
	if (ioctl(p->fd, TIOCMSET, &bits) < 0)
		return -errno;
	return 0;
}

/*
 * Run a sequence in the module's grammar.  A wait ends that long after the
 * start of the line step before it (consecutive waits add up), as in
 * espwipe.ko, so the time a USB request takes is part of the hold.  *sent
 * (if not NULL) counts the line steps that went out.
 */
static int run_seq(struct port *p, const char *text, size_t *sent)
{
	struct link_seq seq;
	uint64_t mark = port_now_us();
	size_t lines = 0;
	int r = 0;

	if (link_seq_parse(text, &seq))
		return -EINVAL;
	for (size_t i = 0; i < seq.n && r == 0; i++) {
		const struct link_step *st = &seq.step[i];

		if (stop_signal) {
			r = -EINTR;
			break;
		}
		if (st->kind == LINK_STEP_WAIT) {
			mark += (uint64_t)st->ms * 1000u;
			sleep_until(mark);
			continue;
		}
		mark = port_now_us();
		r = set_lines(p, st);
		if (r == 0)
			lines++;
	}
	if (r == 0 && stop_signal)
		r = -EINTR;
	if (sent)
		*sent = lines;
	return r;
}

static bool sysfs_attr_writable(const struct port *p, const char *attr)
{
	char path[PATH_MAX + 32];

	if (!p->sysfs_dev[0])
		return false;
	snprintf(path, sizeof(path), "%s/%s", p->sysfs_dev, attr);
	return access(path, W_OK) == 0;
}

static int sysfs_write(const struct port *p, const char *attr, const char *val)
{
	char path[PATH_MAX + 32];
	size_t len = strlen(val);
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", p->sysfs_dev, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The write returns when the module has finished the whole sequence. */
	ssize_t n = write(fd, val, len);

	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* The port's bootloader_sequence is the default of def (an administrator did not set one). */
static bool sysfs_seq_is_default(const struct port *p, const char *def)
{
	char path[PATH_MAX + 32], buf[256];
	FILE *f;
	bool same = false;

	snprintf(path, sizeof(path), "%s/bootloader_sequence", p->sysfs_dev);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		same = link_seq_same(buf, def);
	fclose(f);
	return same;
}

/* ---- the link, and finding the port again ---- */

static bool reenumerates(const struct port *p)
{
	return p->link && p->link->reenumerates;
}

static const char *loader_text(const struct port *p, int attempt)
{
	if (!p->link)
		return attempt % 2 ? LINK_SEQ_CLASSIC_LONG : LINK_SEQ_CLASSIC;
	if (attempt % 2 && p->link->enter_seq_long)
		return p->link->enter_seq_long;
	return p->link->enter_seq;
}

const char *port_loader_sequence(const struct port *p, int attempt)
{
	return loader_text(p, attempt);
}

static const char *reset_text(const struct port *p)
{
	return p->link ? p->link->reset_seq : LINK_SEQ_CLASSIC_RESET;
}

void port_set_link(struct port *p, const struct link_row *link, const struct dev_props *props)
{
	p->link = link;
	if (props) {
		snprintf(p->who.id_path, sizeof(p->who.id_path), "%s", props->id_path);
		snprintf(p->who.serial, sizeof(p->who.serial), "%s", props->serial);
		snprintf(p->who.usb_path, sizeof(p->who.usb_path), "%s", props->usb_path);
	}
}

void port_link_settled(struct port *p)
{
	p->refind_armed = false;
	refind_free(p->refind);
	p->refind = NULL;
}

/* Before a reset on a re-enumerating link: watch for the port coming back. */
static void refind_prepare(struct port *p)
{
	p->refind_err = 0;
	p->refind_armed = true;
	if (p->refind)
		refind_drain(p->refind);
	else if (refind_arm(&p->refind, &p->who) < 0)
		p->refind = NULL; /* nothing to watch: comeback() says so */
}

/* Reopen the port at path with the settings it had: 0 or -errno. */
static int reopen(struct port *p, const char *path)
{
	bool has_lines = false;
	int fd, err = 0;

	if (open_tty(path, baud_to_speed(p->baud), &fd, &has_lines, &err) != PORT_OK)
		return -err;
	if (p->fd >= 0) {
		ioctl(p->fd, TIOCNXCL);
		close(p->fd);
	}
	p->fd = fd;
	p->has_lines = has_lines;
	snprintf(p->path, sizeof(p->path), "%s", path);
	port_find_sysfs(p);
	return 0;
}

/*
 * The port hung up while a re-enumeration was expected: wait for it to come
 * back and reopen it.  0, or -1 when nothing was expected, or p->refind_err.
 */
static int comeback(struct port *p)
{
	char path[PATH_MAX];
	uint64_t t0 = port_now_us();
	int r;

	if (!p->refind_armed)
		return -1;
	if (!p->refind) {
		p->refind_armed = false;
		p->refind_err = -ENOENT;
		return p->refind_err;
	}
	r = refind_wait(p->refind, REFIND_TIMEOUT_MS, stop_pipe[0], path, sizeof(path));
	/* udev may still be applying the mode: one more wait within the bound */
	for (int tries = 0; r == 0 && tries < 20; tries++) {
		int e = reopen(p, path);

		if (e == 0)
			break;
		if (e != -EACCES && e != -ENOENT && e != -ENXIO && e != -ENODEV) {
			r = e;
			break;
		}
		if (port_now_us() - t0 >= (uint64_t)REFIND_TIMEOUT_MS * 1000u) {
			r = -ETIMEDOUT;
			break;
		}
		sleep_until(port_now_us() + 50000u);
	}
	if (r < 0) {
		p->refind_armed = false;
		p->refind_err = stop_signal ? -EINTR : r;
		return p->refind_err;
	}
	p->comebacks++;
	p->comeback_ms = (unsigned int)((port_now_us() - t0) / 1000u);
	snprintf(p->comeback_path, sizeof(p->comeback_path), "%s", path);
	return 0;
}

/* The tty hung up already (the reset made its device leave the bus)? */
static bool hung_up(const struct port *p)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/* After a reset on a re-enumerating link ended with the device gone. */
static int comeback_now(struct port *p)
{
	int r = comeback(p);

	return r == 0 ? 0 : p->refind_err ? p->refind_err : -ENODEV;
}

enum reset_method port_resolve_method(const struct port *p, enum reset_method m)
{
	if (m != RESET_AUTO)
		return m;
	/* a link whose lines cannot reach the loader (ESP32-S2 USB-OTG): it is in it already */
	if (!loader_text(p, 0))
		return RESET_NONE;
	if (sysfs_attr_writable(p, "enter_bootloader"))
		return RESET_SYSFS;
	if (p->has_lines)
		return RESET_TIOCM;
	return RESET_NONE;
}

int port_enter_loader(struct port *p, enum reset_method m, int attempt)
{
	const char *text = loader_text(p, attempt);
	int r;

	m = port_resolve_method(p, m);
	p->used = m;
	if (m == RESET_NONE || m == RESET_AUTO)
		return 0;
	if (!text)
		return -EOPNOTSUPP;
	if (m == RESET_SYSFS && !sysfs_attr_writable(p, "enter_bootloader"))
		return errno == EACCES ? -EACCES : -ENOENT;
	if (reenumerates(p))
		refind_prepare(p);
	if (m == RESET_SYSFS) {
		/*
		 * The port's configured sequence first; on retries the link's
		 * other variant, unless an administrator configured a sequence
		 * of their own for this port, which is then kept.
		 */
		const char *val = "1";

		if (text != loader_text(p, 0) && sysfs_seq_is_default(p, loader_text(p, 0)))
			val = text;
		r = sysfs_write(p, "enter_bootloader", val);
		if (r < 0 && reenumerates(p) && (r == -LINK_ERRNO_REENUMERATED || r == -ENODEV))
			return comeback_now(p);
		return r;
	}
	r = run_seq(p, text, NULL);
	if (r < 0 && reenumerates(p) && gone_errno(-r))
		return comeback_now(p);
	if (r == 0 && reenumerates(p) && hung_up(p))
		return comeback_now(p);
	return r;
}

int port_hard_reset(struct port *p, enum reset_method m)
{
	const char *text = reset_text(p);
	size_t sent = 0;
	int r;

	/* whatever happens now, a hang-up is the end of this session, not a re-enumeration to wait for */
	port_link_settled(p);
	m = port_resolve_method(p, m);
	if (m == RESET_SYSFS && sysfs_attr_writable(p, "reset")) {
		p->used = RESET_SYSFS;
		r = sysfs_write(p, "reset", "1");
		if (r < 0 && reenumerates(p) && (r == -LINK_ERRNO_REENUMERATED || r == -ENODEV))
			return 0; /* it left the bus because it reset */
		return r;
	}
	if (p->has_lines && text) {
		p->used = RESET_TIOCM;
		r = run_seq(p, text, &sent);
		if (r < 0 && sent > 0 && reenumerates(p) && gone_errno(-r))
			return 0;
		return r;
	}
	p->used = RESET_NONE;
	return -ENOTTY;
}
