// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The operations, built from the protocol modules.  Every claim that reaches
 * the user ("erased", "blank") rests on a reply the ROM sent: a range is
 * reported erased only once the FLASH_BEGIN (or the SPI sector erase) that
 * covers it has been acknowledged.
 */
#include "ops.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "blank_md5.h"
#include "chip.h"
#include "connect.h"
#include "devprops.h"
#include "discovery.h"
#include "exitcode.h"
#include "flashplan.h"
#include "journal.h"
#include "links.h"
#include "rom.h"


struct session {
	const struct op_options *opt;
	struct output *out;
	struct port port;
	bool port_open;
	struct rom_link link;
	bool synced;
	struct chip_detection det;
	struct chip_info chip;
	bool have_chip;
	/* the ROM addresses less than the flash: only [0, limit) was worked on */
	bool partial;
	uint32_t addr_limit;
	char devnode[256];
	uint64_t t0;
	/* erase bookkeeping: what the ROM confirmed */
	uint32_t done_offset, done_length;
	bool erase_attempted;
	/* verify bookkeeping */
	const char *verify_mode;
	const char *verify_method;    /* "spi-read" or "md5" */
	unsigned long verify_words;   /* bytes checked / 4 */
	bool verify_ran, verify_ok;
	uint32_t verify_bad_addr;
	/* progress of the running erase */
	uint64_t prog_start_us;
	uint64_t prog_base_us, prog_total_us;
	bool prog_active;
	char errmsg[512];
	/* udev properties of the port, looked up before touching it */
	struct dev_props props;
	bool have_props;
};

