// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of libespemu under a fake clock: bytes on the wire, erase
 * sequences and times, register effects, reset-circuit timing, faults.
 * Requests are built here by hand (not with the tool's code) so the model
 * is checked against the sheet, not against another implementation.
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


static size_t frames(const struct rig *r, uint8_t f[][64], size_t *len, size_t max)
{
	return rig_split(r, &f[0][0], 64, len, max);
}

/* Send a request, let 5 ms pass, return the last frame received. */
static void transact(struct rig *r, uint8_t op, const uint8_t *d, size_t n, uint32_t csum,
		     uint8_t out[10])
{
	uint8_t f[64][64];
	size_t len[64], nf;

	r->rx_len = 0;
	send_req(r, op, d, n, csum);
	run_to(r, r->t + 5 * MS);
	nf = frames(r, f, len, 64);
	assert_int_equal(nf, 1);
	assert_int_equal(len[0], 10);
	memcpy(out, f[0], 10);
}

static uint32_t read_reg(struct rig *r, uint32_t addr)
{
	uint8_t d[4], out[10];

	put32(d, addr);
	transact(r, 0x0A, d, 4, 0, out);
	assert_int_equal(out[1], 0x0A);
	assert_int_equal(out[8], 0);
	return get32(out + 4);
}

static void write_reg(struct rig *r, uint32_t addr, uint32_t v)
{
	uint8_t d[16], out[10];

	put32(d, addr);
	put32(d + 4, v);
	put32(d + 8, 0xFFFFFFFF);
	put32(d + 12, 0);
	transact(r, 0x09, d, 16, 0, out);
	assert_int_equal(out[8], 0);
}

/* ---------------------------------------------------------------- SYNC */

static void test_sync_eight_replies(void **state)
{
	static const uint8_t exp[10] = { 0x01, 0x08, 0x02, 0x00, 0x07, 0x07, 0x12, 0x20, 0, 0 };
	struct emu_config c;
	struct rig *r;
	uint8_t f[32][64];
	size_t len[32];

	(void)state;
	cfg_quiet(&c);
	r = rig_new(&c);
	send_sync(r);
	run_to(r, 0);
	assert_int_equal(frames(r, f, len, 32), 1); /* first reply at once */
	run_to(r, 3 * MS);
	assert_int_equal(frames(r, f, len, 32), 4); /* then one per 1 ms gap */
	send_sync(r); /* while replies are pending: adds none */
	run_to(r, 100 * MS);
	assert_int_equal(frames(r, f, len, 32), 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(len[i], 10);
		assert_memory_equal(f[i], exp, 10);
	}
	/* byte-exact on the wire: C0 body C0 per reply */
	assert_int_equal(r->rx_len, 8 * 12);
	assert_int_equal(r->rx[0], 0xC0);
	assert_int_equal(r->rx[11], 0xC0);
	/* a SYNC after they are done gets 8 more */
	send_sync(r);
	run_to(r, 200 * MS);
	assert_int_equal(frames(r, f, len, 32), 16);
	rig_free(r);
}

static void test_first_sync_lost(void **state)
{
	struct emu_config c;
	struct rig *r;
	uint8_t f[32][64];
	size_t len[32];
	struct emu_stats st;

	(void)state;
	cfg_quiet(&c);
	c.first_sync_lost = true;
	r = rig_new(&c);
	send_sync(r);
	run_to(r, 50 * MS);
	assert_int_equal(frames(r, f, len, 32), 0);
	send_sync(r);
	run_to(r, 100 * MS);
	assert_int_equal(frames(r, f, len, 32), 8);
	emu_get_stats(r->e, &st);
	assert_int_equal(st.sync_frames, 2);
	assert_int_equal(st.commands[8], 1);
	rig_free(r);
}

/* ---------------------------------------------------- replies, values */

static void test_read_reg_bytes_and_value_field(void **state)
{
	static const uint8_t exp[10] = { 0x01, 0x0A, 0x02, 0x00, 0x01, 0xC1, 0xF0, 0xFF, 0, 0 };
	struct emu_config c;
	struct rig *r;
	uint8_t d[16], out[10];

	(void)state;
	cfg_quiet(&c);
	r = rig_new(&c);
	put32(d, 0x40001000);
	transact(r, 0x0A, d, 4, 0, out);
	assert_memory_equal(out, exp, 10);
	/* a WRITE_REG reply repeats the last value */
	put32(d, 0x60000240);
	put32(d + 4, 0);
	put32(d + 8, 0xFFFFFFFF);
	put32(d + 12, 0);
	transact(r, 0x09, d, 16, 0, out);
	assert_int_equal(out[1], 0x09);
	assert_int_equal(get32(out + 4), 0xFFF0C101);
	assert_int_equal(out[8], 0);
	assert_int_equal(out[9], 0);
	rig_free(r);
}

static void test_error_replies(void **state)
{
	struct emu_config c;
	struct rig *r;
	uint8_t d[16 + 64], out[10], f[32][64];
	size_t len[32];
	struct emu_stats st;

	(void)state;
	cfg_quiet(&c);
	r = rig_new(&c);
	/* 20-byte (ESP32-style) FLASH_BEGIN */
	memset(d, 0, sizeof(d));
	transact(r, 0x02, d, 20, 0, out);
	assert_int_equal(out[1], 0x02);
	assert_int_equal(out[8], 1);
	assert_int_equal(out[9], 5);
	assert_int_equal(get32(out + 4), 0x20120707);
	/* FLASH_DATA with a bad checksum */
	transact(r, 0x02, d, 16, 0, out); /* FLASH_BEGIN(0,0,0,0): attach */
	assert_int_equal(out[8], 0);
	put32(d, 64);
	memset(d + 16, 0xA5, 64);
	transact(r, 0x03, d, 16 + 64, 0x00, out); /* right one: 0xEF (even count of A5) */
	assert_int_equal(out[8], 1);
	assert_int_equal(out[9], 7);
	/* MEM_BEGIN outside RAM */
	memset(d, 0, 16);
	put32(d, 0x100);
	put32(d + 12, 0x40000000);
	transact(r, 0x05, d, 16, 0, out);
	assert_int_equal(out[9], 5);
	/* unknown opcode: frames with the previous op (0x05), 01 05 */
	send_sync(r);
	run_to(r, r->t + 50 * MS);
	r->rx_len = 0;
	send_req(r, 0x14, NULL, 0, 0);
	run_to(r, r->t + 50 * MS);
	assert_int_equal(frames(r, f, len, 32), 8);
	for (int i = 0; i < 8; i++) {
		static const uint8_t exp[10] = { 1, 0x08, 2, 0, 0x07, 0x07, 0x12, 0x20, 1, 5 };

		assert_memory_equal(f[i], exp, 10);
	}
	emu_get_stats(r->e, &st);
	assert_int_equal(st.unsupported, 1);
	rig_free(r);
}

/* --------------------------------------------------- the ROM's erase */

struct erase_case {
	uint32_t start_sector, sectors; /* as sent in FLASH_BEGIN */
	unsigned int se, be;            /* erase commands the ROM issues */
	uint32_t first, last;           /* sectors erased, inclusive */
};

static const struct erase_case erase_table[] = {
	{ 0, 1, 2, 0, 0, 1 },
	{ 1, 2, 4, 0, 1, 4 },     /* esptool's workaround for 3 sectors at 1 */
	{ 1, 3, 6, 0, 1, 6 },
	{ 15, 2, 3, 0, 15, 17 },
	{ 0, 16, 32, 0, 0, 31 },
	{ 0, 20, 20, 1, 0, 35 },  /* n + min(h, n) = 36 sectors */
	{ 8, 40, 16, 2, 8, 55 },
	{ 0, 1008, 32, 62, 0, 1023 }, /* whole 4 MiB chip: (1024-16) sectors */
};

static void test_rom_erase_table(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(erase_table) / sizeof(erase_table[0]); k++) {
		const struct erase_case *ec = &erase_table[k];
		struct emu_config c;
		struct rig *r;
		uint8_t d[16], f[4][64];
		size_t len[4];
		const struct emu_erase_event *ev;
		size_t nev;
		struct emu_stats st;
		uint64_t expect_us;
		unsigned int se = 0, be = 0;

		cfg_quiet(&c);
		c.flash_prefill = true;
		r = rig_new(&c);
		/* prefill covers the first 512 KiB and the last 16 KiB */
		put32(d, ec->sectors * 4096);
		put32(d + 4, 0);
		put32(d + 8, 0x400);
		put32(d + 12, ec->start_sector * 4096);
		send_req(r, 0x02, d, 16, 0);
		expect_us = 0;
		run_to(r, 1);
		nev = emu_erase_events(r->e, &ev);
		for (size_t i = 0; i < nev; i++) {
			if (ev[i].kind == 'S')
				se++, expect_us += 45000;
			else
				be++, expect_us += 150000;
		}
		assert_int_equal(se, ec->se);
		assert_int_equal(be, ec->be);
		/* erase order: the head sectors first, then from start again */
		assert_int_equal(ev[0].offset, ec->start_sector * 4096);
		/* no reply before the erase time has passed, one right after */
		run_to(r, expect_us - 1);
		assert_int_equal(frames(r, f, len, 4), 0);
		run_to(r, expect_us);
		assert_int_equal(frames(r, f, len, 4), 1);
		assert_int_equal(f[0][8], 0);
		emu_get_stats(r->e, &st);
		assert_int_equal(st.flash_busy_us, expect_us);
		assert_true(emu_flash_is_blank(r->e, ec->first * 4096,
					       (ec->last - ec->first + 1) * 4096));
		if (ec->first > 0)
			assert_false(emu_flash_is_blank(r->e, (ec->first - 1) * 4096, 4096));
		if ((ec->last + 1) * 4096 < (512u << 10))
			assert_false(emu_flash_is_blank(r->e, (ec->last + 1) * 4096, 4096));
		if (ec->sectors == 1008)
			assert_int_equal(expect_us, 10740000); /* 10.74 s */
		rig_free(r);
	}
}

