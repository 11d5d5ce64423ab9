// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device side of the CH340 and CP2102 vendor requests that Linux 6.1's ch341
 * and cp210x drivers send.  Request codes and register numbers are the chips'
 * documented/observed values; every unknown IN request is answered with
 * wLength zero bytes (the drivers reject short replies) and every unknown OUT
 * request is accepted.
 */
#include "bridge_chip.h"

#include <string.h>
#include <strings.h>

/* CH340 (bmRequestType 0x40/0xC0, device recipient) */
#define CH341_GET_VERSION 0x5f
#define CH341_READ_REG 0x95
#define CH341_WRITE_REG 0x9a
#define CH341_SERIAL_INIT 0xa1
#define CH341_MODEM_CTRL 0xa4
#define CH341_REGS_DIVISOR 0x1312 /* prescaler (0x12) and divisor (0x13) */
#define CH341_REGS_STATUS 0x0706
#define CH341_MCR_DTR 0x20 /* wValue = ~mcr: a cleared bit is an asserted line */
#define CH341_MCR_RTS 0x40
#define CH341_VERSION 0x31

/* CP2102 (bmRequestType 0x41/0xC1, interface recipient; 0xFF also 0xC0) */
#define CP_IFC_ENABLE 0x00
#define CP_GET_LINE_CTL 0x04
#define CP_SET_MHS 0x07
#define CP_GET_MDMSTS 0x08
#define CP_SET_FLOW 0x13
#define CP_GET_FLOW 0x14
#define CP_GET_BAUDRATE 0x1d
#define CP_SET_BAUDRATE 0x1e
#define CP_VENDOR_SPECIFIC 0xff
#define CP_GET_PARTNUM 0x370b
#define CP_PARTNUM_CP2102 0x02
#define CP_MHS_DTR 0x0001
#define CP_MHS_RTS 0x0002
#define CP_MHS_DTR_MASK 0x0100
#define CP_MHS_RTS_MASK 0x0200
#define CP_MDM_DTR 0x01
#define CP_MDM_RTS 0x02
/* SET_FLOW: ulControlHandshake bits 0-1 (DTR), ulFlowReplace bits 6-7 (RTS) */
#define CP_FLOW_DTR_MASK 0x03
#define CP_FLOW_DTR_ACTIVE 0x01
#define CP_FLOW_RTS_MASK 0xc0
#define CP_FLOW_RTS_ACTIVE 0x40
#define CP_FLOW_RTS_HANDSHAKE 0x80

#define DIR_IN 0x80

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

void bridge_state_init(struct bridge_state *st, enum bridge_chip chip)
{
	memset(st, 0, sizeof(*st));
	st->chip = chip;
	st->baud = 115200;
}

const char *bridge_chip_name(enum bridge_chip chip)
{
	return chip == BRIDGE_CH340 ? "ch340" : "cp2102";
}

int bridge_chip_parse(const char *name, enum bridge_chip *chip)
{
	if (!strcasecmp(name, "ch340") || !strcasecmp(name, "ch341")) {
		*chip = BRIDGE_CH340;
		return 0;
	}
	if (!strcasecmp(name, "cp2102") || !strcasecmp(name, "cp210x")) {
		*chip = BRIDGE_CP2102;
		return 0;
	}
	return -1;
}

uint16_t bridge_chip_vid(enum bridge_chip chip)
{
	return chip == BRIDGE_CH340 ? 0x1a86 : 0x10c4;
}

uint16_t bridge_chip_pid(enum bridge_chip chip)
{
	return chip == BRIDGE_CH340 ? 0x7523 : 0xea60;
}

/*
 * baud = 48 MHz / (2^(12 - 3*ps - fact) * (256 - div)), with ps in bits 0-1
 * and fact in bit 2 of the low byte, div in the high byte.  The result is
 * snapped to a standard rate when within 3 %, since the divisor is coarse.
 */
uint32_t bridge_ch341_baud(uint16_t reg)
{
	static const uint32_t std[] = { 300, 1200, 2400, 4800, 9600, 19200, 38400,
					57600, 74880, 115200, 230400, 460800, 921600,
					1500000, 2000000, 3000000 };
	unsigned int ps = reg & 3, fact = (reg >> 2) & 1, div = reg >> 8;
	int shift = 12 - 3 * (int)ps - (int)fact;
	uint32_t baud;
	size_t i;

	if (div >= 256 || shift < 0)
		return 0;
	if (div == 255 && shift == 0)
		return 0;
	baud = (uint32_t)(48000000u / ((1u << shift) * (256u - div)));
	for (i = 0; i < sizeof(std) / sizeof(std[0]); i++) {
		uint32_t d = baud > std[i] ? baud - std[i] : std[i] - baud;

		if ((uint64_t)d * 100 <= (uint64_t)std[i] * 3)
			return std[i];
	}
	return baud;
}

