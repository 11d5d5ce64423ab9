// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * espemu: serve libespemu on a pseudo-terminal, so a tool that talks to
 * /dev/ttyUSB0 can talk to an emulated ESP8266 or ESP32-family chip instead.
 *
 * The slave path goes to stdout (one line).  The clock is CLOCK_MONOTONIC;
 * the loop sleeps in ppoll() until the model's next event or I/O.  Modem
 * lines come from libespemu-lines.so over a unix datagram socket, since a
 * pty has none.  We keep our own slave fd open (else the master reads EIO
 * until the host opens), and watch the slave with inotify to know when the
 * host has it open: output while nobody listens is lost, as on a real UART,
 * and --exit-when-closed exits when the host's last close comes.
 *
 * A USB device that leaves the bus (link-mode=usb-serial-jtag with
 * reenumerate=on|gone) is the pty going away: the master is closed, so the
 * host's descriptor hangs up (reads fail with EIO, poll says POLLHUP), and
 * the --link symlink is removed.  When it comes back, a new pty (always a
 * new number: it is reserved before the old one is closed) takes its place,
 * the symlink is made again and its path is printed as one more line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "espemu.h"
#include "lines_proto.h"
#include "pty_baud.h"

#define OUTBUF 65536
#define IDLE_POLL_US 100000u

struct server {
	struct emu *emu;
	uint64_t t0;
	int master, slave_keep, lines, ino, sig;
	char slave[128];
	int spare_master;        /* the next pty, reserved while the device is off the bus */
	char spare_slave[128];
	bool usb_up;             /* the pty is published */
	unsigned long usb_gen;   /* emu_usb_generation() it stands for */
	const char *link, *report, *lines_path, *dump_flash;
	bool exit_when_closed;
	long opens, closes;
	bool host_seen;
	uint32_t baud;
	uint8_t out[OUTBUF];
	size_t out_len;
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t now_of(const struct server *s)
{
	return mono_us() - s->t0;
}

static void usage(FILE *out)
{
	fputs("usage: espemu [--link=PATH] [--report=FILE] [--exit-when-closed]\n"
	      "              [--lines-socket=PATH] [--OPTION=VALUE ...]\n"
	      "Serves an emulated ESP8266 or ESP32-family chip (ROM loader, flash, eFuses,\n"
	      "auto-reset circuit) on a pty\n"
	      "and prints the slave path.  SIGUSR1 writes the report; SIGTERM/SIGINT exit.\n\n"
	      "  --link=PATH            symlink PATH to the pty slave\n"
	      "  --report=FILE          write the JSON report there at exit and on SIGUSR1\n"
	      "  --exit-when-closed     exit once the host has opened and closed the port\n"
	      "  --lines-socket=PATH    datagram socket for libespemu-lines.so (DTR/RTS)\n"
	      "  --dump-flash=FILE      write the flash contents there at exit\n\n"
	      "Model options:\n",
	      out);
	emu_config_help(out);
}

static int write_report(const struct server *s)
{
	char tmp[4096];
	FILE *f;
	int rc;

	if (!s->report)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->report);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "espemu: cannot write report %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	rc = emu_report_json(s->emu, f);
	if (fclose(f) || rc || rename(tmp, s->report)) {
		fprintf(stderr, "espemu: cannot write report %s\n", s->report);
		return -1;
	}
	return 0;
}

static int dump_flash(const struct server *s)
{
	FILE *f;
	size_t n = emu_flash_size(s->emu);

	if (!s->dump_flash)
		return 0;
	f = fopen(s->dump_flash, "wb");
	if (!f || fwrite(emu_flash_data(s->emu), 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "espemu: cannot write %s\n", s->dump_flash);
		return -1;
	}
	return 0;
}

/* A new pty master and its slave's path. */
static int pty_new(int *master, char *slave, size_t len)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) || unlockpt(*master) || ptsname_r(*master, slave, len)) {
		perror("espemu: pty");
		return -1;
	}
	return 0;
}

/* Make s->master / s->slave the host's port: raw slave, open watch, --link. */
static int pty_publish(struct server *s)
{
	struct termios t;

	s->slave_keep = open(s->slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->slave_keep < 0 || tcgetattr(s->slave_keep, &t)) {
		perror("espemu: pty slave");
		return -1;
	}
	cfmakeraw(&t);
	cfsetispeed(&t, B115200);
	cfsetospeed(&t, B115200);
	if (tcsetattr(s->slave_keep, TCSANOW, &t)) {
		perror("espemu: tcsetattr");
		return -1;
	}
	s->opens = s->closes = 0;
	s->host_seen = false;
	s->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->ino >= 0 &&
	    inotify_add_watch(s->ino, s->slave, IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0) {
		close(s->ino);
		s->ino = -1;
	}
	if (s->ino < 0 && s->exit_when_closed) {
		fputs("espemu: inotify on the pty slave failed; --exit-when-closed unavailable\n",
		      stderr);
		return -1;
	}
	if (s->link) {
		unlink(s->link);
		if (symlink(s->slave, s->link)) {
			fprintf(stderr, "espemu: symlink %s: %s\n", s->link, strerror(errno));
			return -1;
		}
	}
	s->usb_up = true;
	return 0;
}