static void test_flash_limit_and_set_params(void **state)
{
	struct emu_config c;
	struct rig *r;
	uint8_t d[24], out[10], f[16][64];
	size_t len[16];

	(void)state;
	cfg_quiet(&c);
	c.jedec_id = 0x1840EF; /* 16 MiB */
	c.t_sector_erase_us = 10;
	c.t_block_erase_us = 10;
	r = rig_new(&c);
	assert_int_equal(emu_flash_size(r->e), 16u << 20);
	memset(d, 0, sizeof(d));
	put32(d, 8192);
	put32(d + 12, (4u << 20) - 4096); /* ends past the ROM's 4 MiB chip_size */
	transact(r, 0x02, d, 16, 0, out);
	assert_int_equal(out[8], 1);
	assert_int_equal(out[9], 6);
	put32(d, 4096);
	put32(d + 12, 4096 + 1); /* not sector-aligned */
	transact(r, 0x02, d, 16, 0, out);
	assert_int_equal(out[9], 6);
	/* SPI_SET_PARAMS raises chip_size */
	memset(d, 0, sizeof(d));
	put32(d + 4, 16u << 20);
	put32(d + 8, 0x10000);
	put32(d + 12, 0x1000);
	put32(d + 16, 0x100);
	put32(d + 20, 0xFFFF);
	transact(r, 0x0B, d, 24, 0, out);
	assert_int_equal(out[8], 0);
	memset(d, 0, sizeof(d));
	put32(d, 8192);
	put32(d + 12, (4u << 20) - 4096);
	transact(r, 0x02, d, 16, 0, out);
	assert_int_equal(out[8], 0);
	rig_free(r);

	/* a ROM without 0x0B treats it as unknown */
	c.spi_set_params = false;
	r = rig_new(&c);
	memset(d, 0, sizeof(d));
	r->rx_len = 0;
	send_req(r, 0x0B, d, 24, 0);
	run_to(r, 50 * MS);
	assert_int_equal(frames(r, f, len, 16), 8);
	assert_int_equal(f[0][9], 5);
	rig_free(r);
}

