/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Boards coming and going, for `erase --each` (and unplug marks in every
 * multi-board run): a libudev monitor of the tty subsystem, filtered by the
 * same candidate rule as discovery (discovery_tty_candidate: a USB serial
 * tty, supported when a row of the link table recognises it).  Without
 * udevd (a bare initramfs) it listens to the kernel's uevents instead.
 *
 * Test seam (documented as test-only): with ESPWIPE_TEST_PLUG_DIR set, the
 * directory it names replaces udev.  Each symbolic link in it is a plugged
 * board, like /dev/serial/by-path: its name is the socket and its target the
 * device node (a pty in the tests); creating one is a plug-in, removing it an
 * unplug.  Everything after discovery (threads, locking, the table) is the
 * same code as with udev.
 */
#ifndef ESPWIPE_HOTPLUG_H
#define ESPWIPE_HOTPLUG_H

#include <stdbool.h>
#include <stddef.h>

#include "devprops.h"

#define HOTPLUG_DIR_ENV "ESPWIPE_TEST_PLUG_DIR"

struct hp_port {
	char devnode[256];
	char socket[128];   /* ID_PATH, or the test link's name; "" if unknown */
	char key[128];      /* this plug-in: USEC_INITIALIZED, else the node's identity; see devprops */
	struct dev_props props;
	bool supported;     /* a supported link (always, for the test directory) */
};

enum hp_kind {
	HP_ADD,
	HP_REMOVE,
};

struct hp_event {
	enum hp_kind kind;
	struct hp_port port;  /* for HP_REMOVE: devnode and socket only */
};

struct hotplug;

/* Start listening.  0, or -errno with err set. */
int hotplug_open(struct hotplug **out, char *err, size_t errlen);
void hotplug_close(struct hotplug *h);
/* Poll this for POLLIN. */
int hotplug_fd(const struct hotplug *h);
/* Where events come from, for messages: "udev", "kernel uevents", "test directory DIR". */
const char *hotplug_source(const struct hotplug *h);
/* The next event: 1, 0 when none is pending, -errno. */
int hotplug_next(struct hotplug *h, struct hp_event *ev);

/*
 * The candidate ports there are now (supported or not), from the same source:
 * the test directory when ESPWIPE_TEST_PLUG_DIR is set, else udev.  The count,
 * or -errno.
 */
int hotplug_present(struct hp_port *out, size_t max);

#endif /* ESPWIPE_HOTPLUG_H */
