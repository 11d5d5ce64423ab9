// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The register map READ_REG/WRITE_REG reach: the ROM magic word, the four
 * eFuse words, the UART clock divider and SPI0.  eFuses are encoded as the
 * exact inverse of the host's decoding rules (sheet §5).
 */
#include "emu_internal.h"

#define REG_MAGIC 0x40001000u
#define REG_EFUSE0 0x3FF00050u
#define REG_UART_CLKDIV 0x60000014u
#define REG_SPI0 0x60000200u
#define REG_SPI0_END 0x60000300u

#define EFUSE0_ESP8285 (1u << 4)   /* "a" */
#define EFUSE2_ESP8285 (1u << 16)
#define EFUSE3_B (1u << 25)
#define EFUSE3_C (1u << 26)

/*
 * MAC = OUI, m1[15:8], m1[7:0], m0[31:24].  OUI comes from m3[23:0] when m3
 * is non-zero, else m1[23:16] picks 18:FE:34 (0) or AC:D0:74 (1).
 */
void regs_efuses(const struct emu_config *cfg, uint32_t r[4])
{
	const uint8_t *mac = cfg->mac;
	uint32_t oui = (uint32_t)mac[0] << 16 | (uint32_t)mac[1] << 8 | mac[2];
	uint32_t r3_flags = 0, sel = 0;

	r[0] = (uint32_t)mac[5] << 24;
	r[2] = 0;
	if (cfg->chip == EMU_CHIP_ESP8285) {
		/* a and not b: embedded 1 MB (c clear) or 2 MB (c set) */
		r[0] |= EFUSE0_ESP8285;
		if (cfg->flash_size == (2u << 20))
			r3_flags |= EFUSE3_C;
	}
	if (r3_flags == 0 && oui == 0x18FE34) {
		r[3] = 0;
		sel = 0;
	} else if (r3_flags == 0 && oui == 0xACD074) {
		r[3] = 0;
		sel = 1;
	} else {
		/* m3 must be non-zero to be read as the OUI; it is, as OUI != 0 */
		r[3] = r3_flags | oui;
	}
	r[1] = sel << 16 | (uint32_t)mac[3] << 8 | mac[4];
}

/* Host reads MHz = baud * div / 1e6 / 2; the UART runs from 2 x crystal. */
uint32_t regs_uart_div(uint32_t crystal_mhz, uint32_t baud)
{
	uint64_t clk = (uint64_t)crystal_mhz * 2000000u;

	if (!baud)
		return 0;
	return (uint32_t)((clk + baud / 2) / baud) & 0xFFFFF;
}

static struct emu_reg_slot *other_slot(struct emu *e, uint32_t addr, bool create)
{
	struct emu_reg_slot *free_slot = NULL;

	for (size_t i = 0; i < EMU_OTHER_REGS; i++) {
		if (e->other[i].addr == addr)
			return &e->other[i];
		if (!free_slot && e->other[i].addr == 0)
			free_slot = &e->other[i];
	}
	if (create && free_slot)
		free_slot->addr = addr;
	return create ? free_slot : NULL;
}

uint32_t regs_read(struct emu *e, uint32_t addr, uint64_t t_us)
{
	struct emu_reg_slot *s;

	(void)t_us;
	if (addr == REG_MAGIC)
		return e->cfg.magic;
	if (addr >= REG_EFUSE0 && addr < REG_EFUSE0 + 16 && !(addr & 3)) {
		uint32_t r[4];

		regs_efuses(&e->cfg, r);
		return r[(addr - REG_EFUSE0) / 4];
	}
	if (addr == REG_UART_CLKDIV)
		return regs_uart_div(e->cfg.crystal_mhz, e->baud);
	if (addr >= REG_SPI0 && addr < REG_SPI0_END)
		return spi_read(e, addr - REG_SPI0);
	s = other_slot(e, addr, false);
	return s ? s->value : 0;
}

void regs_write(struct emu *e, uint32_t addr, uint32_t value, uint64_t t_us)
{
	struct emu_reg_slot *s;

	if (addr >= REG_SPI0 && addr < REG_SPI0_END) {
		spi_write(e, addr - REG_SPI0, value, t_us);
		return;
	}
	if (addr == REG_MAGIC || (addr >= REG_EFUSE0 && addr < REG_EFUSE0 + 16) ||
	    addr == REG_UART_CLKDIV || addr == 0)
		return; /* read-only here */
	s = other_slot(e, addr, true);
	if (s)
		s->value = value;
}
