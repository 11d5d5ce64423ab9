/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ESP32 family: the chip table, its decoders, detection against the fake
 * ROM, the 4-byte status form, the unsupported-command pattern, the family
 * erase sequence byte for byte, and SPI_FLASH_MD5.
 */
#include <stdlib.h>
#include <string.h>

#include "blank_md5.h"
#include "chip.h"
#include "chips.h"
#include "fake_rom.h"
#include "fake_transport.h"
#include "flashplan.h"
#include "unit.h"

#define MiB (1u << 20)

/* ---- the table ---- */

static void table_consistent(void **state)
{
	size_t n12 = 0;

	(void)state;
	assert_int_equal(chip_table_len, 11);
	for (size_t i = 0; i < chip_table_len; i++) {
		const struct chip_desc *c = &chip_table[i];
		const struct chip_spi_regs *sp = &c->spi;
		bool family = c->erase_model == ERASE_MODEL_EXACT;

		assert_non_null(c->name);
		assert_ptr_equal(chip_by_name(c->name), c);
		for (size_t k = i + 1; k < chip_table_len; k++) {
			assert_string_not_equal(c->name, chip_table[k].name);
			if (c->secinfo_len == 20 && chip_table[k].secinfo_len == 20)
				assert_int_not_equal(c->secinfo_chip_id, chip_table[k].secinfo_chip_id);
		}
		/* detection */
		assert_true(c->secinfo_len == 0 || c->secinfo_len == 12 || c->secinfo_len == 20);
		if (c->secinfo_len == 12)
			n12++;
		if (c->secinfo_len == 20)
			assert_true(c->secinfo_chip_id >= 0);
		assert_true(c->detect_by_magic == (c->secinfo_len == 0));
		if (c->detect_by_magic) {
			assert_true(c->nmagic >= 1);
			for (size_t k = 0; k < c->nmagic; k++)
				assert_ptr_equal(chip_by_magic(c->magic[k]), c);
		} else {
			/* never confused with a magic-detected chip */
			for (size_t k = 0; k < c->nmagic; k++)
				assert_null(chip_by_magic(c->magic[k]));
			assert_ptr_equal(c->secinfo_len == 20 ? chip_by_secinfo_id((uint32_t)c->secinfo_chip_id)
							      : chip_by_secinfo_len(c->secinfo_len),
					 c);
		}
		assert_true(c->nmagic <= CHIP_MAGICS_MAX);
		/* protocol */
		assert_true(c->status_len == 2 || c->status_len == 4);
		assert_true(c->flash_begin_words == 4 || c->flash_begin_words == 5);
		assert_true(c->flash_begin_words == 5 || c->secinfo_len == 0); /* ESP8266, ESP32: 4 */
		assert_true(c->rom_ops & CHIP_OP(ROM_SYNC));
		assert_true(c->rom_ops & CHIP_OP(ROM_READ_REG));
		assert_true(c->rom_ops & CHIP_OP(ROM_FLASH_BEGIN));
		assert_int_equal(!!(c->rom_ops & CHIP_OP(ROM_GET_SECURITY_INFO)), c->secinfo_len != 0);
		assert_true(!(c->rom_ops & CHIP_OP(0x0C)));
		if (family) {
			assert_int_equal(c->status_len, 4);
			assert_int_equal(c->attach, CHIP_ATTACH_SPI_ATTACH);
			assert_int_equal(c->set_params, CHIP_SET_PARAMS_FIRST);
			assert_int_equal(c->verify, CHIP_VERIFY_MD5);
			assert_int_equal(c->rom_addr_limit, 16 * MiB);
			assert_int_equal(c->rom_default_flash_size, 2 * MiB);
			assert_true(c->rom_ops & CHIP_OP(ROM_SPI_ATTACH));
			assert_true(c->rom_ops & CHIP_OP(ROM_SPI_FLASH_MD5));
			assert_true(sp->dlen_regs);
			assert_int_equal(c->mac_layout, CHIP_MAC_HI16_LO32);
			assert_true(c->has_revision);
			assert_true(reg_number_width(&c->rev.major) >= 2);
			assert_true(reg_number_width(&c->rev.minor) >= 2);
			assert_false(c->leave_with_flash_end);
		} else {
			assert_int_equal(c->status_len, 2);
			assert_int_equal(c->verify, CHIP_VERIFY_SPI_READ);
		}
		/* registers: offsets in order, W0 after them */
		assert_true(sp->base != 0);
		assert_true(sp->usr < sp->usr1 && sp->usr1 < sp->usr2);
		if (sp->dlen_regs)
			assert_true(sp->usr2 < sp->mosi_dlen && sp->mosi_dlen < sp->miso_dlen &&
				    sp->miso_dlen < sp->w0);
		else
			assert_true(sp->usr2 < sp->w0);
		if (c->mac_layout == CHIP_MAC_HI16_LO32)
			assert_int_equal(c->mac_hi, c->mac_lo + 4);
		if (c->usj.buf_no_addr) {
			assert_true(c->usj.wdt_config0 && c->usj.wdt_wprotect && c->usj.swd_conf &&
				    c->usj.swd_wprotect && c->usj.swd_auto_feed);
			assert_int_equal(c->usj.wdt_key, 0x50D83AA1);
			if (c->usj.new_from_rev)
				assert_true(c->usj.buf_no_addr_old != 0);
		}
		assert_int_equal(!!c->power_on_rev, !!c->npower_on);
		assert_true(!c->attach_pads_from_efuse || c->spi_pads.clk.width == 5);
	}
	assert_int_equal(n12, 1);
	assert_string_equal(chip_by_secinfo_len(12)->name, "ESP32-S2");
	assert_null(chip_by_secinfo_len(20));
	assert_null(chip_by_secinfo_id(2)); /* the S2 has no chip id in its reply */
	assert_string_equal(chip_by_secinfo_id(5)->name, "ESP32-C3");
	assert_string_equal(chip_by_secinfo_id(9)->name, "ESP32-S3");
	assert_string_equal(chip_by_secinfo_id(12)->name, "ESP32-C2");
	assert_string_equal(chip_by_secinfo_id(13)->name, "ESP32-C6");
	assert_string_equal(chip_by_secinfo_id(16)->name, "ESP32-H2");
	assert_string_equal(chip_by_secinfo_id(18)->name, "ESP32-P4");
	assert_string_equal(chip_by_secinfo_id(20)->name, "ESP32-C61");
	assert_string_equal(chip_by_secinfo_id(23)->name, "ESP32-C5");
	assert_null(chip_by_secinfo_id(77));
	assert_int_equal(chip_by_name("ESP32")->flash_begin_words, 4);
	assert_int_equal(chip_by_name("ESP32")->spi.w0, 0x80);
	assert_true(chip_by_name("ESP32")->attach_pads_from_efuse);
	assert_int_equal(chip_sdm_ops & CHIP_OP(ROM_READ_REG), 0);
	assert_int_equal(chip_sdm_ops & CHIP_OP(ROM_SPI_FLASH_MD5), 0);
	assert_true(chip_sdm_ops & CHIP_OP(ROM_FLASH_BEGIN));
}

