/* SPDX-License-Identifier: GPL-2.0-or-later */
/* connect_rom against the fake ROM: lost SYNCs, banner noise, retries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "fake_rom.h"
#include "fake_transport.h"
#include "unit.h"

struct cx {
	struct fake_tr *f;
	struct fake_rom rom;
	struct rom_link link;
	/* what the reset hook saw and does */
	int calls;
	int attempts_seen[16];
	uint64_t called_at[16];
	int ignore_syncs_after_reset; /* SYNCs the ROM loses after each reset */
	int answer_from_attempt;      /* the ROM answers from this attempt on */
	const char *banner;           /* printed 5 ms after each reset */
	int fail_with;                /* hook error */
};

static int cx_setup(void **state)
{
	struct cx *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	x->f = fake_new();
	fake_rom_init(&x->rom, x->f);
	rom_link_init(&x->link, &x->f->tr);
	*state = x;
	return 0;
}

static int cx_teardown(void **state)
{
	struct cx *x = *state;

	fake_free(x->f);
	free(x);
	return 0;
}

static int reset_hook(void *ctx, int attempt)
{
	struct cx *x = ctx;

	if (x->calls < 16) {
		x->attempts_seen[x->calls] = attempt;
		x->called_at[x->calls] = x->f->now_us;
	}
	x->calls++;
	if (x->fail_with)
		return x->fail_with;
	x->rom.syncs_to_ignore = attempt < x->answer_from_attempt ? 1000000
								 : x->ignore_syncs_after_reset;
	/* boot text already waiting (the flush drops it) and more arriving later */
	fake_queue_raw(x->f, x->f->now_us, (const uint8_t *)"old", 3);
	if (x->banner)
		fake_queue_raw(x->f, x->f->now_us + 5000, (const uint8_t *)x->banner,
			       strlen(x->banner));
	return 0;
}

static void assert_only_sync_sent(const struct fake_tr *f)
{
	for (size_t i = 0; i < f->nframes; i++) {
		assert_int_equal(f->frames[i].len, 8 + 36);
		assert_int_equal(f->frames[i].body[0], 0x00);
		assert_int_equal(f->frames[i].body[1], ROM_SYNC);
	}
}

static void lost_first_sync_and_banner(void **state)
{
	struct cx *x = *state;
	struct reset_hook hook = { reset_hook, x };
	struct connect_result res;
	const char banner[] = "\r\n ets Jan  8 2013,rst cause:2, boot mode:(1,6)\r\n\r\n";

	x->banner = banner;
	x->ignore_syncs_after_reset = 1;
	assert_int_equal(connect_rom(&x->link, &hook, NULL, &res), ROM_OK);
	assert_int_equal(res.attempts_used, 1);
	assert_int_equal(res.syncs_sent, 2);
	assert_int_equal(res.replies, 8);
	assert_false(res.stub);
	assert_int_equal(res.garbage_bytes, strlen(banner));
	assert_int_equal(x->calls, 1);
	assert_int_equal(x->attempts_seen[0], 0);
	assert_int_equal(x->f->nframes, 2);
	assert_only_sync_sent(x->f);
	/* both SYNCs back to back: the auto-baud eats one, no timeout is spent */
	assert_int_equal(x->f->frames[1].at_us, x->f->frames[0].at_us);
	/* synced at the first reply to the second frame (the other 7 are drained) */
	assert_int_equal(res.synced_at_us, x->f->frames[1].at_us + 1500);
	assert_int_equal(x->f->flushes, 2); /* after reset, before the round */
}

static void fewer_than_eight_replies(void **state)
{
	struct cx *x = *state;
	struct connect_result res;

	x->rom.sync_replies = 2;
	assert_int_equal(connect_rom(&x->link, NULL, NULL, &res), ROM_OK);
	assert_int_equal(res.replies, 2);
	assert_int_equal(res.syncs_sent, 2); /* the pair of the first round */
	assert_int_equal(res.attempts_used, 1);
	assert_only_sync_sent(x->f);
}

static void one_reply_is_enough(void **state)
{
	struct cx *x = *state;
	struct connect_result res;

	x->rom.sync_replies = 1;
	assert_int_equal(connect_rom(&x->link, NULL, NULL, &res), ROM_OK);
	assert_int_equal(res.replies, 1);
}

