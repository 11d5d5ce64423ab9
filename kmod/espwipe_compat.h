/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interfaces that differ between the kernels espwipe.ko is written for
 * (5.10 to 6.18, see "Kernel range" in kmod/README.md).  The form is picked
 * by what the kernel tree declares, never by LINUX_VERSION_CODE, because
 * distributions backport interface changes (Debian's 6.1 already has 6.8's
 * struct usb_driver):
 *  - a Kbuild header probe (kmod/Kbuild) defines ESPWIPE_HAVE_<NAME>;
 *  - typeof() takes a type from the structure that has it, where the two
 *    forms differ only in const (see espwipe_main.c: struct espwipe.bus).
 */
#ifndef ESPWIPE_COMPAT_H
#define ESPWIPE_COMPAT_H

#include <linux/tty.h>

/*
 * The exclusive in-kernel open: tty_kopen() until 5.11, renamed
 * tty_kopen_exclusive() in 5.12 when tty_kopen_shared() was added
 * (commit 4ea3cd65e0d4); same semantics.
 */
static inline struct tty_struct *espwipe_tty_kopen_exclusive(dev_t device)
{
#ifdef ESPWIPE_HAVE_TTY_KOPEN_EXCLUSIVE
	return tty_kopen_exclusive(device);
#else
	return tty_kopen(device);
#endif
}

#endif /* ESPWIPE_COMPAT_H */
