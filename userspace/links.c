// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The link table and the sequence grammar.
 *
 * Sources (tags as in the fact sheets: [V] verified in a source, [I] inferred):
 *  KB  = kernel-breadth.md (Linux 6.1.192 drivers), FS = esp32-family-rom.md.
 *
 *  - Driver names on the usb-serial bus: ch341-uart, cp210x, ftdi_sio,
 *    pl2303 (KB §0.1, §1 [V]); the tty of each is a ttyUSBn.
 *  - cdc_acm binds CH9102F (1a86:55d4) and CH343 (1a86:55d3) by class match
 *    and makes ttyACMn children of the control interface (KB §2.1 [V]; the
 *    55d3 = CH343 quirk entry in cdc-acm.c [V]; 55d4 = CH9102 from VID:PID
 *    tables [U as an authority], FS §8.3).  Other CDC-ACM devices (modems,
 *    application CDC ports) are never candidates.
 *  - Espressif USB-Serial/JTAG 303a:1001 and the ESP32-S2 ROM's USB-OTG CDC
 *    303a:0002, both cdc_acm (FS §8.2, §8.3).
 *  - The classic sequence: the two-transistor circuit, (DTR,RTS) = (0,1)
 *    holds EN low, (1,0) GPIO0 low (FS §8.1, esptool ClassicReset and
 *    UnixTightReset, delays 0.05 s and 0.55 s); it is espwipe.ko's default.
 *  - The USB-Serial/JTAG sequence: esptool's USBJTAGSerialReset as the
 *    request stream Linux sends (FS §8.1, KB §2.3 [I]): cdc_acm sends one
 *    SET_CONTROL_LINE_STATE per change and none for a call that changes
 *    nothing, so (0,0) idle 100 ms, (1,0) 100 ms, (1,1), (0,1) 100 ms,
 *    (0,0).  The (1,1) between (1,0) and (0,1) is deliberate ("go through
 *    (1,1) instead of (0,0)").  Hard reset: esptool's HardReset, RTS for
 *    0.1 s (FS §8.1); a USB-Serial/JTAG reset is a core reset that does not
 *    re-sample the strapping pins (FS §8.4).
 *  - Re-enumeration: "the reset process can cause the port to disconnect /
 *    reconnect" (esptool ResetStrategy, FS §8.1, KB §2.3 [V]); esp-serial-
 *    flasher's Linux port waits up to 3 s for the node to come back.
 *  - ESP32-S2 USB-OTG: the ROM enumerates as 303a:0002 in download mode, so
 *    the chip is in its loader whenever that port exists [I]; leaving it
 *    needs a manual reset (FS §9).
 *  - FT2232H 0403:6010 on ESP-Prog / ESP-WROVER-KIT: channel A (interface 0)
 *    is JTAG, channel B (interface 1) the UART (FS §8.3, §9; KB §1 [I]).
 *    FTDI ignores the RTS of MODEM_CTRL under RTS/CTS flow control without
 *    an error (KB §1 [V]): espwipe's raw termios has CRTSCTS off.
 */
#include "links.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct link_uart_iface ftdi_uart_ifaces[] = {
	{ { 0x0403, 0x6010 }, 1, "FT2232H: channel A (interface 0) is JTAG on ESP-Prog and ESP-WROVER-KIT" },
	{ { 0, 0 }, 0, NULL },
};

