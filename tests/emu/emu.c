// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libespemu core: the object, the clock, the event loop that runs the
 * per-job parts in time order, and the observation functions.
 */
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"

/* splitmix64: small, deterministic, good enough for fault injection */
uint64_t emu_rand(struct emu *e)
{
	uint64_t z = (e->rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

double emu_rand01(struct emu *e)
{
	return (double)(emu_rand(e) >> 11) / (double)(1ull << 53);
}

void emu_log_erase(struct emu *e, const struct emu_erase_event *ev)
{
	if (e->erase_n < EMU_ERASE_LOG_CAP)
		e->erase_log[e->erase_n++] = *ev;
}

void emu_enter_app(struct emu *e, uint64_t t_us)
{
	e->mode = EMU_MODE_APP;
	e->app_pending = true;
	e->app_next_us = t_us + EMU_APP_PERIOD_US;
	banner_app_start(e, t_us);
}

/* The chip's own values for what the config leaves at "the chip's". */
static void resolve_defaults(struct emu *e)
{
	const struct emu_chip_info *c = e->chip;
	struct emu_config *cfg = &e->cfg;

	if (!cfg->crystal_mhz)
		cfg->crystal_mhz = c->crystals[0];
	if (!cfg->rom_flash_limit)
		cfg->rom_flash_limit = c->family ? 2u << 20 : 4u << 20;
	if (cfg->rev_major < 0)
		cfg->rev_major = c->def_major;
	if (cfg->rev_minor < 0)
		cfg->rev_minor = c->def_minor;
	if (!cfg->magic_set)
		cfg->magic = chip_by_rev(c->magic, chip_rev(cfg));
	if (cfg->chip_id < 0)
		cfg->chip_id = (long)c->chip_id;
}

/* RTC registers after a chip reset: the RTC watchdog runs [?], no auto-feed. */
void emu_reset_rtc(struct emu *e)
{
	e->wdt.config0 = e->chip->wdt_config0 ? EMU_WDT_BOOT_CONFIG0 : 0;
	e->wdt.wprotect = 0;
	e->wdt.swd_conf = 0;
	e->wdt.swd_wprotect = 0;
}

struct emu *emu_new(const struct emu_config *cfg, uint64_t now_us)
{
	struct emu *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	if (emu_config_check(cfg, NULL, 0)) {
		free(e);
		return NULL;
	}
	e->cfg = *cfg;
	e->chip = chip_info(cfg->chip);
	resolve_defaults(e);
	emu_reset_rtc(e);
	e->now_us = now_us;
	e->baud = cfg->baud ? cfg->baud : 115200;
	e->rng = cfg->seed;
	e->rxq.cap = EMU_RXQ_CAP;
	e->txq.cap = EMU_TXQ_CAP;
	e->rxq.buf = calloc(e->rxq.cap, sizeof(*e->rxq.buf));
	e->txq.buf = calloc(e->txq.cap, sizeof(*e->txq.buf));
	e->line_log = calloc(EMU_LINE_LOG_CAP, sizeof(*e->line_log));
	e->erase_log = calloc(EMU_ERASE_LOG_CAP, sizeof(*e->erase_log));
	e->cmd_log = calloc(EMU_CMD_LOG_CAP, 1);
	e->ram = calloc(1, (DRAM_SIZE) + (IRAM_SIZE));
	if (!e->rxq.buf || !e->txq.buf || !e->line_log || !e->erase_log || !e->cmd_log ||
	    !e->ram || flash_init(e)) {
		emu_free(e);
		return NULL;
	}
	e->st.rom_chip_size = e->cfg.rom_flash_limit;
	e->usj.present = true;
	/* the ROM talks over the USB-Serial/JTAG it is reached by (UARTDEV_BUF_NO, §8.2) */
	if (e->cfg.link_mode == EMU_LINK_USJ)
		e->cfg.usb_serial_jtag = true;

	/* power-on: straps as if already latched */
	if (cfg->start_mode == EMU_MODE_LOADER) {
		e->st.boots_loader++;
		banner_boot(e, now_us, true, 1);
		loader_enter(e, now_us);
	} else {
		e->st.boots_app++;
		banner_boot(e, now_us, false, 1);
		emu_enter_app(e, now_us);
	}
	return e;
}

void emu_free(struct emu *e)
{
	if (!e)
		return;
	flash_free(e);
	free(e->rxq.buf);
	free(e->txq.buf);
	free(e->line_log);
	free(e->erase_log);
	free(e->cmd_log);
	free(e->ram);
	free(e);
}

/* Next time the model itself must act (not counting bytes merely due out). */
static uint64_t internal_next(const struct emu *e)
{
	uint64_t t = reset_next_event(e), x;
	const struct emu_timed_byte *rx = byteq_peek(&e->rxq);

	if (e->mode == EMU_MODE_LOADER) {
		x = loader_next_event(e);
		if (x < t)
			t = x;
	}
	if (rx) {
		x = rx->t_us;
		if (e->mode == EMU_MODE_LOADER && loader_busy_until(e) > x)
			x = loader_busy_until(e);
		if (x < t)
			t = x;
	}
	if (e->mode == EMU_MODE_APP && e->app_pending && e->app_next_us < t)
		t = e->app_next_us;
	return t;
}

void emu_advance(struct emu *e, uint64_t now_us)
{
	for (;;) {
		uint64_t t = internal_next(e);
		const struct emu_timed_byte *rx;

		if (t > now_us)
			break;
		if (t < e->now_us)
			t = e->now_us;
		e->now_us = t;

		reset_run_events(e, t);
		if (e->mode == EMU_MODE_LOADER)
			loader_run_events(e, t);
		while ((rx = byteq_peek(&e->rxq)) && rx->t_us <= t) {
			if (e->mode == EMU_MODE_LOADER) {
				if (loader_busy_until(e) > t)
					break;
				loader_rx_byte(e, rx->b, t);
			}
			/* other modes: the ROM is not listening, the byte is lost */
			byteq_pop(&e->rxq);
		}
		if (e->mode == EMU_MODE_APP && e->app_pending && e->app_next_us <= t) {
			banner_app_tick(e, t);
			e->app_next_us += EMU_APP_PERIOD_US;
		}
	}
	if (now_us > e->now_us)
		e->now_us = now_us;
}

uint64_t emu_next_event_us(const struct emu *e)
{
	uint64_t t = internal_next(e);
	const struct emu_timed_byte *tx = byteq_peek(&e->txq);

	if (tx && tx->t_us < t)
		t = tx->t_us;
	return t;
}

void emu_set_baud(struct emu *e, uint32_t baud, uint64_t now_us)
{
	emu_advance(e, now_us);
	if (baud)
		e->baud = baud;
}

size_t emu_rx_room(const struct emu *e)
{
	return e->rxq.cap - e->rxq.len;
}

/*
 * The host can reach the chip: not from a USB-Serial/JTAG reset that makes
 * the device leave the bus (it is electrically gone at once) until it is
 * back, even while the host has not noticed yet (detach-delay-us).
 */
static bool usb_reachable(const struct emu *e)
{
	return e->usj.present && !e->usj.leave_pending;
}

void emu_rx(struct emu *e, const uint8_t *buf, size_t len, uint64_t now_us)
{
	emu_advance(e, now_us);
	if (!usb_reachable(e)) {
		e->st.bytes_dropped += len; /* no device on the bus to take them */
		return;
	}
	for (size_t i = 0; i < len; i++) {
		uint64_t t = now_us;

		e->st.bytes_rx++;
		if (e->cfg.wire_timing) {
			uint64_t now_ns = now_us * 1000;

			if (e->rxq.wire_free_ns < now_ns)
				e->rxq.wire_free_ns = now_ns;
			e->rxq.wire_free_ns += uart_byte_ns(e);
			t = (e->rxq.wire_free_ns + 999) / 1000;
		}
		if (e->cfg.drop_rate > 0 && emu_rand01(e) < e->cfg.drop_rate) {
			e->st.bytes_dropped++;
			continue;
		}
		if (!byteq_push(&e->rxq, t, buf[i]))
			e->st.bytes_dropped++; /* FIFO overrun */
	}
}

size_t emu_tx(struct emu *e, uint8_t *buf, size_t cap, uint64_t now_us)
{
	const struct emu_timed_byte *b;
	size_t n = 0;

	emu_advance(e, now_us);
	while (n < cap && (b = byteq_peek(&e->txq)) && b->t_us <= now_us) {
		if (usb_reachable(e))
			buf[n++] = b->b;
		byteq_pop(&e->txq); /* off the bus: said to nobody */
	}
	return n;
}

void emu_set_lines(struct emu *e, bool dtr, bool rts, uint64_t now_us)
{
	emu_advance(e, now_us);
	if (!usb_reachable(e)) {
		e->st.lines_lost++;
		return;
	}
	if (e->rst.dtr == dtr && e->rst.rts == rts)
		return; /* log changes only */
	if (e->line_n < EMU_LINE_LOG_CAP)
		e->line_log[e->line_n++] = (struct emu_line_event){ now_us, dtr, rts };
	reset_lines(e, dtr, rts, now_us);
}

bool emu_usb_present(const struct emu *e)
{
	return e->usj.present;
}

unsigned long emu_usb_generation(const struct emu *e)
{
	return e->usj.generation;
}

enum emu_mode emu_mode(const struct emu *e)
{
	return e->mode;
}

const char *emu_mode_name(enum emu_mode m)
{
	switch (m) {
	case EMU_MODE_RESET:
		return "reset";
	case EMU_MODE_BOOTING:
		return "booting";
	case EMU_MODE_LOADER:
		return "loader";
	case EMU_MODE_APP:
		return "app";
	case EMU_MODE_HUNG:
		return "hung";
	}
	return "?";
}

void emu_get_stats(const struct emu *e, struct emu_stats *st)
{
	*st = e->st;
}

size_t emu_line_events(const struct emu *e, const struct emu_line_event **ev)
{
	*ev = e->line_log;
	return e->line_n;
}

size_t emu_erase_events(const struct emu *e, const struct emu_erase_event **ev)
{
	*ev = e->erase_log;
	return e->erase_n;
}

size_t emu_command_log(const struct emu *e, const uint8_t **ops)
{
	*ops = e->cmd_log;
	return e->cmd_n;
}

size_t emu_flash_begin_words(const struct emu *e, const uint8_t **words)
{
	*words = e->fb_words;
	return e->fb_n;
}

bool emu_watchdogs_disabled(const struct emu *e)
{
	const struct emu_chip_info *c = e->chip;

	return c->wdt_config0 && e->wdt.config0 == 0 && (e->wdt.swd_conf & c->swd_auto_feed);
}

uint32_t emu_flash_size(const struct emu *e)
{
	return e->flash.size;
}

const uint8_t *emu_flash_data(const struct emu *e)
{
	return e->flash.data;
}

bool emu_flash_is_blank(const struct emu *e, uint32_t offset, uint32_t length)
{
	if ((uint64_t)offset + length > e->flash.size)
		return false;
	for (uint32_t i = 0; i < length; i++) {
		if (e->flash.data[offset + i] != 0xFF)
			return false;
	}
	return true;
}
