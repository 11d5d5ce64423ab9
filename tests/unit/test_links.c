/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The link table (userspace/links.c): every row complete and consistent,
 * classification of every kind of tty from udev-like facts (the fake udev
 * records of a CH340, CP2102, FT232R, both FT2232H channels, PL2303,
 * CH9102F, CH343, USB-Serial/JTAG, ESP32-S2 OTG, modems and other CDC-ACM
 * devices), the sequence grammar against espwipe.ko's own parser
 * (kmod/espwipe_seq.c, built here in userspace), and the line states each
 * sequence puts on the wire, byte for byte, with their holds; and how a
 * port that left the bus is recognised and waited for (userspace/refind.c).
 *
 * The expected streams are written from the fact sheets (family sheet §8.1:
 * esptool's reset.py; kernel-breadth.md §2.3), not from the table.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "links.h"
#include "refind.h"
#include "unit.h"
#include "../../kmod/espwipe_seq.h"

static const char *const words[] = { "ch341", "cp210x", "ftdi", "pl2303", "cdc-acm", "usb-serial-jtag" };
#define NWORDS (sizeof(words) / sizeof(words[0]))

static bool known_word(const char *w)
{
	for (size_t i = 0; i < NWORDS; i++)
		if (strcmp(words[i], w) == 0)
			return true;
	return false;
}

/* text parses, is canonical, and the module's parser agrees on both. */
static void check_canonical(const char *text)
{
	struct link_seq s;
	struct espwipe_seq k;
	char mine[256], theirs[ESPWIPE_SEQ_TEXT_MAX + 1];

	assert_int_equal(link_seq_parse(text, &s), 0);
	link_seq_format(&s, mine, sizeof(mine));
	assert_string_equal(mine, text);
	assert_int_equal(espwipe_seq_parse(&k, text, strlen(text)), 0);
	espwipe_seq_format(&k, theirs, sizeof(theirs));
	assert_string_equal(theirs, text);
	assert_int_equal(k.count, s.n);
}

static void table_rows_are_complete(void **state)
{
	(void)state;
	assert_true(link_table_len >= 8);
	for (size_t i = 0; i < link_table_len; i++) {
		const struct link_row *r = &link_table[i];

		assert_true(known_word(r->link));
		assert_non_null(r->label);
		assert_non_null(r->source);
		assert_non_null(r->usb_driver);
		if (r->match == LINK_BY_DRIVER) {
			assert_non_null(r->serial_driver);
			assert_int_equal(r->id.vid, 0);
		} else {
			assert_null(r->serial_driver);
			assert_string_equal(r->usb_driver, "cdc_acm");
			assert_true(r->id.vid != 0);
			assert_null(r->uart_ifaces);
		}
		for (size_t j = 0; j < i; j++) {
			const struct link_row *o = &link_table[j];

			if (r->match == LINK_BY_DRIVER && o->match == LINK_BY_DRIVER)
				assert_true(strcmp(r->serial_driver, o->serial_driver) != 0);
			if (r->match == LINK_BY_USB_ID && o->match == LINK_BY_USB_ID)
				assert_false(r->id.vid == o->id.vid && r->id.pid == o->id.pid);
		}
		if (r->enter_seq)
			check_canonical(r->enter_seq);
		if (r->enter_seq_long) {
			assert_non_null(r->enter_seq);
			check_canonical(r->enter_seq_long);
		}
		if (r->reset_seq)
			check_canonical(r->reset_seq);
		/* a link whose reset re-enumerates must have a sequence that resets */
		if (r->reenumerates)
			assert_non_null(r->enter_seq);
	}
	/* the classic default is the module's default, character for character */
	assert_string_equal(LINK_SEQ_CLASSIC, ESPWIPE_SEQ_DEFAULT_BOOTLOADER);
	assert_string_equal(LINK_SEQ_CLASSIC_RESET, ESPWIPE_SEQ_DEFAULT_RESET);
}

static void link_words_once_each(void **state)
{
	char buf[160];
	size_t n;

	(void)state;
	n = link_words(buf, sizeof(buf));
	assert_string_equal(buf, "ch341, cp210x, ftdi, pl2303, cdc-acm, usb-serial-jtag");
	assert_int_equal(n, strlen(buf));
	/* cut like snprintf */
	n = link_words(buf, 6);
	assert_string_equal(buf, "ch341");
	assert_int_equal(n, strlen("ch341, cp210x, ftdi, pl2303, cdc-acm, usb-serial-jtag"));
	for (size_t i = 0; i < NWORDS; i++) {
		const struct link_row *r = link_by_name(words[i]);

		assert_non_null(r);
		assert_string_equal(r->link, words[i]);
	}
	/* the word cdc-acm names the bridges' row first (classic), not the S2's */
	assert_string_equal(link_by_name("cdc-acm")->label, "WCH CH9102F");
	assert_null(link_by_name("CH341"));
	assert_null(link_by_name("usj"));
	assert_null(link_by_name(NULL));
}

struct fake_tty {
	const char *what;
	const char *serial_driver, *usb_driver;
	const char *vid, *pid;
	int interface;
	const char *link;   /* NULL: not a candidate */
	const char *label;
};

/* What discovery reads from udev for each kind (links.h struct link_facts). */
static const struct fake_tty ttys[] = {
	{ "CH340G", "ch341-uart", "ch341", "1a86", "7523", 0, "ch341", "WCH CH340/CH341" },
	{ "CH340K", "ch341-uart", "ch341", "1a86", "7522", 0, "ch341", "WCH CH340/CH341" },
	{ "CP2102N", "cp210x", "cp210x", "10c4", "ea60", 0, "cp210x", "Silicon Labs CP210x" },
	{ "FT232R", "ftdi_sio", "ftdi_sio", "0403", "6001", 0, "ftdi", "FTDI FT232R/FT2232H" },
	{ "FT2232H channel B", "ftdi_sio", "ftdi_sio", "0403", "6010", 1, "ftdi", "FTDI FT232R/FT2232H" },
	{ "FT2232H channel A (JTAG)", "ftdi_sio", "ftdi_sio", "0403", "6010", 0, NULL, NULL },
	{ "FT4232H", "ftdi_sio", "ftdi_sio", "0403", "6011", 2, "ftdi", "FTDI FT232R/FT2232H" },
	{ "PL2303", "pl2303", "pl2303", "067b", "2303", 0, "pl2303", "Prolific PL2303" },
	{ "CH9102F", NULL, "cdc_acm", "1a86", "55d4", 0, "cdc-acm", "WCH CH9102F" },
	{ "CH343", NULL, "cdc_acm", "1a86", "55d3", 0, "cdc-acm", "WCH CH343" },
	{ "USB-Serial/JTAG", NULL, "cdc_acm", "303a", "1001", 0, "usb-serial-jtag", "Espressif USB-Serial/JTAG" },
	{ "ESP32-S2 ROM OTG", NULL, "cdc_acm", "303a", "0002", 0, "cdc-acm", "ESP32-S2 USB-OTG (ROM)" },
	/* never candidates */
	{ "Quectel EC25 modem", NULL, "cdc_acm", "2c7c", "0125", 2, NULL, NULL },
	{ "Telit modem", NULL, "cdc_acm", "1bc7", "1201", 0, NULL, NULL },
	{ "ESP32-S3 app CDC (TinyUSB)", NULL, "cdc_acm", "303a", "4001", 0, NULL, NULL },
	{ "Arduino Uno", NULL, "cdc_acm", "2341", "0043", 0, NULL, NULL },
	{ "WCH id without cdc_acm", NULL, "usbfs", "1a86", "55d4", 0, NULL, NULL },
	{ "option (GSM modem)", "option1", "option", "1e0e", "9001", 2, NULL, NULL },
	{ "USJ id on a usb-serial port", "ch341-uart", "ch341", "303a", "1001", 0, "ch341", "WCH CH340/CH341" },
	{ "cdc_acm without ids", NULL, "cdc_acm", NULL, NULL, -1, NULL, NULL },
};

static void classify_every_kind(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ttys) / sizeof(ttys[0]); i++) {
		const struct fake_tty *t = &ttys[i];
		struct link_facts f = { .serial_driver = t->serial_driver, .usb_driver = t->usb_driver,
					.interface = t->interface };
		const struct link_row *r;
		const char *why = "unset";

		f.have_id = link_parse_usb_id(t->vid, t->pid, &f.id) == 0;
		r = link_classify(&f, &why);
		if (!t->link) {
			if (r)
				fail_msg("%s classified as %s", t->what, r->label);
			assert_non_null(why);
			continue;
		}
		if (!r)
			fail_msg("%s not classified (%s)", t->what, why);
		assert_string_equal(r->link, t->link);
		assert_string_equal(r->label, t->label);
		assert_null(why);
	}
}

