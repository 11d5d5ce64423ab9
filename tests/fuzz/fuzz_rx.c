// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target "rx": the input is everything the chip sends.
 *
 * 1. The SLIP decoder and rom_parse_reply() see the bytes directly: every
 *    frame fits its buffer, a parsed reply's lengths agree with the frame,
 *    and a parsed reply re-encoded with slip_encode() decodes to the same body;
 *    the status is located at every plausible payload length (2- and 4-byte
 *    trailers) and the security-info decoder runs over every prefix.
 * 2. The protocol layers run over a transport that plays the input back in
 *    chunks (the first byte of a chunk sets its size) on a fake clock:
 *    connect_rom, chip_detect and chip_identify (whichever chip the bytes
 *    make it), an ESP8266 sector erase, a flash read, a FLASH_BEGIN and
 *    an MD5 as the ESP32 family sends them.  Each must return one of the documented results, connect
 *    must keep to its SYNC budget, and the whole session must end within a
 *    bound derived from the timeouts (no endless wait on a chatty chip).
 * Derived from tests/unit/fuzz/fuzz_rx.c, whose SYNC budget predates the
 * two-frame first round of connect.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chip.h"
#include "connect.h"
#include "rom.h"
#include "slip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct replay {
	const uint8_t *data;
	size_t len, pos;
	uint64_t now;
	unsigned long writes;
};

static void check(bool cond)
{
	if (!cond)
		abort();
}

static int replay_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct replay *r = ctx;

	check(buf != NULL && len > 0 && len <= SLIP_ENCODED_MAX(ROM_MAX_DATA + 8));
	r->writes++;
	r->now += 100 + len * 87;  /* the bytes take their time on the wire */
	return 0;
}

static ssize_t replay_read(void *ctx, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct replay *r = ctx;
	size_t n;

	check(cap > 0 && timeout_ms >= 0);
	if (r->pos >= r->len) {
		r->now += (uint64_t)timeout_ms * 1000u;
		return 0;
	}
	n = 1 + r->data[r->pos] % 48;
	if (n > cap)
		n = cap;
	if (n > r->len - r->pos)
		n = r->len - r->pos;
	memcpy(buf, r->data + r->pos, n);
	r->pos += n;
	r->now += 300;
	return (ssize_t)n;
}

static int replay_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

static uint64_t replay_now(void *ctx)
{
	return ((struct replay *)ctx)->now;
}

static const struct transport_ops replay_ops = {
	replay_write, replay_read, replay_flush, replay_now,
};

static void check_result(int rc)
{
	/* ROM_E_UNSUPPORTED only ever comes from the detection probes */
	check(rc == ROM_OK || rc == ROM_E_FAILED || rc == ROM_E_TIMEOUT || rc == ROM_E_IO ||
	      rc == ROM_E_PROTO);
}

