/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The chip as seen through its ROM loader (fact sheet §5, §6; family sheet
 * §1, §5, §6, §8.4, §11): detection, identity from the eFuses, the crystal
 * from the UART divider the ROM's auto-baud measured (ESP8266), and SPI
 * flash commands driven through the controller's user-command registers with
 * READ_REG/WRITE_REG.  Every address and layout comes from the chip's row.
 */
#include <limits.h>
#include <stdio.h>
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

void chip_mac_from_words(uint32_t lo, uint32_t hi, uint8_t mac[6])
{
	mac[0] = (uint8_t)(hi >> 8);
	mac[1] = (uint8_t)hi;
	mac[2] = (uint8_t)(lo >> 24);
	mac[3] = (uint8_t)(lo >> 16);
	mac[4] = (uint8_t)(lo >> 8);
	mac[5] = (uint8_t)lo;
}

bool chip_jedec_no_answer(uint32_t id)
{
	id &= 0xFFFFFFu;
	return id == 0xFFFFFFu || id == 0 || id == 0xFFFF3Fu;
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool chip_decode_security_info(const uint8_t *data, size_t len, struct security_info *si)
{
	memset(si, 0, sizeof(*si));
	if (len != 12 && len != 20)
		return false;
	si->len = (unsigned int)len;
	si->flags = le32_at(data);
	si->flash_crypt_cnt = data[4];
	memcpy(si->key_purposes, data + 5, sizeof(si->key_purposes));
	if (len == 20) {
		si->has_chip_id = true;
		si->chip_id = le32_at(data + 12);
		si->eco_version = le32_at(data + 16);
	}
	return true;
}

bool chip_crypt_cnt_enabled(uint32_t cnt)
{
	return __builtin_popcount(cnt) & 1;
}

void chip_format_name(const char *model, bool has_rev, unsigned int major, unsigned int minor,
		      char *buf, size_t len)
{
	if (has_rev)
		snprintf(buf, len, "%s (revision v%u.%u)", model, major, minor);
	else
		snprintf(buf, len, "%s", model);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool chip_md5_from_hex(const char hex[ROM_MD5_HEX_LEN], uint8_t md5[16])
{
	for (size_t i = 0; i < 16; i++) {
		int h = hex_digit(hex[2 * i]), l = hex_digit(hex[2 * i + 1]);

		if (h < 0 || l < 0)
			return false;
		md5[i] = (uint8_t)(h << 4 | l);
	}
	return true;
}

int chip_read_revision(const struct chip_desc *d, reg_reader_fn rd, void *ctx,
		       unsigned int *major, unsigned int *minor)
{
	const struct chip_revision_desc *r = &d->rev;
	uint32_t maj = 0, min = 0;
	int rc;

	if ((rc = reg_number_read(&r->major, rd, ctx, &maj)) != 0 ||
	    (rc = reg_number_read(&r->minor, rd, ctx, &min)) != 0)
		return rc;
	if (r->major_mapped)
		maj = r->major_map[maj & 7];
	if (r->eco0_blk_major.width && (min & 7) == 0) {
		uint32_t bm, bn;

		/* eFuse block version v1.1 on a v0.0 chip reuses the version fields */
		if ((rc = rd(ctx, r->eco0_blk_major.addr, &bm)) != 0 ||
		    (rc = rd(ctx, r->eco0_blk_minor.addr, &bn)) != 0)
			return rc;
		if (reg_field_get(&r->eco0_blk_major, bm) == 1 &&
		    reg_field_get(&r->eco0_blk_minor, bn) == 1)
			maj = min = 0;
	}
	*major = maj;
	*minor = min;
	return 0;
}

/* ---- the link ---- */

int chip_read_magic(struct rom_link *link, uint32_t *magic)
{
	return rom_read_reg(link, CHIP_MAGIC_REG, magic, CHIP_REG_TIMEOUT_MS);
}

int chip_detect(struct rom_link *link, struct chip_detection *d)
{
	uint8_t buf[ROM_SECINFO_MAX];
	size_t len = 0;
	uint32_t ops;

	memset(d, 0, sizeof(*d));
	d->secinfo_result = 1; /* not sent */
	d->magic_result = rom_read_reg_probe(link, CHIP_MAGIC_REG, &d->magic, CHIP_REG_TIMEOUT_MS);
	if (d->magic_result == ROM_OK)
		d->desc = chip_by_magic(d->magic);
	else if (d->magic_result == ROM_E_IO || d->magic_result == ROM_E_PROTO)
		return d->magic_result;
	else if (d->magic_result == ROM_E_FAILED && link->retries > 0)
		return d->magic_result; /* kept rejecting the request itself as invalid: a link fault */
	if (!d->desc) {
		/* the magic step is done: GET_SECURITY_INFO may go out now */
		rom_link_set_ops(link, link->ops | ROM_OP_BIT(ROM_GET_SECURITY_INFO));
		d->secinfo_result = rom_get_security_info(link, CHIP_REG_TIMEOUT_MS, buf, &len, NULL);
		rom_link_set_ops(link, ROM_OPS_BEFORE_DETECTION);
		if (d->secinfo_result == ROM_E_IO)
			return ROM_E_IO;
		if (d->secinfo_result == ROM_OK && chip_decode_security_info(buf, len, &d->secinfo))
			d->desc = d->secinfo.has_chip_id ? chip_by_secinfo_id(d->secinfo.chip_id)
							 : chip_by_secinfo_len(d->secinfo.len);
		if (!d->desc) {
			if (d->secinfo_result == ROM_OK || d->magic_result == ROM_OK ||
			    (d->magic_result == ROM_E_UNSUPPORTED &&
			     d->secinfo_result == ROM_E_UNSUPPORTED))
				return CHIP_E_UNKNOWN;
			/* neither probe got an answer */
			return d->magic_result == ROM_E_UNSUPPORTED ? d->secinfo_result : d->magic_result;
		}
		d->sdm = d->desc->has_sdm && (d->secinfo.flags & SECINFO_SECURE_DOWNLOAD);
	}
	ops = d->desc->rom_ops;
	if (d->sdm)
		ops &= chip_sdm_ops;
	rom_link_set_ops(link, ops);
	return ROM_OK;
}

/* eFuse and register reads, each address read once per identify. */
#define READ_CACHE_MAX 32
struct read_cache {
	struct rom_link *link;
	uint32_t addr[READ_CACHE_MAX], val[READ_CACHE_MAX];
	size_t n;
};

static int cached_read(void *ctx, uint32_t addr, uint32_t *value)
{
	struct read_cache *c = ctx;
	int rc;

	for (size_t i = 0; i < c->n; i++) {
		if (c->addr[i] == addr) {
			*value = c->val[i];
			return 0;
		}
	}
	rc = rom_read_reg(c->link, addr, value, CHIP_REG_TIMEOUT_MS);
	if (rc != ROM_OK)
		return rc;
	if (c->n < READ_CACHE_MAX) {
		c->addr[c->n] = addr;
		c->val[c->n++] = *value;
	}
	return 0;
}

static int read_field(struct read_cache *c, const struct reg_field *f, uint32_t *v)
{
	uint32_t raw;
	int rc = cached_read(c, f->addr, &raw);

	if (rc == 0)
		*v = reg_field_get(f, raw);
	return rc;
}

static int esp8266_identify(struct rom_link *link, uint32_t baud, struct chip_info *info)
{
	const struct chip_desc *d = info->desc;
	int rc;

	for (unsigned int i = 0; i < 4; i++) {
		rc = rom_read_reg(link, d->mac_lo + 4 * i, &info->efuse[i], CHIP_REG_TIMEOUT_MS);
		if (rc != ROM_OK)
			return rc;
	}
	rc = rom_read_reg(link, d->uart_clkdiv_reg, &info->uart_clkdiv, CHIP_REG_TIMEOUT_MS);
	if (rc != ROM_OK)
		return rc;
	info->variant = chip_variant_from_efuse(info->efuse);
	info->mac_valid = chip_mac_from_efuse(info->efuse, info->mac) == 0;
	info->crystal_mhz = chip_crystal_from_divider(info->uart_clkdiv, baud);
	info->embedded_flash_size = chip_embedded_flash_size(info->efuse);
	info->high_temp = info->variant == CHIP_ESP8285 && (info->efuse[0] & BIT(5));
	snprintf(info->model, sizeof(info->model), "%s", chip_variant_name(info->variant));
	snprintf(info->name, sizeof(info->name), "%s", info->model);
	info->security_known = true; /* the ESP8266 has neither feature */
	return ROM_OK;
}

static int efuse_security(struct read_cache *c, struct chip_info *info)
{
	const struct chip_efuse_security *e = &info->desc->efuse_sec;
	uint32_t cnt, sb, sb2 = 0;
	int rc;

	if ((rc = read_field(c, &e->crypt_cnt, &cnt)) != 0 ||
	    (rc = read_field(c, &e->secure_boot, &sb)) != 0)
		return rc;
	if (e->secure_boot2.width && info->rev_major * 100 + info->rev_minor >= e->secure_boot2_rev &&
	    (rc = read_field(c, &e->secure_boot2, &sb2)) != 0)
		return rc;
	info->flash_encryption = chip_crypt_cnt_enabled(cnt);
	info->secure_boot = sb || sb2;
	return 0;
}

/* The watchdogs the USB-Serial/JTAG port leaves running (sheet §8.4). */
static int disable_usj_watchdogs(struct rom_link *link, const struct chip_usj *u)
{
	uint32_t conf;
	int rc;

	if ((rc = rom_write_reg(link, u->wdt_wprotect, u->wdt_key, CHIP_REG_TIMEOUT_MS)) != ROM_OK ||
	    (rc = rom_write_reg(link, u->wdt_config0, 0, CHIP_REG_TIMEOUT_MS)) != ROM_OK ||
	    (rc = rom_write_reg(link, u->wdt_wprotect, 0, CHIP_REG_TIMEOUT_MS)) != ROM_OK ||
	    (rc = rom_write_reg(link, u->swd_wprotect, u->swd_key, CHIP_REG_TIMEOUT_MS)) != ROM_OK ||
	    (rc = rom_read_reg(link, u->swd_conf, &conf, CHIP_REG_TIMEOUT_MS)) != ROM_OK ||
	    (rc = rom_write_reg(link, u->swd_conf, conf | u->swd_auto_feed, CHIP_REG_TIMEOUT_MS)) !=
		    ROM_OK ||
	    (rc = rom_write_reg(link, u->swd_wprotect, 0, CHIP_REG_TIMEOUT_MS)) != ROM_OK)
		return rc;
	return ROM_OK;
}

static int run_reg_steps(struct rom_link *link, const struct reg_step *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t v = 0;
		int rc;

		switch (st[i].kind) {
		case REG_STEP_WAIT:
			rc = rom_link_drain(link, (int)((st[i].bits + 999u) / 1000u));
			break;
		case REG_STEP_WRITE:
			rc = rom_write_reg(link, st[i].addr, st[i].bits, CHIP_REG_TIMEOUT_MS);
			break;
		case REG_STEP_SET:
		case REG_STEP_CLEAR:
			rc = rom_read_reg(link, st[i].addr, &v, CHIP_REG_TIMEOUT_MS);
			if (rc == ROM_OK)
				rc = rom_write_reg(link, st[i].addr,
						   st[i].kind == REG_STEP_SET ? v | st[i].bits
									      : v & ~st[i].bits,
						   CHIP_REG_TIMEOUT_MS);
			break;
		default:
			rc = ROM_E_PROTO;
			break;
		}
		if (rc != ROM_OK)
			return rc;
	}
	return ROM_OK;
}

static int family_identify(struct rom_link *link, const struct chip_detection *det,
			   struct chip_info *info)
{
	const struct chip_desc *d = info->desc;
	struct read_cache c = { .link = link };
	uint32_t lo, hi;
	int rc;

	snprintf(info->model, sizeof(info->model), "%s", d->name);
	if (det->secinfo.len) {
		info->has_secinfo = true;
		info->secinfo = det->secinfo;
	}
	if (d->security == CHIP_SECURITY_INFO && info->has_secinfo) {
		info->flash_encryption = chip_crypt_cnt_enabled(info->secinfo.flash_crypt_cnt);
		info->secure_boot = info->secinfo.flags & SECINFO_SECURE_BOOT_EN;
		info->security_known = true;
	}
	if (info->sdm) {
		/* no register access: what the security info says is all there is */
		snprintf(info->name, sizeof(info->name), "%s", info->model);
		return ROM_OK;
	}
	if (d->has_revision) {
		rc = chip_read_revision(d, cached_read, &c, &info->rev_major, &info->rev_minor);
		if (rc != 0)
			return rc;
		info->has_revision = true;
	}
	chip_format_name(info->model, info->has_revision, info->rev_major, info->rev_minor,
			 info->name, sizeof(info->name));
	if ((rc = cached_read(&c, d->mac_lo, &lo)) != 0 || (rc = cached_read(&c, d->mac_hi, &hi)) != 0)
		return rc;
	chip_mac_from_words(lo, hi, info->mac);
	info->mac_valid = true;
	if (d->security == CHIP_SECURITY_EFUSE) {
		if ((rc = efuse_security(&c, info)) != 0)
			return rc;
		info->security_known = true;
	}
	if (d->usj.buf_no_addr) {
		const struct chip_usj *u = &d->usj;
		unsigned int rev = info->rev_major * 100 + info->rev_minor;
		bool old = u->new_from_rev && rev < u->new_from_rev;
		uint32_t v;

		rc = rom_read_reg(link, old ? u->buf_no_addr_old : u->buf_no_addr, &v,
				  CHIP_REG_TIMEOUT_MS);
		if (rc != ROM_OK)
			return rc;
		info->usj_known = true;
		info->usj = (v & 0xFF) == (old ? u->usj_value_old : u->usj_value);
		if (info->usj) {
			rc = disable_usj_watchdogs(link, u);
			if (rc != ROM_OK)
				return rc;
			info->watchdogs_disabled = true;
		}
	}
	if (d->power_on_rev && info->rev_major * 100 + info->rev_minor == d->power_on_rev) {
		rc = run_reg_steps(link, d->power_on, d->npower_on);
		if (rc != ROM_OK)
			return rc;
		info->flash_powered_on = true;
	}
	if (d->attach_pads_from_efuse) {
		const struct chip_spi_pads *p = &d->spi_pads;
		uint32_t clk, q, dd, cs, hd;

		if ((rc = read_field(&c, &p->clk, &clk)) != 0 || (rc = read_field(&c, &p->q, &q)) != 0 ||
		    (rc = read_field(&c, &p->d, &dd)) != 0 || (rc = read_field(&c, &p->cs, &cs)) != 0 ||
		    (rc = read_field(&c, &p->hd, &hd)) != 0)
			return rc;
		/* 0 when every pad is 0: the default pins */
		info->spi_attach_config = hd << 24 | cs << 18 | dd << 12 | q << 6 | clk;
	}
	return ROM_OK;
}

int chip_identify(struct rom_link *link, uint32_t baud, const struct chip_detection *d,
		  struct chip_info *info)
{
	int rc;

	memset(info, 0, sizeof(*info));
	info->desc = d->desc;
	info->sdm = d->sdm;
	if (!info->desc)
		return CHIP_E_UNKNOWN;
	if (info->desc->mac_layout == CHIP_MAC_ESP8266_OUI)
		rc = esp8266_identify(link, baud, info);
	else
		rc = family_identify(link, d, info);
	if (rc != ROM_OK || info->sdm)
		return rc;

	rc = chip_flash_attach(link, info);
	if (rc != ROM_OK)
		return rc;
	rc = chip_flash_jedec(link, info->desc, &info->flash_id);
	if (rc != ROM_OK)
		return rc;
	info->flash_id_read = true;
	info->flash_no_answer = chip_jedec_no_answer(info->flash_id);
	info->flash_size = info->flash_no_answer ? 0 : chip_flash_size_from_jedec(info->flash_id);
	if (info->flash_size)
		info->flash_size_source = FLASH_SIZE_JEDEC;
	return ROM_OK;
}

int chip_flash_attach(struct rom_link *link, struct chip_info *info)
{
	int rc;

	if (info->desc->attach == CHIP_ATTACH_FLASH_BEGIN)
		rc = rom_flash_attach(link, CHIP_ATTACH_TIMEOUT_MS);
	else
		rc = rom_spi_attach(link, info->spi_attach_config, CHIP_ATTACH_TIMEOUT_MS, NULL);
	if (rc == ROM_OK)
		info->attached = true;
	return rc;
}

int chip_set_flash_params(struct rom_link *link, struct chip_info *info, uint32_t flash_size,
			  struct rom_reply *reply)
{
	/*
	 * The id word: the ESP8266 path has always sent the JEDEC id; esptool
	 * and the family path send 0 (sheet §2.2).
	 */
	uint32_t id = info->desc->set_params == CHIP_SET_PARAMS_ON_REFUSAL ? info->flash_id : 0;
	int rc = rom_spi_set_params(link, id, flash_size, CHIP_SET_PARAMS_TIMEOUT_MS, reply);

	if (rc == ROM_OK)
		info->params_sent = true;
	return rc;
}

int chip_prepare_flash(struct rom_link *link, struct chip_info *info, uint32_t flash_size,
		       struct rom_reply *reply)
{
	int rc;

	if (!info->attached) {
		rc = chip_flash_attach(link, info);
		if (rc != ROM_OK)
			return rc;
	}
	if (info->desc->set_params == CHIP_SET_PARAMS_FIRST && !info->params_sent)
		return chip_set_flash_params(link, info, flash_size, reply);
	return ROM_OK;
}

int chip_erase_begin(struct rom_link *link, const struct chip_info *info, uint32_t offset,
		     uint32_t erase_size, int timeout_ms, struct rom_reply *reply)
{
	const struct chip_desc *d = info->desc;
	/*
	 * The ESP8266 path sends no block count (it writes nothing); the exact
	 * ROMs get esptool's ceil(size / 0x400).
	 */
	uint32_t blocks = d->erase_model == ERASE_MODEL_EXACT ? (erase_size + 0x3FFu) / 0x400u : 0;

	return rom_flash_begin_words(link, d->flash_begin_words, erase_size, blocks, 0x400, offset, 0,
				     timeout_ms, reply);
}

int chip_md5_timeout_ms(uint32_t len)
{
	uint64_t ms = ((uint64_t)len * CHIP_MD5_MS_PER_MIB + (1u << 20) - 1) / (1u << 20) +
		      CHIP_MD5_MARGIN_MS;

	return ms > INT_MAX ? INT_MAX : (int)ms;
}

int chip_flash_md5(struct rom_link *link, uint32_t addr, uint32_t len, uint8_t md5[16])
{
	char hex[ROM_MD5_HEX_LEN];
	int rc = rom_spi_flash_md5(link, addr, len, chip_md5_timeout_ms(len), hex, NULL);

	if (rc != ROM_OK)
		return rc;
	return chip_md5_from_hex(hex, md5) ? ROM_OK : ROM_E_PROTO;
}

int chip_leave_loader(struct rom_link *link, const struct chip_info *info, int timeout_ms)
{
	/* FLASH_END confuses the family ROMs (sheet §2.2): never sent to them */
	if (!info->desc || !info->desc->leave_with_flash_end)
		return ROM_E_PROTO;
	return rom_flash_end(link, true, timeout_ms);
}

/* ---- SPI flash commands through the controller ---- */

static int spi_write(struct rom_link *link, const struct chip_desc *d, uint32_t reg, uint32_t value)
{
	return rom_write_reg(link, d->spi.base + reg, value, CHIP_REG_TIMEOUT_MS);
}

static int spi_read(struct rom_link *link, const struct chip_desc *d, uint32_t reg, uint32_t *value)
{
	return rom_read_reg(link, d->spi.base + reg, value, CHIP_REG_TIMEOUT_MS);
}

/* Read CMD until the given bit clears, at most SPI_POLL_READS times. */
static int spi_wait_cmd(struct rom_link *link, const struct chip_desc *d, uint32_t bit)
{
	for (int i = 0; i < SPI_POLL_READS; i++) {
		uint32_t v;
		int rc = spi_read(link, d, SPI_REG_CMD, &v);

		if (rc != ROM_OK)
			return rc;
		if (!(v & bit))
			return ROM_OK;
	}
	return ROM_E_TIMEOUT; /* "SPI command did not complete" */
}

/* The data-length phase: USR1 on the ESP8266, MOSI/MISO_DLEN on the family. */
static int spi_set_lengths(struct rom_link *link, const struct chip_desc *d,
			   const struct spi_cmd *cmd)
{
	uint32_t usr1 = 0;
	int rc;

	if (cmd->has_addr)
		usr1 |= (24u - 1) << SPI_USR1_ADDR_SHIFT;
	if (cmd->dummy_bits)
		usr1 |= cmd->dummy_bits - 1;
	if (!d->spi.dlen_regs) {
		if (cmd->miso_bits)
			usr1 |= (cmd->miso_bits - 1) << SPI_USR1_MISO_SHIFT;
		if (cmd->mosi_len)
			usr1 |= (uint32_t)(cmd->mosi_len * 8 - 1) << SPI_USR1_MOSI_SHIFT;
		return spi_write(link, d, d->spi.usr1, usr1);
	}
	if (cmd->mosi_len &&
	    (rc = spi_write(link, d, d->spi.mosi_dlen, (uint32_t)(cmd->mosi_len * 8 - 1))) != ROM_OK)
		return rc;
	if (cmd->miso_bits && (rc = spi_write(link, d, d->spi.miso_dlen, cmd->miso_bits - 1)) != ROM_OK)
		return rc;
	if (usr1 && (rc = spi_write(link, d, d->spi.usr1, usr1)) != ROM_OK)
		return rc;
	return ROM_OK;
}

static int spi_run_user(struct rom_link *link, const struct chip_desc *d, const struct spi_cmd *cmd,
			uint32_t *miso)
{
	uint32_t usr = SPI_USR_COMMAND;
	int rc;

	if (cmd->has_addr)
		usr |= SPI_USR_ADDR;
	if (cmd->dummy_bits)
		usr |= SPI_USR_DUMMY;
	if (cmd->miso_bits)
		usr |= SPI_USR_MISO;
	if (cmd->mosi_len)
		usr |= SPI_USR_MOSI;

	if ((rc = spi_set_lengths(link, d, cmd)) != ROM_OK ||
	    (rc = spi_write(link, d, d->spi.usr, usr)) != ROM_OK ||
	    (rc = spi_write(link, d, d->spi.usr2, SPI_USR2_CMD_LEN | cmd->opcode)) != ROM_OK)
		return rc;
	if (cmd->has_addr) {
		/* MSB-first controllers shift the address out from bit 31 */
		uint32_t a = cmd->addr & 0xFFFFFFu;

		rc = spi_write(link, d, SPI_REG_ADDR, d->spi.addr_msb ? a << 8 : a);
		if (rc != ROM_OK)
			return rc;
	}
	if (cmd->mosi_len) {
		for (size_t w = 0; w * 4 < cmd->mosi_len; w++) {
			uint32_t word = 0;

			for (size_t b = 0; b < 4 && w * 4 + b < cmd->mosi_len; b++)
				word |= (uint32_t)cmd->mosi[w * 4 + b] << (8 * b);
			rc = spi_write(link, d, d->spi.w0 + 4 * (uint32_t)w, word);
			if (rc != ROM_OK)
				return rc;
		}
	} else if (cmd->miso_bits) {
		rc = spi_write(link, d, d->spi.w0, 0);
		if (rc != ROM_OK)
			return rc;
	}
	if ((rc = spi_write(link, d, SPI_REG_CMD, SPI_CMD_USR)) != ROM_OK ||
	    (rc = spi_wait_cmd(link, d, SPI_CMD_USR)) != ROM_OK)
		return rc;
	if (cmd->miso_bits) {
		uint32_t w0;

		rc = spi_read(link, d, d->spi.w0, &w0);
		if (rc != ROM_OK)
			return rc;
		if (cmd->miso_bits < 32)
			w0 &= (1u << cmd->miso_bits) - 1;
		*miso = w0;
	}
	return ROM_OK;
}

int chip_spi_command(struct rom_link *link, const struct chip_desc *d, const struct spi_cmd *cmd,
		     uint32_t *miso)
{
	uint32_t saved_usr, saved_usr2, dummy_out;
	int rc, rrc;

	if (cmd->miso_bits > 32 || cmd->mosi_len > 64 || cmd->dummy_bits > 256 ||
	    (cmd->mosi_len && !cmd->mosi))
		return ROM_E_PROTO;
	if (!miso)
		miso = &dummy_out;
	*miso = 0;
	if ((rc = spi_read(link, d, d->spi.usr, &saved_usr)) != ROM_OK ||
	    (rc = spi_read(link, d, d->spi.usr2, &saved_usr2)) != ROM_OK)
		return rc;
	rc = spi_run_user(link, d, cmd, miso);
	if (rc == ROM_E_IO)
		return rc;
	/* restore even after a failed command: the ROM uses these registers too */
	if ((rrc = spi_write(link, d, d->spi.usr, saved_usr)) == ROM_OK)
		rrc = spi_write(link, d, d->spi.usr2, saved_usr2);
	return rc != ROM_OK ? rc : rrc;
}

int chip_flash_jedec(struct rom_link *link, const struct chip_desc *d, uint32_t *id)
{
	struct spi_cmd c = { .opcode = FLASH_OP_RDID, .miso_bits = 24 };

	return chip_spi_command(link, d, &c, id);
}

int chip_flash_status(struct rom_link *link, const struct chip_desc *d, uint8_t *status)
{
	struct spi_cmd c = { .opcode = FLASH_OP_RDSR, .miso_bits = 8 };
	uint32_t v = 0;
	int rc = chip_spi_command(link, d, &c, &v);

	if (rc == ROM_OK)
		*status = (uint8_t)v;
	return rc;
}

int chip_flash_read(struct rom_link *link, const struct chip_desc *d, uint32_t addr, uint8_t *buf,
		    size_t len)
{
	int rc;

	if (len == 0 || len > 32 || len % 4 || addr > 0xFFFFFFu)
		return ROM_E_PROTO;
	if ((rc = spi_write(link, d, SPI_REG_ADDR, addr | (uint32_t)len << 24)) != ROM_OK ||
	    (rc = spi_write(link, d, SPI_REG_CMD, SPI_CMD_READ)) != ROM_OK ||
	    (rc = spi_wait_cmd(link, d, SPI_CMD_READ)) != ROM_OK)
		return rc;
	for (size_t w = 0; w < len / 4; w++) {
		uint32_t v;

		rc = spi_read(link, d, d->spi.w0 + 4 * (uint32_t)w, &v);
		if (rc != ROM_OK)
			return rc;
		for (size_t b = 0; b < 4; b++)
			buf[w * 4 + b] = (uint8_t)(v >> (8 * b));
	}
	return ROM_OK;
}

/*
 * One sector erase the way the ESP8266 ROM's own sector-erase routine drives
 * the controller (sheet §7, the decompiled SpiFlash.c): the built-in WREN and
 * SE command bits, with the address in the low 24 bits of ADDR as for the
 * built-in READ.  The built-in path is used rather than a user command so no
 * assumption about how user commands align the address can pick the wrong
 * sector.  Then RDSR (a user command without an address) until WIP clears.
 */
int chip_flash_sector_erase(struct rom_link *link, const struct chip_desc *d, uint32_t addr,
			    int timeout_ms)
{
	struct transport *tr = link->tr;
	uint64_t deadline;
	int rc;

	if (addr % 4096 || addr > 0xFFFFFFu)
		return ROM_E_PROTO;
	if ((rc = spi_write(link, d, SPI_REG_CMD, SPI_CMD_WREN)) != ROM_OK ||
	    (rc = spi_wait_cmd(link, d, SPI_CMD_WREN)) != ROM_OK ||
	    (rc = spi_write(link, d, SPI_REG_ADDR, addr)) != ROM_OK ||
	    (rc = spi_write(link, d, SPI_REG_CMD, SPI_CMD_SE)) != ROM_OK ||
	    (rc = spi_wait_cmd(link, d, SPI_CMD_SE)) != ROM_OK)
		return rc;
	deadline = tr->ops->now_us(tr->ctx) + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;
	for (;;) {
		uint8_t st;

		rc = chip_flash_status(link, d, &st);
		if (rc != ROM_OK)
			return rc;
		if (!(st & FLASH_SR_WIP))
			return ROM_OK;
		if (tr->ops->now_us(tr->ctx) >= deadline)
			return ROM_E_TIMEOUT;
	}
}
