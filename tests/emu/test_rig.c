// SPDX-License-Identifier: GPL-2.0-or-later
/* The shared libespemu unit-test rig (test_rig.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_rig.h"

void cfg_quiet(struct emu_config *c)
{
	emu_config_defaults(c);
	c->start_mode = EMU_MODE_LOADER;
	c->boot_banner = false;
	c->first_sync_lost = false;
	c->wire_timing = false;
}

struct rig *rig_new(const struct emu_config *c)
{
	struct rig *r = test_calloc(1, sizeof(*r));

	r->e = emu_new(c, 0);
	assert_non_null(r->e);
	return r;
}

void rig_free(struct rig *r)
{
	emu_free(r->e);
	test_free(r);
}

void run_to(struct rig *r, uint64_t t)
{
	r->t = t;
	r->rx_len += emu_tx(r->e, r->rx + r->rx_len, sizeof(r->rx) - r->rx_len, t);
}

void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void send_req(struct rig *r, uint8_t op, const uint8_t *data, size_t n, uint32_t csum)
{
	static uint8_t body[8 + 8192], wire[2 * (8 + 8192) + 2];
	size_t w = 0;

	assert_true(n <= 8192);
	body[0] = 0;
	body[1] = op;
	body[2] = (uint8_t)n;
	body[3] = (uint8_t)(n >> 8);
	put32(body + 4, csum);
	if (n)
		memcpy(body + 8, data, n);
	wire[w++] = 0xC0;
	for (size_t i = 0; i < 8 + n; i++) {
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
	emu_rx(r->e, wire, w, r->t);
}

void send_sync(struct rig *r)
{
	uint8_t d[36];

	put32(d, 0x20120707);
	memset(d + 4, 0x55, 32);
	send_req(r, 0x08, d, sizeof(d), 0);
}

size_t rig_split(const struct rig *r, uint8_t *f, size_t fmax, size_t *len, size_t max)
{
	size_t nf = 0, cur = 0;
	bool in = false, esc = false;

	for (size_t i = 0; i < r->rx_len && nf < max; i++) {
		uint8_t b = r->rx[i];

		if (b == 0xC0) {
			if (in && cur) {
				len[nf++] = cur;
				in = false;
			} else {
				in = true;
			}
			cur = 0;
			continue;
		}
		if (!in)
			continue;
		if (esc) {
			b = b == 0xDC ? 0xC0 : 0xDB;
			esc = false;
		} else if (b == 0xDB) {
			esc = true;
			continue;
		}
		if (cur < fmax)
			f[nf * fmax + cur++] = b;
	}
	return nf;
}

size_t rig_frames(struct rig *r)
{
	return rig_split(r, &r->f[0][0], RIG_FMAX, r->len, RIG_NF);
}
