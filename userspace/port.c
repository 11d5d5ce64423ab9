// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The serial port as espwipe uses it.
 *
 * Line convention everywhere in this file: "asserted" is the TIOCM bit set,
 * which drives the pin to 0 V.  On the NodeMCU two-transistor circuit
 * (DTR, RTS) = (0, 1) holds EN low (reset) and (1, 0) holds GPIO0 low; (0, 0)
 * and (1, 1) are both idle.  Every step below changes both lines in one
 * TIOCMSET so the circuit never sees an intermediate state.
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

#define HOLD_RESET_US 100000u  /* EN low */
#define HOLD_BOOT_US 50000u    /* GPIO0 low after EN rises, standard */
#define HOLD_BOOT_LONG_US 550000u /* the long variant for the next attempt */
#define DEFAULT_LOADER_SEQ "U0,1|W0.1|U1,0|W0.05|U0,0"
#define LONG_LOADER_SEQ "U0,1|W0.1|U1,0|W0.55|U0,0"

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
			return -errno;
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
			if (pfd.revents & (POLLERR | POLLNVAL))
				return -ENODEV;
			ssize_t n = read(p->fd, buf, cap);

			if (n > 0)
				return n;
			if (n == 0)
				return -ENODEV; /* hangup: the device went away */
			if (errno != EAGAIN && errno != EINTR)
				return errno == EIO ? -ENODEV : -errno;
			if (pfd.revents & POLLHUP)
				return -ENODEV;
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

	if (tcflush(p->fd, TCIOFLUSH) < 0)
		return -errno;
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

enum port_error port_open(struct port *p, const char *path, uint32_t baud, int *err)
{
	struct termios tio;
	speed_t speed = baud_to_speed(baud);
	int lines;

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
	p->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (p->fd < 0) {
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
	if (flock(p->fd, LOCK_EX | LOCK_NB) < 0) {
		*err = errno;
		port_close(p);
		return *err == EWOULDBLOCK ? PORT_BUSY : PORT_OTHER;
	}
	if (tcgetattr(p->fd, &tio) < 0) {
		*err = errno;
		port_close(p);
		return PORT_NOT_TTY;
	}
	/*
	 * Root opens a tty even when its holder set TIOCEXCL: look, so a
	 * board another program is using is never wiped under it.
	 */
	int excl = 0;

	if (ioctl(p->fd, TIOCGEXCL, &excl) == 0 && excl) {
		*err = EBUSY;
		port_close(p);
		return PORT_BUSY;
	}
	if (ioctl(p->fd, TIOCEXCL) < 0) {
		*err = errno;
		port_close(p);
		return PORT_OTHER;
	}
	p->excl_set = true;
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~(tcflag_t)CRTSCTS;
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	/* Rate set after open: some CH341 drivers open at 9600 whatever was asked. */
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	if (tcsetattr(p->fd, TCSANOW, &tio) < 0) {
		*err = errno;
		port_close(p);
		return PORT_OTHER;
	}
	p->baud = baud;
	p->has_lines = ioctl(p->fd, TIOCMGET, &lines) == 0;
	port_find_sysfs(p);
	p->tr.ops = &port_transport_ops;
	p->tr.ctx = p;
	p->used = RESET_NONE;
	return PORT_OK;
}

void port_close(struct port *p)
{
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

/* One step: both lines in one TIOCMSET, other modem bits preserved. */
static int set_lines(struct port *p, int dtr, int rts)
{
	int bits;

	if (ioctl(p->fd, TIOCMGET, &bits) < 0)
		return -errno;
	bits &= ~(TIOCM_DTR | TIOCM_RTS);
	if (dtr)
		bits |= TIOCM_DTR;
	if (rts)
		bits |= TIOCM_RTS;
	if (ioctl(p->fd, TIOCMSET, &bits) < 0)
		return -errno;
	return 0;
}

struct line_step {
	int dtr, rts;
	uint32_t hold_us; /* after this step */
};

static int run_steps(struct port *p, const struct line_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t t = port_now_us();
		int r = set_lines(p, s[i].dtr, s[i].rts);

		if (r < 0)
			return r;
		if (s[i].hold_us)
			sleep_until(t + s[i].hold_us);
		if (stop_signal)
			return -EINTR;
	}
	return 0;
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

static bool sysfs_seq_is_default(const struct port *p)
{
	char path[PATH_MAX + 32], buf[256];
	FILE *f;
	bool def = false;

	snprintf(path, sizeof(path), "%s/bootloader_sequence", p->sysfs_dev);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		def = strcmp(buf, DEFAULT_LOADER_SEQ) == 0;
	}
	fclose(f);
	return def;
}

enum reset_method port_resolve_method(const struct port *p, enum reset_method m)
{
	if (m != RESET_AUTO)
		return m;
	if (sysfs_attr_writable(p, "enter_bootloader"))
		return RESET_SYSFS;
	if (p->has_lines)
		return RESET_TIOCM;
	return RESET_NONE;
}

int port_enter_loader(struct port *p, enum reset_method m, int attempt)
{
	bool lng = attempt % 2 == 1;

	m = port_resolve_method(p, m);
	p->used = m;
	switch (m) {
	case RESET_SYSFS:
		if (!sysfs_attr_writable(p, "enter_bootloader"))
			return errno == EACCES ? -EACCES : -ENOENT;
		/*
		 * The port's configured sequence first; on retries the long
		 * variant, unless an administrator configured a sequence of
		 * their own for this port, which is then kept.
		 */
		if (lng && sysfs_seq_is_default(p))
			return sysfs_write(p, "enter_bootloader", LONG_LOADER_SEQ);
		return sysfs_write(p, "enter_bootloader", "1");
	case RESET_TIOCM: {
		const struct line_step steps[] = {
			{ 0, 1, HOLD_RESET_US },
			{ 1, 0, lng ? HOLD_BOOT_LONG_US : HOLD_BOOT_US },
			{ 0, 0, 0 },
		};

		return run_steps(p, steps, sizeof(steps) / sizeof(steps[0]));
	}
	case RESET_NONE:
	case RESET_AUTO:
		break;
	}
	return 0;
}

int port_hard_reset(struct port *p, enum reset_method m)
{
	m = port_resolve_method(p, m);
	if (m == RESET_SYSFS && sysfs_attr_writable(p, "reset")) {
		p->used = RESET_SYSFS;
		return sysfs_write(p, "reset", "1");
	}
	if (p->has_lines) {
		const struct line_step steps[] = {
			{ 0, 1, HOLD_RESET_US },
			{ 0, 0, 0 },
		};

		p->used = RESET_TIOCM;
		return run_steps(p, steps, sizeof(steps) / sizeof(steps[0]));
	}
	p->used = RESET_NONE;
	return -ENOTTY;
}
