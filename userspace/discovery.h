/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding the serial ports an Espressif board can be on, through libudev:
 * ttyUSBn on a usb-serial port and ttyACMn of cdc_acm, each classified by
 * the link table (links.h).
 */
#ifndef ESPWIPE_DISCOVERY_H
#define ESPWIPE_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>

#include "links.h"

struct udev_device;

struct candidate {
	char devnode[64];    /* /dev/ttyUSB0 */
	char driver[32];     /* usb-serial driver (ch341-uart, cp210x, ftdi_sio, ...), else the
			      * USB interface's (cdc_acm) */
	char vid_pid[10];    /* 1a86:7523 */
	char product[64];
	char serial[64];
	char id_path[128];   /* ID_PATH: the physical socket */
	bool supported;      /* a row of the link table recognises it */
	bool attr_present;   /* the module's enter_bootloader exists */
	bool attr_writable;
	/* added with the link table */
	const struct link_row *row; /* the link, or NULL when not supported */
	char link[24];       /* row->link ("usb-serial-jtag"), "" when not supported */
	char why[96];        /* when not supported: why, in a few words */
	char usb_path[32];   /* the USB device's port path (its sysname, e.g. 1-2.3) */
	int interface;       /* bInterfaceNumber of the tty's USB interface, -1 unknown */
	char module_link[24]; /* what espwipe.ko's `link` attribute says, "" if absent */
};

#define DISCOVERY_MAX 64

/* Fill out[] (up to max); returns the count or -errno. */
int discover_ports(struct candidate *out, size_t max);

/*
 * One tty (a udev device of the tty subsystem): 0 and c filled in if it is a
 * USB serial port (on a usb-serial port, or of cdc_acm), whether a link row
 * supports it or not; -1 otherwise (c is then zeroed).
 */
int discovery_tty_candidate(struct udev_device *tty, struct candidate *c);

/*
 * True for the usb-serial drivers a link row names (ch341-uart, cp210x,
 * ftdi_sio, pl2303).  Kept for callers that only know a driver name; it
 * cannot see cdc_acm links or FT2232H channel A: prefer
 * discovery_tty_candidate().
 */
bool discovery_driver_supported(const char *driver);

/*
 * Resolve what the user passed to -p: a device path, an ID_PATH or a USB
 * serial number.  Returns 0 and the device node, -ENOENT if nothing matches,
 * -EEXIST if a serial number matches more than one port.
 */
int discovery_resolve(const char *spec, char *devnode, size_t len);

#endif /* ESPWIPE_DISCOVERY_H */