static int open_pty(struct server *s)
{
	if (pty_new(&s->master, s->slave, sizeof(s->slave)))
		return -1;
	return pty_publish(s);
}

/* The USB device left the bus: the host's tty hangs up, the link goes. */
static void pty_withdraw(struct server *s)
{
	/* reserved first, so the next pty cannot get the old number */
	if (s->spare_master < 0 && pty_new(&s->spare_master, s->spare_slave, sizeof(s->spare_slave)))
		s->spare_master = -1;
	if (s->link)
		unlink(s->link);
	if (s->ino >= 0)
		close(s->ino);
	s->ino = -1;
	close(s->slave_keep);
	s->slave_keep = -1;
	close(s->master);
	s->master = -1;
	s->out_len = 0;
	s->usb_up = false;
}

/* It came back: the reserved pty is the new port. */
static int pty_return(struct server *s)
{
	if (s->spare_master < 0 && pty_new(&s->spare_master, s->spare_slave, sizeof(s->spare_slave)))
		return -1;
	s->master = s->spare_master;
	memcpy(s->slave, s->spare_slave, sizeof(s->slave));
	s->spare_master = -1;
	if (pty_publish(s))
		return -1;
	printf("%s\n", s->slave);
	fflush(stdout);
	return 0;
}

/* Follow the model's USB device: 0, or -1 if a new pty cannot be made. */
static int track_usb(struct server *s)
{
	bool present = emu_usb_present(s->emu);
	unsigned long gen = emu_usb_generation(s->emu);

	if (s->usb_up && (!present || gen != s->usb_gen))
		pty_withdraw(s);
	if (!s->usb_up && present) {
		s->usb_gen = gen;
		return pty_return(s);
	}
	return 0;
}

static int open_lines(struct server *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!s->lines_path)
		return 0;
	if (strlen(s->lines_path) >= sizeof(sa.sun_path)) {
		fputs("espemu: --lines-socket path too long\n", stderr);
		return -1;
	}
	strcpy(sa.sun_path, s->lines_path);
	s->lines = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(s->lines_path);
	if (s->lines < 0 || bind(s->lines, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "espemu: lines socket %s: %s\n", s->lines_path, strerror(errno));
		return -1;
	}
	return 0;
}

static int open_signals(struct server *s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	s->sig = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return s->sig < 0 ? -1 : 0;
}

static bool host_open(const struct server *s)
{
	return s->master >= 0 && (s->ino < 0 || s->opens > s->closes);
}

static void check_baud(struct server *s, uint64_t now)
{
	uint32_t b;

	if (s->master >= 0 && pty_get_baud(s->master, &b) == 0 && b && b != s->baud) {
		s->baud = b;
		emu_set_baud(s->emu, b, now);
	}
}

static void pump_out(struct server *s, uint64_t now)
{
	for (;;) {
		ssize_t w;

		s->out_len += emu_tx(s->emu, s->out + s->out_len, OUTBUF - s->out_len, now);
		if (!host_open(s) || s->master < 0) {
			s->out_len = 0; /* nobody listening: the bytes are gone */
			return;
		}
		if (!s->out_len)
			return;
		w = write(s->master, s->out, s->out_len);
		if (w <= 0)
			return; /* EAGAIN: the host is slow; keep them */
		memmove(s->out, s->out + w, s->out_len - (size_t)w);
		s->out_len -= (size_t)w;
	}
}

static void read_master(struct server *s)
{
	uint8_t buf[4096];
	size_t room = emu_rx_room(s->emu);
	ssize_t n;
	uint64_t now;

	if (room > sizeof(buf))
		room = sizeof(buf);
	if (!room)
		return;
	n = read(s->master, buf, room);
	if (n <= 0)
		return;
	now = now_of(s);
	check_baud(s, now);
	emu_rx(s->emu, buf, (size_t)n, now);
}

static void read_lines(struct server *s)
{
	struct espemu_lines_msg m;
	struct sockaddr_un from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(s->lines, &m, sizeof(m), 0, (struct sockaddr *)&from, &flen)) > 0) {
		if ((size_t)n == sizeof(m) && m.magic == ESPEMU_LINES_MAGIC) {
			emu_set_lines(s->emu, m.dtr != 0, m.rts != 0, now_of(s));
			sendto(s->lines, &m, sizeof(m), 0, (struct sockaddr *)&from, flen);
		}
		flen = sizeof(from);
	}
}

