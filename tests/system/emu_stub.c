// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bring-up stand-in for libespemu: only the reset circuit (enough to see the
 * chip enter LOADER) and no ROM protocol.  Linked only when build/libespemu.a
 * does not exist yet; scenarios that need the protocol then fail loudly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "espemu.h"

#define STUB_MAX_EVENTS 4096

struct emu {
	enum emu_mode mode;
	bool en_low, io0_low;
	struct emu_line_event ev[STUB_MAX_EVENTS];
	size_t n_ev;
	unsigned long resets, boots_loader, boots_app;
};

void emu_config_defaults(struct emu_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->time_scale = 1.0;
	cfg->start_mode = EMU_MODE_APP;
	cfg->hang_after = -1;
	cfg->bad_sector = -1;
}

int emu_config_set(struct emu_config *cfg, const char *key, const char *value,
		   char *err, size_t errlen)
{
	(void)cfg;
	(void)key;
	(void)value;
	(void)err;
	(void)errlen;
	return 0;
}

void emu_config_help(FILE *out)
{
	fputs("  (stub emulator: options are accepted and ignored)\n", out);
}

struct emu *emu_new(const struct emu_config *cfg, uint64_t now_us)
{
	struct emu *e = calloc(1, sizeof(*e));

	(void)now_us;
	if (e)
		e->mode = cfg->start_mode;
	return e;
}

void emu_free(struct emu *e)
{
	free(e);
}

void emu_set_baud(struct emu *e, uint32_t baud, uint64_t now_us)
{
	(void)e;
	(void)baud;
	(void)now_us;
}

void emu_rx(struct emu *e, const uint8_t *buf, size_t len, uint64_t now_us)
{
	(void)e;
	(void)buf;
	(void)len;
	(void)now_us;
}

size_t emu_tx(struct emu *e, uint8_t *buf, size_t cap, uint64_t now_us)
{
	(void)e;
	(void)buf;
	(void)cap;
	(void)now_us;
	return 0;
}

/* NodeMCU: EN low when RTS asserted and DTR not; IO0 low for the reverse. */
void emu_set_lines(struct emu *e, bool dtr, bool rts, uint64_t now_us)
{
	bool en_low = rts && !dtr, io0_low = dtr && !rts;

	if (e->n_ev < STUB_MAX_EVENTS)
		e->ev[e->n_ev++] = (struct emu_line_event){ now_us, dtr, rts };
	if (en_low && !e->en_low) {
		e->mode = EMU_MODE_RESET;
		e->resets++;
	} else if (!en_low && e->en_low) {
		e->mode = io0_low ? EMU_MODE_LOADER : EMU_MODE_APP;
		if (io0_low)
			e->boots_loader++;
		else
			e->boots_app++;
	}
	e->en_low = en_low;
	e->io0_low = io0_low;
}

void emu_advance(struct emu *e, uint64_t now_us)
{
	(void)e;
	(void)now_us;
}

uint64_t emu_next_event_us(const struct emu *e)
{
	(void)e;
	return UINT64_MAX;
}

enum emu_mode emu_mode(const struct emu *e)
{
	return e->mode;
}

const char *emu_mode_name(enum emu_mode m)
{
	static const char *const names[] = { "RESET", "BOOTING", "LOADER", "APP", "HUNG" };

	return (unsigned int)m < 5 ? names[m] : "?";
}

void emu_get_stats(const struct emu *e, struct emu_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->resets = e->resets;
	st->boots_loader = e->boots_loader;
	st->boots_app = e->boots_app;
}

size_t emu_line_events(const struct emu *e, const struct emu_line_event **ev)
{
	*ev = e->ev;
	return e->n_ev;
}

int emu_report_json(const struct emu *e, FILE *out)
{
	fprintf(out, "{\"stub\":true,\"mode\":\"%s\",\"stats\":{\"resets\":%lu,"
		"\"boots_loader\":%lu,\"boots_app\":%lu}}",
		emu_mode_name(e->mode), e->resets, e->boots_loader, e->boots_app);
	return 0;
}