static void classify_says_why(void **state)
{
	struct link_facts f = { .serial_driver = "ftdi_sio", .usb_driver = "ftdi_sio", .have_id = true,
				.id = { 0x0403, 0x6010 }, .interface = 0 };
	const char *why;

	(void)state;
	assert_null(link_classify(&f, &why));
	assert_non_null(strstr(why, "JTAG"));
	f = (struct link_facts){ .usb_driver = "cdc_acm", .have_id = true, .id = { 0x2c7c, 0x0125 },
				 .interface = 2 };
	assert_null(link_classify(&f, &why));
	assert_non_null(strstr(why, "modem"));
	f = (struct link_facts){ .interface = -1 };
	assert_null(link_classify(&f, NULL));
}

static void usb_ids_parse(void **state)
{
	struct link_usb_id id;

	(void)state;
	assert_int_equal(link_parse_usb_id("303a", "1001", &id), 0);
	assert_int_equal(id.vid, 0x303a);
	assert_int_equal(id.pid, 0x1001);
	assert_int_equal(link_parse_usb_id("303A", "00Aa", &id), 0);
	assert_int_equal(id.pid, 0x00aa);
	assert_int_equal(link_parse_usb_id("303a", "100", &id), -1);
	assert_int_equal(link_parse_usb_id("303a", "10011", &id), -1);
	assert_int_equal(link_parse_usb_id("-303", "1001", &id), -1);
	assert_int_equal(link_parse_usb_id("30 3", "1001", &id), -1);
	assert_int_equal(link_parse_usb_id(NULL, "1001", &id), -1);
	assert_int_equal(link_parse_usb_id("????", "????", &id), -1);
}

