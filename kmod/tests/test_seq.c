// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the DTR/RTS sequence parser that espwipe.ko uses, built
 * from the same source file against libc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "espwipe_seq.h"

static int parse_str(struct espwipe_seq *seq, const char *text)
{
	return espwipe_seq_parse(seq, text, strlen(text));
}

/* Canonical text of @text, or "" (with a failed check) if it does not parse. */
static const char *canon(const char *text, char *buf, size_t size)
{
	struct espwipe_seq seq;

	assert_int_equal(parse_str(&seq, text), 0);
	espwipe_seq_format(&seq, buf, size);
	return buf;
}

static void assert_step(const struct espwipe_step *step, int kind, int dtr,
			int rts, int ms)
{
	assert_int_equal(step->kind, kind);
	if (kind == ESPWIPE_STEP_DTR || kind == ESPWIPE_STEP_LINES)
		assert_int_equal(step->dtr, dtr);
	if (kind == ESPWIPE_STEP_RTS || kind == ESPWIPE_STEP_LINES)
		assert_int_equal(step->rts, rts);
	if (kind == ESPWIPE_STEP_WAIT)
		assert_int_equal(step->ms, ms);
}

static void test_default_bootloader(void **state)
{
	struct espwipe_seq seq;
	char buf[ESPWIPE_SEQ_TEXT_MAX];

	(void)state;
	assert_int_equal(parse_str(&seq, ESPWIPE_SEQ_DEFAULT_BOOTLOADER), 0);
	assert_int_equal(seq.count, 5);
	assert_step(&seq.steps[0], ESPWIPE_STEP_LINES, 0, 1, 0);
	assert_step(&seq.steps[1], ESPWIPE_STEP_WAIT, 0, 0, 100);
	assert_step(&seq.steps[2], ESPWIPE_STEP_LINES, 1, 0, 0);
	assert_step(&seq.steps[3], ESPWIPE_STEP_WAIT, 0, 0, 50);
	assert_step(&seq.steps[4], ESPWIPE_STEP_LINES, 0, 0, 0);
	assert_int_equal(espwipe_seq_format(&seq, buf, sizeof(buf)),
			 strlen(ESPWIPE_SEQ_DEFAULT_BOOTLOADER));
	assert_string_equal(buf, ESPWIPE_SEQ_DEFAULT_BOOTLOADER);
}

static void test_default_reset(void **state)
{
	struct espwipe_seq seq;
	char buf[ESPWIPE_SEQ_TEXT_MAX];

	(void)state;
	assert_int_equal(parse_str(&seq, ESPWIPE_SEQ_DEFAULT_RESET), 0);
	assert_int_equal(seq.count, 3);
	assert_step(&seq.steps[0], ESPWIPE_STEP_LINES, 0, 1, 0);
	assert_step(&seq.steps[1], ESPWIPE_STEP_WAIT, 0, 0, 100);
	assert_step(&seq.steps[2], ESPWIPE_STEP_LINES, 0, 0, 0);
	espwipe_seq_format(&seq, buf, sizeof(buf));
	assert_string_equal(buf, ESPWIPE_SEQ_DEFAULT_RESET);
}

static void test_single_line_steps(void **state)
{
	struct espwipe_seq seq;

	(void)state;
	assert_int_equal(parse_str(&seq, "D0|D1|R0|R1|W0|U1,1"), 0);
	assert_int_equal(seq.count, 6);
	assert_step(&seq.steps[0], ESPWIPE_STEP_DTR, 0, 0, 0);
	assert_step(&seq.steps[1], ESPWIPE_STEP_DTR, 1, 0, 0);
	assert_step(&seq.steps[2], ESPWIPE_STEP_RTS, 0, 0, 0);
	assert_step(&seq.steps[3], ESPWIPE_STEP_RTS, 0, 1, 0);
	assert_step(&seq.steps[4], ESPWIPE_STEP_WAIT, 0, 0, 0);
	assert_step(&seq.steps[5], ESPWIPE_STEP_LINES, 1, 1, 0);
}

static void test_wait_values(void **state)
{
	static const struct {
		const char *text;
		unsigned int ms;
	} cases[] = {
		{ "W0", 0 },		{ "W0.0", 0 },	    { "W0.000", 0 },
		{ "W0.001", 1 },	{ "W0.01", 10 },    { "W0.010", 10 },
		{ "W0.1", 100 },	{ "W0.05", 50 },    { "W0.123", 123 },
		{ "W1", 1000 },		{ "W1.5", 1500 },   { "W4.999", 4999 },
		{ "W5", 5000 },		{ "W5.0", 5000 },   { "W5.000", 5000 },
		{ "W0005", 5000 },	{ "W00.5", 500 },
	};
	struct espwipe_seq seq;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_str(&seq, cases[i].text), 0);
		assert_int_equal(seq.count, 1);
		assert_step(&seq.steps[0], ESPWIPE_STEP_WAIT, 0, 0,
			    (int)cases[i].ms);
	}
}

