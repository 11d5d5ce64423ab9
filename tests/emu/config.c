// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Emulator options: defaults, parsing of "key=value", and the help text.
 * One table drives both the parser and --help so they cannot drift apart.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chips.h"
#include "espemu.h"

void emu_config_defaults(struct emu_config *cfg)
{
	static const uint8_t mac[6] = { 0x5C, 0xCF, 0x7F, 0x12, 0x34, 0x56 };

	memset(cfg, 0, sizeof(*cfg));
	cfg->chip = EMU_CHIP_ESP8266EX;
	memcpy(cfg->mac, mac, sizeof(mac));
	cfg->jedec_id = 0x1640EF;
	cfg->flash_size = 0;
	cfg->crystal_mhz = 0;     /* the chip's: 26 on the ESP8266 */
	cfg->magic = 0;           /* the chip's unless magic_set */
	cfg->flash_prefill = false;

	cfg->rom_flash_limit = 0; /* the chip's: 4 MiB ESP8266 [?], 2 MiB family */
	cfg->spi_set_params = true;
	cfg->unknown_op = EMU_UNKNOWN_PREV_OP;
	cfg->first_sync_lost = true;
	cfg->boot_banner = true;
	cfg->boot_delay_us = 30000;
	cfg->sync_reply_gap_us = 1000;
	cfg->baud = 115200;
	cfg->wire_timing = true;

	cfg->t_sector_erase_us = 45000;
	cfg->t_block32_erase_us = 120000;
	cfg->t_block_erase_us = 150000;
	cfg->t_chip_erase_us = 10000000;
	cfg->time_scale = 1.0;

	cfg->en_rc_us = 1000;
	cfg->min_reset_us = 1000;
	cfg->start_mode = EMU_MODE_APP;

	cfg->seed = 1;
	cfg->drop_rate = 0.0;
	cfg->noise_rate = 0.0;
	cfg->hang_after = -1;
	cfg->bad_sector = -1;
	cfg->erase_slowdown = 1.0;
	cfg->noise_in_frames = false;
	cfg->flash_begin_error = 0;

	cfg->magic_set = false;
	cfg->rev_major = -1;
	cfg->rev_minor = -1;
	cfg->sdm = false;
	cfg->secure_boot = false;
	cfg->flash_crypt_cnt = 0;
	cfg->chip_id = -1;
	cfg->md5_us_per_mib = 500000; /* [I] */
	cfg->usb_serial_jtag = false;

	cfg->link_mode = EMU_LINK_BRIDGE;
	cfg->reenumerate = EMU_REENUM_OFF;
	cfg->detach_delay_us = 0;
	cfg->reenumerate_us = 500000; /* [I] */
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return (errno || *end) ? -1 : 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, &v) || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_long(const char *s, long *out)
{
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	*out = strtol(s, &end, 0);
	return (errno || *end) ? -1 : 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return (errno || *end || !isfinite(*out)) ? -1 : 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
	    !strcasecmp(s, "on")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") ||
	    !strcasecmp(s, "off")) {
		*out = false;
		return 0;
	}
	return -1;
}

