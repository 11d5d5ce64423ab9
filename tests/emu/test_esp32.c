// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of libespemu's ESP32-family ROM models under a fake clock:
 * reply bytes (4 status bytes), security info, Secure Download Mode,
 * SPI_ATTACH / SPI_SET_PARAMS / the 2 MiB default, FLASH_BEGIN's exact
 * erase and its walk, SPI_FLASH_MD5 values and timing, refused opcodes,
 * eFuse MAC and revision decoding, watchdogs, banners, faults.
 *
 * Addresses and decoding rules are written here again from the fact sheet
 * (esp32-family-rom.md §0.2, §6) and esptool's target files, not taken from
 * the emulator's table, so the table is checked against the facts.  MD5
 * values were computed with Python's hashlib.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "espemu.h"
#include "test_rig.h"

#define MIB (1u << 20)
#define FMAX RIG_FMAX
#define NF RIG_NF

static const enum emu_chip family[] = {
	EMU_CHIP_ESP32,   EMU_CHIP_ESP32S2, EMU_CHIP_ESP32S3,  EMU_CHIP_ESP32C2,
	EMU_CHIP_ESP32C3, EMU_CHIP_ESP32C5, EMU_CHIP_ESP32C6,  EMU_CHIP_ESP32C61,
	EMU_CHIP_ESP32H2, EMU_CHIP_ESP32P4,
};
#define NFAMILY (sizeof(family) / sizeof(family[0]))

static void cfg_chip(struct emu_config *c, enum emu_chip chip)
{
	cfg_quiet(c);
	c->chip = chip;
}

static struct rig *rig_chip(enum emu_chip chip)
{
	struct emu_config c;

	cfg_chip(&c, chip);
	return rig_new(&c);
}

/* Decode the collected bytes into r->f / r->len; returns the count. */
static size_t frames(struct rig *r)
{
	return rig_frames(r);
}

/* Send, let `wait` pass, expect exactly one frame: returns it. */
static const uint8_t *xact_wait(struct rig *r, uint8_t op, const uint8_t *d, size_t n,
				uint32_t csum, uint64_t wait, size_t *len)
{
	r->rx_len = 0;
	send_req(r, op, d, n, csum);
	run_to(r, r->t + wait);
	assert_int_equal(frames(r), 1);
	*len = r->len[0];
	return r->f[0];
}

static const uint8_t *xact(struct rig *r, uint8_t op, const uint8_t *d, size_t n, size_t *len)
{
	return xact_wait(r, op, d, n, 0, 5 * MS, len);
}

/* The reply to op has no data and status (err ? 01 err : 00 00) then 00 00. */
static void expect_status(struct rig *r, uint8_t op, const uint8_t *d, size_t n, uint8_t err)
{
	size_t len;
	const uint8_t *f = xact(r, op, d, n, &len);

	assert_int_equal(len, 12);
	assert_int_equal(f[0], 0x01);
	assert_int_equal(f[1], op);
	assert_int_equal(f[2], 4);
	assert_int_equal(f[3], 0);
	assert_int_equal(f[8], err ? 1 : 0);
	assert_int_equal(f[9], err);
	assert_int_equal(f[10], 0);
	assert_int_equal(f[11], 0);
}

/* The unsupported pattern: 8 frames under prev_op with 01 05 00 00. */
static void expect_refused(struct rig *r, uint8_t op, const uint8_t *d, size_t n,
			   uint8_t prev_op)
{
	r->rx_len = 0;
	send_req(r, op, d, n, 0);
	run_to(r, r->t + 50 * MS);
	assert_int_equal(frames(r), 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(r->len[i], 12);
		assert_int_equal(r->f[i][0], 0x01);
		assert_int_equal(r->f[i][1], prev_op);
		assert_int_equal(r->f[i][2], 4);
		assert_int_equal(r->f[i][8], 0x01);
		assert_int_equal(r->f[i][9], 0x05);
		assert_int_equal(r->f[i][10], 0);
		assert_int_equal(r->f[i][11], 0);
	}
}

static void sync_chip(struct rig *r)
{
	uint8_t d[36];

	put32(d, 0x20120707);
	memset(d + 4, 0x55, 32);
	r->rx_len = 0;
	send_req(r, 0x08, d, sizeof(d), 0);
	run_to(r, r->t + 20 * MS);
	assert_int_equal(frames(r), 8);
}

static uint32_t read_reg(struct rig *r, uint32_t addr)
{
	uint8_t d[4];
	size_t len;
	const uint8_t *f;

	put32(d, addr);
	f = xact(r, 0x0A, d, 4, &len);
	assert_int_equal(len, 12);
	assert_int_equal(f[8], 0);
	return get32(f + 4);
}

static void write_reg(struct rig *r, uint32_t addr, uint32_t v)
{
	uint8_t d[16] = { 0 };

	put32(d, addr);
	put32(d + 4, v);
	put32(d + 8, 0xFFFFFFFF);
	expect_status(r, 0x09, d, 16, 0);
}

static void attach(struct rig *r)
{
	uint8_t d[8] = { 0 };

	expect_status(r, 0x0D, d, 8, 0);
}

static void set_params(struct rig *r, uint32_t size)
{
	uint8_t d[24];

	put32(d, 0);
	put32(d + 4, size);
	put32(d + 8, 0x10000);
	put32(d + 12, 0x1000);
	put32(d + 16, 0x100);
	put32(d + 20, 0xFFFF);
	expect_status(r, 0x0B, d, 24, 0);
}

static size_t begin_data(uint8_t d[20], uint32_t size, uint32_t off, unsigned int words)
{
	memset(d, 0, 20);
	put32(d, size);
	put32(d + 4, (size + 0x3FF) / 0x400);
	put32(d + 8, 0x400);
	put32(d + 12, off);
	return 4u * words;
}

static unsigned int words_of(enum emu_chip chip)
{
	return chip == EMU_CHIP_ESP32 ? 4 : 5;
}

/* FLASH_BEGIN with a long enough wait for any erase; returns the status error. */
static uint8_t flash_begin(struct rig *r, enum emu_chip chip, uint32_t size, uint32_t off)
{
	uint8_t d[20];
	size_t n = begin_data(d, size, off, words_of(chip)), len;
	const uint8_t *f = xact_wait(r, 0x02, d, n, 0, 300 * SEC, &len);

	assert_int_equal(len, 12);
	assert_int_equal(f[1], 0x02);
	return f[9];
}

/* ---------------------------------------------------- reply format */

