// SPDX-License-Identifier: GPL-2.0-or-later
/* Udev properties of one device node, through libudev. */
#include "devprops.h"

#include <errno.h>
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "discovery.h"

static void put(char *dst, size_t len, const char *a, const char *b)
{
	const char *v = a && *a ? a : b;

	snprintf(dst, len, "%s", v ? v : "");
}

static void name_from_path(const char *devnode, char *dst, size_t len)
{
	const char *p = strncmp(devnode, "/dev/", 5) == 0 ? devnode + 5 : devnode;
	size_t i;

	while (*p == '/')
		p++;
	for (i = 0; p[i] && i + 1 < len; i++)
		dst[i] = p[i] == '/' ? '-' : p[i];
	dst[i] = '\0';
}

int devprops_lookup(const char *devnode, struct dev_props *p)
{
	struct stat st;
	struct udev *udev;
	struct udev_device *dev;

	memset(p, 0, sizeof(*p));
	if (stat(devnode, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENOTTY;
	name_from_path(devnode, p->name, sizeof(p->name));
	snprintf(p->plug_key, sizeof(p->plug_key), "dev%u.%u-%lld.%09ld", major(st.st_rdev),
		 minor(st.st_rdev), (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	udev = udev_new();
	if (!udev)
		return 0;
	dev = udev_device_new_from_devnum(udev, 'c', st.st_rdev);
	if (dev) {
		struct udev_device *usb = udev_device_get_parent_with_subsystem_devtype(dev, "usb",
											 "usb_device");
		struct udev_device *port = udev_device_get_parent_with_subsystem_devtype(dev, "usb-serial",
											  NULL);
		const char *usec = udev_device_get_property_value(dev, "USEC_INITIALIZED");

		p->from_udev = true;
		put(p->name, sizeof(p->name), udev_device_get_sysname(dev), p->name);
		put(p->id_path, sizeof(p->id_path), udev_device_get_property_value(dev, "ID_PATH"), NULL);
		put(p->serial, sizeof(p->serial), udev_device_get_property_value(dev, "ID_SERIAL_SHORT"),
		    usb ? udev_device_get_sysattr_value(usb, "serial") : NULL);
		put(p->vid, sizeof(p->vid), udev_device_get_property_value(dev, "ID_VENDOR_ID"),
		    usb ? udev_device_get_sysattr_value(usb, "idVendor") : NULL);
		put(p->pid, sizeof(p->pid), udev_device_get_property_value(dev, "ID_MODEL_ID"),
		    usb ? udev_device_get_sysattr_value(usb, "idProduct") : NULL);
		put(p->driver, sizeof(p->driver), port ? udev_device_get_driver(port) : NULL, NULL);
		/* the link, and the driver of a cdc_acm tty, through the same rule as discovery */
		struct candidate *c = calloc(1, sizeof(*c));

		if (c && discovery_tty_candidate(dev, c) == 0) {
			p->link = c->row;
			put(p->driver, sizeof(p->driver), c->driver, NULL);
			put(p->usb_path, sizeof(p->usb_path), c->usb_path, NULL);
		}
		free(c);
		if (usec && *usec)
			snprintf(p->plug_key, sizeof(p->plug_key), "usec%s", usec);
		udev_device_unref(dev);
	}
	udev_unref(udev);
	return 0;
}
