/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ROM packets, checksum, reply parsing and matching, SYNC. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chips.h"
#include "fake_rom.h"
#include "fake_transport.h"
#include "rom.h"
#include "unit.h"

struct rom_fixture {
	struct fake_tr *f;
	struct rom_link link;
};

static int setup(void **state)
{
	struct rom_fixture *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	x->f = fake_new();
	rom_link_init(&x->link, &x->f->tr);
	/* the ESP8266 ROM's opcodes, as after its detection */
	rom_link_set_ops(&x->link, chip_by_name("ESP8266")->rom_ops);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct rom_fixture *x = *state;

	fake_free(x->f);
	free(x);
	return 0;
}

static void checksum_values(void **state)
{
	(void)state;
	const uint8_t a[] = { 0x00, 0xFF };
	const uint8_t b[] = { 0xEF };
	uint8_t block[1024];

	assert_int_equal(rom_checksum(NULL, 0), 0xEF);
	assert_int_equal(rom_checksum(a, 2), 0x10);
	assert_int_equal(rom_checksum(b, 1), 0x00);
	/* a block of FF (the padding esptool uses) has an even count: seed stays */
	memset(block, 0xFF, sizeof(block));
	assert_int_equal(rom_checksum(block, sizeof(block)), 0xEF);
	block[7] = 0x12;
	assert_int_equal(rom_checksum(block, sizeof(block)), 0xEF ^ 0xFF ^ 0x12);
}

static void sync_request_bytes(void **state)
{
	struct rom_fixture *x = *state;
	uint8_t want[2 + 44];
	int replies = -1;

	want[0] = 0xC0;
	const uint8_t hdr[] = { 0x00, 0x08, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00,
				0x07, 0x07, 0x12, 0x20 };
	memcpy(want + 1, hdr, sizeof(hdr));
	memset(want + 1 + sizeof(hdr), 0x55, 32);
	want[45] = 0xC0;
	assert_int_equal(rom_sync(&x->link, 100, 20, &replies), ROM_E_TIMEOUT);
	assert_int_equal(replies, 0);
	assert_int_equal(x->f->tx_len, sizeof(want));
	assert_memory_equal(x->f->tx, want, sizeof(want));
}

static void read_reg_request_bytes(void **state)
{
	struct rom_fixture *x = *state;
	const uint8_t want[] = { 0xC0, 0x00, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
				 0x00, 0x10, 0x00, 0x40, 0xC0 };
	uint32_t v = 0;

	fake_queue_reply(x->f, x->f->now_us + 2000, ROM_READ_REG, 0xFFF0C101, 0, 0);
	assert_int_equal(rom_read_reg(&x->link, 0x40001000, &v, 100), ROM_OK);
	assert_int_equal(v, 0xFFF0C101);
	assert_int_equal(x->f->tx_len, sizeof(want));
	assert_memory_equal(x->f->tx, want, sizeof(want));
}

static void write_reg_request_escaped(void **state)
{
	struct rom_fixture *x = *state;
	/* value 0x0000DBC0 must be escaped on the wire, not in the length */
	const uint8_t want[] = { 0xC0, 0x00, 0x09, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
				 0x24, 0x02, 0x00, 0x60, /* addr 0x60000224 */
				 0xDB, 0xDC, 0xDB, 0xDD, 0x00, 0x00, /* value */
				 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xC0 };

	fake_queue_reply(x->f, x->f->now_us + 2000, ROM_WRITE_REG, 0x20120707, 0, 0);
	assert_int_equal(rom_write_reg(&x->link, 0x60000224, 0xDBC0, 100), ROM_OK);
	assert_int_equal(x->f->tx_len, sizeof(want));
	assert_memory_equal(x->f->tx, want, sizeof(want));
}

static void flash_begin_layout(void **state)
{
	struct rom_fixture *x = *state;
	const uint8_t want[] = { 0x00, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
				 0x00, 0x00, 0x3F, 0x00,  /* erase_size 0x3F0000 */
				 0x00, 0x00, 0x00, 0x00,  /* num_blocks 0 */
				 0x00, 0x04, 0x00, 0x00,  /* block_size 0x400 */
				 0x00, 0x00, 0x00, 0x00 }; /* offset 0 */
	struct rom_reply r;

	fake_queue_reply(x->f, x->f->now_us + 11000000, ROM_FLASH_BEGIN, 0, 0, 0);
	assert_int_equal(rom_flash_begin(&x->link, 0x3F0000, 0, 0x400, 0, 20000, &r), ROM_OK);
	assert_int_equal(x->f->nframes, 1);
	assert_int_equal(x->f->frames[0].len, sizeof(want));
	assert_memory_equal(x->f->frames[0].body, want, sizeof(want));
}