static void test_flash_data_and_end(void **state)
{
	struct emu_config c;
	struct rig *r;
	uint8_t d[16 + 1024], out[10];
	uint8_t ck = 0xEF;

	(void)state;
	cfg_quiet(&c);
	c.flash_prefill = true;
	r = rig_new(&c);
	memset(d, 0, sizeof(d));
	put32(d, 4096);
	put32(d + 4, 1);
	put32(d + 8, 1024);
	put32(d + 12, 0x100000); /* blank area (beyond 512 KiB prefill) */
	send_req(r, 0x02, d, 16, 0);
	run_to(r, r->t + 100 * MS); /* 2 sector erases */
	put32(d, 1024);
	put32(d + 4, 0);
	for (int i = 0; i < 1024; i++) {
		d[16 + i] = (uint8_t)(i * 3);
		ck ^= d[16 + i];
	}
	transact(r, 0x03, d, 16 + 1024, ck, out);
	assert_int_equal(out[8], 0);
	assert_memory_equal(emu_flash_data(r->e) + 0x100000, d + 16, 1024);
	/* writing over data that is not erased: read-back differs -> 08 */
	memset(d, 0, 16);
	put32(d + 12, 0); /* 0-size FLASH_BEGIN at 0: attach, no erase */
	transact(r, 0x02, d, 16, 0, out);
	put32(d, 1024);
	put32(d + 4, 0);
	transact(r, 0x03, d, 16 + 1024, ck, out);
	assert_int_equal(out[9], 8);
	/* FLASH_END(1): run user code */
	put32(d, 1);
	transact(r, 0x04, d, 4, 0, out);
	assert_int_equal(out[8], 0);
	assert_int_equal(emu_mode(r->e), EMU_MODE_APP);
	rig_free(r);
}

static void test_mem_end_erase_chip(void **state)
{
	struct emu_config c;
	struct rig *r;
	uint8_t d[16], out[10];
	const struct emu_erase_event *ev;

	(void)state;
	cfg_quiet(&c);
	c.flash_prefill = true;
	r = rig_new(&c);
	memset(d, 0, 16);
	put32(d + 12, 0x40100000);
	transact(r, 0x05, d, 16, 0, out);
	assert_int_equal(out[8], 0);
	put32(d, 0);
	put32(d + 4, 0x40004984);
	transact(r, 0x06, d, 8, 0, out);
	assert_int_equal(out[8], 0);
	assert_int_equal(emu_erase_events(r->e, &ev), 1);
	assert_int_equal(ev[0].kind, 'C');
	assert_true(emu_flash_is_blank(r->e, 0, emu_flash_size(r->e)));
	assert_int_equal(emu_mode(r->e), EMU_MODE_APP);
	rig_free(r);
}