static int fail(struct session *s, int code, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct session *s, int code, const char *hint, const char *fmt, ...)
{
	int sig = port_stop_signal();
	size_t pos = 0;
	va_list ap;

	/* Whatever failed, a stop signal is why: say so, and exit as shells expect. */
	if (sig) {
		code = EXIT_SIGNAL_BASE + sig;
		hint = NULL;
		pos = (size_t)snprintf(s->errmsg, sizeof(s->errmsg), "stopped by SIG%s: ",
				       sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
	}
	va_start(ap, fmt);
	vsnprintf(s->errmsg + pos, sizeof(s->errmsg) - pos, fmt, ap);
	va_end(ap);
	out_progress_done(s->out);
	out_error(s->out, code, s->errmsg, hint);
	return code;
}

static void appendf(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A transport failure after sync is a lost link; a timeout too. */
static int erased_so_far(struct session *s, char *buf, size_t len);

static int link_fail(struct session *s, int r, const char *what)
{
	char done[96] = "";

	/* After an erase started, every failure says what the ROM confirmed. */
	if (s->erase_attempted) {
		done[0] = ';';
		done[1] = ' ';
		erased_so_far(s, done + 2, sizeof(done) - 2);
	}
	if (r == ROM_E_IO)
		return fail(s, EXIT_IO, "the device went away or the cable is faulty",
			    "%s: %s lost the link (%s)%s", s->devnode, what,
			    strerror(s->link.last_errno ? s->link.last_errno : EIO), done);
	if (r == ROM_E_TIMEOUT)
		return fail(s, EXIT_IO, "the chip stopped answering; power-cycle the board and retry",
			    "%s: %s: no reply from the ROM%s", s->devnode, what, done);
	return fail(s, EXIT_IO, NULL, "%s: %s: unexpected reply from the ROM%s", s->devnode, what, done);
}

static const char *hex32(char *buf, size_t len, uint32_t v)
{
	snprintf(buf, len, "0x%06" PRIx32, v);
	return buf;
}

static void fmt_mac(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

static void fmt_size(uint32_t bytes, char *buf, size_t len)
{
	if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
		snprintf(buf, len, "%" PRIu32 " MiB", bytes >> 20);
	else
		snprintf(buf, len, "%" PRIu32 " KiB", bytes >> 10);
}

/* ---- port selection ---- */

static int choose_port(struct session *s)
{
	struct candidate c[DISCOVERY_MAX];
	int n, supported = 0, pick = -1;
	char list[1024] = "";
	size_t pos = 0;

	if (s->opt->port) {
		int r = discovery_resolve(s->opt->port, s->devnode, sizeof(s->devnode));

		if (r == -EEXIST)
			return fail(s, EXIT_PORT, "use the device path or ID_PATH instead",
				    "%s: more than one port has this serial number", s->opt->port);
		if (r < 0)
			return fail(s, EXIT_PORT, "`espwipe list` shows the ports",
				    "%s: no such port (not a device path, ID_PATH or USB serial number)",
				    s->opt->port);
		return 0;
	}
	n = discover_ports(c, DISCOVERY_MAX);
	for (int i = 0; i < n; i++) {
		if (!c[i].supported)
			continue;
		supported++;
		pick = i;
		pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s%s", pos ? ", " : "",
					c[i].devnode);
		if (pos >= sizeof(list))
			pos = sizeof(list) - 1;
	}
	if (supported == 0) {
		char words[160];

		link_words(words, sizeof(words));
		return fail(s, EXIT_PORT, "plug in the board, or name the port with -p",
			    "no supported serial port found (links: %s)", words);
	}
	if (supported > 1)
		return fail(s, EXIT_PORT, "choose one with -p", "several candidate ports: %s", list);
	snprintf(s->devnode, sizeof(s->devnode), "%s", c[pick].devnode);
	return 0;
}

static int open_port(struct session *s)
{
	int err;
	enum port_error pe = port_open(&s->port, s->devnode, s->opt->baud, &err);

	switch (pe) {
	case PORT_OK:
		s->port_open = true;
		/* --link wins over udev: it is for ports udev cannot tell (a pty, an unknown id) */
		port_set_link(&s->port, s->opt->link ? s->opt->link : s->have_props ? s->props.link : NULL,
			      s->have_props ? &s->props : NULL);
		if (s->port.link)
			out_debug(s->out, "%s: link %s (%s)%s", s->devnode, s->port.link->link,
				  s->port.link->label, s->opt->link ? ", from --link" : "");
		return 0;
	case PORT_NOT_FOUND:
		return fail(s, EXIT_PORT, "check the cable; `espwipe list` shows the ports",
			    "%s: no such port (%s)", s->devnode, strerror(err));
	case PORT_DENIED:
		return fail(s, EXIT_PORT,
			    "add yourself to the dialout group (then log in again) or install the udev rules",
			    "%s: permission denied", s->devnode);
	case PORT_BUSY:
		return fail(s, EXIT_BUSY,
			    "another program (a terminal, ModemManager, another espwipe) holds it",
			    "%s: port is busy", s->devnode);
	case PORT_NOT_TTY:
		return fail(s, EXIT_PORT, NULL, "%s: not a serial port (%s)", s->devnode, strerror(err));
	case PORT_BAD_BAUD:
		return fail(s, EXIT_USAGE, "use a standard rate such as 115200 or 921600",
			    "unsupported baud rate %" PRIu32, s->opt->baud);
	case PORT_OTHER:
		break;
	}
	return fail(s, EXIT_PORT, NULL, "%s: cannot open: %s", s->devnode, strerror(err));
}

/* ---- connect ---- */

struct reset_ctx {
	struct session *s;
	int err;
};

static int reset_hook_fn(void *ctx, int attempt)
{
	struct reset_ctx *rc = ctx;
	struct session *s = rc->s;
	int r = port_enter_loader(&s->port, s->opt->reset, attempt);
	const char *seq = port_loader_sequence(&s->port, attempt);

	out_debug(s->out, "attempt %d: entering the loader via %s (%s)", attempt + 1,
		  reset_method_name(s->port.used),
		  s->port.used == RESET_TIOCM && seq ? seq : s->port.used == RESET_SYSFS ? "the module's sequence" : "-");
	if (r < 0)
		rc->err = r;
	return r;
}

/* The port left the bus with the reset and was not found again. */
static int port_gone(struct session *s)
{
	int e = -s->port.refind_err;

	if (e == ENOENT)
		return fail(s, EXIT_PORT, "open it by a /dev/serial/by-id or by-path link, or install the udev rules",
			    "%s: the port left the bus with the reset, and nothing tells which port it "
			    "comes back as (no udev record, not a link)", s->devnode);
	if (e == ETIMEDOUT)
		return fail(s, EXIT_PORT, "check the cable and `dmesg`; `espwipe list` shows the ports",
			    "%s: the port left the bus with the reset and did not come back within %.0f s",
			    s->devnode, REFIND_TIMEOUT_MS / 1000.0);
	return fail(s, EXIT_PORT, NULL, "%s: the port left the bus with the reset and could not be opened "
		    "again: %s", s->devnode, strerror(e));
}

static int do_connect(struct session *s)
{
	struct connect_params cp;
	struct connect_result res;
	struct reset_ctx rc = { .s = s };
	struct reset_hook hook = { .enter_loader = reset_hook_fn, .ctx = &rc };
	enum reset_method m = port_resolve_method(&s->port, s->opt->reset);
	struct json_object *f;
	int r;

	if (s->opt->reset == RESET_TIOCM && !s->port.has_lines)
		return fail(s, EXIT_PORT, "use --reset none and hold the board's FLASH button while resetting it",
			    "%s: the port has no modem-control lines for --reset tiocm", s->devnode);
	if ((s->opt->reset == RESET_TIOCM || s->opt->reset == RESET_SYSFS) && !port_loader_sequence(&s->port, 0))
		return fail(s, EXIT_PORT, "use --reset none: the ROM on this port is in its loader whenever it is there",
			    "%s: the lines of a %s port cannot enter the loader", s->devnode, s->port.link->label);
	if (s->opt->reset == RESET_AUTO && m == RESET_NONE && !port_loader_sequence(&s->port, 0))
		out_note(s->out, "%s is a %s port: its lines cannot reset the chip, which is in its loader "
			 "whenever this port is there", s->devnode, s->port.link->label);
	else if (s->opt->reset == RESET_AUTO && m == RESET_NONE)
		out_note(s->out, "%s has no modem-control lines: assuming the chip is already in its loader",
			 s->devnode);
	rom_link_init(&s->link, &s->port.tr);
	s->port.tr.trace = out_trace;
	s->port.tr.trace_ctx = s->out;
	connect_params_default(&cp);
	if (s->opt->connect_attempts > 0)
		cp.attempts = s->opt->connect_attempts;
	f = json_object_new_object();
	json_object_object_add(f, "port", json_object_new_string(s->devnode));
	json_object_object_add(f, "reset", json_object_new_string(reset_method_name(m)));
	json_object_object_add(f, "link", s->port.link ? json_object_new_string(s->port.link->link) : NULL);
	out_event(s->out, "connect", f, "Connecting to %s (reset: %s%s%s)...", s->devnode,
		  reset_method_name(m), s->port.link ? ", link " : "", s->port.link ? s->port.link->link : "");
	r = connect_rom(&s->link, m == RESET_NONE ? NULL : &hook, &cp, &res);
	if (s->port.refind_err)
		return port_gone(s);
	if (rc.err == -ENOENT && m == RESET_SYSFS)
		return fail(s, EXIT_PORT, "load the module (modprobe espwipe) or use --reset tiocm",
			    "%s: the espwipe.ko attribute enter_bootloader is missing", s->devnode);
	if (rc.err == -EACCES || rc.err == -EPERM)
		return fail(s, EXIT_PORT, "install the udev rules so the dialout group may write it",
			    "%s: no permission to write the port's enter_bootloader attribute",
			    s->devnode);
	if (rc.err < 0 && rc.err != -ENOENT)
		return fail(s, rc.err == -ENODEV ? EXIT_IO : EXIT_PORT, NULL,
			    "%s: could not drive the reset lines: %s", s->devnode, strerror(-rc.err));
	if (r == ROM_E_IO)
		return link_fail(s, r, "connect");
	if (r != ROM_OK)
		return fail(s, EXIT_NOSYNC,
			    "check the USB cable and that GPIO0/EN reach the bridge; hold FLASH while pressing RST "
			    "and use --reset none; make sure brltty or ModemManager is not grabbing the port",
			    "%s: the chip did not answer SYNC after %d attempts", s->devnode, cp.attempts);
	s->synced = true;
	port_link_settled(&s->port);
	if (s->port.comebacks) {
		f = json_object_new_object();
		json_object_object_add(f, "port", json_object_new_string(s->devnode));
		char node[PATH_MAX];

		json_object_object_add(f, "path", json_object_new_string(s->port.comeback_path));
		json_object_object_add(f, "node", realpath(s->port.comeback_path, node) ?
					  json_object_new_string(node) : NULL);
		json_object_object_add(f, "times", json_object_new_int((int)s->port.comebacks));
		json_object_object_add(f, "ms", json_object_new_int((int)s->port.comeback_ms));
		out_event(s->out, "port_back", f, "The port left the bus with the reset and came back as %s "
			  "(after %u ms)", s->port.comeback_path, s->port.comeback_ms);
	}
	f = json_object_new_object();
	json_object_object_add(f, "attempt", json_object_new_int(res.attempts_used));
	json_object_object_add(f, "syncs_sent", json_object_new_int(res.syncs_sent));
	json_object_object_add(f, "replies", json_object_new_int(res.replies));
	json_object_object_add(f, "reset", json_object_new_string(reset_method_name(s->port.used)));
	json_object_object_add(f, "ms", json_object_new_double((double)(res.synced_at_us - s->t0) / 1000.0));
	/* wall-clock time of the first SYNC reply, for measuring from process start */
	json_object_object_add(f, "synced_time",
			       json_object_new_double(out_wall_time() -
						      (double)(port_now_us() - res.synced_at_us) / 1e6));
	out_event(s->out, "synced", f, "Synced with the ROM loader (attempt %d, %d SYNC replies)",
		  res.attempts_used, res.replies);
	out_debug(s->out, "reset method used: %s; %lu garbage bytes skipped", reset_method_name(s->port.used),
		  res.garbage_bytes);
	return 0;
}

static int unknown_chip(struct session *s)
{
	const struct chip_detection *d = &s->det;
	const char *known = "espwipe knows the ESP8266/ESP8285, ESP32, ESP32-S2, -S3, -C2, -C3, -C5, "
			    "-C6, -C61, -H2 and -P4";
	char magic[48];

	if (d->magic_result == ROM_OK) {
		const char *name = chip_name_for_magic(d->magic);

		snprintf(magic, sizeof(magic), "magic 0x%08" PRIx32 "%s%s%s", d->magic, name ? " = " : "",
			 name ? name : "", name ? "?" : "");
	} else {
		snprintf(magic, sizeof(magic), "magic not readable: %s", rom_result_str(d->magic_result));
	}
	if (d->secinfo_result == ROM_OK && d->secinfo.has_chip_id)
		return fail(s, EXIT_CHIP, known, "%s: unknown chip (security-info chip id %" PRIu32 ", %s)",
			    s->devnode, d->secinfo.chip_id, magic);
	if (d->secinfo_result == ROM_OK)
		return fail(s, EXIT_CHIP, known, "%s: unknown chip (%u-byte security info, %s)", s->devnode,
			    d->secinfo.len, magic);
	return fail(s, EXIT_CHIP, known, "%s: unknown chip (%s; GET_SECURITY_INFO: %s)", s->devnode, magic,
		    d->secinfo_result == 1 ? "not sent" : rom_result_str(d->secinfo_result));
}

static void fmt_revision(const struct chip_info *c, char *buf, size_t len)
{
	snprintf(buf, len, "v%u.%u", c->rev_major, c->rev_minor);
}

static struct json_object *security_json(const struct chip_info *c)
{
	struct json_object *o = json_object_new_object();

	if (c->has_secinfo)
		json_object_object_add(o, "flags", json_object_new_int64(c->secinfo.flags));
	json_object_object_add(o, "flash_encryption", json_object_new_boolean(c->flash_encryption));
	json_object_object_add(o, "secure_boot", json_object_new_boolean(c->secure_boot));
	return o;
}

/* The fields every description of the chip carries (chip event, result). */
static void chip_json(const struct session *s, struct json_object *f)
{
	const struct chip_info *c = &s->chip;
	char buf[32];

	json_object_object_add(f, "chip", json_object_new_string(c->name));
	json_object_object_add(f, "chip_model", json_object_new_string(c->model));
	if (c->has_revision) {
		fmt_revision(c, buf, sizeof(buf));
		json_object_object_add(f, "chip_revision", json_object_new_string(buf));
	}
	if (!c->sdm) {
		fmt_mac(c->mac, buf, sizeof(buf));
		json_object_object_add(f, "mac", json_object_new_string(buf));
	}
	if (c->crystal_mhz)
		json_object_object_add(f, "crystal_mhz", json_object_new_int((int)c->crystal_mhz));
	if (c->flash_id_read)
		json_object_object_add(f, "flash_id", json_object_new_string(hex32(buf, sizeof(buf), c->flash_id)));
	json_object_object_add(f, "flash_size", json_object_new_int64(c->flash_size));
	if (c->flash_size_source != FLASH_SIZE_UNKNOWN)
		json_object_object_add(f, "flash_size_source",
				       json_object_new_string(c->flash_size_source == FLASH_SIZE_USER ? "user"
												: "jedec"));
	json_object_object_add(f, "secure_download_mode", json_object_new_boolean(c->sdm));
	if (c->security_known && c->desc->security != CHIP_SECURITY_NONE)
		json_object_object_add(f, "security", security_json(c));
}

static int identify(struct session *s)
{
	char mac[24], id[16], size[16], extra[160] = "";
	size_t pos = 0;
	struct json_object *f;
	int r = chip_detect(&s->link, &s->det);

	if (r == CHIP_E_UNKNOWN)
		return unknown_chip(s);
	if (r == ROM_OK)
		r = chip_identify(&s->link, s->opt->baud, &s->det, &s->chip);
	if (r != ROM_OK) {
		/*
		 * The ROM rejects a register access only when the request
		 * arrived mangled (and it was resent already): a link fault.
		 */
		if (r == ROM_E_FAILED)
			return fail(s, EXIT_IO, "check the cable; try a lower --baud",
				    "%s: the ROM kept rejecting register reads as invalid while "
				    "identifying the chip", s->devnode);
		return link_fail(s, r, "identifying the chip");
	}
	s->have_chip = true;
	if (s->opt->flash_size && !s->chip.flash_size && !s->chip.flash_no_answer) {
		s->chip.flash_size = s->opt->flash_size;
		s->chip.flash_size_source = FLASH_SIZE_USER;
	}
	fmt_mac(s->chip.mac, mac, sizeof(mac));
	hex32(id, sizeof(id), s->chip.flash_id);
	if (s->chip.flash_size)
		fmt_size(s->chip.flash_size, size, sizeof(size));
	else
		snprintf(size, sizeof(size), "unknown");
	f = json_object_new_object();
	chip_json(s, f);
	if (s->chip.usj_known) {
		json_object_object_add(f, "usb_serial_jtag", json_object_new_boolean(s->chip.usj));
		json_object_object_add(f, "watchdogs_disabled",
				       json_object_new_boolean(s->chip.watchdogs_disabled));
	}
	if (s->chip.desc->security != CHIP_SECURITY_NONE && s->chip.security_known)
		appendf(extra, sizeof(extra), &pos, "; flash encryption %s, secure boot %s",
			s->chip.flash_encryption ? "ON" : "off", s->chip.secure_boot ? "ON" : "off");
	if (s->chip.has_secinfo)
		appendf(extra, sizeof(extra), &pos, " (security flags 0x%" PRIx32 ")", s->chip.secinfo.flags);
	if (s->chip.watchdogs_disabled)
		appendf(extra, sizeof(extra), &pos, "; USB-Serial/JTAG: watchdogs disabled");
	if (s->chip.sdm)
		out_event(s->out, "chip", f, "Chip: %s in Secure Download Mode (no register access: "
			  "MAC, revision and flash id unknown%s)%s", s->chip.name,
			  s->chip.flash_size_source == FLASH_SIZE_USER ? "; flash size from --flash-size" : "",
			  extra);
	else if (s->chip.crystal_mhz)
		out_event(s->out, "chip", f, "Chip: %s, MAC %s, %u MHz crystal; flash %s (%s), %s%s",
			  s->chip.name, mac, s->chip.crystal_mhz, id, chip_flash_vendor(s->chip.flash_id),
			  size, extra);
	else
		out_event(s->out, "chip", f, "Chip: %s, MAC %s; flash %s (%s), %s%s", s->chip.name, mac, id,
			  chip_flash_vendor(s->chip.flash_id), size, extra);
	if (s->chip.flash_no_answer)
		out_note(s->out, "%s: the flash did not answer RDID (JEDEC id %s): failed to talk to the flash chip",
			 s->devnode, id);
	return 0;
}

/* ---- erase ---- */

static void erase_tick(void *ctx, uint64_t now_us)
{
	struct session *s = ctx;
	uint64_t elapsed;

	if (!s->prog_active)
		return;
	elapsed = now_us - s->prog_start_us;
	out_progress(s->out, "Erasing",
		     progress_estimate_permille(elapsed, s->prog_total_us), true,
		     (double)elapsed / 1e6, (double)s->prog_total_us / 1e6);
}

/* Extend the confirmed range; plans run in address order, so it stays contiguous. */
static void mark_erased(struct session *s, const struct plan_step *st)
{
	if (s->done_length == 0)
		s->done_offset = st->offset;
	s->done_length = st->offset + st->covers - s->done_offset;
}

static int erased_so_far(struct session *s, char *buf, size_t len)
{
	if (s->done_length == 0)
		return snprintf(buf, len, "nothing was erased");
	return snprintf(buf, len, "erased 0x%06" PRIx32 "..0x%06" PRIx32 " only", s->done_offset,
			s->done_offset + s->done_length);
}

static int run_flash_begin(struct session *s, const struct plan_step *st, int timeout_ms,
			   struct rom_reply *reply)
{
	return chip_erase_begin(&s->link, &s->chip, st->offset, st->erase_size, timeout_ms, reply);
}

static int erase_step(struct session *s, const struct plan_step *st, const struct flash_timing *t)
{
	const uint32_t rom_limit = s->chip.desc->rom_default_flash_size;
	int timeout_ms = (int)plan_step_timeout_ms(st, t);
	struct rom_reply reply;
	char done[96];
	int r;

	if (st->kind == PLAN_SPI_SECTOR) {
		r = chip_flash_sector_erase(&s->link, s->chip.desc, st->offset, timeout_ms);
		if (r == ROM_OK)
			return 0;
		erased_so_far(s, done, sizeof(done));
		if (r == ROM_E_FAILED)
			return fail(s, EXIT_ERASE, NULL,
				    "%s: sector erase at 0x%06" PRIx32 " through the SPI registers failed; %s",
				    s->devnode, st->offset, done);
		return link_fail(s, r, "sector erase");
	}
	memset(&reply, 0, sizeof(reply));
	r = run_flash_begin(s, st, timeout_ms, &reply);
	if (r == ROM_E_PROTO) {
		/*
		 * A mangled reply: the ROM answered, so the erase has run.
		 * Erasing again is harmless and gets a reply we can trust.
		 */
		out_debug(s->out, "mangled reply to FLASH_BEGIN; sending it again");
		r = run_flash_begin(s, st, timeout_ms, &reply);
	}
	if (r == ROM_E_FAILED && s->chip.desc->set_params == CHIP_SET_PARAMS_ON_REFUSAL &&
	    !s->chip.params_sent && s->chip.flash_size > rom_limit &&
	    st->offset + st->erase_size > rom_limit) {
		/*
		 * The ROM bounds every erase by its idea of the flash size.  Tell
		 * it the real size (SPI_SET_PARAMS, 0x0B) and try once more.
		 */
		struct rom_reply pr;
		int pr_r;

		out_note(s->out, "the ROM refused a range above %u MiB (%s); setting the flash size to %" PRIu32
			 " MiB and retrying", rom_limit >> 20, rom_error_str(reply.error),
			 s->chip.flash_size >> 20);
		pr_r = chip_set_flash_params(&s->link, &s->chip, s->chip.flash_size, &pr);
		if (pr_r == ROM_E_IO)
			return link_fail(s, pr_r, "setting flash parameters");
		if (pr_r != ROM_OK) {
			erased_so_far(s, done, sizeof(done));
			return fail(s, EXIT_ERASE,
				    "this ROM cannot erase above its default flash size; flash a program "
				    "that erases the rest",
				    "%s: the ROM refused to erase above 0x%06x and did not accept the flash size "
				    "(0x0B %s); %s",
				    s->devnode, rom_limit,
				    pr_r == ROM_E_FAILED ? rom_error_str(pr.error) : "unanswered", done);
		}
		memset(&reply, 0, sizeof(reply));
		r = run_flash_begin(s, st, timeout_ms, &reply);
	}
	if (r == ROM_OK)
		return 0;
	erased_so_far(s, done, sizeof(done));
	if (r == ROM_E_FAILED)
		return fail(s, EXIT_ERASE, NULL,
			    "%s: the ROM refused to erase 0x%06" PRIx32 "..0x%06" PRIx32 ": %s (error 0x%02x); %s",
			    s->devnode, st->offset, st->offset + st->covers, rom_error_str(reply.error),
			    reply.error, done);
	if (r == ROM_E_TIMEOUT)
		return fail(s, EXIT_ERASE, "the flash may be failing; power-cycle the board and retry",
			    "%s: erase of 0x%06" PRIx32 "..0x%06" PRIx32 " did not finish within %d s "
			    "(datasheet worst case); %s",
			    s->devnode, st->offset, st->offset + st->covers, timeout_ms / 1000, done);
	return link_fail(s, r, "erase");
}

static int do_erase(struct session *s, uint32_t offset, uint32_t length)
{
	struct erase_plan plan;
	const struct flash_timing *t = flash_timing_for(s->chip.flash_id);
	struct json_object *f;
	uint64_t start;
	int r;

	if (plan_erase_for(s->chip.desc->erase_model, offset, length, s->chip.flash_size, t, &plan) < 0)
		return fail(s, EXIT_USAGE, "offset and size must be multiples of 4096 inside the flash",
			    "region 0x%06" PRIx32 "+0x%06" PRIx32 " does not fit the %" PRIu32 "-byte flash",
			    offset, length, s->chip.flash_size);
	s->erase_attempted = true;
	f = json_object_new_object();
	json_object_object_add(f, "offset", json_object_new_int64(offset));
	json_object_object_add(f, "length", json_object_new_int64(length));
	json_object_object_add(f, "steps", json_object_new_int((int)plan.nsteps));
	json_object_object_add(f, "sector_erases", json_object_new_int((int)plan.sector_erases));
	json_object_object_add(f, "block_erases", json_object_new_int((int)plan.block_erases));
	json_object_object_add(f, "expected_s", json_object_new_double((double)plan_typ_us(&plan, t) / 1e6));
	json_object_object_add(f, "timeout_s", json_object_new_double((double)plan_max_us(&plan, t) / 1e6));
	out_event(s->out, "erase-plan", f,
		  "Erasing 0x%06" PRIx32 "..0x%06" PRIx32 ": %zu step(s), %" PRIu32 " sector + %" PRIu32
		  " block erases, about %.1f s (%s timing)",
		  offset, offset + length, plan.nsteps, plan.sector_erases, plan.block_erases,
		  (double)plan_typ_us(&plan, t) / 1e6, t->part);
	start = port_now_us();
	s->prog_start_us = start;
	s->prog_total_us = plan_typ_us(&plan, t);
	s->prog_active = true;
	s->port.tick = erase_tick;
	s->port.tick_ctx = s;
	s->port.tick_ms = 100;
	for (size_t i = 0; i < plan.nsteps; i++) {
		r = erase_step(s, &plan.step[i], t);
		if (r) {
			s->prog_active = false;
			s->port.tick = NULL;
			return r;
		}
		mark_erased(s, &plan.step[i]);
		out_debug(s->out, "step %zu/%zu confirmed: 0x%06" PRIx32 "+0x%06" PRIx32, i + 1, plan.nsteps,
			  plan.step[i].offset, plan.step[i].covers);
	}
	s->prog_active = false;
	s->port.tick = NULL;
	/* Only now, with every step acknowledged, is it 100 %. */
	out_progress(s->out, "Erasing", 1000, false, (double)(port_now_us() - start) / 1e6,
		     (double)s->prog_total_us / 1e6);
	out_progress_done(s->out);
	f = json_object_new_object();
	json_object_object_add(f, "offset", json_object_new_int64(s->done_offset));
	json_object_object_add(f, "length", json_object_new_int64(s->done_length));
	json_object_object_add(f, "seconds", json_object_new_double((double)(port_now_us() - start) / 1e6));
	out_event(s->out, "erased", f, "Erased 0x%06" PRIx32 "..0x%06" PRIx32 " in %.1f s (confirmed by the ROM)",
		  s->done_offset, s->done_offset + s->done_length, (double)(port_now_us() - start) / 1e6);
	return 0;
}

/* ---- verify ---- */

static int check_words(struct session *s, uint32_t addr, size_t len)
{
	uint8_t buf[32];
	int r = chip_flash_read(&s->link, s->chip.desc, addr, buf, len);

	if (r != ROM_OK)
		return r == ROM_E_FAILED ? ROM_E_PROTO : r;
	s->verify_words += len / 4;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != 0xFF) {
			s->verify_ok = false;
			s->verify_bad_addr = addr + (uint32_t)i;
			return 1;
		}
	}
	return 0;
}