static void other_requests_layout(void **state)
{
	struct rom_fixture *x = *state;
	const uint8_t end[] = { 0x00, 0x04, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0, 0, 0 };
	const uint8_t spp[] = { 0x00, 0x0B, 0x18, 0x00, 0, 0, 0, 0,
				0xEF, 0x40, 0x17, 0x00, 0x00, 0x00, 0x80, 0x00,
				0x00, 0x00, 0x01, 0x00, 0x00, 0x10, 0x00, 0x00,
				0x00, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00 };

	fake_queue_reply(x->f, x->f->now_us + 1000, ROM_FLASH_END, 0, 0, 0);
	assert_int_equal(rom_flash_end(&x->link, true, 100), ROM_OK);
	fake_queue_reply(x->f, x->f->now_us + 1000, ROM_SPI_SET_PARAMS, 0, 0, 0);
	assert_int_equal(rom_spi_set_params(&x->link, 0x1740EF, 8u << 20, 100, NULL), ROM_OK);
	assert_int_equal(x->f->nframes, 2);
	assert_int_equal(x->f->frames[0].len, sizeof(end));
	assert_memory_equal(x->f->frames[0].body, end, sizeof(end));
	assert_int_equal(x->f->frames[1].len, sizeof(spp));
	assert_memory_equal(x->f->frames[1].body, spp, sizeof(spp));
}

static void build_request_limits(void **state)
{
	(void)state;
	uint8_t out[16], data[9] = { 0 };

	assert_int_equal(rom_build_request(ROM_READ_REG, data, 8, 0x1234, out, 16), 16);
	assert_int_equal(out[4], 0x34);
	assert_int_equal(out[5], 0x12);
	assert_int_equal(rom_build_request(ROM_READ_REG, data, 9, 0, out, 16), 0);
	assert_int_equal(rom_build_request(ROM_READ_REG, NULL, 0, 0, out, 7), 0);
	assert_int_equal(rom_build_request(ROM_READ_REG, NULL, 0, 0, out, 8), 8);
}

