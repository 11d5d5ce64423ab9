/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test rig both libespemu unit tests share (test_emu.c, test_esp32.c):
 * one emulated chip under a fake clock, requests SLIP-encoded in, the
 * chip's bytes collected and split into frames.
 */
#ifndef ESPEMU_TEST_RIG_H
#define ESPEMU_TEST_RIG_H

#include <stddef.h>
#include <stdint.h>

#include "espemu.h"

#define MS 1000ull
#define SEC 1000000ull
#define RIG_FMAX 128 /* longest decoded frame kept in rig.f */
#define RIG_NF 64    /* frames kept in rig.f */

struct rig {
	struct emu *e;
	uint64_t t;
	uint8_t rx[65536]; /* chip -> host bytes collected so far */
	size_t rx_len;
	uint8_t f[RIG_NF][RIG_FMAX]; /* rig_frames(): the frames of rx */
	size_t len[RIG_NF];
};

/* Defaults, chip in its loader, no banner, no lost first SYNC, no wire pacing. */
void cfg_quiet(struct emu_config *c);
struct rig *rig_new(const struct emu_config *c);
void rig_free(struct rig *r);
/* Let time pass to t, collecting what the chip sends. */
void run_to(struct rig *r, uint64_t t);
void put32(uint8_t *p, uint32_t v);
uint32_t get32(const uint8_t *p);
/* SLIP-encode and send one request (op, data, checksum) at r->t. */
void send_req(struct rig *r, uint8_t op, const uint8_t *data, size_t n, uint32_t csum);
void send_sync(struct rig *r);
/*
 * Split the collected bytes into decoded frames: frame i goes to
 * f + i * fmax (cut at fmax bytes), its length to len[i]; at most max.
 */
size_t rig_split(const struct rig *r, uint8_t *f, size_t fmax, size_t *len, size_t max);
/* The same into r->f / r->len. */
size_t rig_frames(struct rig *r);

#endif /* ESPEMU_TEST_RIG_H */
