/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every per-chip fact espwipe uses, one row per chip (docs/esp32-family.md,
 * fact sheet ../shared/docs/esp32-family-rom.md).  The chip layer (chip.c)
 * reads the rows; nothing else in the tool tests for a particular chip.
 * Adding a chip is adding a row to chip_table[].
 */
#ifndef ESPWIPE_CHIPS_H
#define ESPWIPE_CHIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flashplan.h"

/* The ROM address read first on every chip (its content differs per chip). */
#define CHIP_MAGIC_REG 0x40001000u
#define CHIP_MAGICS_MAX 4

/* Bit n set = opcode n (all ROM opcodes used here are below 32). */
#define CHIP_OP(op) (1u << (op))

/* A bit field of a register read with READ_REG; width 0 = absent. */
struct reg_field {
	uint32_t addr;
	uint8_t shift;
	uint8_t width;
};

/* A number made of up to three fields, most significant first. */
struct reg_number {
	struct reg_field part[3];
};

/* Chip revision as esptool's get_major/minor_chip_version read it. */
struct chip_revision_desc {
	struct reg_number major, minor;
	/* ESP32: the raw 3-bit major code maps through this table */
	bool major_mapped;
	uint8_t major_map[8];
	/*
	 * ESP32-S3 v0.0 quirk: when (minor & 7) == 0 and both of these read
	 * 1 (eFuse block version v1.1), the chip is v0.0.  width 0 = none.
	 */
	struct reg_field eco0_blk_major, eco0_blk_minor;
};

enum chip_mac_layout {
	CHIP_MAC_ESP8266_OUI, /* four eFuse words from mac_lo, OUI rules (chip_mac_from_efuse) */
	CHIP_MAC_HI16_LO32,   /* hi[15:8] hi[7:0] lo[31:24] .. lo[7:0] */
};

enum chip_attach {
	CHIP_ATTACH_FLASH_BEGIN, /* FLASH_BEGIN(0, 0, 0x400, 0): attaches, erases nothing */
	CHIP_ATTACH_SPI_ATTACH,  /* SPI_ATTACH (0x0D) config word + 0, then SPI_SET_PARAMS */
};

enum chip_set_params {
	CHIP_SET_PARAMS_ON_REFUSAL, /* only after the ROM refused an erase above its default size */
	CHIP_SET_PARAMS_FIRST,      /* always, with the detected size, before the first erase */
};

enum chip_verify {
	CHIP_VERIFY_SPI_READ, /* words through the SPI READ command */
	CHIP_VERIFY_MD5,      /* SPI_FLASH_MD5 (0x13) */
};

enum chip_security_source {
	CHIP_SECURITY_NONE,  /* no flash encryption or secure boot (ESP8266) */
	CHIP_SECURITY_EFUSE, /* eFuse fields (ESP32) */
	CHIP_SECURITY_INFO,  /* GET_SECURITY_INFO flags and flash_crypt_cnt (S2 and later) */
};

/* SPI flash controller registers used for user commands (offsets from base). */
struct chip_spi_regs {
	uint32_t base;
	uint8_t usr, usr1, usr2;
	bool dlen_regs;          /* MOSI/MISO_DLEN registers; false: lengths in USR1 */
	uint8_t mosi_dlen, miso_dlen;
	uint8_t w0;
	bool addr_msb;           /* the address phase takes the address in the top bits */
};

/* ESP32: the SPI pads the eFuses name, for SPI_ATTACH (in-package flash). */
struct chip_spi_pads {
	struct reg_field clk, q, d, cs, hd;
};

/* USB-Serial/JTAG: the port in use, and the watchdogs it leaves running. */
struct chip_usj {
	uint32_t buf_no_addr;      /* UARTDEV_BUF_NO (read & 0xFF); 0 = the chip has no USJ */
	uint8_t usj_value;
	/* before this revision (major*100+minor), the older address/value apply; 0 = never */
	uint16_t new_from_rev;
	uint32_t buf_no_addr_old;
	uint8_t usj_value_old;
	uint32_t wdt_config0, wdt_wprotect, wdt_key;
	uint32_t swd_conf, swd_wprotect, swd_key, swd_auto_feed;
};

