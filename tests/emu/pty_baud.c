// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host's baud rate as set on the pty slave, read through the master.
 * TCGETS2 gives the rate in plain numbers, including the BOTHER rates
 * (74880, ...) that pyserial sets; kept apart because <asm/termbits.h>
 * cannot share a file with <termios.h>.
 */
#include <asm/termbits.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "pty_baud.h"

int pty_get_baud(int fd, uint32_t *baud)
{
	struct termios2 t;

	if (ioctl(fd, TCGETS2, &t) < 0)
		return -1;
	*baud = t.c_ospeed;
	return 0;
}