/* A cheap pseudo-random sequence for extra sample positions (seeded per run, reported). */
static uint32_t xorshift(uint32_t *st)
{
	uint32_t x = *st;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

/* One word in the middle of an erase operation: an ignored one is always caught. */
static int sample_unit(void *ctx, uint32_t offset, uint32_t length)
{
	return check_words(ctx, offset + length / 2, 4);
}

/* SPI READ of words (the ESP8266 ROM has no MD5). 0, 1 = not blank, or a rom_result. */
static int verify_spi_read(struct session *s, uint32_t offset, uint32_t length, bool full,
			   const struct erase_plan *plan, uint64_t start, uint64_t budget)
{
	int r = 0;

	if (full) {
		for (uint32_t a = offset; a < offset + length && r == 0; a += 32) {
			r = check_words(s, a, 32);
			if ((a - offset) % (64 * 1024) == 0) {
				uint64_t el = port_now_us() - start;
				unsigned int pm = (unsigned int)((uint64_t)(a - offset) * 1000u / length);

				out_progress(s->out, "Verifying", pm, false, (double)el / 1e6,
					     pm ? (double)el / 1e6 * 1000.0 / pm : 0.0);
			}
		}
		return r;
	}
	/*
	 * One word inside every erase unit the plan uses: a sector or block
	 * the flash ignored is always caught.  Then random words until the
	 * time budget is spent.
	 */
	for (size_t i = 0; i < plan->nsteps && r == 0; i++)
		r = plan_step_walk(&plan->step[i], sample_unit, s);
	uint32_t seed = (uint32_t)(start ^ (start >> 32)) | 1u;

	while (r == 0 && port_now_us() - start < budget)
		r = check_words(s, offset + ((xorshift(&seed) % (length / 4)) * 4), 4);
	return r;
}

/* MD5 of [addr, addr+len) against that many 0xFF: 0 blank, 1 not, or a rom_result. */
static int md5_check(struct session *s, uint32_t addr, uint32_t len)
{
	uint8_t got[16], want[16];
	int r = chip_flash_md5(&s->link, addr, len, got);

	if (r != ROM_OK)
		return r == ROM_E_FAILED ? ROM_E_PROTO : r;
	blank_md5(len, want);
	return memcmp(got, want, sizeof(got)) != 0;
}

/*
 * [addr, addr+len) is known not to be blank: halve it with further MD5s
 * down to the first sector that is not.  0 with verify_bad_addr set, or a
 * rom_result.
 */
static int md5_bisect(struct session *s, uint32_t addr, uint32_t len)
{
	while (len > FLASH_SECTOR) {
		uint32_t half = (len / FLASH_SECTOR / 2) * FLASH_SECTOR;
		int r = md5_check(s, addr, half);

		if (r < 0)
			return r;
		if (r == 0) {
			addr += half;
			len -= half;
		} else {
			len = half;
		}
	}
	s->verify_bad_addr = addr;
	return 0;
}

/* The family's ROM reaches 16 MiB: the most sectors a sampled MD5 verify tracks. */
#define MD5_SAMPLE_MAX_SECTORS ((16u << 20) / FLASH_SECTOR)

struct md5_sample {
	struct session *s;
	int result;
	uint32_t bad_addr, bad_len;
	/* sectors of the range already checked: none is checked twice */
	uint32_t base, nsect, left;
	uint8_t seen[MD5_SAMPLE_MAX_SECTORS / 8];
};

static bool md5_seen(struct md5_sample *m, uint32_t sector)
{
	uint32_t i = (sector - m->base) / FLASH_SECTOR;
	bool was = m->seen[i / 8] & (1u << (i % 8));

	if (!was) {
		m->seen[i / 8] |= (uint8_t)(1u << (i % 8));
		m->left--;
	}
	return was;
}

/* MD5 of one 4 KiB sector, unless it was checked already. */
static int md5_sector(struct md5_sample *m, uint32_t sector)
{
	int r;

	if (md5_seen(m, sector))
		return 0;
	r = md5_check(m->s, sector, FLASH_SECTOR);
	if (r >= 0)
		m->s->verify_words += FLASH_SECTOR / 4;
	if (r == 1) {
		m->bad_addr = sector;
		m->bad_len = FLASH_SECTOR;
	}
	return r;
}

/* One 4 KiB sector inside every erase unit of the ROM's walk. */
static int md5_unit(void *ctx, uint32_t offset, uint32_t length)
{
	return md5_sector(ctx, offset + (length / FLASH_SECTOR / 2) * FLASH_SECTOR);
}

/* SPI_FLASH_MD5 (the family): one MD5 (--full) or a sector per erase unit and random ones. */
static int verify_md5(struct session *s, uint32_t offset, uint32_t length, bool full,
		      const struct erase_plan *plan, uint64_t start, uint64_t budget)
{
	struct md5_sample m = { .s = s };
	int r = 0;

	if (full) {
		r = md5_check(s, offset, length);
		if (r >= 0)
			s->verify_words += length / 4;
		m.bad_addr = offset;
		m.bad_len = length;
	} else {
		uint32_t seed = (uint32_t)(start ^ (start >> 32)) | 1u;

		m.base = offset;
		m.nsect = m.left = length / FLASH_SECTOR;
		if (m.nsect > MD5_SAMPLE_MAX_SECTORS)
			return ROM_E_PROTO; /* the erase already capped the range at 16 MiB */
		for (size_t i = 0; i < plan->nsteps && r == 0; i++)
			r = plan_step_walk(&plan->step[i], md5_unit, &m);
		/* then sectors not yet checked, from random places, while the budget lasts */
		while (r == 0 && m.left > 0 && port_now_us() - start < budget) {
			uint32_t i = xorshift(&seed) % m.nsect;

			while (m.seen[i / 8] & (1u << (i % 8)))
				i = (i + 1) % m.nsect;
			r = md5_sector(&m, offset + i * FLASH_SECTOR);
		}
	}
	if (r != 1)
		return r;
	s->verify_ok = false;
	r = md5_bisect(s, m.bad_addr, m.bad_len);
	return r < 0 ? r : 1;
}

static int do_verify(struct session *s, uint32_t offset, uint32_t length, bool full)
{
	struct erase_plan plan;
	uint64_t start = port_now_us();
	uint64_t budget = (uint64_t)(s->opt->verify_budget_s * 1e6);
	bool md5 = s->chip.desc->verify == CHIP_VERIFY_MD5;
	struct json_object *f;
	int r;

	s->verify_ran = true;
	s->verify_ok = true;
	s->verify_words = 0;
	s->verify_mode = full ? "full" : "sampled";
	s->verify_method = md5 ? "md5" : "spi-read";
	if (plan_erase_for(s->chip.desc->erase_model, offset, length, s->chip.flash_size,
			   flash_timing_for(s->chip.flash_id), &plan) != 0)
		return fail(s, EXIT_USAGE, NULL, "region does not fit the flash");
	out_event(s->out, "verify", NULL, "Verifying 0x%06" PRIx32 "..0x%06" PRIx32 " is blank (%s, %s)...",
		  offset, offset + length, s->verify_mode, s->verify_method);
	if (md5)
		r = verify_md5(s, offset, length, full, &plan, start, budget);
	else
		r = verify_spi_read(s, offset, length, full, &plan, start, budget);
	out_progress_done(s->out);
	if (r < 0)
		return link_fail(s, r, "verify");
	f = json_object_new_object();
	json_object_object_add(f, "mode", json_object_new_string(s->verify_mode));
	json_object_object_add(f, "method", json_object_new_string(s->verify_method));
	json_object_object_add(f, "bytes_checked", json_object_new_int64((int64_t)s->verify_words * 4));
	json_object_object_add(f, "seconds", json_object_new_double((double)(port_now_us() - start) / 1e6));
	json_object_object_add(f, "blank", json_object_new_boolean(s->verify_ok));
	if (!s->verify_ok) {
		char where[16];

		json_object_object_add(f, "first_bad", json_object_new_string(hex32(where, sizeof(where),
										  s->verify_bad_addr)));
		out_event(s->out, "verified", f, NULL);
		if (md5)
			return fail(s, EXIT_VERIFY, "erase again; if it persists the flash is worn out or write-protected",
				    "%s: flash is not blank: the sector at 0x%06" PRIx32 " (%s md5 check, %lu bytes "
				    "checked)", s->devnode, s->verify_bad_addr, s->verify_mode, s->verify_words * 4);
		return fail(s, EXIT_VERIFY, "erase again; if it persists the flash is worn out",
			    "%s: flash is not blank at 0x%06" PRIx32 " (%s check, %lu bytes read)", s->devnode,
			    s->verify_bad_addr, s->verify_mode, s->verify_words * 4);
	}
	out_event(s->out, "verified", f, "Blank: %s %s check covered %lu bytes (%.3f%% of the range) in %.1f s%s",
		  s->verify_mode, s->verify_method, s->verify_words * 4,
		  100.0 * (double)s->verify_words * 4 / length, (double)(port_now_us() - start) / 1e6,
		  full ? "" : "; --full checks every byte");
	return 0;
}

/* ---- leaving ---- */

static int leave(struct session *s, bool stay)
{
	int r;

	if (stay) {
		out_debug(s->out, "leaving the chip in its ROM loader");
		return 0;
	}
	r = port_hard_reset(&s->port, s->opt->reset == RESET_SYSFS ? RESET_SYSFS : RESET_AUTO);
	if (r == 0) {
		out_event(s->out, "reset", NULL, "Hard reset via %s", reset_method_name(s->port.used));
		return 0;
	}
	if (r == -ENOTTY && s->synced) {
		/*
		 * No lines (a pty, a bare adapter): ask the ROM to run the
		 * application, where the chip's ROM survives that (chip_leave_loader).
		 */
		if (!s->have_chip) {
			out_note(s->out, "could not leave the loader: no reset lines; reset the board by hand");
			return 0;
		}
		r = chip_leave_loader(&s->link, &s->chip, CHIP_REG_TIMEOUT_MS);
		if (r == ROM_OK) {
			out_event(s->out, "reset", NULL, "No reset lines: left the loader with FLASH_END");
			return 0;
		}
		if (r == ROM_E_PROTO && !rom_link_may_send(&s->link, ROM_FLASH_END)) {
			out_note(s->out, "no reset lines: the chip stays in its ROM loader; reset the board by hand");
			return 0;
		}
		if (r == ROM_E_PROTO) {
			out_note(s->out, "no reset lines, and this chip's ROM must not get FLASH_END: "
				 "the chip stays in its ROM loader; reset the board by hand");
			return 0;
		}
		out_note(s->out, "could not leave the loader: no reset lines and FLASH_END was not answered");
		return 0;
	}
	out_note(s->out, "hard reset failed: %s; reset the board by hand", strerror(-r));
	return 0;
}

/* ---- result ---- */

/* Append to buf at *pos; a line that no longer fits is cut, never overrun. */
static void appendf(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

/*
 * The one line per board a lab operator reads: outcome, identity, what the
 * ROM confirmed erased, the blank check, the time.
 */
static void summary_line(struct session *s, int code)
{
	char line[512], mac[24], size[16];
	size_t pos = 0;

	appendf(line, sizeof(line), &pos, "%s: %s", s->devnode[0] ? s->devnode : "-",
		code == EXIT_OK ? "OK" : "FAILED");
	if (code != EXIT_OK)
		appendf(line, sizeof(line), &pos, " (exit %d, %s)", code, exit_code_name(code));
	if (s->have_chip) {
		fmt_mac(s->chip.mac, mac, sizeof(mac));
		fmt_size(s->chip.flash_size, size, sizeof(size));
		if (s->chip.sdm)
			appendf(line, sizeof(line), &pos, ", %s (Secure Download Mode), flash %s%s", s->chip.name,
				s->chip.flash_size ? size : "size unknown",
				s->chip.flash_size_source == FLASH_SIZE_USER ? " (--flash-size)" : "");
		else
			appendf(line, sizeof(line), &pos, ", %s %s, flash 0x%06" PRIx32 " %s", s->chip.name, mac,
				s->chip.flash_id, size);
	}
	if (s->erase_attempted && s->done_length)
		appendf(line, sizeof(line), &pos, ", erased 0x%06" PRIx32 "..0x%06" PRIx32, s->done_offset,
			s->done_offset + s->done_length);
	else if (s->erase_attempted)
		appendf(line, sizeof(line), &pos, ", nothing erased");
	if (s->verify_ran)
		appendf(line, sizeof(line), &pos, ", %s (%s %s check)", s->verify_ok ? "blank" : "NOT blank",
			s->verify_mode, s->verify_method);
	appendf(line, sizeof(line), &pos, ", %.1f s", (double)(port_now_us() - s->t0) / 1e6);
	out_summary(s->out, line);
}

static void emit_result(struct session *s, int code)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "command", json_object_new_string(command_name(s->opt->cmd)));
	json_object_object_add(f, "port", s->devnode[0] ? json_object_new_string(s->devnode) : NULL);
	json_object_object_add(f, "reset_method", json_object_new_string(reset_method_name(s->port.used)));
	if (s->have_chip)
		chip_json(s, f);
	if (s->erase_attempted) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "offset", json_object_new_int64(s->done_offset));
		json_object_object_add(e, "length", json_object_new_int64(s->done_length));
		json_object_object_add(f, "erased", e);
	}
	if (s->verify_ran) {
		struct json_object *v = json_object_new_object();

		json_object_object_add(v, "mode", json_object_new_string(s->verify_mode));
		json_object_object_add(v, "method", json_object_new_string(s->verify_method));
		json_object_object_add(v, "bytes_checked", json_object_new_int64((int64_t)s->verify_words * 4));
		json_object_object_add(v, "blank", json_object_new_boolean(s->verify_ok));
		json_object_object_add(f, "verify", v);
	}
	json_object_object_add(f, "seconds", json_object_new_double((double)(port_now_us() - s->t0) / 1e6));
	json_object_object_add(f, "exit_code", json_object_new_int(code));
	json_object_object_add(f, "exit_name", json_object_new_string(exit_code_name(code)));
	if (code != EXIT_OK)
		json_object_object_add(f, "error", json_object_new_string(s->errmsg));
	out_result(s->out, f);
	summary_line(s, code);
}

