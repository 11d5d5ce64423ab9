/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ESPEMU_PTY_BAUD_H
#define ESPEMU_PTY_BAUD_H

#include <stdint.h>

/* Output baud rate of the tty behind fd (a pty master reports its slave's). */
int pty_get_baud(int fd, uint32_t *baud);

#endif
