/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ROM loader requests and replies (fact sheet §1, §2, §11; ESP32 family:
 * esp32-family-rom.md §2, §3).
 *
 * Everything the tool says to the chip goes through rom_send, and everything
 * it hears through rom_next_frame, so the rules live in one place: only the
 * opcodes the link allows go out (SYNC and READ_REG until the chip is
 * known, then what its ROM implements), and a reply is the first well-formed
 * frame with direction 1 and the request's op whose status sits right after
 * the payload the caller expects.  The ROM repeats stale SYNC replies and,
 * after a command it does not know, sends error frames carrying the previous
 * op; both are skipped by that rule, except by the two detection probes,
 * for which that pattern is the answer (ROM_E_UNSUPPORTED).
 */
#include <errno.h>
#include <string.h>

#include "rom.h"

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void rom_link_init(struct rom_link *link, struct transport *tr)
{
	memset(link, 0, sizeof(*link));
	link->tr = tr;
	link->retries = ROM_DEFAULT_RETRIES;
	link->ops = ROM_OPS_BEFORE_DETECTION;
	slip_decoder_init(&link->dec);
}

void rom_link_set_ops(struct rom_link *link, uint32_t ops)
{
	link->ops = ops;
}

bool rom_link_may_send(const struct rom_link *link, uint8_t op)
{
	return op < 32 && rom_op_known(op) && (link->ops & ROM_OP_BIT(op));
}

int rom_link_flush(struct rom_link *link)
{
	int rc;

	link->rx_pos = link->rx_len = 0;
	slip_decoder_resync(&link->dec);
	rc = link->tr->ops->flush(link->tr->ctx);
	if (rc < 0) {
		link->last_errno = -rc;
		return ROM_E_IO;
	}
	return ROM_OK;
}

unsigned long rom_link_garbage(const struct rom_link *link)
{
	return link->dec.garbage;
}

int rom_link_drain(struct rom_link *link, int ms)
{
	struct transport *tr = link->tr;
	uint64_t end = tr->ops->now_us(tr->ctx) + (uint64_t)(ms > 0 ? ms : 0) * 1000u;

	/* bytes already read ahead belong to the period being drained */
	while (link->rx_pos < link->rx_len)
		slip_feed(&link->dec, link->rx[link->rx_pos++]);
	for (;;) {
		uint64_t now = tr->ops->now_us(tr->ctx);

		if (now >= end)
			return ROM_OK;
		int left = (int)((end - now + 999u) / 1000u);
		ssize_t n = tr->ops->read(tr->ctx, link->rx, sizeof(link->rx), left);
		if (n < 0) {
			link->last_errno = (int)-n;
			return ROM_E_IO;
		}
		for (ssize_t i = 0; i < n; i++)
			slip_feed(&link->dec, link->rx[i]);
	}
}

uint8_t rom_checksum(const uint8_t *data, size_t len)
{
	uint8_t sum = ROM_CHECKSUM_SEED;

	for (size_t i = 0; i < len; i++)
		sum ^= data[i];
	return sum;
}

size_t rom_build_request(uint8_t op, const uint8_t *data, size_t len, uint32_t checksum,
			 uint8_t *out, size_t cap)
{
	if (len > 0xFFFF || cap < ROM_HEADER_LEN || cap - ROM_HEADER_LEN < len)
		return 0;
	out[0] = 0x00;
	out[1] = op;
	put_le16(out + 2, (uint16_t)len);
	put_le32(out + 4, checksum);
	if (len)
		memcpy(out + ROM_HEADER_LEN, data, len);
	return ROM_HEADER_LEN + len;
}

bool rom_parse_reply(const uint8_t *body, size_t len, struct rom_reply *out)
{
	size_t dlen;

	if (len < ROM_HEADER_LEN + 2 || body[0] != 0x01)
		return false;
	dlen = get_le16(body + 2);
	if (dlen != len - ROM_HEADER_LEN || dlen < 2 || dlen > sizeof(out->data))
		return false;
	out->op = body[1];
	out->value = get_le32(body + 4);
	out->data_len = dlen;
	memcpy(out->data, body + ROM_HEADER_LEN, dlen);
	out->status = out->error = 0;
	out->payload_len = out->status_len = 0;
	if (dlen == 2 || dlen == 4)
		rom_reply_locate_status(out, 0);
	return true;
}