/* ---- flash size, security, limits ---- */

/* --flash-size against a size that was read: they must agree. */
static int check_user_flash_size(struct session *s)
{
	uint32_t user = s->opt->flash_size;

	if (user && s->chip.flash_size_source == FLASH_SIZE_JEDEC && s->chip.flash_size != user)
		return fail(s, EXIT_USAGE, "leave --flash-size out (the size was read), or erase less with --region",
			    "%s: --flash-size %" PRIu32 " KiB differs from the %" PRIu32 " KiB the flash reports "
			    "(JEDEC id 0x%06" PRIx32 ")", s->devnode, user >> 10, s->chip.flash_size >> 10,
			    s->chip.flash_id);
	return 0;
}

/* The size erase and verify work with: read, or --flash-size when it cannot be read. */
static int settle_flash_size(struct session *s)
{
	int r = check_user_flash_size(s);

	if (r)
		return r;
	if (s->chip.flash_no_answer)
		return fail(s, EXIT_CHIP, "check the flash's power and wiring (ESP32-P4: its supply), "
			    "and that the board's strapping pins are right",
			    "%s: failed to talk to the flash chip (JEDEC id 0x%06" PRIx32 ")", s->devnode,
			    s->chip.flash_id);
	if (s->chip.flash_size)
		return 0;
	if (s->chip.sdm)
		return fail(s, EXIT_SDM, "give the size: --flash-size 4M (the board's datasheet names it)",
			    "%s: the flash size cannot be read in Secure Download Mode (no register access)",
			    s->devnode);
	return fail(s, EXIT_CHIP, "the flash did not report a known JEDEC capacity; give it with --flash-size",
		    "%s: unknown flash size (JEDEC id 0x%06" PRIx32 ")", s->devnode, s->chip.flash_id);
}

