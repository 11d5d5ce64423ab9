/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The datagram libespemu-lines.so sends to espemu for every modem-line
 * write, and espemu echoes back once the change is applied.
 */
#ifndef ESPEMU_LINES_PROTO_H
#define ESPEMU_LINES_PROTO_H

#include <stdint.h>

#define ESPEMU_LINES_MAGIC 0x4C505345u /* "ESPL" */
#define ESPEMU_LINES_ENV "ESPEMU_LINES_SOCKET"

struct espemu_lines_msg {
	uint32_t magic;
	uint32_t seq;
	uint32_t dtr; /* 1 = asserted */
	uint32_t rts;
};

#endif