/* ---- decoders ---- */

static void security_info_decode(void **state)
{
	uint8_t d[20] = { 0x05, 0x00, 0x00, 0x00, /* flags: secure boot, SDM */
			  0x07,                   /* crypt cnt: 3 bits, odd */
			  1, 2, 3, 4, 5, 6, 7,    /* key purposes */
			  0x05, 0, 0, 0,          /* chip id 5 */
			  0x03, 0, 0, 0 };        /* eco 3 */
	struct security_info si;

	(void)state;
	assert_true(chip_decode_security_info(d, 20, &si));
	assert_int_equal(si.len, 20);
	assert_int_equal(si.flags, 5);
	assert_true(si.flags & SECINFO_SECURE_DOWNLOAD);
	assert_true(si.flags & SECINFO_SECURE_BOOT_EN);
	assert_int_equal(si.flash_crypt_cnt, 7);
	assert_true(chip_crypt_cnt_enabled(si.flash_crypt_cnt));
	assert_int_equal(si.key_purposes[6], 7);
	assert_true(si.has_chip_id);
	assert_int_equal(si.chip_id, 5);
	assert_int_equal(si.eco_version, 3);
	/* the S2's 12 bytes: no chip id */
	assert_true(chip_decode_security_info(d, 12, &si));
	assert_false(si.has_chip_id);
	assert_int_equal(si.len, 12);
	assert_false(chip_decode_security_info(d, 16, &si));
	assert_false(chip_decode_security_info(d, 0, &si));
	/* flash encryption: odd popcount */
	assert_false(chip_crypt_cnt_enabled(0));
	assert_true(chip_crypt_cnt_enabled(1));
	assert_false(chip_crypt_cnt_enabled(3));
	assert_true(chip_crypt_cnt_enabled(0x7F));
	assert_false(chip_crypt_cnt_enabled(0x3F));
}

static void mac_traces(void **state)
{
	const uint8_t s3[] = { 0x48, 0x27, 0xe2, 0x61, 0xb0, 0xd4 };
	const uint8_t esp32[] = { 0x24, 0x6f, 0x28, 0x7a, 0xd8, 0x84 };
	uint8_t mac[6];

	(void)state;
	/* S3 (esptool#868): 0x60007044 -> 0xE261B0D4, 0x60007048 -> 0x00004827 */
	chip_mac_from_words(0xE261B0D4, 0x00004827, mac);
	assert_memory_equal(mac, s3, 6);
	/* ESP32 (esptool#570): word1 0x287AD884, word2 0x003E246F (its top half a CRC) */
	chip_mac_from_words(0x287AD884, 0x003E246F, mac);
	assert_memory_equal(mac, esp32, 6);
	assert_int_equal(chip_by_name("ESP32")->mac_lo, 0x3FF5A004);
	assert_int_equal(chip_by_name("ESP32")->mac_hi, 0x3FF5A008);
	assert_int_equal(chip_by_name("ESP32-S3")->mac_lo, 0x60007044);
	assert_int_equal(chip_by_name("ESP32-C2")->mac_lo, 0x60008840);
	assert_int_equal(chip_by_name("ESP32-C3")->mac_lo, 0x60008844);
}

/* A register file for the pure revision decoder. */
struct regs {
	uint32_t addr[16], val[16];
	size_t n;
	int reads;
};

static void regs_set(struct regs *r, uint32_t addr, uint32_t val)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->addr[i] == addr) {
			r->val[i] |= val;
			return;
		}
	r->addr[r->n] = addr;
	r->val[r->n++] = val;
}

static int regs_read(void *ctx, uint32_t addr, uint32_t *v)
{
	struct regs *r = ctx;

	r->reads++;
	*v = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->addr[i] == addr)
			*v = r->val[i];
	return 0;
}