/* ------------------------------------------------ SPI registers */

#define SPI_BASE 0x60000200u

/* esptool's run_spiflash_command, ESP8266 layout (sheet §6) */
static uint32_t spi_user(struct rig *r, uint8_t cmd, unsigned int read_bits,
			 unsigned int addr_len, uint32_t addr_reg, unsigned int dummy)
{
	uint32_t flags = 1u << 31, usr1 = 0;
	uint32_t old_usr = read_reg(r, SPI_BASE + 0x1C), old_usr2 = read_reg(r, SPI_BASE + 0x24);
	int i;

	if (read_bits)
		flags |= 1u << 28;
	if (addr_len)
		flags |= 1u << 30;
	if (dummy)
		flags |= 1u << 29;
	usr1 = (read_bits ? read_bits - 1 : 0) << 8;
	if (dummy)
		usr1 |= dummy - 1;
	if (addr_len)
		usr1 |= (addr_len - 1) << 26;
	write_reg(r, SPI_BASE + 0x20, usr1);
	write_reg(r, SPI_BASE + 0x1C, flags);
	write_reg(r, SPI_BASE + 0x24, (7u << 28) | cmd);
	if (addr_len)
		write_reg(r, SPI_BASE + 0x04, addr_reg);
	write_reg(r, SPI_BASE + 0x40, 0);
	write_reg(r, SPI_BASE + 0x00, 1u << 18);
	for (i = 0; i < 10; i++) {
		if (!(read_reg(r, SPI_BASE) & (1u << 18)))
			break;
	}
	assert_true(i < 10);
	uint32_t w0 = read_reg(r, SPI_BASE + 0x40);

	write_reg(r, SPI_BASE + 0x1C, old_usr);
	write_reg(r, SPI_BASE + 0x24, old_usr2);
	return w0;
}

static void test_spi_user_commands(void **state)
{
	struct emu_config c;
	struct rig *r;
	uint8_t d[16], out[10];

	(void)state;
	cfg_quiet(&c);
	r = rig_new(&c);
	memset(d, 0, 16);
	put32(d + 8, 0x400);
	transact(r, 0x02, d, 16, 0, out); /* attach */
	assert_int_equal(spi_user(r, 0x9F, 24, 0, 0, 0), 0x1640EF);
	/* the value field now repeats the flash id read from W0 */
	write_reg(r, 0x3FF00000, 0);
	assert_int_equal(spi_user(r, 0x05, 8, 0, 0, 0), 0x00);
	/* SFDP: 24-bit address MSB-aligned in ADDR, 8 dummy cycles */
	assert_int_equal(spi_user(r, 0x5A, 32, 24, 0x00u << 8, 8), 0x50444653); /* "SFDP" */
	assert_int_equal(spi_user(r, 0x5A, 8, 24, 0x10u << 8, 8), 0xFF); /* no 2nd header */
	assert_int_equal(spi_user(r, 0x5A, 32, 24, 0x0Cu << 8, 8), 0xFF000080);
	/* esptool writes ADDR unshifted (0x10): the part sees address 0 */
	assert_int_equal(spi_user(r, 0x5A, 8, 24, 0x10, 8), 'S');
	/* without the dummy phase the first byte sampled is the dummy time */
	assert_int_equal(spi_user(r, 0x5A, 16, 24, 0x00u << 8, 0), 0x53FF);
	/* WREN + CE: WIP and WEL visible through RDSR, then clear */
	spi_user(r, 0x06, 0, 0, 0, 0);
	assert_int_equal(spi_user(r, 0x05, 8, 0, 0, 0), 0x02);
	spi_user(r, 0xC7, 0, 0, 0, 0);
	assert_int_equal(spi_user(r, 0x05, 8, 0, 0, 0), 0x01);
	run_to(r, r->t + 11 * SEC);
	assert_int_equal(spi_user(r, 0x05, 8, 0, 0, 0), 0x00);
	/* CE without WREN is ignored */
	spi_user(r, 0xC7, 0, 0, 0, 0);
	assert_int_equal(spi_user(r, 0x05, 8, 0, 0, 0), 0x00);
	rig_free(r);
}

