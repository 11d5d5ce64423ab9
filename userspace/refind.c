// SPDX-License-Identifier: GPL-2.0-or-later
/* A port coming back after a reset: a udev monitor and inotify, in one poll(). */
#include "refind.h"

#include <errno.h>
#include <libgen.h>
#include <libudev.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "discovery.h"

/* A node that exists but cannot be opened yet (udev still applying its mode) is retried this often. */
#define REFIND_RETRY_MS 50

struct refind {
	struct refind_id id;
	struct udev *udev;
	struct udev_monitor *mon;
	int ifd;
	char dir[PATH_MAX];
	char name[NAME_MAX + 1];
	char pending[PATH_MAX];  /* seen, not yet openable */
};

static bool set(const char *s)
{
	return s && *s;
}

bool refind_same_board(const struct refind_id *id, const char *id_path, const char *serial,
		       const char *usb_path)
{
	if (set(id->serial) && set(serial))
		return strcmp(id->serial, serial) == 0;
	if (set(id->usb_path) && set(usb_path))
		return strcmp(id->usb_path, usb_path) == 0;
	if (set(id->id_path) && set(id_path))
		return strcmp(id->id_path, id_path) == 0;
	return false;
}

static bool has_usb_identity(const struct refind_id *id)
{
	return set(id->serial) || set(id->usb_path) || set(id->id_path);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int open_monitor(struct refind *r)
{
	/* udevd announces a device once its rules ran (mode, ID_PATH); without udevd the kernel does */
	bool kernel = access("/run/udev/control", F_OK) != 0;

	r->udev = udev_new();
	if (!r->udev)
		return -ENOMEM;
	r->mon = udev_monitor_new_from_netlink(r->udev, kernel ? "kernel" : "udev");
	if (!r->mon || udev_monitor_filter_add_match_subsystem_devtype(r->mon, "tty", NULL) < 0 ||
	    udev_monitor_enable_receiving(r->mon) < 0) {
		if (r->mon)
			udev_monitor_unref(r->mon);
		r->mon = NULL;
		return -EIO;
	}
	return 0;
}

static int open_inotify(struct refind *r)
{
	char a[PATH_MAX], b[PATH_MAX];
	struct stat st;
	bool link = lstat(r->id.path, &st) == 0 && S_ISLNK(st.st_mode);

	/*
	 * A by-id/by-path link names the board itself; a plain node name may be
	 * given to another device, so it is watched only when nothing else
	 * could tell the board (a pty in the tests, a node udev does not know).
	 */
	if (!link && has_usb_identity(&r->id))
		return 0;
	snprintf(a, sizeof(a), "%s", r->id.path);
	snprintf(b, sizeof(b), "%s", r->id.path);
	snprintf(r->dir, sizeof(r->dir), "%s", dirname(a));
	snprintf(r->name, sizeof(r->name), "%s", basename(b));
	r->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->ifd < 0)
		return -errno;
	if (inotify_add_watch(r->ifd, r->dir, IN_CREATE | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR) < 0) {
		int e = errno;

		close(r->ifd);
		r->ifd = -1;
		return -e;
	}
	return 0;
}

int refind_arm(struct refind **out, const struct refind_id *id)
{
	struct refind *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->id = *id;
	r->ifd = -1;
	if (has_usb_identity(id))
		open_monitor(r); /* without it the link (if any) still works */
	open_inotify(r);
	if (!r->mon && r->ifd < 0) {
		refind_free(r);
		return -ENOENT;
	}
	*out = r;
	return 0;
}

void refind_drain(struct refind *r)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct udev_device *d;

	if (r->mon) {
		while ((d = udev_monitor_receive_device(r->mon)))
			udev_device_unref(d);
	}
	if (r->ifd >= 0) {
		while (read(r->ifd, buf, sizeof(buf)) > 0)
			;
	}
	r->pending[0] = '\0';
}

void refind_free(struct refind *r)
{
	if (!r)
		return;
	if (r->mon)
		udev_monitor_unref(r->mon);
	if (r->udev)
		udev_unref(r->udev);
	if (r->ifd >= 0)
		close(r->ifd);
	free(r);
}

/* A node that is there and can be opened for reading and writing. */
static bool ready(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISCHR(st.st_mode) && access(path, R_OK | W_OK) == 0;
}

/* The monitor's next event: 1 and path when it is the board's tty, else 0. */
static int udev_event(struct refind *r, char *path, size_t len)
{
	struct udev_device *d = udev_monitor_receive_device(r->mon);
	struct candidate *c;
	const char *action;
	int found = 0;

	if (!d)
		return 0;
	action = udev_device_get_action(d);
	c = calloc(1, sizeof(*c));
	if (c && action && strcmp(action, "add") == 0 && discovery_tty_candidate(d, c) == 0 &&
	    refind_same_board(&r->id, c->id_path, c->serial, c->usb_path)) {
		snprintf(path, len, "%s", c->devnode);
		found = 1;
	}
	free(c);
	udev_device_unref(d);
	return found;
}

/* Pending inotify events: 1 and path when the watched name is back, else 0. */
static int inotify_event(struct refind *r, char *path, size_t len)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int found = 0;
	ssize_t n;

	while ((n = read(r->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ie = (const struct inotify_event *)(void *)p;

			if (ie->len && strcmp(ie->name, r->name) == 0 &&
			    (ie->mask & (IN_CREATE | IN_MOVED_TO | IN_ATTRIB))) {
				snprintf(path, len, "%s", r->id.path);
				found = 1;
			}
			p += sizeof(*ie) + ie->len;
		}
	}
	return found;
}

int refind_wait(struct refind *r, int timeout_ms, int stop_fd, char *path, size_t len)
{
	uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		struct pollfd p[3];
		int np = 0, i_mon = -1, i_ino = -1, i_stop = -1, wait;
		uint64_t now = now_ms();
		char got[PATH_MAX];

		if (r->pending[0] && ready(r->pending)) {
			snprintf(path, len, "%s", r->pending);
			return 0;
		}
		if (now >= deadline)
			return -ETIMEDOUT;
		wait = (int)(deadline - now);
		if (r->pending[0] && wait > REFIND_RETRY_MS)
			wait = REFIND_RETRY_MS;
		if (r->mon) {
			i_mon = np;
			p[np++] = (struct pollfd){ .fd = udev_monitor_get_fd(r->mon), .events = POLLIN };
		}
		if (r->ifd >= 0) {
			i_ino = np;
			p[np++] = (struct pollfd){ .fd = r->ifd, .events = POLLIN };
		}
		if (stop_fd >= 0) {
			i_stop = np;
			p[np++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		}
		if (poll(p, (nfds_t)np, wait) < 0) {
			if (errno == EINTR)
				continue; /* a stop signal also makes stop_fd readable */
			return -errno;
		}
		if (i_stop >= 0 && p[i_stop].revents)
			return -EINTR;
		if (i_mon >= 0 && p[i_mon].revents && udev_event(r, got, sizeof(got)))
			snprintf(r->pending, sizeof(r->pending), "%s", got);
		if (i_ino >= 0 && p[i_ino].revents && inotify_event(r, got, sizeof(got)))
			snprintf(r->pending, sizeof(r->pending), "%s", got);
	}
}
