// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ESP32 family's read-only words as esptool reads them: the MAC eFuse
 * words (family sheet §6), the chip revision and security fields of the
 * row (esptool's get_major/minor_chip_version, flash_crypt_cnt, secure
 * boot), and the ROM's UARTDEV_BUF_NO byte (§8.2).  Every other eFuse bit
 * reads 0 (package version 0, no embedded flash, blocks unprogrammed).
 */
#include "emu_internal.h"

#define SEC_FLAG_SECURE_BOOT (1u << 0)
#define SEC_FLAG_SDM (1u << 2)

/* ESP32's major revision is a 3-bit code over two eFuses and APB_CTL_DATE. */
static uint32_t esp32_major_code(unsigned int major)
{
	static const uint8_t code[4] = { 0, 1, 3, 7 };

	return major < 4 ? code[major] : 0;
}

static uint32_t source(const struct emu *e, enum emu_fld_src src)
{
	unsigned int rev = chip_rev(&e->cfg);

	switch (src) {
	case FLD_MAJOR:
		return rev / 100;
	case FLD_MINOR:
		return rev % 100;
	case FLD_ESP32_MAJOR:
		return esp32_major_code(rev / 100);
	case FLD_CRYPT_CNT:
		return e->cfg.flash_crypt_cnt;
	case FLD_SECURE_BOOT:
		return e->cfg.secure_boot;
	default:
		return 0;
	}
}

/* MAC = hi[15:8], hi[7:0], lo[31:24], lo[23:16], lo[15:8], lo[7:0] */
static bool mac_word(const struct emu *e, uint32_t addr, uint32_t *v)
{
	const uint8_t *m = e->cfg.mac;

	if (!e->chip->mac_reg)
		return false;
	if (addr == e->chip->mac_reg) {
		*v |= (uint32_t)m[2] << 24 | (uint32_t)m[3] << 16 | (uint32_t)m[4] << 8 | m[5];
		return true;
	}
	if (addr == e->chip->mac_reg + 4) {
		*v |= (uint32_t)m[0] << 8 | m[1];
		return true;
	}
	return false;
}

static const struct emu_uartdev *uartdev(const struct emu *e)
{
	unsigned int rev = chip_rev(&e->cfg);

	for (size_t i = 0; i < 3 && e->chip->uartdev[i].until; i++) {
		if (rev < e->chip->uartdev[i].until)
			return &e->chip->uartdev[i];
	}
	return NULL;
}

bool efuse_read(const struct emu *e, uint32_t addr, uint32_t *value)
{
	const struct emu_uartdev *u = uartdev(e);
	uint32_t v = 0;
	bool hit = mac_word(e, addr, &v);

	for (size_t i = 0; i < EMU_CHIP_FIELDS && e->chip->fields[i].src; i++) {
		const struct emu_reg_field *f = &e->chip->fields[i];
		uint32_t mask = (1u << f->width) - 1;

		if (f->addr != addr)
			continue;
		v |= ((source(e, (enum emu_fld_src)f->src) >> f->src_shift) & mask) << f->shift;
		hit = true;
	}
	if (u && addr == u->addr) {
		/* the ROM's console number: UART0 = 0 [I], or the USB-Serial/JTAG value */
		v = e->cfg.usb_serial_jtag ? u->usj : 0;
		hit = true;
	}
	if (hit)
		*value = v;
	return hit;
}

uint32_t efuse_flags(const struct emu *e)
{
	return (e->cfg.secure_boot ? SEC_FLAG_SECURE_BOOT : 0) | (e->cfg.sdm ? SEC_FLAG_SDM : 0);
}
