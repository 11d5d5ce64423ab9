/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SLIP framing: encoder bytes, decoder events, garbage, errors, resync. */
#include <string.h>

#include "slip.h"
#include "unit.h"

/* Feed bytes; collect frames (concatenated with their lengths) and errors. */
struct feed_result {
	int frames, errors;
	size_t len[16];
	uint8_t body[16][1100];
};

static void feed_all(struct slip_decoder *d, const uint8_t *b, size_t n, struct feed_result *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		enum slip_event ev = slip_feed(d, b[i]);

		if (ev == SLIP_FRAME) {
			assert_true(r->frames < 16);
			memcpy(r->body[r->frames], d->buf, d->len);
			r->len[r->frames++] = d->len;
		} else if (ev == SLIP_ERROR) {
			r->errors++;
		}
	}
}

static void encode_escapes(void **state)
{
	(void)state;
	const uint8_t body[] = { 0x01, 0xC0, 0x02, 0xDB, 0xDC, 0xDD };
	const uint8_t want[] = { 0xC0, 0x01, 0xDB, 0xDC, 0x02, 0xDB, 0xDD, 0xDC, 0xDD, 0xC0 };
	uint8_t out[32];

	assert_int_equal(slip_encode(body, sizeof(body), out, sizeof(out)), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
}

static void encode_capacity(void **state)
{
	(void)state;
	const uint8_t body[] = { 0xC0, 0xC0 };
	uint8_t out[SLIP_ENCODED_MAX(2)];

	/* worst case: every byte escaped */
	assert_int_equal(slip_encode(body, 2, out, sizeof(out)), 6);
	assert_int_equal(slip_encode(body, 2, out, 5), 0);
	assert_int_equal(slip_encode(body, 0, out, 2), 2);
	assert_int_equal(slip_encode(body, 0, out, 1), 0);
}

static void roundtrip_all_bytes(void **state)
{
	(void)state;
	uint8_t body[256], wire[SLIP_ENCODED_MAX(256)];
	struct slip_decoder d;
	struct feed_result r;
	size_t n;

	for (int i = 0; i < 256; i++)
		body[i] = (uint8_t)i;
	n = slip_encode(body, 256, wire, sizeof(wire));
	assert_int_equal(n, 256 + 2 + 2);
	slip_decoder_init(&d);
	feed_all(&d, wire, n, &r);
	assert_int_equal(r.frames, 1);
	assert_int_equal(r.len[0], 256);
	assert_memory_equal(r.body[0], body, 256);
	assert_int_equal(d.garbage, 0);
	assert_int_equal(d.errors, 0);
}

static void back_to_back(void **state)
{
	(void)state;
	const uint8_t wire[] = { 0xC0, 0x01, 0x08, 0xC0, 0xC0, 0x01, 0x0A, 0xC0,
				 0xC0, 0xC0, 0xC0, 0x05, 0xC0 };
	struct slip_decoder d;
	struct feed_result r;

	slip_decoder_init(&d);
	feed_all(&d, wire, sizeof(wire), &r);
	assert_int_equal(r.frames, 3);
	assert_int_equal(r.len[0], 2);
	assert_int_equal(r.body[0][1], 0x08);
	assert_int_equal(r.body[1][1], 0x0A);
	assert_int_equal(r.len[2], 1);
	assert_int_equal(r.body[2][0], 0x05);
	assert_int_equal(d.garbage, 0);
	assert_int_equal(r.errors, 0);
}

static void garbage_counted(void **state)
{
	(void)state;
	const char banner[] = "ets Jan  8 2013,rst cause:2, boot mode:(1,6)\r\n";
	uint8_t wire[128];
	size_t n = strlen(banner);
	struct slip_decoder d;
	struct feed_result r;

	memcpy(wire, banner, n);
	wire[n++] = 0xC0;
	wire[n++] = 0x11;
	wire[n++] = 0xC0;
	wire[n++] = 'x';
	wire[n++] = 'y';
	slip_decoder_init(&d);
	feed_all(&d, wire, n, &r);
	assert_int_equal(r.frames, 1);
	assert_int_equal(r.body[0][0], 0x11);
	assert_int_equal(d.garbage, strlen(banner) + 2);
}

static void bad_escape_resyncs(void **state)
{
	(void)state;
	/* frame with DB 41, then a good frame */
	const uint8_t wire[] = { 0xC0, 0x01, 0xDB, 0x41, 0x02, 0xC0, 0xC0, 0x07, 0xDB, 0xDC, 0xC0 };
	struct slip_decoder d;
	struct feed_result r;

	slip_decoder_init(&d);
	feed_all(&d, wire, sizeof(wire), &r);
	assert_int_equal(r.errors, 1);
	assert_int_equal(d.errors, 1);
	assert_int_equal(r.frames, 1);
	assert_int_equal(r.len[0], 2);
	assert_int_equal(r.body[0][0], 0x07);
	assert_int_equal(r.body[0][1], 0xC0);
	/* the remnant (02) of the broken frame was noise */
	assert_int_equal(d.garbage, 1);
}

static void bad_escape_at_end(void **state)
{
	(void)state;
	/* DB C0: the C0 closes the broken frame; the next one is decoded */
	const uint8_t wire[] = { 0xC0, 0x01, 0xDB, 0xC0, 0xC0, 0x09, 0xC0 };
	struct slip_decoder d;
	struct feed_result r;

	slip_decoder_init(&d);
	feed_all(&d, wire, sizeof(wire), &r);
	assert_int_equal(r.errors, 1);
	assert_int_equal(r.frames, 1);
	assert_int_equal(r.body[0][0], 0x09);
	assert_int_equal(d.garbage, 0);
}

static void oversize_dropped(void **state)
{
	(void)state;
	struct slip_decoder d;
	int errors = 0, frames = 0;

	slip_decoder_init(&d);
	slip_feed(&d, 0xC0);
	for (size_t i = 0; i < sizeof(d.buf) + 10; i++) {
		enum slip_event ev = slip_feed(&d, 0x55);

		errors += ev == SLIP_ERROR;
		frames += ev == SLIP_FRAME;
	}
	assert_int_equal(errors, 1);
	/* the rest of the long frame is skipped; its closing C0 then the next frame */
	assert_int_equal(slip_feed(&d, 0xC0), SLIP_NONE);
	assert_int_equal(slip_feed(&d, 0xC0), SLIP_NONE);
	assert_int_equal(slip_feed(&d, 0x42), SLIP_NONE);
	assert_int_equal(slip_feed(&d, 0xC0), SLIP_FRAME);
	assert_int_equal(d.len, 1);
	assert_int_equal(d.buf[0], 0x42);
	assert_int_equal(frames, 0);
	assert_int_equal(d.errors, 1);
}

static void exact_capacity_fits(void **state)
{
	(void)state;
	struct slip_decoder d;

	slip_decoder_init(&d);
	slip_feed(&d, 0xC0);
	for (size_t i = 0; i < sizeof(d.buf); i++)
		assert_int_equal(slip_feed(&d, 0x11), SLIP_NONE);
	assert_int_equal(slip_feed(&d, 0xC0), SLIP_FRAME);
	assert_int_equal(d.len, sizeof(d.buf));
	assert_int_equal(d.errors, 0);
}

static void resync_keeps_counters(void **state)
{
	(void)state;
	struct slip_decoder d;

	slip_decoder_init(&d);
	slip_feed(&d, 'a');
	slip_feed(&d, 0xC0);
	slip_feed(&d, 0x01);
	slip_decoder_resync(&d);
	assert_int_equal(d.garbage, 1);
	assert_int_equal(d.len, 0);
	/* after resync a lone body byte is garbage, not frame content */
	slip_feed(&d, 0x02);
	assert_int_equal(d.garbage, 2);
}

int unit_slip_tests(int *total)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode_escapes),
		cmocka_unit_test(encode_capacity),
		cmocka_unit_test(roundtrip_all_bytes),
		cmocka_unit_test(back_to_back),
		cmocka_unit_test(garbage_counted),
		cmocka_unit_test(bad_escape_resyncs),
		cmocka_unit_test(bad_escape_at_end),
		cmocka_unit_test(oversize_dropped),
		cmocka_unit_test(exact_capacity_fits),
		cmocka_unit_test(resync_keeps_counters),
	};

	return UNIT_RUN_GROUP("slip", tests, total);
}