/* "4M", "512K", "4MiB", "0x400000", "4194304" */
static int parse_size(const char *s, uint32_t *out)
{
	char *end;
	uint64_t v, mul = 1;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -1;
	if (*end == 'K' || *end == 'k')
		mul = 1024;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024;
	if (mul != 1) {
		end++;
		if (!strcasecmp(end, "iB") || !strcasecmp(end, "B"))
			end += strlen(end);
	}
	if (*end || v * mul > UINT32_MAX)
		return -1;
	*out = (uint32_t)(v * mul);
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int parse_mode(const char *s, enum emu_mode *m)
{
	if (!strcasecmp(s, "loader"))
		*m = EMU_MODE_LOADER;
	else if (!strcasecmp(s, "app"))
		*m = EMU_MODE_APP;
	else
		return -1;
	return 0;
}

static int parse_link(const char *s, enum emu_link *l)
{
	if (!strcasecmp(s, "bridge"))
		*l = EMU_LINK_BRIDGE;
	else if (!strcasecmp(s, "usb-serial-jtag"))
		*l = EMU_LINK_USJ;
	else
		return -1;
	return 0;
}

static int parse_reenum(const char *s, enum emu_reenum *r)
{
	if (!strcasecmp(s, "off"))
		*r = EMU_REENUM_OFF;
	else if (!strcasecmp(s, "on"))
		*r = EMU_REENUM_ON;
	else if (!strcasecmp(s, "gone"))
		*r = EMU_REENUM_GONE;
	else
		return -1;
	return 0;
}

static int parse_unknown(const char *s, enum emu_unknown_op *u)
{
	if (!strcasecmp(s, "prev-op"))
		*u = EMU_UNKNOWN_PREV_OP;
	else if (!strcasecmp(s, "same-op"))
		*u = EMU_UNKNOWN_SAME_OP;
	else if (!strcasecmp(s, "silent"))
		*u = EMU_UNKNOWN_SILENT;
	else if (!strcasecmp(s, "reset"))
		*u = EMU_UNKNOWN_RESET;
	else
		return -1;
	return 0;
}

/* "3.0", "0.4": major.minor as esptool prints "(revision vX.Y)" */
static int parse_revision(const char *s, int *major, int *minor)
{
	unsigned int a, b;
	char tail;

	if (*s == 'v' || *s == 'V')
		s++;
	if (sscanf(s, "%u.%u%c", &a, &b, &tail) != 2 || a > 99 || b > 99)
		return -1;
	*major = (int)a;
	*minor = (int)b;
	return 0;
}

enum opt_kind { O_U32, O_SIZE, O_LONG, O_U64, O_DOUBLE, O_BOOL, O_SPECIAL };

struct opt {
	const char *key;
	enum opt_kind kind;
	size_t off;
	const char *help; /* meaning; the default is printed from the defaults */
};

#define F(field) offsetof(struct emu_config, field)

static const struct opt opts[] = {
	{ "chip", O_SPECIAL, F(chip),
	  "esp8266 | esp8285 | esp32 | esp32s2 | esp32s3 | esp32c2 | esp32c3 | esp32c5 | esp32c6 | "
	  "esp32c61 | esp32h2 | esp32p4" },
	{ "mac", O_SPECIAL, F(mac),
	  "station MAC in the eFuses (ESP8266: by the sheet's OUI rules)" },
	{ "jedec", O_U32, F(jedec_id), "flash JEDEC id as RDID puts it in W0 (cap<<16|type<<8|mfr)" },
	{ "flash-size", O_SIZE, F(flash_size), "flash bytes (4M, 512K, ...); 0 = from jedec" },
	{ "crystal", O_U32, F(crystal_mhz),
	  "crystal MHz as the chip allows (26/40; H2 32; C5 48/40); 0 = the chip's" },
	{ "magic", O_SPECIAL, F(magic),
	  "word at 0x40001000 instead of the chip's (e.g. 0x00F01D83 = ESP32's)" },
	{ "flash-prefill", O_BOOL, F(flash_prefill), "start with non-blank firmware contents" },
	{ "rom-flash-limit", O_SIZE, F(rom_flash_limit),
	  "ROM chip_size until SPI_SET_PARAMS; 0 = the chip's (4M ESP8266 [?], 2M family)" },
	{ "spi-set-params", O_BOOL, F(spi_set_params), "0x0B accepted and sets chip_size [?]" },
	{ "unknown-op", O_SPECIAL, F(unknown_op), "prev-op | same-op | silent | reset [?]" },
	{ "first-sync-lost", O_BOOL, F(first_sync_lost), "auto-baud swallows the first frame after boot" },
	{ "boot-banner", O_BOOL, F(boot_banner), "boot text at 74880 baud (garbage at other rates)" },
	{ "boot-delay-us", O_U32, F(boot_delay_us), "straps latched -> ROM listening" },
	{ "sync-reply-gap-us", O_U32, F(sync_reply_gap_us), "gap between the 8 SYNC replies" },
	{ "baud", O_U32, F(baud), "host baud until the server reports one" },
	{ "wire-timing", O_BOOL, F(wire_timing), "bytes take 10 bits at baud on the wire" },
	{ "t-sector-erase-us", O_U32, F(t_sector_erase_us), "SE 0x20 typical time" },
	{ "t-block32-erase-us", O_U32, F(t_block32_erase_us), "BE32 0x52 typical time" },
	{ "t-block-erase-us", O_U32, F(t_block_erase_us), "BE64 0xD8 typical time" },
	{ "t-chip-erase-us", O_U32, F(t_chip_erase_us), "CE 0xC7/0x60 typical time" },
	{ "time-scale", O_DOUBLE, F(time_scale), "erase times are divided by this" },
	{ "en-rc-us", O_U32, F(en_rc_us), "EN rise time after release (straps latch then)" },
	{ "min-reset-us", O_U32, F(min_reset_us), "shorter EN-low pulses do not reset" },
	{ "start-mode", O_SPECIAL, F(start_mode), "loader | app at power-on" },
	{ "seed", O_U64, F(seed), "seed of every random fault" },
	{ "drop-rate", O_DOUBLE, F(drop_rate), "probability a host->chip byte is lost" },
	{ "noise-rate", O_DOUBLE, F(noise_rate), "garbage bytes per chip->host byte, between frames" },
	{ "noise-in-frames", O_BOOL, F(noise_in_frames), "noise may also land inside frames" },
	{ "hang-after", O_LONG, F(hang_after), "stop answering after N commands (once); -1 never" },
	{ "bad-sector", O_LONG, F(bad_sector), "sector index that erases leave as it was; -1 none" },
	{ "erase-slowdown", O_DOUBLE, F(erase_slowdown), "multiplies every erase time" },
	{ "flash-begin-error", O_U32, F(flash_begin_error),
	  "error code (e.g. 0x06) for every erasing FLASH_BEGIN; 0 none" },
	{ "revision", O_SPECIAL, F(rev_major),
	  "chip revision MAJ.MIN in the eFuses (ESP32 family)" },
	{ "sdm", O_BOOL, F(sdm), "Secure Download Mode (S2 and later): flag bit 2, no registers/MD5" },
	{ "secure-boot", O_BOOL, F(secure_boot), "secure boot on: security-info bit 0 and the eFuse" },
	{ "flash-crypt-cnt", O_U32, F(flash_crypt_cnt),
	  "flash_crypt_cnt eFuse field (odd popcount = encryption on)" },
	{ "chip-id", O_LONG, F(chip_id), "security-info chip id; -1 = the chip's own" },
	{ "md5-us-per-mib", O_U32, F(md5_us_per_mib),
	  "ROM SPI_FLASH_MD5 time per MiB [I] (divided by time-scale)" },
	{ "usb-serial-jtag", O_BOOL, F(usb_serial_jtag),
	  "console on USB-Serial/JTAG (UARTDEV_BUF_NO; S3, C3, C5, C6, C61, H2, P4)" },
	{ "link-mode", O_SPECIAL, F(link_mode),
	  "bridge (two-transistor circuit) | usb-serial-jtag (the chip's own USB: its DTR/RTS "
	  "decode [I], UARTDEV_BUF_NO = USJ)" },
	{ "reenumerate", O_SPECIAL, F(reenumerate),
	  "off | on | gone: a USB-Serial/JTAG reset makes the USB device leave the bus "
	  "(and come back)" },
	{ "detach-delay-us", O_U32, F(detach_delay_us), "USB-Serial/JTAG reset -> device off the bus" },
	{ "reenumerate-us", O_U32, F(reenumerate_us), "device off the bus -> back (reenumerate=on) [I]" },
};

static int set_special(struct emu_config *cfg, const struct opt *o, const char *v)
{
	if (!strcmp(o->key, "chip"))
		return chip_by_key(v, &cfg->chip);
	if (!strcmp(o->key, "mac")) {
		uint8_t mac[6];

		if (parse_mac(v, mac))
			return -1;
		/* ESP8266: OUI 00:00:00 cannot be encoded (m3 = 0 selects a default OUI) */
		if (!chip_info(cfg->chip)->family && !mac[0] && !mac[1] && !mac[2])
			return -1;
		memcpy(cfg->mac, mac, 6);
		return 0;
	}
	if (!strcmp(o->key, "magic")) {
		if (parse_u32(v, &cfg->magic))
			return -1;
		cfg->magic_set = true;
		return 0;
	}
	if (!strcmp(o->key, "revision"))
		return parse_revision(v, &cfg->rev_major, &cfg->rev_minor);
	if (!strcmp(o->key, "unknown-op"))
		return parse_unknown(v, &cfg->unknown_op);
	if (!strcmp(o->key, "start-mode"))
		return parse_mode(v, &cfg->start_mode);
	if (!strcmp(o->key, "link-mode"))
		return parse_link(v, &cfg->link_mode);
	if (!strcmp(o->key, "reenumerate"))
		return parse_reenum(v, &cfg->reenumerate);
	return -1;
}

static int check_ranges(const struct emu_config *cfg, char *err, size_t errlen);

/* The value lands in a copy; cfg changes only if the result is valid. */
int emu_config_set(struct emu_config *out, const char *key, const char *value, char *err,
		   size_t errlen)
{
	const struct opt *o = NULL;
	struct emu_config tmp, *cfg = &tmp;
	char *p;
	int rc;

	if (!key || !value)
		return fail(err, errlen, "missing option or value");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (!strcmp(opts[i].key, key)) {
			o = &opts[i];
			break;
		}
	}
	if (!o)
		return fail(err, errlen, "unknown option '%s'", key);

	tmp = *out;
	p = (char *)cfg + o->off;
	switch (o->kind) {
	case O_U32:
		rc = parse_u32(value, (uint32_t *)(void *)p);
		break;
	case O_SIZE:
		rc = parse_size(value, (uint32_t *)(void *)p);
		break;
	case O_LONG:
		rc = parse_long(value, (long *)(void *)p);
		break;
	case O_U64:
		rc = parse_u64(value, (uint64_t *)(void *)p);
		break;
	case O_DOUBLE:
		rc = parse_double(value, (double *)(void *)p);
		break;
	case O_BOOL:
		rc = parse_bool(value, (bool *)(void *)p);
		break;
	default:
		rc = set_special(cfg, o, value);
		break;
	}
	if (rc)
		return fail(err, errlen, "bad value '%s' for '%s' (%s)", value, key, o->help);
	if (check_ranges(cfg, err, errlen))
		return -1;
	*out = tmp;
	return 0;
}

