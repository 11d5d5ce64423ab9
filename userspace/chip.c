/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ESP8266 as seen through its ROM loader (fact sheet §5, §6): identity
 * from the magic register and eFuses, the crystal from the UART divider the
 * ROM's auto-baud measured, and SPI flash commands driven through the SPI0
 * user-command registers with READ_REG/WRITE_REG.
 */
#include <string.h>

#include "chip.h"

#define BIT(n) (1u << (n))

const char *chip_variant_name(enum chip_variant v)
{
	switch (v) {
	case CHIP_ESP8266EX: return "ESP8266EX";
	case CHIP_ESP8285: return "ESP8285";
	}
	return "unknown";
}

/*
 * Magic register values of the other ROM loaders (esptool's
 * CHIP_DETECT_MAGIC_VALUE, checked in its v4.7.0 targets).  Later chips
 * (ESP32-C5, -P4, ...) are identified by GET_SECURITY_INFO instead and have
 * no usable magic, so they are not listed.
 */
static const struct {
	uint32_t magic;
	const char *name;
} other_chips[] = {
	{ 0x00F01D83u, "ESP32" },
	{ 0x000007C6u, "ESP32-S2" },
	{ 0x00000009u, "ESP32-S3" },
	{ 0xEB004136u, "ESP32-S3(beta2)" },
	{ 0x6921506Fu, "ESP32-C3" },
	{ 0x1B31506Fu, "ESP32-C3" },
	{ 0x4881606Fu, "ESP32-C3" },
	{ 0x4361606Fu, "ESP32-C3" },
	{ 0x6F51306Fu, "ESP32-C2" },
	{ 0x7C41A06Fu, "ESP32-C2" },
	{ 0x2CE0806Fu, "ESP32-C6" },
	{ 0x0DA1806Fu, "ESP32-C6(beta)" },
	{ 0xD7B73E80u, "ESP32-H2" },
	{ 0xCA26CC22u, "ESP32-H2(beta1)" },
	{ 0x6881B06Fu, "ESP32-H2(beta2)" },
};

const char *chip_name_for_magic(uint32_t magic)
{
	if (magic == ESP8266_MAGIC)
		return "ESP8266";
	for (size_t i = 0; i < sizeof(other_chips) / sizeof(other_chips[0]); i++)
		if (other_chips[i].magic == magic)
			return other_chips[i].name;
	return NULL;
}

enum chip_variant chip_variant_from_efuse(const uint32_t efuse[4])
{
	if ((efuse[0] & BIT(4)) || (efuse[2] & BIT(16)))
		return CHIP_ESP8285;
	return CHIP_ESP8266EX;
}

int chip_mac_from_efuse(const uint32_t efuse[4], uint8_t mac[6])
{
	uint32_t m0 = efuse[0], m1 = efuse[1], m3 = efuse[3];

	if (m3 != 0) {
		mac[0] = (uint8_t)(m3 >> 16);
		mac[1] = (uint8_t)(m3 >> 8);
		mac[2] = (uint8_t)m3;
	} else {
		switch ((m1 >> 16) & 0xFF) {
		case 0:
			mac[0] = 0x18, mac[1] = 0xFE, mac[2] = 0x34;
			break;
		case 1:
			mac[0] = 0xAC, mac[1] = 0xD0, mac[2] = 0x74;
			break;
		default:
			memset(mac, 0, 6);
			return -1;
		}
	}
	mac[3] = (uint8_t)(m1 >> 8);
	mac[4] = (uint8_t)m1;
	mac[5] = (uint8_t)(m0 >> 24);
	return 0;
}

uint32_t chip_embedded_flash_size(const uint32_t efuse[4])
{
	bool a = efuse[0] & BIT(4);
	bool b = efuse[3] & BIT(25);
	bool c = efuse[3] & BIT(26);
	bool d = efuse[3] & BIT(27);

	if (d)
		return 0;
	if (a && !b)
		return c ? 2u << 20 : 1u << 20;
	if (!a && b)
		return c ? 4u << 20 : 2u << 20;
	return 0;
}

