/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The chip table.  Sources (facts only, no code): the fact sheet
 * (../shared/docs/esp32-family-rom.md, §n below) and esptool v5.2.0
 * targets/<chip>.py for the revision fields, the ESP32 security and SPI pad
 * eFuses and the P4 flash power-on sequence (see the report in
 * docs/esp32-family.md, "Facts and their sources").
 */
#include <string.h>

#include "chips.h"
#include "rom.h"

#define MiB (1u << 20)

/* What the ROMs implement (sheet §3). */
#define OPS_ESP8266                                                                          \
	(CHIP_OP(ROM_FLASH_BEGIN) | CHIP_OP(ROM_FLASH_DATA) | CHIP_OP(ROM_FLASH_END) |           \
	 CHIP_OP(ROM_MEM_BEGIN) | CHIP_OP(ROM_MEM_END) | CHIP_OP(ROM_MEM_DATA) |                \
	 CHIP_OP(ROM_SYNC) | CHIP_OP(ROM_WRITE_REG) | CHIP_OP(ROM_READ_REG) |                   \
	 CHIP_OP(ROM_SPI_SET_PARAMS))
#define OPS_ESP32                                                                            \
	(OPS_ESP8266 | CHIP_OP(ROM_SPI_ATTACH) | CHIP_OP(ROM_READ_FLASH_SLOW) |                  \
	 CHIP_OP(ROM_CHANGE_BAUDRATE) | CHIP_OP(ROM_FLASH_DEFL_BEGIN) |                         \
	 CHIP_OP(ROM_FLASH_DEFL_DATA) | CHIP_OP(ROM_FLASH_DEFL_END) | CHIP_OP(ROM_SPI_FLASH_MD5))
#define OPS_S2_AND_LATER (OPS_ESP32 | CHIP_OP(ROM_GET_SECURITY_INFO))

const uint32_t chip_sdm_ops =
	CHIP_OP(ROM_SYNC) | CHIP_OP(ROM_SPI_ATTACH) | CHIP_OP(ROM_SPI_SET_PARAMS) |
	CHIP_OP(ROM_CHANGE_BAUDRATE) | CHIP_OP(ROM_FLASH_BEGIN) | CHIP_OP(ROM_FLASH_DATA) |
	CHIP_OP(ROM_FLASH_END) | CHIP_OP(ROM_GET_SECURITY_INFO);

#define F(a, s, w) { (a), (s), (w) }
#define NONE { 0, 0, 0 }

/* SPI registers of the S2 and later chips (sheet §0.2), at a given base. */
#define SPI_FAMILY(b) { (b), 0x18, 0x1C, 0x20, true, 0x24, 0x28, 0x58, false }

/* The protocol, flash and verify facts common to the S2 and later chips (sheet §0, §2). */
#define FAMILY_COMMON                                                                        \
	.status_len = 4, .rom_ops = OPS_S2_AND_LATER,                      \
	.flash_begin_words = 5, .has_sdm = true, .attach = CHIP_ATTACH_SPI_ATTACH,            \
	.set_params = CHIP_SET_PARAMS_FIRST, .rom_default_flash_size = 2 * MiB,               \
	.rom_addr_limit = 16 * MiB, .erase_model = ERASE_MODEL_EXACT,                         \
	.verify = CHIP_VERIFY_MD5, .mac_layout = CHIP_MAC_HI16_LO32, .has_revision = true,    \
	.security = CHIP_SECURITY_INFO

/* A revision number "hi<<w(lo) | lo" or a plain field. */
#define NUM1(a, s, w) { { F(a, s, w), NONE, NONE } }
#define NUM2(a1, s1, w1, a2, s2, w2) { { F(a1, s1, w1), F(a2, s2, w2), NONE } }

/* The watchdog keys (sheet §8.4). */
#define WDT_KEY 0x50D83AA1u
#define SWD_KEY_RTC 0x8F1D312Au

