/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The chip as seen through its ROM loader: detection, identity (MAC,
 * revision, crystal, security), the SPI flash (attach, JEDEC id, size) and
 * the flash operations the tool runs, each driven by the chip's row in
 * chip_table[] (chips.h).  Callers never ask which chip it is.
 */
#ifndef ESPWIPE_CHIP_H
#define ESPWIPE_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chips.h"
#include "rom.h"

/* SPI controller command bits and user-command fields (sheet §6, family §5). */
#define SPI_REG_CMD 0x00u
#define SPI_REG_ADDR 0x04u
#define SPI_CMD_READ (1u << 31)  /* ESP8266 built-in READ: ADDR = addr | len<<24 */
#define SPI_CMD_USR (1u << 18)   /* run the user command */
#define SPI_CMD_WREN (1u << 30)  /* ESP8266 built-in write enable */
#define SPI_CMD_SE (1u << 24)    /* ESP8266 built-in sector erase at ADDR (low 24 bits) */
#define SPI_USR_COMMAND (1u << 31)
#define SPI_USR_ADDR (1u << 30)
#define SPI_USR_DUMMY (1u << 29)
#define SPI_USR_MISO (1u << 28)
#define SPI_USR_MOSI (1u << 27)
#define SPI_USR1_MISO_SHIFT 8
#define SPI_USR1_MOSI_SHIFT 17
#define SPI_USR1_ADDR_SHIFT 26
#define SPI_USR2_CMD_LEN (7u << 28) /* an 8-bit command phase */
/* READ CMD at most this many times waiting for the command bit to clear. */
#define SPI_POLL_READS 10

/* SPI flash opcodes used here. */
#define FLASH_OP_WREN 0x06
#define FLASH_OP_RDSR 0x05
#define FLASH_OP_RDID 0x9F
#define FLASH_OP_SE 0x20
#define FLASH_SR_WIP 0x01

/* GET_SECURITY_INFO flag bits (sheet §1.2). */
#define SECINFO_SECURE_BOOT_EN (1u << 0)
#define SECINFO_SECURE_DOWNLOAD (1u << 2)

/*
 * Timeout for one register read/write round trip, and for the flash attach.
 * A round trip is about 4 ms at 115200 baud plus the bridge's USB latency
 * (a few ms, tens under heavy load); 400 ms leaves ample margin while a
 * reply lost to line noise costs little before the resend (each try is
 * retried link->retries times).
 */
#define CHIP_REG_TIMEOUT_MS 400
#define CHIP_ATTACH_TIMEOUT_MS 3000
#define CHIP_SET_PARAMS_TIMEOUT_MS 1000
/* SPI_FLASH_MD5: esptool's 8 s per MB, plus this margin for the link. */
#define CHIP_MD5_MS_PER_MIB 8000u
#define CHIP_MD5_MARGIN_MS 3000u

/* Results of the chip layer beyond enum rom_result. */
enum chip_result {
	CHIP_E_UNKNOWN = -20, /* detection found no row (chip_detection says what it saw) */
};

enum chip_variant {
	CHIP_ESP8266EX,
	CHIP_ESP8285,
};

/* GET_SECURITY_INFO decoded (sheet §1.2). */
struct security_info {
	unsigned int len;       /* 20, 12, or 0 if none */
	uint32_t flags;
	uint8_t flash_crypt_cnt;
	uint8_t key_purposes[7];
	bool has_chip_id;       /* the 20-byte form */
	uint32_t chip_id;
	uint32_t eco_version;
};

/* What detection saw (sheet §1, docs/esp32-family.md "Detection order"). */
struct chip_detection {
	const struct chip_desc *desc; /* NULL: unknown chip */
	int magic_result;             /* ROM_OK, ROM_E_UNSUPPORTED, ROM_E_TIMEOUT, ... */
	uint32_t magic;               /* valid when magic_result == ROM_OK */
	int secinfo_result;           /* ROM result of GET_SECURITY_INFO; 1 = not sent */
	struct security_info secinfo;
	bool sdm;                     /* Secure Download Mode (flag bit 2) */
};

enum flash_size_source {
	FLASH_SIZE_UNKNOWN,
	FLASH_SIZE_JEDEC,
	FLASH_SIZE_USER,
};