unsigned int chip_crystal_from_divider(uint32_t clkdiv, uint32_t baud)
{
	/* MHz = baud * div / 1e6 / 2, compared with 33 in integer Hz */
	uint64_t hz2 = (uint64_t)baud * (clkdiv & 0xFFFFFu);

	return hz2 > 2u * 33000000u ? 40 : 26;
}

uint32_t chip_flash_size_from_jedec(uint32_t id)
{
	uint8_t mfr = id & 0xFF;
	uint8_t cap = (id >> 16) & 0xFF;

	if (mfr == 0x1F) {
		/* Adesto/Atmel: density code in the low 5 bits of the type byte */
		uint8_t code = (id >> 8) & 0x1F;

		if (code >= 0x04 && code <= 0x09)
			return 1u << (15 + code);
		return 0;
	}
	if (cap >= 0x12 && cap <= 0x1C)
		return 1u << cap;
	if (cap >= 0x20 && cap <= 0x22) /* some parts continue at 0x20 = 64 MB */
		return 1u << (cap - 0x20 + 26);
	if (cap >= 0x32 && cap <= 0x3A) /* and some start at 0x32 = 256 KB */
		return 1u << (cap - 0x32 + 18);
	return 0;
}

const char *chip_flash_vendor(uint32_t id)
{
	switch (id & 0xFF) {
	case 0xEF: return "Winbond";
	case 0xC8: return "GigaDevice";
	case 0x85: return "PUYA";
	case 0x20: return "XMC";
	case 0x68: return "Boya";
	case 0x5E: return "Zbit";
	case 0xA1: return "Fudan";
	case 0x0B: return "XTX";
	case 0x1C: return "EON";
	case 0xC2: return "Macronix";
	case 0x1F: return "Adesto";
	case 0x9D: return "ISSI";
	default: return "unknown";
	}
}

int chip_read_magic(struct rom_link *link, uint32_t *magic)
{
	return rom_read_reg(link, ESP8266_MAGIC_REG, magic, CHIP_REG_TIMEOUT_MS);
}

int chip_flash_attach(struct rom_link *link)
{
	return rom_flash_attach(link, CHIP_ATTACH_TIMEOUT_MS);
}

int chip_identify(struct rom_link *link, uint32_t baud, struct chip_info *info)
{
	int rc;

	memset(info, 0, sizeof(*info));
	for (unsigned int i = 0; i < 4; i++) {
		rc = rom_read_reg(link, ESP8266_EFUSE_BASE + 4 * i, &info->efuse[i],
				  CHIP_REG_TIMEOUT_MS);
		if (rc != ROM_OK)
			return rc;
	}
	rc = rom_read_reg(link, ESP8266_UART_CLKDIV_REG, &info->uart_clkdiv, CHIP_REG_TIMEOUT_MS);
	if (rc != ROM_OK)
		return rc;
	info->variant = chip_variant_from_efuse(info->efuse);
	info->mac_valid = chip_mac_from_efuse(info->efuse, info->mac) == 0;
	info->crystal_mhz = chip_crystal_from_divider(info->uart_clkdiv, baud);
	info->embedded_flash_size = chip_embedded_flash_size(info->efuse);
	info->high_temp = info->variant == CHIP_ESP8285 && (info->efuse[0] & BIT(5));

	rc = chip_flash_attach(link);
	if (rc != ROM_OK)
		return rc;
	rc = chip_flash_jedec(link, &info->flash_id);
	if (rc != ROM_OK)
		return rc;
	info->flash_size = chip_flash_size_from_jedec(info->flash_id);
	return ROM_OK;
}

static int spi_write(struct rom_link *link, uint32_t reg, uint32_t value)
{
	return rom_write_reg(link, ESP8266_SPI_BASE + reg, value, CHIP_REG_TIMEOUT_MS);
}

