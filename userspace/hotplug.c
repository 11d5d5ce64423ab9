// SPDX-License-Identifier: GPL-2.0-or-later
/* Boards plugged in and out: a libudev monitor, kernel uevents, or the test directory. */
#include "hotplug.h"

#include <dirent.h>
#include <errno.h>
#include <libudev.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "discovery.h"

#define QUEUE_MAX 128  /* a 2 KiB inotify read holds fewer events */
#define LINKS_MAX 1024

struct seam_link {
	char name[NAME_MAX + 1];
	char devnode[256];
};

struct hotplug {
	bool dir_mode;
	/* udev */
	struct udev *udev;
	struct udev_monitor *mon;
	bool kernel_source;
	/* test directory */
	char dir[PATH_MAX];
	int ifd;
	struct seam_link *links;  /* what was announced, so a removal can name its node */
	size_t nlinks;
	struct hp_event queue[QUEUE_MAX];
	size_t qhead, qlen;
	char source[PATH_MAX + 32];
};

/* Copy, cut to len - 1 bytes. */
static void copy(char *dst, size_t len, const char *src)
{
	size_t n = src ? strnlen(src, len - 1) : 0;

	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *plug_dir(void)
{
	const char *d = getenv(HOTPLUG_DIR_ENV);

	return d && *d ? d : NULL;
}

/* One link of the test directory as a port: 0, or -1 if it is not a usable link. */
static int seam_port(const char *dir, const char *name, struct hp_port *p)
{
	char path[PATH_MAX + NAME_MAX + 2], real[PATH_MAX];
	struct stat st;

	memset(p, 0, sizeof(*p));
	if (name[0] == '.')
		return -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -1;
	if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode) || !realpath(path, real))
		return -1;
	copy(p->devnode, sizeof(p->devnode), real);
	copy(p->socket, sizeof(p->socket), name);
	if (devprops_lookup(p->devnode, &p->props) < 0)
		return -1;
	/* the link stands for udev here: its name is the socket the records name */
	copy(p->props.id_path, sizeof(p->props.id_path), name);
	/* a new link (inode, time) is a new plug-in */
	snprintf(p->key, sizeof(p->key), "link-%.60s-%llu-%lld.%09ld", name, (unsigned long long)st.st_ino,
		 (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	p->supported = true;
	return 0;
}

/* A udev-known candidate as a port (props looked up now, while the device exists). */
static void udev_port(const char *devnode, const char *id_path, bool supported, struct hp_port *p)
{
	memset(p, 0, sizeof(*p));
	copy(p->devnode, sizeof(p->devnode), devnode);
	if (devprops_lookup(devnode, &p->props) < 0)
		copy(p->props.name, sizeof(p->props.name), devnode);
	if (!p->props.id_path[0] && id_path)
		copy(p->props.id_path, sizeof(p->props.id_path), id_path);
	copy(p->socket, sizeof(p->socket), p->props.id_path);
	copy(p->key, sizeof(p->key), p->props.plug_key);
	p->supported = supported;
}

int hotplug_present(struct hp_port *out, size_t max)
{
	const char *dir = plug_dir();
	size_t n = 0;

	if (dir) {
		DIR *d = opendir(dir);
		struct dirent *de;

		if (!d)
			return -errno;
		while ((de = readdir(d)) && n < max)
			if (seam_port(dir, de->d_name, &out[n]) == 0)
				n++;
		closedir(d);
		return (int)n;
	}

	struct candidate *c = calloc(DISCOVERY_MAX, sizeof(*c));
	int k;

	if (!c)
		return -ENOMEM;
	k = discover_ports(c, DISCOVERY_MAX);
	for (int i = 0; i < k && n < max; i++)
		udev_port(c[i].devnode, c[i].id_path, c[i].supported, &out[n++]);
	free(c);
	return k < 0 ? k : (int)n;
}

int hotplug_open(struct hotplug **out, char *err, size_t errlen)
{
	struct hotplug *h = calloc(1, sizeof(*h));
	const char *dir = plug_dir();
	int r;

	*out = NULL;
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	h->ifd = -1;
	if (dir) {
		h->dir_mode = true;
		copy(h->dir, sizeof(h->dir), dir);
		snprintf(h->source, sizeof(h->source), "test directory %s", dir);
		h->links = calloc(LINKS_MAX, sizeof(*h->links));
		h->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (!h->links || h->ifd < 0 ||
		    inotify_add_watch(h->ifd, dir, IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
							IN_ONLYDIR) < 0) {
			r = h->links ? -errno : -ENOMEM;
			snprintf(err, errlen, "cannot watch %s: %s", dir, strerror(-r));
			hotplug_close(h);
			return r;
		}
		/* links there already are known, so their removal is an unplug too */
		struct hp_port *p = calloc(LINKS_MAX, sizeof(*p));
		int n = p ? hotplug_present(p, LINKS_MAX) : 0;

		for (int i = 0; i < n; i++) {
			copy(h->links[h->nlinks].name, sizeof(h->links[0].name), p[i].socket);
			copy(h->links[h->nlinks].devnode, sizeof(h->links[0].devnode), p[i].devnode);
			h->nlinks++;
		}
		free(p);
		*out = h;
		return 0;
	}
	/*
	 * udevd announces a device once its rules have run (permissions, ID_PATH);
	 * a system without udevd (an initramfs) still has the kernel's events.
	 */
	h->kernel_source = access("/run/udev/control", F_OK) != 0;
	snprintf(h->source, sizeof(h->source), "%s", h->kernel_source ? "kernel uevents" : "udev");
	h->udev = udev_new();
	if (h->udev)
		h->mon = udev_monitor_new_from_netlink(h->udev, h->kernel_source ? "kernel" : "udev");
	if (!h->mon || udev_monitor_filter_add_match_subsystem_devtype(h->mon, "tty", NULL) < 0 ||
	    udev_monitor_enable_receiving(h->mon) < 0) {
		r = errno ? -errno : -EIO;
		snprintf(err, errlen, "cannot listen to %s events: %s", h->source, strerror(-r));
		hotplug_close(h);
		return r;
	}
	*out = h;
	return 0;
}

void hotplug_close(struct hotplug *h)
{
	if (!h)
		return;
	if (h->ifd >= 0)
		close(h->ifd);
	if (h->mon)
		udev_monitor_unref(h->mon);
	if (h->udev)
		udev_unref(h->udev);
	free(h->links);
	free(h);
}

int hotplug_fd(const struct hotplug *h)
{
	return h->dir_mode ? h->ifd : udev_monitor_get_fd(h->mon);
}

const char *hotplug_source(const struct hotplug *h)
{
	return h->source;
}

static void push(struct hotplug *h, const struct hp_event *ev)
{
	if (h->qlen == QUEUE_MAX)
		return;
	h->queue[(h->qhead + h->qlen) % QUEUE_MAX] = *ev;
	h->qlen++;
}

static void seam_event(struct hotplug *h, const struct inotify_event *ie)
{
	struct hp_event ev;

	if (!ie->len || ie->name[0] == '.')
		return;
	memset(&ev, 0, sizeof(ev));
	if (ie->mask & (IN_CREATE | IN_MOVED_TO)) {
		if (seam_port(h->dir, ie->name, &ev.port) < 0)
			return;
		ev.kind = HP_ADD;
		for (size_t i = 0; i < h->nlinks; i++) {
			if (strcmp(h->links[i].name, ie->name) == 0) {
				copy(h->links[i].devnode, sizeof(h->links[i].devnode), ev.port.devnode);
				push(h, &ev);
				return;
			}
		}
		if (h->nlinks < LINKS_MAX) {
			copy(h->links[h->nlinks].name, sizeof(h->links[0].name), ie->name);
			copy(h->links[h->nlinks].devnode, sizeof(h->links[0].devnode), ev.port.devnode);
			h->nlinks++;
		}
		push(h, &ev);
		return;
	}
	if (ie->mask & (IN_DELETE | IN_MOVED_FROM)) {
		for (size_t i = 0; i < h->nlinks; i++) {
			if (strcmp(h->links[i].name, ie->name) != 0)
				continue;
			ev.kind = HP_REMOVE;
			copy(ev.port.devnode, sizeof(ev.port.devnode), h->links[i].devnode);
			copy(ev.port.socket, sizeof(ev.port.socket), ie->name);
			h->links[i] = h->links[--h->nlinks];
			push(h, &ev);
			return;
		}
	}
}

static int seam_read(struct hotplug *h)
{
	char buf[2048] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(h->ifd, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	for (char *p = buf; p < buf + n;) {
		const struct inotify_event *ie = (const struct inotify_event *)p;

		seam_event(h, ie);
		p += sizeof(*ie) + ie->len;
	}
	return 0;
}

static int udev_read(struct hotplug *h)
{
	struct udev_device *d = udev_monitor_receive_device(h->mon);
	struct hp_event ev;
	const char *action, *node;

	if (!d)
		return 0;
	memset(&ev, 0, sizeof(ev));
	action = udev_device_get_action(d);
	node = udev_device_get_devnode(d);
	if (action && node && strcmp(action, "add") == 0) {
		struct candidate c;

		/* the rule `espwipe list` and --all use: a USB serial tty, supported per the link table */
		if (discovery_tty_candidate(d, &c) == 0) {
			ev.kind = HP_ADD;
			udev_port(node, c.id_path, c.supported, &ev.port);
			push(h, &ev);
		}
	} else if (action && node && strcmp(action, "remove") == 0) {
		ev.kind = HP_REMOVE;
		copy(ev.port.devnode, sizeof(ev.port.devnode), node);
		copy(ev.port.socket, sizeof(ev.port.socket), udev_device_get_property_value(d, "ID_PATH"));
		push(h, &ev);
	}
	udev_device_unref(d);
	return 1;
}

int hotplug_next(struct hotplug *h, struct hp_event *ev)
{
	while (h->qlen == 0) {
		int r = h->dir_mode ? seam_read(h) : udev_read(h);

		if (r < 0)
			return r;
		if (h->dir_mode || r == 0) {
			if (h->qlen == 0)
				return 0;
			break;
		}
	}
	*ev = h->queue[h->qhead];
	h->qhead = (h->qhead + 1) % QUEUE_MAX;
	h->qlen--;
	return 1;
}
