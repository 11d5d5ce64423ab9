// SPDX-License-Identifier: GPL-2.0
/*
 * Parser and printer for DTR/RTS step sequences (grammar in espwipe_seq.h).
 *
 * Shared by espwipe.ko and the userspace tests, so it uses no library
 * function at all: only the types from espwipe_shim.h.
 */
#include "espwipe_seq.h"

/* Cursor over the unparsed input: [pos, end). */
struct seq_cursor {
	const char *pos;
	const char *end;
};

/* Output buffer with snprintf() semantics: @len counts every byte. */
struct seq_out {
	char *buf;
	size_t size;
	size_t len;
};

static bool seq_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool seq_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool seq_at_end(const struct seq_cursor *cur)
{
	return cur->pos == cur->end;
}

static bool seq_take(struct seq_cursor *cur, char c)
{
	if (seq_at_end(cur) || *cur->pos != c)
		return false;
	cur->pos++;
	return true;
}

static int seq_parse_level(struct seq_cursor *cur, unsigned char *level)
{
	if (seq_take(cur, '0')) {
		*level = 0;
		return 0;
	}
	if (seq_take(cur, '1')) {
		*level = 1;
		return 0;
	}
	return -EINVAL;
}

/*
 * Seconds with up to three decimals, converted to milliseconds.  Bails out
 * as soon as the whole seconds exceed the limit, so long digit strings
 * cannot overflow.
 */
static int seq_parse_wait(struct seq_cursor *cur, unsigned short *ms)
{
	unsigned int whole = 0, frac = 0, decimals = 0, total;

	if (seq_at_end(cur) || !seq_is_digit(*cur->pos))
		return -EINVAL;
	while (!seq_at_end(cur) && seq_is_digit(*cur->pos)) {
		whole = whole * 10 + (unsigned int)(*cur->pos - '0');
		if (whole > ESPWIPE_SEQ_MAX_WAIT_MS / 1000)
			return -EINVAL;
		cur->pos++;
	}
	if (seq_take(cur, '.')) {
		while (!seq_at_end(cur) && seq_is_digit(*cur->pos)) {
			if (decimals == 3)
				return -EINVAL;
			frac = frac * 10 + (unsigned int)(*cur->pos - '0');
			decimals++;
			cur->pos++;
		}
		if (decimals == 0)
			return -EINVAL;
	}
	for (; decimals < 3; decimals++)
		frac *= 10;

	total = whole * 1000 + frac;
	if (total > ESPWIPE_SEQ_MAX_WAIT_MS)
		return -EINVAL;
	*ms = (unsigned short)total;
	return 0;
}

static int seq_parse_step(struct seq_cursor *cur, struct espwipe_step *step)
{
	if (seq_take(cur, 'D')) {
		step->kind = ESPWIPE_STEP_DTR;
		return seq_parse_level(cur, &step->dtr);
	}
	if (seq_take(cur, 'R')) {
		step->kind = ESPWIPE_STEP_RTS;
		return seq_parse_level(cur, &step->rts);
	}
	if (seq_take(cur, 'U')) {
		step->kind = ESPWIPE_STEP_LINES;
		if (seq_parse_level(cur, &step->dtr) || !seq_take(cur, ','))
			return -EINVAL;
		return seq_parse_level(cur, &step->rts);
	}
	if (seq_take(cur, 'W')) {
		step->kind = ESPWIPE_STEP_WAIT;
		return seq_parse_wait(cur, &step->ms);
	}
	return -EINVAL;
}

int espwipe_seq_parse(struct espwipe_seq *seq, const char *text, size_t len)
{
	struct espwipe_seq parsed = { 0 };
	struct seq_cursor cur = { text, text + len };

	while (!seq_at_end(&cur) && seq_is_space(*cur.pos))
		cur.pos++;
	while (!seq_at_end(&cur) && seq_is_space(cur.end[-1]))
		cur.end--;
	if (seq_at_end(&cur))
		return -EINVAL;

	for (;;) {
		struct espwipe_step step = { 0 };

		if (parsed.count == ESPWIPE_SEQ_MAX_STEPS)
			return -EINVAL;
		if (seq_parse_step(&cur, &step))
			return -EINVAL;
		parsed.steps[parsed.count++] = step;
		if (seq_at_end(&cur))
			break;
		if (!seq_take(&cur, '|'))
			return -EINVAL;
	}

	*seq = parsed;
	return 0;
}

static void seq_put(struct seq_out *out, char c)
{
	if (out->len + 1 < out->size)
		out->buf[out->len] = c;
	out->len++;
}

static void seq_put_level(struct seq_out *out, unsigned char level)
{
	seq_put(out, level ? '1' : '0');
}

static void seq_put_uint(struct seq_out *out, unsigned int value)
{
	char digits[10];
	unsigned int n = 0;

	do {
		digits[n++] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	while (n)
		seq_put(out, digits[--n]);
}

/* Milliseconds as seconds with no trailing zeros: 100 -> "0.1", 2000 -> "2". */
static void seq_put_wait(struct seq_out *out, unsigned int ms)
{
	unsigned int frac = ms % 1000, div;

	seq_put_uint(out, ms / 1000);
	if (!frac)
		return;
	seq_put(out, '.');
	for (div = 100; frac; div /= 10) {
		seq_put(out, (char)('0' + frac / div));
		frac %= div;
	}
}

static void seq_put_step(struct seq_out *out, const struct espwipe_step *step)
{
	switch (step->kind) {
	case ESPWIPE_STEP_DTR:
		seq_put(out, 'D');
		seq_put_level(out, step->dtr);
		break;
	case ESPWIPE_STEP_RTS:
		seq_put(out, 'R');
		seq_put_level(out, step->rts);
		break;
	case ESPWIPE_STEP_LINES:
		seq_put(out, 'U');
		seq_put_level(out, step->dtr);
		seq_put(out, ',');
		seq_put_level(out, step->rts);
		break;
	case ESPWIPE_STEP_WAIT:
		seq_put(out, 'W');
		seq_put_wait(out, step->ms);
		break;
	default:
		seq_put(out, '?');
		break;
	}
}

size_t espwipe_seq_format(const struct espwipe_seq *seq, char *buf,
			  size_t size)
{
	struct seq_out out = { buf, size, 0 };
	unsigned int i;

	for (i = 0; i < seq->count && i < ESPWIPE_SEQ_MAX_STEPS; i++) {
		if (i)
			seq_put(&out, '|');
		seq_put_step(&out, &seq->steps[i]);
	}
	if (size)
		buf[out.len < size ? out.len : size - 1] = '\0';
	return out.len;
}

bool espwipe_step_lines(const struct espwipe_step *step, unsigned int *mask,
			unsigned int *level)
{
	switch (step->kind) {
	case ESPWIPE_STEP_DTR:
		*mask = ESPWIPE_LINE_DTR;
		*level = step->dtr ? ESPWIPE_LINE_DTR : 0;
		return true;
	case ESPWIPE_STEP_RTS:
		*mask = ESPWIPE_LINE_RTS;
		*level = step->rts ? ESPWIPE_LINE_RTS : 0;
		return true;
	case ESPWIPE_STEP_LINES:
		*mask = ESPWIPE_LINE_DTR | ESPWIPE_LINE_RTS;
		*level = (step->dtr ? ESPWIPE_LINE_DTR : 0) |
			 (step->rts ? ESPWIPE_LINE_RTS : 0);
		return true;
	default:
		return false;
	}
}
