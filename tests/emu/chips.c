// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The chips the emulator models, one row each (see chips.h).  Values are
 * facts from the sheet (esp32-family-rom.md §0, §8) and from esptool v5.2.0
 * targets/<chip>.py: register addresses, eFuse bit positions, chip ids.  Where a
 * value is our choice it says so: [I] inference, [?] assumption.
 */
#include <string.h>
#include <strings.h>

#include "chips.h"

#define ANY 0xFFFF /* emu_by_rev.until: every revision */
#define WDT_KEY 0x50D83AA1u
/* The LP watchdog block of the C6, which the C5 and C61 share (sheet §8.4). */
#define WDT_LP_C6                                                                            \
	.wdt_config0 = 0x600B1C00, .wdt_wprotect = 0x600B1C18, .swd_conf = 0x600B1C1C,          \
	.swd_wprotect = 0x600B1C20, .swd_auto_feed = 1u << 18, .wdt_key = WDT_KEY,              \
	.swd_key = WDT_KEY
#define SWD_KEY_OLD 0x8F1D312Au /* RTC_CNTL SWD key on S3 and C3 */

/* The SPI1 user-command register layout every chip after the ESP32 shares. */
#define SPI_MEM(base) \
	.spi_base = (base), .spi_usr = 0x18, .spi_usr1 = 0x1C, .spi_usr2 = 0x20, \
	.spi_mosi_dlen = 0x24, .spi_miso_dlen = 0x28, .spi_w0 = 0x58, \
	.spi_dummy_bits = 6, .spi_addr_msb = false

/* What every ESP32-family row has in common. */
#define FAMILY .family = true, .uart_clk_mult = 1

/* ... and every chip after the ESP32: 5-word FLASH_BEGIN, "0164" past chip_size
 * (esptool: 0x164 "Invalid parameter"; sheet §4.4 pitfall 2) [I: which chips]. */
#define LATER \
	.flash_begin_words = 5, .flash_limit_err = 0x64, \
	.rst_poweron = "0x1 (POWERON)", .rst_sw = "0xc (RTC_SW_CPU_RST)" /* [?] */

/* The revision and security fields of the chips with an eFuse BLOCK1 layout. */
#define SEC_FIELDS(base) \
	{ (base) + 0x34, 18, 3, FLD_CRYPT_CNT, 0 }, { (base) + 0x38, 20, 1, FLD_SECURE_BOOT, 0 }

