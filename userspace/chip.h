/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP8266 facts read through the ROM loader: identity, MAC, crystal, SPI flash. */
#ifndef ESPWIPE_CHIP_H
#define ESPWIPE_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rom.h"

#define ESP8266_MAGIC_REG 0x40001000u
#define ESP8266_MAGIC 0xFFF0C101u
#define ESP8266_EFUSE_BASE 0x3FF00050u
#define ESP8266_UART_CLKDIV_REG 0x60000014u
#define ESP8266_SPI_BASE 0x60000200u

/* SPI0 registers (offsets from ESP8266_SPI_BASE) and bits, sheet §6. */
#define SPI_REG_CMD 0x00u
#define SPI_REG_ADDR 0x04u
#define SPI_REG_USR 0x1Cu
#define SPI_REG_USR1 0x20u
#define SPI_REG_USR2 0x24u
#define SPI_REG_W0 0x40u
#define SPI_CMD_READ (1u << 31)  /* built-in READ: ADDR = addr | len<<24 */
#define SPI_CMD_USR (1u << 18)   /* run the user command */
#define SPI_CMD_WREN (1u << 30)  /* built-in write enable */
#define SPI_CMD_SE (1u << 24)    /* built-in sector erase at ADDR (low 24 bits) */
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

/*
 * Timeout for one register read/write round trip, and for the flash attach.
 * A round trip is about 4 ms at 115200 baud plus the bridge's USB latency
 * (a few ms, tens under heavy load); 400 ms leaves ample margin while a
 * reply lost to line noise costs little before the resend (each try is
 * retried link->retries times).
 */
#define CHIP_REG_TIMEOUT_MS 400
#define CHIP_ATTACH_TIMEOUT_MS 3000

enum chip_variant {
	CHIP_ESP8266EX,
	CHIP_ESP8285,
};

struct chip_info {
	enum chip_variant variant;
	uint32_t efuse[4];
	uint8_t mac[6];
	unsigned int crystal_mhz;     /* 26 or 40 */
	uint32_t embedded_flash_size; /* ESP8285 only, from eFuse; 0 if unknown */
	uint32_t flash_id;            /* JEDEC id as read into W0: cap<<16|type<<8|mfr */
	uint32_t flash_size;          /* bytes, from the JEDEC capacity; 0 if unknown */
	bool mac_valid;               /* false if the eFuse OUI rules gave no MAC */
	bool high_temp;               /* ESP8285 "H" part (eFuse R0 bit 5) */
	uint32_t uart_clkdiv;         /* UART divider the ROM measured (auto-baud) */
};

/* Pure decoders (unit-tested). */
const char *chip_variant_name(enum chip_variant v);
/* Name of a non-ESP8266 chip for a magic value, or NULL if unknown. */
const char *chip_name_for_magic(uint32_t magic);
enum chip_variant chip_variant_from_efuse(const uint32_t efuse[4]);
/* 0 and the MAC, or -1 if the eFuse OUI rules give none. */
int chip_mac_from_efuse(const uint32_t efuse[4], uint8_t mac[6]);
uint32_t chip_embedded_flash_size(const uint32_t efuse[4]);
unsigned int chip_crystal_from_divider(uint32_t clkdiv, uint32_t baud);
/* Bytes for a JEDEC id (W0 layout), or 0 if unknown. */
uint32_t chip_flash_size_from_jedec(uint32_t id);
const char *chip_flash_vendor(uint32_t id);

/*
 * Reading the chip.  Each returns a rom_result (ROM_OK on success);
 * chip_check_magic returns ROM_OK and sets *magic even when the chip is not an
 * ESP8266: the caller compares against ESP8266_MAGIC.
 */
int chip_read_magic(struct rom_link *link, uint32_t *magic);
/*
 * For a chip whose magic is ESP8266_MAGIC (check that first): eFuses,
 * variant, MAC, crystal (baud = the rate the port runs at), then attaches the
 * flash (FLASH_BEGIN with erase_size 0, which erases nothing) and reads its
 * JEDEC id and size.
 */
int chip_identify(struct rom_link *link, uint32_t baud, struct chip_info *info);

/*
 * One SPI flash command through the SPI0 user-command registers (sheet §6).
 * Saves and restores USR/USR2.  Needs the flash attached (FLASH_BEGIN(0,0,...)).
 * Register sequence: READ USR, READ USR2, WRITE USR1, USR, USR2, [ADDR],
 * W0.. (the MOSI data, or W0 = 0 before a read), CMD = 1<<18, READ CMD until
 * bit 18 clears (at most SPI_POLL_READS, else ROM_E_TIMEOUT), [READ W0],
 * WRITE USR, USR2.  *miso gets the low miso_bits of W0 (0 if none).
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
int chip_spi_command(struct rom_link *link, const struct spi_cmd *cmd, uint32_t *miso);

int chip_flash_attach(struct rom_link *link);
int chip_flash_jedec(struct rom_link *link, uint32_t *id);
int chip_flash_status(struct rom_link *link, uint8_t *status);
/* Read len bytes (multiple of 4, up to 32) at addr through the SPI READ command. */
int chip_flash_read(struct rom_link *link, uint32_t addr, uint8_t *buf, size_t len);
/*
 * WREN + sector erase (0x20) + poll WIP with the given timeout (measured on
 * the transport clock; ROM_E_TIMEOUT if WIP is still set after it).
 */
int chip_flash_sector_erase(struct rom_link *link, uint32_t addr, int timeout_ms);

#endif /* ESPWIPE_CHIP_H */
