/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Getting from "port open" to "ROM answered SYNC". */
#ifndef ESPWIPE_CONNECT_H
#define ESPWIPE_CONNECT_H

#include <stdbool.h>
#include <stdint.h>

#include "rom.h"

/*
 * How the chip is put into its loader before an attempt.  attempt counts from
 * 0; the hook chooses the hold time for it (the standard 50 ms on even
 * attempts, the long 550 ms variant on odd ones).  Returns 0 or -errno.
 * NULL enter_loader means "none": the chip is assumed to be in the loader.
 */
struct reset_hook {
	int (*enter_loader)(void *ctx, int attempt);
	void *ctx;
};

struct connect_params {
	int attempts;         /* resets tried (default 4) */
	int sync_rounds;      /* SYNCs per attempt (default 5) */
	int sync_timeout_ms;  /* wait for the first reply to one SYNC (default 100) */
	int drain_ms;         /* quiet time that ends the wait for extra SYNC replies (default 5) */
};

struct connect_result {
	int attempts_used;    /* 1-based attempt that synced */
	int syncs_sent;
	int replies;          /* SYNC replies counted on the successful round */
	uint64_t synced_at_us;  /* first SYNC reply of the successful round */
	unsigned long garbage_bytes; /* boot text and noise skipped */
	bool stub;            /* the SYNC replies carried value 0: a stub answered */
};

/* Pause between failed sync rounds; bytes arriving meanwhile are consumed. */
#define CONNECT_ROUND_GAP_MS 50

void connect_params_default(struct connect_params *p);

/*
 * ROM_OK, ROM_E_TIMEOUT (never synced) or ROM_E_IO; a hook error is ROM_E_IO
 * (its errno in link->last_errno).  res is filled in every case (attempts_used
 * is then the number of attempts made).  Only SYNC is ever sent.
 */
int connect_rom(struct rom_link *link, const struct reset_hook *reset,
		const struct connect_params *p, struct connect_result *res);

#endif /* ESPWIPE_CONNECT_H */