static const struct emu_chip_info chips[EMU_CHIP_COUNT] = {
	[EMU_CHIP_ESP8266EX] = {
		.key = "esp8266", .name = "ESP8266EX", .family = false,
		.magic = { { ANY, 0xFFF0C101u } },
		.flash_begin_words = 4, .flash_limit_err = 0x06, .crystals = { 26, 40 },
		.spi_base = 0x60000200, .spi_usr = 0x1C, .spi_usr1 = 0x20, .spi_usr2 = 0x24,
		.spi_w0 = 0x40, .spi_dummy_bits = 8, .spi_addr_msb = true,
		.uart_clkdiv = 0x60000014, .uart_clk_mult = 2,
		.ram = { { 0x3FFE8000, 0x40000000 }, { 0x40100000, 0x40108000 } },
	},
	[EMU_CHIP_ESP8285] = {
		.key = "esp8285", .name = "ESP8285", .family = false,
		.magic = { { ANY, 0xFFF0C101u } },
		.flash_begin_words = 4, .flash_limit_err = 0x06, .crystals = { 26, 40 },
		.spi_base = 0x60000200, .spi_usr = 0x1C, .spi_usr1 = 0x20, .spi_usr2 = 0x24,
		.spi_w0 = 0x40, .spi_dummy_bits = 8, .spi_addr_msb = true,
		.uart_clkdiv = 0x60000014, .uart_clk_mult = 2,
		.ram = { { 0x3FFE8000, 0x40000000 }, { 0x40100000, 0x40108000 } },
	},
	[EMU_CHIP_ESP32] = {
		.key = "esp32", .name = "ESP32", FAMILY,
		.magic = { { ANY, 0x00F01D83u } },
		.sec_info_len = 0, .chip_id = 0, .flash_begin_words = 4,
		.flash_limit_err = 0x06, /* "0106" (sheet §4.4 pitfall 2) [I: which chip] */
		.def_major = 3, .def_minor = 0, .crystals = { 40, 26 },
		.spi_base = 0x3FF42000, .spi_usr = 0x1C, .spi_usr1 = 0x20, .spi_usr2 = 0x24,
		.spi_mosi_dlen = 0x28, .spi_miso_dlen = 0x2C, .spi_w0 = 0x80,
		.spi_dummy_bits = 8, .spi_addr_msb = true,
		.uart_clkdiv = 0x3FF40014,
		.mac_reg = 0x3FF5A004,
		.fields = {
			{ 0x3FF5A014, 24, 2, FLD_MINOR, 0 },
			{ 0x3FF5A00C, 15, 1, FLD_ESP32_MAJOR, 0 }, /* EFUSE_RD_CHIP_VER_REV1 */
			{ 0x3FF5A014, 20, 1, FLD_ESP32_MAJOR, 1 }, /* EFUSE_RD_CHIP_VER_REV2 */
			{ 0x3FF6607C, 31, 1, FLD_ESP32_MAJOR, 2 }, /* APB_CTL_DATE bit 31 */
			{ 0x3FF5A000, 20, 7, FLD_CRYPT_CNT, 0 },
			{ 0x3FF5A018, 4, 1, FLD_SECURE_BOOT, 0 },  /* ABS_DONE_0 */
		},
		.ram = { { 0x3FFAE000, 0x40000000 }, { 0x40080000, 0x400A0000 } },
		.rom_id = { { 0, "ets Jun  8 2016 00:22:57\r\n" },
			    { 300, "ets Jul 29 2019 12:21:46\r\n" } /* [I] ECO3 ROM date */ },
		.rst_poweron = "0x1 (POWERON_RESET)", .rst_sw = "0xc (SW_CPU_RESET)",
		.boot_download = "0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))",
		.boot_spi = "0x13 (SPI_FAST_FLASH_BOOT)",
	},
	[EMU_CHIP_ESP32S2] = {
		.key = "esp32s2", .name = "ESP32-S2", FAMILY, LATER,
		.magic = { { ANY, 0x000007C6u } },
		.sec_info_len = 12, .chip_id = 2, .def_major = 1, .def_minor = 0,
		.crystals = { 40 },
		.spi_base = 0x3F402000, .spi_usr = 0x18, .spi_usr1 = 0x1C, .spi_usr2 = 0x20,
		.spi_mosi_dlen = 0x24, .spi_miso_dlen = 0x28, .spi_w0 = 0x58,
		.spi_dummy_bits = 6, .spi_addr_msb = false,
		.uart_clkdiv = 0x3F400014,
		.mac_reg = 0x3F41A044,
		.fields = {
			{ 0x3F41A050, 20, 1, FLD_MINOR, 3 },
			{ 0x3F41A054, 4, 3, FLD_MINOR, 0 },
			{ 0x3F41A050, 18, 2, FLD_MAJOR, 0 },
			SEC_FIELDS(0x3F41A000),
		},
		/* OTG only, no USB-Serial/JTAG: the byte exists, UART0 = 0 [I] */
		.uartdev = { { ANY, 0x3FFFFD14, 0 } },
		.ram = { { 0x3FFB0000, 0x40000000 }, { 0x40020000, 0x40070000 } },
		.rom_id = { { 0, "ESP-ROM:esp32s2-rc4-20191025\r\nBuild:Oct 25 2019" } }, /* [?] */
		.boot_download = "0x0 (DOWNLOAD(USB/UART0/1))", /* [?] */
		.boot_spi = "0x8 (SPI_FAST_FLASH_BOOT)",         /* [?] */
	},
	[EMU_CHIP_ESP32S3] = {
		.key = "esp32s3", .name = "ESP32-S3", FAMILY, LATER,
		.magic = { { ANY, 0x00000009u } },
		.sec_info_len = 20, .chip_id = 9, .def_major = 0, .def_minor = 2,
		.crystals = { 40 },
		SPI_MEM(0x60002000),
		.uart_clkdiv = 0x60000014,
		.mac_reg = 0x60007044,
		.fields = {
			{ 0x60007058, 23, 1, FLD_MINOR, 3 },
			{ 0x60007050, 18, 3, FLD_MINOR, 0 },
			{ 0x60007058, 24, 2, FLD_MAJOR, 0 },
			SEC_FIELDS(0x60007000),
		},
		.uartdev = { { ANY, 0x3FCEF14C, 4 } },
		.wdt_config0 = 0x60008098, .wdt_wprotect = 0x600080B0,
		.swd_conf = 0x600080B4, .swd_wprotect = 0x600080B8, .swd_auto_feed = 1u << 31,
		.wdt_key = WDT_KEY, .swd_key = SWD_KEY_OLD,
		.ram = { { 0x3FC88000, 0x3FD00000 }, { 0x40370000, 0x403E0000 } },
		.rom_id = { { 0, "ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021" } },
		.boot_download = "0x0 (DOWNLOAD(USB/UART0))",
		.boot_spi = "0x8 (SPI_FAST_FLASH_BOOT)", /* [?] */
	},
	[EMU_CHIP_ESP32C2] = {
		.key = "esp32c2", .name = "ESP32-C2", FAMILY, LATER,
		/* ECO0, ECO1, ECO4 (v4.8.1 list); revision boundaries [?] */
		.magic = { { 100, 0x6F51306Fu }, { 101, 0x7C41A06Fu }, { ANY, 0x0C21E06Fu } },
		.sec_info_len = 20, .chip_id = 12, .def_major = 1, .def_minor = 0,
		.crystals = { 40, 26 },
		SPI_MEM(0x60002000),
		.uart_clkdiv = 0x60000014,
		.mac_reg = 0x60008840,
		.fields = {
			{ 0x60008844, 16, 4, FLD_MINOR, 0 },
			{ 0x60008844, 20, 2, FLD_MAJOR, 0 },
			{ 0x60008830, 18, 3, FLD_CRYPT_CNT, 0 },
			{ 0x60008830, 21, 1, FLD_SECURE_BOOT, 0 },
		},
		.ram = { { 0x3FCA0000, 0x3FCE0000 }, { 0x4037C000, 0x403C0000 } },
		.log_assumes_40mhz = true,
		.rom_id = { { 0, "ESP-ROM:esp8684-api2-20220127\r\nBuild:Jan 27 2022" } }, /* [?] */
		.boot_download = "0x4 (DOWNLOAD(UART0))", /* [?] */
		.boot_spi = "0xc (SPI_FAST_FLASH_BOOT)",  /* [?] */
	},
	[EMU_CHIP_ESP32C3] = {
		.key = "esp32c3", .name = "ESP32-C3", FAMILY, LATER,
		/* ECO1+2, ECO3, ECO6, ECO7; revision boundaries [I] */
		.magic = { { 3, 0x6921506Fu }, { 100, 0x1B31506Fu }, { 101, 0x4881606Fu },
			   { ANY, 0x4361606Fu } },
		.sec_info_len = 20, .chip_id = 5, .def_major = 0, .def_minor = 4,
		.crystals = { 40 },
		SPI_MEM(0x60002000),
		.uart_clkdiv = 0x60000014,
		.mac_reg = 0x60008844,
		.fields = {
			{ 0x60008858, 23, 1, FLD_MINOR, 3 },
			{ 0x60008850, 18, 3, FLD_MINOR, 0 },
			{ 0x60008858, 24, 2, FLD_MAJOR, 0 },
			SEC_FIELDS(0x60008800),
		},
		.uartdev = { { 101, 0x3FCDF07C, 3 }, { ANY, 0x3FCDF078, 3 } },
		.wdt_config0 = 0x60008090, .wdt_wprotect = 0x600080A8,
		.swd_conf = 0x600080AC, .swd_wprotect = 0x600080B0, .swd_auto_feed = 1u << 31,
		.wdt_key = WDT_KEY, .swd_key = SWD_KEY_OLD,
		.ram = { { 0x3FC80000, 0x3FCE0000 }, { 0x4037C000, 0x403E0000 } },
		.rom_id = { { 0, "ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021" } },
		.boot_download = "0x5 (DOWNLOAD(USB/UART0/1))",
		.boot_spi = "0xd (SPI_FAST_FLASH_BOOT)", /* [?] */
	},
	[EMU_CHIP_ESP32C5] = {
		.key = "esp32c5", .name = "ESP32-C5", FAMILY, LATER,
		.magic = { { 1, 0x1101406Fu }, { ANY, 0x63E1406Fu } }, /* boundary [?] */
		.sec_info_len = 20, .chip_id = 23, .def_major = 0, .def_minor = 1,
		.crystals = { 48, 40 },
		SPI_MEM(0x60003000),
		.uart_clkdiv = 0x60000014,
		.mac_reg = 0x600B4844,
		.fields = {
			{ 0x600B484C, 0, 4, FLD_MINOR, 0 },
			{ 0x600B484C, 4, 2, FLD_MAJOR, 0 },
			SEC_FIELDS(0x600B4800),
		},
		.uartdev = { { ANY, 0x4085F514, 3 } }, /* v5.2.0; v4.10.0 read 0x4085F51C */
		WDT_LP_C6,
		.ram = { { 0x40800000, 0x40860000 }, { 0x40800000, 0x40860000 } },
		.rom_id = { { 0, "ESP-ROM:esp32c5-eco2-20250121\r\nBuild:Jan 21 2025" } }, /* [?] */
		.boot_download = "0x4 (DOWNLOAD(USB/UART0/SPI))", /* [?] */
		.boot_spi = "0xc (SPI_FAST_FLASH_BOOT)",          /* [?] */
	},
	[EMU_CHIP_ESP32C6] = {
		.key = "esp32c6", .name = "ESP32-C6", FAMILY, LATER,
		.magic = { { ANY, 0x2CE0806Fu } },
		.sec_info_len = 20, .chip_id = 13, .def_major = 0, .def_minor = 1,
		.crystals = { 40 },
		SPI_MEM(0x60003000),
		.uart_clkdiv = 0x60000014,
		.mac_reg = 0x600B0844,
		.fields = {
			{ 0x600B0850, 18, 4, FLD_MINOR, 0 },
			{ 0x600B0850, 22, 2, FLD_MAJOR, 0 },
			SEC_FIELDS(0x600B0800),
		},
		.uartdev = { { ANY, 0x4087F580, 3 } },
		WDT_LP_C6,
		.ram = { { 0x40800000, 0x40880000 }, { 0x40800000, 0x40880000 } },
		.rom_id = { { 0, "ESP-ROM:esp32c6-20220919\r\nBuild:Sep 19 2022" } },
		.boot_download = "0x4 (DOWNLOAD(USB/UART0/SDIO_FEI_FEO))",
		.boot_spi = "0xc (SPI_FAST_FLASH_BOOT)", /* [?] */
	},
	[EMU_CHIP_ESP32C61] = {
		.key = "esp32c61", .name = "ESP32-C61", FAMILY, LATER,
		.magic = { { 1, 0x33F0206Fu }, { ANY, 0x2421606Fu } }, /* boundary [?] */
		.sec_info_len = 20, .chip_id = 20, .def_major = 0, .def_minor = 2,
		.crystals = { 40 },
		SPI_MEM(0x60003000),
		.uart_clkdiv = 0x60000014,
		.mac_reg = 0x600B4844,
		.fields = {
			{ 0x600B484C, 0, 4, FLD_MINOR, 0 },
			{ 0x600B484C, 4, 2, FLD_MAJOR, 0 },
			{ 0x600B4830, 23, 3, FLD_CRYPT_CNT, 0 },
			{ 0x600B4834, 26, 1, FLD_SECURE_BOOT, 0 },
		},
		.uartdev = { { 3, 0x4084F5EC, 3 }, { ANY, 0x4084F5E4, 4 } },
		WDT_LP_C6,
		.ram = { { 0x40800000, 0x40860000 }, { 0x40800000, 0x40860000 } },
		.rom_id = { { 0, "ESP-ROM:esp32c61-20240329\r\nBuild:Mar 29 2024" } }, /* [?] */
		.boot_download = "0x4 (DOWNLOAD(USB/UART0))", /* [?] */
		.boot_spi = "0xc (SPI_FAST_FLASH_BOOT)",      /* [?] */
	},
	[EMU_CHIP_ESP32H2] = {
		.key = "esp32h2", .name = "ESP32-H2", FAMILY, LATER,
		.magic = { { ANY, 0xD7B73E80u } },
		.sec_info_len = 20, .chip_id = 16, .def_major = 0, .def_minor = 1,
		.crystals = { 32 },
		SPI_MEM(0x60003000),
		.uart_clkdiv = 0x60000014,
		.mac_reg = 0x600B0844,
		.fields = {
			{ 0x600B0850, 18, 3, FLD_MINOR, 0 },
			{ 0x600B0850, 21, 2, FLD_MAJOR, 0 },
			SEC_FIELDS(0x600B0800),
		},
		.uartdev = { { ANY, 0x4084FEFC, 3 } },
		.wdt_config0 = 0x600B1C00, .wdt_wprotect = 0x600B1C1C,
		.swd_conf = 0x600B1C20, .swd_wprotect = 0x600B1C24, .swd_auto_feed = 1u << 18,
		.wdt_key = WDT_KEY, .swd_key = WDT_KEY,
		.ram = { { 0x40800000, 0x40880000 }, { 0x40800000, 0x40880000 } },
		.rom_id = { { 0, "ESP-ROM:esp32h2-20221101\r\nBuild:Nov  1 2022" } }, /* [?] */
		.boot_download = "0x4 (DOWNLOAD(USB/UART0))", /* [?] */
		.boot_spi = "0xc (SPI_FAST_FLASH_BOOT)",      /* [?] */
	},
	[EMU_CHIP_ESP32P4] = {
		.key = "esp32p4", .name = "ESP32-P4", FAMILY, LATER,
		.magic = { { ANY, 0x00000000u } }, /* no usable magic (sheet §0.1) [?] */
		.sec_info_len = 20, .chip_id = 18, .def_major = 1, .def_minor = 0,
		/* ESF: eco_version >= 5 is rev v3.x; esptool: v3.1 is ECO6 */
		.eco = { { 100, 0 }, { 200, 1 }, { 300, 2 }, { 301, 5 }, { ANY, 6 } },
		.crystals = { 40 },
		SPI_MEM(0x5008D000),
		.uart_clkdiv = 0x500CA014, /* UART0 base + 0x14 [I]; esptool never reads it */
		.mac_reg = 0x5012D044,
		.fields = {
			{ 0x5012D04C, 0, 4, FLD_MINOR, 0 },
			{ 0x5012D04C, 4, 2, FLD_MAJOR, 0 },
			{ 0x5012D04C, 23, 1, FLD_MAJOR, 2 },
			SEC_FIELDS(0x5012D000),
		},
		.uartdev = { { 300, 0x4FF3FEC8, 6 }, { ANY, 0x4FFBFEC8, 6 } },
		.wdt_config0 = 0x50116000, .wdt_wprotect = 0x50116018,
		.swd_conf = 0x5011601C, .swd_wprotect = 0x50116020, .swd_auto_feed = 1u << 18,
		.wdt_key = WDT_KEY, .swd_key = WDT_KEY,
		.ram = { { 0x4FF00000, 0x4FFA0000 }, { 0x4FF00000, 0x4FFA0000 } },
		.rom_id = { { 0, "ESP-ROM:esp32p4-eco2-20240710\r\nBuild:Jul 10 2024" } }, /* [?] */
		.boot_download = "0x4 (DOWNLOAD(USB/UART0))", /* [?] */
		.boot_spi = "0xc (SPI_FAST_FLASH_BOOT)",      /* [?] */
	},
};

