// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SPI controller in front of the flash, at the row's base and offsets:
 * SPI0 at 0x60000200 on the ESP8266 (sheet §6), SPI1/SPIMEM1 on the ESP32
 * family (family sheet §0.2, §5).  Writing CMD starts an operation; it runs
 * at once and the busy bits read back as clear.
 *
 * User commands shift out: command (USR2 length/value), address, dummy
 * cycles, MOSI bits from W0.. (byte 0 of W0 first), then sample MISO into
 * W0.. the same way.  The address is the top addr_bits of ADDR on the
 * ESP8266 and ESP32 (MSB-aligned) and the low addr_bits on the later chips
 * (esptool's SPI_ADDR_REG_MSB) [I].  The data lengths come from USR1 on the
 * ESP8266 and from MOSI_DLEN/MISO_DLEN on the family.  The flash sees the raw
 * bit stream, so a wrong length or a missing dummy phase gives shifted data,
 * as it would on the chip.  On the family, before SPI_ATTACH the flash is not
 * connected: nothing reaches it and MISO reads all ones [?].  The built-in
 * CMD bits (READ, RDID, ...) are modelled on the ESP8266 only.
 */
#include <string.h>

#include "emu_internal.h"

#define SPI_CMD 0x00
#define SPI_ADDR 0x04
#define SPI_RD_STATUS 0x10
#define SPI_W_BYTES 64
#define SPI_W_BITS (8 * SPI_W_BYTES)

/* CMD register: built-in flash operations and the user command */
#define CMD_READ (1u << 31)
#define CMD_WREN (1u << 30)
#define CMD_WRDI (1u << 29)
#define CMD_RDID (1u << 28)
#define CMD_RDSR (1u << 27)
#define CMD_WRSR (1u << 26)
#define CMD_PP (1u << 25)
#define CMD_SE (1u << 24)
#define CMD_BE (1u << 23)
#define CMD_CE (1u << 22)
#define CMD_USR (1u << 18)

/* USR register: phases of a user command */
#define USR_COMMAND (1u << 31)
#define USR_ADDR (1u << 30)
#define USR_DUMMY (1u << 29)
#define USR_MISO (1u << 28)
#define USR_MOSI (1u << 27)

struct bits {
	uint8_t buf[8 + 4 + 32 + SPI_W_BYTES];
	size_t n;
};

static void put_bits(struct bits *b, uint32_t v, unsigned int count)
{
	for (unsigned int i = count; i-- > 0;) {
		if (b->n / 8 >= sizeof(b->buf))
			return;
		if ((v >> i) & 1)
			b->buf[b->n / 8] |= (uint8_t)(0x80 >> (b->n % 8));
		b->n++;
	}
}

static uint32_t reg(const struct emu *e, uint8_t off)
{
	return e->spi[off / 4];
}

static uint8_t w_byte(const struct emu *e, size_t i)
{
	return (uint8_t)(e->spi[e->chip->spi_w0 / 4 + i / 4] >> (8 * (i % 4)));
}

static void w_set_byte(struct emu *e, size_t i, uint8_t v)
{
	uint32_t *w = &e->spi[e->chip->spi_w0 / 4 + i / 4];
	unsigned int sh = 8 * (i % 4);

	*w = (*w & ~(0xFFu << sh)) | ((uint32_t)v << sh);
}

static void w_store(struct emu *e, const uint8_t *data, size_t bits)
{
	for (size_t i = 0; i < (bits + 7) / 8 && i < SPI_W_BYTES; i++)
		w_set_byte(e, i, data[i]);
}

/* MOSI/MISO bit counts: the DLEN registers on the family, USR1 on the ESP8266. */
static size_t data_bits(const struct emu *e, uint8_t dlen_off, unsigned int usr1_shift)
{
	size_t bits = dlen_off ? (reg(e, dlen_off) & 0xFFFFFF) + 1
			       : ((reg(e, e->chip->spi_usr1) >> usr1_shift) & 0x1FF) + 1;

	return bits > SPI_W_BITS ? SPI_W_BITS : bits;
}

static void run_user(struct emu *e, uint64_t t_us)
{
	const struct emu_chip_info *c = e->chip;
	uint32_t usr = reg(e, c->spi_usr), usr1 = reg(e, c->spi_usr1);
	uint32_t usr2 = reg(e, c->spi_usr2), addr = reg(e, SPI_ADDR);
	struct bits in;
	uint8_t out[SPI_W_BYTES];
	size_t miso_bits = 0;

	memset(&in, 0, sizeof(in));
	if (usr & USR_COMMAND) {
		unsigned int cmd_bits = (usr2 >> 28) + 1;

		put_bits(&in, usr2 & 0xFFFF, cmd_bits > 16 ? 16 : cmd_bits);
	}
	if (usr & USR_ADDR) {
		unsigned int addr_bits = (usr1 >> 26) + 1;

		if (c->spi_addr_msb)
			put_bits(&in, addr >> (32 - addr_bits), addr_bits);
		else
			put_bits(&in, addr_bits < 32 ? addr & ((1u << addr_bits) - 1) : addr,
				 addr_bits);
	}
	if (usr & USR_DUMMY)
		put_bits(&in, 0, (usr1 & ((1u << c->spi_dummy_bits) - 1)) + 1);
	if (usr & USR_MOSI) {
		size_t mosi_bits = data_bits(e, c->spi_mosi_dlen, 17);

		for (size_t i = 0; i < mosi_bits; i++)
			put_bits(&in, (w_byte(e, i / 8) >> (7 - i % 8)) & 1, 1);
	}
	if (usr & USR_MISO)
		miso_bits = data_bits(e, c->spi_miso_dlen, 8);

	if (c->family && !e->ld.spi_attached)
		memset(out, 0xFF, sizeof(out)); /* no flash on the bus yet [?] */
	else
		flash_transaction(e, t_us, in.buf, in.n, in.n, out, miso_bits);
	if (miso_bits)
		w_store(e, out, miso_bits);
}

/* A built-in command: opcode, optional 24-bit address, optional data. */
static void run_builtin(struct emu *e, uint64_t t_us, uint8_t op, bool with_addr,
			const uint8_t *data, size_t data_len, uint8_t *out, size_t out_len)
{
	uint8_t in[4 + SPI_W_BYTES];
	size_t n = 0;
	uint32_t addr = e->spi[SPI_ADDR / 4] & 0xFFFFFF;

	in[n++] = op;
	if (with_addr) {
		in[n++] = (uint8_t)(addr >> 16);
		in[n++] = (uint8_t)(addr >> 8);
		in[n++] = (uint8_t)addr;
	}
	for (size_t i = 0; i < data_len && n < sizeof(in); i++)
		in[n++] = data[i];
	flash_transaction(e, t_us, in, n * 8, n * 8, out, out_len * 8);
}

static void run_cmd(struct emu *e, uint32_t cmd, uint64_t t_us)
{
	uint8_t out[SPI_W_BYTES], data[SPI_W_BYTES];
	uint32_t len = e->spi[SPI_ADDR / 4] >> 24;

	if (len > 32)
		len = 32;
	if (cmd & CMD_USR)
		run_user(e, t_us);
	if (e->chip->family)
		return; /* built-in commands are not modelled on the family [?] */
	if (cmd & CMD_READ) {
		run_builtin(e, t_us, 0x03, true, NULL, 0, out, len);
		w_store(e, out, len * 8);
	}
	if (cmd & CMD_RDID) {
		run_builtin(e, t_us, 0x9F, false, NULL, 0, out, 3);
		e->spi[e->chip->spi_w0 / 4] = (uint32_t)out[0] | (uint32_t)out[1] << 8 |
				     (uint32_t)out[2] << 16;
	}
	if (cmd & CMD_RDSR) {
		run_builtin(e, t_us, 0x05, false, NULL, 0, out, 1);
		e->spi[SPI_RD_STATUS / 4] = out[0];
	}
	if (cmd & CMD_WRDI)
		run_builtin(e, t_us, 0x04, false, NULL, 0, out, 0);
	if (cmd & CMD_WREN)
		run_builtin(e, t_us, 0x06, false, NULL, 0, out, 0);
	if (cmd & CMD_WRSR) {
		data[0] = (uint8_t)e->spi[SPI_RD_STATUS / 4];
		run_builtin(e, t_us, 0x01, false, data, 1, out, 0);
	}
	if (cmd & CMD_PP) {
		for (uint32_t i = 0; i < len; i++)
			data[i] = w_byte(e, i);
		run_builtin(e, t_us, 0x02, true, data, len, out, 0);
	}
	if (cmd & CMD_SE)
		run_builtin(e, t_us, 0x20, true, NULL, 0, out, 0);
	if (cmd & CMD_BE)
		run_builtin(e, t_us, 0xD8, true, NULL, 0, out, 0);
	if (cmd & CMD_CE)
		run_builtin(e, t_us, 0xC7, false, NULL, 0, out, 0);
}

uint32_t spi_read(struct emu *e, uint32_t off)
{
	return e->spi[(off & 0xFF) / 4];
}

void spi_write(struct emu *e, uint32_t off, uint32_t value, uint64_t t_us)
{
	off &= 0xFC;
	if (off == SPI_CMD) {
		run_cmd(e, value, t_us);
		e->spi[0] = 0; /* finished: busy bits clear */
		return;
	}
	e->spi[off / 4] = value;
}
