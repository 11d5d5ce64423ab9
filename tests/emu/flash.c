// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SPI NOR flash: contents, JEDEC id, status register (WIP, WEL), and the
 * commands the ROM and the SPI registers can issue.  Like a real part it
 * ignores everything but status reads while busy, erases only after WREN,
 * and ignores address bits above its size (addresses wrap).
 */
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"

#define SR_WIP 0x01
#define SR_WEL 0x02

static uint32_t size_from_jedec(uint32_t jedec)
{
	uint32_t mfr = jedec & 0xFF, cap = (jedec >> 16) & 0xFF;

	if (mfr == 0x1F) { /* Adesto: density code in the device id */
		uint32_t d = (jedec >> 8) & 0x1F;

		if (d >= 0x04 && d <= 0x09)
			return 1u << (d + 15);
	}
	if (cap >= 0x12 && cap <= 0x19)
		return 1u << cap;
	return 4u << 20;
}

int flash_init(struct emu *e)
{
	struct emu_flash *f = &e->flash;

	f->jedec = e->cfg.jedec_id & 0xFFFFFF;
	f->size = e->cfg.flash_size ? e->cfg.flash_size : size_from_jedec(f->jedec);
	if (f->size < EMU_SECTOR || f->size % EMU_SECTOR)
		return -1;
	f->data = malloc(f->size);
	if (!f->data)
		return -1;
	memset(f->data, 0xFF, f->size);
	if (e->cfg.flash_prefill) {
		/* an image header, code-like bytes, and the SDK's parameter sectors */
		uint32_t code = f->size < (512u << 10) ? f->size / 2 : (512u << 10);

		for (uint32_t i = 0; i < code; i++)
			f->data[i] = (uint8_t)(i * 7 + (i >> 12));
		f->data[0] = 0xE9;
		for (uint32_t i = f->size - 4 * EMU_SECTOR; i < f->size; i++)
			f->data[i] = (uint8_t)(i ^ 0x5A);
	}
	return 0;
}

void flash_free(struct emu *e)
{
	free(e->flash.data);
	e->flash.data = NULL;
}

bool flash_busy(const struct emu *e, uint64_t t_us)
{
	return t_us < e->flash.busy_until_us;
}

uint8_t flash_status(const struct emu *e, uint64_t t_us)
{
	uint8_t sr = e->flash.sr & (uint8_t)~(SR_WIP | SR_WEL);

	if (flash_busy(e, t_us))
		sr |= SR_WIP;
	if (e->flash.wel)
		sr |= SR_WEL;
	return sr;
}

void flash_wren(struct emu *e, uint64_t t_us)
{
	if (!flash_busy(e, t_us))
		e->flash.wel = true;
}

static uint32_t typical_us(const struct emu *e, char kind)
{
	switch (kind) {
	case 'S':
		return e->cfg.t_sector_erase_us;
	case 'b':
		return e->cfg.t_block32_erase_us;
	case 'B':
		return e->cfg.t_block_erase_us;
	default:
		return e->cfg.t_chip_erase_us;
	}
}

uint64_t flash_erase(struct emu *e, char kind, uint32_t addr, uint64_t t_us)
{
	struct emu_flash *f = &e->flash;
	struct emu_erase_event ev = { 0 };
	uint32_t len;
	double phys;
	uint64_t scaled;

	if (flash_busy(e, t_us) || !f->wel)
		return t_us;
	f->wel = false;

	switch (kind) {
	case 'S':
		len = EMU_SECTOR;
		break;
	case 'b':
		len = EMU_BLOCK / 2;
		break;
	case 'B':
		len = EMU_BLOCK;
		break;
	default:
		kind = 'C';
		len = f->size;
		break;
	}
	if (len > f->size)
		len = f->size;
	addr = (addr % f->size) & ~(len - 1);

	ev.offset = addr;
	ev.length = len;
	ev.kind = kind;
	for (uint32_t s = addr / EMU_SECTOR; s < (addr + len) / EMU_SECTOR; s++) {
		if (e->cfg.bad_sector >= 0 && (long)s == e->cfg.bad_sector) {
			ev.failed = true; /* the part says done; the cells did not move */
			continue;
		}
		memset(f->data + (size_t)s * EMU_SECTOR, 0xFF, EMU_SECTOR);
	}

	phys = (double)typical_us(e, kind) * e->cfg.erase_slowdown;
	scaled = (uint64_t)(phys / e->cfg.time_scale + 0.5);
	e->st.flash_busy_us += (uint64_t)(phys + 0.5);
	if (kind == 'S')
		e->st.sector_erases++;
	else if (kind == 'C')
		e->st.chip_erases++;
	else
		e->st.block_erases++;

	f->busy_until_us = t_us + scaled;
	ev.t_us = f->busy_until_us;
	emu_log_erase(e, &ev);
	return f->busy_until_us;
}

bool flash_program(struct emu *e, uint32_t addr, const uint8_t *buf, size_t len)
{
	struct emu_flash *f = &e->flash;
	bool ok = true;

	for (size_t i = 0; i < len; i++) {
		uint32_t a = (uint32_t)((addr + i) % f->size);
		uint8_t old = f->data[a];

		f->data[a] = old & buf[i];
		if (f->data[a] != buf[i])
			ok = false;
	}
	return ok;
}

