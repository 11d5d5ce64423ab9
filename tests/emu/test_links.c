// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of libespemu's links under a fake clock: the two-transistor
 * circuit against the USB-Serial/JTAG peripheral's own DTR/RTS decode, and
 * the USB device leaving the bus and coming back.
 *
 * The sequences are written here again from the fact sheet (family sheet
 * §8.1, esptool's reset.py v5.2.0) as the (DTR,RTS) states Linux sends, one
 * SET_CONTROL_LINE_STATE per change: not taken from espwipe's link table, so
 * the table is checked against them by the integration tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "espemu.h"
#include "test_rig.h"

/* The chips with a USB-Serial/JTAG (family sheet §8.2). */
static const enum emu_chip usj_chips[] = {
	EMU_CHIP_ESP32S3, EMU_CHIP_ESP32C3, EMU_CHIP_ESP32C5, EMU_CHIP_ESP32C6,
	EMU_CHIP_ESP32C61, EMU_CHIP_ESP32H2, EMU_CHIP_ESP32P4,
};
#define NUSJ (sizeof(usj_chips) / sizeof(usj_chips[0]))

/* One line state, then a hold (ms). */
struct state {
	bool dtr, rts;
	unsigned int hold_ms;
};

/* esptool USBJTAGSerialReset on Linux: (0,0) 100, (1,0) 100, (1,1), (0,1) 100, (0,0). */
static const struct state usj_seq[] = {
	{ 0, 0, 100 }, { 1, 0, 100 }, { 1, 1, 0 }, { 0, 1, 100 }, { 0, 0, 0 },
};
/* esptool ClassicReset / espwipe's classic: (0,1) 100, (1,0) 50, (0,0). */
static const struct state classic_seq[] = {
	{ 0, 1, 100 }, { 1, 0, 50 }, { 0, 0, 0 },
};
/* esptool UnixTightReset: (0,0), (1,1), (0,1) 100, (1,0) 50, (0,0). */
static const struct state tight_seq[] = {
	{ 0, 0, 0 }, { 1, 1, 0 }, { 0, 1, 100 }, { 1, 0, 50 }, { 0, 0, 0 },
};
/* What esptool's comment avoids: (1,0) then (0,0) then (0,1). */
static const struct state through_idle_seq[] = {
	{ 0, 0, 100 }, { 1, 0, 100 }, { 0, 0, 0 }, { 0, 1, 100 }, { 0, 0, 0 },
};

static void play(struct rig *r, const struct state *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		emu_set_lines(r->e, s[i].dtr, s[i].rts, r->t);
		run_to(r, r->t + s[i].hold_ms * MS);
	}
	run_to(r, r->t + 200 * MS); /* boot_delay and more */
}

static void cfg_usj(struct emu_config *c, enum emu_chip chip, enum emu_mode start)
{
	cfg_quiet(c);
	c->chip = chip;
	c->link_mode = EMU_LINK_USJ;
	c->start_mode = start;
}

/* SYNC answered: the ROM loader listens. */
static bool answers_sync(struct rig *r)
{
	r->rx_len = 0;
	send_sync(r);
	run_to(r, r->t + 50 * MS);
	return rig_frames(r) > 0;
}

static struct rig *usj_rig(enum emu_chip chip, enum emu_mode start)
{
	struct emu_config c;

	cfg_usj(&c, chip, start);
	return rig_new(&c);
}

static void test_usj_esptool_sequence_enters_loader(void **state)
{
	(void)state;
	for (size_t k = 0; k < NUSJ; k++) {
		struct rig *r = usj_rig(usj_chips[k], EMU_MODE_APP);
		struct emu_stats st;

		assert_int_equal(emu_mode(r->e), EMU_MODE_APP);
		play(r, usj_seq, sizeof(usj_seq) / sizeof(usj_seq[0]));
		emu_get_stats(r->e, &st);
		assert_int_equal(emu_mode(r->e), EMU_MODE_LOADER);
		assert_int_equal(st.usj_resets, 1);
		assert_int_equal(st.usj_download_resets, 1);
		assert_int_equal(st.boots_loader, 1);
		assert_true(answers_sync(r));
		rig_free(r);
	}
}