static int spi_read(struct rom_link *link, uint32_t reg, uint32_t *value)
{
	return rom_read_reg(link, ESP8266_SPI_BASE + reg, value, CHIP_REG_TIMEOUT_MS);
}

/* Read CMD until the given bit clears, at most SPI_POLL_READS times. */
static int spi_wait_cmd(struct rom_link *link, uint32_t bit)
{
	for (int i = 0; i < SPI_POLL_READS; i++) {
		uint32_t v;
		int rc = spi_read(link, SPI_REG_CMD, &v);

		if (rc != ROM_OK)
			return rc;
		if (!(v & bit))
			return ROM_OK;
	}
	return ROM_E_TIMEOUT; /* "SPI command did not complete" */
}

static int spi_run_user(struct rom_link *link, const struct spi_cmd *cmd, uint32_t *miso)
{
	uint32_t usr = SPI_USR_COMMAND, usr1 = 0;
	int rc;

	if (cmd->has_addr) {
		usr |= SPI_USR_ADDR;
		usr1 |= (24u - 1) << SPI_USR1_ADDR_SHIFT;
	}
	if (cmd->dummy_bits) {
		usr |= SPI_USR_DUMMY;
		usr1 |= cmd->dummy_bits - 1;
	}
	if (cmd->miso_bits) {
		usr |= SPI_USR_MISO;
		usr1 |= (cmd->miso_bits - 1) << SPI_USR1_MISO_SHIFT;
	}
	if (cmd->mosi_len) {
		usr |= SPI_USR_MOSI;
		usr1 |= (uint32_t)(cmd->mosi_len * 8 - 1) << SPI_USR1_MOSI_SHIFT;
	}

	if ((rc = spi_write(link, SPI_REG_USR1, usr1)) != ROM_OK ||
	    (rc = spi_write(link, SPI_REG_USR, usr)) != ROM_OK ||
	    (rc = spi_write(link, SPI_REG_USR2, SPI_USR2_CMD_LEN | cmd->opcode)) != ROM_OK)
		return rc;
	if (cmd->has_addr) {
		/* the address phase shifts out MSB first from bit 31 */
		rc = spi_write(link, SPI_REG_ADDR, (cmd->addr & 0xFFFFFFu) << 8);
		if (rc != ROM_OK)
			return rc;
	}
	if (cmd->mosi_len) {
		for (size_t w = 0; w * 4 < cmd->mosi_len; w++) {
			uint32_t word = 0;

			for (size_t b = 0; b < 4 && w * 4 + b < cmd->mosi_len; b++)
				word |= (uint32_t)cmd->mosi[w * 4 + b] << (8 * b);
			rc = spi_write(link, SPI_REG_W0 + 4 * (uint32_t)w, word);
			if (rc != ROM_OK)
				return rc;
		}
	} else if (cmd->miso_bits) {
		rc = spi_write(link, SPI_REG_W0, 0);
		if (rc != ROM_OK)
			return rc;
	}
	if ((rc = spi_write(link, SPI_REG_CMD, SPI_CMD_USR)) != ROM_OK ||
	    (rc = spi_wait_cmd(link, SPI_CMD_USR)) != ROM_OK)
		return rc;
	if (cmd->miso_bits) {
		uint32_t w0;

		rc = spi_read(link, SPI_REG_W0, &w0);
		if (rc != ROM_OK)
			return rc;
		if (cmd->miso_bits < 32)
			w0 &= (1u << cmd->miso_bits) - 1;
		*miso = w0;
	}
	return ROM_OK;
}

