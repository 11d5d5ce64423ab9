/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SLIP framing as the ESP ROM loader uses it: C0 body C0, C0->DB DC, DB->DB DD. */
#ifndef ESPWIPE_SLIP_H
#define ESPWIPE_SLIP_H

#include <stddef.h>
#include <stdint.h>

#define SLIP_END 0xC0
#define SLIP_ESC 0xDB
#define SLIP_ESC_END 0xDC
#define SLIP_ESC_ESC 0xDD

/* Worst-case encoded size of a body of n bytes. */
#define SLIP_ENCODED_MAX(n) (2 * (n) + 2)

/* Encode body into out (cap bytes); returns encoded length or 0 if it does not fit. */
size_t slip_encode(const uint8_t *body, size_t len, uint8_t *out, size_t cap);

enum slip_event {
	SLIP_NONE,    /* byte consumed, nothing to report */
	SLIP_FRAME,   /* a complete non-empty frame is in dec->buf[0..dec->len) */
	SLIP_ERROR,   /* bad escape or oversize frame: frame dropped, decoder resynced */
};

struct slip_decoder {
	uint8_t buf[1024];
	size_t len;
	int in_frame;
	int escaped;
	unsigned long garbage; /* bytes seen outside any frame (boot text, noise) */
	unsigned long errors;
};

void slip_decoder_init(struct slip_decoder *dec);
/* Forget any partial frame (after a flush); keeps the garbage/error counters. */
void slip_decoder_resync(struct slip_decoder *dec);
/*
 * Feed one byte.  After SLIP_FRAME the frame stays in buf until the next
 * byte is fed.  Bytes outside frames are counted in garbage; a bad escape
 * (DB followed by anything but DC/DD) or a frame longer than buf counts in
 * errors, drops the frame, and the decoder waits for the next C0.
 */
enum slip_event slip_feed(struct slip_decoder *dec, uint8_t byte);

#endif /* ESPWIPE_SLIP_H */