bool rom_reply_locate_status(struct rom_reply *r, size_t payload)
{
	if (payload <= r->data_len && (r->data_len - payload == 2 || r->data_len - payload == 4)) {
		r->payload_len = payload;
		r->status_len = r->data_len - payload;
		r->status = r->data[payload];
		r->error = r->data[payload + 1];
		return true;
	}
	if (r->data_len < payload + 2 && (r->data_len == 2 || r->data_len == 4) && r->data[0] != 0) {
		/* a bare failure status: the ROM sent no payload */
		r->payload_len = 0;
		r->status_len = r->data_len;
		r->status = r->data[0];
		r->error = r->data[1];
		return true;
	}
	return false;
}

bool rom_reply_is_unsupported(const struct rom_reply *r, uint8_t request_op)
{
	return r->op != request_op && (r->data_len == 2 || r->data_len == 4) && r->data[0] != 0 &&
	       r->data[1] == 0x05;
}

/* The ROM loader's error codes (esptool v5.2.0 serial-protocol.rst "ROM Loader Errors"). */
const char *rom_error_str(uint8_t error)
{
	switch (error) {
	case 0x00: return "no error";
	case 0x01: return "invalid input parameter";
	case 0x02: return "out of memory";
	case 0x03: return "failed to send";
	case 0x04: return "failed to receive";
	case 0x05: return "message invalid";
	case 0x06: return "operation failed";
	case 0x07: return "checksum error";
	case 0x08: return "flash write error";
	case 0x09: return "flash read error";
	case 0x0A: return "read length error";
	case 0x0B: return "deflate failed";
	case 0x0C: return "deflate Adler32 error";
	case 0x0D: return "deflate parameter error";
	case 0x0E: return "invalid RAM binary size";
	case 0x0F: return "invalid RAM binary address";
	case 0x64: return "invalid parameter";
	case 0x65: return "invalid format";
	case 0x66: return "description too long";
	case 0x67: return "bad encoding description";
	case 0x69: return "insufficient storage";
	default: return "unknown error";
	}
}

/* Codes the flasher stubs put in the first status byte (esptool's list). */
static const char *stub_error_str(uint8_t code)
{
	switch (code) {
	case 0xC0: return "stub: bad data length";
	case 0xC1: return "stub: bad data checksum";
	case 0xC2: return "stub: bad block size";
	case 0xC3: return "stub: invalid command";
	case 0xC4: return "stub: SPI operation failed";
	case 0xC5: return "stub: SPI unlock failed";
	case 0xC6: return "stub: not in flash mode";
	case 0xC7: return "stub: inflate error";
	case 0xC8: return "stub: not enough data";
	case 0xC9: return "stub: too much data";
	case 0xFF: return "stub: command not implemented";
	default: return "unknown status";
	}
}

const char *rom_reply_error_str(const struct rom_reply *reply)
{
	if (reply->status == 0)
		return "no error";
	if (reply->status == 1)
		return rom_error_str(reply->error);
	return stub_error_str(reply->status);
}

void rom_status_hex(const struct rom_reply *reply, char buf[5])
{
	static const char hex[] = "0123456789ABCDEF";

	buf[0] = hex[reply->status >> 4];
	buf[1] = hex[reply->status & 15];
	buf[2] = hex[reply->error >> 4];
	buf[3] = hex[reply->error & 15];
	buf[4] = '\0';
}