static void direct(const uint8_t *data, size_t size)
{
	struct slip_decoder dec, again;
	struct rom_reply reply;
	uint8_t enc[SLIP_ENCODED_MAX(sizeof(dec.buf))];

	slip_decoder_init(&dec);
	for (size_t i = 0; i < size; i++) {
		if (slip_feed(&dec, data[i]) != SLIP_FRAME)
			continue;
		check(dec.len > 0 && dec.len <= sizeof(dec.buf));
		if (!rom_parse_reply(dec.buf, dec.len, &reply))
			continue;
		check(reply.data_len + 8 == dec.len && reply.data_len <= sizeof(reply.data));
		for (size_t want = 0; want <= 36; want++) {
			struct rom_reply r2 = reply;

			if (!rom_reply_locate_status(&r2, want))
				continue;
			check(r2.status_len == 2 || r2.status_len == 4);
			check(r2.payload_len + r2.status_len <= r2.data_len);
			check(r2.status == r2.data[r2.payload_len] &&
			      r2.error == r2.data[r2.payload_len + 1]);
		}

		/* the security-info parser over whatever payload the frame carries */
		for (size_t want = 0; want <= reply.data_len && want <= 24; want++) {
			struct security_info si;
			bool ok = chip_decode_security_info(reply.data, want, &si);

			check(ok == (want == 12 || want == 20));
			if (ok) {
				check(si.len == want && si.has_chip_id == (want == 20));
				check(si.flash_crypt_cnt == reply.data[4]);
			}
		}

		size_t n = slip_encode(dec.buf, dec.len, enc, sizeof(enc));
		enum slip_event ev = SLIP_NONE;

		check(n >= dec.len + 2);
		slip_decoder_init(&again);
		for (size_t k = 0; k < n; k++)
			ev = slip_feed(&again, enc[k]);
		check(ev == SLIP_FRAME && again.len == dec.len &&
		      memcmp(again.buf, dec.buf, dec.len) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay rp = { data, size, 0, 1000000, 0 };
	struct transport tr = { &replay_ops, &rp, NULL, NULL };
	struct rom_link link;
	struct connect_params p = { 1, 2, 100, 20 };
	struct connect_result res;
	struct chip_detection det;
	struct chip_info info;
	struct rom_reply reply;
	uint8_t buf[32], md5[16];
	uint32_t v;
	int rc;

	direct(data, size);

	rom_link_init(&link, &tr);
	rc = connect_rom(&link, NULL, &p, &res);
	check_result(rc);
	/* the first round of an attempt sends two frames, later rounds one */
	check(res.syncs_sent <= p.attempts * (p.sync_rounds + 1));
	check(res.replies >= 0 && (rc != ROM_OK || res.replies >= 1));
	rc = chip_detect(&link, &det);
	check(rc == CHIP_E_UNKNOWN || rc == ROM_E_UNSUPPORTED || rc == ROM_OK ||
	      rc == ROM_E_FAILED || rc == ROM_E_TIMEOUT || rc == ROM_E_IO || rc == ROM_E_PROTO);
	if (rc == ROM_OK) {
		check(det.desc != NULL);
		/* the ESP8266 and ESP32 are never sent GET_SECURITY_INFO */
		check(det.desc->secinfo_len != 0 || det.secinfo_result == 1);
		rc = chip_identify(&link, 115200, &det, &info);
		if (rc == ROM_OK && info.crystal_mhz)
			check(info.crystal_mhz == 26 || info.crystal_mhz == 40);
		else if (rc != ROM_OK)
			check_result(rc);
	}
	/* whatever was detected, the ESP8266 and family paths over the rest of the input */
	{
		const struct chip_desc *e8266 = chip_by_name("ESP8266");
		const struct chip_desc *c3 = chip_by_name("ESP32-C3");
		struct chip_info fam = { .desc = c3 };

		rom_link_set_ops(&link, e8266->rom_ops);
		check_result(chip_flash_jedec(&link, e8266, &v));
		check_result(chip_flash_read(&link, e8266, 0x1000, buf, sizeof(buf)));
		check_result(chip_flash_sector_erase(&link, e8266, 0x3000, 400));
		check_result(rom_flash_begin(&link, 0x1000, 0, 0x400, 0, 500, &reply));
		rom_link_set_ops(&link, c3->rom_ops);
		check_result(chip_flash_jedec(&link, c3, &v));
		check_result(chip_prepare_flash(&link, &fam, 4u << 20, &reply));
		check_result(chip_erase_begin(&link, &fam, 0, 0x10000, 500, &reply));
		check_result(chip_flash_md5(&link, 0, 0x1000, md5));
	}
	/*
	 * Bound: every wait above has a deadline on this clock.  A generous
	 * ceiling (the sum of all their timeouts with retries is far below it)
	 * still catches a loop that keeps waiting while bytes trickle in.
	 */
	check(rp.now - 1000000 < 600ull * 1000000);
	return 0;
}