static int check_ranges(const struct emu_config *cfg, char *err, size_t errlen)
{
	if (cfg->crystal_mhz && cfg->crystal_mhz != 26 && cfg->crystal_mhz != 32 &&
	    cfg->crystal_mhz != 40 && cfg->crystal_mhz != 48)
		return fail(err, errlen, "crystal must be 26, 32, 40 or 48");
	if (cfg->time_scale <= 0 || cfg->erase_slowdown <= 0)
		return fail(err, errlen, "time-scale and erase-slowdown must be > 0");
	if (cfg->drop_rate < 0 || cfg->drop_rate > 1 || cfg->noise_rate < 0 || cfg->noise_rate > 1)
		return fail(err, errlen, "rates must be within 0..1");
	if (cfg->flash_size > (32u << 20))
		return fail(err, errlen, "flash-size must be at most 32M");
	if (cfg->baud == 0)
		return fail(err, errlen, "baud must be > 0");
	if (cfg->flash_begin_error > 0xFF)
		return fail(err, errlen, "flash-begin-error must be 0..0xFF");
	return 0;
}

static void print_default(FILE *out, const struct emu_config *d, const struct opt *o)
{
	const char *p = (const char *)d + o->off;

	switch (o->kind) {
	case O_U32:
		if (!strcmp(o->key, "crystal") && !d->crystal_mhz)
			fputs("0 = the chip's", out);
		else if (!strcmp(o->key, "jedec"))
			fprintf(out, "0x%06" PRIX32, *(const uint32_t *)(const void *)p);
		else
			fprintf(out, "%" PRIu32, *(const uint32_t *)(const void *)p);
		break;
	case O_SIZE:
		if (!strcmp(o->key, "rom-flash-limit") && !d->rom_flash_limit)
			fputs("0 = the chip's", out);
		else
			fprintf(out, "%" PRIu32, *(const uint32_t *)(const void *)p);
		break;
	case O_LONG:
		fprintf(out, "%ld", *(const long *)(const void *)p);
		break;
	case O_U64:
		fprintf(out, "%" PRIu64, *(const uint64_t *)(const void *)p);
		break;
	case O_DOUBLE:
		fprintf(out, "%g", *(const double *)(const void *)p);
		break;
	case O_BOOL:
		fputs(*(const bool *)(const void *)p ? "true" : "false", out);
		break;
	default:
		if (!strcmp(o->key, "chip"))
			fputs(chip_info(d->chip)->key, out);
		else if (!strcmp(o->key, "magic"))
			fputs("the chip's", out);
		else if (!strcmp(o->key, "revision"))
			fputs("the chip's", out);
		else if (!strcmp(o->key, "mac"))
			fprintf(out, "%02X:%02X:%02X:%02X:%02X:%02X", d->mac[0], d->mac[1],
				d->mac[2], d->mac[3], d->mac[4], d->mac[5]);
		else if (!strcmp(o->key, "unknown-op"))
			fputs("prev-op", out);
		else if (!strcmp(o->key, "start-mode"))
			fputs(d->start_mode == EMU_MODE_LOADER ? "loader" : "app", out);
		else if (!strcmp(o->key, "link-mode"))
			fputs(d->link_mode == EMU_LINK_USJ ? "usb-serial-jtag" : "bridge", out);
		else if (!strcmp(o->key, "reenumerate"))
			fputs(d->reenumerate == EMU_REENUM_ON ? "on" : d->reenumerate == EMU_REENUM_GONE ? "gone" : "off",
			      out);
		break;
	}
}

