// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The chip's UART as the host sees it: queues of bytes stamped with the time
 * they finish crossing the wire, SLIP framing of replies, injected noise, and
 * text sent at a baud rate the host is not listening at.
 */
#include <string.h>

#include "emu_internal.h"

#define SLIP_END 0xC0
#define SLIP_ESC 0xDB
#define SLIP_ESC_END 0xDC
#define SLIP_ESC_ESC 0xDD

bool byteq_push(struct emu_byteq *q, uint64_t t_us, uint8_t b)
{
	if (q->len == q->cap)
		return false;
	q->buf[(q->head + q->len) % q->cap] = (struct emu_timed_byte){ t_us, b };
	q->len++;
	return true;
}

const struct emu_timed_byte *byteq_peek(const struct emu_byteq *q)
{
	return q->len ? &q->buf[q->head] : NULL;
}

void byteq_pop(struct emu_byteq *q)
{
	if (!q->len)
		return;
	q->head = (q->head + 1) % q->cap;
	q->len--;
}

uint64_t uart_byte_ns(const struct emu *e)
{
	return 10ull * 1000000000ull / e->baud;
}

/* Time the next byte handed to the transmitter at t_us has fully left the wire. */
static uint64_t tx_due(struct emu *e, uint64_t t_us)
{
	uint64_t t_ns = t_us * 1000;

	if (!e->cfg.wire_timing)
		return t_us;
	if (e->txq.wire_free_ns < t_ns)
		e->txq.wire_free_ns = t_ns;
	e->txq.wire_free_ns += uart_byte_ns(e);
	return (e->txq.wire_free_ns + 999) / 1000;
}

static void tx_byte(struct emu *e, uint64_t t_us, uint8_t b)
{
	if (byteq_push(&e->txq, tx_due(e, t_us), b))
		e->st.bytes_tx++;
}

static uint8_t noise_byte(struct emu *e)
{
	uint8_t b;

	do
		b = (uint8_t)emu_rand(e);
	while (b == SLIP_END || b == SLIP_ESC);
	return b;
}

void uart_send_raw(struct emu *e, uint64_t t_us, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		tx_byte(e, t_us, buf[i]);
}

/* One SLIP frame; noise goes before it (or into it with noise_in_frames). */
void uart_send_frame(struct emu *e, uint64_t t_us, const uint8_t *body, size_t len)
{
	uint8_t wire[2 * EMU_REPLY_MAX + 2];
	size_t n = 0;

	wire[n++] = SLIP_END;
	for (size_t i = 0; i < len && n + 3 < sizeof(wire); i++) {
		if (body[i] == SLIP_END) {
			wire[n++] = SLIP_ESC;
			wire[n++] = SLIP_ESC_END;
		} else if (body[i] == SLIP_ESC) {
			wire[n++] = SLIP_ESC;
			wire[n++] = SLIP_ESC_ESC;
		} else {
			wire[n++] = body[i];
		}
	}
	wire[n++] = SLIP_END;

	bool inside[sizeof(wire)] = { false };
	size_t before = 0;

	/* roll once per frame byte, so the noise rate is per byte sent */
	for (size_t i = 0; i < n; i++) {
		if (e->cfg.noise_rate <= 0 || emu_rand01(e) >= e->cfg.noise_rate)
			continue;
		if (e->cfg.noise_in_frames && i > 0)
			inside[i] = true;
		else
			before++;
	}
	for (size_t i = 0; i < before; i++)
		tx_byte(e, t_us, noise_byte(e));
	e->st.noise_bytes += before;
	for (size_t i = 0; i < n; i++) {
		if (inside[i]) {
			tx_byte(e, t_us, noise_byte(e));
			e->st.noise_bytes++;
		}
		tx_byte(e, t_us, wire[i]);
	}
}

/* A reset loses whatever the transmitter had not yet put on the wire. */
void uart_cancel_after(struct emu *e, uint64_t t_us)
{
	struct emu_byteq *q = &e->txq;

	while (q->len) {
		size_t last = (q->head + q->len - 1) % q->cap;

		if (q->buf[last].t_us <= t_us)
			break;
		q->len--;
		e->st.bytes_tx--;
	}
	if (e->txq.wire_free_ns > t_us * 1000)
		e->txq.wire_free_ns = t_us * 1000;
}

/*
 * What a UART at dst_baud makes of 8N1 text sent at src_baud: the line is
 * rebuilt bit by bit and sampled the way a receiver does (wait for a low
 * level, sample the middle of ten bit cells, resume hunting after the stop
 * bit).  Deterministic, and equal to the text when the rates match.
 */
static int line_level(const uint8_t *text, size_t n, double t, uint32_t src_baud)
{
	double bitpos = t * src_baud;
	size_t bit, ch, k;

	if (bitpos < 0)
		return 1;
	bit = (size_t)bitpos;
	ch = bit / 10;
	k = bit % 10;
	if (ch >= n)
		return 1;
	if (k == 0)
		return 0;
	if (k == 9)
		return 1;
	return (text[ch] >> (k - 1)) & 1;
}

size_t uart_resample(const uint8_t *text, size_t n, uint32_t src_baud, uint32_t dst_baud,
		     uint8_t *out, size_t cap)
{
	double t = 0, end = (double)(n * 10 + 1) / src_baud, cell = 1.0 / dst_baud;
	size_t got = 0;

	while (t < end && got < cap) {
		uint8_t b = 0;

		if (line_level(text, n, t, src_baud)) {
			/* idle: jump to the next source bit boundary */
			double next = (double)((size_t)(t * src_baud) + 1) / src_baud;

			t = next + 1e-12;
			continue;
		}
		if (line_level(text, n, t + cell / 2, src_baud)) {
			t += cell / 2; /* glitch, not a start bit */
			continue;
		}
		for (int k = 0; k < 8; k++)
			b |= (uint8_t)(line_level(text, n, t + cell * (k + 1.5), src_baud) << k);
		out[got++] = b;
		t += cell * 9.5; /* middle of the stop bit: hunt from here */
	}
	return got;
}

void uart_send_text_at(struct emu *e, uint64_t t_us, const char *text, uint32_t text_baud)
{
	uint8_t buf[512];
	size_t n = uart_resample((const uint8_t *)text, strlen(text), text_baud, e->baud, buf,
				 sizeof(buf));

	for (size_t i = 0; i < n; i++) {
		if (buf[i] == SLIP_END)
			buf[i] = 0xE0; /* keep the host's frame hunting simple */
	}
	uart_send_raw(e, t_us, buf, n);
}
