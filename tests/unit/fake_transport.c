/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_transport.h"

static void die(const char *what)
{
	fprintf(stderr, "fake transport: %s\n", what);
	abort();
}

/* The host's own frames, decoded here without the code under test. */
static void host_byte(struct fake_tr *f, uint8_t b)
{
	if (!f->cur_in) {
		if (b == 0xC0) {
			f->cur_in = true;
			f->cur_len = 0;
			f->cur_esc = f->cur_bad = false;
		}
		return;
	}
	if (b == 0xC0) {
		if (f->cur_len == 0)
			return;
		f->cur_in = false;
		if (f->cur_bad)
			die("host sent a bad escape");
		if (f->nframes >= FAKE_MAX_FRAMES)
			die("too many host frames");
		struct fake_frame *fr = &f->frames[f->nframes++];
		memcpy(fr->body, f->cur, f->cur_len);
		fr->len = f->cur_len;
		fr->at_us = f->now_us;
		if (f->respond)
			f->respond(f, fr->body, fr->len, f->respond_ctx);
		return;
	}
	if (f->cur_esc) {
		f->cur_esc = false;
		if (b == 0xDC)
			b = 0xC0;
		else if (b == 0xDD)
			b = 0xDB;
		else
			f->cur_bad = true;
	} else if (b == 0xDB) {
		f->cur_esc = true;
		return;
	}
	if (f->cur_len >= FAKE_MAX_BODY)
		die("host frame too long");
	f->cur[f->cur_len++] = b;
}

static int fake_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct fake_tr *f = ctx;

	f->writes++;
	if (f->write_error)
		return f->write_error;
	if (f->tx_len + len > FAKE_MAX_TX)
		die("tx log full");
	memcpy(f->tx + f->tx_len, buf, len);
	f->tx_len += len;
	for (size_t i = 0; i < len; i++)
		host_byte(f, buf[i]);
	return 0;
}

static ssize_t fake_read(void *ctx, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct fake_tr *f = ctx;
	uint64_t limit = f->now_us + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;
	size_t n = 0;

	f->reads++;
	if (f->read_error)
		return f->read_error;
	if (f->rx_head == f->rx_tail || f->rx_at[f->rx_head] > limit) {
		f->now_us = limit;
		return 0;
	}
	if (f->rx_at[f->rx_head] > f->now_us)
		f->now_us = f->rx_at[f->rx_head];
	while (n < cap && f->rx_head < f->rx_tail && f->rx_at[f->rx_head] <= f->now_us) {
		buf[n++] = f->rx[f->rx_head++];
	}
	return (ssize_t)n;
}

static int fake_flush(void *ctx)
{
	struct fake_tr *f = ctx;

	f->flushes++;
	if (f->flush_error)
		return f->flush_error;
	while (f->rx_head < f->rx_tail && f->rx_at[f->rx_head] <= f->now_us) {
		f->rx_head++;
		f->flushed_bytes++;
	}
	return 0;
}

static uint64_t fake_now(void *ctx)
{
	struct fake_tr *f = ctx;

	return f->now_us;
}

static const struct transport_ops fake_ops = {
	.write = fake_write,
	.read = fake_read,
	.flush = fake_flush,
	.now_us = fake_now,
};

struct fake_tr *fake_new(void)
{
	struct fake_tr *f = calloc(1, sizeof(*f));

	if (!f)
		die("out of memory");
	f->frames = calloc(FAKE_MAX_FRAMES, sizeof(*f->frames));
	if (!f->frames)
		die("out of memory");
	f->tr.ops = &fake_ops;
	f->tr.ctx = f;
	f->now_us = 1000000; /* not zero, so "time 0" bugs show */
	return f;
}

void fake_free(struct fake_tr *f)
{
	if (f) {
		free(f->frames);
		free(f);
	}
}

void fake_queue_raw(struct fake_tr *f, uint64_t at_us, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t pos;

		if (f->rx_tail >= FAKE_MAX_RX) {
			/* compact */
			memmove(f->rx, f->rx + f->rx_head, f->rx_tail - f->rx_head);
			memmove(f->rx_at, f->rx_at + f->rx_head,
				(f->rx_tail - f->rx_head) * sizeof(f->rx_at[0]));
			f->rx_tail -= f->rx_head;
			f->rx_head = 0;
			if (f->rx_tail >= FAKE_MAX_RX)
				die("rx queue full");
		}
		/* insert after everything due at or before at_us */
		pos = f->rx_tail;
		while (pos > f->rx_head && f->rx_at[pos - 1] > at_us)
			pos--;
		memmove(f->rx + pos + 1, f->rx + pos, f->rx_tail - pos);
		memmove(f->rx_at + pos + 1, f->rx_at + pos, (f->rx_tail - pos) * sizeof(f->rx_at[0]));
		f->rx[pos] = b[i];
		f->rx_at[pos] = at_us;
		f->rx_tail++;
	}
}

void fake_queue_frame(struct fake_tr *f, uint64_t at_us, const uint8_t *body, size_t n)
{
	uint8_t wire[2 * FAKE_MAX_BODY + 2];
	size_t w = 0;

	if (n > FAKE_MAX_BODY)
		die("frame too long");
	wire[w++] = 0xC0;
	for (size_t i = 0; i < n; i++) {
		if (body[i] == 0xC0) {
			wire[w++] = 0xDB;
			wire[w++] = 0xDC;
		} else if (body[i] == 0xDB) {
			wire[w++] = 0xDB;
			wire[w++] = 0xDD;
		} else {
			wire[w++] = body[i];
		}
	}
	wire[w++] = 0xC0;
	fake_queue_raw(f, at_us, wire, w);
}

void fake_queue_reply(struct fake_tr *f, uint64_t at_us, uint8_t op, uint32_t value,
		      uint8_t status, uint8_t error)
{
	uint8_t b[10] = { 0x01, op, 0x02, 0x00, (uint8_t)value, (uint8_t)(value >> 8),
			  (uint8_t)(value >> 16), (uint8_t)(value >> 24), status, error };

	fake_queue_frame(f, at_us, b, sizeof(b));
}

void fake_queue_reply_ex(struct fake_tr *f, uint64_t at_us, uint8_t op, uint32_t value,
			 const uint8_t *payload, size_t plen, uint8_t status, uint8_t error,
			 size_t status_len)
{
	uint8_t b[FAKE_MAX_BODY];
	size_t dlen = plen + status_len;

	if (8 + dlen > sizeof(b) || (status_len != 2 && status_len != 4))
		die("bad reply");
	b[0] = 0x01;
	b[1] = op;
	b[2] = (uint8_t)dlen;
	b[3] = (uint8_t)(dlen >> 8);
	b[4] = (uint8_t)value;
	b[5] = (uint8_t)(value >> 8);
	b[6] = (uint8_t)(value >> 16);
	b[7] = (uint8_t)(value >> 24);
	if (plen)
		memcpy(b + 8, payload, plen);
	b[8 + plen] = status;
	b[9 + plen] = error;
	if (status_len == 4)
		b[10 + plen] = b[11 + plen] = 0;
	fake_queue_frame(f, at_us, b, 8 + dlen);
}

size_t fake_pending(const struct fake_tr *f)
{
	return f->rx_tail - f->rx_head;
}