static void test_status_bytes_layout(void **state)
{
	(void)state;
	for (size_t k = 0; k < NFAMILY; k++) {
		struct rig *r = rig_chip(family[k]);
		static const uint8_t sync_exp[12] = { 0x01, 0x08, 0x04, 0x00, 0x07, 0x07,
						      0x12, 0x20, 0, 0, 0, 0 };
		uint8_t d[4];
		size_t len;
		const uint8_t *f;

		sync_chip(r);
		for (int i = 0; i < 8; i++) {
			assert_int_equal(r->len[i], 12);
			assert_memory_equal(r->f[i], sync_exp, 12);
		}
		/* READ_REG: the value in the header, 00 00 00 00 after it */
		put32(d, 0x40001000);
		f = xact(r, 0x0A, d, 4, &len);
		assert_int_equal(len, 12);
		assert_memory_equal(f, "\x01\x0a\x04\x00", 4);
		assert_memory_equal(f + 8, "\x00\x00\x00\x00", 4);
		/* a stale value: the next reply repeats the last READ_REG result */
		put32(d, 0x40001000);
		expect_status(r, 0x0D, (const uint8_t *)"\0\0\0\0\0\0\0\0", 8, 0);
		assert_int_equal(get32(r->f[0] + 4), get32(f + 4));
		/* a length field that disagrees with the data: 01 05 00 00 */
		expect_status(r, 0x0A, d, 3, 0x05);
		rig_free(r);
	}
}

static void test_magic_words(void **state)
{
	static const struct {
		enum emu_chip chip;
		uint32_t magic;
	} m[] = {
		{ EMU_CHIP_ESP8266EX, 0xFFF0C101 }, { EMU_CHIP_ESP32, 0x00F01D83 },
		{ EMU_CHIP_ESP32S2, 0x000007C6 },   { EMU_CHIP_ESP32C6, 0x2CE0806F },
		{ EMU_CHIP_ESP32H2, 0xD7B73E80 },
	};
	struct emu_config c;
	char err[128];

	(void)state;
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		struct rig *r = rig_chip(m[k].chip);

		if (m[k].chip != EMU_CHIP_ESP8266EX)
			assert_int_equal(read_reg(r, 0x40001000), m[k].magic);
		rig_free(r);
	}
	/* `magic` still overrides, for the ESP8266 model's refusal tests */
	cfg_chip(&c, EMU_CHIP_ESP32C3);
	assert_int_equal(emu_config_set(&c, "magic", "0x00F01D83", err, sizeof(err)), 0);
	{
		struct rig *r = rig_new(&c);

		assert_int_equal(read_reg(r, 0x40001000), 0x00F01D83);
		rig_free(r);
	}
}

/* ------------------------------------------------ GET_SECURITY_INFO */

static void test_security_info(void **state)
{
	static const uint32_t ids[] = { 0, 2, 9, 12, 5, 23, 13, 20, 16, 18 };

	(void)state;
	for (size_t k = 0; k < NFAMILY; k++) {
		struct rig *r = rig_chip(family[k]);
		size_t len;
		const uint8_t *f;

		sync_chip(r);
		if (family[k] == EMU_CHIP_ESP32) {
			/* the ESP32 ROM has no 0x14: refused under the previous op (SYNC) */
			expect_refused(r, 0x14, NULL, 0, 0x08);
			rig_free(r);
			continue;
		}
		f = xact(r, 0x14, NULL, 0, &len);
		assert_int_equal(f[0], 0x01);
		assert_int_equal(f[1], 0x14);
		if (family[k] == EMU_CHIP_ESP32S2) {
			/* esptool-js#141: 01 14 1000 <val> then 16 zero bytes */
			assert_int_equal(len, 8 + 16);
			assert_int_equal(f[2], 0x10);
			for (size_t i = 8; i < 24; i++)
				assert_int_equal(f[i], 0);
		} else {
			assert_int_equal(len, 8 + 24);
			assert_int_equal(f[2], 0x18);
			assert_int_equal(get32(f + 8), 0);      /* flags */
			assert_int_equal(get32(f + 8 + 12), ids[k]); /* chip id */
			assert_memory_equal(f + 8 + 20, "\0\0\0\0", 4);
		}
		rig_free(r);
	}
}

static void test_security_flags_and_overrides(void **state)
{
	struct emu_config c;
	struct rig *r;
	char err[128];
	size_t len;
	const uint8_t *f;

	(void)state;
	cfg_chip(&c, EMU_CHIP_ESP32S3);
	assert_int_equal(emu_config_set(&c, "sdm", "1", err, sizeof(err)), 0);
	assert_int_equal(emu_config_set(&c, "secure-boot", "1", err, sizeof(err)), 0);
	assert_int_equal(emu_config_set(&c, "flash-crypt-cnt", "1", err, sizeof(err)), 0);
	assert_int_equal(emu_config_set(&c, "chip-id", "77", err, sizeof(err)), 0);
	r = rig_new(&c);
	f = xact(r, 0x14, NULL, 0, &len);
	assert_int_equal(len, 32);
	assert_int_equal(get32(f + 8), 0x5); /* SECURE_BOOT_EN | SECURE_DOWNLOAD_ENABLE */
	assert_int_equal(f[12], 1);          /* flash_crypt_cnt */
	assert_int_equal(get32(f + 20), 77);
	rig_free(r);

	/* outside SDM the eFuses say the same: S3 crypt cnt 0x60007034[20:18], SB [20] */
	cfg_chip(&c, EMU_CHIP_ESP32S3);
	c.secure_boot = true;
	c.flash_crypt_cnt = 3;
	r = rig_new(&c);
	assert_int_equal((read_reg(r, 0x60007034) >> 18) & 7, 3);
	assert_int_equal((read_reg(r, 0x60007038) >> 20) & 1, 1);
	rig_free(r);
	/* ESP32: FLASH_CRYPT_CNT in BLK0 word 0 [26:20], ABS_DONE_0 at 0x3FF5A018 bit 4 */
	cfg_chip(&c, EMU_CHIP_ESP32);
	c.secure_boot = true;
	c.flash_crypt_cnt = 1;
	r = rig_new(&c);
	assert_int_equal((read_reg(r, 0x3FF5A000) >> 20) & 0x7F, 1);
	assert_int_equal((read_reg(r, 0x3FF5A018) >> 4) & 1, 1);
	rig_free(r);
}

/* --------------------------------------------- Secure Download Mode */

