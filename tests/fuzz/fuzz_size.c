// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: args_parse_size() and args_parse_region(), checked
 * against an independent reference of the documented grammar
 *
 *   NUMBER  := 0x HEX+ | 0 OCT* | [1-9] DEC*      (C base-0 literal)
 *   SIZE    := NUMBER [ (K|k|M|m) [iB] ]           value <= 0xFFFFFFFF
 *   REGION  := SIZE ':' SIZE                       both 4 KiB multiples,
 *                                                  size > 0, end <= 4 GiB - 1
 *
 * The reference computes the value exactly (no wrap-around), so any
 * disagreement is a finding: an accepted string outside the grammar (signs,
 * leading white space), or a value that wrapped (a huge number times a
 * suffix accepted as a small one).
 *
 * With FUZZ_KNOWN_BUGS set in the environment (run_fuzz.sh sets it while
 * tests/fuzz/regressions/KNOWN lists open bugs of this target) inputs of the
 * two known bug classes are skipped, so a run can still find new ones:
 * white space anywhere, and digit runs of 10 or more characters (every
 * number of 2^32 or more, in any base, has one).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool cond)
{
	if (!cond)
		abort();
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* The reference: true and the exact value (saturated above 2^40) if s is a SIZE. */
static bool ref_size(const char *s, uint64_t *out)
{
	const uint64_t cap = (uint64_t)1 << 40;
	unsigned int base = 10;
	uint64_t v = 0;
	size_t ndig = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	while (digit_value(*s) < (int)base) {
		v = v * base + (uint64_t)digit_value(*s);
		if (v > cap)
			v = cap;
		s++;
		ndig++;
	}
	if (ndig == 0)
		return false;
	if (*s == 'K' || *s == 'k' || *s == 'M' || *s == 'm') {
		v *= (*s == 'K' || *s == 'k') ? 1024u : 1024u * 1024u;
		if (v > cap)
			v = cap;
		s++;
		if (s[0] == 'i' && s[1] == 'B')
			s += 2;
	}
	if (*s || v > UINT32_MAX)
		return false;
	*out = v;
	return true;
}

static bool ref_region(const char *s, uint64_t *off, uint64_t *len)
{
	const char *colon = strchr(s, ':');
	char head[64];

	if (!colon || strlen(s) >= 64)
		return false;
	memcpy(head, s, (size_t)(colon - s));
	head[colon - s] = '\0';
	if (!ref_size(head, off) || !ref_size(colon + 1, len))
		return false;
	return *len > 0 && *off % 4096 == 0 && *len % 4096 == 0 && *off + *len <= UINT32_MAX;
}

static bool known_bug_class(const char *s)
{
	size_t run = 0;

	for (; *s; s++) {
		if (strchr(" \t\n\v\f\r", *s))
			return true;
		run = (digit_value(*s) < 16 || *s == 'x' || *s == 'X') ? run + 1 : 0;
		if (run >= 10)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	uint32_t v = 0xdeadbeef, o = 0xdeadbeef, l = 0xdeadbeef;
	uint64_t rv, ro, rl;
	bool ok, want;

	if (size > 256)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (getenv("FUZZ_KNOWN_BUGS") && known_bug_class(s)) {
		free(s);
		return 0;
	}

	ok = args_parse_size(s, &v) == 0;
	want = ref_size(s, &rv);
	check(ok == want);
	check(ok ? v == rv : v == 0xdeadbeef);

	ok = args_parse_region(s, &o, &l) == 0;
	want = ref_region(s, &ro, &rl);
	check(ok == want);
	if (ok)
		check(o == ro && l == rl && o % 4096 == 0 && l % 4096 == 0 && l > 0);
	else
		check(o == 0xdeadbeef && l == 0xdeadbeef);
	free(s);
	return 0;
}