static void expect_app_after(const struct state *s, size_t n, unsigned long resets)
{
	for (size_t k = 0; k < NUSJ; k++) {
		struct rig *r = usj_rig(usj_chips[k], EMU_MODE_APP);
		struct emu_stats st;

		play(r, s, n);
		emu_get_stats(r->e, &st);
		assert_int_equal(emu_mode(r->e), EMU_MODE_APP);
		assert_int_equal(st.usj_resets, resets);
		assert_int_equal(st.usj_download_resets, 0);
		assert_false(answers_sync(r));
		rig_free(r);
	}
}

static void test_usj_classic_sequence_resets_into_app(void **state)
{
	(void)state;
	expect_app_after(classic_seq, sizeof(classic_seq) / sizeof(classic_seq[0]), 1);
}

static void test_usj_unix_tight_resets_into_app(void **state)
{
	(void)state;
	expect_app_after(tight_seq, sizeof(tight_seq) / sizeof(tight_seq[0]), 1);
}

static void test_usj_through_idle_clears_the_flag(void **state)
{
	(void)state;
	expect_app_after(through_idle_seq, sizeof(through_idle_seq) / sizeof(through_idle_seq[0]), 1);
}

static void test_usj_both_asserted_does_nothing(void **state)
{
	static const struct state s[] = { { 1, 1, 100 }, { 0, 0, 100 }, { 1, 1, 100 } };
	struct rig *r = usj_rig(EMU_CHIP_ESP32C3, EMU_MODE_APP);
	struct emu_stats st;

	(void)state;
	play(r, s, 3);
	emu_get_stats(r->e, &st);
	assert_int_equal(st.usj_resets, 0);
	assert_int_equal(st.resets, 0);
	assert_int_equal(emu_mode(r->e), EMU_MODE_APP);
	rig_free(r);
}

/* A USJ reset is a core reset: the straps are not read again (family sheet §8.4). */
static void test_usj_reset_keeps_strapped_download_mode(void **state)
{
	struct rig *r = usj_rig(EMU_CHIP_ESP32S3, EMU_MODE_LOADER);
	struct emu_stats st;

	(void)state;
	play(r, classic_seq, sizeof(classic_seq) / sizeof(classic_seq[0]));
	emu_get_stats(r->e, &st);
	assert_int_equal(st.usj_resets, 1);
	assert_int_equal(st.usj_download_resets, 0);
	assert_int_equal(emu_mode(r->e), EMU_MODE_LOADER);
	rig_free(r);
}

/* The same sequences on a bridge board: only the classic ones enter the loader. */
static void test_bridge_circuit_wants_the_classic_sequence(void **state)
{
	static const struct {
		const struct state *s;
		size_t n;
		enum emu_mode mode;
	} cases[] = {
		{ classic_seq, sizeof(classic_seq) / sizeof(classic_seq[0]), EMU_MODE_LOADER },
		{ tight_seq, sizeof(tight_seq) / sizeof(tight_seq[0]), EMU_MODE_LOADER },
		{ usj_seq, sizeof(usj_seq) / sizeof(usj_seq[0]), EMU_MODE_APP },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct emu_config c;
		struct rig *r;

		cfg_quiet(&c);
		c.chip = EMU_CHIP_ESP32C3;
		c.start_mode = EMU_MODE_APP;
		r = rig_new(&c);
		play(r, cases[i].s, cases[i].n);
		assert_int_equal(emu_mode(r->e), cases[i].mode);
		rig_free(r);
	}
}

