/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * From an open port to a ROM that answers SYNC (fact sheet §3, §11).
 *
 * Each attempt resets the chip into its loader through the caller's hook,
 * throws away what the reset produced, then tries a few SYNC rounds.  The
 * first SYNC after a reset is usually eaten by the ROM's auto-baud, boot text
 * arrives as garbage, and fewer than 8 replies may come back: none of that
 * fails a round.  Only SYNC goes out, never a probe with another opcode.
 */
#include <string.h>

#include "connect.h"

void connect_params_default(struct connect_params *p)
{
	p->attempts = 4;
	p->sync_rounds = 5;
	p->sync_timeout_ms = 100;
	p->drain_ms = 5;
}

int connect_rom(struct rom_link *link, const struct reset_hook *reset,
		const struct connect_params *p, struct connect_result *res)
{
	struct connect_params def;
	struct connect_result local;
	unsigned long garbage0 = rom_link_garbage(link);
	int rc = ROM_E_TIMEOUT;

	if (!p) {
		connect_params_default(&def);
		p = &def;
	}
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));

	for (int attempt = 0; attempt < p->attempts; attempt++) {
		res->attempts_used = attempt + 1;
		if (reset && reset->enter_loader) {
			int hrc = reset->enter_loader(reset->ctx, attempt);
			if (hrc < 0) {
				link->last_errno = -hrc;
				rc = ROM_E_IO;
				goto out;
			}
		}
		rc = rom_link_flush(link);
		if (rc != ROM_OK)
			goto out;

		for (int round = 0; round < p->sync_rounds; round++) {
			int replies = 0;

			rc = rom_link_flush(link);
			if (rc != ROM_OK)
				goto out;
			/* first round after a reset: one frame for the auto-baud to eat */
			int frames = round == 0 ? 2 : 1;

			res->syncs_sent += frames;
			rc = rom_sync_frames(link, frames, p->sync_timeout_ms, p->drain_ms, &replies,
					     &res->synced_at_us);
			if (rc == ROM_OK) {
				res->replies = replies;
				res->stub = link->stub;
				goto out;
			}
			if (rc == ROM_E_IO)
				goto out;
			/* late replies and boot text arriving meanwhile are consumed */
			rc = rom_link_drain(link, CONNECT_ROUND_GAP_MS);
			if (rc != ROM_OK)
				goto out;
			rc = ROM_E_TIMEOUT;
		}
	}
	rc = ROM_E_TIMEOUT;
out:
	res->garbage_bytes = rom_link_garbage(link) - garbage0;
	return rc;
}