static void parse_reply_cases(void **state)
{
	(void)state;
	const uint8_t ok[] = { 0x01, 0x0A, 0x02, 0x00, 0xC4, 0x01, 0x00, 0x00, 0x00, 0x00 };
	const uint8_t fail[] = { 0x01, 0x03, 0x02, 0x00, 0x07, 0x07, 0x12, 0x20, 0x01, 0x07 };
	const uint8_t data4[] = { 0x01, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0xAA, 0xBB, 0x00, 0x00 };
	const uint8_t fam_fail[] = { 0x01, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0x06, 0x00, 0x00 };
	struct rom_reply r;
	uint8_t bad[sizeof(ok)];

	assert_true(rom_parse_reply(ok, sizeof(ok), &r));
	assert_int_equal(r.op, 0x0A);
	assert_int_equal(r.value, 0x1C4);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.data_len, 2); /* the data field: just the status */
	assert_int_equal(r.payload_len, 0);
	assert_int_equal(r.status_len, 2);

	assert_true(rom_parse_reply(fail, sizeof(fail), &r));
	assert_int_equal(r.status, 1);
	assert_int_equal(r.error, 7);
	assert_int_equal(r.value, 0x20120707);

	/*
	 * The status sits right after the payload the caller expects: AA BB
	 * then 2 status bytes for a 2-byte payload; the 4-byte status form of
	 * the family for a command without payload.
	 */
	assert_true(rom_parse_reply(data4, sizeof(data4), &r));
	assert_int_equal(r.data_len, 4);
	assert_true(rom_reply_locate_status(&r, 2));
	assert_int_equal(r.payload_len, 2);
	assert_int_equal(r.status_len, 2);
	assert_int_equal(r.data[0], 0xAA);
	assert_int_equal(r.data[1], 0xBB);
	assert_int_equal(r.status, 0);
	assert_true(rom_reply_locate_status(&r, 0));
	assert_int_equal(r.status_len, 4);
	assert_int_equal(r.status, 0xAA);
	assert_int_equal(r.error, 0xBB);
	/* too short for a 20-byte payload: a bare status, failed since its first byte is not 0 */
	assert_true(rom_reply_locate_status(&r, 20));
	assert_int_equal(r.payload_len, 0);
	assert_int_equal(r.status, 0xAA);
	/* an error status in the 4-byte form is a failure, never hidden by the reserved 00 00 */
	assert_true(rom_parse_reply(fam_fail, sizeof(fam_fail), &r));
	assert_int_equal(r.status, 1);
	assert_int_equal(r.error, 6);
	/* ... also when the command expected a payload the ROM did not send */
	assert_true(rom_reply_locate_status(&r, 32));
	assert_int_equal(r.status, 1);
	assert_int_equal(r.payload_len, 0);
	/* 2 status bytes after 32 bytes, 4 after 32, nothing else */
	{
		uint8_t md5[8 + 36] = { 0x01, 0x13, 36, 0 };

		assert_true(rom_parse_reply(md5, sizeof(md5), &r));
		assert_true(rom_reply_locate_status(&r, 32));
		assert_int_equal(r.status_len, 4);
		assert_true(rom_reply_locate_status(&r, 34));
		assert_int_equal(r.status_len, 2);
		assert_false(rom_reply_locate_status(&r, 31));
		assert_false(rom_reply_locate_status(&r, 12));
	}

	memcpy(bad, ok, sizeof(ok));
	bad[0] = 0x00; /* a request, not a reply */
	assert_false(rom_parse_reply(bad, sizeof(bad), &r));
	memcpy(bad, ok, sizeof(ok));
	bad[2] = 0x03; /* length field disagrees */
	assert_false(rom_parse_reply(bad, sizeof(bad), &r));
	assert_false(rom_parse_reply(ok, sizeof(ok) - 1, &r));
	/* one status byte is not enough */
	const uint8_t one[] = { 0x01, 0x0A, 0x01, 0x00, 0, 0, 0, 0, 0x00 };
	assert_false(rom_parse_reply(one, sizeof(one), &r));
	const uint8_t none[] = { 0x01, 0x0A, 0x00, 0x00, 0, 0, 0, 0 };
	assert_false(rom_parse_reply(none, sizeof(none), &r));
	assert_false(rom_parse_reply(ok, 0, &r));
}

static void parse_reply_random_never_overflows(void **state)
{
	(void)state;
	uint8_t buf[1100];
	uint32_t seed = 12345;
	struct rom_reply r;

	/* lengths around the data[] capacity and random contents, under ASan */
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(i % 90);

		for (size_t j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			buf[j] = (uint8_t)(seed >> 16);
		}
		if (len >= 4 && i % 3 == 0) {
			buf[0] = 1;
			buf[2] = (uint8_t)(len - 8);
			buf[3] = 0;
		}
		if (rom_parse_reply(buf, len, &r)) {
			assert_true(len >= 10);
			assert_int_equal(r.data_len + 8, len);
			assert_true(r.data_len <= sizeof(r.data));
		}
	}
	/* a well-formed reply with more data than data[] holds is refused */
	memset(buf, 0, sizeof(buf));
	buf[0] = 1;
	buf[2] = 65;
	assert_false(rom_parse_reply(buf, 8 + 65, &r));
	buf[2] = 64;
	assert_true(rom_parse_reply(buf, 8 + 64, &r));
	assert_int_equal(r.data_len, 64);
}

static void skips_stale_and_error_frames(void **state)
{
	struct rom_fixture *x = *state;
	uint64_t t = x->f->now_us + 1000;
	const uint8_t noise[] = "\r\nets Jan  8 2013,rst cause:2, boot mode:(1,6)\r\n";
	uint32_t v = 0;

	/* stale SYNC replies, boot text, the §11 error frame with the previous
	 * op (08) and status 01 05, then the real reply */
	fake_queue_reply(x->f, t, ROM_SYNC, ROM_SYNC_VALUE, 0, 0);
	fake_queue_reply(x->f, t + 100, ROM_SYNC, ROM_SYNC_VALUE, 0, 0);
	fake_queue_raw(x->f, t + 200, noise, sizeof(noise) - 1);
	fake_queue_reply(x->f, t + 300, ROM_SYNC, ROM_SYNC_VALUE, 1, 5);
	fake_queue_reply(x->f, t + 400, ROM_SYNC, ROM_SYNC_VALUE, 1, 5);
	fake_queue_reply(x->f, t + 500, ROM_READ_REG, 0xFFF0C101, 0, 0);
	assert_int_equal(rom_read_reg(&x->link, 0x40001000, &v, 100), ROM_OK);
	assert_int_equal(v, 0xFFF0C101);
	assert_int_equal(x->link.frames_skipped, 4);
	assert_int_equal(rom_link_garbage(&x->link), sizeof(noise) - 1);
	assert_int_equal(x->f->now_us, t + 500);
}

