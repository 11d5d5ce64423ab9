/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding the serial ports an ESP8266 board can be on, through libudev. */
#ifndef ESPWIPE_DISCOVERY_H
#define ESPWIPE_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>

struct candidate {
	char devnode[64];    /* /dev/ttyUSB0 */
	char driver[32];     /* ch341-uart, cp210x, ftdi_sio, ... */
	char vid_pid[10];    /* 1a86:7523 */
	char product[64];
	char serial[64];
	char id_path[128];   /* ID_PATH: the physical socket */
	bool supported;      /* on ch341 or cp210x */
	bool attr_present;   /* the module's enter_bootloader exists */
	bool attr_writable;
};

#define DISCOVERY_MAX 64

/* Fill out[] (up to max); returns the count or -errno. */
int discover_ports(struct candidate *out, size_t max);

/* True for the drivers espwipe supports. */
bool discovery_driver_supported(const char *driver);

/*
 * Resolve what the user passed to -p: a device path, an ID_PATH or a USB
 * serial number.  Returns 0 and the device node, -ENOENT if nothing matches,
 * -EEXIST if a serial number matches more than one port.
 */
int discovery_resolve(const char *spec, char *devnode, size_t len);

#endif /* ESPWIPE_DISCOVERY_H */