const struct link_row link_table[] = {
	{
		.link = "ch341", .label = "WCH CH340/CH341", .match = LINK_BY_DRIVER,
		.serial_driver = "ch341-uart", .usb_driver = "ch341",
		.enter_seq = LINK_SEQ_CLASSIC, .enter_seq_long = LINK_SEQ_CLASSIC_LONG,
		.reset_seq = LINK_SEQ_CLASSIC_RESET,
		.source = "KB §0-1; FS §8.1 (classic), §8.3",
	},
	{
		.link = "cp210x", .label = "Silicon Labs CP210x", .match = LINK_BY_DRIVER,
		.serial_driver = "cp210x", .usb_driver = "cp210x",
		.enter_seq = LINK_SEQ_CLASSIC, .enter_seq_long = LINK_SEQ_CLASSIC_LONG,
		.reset_seq = LINK_SEQ_CLASSIC_RESET,
		.source = "KB §0-1; FS §8.1 (classic), §8.3",
	},
	{
		.link = "ftdi", .label = "FTDI FT232R/FT2232H", .match = LINK_BY_DRIVER,
		.serial_driver = "ftdi_sio", .usb_driver = "ftdi_sio",
		.uart_ifaces = ftdi_uart_ifaces,
		.enter_seq = LINK_SEQ_CLASSIC, .enter_seq_long = LINK_SEQ_CLASSIC_LONG,
		.reset_seq = LINK_SEQ_CLASSIC_RESET,
		.rts_needs_no_crtscts = true,
		.source = "KB §1 (one MODEM_CTRL per call; RTS ignored under CRTSCTS; FT2232H channels); "
			  "FS §8.3, §9",
	},
	{
		.link = "pl2303", .label = "Prolific PL2303", .match = LINK_BY_DRIVER,
		.serial_driver = "pl2303", .usb_driver = "pl2303",
		.enter_seq = LINK_SEQ_CLASSIC, .enter_seq_long = LINK_SEQ_CLASSIC_LONG,
		.reset_seq = LINK_SEQ_CLASSIC_RESET,
		.source = "KB §1 (one SET_CONTROL_LINE_STATE per call)",
	},
	{
		.link = "cdc-acm", .label = "WCH CH9102F", .match = LINK_BY_USB_ID,
		.usb_driver = "cdc_acm", .id = { 0x1a86, 0x55d4 },
		.enter_seq = LINK_SEQ_CLASSIC, .enter_seq_long = LINK_SEQ_CLASSIC_LONG,
		.reset_seq = LINK_SEQ_CLASSIC_RESET,
		.source = "KB §2.1; FS §8.3, §9 (ESP32-DevKitC)",
	},
	{
		.link = "cdc-acm", .label = "WCH CH343", .match = LINK_BY_USB_ID,
		.usb_driver = "cdc_acm", .id = { 0x1a86, 0x55d3 },
		.enter_seq = LINK_SEQ_CLASSIC, .enter_seq_long = LINK_SEQ_CLASSIC_LONG,
		.reset_seq = LINK_SEQ_CLASSIC_RESET,
		.source = "KB §2.1 (cdc-acm.c quirk entry 1a86:55d3); FS §9 (LuatOS ESP32-C3)",
	},
	{
		.link = "usb-serial-jtag", .label = "Espressif USB-Serial/JTAG", .match = LINK_BY_USB_ID,
		.usb_driver = "cdc_acm", .id = { 0x303a, 0x1001 },
		.enter_seq = LINK_SEQ_USJ, .reset_seq = LINK_SEQ_USJ_RESET,
		.reenumerates = true,
		.source = "FS §8.1 (USBJTAGSerialReset, HardReset), §8.2-8.4; KB §2.3",
	},
	{
		.link = "cdc-acm", .label = "ESP32-S2 USB-OTG (ROM)", .match = LINK_BY_USB_ID,
		.usb_driver = "cdc_acm", .id = { 0x303a, 0x0002 },
		.source = "FS §8.2, §8.3, §9 (in its loader whenever it enumerates [I]; manual reset after)",
	},
};

const size_t link_table_len = sizeof(link_table) / sizeof(link_table[0]);

static bool same_id(struct link_usb_id a, struct link_usb_id b)
{
	return a.vid == b.vid && a.pid == b.pid;
}