static void test_sdm_refusals(void **state)
{
	static const uint8_t refused[] = { 0x0A, 0x09, 0x05, 0x06, 0x07, 0x13, 0x0E, 0x10 };
	uint8_t d[24] = { 0 };
	struct emu_config c;
	struct emu_stats st;
	struct rig *r;

	(void)state;
	cfg_chip(&c, EMU_CHIP_ESP32C3);
	c.sdm = true;
	r = rig_new(&c);
	sync_chip(r);
	for (size_t i = 0; i < sizeof(refused); i++) {
		size_t n = refused[i] == 0x0A ? 4 : refused[i] == 0x0E ? 8 : 16;

		expect_refused(r, refused[i], d, n, 0x08);
	}
	emu_get_stats(r->e, &st);
	assert_int_equal(st.unsupported, sizeof(refused));
	/* what SDM allows */
	attach(r);
	set_params(r, 4 * MIB);
	put32(d, 115200);
	put32(d + 4, 0);
	expect_status(r, 0x0F, d, 8, 0);
	assert_int_equal(flash_begin(r, EMU_CHIP_ESP32C3, 0x2000, 0x10000), 0);
	/* refused ops now come back under the last supported op */
	expect_refused(r, 0x0A, d, 4, 0x02);
	rig_free(r);
}

/* ---------------------------------------- SPI_ATTACH, SPI_SET_PARAMS */

static void test_attach_params_and_2mib_limit(void **state)
{
	(void)state;
	for (size_t k = 0; k < NFAMILY; k++) {
		enum emu_chip chip = family[k];
		struct emu_config c;
		struct emu_stats st;
		struct rig *r;
		const struct emu_erase_event *ev;
		uint8_t err_limit = chip == EMU_CHIP_ESP32 ? 0x06 : 0x64;

		cfg_chip(&c, chip);
		c.flash_prefill = true;
		r = rig_new(&c);
		/* before SPI_ATTACH every flash operation fails [?]: 01 06 */
		assert_int_equal(flash_begin(r, chip, 0x1000, 0), 0x06);
		/* the stub's 4-byte SPI_ATTACH is refused by the ROM [?] */
		expect_status(r, 0x0D, (const uint8_t *)"\0\0\0\0", 4, 0x05);
		attach(r);
		/* the ROM's chip_size is 2 MiB: past it 0106 (ESP32) / 0164 */
		emu_get_stats(r->e, &st);
		assert_int_equal(st.rom_chip_size, 2 * MIB);
		assert_int_equal(flash_begin(r, chip, 4 * MIB, 0), err_limit);
		assert_int_equal(flash_begin(r, chip, 0x2000, 2 * MIB - 0x1000), err_limit);
		assert_int_equal(emu_erase_events(r->e, &ev), 0);
		/* 2 MiB at 0 still works */
		assert_int_equal(flash_begin(r, chip, 0x1000, 2 * MIB - 0x1000), 0);
		set_params(r, 4 * MIB);
		emu_get_stats(r->e, &st);
		assert_int_equal(st.rom_chip_size, 4 * MIB);
		assert_int_equal(flash_begin(r, chip, 0x3000, 3 * MIB), 0);
		assert_int_equal(emu_erase_events(r->e, &ev), 4);
		assert_true(emu_flash_is_blank(r->e, 3 * MIB, 0x3000));
		rig_free(r);
	}
}

/* ------------------------------------------------------ FLASH_BEGIN */

static void test_flash_begin_exact_and_walk(void **state)
{
	(void)state;
	for (size_t k = 0; k < NFAMILY; k++) {
		enum emu_chip chip = family[k];
		struct emu_config c;
		struct emu_stats st;
		struct rig *r;
		const struct emu_erase_event *ev;
		size_t n;
		uint8_t d[20];

		cfg_chip(&c, chip);
		c.flash_prefill = true;
		r = rig_new(&c);
		attach(r);
		/* 0x11000 + 0x23000: 15 sectors to 0x20000, one block, 4 sectors */
		assert_int_equal(flash_begin(r, chip, 0x23000, 0x11000), 0);
		n = emu_erase_events(r->e, &ev);
		assert_int_equal(n, 15 + 1 + 4);
		for (size_t i = 0; i < 15; i++) {
			assert_int_equal(ev[i].kind, 'S');
			assert_int_equal(ev[i].offset, 0x11000 + 0x1000 * i);
		}
		assert_int_equal(ev[15].kind, 'B');
		assert_int_equal(ev[15].offset, 0x20000);
		for (size_t i = 16; i < 20; i++) {
			assert_int_equal(ev[i].kind, 'S');
			assert_int_equal(ev[i].offset, 0x30000 + 0x1000 * (i - 16));
		}
		/* exactly the range: no erase-size bug, neighbours untouched */
		assert_true(emu_flash_is_blank(r->e, 0x11000, 0x23000));
		assert_false(emu_flash_is_blank(r->e, 0x10000, 0x1000));
		assert_false(emu_flash_is_blank(r->e, 0x34000, 0x1000));

		/* an aligned 4 MiB: 16 sectors, 62 blocks (while > 16 remain), 16 sectors */
		set_params(r, 4 * MIB);
		assert_int_equal(flash_begin(r, chip, 4 * MIB, 0), 0);
		emu_get_stats(r->e, &st);
		assert_int_equal(st.sector_erases, 19 + 32);
		assert_int_equal(st.block_erases, 1 + 62);
		assert_true(emu_flash_is_blank(r->e, 0, 4 * MIB));

		/* the wrong word count: 01 05 [?], and the log keeps what came */
		n = begin_data(d, 0x1000, 0, chip == EMU_CHIP_ESP32 ? 5 : 4);
		{
			size_t len;
			const uint8_t *f = xact(r, 0x02, d, n, &len);
			const uint8_t *w;
			size_t nw = emu_flash_begin_words(r->e, &w);

			assert_int_equal(f[8], 1);
			assert_int_equal(f[9], 0x05);
			assert_int_equal(nw, 3);
			assert_int_equal(w[0], words_of(chip));
			assert_int_equal(w[2], chip == EMU_CHIP_ESP32 ? 5 : 4);
		}
		rig_free(r);
	}
}

static void test_flash_begin_reply_after_erase(void **state)
{
	struct rig *r = rig_chip(EMU_CHIP_ESP32C3);
	uint8_t d[20];
	size_t n;

	(void)state;
	attach(r);
	/* 0x10000 aligned, 16 sectors x 45 ms = 720 ms; nothing before that */
	n = begin_data(d, 0x10000, 0x10000, 5);
	r->rx_len = 0;
	send_req(r, 0x02, d, n, 0);
	run_to(r, r->t + 700 * MS);
	assert_int_equal(frames(r), 0);
	run_to(r, r->t + 30 * MS);
	assert_int_equal(frames(r), 1);
	assert_int_equal(r->f[0][9], 0);
	rig_free(r);
}