static void test_canonical_form(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "W0.100", "W0.1" },
		{ "W00.050", "W0.05" },
		{ "W5.000", "W5" },
		{ "W0.0", "W0" },
		{ "W1.230", "W1.23" },
		{ "W0.007", "W0.007" },
		{ "W2.5", "W2.5" },
		{ "U0,1|W0.1|U1,0|W0.05|U0,0\n", "U0,1|W0.1|U1,0|W0.05|U0,0" },
		{ "  D0|R1 \t\r\n", "D0|R1" },
		{ "D0|R1|W0.100|D1|R0|W0.050|D0", "D0|R1|W0.1|D1|R0|W0.05|D0" },
	};
	char buf[ESPWIPE_SEQ_TEXT_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(canon(cases[i].in, buf, sizeof(buf)),
				    cases[i].out);
}

static void test_invalid(void **state)
{
	static const char *const cases[] = {
		"", "\n", " \t ", "|", "D", "D2", "Dx", "D01", "d0", "r1",
		"u0,1", "w0.1", "X", "1", "0", "U", "U0", "U0,", "U0,2",
		"U2,0", "U0;1", "U0 ,1", "U0,1,0", "W", "W.5", "W1.", "W-1",
		"W+1", "W0.0001", "W0.1000", "W5.001", "W6", "W10", "W5.0001",
		"W99999999999999999999", "W1e3", "W0x10", "D0|", "|D0",
		"D0||D1", "D0 |D1", "D0| D1", "D0,D1", "D0;D1", "D0 D1",
		"D0|\nD1", "U0,1|W0.1|U1,0|W0.05|U0,0|", "1\n", "D0|Q1",
	};
	struct espwipe_seq seq;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse_str(&seq, cases[i]) != -EINVAL)
			fail_msg("accepted invalid sequence \"%s\"", cases[i]);
	}
}

static void test_embedded_nul(void **state)
{
	static const char text[] = "D0\0|D1";
	struct espwipe_seq seq;

	(void)state;
	assert_int_equal(espwipe_seq_parse(&seq, text, sizeof(text) - 1),
			 -EINVAL);
	/* The length, not a NUL, ends the input. */
	assert_int_equal(espwipe_seq_parse(&seq, "D0|D1garbage", 5), 0);
	assert_int_equal(seq.count, 2);
}

static void test_failure_leaves_output(void **state)
{
	struct espwipe_seq seq, before;

	(void)state;
	assert_int_equal(parse_str(&seq, "D1|W0.2|R1"), 0);
	before = seq;
	assert_int_equal(parse_str(&seq, "D0|W0.1|R0|X"), -EINVAL);
	assert_memory_equal(&seq, &before, sizeof(seq));
	assert_int_equal(parse_str(&seq, "W5.5"), -EINVAL);
	assert_memory_equal(&seq, &before, sizeof(seq));
}

/* @n steps of @step joined by '|' into @buf. */
static void build_steps(char *buf, size_t size, const char *step, int n)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(buf + len, size - len, "%s%s", i ? "|" : "",
				 step);

		assert_true(w > 0 && (size_t)w < size - len);
		len += (size_t)w;
	}
}

static void test_max_steps(void **state)
{
	char text[1024], out[ESPWIPE_SEQ_TEXT_MAX];
	struct espwipe_seq seq;
	size_t len;

	(void)state;
	build_steps(text, sizeof(text), "W4.999", ESPWIPE_SEQ_MAX_STEPS);
	assert_int_equal(parse_str(&seq, text), 0);
	assert_int_equal(seq.count, ESPWIPE_SEQ_MAX_STEPS);

	/* The longest canonical text fits the documented buffer size. */
	len = espwipe_seq_format(&seq, out, sizeof(out));
	assert_int_equal(len, strlen(text));
	assert_true(len < sizeof(out));
	assert_string_equal(out, text);

	build_steps(text, sizeof(text), "W4.999", ESPWIPE_SEQ_MAX_STEPS + 1);
	assert_int_equal(parse_str(&seq, text), -EINVAL);
	build_steps(text, sizeof(text), "D1", ESPWIPE_SEQ_MAX_STEPS + 1);
	assert_int_equal(parse_str(&seq, text), -EINVAL);
	build_steps(text, sizeof(text), "D1", ESPWIPE_SEQ_MAX_STEPS);
	assert_int_equal(parse_str(&seq, text), 0);
}

static void test_all_waits_round_trip(void **state)
{
	struct espwipe_seq seq, again;
	char text[32], out[32];
	unsigned int ms;

	(void)state;
	for (ms = 0; ms <= ESPWIPE_SEQ_MAX_WAIT_MS; ms++) {
		snprintf(text, sizeof(text), "W%u.%03u", ms / 1000, ms % 1000);
		assert_int_equal(parse_str(&seq, text), 0);
		assert_int_equal(seq.steps[0].ms, ms);
		espwipe_seq_format(&seq, out, sizeof(out));
		assert_int_equal(parse_str(&again, out), 0);
		assert_memory_equal(&seq, &again, sizeof(seq));
		/* Canonical: no trailing zero after a decimal point. */
		if (strchr(out, '.'))
			assert_true(out[strlen(out) - 1] != '0');
	}
	snprintf(text, sizeof(text), "W%u.%03u", ms / 1000, ms % 1000);
	assert_int_equal(parse_str(&seq, text), -EINVAL);
}