static void revision_decode(void **state)
{
	struct regs r;
	unsigned int maj, min;
	char name[48];

	(void)state;
	/* C3 v0.4: minor low bits in BLOCK1 word 3 [20:18] */
	memset(&r, 0, sizeof(r));
	regs_set(&r, 0x60008850, 4u << 18);
	assert_int_equal(chip_read_revision(chip_by_name("ESP32-C3"), regs_read, &r, &maj, &min), 0);
	assert_int_equal(maj, 0);
	assert_int_equal(min, 4);
	chip_format_name("ESP32-C3", true, maj, min, name, sizeof(name));
	assert_string_equal(name, "ESP32-C3 (revision v0.4)");
	/* C3 v1.1: minor bit 3 in word 5 [23], major in word 5 [25:24] */
	memset(&r, 0, sizeof(r));
	regs_set(&r, 0x60008858, (1u << 24) | (1u << 23));
	regs_set(&r, 0x60008850, 1u << 18);
	assert_int_equal(chip_read_revision(chip_by_name("ESP32-C3"), regs_read, &r, &maj, &min), 0);
	assert_int_equal(maj, 1);
	assert_int_equal(min, 9);
	/* ESP32 v3.0: all three major bits (APB_CTL_DATE, BLK0 word 5, word 3) = code 7 -> 3 */
	memset(&r, 0, sizeof(r));
	regs_set(&r, 0x3FF6607C, 1u << 31);
	regs_set(&r, 0x3FF5A014, 1u << 20);
	regs_set(&r, 0x3FF5A00C, 1u << 15);
	assert_int_equal(chip_read_revision(chip_by_name("ESP32"), regs_read, &r, &maj, &min), 0);
	assert_int_equal(maj, 3);
	assert_int_equal(min, 0);
	/* code 3 -> v2, code 1 -> v1, minor in word 5 [25:24] */
	memset(&r, 0, sizeof(r));
	regs_set(&r, 0x3FF5A014, (1u << 20) | (1u << 24));
	regs_set(&r, 0x3FF5A00C, 1u << 15);
	assert_int_equal(chip_read_revision(chip_by_name("ESP32"), regs_read, &r, &maj, &min), 0);
	assert_int_equal(maj, 2);
	assert_int_equal(min, 1);
	/* code 2 (not a valid combination) -> 0, as esptool */
	memset(&r, 0, sizeof(r));
	regs_set(&r, 0x3FF5A014, 1u << 20);
	assert_int_equal(chip_read_revision(chip_by_name("ESP32"), regs_read, &r, &maj, &min), 0);
	assert_int_equal(maj, 0);
	/* S3 v0.2, and the v0.0 quirk: block version v1.1 reuses the major field */
	memset(&r, 0, sizeof(r));
	regs_set(&r, 0x60007050, 2u << 18);
	assert_int_equal(chip_read_revision(chip_by_name("ESP32-S3"), regs_read, &r, &maj, &min), 0);
	assert_int_equal(maj, 0);
	assert_int_equal(min, 2);
	memset(&r, 0, sizeof(r));
	regs_set(&r, 0x60007058, 1u << 24);   /* raw major 1 */
	regs_set(&r, 0x6000706C, 1);         /* blk major 1 */
	regs_set(&r, 0x60007050, 1u << 24);  /* blk minor 1 */
	assert_int_equal(chip_read_revision(chip_by_name("ESP32-S3"), regs_read, &r, &maj, &min), 0);
	assert_int_equal(maj, 0);
	assert_int_equal(min, 0);
	/* P4 v3.1: major bit 2 in word 2 [23], bits 1:0 in [5:4] */
	memset(&r, 0, sizeof(r));
	regs_set(&r, 0x5012D04C, (1u << 23) | (3u << 4) | 1u);
	assert_int_equal(chip_read_revision(chip_by_name("ESP32-P4"), regs_read, &r, &maj, &min), 0);
	assert_int_equal(maj, 7);
	assert_int_equal(min, 1);
	memset(&r, 0, sizeof(r));
	regs_set(&r, 0x5012D04C, (3u << 4) | 1u);
	assert_int_equal(chip_read_revision(chip_by_name("ESP32-P4"), regs_read, &r, &maj, &min), 0);
	assert_int_equal(maj * 100 + min, chip_by_name("ESP32-P4")->power_on_rev);
	/* C2: BLOCK2 word 1, major [21:20], minor [19:16] */
	memset(&r, 0, sizeof(r));
	regs_set(&r, 0x60008844, (1u << 20) | (2u << 16));
	assert_int_equal(chip_read_revision(chip_by_name("ESP32-C2"), regs_read, &r, &maj, &min), 0);
	assert_int_equal(maj, 1);
	assert_int_equal(min, 2);
	chip_format_name("ESP8266EX", false, 0, 0, name, sizeof(name));
	assert_string_equal(name, "ESP8266EX");
}

static void md5_hex_and_blank(void **state)
{
	const char hex[] = "6ae59e64850377ee5470c854761551EA";
	const uint8_t want[16] = { 0x6a, 0xe5, 0x9e, 0x64, 0x85, 0x03, 0x77, 0xee,
				   0x54, 0x70, 0xc8, 0x54, 0x76, 0x15, 0x51, 0xea };
	uint8_t md5[16];
	char bad[33];

	(void)state;
	assert_true(chip_md5_from_hex(hex, md5));
	assert_memory_equal(md5, want, 16);
	/* the MD5 of a 4 KiB sector of 0xFF */
	blank_md5(4096, md5);
	assert_memory_equal(md5, want, 16);
	memcpy(bad, hex, 33);
	bad[31] = 'g';
	assert_false(chip_md5_from_hex(bad, md5));
	bad[31] = 'a';
	bad[0] = ' ';
	assert_false(chip_md5_from_hex(bad, md5));
	assert_true(chip_jedec_no_answer(0xFFFFFF));
	assert_true(chip_jedec_no_answer(0));
	assert_true(chip_jedec_no_answer(0xFFFF3F));
	assert_false(chip_jedec_no_answer(0x1640EF));
	assert_int_equal(chip_md5_timeout_ms(4 * MiB), 4 * 8000 + 3000);
	assert_int_equal(chip_md5_timeout_ms(4096), 32 + 3000);
}

