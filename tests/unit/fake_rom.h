/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny scripted ROM loader on top of the fake transport: just enough of
 * the ESP8266 ROM (SYNC, READ_REG, WRITE_REG, FLASH_BEGIN, and the SPI0
 * command registers) and of the ESP32-family ROMs (4 status bytes,
 * SPI_ATTACH, SPI_SET_PARAMS, GET_SECURITY_INFO, SPI_FLASH_MD5, the
 * unsupported-command pattern, Secure Download Mode) for the unit tests of
 * rom/connect/chip.  It is not the emulator: it answers instantly after a
 * fixed latency and records what the host asked for, so tests can assert on
 * exact byte and register sequences.
 */
#ifndef ESPWIPE_FAKE_ROM_H
#define ESPWIPE_FAKE_ROM_H

#include <stdbool.h>
#include <stdint.h>

#include "chips.h"
#include "fake_transport.h"

#define FAKE_ROM_REGS 96
#define FAKE_ROM_LOG 256

struct fake_rom {
	struct fake_tr *f;
	const struct chip_desc *chip; /* whose registers and reply format (default: ESP8266) */
	size_t status_len;     /* 2 (ESP8266) or 4 (family), from the chip */
	uint32_t latency_us;   /* request -> first reply byte */
	int syncs_to_ignore;   /* SYNCs swallowed (auto-baud), counted down */
	int sync_replies;      /* replies per answered SYNC */
	uint32_t sync_gap_us;
	uint32_t sync_value;
	uint32_t last_value;   /* the ROM's "last value" register */
	uint8_t last_op;       /* op of the last command answered */
	uint64_t sync_busy_until; /* a SYNC before this adds no replies (sheet §11) */

	struct { uint32_t addr, val; } reg[FAKE_ROM_REGS];
	int nregs;

	/* SPI flash side */
	uint32_t jedec;
	uint8_t status;        /* status register without WIP */
	int cmd_busy_reads;    /* CMD reads that still show the command bit */
	int busy_left;
	int erase_wip_reads;   /* RDSR reads with WIP set after an SE */
	int wip_left;
	bool wel;
	int se_count;
	uint32_t se_addr[FAKE_ROM_LOG];
	int rdsr_count;

	/* FLASH_BEGIN */
	int fb_count;
	uint32_t fb_args[FAKE_ROM_LOG][5];
	unsigned int fb_words[FAKE_ROM_LOG];
	uint32_t fb_duration_us;
	uint8_t fb_status, fb_error;

	/* family commands */
	int attach_count;
	uint32_t attach_args[2];
	int params_count;
	uint32_t params_size;
	uint8_t secinfo[20];   /* GET_SECURITY_INFO payload (chip's secinfo_len bytes) */
	int secinfo_count;
	int md5_count;
	uint32_t md5_addr[FAKE_ROM_LOG], md5_len[FAKE_ROM_LOG];
	uint32_t md5_bad_sector; /* a sector the MD5 reports as not blank; ~0 = none */
	bool sdm;              /* Secure Download Mode: register access and MD5 unsupported */
	int unsupported_repeats; /* frames of the unsupported pattern (default 8) */
	int unsupported_count;

	int requests;
	/* faults for non-SYNC requests, counted down */
	int ignore_requests;   /* swallowed: no reply */
	int fail_requests;     /* answered 01 fail_error without acting */
	uint8_t fail_error;
	int garble_replies;    /* answered with a malformed frame */
};

void fake_rom_init(struct fake_rom *r, struct fake_tr *f);
/* Make it that chip's ROM (registers, reply format, opcodes, security info). */
void fake_rom_set_chip(struct fake_rom *r, const struct chip_desc *chip);
void fake_rom_set_reg(struct fake_rom *r, uint32_t addr, uint32_t val);
uint32_t fake_rom_get_reg(const struct fake_rom *r, uint32_t addr);
/* Byte the fake flash holds at addr (a fixed pattern). */
uint8_t fake_rom_flash_byte(uint32_t addr);

#endif /* ESPWIPE_FAKE_ROM_H */
