// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ROM serial loader: its own SLIP receiver, request parsing, the reply
 * format, and the handlers the ESP8266 and ESP32-family ROMs share (sheet
 * §1, §2, §7, §11; family sheet §2, §3).  rom_esp32.c has what only the
 * family ROM does.
 *  - a reply is 01 op size <value> <data> <status> <error>, plus two
 *    reserved 00 bytes on the ESP32 family (4 status bytes);
 *  - <value> repeats the last value produced (READ_REG, SYNC), 0x20120707
 *    after boot;
 *  - one SYNC gives 8 identical replies; a SYNC while they are still going
 *    out adds none;
 *  - the ESP8266's FLASH_BEGIN erases with the ROM's buggy area erase before
 *    it replies.
 */
#include <string.h>

#include "emu_internal.h"


#define ROM_SPI_ERASE_CHIP 0x40004984u /* jumped to by old tools (sheet §7a) */

uint32_t rom_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 01 op size value data status err [00 00]: the family ROM has 4 status bytes. */
void rom_build(const struct emu *e, struct emu_frame *f, uint8_t op, uint32_t value,
	       const uint8_t *data, size_t n, uint8_t err)
{
	size_t status_len = e->chip->family ? 4 : 2, size;

	if (n > EMU_REPLY_MAX - 8 - status_len)
		n = EMU_REPLY_MAX - 8 - status_len;
	size = n + status_len;
	f->b[0] = 0x01;
	f->b[1] = op;
	f->b[2] = (uint8_t)size;
	f->b[3] = (uint8_t)(size >> 8);
	f->b[4] = (uint8_t)value;
	f->b[5] = (uint8_t)(value >> 8);
	f->b[6] = (uint8_t)(value >> 16);
	f->b[7] = (uint8_t)(value >> 24);
	if (n)
		memcpy(f->b + 8, data, n);
	memset(f->b + 8 + n, 0, status_len);
	f->b[8 + n] = err ? 1 : 0;
	f->b[9 + n] = err;
	f->len = 8 + size;
}

void rom_reply_data(struct emu *e, uint64_t t_us, uint8_t op, const uint8_t *data, size_t n,
		    uint8_t err)
{
	struct emu_frame f;

	rom_build(e, &f, op, e->ld.last_value, data, n, err);
	uart_send_frame(e, t_us, f.b, f.len);
}

void rom_reply(struct emu *e, uint64_t t_us, uint8_t op, uint8_t err)
{
	rom_reply_data(e, t_us, op, NULL, 0, err);
}

void rom_reply_at(struct emu *e, uint64_t now, uint64_t done_us, uint8_t op,
		  const uint8_t *data, size_t n, uint8_t err)
{
	if (done_us <= now) {
		rom_reply_data(e, now, op, data, n, err);
		return;
	}
	rom_build(e, &e->ld.deferred_frame, op, e->ld.last_value, data, n, err);
	e->ld.deferred = true;
	e->ld.deferred_at = done_us;
}

static void repeat_start(struct emu_repeat *r, const struct emu_frame *f, uint64_t t_us)
{
	r->f = *f;
	r->left = EMU_REPEAT_COUNT;
	r->next_us = t_us;
}

void loader_stop(struct emu *e)
{
	struct emu_loader *ld = &e->ld;

	ld->in_frame = false;
	ld->esc = false;
	ld->len = 0;
	ld->deferred = false;
	ld->sync_rep.left = 0;
	ld->unk_rep.left = 0;
}

void loader_enter(struct emu *e, uint64_t t_us)
{
	struct emu_loader *ld = &e->ld;

	(void)t_us;
	loader_stop(e);
	e->mode = EMU_MODE_LOADER;
	ld->lose_next_frame = e->cfg.first_sync_lost;
	ld->last_value = EMU_SYNC_VALUE;
	ld->last_op = 0;
	ld->flash_open = false;
	ld->mem_open = false;
	ld->spi_attached = false;
	e->st.rom_chip_size = e->cfg.rom_flash_limit;
}

/*
 * The ROM handles one request at a time: it is busy while an erase runs and
 * while it writes the frames answering an unknown opcode (so the next
 * request's replies cannot interleave with them).  The 8 SYNC replies do not
 * block it: a second SYNC during them must add none (sheet §11).
 */
uint64_t loader_busy_until(const struct emu *e)
{
	const struct emu_loader *ld = &e->ld;
	uint64_t t = ld->deferred ? ld->deferred_at : 0;

	if (ld->unk_rep.left) {
		uint64_t last = ld->unk_rep.next_us +
				(uint64_t)(ld->unk_rep.left - 1) * e->cfg.sync_reply_gap_us;

		/* busy until just after the last frame is written */
		if (last + 1 > t)
			t = last + 1;
	}
	return t;
}