static int check_security(struct session *s)
{
	if (!s->chip.flash_encryption && !s->chip.secure_boot)
		return 0;
	if (s->opt->force) {
		out_note(s->out, "%s: %s%s%s enabled; erasing anyway (--force)", s->devnode,
			 s->chip.flash_encryption ? "flash encryption" : "",
			 s->chip.flash_encryption && s->chip.secure_boot ? " and " : "",
			 s->chip.secure_boot ? "secure boot" : "");
		return 0;
	}
	return fail(s, EXIT_SECURITY,
		    "a wiped chip will only boot images signed and/or encrypted for it (its keys stay in the "
		    "eFuses); --force wipes anyway",
		    "%s: %s%s%s enabled on this %s: erase refused", s->devnode,
		    s->chip.flash_encryption ? "flash encryption" : "",
		    s->chip.flash_encryption && s->chip.secure_boot ? " and " : "",
		    s->chip.secure_boot ? "secure boot" : "", s->chip.model);
}

/* The ROM addresses 24 bits on the family: work on what lies below, and say so at the end. */
static int cap_to_rom_limit(struct session *s, uint32_t *off, uint32_t *len)
{
	uint32_t limit = s->chip.desc->rom_addr_limit;

	if (!limit || (uint64_t)*off + *len <= limit)
		return 0;
	s->partial = true;
	s->addr_limit = limit;
	if (*off >= limit) {
		if (s->opt->cmd == CMD_ERASE)
			s->erase_attempted = true;
		return fail(s, EXIT_PARTIAL, "the ROM loader cannot reach it; a program running on the chip can",
			    "%s: the range from 0x%08" PRIx32 " lies above the %" PRIu32 " MiB the ROM "
			    "addresses: nothing done", s->devnode, *off, limit >> 20);
	}
	out_note(s->out, "%s: the flash has %" PRIu32 " MiB but the ROM addresses only %" PRIu32
		 " MiB: working on 0x%06" PRIx32 "..0x%06" PRIx32 " only", s->devnode, s->chip.flash_size >> 20,
		 limit >> 20, *off, limit);
	*len = limit - *off;
	return 0;
}