static void read_inotify(struct server *s)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(s->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;

			if (ev->mask & IN_OPEN) {
				s->opens++;
				s->host_seen = true;
			}
			if (ev->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE))
				s->closes++;
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* Returns 1 to keep going, 0 to exit. */
static int read_signals(struct server *s)
{
	struct signalfd_siginfo si;
	int go = 1;

	while (read(s->sig, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			write_report(s);
		else
			go = 0;
	}
	return go;
}

static int serve(struct server *s)
{
	for (;;) {
		struct pollfd p[4];
		uint64_t now = now_of(s), next, wait_us;
		struct timespec ts;
		int np = 0, i_master, i_lines = -1, i_ino = -1, i_sig;

		emu_advance(s->emu, now);
		if (track_usb(s))
			return 1;
		check_baud(s, now);
		pump_out(s, now);
		if (s->exit_when_closed && s->host_seen && !host_open(s))
			return 0;

		next = emu_next_event_us(s->emu);
		wait_us = next > now ? next - now : 0;
		if (wait_us > IDLE_POLL_US)
			wait_us = IDLE_POLL_US;
		if (s->out_len && wait_us < 1000)
			wait_us = 1000; /* host not reading: POLLOUT wakes us, don't spin */
		ts.tv_sec = (time_t)(wait_us / 1000000u);
		ts.tv_nsec = (long)(wait_us % 1000000u) * 1000;

		i_master = np;
		/* off the bus: fd -1 makes poll() skip the entry */
		p[np++] = (struct pollfd){ .fd = s->master,
					   .events = (short)(POLLIN | (s->out_len ? POLLOUT : 0)) };
		i_sig = np;
		p[np++] = (struct pollfd){ .fd = s->sig, .events = POLLIN };
		if (s->lines >= 0) {
			i_lines = np;
			p[np++] = (struct pollfd){ .fd = s->lines, .events = POLLIN };
		}
		if (s->ino >= 0) {
			i_ino = np;
			p[np++] = (struct pollfd){ .fd = s->ino, .events = POLLIN };
		}
		if (ppoll(p, (nfds_t)np, &ts, NULL) < 0 && errno != EINTR) {
			perror("espemu: ppoll");
			return 1;
		}
		if (p[i_sig].revents && !read_signals(s))
			return 0;
		if (i_lines >= 0 && p[i_lines].revents)
			read_lines(s);
		if (i_ino >= 0 && p[i_ino].revents)
			read_inotify(s);
		if (s->master >= 0 && (p[i_master].revents & POLLIN))
			read_master(s);
	}
}

static int parse_args(struct server *s, struct emu_config *cfg, int argc, char **argv)
{
	char err[256];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char key[64];
		const char *eq, *val;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (strncmp(a, "--", 2)) {
			fprintf(stderr, "espemu: unexpected argument '%s'\n", a);
			return -1;
		}
		a += 2;
		if (!strcmp(a, "exit-when-closed")) {
			s->exit_when_closed = true;
			continue;
		}
		eq = strchr(a, '=');
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			eq = a + strlen(a);
			val = argv[++i];
		} else {
			fprintf(stderr, "espemu: option --%s needs a value\n", a);
			return -1;
		}
		if ((size_t)(eq - a) >= sizeof(key)) {
			fprintf(stderr, "espemu: unknown option --%s\n", a);
			return -1;
		}
		memcpy(key, a, (size_t)(eq - a));
		key[eq - a] = '\0';
		if (!strcmp(key, "link"))
			s->link = val;
		else if (!strcmp(key, "report"))
			s->report = val;
		else if (!strcmp(key, "lines-socket"))
			s->lines_path = val;
		else if (!strcmp(key, "dump-flash"))
			s->dump_flash = val;
		else if (emu_config_set(cfg, key, val, err, sizeof(err))) {
			fprintf(stderr, "espemu: %s\n", err);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct server s; /* large output buffer: not on the stack */
	struct emu_config cfg;
	char err[256];
	int rc;

	s.master = s.slave_keep = s.lines = s.ino = s.sig = s.spare_master = -1;
	emu_config_defaults(&cfg);
	if (parse_args(&s, &cfg, argc, argv)) {
		usage(stderr);
		return 2;
	}
	if (emu_config_check(&cfg, err, sizeof(err))) {
		fprintf(stderr, "espemu: %s\n", err);
		return 2;
	}
	if (open_signals(&s) || open_pty(&s) || open_lines(&s))
		return 1;
	s.t0 = mono_us();
	s.emu = emu_new(&cfg, 0);
	if (!s.emu) {
		fputs("espemu: cannot create the model (flash size?)\n", stderr);
		return 1;
	}
	s.baud = 0;
	check_baud(&s, 0);
	printf("%s\n", s.slave);
	fflush(stdout);

	rc = serve(&s);
	emu_advance(s.emu, now_of(&s));
	if (write_report(&s) || dump_flash(&s))
		rc = 1;
	if (s.link)
		unlink(s.link);
	if (s.lines_path)
		unlink(s.lines_path);
	emu_free(s.emu);
	return rc;
}