/* Accepted and rejected by both parsers alike; canonical forms equal. */
static void grammar_matches_the_module(void **state)
{
	static const struct {
		const char *in, *canon; /* canon NULL: rejected */
	} cases[] = {
		{ "U0,1|W0.1|U1,0|W0.05|U0,0", "U0,1|W0.1|U1,0|W0.05|U0,0" },
		{ " D0|R1|W0.100|D1|R0|W0.050|D0\n", "D0|R1|W0.1|D1|R0|W0.05|D0" },
		{ "W5.000", "W5" },
		{ "W0", "W0" },
		{ "W4.999", "W4.999" },
		{ "W0.5|W0.25", "W0.5|W0.25" },
		{ "U1,1", "U1,1" },
		{ "W5.001", NULL },
		{ "W6", NULL },
		{ "W0.0001", NULL },
		{ "W.5", NULL },
		{ "W", NULL },
		{ "W1.", NULL },
		{ "d0", NULL },
		{ "D2", NULL },
		{ "U0,2", NULL },
		{ "U01", NULL },
		{ "U0,1,", NULL },
		{ "D0||D1", NULL },
		{ "|D0", NULL },
		{ "D0|", NULL },
		{ "D0 |D1", NULL },
		{ "", NULL },
		{ "   ", NULL },
		{ "X1", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct link_seq s;
		struct espwipe_seq k;
		int mine = link_seq_parse(cases[i].in, &s);
		int theirs = espwipe_seq_parse(&k, cases[i].in, strlen(cases[i].in));
		char buf[256];

		if (!cases[i].canon) {
			if (mine == 0 || theirs == 0)
				fail_msg("'%s' accepted (espwipe %d, module %d)", cases[i].in, mine, theirs);
			continue;
		}
		if (mine != 0 || theirs != 0)
			fail_msg("'%s' refused (espwipe %d, module %d)", cases[i].in, mine, theirs);
		link_seq_format(&s, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].canon);
		espwipe_seq_format(&k, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].canon);
	}
}