static void skips_request_echo_and_short_frames(void **state)
{
	struct rom_fixture *x = *state;
	uint64_t t = x->f->now_us + 1000;
	const uint8_t echo[] = { 0x00, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x40 };
	const uint8_t shorty[] = { 0x01, 0x0A, 0x00 };
	uint32_t v = 0;

	fake_queue_frame(x->f, t, echo, sizeof(echo));
	fake_queue_frame(x->f, t, shorty, sizeof(shorty));
	fake_queue_reply(x->f, t + 10, ROM_READ_REG, 0x1234, 0, 0);
	assert_int_equal(rom_read_reg(&x->link, 0x40001000, &v, 100), ROM_OK);
	assert_int_equal(v, 0x1234);
	assert_int_equal(x->link.frames_skipped, 2);
	assert_int_equal(x->link.malformed, 2);
}

static void failed_status(void **state)
{
	struct rom_fixture *x = *state;
	struct rom_reply r;
	char hex[5];

	fake_queue_reply(x->f, x->f->now_us + 1000, ROM_FLASH_BEGIN, ROM_SYNC_VALUE, 1, 6);
	assert_int_equal(rom_flash_begin(&x->link, 0x1000, 0, 0x400, 0x1000, 100, &r), ROM_E_FAILED);
	assert_int_equal(r.status, 1);
	assert_int_equal(r.error, 6);
	assert_string_equal(rom_reply_error_str(&r), "operation failed");
	assert_int_equal(x->f->nframes, 1); /* 06 is an answer: not resent */
	r.error = 5;
	assert_string_equal(rom_reply_error_str(&r), "message invalid");
	rom_status_hex(&r, hex);
	assert_string_equal(hex, "0105");
	r.status = 0xC1;
	r.error = 0;
	rom_status_hex(&r, hex);
	assert_string_equal(hex, "C100");
	assert_string_equal(rom_reply_error_str(&r), "stub: bad data checksum");
}

static void error_words(void **state)
{
	(void)state;
	assert_string_equal(rom_error_str(0x05), "message invalid");
	assert_string_equal(rom_error_str(0x06), "operation failed");
	assert_string_equal(rom_error_str(0x07), "checksum error");
	assert_string_equal(rom_error_str(0x08), "flash write error");
	assert_string_equal(rom_error_str(0x09), "flash read error");
	assert_string_equal(rom_error_str(0x0A), "read length error");
	assert_string_equal(rom_error_str(0x0E), "invalid RAM binary size");
	assert_string_equal(rom_error_str(0x0F), "invalid RAM binary address");
	assert_string_equal(rom_error_str(0x64), "invalid parameter");
	assert_string_equal(rom_error_str(0x01), "invalid input parameter");
	assert_string_equal(rom_error_str(0x69), "insufficient storage");
	assert_string_equal(rom_error_str(0x42), "unknown error");
	assert_string_equal(rom_op_name(ROM_FLASH_BEGIN), "FLASH_BEGIN");
	assert_string_equal(rom_op_name(0x14), "GET_SECURITY_INFO");
	assert_string_equal(rom_op_name(0x13), "SPI_FLASH_MD5");
	assert_string_equal(rom_op_name(0x0D), "SPI_ATTACH");
	assert_string_equal(rom_op_name(0x0C), "unknown");
	assert_string_equal(rom_result_str(ROM_E_TIMEOUT), "timed out");
	assert_string_equal(rom_result_str(ROM_E_UNSUPPORTED), "unsupported command");
	for (int op = 0; op < 256; op++)
		assert_int_equal(rom_op_known((uint8_t)op), op >= 0x02 && op <= 0x14 && op != 0x0C);
}