void emu_config_help(FILE *out)
{
	struct emu_config d;

	emu_config_defaults(&d);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		fprintf(out, "  --%-20s %s (default ", opts[i].key, opts[i].help);
		print_default(out, &d, &opts[i]);
		fputs(")\n", out);
	}
}

/* Checks that need the chip: what its row can encode and what it has. */
int emu_config_check(const struct emu_config *cfg, char *err, size_t errlen)
{
	const struct emu_chip_info *c;
	bool crystal_ok = !cfg->crystal_mhz;

	if ((unsigned int)cfg->chip >= EMU_CHIP_COUNT)
		return fail(err, errlen, "unknown chip");
	c = chip_info(cfg->chip);
	for (size_t i = 0; i < sizeof(c->crystals) && c->crystals[i]; i++)
		crystal_ok |= cfg->crystal_mhz == c->crystals[i];
	if (!crystal_ok)
		return fail(err, errlen, "%s has no %u MHz crystal", c->name, cfg->crystal_mhz);
	if (!c->family) {
		if (!cfg->mac[0] && !cfg->mac[1] && !cfg->mac[2])
			return fail(err, errlen, "the ESP8266 eFuses cannot encode OUI 00:00:00");
		if (cfg->rev_major >= 0 || cfg->sdm || cfg->secure_boot || cfg->flash_crypt_cnt ||
		    cfg->usb_serial_jtag || cfg->link_mode != EMU_LINK_BRIDGE)
			return fail(err, errlen, "revision, sdm, secure-boot, flash-crypt-cnt, "
						 "usb-serial-jtag and link-mode are ESP32-family options");
		if (cfg->reenumerate != EMU_REENUM_OFF)
			return fail(err, errlen, "reenumerate needs link-mode=usb-serial-jtag");
		return 0;
	}
	if (cfg->reenumerate != EMU_REENUM_OFF && cfg->link_mode != EMU_LINK_USJ)
		return fail(err, errlen, "reenumerate needs link-mode=usb-serial-jtag");
	if (cfg->rev_major >= 0 &&
	    ((unsigned int)cfg->rev_major > chip_rev_max(c, FLD_MAJOR) ||
	     (unsigned int)cfg->rev_minor > chip_rev_max(c, FLD_MINOR)))
		return fail(err, errlen, "%s eFuses cannot encode revision v%d.%d (max v%u.%u)",
			    c->name, cfg->rev_major, cfg->rev_minor, chip_rev_max(c, FLD_MAJOR),
			    chip_rev_max(c, FLD_MINOR));
	if (cfg->flash_crypt_cnt > chip_rev_max(c, FLD_CRYPT_CNT))
		return fail(err, errlen, "flash-crypt-cnt must be at most %u on %s",
			    chip_rev_max(c, FLD_CRYPT_CNT), c->name);
	if (cfg->sdm && !c->sec_info_len)
		return fail(err, errlen, "%s has no Secure Download Mode", c->name);
	if (cfg->usb_serial_jtag || cfg->link_mode == EMU_LINK_USJ) {
		bool usj = false;

		for (size_t i = 0; i < 3 && c->uartdev[i].until; i++)
			usj |= c->uartdev[i].usj != 0;
		if (!usj)
			return fail(err, errlen, "%s has no USB-Serial/JTAG", c->name);
	}
	return 0;
}
