// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the sequence parser espwipe.ko uses on text written
 * to sysfs.  Properties checked on every input:
 *  - no memory error or undefined behaviour (ASan/UBSan);
 *  - a rejected input leaves the output untouched;
 *  - an accepted input respects the limits, its canonical text fits
 *    ESPWIPE_SEQ_TEXT_MAX, parses back to the same steps and is a fixed
 *    point of format(parse()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "espwipe_seq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct espwipe_seq seq, again, untouched;
	char text[ESPWIPE_SEQ_TEXT_MAX], text2[ESPWIPE_SEQ_TEXT_MAX];
	size_t len;
	unsigned int i;

	memset(&seq, 0xa5, sizeof(seq));
	untouched = seq;
	if (espwipe_seq_parse(&seq, (const char *)data, size)) {
		check(!memcmp(&seq, &untouched, sizeof(seq)));
		return 0;
	}

	check(seq.count >= 1 && seq.count <= ESPWIPE_SEQ_MAX_STEPS);
	for (i = 0; i < seq.count; i++) {
		const struct espwipe_step *st = &seq.steps[i];

		check(st->kind >= ESPWIPE_STEP_DTR && st->kind <= ESPWIPE_STEP_WAIT);
		if (st->kind == ESPWIPE_STEP_WAIT)
			check(st->ms <= ESPWIPE_SEQ_MAX_WAIT_MS);
		else
			check(st->dtr <= 1 && st->rts <= 1);
	}

	len = espwipe_seq_format(&seq, text, sizeof(text));
	check(len < sizeof(text) && strlen(text) == len);
	check(espwipe_seq_parse(&again, text, len) == 0);
	check(again.count == seq.count);
	for (i = 0; i < seq.count; i++) {
		const struct espwipe_step *a = &seq.steps[i], *b = &again.steps[i];

		check(a->kind == b->kind);
		if (a->kind == ESPWIPE_STEP_WAIT)
			check(a->ms == b->ms);
		if (a->kind == ESPWIPE_STEP_DTR || a->kind == ESPWIPE_STEP_LINES)
			check(a->dtr == b->dtr);
		if (a->kind == ESPWIPE_STEP_RTS || a->kind == ESPWIPE_STEP_LINES)
			check(a->rts == b->rts);
	}
	check(espwipe_seq_format(&again, text2, sizeof(text2)) == len);
	check(!memcmp(text, text2, len + 1));
	return 0;
}