const struct link_row *link_classify(const struct link_facts *f, const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	for (size_t i = 0; i < link_table_len; i++) {
		const struct link_row *r = &link_table[i];

		if (r->match == LINK_BY_DRIVER) {
			if (!f->serial_driver || strcmp(f->serial_driver, r->serial_driver) != 0)
				continue;
			for (const struct link_uart_iface *u = r->uart_ifaces; u && u->id.vid; u++) {
				if (f->have_id && same_id(f->id, u->id) && f->interface != u->interface) {
					*why = u->why;
					return NULL;
				}
			}
			return r;
		}
		/* by id: the tty must be cdc_acm's, never a usb-serial port */
		if (f->serial_driver || !f->usb_driver || strcmp(f->usb_driver, r->usb_driver) != 0 ||
		    !f->have_id || !same_id(f->id, r->id))
			continue;
		return r;
	}
	if (f->serial_driver)
		*why = "usb-serial driver without an Espressif link row";
	else if (f->usb_driver && strcmp(f->usb_driver, "cdc_acm") == 0)
		*why = "CDC-ACM device that is not a known ESP link (a modem?)";
	else
		*why = "not a USB serial port";
	return NULL;
}

const struct link_row *link_by_name(const char *name)
{
	for (size_t i = 0; name && i < link_table_len; i++)
		if (strcmp(link_table[i].link, name) == 0)
			return &link_table[i];
	return NULL;
}

size_t link_words(char *buf, size_t len)
{
	size_t pos = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < link_table_len; i++) {
		if (link_by_name(link_table[i].link) != &link_table[i])
			continue; /* the word came with an earlier row */
		pos += (size_t)snprintf(pos < len ? buf + pos : NULL, pos < len ? len - pos : 0, "%s%s",
					pos ? ", " : "", link_table[i].link);
	}
	return pos;
}

static int hex16(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	if (!s || strlen(s) != 4 || !isxdigit((unsigned char)s[0]))
		return -1;
	v = strtoul(s, &end, 16);
	if (*end || v > 0xFFFF)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int link_parse_usb_id(const char *vid, const char *pid, struct link_usb_id *id)
{
	struct link_usb_id t;

	if (hex16(vid, &t.vid) || hex16(pid, &t.pid))
		return -1;
	*id = t;
	return 0;
}

/* ---- sequences ---- */

/* "0.05" -> 50; at most 3 decimals, at most LINK_SEQ_MAX_WAIT_MS. */
static int parse_wait(const char *s, size_t n, uint32_t *ms)
{
	uint32_t whole = 0, frac = 0;
	size_t i = 0, decimals = 0;

	if (!n || !isdigit((unsigned char)s[0]))
		return -1;
	for (; i < n && isdigit((unsigned char)s[i]); i++) {
		whole = whole * 10 + (uint32_t)(s[i] - '0');
		if (whole > LINK_SEQ_MAX_WAIT_MS / 1000)
			return -1;
	}
	if (i < n) {
		if (s[i++] != '.' || i == n)
			return -1;
		for (; i < n; i++) {
			if (!isdigit((unsigned char)s[i]) || ++decimals > 3)
				return -1;
			frac = frac * 10 + (uint32_t)(s[i] - '0');
		}
		while (decimals++ < 3)
			frac *= 10;
	}
	*ms = whole * 1000 + frac;
	return *ms > LINK_SEQ_MAX_WAIT_MS ? -1 : 0;
}

static int parse_bit(char c, bool *v)
{
	if (c != '0' && c != '1')
		return -1;
	*v = c == '1';
	return 0;
}

static int parse_step(const char *s, size_t n, struct link_step *st)
{
	memset(st, 0, sizeof(*st));
	if (n == 2 && s[0] == 'D') {
		st->kind = LINK_STEP_DTR;
		return parse_bit(s[1], &st->dtr);
	}
	if (n == 2 && s[0] == 'R') {
		st->kind = LINK_STEP_RTS;
		return parse_bit(s[1], &st->rts);
	}
	if (n == 4 && s[0] == 'U' && s[2] == ',') {
		st->kind = LINK_STEP_LINES;
		return parse_bit(s[1], &st->dtr) || parse_bit(s[3], &st->rts) ? -1 : 0;
	}
	if (n >= 2 && s[0] == 'W') {
		st->kind = LINK_STEP_WAIT;
		return parse_wait(s + 1, n - 1, &st->ms);
	}
	return -1;
}

int link_seq_parse(const char *text, struct link_seq *seq)
{
	struct link_seq t;
	const char *p, *end;

	if (!text)
		return -1;
	end = text + strlen(text);
	while (text < end && isspace((unsigned char)*text))
		text++;
	while (end > text && isspace((unsigned char)end[-1]))
		end--;
	if (text == end)
		return -1;
	t.n = 0;
	for (p = text; p <= end;) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		const char *stop = bar ? bar : end;

		if (t.n == LINK_SEQ_MAX_STEPS || parse_step(p, (size_t)(stop - p), &t.step[t.n]))
			return -1;
		t.n++;
		if (!bar)
			break;
		p = bar + 1;
		if (p == end)
			return -1; /* a '|' at the end */
	}
	*seq = t;
	return 0;
}