/* The LP watchdog block of the C6 (C5 and C61 inherit it), sheet §8.4. */
#define USJ_WDT_C6                                                                           \
	.wdt_config0 = 0x600B1C00u, .wdt_wprotect = 0x600B1C18u, .wdt_key = WDT_KEY,          \
	.swd_conf = 0x600B1C1Cu, .swd_wprotect = 0x600B1C20u, .swd_key = WDT_KEY,             \
	.swd_auto_feed = 1u << 18

/*
 * ESP32-P4 v3.1: the flash is powered off until this runs (esptool v5.2.0
 * esp32p4.py power_on_flash): the pad group, then the LDO's current limit
 * and TIEH select around a PMU update, then its target cleared and the eFuse
 * voltage taken over.
 */
static const struct reg_step p4_power_on[] = {
	{ REG_STEP_WRITE, 0x5011010Cu, 1 },          /* LP_SYSTEM ANA_XPD_PAD_GROUP */
	{ REG_STEP_WAIT, 0, 10000 },
	{ REG_STEP_SET, 0x501151BCu, 1u << 27 },      /* PMU EXT_LDO_P0_0P1A_ANA: EN_CUR_LIM_0 */
	{ REG_STEP_SET, 0x501151B8u, 1u << 7 },       /* PMU EXT_LDO_P0_0P1A: FORCE_TIEH_SEL_0 */
	{ REG_STEP_SET, 0x501153FCu, 3u },            /* PMU_DATE */
	{ REG_STEP_WAIT, 0, 50 },
	{ REG_STEP_CLEAR, 0x501151BCu, 1u << 27 },
	{ REG_STEP_CLEAR, 0x501151B8u, 0xFFu << 23 }, /* TARGET0_0 */
	{ REG_STEP_SET, 0x501151B8u, 0x80u },         /* eFuse voltage to the PMU */
	{ REG_STEP_CLEAR, 0x501151B8u, 1u << 7 },
	{ REG_STEP_WAIT, 0, 1800 },
};

