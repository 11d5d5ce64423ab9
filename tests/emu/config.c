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

#include "espemu.h"

void emu_config_defaults(struct emu_config *cfg)
{
	static const uint8_t mac[6] = { 0x5C, 0xCF, 0x7F, 0x12, 0x34, 0x56 };

	memset(cfg, 0, sizeof(*cfg));
	cfg->chip = EMU_CHIP_ESP8266EX;
	memcpy(cfg->mac, mac, sizeof(mac));
	cfg->jedec_id = 0x1640EF;
	cfg->flash_size = 0;
	cfg->crystal_mhz = 26;
	cfg->magic = 0xFFF0C101u; /* ESP8266 and ESP8285 */
	cfg->flash_prefill = false;

	cfg->rom_flash_limit = 4u << 20;
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

static int parse_chip(const char *s, enum emu_chip *c)
{
	if (!strcasecmp(s, "esp8266") || !strcasecmp(s, "esp8266ex"))
		*c = EMU_CHIP_ESP8266EX;
	else if (!strcasecmp(s, "esp8285"))
		*c = EMU_CHIP_ESP8285;
	else
		return -1;
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
	{ "chip", O_SPECIAL, F(chip), "esp8266 | esp8285" },
	{ "mac", O_SPECIAL, F(mac), "station MAC, encoded into eFuses by the sheet's OUI rules" },
	{ "jedec", O_U32, F(jedec_id), "flash JEDEC id as RDID puts it in W0 (cap<<16|type<<8|mfr)" },
	{ "flash-size", O_SIZE, F(flash_size), "flash bytes (4M, 512K, ...); 0 = from jedec" },
	{ "crystal", O_U32, F(crystal_mhz), "crystal MHz, 26 or 40" },
	{ "magic", O_U32, F(magic), "chip magic at 0x40001000 (0xFFF0C101; e.g. 0x00F01D83 = ESP32)" },
	{ "flash-prefill", O_BOOL, F(flash_prefill), "start with non-blank firmware contents" },
	{ "rom-flash-limit", O_SIZE, F(rom_flash_limit), "ROM chip_size: FLASH_BEGIN beyond fails [?]" },
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
};

static int set_special(struct emu_config *cfg, const struct opt *o, const char *v)
{
	if (!strcmp(o->key, "chip"))
		return parse_chip(v, &cfg->chip);
	if (!strcmp(o->key, "mac")) {
		uint8_t mac[6];

		if (parse_mac(v, mac))
			return -1;
		/* OUI 00:00:00 cannot be encoded: m3 = 0 selects a default OUI */
		if (!mac[0] && !mac[1] && !mac[2])
			return -1;
		memcpy(cfg->mac, mac, 6);
		return 0;
	}
	if (!strcmp(o->key, "unknown-op"))
		return parse_unknown(v, &cfg->unknown_op);
	if (!strcmp(o->key, "start-mode"))
		return parse_mode(v, &cfg->start_mode);
	return -1;
}

int emu_config_set(struct emu_config *cfg, const char *key, const char *value, char *err,
		   size_t errlen)
{
	const struct opt *o = NULL;
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

	if (cfg->crystal_mhz != 26 && cfg->crystal_mhz != 40)
		return fail(err, errlen, "crystal must be 26 or 40");
	if (cfg->time_scale <= 0 || cfg->erase_slowdown <= 0)
		return fail(err, errlen, "time-scale and erase-slowdown must be > 0");
	if (cfg->drop_rate < 0 || cfg->drop_rate > 1 || cfg->noise_rate < 0 || cfg->noise_rate > 1)
		return fail(err, errlen, "rates must be within 0..1");
	if (cfg->flash_size > (16u << 20))
		return fail(err, errlen, "flash-size must be at most 16M");
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
		if (!strcmp(o->key, "jedec"))
			fprintf(out, "0x%06" PRIX32, *(const uint32_t *)(const void *)p);
		else
			fprintf(out, "%" PRIu32, *(const uint32_t *)(const void *)p);
		break;
	case O_SIZE:
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
			fputs(d->chip == EMU_CHIP_ESP8285 ? "esp8285" : "esp8266", out);
		else if (!strcmp(o->key, "mac"))
			fprintf(out, "%02X:%02X:%02X:%02X:%02X:%02X", d->mac[0], d->mac[1],
				d->mac[2], d->mac[3], d->mac[4], d->mac[5]);
		else if (!strcmp(o->key, "unknown-op"))
			fputs("prev-op", out);
		else if (!strcmp(o->key, "start-mode"))
			fputs(d->start_mode == EMU_MODE_LOADER ? "loader" : "app", out);
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
