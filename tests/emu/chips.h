/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulator's per-chip facts: one row per chip in chips.c.  Everything
 * the model does differently per chip is read from the row; no other file
 * tests for a particular chip.  This table is written for the emulator from
 * the fact sheet (esp32-family-rom.md) and esptool's target files as facts;
 * it shares no code with the tool's own table in userspace/.
 */
#ifndef EMU_CHIPS_H
#define EMU_CHIPS_H

#include <stdbool.h>
#include <stdint.h>

#include "espemu.h"

/* What a bit field of a read-only register carries. */
enum emu_fld_src {
	FLD_END = 0,      /* end of the list */
	FLD_MAJOR,        /* chip revision, major */
	FLD_MINOR,        /* chip revision, minor */
	FLD_ESP32_MAJOR,  /* ESP32 major as its 3-bit code (0, 1, 3, 7 for v0..v3) */
	FLD_CRYPT_CNT,    /* flash_crypt_cnt */
	FLD_SECURE_BOOT,  /* secure boot enabled */
};

/* Bits [shift, shift+width) of the word at addr hold bits src_shift.. of src. */
struct emu_reg_field {
	uint32_t addr;
	uint8_t shift, width;
	uint8_t src;       /* enum emu_fld_src */
	uint8_t src_shift;
};

/* A value that depends on the revision: the first entry with rev < until. */
struct emu_by_rev {
	uint16_t until;    /* revision major*100+minor, exclusive; 0 ends the list */
	uint32_t value;
};

/* UARTDEV_BUF_NO: the ROM .bss byte that names the console port (sheet §8.2). */
struct emu_uartdev {
	uint16_t until;    /* as in emu_by_rev */
	uint32_t addr;
	uint8_t usj;       /* its value when USB-Serial/JTAG is the console; 0 = none */
};

#define EMU_CHIP_FIELDS 10

struct emu_chip_info {
	const char *key;          /* option value: "esp32c3" */
	const char *name;         /* esptool's name: "ESP32-C3" */
	bool family;              /* ESP32-family ROM loader (else ESP8266) */

	/* detection and protocol */
	struct emu_by_rev magic[5];   /* word at 0x40001000 */
	uint8_t sec_info_len;     /* GET_SECURITY_INFO payload: 20, 12 (S2), 0 = unsupported */
	uint32_t chip_id;         /* IMAGE_CHIP_ID in the security info */
	uint8_t flash_begin_words; /* FLASH_BEGIN data words the ROM takes */
	uint8_t flash_limit_err;  /* error for FLASH_BEGIN/DATA past chip_size */
	uint8_t def_major, def_minor; /* default revision */
	struct emu_by_rev eco[6]; /* security-info eco_version; empty = the major revision [?] */
	uint8_t crystals[4];      /* crystals (MHz) the chip can have; [0] is the default */

	/* SPI controller in front of the flash (offsets from spi_base; 0 = none) */
	uint32_t spi_base;
	uint8_t spi_usr, spi_usr1, spi_usr2, spi_mosi_dlen, spi_miso_dlen, spi_w0;
	uint8_t spi_dummy_bits;   /* width of USR1's dummy cycle length field */
	bool spi_addr_msb;        /* ADDR is MSB-aligned (else the low bits are sent) */

	/* UART: the divider the host reads; the UART clock is crystal * mult */
	uint32_t uart_clkdiv;
	uint8_t uart_clk_mult;

	/* eFuses and other read-only words */
	uint32_t mac_reg;         /* MAC bytes 2..5; bytes 0..1 in the low half of +4 */
	struct emu_reg_field fields[EMU_CHIP_FIELDS]; /* revision, security; FLD_END ends */

	/* USB-Serial/JTAG console and its watchdogs (sheet §8.2, §8.4) */
	struct emu_uartdev uartdev[3];
	uint32_t wdt_config0, wdt_wprotect, swd_conf, swd_wprotect;
	uint32_t swd_auto_feed;   /* bit mask in swd_conf */
	uint32_t wdt_key, swd_key;

	/* RAM that MEM_BEGIN may load (DRAM, IRAM: [start, end)) */
	uint32_t ram[2][2];

	/* boot text (sheet §10.2, §10.1) */
	bool log_assumes_40mhz;   /* ROM sets 115200 for 40 MHz: 74880 with 26 MHz (C2) */
	struct {
		uint16_t from;    /* first revision with this ROM */
		const char *text; /* first line(s), without the trailing CR LF */
	} rom_id[2];
	const char *rst_poweron, *rst_sw;   /* "0x1 (POWERON)", "0xc (RTC_SW_CPU_RST)" */
	const char *boot_download, *boot_spi; /* "0x5 (DOWNLOAD(USB/UART0/1))" */
};

const struct emu_chip_info *chip_info(enum emu_chip chip);
int chip_by_key(const char *key, enum emu_chip *chip);
/* Revision as major*100+minor, the way esptool compares them. */
unsigned int chip_rev(const struct emu_config *cfg);
uint32_t chip_by_rev(const struct emu_by_rev *list, unsigned int rev);
/* Largest major/minor the row's eFuse fields can encode. */
unsigned int chip_rev_max(const struct emu_chip_info *c, enum emu_fld_src src);

#endif /* EMU_CHIPS_H */