const struct emu_chip_info *chip_info(enum emu_chip chip)
{
	if ((unsigned int)chip >= EMU_CHIP_COUNT)
		chip = EMU_CHIP_ESP8266EX;
	return &chips[chip];
}

int chip_by_key(const char *key, enum emu_chip *chip)
{
	if (!strcasecmp(key, "esp8266ex")) {
		*chip = EMU_CHIP_ESP8266EX;
		return 0;
	}
	for (int i = 0; i < EMU_CHIP_COUNT; i++) {
		if (!strcasecmp(key, chips[i].key)) {
			*chip = (enum emu_chip)i;
			return 0;
		}
	}
	return -1;
}

const char *emu_chip_key(enum emu_chip chip)
{
	return (unsigned int)chip < EMU_CHIP_COUNT ? chips[chip].key : NULL;
}

unsigned int chip_rev(const struct emu_config *cfg)
{
	const struct emu_chip_info *c = chip_info(cfg->chip);
	unsigned int major = cfg->rev_major >= 0 ? (unsigned int)cfg->rev_major : c->def_major;
	unsigned int minor = cfg->rev_minor >= 0 ? (unsigned int)cfg->rev_minor : c->def_minor;

	return major * 100 + minor;
}

uint32_t chip_by_rev(const struct emu_by_rev *list, unsigned int rev)
{
	for (size_t i = 0; list[i].until; i++) {
		if (rev < list[i].until)
			return list[i].value;
	}
	return 0;
}

unsigned int chip_rev_max(const struct emu_chip_info *c, enum emu_fld_src src)
{
	unsigned int bits = 0;

	if (src == FLD_MAJOR) {
		for (size_t i = 0; i < EMU_CHIP_FIELDS && c->fields[i].src; i++) {
			if (c->fields[i].src == FLD_ESP32_MAJOR)
				return 3; /* codes 0, 1, 3, 7 */
		}
	}
	for (size_t i = 0; i < EMU_CHIP_FIELDS && c->fields[i].src; i++) {
		const struct emu_reg_field *f = &c->fields[i];
		unsigned int top = (unsigned int)f->src_shift + f->width;

		if (f->src == src && top > bits)
			bits = top;
	}
	return bits ? (1u << bits) - 1 : 0;
}