static void never_synced_times_out(void **state)
{
	struct cx *x = *state;
	struct reset_hook hook = { reset_hook, x };
	struct connect_params p;
	struct connect_result res;
	uint64_t t0 = x->f->now_us;

	connect_params_default(&p);
	x->answer_from_attempt = 99;
	assert_int_equal(connect_rom(&x->link, &hook, &p, &res), ROM_E_TIMEOUT);
	assert_int_equal(res.attempts_used, 4);
	assert_int_equal(res.syncs_sent, 4 * 6); /* 5 rounds, the first one a pair */
	assert_int_equal(x->calls, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(x->attempts_seen[i], i);
		/* each attempt: 5 rounds of 100 ms wait + 50 ms gap */
		assert_int_equal(x->called_at[i] - t0, (uint64_t)i * 5 * 150000);
	}
	assert_int_equal(x->f->now_us - t0, 4 * 5 * 150000);
	assert_int_equal(x->f->nframes, 24);
	assert_only_sync_sent(x->f);
}

static void syncs_on_second_attempt(void **state)
{
	struct cx *x = *state;
	struct reset_hook hook = { reset_hook, x };
	struct connect_result res;

	x->answer_from_attempt = 1;
	x->ignore_syncs_after_reset = 1;
	assert_int_equal(connect_rom(&x->link, &hook, NULL, &res), ROM_OK);
	assert_int_equal(res.attempts_used, 2);
	assert_int_equal(res.syncs_sent, 6 + 2);
	assert_int_equal(x->calls, 2);
	assert_int_equal(x->attempts_seen[1], 1);
}

static void custom_params(void **state)
{
	struct cx *x = *state;
	struct reset_hook hook = { reset_hook, x };
	struct connect_params p = { .attempts = 2, .sync_rounds = 3, .sync_timeout_ms = 40,
				    .drain_ms = 5 };
	struct connect_result res;
	uint64_t t0 = x->f->now_us;

	x->answer_from_attempt = 99;
	assert_int_equal(connect_rom(&x->link, &hook, &p, &res), ROM_E_TIMEOUT);
	assert_int_equal(res.syncs_sent, 2 * 4);
	assert_int_equal(x->f->now_us - t0, 6 * (40000 + 50000));
}

static void hook_error_is_io(void **state)
{
	struct cx *x = *state;
	struct reset_hook hook = { reset_hook, x };
	struct connect_result res;

	x->fail_with = -ENOTTY;
	assert_int_equal(connect_rom(&x->link, &hook, NULL, &res), ROM_E_IO);
	assert_int_equal(x->link.last_errno, ENOTTY);
	assert_int_equal(x->f->nframes, 0);
}

static void device_gone_is_io(void **state)
{
	struct cx *x = *state;
	struct connect_result res;

	x->f->read_error = -ENODEV;
	assert_int_equal(connect_rom(&x->link, NULL, NULL, &res), ROM_E_IO);
	assert_int_equal(x->link.last_errno, ENODEV);
	assert_int_equal(res.syncs_sent, 2);
}

static void noise_during_gap_is_consumed(void **state)
{
	struct cx *x = *state;
	struct connect_result res;
	uint64_t t0 = x->f->now_us;

	/* the first round's pair is lost; noise and a late, stale reply arrive in the gap */
	x->rom.syncs_to_ignore = 2;
	fake_queue_raw(x->f, t0 + 120000, (const uint8_t *)"\xff\xfe\x00noise", 8);
	fake_queue_reply(x->f, t0 + 130000, ROM_SYNC, ROM_SYNC_VALUE, 0, 0);
	assert_int_equal(connect_rom(&x->link, NULL, NULL, &res), ROM_OK);
	assert_int_equal(res.garbage_bytes, 8);
	assert_int_equal(res.syncs_sent, 3);
	assert_int_equal(res.replies, 8); /* the stale one was not counted */
	assert_int_equal(x->f->flushed_bytes, 0);
}

static void stub_answers(void **state)
{
	struct cx *x = *state;
	struct connect_result res;

	x->rom.sync_value = 0;
	assert_int_equal(connect_rom(&x->link, NULL, NULL, &res), ROM_OK);
	assert_true(res.stub);
}

static void defaults(void **state)
{
	(void)state;
	struct connect_params p;

	connect_params_default(&p);
	assert_int_equal(p.attempts, 4);
	assert_int_equal(p.sync_rounds, 5);
	assert_int_equal(p.sync_timeout_ms, 100);
	assert_int_equal(p.drain_ms, 5);
}

int unit_connect_tests(int *total)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lost_first_sync_and_banner, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(fewer_than_eight_replies, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(one_reply_is_enough, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(never_synced_times_out, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(syncs_on_second_attempt, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(custom_params, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(hook_error_is_io, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(device_gone_is_io, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(noise_during_gap_is_consumed, cx_setup, cx_teardown),
		cmocka_unit_test_setup_teardown(stub_answers, cx_setup, cx_teardown),
		cmocka_unit_test(defaults),
	};

	return UNIT_RUN_GROUP("connect", tests, total);
}