static void ch340_handle(struct bridge_state *st, const struct bridge_setup *s,
			 const uint8_t *data, uint8_t *reply, struct bridge_effect *fx)
{
	(void)data;
	switch (s->request) {
	case CH341_GET_VERSION:
		if (s->length >= 1)
			reply[0] = CH341_VERSION;
		break;
	case CH341_READ_REG:
		/* status register pair: byte 0 is ~MSR; no input line asserted */
		if (s->value == CH341_REGS_STATUS && s->length >= 2) {
			reply[0] = 0xff;
			reply[1] = 0xee;
		}
		break;
	case CH341_WRITE_REG:
		if (s->value == CH341_REGS_DIVISOR) {
			uint32_t b = bridge_ch341_baud(s->index & 0xff7f);

			if (b) {
				st->baud = b;
				fx->baud_changed = true;
			}
		}
		break;
	case CH341_MODEM_CTRL:
		st->dtr = !(s->value & CH341_MCR_DTR);
		st->rts = !(s->value & CH341_MCR_RTS);
		fx->lines_changed = true;
		break;
	default:
		break;
	}
}

static bool cp_rts_handshake(const struct bridge_state *st)
{
	return (st->flow[4] & CP_FLOW_RTS_MASK) == CP_FLOW_RTS_HANDSHAKE;
}

static void cp2102_handle(struct bridge_state *st, const struct bridge_setup *s,
			  const uint8_t *data, uint8_t *reply, struct bridge_effect *fx)
{
	switch (s->request) {
	case CP_IFC_ENABLE:
		st->uart_enabled = s->value != 0;
		break;
	case CP_GET_LINE_CTL:
		if (s->length >= 2) {
			reply[0] = 0x00;
			reply[1] = 0x08; /* 8 data bits, no parity, 1 stop */
		}
		break;
	case CP_SET_MHS:
		/* the chip refuses manual RTS while RTS is under flow control */
		if ((s->value & CP_MHS_RTS_MASK) && cp_rts_handshake(st)) {
			fx->stall = true;
			return;
		}
		if (s->value & CP_MHS_DTR_MASK)
			st->dtr = s->value & CP_MHS_DTR;
		if (s->value & CP_MHS_RTS_MASK)
			st->rts = s->value & CP_MHS_RTS;
		fx->lines_changed = true;
		break;
	case CP_GET_MDMSTS:
		if (s->length >= 1)
			reply[0] = (st->dtr ? CP_MDM_DTR : 0) | (st->rts ? CP_MDM_RTS : 0);
		break;
	case CP_SET_FLOW:
		if (s->length >= 16) {
			uint32_t hs = get_le32(data), repl = get_le32(data + 4);
			unsigned int rts = repl & CP_FLOW_RTS_MASK;

			memcpy(st->flow, data, 16);
			st->dtr = (hs & CP_FLOW_DTR_MASK) == CP_FLOW_DTR_ACTIVE;
			/* under handshake the chip asserts RTS while it can take data */
			st->rts = rts == CP_FLOW_RTS_ACTIVE || rts == CP_FLOW_RTS_HANDSHAKE;
			st->crtscts = rts == CP_FLOW_RTS_HANDSHAKE;
			fx->lines_changed = true;
		}
		break;
	case CP_GET_FLOW:
		memcpy(reply, st->flow, s->length < 16 ? s->length : 16);
		break;
	case CP_GET_BAUDRATE:
		if (s->length >= 4)
			put_le32(reply, st->baud);
		break;
	case CP_SET_BAUDRATE:
		if (s->length >= 4 && get_le32(data)) {
			st->baud = get_le32(data);
			fx->baud_changed = true;
		}
		break;
	case CP_VENDOR_SPECIFIC:
		if (s->value == CP_GET_PARTNUM && s->length >= 1)
			reply[0] = CP_PARTNUM_CP2102;
		break;
	default:
		break;
	}
}

void bridge_handle(struct bridge_state *st, const struct bridge_setup *s,
		   const uint8_t *data, uint8_t *reply, struct bridge_effect *fx)
{
	memset(fx, 0, sizeof(*fx));
	if (s->request_type & DIR_IN)
		memset(reply, 0, s->length);
	if (st->chip == BRIDGE_CH340)
		ch340_handle(st, s, data, reply, fx);
	else
		cp2102_handle(st, s, data, reply, fx);
	if ((s->request_type & DIR_IN) && !fx->stall)
		fx->reply_len = s->length;
}