uint64_t loader_next_event(const struct emu *e)
{
	const struct emu_loader *ld = &e->ld;
	uint64_t t = UINT64_MAX;

	if (ld->deferred)
		t = ld->deferred_at;
	if (ld->sync_rep.left && ld->sync_rep.next_us < t)
		t = ld->sync_rep.next_us;
	if (ld->unk_rep.left && ld->unk_rep.next_us < t)
		t = ld->unk_rep.next_us;
	return t;
}

static void repeat_run(struct emu *e, struct emu_repeat *r, uint64_t t_us)
{
	while (r->left && r->next_us <= t_us) {
		uart_send_frame(e, r->next_us, r->f.b, r->f.len);
		r->left--;
		r->next_us += e->cfg.sync_reply_gap_us;
	}
}

void loader_run_events(struct emu *e, uint64_t t_us)
{
	struct emu_loader *ld = &e->ld;

	if (ld->deferred && ld->deferred_at <= t_us) {
		ld->deferred = false;
		uart_send_frame(e, ld->deferred_at, ld->deferred_frame.b, ld->deferred_frame.len);
	}
	repeat_run(e, &ld->sync_rep, t_us);
	repeat_run(e, &ld->unk_rep, t_us);
}

/*
 * SPIEraseArea as the ROM has it (sheet §7): min(h, n) sector erases up to
 * the next 64 KiB boundary, then it restarts with the full count n: 64 KiB
 * blocks while more than 16 sectors remain, sectors for the rest.  Each
 * erase is WREN + erase + wait.  Returns when the last one ends.
 */
static uint64_t rom_erase_area(struct emu *e, uint32_t start, uint32_t len, uint64_t t_us)
{
	uint64_t n = ((uint64_t)len + EMU_SECTOR - 1) / EMU_SECTOR;
	uint64_t s = start / EMU_SECTOR;
	uint64_t h = 16 - s % 16, head = h < n ? h : n, rem = n;
	uint32_t size = e->flash.size;

	if (t_us < e->flash.busy_until_us)
		t_us = e->flash.busy_until_us;
	for (uint64_t i = 0; i < head; i++, s++) {
		flash_wren(e, t_us);
		t_us = flash_erase(e, 'S', (uint32_t)((s * EMU_SECTOR) % size), t_us);
	}
	for (; rem > 16; rem -= 16, s += 16) {
		flash_wren(e, t_us);
		t_us = flash_erase(e, 'B', (uint32_t)((s * EMU_SECTOR) % size), t_us);
	}
	for (; rem > 0; rem--, s++) {
		flash_wren(e, t_us);
		t_us = flash_erase(e, 'S', (uint32_t)((s * EMU_SECTOR) % size), t_us);
	}
	return t_us;
}

static uint8_t data_checksum(const uint8_t *p, size_t n)
{
	uint8_t c = 0xEF;

	for (size_t i = 0; i < n; i++)
		c ^= p[i];
	return c;
}

static void op_flash_begin(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	uint32_t erase_size, offset;
	uint64_t done;

	if (n != 16) {
		rom_reply(e, t, OP_FLASH_BEGIN, ERR_INVALID);
		return;
	}
	erase_size = rom_le32(d);
	offset = rom_le32(d + 12);
	if (offset % EMU_SECTOR ||
	    (uint64_t)offset + erase_size > e->st.rom_chip_size) {
		rom_reply(e, t, OP_FLASH_BEGIN, ERR_FAILED);
		return;
	}
	/* injected fault: the ROM refuses every erase, erasing nothing */
	if (erase_size && e->cfg.flash_begin_error) {
		rom_reply(e, t, OP_FLASH_BEGIN, (uint8_t)e->cfg.flash_begin_error);
		return;
	}
	e->flash.sr = 0; /* SPIUnlock */
	e->ld.flash_open = true;
	e->ld.flash_next_addr = offset;
	e->ld.flash_next_seq = 0;
	done = rom_erase_area(e, offset, erase_size, t);
	rom_reply_at(e, t, done, OP_FLASH_BEGIN, NULL, 0, 0);
}