/* ------------------------------------------------------------- MD5 */

static void md5_of(struct rig *r, uint32_t addr, uint32_t size, char out[33], uint64_t wait)
{
	uint8_t d[16] = { 0 };
	size_t len;
	const uint8_t *f;

	put32(d, addr);
	put32(d + 4, size);
	f = xact_wait(r, 0x13, d, 16, 0, wait, &len);
	assert_int_equal(len, 8 + 32 + 4);
	assert_int_equal(f[2], 36);
	assert_memory_equal(f + 40, "\0\0\0\0", 4);
	memcpy(out, f + 8, 32);
	out[32] = '\0';
}

static void test_md5_values(void **state)
{
	(void)state;
	for (size_t k = 0; k < NFAMILY; k++) {
		enum emu_chip chip = family[k];
		struct emu_config c;
		struct rig *r;
		char md5[33];
		uint8_t blk[16 + 1024];

		cfg_chip(&c, chip);
		c.md5_us_per_mib = 0;
		r = rig_new(&c);
		attach(r);
		set_params(r, 4 * MIB);
		/* hashlib.md5(b"\xff" * (4 << 20)) */
		md5_of(r, 0, 4 * MIB, md5, 5 * MS);
		assert_string_equal(md5, "2b7a70fa59f8173635bcbe956bad56c6");
		md5_of(r, 0x1000, 0x1000, md5, 5 * MS);
		assert_string_equal(md5, "6ae59e64850377ee5470c854761551ea");
		md5_of(r, 0, 0, md5, 5 * MS);
		assert_string_equal(md5, "d41d8cd98f00b204e9800998ecf8427e");
		/* write "abc" and hash those 3 bytes */
		assert_int_equal(flash_begin(r, chip, 0x400, 0x20000), 0);
		memset(blk, 0xFF, sizeof(blk));
		memset(blk, 0, 16);
		put32(blk, 1024);
		memcpy(blk + 16, "abc", 3);
		{
			uint8_t csum = 0xEF;

			for (size_t i = 16; i < sizeof(blk); i++)
				csum ^= blk[i];
			r->rx_len = 0;
			send_req(r, 0x03, blk, sizeof(blk), csum);
			run_to(r, r->t + 5 * MS);
			assert_int_equal(frames(r), 1);
			assert_int_equal(r->f[0][8], 0);
		}
		md5_of(r, 0x20000, 3, md5, 5 * MS);
		assert_string_equal(md5, "900150983cd24fb0d6963f7d28e17f72");
		rig_free(r);
	}
}

static void test_md5_prefilled_and_timing(void **state)
{
	struct emu_config c;
	struct emu_stats st;
	struct rig *r;
	char md5[33];
	uint8_t d[16] = { 0 };

	(void)state;
	cfg_chip(&c, EMU_CHIP_ESP32H2);
	c.flash_prefill = true;
	r = rig_new(&c);
	attach(r);
	/* the prefill's first sector: 0xE9, then (i * 7 + (i >> 12)) & 0xFF */
	md5_of(r, 0, 0x1000, md5, 10 * MS);
	assert_string_equal(md5, "d48f659b11f12455936216fb707f9d69");
	/* 1 MiB at the default 500 ms/MiB: no reply at 490 ms, one at 510 */
	put32(d, 0);
	put32(d + 4, MIB);
	r->rx_len = 0;
	send_req(r, 0x13, d, 16, 0);
	run_to(r, r->t + 490 * MS);
	assert_int_equal(frames(r), 0);
	run_to(r, r->t + 20 * MS);
	assert_int_equal(frames(r), 1);
	emu_get_stats(r->e, &st);
	assert_int_equal(st.md5_requests, 2);
	assert_int_equal(st.md5_busy_us, 500000 + 1953);
	/* past chip_size (2 MiB before SPI_SET_PARAMS): 0164 [I] */
	put32(d + 4, 3 * MIB);
	expect_status(r, 0x13, d, 16, 0x64);
	rig_free(r);

	/* time-scale divides the MD5 time too */
	cfg_chip(&c, EMU_CHIP_ESP32C6);
	c.time_scale = 100;
	r = rig_new(&c);
	attach(r);
	put32(d + 4, 2 * MIB);
	r->rx_len = 0;
	send_req(r, 0x13, d, 16, 0);
	run_to(r, r->t + 9 * MS);
	assert_int_equal(frames(r), 0);
	run_to(r, r->t + 2 * MS);
	assert_int_equal(frames(r), 1);
	rig_free(r);
}

/* ------------------------------------------------ refused opcodes */

static void test_stub_opcodes_refused(void **state)
{
	uint8_t d[16] = { 0 };

	(void)state;
	for (size_t k = 0; k < NFAMILY; k++) {
		struct rig *r = rig_chip(family[k]);

		sync_chip(r);
		for (uint8_t op = 0xD0; op <= 0xD3; op++)
			expect_refused(r, op, d, op == 0xD1 ? 8 : 0, 0x08);
		/* FLASH_DEFL_* are not modelled: refused the same way */
		expect_refused(r, 0x10, d, 16, 0x08);
		rig_free(r);
	}
}

static void test_read_flash_slow(void **state)
{
	struct emu_config c;
	struct rig *r;
	uint8_t d[8];
	size_t len;
	const uint8_t *f;

	(void)state;
	cfg_chip(&c, EMU_CHIP_ESP32);
	c.flash_prefill = true;
	r = rig_new(&c);
	attach(r);
	put32(d, 0);
	put32(d + 4, 16);
	f = xact(r, 0x0E, d, 8, &len);
	assert_int_equal(len, 8 + 64 + 4);
	assert_int_equal(f[8], 0xE9);
	assert_int_equal(f[9], 7);
	assert_int_equal(f[8 + 64], 0);
	put32(d + 4, 65);
	expect_status(r, 0x0E, d, 8, 0x05);
	rig_free(r);
}

/* ------------------------------------------ SPI registers (RDID) */

struct spi_map {
	enum emu_chip chip;
	uint32_t base;
	uint32_t usr, usr2, miso_dlen, w0;
};