static void grammar_limits(void **state)
{
	char text[512] = "";
	struct link_seq s;

	(void)state;
	for (int i = 0; i < LINK_SEQ_MAX_STEPS; i++)
		strcat(text, i ? "|D1" : "D1");
	assert_int_equal(link_seq_parse(text, &s), 0);
	assert_int_equal(s.n, LINK_SEQ_MAX_STEPS);
	strcat(text, "|D0");
	assert_int_equal(link_seq_parse(text, &s), -1);
	assert_true(link_seq_same("U0,1|W0.100", " U0,1|W0.1\n"));
	assert_false(link_seq_same("U0,1|W0.1", "U0,1|W0.05"));
	assert_false(link_seq_same("U0,1", "D0|R1"));
	assert_false(link_seq_same("bad", "bad"));
}

static void expect_states(const char *text, bool dtr0, bool rts0, const uint8_t *wv, const uint32_t *hold,
			  size_t n)
{
	struct link_seq s;
	struct link_state st[LINK_SEQ_MAX_STEPS];
	size_t got;

	assert_int_equal(link_seq_parse(text, &s), 0);
	got = link_seq_states(&s, dtr0, rts0, st, LINK_SEQ_MAX_STEPS);
	if (got != n)
		fail_msg("%s from (%d,%d): %zu states, expected %zu", text, dtr0, rts0, got, n);
	for (size_t i = 0; i < n; i++) {
		if (st[i].wvalue != wv[i] || (i + 1 < n && st[i].hold_ms != hold[i]))
			fail_msg("%s state %zu: wValue 0x%02x hold %u, expected 0x%02x hold %u", text, i,
				 st[i].wvalue, st[i].hold_ms, wv[i], hold[i]);
		assert_int_equal(st[i].dtr, wv[i] & 1);
		assert_int_equal(st[i].rts, (wv[i] >> 1) & 1);
	}
}

/*
 * The SET_CONTROL_LINE_STATE values (DTR bit 0, RTS bit 1) a cdc_acm device
 * receives, from the state the open leaves: cdc_acm asserts both lines on
 * open (kernel-breadth.md §2.1).
 */
static void usj_sequence_on_the_wire(void **state)
{
	static const uint8_t wv[] = { 0x00, 0x01, 0x03, 0x02, 0x00 };
	static const uint32_t hold[] = { 100, 100, 0, 100 };
	const struct link_row *usj = link_by_name("usb-serial-jtag");

	(void)state;
	assert_non_null(usj);
	assert_true(usj->reenumerates);
	assert_null(usj->enter_seq_long);
	expect_states(usj->enter_seq, true, true, wv, hold, 5);
	/* from idle the first state is no change: the stream starts at (1,0) */
	expect_states(usj->enter_seq, false, false, wv + 1, hold + 1, 4);
	/*
	 * esptool's USBJTAGSerialReset, one call per line, is the same stream
	 * from idle (kernel-breadth.md §2.3 [I], checked here); from the open
	 * state (1,1) its first call adds a (1,0) of no duration, which sets the
	 * force-download flag the next state clears again.
	 */
	expect_states("R0|D0|W0.1|D1|R0|W0.1|R1|D0|R1|W0.1|D0|R0", false, false, wv + 1, hold + 1, 4);
	expect_states("R0|D0|W0.1|D1|R0|W0.1|R1|D0|R1|W0.1|D0|R0", true, true,
		      (const uint8_t[]){ 0x01, 0x00, 0x01, 0x03, 0x02, 0x00 },
		      (const uint32_t[]){ 0, 100, 100, 0, 100 }, 6);
	/* the reset: RTS for 0.1 s (esptool HardReset) */
	expect_states(usj->reset_seq, false, false, (const uint8_t[]){ 0x02, 0x00 }, (const uint32_t[]){ 100 }, 2);
}