/* FLASH_DATA and MEM_DATA share the header {len, seq, 0, 0} and the checksum. */
static int data_block(uint32_t csum, const uint8_t *d, size_t n,
		      uint32_t *next_seq, const uint8_t **payload, uint32_t *plen)
{
	uint32_t len, seq;

	if (n < 16 || (len = rom_le32(d), n - 16 != len))
		return ERR_INVALID;
	seq = rom_le32(d + 4);
	if (data_checksum(d + 16, len) != (uint8_t)csum) {
		(*next_seq)++; /* then a resend is refused with 05, as in the trace [I] */
		return ERR_CHECKSUM;
	}
	if (seq != *next_seq)
		return ERR_INVALID;
	*payload = d + 16;
	*plen = len;
	return 0;
}

/* The family ROM addresses 24 bits: data past 16 MiB lands at the bottom. */
static bool program(struct emu *e, uint32_t addr, const uint8_t *p, uint32_t len)
{
	uint32_t first;

	if (!e->chip->family)
		return flash_program(e, addr, p, len);
	addr &= EMU_ROM_ADDR_MASK;
	first = EMU_ROM_ADDR_MASK + 1 - addr;
	if (first >= len)
		return flash_program(e, addr, p, len);
	return flash_program(e, addr, p, first) & flash_program(e, 0, p + first, len - first);
}

static void op_flash_data(struct emu *e, uint64_t t, uint32_t csum, const uint8_t *d, size_t n)
{
	struct emu_loader *ld = &e->ld;
	const uint8_t *p;
	uint32_t len;
	int err;

	if (!ld->flash_open) {
		rom_reply(e, t, OP_FLASH_DATA, ERR_INVALID);
		return;
	}
	err = data_block(csum, d, n, &ld->flash_next_seq, &p, &len);
	if (!err && (uint64_t)ld->flash_next_addr + len > e->st.rom_chip_size)
		err = e->chip->flash_limit_err;
	if (err) {
		rom_reply(e, t, OP_FLASH_DATA, (uint8_t)err);
		return;
	}
	if (!program(e, ld->flash_next_addr, p, len))
		err = ERR_FLASH_WRITE; /* read-back differs: the area was not erased */
	ld->flash_next_addr += len;
	ld->flash_next_seq++;
	rom_reply_at(e, t, e->flash.busy_until_us, OP_FLASH_DATA, NULL, 0, (uint8_t)err);
}

/* The chip's DRAM or IRAM (the ESP8266's are kept; the family's only checked). */
static bool ram_range_ok(const struct emu *e, uint32_t addr, uint32_t size)
{
	uint64_t end = (uint64_t)addr + size;

	for (int i = 0; i < 2; i++) {
		if (addr >= e->chip->ram[i][0] && end <= e->chip->ram[i][1])
			return true;
	}
	return false;
}

static uint8_t *ram_at(struct emu *e, uint32_t addr)
{
	if (addr >= DRAM_START && addr < DRAM_END)
		return e->ram + (addr - DRAM_START);
	return e->ram + (DRAM_END - DRAM_START) + (addr - IRAM_START);
}

static void op_mem_begin(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	struct emu_loader *ld = &e->ld;
	uint32_t size, addr;

	if (n != 16) {
		rom_reply(e, t, OP_MEM_BEGIN, ERR_INVALID);
		return;
	}
	size = rom_le32(d);
	addr = rom_le32(d + 12);
	if (!ram_range_ok(e, addr, size)) {
		rom_reply(e, t, OP_MEM_BEGIN, ERR_INVALID);
		return;
	}
	ld->mem_open = true;
	ld->mem_addr = addr;
	ld->mem_size = size;
	ld->mem_written = 0;
	ld->mem_next_seq = 0;
	rom_reply(e, t, OP_MEM_BEGIN, 0);
}

static void op_mem_data(struct emu *e, uint64_t t, uint32_t csum, const uint8_t *d, size_t n)
{
	struct emu_loader *ld = &e->ld;
	const uint8_t *p;
	uint32_t len;
	int err;

	if (!ld->mem_open) {
		rom_reply(e, t, OP_MEM_DATA, ERR_INVALID);
		return;
	}
	err = data_block(csum, d, n, &ld->mem_next_seq, &p, &len);
	if (!err && (uint64_t)ld->mem_written + len > ld->mem_size)
		err = ERR_INVALID;
	if (!err) {
		if (!e->chip->family)
			memcpy(ram_at(e, ld->mem_addr + ld->mem_written), p, len);
		ld->mem_written += len;
		ld->mem_next_seq++;
	}
	rom_reply(e, t, OP_MEM_DATA, (uint8_t)err);
}