const char *rom_op_name(uint8_t op)
{
	switch (op) {
	case ROM_FLASH_BEGIN: return "FLASH_BEGIN";
	case ROM_FLASH_DATA: return "FLASH_DATA";
	case ROM_FLASH_END: return "FLASH_END";
	case ROM_MEM_BEGIN: return "MEM_BEGIN";
	case ROM_MEM_END: return "MEM_END";
	case ROM_MEM_DATA: return "MEM_DATA";
	case ROM_SYNC: return "SYNC";
	case ROM_WRITE_REG: return "WRITE_REG";
	case ROM_READ_REG: return "READ_REG";
	case ROM_SPI_SET_PARAMS: return "SPI_SET_PARAMS";
	case ROM_SPI_ATTACH: return "SPI_ATTACH";
	case ROM_READ_FLASH_SLOW: return "READ_FLASH_SLOW";
	case ROM_CHANGE_BAUDRATE: return "CHANGE_BAUDRATE";
	case ROM_FLASH_DEFL_BEGIN: return "FLASH_DEFL_BEGIN";
	case ROM_FLASH_DEFL_DATA: return "FLASH_DEFL_DATA";
	case ROM_FLASH_DEFL_END: return "FLASH_DEFL_END";
	case ROM_SPI_FLASH_MD5: return "SPI_FLASH_MD5";
	case ROM_GET_SECURITY_INFO: return "GET_SECURITY_INFO";
	default: return "unknown";
	}
}

bool rom_op_known(uint8_t op)
{
	return op >= ROM_FLASH_BEGIN && op <= ROM_GET_SECURITY_INFO && op != 0x0C;
}

const char *rom_result_str(int result)
{
	switch (result) {
	case ROM_OK: return "ok";
	case ROM_E_FAILED: return "command failed";
	case ROM_E_TIMEOUT: return "timed out";
	case ROM_E_IO: return "I/O error";
	case ROM_E_PROTO: return "protocol error";
	case ROM_E_UNSUPPORTED: return "unsupported command";
	default: return "unknown result";
	}
}

static uint64_t link_now(const struct rom_link *link)
{
	return link->tr->ops->now_us(link->tr->ctx);
}

static uint64_t deadline_after_ms(const struct rom_link *link, int ms)
{
	return link_now(link) + (ms > 0 ? (uint64_t)ms * 1000u : 0);
}

static void trace(const struct rom_link *link, char dir, const uint8_t *body, size_t len)
{
	if (link->tr->trace)
		link->tr->trace(link->tr->trace_ctx, dir, body, len);
}

int rom_send(struct rom_link *link, uint8_t op, const uint8_t *data, size_t len,
	     uint32_t checksum)
{
	uint8_t body[ROM_HEADER_LEN + ROM_MAX_DATA];
	uint8_t wire[SLIP_ENCODED_MAX(ROM_HEADER_LEN + ROM_MAX_DATA)];
	size_t blen, wlen;
	int rc;

	if (!rom_link_may_send(link, op) || len > ROM_MAX_DATA)
		return ROM_E_PROTO;
	blen = rom_build_request(op, data, len, checksum, body, sizeof(body));
	wlen = slip_encode(body, blen, wire, sizeof(wire));
	if (!blen || !wlen)
		return ROM_E_PROTO;
	trace(link, '>', body, blen);
	rc = link->tr->ops->write(link->tr->ctx, wire, wlen);
	if (rc < 0) {
		link->last_errno = -rc;
		return ROM_E_IO;
	}
	return ROM_OK;
}

/*
 * Next complete frame before the deadline: 1 with the body in dec.buf,
 * 0 on timeout, ROM_E_IO.  Bytes read past the frame stay in link->rx.
 */
static int rom_next_frame(struct rom_link *link, uint64_t deadline_us)
{
	for (;;) {
		while (link->rx_pos < link->rx_len) {
			uint8_t b = link->rx[link->rx_pos++];

			if (slip_feed(&link->dec, b) == SLIP_FRAME) {
				trace(link, '<', link->dec.buf, link->dec.len);
				return 1;
			}
		}

		uint64_t now = link_now(link);
		if (now >= deadline_us)
			return 0;
		uint64_t left = deadline_us - now;
		int ms = left / 1000u > 3600000u ? 3600000 : (int)((left + 999u) / 1000u);
		ssize_t n = link->tr->ops->read(link->tr->ctx, link->rx, sizeof(link->rx), ms);
		if (n < 0) {
			link->last_errno = (int)-n;
			return ROM_E_IO;
		}
		link->rx_pos = 0;
		link->rx_len = (size_t)n;
	}
}

