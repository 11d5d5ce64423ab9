/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blank_md5.h"
#include "chip.h"
#include "fake_rom.h"
#include "rom.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t fake_rom_get_reg(const struct fake_rom *r, uint32_t addr)
{
	for (int i = 0; i < r->nregs; i++)
		if (r->reg[i].addr == addr)
			return r->reg[i].val;
	return 0;
}

void fake_rom_set_reg(struct fake_rom *r, uint32_t addr, uint32_t val)
{
	for (int i = 0; i < r->nregs; i++) {
		if (r->reg[i].addr == addr) {
			r->reg[i].val = val;
			return;
		}
	}
	if (r->nregs >= FAKE_ROM_REGS) {
		fprintf(stderr, "fake rom: register table full\n");
		abort();
	}
	r->reg[r->nregs].addr = addr;
	r->reg[r->nregs].val = val;
	r->nregs++;
}

uint8_t fake_rom_flash_byte(uint32_t addr)
{
	return (uint8_t)(addr * 7u + (addr >> 8));
}

static uint32_t spi_reg(const struct fake_rom *r, uint32_t off)
{
	return fake_rom_get_reg(r, r->chip->spi.base + off);
}

static void spi_set(struct fake_rom *r, uint32_t off, uint32_t v)
{
	fake_rom_set_reg(r, r->chip->spi.base + off, v);
}

/* The flash acting on a command register write. */
static void spi_execute(struct fake_rom *r, uint32_t cmd)
{
	const struct chip_spi_regs *sp = &r->chip->spi;

	if (cmd & SPI_CMD_USR) {
		uint8_t op = spi_reg(r, sp->usr2) & 0xFF;

		switch (op) {
		case FLASH_OP_RDID:
			spi_set(r, sp->w0, r->jedec & 0xFFFFFF);
			break;
		case FLASH_OP_RDSR:
			r->rdsr_count++;
			spi_set(r, sp->w0, r->status | (r->wip_left > 0 ? FLASH_SR_WIP : 0));
			if (r->wip_left > 0)
				r->wip_left--;
			break;
		case FLASH_OP_WREN:
			r->wel = true;
			break;
		case FLASH_OP_SE:
			if (r->wel && r->se_count < FAKE_ROM_LOG) {
				r->se_addr[r->se_count++] = spi_reg(r, SPI_REG_ADDR) >> 8;
				r->wip_left = r->erase_wip_reads;
			}
			r->wel = false;
			break;
		default:
			break;
		}
	} else if (sp->dlen_regs) {
		/* the ESP8266 built-ins below are not modelled for the family */
	} else if (cmd & SPI_CMD_WREN) {
		r->wel = true;
	} else if (cmd & SPI_CMD_SE) {
		/* built-in sector erase: address in the low 24 bits of ADDR */
		if (r->wel && r->se_count < FAKE_ROM_LOG) {
			r->se_addr[r->se_count++] = spi_reg(r, SPI_REG_ADDR) & 0xFFFFFF;
			r->wip_left = r->erase_wip_reads;
		}
		r->wel = false;
	} else if (cmd & SPI_CMD_READ) {
		uint32_t a = spi_reg(r, SPI_REG_ADDR);
		uint32_t addr = a & 0xFFFFFF, len = a >> 24;

		for (uint32_t w = 0; w * 4 < len && w < 8; w++) {
			uint32_t v = 0;

			for (uint32_t b = 0; b < 4; b++)
				v |= (uint32_t)fake_rom_flash_byte(addr + w * 4 + b) << (8 * b);
			spi_set(r, sp->w0 + 4 * w, v);
		}
	}
	r->busy_left = r->cmd_busy_reads;
}

static void reply_data(struct fake_rom *r, uint64_t at, uint8_t op, uint32_t value,
		       const uint8_t *payload, size_t plen, uint8_t st, uint8_t err)
{
	fake_queue_reply_ex(r->f, at, op, value, payload, plen, st, err, r->status_len);
	if (st == 0)
		r->last_op = op;
}

static void reply(struct fake_rom *r, uint64_t at, uint8_t op, uint32_t value, uint8_t st,
		  uint8_t err)
{
	reply_data(r, at, op, value, NULL, 0, st, err);
}

/* What a ROM sends for a command it does not know: 01 05 under the previous op, repeated. */
static void unsupported(struct fake_rom *r, uint64_t at)
{
	r->unsupported_count++;
	for (int i = 0; i < r->unsupported_repeats; i++)
		fake_queue_reply_ex(r->f, at + (uint64_t)i * 1200u, r->last_op ? r->last_op : ROM_SYNC,
				    r->last_value, NULL, 0, 1, 0x05, r->status_len);
}

static bool chip_has(const struct fake_rom *r, uint8_t op)
{
	uint32_t ops = r->chip->rom_ops;

	if (r->sdm)
		ops &= chip_sdm_ops;
	return op < 32 && (ops & CHIP_OP(op));
}

static void md5_reply(struct fake_rom *r, uint64_t at, const uint8_t *b)
{
	uint32_t addr = le32(b + 8), len = le32(b + 12);
	uint8_t md5[16];
	char hex[33];

	if (r->md5_count < FAKE_ROM_LOG) {
		r->md5_addr[r->md5_count] = addr;
		r->md5_len[r->md5_count] = len;
	}
	r->md5_count++;
	blank_md5(len, md5);
	if (r->md5_bad_sector != ~0u && r->md5_bad_sector * 4096u >= addr &&
	    r->md5_bad_sector * 4096u < addr + len)
		md5[0] ^= 0x01; /* not blank: any other digest */
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md5[i]);
	reply_data(r, at, ROM_SPI_FLASH_MD5, r->last_value, (const uint8_t *)hex, 32, 0, 0);
}

