/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the fuzz input is everything "the chip" sends.  It runs
 * the SLIP decoder and reply parser over it directly, then connect, a few
 * register and SPI commands and a FLASH_BEGIN over a transport that plays
 * the input back in small chunks on a fake clock.  Any crash, sanitizer
 * report or out-of-contract result is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chip.h"
#include "connect.h"
#include "rom.h"
#include "slip.h"

struct replay {
	const uint8_t *data;
	size_t len, pos;
	uint64_t now;
};

static int replay_write(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

static ssize_t replay_read(void *ctx, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct replay *r = ctx;
	size_t n;

	if (r->pos >= r->len) {
		r->now += (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;
		return 0;
	}
	/* the first byte of each chunk chooses the chunk's size */
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
	if (rc != ROM_OK && rc != ROM_E_FAILED && rc != ROM_E_TIMEOUT && rc != ROM_E_IO &&
	    rc != ROM_E_PROTO)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slip_decoder dec;
	struct rom_reply reply;
	struct replay rp = { data, size, 0, 1000000 };
	struct transport tr = { &replay_ops, &rp, NULL, NULL };
	struct rom_link link;
	struct connect_params p = { 1, 2, 100, 20 };
	struct connect_result res;
	uint32_t v;

	slip_decoder_init(&dec);
	for (size_t i = 0; i < size; i++) {
		if (slip_feed(&dec, data[i]) == SLIP_FRAME) {
			if (dec.len == 0 || dec.len > sizeof(dec.buf))
				abort();
			if (rom_parse_reply(dec.buf, dec.len, &reply) &&
			    (reply.data_len + 10 != dec.len || reply.data_len > sizeof(reply.data)))
				abort();
		}
	}

	rom_link_init(&link, &tr);
	check_result(connect_rom(&link, NULL, &p, &res));
	if (res.replies < 0 || res.syncs_sent > 2)
		abort();
	check_result(chip_read_magic(&link, &v));
	check_result(chip_flash_jedec(&link, &v));
	check_result(rom_flash_begin(&link, 0x1000, 0, 0x400, 0, 500, &reply));
	return 0;
}