static void test_round_trip_mixed(void **state)
{
	static const char *const cases[] = {
		"D0", "R1", "U1,0", "W0.25",
		"D0|R1|W0.1|D1|R0|W0.05|D0",
		"U0,1|W0.1|U1,0|W0.05|U0,0",
		"U1,1|U0,0|U1,1|U0,0|W5|W0|W0.001",
	};
	struct espwipe_seq a, b;
	char once[ESPWIPE_SEQ_TEXT_MAX], twice[ESPWIPE_SEQ_TEXT_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_str(&a, cases[i]), 0);
		espwipe_seq_format(&a, once, sizeof(once));
		assert_string_equal(once, cases[i]);
		assert_int_equal(parse_str(&b, once), 0);
		assert_memory_equal(&a, &b, sizeof(a));
		espwipe_seq_format(&b, twice, sizeof(twice));
		assert_string_equal(once, twice);
	}
}

static void test_format_truncation(void **state)
{
	struct espwipe_seq seq;
	char buf[8];

	(void)state;
	assert_int_equal(parse_str(&seq, "U0,1|W0.1|U0,0"), 0);

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(espwipe_seq_format(&seq, buf, 6), 14);
	assert_string_equal(buf, "U0,1|");
	assert_int_equal(buf[6], 'x');

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(espwipe_seq_format(&seq, buf, 1), 14);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'x');

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(espwipe_seq_format(&seq, buf, 0), 14);
	assert_int_equal(buf[0], 'x');
	assert_int_equal(espwipe_seq_format(&seq, NULL, 0), 14);
}

static void test_step_lines(void **state)
{
	struct espwipe_seq seq;
	unsigned int mask = 0, level = 0;

	(void)state;
	assert_int_equal(parse_str(&seq, "D1|D0|R1|R0|U0,1|U1,0|U1,1|U0,0|W1"),
			 0);
	assert_true(espwipe_step_lines(&seq.steps[0], &mask, &level));
	assert_int_equal(mask, ESPWIPE_LINE_DTR);
	assert_int_equal(level, ESPWIPE_LINE_DTR);
	assert_true(espwipe_step_lines(&seq.steps[1], &mask, &level));
	assert_int_equal(mask, ESPWIPE_LINE_DTR);
	assert_int_equal(level, 0);
	assert_true(espwipe_step_lines(&seq.steps[2], &mask, &level));
	assert_int_equal(mask, ESPWIPE_LINE_RTS);
	assert_int_equal(level, ESPWIPE_LINE_RTS);
	assert_true(espwipe_step_lines(&seq.steps[3], &mask, &level));
	assert_int_equal(mask, ESPWIPE_LINE_RTS);
	assert_int_equal(level, 0);
	assert_true(espwipe_step_lines(&seq.steps[4], &mask, &level));
	assert_int_equal(mask, ESPWIPE_LINE_DTR | ESPWIPE_LINE_RTS);
	assert_int_equal(level, ESPWIPE_LINE_RTS);
	assert_true(espwipe_step_lines(&seq.steps[5], &mask, &level));
	assert_int_equal(mask, ESPWIPE_LINE_DTR | ESPWIPE_LINE_RTS);
	assert_int_equal(level, ESPWIPE_LINE_DTR);
	assert_true(espwipe_step_lines(&seq.steps[6], &mask, &level));
	assert_int_equal(level, ESPWIPE_LINE_DTR | ESPWIPE_LINE_RTS);
	assert_true(espwipe_step_lines(&seq.steps[7], &mask, &level));
	assert_int_equal(mask, ESPWIPE_LINE_DTR | ESPWIPE_LINE_RTS);
	assert_int_equal(level, 0);
	assert_false(espwipe_step_lines(&seq.steps[8], &mask, &level));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_bootloader),
		cmocka_unit_test(test_default_reset),
		cmocka_unit_test(test_single_line_steps),
		cmocka_unit_test(test_wait_values),
		cmocka_unit_test(test_canonical_form),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_failure_leaves_output),
		cmocka_unit_test(test_max_steps),
		cmocka_unit_test(test_all_waits_round_trip),
		cmocka_unit_test(test_round_trip_mixed),
		cmocka_unit_test(test_format_truncation),
		cmocka_unit_test(test_step_lines),
	};
	const int total = (int)(sizeof(tests) / sizeof(tests[0]));
	int failed;

	/* Keep cmocka's stdout and stderr lines in order, summary last. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	failed = cmocka_run_group_tests_name("espwipe_seq", tests, NULL, NULL);
	fflush(stderr);
	printf("%d passed, %d failed\n", total - failed, failed);
	return failed ? 1 : 0;
}