static void test_spi_builtin_commands(void **state)
{
	struct emu_config c;
	struct rig *r;
	const uint8_t *fl;

	(void)state;
	cfg_quiet(&c);
	c.flash_prefill = true;
	r = rig_new(&c);
	fl = emu_flash_data(r->e);
	/* old esptool: W0 = 0, CMD = RDID, read W0 */
	write_reg(r, SPI_BASE + 0x40, 0);
	write_reg(r, SPI_BASE, 0x10000000);
	assert_int_equal(read_reg(r, SPI_BASE), 0);
	assert_int_equal(read_reg(r, SPI_BASE + 0x40), 0x1640EF);
	/* CMD READ: ADDR = addr | len << 24, up to 32 bytes into W0..W7 */
	write_reg(r, SPI_BASE + 0x04, 0x100 | (32u << 24));
	write_reg(r, SPI_BASE, 0x80000000);
	for (int i = 0; i < 8; i++)
		assert_int_equal(read_reg(r, SPI_BASE + 0x40 + 4 * i), get32(fl + 0x100 + 4 * i));
	/* WREN + SE through CMD bits */
	write_reg(r, SPI_BASE, 1u << 30);
	write_reg(r, SPI_BASE + 0x04, 0x2000);
	write_reg(r, SPI_BASE, 1u << 24);
	run_to(r, r->t + 100 * MS);
	assert_true(emu_flash_is_blank(r->e, 0x2000, 4096));
	assert_false(emu_flash_is_blank(r->e, 0x1000, 4096));
	rig_free(r);
}

/* ------------------------------------------------ eFuses, MAC, crystal */

/* The host side of sheet §5, written out for the test. */
static int decode_mac(const uint32_t r[4], uint8_t mac[6])
{
	uint32_t oui;

	if (r[3])
		oui = r[3] & 0xFFFFFF;
	else if (((r[1] >> 16) & 0xFF) == 0)
		oui = 0x18FE34;
	else if (((r[1] >> 16) & 0xFF) == 1)
		oui = 0xACD074;
	else
		return -1;
	mac[0] = (uint8_t)(oui >> 16);
	mac[1] = (uint8_t)(oui >> 8);
	mac[2] = (uint8_t)oui;
	mac[3] = (uint8_t)(r[1] >> 8);
	mac[4] = (uint8_t)r[1];
	mac[5] = (uint8_t)(r[0] >> 24);
	return 0;
}

static void test_efuse_mac_cases(void **state)
{
	static const char *macs[] = { "5C:CF:7F:12:34:56", "18:FE:34:AB:CD:EF",
				      "AC:D0:74:01:02:03" };
	static const uint32_t r3_expect[] = { 0x5CCF7F, 0, 0 };

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		struct emu_config c;
		struct rig *r;
		uint32_t w[4];
		uint8_t mac[6], want[6];
		char err[128];

		cfg_quiet(&c);
		assert_int_equal(emu_config_set(&c, "mac", macs[k], err, sizeof(err)), 0);
		memcpy(want, c.mac, 6);
		r = rig_new(&c);
		for (int i = 0; i < 4; i++)
			w[i] = read_reg(r, 0x3FF00050 + 4 * i);
		assert_int_equal(w[3], r3_expect[k]);
		assert_int_equal(decode_mac(w, mac), 0);
		assert_memory_equal(mac, want, 6);
		/* ESP8266EX: R0 bit 4 and R2 bit 16 clear */
		assert_int_equal(w[0] & 0x10, 0);
		assert_int_equal(w[2] & 0x10000, 0);
		rig_free(r);
	}
}

static void test_efuse_esp8285_and_crystal(void **state)
{
	struct emu_config c;
	struct rig *r;
	uint32_t w0, w3, div;
	char err[128];

	(void)state;
	cfg_quiet(&c);
	assert_int_equal(emu_config_set(&c, "chip", "esp8285", err, sizeof(err)), 0);
	assert_int_equal(emu_config_set(&c, "flash-size", "1M", err, sizeof(err)), 0);
	r = rig_new(&c);
	w0 = read_reg(r, 0x3FF00050);
	w3 = read_reg(r, 0x3FF0005C);
	assert_int_not_equal(w0 & 0x10, 0);                 /* a */
	assert_int_equal((w3 >> 25) & 7, 0);                /* not b/c/d: 1 MB */
	div = read_reg(r, 0x60000014) & 0xFFFFF;
	assert_true(115200.0 * div / 1e6 / 2 <= 33);        /* 26 MHz */
	assert_true(115200.0 * div / 1e6 / 2 > 25.5);
	rig_free(r);

	cfg_quiet(&c);
	c.crystal_mhz = 40;
	r = rig_new(&c);
	emu_set_baud(r->e, 74880, r->t);
	div = read_reg(r, 0x60000014) & 0xFFFFF;
	assert_true(74880.0 * div / 1e6 / 2 > 33);          /* 40 MHz */
	rig_free(r);

	assert_int_not_equal(emu_config_set(&c, "mac", "00:00:00:01:02:03", err, sizeof(err)), 0);
	assert_int_not_equal(emu_config_set(&c, "nonsense", "1", err, sizeof(err)), 0);
}

/* ------------------------------------------------ reset circuit */

struct step {
	uint64_t at_us;
	bool dtr, rts;
};

