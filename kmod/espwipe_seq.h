/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DTR/RTS step sequences in esptool's notation:
 *
 *   D0 D1       set DTR low/high
 *   R0 R1       set RTS low/high
 *   U<d>,<r>    set both lines in one request, e.g. U0,1
 *   W<seconds>  wait, at most 5 s, up to 3 decimals, e.g. W0.05
 *
 * joined by '|', e.g. "U0,1|W0.1|U1,0|W0.05|U0,0".  Leading and trailing
 * white space (the newline of "echo") is ignored, nothing else is.
 * A line value of 1 means "asserted", as TIOCMSET understands it.
 */
#ifndef ESPWIPE_SEQ_H
#define ESPWIPE_SEQ_H

#include "espwipe_shim.h"

#define ESPWIPE_SEQ_MAX_STEPS	32
#define ESPWIPE_SEQ_MAX_WAIT_MS	5000
/* Longest step text is "W4.999" (6 chars), plus a separator or the NUL. */
#define ESPWIPE_SEQ_TEXT_MAX	(ESPWIPE_SEQ_MAX_STEPS * 7)

#define ESPWIPE_SEQ_DEFAULT_BOOTLOADER	"U0,1|W0.1|U1,0|W0.05|U0,0"
#define ESPWIPE_SEQ_DEFAULT_RESET	"U0,1|W0.1|U0,0"

enum espwipe_step_kind {
	ESPWIPE_STEP_DTR = 1,	/* D<dtr> */
	ESPWIPE_STEP_RTS,	/* R<rts> */
	ESPWIPE_STEP_LINES,	/* U<dtr>,<rts> */
	ESPWIPE_STEP_WAIT,	/* W<ms / 1000> */
};

/* Line bits reported by espwipe_step_lines(). */
#define ESPWIPE_LINE_DTR	0x1u
#define ESPWIPE_LINE_RTS	0x2u

struct espwipe_step {
	unsigned char kind;	/* enum espwipe_step_kind */
	unsigned char dtr;	/* 0 or 1, for DTR and LINES steps */
	unsigned char rts;	/* 0 or 1, for RTS and LINES steps */
	unsigned short ms;	/* for WAIT steps, 0..ESPWIPE_SEQ_MAX_WAIT_MS */
};

struct espwipe_seq {
	unsigned int count;	/* 0 only in a sequence never parsed */
	struct espwipe_step steps[ESPWIPE_SEQ_MAX_STEPS];
};

/*
 * Parse @len bytes of @text (need not be NUL-terminated).  Returns 0 and
 * fills @seq, or -EINVAL and leaves @seq untouched.
 */
int espwipe_seq_parse(struct espwipe_seq *seq, const char *text, size_t len);

/*
 * Write the canonical text of @seq into @buf like snprintf(): at most
 * @size bytes including the NUL, returns the length the full text needs.
 */
size_t espwipe_seq_format(const struct espwipe_seq *seq, char *buf,
			  size_t size);

/*
 * For a line step, set *@mask to the lines it changes and *@level to the
 * ones it asserts (ESPWIPE_LINE_* bits) and return true; false otherwise.
 */
bool espwipe_step_lines(const struct espwipe_step *step, unsigned int *mask,
			unsigned int *level);

#endif /* ESPWIPE_SEQ_H */