/*
 * What a wait accepts: the payload lengths the reply may carry (the first
 * that fits locates the status), and whether the unsupported pattern is an
 * answer (probes).
 */
struct expect {
	const size_t *payloads;
	size_t npayloads;
	bool probe;
};

static bool locate_any(struct rom_reply *r, const struct expect *ex)
{
	for (size_t i = 0; i < ex->npayloads; i++)
		if (rom_reply_locate_status(r, ex->payloads[i]))
			return true;
	return false;
}

/*
 * After the unsupported pattern: let its repeats pass (until the line is
 * quiet, bounded), then drop whatever is left so no repeat can answer the
 * next command.
 */
static int drain_unsupported(struct rom_link *link, uint64_t first_us)
{
	uint64_t bound = first_us + (uint64_t)ROM_UNSUPPORTED_DRAIN_MS * 1000u;

	for (;;) {
		uint64_t now = link_now(link), quiet = now + (uint64_t)ROM_UNSUPPORTED_QUIET_MS * 1000u;
		int rc;

		if (now >= bound)
			break;
		rc = rom_next_frame(link, quiet < bound ? quiet : bound);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break; /* quiet */
		link->frames_skipped++;
	}
	return rom_link_flush(link) == ROM_OK ? ROM_E_UNSUPPORTED : ROM_E_IO;
}

static int wait_reply_ex(struct rom_link *link, uint8_t op, const struct expect *ex,
			 uint64_t deadline_us, struct rom_reply *reply)
{
	struct rom_reply r;
	unsigned long errors0 = link->dec.errors;
	bool saw_bad = false, saw_good = false;
	unsigned int unsupported = 0;
	uint64_t first_unsupported = 0;
	int rc;

	/* *reply is written only with the matching reply */
	for (;;) {
		uint64_t until = deadline_us;

		/*
		 * A probe that has seen the unsupported pattern repeated stops
		 * waiting once the line goes quiet (or the drain bound passes).
		 */
		if (unsupported >= ROM_UNSUPPORTED_MIN_REPEATS) {
			uint64_t quiet = link_now(link) + (uint64_t)ROM_UNSUPPORTED_QUIET_MS * 1000u;
			uint64_t bound = first_unsupported + (uint64_t)ROM_UNSUPPORTED_DRAIN_MS * 1000u;

			if (quiet < until)
				until = quiet;
			if (bound < until)
				until = bound;
		}
		rc = rom_next_frame(link, until);
		if (rc != 1)
			break;
		if (!rom_parse_reply(link->dec.buf, link->dec.len, &r)) {
			link->malformed++;
			link->frames_skipped++;
			saw_bad = true;
			/*
			 * A mangled frame that still carries direction 1 and our
			 * op was the reply: the ROM sends no other, so waiting
			 * out the deadline would only delay the resend.  (SYNC
			 * is answered 8 times; one bad copy proves nothing.)
			 */
			if (op != ROM_SYNC && link->dec.len >= 2 && link->dec.buf[0] == 0x01 &&
			    link->dec.buf[1] == op)
				return ROM_E_PROTO;
			continue;
		}
		saw_good = true;
		if (r.op != op) {
			link->frames_skipped++;
			if (ex->probe && rom_reply_is_unsupported(&r, op)) {
				if (unsupported++ == 0)
					first_unsupported = link_now(link);
				link->unsupported_frames++;
			}
			continue;
		}
		if (!locate_any(&r, ex)) {
			/* our op, but a length that fits no form of the reply */
			link->malformed++;
			if (op == ROM_SYNC) {
				link->frames_skipped++;
				continue;
			}
			return ROM_E_PROTO;
		}
		if (reply)
			*reply = r;
		return r.status == 0 ? ROM_OK : ROM_E_FAILED;
	}
	if (rc < 0)
		return rc;
	if (unsupported >= ROM_UNSUPPORTED_MIN_REPEATS)
		return drain_unsupported(link, first_unsupported);
	if ((saw_bad || link->dec.errors != errors0) && !saw_good)
		return ROM_E_PROTO;
	return ROM_E_TIMEOUT;
}