size_t link_seq_format(const struct link_seq *seq, char *buf, size_t len)
{
	size_t pos = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < seq->n; i++) {
		const struct link_step *s = &seq->step[i];
		char step[16];

		switch (s->kind) {
		case LINK_STEP_DTR:
			snprintf(step, sizeof(step), "D%d", s->dtr);
			break;
		case LINK_STEP_RTS:
			snprintf(step, sizeof(step), "R%d", s->rts);
			break;
		case LINK_STEP_LINES:
			snprintf(step, sizeof(step), "U%d,%d", s->dtr, s->rts);
			break;
		case LINK_STEP_WAIT:
			if (s->ms % 1000 == 0)
				snprintf(step, sizeof(step), "W%u", (unsigned int)(s->ms / 1000));
			else if (s->ms % 100 == 0)
				snprintf(step, sizeof(step), "W%u.%u", (unsigned int)(s->ms / 1000),
					 (unsigned int)(s->ms % 1000 / 100));
			else if (s->ms % 10 == 0)
				snprintf(step, sizeof(step), "W%u.%02u", (unsigned int)(s->ms / 1000),
					 (unsigned int)(s->ms % 1000 / 10));
			else
				snprintf(step, sizeof(step), "W%u.%03u", (unsigned int)(s->ms / 1000),
					 (unsigned int)(s->ms % 1000));
			break;
		}
		pos += (size_t)snprintf(pos < len ? buf + pos : NULL, pos < len ? len - pos : 0, "%s%s",
					i ? "|" : "", step);
	}
	return pos;
}

static bool step_same(const struct link_step *a, const struct link_step *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case LINK_STEP_DTR:
		return a->dtr == b->dtr;
	case LINK_STEP_RTS:
		return a->rts == b->rts;
	case LINK_STEP_LINES:
		return a->dtr == b->dtr && a->rts == b->rts;
	case LINK_STEP_WAIT:
		return a->ms == b->ms;
	}
	return false;
}

bool link_seq_same(const char *a, const char *b)
{
	struct link_seq x, y;

	if (link_seq_parse(a, &x) || link_seq_parse(b, &y) || x.n != y.n)
		return false;
	for (size_t i = 0; i < x.n; i++)
		if (!step_same(&x.step[i], &y.step[i]))
			return false;
	return true;
}

uint32_t link_seq_duration_ms(const struct link_seq *seq)
{
	uint32_t ms = 0;

	for (size_t i = 0; i < seq->n; i++)
		if (seq->step[i].kind == LINK_STEP_WAIT)
			ms += seq->step[i].ms;
	return ms;
}

size_t link_seq_states(const struct link_seq *seq, bool dtr0, bool rts0, struct link_state *out,
		       size_t max)
{
	bool dtr = dtr0, rts = rts0;
	size_t n = 0;

	for (size_t i = 0; i < seq->n; i++) {
		const struct link_step *st = &seq->step[i];
		bool d = dtr, r = rts;

		if (st->kind == LINK_STEP_WAIT) {
			if (n && n <= max)
				out[n - 1].hold_ms += st->ms;
			continue;
		}
		if (st->kind != LINK_STEP_RTS)
			d = st->dtr;
		if (st->kind != LINK_STEP_DTR)
			r = st->rts;
		if (d == dtr && r == rts)
			continue;
		dtr = d;
		rts = r;
		if (n < max)
			out[n] = (struct link_state){ .dtr = d, .rts = r,
						      .wvalue = (uint8_t)((d ? 1 : 0) | (r ? 2 : 0)) };
		n++;
	}
	return n;
}
