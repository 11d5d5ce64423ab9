// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The two-transistor auto-reset circuit (sheet §4; the same on ESP32-family
 * boards, family sheet §8.1) and the chip's
 * reset and boot sequence.
 *
 *   DTR RTS (asserted)   EN     GPIO0
 *    0   0               high   high
 *    1   1               high   high
 *    0   1               LOW    high
 *    1   0               high   LOW
 *
 * EN is pulled low at once through the transistor, but rises through the RC
 * on EN: en_rc_us after release it crosses the threshold, the chip leaves
 * reset and latches its straps (GPIO0 low = UART download).  An EN pulse
 * shorter than min_reset_us does not reset the chip.  Booting then takes
 * boot_delay_us before the ROM loader listens.
 */
#include "emu_internal.h"

static bool en_pulled_low(bool dtr, bool rts)
{
	return rts && !dtr;
}

static bool gpio0_low(const struct emu *e)
{
	return e->rst.dtr && !e->rst.rts;
}

static void enter_reset(struct emu *e, uint64_t t_us)
{
	loader_stop(e);
	uart_cancel_after(e, t_us);
	e->mode = EMU_MODE_RESET;
	e->app_pending = false;
	e->rst.boot_pending = false;
	e->st.resets++;
	emu_reset_rtc(e);
}

void reset_lines(struct emu *e, bool dtr, bool rts, uint64_t t_us)
{
	struct emu_reset *r = &e->rst;
	bool low = en_pulled_low(dtr, rts);

	r->dtr = dtr;
	r->rts = rts;
	if (low && !r->en_low) {
		r->en_low = true;
		r->en_low_since = t_us;
		r->latch_pending = false; /* EN discharged again before it rose */
		if (e->mode != EMU_MODE_RESET)
			r->reset_pending = true;
	} else if (!low && r->en_low) {
		r->en_low = false;
		r->reset_pending = false; /* too short to reset: a glitch */
		if (e->mode == EMU_MODE_RESET) {
			r->latch_pending = true;
			r->latch_at = t_us + e->cfg.en_rc_us;
		}
	}
}

uint64_t reset_next_event(const struct emu *e)
{
	const struct emu_reset *r = &e->rst;
	uint64_t t = UINT64_MAX;

	if (r->reset_pending && r->en_low_since + e->cfg.min_reset_us < t)
		t = r->en_low_since + e->cfg.min_reset_us;
	if (r->latch_pending && r->latch_at < t)
		t = r->latch_at;
	if (r->boot_pending && r->boot_at < t)
		t = r->boot_at;
	return t;
}

/* Leave reset with the given straps: banner now, ROM ready after boot_delay. */
void reset_reboot_now(struct emu *e, uint64_t t_us, bool to_loader, int cause)
{
	struct emu_reset *r = &e->rst;

	loader_stop(e);
	e->app_pending = false;
	e->mode = EMU_MODE_BOOTING;
	r->boot_to_loader = to_loader;
	r->boot_pending = true;
	r->boot_at = t_us + e->cfg.boot_delay_us;
	banner_boot(e, t_us, to_loader, cause);
}

void reset_run_events(struct emu *e, uint64_t t_us)
{
	struct emu_reset *r = &e->rst;

	if (r->reset_pending && r->en_low_since + e->cfg.min_reset_us <= t_us) {
		r->reset_pending = false;
		enter_reset(e, t_us);
	}
	if (r->latch_pending && r->latch_at <= t_us) {
		r->latch_pending = false;
		reset_reboot_now(e, t_us, gpio0_low(e), 2);
	}
	if (r->boot_pending && r->boot_at <= t_us) {
		r->boot_pending = false;
		if (r->boot_to_loader) {
			e->st.boots_loader++;
			loader_enter(e, t_us);
		} else {
			e->st.boots_app++;
			emu_enter_app(e, t_us);
		}
	}
}