/* sheet §0.2 */
static const struct spi_map spi_maps[] = {
	{ EMU_CHIP_ESP32, 0x3FF42000, 0x1C, 0x24, 0x2C, 0x80 },
	{ EMU_CHIP_ESP32S2, 0x3F402000, 0x18, 0x20, 0x28, 0x58 },
	{ EMU_CHIP_ESP32S3, 0x60002000, 0x18, 0x20, 0x28, 0x58 },
	{ EMU_CHIP_ESP32C2, 0x60002000, 0x18, 0x20, 0x28, 0x58 },
	{ EMU_CHIP_ESP32C3, 0x60002000, 0x18, 0x20, 0x28, 0x58 },
	{ EMU_CHIP_ESP32C5, 0x60003000, 0x18, 0x20, 0x28, 0x58 },
	{ EMU_CHIP_ESP32C6, 0x60003000, 0x18, 0x20, 0x28, 0x58 },
	{ EMU_CHIP_ESP32C61, 0x60003000, 0x18, 0x20, 0x28, 0x58 },
	{ EMU_CHIP_ESP32H2, 0x60003000, 0x18, 0x20, 0x28, 0x58 },
	{ EMU_CHIP_ESP32P4, 0x5008D000, 0x18, 0x20, 0x28, 0x58 },
};

/* esptool's run_spiflash_command(0x9F, b"", 24) register sequence (sheet §5) */
static uint32_t rdid(struct rig *r, const struct spi_map *m)
{
	uint32_t old_usr = read_reg(r, m->base + m->usr), old_usr2 = read_reg(r, m->base + m->usr2);
	uint32_t id;

	write_reg(r, m->base + m->miso_dlen, 23);
	write_reg(r, m->base + m->usr, 0x90000000);
	write_reg(r, m->base + m->usr2, 0x7000009F);
	write_reg(r, m->base + m->w0, 0);
	write_reg(r, m->base, 1u << 18);
	assert_int_equal(read_reg(r, m->base) & (1u << 18), 0);
	id = read_reg(r, m->base + m->w0);
	write_reg(r, m->base + m->usr, old_usr);
	write_reg(r, m->base + m->usr2, old_usr2);
	return id;
}

static void test_spi_rdid_and_sfdp(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(spi_maps) / sizeof(spi_maps[0]); k++) {
		const struct spi_map *m = &spi_maps[k];
		struct rig *r = rig_chip(m->chip);

		assert_int_equal(rdid(r, m), 0xFFFFFF); /* not attached yet [?] */
		attach(r);
		assert_int_equal(rdid(r, m), 0x1640EF);
		/*
		 * SFDP byte 1 ('F'): 24-bit address, 8 dummy cycles; the address is
		 * MSB-aligned on the ESP32 and unshifted after it (SPI_ADDR_REG_MSB)
		 */
		write_reg(r, m->base + m->miso_dlen, 7);
		write_reg(r, m->base + m->usr + 4, 7 | 23u << 26);
		write_reg(r, m->base + m->usr, 0xF0000000);
		write_reg(r, m->base + m->usr2, 0x7000005A);
		write_reg(r, m->base + 4, m->chip == EMU_CHIP_ESP32 ? 1u << 8 : 1);
		write_reg(r, m->base + m->w0, 0);
		write_reg(r, m->base, 1u << 18);
		assert_int_equal(read_reg(r, m->base + m->w0) & 0xFF, 'F');
		rig_free(r);
	}
}

/* -------------------------------------------- eFuses: MAC, revision */

/* sheet §0.2: the MAC words (low, high) */
static const struct {
	enum emu_chip chip;
	uint32_t lo, hi;
} macs[] = {
	{ EMU_CHIP_ESP32, 0x3FF5A004, 0x3FF5A008 },   { EMU_CHIP_ESP32S2, 0x3F41A044, 0x3F41A048 },
	{ EMU_CHIP_ESP32S3, 0x60007044, 0x60007048 }, { EMU_CHIP_ESP32C2, 0x60008840, 0x60008844 },
	{ EMU_CHIP_ESP32C3, 0x60008844, 0x60008848 }, { EMU_CHIP_ESP32C5, 0x600B4844, 0x600B4848 },
	{ EMU_CHIP_ESP32C6, 0x600B0844, 0x600B0848 }, { EMU_CHIP_ESP32C61, 0x600B4844, 0x600B4848 },
	{ EMU_CHIP_ESP32H2, 0x600B0844, 0x600B0848 }, { EMU_CHIP_ESP32P4, 0x5012D044, 0x5012D048 },
};

static void test_efuse_mac(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(macs) / sizeof(macs[0]); k++) {
		struct emu_config c;
		struct rig *r;
		char err[128];
		uint32_t lo, hi;

		cfg_chip(&c, macs[k].chip);
		assert_int_equal(emu_config_set(&c, "mac", "24:6f:28:7a:d8:84", err, sizeof(err)), 0);
		r = rig_new(&c);
		lo = read_reg(r, macs[k].lo);
		hi = read_reg(r, macs[k].hi);
		/* esptool: struct.pack(">II", hi, lo)[2:] */
		assert_int_equal((hi >> 8) & 0xFF, 0x24);
		assert_int_equal(hi & 0xFF, 0x6F);
		assert_int_equal(lo, 0x287AD884);
		rig_free(r);
	}
}