struct chip_info {
	const struct chip_desc *desc;
	char name[48];                /* "ESP32-C3 (revision v0.4)", "ESP8285" */
	char model[24];               /* "ESP32-C3", "ESP8285" */
	bool has_revision;
	unsigned int rev_major, rev_minor;
	bool sdm;
	uint8_t mac[6];
	bool mac_valid;               /* false if the eFuse OUI rules gave no MAC, or in SDM */
	unsigned int crystal_mhz;     /* 26 or 40 (ESP8266 only; 0 = not known) */
	/* ESP8266 */
	enum chip_variant variant;
	uint32_t efuse[4];
	uint32_t embedded_flash_size; /* ESP8285 only, from eFuse; 0 if unknown */
	bool high_temp;               /* ESP8285 "H" part (eFuse R0 bit 5) */
	uint32_t uart_clkdiv;         /* UART divider the ROM measured (auto-baud) */
	/* security */
	bool security_known;
	bool has_secinfo;
	struct security_info secinfo;
	bool flash_encryption, secure_boot;
	/* USB-Serial/JTAG */
	bool usj_known, usj;
	bool watchdogs_disabled;
	bool flash_powered_on;        /* P4 v3.1 power-on sequence ran */
	/* flash */
	bool attached;
	uint32_t spi_attach_config;   /* what SPI_ATTACH was sent */
	bool flash_id_read;
	uint32_t flash_id;            /* JEDEC id as read into W0: cap<<16|type<<8|mfr */
	bool flash_no_answer;         /* RDID gave 0xFFFFFF, 0x000000 or 0xFFFF3F */
	uint32_t flash_size;          /* bytes; 0 if unknown */
	enum flash_size_source flash_size_source;
	bool params_sent;             /* SPI_SET_PARAMS accepted */
};

/* Pure decoders (unit-tested). */
const char *chip_variant_name(enum chip_variant v);
enum chip_variant chip_variant_from_efuse(const uint32_t efuse[4]);
/* 0 and the MAC, or -1 if the eFuse OUI rules give none. */
int chip_mac_from_efuse(const uint32_t efuse[4], uint8_t mac[6]);
/* The family layout: hi[15:8] hi[7:0] lo[31:24] lo[23:16] lo[15:8] lo[7:0]. */
void chip_mac_from_words(uint32_t lo, uint32_t hi, uint8_t mac[6]);
uint32_t chip_embedded_flash_size(const uint32_t efuse[4]);
unsigned int chip_crystal_from_divider(uint32_t clkdiv, uint32_t baud);
/* Bytes for a JEDEC id (W0 layout), or 0 if unknown. */
uint32_t chip_flash_size_from_jedec(uint32_t id);
/* RDID answers that mean the flash did not answer at all (esptool attach_flash). */
bool chip_jedec_no_answer(uint32_t id);
const char *chip_flash_vendor(uint32_t id);
/* GET_SECURITY_INFO payload (len 12 or 20): false for another length. */
bool chip_decode_security_info(const uint8_t *data, size_t len, struct security_info *si);
/* flash_crypt_cnt with an odd number of bits set: flash encryption on. */
bool chip_crypt_cnt_enabled(uint32_t cnt);
/* "ESP32-C3 (revision v0.4)" */
void chip_format_name(const char *model, bool has_rev, unsigned int major, unsigned int minor,
		      char *buf, size_t len);
/* 32 ASCII hex digits (either case) into 16 bytes; false if any is not hex. */
bool chip_md5_from_hex(const char hex[ROM_MD5_HEX_LEN], uint8_t md5[16]);
/*
 * Revision from the row's fields through a register reader (pure given the
 * reader): the number esptool prints as v<major>.<minor>.
 */
int chip_read_revision(const struct chip_desc *d, reg_reader_fn rd, void *ctx,
		       unsigned int *major, unsigned int *minor);

/*
 * Detection: READ_REG 0x40001000 (a probe); ESP8266 and ESP32 by the magic
 * word, never sent GET_SECURITY_INFO; anything else, a refused READ_REG or
 * no answer: GET_SECURITY_INFO (20 bytes: the chip id; 12: the S2).  On
 * success the link may send the chip's ROM opcodes (only the SDM ones in
 * Secure Download Mode).  CHIP_E_UNKNOWN when no row fits (d says why), else
 * a rom_result from the exchange.
 */
