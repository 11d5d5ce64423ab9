/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted in-memory transport for unit tests: bytes "from the chip" are
 * queued with the fake time they arrive, reads advance the fake clock to the
 * next arrival (or by the whole timeout), and everything the host writes is
 * logged raw and as decoded frames.  An optional responder sees each frame
 * the host sends and may queue replies.
 */
#ifndef ESPWIPE_FAKE_TRANSPORT_H
#define ESPWIPE_FAKE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"

#define FAKE_MAX_RX 65536
#define FAKE_MAX_TX 65536
#define FAKE_MAX_FRAMES 4096
#define FAKE_MAX_BODY 1100

struct fake_frame {
	uint8_t body[FAKE_MAX_BODY];
	size_t len;
	uint64_t at_us; /* fake time it was written */
};

struct fake_tr;
typedef void (*fake_responder)(struct fake_tr *f, const uint8_t *body, size_t len, void *ctx);

struct fake_tr {
	struct transport tr;
	uint64_t now_us;

	/* chip -> host, in arrival order */
	uint8_t rx[FAKE_MAX_RX];
	uint64_t rx_at[FAKE_MAX_RX];
	size_t rx_head, rx_tail;

	/* host -> chip */
	uint8_t tx[FAKE_MAX_TX];
	size_t tx_len;
	struct fake_frame *frames; /* FAKE_MAX_FRAMES, decoded host frames */
	size_t nframes;
	uint8_t cur[FAKE_MAX_BODY];
	size_t cur_len;
	bool cur_in, cur_esc, cur_bad;

	fake_responder respond;
	void *respond_ctx;

	/* counters and fault injection */
	unsigned int reads, flushes, writes;
	unsigned long flushed_bytes;
	int read_error;  /* returned by read when nonzero (-errno) */
	int write_error; /* returned by write when nonzero */
	int flush_error;
};

struct fake_tr *fake_new(void);
void fake_free(struct fake_tr *f);
/* Queue raw bytes arriving at absolute fake time at_us (kept in time order). */
void fake_queue_raw(struct fake_tr *f, uint64_t at_us, const uint8_t *b, size_t n);
/* Queue a SLIP-framed body. */
void fake_queue_frame(struct fake_tr *f, uint64_t at_us, const uint8_t *body, size_t n);
/* Queue a ROM reply: 01 op 02 00 value status error. */
void fake_queue_reply(struct fake_tr *f, uint64_t at_us, uint8_t op, uint32_t value,
		      uint8_t status, uint8_t error);
/*
 * Queue a reply with a payload and status_len (2 or 4) trailing status bytes:
 * 01 op size value payload status error [00 00].
 */
void fake_queue_reply_ex(struct fake_tr *f, uint64_t at_us, uint8_t op, uint32_t value,
			 const uint8_t *payload, size_t plen, uint8_t status, uint8_t error,
			 size_t status_len);
/* Bytes still queued. */
size_t fake_pending(const struct fake_tr *f);

#endif /* ESPWIPE_FAKE_TRANSPORT_H */