static int partial_fail(struct session *s)
{
	return fail(s, EXIT_PARTIAL, "the ROM loader cannot reach the rest; a program running on the chip can",
		    "%s: the flash has %" PRIu32 " MiB, the ROM addresses only the first %" PRIu32 " MiB: "
		    "%s up to 0x%06" PRIx32 " only", s->devnode, s->chip.flash_size >> 20, s->addr_limit >> 20,
		    s->opt->cmd == CMD_ERASE ? "erased" : "checked", s->addr_limit);
}

static int prepare_flash(struct session *s)
{
	struct rom_reply reply;
	int r;

	memset(&reply, 0, sizeof(reply));
	r = chip_prepare_flash(&s->link, &s->chip, s->chip.flash_size, &reply);
	if (r == ROM_OK)
		return 0;
	if (r == ROM_E_FAILED)
		return fail(s, EXIT_ERASE, NULL,
			    "%s: the ROM refused to set up the flash (%s 0x%02x: %s); nothing was erased",
			    s->devnode, !s->chip.attached ? "attach" : "SPI_SET_PARAMS",
			    reply.error, rom_error_str(reply.error));
	return link_fail(s, r, "setting up the flash");
}

static int run_command(struct session *s)
{
	const struct op_options *o = s->opt;
	uint32_t off = 0, len;
	int r;

	if ((r = choose_port(s)))
		return r;
	/*
	 * The socket's identity now, while the device exists: after an unplug
	 * the failure record still has to say which socket it was.
	 */
	if (o->props) {
		s->props = *o->props;
		s->have_props = true;
	} else {
		s->have_props = devprops_lookup(s->devnode, &s->props) == 0;
	}
	if ((r = open_port(s)))
		return r;
	/* a link whose lines cannot reset the chip (ESP32-S2 USB-OTG) goes the no-lines way */
	if (o->cmd == CMD_RESET && s->port.has_lines && (!s->port.link || s->port.link->reset_seq)) {
		r = port_hard_reset(&s->port, o->reset == RESET_SYSFS ? RESET_SYSFS : RESET_AUTO);
		if (r < 0)
			return fail(s, r == -ENODEV ? EXIT_IO : EXIT_PORT, NULL, "%s: hard reset failed: %s",
				    s->devnode, strerror(-r));
		out_event(s->out, "reset", NULL, "Hard reset via %s", reset_method_name(s->port.used));
		return 0;
	}
	if ((r = do_connect(s)))
		return r;
	if (o->cmd == CMD_RESET)
		return leave(s, false);
	if ((r = identify(s)))
		return r;
	switch (o->cmd) {
	case CMD_ERASE:
	case CMD_VERIFY:
		break;
	case CMD_INFO:
		if ((r = check_user_flash_size(s)))
			return r;
		return leave(s, o->after == AFTER_STAY);
	case CMD_BOOTLOADER:
		out_event(s->out, "loader", NULL, "The chip is in its ROM loader");
		return 0;
	default:
		return leave(s, o->after == AFTER_STAY);
	}
	if (o->cmd == CMD_VERIFY && s->chip.sdm)
		return fail(s, EXIT_SDM, "a chip in Secure Download Mode cannot be checked; erase it with --flash-size",
			    "%s: verify is impossible in Secure Download Mode: the ROM refuses SPI_FLASH_MD5 and "
			    "register reads", s->devnode);
	if ((r = settle_flash_size(s)))
		return r;
	len = s->chip.flash_size;
	if (o->region) {
		off = o->region_offset;
		len = o->region_length;
		if ((uint64_t)off + len > s->chip.flash_size)
			return fail(s, EXIT_USAGE, NULL,
				    "region 0x%06" PRIx32 "+0x%06" PRIx32 " is outside the %" PRIu32 "-byte flash",
				    off, len, s->chip.flash_size);
	}
	if (o->cmd == CMD_ERASE && (r = check_security(s)))
		return r;
	if ((r = cap_to_rom_limit(s, &off, &len)))
		return r;
	if ((r = prepare_flash(s)))
		return r;
	switch (o->cmd) {
	case CMD_ERASE:
		if ((r = do_erase(s, off, len)))
			return r;
		if (o->verify && s->chip.sdm)
			return fail(s, EXIT_SDM, "the erase above is what the ROM confirmed; it cannot be checked",
				    "%s: erased, but verify is impossible in Secure Download Mode: the ROM refuses "
				    "SPI_FLASH_MD5 and register reads", s->devnode);
		if (o->verify && (r = do_verify(s, off, len, o->full)))
			return r;
		break;
	case CMD_VERIFY:
		if ((r = do_verify(s, off, len, o->full)))
			return r;
		break;
	default:
		break;
	}
	if (s->partial)
		return partial_fail(s);
	return leave(s, o->after == AFTER_STAY);
}

