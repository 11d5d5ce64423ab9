/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vendor control requests of the two USB-serial bridges, as seen from the
 * device side: what to answer and what each request means for the modem lines
 * and the baud rate.  Pure functions of the request and the bridge state, so
 * the decoding can be unit tested on the host without a gadget.
 */
#ifndef BRIDGE_CHIP_H
#define BRIDGE_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bridge_chip {
	BRIDGE_CH340,
	BRIDGE_CP2102,
};

struct bridge_setup {
	uint8_t request_type; /* bmRequestType */
	uint8_t request;      /* bRequest */
	uint16_t value, index, length;
};

/* Device-side state the requests act on. */
struct bridge_state {
	enum bridge_chip chip;
	bool dtr, rts;        /* as the host set them: true = asserted */
	uint32_t baud;
	bool uart_enabled;    /* cp2102 IFC_ENABLE */
	bool crtscts;         /* cp2102: RTS handed to flow control */
	uint8_t flow[16];     /* cp2102 SET_FLOW/GET_FLOW block */
};

/* What one request did. */
struct bridge_effect {
	bool stall;           /* refuse the request */
	bool lines_changed;   /* a modem-control request (even if the state is unchanged) */
	bool baud_changed;
	size_t reply_len;     /* IN: bytes to send (always setup.length unless stalled) */
};

void bridge_state_init(struct bridge_state *st, enum bridge_chip chip);
const char *bridge_chip_name(enum bridge_chip chip);
int bridge_chip_parse(const char *name, enum bridge_chip *chip);
uint16_t bridge_chip_vid(enum bridge_chip chip);
uint16_t bridge_chip_pid(enum bridge_chip chip);

/*
 * Handle one vendor request.  For OUT requests `data` holds the setup.length
 * bytes the host sent; for IN requests `reply` (at least setup.length bytes)
 * receives the answer.
 */
void bridge_handle(struct bridge_state *st, const struct bridge_setup *s,
		   const uint8_t *data, uint8_t *reply, struct bridge_effect *fx);

/* CH341 prescaler/divisor register pair (wIndex of the 0x1312 write) -> baud. */
uint32_t bridge_ch341_baud(uint16_t divisor_reg);

#endif /* BRIDGE_CHIP_H */