static void test_usj_reenumerates(void **state)
{
	struct emu_config c;
	struct emu_stats st;
	struct rig *r;
	uint64_t t_reset;

	(void)state;
	cfg_usj(&c, EMU_CHIP_ESP32C3, EMU_MODE_APP);
	c.reenumerate = EMU_REENUM_ON;
	c.detach_delay_us = 20000;
	c.reenumerate_us = 300000;
	r = rig_new(&c);
	assert_true(emu_usb_present(r->e));
	assert_int_equal(emu_usb_generation(r->e), 0);
	/* up to the reset */
	for (size_t i = 0; i < 4; i++) {
		emu_set_lines(r->e, usj_seq[i].dtr, usj_seq[i].rts, r->t);
		if (i < 3)
			run_to(r, r->t + usj_seq[i].hold_ms * MS);
	}
	t_reset = r->t;
	/* electrically gone at once, though the host still sees the device */
	run_to(r, t_reset + 2 * MS);
	r->rx_len = 0;
	send_sync(r);
	run_to(r, t_reset + 19 * MS);
	assert_true(emu_usb_present(r->e));
	emu_get_stats(r->e, &st);
	assert_int_equal(st.sync_frames, 0);
	assert_int_equal(r->rx_len, 0);
	assert_int_equal(emu_next_event_us(r->e) <= t_reset + 20 * MS, true);
	run_to(r, t_reset + 20 * MS);
	assert_false(emu_usb_present(r->e));
	r->rx_len = 0;
	/* off the bus: what the host sends and sets is lost, and it says nothing */
	emu_set_lines(r->e, 0, 0, r->t);
	send_sync(r);
	run_to(r, r->t + 100 * MS);
	emu_get_stats(r->e, &st);
	assert_int_equal(st.usb_detaches, 1);
	assert_int_equal(st.lines_lost, 1);
	assert_true(st.bytes_dropped > 36);
	assert_int_equal(r->rx_len, 0);
	assert_int_equal(st.sync_frames, 0);
	/* back 300 ms after it left, in its loader, as a new device */
	run_to(r, t_reset + 319 * MS);
	assert_false(emu_usb_present(r->e));
	run_to(r, t_reset + 320 * MS);
	assert_true(emu_usb_present(r->e));
	assert_int_equal(emu_usb_generation(r->e), 1);
	assert_int_equal(emu_mode(r->e), EMU_MODE_LOADER);
	assert_true(answers_sync(r));
	emu_get_stats(r->e, &st);
	assert_int_equal(st.usb_attaches, 1);
	/* its lines start idle: a hard reset (RTS) now resets it into the application */
	emu_set_lines(r->e, 0, 1, r->t);
	run_to(r, r->t + 100 * MS);
	emu_set_lines(r->e, 0, 0, r->t);
	run_to(r, r->t + 100 * MS);
	emu_get_stats(r->e, &st);
	assert_int_equal(st.usj_resets, 2);
	assert_int_equal(emu_mode(r->e), EMU_MODE_APP);
	rig_free(r);
}

static void test_usj_gone_for_good(void **state)
{
	struct emu_config c;
	struct rig *r;

	(void)state;
	cfg_usj(&c, EMU_CHIP_ESP32S3, EMU_MODE_APP);
	c.reenumerate = EMU_REENUM_GONE;
	r = rig_new(&c);
	play(r, usj_seq, sizeof(usj_seq) / sizeof(usj_seq[0]));
	run_to(r, r->t + 10 * SEC);
	assert_false(emu_usb_present(r->e));
	assert_int_equal(emu_usb_generation(r->e), 0);
	assert_int_equal(emu_next_event_us(r->e) > r->t, true);
	rig_free(r);
}

/* The reset that makes it leave is the one through the lines; nothing else does. */
static void test_usj_stays_without_a_reset(void **state)
{
	struct emu_config c;
	struct rig *r;

	(void)state;
	cfg_usj(&c, EMU_CHIP_ESP32C6, EMU_MODE_LOADER);
	c.reenumerate = EMU_REENUM_ON;
	r = rig_new(&c);
	emu_set_lines(r->e, 1, 1, r->t);
	run_to(r, r->t + SEC);
	assert_true(answers_sync(r));
	assert_true(emu_usb_present(r->e));
	rig_free(r);
}