/* A plausible SFDP area: header, one JEDEC basic parameter header and table. */
static uint8_t sfdp_byte(const struct emu *e, uint32_t addr)
{
	static const uint8_t head[16] = {
		'S', 'F', 'D', 'P', 0x06, 0x01, 0x00, 0xFF, /* rev 1.6, 1 header */
		0x00, 0x06, 0x01, 0x10, 0x80, 0x00, 0x00, 0xFF, /* basic table @0x80 */
	};
	static const uint8_t basic[16] = {
		0xE5, 0x20, 0xF1, 0xFF, 0, 0, 0, 0, /* 4K erase 0x20; density patched */
		0x44, 0xEB, 0x08, 0x6B, 0x08, 0x3B, 0x42, 0xBB,
	};
	uint32_t bits = e->flash.size * 8 - 1;

	if (addr < 16)
		return head[addr];
	if (addr >= 0x80 && addr < 0x90) {
		if (addr >= 0x84 && addr < 0x88)
			return (uint8_t)(bits >> (8 * (addr - 0x84)));
		return basic[addr - 0x80];
	}
	return 0xFF;
}

static bool op_has_addr(uint8_t op)
{
	switch (op) {
	case 0x02: case 0x03: case 0x0B: case 0x5A: case 0x20: case 0x52: case 0xD8:
		return true;
	default:
		return false;
	}
}

static unsigned int op_dummy(uint8_t op)
{
	return (op == 0x0B || op == 0x5A) ? 8 : 0;
}

/* The byte the part drives at position idx of its answer. */
static uint8_t out_byte(const struct emu *e, uint64_t t_us, uint8_t op, uint32_t addr, size_t idx)
{
	const struct emu_flash *f = &e->flash;

	switch (op) {
	case 0x9F:
		return idx < 3 ? (uint8_t)(f->jedec >> (8 * idx)) : 0xFF;
	case 0x05:
		return flash_status(e, t_us); /* repeated while clocked */
	case 0x35:
	case 0x15:
		return 0x00;
	case 0x03:
	case 0x0B:
		return f->data[(addr + idx) % f->size];
	case 0x5A:
		return sfdp_byte(e, (uint32_t)((addr + idx) & 0xFFFFFF));
	default:
		return 0xFF;
	}
}

static uint8_t in_byte(const uint8_t *in, size_t in_bits, size_t idx)
{
	return idx * 8 + 8 <= in_bits ? in[idx] : 0;
}

void flash_transaction(struct emu *e, uint64_t t_us, const uint8_t *in, size_t in_bits,
		       size_t miso_cycle, uint8_t *out, size_t out_bits)
{
	uint8_t op;
	uint32_t addr = 0;
	size_t out_start;
	bool busy = flash_busy(e, t_us);

	memset(out, 0, (out_bits + 7) / 8);
	if (in_bits < 8) {
		memset(out, 0xFF, (out_bits + 7) / 8);
		return;
	}
	op = in[0];
	if (op_has_addr(op)) {
		addr = (uint32_t)in_byte(in, in_bits, 1) << 16 |
		       (uint32_t)in_byte(in, in_bits, 2) << 8 | in_byte(in, in_bits, 3);
		out_start = 32 + op_dummy(op);
	} else {
		out_start = 8;
	}

	/* what the part drives on MISO, as the controller samples it */
	for (size_t k = 0; k < out_bits; k++) {
		size_t cyc = miso_cycle + k;
		int bit = 1;

		if (cyc >= out_start && (!busy || op == 0x05 || op == 0x35)) {
			size_t j = cyc - out_start;

			bit = (out_byte(e, t_us, op, addr, j / 8) >> (7 - j % 8)) & 1;
		}
		if (bit)
			out[k / 8] |= (uint8_t)(0x80 >> (k % 8));
	}
	if (busy)
		return;

	switch (op) {
	case 0x06:
		e->flash.wel = true;
		break;
	case 0x04:
		e->flash.wel = false;
		break;
	case 0x01:
		if (e->flash.wel && in_bits >= 16) {
			e->flash.sr = in[1] & (uint8_t)~(SR_WIP | SR_WEL);
			e->flash.wel = false;
		}
		break;
	case 0x02:
		if (e->flash.wel && in_bits >= 40) {
			size_t n = in_bits / 8 - 4;
			uint32_t page = addr & ~0xFFu;

			for (size_t i = 0; i < n; i++) {
				uint32_t a = page | ((addr + (uint32_t)i) & 0xFF);

				flash_program(e, a, &in[4 + i], 1);
			}
			e->flash.wel = false;
		}
		break;
	case 0x20:
		flash_erase(e, 'S', addr, t_us);
		break;
	case 0x52:
		flash_erase(e, 'b', addr, t_us);
		break;
	case 0xD8:
		flash_erase(e, 'B', addr, t_us);
		break;
	case 0xC7:
	case 0x60:
		flash_erase(e, 'C', 0, t_us);
		break;
	default:
		break; /* reads, ids, power-down commands: nothing to change */
	}
}