/* esptool v5.2.0 get_major/minor_chip_version, written out per chip */
static void decode_rev(struct rig *r, enum emu_chip chip, unsigned int *maj, unsigned int *min)
{
	uint32_t w3, w4, w5, w;

	switch (chip) {
	case EMU_CHIP_ESP32: {
		static const int code[8] = { 0, 1, -1, 2, -1, -1, -1, 3 };
		uint32_t b0 = (read_reg(r, 0x3FF5A00C) >> 15) & 1;
		uint32_t b1 = (read_reg(r, 0x3FF5A014) >> 20) & 1;
		uint32_t b2 = (read_reg(r, 0x3FF6607C) >> 31) & 1;
		int v = code[b2 << 2 | b1 << 1 | b0];

		*maj = v < 0 ? 0 : (unsigned int)v;
		*min = (read_reg(r, 0x3FF5A014) >> 24) & 3;
		break;
	}
	case EMU_CHIP_ESP32S2:
		w3 = read_reg(r, 0x3F41A044 + 12);
		w4 = read_reg(r, 0x3F41A044 + 16);
		*min = ((w3 >> 20) & 1) << 3 | ((w4 >> 4) & 7);
		*maj = (w3 >> 18) & 3;
		break;
	case EMU_CHIP_ESP32S3:
	case EMU_CHIP_ESP32C3: {
		uint32_t b1 = chip == EMU_CHIP_ESP32S3 ? 0x60007044 : 0x60008844;

		w3 = read_reg(r, b1 + 12);
		w5 = read_reg(r, b1 + 20);
		*min = ((w5 >> 23) & 1) << 3 | ((w3 >> 18) & 7);
		*maj = (w5 >> 24) & 3;
		break;
	}
	case EMU_CHIP_ESP32C2:
		w = read_reg(r, 0x60008840 + 4);
		*min = (w >> 16) & 0xF;
		*maj = (w >> 20) & 3;
		break;
	case EMU_CHIP_ESP32C5:
	case EMU_CHIP_ESP32C61:
		w = read_reg(r, 0x600B4844 + 8);
		*min = w & 0xF;
		*maj = (w >> 4) & 3;
		break;
	case EMU_CHIP_ESP32C6:
		w = read_reg(r, 0x600B0844 + 12);
		*min = (w >> 18) & 0xF;
		*maj = (w >> 22) & 3;
		break;
	case EMU_CHIP_ESP32H2:
		w = read_reg(r, 0x600B0844 + 12);
		*min = (w >> 18) & 7;
		*maj = (w >> 21) & 3;
		break;
	case EMU_CHIP_ESP32P4:
		w = read_reg(r, 0x5012D044 + 8);
		*min = w & 0xF;
		*maj = ((w >> 23) & 1) << 2 | ((w >> 4) & 3);
		break;
	default:
		fail();
	}
	(void)w4;
}

static void test_efuse_revision(void **state)
{
	/* defaults, then one more revision per chip */
	static const struct {
		enum emu_chip chip;
		unsigned int def_maj, def_min;
		const char *other;
		unsigned int maj, min;
	} revs[] = {
		{ EMU_CHIP_ESP32, 3, 0, "1.1", 1, 1 },    { EMU_CHIP_ESP32S2, 1, 0, "0.9", 0, 9 },
		{ EMU_CHIP_ESP32S3, 0, 2, "1.11", 1, 11 }, { EMU_CHIP_ESP32C2, 1, 0, "1.2", 1, 2 },
		{ EMU_CHIP_ESP32C3, 0, 4, "1.1", 1, 1 },  { EMU_CHIP_ESP32C5, 0, 1, "1.0", 1, 0 },
		{ EMU_CHIP_ESP32C6, 0, 1, "0.2", 0, 2 },  { EMU_CHIP_ESP32C61, 0, 2, "1.0", 1, 0 },
		{ EMU_CHIP_ESP32H2, 0, 1, "1.2", 1, 2 },  { EMU_CHIP_ESP32P4, 1, 0, "3.1", 3, 1 },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(revs) / sizeof(revs[0]); k++) {
		struct emu_config c;
		struct rig *r;
		char err[128];
		unsigned int maj, min;

		cfg_chip(&c, revs[k].chip);
		r = rig_new(&c);
		decode_rev(r, revs[k].chip, &maj, &min);
		assert_int_equal(maj, revs[k].def_maj);
		assert_int_equal(min, revs[k].def_min);
		rig_free(r);
		assert_int_equal(emu_config_set(&c, "revision", revs[k].other, err, sizeof(err)), 0);
		r = rig_new(&c);
		decode_rev(r, revs[k].chip, &maj, &min);
		assert_int_equal(maj, revs[k].maj);
		assert_int_equal(min, revs[k].min);
		rig_free(r);
	}
}

/* ----------------------------------- USB-Serial/JTAG and watchdogs */

static void test_uartdev_and_watchdogs(void **state)
{
	struct emu_config c;
	struct rig *r;

	(void)state;
	/* C3: UARTDEV_BUF_NO 0x3FCDF07C before v1.1, 0x3FCDF078 from v1.1; USJ = 3 */
	cfg_chip(&c, EMU_CHIP_ESP32C3);
	c.usb_serial_jtag = true;
	r = rig_new(&c);
	assert_int_equal(read_reg(r, 0x3FCDF07C) & 0xFF, 3);
	assert_false(emu_watchdogs_disabled(r->e));
	/* without the key the write is ignored */
	write_reg(r, 0x60008090, 0);
	assert_int_not_equal(read_reg(r, 0x60008090), 0);
	/* esptool's disable_watchdogs (sheet §8.4) */
	write_reg(r, 0x600080A8, 0x50D83AA1);
	write_reg(r, 0x60008090, 0);
	write_reg(r, 0x600080A8, 0);
	assert_false(emu_watchdogs_disabled(r->e));
	write_reg(r, 0x600080B0, 0x8F1D312A);
	write_reg(r, 0x600080AC, read_reg(r, 0x600080AC) | 1u << 31);
	write_reg(r, 0x600080B0, 0);
	assert_true(emu_watchdogs_disabled(r->e));
	rig_free(r);

	c.rev_major = 1;
	c.rev_minor = 1;
	r = rig_new(&c);
	assert_int_equal(read_reg(r, 0x3FCDF078) & 0xFF, 3);
	assert_int_equal(read_reg(r, 0x3FCDF07C), 0);
	rig_free(r);

	/* H2's registers differ from the C6's */
	cfg_chip(&c, EMU_CHIP_ESP32H2);
	r = rig_new(&c);
	assert_int_equal(read_reg(r, 0x4084FEFC) & 0xFF, 0); /* UART0 */
	write_reg(r, 0x600B1C1C, 0x50D83AA1);
	write_reg(r, 0x600B1C00, 0);
	write_reg(r, 0x600B1C24, 0x50D83AA1);
	write_reg(r, 0x600B1C20, 1u << 18);
	assert_true(emu_watchdogs_disabled(r->e));
	rig_free(r);
}

/* --------------------------------------------------------- banners */