static void classic_sequences_on_the_wire(void **state)
{
	static const uint8_t wv[] = { 0x02, 0x01, 0x00 };
	const struct link_row *ch = link_by_name("ch341");

	(void)state;
	expect_states(ch->enter_seq, true, true, wv, (const uint32_t[]){ 100, 50 }, 3);
	expect_states(ch->enter_seq_long, true, true, wv, (const uint32_t[]){ 100, 550 }, 3);
	expect_states(ch->reset_seq, false, false, (const uint8_t[]){ 0x02, 0x00 }, (const uint32_t[]){ 100 }, 2);
	/*
	 * esptool's ClassicReset, one call per line, passes through (1,1)
	 * between EN low and GPIO0 low; the U steps never show an intermediate.
	 */
	expect_states("D0|R1|W0.1|D1|R0|W0.05|D0", false, false, (const uint8_t[]){ 0x02, 0x03, 0x01, 0x00 },
		      (const uint32_t[]){ 100, 0, 50 }, 4);
	/* every bridge row runs the same classic sequences, and no row but USJ re-enumerates */
	for (size_t i = 0; i < link_table_len; i++) {
		const struct link_row *r = &link_table[i];

		if (!r->enter_seq || r->reenumerates)
			continue;
		assert_string_equal(r->enter_seq, LINK_SEQ_CLASSIC);
		assert_string_equal(r->enter_seq_long, LINK_SEQ_CLASSIC_LONG);
		assert_string_equal(r->reset_seq, LINK_SEQ_CLASSIC_RESET);
	}
}

static void durations(void **state)
{
	struct link_seq s;

	(void)state;
	assert_int_equal(link_seq_parse(LINK_SEQ_USJ, &s), 0);
	assert_int_equal(link_seq_duration_ms(&s), 300);
	assert_int_equal(link_seq_parse(LINK_SEQ_CLASSIC, &s), 0);
	assert_int_equal(link_seq_duration_ms(&s), 150);
	assert_int_equal(link_seq_parse(LINK_SEQ_CLASSIC_LONG, &s), 0);
	assert_int_equal(link_seq_duration_ms(&s), 650);
}

/* The ESP32-S2 ROM's OTG port: no sequence at all, never a re-enumeration. */
static void s2_otg_has_no_sequences(void **state)
{
	struct link_facts f = { .usb_driver = "cdc_acm", .have_id = true, .id = { 0x303a, 0x0002 },
				.interface = 0 };
	const struct link_row *r = link_classify(&f, NULL);

	(void)state;
	assert_non_null(r);
	assert_null(r->enter_seq);
	assert_null(r->reset_seq);
	assert_false(r->reenumerates);
}

/* FTDI: RTS is ignored under RTS/CTS flow control; the row says so. */
static void ftdi_row_notes_crtscts(void **state)
{
	(void)state;
	for (size_t i = 0; i < link_table_len; i++)
		assert_int_equal(link_table[i].rts_needs_no_crtscts, strcmp(link_table[i].link, "ftdi") == 0);
}

/* ---- finding a port again (userspace/refind.c) ---- */