static enum emu_mode run_reset(const struct step *s, size_t n, uint64_t settle_us,
			       unsigned long *resets)
{
	struct emu_config c;
	struct rig *r;
	enum emu_mode m;
	struct emu_stats st;

	cfg_quiet(&c);
	c.start_mode = EMU_MODE_APP;
	r = rig_new(&c);
	for (size_t i = 0; i < n; i++) {
		run_to(r, s[i].at_us);
		emu_set_lines(r->e, s[i].dtr, s[i].rts, s[i].at_us);
	}
	run_to(r, s[n - 1].at_us + settle_us);
	m = emu_mode(r->e);
	emu_get_stats(r->e, &st);
	*resets = st.resets;
	rig_free(r);
	return m;
}

static void test_reset_sequences(void **state)
{
	/* ClassicReset, separate writes 200 us apart (DTR, RTS) */
	const struct step classic50[] = {
		{ 1000, false, false }, { 1200, false, true },           /* D0 R1: EN low */
		{ 101200, true, true }, { 101400, true, false },         /* D1 R0 via (1,1) */
		{ 151400, false, false },                                /* d = 50 ms, D0 */
	};
	const struct step classic550[] = {
		{ 1000, false, false }, { 1200, false, true },
		{ 101200, true, true }, { 101400, true, false },
		{ 651400, false, false },
	};
	/* UnixTightReset: one TIOCMSET per step */
	const struct step tight50[] = {
		{ 1000, false, false }, { 1200, true, true }, { 1400, false, true },
		{ 101400, true, false }, { 151400, false, false }, { 151600, false, false },
	};
	const struct step tight550[] = {
		{ 1000, false, false }, { 1200, true, true }, { 1400, false, true },
		{ 101400, true, false }, { 651400, false, false }, { 651600, false, false },
	};
	const struct step no_en[] = {
		{ 1000, true, false }, { 101000, false, false }, { 151000, true, false },
	};
	const struct step short_en[] = {
		{ 1000, false, true }, { 1500, true, false }, { 60000, false, false },
	};
	const struct step gpio0_early[] = {
		{ 1000, false, true }, { 101000, true, false }, { 101300, false, false },
	};
	/* separate writes too slow for the RC: EN rises before GPIO0 goes low */
	const struct step classic_slow[] = {
		{ 1000, false, false }, { 1200, false, true },
		{ 101200, true, true }, { 103200, true, false }, { 153200, false, false },
	};
	unsigned long resets;

	(void)state;
	assert_int_equal(run_reset(classic50, 5, 100 * MS, &resets), EMU_MODE_LOADER);
	assert_int_equal(resets, 1);
	assert_int_equal(run_reset(classic550, 5, 100 * MS, &resets), EMU_MODE_LOADER);
	assert_int_equal(run_reset(tight50, 6, 100 * MS, &resets), EMU_MODE_LOADER);
	assert_int_equal(run_reset(tight550, 6, 100 * MS, &resets), EMU_MODE_LOADER);
	assert_int_equal(run_reset(no_en, 3, 100 * MS, &resets), EMU_MODE_APP);
	assert_int_equal(resets, 0);
	assert_int_equal(run_reset(short_en, 3, 100 * MS, &resets), EMU_MODE_APP);
	assert_int_equal(resets, 0);
	assert_int_equal(run_reset(gpio0_early, 3, 100 * MS, &resets), EMU_MODE_APP);
	assert_int_equal(resets, 1);
	assert_int_equal(run_reset(classic_slow, 5, 100 * MS, &resets), EMU_MODE_APP);
}

static void test_reset_timing(void **state)
{
	struct emu_config c;
	struct rig *r;

	(void)state;
	cfg_quiet(&c);
	c.start_mode = EMU_MODE_APP;
	r = rig_new(&c);
	emu_set_lines(r->e, false, true, 0);      /* EN low at 0 */
	run_to(r, 999);
	assert_int_equal(emu_mode(r->e), EMU_MODE_APP); /* < min_reset_us */
	run_to(r, 1000);
	assert_int_equal(emu_mode(r->e), EMU_MODE_RESET);
	emu_set_lines(r->e, true, false, 100000); /* EN released, GPIO0 low */
	run_to(r, 100999);
	assert_int_equal(emu_mode(r->e), EMU_MODE_RESET); /* RC still rising */
	run_to(r, 101000);
	assert_int_equal(emu_mode(r->e), EMU_MODE_BOOTING);
	emu_set_lines(r->e, false, false, 101001); /* GPIO0 high after the latch: fine */
	run_to(r, 101000 + 30000 - 1);
	assert_int_equal(emu_mode(r->e), EMU_MODE_BOOTING);
	assert_int_equal(emu_next_event_us(r->e), 131000);
	run_to(r, 131000);
	assert_int_equal(emu_mode(r->e), EMU_MODE_LOADER);
	rig_free(r);
}

/* ------------------------------------------------ UART: banner, timing */