/* One step of a register sequence (P4 flash power-on). */
enum reg_step_kind {
	REG_STEP_WRITE, /* WRITE_REG addr = bits */
	REG_STEP_SET,   /* read, OR bits, write */
	REG_STEP_CLEAR, /* read, AND NOT bits, write */
	REG_STEP_WAIT,  /* let bits microseconds pass (rounded up to ms) */
};

struct reg_step {
	enum reg_step_kind kind;
	uint32_t addr;
	uint32_t bits;
};

/* eFuse security fields (ESP32). */
struct chip_efuse_security {
	struct reg_field crypt_cnt;    /* odd popcount: flash encryption on */
	struct reg_field secure_boot;  /* non-zero: secure boot on */
	struct reg_field secure_boot2; /* also counts from revision secure_boot2_rev on */
	uint16_t secure_boot2_rev;
};

struct chip_desc {
	const char *name;                 /* "ESP32-C3"; the ESP8266 row names its variants */
	/* detection */
	bool detect_by_magic;             /* the magic word alone identifies it (ESP8266, ESP32) */
	uint32_t magic[CHIP_MAGICS_MAX];  /* known words at 0x40001000 (informational unless above) */
	size_t nmagic;
	int secinfo_chip_id;              /* IMAGE_CHIP_ID in GET_SECURITY_INFO; -1 = none */
	unsigned int secinfo_len;         /* its payload: 0 = unsupported, 12 or 20 */
	/* protocol */
	unsigned int status_len;          /* trailing status bytes of ROM replies (2 or 4) */
	uint32_t rom_ops;                 /* CHIP_OP() of every opcode its ROM implements */
	unsigned int flash_begin_words;   /* 4 or 5 (the 5th: 0 = not encrypted) */
	bool leave_with_flash_end;        /* FLASH_END(run) leaves the loader cleanly */
	bool has_sdm;                     /* Secure Download Mode exists */
	/* flash */
	enum chip_attach attach;
	bool attach_pads_from_efuse;      /* ESP32: SPI_ATTACH config from spi_pads */
	struct chip_spi_pads spi_pads;
	enum chip_set_params set_params;
	uint32_t rom_default_flash_size;  /* the ROM's chip_size before SPI_SET_PARAMS */
	uint32_t rom_addr_limit;          /* bytes the ROM can address; 0 = no known limit */
	enum erase_model erase_model;
	enum chip_verify verify;
	struct chip_spi_regs spi;
	/* identity */
	enum chip_mac_layout mac_layout;
	uint32_t mac_lo, mac_hi;          /* eFuse words (ESP8266: base of four words) */
	bool has_revision;
	struct chip_revision_desc rev;
	uint32_t uart_clkdiv_reg;         /* crystal from the ROM's auto-baud divider; 0 = not read */
	/* security */
	enum chip_security_source security;
	struct chip_efuse_security efuse_sec;
	/* USB-Serial/JTAG */
	struct chip_usj usj;
	/* flash power-on needed on exactly this revision (P4 v3.1); 0 = never */
	uint16_t power_on_rev;
	const struct reg_step *power_on;
	size_t npower_on;
};

extern const struct chip_desc chip_table[];
extern const size_t chip_table_len;

/* Opcodes the ROM accepts in Secure Download Mode (sheet §7). */
extern const uint32_t chip_sdm_ops;

/* The row that the magic word alone identifies, or NULL. */
const struct chip_desc *chip_by_magic(uint32_t magic);
/* The row with this security-info chip id and payload length (20), or NULL. */
const struct chip_desc *chip_by_secinfo_id(uint32_t chip_id);
/* The row whose GET_SECURITY_INFO payload has this length and no chip id (12: S2), or NULL. */
const struct chip_desc *chip_by_secinfo_len(unsigned int len);
/* Name of any chip that lists this magic word, or NULL (informational). */
const char *chip_name_for_magic(uint32_t magic);
/* The row named so ("ESP32-C3"), or NULL. */
const struct chip_desc *chip_by_name(const char *name);

/* A field or number read through a caller-supplied reader (pure, unit-tested). */
uint32_t reg_field_get(const struct reg_field *f, uint32_t reg_value);
typedef int (*reg_reader_fn)(void *ctx, uint32_t addr, uint32_t *value);
int reg_number_read(const struct reg_number *n, reg_reader_fn rd, void *ctx, uint32_t *value);
/* Bits in a number (sum of the part widths). */
unsigned int reg_number_width(const struct reg_number *n);

#endif /* ESPWIPE_CHIPS_H */