static void refind_matches_the_board(void **state)
{
	struct refind_id id = { .serial = "AA:BB:CC:DD:EE:FF", .usb_path = "1-2.3",
				.id_path = "pci-0000:00:14.0-usb-0:2.3:1.0" };
	struct refind_id noserial = { .usb_path = "1-2.3", .id_path = "pci-0000:00:14.0-usb-0:2.3:1.0" };
	struct refind_id none = { .path = "/dev/pts/3" };

	(void)state;
	/* the serial number (the MAC on USB-Serial/JTAG) decides when both have one */
	assert_true(refind_same_board(&id, NULL, "AA:BB:CC:DD:EE:FF", "1-4"));
	assert_false(refind_same_board(&id, "pci-0000:00:14.0-usb-0:2.3:1.0", "11:22:33:44:55:66", "1-2.3"));
	/* else the USB port path, else ID_PATH */
	assert_true(refind_same_board(&id, NULL, NULL, "1-2.3"));
	assert_true(refind_same_board(&noserial, NULL, "AA:BB:CC:DD:EE:FF", "1-2.3"));
	assert_false(refind_same_board(&noserial, NULL, "", "1-2.4"));
	assert_true(refind_same_board(&noserial, "pci-0000:00:14.0-usb-0:2.3:1.0", NULL, NULL));
	assert_false(refind_same_board(&noserial, "pci-0000:00:14.0-usb-0:2.4:1.0", NULL, ""));
	/* nothing known: never a match (a pty is found again only through its link) */
	assert_false(refind_same_board(&none, "x", "y", "z"));
	assert_false(refind_same_board(&id, NULL, NULL, NULL));
}

/* A link that comes back is seen by inotify, within the bound; one that does not times out. */
static void refind_waits_for_the_link(void **state)
{
	char dir[] = "/tmp/espwipe-refind-XXXXXX", target[PATH_MAX], got[PATH_MAX];
	struct refind_id id = { 0 };
	struct refind *r;
	int pfd[2];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(id.path, sizeof(id.path), "%s/board", dir);
	assert_int_equal(symlink("/dev/null", id.path), 0);
	assert_int_equal(refind_arm(&r, &id), 0);
	/* nothing happens: -ETIMEDOUT after the bound */
	assert_int_equal(refind_wait(r, 50, -1, got, sizeof(got)), -ETIMEDOUT);
	/* the link is replaced (espemu, or udev's by-id link) */
	assert_int_equal(unlink(id.path), 0);
	assert_int_equal(symlink("/dev/zero", id.path), 0);
	assert_int_equal(refind_wait(r, 1000, -1, got, sizeof(got)), 0);
	assert_string_equal(got, id.path);
	assert_non_null(realpath(got, target));
	assert_string_equal(target, "/dev/zero");
	/* drained: an old event does not count for the next reset */
	assert_int_equal(unlink(id.path), 0);
	assert_int_equal(symlink("/dev/null", id.path), 0);
	refind_drain(r);
	assert_int_equal(refind_wait(r, 30, -1, got, sizeof(got)), -ETIMEDOUT);
	/* a stop signal ends the wait at once */
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(write(pfd[1], "", 1), 1);
	assert_int_equal(refind_wait(r, 5000, pfd[0], got, sizeof(got)), -EINTR);
	close(pfd[0]);
	close(pfd[1]);
	refind_free(r);
	unlink(id.path);
	rmdir(dir);
	/* a plain node nothing identifies can be watched by name; nothing at all: -ENOENT */
	snprintf(id.path, sizeof(id.path), "/nonexistent-dir-espwipe/ttyACM0");
	assert_int_equal(refind_arm(&r, &id), -ENOENT);
	assert_null(r);
}

int unit_links_tests(int *total)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_rows_are_complete),
		cmocka_unit_test(link_words_once_each),
		cmocka_unit_test(classify_every_kind),
		cmocka_unit_test(classify_says_why),
		cmocka_unit_test(usb_ids_parse),
		cmocka_unit_test(grammar_matches_the_module),
		cmocka_unit_test(grammar_limits),
		cmocka_unit_test(usj_sequence_on_the_wire),
		cmocka_unit_test(classic_sequences_on_the_wire),
		cmocka_unit_test(durations),
		cmocka_unit_test(s2_otg_has_no_sequences),
		cmocka_unit_test(ftdi_row_notes_crtscts),
		cmocka_unit_test(refind_matches_the_board),
		cmocka_unit_test(refind_waits_for_the_link),
	};

	return UNIT_RUN_GROUP("links", tests, total);
}
