/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding a port again after a reset made its USB device leave the bus and
 * come back (the ESP32 family's USB-Serial/JTAG: links.h), possibly as
 * another ttyACMn.  Armed before the reset, so no event can be missed, and
 * event-driven: it sleeps in poll() on
 *
 *  - a libudev monitor of the tty subsystem (udevd's events, or the kernel's
 *    when no udevd runs): an "add" of a tty whose USB serial number, USB port
 *    path or ID_PATH is the board's;
 *  - inotify on the directory of the path the port was opened by, when that
 *    path is a symbolic link (/dev/serial/by-id/..., by-path/..., or espemu's
 *    --link in the tests) or a node udev knows nothing about (a pty): the
 *    name being created again.
 *
 * and the stop pipe (SIGTERM/SIGINT).  Nothing here reopens the port; the
 * caller does (port.c).
 */
#ifndef ESPWIPE_REFIND_H
#define ESPWIPE_REFIND_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* How long a port may stay away after a reset (esp-serial-flasher's bound, family sheet §8.1). */
#define REFIND_TIMEOUT_MS 3000

/* Who the board is, taken before the reset. */
struct refind_id {
	char path[PATH_MAX];  /* the path the port was opened by */
	char id_path[128];    /* udev ID_PATH, "" if unknown */
	char serial[64];      /* USB serial number (the MAC on USB-Serial/JTAG), "" if none */
	char usb_path[32];    /* USB port path (the USB device's sysname), "" if unknown */
};

struct refind;

/*
 * Start watching.  0, or -errno (then *out is NULL).  -ENOENT: there is
 * nothing to watch for this port (no USB identity and not a link or an
 * unknown node), so it could never be found again.
 */
int refind_arm(struct refind **out, const struct refind_id *id);
/* Drop what the sources reported so far (before another reset). */
void refind_drain(struct refind *r);
/*
 * Wait at most timeout_ms for the port to be back.  0 and its path in path;
 * -ETIMEDOUT; -EINTR when stop_fd (may be -1) became readable; -errno.
 */
int refind_wait(struct refind *r, int timeout_ms, int stop_fd, char *path, size_t len);
void refind_free(struct refind *r);

/* Does a tty with these properties (any may be NULL or "") belong to the board? */
bool refind_same_board(const struct refind_id *id, const char *id_path, const char *serial,
		       const char *usb_path);

#endif /* ESPWIPE_REFIND_H */