int chip_spi_command(struct rom_link *link, const struct spi_cmd *cmd, uint32_t *miso)
{
	uint32_t saved_usr, saved_usr2, dummy_out;
	int rc, rrc;

	if (cmd->miso_bits > 32 || cmd->mosi_len > 64 || cmd->dummy_bits > 256 ||
	    (cmd->mosi_len && !cmd->mosi))
		return ROM_E_PROTO;
	if (!miso)
		miso = &dummy_out;
	*miso = 0;
	if ((rc = spi_read(link, SPI_REG_USR, &saved_usr)) != ROM_OK ||
	    (rc = spi_read(link, SPI_REG_USR2, &saved_usr2)) != ROM_OK)
		return rc;
	rc = spi_run_user(link, cmd, miso);
	if (rc == ROM_E_IO)
		return rc;
	/* restore even after a failed command: the ROM uses these registers too */
	if ((rrc = spi_write(link, SPI_REG_USR, saved_usr)) == ROM_OK)
		rrc = spi_write(link, SPI_REG_USR2, saved_usr2);
	return rc != ROM_OK ? rc : rrc;
}

int chip_flash_jedec(struct rom_link *link, uint32_t *id)
{
	struct spi_cmd c = { .opcode = FLASH_OP_RDID, .miso_bits = 24 };

	return chip_spi_command(link, &c, id);
}

int chip_flash_status(struct rom_link *link, uint8_t *status)
{
	struct spi_cmd c = { .opcode = FLASH_OP_RDSR, .miso_bits = 8 };
	uint32_t v = 0;
	int rc = chip_spi_command(link, &c, &v);

	if (rc == ROM_OK)
		*status = (uint8_t)v;
	return rc;
}

int chip_flash_read(struct rom_link *link, uint32_t addr, uint8_t *buf, size_t len)
{
	int rc;

	if (len == 0 || len > 32 || len % 4 || addr > 0xFFFFFFu)
		return ROM_E_PROTO;
	if ((rc = spi_write(link, SPI_REG_ADDR, addr | (uint32_t)len << 24)) != ROM_OK ||
	    (rc = spi_write(link, SPI_REG_CMD, SPI_CMD_READ)) != ROM_OK ||
	    (rc = spi_wait_cmd(link, SPI_CMD_READ)) != ROM_OK)
		return rc;
	for (size_t w = 0; w < len / 4; w++) {
		uint32_t v;

		rc = spi_read(link, SPI_REG_W0 + 4 * (uint32_t)w, &v);
		if (rc != ROM_OK)
			return rc;
		for (size_t b = 0; b < 4; b++)
			buf[w * 4 + b] = (uint8_t)(v >> (8 * b));
	}
	return ROM_OK;
}

/*
 * One sector erase the way the ROM's own sector-erase routine drives the
 * controller (sheet §7, the decompiled SpiFlash.c): the built-in WREN and SE
 * command bits, with the address in the low 24 bits of ADDR as for the
 * built-in READ.  The built-in path is used rather than a user command so no
 * assumption about how user commands align the address can pick the wrong
 * sector.  Then RDSR (a user command without an address) until WIP clears.
 */
int chip_flash_sector_erase(struct rom_link *link, uint32_t addr, int timeout_ms)
{
	struct transport *tr = link->tr;
	uint64_t deadline;
	int rc;

	if (addr % 4096 || addr > 0xFFFFFFu)
		return ROM_E_PROTO;
	if ((rc = spi_write(link, SPI_REG_CMD, SPI_CMD_WREN)) != ROM_OK ||
	    (rc = spi_wait_cmd(link, SPI_CMD_WREN)) != ROM_OK ||
	    (rc = spi_write(link, SPI_REG_ADDR, addr)) != ROM_OK ||
	    (rc = spi_write(link, SPI_REG_CMD, SPI_CMD_SE)) != ROM_OK ||
	    (rc = spi_wait_cmd(link, SPI_CMD_SE)) != ROM_OK)
		return rc;
	deadline = tr->ops->now_us(tr->ctx) + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;
	for (;;) {
		uint8_t st;

		rc = chip_flash_status(link, &st);
		if (rc != ROM_OK)
			return rc;
		if (!(st & FLASH_SR_WIP))
			return ROM_OK;
		if (tr->ops->now_us(tr->ctx) >= deadline)
			return ROM_E_TIMEOUT;
	}
}