int rom_wait_reply(struct rom_link *link, uint8_t op, size_t payload, uint64_t deadline_us,
		   struct rom_reply *reply)
{
	const struct expect ex = { &payload, 1, false };

	return wait_reply_ex(link, op, &ex, deadline_us, reply);
}

static int command_ex(struct rom_link *link, uint8_t op, const uint8_t *data, size_t len,
		      uint32_t checksum, const struct expect *ex, int timeout_ms,
		      struct rom_reply *reply)
{
	int rc = rom_send(link, op, data, len, checksum);

	if (rc != ROM_OK)
		return rc;
	return wait_reply_ex(link, op, ex, deadline_after_ms(link, timeout_ms), reply);
}

int rom_command(struct rom_link *link, uint8_t op, const uint8_t *data, size_t len,
		uint32_t checksum, size_t payload, int timeout_ms, struct rom_reply *reply)
{
	const struct expect ex = { &payload, 1, false };

	return command_ex(link, op, data, len, checksum, &ex, timeout_ms, reply);
}

/* 01 05: the ROM found the request malformed and did nothing. */
static bool is_message_invalid(const struct rom_reply *r)
{
	return r->status == 1 && r->error == 0x05;
}

/*
 * Send a command, resending it when the exchange evidently went wrong.
 *
 * Every command is resent after "message invalid" (01 05): the ROM did
 * nothing, and the usual cause is a byte lost on the wire.  An idempotent
 * command (a register access, a FLASH_BEGIN that erases nothing) is also
 * resent after a timeout or a mangled reply; one that may have acted even
 * though its reply was lost is not.  The flush drops what is left of the
 * failed exchange, and after a successful resend a short drain swallows a
 * late answer to the earlier try so it cannot answer the next command.  An
 * unsupported answer to a probe is final.
 */
static int command_retried_ex(struct rom_link *link, uint8_t op, const uint8_t *data, size_t len,
			      const struct expect *ex, int timeout_ms, bool idempotent,
			      struct rom_reply *reply)
{
	struct rom_reply tmp;
	int rc = ROM_E_TIMEOUT;

	if (!reply)
		reply = &tmp;
	for (unsigned int attempt = 0; attempt <= link->retries; attempt++) {
		if (attempt > 0) {
			link->retried++;
			rc = rom_link_flush(link);
			if (rc != ROM_OK)
				return rc;
		}
		rc = command_ex(link, op, data, len, 0, ex, timeout_ms, reply);
		if (rc == ROM_OK && attempt > 0 && idempotent)
			return rom_link_drain(link, ROM_RETRY_SETTLE_MS);
		if (rc == ROM_OK || rc == ROM_E_IO || rc == ROM_E_UNSUPPORTED)
			return rc;
		if (rc == ROM_E_PROTO && !rom_link_may_send(link, op))
			return rc; /* refused before sending: nothing to resend */
		if (rc == ROM_E_FAILED && !is_message_invalid(reply))
			return rc;
		if (!idempotent && rc != ROM_E_FAILED)
			return rc;
	}
	return rc;
}

static int rom_command_retried(struct rom_link *link, uint8_t op, const uint8_t *data, size_t len,
			       int timeout_ms, bool idempotent, struct rom_reply *reply)
{
	static const size_t none = 0;
	const struct expect ex = { &none, 1, false };

	return command_retried_ex(link, op, data, len, &ex, timeout_ms, idempotent, reply);
}

static int read_reg_ex(struct rom_link *link, uint32_t addr, uint32_t *value, int timeout_ms,
		       bool probe)
{
	static const size_t none = 0;
	const struct expect ex = { &none, 1, probe };
	struct rom_reply reply;
	uint8_t d[4];
	int rc;

	put_le32(d, addr);
	rc = command_retried_ex(link, ROM_READ_REG, d, sizeof(d), &ex, timeout_ms, true, &reply);
	if (rc == ROM_OK && value)
		*value = reply.value;
	return rc;
}

int rom_read_reg(struct rom_link *link, uint32_t addr, uint32_t *value, int timeout_ms)
{
	return read_reg_ex(link, addr, value, timeout_ms, false);
}