static void op_mem_end(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	uint32_t flag, entry;

	if (n != 8) {
		rom_reply(e, t, OP_MEM_END, ERR_INVALID);
		return;
	}
	flag = rom_le32(d);
	entry = rom_le32(d + 4);
	rom_reply(e, t, OP_MEM_END, 0);
	if (flag != 0)
		return;
	loader_stop(e);
	if (!e->chip->family && entry == ROM_SPI_ERASE_CHIP) {
		/* the ROM's SPIEraseChip: WREN, CE, wait; then it runs off into the weeds */
		uint64_t start = t > e->flash.busy_until_us ? t : e->flash.busy_until_us;

		flash_wren(e, start);
		flash_erase(e, 'C', 0, start);
	}
	emu_enter_app(e, t);
}

/*
 * An opcode the ROM lacks (or refuses, in Secure Download Mode): with
 * `prev-op`, 8 frames under the op of the last supported request carrying
 * status 01 05, in the ROM's status length (sheet §2.2).
 */
void rom_unsupported(struct emu *e, uint64_t t, uint8_t op)
{
	struct emu_loader *ld = &e->ld;
	struct emu_frame f;

	e->st.unsupported++;
	switch (e->cfg.unknown_op) {
	case EMU_UNKNOWN_PREV_OP:
		rom_build(e, &f, ld->last_op ? ld->last_op : op, ld->last_value, NULL, 0,
			  ERR_INVALID);
		repeat_start(&ld->unk_rep, &f, t);
		break;
	case EMU_UNKNOWN_SAME_OP:
		rom_reply(e, t, op, ERR_INVALID);
		break;
	case EMU_UNKNOWN_SILENT:
		break;
	case EMU_UNKNOWN_RESET:
		reset_reboot_now(e, t, e->rst.dtr && !e->rst.rts, 4);
		break;
	}
}

/* Returns false when the ROM does not count it as the last supported op. */
static bool op_sync(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	struct emu_loader *ld = &e->ld;
	struct emu_frame f;

	if (n != 36 || rom_le32(d) != EMU_SYNC_VALUE) {
		rom_reply(e, t, OP_SYNC, ERR_INVALID);
		return true;
	}
	for (size_t i = 4; i < 36; i++) {
		if (d[i] != 0x55) {
			rom_reply(e, t, OP_SYNC, ERR_INVALID);
			return false;
		}
	}
	ld->last_value = EMU_SYNC_VALUE;
	if (!ld->sync_rep.left) {
		rom_build(e, &f, OP_SYNC, EMU_SYNC_VALUE, NULL, 0, 0);
		repeat_start(&ld->sync_rep, &f, t);
	}
	return true;
}

static void op_write_reg(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	if (n == 0 || n % 16) {
		rom_reply(e, t, OP_WRITE_REG, ERR_INVALID);
		return;
	}
	for (size_t i = 0; i < n; i += 16) {
		uint32_t addr = rom_le32(d + i), val = rom_le32(d + i + 4);
		uint32_t mask = rom_le32(d + i + 8);
		uint32_t old = regs_read(e, addr, t);

		regs_write(e, addr, (old & ~mask) | (val & mask), t);
	}
	/* the family ROM waits each entry's delay_us; the ESP8266 model never did */
	if (e->chip->family)
		rom_reply_at(e, t, t + esp32_write_reg_delay(d, n), OP_WRITE_REG, NULL, 0, 0);
	else
		rom_reply(e, t, OP_WRITE_REG, 0);
}

static void op_flash_end(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	if (n != 4) {
		rom_reply(e, t, OP_FLASH_END, ERR_INVALID);
		return;
	}
	rom_reply(e, t, OP_FLASH_END, 0);
	if (rom_le32(d) == 0) {
		reset_reboot_now(e, t, e->rst.dtr && !e->rst.rts, 4);
	} else {
		loader_stop(e);
		emu_enter_app(e, t);
	}
}

/* Ops only the family ROM has: the ESP8266 ROM answers them as unknown. */
static bool family_op(struct emu *e, uint64_t t, uint8_t op, const uint8_t *d, size_t n)
{
	if (!e->chip->family)
		return false;
	switch (op) {
	case OP_SPI_ATTACH:
		esp32_spi_attach(e, t, d, n);
		return true;
	case OP_GET_SECURITY_INFO:
		esp32_security_info(e, t);
		return true;
	case OP_SPI_FLASH_MD5:
		esp32_flash_md5(e, t, d, n);
		return true;
	case OP_READ_FLASH_SLOW:
		esp32_read_flash_slow(e, t, d, n);
		return true;
	case OP_CHANGE_BAUDRATE:
		esp32_change_baud(e, t, d, n);
		return true;
	default:
		return false;
	}
}

