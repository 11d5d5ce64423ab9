// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libespemu-lines.so: LD_PRELOAD shim that gives pty slaves modem lines.
 *
 * A pty has no DTR/RTS (TIOCMSET fails with ENOTTY).  With ESPEMU_LINES_SOCKET
 * set, TIOCMSET/TIOCMBIS/TIOCMBIC/TIOCMGET on a pty slave are answered here:
 * the shim keeps the line state, sends every write to espemu's datagram
 * socket and waits for its echo, like a blocking USB control request.  All
 * other ioctls go to the real one.  The state is per process, as a test
 * talks to one emulated board.  A slave whose master is gone (espemu's USB
 * device left the bus) answers EIO, as a hung-up tty does.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "lines_proto.h"

#define ACK_TIMEOUT_MS 2000
#define PTY_SLAVE_MAJOR_FIRST 136
#define PTY_SLAVE_MAJOR_LAST 143

typedef int (*ioctl_fn)(int, unsigned long, ...);

static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int lines;   /* TIOCM_* bits; opening a tty asserts DTR and RTS */
	int sock;
	pid_t pid;
	uint32_t seq;
} shim = { TIOCM_DTR | TIOCM_RTS, -1, 0, 0 };

/* The master side closed: what a tty whose USB device went away looks like. */
static bool hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static bool is_pty_slave(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISCHR(st.st_mode))
		return false;
	return major(st.st_rdev) >= PTY_SLAVE_MAJOR_FIRST &&
	       major(st.st_rdev) <= PTY_SLAVE_MAJOR_LAST;
}

static int shim_socket(void)
{
	struct sockaddr_un self = { .sun_family = AF_UNIX };

	if (shim.sock >= 0 && shim.pid == getpid())
		return shim.sock;
	if (shim.sock >= 0)
		close(shim.sock); /* inherited across fork: make our own */
	shim.sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (shim.sock < 0)
		return -1;
	/* autobind to an abstract address so espemu can answer */
	if (bind(shim.sock, (struct sockaddr *)&self, sizeof(sa_family_t))) {
		close(shim.sock);
		shim.sock = -1;
		return -1;
	}
	shim.pid = getpid();
	return shim.sock;
}

/* Send the line state and wait until espemu has applied it. */
static int send_lines(const char *path)
{
	struct sockaddr_un to = { .sun_family = AF_UNIX };
	struct espemu_lines_msg m = { ESPEMU_LINES_MAGIC, 0, 0, 0 }, ack;
	struct pollfd p;
	int s = shim_socket();

	if (s < 0 || strlen(path) >= sizeof(to.sun_path))
		return -1;
	strcpy(to.sun_path, path);
	m.seq = ++shim.seq;
	m.dtr = (shim.lines & TIOCM_DTR) ? 1 : 0;
	m.rts = (shim.lines & TIOCM_RTS) ? 1 : 0;
	if (sendto(s, &m, sizeof(m), 0, (struct sockaddr *)&to, sizeof(to)) != sizeof(m))
		return -1;
	p = (struct pollfd){ .fd = s, .events = POLLIN };
	for (;;) {
		if (poll(&p, 1, ACK_TIMEOUT_MS) <= 0)
			return -1;
		if (recv(s, &ack, sizeof(ack), 0) == sizeof(ack) && ack.seq == m.seq)
			return 0;
	}
}

static int handle(unsigned long req, int *arg, const char *path)
{
	int rc = 0;

	if (!arg) {
		errno = EFAULT;
		return -1;
	}
	pthread_mutex_lock(&shim_lock);
	switch (req) {
	case TIOCMGET:
		*arg = shim.lines | TIOCM_CTS | TIOCM_DSR | TIOCM_CAR;
		break;
	case TIOCMSET:
		shim.lines = *arg & (TIOCM_DTR | TIOCM_RTS);
		rc = send_lines(path);
		break;
	case TIOCMBIS:
		shim.lines |= *arg & (TIOCM_DTR | TIOCM_RTS);
		rc = send_lines(path);
		break;
	case TIOCMBIC:
		shim.lines &= ~(*arg & (TIOCM_DTR | TIOCM_RTS));
		rc = send_lines(path);
		break;
	}
	pthread_mutex_unlock(&shim_lock);
	if (rc)
		errno = EIO;
	return rc;
}

int ioctl(int fd, unsigned long req, ...)
{
	static ioctl_fn real;
	const char *path;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (req == TIOCMSET || req == TIOCMBIS || req == TIOCMBIC || req == TIOCMGET) {
		path = getenv(ESPEMU_LINES_ENV);
		if (path && *path && is_pty_slave(fd)) {
			if (hung_up(fd)) {
				errno = EIO;
				return -1;
			}
			return handle(req, arg, path);
		}
	}
	if (!real)
		real = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd, req, arg);
}