const struct chip_desc chip_table[] = {
	{
		.name = "ESP8266",
		.detect_by_magic = true,
		.magic = { 0xFFF0C101u }, .nmagic = 1,
		.secinfo_chip_id = -1, .secinfo_len = 0,
		.status_len = 2, .rom_ops = OPS_ESP8266, .flash_begin_words = 4,
		.leave_with_flash_end = true,
		.attach = CHIP_ATTACH_FLASH_BEGIN, .set_params = CHIP_SET_PARAMS_ON_REFUSAL,
		.rom_default_flash_size = 4 * MiB, /* [?] sheet §7 */
		.erase_model = ERASE_MODEL_ESP8266_BUG, .verify = CHIP_VERIFY_SPI_READ,
		.spi = { 0x60000200u, 0x1C, 0x20, 0x24, false, 0, 0, 0x40, true },
		.mac_layout = CHIP_MAC_ESP8266_OUI, .mac_lo = 0x3FF00050u,
		.uart_clkdiv_reg = 0x60000014u,
		.security = CHIP_SECURITY_NONE,
	},
	{
		.name = "ESP32",
		.detect_by_magic = true,
		.magic = { 0x00F01D83u }, .nmagic = 1,
		.secinfo_chip_id = 0, .secinfo_len = 0,
		.status_len = 4, .rom_ops = OPS_ESP32, .flash_begin_words = 4,
		.attach = CHIP_ATTACH_SPI_ATTACH, .attach_pads_from_efuse = true,
		/* BLK0 RDATA5 clk/q/d/cs, RDATA3 hd */
		.spi_pads = { F(0x3FF5A014u, 0, 5), F(0x3FF5A014u, 5, 5), F(0x3FF5A014u, 10, 5),
			      F(0x3FF5A014u, 15, 5), F(0x3FF5A00Cu, 4, 5) },
		.set_params = CHIP_SET_PARAMS_FIRST, .rom_default_flash_size = 2 * MiB,
		.rom_addr_limit = 16 * MiB, .erase_model = ERASE_MODEL_EXACT,
		.verify = CHIP_VERIFY_MD5,
		.spi = { 0x3FF42000u, 0x1C, 0x20, 0x24, true, 0x28, 0x2C, 0x80, true },
		.mac_layout = CHIP_MAC_HI16_LO32, .mac_lo = 0x3FF5A004u, .mac_hi = 0x3FF5A008u,
		.has_revision = true,
		.rev = {
			/* APB_CTL_DATE bit 31, BLK0 word 5 bit 20, word 3 bit 15 */
			.major = { { F(0x3FF6607Cu, 31, 1), F(0x3FF5A014u, 20, 1), F(0x3FF5A00Cu, 15, 1) } },
			.minor = NUM1(0x3FF5A014u, 24, 2),
			.major_mapped = true, .major_map = { 0, 1, 0, 2, 0, 0, 0, 3 },
		},
		.security = CHIP_SECURITY_EFUSE,
		.efuse_sec = {
			.crypt_cnt = F(0x3FF5A000u, 20, 7),   /* FLASH_CRYPT_CNT */
			.secure_boot = F(0x3FF5A018u, 4, 1),  /* ABS_DONE_0 */
			.secure_boot2 = F(0x3FF5A018u, 5, 1), /* ABS_DONE_1, from v3.0 */
			.secure_boot2_rev = 300,
		},
	},
	{
		.name = "ESP32-S2",
		.magic = { 0x000007C6u }, .nmagic = 1,
		.secinfo_chip_id = 2,
		FAMILY_COMMON,
		.secinfo_len = 12, /* no chip id (sheet §1.2) */
		.spi = SPI_FAMILY(0x3F402000u),
		.mac_lo = 0x3F41A044u, .mac_hi = 0x3F41A048u,
		.rev = {
			.major = NUM1(0x3F41A050u, 18, 2),
			.minor = NUM2(0x3F41A050u, 20, 1, 0x3F41A054u, 4, 3),
		},
		/* UARTDEV_BUF_NO shows USB-OTG (2) only: no USB-Serial/JTAG */
	},
	{
		.name = "ESP32-S3",
		.magic = { 0x00000009u }, .nmagic = 1,
		.secinfo_chip_id = 9,
		FAMILY_COMMON,
		.secinfo_len = 20,
		.spi = SPI_FAMILY(0x60002000u),
		.mac_lo = 0x60007044u, .mac_hi = 0x60007048u,
		.rev = {
			.major = NUM1(0x60007058u, 24, 2),
			.minor = NUM2(0x60007058u, 23, 1, 0x60007050u, 18, 3),
			.eco0_blk_major = F(0x6000706Cu, 0, 2),
			.eco0_blk_minor = F(0x60007050u, 24, 3),
		},
		.usj = { .buf_no_addr = 0x3FCEF14Cu, .usj_value = 4,
			 .wdt_config0 = 0x60008098u, .wdt_wprotect = 0x600080B0u, .wdt_key = WDT_KEY,
			 .swd_conf = 0x600080B4u, .swd_wprotect = 0x600080B8u, .swd_key = SWD_KEY_RTC,
			 .swd_auto_feed = 1u << 31 },
	},
	{
		.name = "ESP32-C2",
		.magic = { 0x6F51306Fu, 0x7C41A06Fu, 0x0C21E06Fu }, .nmagic = 3,
		.secinfo_chip_id = 12,
		FAMILY_COMMON,
		.secinfo_len = 20,
		.spi = SPI_FAMILY(0x60002000u),
		.mac_lo = 0x60008840u, .mac_hi = 0x60008844u,
		.rev = {
			.major = NUM1(0x60008844u, 20, 2),
			.minor = NUM1(0x60008844u, 16, 4),
		},
		/* no USB */
	},
	{
		.name = "ESP32-C3",
		.magic = { 0x6921506Fu, 0x1B31506Fu, 0x4881606Fu, 0x4361606Fu }, .nmagic = 4,
		.secinfo_chip_id = 5,
		FAMILY_COMMON,
		.secinfo_len = 20,
		.spi = SPI_FAMILY(0x60002000u),
		.mac_lo = 0x60008844u, .mac_hi = 0x60008848u,
		.rev = {
			.major = NUM1(0x60008858u, 24, 2),
			.minor = NUM2(0x60008858u, 23, 1, 0x60008850u, 18, 3),
		},
		.usj = { .buf_no_addr = 0x3FCDF078u, .usj_value = 3, .new_from_rev = 101,
			 .buf_no_addr_old = 0x3FCDF07Cu, .usj_value_old = 3,
			 .wdt_config0 = 0x60008090u, .wdt_wprotect = 0x600080A8u, .wdt_key = WDT_KEY,
			 .swd_conf = 0x600080ACu, .swd_wprotect = 0x600080B0u, .swd_key = SWD_KEY_RTC,
			 .swd_auto_feed = 1u << 31 },
	},
	{
		.name = "ESP32-C5",
		.magic = { 0x1101406Fu, 0x63E1406Fu, 0x5FD1406Fu }, .nmagic = 3,
		.secinfo_chip_id = 23,
		FAMILY_COMMON,
		.secinfo_len = 20,
		.spi = SPI_FAMILY(0x60003000u),
		.mac_lo = 0x600B4844u, .mac_hi = 0x600B4848u,
		.rev = {
			.major = NUM1(0x600B484Cu, 4, 2),
			.minor = NUM1(0x600B484Cu, 0, 4),
		},
		.usj = { .buf_no_addr = 0x4085F514u, .usj_value = 3, USJ_WDT_C6 },
	},
	{
		.name = "ESP32-C6",
		.magic = { 0x2CE0806Fu }, .nmagic = 1,
		.secinfo_chip_id = 13,
		FAMILY_COMMON,
		.secinfo_len = 20,
		.spi = SPI_FAMILY(0x60003000u),
		.mac_lo = 0x600B0844u, .mac_hi = 0x600B0848u,
		.rev = {
			.major = NUM1(0x600B0850u, 22, 2),
			.minor = NUM1(0x600B0850u, 18, 4),
		},
		.usj = { .buf_no_addr = 0x4087F580u, .usj_value = 3, USJ_WDT_C6 },
	},
	{
		.name = "ESP32-C61",
		.magic = { 0x33F0206Fu, 0x2421606Fu, 0x7211606Fu }, .nmagic = 3,
		.secinfo_chip_id = 20,
		FAMILY_COMMON,
		.secinfo_len = 20,
		.spi = SPI_FAMILY(0x60003000u),
		.mac_lo = 0x600B4844u, .mac_hi = 0x600B4848u,
		.rev = {
			.major = NUM1(0x600B484Cu, 4, 2),
			.minor = NUM1(0x600B484Cu, 0, 4),
		},
		/* up to v0.2 the older address and value */
		.usj = { .buf_no_addr = 0x4084F5E4u, .usj_value = 4, .new_from_rev = 3,
			 .buf_no_addr_old = 0x4084F5ECu, .usj_value_old = 3, USJ_WDT_C6 },
	},
	{
		.name = "ESP32-H2",
		.magic = { 0xD7B73E80u }, .nmagic = 1,
		.secinfo_chip_id = 16,
		FAMILY_COMMON,
		.secinfo_len = 20,
		.spi = SPI_FAMILY(0x60003000u),
		.mac_lo = 0x600B0844u, .mac_hi = 0x600B0848u,
		.rev = {
			.major = NUM1(0x600B0850u, 21, 2),
			.minor = NUM1(0x600B0850u, 18, 3),
		},
		.usj = { .buf_no_addr = 0x4084FEFCu, .usj_value = 3,
			 .wdt_config0 = 0x600B1C00u, .wdt_wprotect = 0x600B1C1Cu, .wdt_key = WDT_KEY,
			 .swd_conf = 0x600B1C20u, .swd_wprotect = 0x600B1C24u, .swd_key = WDT_KEY,
			 .swd_auto_feed = 1u << 18 },
	},
	{
		.name = "ESP32-P4",
		.nmagic = 0, /* 0x40001000 holds nothing usable (sheet §0.1) */
		.secinfo_chip_id = 18,
		FAMILY_COMMON,
		.secinfo_len = 20,
		.spi = SPI_FAMILY(0x5008D000u),
		.mac_lo = 0x5012D044u, .mac_hi = 0x5012D048u,
		.rev = {
			.major = NUM2(0x5012D04Cu, 23, 1, 0x5012D04Cu, 4, 2),
			.minor = NUM1(0x5012D04Cu, 0, 4),
		},
		/* from v3.0 the newer address */
		.usj = { .buf_no_addr = 0x4FFBFEC8u, .usj_value = 6, .new_from_rev = 300,
			 .buf_no_addr_old = 0x4FF3FEC8u, .usj_value_old = 6,
			 .wdt_config0 = 0x50116000u, .wdt_wprotect = 0x50116018u, .wdt_key = WDT_KEY,
			 .swd_conf = 0x5011601Cu, .swd_wprotect = 0x50116020u, .swd_key = WDT_KEY,
			 .swd_auto_feed = 1u << 18 },
		.power_on_rev = 301, .power_on = p4_power_on,
		.npower_on = sizeof(p4_power_on) / sizeof(p4_power_on[0]),
	},
};