/* Every erase, manual or automatic, leaves a record in the journal. */
static void record_wipe(struct session *s, int code)
{
	struct wipe_record r = {
		.command = s->opt->autowipe ? "autowipe" : "erase",
		.port = s->devnode,
		/* the port never opened: no reset was tried */
		.reset = s->port_open ? reset_method_name(s->port.used) : NULL,
		.have_chip = s->have_chip,
		.chip = s->have_chip ? s->chip.name : NULL,
		.verify_method = s->verify_ran ? s->verify_method : NULL,
		.flash_id = s->chip.flash_id,
		.flash_size = s->chip.flash_size,
		.erase_attempted = s->erase_attempted,
		.erased_offset = s->done_offset,
		.erased_length = s->done_length,
		.exit_code = code,
		.seconds = (double)(port_now_us() - s->t0) / 1e6,
		.error = code ? s->errmsg : NULL,
	};
	struct journal_fields *f = malloc(sizeof(*f));
	int rc;

	if (!f)
		return;
	if (s->have_props)
		r.id_path = s->props.id_path;
	memcpy(r.mac, s->chip.mac, sizeof(r.mac));
	journal_build(&r, f);
	rc = journal_send(f);
	if (rc < 0)
		out_debug(s->out, "no journal record written: %s", strerror(-rc));
	free(f);
}

int ops_run(const struct op_options *opt, struct output *out)
{
	struct session *s = calloc(1, sizeof(*s));
	int code;

	if (!s) {
		out_error(out, EXIT_INTERNAL, "out of memory", NULL);
		return EXIT_INTERNAL;
	}
	s->opt = opt;
	s->out = out;
	s->port.fd = -1;
	s->t0 = port_now_us();
	code = run_command(s);
	emit_result(s, code);
	if (opt->cmd == CMD_ERASE)
		record_wipe(s, code);
	if (s->port_open)
		port_close(&s->port);
	free(s);
	return code;
}
