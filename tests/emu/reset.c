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
 *
 * link-mode=usb-serial-jtag: no circuit.  The chip's USB-Serial/JTAG
 * peripheral decodes the line states itself.  The TRM's table could not be
 * read (family sheet §2.3 of kernel-breadth.md: [U]); this decode is
 * inferred [I] from esptool's USBJTAGSerialReset (family sheet §8.1) and its
 * comments, and is the one reading under which all of them hold:
 *
 *   DTR RTS (asserted)
 *    0   0   clear the force-download flag       ("Idle")
 *    1   0   set the force-download flag         ("Set IO0")
 *    0   1   reset the chip, on entering the state ("Reset")
 *    1   1   nothing                             (what esptool goes through
 *                                                 "instead of (0,0)", which
 *                                                 would clear the flag)
 *
 * The reset is a core reset: the chip boots into download mode if the flag
 * is set, else into what its straps said at power-on (start-mode), since a
 * USB-Serial/JTAG reset does not re-sample the strapping pins (§8.4).  So
 * esptool's (0,0) (1,0) (1,1) (0,1) (0,0) enters the loader, while the
 * classic (0,1) (1,0) (0,0) resets into the application (the flag is clear
 * when (0,1) comes) and the GPIO0 hold that follows does nothing.
 *
 * With reenumerate=on|gone the USB device leaves the bus detach_delay_us
 * after such a reset ("the reset process can cause the port to disconnect /
 * reconnect", §8.1) and, with on, comes back reenumerate_us later, as a new
 * USB device whose line state is (0,0) with the flag clear [I]: espemu turns
 * that into its pty hanging up and a new pty.
 */
#include "emu_internal.h"

#define EMU_CAUSE_USJ 0x15 /* the family ROMs' USB_UART_CHIP_RESET [?] */

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

static void usj_lines(struct emu *e, bool dtr, bool rts, uint64_t t_us)
{
	struct emu_reset *r = &e->rst;
	struct emu_usj *u = &e->usj;
	bool was_reset = r->rts && !r->dtr;

	r->dtr = dtr;
	r->rts = rts;
	if (dtr && !rts)
		u->download_flag = true;
	else if (!dtr && !rts)
		u->download_flag = false;
	if (!(rts && !dtr) || was_reset)
		return;
	/* entering (0,1): a core reset */
	enter_reset(e, t_us);
	e->st.usj_resets++;
	if (u->download_flag)
		e->st.usj_download_resets++;
	reset_reboot_now(e, t_us, u->download_flag || e->cfg.start_mode == EMU_MODE_LOADER, EMU_CAUSE_USJ);
	if (e->cfg.reenumerate != EMU_REENUM_OFF && u->present && !u->leave_pending) {
		u->leave_pending = true;
		u->leave_at = t_us + e->cfg.detach_delay_us;
	}
}

void reset_lines(struct emu *e, bool dtr, bool rts, uint64_t t_us)
{
	struct emu_reset *r = &e->rst;
	bool low = en_pulled_low(dtr, rts);

	if (e->cfg.link_mode == EMU_LINK_USJ) {
		usj_lines(e, dtr, rts, t_us);
		return;
	}

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
	if (e->usj.leave_pending && e->usj.leave_at < t)
		t = e->usj.leave_at;
	if (e->usj.back_pending && e->usj.back_at < t)
		t = e->usj.back_at;
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

/* The USB device leaving the bus and coming back. */
static void usb_events(struct emu *e, uint64_t t_us)
{
	struct emu_usj *u = &e->usj;

	if (u->leave_pending && u->leave_at <= t_us) {
		u->leave_pending = false;
		u->present = false;
		e->st.usb_detaches++; /* from now on emu_tx() says everything to nobody */
		if (e->cfg.reenumerate == EMU_REENUM_ON) {
			u->back_pending = true;
			u->back_at = t_us + e->cfg.reenumerate_us;
		}
	}
	if (u->back_pending && u->back_at <= t_us) {
		u->back_pending = false;
		u->present = true;
		/* a new USB device: its line state starts idle, the flag clear [I] */
		e->rst.dtr = e->rst.rts = false;
		u->download_flag = false;
		u->generation++;
		e->st.usb_attaches++;
	}
}

void reset_run_events(struct emu *e, uint64_t t_us)
{
	struct emu_reset *r = &e->rst;

	usb_events(e, t_us);

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