static void exact_erase_walk(void **state)
{
	struct rom_erase_effect fx;
	struct erase_plan plan;

	(void)state;
	/* whole 4 MiB: 16 sectors, 62 blocks, 16 sectors; nothing more */
	rom_erase_model_of(ERASE_MODEL_EXACT, 0, 4 * MiB, &fx);
	assert_int_equal(fx.sectors, 1024);
	assert_int_equal(fx.sector_erases, 32);
	assert_int_equal(fx.block_erases, 62);
	/* 0x11000 + 0x23000: 15 sectors to the boundary, one block, 4 sectors */
	rom_erase_model_of(ERASE_MODEL_EXACT, 0x11000, 0x23000, &fx);
	assert_int_equal(fx.sectors, 35);
	assert_int_equal(fx.sector_erases, 19);
	assert_int_equal(fx.block_erases, 1);
	/* exactly 16 remaining after the head are sectors, not a block */
	rom_erase_model_of(ERASE_MODEL_EXACT, 0, 0x20000, &fx);
	assert_int_equal(fx.sector_erases, 32);
	assert_int_equal(fx.block_erases, 0);
	/* one step of exactly the range */
	assert_int_equal(plan_erase_for(ERASE_MODEL_EXACT, 0x11000, 0x23000, 4 * MiB, NULL, &plan), 0);
	assert_int_equal(plan.nsteps, 1);
	assert_int_equal(plan.step[0].kind, PLAN_FLASH_BEGIN);
	assert_int_equal(plan.step[0].offset, 0x11000);
	assert_int_equal(plan.step[0].erase_size, 0x23000);
	assert_int_equal(plan.step[0].covers, 0x23000);
	assert_int_equal(plan_erase_for(ERASE_MODEL_EXACT, 0x1000, 0x1000, 4 * MiB, NULL, &plan), 0);
	assert_int_equal(plan.step[0].covers, 0x1000);
	assert_int_equal(plan.sector_erases, 1);
	assert_int_equal(plan_erase_for(ERASE_MODEL_EXACT, 0x800, 0x1000, 4 * MiB, NULL, &plan), -22);
	assert_int_equal(plan_erase_for(ERASE_MODEL_EXACT, 0, 8 * MiB, 4 * MiB, NULL, &plan), -22);
	/* the ESP8266 model is still the planner's */
	assert_int_equal(plan_erase_for(ERASE_MODEL_ESP8266_BUG, 0, 4 * MiB, 4 * MiB, NULL, &plan), 0);
	assert_int_equal(plan.step[0].erase_size, 4 * MiB - 16 * 4096);
}

/* ---- against the fake ROM ---- */

struct fx {
	struct fake_tr *f;
	struct fake_rom rom;
	struct rom_link link;
	struct chip_detection det;
	struct chip_info info;
	size_t checked;
};

static int fx_setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	x->f = fake_new();
	fake_rom_init(&x->rom, x->f);
	rom_link_init(&x->link, &x->f->tr);
	*state = x;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *x = *state;

	fake_free(x->f);
	free(x);
	return 0;
}

