// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Candidate ports are tty devices whose parent is a usb-serial port.  The
 * driver bound to that port decides support: espwipe.ko and the reset
 * circuit assumptions only hold for ch341 and cp210x bridges.
 */
#include "discovery.h"

#include <errno.h>
#include <libudev.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool discovery_driver_supported(const char *driver)
{
	return driver && (strcmp(driver, "ch341-uart") == 0 || strcmp(driver, "cp210x") == 0);
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void fill_candidate(struct udev_device *tty, struct udev_device *port, struct candidate *c)
{
	struct udev_device *usb = udev_device_get_parent_with_subsystem_devtype(tty, "usb",
										 "usb_device");
	const char *syspath = udev_device_get_syspath(port);
	char attr[1024];

	memset(c, 0, sizeof(*c));
	copy_str(c->devnode, sizeof(c->devnode), udev_device_get_devnode(tty));
	copy_str(c->driver, sizeof(c->driver), udev_device_get_driver(port));
	copy_str(c->id_path, sizeof(c->id_path), udev_device_get_property_value(tty, "ID_PATH"));
	if (usb) {
		snprintf(c->vid_pid, sizeof(c->vid_pid), "%.4s:%.4s",
			 udev_device_get_sysattr_value(usb, "idVendor") ?: "????",
			 udev_device_get_sysattr_value(usb, "idProduct") ?: "????");
		copy_str(c->product, sizeof(c->product), udev_device_get_sysattr_value(usb, "product"));
		copy_str(c->serial, sizeof(c->serial), udev_device_get_sysattr_value(usb, "serial"));
	}
	c->supported = discovery_driver_supported(c->driver);
	snprintf(attr, sizeof(attr), "%s/enter_bootloader", syspath);
	c->attr_present = access(attr, F_OK) == 0;
	c->attr_writable = access(attr, W_OK) == 0;
}

int discover_ports(struct candidate *out, size_t max)
{
	struct udev *udev = udev_new();
	struct udev_enumerate *en;
	struct udev_list_entry *e;
	size_t n = 0;

	if (!udev)
		return -ENOMEM;
	en = udev_enumerate_new(udev);
	if (!en) {
		udev_unref(udev);
		return -ENOMEM;
	}
	udev_enumerate_add_match_subsystem(en, "tty");
	if (udev_enumerate_scan_devices(en) < 0) {
		udev_enumerate_unref(en);
		udev_unref(udev);
		return -EIO;
	}
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		struct udev_device *tty = udev_device_new_from_syspath(udev, udev_list_entry_get_name(e));
		struct udev_device *port;

		if (!tty)
			continue;
		port = udev_device_get_parent_with_subsystem_devtype(tty, "usb-serial", NULL);
		if (port && udev_device_get_devnode(tty) && n < max)
			fill_candidate(tty, port, &out[n++]);
		udev_device_unref(tty);
	}
	udev_enumerate_unref(en);
	udev_unref(udev);
	return (int)n;
}

int discovery_resolve(const char *spec, char *devnode, size_t len)
{
	struct candidate c[DISCOVERY_MAX];
	int n, found = -1;

	if (strchr(spec, '/') && access(spec, F_OK) == 0) {
		copy_str(devnode, len, spec);
		return 0;
	}
	n = discover_ports(c, DISCOVERY_MAX);
	for (int i = 0; i < n; i++) {
		if (strcmp(c[i].id_path, spec) == 0 || (c[i].serial[0] && strcmp(c[i].serial, spec) == 0)) {
			if (found >= 0)
				return -EEXIST;
			found = i;
		}
	}
	if (found < 0) {
		/* Not a known port: let open() report what is wrong with the path. */
		if (strchr(spec, '/')) {
			copy_str(devnode, len, spec);
			return 0;
		}
		return -ENOENT;
	}
	copy_str(devnode, len, c[found].devnode);
	return 0;
}