const size_t chip_table_len = sizeof(chip_table) / sizeof(chip_table[0]);

const struct chip_desc *chip_by_magic(uint32_t magic)
{
	for (size_t i = 0; i < chip_table_len; i++) {
		const struct chip_desc *c = &chip_table[i];

		if (!c->detect_by_magic)
			continue;
		for (size_t k = 0; k < c->nmagic; k++)
			if (c->magic[k] == magic)
				return c;
	}
	return NULL;
}

const struct chip_desc *chip_by_secinfo_id(uint32_t chip_id)
{
	for (size_t i = 0; i < chip_table_len; i++)
		if (chip_table[i].secinfo_len == 20 && chip_table[i].secinfo_chip_id >= 0 &&
		    (uint32_t)chip_table[i].secinfo_chip_id == chip_id)
			return &chip_table[i];
	return NULL;
}

const struct chip_desc *chip_by_secinfo_len(unsigned int len)
{
	if (len == 0 || len == 20)
		return NULL; /* 20 bytes carry a chip id: use chip_by_secinfo_id */
	for (size_t i = 0; i < chip_table_len; i++)
		if (chip_table[i].secinfo_len == len)
			return &chip_table[i];
	return NULL;
}

const char *chip_name_for_magic(uint32_t magic)
{
	for (size_t i = 0; i < chip_table_len; i++)
		for (size_t k = 0; k < chip_table[i].nmagic; k++)
			if (chip_table[i].magic[k] == magic)
				return chip_table[i].name;
	return NULL;
}

const struct chip_desc *chip_by_name(const char *name)
{
	for (size_t i = 0; i < chip_table_len; i++)
		if (strcmp(chip_table[i].name, name) == 0)
			return &chip_table[i];
	return NULL;
}

uint32_t reg_field_get(const struct reg_field *f, uint32_t reg_value)
{
	if (f->width == 0)
		return 0;
	if (f->width >= 32)
		return reg_value >> f->shift;
	return (reg_value >> f->shift) & ((1u << f->width) - 1);
}

unsigned int reg_number_width(const struct reg_number *n)
{
	unsigned int w = 0;

	for (size_t i = 0; i < 3; i++)
		w += n->part[i].width;
	return w;
}

int reg_number_read(const struct reg_number *n, reg_reader_fn rd, void *ctx, uint32_t *value)
{
	uint32_t v = 0;

	for (size_t i = 0; i < 3; i++) {
		const struct reg_field *f = &n->part[i];
		uint32_t raw;
		int rc;

		if (f->width == 0)
			continue;
		rc = rd(ctx, f->addr, &raw);
		if (rc != 0)
			return rc;
		v = (v << f->width) | reg_field_get(f, raw);
	}
	*value = v;
	return 0;
}
