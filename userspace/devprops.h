/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What udev knows about one serial device node: the properties the auto-wipe
 * allow-list and the journal records use, and a key that names this plug-in
 * of the device (it changes when the board is unplugged and plugged again).
 */
#ifndef ESPWIPE_DEVPROPS_H
#define ESPWIPE_DEVPROPS_H

#include <stdbool.h>

struct link_row;

struct dev_props {
	char name[64];      /* ttyUSB0 (udev sysname; for a node udev does not know, its /dev path with '-') */
	char id_path[128];  /* ID_PATH */
	char serial[64];    /* ID_SERIAL_SHORT, else the USB device's serial attribute */
	char vid[8];        /* ID_VENDOR_ID, else idVendor */
	char pid[8];        /* ID_MODEL_ID, else idProduct */
	char driver[32];    /* driver of the usb-serial port, else of the USB interface (cdc_acm) */
	char plug_key[64];  /* USEC_INITIALIZED, else "dev<major>.<minor>-<ctime>" */
	bool from_udev;     /* udev has a record of the node */
	/* added with the link table (links.h) */
	const struct link_row *link; /* the link udev's record shows, NULL if none is supported */
	char usb_path[32];  /* the USB device's port path (sysname, e.g. 1-2.3), "" if none */
};

/*
 * Look devnode up.  0 (also when udev has no record: then only name and
 * plug_key are set), or -errno when the node cannot be stat()ed or is not a
 * character device (-ENOTTY).
 */
int devprops_lookup(const char *devnode, struct dev_props *p);

#endif /* ESPWIPE_DEVPROPS_H */