static void test_link_config_checks(void **state)
{
	static const char *const no_usj[] = { "esp8266", "esp8285", "esp32", "esp32s2", "esp32c2" };
	struct emu_config c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(no_usj) / sizeof(no_usj[0]); i++) {
		emu_config_defaults(&c);
		assert_int_equal(emu_config_set(&c, "chip", no_usj[i], err, sizeof(err)), 0);
		assert_int_equal(emu_config_set(&c, "link-mode", "usb-serial-jtag", err, sizeof(err)), 0);
		assert_int_equal(emu_config_check(&c, err, sizeof(err)), -1);
		assert_null(emu_new(&c, 0));
	}
	emu_config_defaults(&c);
	assert_int_equal(emu_config_set(&c, "chip", "esp32c3", err, sizeof(err)), 0);
	assert_int_equal(emu_config_set(&c, "link-mode", "usb-serial-jtag", err, sizeof(err)), 0);
	assert_int_equal(c.link_mode, EMU_LINK_USJ);
	assert_int_equal(emu_config_check(&c, err, sizeof(err)), 0);
	assert_int_equal(emu_config_set(&c, "link-mode", "bridge", err, sizeof(err)), 0);
	assert_int_equal(emu_config_set(&c, "reenumerate", "on", err, sizeof(err)), 0);
	assert_int_equal(emu_config_check(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "link-mode=usb-serial-jtag"));
	assert_int_equal(emu_config_set(&c, "reenumerate", "sometimes", err, sizeof(err)), -1);
	assert_int_equal(emu_config_set(&c, "link-mode", "ftdi", err, sizeof(err)), -1);
	assert_int_equal(emu_config_set(&c, "reenumerate", "gone", err, sizeof(err)), 0);
	assert_int_equal(c.reenumerate, EMU_REENUM_GONE);
	assert_int_equal(emu_config_set(&c, "reenumerate-us", "250000", err, sizeof(err)), 0);
	assert_int_equal(c.reenumerate_us, 250000);
}

/* The ROM reached over USB-Serial/JTAG says so in UARTDEV_BUF_NO (C3 rev v0.4: 0x3FCDF07C = 3). */
static void test_usj_link_sets_uartdev(void **state)
{
	struct rig *r = usj_rig(EMU_CHIP_ESP32C3, EMU_MODE_LOADER);
	uint8_t d[4];
	size_t n;

	(void)state;
	put32(d, 0x3FCDF07C);
	r->rx_len = 0;
	send_req(r, 0x0A, d, 4, 0);
	run_to(r, r->t + 5 * MS);
	n = rig_frames(r);
	assert_int_equal(n, 1);
	assert_int_equal(get32(r->f[0] + 4) & 0xFF, 3);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usj_esptool_sequence_enters_loader),
		cmocka_unit_test(test_usj_classic_sequence_resets_into_app),
		cmocka_unit_test(test_usj_unix_tight_resets_into_app),
		cmocka_unit_test(test_usj_through_idle_clears_the_flag),
		cmocka_unit_test(test_usj_both_asserted_does_nothing),
		cmocka_unit_test(test_usj_reset_keeps_strapped_download_mode),
		cmocka_unit_test(test_bridge_circuit_wants_the_classic_sequence),
		cmocka_unit_test(test_usj_reenumerates),
		cmocka_unit_test(test_usj_gone_for_good),
		cmocka_unit_test(test_usj_stays_without_a_reset),
		cmocka_unit_test(test_link_config_checks),
		cmocka_unit_test(test_usj_link_sets_uartdev),
	};

	return cmocka_run_group_tests_name("libespemu links", tests, NULL, NULL);
}