static void handle_frame(struct emu *e, const uint8_t *f, size_t len, uint64_t t)
{
	struct emu_loader *ld = &e->ld;
	uint8_t op;
	uint32_t dlen, csum;
	const uint8_t *d = f + 8;
	size_t n = len - 8;

	if (len < 8 || f[0] != 0x00)
		return;
	op = f[1];
	dlen = (uint32_t)f[2] | (uint32_t)f[3] << 8;
	csum = rom_le32(f + 4);
	if (op == OP_SYNC)
		e->st.sync_frames++;
	if (ld->lose_next_frame) {
		ld->lose_next_frame = false; /* auto-baud was still measuring */
		return;
	}
	if (e->cfg.hang_after >= 0 && !ld->hang_fired &&
	    ld->commands_total >= (unsigned long)e->cfg.hang_after) {
		ld->hang_fired = true;
		loader_stop(e);
		e->mode = EMU_MODE_HUNG;
		return;
	}
	ld->commands_total++;
	e->st.commands[op]++;
	if (e->cmd_n < EMU_CMD_LOG_CAP)
		e->cmd_log[e->cmd_n++] = op;

	if (dlen != n) {
		rom_reply(e, t, op, ERR_INVALID);
		return;
	}
	if ((op == OP_SPI_SET_PARAMS && !e->cfg.spi_set_params) ||
	    (e->chip->family && esp32_op_refused(e, op))) {
		rom_unsupported(e, t, op);
		return;
	}

	switch (op) {
	case OP_SYNC:
		if (!op_sync(e, t, d, n))
			return;
		break;
	case OP_READ_REG:
		if (n != 4) {
			rom_reply(e, t, op, ERR_INVALID);
			break;
		}
		ld->last_value = regs_read(e, rom_le32(d), t);
		rom_reply(e, t, op, 0);
		break;
	case OP_WRITE_REG:
		op_write_reg(e, t, d, n);
		break;
	case OP_FLASH_BEGIN:
		if (e->fb_n < EMU_FB_LOG_CAP)
			e->fb_words[e->fb_n++] = (uint8_t)(n / 4 > 255 ? 255 : n / 4);
		if (e->chip->family)
			esp32_flash_begin(e, t, d, n);
		else
			op_flash_begin(e, t, d, n);
		break;
	case OP_FLASH_DATA:
		op_flash_data(e, t, csum, d, n);
		break;
	case OP_FLASH_END:
		if (e->chip->family)
			esp32_flash_end(e, t, d, n);
		else
			op_flash_end(e, t, d, n);
		ld->last_op = op;
		return;
	case OP_MEM_BEGIN:
		op_mem_begin(e, t, d, n);
		break;
	case OP_MEM_DATA:
		op_mem_data(e, t, csum, d, n);
		break;
	case OP_MEM_END:
		op_mem_end(e, t, d, n);
		break;
	case OP_SPI_SET_PARAMS:
		if (n != 24) {
			rom_reply(e, t, op, ERR_INVALID);
			break;
		}
		e->st.rom_chip_size = rom_le32(d + 4);
		rom_reply(e, t, op, 0);
		break;
	default:
		if (!family_op(e, t, op, d, n)) {
			rom_unsupported(e, t, op);
			return;
		}
		break;
	}
	ld->last_op = op;
}

void loader_rx_byte(struct emu *e, uint8_t b, uint64_t t_us)
{
	struct emu_loader *ld = &e->ld;

	if (!ld->in_frame) {
		if (b == 0xC0) {
			ld->in_frame = true;
			ld->len = 0;
			ld->esc = false;
			ld->overflow = false;
		}
		return; /* noise between frames */
	}
	if (b == 0xC0) {
		if (ld->len == 0 && !ld->overflow)
			return; /* C0 C0: the previous C0 ended nothing */
		ld->in_frame = false;
		if (!ld->overflow)
			handle_frame(e, ld->frame, ld->len, t_us);
		return;
	}
	if (ld->esc) {
		ld->esc = false;
		if (b == 0xDC)
			b = 0xC0;
		else if (b == 0xDD)
			b = 0xDB;
		else
			ld->overflow = true; /* bad escape: the frame is dropped */
	} else if (b == 0xDB) {
		ld->esc = true;
		return;
	}
	if (ld->len < sizeof(ld->frame))
		ld->frame[ld->len++] = b;
	else
		ld->overflow = true;
}