static void timeout_exact(void **state)
{
	struct rom_fixture *x = *state;
	uint64_t t0 = x->f->now_us;
	uint32_t v = 0xAAAA;

	/* a reply one microsecond too late does not count */
	x->link.retries = 0;
	fake_queue_reply(x->f, t0 + 250001, ROM_READ_REG, 1, 0, 0);
	assert_int_equal(rom_read_reg(&x->link, 0x40001000, &v, 250), ROM_E_TIMEOUT);
	assert_int_equal(x->f->now_us, t0 + 250000);
	assert_int_equal(v, 0xAAAA);
}

static void timeout_with_only_malformed_is_proto(void **state)
{
	struct rom_fixture *x = *state;
	const uint8_t bad[] = { 0xC0, 0x01, 0xDB, 0x00, 0xC0 };

	x->link.retries = 0;
	fake_queue_raw(x->f, x->f->now_us + 10, bad, sizeof(bad));
	assert_int_equal(rom_read_reg(&x->link, 0x40001000, NULL, 50), ROM_E_PROTO);
	assert_int_equal(x->link.dec.errors, 1);
}

static void io_errors(void **state)
{
	struct rom_fixture *x = *state;

	x->f->read_error = -ENODEV;
	assert_int_equal(rom_read_reg(&x->link, 0x40001000, NULL, 50), ROM_E_IO);
	assert_int_equal(x->link.last_errno, ENODEV);
	x->f->read_error = 0;
	x->f->write_error = -EIO;
	assert_int_equal(rom_read_reg(&x->link, 0x40001000, NULL, 50), ROM_E_IO);
	assert_int_equal(x->link.last_errno, EIO);
}

static void refuses_unknown_ops(void **state)
{
	struct rom_fixture *x = *state;
	const uint8_t ops[] = { 0x00, 0x01, 0x0C, 0x0D, 0x0E, 0x0F, 0x13, 0x14, 0xD0, 0xFF };

	for (size_t i = 0; i < sizeof(ops); i++)
		assert_int_equal(rom_command(&x->link, ops[i], NULL, 0, 0, 0, 10, NULL), ROM_E_PROTO);
	assert_int_equal(x->f->tx_len, 0);
	assert_int_equal(rom_send(&x->link, ROM_MEM_DATA, NULL, ROM_MAX_DATA + 1, 0), ROM_E_PROTO);
	assert_int_equal(x->f->tx_len, 0);
}

static void keeps_bytes_after_reply(void **state)
{
	struct rom_fixture *x = *state;
	uint64_t t = x->f->now_us + 1000;
	uint32_t v = 0;

	/* two replies arriving in one read: the second must not be lost */
	fake_queue_reply(x->f, t, ROM_READ_REG, 0x11111111, 0, 0);
	fake_queue_reply(x->f, t, ROM_WRITE_REG, 0x11111111, 0, 0);
	assert_int_equal(rom_read_reg(&x->link, 1, &v, 100), ROM_OK);
	assert_int_equal(v, 0x11111111);
	unsigned int reads = x->f->reads;
	assert_int_equal(rom_write_reg(&x->link, 2, 3, 100), ROM_OK);
	assert_int_equal(x->f->reads, reads); /* answered from what was read ahead */
}

static void flush_drops_read_ahead(void **state)
{
	struct rom_fixture *x = *state;
	uint64_t t = x->f->now_us + 1000;

	fake_queue_reply(x->f, t, ROM_READ_REG, 1, 0, 0);
	fake_queue_reply(x->f, t, ROM_READ_REG, 2, 0, 0);
	fake_queue_reply(x->f, t + 100, ROM_READ_REG, 3, 0, 0);
	assert_int_equal(rom_read_reg(&x->link, 0, NULL, 100), ROM_OK);
	assert_int_equal(rom_link_flush(&x->link), ROM_OK);
	uint32_t v = 0;
	assert_int_equal(rom_read_reg(&x->link, 0, &v, 100), ROM_OK);
	assert_int_equal(v, 3);
}

struct trace_log {
	int sent, received;
	uint8_t first_op;
};

static void trace_cb(void *ctx, char dir, const uint8_t *body, size_t len)
{
	struct trace_log *t = ctx;

	assert_true(len >= 2);
	if (dir == '>') {
		if (!t->sent)
			t->first_op = body[1];
		t->sent++;
	} else {
		assert_int_equal(dir, '<');
		t->received++;
	}
}

