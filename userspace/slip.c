/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SLIP framing for the ESP ROM loader.
 *
 * The decoder is a pure state machine over one struct (no globals) so it can
 * be fed byte by byte from a tty, a test script or a fuzzer.  Empty frames
 * (two C0 in a row) are not reported: back-to-back replies each bring their
 * own delimiters, and a stream joined in the middle of a frame resyncs on the
 * next pair of C0s.
 */
#include "slip.h"

size_t slip_encode(const uint8_t *body, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;

	if (cap < 2)
		return 0;
	out[o++] = SLIP_END;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = body[i];

		if (b == SLIP_END || b == SLIP_ESC) {
			if (cap - o < 3)
				return 0;
			out[o++] = SLIP_ESC;
			out[o++] = b == SLIP_END ? SLIP_ESC_END : SLIP_ESC_ESC;
		} else {
			if (cap - o < 2)
				return 0;
			out[o++] = b;
		}
	}
	out[o++] = SLIP_END;
	return o;
}

void slip_decoder_init(struct slip_decoder *dec)
{
	dec->len = 0;
	dec->in_frame = 0;
	dec->escaped = 0;
	dec->garbage = 0;
	dec->errors = 0;
}

void slip_decoder_resync(struct slip_decoder *dec)
{
	dec->len = 0;
	dec->in_frame = 0;
	dec->escaped = 0;
}

/* Drop the frame being collected; bytes up to the next C0 count as garbage. */
static enum slip_event slip_fail(struct slip_decoder *dec)
{
	dec->errors++;
	slip_decoder_resync(dec);
	return SLIP_ERROR;
}

enum slip_event slip_feed(struct slip_decoder *dec, uint8_t byte)
{
	if (!dec->in_frame) {
		if (byte == SLIP_END) {
			dec->in_frame = 1;
			dec->len = 0;
			dec->escaped = 0;
		} else {
			dec->garbage++;
		}
		return SLIP_NONE;
	}

	if (dec->escaped) {
		dec->escaped = 0;
		if (byte == SLIP_ESC_END)
			byte = SLIP_END;
		else if (byte == SLIP_ESC_ESC)
			byte = SLIP_ESC;
		else
			/*
			 * A C0 here ends the broken frame; anything else is
			 * noise until the next C0 opens a frame.
			 */
			return slip_fail(dec);
	} else if (byte == SLIP_END) {
		if (dec->len == 0)
			return SLIP_NONE; /* C0 C0: the second one opens a frame */
		dec->in_frame = 0;
		return SLIP_FRAME;
	} else if (byte == SLIP_ESC) {
		dec->escaped = 1;
		return SLIP_NONE;
	}

	if (dec->len >= sizeof(dec->buf))
		return slip_fail(dec);
	dec->buf[dec->len++] = byte;
	return SLIP_NONE;
}
