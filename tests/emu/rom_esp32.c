// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What only the ESP32-family ROM loader does (family sheet §2-§7):
 *  - Secure Download Mode refuses everything but SYNC, SPI_ATTACH,
 *    SPI_SET_PARAMS, CHANGE_BAUDRATE, FLASH_BEGIN/DATA/END and
 *    GET_SECURITY_INFO; the ESP32 ROM has no GET_SECURITY_INFO;
 *  - SPI_ATTACH (8 bytes) must come before any flash operation;
 *  - FLASH_BEGIN takes 4 words (ESP32) or 5 and erases exactly the range,
 *    sector by sector to the next 64 KiB boundary, then 64 KiB blocks while
 *    more than 16 sectors remain, then sectors [I: the openocd-esp32 copy of
 *    esp_rom_spiflash_erase_area]; the reply comes when the erase is done;
 *  - SPI_FLASH_MD5 answers 32 lowercase hex digits after md5-us-per-mib;
 *  - flash addresses are 24 bits: past 16 MiB they wrap to 0.
 */
#include <string.h>

#include "emu_internal.h"

#define READ_SLOW_BLOCK 64

static bool sdm_allowed(uint8_t op)
{
	switch (op) {
	case OP_SYNC:
	case OP_SPI_ATTACH:
	case OP_SPI_SET_PARAMS:
	case OP_CHANGE_BAUDRATE:
	case OP_FLASH_BEGIN:
	case OP_FLASH_DATA:
	case OP_FLASH_END:
	case OP_GET_SECURITY_INFO:
		return true;
	default:
		return false;
	}
}

bool esp32_op_refused(const struct emu *e, uint8_t op)
{
	if (e->cfg.sdm && !sdm_allowed(op))
		return true;
	return op == OP_GET_SECURITY_INFO && !e->chip->sec_info_len;
}

/* The address the flash sees for a ROM address. */
static uint32_t rom_addr(const struct emu *e, uint64_t a)
{
	return (uint32_t)(a & EMU_ROM_ADDR_MASK) % e->flash.size;
}

static uint64_t erase_one(struct emu *e, char kind, uint64_t sector, uint64_t t_us)
{
	flash_wren(e, t_us);
	return flash_erase(e, kind, rom_addr(e, sector * EMU_SECTOR), t_us);
}

/* Exactly the sectors of [start, start + len), in the ROM's walk; returns when done. */
static uint64_t erase_range(struct emu *e, uint32_t start, uint32_t len, uint64_t t_us)
{
	uint64_t n = ((uint64_t)len + EMU_SECTOR - 1) / EMU_SECTOR;
	uint64_t s = start / EMU_SECTOR;
	uint64_t to_boundary = 16 - s % 16, head = to_boundary < n ? to_boundary : n;
	uint64_t rem = n - head;

	if (t_us < e->flash.busy_until_us)
		t_us = e->flash.busy_until_us;
	for (uint64_t i = 0; i < head; i++, s++)
		t_us = erase_one(e, 'S', s, t_us);
	for (; rem > 16; rem -= 16, s += 16)
		t_us = erase_one(e, 'B', s, t_us);
	for (; rem > 0; rem--, s++)
		t_us = erase_one(e, 'S', s, t_us);
	return t_us;
}

void esp32_flash_begin(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	struct emu_loader *ld = &e->ld;
	uint32_t erase_size, offset;

	/* a word count the ROM does not take [?: the sheet's open point, §12] */
	if (n != 4u * e->chip->flash_begin_words) {
		rom_reply(e, t, OP_FLASH_BEGIN, ERR_INVALID);
		return;
	}
	/* no SPI_ATTACH yet: the ROM's flash routines fail [?] */
	if (!ld->spi_attached) {
		rom_reply(e, t, OP_FLASH_BEGIN, ERR_FAILED);
		return;
	}
	erase_size = rom_le32(d);
	offset = rom_le32(d + 12);
	if (offset % EMU_SECTOR || (uint64_t)offset + erase_size > e->st.rom_chip_size) {
		rom_reply(e, t, OP_FLASH_BEGIN, e->chip->flash_limit_err);
		return;
	}
	if (erase_size && e->cfg.flash_begin_error) {
		rom_reply(e, t, OP_FLASH_BEGIN, (uint8_t)e->cfg.flash_begin_error);
		return;
	}
	e->flash.sr = 0; /* the ROM's unlock before it erases */
	ld->flash_open = true;
	ld->flash_next_addr = offset;
	ld->flash_next_seq = 0;
	rom_reply_at(e, t, erase_range(e, offset, erase_size, t), OP_FLASH_BEGIN, NULL, 0, 0);
}

/*
 * ESF 3193ffe (sheet §2.2): after FLASH_END the ROM answers nothing more; with
 * 0 ("reboot") it reboots without sampling the straps again, so it comes back
 * to the loader.  Any other word runs the user code.
 */
void esp32_flash_end(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	if (n != 4) {
		rom_reply(e, t, OP_FLASH_END, ERR_INVALID);
		return;
	}
	rom_reply(e, t, OP_FLASH_END, 0);
	if (rom_le32(d) == 0) {
		reset_reboot_now(e, t, true, 4);
	} else {
		loader_stop(e);
		emu_enter_app(e, t);
	}
}

