/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny scripted ROM loader on top of the fake transport: just enough of
 * the ESP8266 ROM (SYNC, READ_REG, WRITE_REG, FLASH_BEGIN, and the SPI0
 * command registers) for the unit tests of rom/connect/chip.  It is not the
 * emulator: it answers instantly after a fixed latency and records what the
 * host asked for, so tests can assert on exact register sequences.
 */
#ifndef ESPWIPE_FAKE_ROM_H
#define ESPWIPE_FAKE_ROM_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_transport.h"

#define FAKE_ROM_REGS 64
#define FAKE_ROM_LOG 256

struct fake_rom {
	struct fake_tr *f;
	uint32_t latency_us;   /* request -> first reply byte */
	int syncs_to_ignore;   /* SYNCs swallowed (auto-baud), counted down */
	int sync_replies;      /* replies per answered SYNC */
	uint32_t sync_gap_us;
	uint32_t sync_value;
	uint32_t last_value;   /* the ROM's "last value" register */
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
	uint32_t fb_args[FAKE_ROM_LOG][4];
	uint32_t fb_duration_us;
	uint8_t fb_status, fb_error;

	int requests;
	/* faults for non-SYNC requests, counted down */
	int ignore_requests;   /* swallowed: no reply */
	int fail_requests;     /* answered 01 fail_error without acting */
	uint8_t fail_error;
	int garble_replies;    /* answered with a malformed frame */
};

void fake_rom_init(struct fake_rom *r, struct fake_tr *f);
void fake_rom_set_reg(struct fake_rom *r, uint32_t addr, uint32_t val);
uint32_t fake_rom_get_reg(const struct fake_rom *r, uint32_t addr);
/* Byte the fake flash holds at addr (a fixed pattern). */
uint8_t fake_rom_flash_byte(uint32_t addr);

#endif /* ESPWIPE_FAKE_ROM_H */