static void on_frame(struct fake_tr *f, const uint8_t *b, size_t len, void *ctx)
{
	struct fake_rom *r = ctx;
	uint64_t at = f->now_us + r->latency_us;
	uint8_t op;

	r->requests++;
	if (len < 8 || b[0] != 0)
		return;
	op = b[1];
	if (op != ROM_SYNC) {
		if (r->ignore_requests > 0) {
			r->ignore_requests--;
			return;
		}
		if (r->fail_requests > 0) {
			r->fail_requests--;
			reply(r, at, op, r->last_value, 1, r->fail_error);
			return;
		}
		if (r->garble_replies > 0) {
			/* length field says 2 but three bytes follow the header */
			const uint8_t bad[] = { 0x01, op, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0 };

			r->garble_replies--;
			fake_queue_frame(f, at, bad, sizeof(bad));
			return;
		}
	}
	if (!chip_has(r, op)) {
		unsupported(r, at);
		return;
	}
	switch (op) {
	case ROM_SYNC:
		if (r->syncs_to_ignore > 0) {
			r->syncs_to_ignore--;
			return;
		}
		r->last_value = r->sync_value;
		/* two SYNCs close together get 8 replies in total, not 16 */
		if (at < r->sync_busy_until)
			return;
		r->sync_busy_until = at + (uint64_t)r->sync_replies * r->sync_gap_us;
		for (int i = 0; i < r->sync_replies; i++)
			reply(r, at + (uint64_t)i * r->sync_gap_us, ROM_SYNC, r->sync_value, 0, 0);
		break;
	case ROM_READ_REG: {
		uint32_t addr = le32(b + 8), v;
		uint32_t cmd_reg = r->chip->spi.base + SPI_REG_CMD;

		if (addr == cmd_reg && r->busy_left > 0) {
			r->busy_left--;
			v = fake_rom_get_reg(r, addr);
		} else {
			if (addr == cmd_reg)
				fake_rom_set_reg(r, cmd_reg, 0);
			v = fake_rom_get_reg(r, addr);
		}
		r->last_value = v;
		reply(r, at, op, v, 0, 0);
		break;
	}
	case ROM_WRITE_REG: {
		uint32_t addr = le32(b + 8), v = le32(b + 12);

		fake_rom_set_reg(r, addr, v);
		if (addr == r->chip->spi.base + SPI_REG_CMD)
			spi_execute(r, v);
		reply(r, at, op, r->last_value, 0, 0);
		break;
	}
	case ROM_FLASH_BEGIN:
		if (r->fb_count < FAKE_ROM_LOG) {
			unsigned int words = (unsigned int)(len - 8) / 4;

			r->fb_words[r->fb_count] = words;
			for (unsigned int i = 0; i < words && i < 5; i++)
				r->fb_args[r->fb_count][i] = le32(b + 8 + 4 * i);
		}
		r->fb_count++;
		reply(r, at + r->fb_duration_us, op, r->last_value, r->fb_status, r->fb_error);
		break;
	case ROM_SPI_ATTACH:
		r->attach_count++;
		if (len >= 16) {
			r->attach_args[0] = le32(b + 8);
			r->attach_args[1] = le32(b + 12);
		}
		reply(r, at, op, r->last_value, 0, 0);
		break;
	case ROM_SPI_SET_PARAMS:
		r->params_count++;
		if (len >= 8 + 24)
			r->params_size = le32(b + 12);
		reply(r, at, op, r->last_value, 0, 0);
		break;
	case ROM_GET_SECURITY_INFO:
		r->secinfo_count++;
		reply_data(r, at, op, r->last_value, r->secinfo, r->chip->secinfo_len, 0, 0);
		break;
	case ROM_SPI_FLASH_MD5:
		md5_reply(r, at, b);
		break;
	default:
		reply(r, at, op, r->last_value, 0, 0);
		break;
	}
}

void fake_rom_set_chip(struct fake_rom *r, const struct chip_desc *chip)
{
	r->chip = chip;
	r->status_len = chip->status_len;
	memset(r->secinfo, 0, sizeof(r->secinfo));
	if (chip->secinfo_len == 20) {
		uint32_t id = (uint32_t)chip->secinfo_chip_id;

		r->secinfo[12] = (uint8_t)id;
		r->secinfo[13] = (uint8_t)(id >> 8);
	}
	if (chip->nmagic)
		fake_rom_set_reg(r, CHIP_MAGIC_REG, chip->magic[0]);
}

void fake_rom_init(struct fake_rom *r, struct fake_tr *f)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->latency_us = 1500;
	r->sync_replies = 8;
	r->sync_gap_us = 1000;
	r->sync_value = ROM_SYNC_VALUE;
	r->last_value = ROM_SYNC_VALUE;
	r->jedec = 0x001640EF;
	r->cmd_busy_reads = 1;
	r->md5_bad_sector = ~0u;
	r->unsupported_repeats = 8;
	r->chip = chip_by_name("ESP8266");
	r->status_len = 2;
	f->respond = on_frame;
	f->respond_ctx = r;
}