static void test_banner_at_115200(void **state)
{
	struct emu_config c;
	struct rig *r;

	(void)state;
	cfg_chip(&c, EMU_CHIP_ESP32);
	c.boot_banner = true;
	r = rig_new(&c);
	run_to(r, 50 * MS);
	r->rx[r->rx_len] = 0;
	assert_non_null(strstr((char *)r->rx, "ets Jul 29 2019 12:21:46"));
	assert_non_null(strstr((char *)r->rx,
			       "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT("));
	assert_non_null(strstr((char *)r->rx, "waiting for download"));
	rig_free(r);

	cfg_chip(&c, EMU_CHIP_ESP32C3);
	c.boot_banner = true;
	c.start_mode = EMU_MODE_APP;
	r = rig_new(&c);
	run_to(r, 50 * MS);
	r->rx[r->rx_len] = 0;
	assert_non_null(strstr((char *)r->rx, "ESP-ROM:esp32c3-api1-20210207"));
	assert_non_null(strstr((char *)r->rx, "SPI_FAST_FLASH_BOOT"));
	assert_null(strstr((char *)r->rx, "waiting for download"));
	rig_free(r);

	/* C2 with 26 MHz: its ROM log is at 74880 (host at 115200 reads garbage) */
	cfg_chip(&c, EMU_CHIP_ESP32C2);
	c.boot_banner = true;
	c.crystal_mhz = 26;
	r = rig_new(&c);
	run_to(r, 50 * MS);
	r->rx[r->rx_len] = 0;
	assert_null(strstr((char *)r->rx, "waiting for download"));
	emu_set_baud(r->e, 74880, r->t);
	rig_free(r);
}

static void test_crystal_divider(void **state)
{
	struct emu_config c;
	struct rig *r;

	(void)state;
	/* esptool: est = baud * div / 1e6 / XTAL_CLK_DIVIDER(1) */
	cfg_chip(&c, EMU_CHIP_ESP32);
	r = rig_new(&c);
	assert_int_equal(read_reg(r, 0x3FF40014), 347); /* 40 MHz / 115200 */
	rig_free(r);
	cfg_chip(&c, EMU_CHIP_ESP32C2);
	c.crystal_mhz = 26;
	r = rig_new(&c);
	assert_int_equal(read_reg(r, 0x60000014), 226);
	rig_free(r);
}

/* ---------------------------------------------------- config checks */

static void test_config_checks(void **state)
{
	struct emu_config c;
	char err[128];

	(void)state;
	cfg_chip(&c, EMU_CHIP_ESP32);
	c.sdm = true;
	assert_int_equal(emu_config_check(&c, err, sizeof(err)), -1);
	assert_null(emu_new(&c, 0));
	cfg_chip(&c, EMU_CHIP_ESP32C2);
	c.usb_serial_jtag = true;
	assert_int_equal(emu_config_check(&c, err, sizeof(err)), -1);
	cfg_chip(&c, EMU_CHIP_ESP32C3);
	c.crystal_mhz = 26;
	assert_int_equal(emu_config_check(&c, err, sizeof(err)), -1);
	cfg_chip(&c, EMU_CHIP_ESP32H2);
	assert_int_equal(emu_config_set(&c, "revision", "0.8", err, sizeof(err)), 0);
	assert_int_equal(emu_config_check(&c, err, sizeof(err)), -1); /* minor is 3 bits */
	cfg_chip(&c, EMU_CHIP_ESP32C3);
	c.flash_crypt_cnt = 8;
	assert_int_equal(emu_config_check(&c, err, sizeof(err)), -1);
	cfg_chip(&c, EMU_CHIP_ESP8266EX);
	c.secure_boot = true;
	assert_int_equal(emu_config_check(&c, err, sizeof(err)), -1);
	/* keys */
	emu_config_defaults(&c);
	assert_int_equal(emu_config_set(&c, "chip", "esp32c61", err, sizeof(err)), 0);
	assert_int_equal(c.chip, EMU_CHIP_ESP32C61);
	assert_int_equal(emu_config_set(&c, "chip", "esp32c7", err, sizeof(err)), -1);
	assert_int_equal(emu_config_set(&c, "flash-size", "32M", err, sizeof(err)), 0);
	assert_int_equal(emu_config_set(&c, "flash-size", "64M", err, sizeof(err)), -1);
	assert_int_equal(emu_config_set(&c, "revision", "x", err, sizeof(err)), -1);
	assert_int_equal(emu_config_set(&c, "md5-us-per-mib", "1000", err, sizeof(err)), 0);
	assert_int_equal(emu_config_set(&c, "usb-serial-jtag", "1", err, sizeof(err)), 0);
	assert_int_equal(emu_config_check(&c, err, sizeof(err)), 0);
	/* the family can encode OUI 00:00:00 */
	assert_int_equal(emu_config_set(&c, "mac", "00:00:00:01:02:03", err, sizeof(err)), 0);
	assert_string_equal(emu_chip_key(EMU_CHIP_ESP32P4), "esp32p4");
}

/* -------------------------------------------- 24-bit ROM addresses */

static void test_rom_wraps_at_16mib(void **state)
{
	struct emu_config c;
	struct rig *r;
	char a[33], b[33];
	uint8_t blk[16 + 1024], csum = 0xEF;
	const struct emu_erase_event *ev;
	size_t n;

	(void)state;
	cfg_chip(&c, EMU_CHIP_ESP32S3);
	c.flash_size = 32 * MIB;
	c.jedec_id = 0x1940EF;
	c.md5_us_per_mib = 0;
	c.flash_prefill = true;
	r = rig_new(&c);
	attach(r);
	set_params(r, 32 * MIB);
	/* an erase at 16 MiB + 64 KiB lands at 64 KiB */
	assert_int_equal(flash_begin(r, EMU_CHIP_ESP32S3, 0x1000, 16 * MIB + 0x10000), 0);
	n = emu_erase_events(r->e, &ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].offset, 0x10000);
	/* and data written there too */
	memset(blk, 0, 16);
	put32(blk, 1024);
	for (size_t i = 16; i < sizeof(blk); i++) {
		blk[i] = (uint8_t)(i * 3);
		csum ^= blk[i];
	}
	r->rx_len = 0;
	send_req(r, 0x03, blk, sizeof(blk), csum);
	run_to(r, r->t + 5 * MS);
	assert_int_equal(frames(r), 1);
	assert_int_equal(r->f[0][8], 0);
	assert_memory_equal(emu_flash_data(r->e) + 0x10000, blk + 16, 1024);
	md5_of(r, 0x10000, 0x1000, a, 5 * MS);
	md5_of(r, 16 * MIB + 0x10000, 0x1000, b, 5 * MS);
	assert_string_equal(a, b);
	rig_free(r);
}

/* ------------------------------------------------ faults on the family */