static void trace_sees_frames(void **state)
{
	struct rom_fixture *x = *state;
	struct trace_log log = { 0 };

	x->f->tr.trace = trace_cb;
	x->f->tr.trace_ctx = &log;
	fake_queue_reply(x->f, x->f->now_us + 10, ROM_SYNC, ROM_SYNC_VALUE, 0, 0);
	fake_queue_reply(x->f, x->f->now_us + 20, ROM_READ_REG, 5, 0, 0);
	assert_int_equal(rom_read_reg(&x->link, 0, NULL, 100), ROM_OK);
	assert_int_equal(log.sent, 1);
	assert_int_equal(log.first_op, ROM_READ_REG);
	assert_int_equal(log.received, 2);
}

static void sync_counts_replies(void **state)
{
	struct rom_fixture *x = *state;
	struct fake_rom rom;
	int replies = 0;

	fake_rom_init(&rom, x->f);
	uint64_t t0 = x->f->now_us;
	assert_int_equal(rom_sync(&x->link, 100, 20, &replies), ROM_OK);
	assert_int_equal(replies, 8);
	assert_false(x->link.stub);
	assert_int_equal(x->link.sync_value, ROM_SYNC_VALUE);
	/* done at the 8th reply (t0 + 1.5 ms + 7 ms): no quiet window to wait out */
	assert_int_equal(x->f->now_us, t0 + 1500 + 7000);
	assert_int_equal(fake_pending(x->f), 0);
}

static void sync_fewer_replies_and_stub(void **state)
{
	struct rom_fixture *x = *state;
	struct fake_rom rom;
	int replies = 0;

	fake_rom_init(&rom, x->f);
	rom.sync_replies = 3;
	rom.sync_value = 0;
	assert_int_equal(rom_sync(&x->link, 100, 20, &replies), ROM_OK);
	assert_int_equal(replies, 3);
	assert_true(x->link.stub);
}

static void sync_error_frames_not_replies(void **state)
{
	struct rom_fixture *x = *state;
	int replies = -1;

	/* frames with op 08 but status 01 05 (after an unknown op) */
	for (int i = 0; i < 4; i++)
		fake_queue_reply(x->f, x->f->now_us + 1000 + 500u * i, ROM_SYNC, ROM_SYNC_VALUE, 1, 5);
	uint64_t t0 = x->f->now_us;
	assert_int_equal(rom_sync(&x->link, 100, 20, &replies), ROM_E_TIMEOUT);
	assert_int_equal(replies, 0);
	/* reads wait whole milliseconds, so the end may be up to 1 ms late */
	assert_true(x->f->now_us >= t0 + 100000);
	assert_true(x->f->now_us < t0 + 101000);
	assert_int_equal(x->link.frames_skipped, 4);
}

static void sync_drain_is_bounded(void **state)
{
	struct rom_fixture *x = *state;
	int replies = 0;
	uint64_t t0 = x->f->now_us;

	/* a reply every 9 ms for a second: the drain stops at the 8th */
	for (int i = 0; i < 100; i++)
		fake_queue_reply(x->f, t0 + 1000 + 9000u * i, ROM_SYNC, ROM_SYNC_VALUE, 0, 0);
	assert_int_equal(rom_sync(&x->link, 100, 20, &replies), ROM_OK);
	assert_int_equal(x->f->now_us, t0 + 1000 + 63000);
	assert_int_equal(replies, 8);
}

static void sync_quiet_ends_drain(void **state)
{
	struct rom_fixture *x = *state;
	int replies = 0;
	uint64_t t0 = x->f->now_us;

	/* replies 30 ms apart: the 20 ms quiet window ends the drain */
	for (int i = 0; i < 5; i++)
		fake_queue_reply(x->f, t0 + 1000 + 30000u * i, ROM_SYNC, ROM_SYNC_VALUE, 0, 0);
	assert_int_equal(rom_sync(&x->link, 100, 20, &replies), ROM_OK);
	assert_int_equal(replies, 1);
	assert_int_equal(x->f->now_us, t0 + 1000 + 20000);
}