int rom_read_reg_probe(struct rom_link *link, uint32_t addr, uint32_t *value, int timeout_ms)
{
	return read_reg_ex(link, addr, value, timeout_ms, true);
}

int rom_write_reg(struct rom_link *link, uint32_t addr, uint32_t value, int timeout_ms)
{
	struct rom_reply reply;
	uint8_t d[16];

	put_le32(d, addr);
	put_le32(d + 4, value);
	put_le32(d + 8, 0xFFFFFFFFu); /* mask: all bits */
	put_le32(d + 12, 0);          /* delay_us */
	return rom_command_retried(link, ROM_WRITE_REG, d, sizeof(d), timeout_ms, true, &reply);
}

int rom_flash_begin(struct rom_link *link, uint32_t erase_size, uint32_t num_blocks,
		    uint32_t block_size, uint32_t offset, int timeout_ms, struct rom_reply *reply)
{
	return rom_flash_begin_words(link, 4, erase_size, num_blocks, block_size, offset, 0,
				     timeout_ms, reply);
}

int rom_flash_begin_words(struct rom_link *link, unsigned int words, uint32_t erase_size,
			  uint32_t num_blocks, uint32_t block_size, uint32_t offset,
			  uint32_t encrypted, int timeout_ms, struct rom_reply *reply)
{
	uint8_t d[20];

	if (words != 4 && words != 5)
		return ROM_E_PROTO;
	put_le32(d, erase_size);
	put_le32(d + 4, num_blocks);
	put_le32(d + 8, block_size);
	put_le32(d + 12, offset);
	put_le32(d + 16, encrypted);
	return rom_command_retried(link, ROM_FLASH_BEGIN, d, 4 * (size_t)words, timeout_ms, false,
				   reply);
}

int rom_flash_attach(struct rom_link *link, int timeout_ms)
{
	uint8_t d[16];

	/* erase_size 0 erases nothing: the ROM only attaches and unlocks the flash */
	put_le32(d, 0);
	put_le32(d + 4, 0);
	put_le32(d + 8, 0x400);
	put_le32(d + 12, 0);
	return rom_command_retried(link, ROM_FLASH_BEGIN, d, sizeof(d), timeout_ms, true, NULL);
}

int rom_spi_attach(struct rom_link *link, uint32_t config, int timeout_ms, struct rom_reply *reply)
{
	uint8_t d[8];

	put_le32(d, config);
	put_le32(d + 4, 0); /* the ROM's extra word ("is legacy" and 3 reserved bytes) */
	return rom_command_retried(link, ROM_SPI_ATTACH, d, sizeof(d), timeout_ms, true, reply);
}

int rom_spi_set_params(struct rom_link *link, uint32_t flash_id, uint32_t total_size,
		       int timeout_ms, struct rom_reply *reply)
{
	uint8_t d[24];

	put_le32(d, flash_id);
	put_le32(d + 4, total_size);
	put_le32(d + 8, 0x10000);  /* block */
	put_le32(d + 12, 0x1000);  /* sector */
	put_le32(d + 16, 0x100);   /* page */
	put_le32(d + 20, 0xFFFF);  /* status mask */
	return rom_command_retried(link, ROM_SPI_SET_PARAMS, d, sizeof(d), timeout_ms, false, reply);
}

int rom_spi_flash_md5(struct rom_link *link, uint32_t addr, uint32_t len, int timeout_ms,
		      char hex[ROM_MD5_HEX_LEN], struct rom_reply *reply)
{
	static const size_t md5_payload = ROM_MD5_HEX_LEN;
	const struct expect ex = { &md5_payload, 1, false };
	struct rom_reply tmp;
	uint8_t d[16];
	int rc;

	if (!reply)
		reply = &tmp;
	put_le32(d, addr);
	put_le32(d + 4, len);
	put_le32(d + 8, 0);
	put_le32(d + 12, 0);
	rc = command_retried_ex(link, ROM_SPI_FLASH_MD5, d, sizeof(d), &ex, timeout_ms, true, reply);
	if (rc != ROM_OK)
		return rc;
	if (reply->payload_len != ROM_MD5_HEX_LEN)
		return ROM_E_PROTO; /* status 0 without the digest */
	memcpy(hex, reply->data, ROM_MD5_HEX_LEN);
	return ROM_OK;
}

