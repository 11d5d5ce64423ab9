// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Candidate ports are ttys on a USB serial interface: a ttyUSBn whose parent
 * is a usb-serial port, or a ttyACMn that cdc_acm made under its control
 * interface (kernel-breadth.md §2.1).  The link table decides support from
 * the driver names, the USB ids and the interface number (links.h): a modem
 * or any other CDC-ACM device is listed, never supported.
 */
#include "discovery.h"

#include <errno.h>
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool discovery_driver_supported(const char *driver)
{
	for (size_t i = 0; driver && i < link_table_len; i++)
		if (link_table[i].match == LINK_BY_DRIVER && strcmp(driver, link_table[i].serial_driver) == 0)
			return true;
	return false;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* The module's `link` attribute, read once (it is a short word). */
static void read_module_link(const char *attr, char *buf, size_t len)
{
	FILE *f = fopen(attr, "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int discovery_tty_candidate(struct udev_device *tty, struct candidate *c)
{
	struct udev_device *port = udev_device_get_parent_with_subsystem_devtype(tty, "usb-serial", NULL);
	struct udev_device *intf = udev_device_get_parent_with_subsystem_devtype(tty, "usb", "usb_interface");
	struct udev_device *usb = udev_device_get_parent_with_subsystem_devtype(tty, "usb", "usb_device");
	/* what /sys/class/tty/<tty>/device is: the usb-serial port, or cdc_acm's control interface */
	struct udev_device *parent = udev_device_get_parent(tty);
	const char *intf_driver = intf ? udev_device_get_driver(intf) : NULL;
	const char *ifnum = intf ? udev_device_get_sysattr_value(intf, "bInterfaceNumber") : NULL;
	struct link_facts f = { .interface = -1 };
	const char *why = NULL;
	char attr[1024];

	memset(c, 0, sizeof(*c));
	c->interface = -1;
	if (!udev_device_get_devnode(tty) || !parent)
		return -1;
	if (!port && !(intf_driver && strcmp(intf_driver, "cdc_acm") == 0))
		return -1;
	copy_str(c->devnode, sizeof(c->devnode), udev_device_get_devnode(tty));
	copy_str(c->driver, sizeof(c->driver), port ? udev_device_get_driver(port) : intf_driver);
	copy_str(c->id_path, sizeof(c->id_path), udev_device_get_property_value(tty, "ID_PATH"));
	if (usb) {
		const char *vid = udev_device_get_sysattr_value(usb, "idVendor");
		const char *pid = udev_device_get_sysattr_value(usb, "idProduct");

		snprintf(c->vid_pid, sizeof(c->vid_pid), "%.4s:%.4s", vid ?: "????", pid ?: "????");
		copy_str(c->product, sizeof(c->product), udev_device_get_sysattr_value(usb, "product"));
		copy_str(c->serial, sizeof(c->serial), udev_device_get_sysattr_value(usb, "serial"));
		copy_str(c->usb_path, sizeof(c->usb_path), udev_device_get_sysname(usb));
		f.have_id = link_parse_usb_id(vid, pid, &f.id) == 0;
	}
	if (ifnum && *ifnum) {
		char *end;
		long v = strtol(ifnum, &end, 16); /* sysfs shows it as two hex digits */

		if (!*end && v >= 0 && v < 256)
			c->interface = (int)v;
	}
	f.serial_driver = port ? udev_device_get_driver(port) : NULL;
	f.usb_driver = intf_driver;
	f.interface = c->interface;
	c->row = link_classify(&f, &why);
	c->supported = c->row != NULL;
	copy_str(c->link, sizeof(c->link), c->row ? c->row->link : NULL);
	copy_str(c->why, sizeof(c->why), c->row ? NULL : why);
	snprintf(attr, sizeof(attr), "%s/enter_bootloader", udev_device_get_syspath(parent));
	c->attr_present = access(attr, F_OK) == 0;
	c->attr_writable = access(attr, W_OK) == 0;
	snprintf(attr, sizeof(attr), "%s/link", udev_device_get_syspath(parent));
	read_module_link(attr, c->module_link, sizeof(c->module_link));
	return 0;
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

		if (!tty)
			continue;
		if (n < max && discovery_tty_candidate(tty, &out[n]) == 0)
			n++;
		udev_device_unref(tty);
	}
	udev_enumerate_unref(en);
	udev_unref(udev);
	return (int)n;
}

int discovery_resolve(const char *spec, char *devnode, size_t len)
{
	struct candidate *c = calloc(DISCOVERY_MAX, sizeof(*c));
	int n, found = -1;

	if (strchr(spec, '/') && access(spec, F_OK) == 0) {
		free(c);
		copy_str(devnode, len, spec);
		return 0;
	}
	if (!c)
		return -ENOMEM;
	n = discover_ports(c, DISCOVERY_MAX);
	for (int i = 0; i < n; i++) {
		if (strcmp(c[i].id_path, spec) == 0 || (c[i].serial[0] && strcmp(c[i].serial, spec) == 0)) {
			if (found >= 0) {
				free(c);
				return -EEXIST;
			}
			found = i;
		}
	}
	if (found < 0) {
		free(c);
		/* Not a known port: let open() report what is wrong with the path. */
		if (strchr(spec, '/')) {
			copy_str(devnode, len, spec);
			return 0;
		}
		return -ENOENT;
	}
	copy_str(devnode, len, c[found].devnode);
	free(c);
	return 0;
}