static void retry_after_timeout(void **state)
{
	struct rom_fixture *x = *state;
	struct fake_rom rom;
	uint32_t v = 0;
	uint64_t t0 = x->f->now_us;

	fake_rom_init(&rom, x->f);
	fake_rom_set_reg(&rom, 0x3FF00050, 0xCAFE);
	rom.ignore_requests = 2;
	assert_int_equal(x->link.retries, ROM_DEFAULT_RETRIES);
	assert_int_equal(rom_read_reg(&x->link, 0x3FF00050, &v, 200), ROM_OK);
	assert_int_equal(v, 0xCAFE);
	assert_int_equal(x->f->nframes, 3);
	/* three identical requests */
	for (int i = 1; i < 3; i++) {
		assert_int_equal(x->f->frames[i].len, x->f->frames[0].len);
		assert_memory_equal(x->f->frames[i].body, x->f->frames[0].body, x->f->frames[0].len);
	}
	assert_int_equal(x->link.retried, 2);
	/* two timeouts, the answer, then the settle drain */
	assert_int_equal(x->f->now_us - t0, 2 * 200000 + 1500 + ROM_RETRY_SETTLE_MS * 1000);
	assert_int_equal(x->f->flushes, 2);
}

static void late_answer_cannot_answer_next_command(void **state)
{
	struct rom_fixture *x = *state;
	uint64_t t0 = x->f->now_us;
	uint32_t v = 0;

	/* the first try's answer comes late (250 ms > 200 ms), after the retry
	 * went out; the retry's own answer follows 5 ms later */
	fake_queue_reply(x->f, t0 + 250000, ROM_READ_REG, 0xAAAA, 0, 0);
	fake_queue_reply(x->f, t0 + 255000, ROM_READ_REG, 0xAAAA, 0, 0);
	assert_int_equal(rom_read_reg(&x->link, 0xA, &v, 200), ROM_OK);
	assert_int_equal(v, 0xAAAA);
	/* the next read must get its own answer, not the leftover one */
	fake_queue_reply(x->f, t0 + 300000, ROM_READ_REG, 0xBBBB, 0, 0);
	assert_int_equal(rom_read_reg(&x->link, 0xB, &v, 200), ROM_OK);
	assert_int_equal(v, 0xBBBB);
}

static void retry_gives_up(void **state)
{
	struct rom_fixture *x = *state;
	struct fake_rom rom;

	fake_rom_init(&rom, x->f);
	rom.ignore_requests = 3;
	assert_int_equal(rom_write_reg(&x->link, 0x60000200, 1, 100), ROM_E_TIMEOUT);
	assert_int_equal(x->f->nframes, 3);
	x->link.retries = 0;
	rom.ignore_requests = 1;
	assert_int_equal(rom_write_reg(&x->link, 0x60000200, 1, 100), ROM_E_TIMEOUT);
	assert_int_equal(x->f->nframes, 4);
}

static void retry_on_message_invalid_only(void **state)
{
	struct rom_fixture *x = *state;
	struct fake_rom rom;
	uint32_t v = 0;

	fake_rom_init(&rom, x->f);
	fake_rom_set_reg(&rom, 0x40001000, 0xFFF0C101);
	/* 01 05: the request was mangled, so it is sent again */
	rom.fail_requests = 1;
	rom.fail_error = 0x05;
	assert_int_equal(rom_read_reg(&x->link, 0x40001000, &v, 100), ROM_OK);
	assert_int_equal(v, 0xFFF0C101);
	assert_int_equal(x->f->nframes, 2);
	/* 01 06 is the ROM's real answer: not retried */
	rom.fail_requests = 1;
	rom.fail_error = 0x06;
	assert_int_equal(rom_write_reg(&x->link, 0x60000200, 1, 100), ROM_E_FAILED);
	assert_int_equal(x->f->nframes, 3);
}

static void retry_after_malformed_reply(void **state)
{
	struct rom_fixture *x = *state;
	struct fake_rom rom;
	uint32_t v = 0;

	fake_rom_init(&rom, x->f);
	fake_rom_set_reg(&rom, 0x60000014, 0x1C4);
	rom.garble_replies = 1;
	assert_int_equal(rom_read_reg(&x->link, 0x60000014, &v, 100), ROM_OK);
	assert_int_equal(v, 0x1C4);
	assert_int_equal(x->link.malformed, 1);
	assert_int_equal(x->f->nframes, 2);
}

