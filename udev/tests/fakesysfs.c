// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fakesysfs.so: LD_PRELOAD shim for the udev tests' fake device trees.
 *
 * systemd's sd-device (in udevadm and in libudev, so in espwipe too) refuses
 * a syspath whose file system is not sysfs.  The tests build the sysfs of a
 * CH340, an FT2232H, a USB-Serial/JTAG board, a modem... in a tmpfs mounted
 * on /sys inside a private mount namespace (udev/tests/fakeworld.py); this
 * shim reports that tmpfs as sysfs, and nothing else changes.  Test-only:
 * never installed.
 */
#include <dlfcn.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/vfs.h>

typedef int (*fstatfs_fn)(int, struct statfs *);
typedef int (*statfs_fn)(const char *, struct statfs *);

static int as_sysfs(int r, struct statfs *b)
{
	if (r == 0 && b->f_type == TMPFS_MAGIC)
		b->f_type = SYSFS_MAGIC;
	return r;
}

int fstatfs(int fd, struct statfs *b)
{
	static fstatfs_fn real;

	if (!real)
		real = (fstatfs_fn)dlsym(RTLD_NEXT, "fstatfs");
	return as_sysfs(real(fd, b), b);
}

int statfs(const char *path, struct statfs *b)
{
	static statfs_fn real;

	if (!real)
		real = (statfs_fn)dlsym(RTLD_NEXT, "statfs");
	return as_sysfs(real(path, b), b);
}

typedef int (*fstatfs64_fn)(int, struct statfs64 *);
typedef int (*statfs64_fn)(const char *, struct statfs64 *);

static int as_sysfs64(int r, struct statfs64 *b)
{
	if (r == 0 && b->f_type == TMPFS_MAGIC)
		b->f_type = SYSFS_MAGIC;
	return r;
}

int fstatfs64(int fd, struct statfs64 *b)
{
	static fstatfs64_fn real;

	if (!real)
		real = (fstatfs64_fn)dlsym(RTLD_NEXT, "fstatfs64");
	return as_sysfs64(real(fd, b), b);
}

int statfs64(const char *path, struct statfs64 *b)
{
	static statfs64_fn real;

	if (!real)
		real = (statfs64_fn)dlsym(RTLD_NEXT, "statfs64");
	return as_sysfs64(real(path, b), b);
}