int rom_get_security_info(struct rom_link *link, int timeout_ms, uint8_t data[ROM_SECINFO_MAX],
			  size_t *len, struct rom_reply *reply)
{
	/* 20 bytes on S3 and later, 12 on the S2 (sheet §1.2): the status follows either */
	static const size_t forms[] = { 20, 12 };
	const struct expect ex = { forms, 2, true };
	struct rom_reply tmp;
	int rc;

	if (!reply)
		reply = &tmp;
	*len = 0;
	rc = command_retried_ex(link, ROM_GET_SECURITY_INFO, NULL, 0, &ex, timeout_ms, true, reply);
	if (rc != ROM_OK)
		return rc;
	if (reply->payload_len != 20 && reply->payload_len != 12)
		return ROM_E_PROTO; /* status 0 and no payload */
	memcpy(data, reply->data, reply->payload_len);
	*len = reply->payload_len;
	return ROM_OK;
}

int rom_flash_end(struct rom_link *link, bool run_user_code, int timeout_ms)
{
	uint8_t d[4];

	put_le32(d, run_user_code ? 1 : 0);
	return rom_command_retried(link, ROM_FLASH_END, d, sizeof(d), timeout_ms, false, NULL);
}

/* The SYNC payload: 07 07 12 20 and 32 x 55 for the ROM's auto-baud. */
static void sync_payload(uint8_t d[36])
{
	d[0] = 0x07;
	d[1] = 0x07;
	d[2] = 0x12;
	d[3] = 0x20;
	memset(d + 4, 0x55, 32);
}

/* Wait for one SYNC reply with status 0; skips everything else. */
static int wait_sync_reply(struct rom_link *link, uint64_t deadline_us)
{
	struct rom_reply r;
	int rc;

	for (;;) {
		rc = rom_wait_reply(link, ROM_SYNC, 0, deadline_us, &r);
		if (rc == ROM_E_FAILED) {
			/* an error frame carrying op 08 (sheet §11): not an answer */
			link->frames_skipped++;
			continue;
		}
		if (rc == ROM_OK) {
			link->sync_value = r.value;
			link->stub = r.value == 0;
		}
		return rc;
	}
}

int rom_sync_frames(struct rom_link *link, int frames, int first_timeout_ms, int drain_ms,
		    int *replies, uint64_t *first_reply_us)
{
	uint8_t d[36];
	uint64_t first_at, quiet_until, hard_stop;
	int rc, n = 0;

	if (replies)
		*replies = 0;
	sync_payload(d);
	for (int i = 0; i < (frames > 0 ? frames : 1); i++) {
		rc = rom_send(link, ROM_SYNC, d, sizeof(d), 0);
		if (rc != ROM_OK)
			return rc;
	}
	rc = wait_sync_reply(link, deadline_after_ms(link, first_timeout_ms));
	if (rc != ROM_OK)
		return rc;
	n = 1;
	first_at = link_now(link);
	if (first_reply_us)
		*first_reply_us = first_at;
	quiet_until = deadline_after_ms(link, drain_ms);
	hard_stop = first_at + 8u * (uint64_t)(drain_ms > 0 ? drain_ms : 0) * 1000u;
	/* The ROM answers a SYNC 8 times; stop at 8 or when the line goes quiet. */
	while (n < ROM_SYNC_REPLIES && quiet_until > link_now(link)) {
		rc = wait_sync_reply(link, quiet_until < hard_stop ? quiet_until : hard_stop);
		if (rc == ROM_E_IO)
			return rc;
		if (rc != ROM_OK)
			break;
		n++;
		quiet_until = deadline_after_ms(link, drain_ms);
	}
	if (replies)
		*replies = n;
	return ROM_OK;
}

int rom_sync(struct rom_link *link, int first_timeout_ms, int drain_ms, int *replies)
{
	return rom_sync_frames(link, 1, first_timeout_ms, drain_ms, replies, NULL);
}