void esp32_spi_attach(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	(void)d;
	/* the ROM takes the config word and 4 more bytes; the stub's 4-byte form is refused [?] */
	if (n != 8) {
		rom_reply(e, t, OP_SPI_ATTACH, ERR_INVALID);
		return;
	}
	e->ld.spi_attached = true;
	rom_reply(e, t, OP_SPI_ATTACH, 0);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * flags, flash_crypt_cnt, 7 key purposes; then chip_id and eco_version on
 * every chip but the S2 (sheet §1.2).  eco_version from the row's list,
 * else the major revision [?].
 */
void esp32_security_info(struct emu *e, uint64_t t)
{
	uint8_t p[20] = { 0 };
	unsigned int rev = chip_rev(&e->cfg);
	uint32_t eco = e->chip->eco[0].until ? chip_by_rev(e->chip->eco, rev) : rev / 100;
	put32(p, efuse_flags(e));
	p[4] = (uint8_t)e->cfg.flash_crypt_cnt;
	put32(p + 12, (uint32_t)e->cfg.chip_id);
	put32(p + 16, eco);
	rom_reply_data(e, t, OP_GET_SECURITY_INFO, p, e->chip->sec_info_len, 0);
}

/* A flash read by the ROM: attached, and inside chip_size [I: as the erase checks]. */
static uint8_t read_check(const struct emu *e, uint32_t addr, uint32_t len)
{
	if (!e->ld.spi_attached)
		return ERR_FAILED;
	if ((uint64_t)addr + len > e->st.rom_chip_size)
		return e->chip->flash_limit_err;
	return 0;
}

void esp32_flash_md5(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	struct emu_md5 md5;
	uint8_t digest[16], text[32], chunk[4096], err;
	uint32_t addr, size;
	double phys;
	uint64_t start, done;

	if (n != 16) {
		rom_reply(e, t, OP_SPI_FLASH_MD5, ERR_INVALID);
		return;
	}
	addr = rom_le32(d);
	size = rom_le32(d + 4);
	err = read_check(e, addr, size);
	if (err) {
		rom_reply(e, t, OP_SPI_FLASH_MD5, err);
		return;
	}
	md5_init(&md5);
	for (uint64_t off = 0; off < size;) {
		size_t k = size - off < sizeof(chunk) ? (size_t)(size - off) : sizeof(chunk);

		for (size_t i = 0; i < k; i++)
			chunk[i] = e->flash.data[rom_addr(e, (uint64_t)addr + off + i)];
		md5_update(&md5, chunk, k);
		off += k;
	}
	md5_final(&md5, digest);
	for (int i = 0; i < 16; i++) {
		text[2 * i] = (uint8_t)hex[digest[i] >> 4];
		text[2 * i + 1] = (uint8_t)hex[digest[i] & 15];
	}
	phys = (double)e->cfg.md5_us_per_mib * size / (1u << 20);
	e->st.md5_requests++;
	e->st.md5_busy_us += (uint64_t)(phys + 0.5);
	start = t > e->flash.busy_until_us ? t : e->flash.busy_until_us;
	done = start + (uint64_t)(phys / e->cfg.time_scale + 0.5);
	rom_reply_at(e, t, done, OP_SPI_FLASH_MD5, text, sizeof(text), 0);
}

/* offset, length (<= 64): always 64 bytes of data back (esptool's read_flash_slow). */
void esp32_read_flash_slow(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	uint8_t buf[READ_SLOW_BLOCK], err;
	uint32_t addr, len;

	if (n != 8) {
		rom_reply(e, t, OP_READ_FLASH_SLOW, ERR_INVALID);
		return;
	}
	addr = rom_le32(d);
	len = rom_le32(d + 4);
	err = len > READ_SLOW_BLOCK ? ERR_INVALID : read_check(e, addr, len); /* [?] */
	if (err) {
		rom_reply(e, t, OP_READ_FLASH_SLOW, err);
		return;
	}
	/* the bytes past len are what the buffer holds: the flash that follows [?] */
	for (uint32_t i = 0; i < READ_SLOW_BLOCK; i++)
		buf[i] = e->flash.data[rom_addr(e, (uint64_t)addr + i)];
	rom_reply_data(e, t, OP_READ_FLASH_SLOW, buf, sizeof(buf), 0);
}

/*
 * new baud, 0 (ROM form).  The reply leaves at the old rate; the host then
 * moves, and the model follows the rate the host's port reports.
 */
void esp32_change_baud(struct emu *e, uint64_t t, const uint8_t *d, size_t n)
{
	if (n != 8 || rom_le32(d) == 0) {
		rom_reply(e, t, OP_CHANGE_BAUDRATE, ERR_INVALID);
		return;
	}
	rom_reply(e, t, OP_CHANGE_BAUDRATE, 0);
}

uint64_t esp32_write_reg_delay(const uint8_t *d, size_t n)
{
	uint64_t us = 0;

	for (size_t i = 0; i + 16 <= n; i += 16)
		us += rom_le32(d + i + 12);
	return us;
}
