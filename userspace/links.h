/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The link axis: every kind of USB link an Espressif board carries, one row
 * each (the chip axis is chips.h).  A row says how to recognise the link
 * from what udev knows about a tty, which DTR/RTS sequences enter the ROM
 * loader and hard-reset the chip on it, and how it behaves on a reset.
 * Adding a link is adding a row; the tests walk the table.
 *
 * Sequences are written in espwipe.ko's grammar (kmod/README.md), in its
 * canonical form, so that the text a port shows in bootloader_sequence can
 * be compared with the row's:
 *
 *   D0 D1       DTR deasserted / asserted       (one TIOCMSET)
 *   R0 R1       RTS deasserted / asserted       (one TIOCMSET)
 *   U<d>,<r>    both lines in one TIOCMSET
 *   W<seconds>  wait 0..5 s, at most 3 decimals; a wait ends that long after
 *               the start of the line step before it (consecutive waits add)
 *
 * "Asserted" is the TIOCM bit set, which drives the pin to 0 V.
 */
#ifndef ESPWIPE_LINKS_H
#define ESPWIPE_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a row recognises its ttys. */
enum link_match {
	LINK_BY_DRIVER, /* a ttyUSB whose usb-serial port is bound to serial_driver */
	LINK_BY_USB_ID, /* a ttyACM bound to cdc_acm with exactly this VID:PID */
};

struct link_usb_id {
	uint16_t vid, pid;
};

/* A device on which only one USB interface is the board's UART. */
struct link_uart_iface {
	struct link_usb_id id;
	int interface;       /* bInterfaceNumber of the UART */
	const char *why;     /* what the other interfaces are */
};

struct link_row {
	const char *link;            /* the word espwipe.ko's `link` attribute shows */
	const char *label;           /* for people: "WCH CH9102F" */
	enum link_match match;
	const char *serial_driver;   /* LINK_BY_DRIVER: the usb-serial port's driver */
	const char *usb_driver;      /* the USB interface's driver */
	struct link_usb_id id;       /* LINK_BY_USB_ID */
	/* LINK_BY_DRIVER: devices of this driver where only one interface is the
	 * UART; terminated by a zero id; NULL for none */
	const struct link_uart_iface *uart_ifaces;
	const char *enter_seq;       /* into the ROM loader; NULL: lines cannot do it */
	const char *enter_seq_long;  /* the variant every second attempt; NULL: none */
	const char *reset_seq;       /* into the application; NULL: lines cannot do it */
	/* a reset makes the tty leave the bus and come back, possibly as another ttyACMn */
	bool reenumerates;
	/* RTS is ignored while RTS/CTS flow control is on (espwipe always turns it off) */
	bool rts_needs_no_crtscts;
	const char *source;          /* where the facts come from */
};

extern const struct link_row link_table[];
extern const size_t link_table_len;

/* Sequences shared by rows. */
#define LINK_SEQ_CLASSIC "U0,1|W0.1|U1,0|W0.05|U0,0"
#define LINK_SEQ_CLASSIC_LONG "U0,1|W0.1|U1,0|W0.55|U0,0"
#define LINK_SEQ_CLASSIC_RESET "U0,1|W0.1|U0,0"
#define LINK_SEQ_USJ "U0,0|W0.1|U1,0|W0.1|U1,1|U0,1|W0.1|U0,0"
#define LINK_SEQ_USJ_RESET "U0,1|W0.1|U0,0"

/*
 * espwipe.ko's write to enter_bootloader or reset fails with this errno when
 * the sequence ended with the device gone because of the reset it asked for
 * (a USB-Serial/JTAG chip re-enumerating), as opposed to ENODEV for an
 * unplug.  espwipe treats both as "find the port again" on a link that
 * re-enumerates, and ENODEV as an unplug elsewhere.
 */
#define LINK_ERRNO_REENUMERATED ECONNRESET

/* What discovery found out about a tty; unknown fields are NULL / false / -1. */
struct link_facts {
	const char *serial_driver;   /* driver of the usb-serial parent (ttyUSB) */
	const char *usb_driver;      /* driver of the USB interface parent */
	bool have_id;
	struct link_usb_id id;
	int interface;               /* bInterfaceNumber */
};

/*
 * The row for a tty, or NULL: not an Espressif board's link (a modem or
 * another CDC-ACM device, a port of another usb-serial driver, FT2232H
 * channel A).  For NULL, *why (if why) says why in a few words.
 */
const struct link_row *link_classify(const struct link_facts *f, const char **why);

/* The first row whose link word is name, or NULL. */
const struct link_row *link_by_name(const char *name);

/*
 * "ch341, cp210x, ftdi, pl2303, cdc-acm, usb-serial-jtag": every link word
 * once, in table order, like snprintf (returns the length the text needs).
 */
size_t link_words(char *buf, size_t len);

/* "1a86:55d4" into id: 0, or -1. */
int link_parse_usb_id(const char *vid, const char *pid, struct link_usb_id *id);

/* ---- sequences ---- */

#define LINK_SEQ_MAX_STEPS 32
#define LINK_SEQ_MAX_WAIT_MS 5000

enum link_step_kind {
	LINK_STEP_DTR,
	LINK_STEP_RTS,
	LINK_STEP_LINES,
	LINK_STEP_WAIT,
};

struct link_step {
	enum link_step_kind kind;
	bool dtr, rts;      /* DTR: dtr; RTS: rts; LINES: both */
	uint32_t ms;        /* WAIT */
};

struct link_seq {
	size_t n;
	struct link_step step[LINK_SEQ_MAX_STEPS];
};

/* Parse text (the whole string; white space only around it): 0, or -1. */
int link_seq_parse(const char *text, struct link_seq *seq);

/* The canonical text, like snprintf: returns the length the whole text needs. */
size_t link_seq_format(const struct link_seq *seq, char *buf, size_t len);

/* Both parse and mean the same steps. */
bool link_seq_same(const char *a, const char *b);

/* Sum of the waits, in ms. */
uint32_t link_seq_duration_ms(const struct link_seq *seq);

/*
 * What the device sees: the line states a sequence produces from (dtr0,
 * rts0), one entry per line step that changes a line (cdc_acm and ftdi_sio
 * send no request for a call that changes nothing, kernel-breadth.md §1,
 * §2.1), each with the time until the next line step (the waits between).
 * wvalue is the SET_CONTROL_LINE_STATE value (DTR bit 0, RTS bit 1).
 * Returns the count (at most max are stored).
 */
struct link_state {
	bool dtr, rts;
	uint8_t wvalue;
	uint32_t hold_ms;
};
size_t link_seq_states(const struct link_seq *seq, bool dtr0, bool rts0, struct link_state *out,
		       size_t max);

#endif /* ESPWIPE_LINKS_H */
