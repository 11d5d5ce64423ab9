/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The byte stream the ROM protocol runs over.  The protocol modules (rom,
 * connect, chip) only ever talk to this; port.c implements it on a tty, the
 * unit tests implement it on a scripted in-memory peer.
 */
#ifndef ESPWIPE_TRANSPORT_H
#define ESPWIPE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct transport_ops {
	/* Write all of buf; 0 or -errno. */
	int (*write)(void *ctx, const uint8_t *buf, size_t len);
	/*
	 * Read what is available, waiting at most timeout_ms for the first byte.
	 * Returns bytes read (>0), 0 on timeout, -errno on error (-ENODEV or -EIO
	 * when the device went away).
	 */
	ssize_t (*read)(void *ctx, uint8_t *buf, size_t cap, int timeout_ms);
	/* Discard unread input (and unsent output); 0 or -errno. */
	int (*flush)(void *ctx);
	/* Monotonic clock in microseconds (the tests may fake it). */
	uint64_t (*now_us)(void *ctx);
};

struct transport {
	const struct transport_ops *ops;
	void *ctx;
	/*
	 * Optional packet trace (-v): called for every frame sent and received,
	 * dir is '>' (to chip) or '<' (from chip), bytes are the unescaped body.
	 */
	void (*trace)(void *trace_ctx, char dir, const uint8_t *body, size_t len);
	void *trace_ctx;
};

#endif /* ESPWIPE_TRANSPORT_H */