static size_t count_op(const struct fx *x, uint8_t op)
{
	size_t n = 0;

	for (size_t i = 0; i < x->f->nframes; i++)
		n += x->f->frames[i].body[1] == op;
	return n;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The next host frame with this op must carry exactly these data words. */
static void expect_frame(struct fx *x, uint8_t op, const uint32_t *words, size_t n)
{
	uint8_t want[8 + 4 * 8] = { 0x00, op, (uint8_t)(4 * n), 0x00, 0, 0, 0, 0 };

	for (size_t i = 0; i < n; i++)
		put32(want + 8 + 4 * i, words[i]);
	while (x->checked < x->f->nframes && x->f->frames[x->checked].body[1] != op)
		x->checked++;
	assert_true(x->checked < x->f->nframes);
	assert_int_equal(x->f->frames[x->checked].len, 8 + 4 * n);
	assert_memory_equal(x->f->frames[x->checked].body, want, 8 + 4 * n);
	x->checked++;
}

static void detect_esp8266_never_gets_0x14(void **state)
{
	struct fx *x = *state;

	fake_rom_set_chip(&x->rom, chip_by_name("ESP8266"));
	assert_int_equal(chip_detect(&x->link, &x->det), ROM_OK);
	assert_string_equal(x->det.desc->name, "ESP8266");
	assert_int_equal(count_op(x, 0x14), 0);
	assert_int_equal(x->f->nframes, 1); /* the magic read alone */
	assert_false(x->det.sdm);
	/* the ESP8266 link never sends the family's opcodes */
	assert_int_equal(rom_spi_attach(&x->link, 0, 100, NULL), ROM_E_PROTO);
	assert_int_equal(x->f->nframes, 1);
}

static void detect_esp32_by_magic(void **state)
{
	struct fx *x = *state;

	fake_rom_set_chip(&x->rom, chip_by_name("ESP32"));
	assert_int_equal(chip_detect(&x->link, &x->det), ROM_OK);
	assert_string_equal(x->det.desc->name, "ESP32");
	assert_int_equal(count_op(x, 0x14), 0);
	/* and may not send it later either */
	assert_false(rom_link_may_send(&x->link, ROM_GET_SECURITY_INFO));
	assert_true(rom_link_may_send(&x->link, ROM_SPI_ATTACH));
	assert_true(rom_link_may_send(&x->link, ROM_SPI_FLASH_MD5));
}

static void detect_c3_by_chip_id(void **state)
{
	struct fx *x = *state;

	fake_rom_set_chip(&x->rom, chip_by_name("ESP32-C3"));
	/* a magic of a later ECO nobody listed */
	fake_rom_set_reg(&x->rom, CHIP_MAGIC_REG, 0x12345678);
	assert_int_equal(chip_detect(&x->link, &x->det), ROM_OK);
	assert_string_equal(x->det.desc->name, "ESP32-C3");
	assert_int_equal(x->det.magic_result, ROM_OK);
	assert_int_equal(x->det.magic, 0x12345678);
	assert_int_equal(x->det.secinfo.len, 20);
	assert_int_equal(x->det.secinfo.chip_id, 5);
	assert_int_equal(count_op(x, 0x14), 1);
	/* the magic read came first, then 0x14 */
	assert_int_equal(x->f->frames[0].body[1], ROM_READ_REG);
	assert_int_equal(x->f->frames[1].body[1], 0x14);
	assert_int_equal(x->f->frames[1].len, 8);
	assert_false(x->det.sdm);
}

static void detect_s2_by_12_bytes(void **state)
{
	struct fx *x = *state;

	fake_rom_set_chip(&x->rom, chip_by_name("ESP32-S2"));
	assert_int_equal(chip_detect(&x->link, &x->det), ROM_OK);
	assert_string_equal(x->det.desc->name, "ESP32-S2");
	assert_int_equal(x->det.secinfo.len, 12);
	assert_false(x->det.secinfo.has_chip_id);
}

static void detect_sdm_s2(void **state)
{
	struct fx *x = *state;

	fake_rom_set_chip(&x->rom, chip_by_name("ESP32-S2"));
	x->rom.sdm = true;
	x->rom.secinfo[0] = SECINFO_SECURE_DOWNLOAD;
	assert_int_equal(chip_detect(&x->link, &x->det), ROM_OK);
	assert_string_equal(x->det.desc->name, "ESP32-S2");
	assert_int_equal(x->det.magic_result, ROM_E_UNSUPPORTED);
	assert_true(x->det.sdm);
	/* one magic read (unsupported is final, not resent), then 0x14 */
	assert_int_equal(count_op(x, ROM_READ_REG), 1);
	assert_int_equal(count_op(x, 0x14), 1);
	assert_int_equal(x->rom.unsupported_count, 1);
	/* in SDM the link refuses register access outright */
	assert_false(rom_link_may_send(&x->link, ROM_READ_REG));
	assert_false(rom_link_may_send(&x->link, ROM_SPI_FLASH_MD5));
	assert_true(rom_link_may_send(&x->link, ROM_SPI_SET_PARAMS));
	/* identify reads nothing */
	size_t before = x->f->nframes;
	assert_int_equal(chip_identify(&x->link, 115200, &x->det, &x->info), ROM_OK);
	assert_int_equal(x->f->nframes, before);
	assert_true(x->info.sdm);
	assert_string_equal(x->info.name, "ESP32-S2");
	assert_true(x->info.security_known);
	assert_false(x->info.mac_valid);
	assert_int_equal(x->info.flash_size, 0);
}

static void detect_unknown_chip_id(void **state)
{
	struct fx *x = *state;

	fake_rom_set_chip(&x->rom, chip_by_name("ESP32-C3"));
	x->rom.secinfo[12] = 77;
	assert_int_equal(chip_detect(&x->link, &x->det), CHIP_E_UNKNOWN);
	assert_null(x->det.desc);
	assert_int_equal(x->det.secinfo.chip_id, 77);
	/* nothing but the two probes went out, and nothing more may */
	assert_int_equal(x->f->nframes, 2);
	assert_false(rom_link_may_send(&x->link, ROM_FLASH_BEGIN));
}

static void before_detection_only_sync_and_read_reg(void **state)
{
	struct fx *x = *state;

	assert_true(rom_link_may_send(&x->link, ROM_SYNC));
	assert_true(rom_link_may_send(&x->link, ROM_READ_REG));
	assert_false(rom_link_may_send(&x->link, ROM_GET_SECURITY_INFO));
	assert_false(rom_link_may_send(&x->link, ROM_FLASH_BEGIN));
	assert_false(rom_link_may_send(&x->link, ROM_WRITE_REG));
	assert_int_equal(rom_write_reg(&x->link, 0x60000000, 0, 100), ROM_E_PROTO);
	assert_int_equal(rom_flash_begin(&x->link, 0x1000, 0, 0x400, 0, 100, NULL), ROM_E_PROTO);
	{
		uint8_t b[20];
		size_t n;

		assert_int_equal(rom_get_security_info(&x->link, 100, b, &n, NULL), ROM_E_PROTO);
	}
	assert_int_equal(x->f->nframes, 0);
}

static void unsupported_pattern_for_probes_only(void **state)
{
	struct fx *x = *state;
	uint64_t t0;
	uint32_t v = 0;

	/* the ESP8266 answers a register read it does not like with the pattern (an SDM chip would) */
	x->rom.sdm = true;
	fake_rom_set_chip(&x->rom, chip_by_name("ESP32-C3"));
	t0 = x->f->now_us;
	assert_int_equal(rom_read_reg_probe(&x->link, CHIP_MAGIC_REG, &v, 400), ROM_E_UNSUPPORTED);
	/* the eight repeats were drained, within the bound */
	assert_int_equal(fake_pending(x->f), 0);
	assert_true(x->f->now_us - t0 < 1000u * (ROM_UNSUPPORTED_DRAIN_MS + 50));
	assert_int_equal(x->f->nframes, 1);
	/* a normal read does not take the pattern as an answer: it times out and is resent */
	x->link.retries = 1;
	assert_int_equal(rom_read_reg(&x->link, CHIP_MAGIC_REG, &v, 100), ROM_E_TIMEOUT);
	assert_int_equal(x->f->nframes, 3);
	/* a single stale error frame is not the pattern */
	x->rom.sdm = false;
	fake_queue_reply_ex(x->f, x->f->now_us + 100, ROM_SYNC, 0, NULL, 0, 1, 0x05, 4);
	fake_rom_set_reg(&x->rom, CHIP_MAGIC_REG, 0xABCD);
	assert_int_equal(rom_read_reg_probe(&x->link, CHIP_MAGIC_REG, &v, 400), ROM_OK);
	assert_int_equal(v, 0xABCD);
}

static void four_byte_error_fails(void **state)
{
	struct fx *x = *state;
	struct rom_reply r;

	rom_link_set_ops(&x->link, chip_by_name("ESP32-C3")->rom_ops);
	/* 01 06 00 00: a reader of the last two bytes would see 00 00 */
	fake_queue_reply_ex(x->f, x->f->now_us + 1000, ROM_FLASH_BEGIN, 0, NULL, 0, 1, 0x06, 4);
	assert_int_equal(rom_flash_begin_words(&x->link, 5, 0x1000, 4, 0x400, 0, 0, 100, &r),
			 ROM_E_FAILED);
	assert_int_equal(r.status, 1);
	assert_int_equal(r.error, 6);
	assert_int_equal(r.status_len, 4);
	/* and 00 00 00 00 is success */
	fake_queue_reply_ex(x->f, x->f->now_us + 1000, ROM_FLASH_BEGIN, 0, NULL, 0, 0, 0, 4);
	assert_int_equal(rom_flash_begin_words(&x->link, 5, 0x1000, 4, 0x400, 0, 0, 100, &r), ROM_OK);
	/* 2 status bytes too */
	fake_queue_reply_ex(x->f, x->f->now_us + 1000, ROM_FLASH_BEGIN, 0, NULL, 0, 0, 0, 2);
	assert_int_equal(rom_flash_begin_words(&x->link, 5, 0x1000, 4, 0x400, 0, 0, 100, &r), ROM_OK);
	assert_int_equal(rom_flash_begin_words(&x->link, 6, 0x1000, 4, 0x400, 0, 0, 100, &r), ROM_E_PROTO);
}

/* Identify a family chip on the fake ROM with the given eFuse words. */
static void identify_family(struct fx *x, const char *name)
{
	const struct chip_desc *d = chip_by_name(name);

	fake_rom_set_chip(&x->rom, d);
	assert_int_equal(chip_detect(&x->link, &x->det), ROM_OK);
	assert_ptr_equal(x->det.desc, d);
	assert_int_equal(chip_identify(&x->link, 115200, &x->det, &x->info), ROM_OK);
}

static void c3_identify_and_erase_sequence(void **state)
{
	struct fx *x = *state;
	const struct chip_desc *d = chip_by_name("ESP32-C3");
	const uint32_t attach[] = { 0, 0 };
	const uint32_t params[] = { 0, 4 * MiB, 0x10000, 0x1000, 0x100, 0xFFFF };
	const uint32_t fb[] = { 4 * MiB, 4096, 0x400, 0, 0 };
	const uint8_t mac[] = { 0x60, 0x55, 0xf9, 0x0a, 0x0b, 0x0c };

	fake_rom_set_reg(&x->rom, 0x60008850, 4u << 18); /* v0.4 */
	fake_rom_set_reg(&x->rom, 0x60008844, 0xF90A0B0C);
	fake_rom_set_reg(&x->rom, 0x60008848, 0x00006055);
	fake_rom_set_reg(&x->rom, d->spi.base + d->spi.usr, 0x80000064);
	identify_family(x, "ESP32-C3");
	assert_string_equal(x->info.name, "ESP32-C3 (revision v0.4)");
	assert_string_equal(x->info.model, "ESP32-C3");
	assert_true(x->info.mac_valid);
	assert_memory_equal(x->info.mac, mac, 6);
	assert_int_equal(x->info.flash_id, 0x1640EF);
	assert_int_equal(x->info.flash_size, 4 * MiB);
	assert_int_equal(x->info.flash_size_source, FLASH_SIZE_JEDEC);
	assert_true(x->info.usj_known);
	assert_false(x->info.usj);
	assert_false(x->info.watchdogs_disabled);
	assert_true(x->info.security_known);
	assert_false(x->info.flash_encryption || x->info.secure_boot);
	assert_int_equal(x->info.crystal_mhz, 0);
	/* the USJ check read UARTDEV_BUF_NO at the v1.1+ address? no: v0.4 uses the old one */
	{
		bool saw_old = false;

		for (size_t i = 0; i < x->f->nframes; i++)
			if (x->f->frames[i].body[1] == ROM_READ_REG &&
			    x->f->frames[i].body[8] == 0x7C && x->f->frames[i].body[9] == 0xF0)
				saw_old = true;
		assert_true(saw_old);
	}
	/* SPI_ATTACH: 8 bytes, config 0 */
	expect_frame(x, ROM_SPI_ATTACH, attach, 2);
	assert_int_equal(x->rom.attach_count, 1);
	assert_int_equal(count_op(x, ROM_FLASH_BEGIN), 0);

	assert_int_equal(chip_prepare_flash(&x->link, &x->info, 4 * MiB, NULL), ROM_OK);
	assert_true(x->info.params_sent);
	assert_int_equal(x->rom.attach_count, 1); /* not attached twice */
	expect_frame(x, ROM_SPI_SET_PARAMS, params, 6);
	assert_int_equal(chip_erase_begin(&x->link, &x->info, 0, 4 * MiB, 5000, NULL), ROM_OK);
	expect_frame(x, ROM_FLASH_BEGIN, fb, 5);
	assert_int_equal(x->rom.fb_words[0], 5);
	/* no FLASH_DATA, no FLASH_END, no stub */
	for (uint8_t op = ROM_FLASH_DATA; op <= ROM_MEM_DATA; op++)
		assert_int_equal(count_op(x, op), 0);
	/* and leaving without reset lines never sends FLASH_END to the family */
	assert_int_equal(chip_leave_loader(&x->link, &x->info, 100), ROM_E_PROTO);
	assert_int_equal(count_op(x, ROM_FLASH_END), 0);
	assert_int_equal(x->rom.unsupported_count, 0);
}

static void esp32_attach_pads_and_4_words(void **state)
{
	struct fx *x = *state;
	const uint32_t attach[] = { (7u << 24) | (16u << 18) | (8u << 12) | (17u << 6) | 6u, 0 };
	const uint32_t fb[] = { 0x23000, 0x8C, 0x400, 0x11000 };

	/* pads: clk 6, q 17, d 8, cs 16 (RDATA5), hd 7 (RDATA3 [8:4]) */
	fake_rom_set_reg(&x->rom, 0x3FF5A014, 6u | (17u << 5) | (8u << 10) | (16u << 15));
	fake_rom_set_reg(&x->rom, 0x3FF5A00C, 7u << 4);
	identify_family(x, "ESP32");
	expect_frame(x, ROM_SPI_ATTACH, attach, 2);
	assert_int_equal(chip_prepare_flash(&x->link, &x->info, 4 * MiB, NULL), ROM_OK);
	assert_int_equal(chip_erase_begin(&x->link, &x->info, 0x11000, 0x23000, 5000, NULL), ROM_OK);
	expect_frame(x, ROM_FLASH_BEGIN, fb, 4);
	assert_int_equal(count_op(x, 0x14), 0);
}

static void esp32_security_from_efuses(void **state)
{
	struct fx *x = *state;

	fake_rom_set_reg(&x->rom, 0x3FF5A000, 1u << 20); /* FLASH_CRYPT_CNT: one bit */
	fake_rom_set_reg(&x->rom, 0x3FF5A018, 1u << 5);  /* ABS_DONE_1: only from v3.0 */
	identify_family(x, "ESP32");
	assert_true(x->info.flash_encryption);
	assert_false(x->info.secure_boot); /* a v0.0 chip: ABS_DONE_1 does not count */
	assert_false(x->info.has_secinfo);
}

static void family_rdid_sequence(void **state)
{
	struct fx *x = *state;
	const struct chip_desc *d = chip_by_name("ESP32-S3");
	uint32_t id = 0;
	/* READ USR, USR2; MISO_DLEN = 23; USR; USR2; W0 = 0; CMD; poll; READ W0; restore */
	const struct { uint8_t op; uint32_t addr, val; } want[] = {
		{ ROM_READ_REG, 0x60002018, 0 },         { ROM_READ_REG, 0x60002020, 0 },
		{ ROM_WRITE_REG, 0x60002028, 23 },       { ROM_WRITE_REG, 0x60002018, 0x90000000 },
		{ ROM_WRITE_REG, 0x60002020, 0x7000009F }, { ROM_WRITE_REG, 0x60002058, 0 },
		{ ROM_WRITE_REG, 0x60002000, 0x40000 },  { ROM_READ_REG, 0x60002000, 0 },
		{ ROM_READ_REG, 0x60002000, 0 },         { ROM_READ_REG, 0x60002058, 0 },
		{ ROM_WRITE_REG, 0x60002018, 0x80000064 }, { ROM_WRITE_REG, 0x60002020, 0x70000003 },
	};

	fake_rom_set_chip(&x->rom, d);
	rom_link_set_ops(&x->link, d->rom_ops);
	fake_rom_set_reg(&x->rom, 0x60002018, 0x80000064);
	fake_rom_set_reg(&x->rom, 0x60002020, 0x70000003);
	x->rom.jedec = 0x1840C8;
	assert_int_equal(chip_flash_jedec(&x->link, d, &id), ROM_OK);
	assert_int_equal(id, 0x1840C8);
	assert_int_equal(x->f->nframes, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < x->f->nframes; i++) {
		const uint8_t *b = x->f->frames[i].body;
		uint32_t addr = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 |
				(uint32_t)b[11] << 24;

		assert_int_equal(b[1], want[i].op);
		assert_int_equal(addr, want[i].addr);
		if (want[i].op == ROM_WRITE_REG) {
			uint32_t v = (uint32_t)b[12] | (uint32_t)b[13] << 8 | (uint32_t)b[14] << 16 |
				     (uint32_t)b[15] << 24;

			assert_int_equal(v, want[i].val);
		}
	}
	/* USR1 (lengths on the ESP8266) is not written for RDID */
	assert_int_equal(fake_rom_get_reg(&x->rom, 0x6000201C), 0);
}

static void flash_no_answer(void **state)
{
	struct fx *x = *state;

	x->rom.jedec = 0xFFFFFF;
	identify_family(x, "ESP32-H2");
	assert_true(x->info.flash_no_answer);
	assert_int_equal(x->info.flash_size, 0);
	assert_int_equal(x->info.flash_size_source, FLASH_SIZE_UNKNOWN);
}

static void usj_watchdogs(void **state)
{
	struct fx *x = *state;

	fake_rom_set_reg(&x->rom, 0x4087F580, 3); /* C6: the USB-Serial/JTAG port */
	fake_rom_set_reg(&x->rom, 0x600B1C1C, 0x10);
	identify_family(x, "ESP32-C6");
	assert_true(x->info.usj);
	assert_true(x->info.watchdogs_disabled);
	assert_int_equal(fake_rom_get_reg(&x->rom, 0x600B1C00), 0);          /* WDTCONFIG0 */
	assert_int_equal(fake_rom_get_reg(&x->rom, 0x600B1C1C), 0x10 | (1u << 18)); /* auto-feed */
	assert_int_equal(fake_rom_get_reg(&x->rom, 0x600B1C18), 0);          /* locked again */
	assert_int_equal(fake_rom_get_reg(&x->rom, 0x600B1C20), 0);
}

static void p4_power_on_v31(void **state)
{
	struct fx *x = *state;

	fake_rom_set_reg(&x->rom, 0x5012D04C, (3u << 4) | 1u); /* v3.1 */
	fake_rom_set_reg(&x->rom, 0x501151B8, 0xFFu << 23);
	identify_family(x, "ESP32-P4");
	assert_string_equal(x->info.name, "ESP32-P4 (revision v3.1)");
	assert_true(x->info.flash_powered_on);
	assert_int_equal(fake_rom_get_reg(&x->rom, 0x5011010C), 1);
	assert_int_equal(fake_rom_get_reg(&x->rom, 0x501153FC) & 3, 3);
	assert_int_equal(fake_rom_get_reg(&x->rom, 0x501151BC) & (1u << 27), 0);
	assert_int_equal(fake_rom_get_reg(&x->rom, 0x501151B8), 0);
	/* the power-on came before the attach */
	{
		size_t attach = 0, pad = 0;

		for (size_t i = 0; i < x->f->nframes; i++) {
			const uint8_t *b = x->f->frames[i].body;

			if (b[1] == ROM_SPI_ATTACH && !attach)
				attach = i;
			if (b[1] == ROM_WRITE_REG && b[8] == 0x0C && b[9] == 0x01 && b[10] == 0x11)
				pad = i;
		}
		assert_true(pad && attach && pad < attach);
	}
	/* not on another revision */
	fake_free(x->f);
	x->f = fake_new();
	fake_rom_init(&x->rom, x->f);
	rom_link_init(&x->link, &x->f->tr);
	fake_rom_set_reg(&x->rom, 0x5012D04C, 1u << 4); /* v1.0 */
	identify_family(x, "ESP32-P4");
	assert_false(x->info.flash_powered_on);
	assert_int_equal(fake_rom_get_reg(&x->rom, 0x5011010C), 0);
}

static void md5_command(void **state)
{
	struct fx *x = *state;
	const struct chip_desc *d = chip_by_name("ESP32-C5");
	uint8_t md5[16], want[16];
	const uint32_t words[] = { 0x1000, 0x3000, 0, 0 };

	fake_rom_set_chip(&x->rom, d);
	rom_link_set_ops(&x->link, d->rom_ops);
	assert_int_equal(chip_flash_md5(&x->link, 0x1000, 0x3000, md5), ROM_OK);
	blank_md5(0x3000, want);
	assert_memory_equal(md5, want, 16);
	expect_frame(x, ROM_SPI_FLASH_MD5, words, 4);
	x->rom.md5_bad_sector = 2;
	assert_int_equal(chip_flash_md5(&x->link, 0x1000, 0x3000, md5), ROM_OK);
	assert_memory_not_equal(md5, want, 16);
	/* a digest with a non-hex byte is a protocol error, never "blank" */
	{
		char bad[32];

		memset(bad, 'z', sizeof(bad));
		fake_queue_reply_ex(x->f, x->f->now_us + 1000, ROM_SPI_FLASH_MD5, 0, (const uint8_t *)bad, 32,
				    0, 0, 4);
		x->rom.ignore_requests = 1;
		assert_int_equal(chip_flash_md5(&x->link, 0, 0x1000, md5), ROM_E_PROTO);
	}
	/* a failure status without the digest fails the command */
	x->rom.fail_requests = 1;
	x->rom.fail_error = 0x06;
	assert_int_equal(chip_flash_md5(&x->link, 0, 0x1000, md5), ROM_E_FAILED);
}

int unit_family_tests(int *total)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_consistent),
		cmocka_unit_test(security_info_decode),
		cmocka_unit_test(mac_traces),
		cmocka_unit_test(revision_decode),
		cmocka_unit_test(md5_hex_and_blank),
		cmocka_unit_test(exact_erase_walk),
		cmocka_unit_test_setup_teardown(detect_esp8266_never_gets_0x14, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(detect_esp32_by_magic, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(detect_c3_by_chip_id, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(detect_s2_by_12_bytes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(detect_sdm_s2, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(detect_unknown_chip_id, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(before_detection_only_sync_and_read_reg, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(unsupported_pattern_for_probes_only, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(four_byte_error_fails, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(c3_identify_and_erase_sequence, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(esp32_attach_pads_and_4_words, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(esp32_security_from_efuses, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(family_rdid_sequence, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(flash_no_answer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(usj_watchdogs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(p4_power_on_v31, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(md5_command, fx_setup, fx_teardown),
	};

	return UNIT_RUN_GROUP("family", tests, total);
}
