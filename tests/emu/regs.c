// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The register map READ_REG/WRITE_REG reach: the ROM magic word, the eFuses,
 * the UART clock divider, the SPI controller in front of the flash and (ESP32
 * family) the USB-Serial/JTAG watchdog registers.  ESP8266 eFuses are encoded
 * as the exact inverse of the host's decoding rules (sheet §5); the family's
 * are in efuse.c.  Other addresses read 0 until written.
 */
#include "emu_internal.h"

#define REG_MAGIC 0x40001000u
#define REG_EFUSE0 0x3FF00050u
#define SPI_WINDOW 0x100u

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

/* The divider auto-baud leaves: UART clock (crystal x mult) / host baud. */
static uint32_t uart_div(const struct emu *e)
{
	uint64_t clk = (uint64_t)e->cfg.crystal_mhz * 1000000u * e->chip->uart_clk_mult;

	if (!e->baud)
		return 0;
	return (uint32_t)((clk + e->baud / 2) / e->baud) & 0xFFFFF;
}

static bool in_spi(const struct emu *e, uint32_t addr)
{
	return addr >= e->chip->spi_base && addr - e->chip->spi_base < SPI_WINDOW;
}

/* The watchdog registers: a write lands only while the write-protect key is set. */
static uint32_t *wdt_reg(struct emu *e, uint32_t addr)
{
	const struct emu_chip_info *c = e->chip;

	if (!c->wdt_config0)
		return NULL;
	if (addr == c->wdt_config0)
		return &e->wdt.config0;
	if (addr == c->wdt_wprotect)
		return &e->wdt.wprotect;
	if (addr == c->swd_conf)
		return &e->wdt.swd_conf;
	if (addr == c->swd_wprotect)
		return &e->wdt.swd_wprotect;
	return NULL;
}

static void wdt_write(struct emu *e, uint32_t *reg, uint32_t value)
{
	const struct emu_chip_info *c = e->chip;

	if (reg == &e->wdt.config0 && e->wdt.wprotect != c->wdt_key)
		return;
	if (reg == &e->wdt.swd_conf && e->wdt.swd_wprotect != c->swd_key)
		return;
	*reg = value;
}

static bool esp8266_read(const struct emu *e, uint32_t addr, uint32_t *v)
{
	if (addr >= REG_EFUSE0 && addr < REG_EFUSE0 + 16 && !(addr & 3)) {
		uint32_t r[4];

		regs_efuses(&e->cfg, r);
		*v = r[(addr - REG_EFUSE0) / 4];
		return true;
	}
	return false;
}

uint32_t regs_read(struct emu *e, uint32_t addr, uint64_t t_us)
{
	struct emu_reg_slot *s;
	uint32_t *w, v;

	(void)t_us;
	if (addr == REG_MAGIC)
		return e->cfg.magic;
	if (e->chip->family ? efuse_read(e, addr, &v) : esp8266_read(e, addr, &v))
		return v;
	if (addr == e->chip->uart_clkdiv)
		return uart_div(e);
	if (in_spi(e, addr))
		return spi_read(e, addr - e->chip->spi_base);
	w = wdt_reg(e, addr);
	if (w)
		return *w;
	s = other_slot(e, addr, false);
	return s ? s->value : 0;
}

void regs_write(struct emu *e, uint32_t addr, uint32_t value, uint64_t t_us)
{
	struct emu_reg_slot *s;
	uint32_t *w, v;

	if (in_spi(e, addr)) {
		spi_write(e, addr - e->chip->spi_base, value, t_us);
		return;
	}
	w = wdt_reg(e, addr);
	if (w) {
		wdt_write(e, w, value);
		return;
	}
	if (addr == REG_MAGIC || addr == e->chip->uart_clkdiv || addr == 0 ||
	    (e->chip->family ? efuse_read(e, addr, &v) : esp8266_read(e, addr, &v)) ||
	    (!e->chip->family && addr >= REG_EFUSE0 && addr < REG_EFUSE0 + 16))
		return; /* read-only here */
	s = other_slot(e, addr, true);
	if (s)
		s->value = value;
}