static void flash_begin_resent_after_message_invalid(void **state)
{
	struct rom_fixture *x = *state;
	struct fake_rom rom;
	struct rom_reply r;

	fake_rom_init(&rom, x->f);
	rom.fail_requests = 1;
	rom.fail_error = 0x05;
	assert_int_equal(rom_flash_begin(&x->link, 0x2000, 0, 0x400, 0x3000, 100, &r), ROM_OK);
	assert_int_equal(rom.fb_count, 1); /* the mangled one did nothing */
	assert_int_equal(x->f->nframes, 2);
	assert_memory_equal(x->f->frames[0].body, x->f->frames[1].body, x->f->frames[0].len);
	/* a ROM that keeps saying 05 gets 1 + retries tries */
	rom.fail_requests = 100;
	assert_int_equal(rom_flash_begin(&x->link, 0x2000, 0, 0x400, 0x3000, 100, &r), ROM_E_FAILED);
	assert_int_equal(r.error, 5);
	assert_int_equal(x->f->nframes, 2 + 1 + ROM_DEFAULT_RETRIES);
	rom.fail_requests = 1;
	assert_int_equal(rom_flash_end(&x->link, true, 100), ROM_OK);
	assert_int_equal(rom_spi_set_params(&x->link, 0x1840EF, 16u << 20, 100, NULL), ROM_OK);
}

static void no_retry_for_other_commands(void **state)
{
	struct rom_fixture *x = *state;
	struct fake_rom rom;

	fake_rom_init(&rom, x->f);
	rom.ignore_requests = 1;
	assert_int_equal(rom_flash_begin(&x->link, 0x1000, 0, 0x400, 0x1000, 100, NULL),
			 ROM_E_TIMEOUT);
	assert_int_equal(x->f->nframes, 1);
}

static void reply_untouched_without_match(void **state)
{
	struct rom_fixture *x = *state;
	struct rom_reply r, before;

	memset(&r, 0x5A, sizeof(r));
	before = r;
	fake_queue_reply(x->f, x->f->now_us + 10, ROM_SYNC, ROM_SYNC_VALUE, 1, 5);
	assert_int_equal(rom_command(&x->link, ROM_FLASH_BEGIN, (const uint8_t *)"0123456789abcdef",
				     16, 0, 0, 50, &r), ROM_E_TIMEOUT);
	assert_memory_equal(&r, &before, sizeof(r));
}

static void wait_in_slices(void **state)
{
	struct rom_fixture *x = *state;
	const uint8_t d[16] = { 0 };
	uint64_t t0 = x->f->now_us;
	struct rom_reply r;
	int rc, slices = 0;

	/* a long FLASH_BEGIN answered after 1.05 s, waited for in 100 ms slices */
	fake_queue_reply(x->f, t0 + 1050000, ROM_FLASH_BEGIN, 0, 0, 0);
	assert_int_equal(rom_send(&x->link, ROM_FLASH_BEGIN, d, sizeof(d), 0), ROM_OK);
	do {
		slices++;
		rc = rom_wait_reply(&x->link, ROM_FLASH_BEGIN, 0, x->f->now_us + 100000, &r);
	} while (rc == ROM_E_TIMEOUT && slices < 100);
	assert_int_equal(rc, ROM_OK);
	assert_int_equal(slices, 11);
	assert_int_equal(x->f->now_us, t0 + 1050000);
}

int unit_rom_tests(int *total)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checksum_values),
		cmocka_unit_test_setup_teardown(sync_request_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(read_reg_request_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(write_reg_request_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(flash_begin_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(other_requests_layout, setup, teardown),
		cmocka_unit_test(build_request_limits),
		cmocka_unit_test(parse_reply_cases),
		cmocka_unit_test(parse_reply_random_never_overflows),
		cmocka_unit_test_setup_teardown(skips_stale_and_error_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(skips_request_echo_and_short_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_status, setup, teardown),
		cmocka_unit_test(error_words),
		cmocka_unit_test_setup_teardown(timeout_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(timeout_with_only_malformed_is_proto, setup, teardown),
		cmocka_unit_test_setup_teardown(io_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_unknown_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(keeps_bytes_after_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(flush_drops_read_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(trace_sees_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_counts_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_fewer_replies_and_stub, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_error_frames_not_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_drain_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_quiet_ends_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_untouched_without_match, setup, teardown),
		cmocka_unit_test_setup_teardown(wait_in_slices, setup, teardown),
		cmocka_unit_test_setup_teardown(retry_after_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(late_answer_cannot_answer_next_command, setup,
						teardown),
		cmocka_unit_test_setup_teardown(retry_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(retry_on_message_invalid_only, setup, teardown),
		cmocka_unit_test_setup_teardown(retry_after_malformed_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(no_retry_for_other_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(flash_begin_resent_after_message_invalid, setup,
						teardown),
	};

	return UNIT_RUN_GROUP("rom", tests, total);
}