static void test_faults_family(void **state)
{
	struct emu_config c;
	struct emu_stats st;
	struct rig *r;
	const struct emu_erase_event *ev;
	uint8_t d[36];

	(void)state;
	/* flash-begin-error: the code in the 4-byte status, nothing erased */
	cfg_chip(&c, EMU_CHIP_ESP32C3);
	c.flash_begin_error = 0x06;
	r = rig_new(&c);
	attach(r);
	assert_int_equal(flash_begin(r, EMU_CHIP_ESP32C3, 0x1000, 0), 0x06);
	assert_memory_equal(r->f[0] + 10, "\0\0", 2);
	assert_int_equal(emu_erase_events(r->e, &ev), 0);
	rig_free(r);

	/* bad-sector: the erase is logged failed, the ROM still says OK */
	cfg_chip(&c, EMU_CHIP_ESP32);
	c.bad_sector = 2;
	c.flash_prefill = true;
	r = rig_new(&c);
	attach(r);
	assert_int_equal(flash_begin(r, EMU_CHIP_ESP32, 0x3000, 0), 0);
	assert_int_equal(emu_erase_events(r->e, &ev), 3);
	assert_true(ev[2].failed);
	assert_false(emu_flash_is_blank(r->e, 0x2000, 0x1000));
	rig_free(r);

	/* first-sync-lost and hang-after */
	cfg_chip(&c, EMU_CHIP_ESP32S2);
	c.first_sync_lost = true;
	c.hang_after = 2;
	r = rig_new(&c);
	put32(d, 0x20120707);
	memset(d + 4, 0x55, 32);
	send_req(r, 0x08, d, 36, 0);
	run_to(r, 20 * MS);
	assert_int_equal(frames(r), 0);
	sync_chip(r);
	attach(r);
	r->rx_len = 0;
	send_req(r, 0x14, NULL, 0, 0);
	run_to(r, r->t + 20 * MS);
	assert_int_equal(frames(r), 0);
	assert_int_equal(emu_mode(r->e), EMU_MODE_HUNG);
	rig_free(r);

	/* erase-slowdown and time-scale on a family erase: 16 x 45 ms x 2 / 10 */
	cfg_chip(&c, EMU_CHIP_ESP32C6);
	c.erase_slowdown = 2;
	c.time_scale = 10;
	r = rig_new(&c);
	attach(r);
	{
		uint8_t b[20];
		size_t n = begin_data(b, 0x10000, 0, 5);

		r->rx_len = 0;
		send_req(r, 0x02, b, n, 0);
		run_to(r, r->t + 140 * MS);
		assert_int_equal(frames(r), 0);
		run_to(r, r->t + 10 * MS);
		assert_int_equal(frames(r), 1);
	}
	emu_get_stats(r->e, &st);
	assert_int_equal(st.flash_busy_us, 16 * 90000);
	rig_free(r);
}

/* ------------------------------------- FLASH_END, WRITE_REG delay */

static void test_flash_end_and_write_delay(void **state)
{
	struct emu_config c;
	struct emu_stats st;
	struct rig *r;
	uint8_t d[32] = { 0 };

	(void)state;
	/* FLASH_END(0): reboot without re-reading the straps: back in the loader */
	cfg_chip(&c, EMU_CHIP_ESP32C3);
	r = rig_new(&c);
	expect_status(r, 0x04, d, 4, 0);
	run_to(r, r->t + 100 * MS);
	assert_int_equal(emu_mode(r->e), EMU_MODE_LOADER);
	emu_get_stats(r->e, &st);
	assert_int_equal(st.boots_loader, 2);
	/* FLASH_END(1): run user code: no more answers */
	put32(d, 1);
	expect_status(r, 0x04, d, 4, 0);
	assert_int_equal(emu_mode(r->e), EMU_MODE_APP);
	rig_free(r);

	/* WRITE_REG's delay_us words are waited out before the reply */
	r = rig_chip(EMU_CHIP_ESP32S3);
	put32(d, 0x60000080);
	put32(d + 12, 20000);
	put32(d + 16, 0x60000080);
	put32(d + 28, 30000);
	r->rx_len = 0;
	send_req(r, 0x09, d, 32, 0);
	run_to(r, r->t + 49 * MS);
	assert_int_equal(frames(r), 0);
	run_to(r, r->t + 2 * MS);
	assert_int_equal(frames(r), 1);
	rig_free(r);
}

static void test_report_fields(void **state)
{
	struct emu_config c;
	struct rig *r;
	char *buf = NULL, md5[33];
	size_t sz = 0;
	FILE *f;

	(void)state;
	cfg_chip(&c, EMU_CHIP_ESP32C5);
	c.md5_us_per_mib = 0;
	r = rig_new(&c);
	attach(r);
	assert_int_equal(flash_begin(r, EMU_CHIP_ESP32C5, 0x1000, 0), 0);
	md5_of(r, 0, 0x1000, md5, 5 * MS);
	f = open_memstream(&buf, &sz);
	assert_non_null(f);
	assert_int_equal(emu_report_json(r->e, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"chip\": \"esp32c5\""));
	assert_non_null(strstr(buf, "\"revision\": \"v0.1\""));
	assert_non_null(strstr(buf, "\"md5_requests\": 1"));
	assert_non_null(strstr(buf, "\"md5_busy_us\": 0"));
	assert_non_null(strstr(buf, "\"flash_begin_words\": [5]"));
	assert_non_null(strstr(buf, "\"watchdogs_disabled\": false"));
	free(buf);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_bytes_layout),
		cmocka_unit_test(test_magic_words),
		cmocka_unit_test(test_security_info),
		cmocka_unit_test(test_security_flags_and_overrides),
		cmocka_unit_test(test_sdm_refusals),
		cmocka_unit_test(test_attach_params_and_2mib_limit),
		cmocka_unit_test(test_flash_begin_exact_and_walk),
		cmocka_unit_test(test_flash_begin_reply_after_erase),
		cmocka_unit_test(test_md5_values),
		cmocka_unit_test(test_md5_prefilled_and_timing),
		cmocka_unit_test(test_stub_opcodes_refused),
		cmocka_unit_test(test_read_flash_slow),
		cmocka_unit_test(test_spi_rdid_and_sfdp),
		cmocka_unit_test(test_efuse_mac),
		cmocka_unit_test(test_efuse_revision),
		cmocka_unit_test(test_uartdev_and_watchdogs),
		cmocka_unit_test(test_banner_at_115200),
		cmocka_unit_test(test_crystal_divider),
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test(test_rom_wraps_at_16mib),
		cmocka_unit_test(test_faults_family),
		cmocka_unit_test(test_flash_end_and_write_delay),
		cmocka_unit_test(test_report_fields),
	};

	return cmocka_run_group_tests_name("libespemu-esp32", tests, NULL, NULL);
}