static void test_banner(void **state)
{
	static const char text[] = "\r\n ets Jan  8 2013,rst cause:2, boot mode:(1,6)\r\n\r\n";
	struct emu_config c;
	struct rig *r;
	int garbage_outside = 0;

	(void)state;
	cfg_quiet(&c);
	c.start_mode = EMU_MODE_APP;
	c.boot_banner = true;
	c.baud = 74880;
	r = rig_new(&c);
	run_to(r, 10);
	r->rx_len = 0;
	emu_set_lines(r->e, false, true, 100);
	emu_set_lines(r->e, true, false, 50000);
	run_to(r, 60000);
	assert_int_equal(r->rx_len, strlen(text));
	assert_memory_equal(r->rx, text, strlen(text));
	rig_free(r);

	c.baud = 115200;
	r = rig_new(&c);
	run_to(r, 10);
	r->rx_len = 0;
	emu_set_lines(r->e, false, true, 100);
	emu_set_lines(r->e, true, false, 50000);
	run_to(r, 60000);
	assert_true(r->rx_len > 10);
	for (size_t i = 0; i < r->rx_len; i++) {
		assert_int_not_equal(r->rx[i], 0xC0);
		if (r->rx[i] != (uint8_t)text[i % strlen(text)])
			garbage_outside++;
	}
	assert_true(garbage_outside > 5);
	rig_free(r);
}

static void test_wire_timing(void **state)
{
	struct emu_config c;
	struct rig *r;
	size_t n;

	(void)state;
	cfg_quiet(&c);
	c.wire_timing = true;
	r = rig_new(&c);
	/* SYNC request = 46 bytes on the wire, 86.8 us each at 115200 */
	send_sync(r);
	run_to(r, 3993);
	assert_int_equal(r->rx_len, 0);
	/* handled at 3994 us; its first 12-byte reply is out 1042 us later */
	run_to(r, 3994 + 1041);
	assert_int_equal(r->rx_len, 11);
	run_to(r, 3994 + 1042);
	assert_int_equal(r->rx_len, 12);
	n = r->rx_len;
	(void)n;
	rig_free(r);
}

/* ------------------------------------------------ faults */