int chip_detect(struct rom_link *link, struct chip_detection *d);

/* ESP8266 path: READ_REG of the magic register alone (kept for the tests and the fuzzer). */
int chip_read_magic(struct rom_link *link, uint32_t *magic);

/*
 * For a detected chip: identity (ESP8266: eFuses, variant, MAC, crystal from
 * the divider measured at `baud`; family: revision, MAC, security, the
 * USB-Serial/JTAG watchdogs when that port is in use, the P4 v3.1 flash
 * power-on), then attaches the flash and reads its JEDEC id and size.  In
 * Secure Download Mode only what the security info says.
 */
int chip_identify(struct rom_link *link, uint32_t baud, const struct chip_detection *d,
		  struct chip_info *info);

/*
 * Before an erase or verify of a flash of `flash_size` bytes: attach if not
 * done yet and, for rows that want it first, SPI_SET_PARAMS with that size.
 * *reply (may be NULL) has the ROM's answer when it refused.
 */
int chip_prepare_flash(struct rom_link *link, struct chip_info *info, uint32_t flash_size,
		       struct rom_reply *reply);
/* SPI_SET_PARAMS with the given size (the rows' id word); sets params_sent. */
int chip_set_flash_params(struct rom_link *link, struct chip_info *info, uint32_t flash_size,
			  struct rom_reply *reply);
/* One FLASH_BEGIN erase of erase_size bytes at offset in the row's form. */
int chip_erase_begin(struct rom_link *link, const struct chip_info *info, uint32_t offset,
		     uint32_t erase_size, int timeout_ms, struct rom_reply *reply);
/* Timeout for an MD5 over len bytes. */
int chip_md5_timeout_ms(uint32_t len);
/* SPI_FLASH_MD5 of [addr, addr+len) as 16 bytes. */
int chip_flash_md5(struct rom_link *link, uint32_t addr, uint32_t len, uint8_t md5[16]);
/* Leave the loader without reset lines: FLASH_END(run) where the row allows it; else ROM_E_PROTO. */
int chip_leave_loader(struct rom_link *link, const struct chip_info *info, int timeout_ms);

/*
 * One SPI flash command through the row's user-command registers (sheet §6,
 * family §5).  Saves and restores USR/USR2.  Needs the flash attached.
 * ESP8266 register sequence: READ USR, READ USR2, WRITE USR1 (lengths),
 * USR, USR2, [ADDR], W0.. (the MOSI data, or W0 = 0 before a read), CMD =
 * 1<<18, READ CMD until bit 18 clears (at most SPI_POLL_READS, else
 * ROM_E_TIMEOUT), [READ W0], WRITE USR, USR2.  Family: the lengths go to
 * MOSI_DLEN/MISO_DLEN instead (before USR), and USR1 is written only for an
 * address or dummy phase.  *miso gets the low miso_bits of W0 (0 if none).
 * ROM_E_PROTO for an invalid cmd (miso_bits > 32, mosi_len > 64, dummy > 256).
 */
struct spi_cmd {
	uint8_t opcode;
	bool has_addr;
	uint32_t addr;        /* 24-bit */
	unsigned int dummy_bits;
	const uint8_t *mosi;  /* data to send, up to 64 bytes */
	size_t mosi_len;
	unsigned int miso_bits; /* up to 32 */
};
int chip_spi_command(struct rom_link *link, const struct chip_desc *d, const struct spi_cmd *cmd,
		     uint32_t *miso);

int chip_flash_attach(struct rom_link *link, struct chip_info *info);
int chip_flash_jedec(struct rom_link *link, const struct chip_desc *d, uint32_t *id);
int chip_flash_status(struct rom_link *link, const struct chip_desc *d, uint8_t *status);
/* ESP8266: read len bytes (multiple of 4, up to 32) at addr through the SPI READ command. */
int chip_flash_read(struct rom_link *link, const struct chip_desc *d, uint32_t addr, uint8_t *buf,
		    size_t len);
/*
 * ESP8266: WREN + sector erase (0x20) + poll WIP with the given timeout
 * (measured on the transport clock; ROM_E_TIMEOUT if WIP is still set after it).
 */
int chip_flash_sector_erase(struct rom_link *link, const struct chip_desc *d, uint32_t addr,
			    int timeout_ms);

#endif /* ESPWIPE_CHIP_H */