static void test_faults(void **state)
{
	struct emu_config c;
	struct rig *r, *r2;
	uint8_t d[16], f[64][64], out[10];
	size_t len[64];
	struct emu_stats st;
	const struct emu_erase_event *ev;
	size_t nev;

	(void)state;
	/* drop everything: no reply */
	cfg_quiet(&c);
	c.drop_rate = 1.0;
	r = rig_new(&c);
	send_sync(r);
	run_to(r, 50 * MS);
	assert_int_equal(r->rx_len, 0);
	emu_get_stats(r->e, &st);
	assert_int_equal(st.bytes_dropped, st.bytes_rx);
	rig_free(r);

	/* hang after 2 commands */
	cfg_quiet(&c);
	c.hang_after = 2;
	r = rig_new(&c);
	read_reg(r, 0x40001000);
	read_reg(r, 0x40001000);
	r->rx_len = 0;
	put32(d, 0x40001000);
	send_req(r, 0x0A, d, 4, 0);
	run_to(r, r->t + 50 * MS);
	assert_int_equal(r->rx_len, 0);
	assert_int_equal(emu_mode(r->e), EMU_MODE_HUNG);
	rig_free(r);

	/* bad sector: erase "succeeds", the sector keeps its data */
	cfg_quiet(&c);
	c.flash_prefill = true;
	c.bad_sector = 3;
	c.erase_slowdown = 2.0;
	r = rig_new(&c);
	put32(d, 4 * 4096);
	put32(d + 4, 0);
	put32(d + 8, 0x400);
	put32(d + 12, 0);
	send_req(r, 0x02, d, 16, 0);
	run_to(r, 2 * 8 * 45 * MS); /* 8 sector erases, twice as slow */
	assert_int_equal(frames(r, f, len, 64), 1);
	assert_int_equal(f[0][8], 0);
	nev = emu_erase_events(r->e, &ev);
	assert_int_equal(nev, 8);
	assert_true(ev[3].failed);
	assert_false(ev[2].failed);
	assert_false(emu_flash_is_blank(r->e, 3 * 4096, 4096));
	assert_true(emu_flash_is_blank(r->e, 4 * 4096, 4 * 4096));
	emu_get_stats(r->e, &st);
	assert_int_equal(st.flash_busy_us, 8 * 90000);
	rig_free(r);

	/* flash-begin-error: an erasing FLASH_BEGIN gets 01 <code>, erases nothing;
	 * the attach (size 0) still succeeds */
	cfg_quiet(&c);
	c.flash_prefill = true;
	c.flash_begin_error = 0x06;
	r = rig_new(&c);
	memset(d, 0, 16);
	put32(d + 8, 0x400);
	send_req(r, 0x02, d, 16, 0);
	run_to(r, r->t + 10 * MS);
	put32(d, 2 * 4096);
	send_req(r, 0x02, d, 16, 0);
	run_to(r, r->t + 200 * MS);
	assert_int_equal(frames(r, f, len, 64), 2);
	assert_int_equal(f[0][8], 0);
	assert_int_equal(f[1][1], 0x02);
	assert_int_equal(f[1][8], 1);
	assert_int_equal(f[1][9], 0x06);
	assert_int_equal(emu_erase_events(r->e, &ev), 0);
	assert_false(emu_flash_is_blank(r->e, 0, 2 * 4096));
	rig_free(r);
	{
		char err[128];

		cfg_quiet(&c);
		assert_int_equal(emu_config_set(&c, "flash-begin-error", "0x05", err, sizeof(err)), 0);
		assert_int_equal(c.flash_begin_error, 5);
		assert_int_equal(emu_config_set(&c, "flash-begin-error", "256", err, sizeof(err)), -1);
	}

	/* noise: garbage between frames, frames intact, deterministic by seed */
	cfg_quiet(&c);
	c.noise_rate = 0.2;
	c.seed = 42;
	r = rig_new(&c);
	r2 = rig_new(&c);
	send_sync(r);
	send_sync(r2);
	run_to(r, 50 * MS);
	run_to(r2, 50 * MS);
	assert_int_equal(r->rx_len, r2->rx_len);
	assert_memory_equal(r->rx, r2->rx, r->rx_len);
	assert_true(r->rx_len > 8 * 12);
	assert_int_equal(frames(r, f, len, 64), 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(len[i], 10);
	emu_get_stats(r->e, &st);
	assert_int_equal(st.noise_bytes, r->rx_len - 8 * 12);
	rig_free(r);
	rig_free(r2);

	/* unknown-op=same-op: one frame with the request's op */
	cfg_quiet(&c);
	c.unknown_op = EMU_UNKNOWN_SAME_OP;
	r = rig_new(&c);
	transact(r, 0x14, NULL, 0, 0, out);
	assert_int_equal(out[1], 0x14);
	assert_int_equal(out[9], 5);
	rig_free(r);
}

static void test_app_mode_and_unknown_reset(void **state)
{
	struct emu_config c;
	struct rig *r;
	uint8_t f[8][64];
	size_t len[8];

	(void)state;
	/* blank flash: periodic garbage (watchdog reboots), never answers */
	cfg_quiet(&c);
	c.start_mode = EMU_MODE_APP;
	r = rig_new(&c);
	run_to(r, 100 * MS);
	r->rx_len = 0;
	send_sync(r);
	run_to(r, 2500 * MS);
	assert_true(r->rx_len > 20);
	assert_int_equal(frames(r, f, len, 8), 0);
	for (size_t i = 0; i < r->rx_len; i++)
		assert_int_not_equal(r->rx[i], 0xC0);
	rig_free(r);

	/* unknown-op=reset: the chip reboots into what its straps say (idle: app) */
	cfg_quiet(&c);
	c.unknown_op = EMU_UNKNOWN_RESET;
	r = rig_new(&c);
	send_req(r, 0x14, NULL, 0, 0);
	run_to(r, 1 * MS);
	assert_int_equal(emu_mode(r->e), EMU_MODE_BOOTING);
	run_to(r, 40 * MS);
	assert_int_equal(emu_mode(r->e), EMU_MODE_APP);
	rig_free(r);
}

static void test_report_json(void **state)
{
	struct emu_config c;
	struct rig *r;
	char *buf = NULL;
	size_t sz = 0;
	FILE *f;

	(void)state;
	cfg_quiet(&c);
	r = rig_new(&c);
	read_reg(r, 0x40001000);
	f = open_memstream(&buf, &sz);
	assert_non_null(f);
	assert_int_equal(emu_report_json(r->e, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"mode\": \"loader\""));
	assert_non_null(strstr(buf, "\"0x0a\": 1"));
	assert_non_null(strstr(buf, "\"blank_ranges\": [[0, 4194304]]"));
	free(buf);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_eight_replies),
		cmocka_unit_test(test_first_sync_lost),
		cmocka_unit_test(test_read_reg_bytes_and_value_field),
		cmocka_unit_test(test_error_replies),
		cmocka_unit_test(test_rom_erase_table),
		cmocka_unit_test(test_flash_limit_and_set_params),
		cmocka_unit_test(test_flash_data_and_end),
		cmocka_unit_test(test_mem_end_erase_chip),
		cmocka_unit_test(test_spi_user_commands),
		cmocka_unit_test(test_spi_builtin_commands),
		cmocka_unit_test(test_efuse_mac_cases),
		cmocka_unit_test(test_efuse_esp8285_and_crystal),
		cmocka_unit_test(test_reset_sequences),
		cmocka_unit_test(test_reset_timing),
		cmocka_unit_test(test_banner),
		cmocka_unit_test(test_wire_timing),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_app_mode_and_unknown_reset),
		cmocka_unit_test(test_report_json),
	};

	return cmocka_run_group_tests_name("libespemu", tests, NULL, NULL);
}
