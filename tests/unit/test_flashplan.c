/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ROM erase model, esptool's workaround and the planner.  Every plan is
 * replayed through rom_erase_model (and single SPI sector erases) to check
 * that exactly the asked range gets erased, each sector once, and its cost is
 * compared with a brute-force search that uses only the model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flashplan.h"
#include "unit.h"

#define MiB (1u << 20)
#define SEC FLASH_SECTOR

static void model_examples(void **state)
{
	(void)state;
	struct rom_erase_effect fx;

	/* whole 4 MiB chip from 0 with (n-16) sectors */
	rom_erase_model(0, 0x3F0000, &fx);
	assert_int_equal(fx.first_sector, 0);
	assert_int_equal(fx.sectors, 1024);
	assert_int_equal(fx.sector_erases, 32);
	assert_int_equal(fx.block_erases, 62);

	/* n + min(h, n): one sector asked at sector 15 (h = 1) erases two */
	rom_erase_model(15 * SEC, SEC, &fx);
	assert_int_equal(fx.first_sector, 15);
	assert_int_equal(fx.sectors, 2);
	assert_int_equal(fx.sector_erases, 2);
	assert_int_equal(fx.block_erases, 0);

	/* esp-serial-flasher's 20 sectors at 0 sends 4 and gets only 8 */
	rom_erase_model(0, 4 * SEC, &fx);
	assert_int_equal(fx.sectors, 8);

	/* a partial sector counts as a sector */
	rom_erase_model(0x10000, 1, &fx);
	assert_int_equal(fx.sectors, 2);
	rom_erase_model(0x10000, 0, &fx);
	assert_int_equal(fx.sectors, 0);
	assert_int_equal(fx.sector_erases + fx.block_erases, 0);

	/* 17 sectors from a block start: 16 SE, then 17 > 16 -> one BE, 1 SE */
	rom_erase_model(0x20000, 17 * SEC, &fx);
	assert_int_equal(fx.sectors, 33);
	assert_int_equal(fx.sector_erases, 17);
	assert_int_equal(fx.block_erases, 1);

	/* misaligned start: the ROM refuses, nothing is erased */
	rom_erase_model(0x20001, 17 * SEC, &fx);
	assert_int_equal(fx.sectors, 0);

	/* large erase_size must not overflow */
	rom_erase_model(0, 0xFFFFFFFFu, &fx);
	assert_int_equal(fx.sectors, 1048576u + 16u);
}

static void model_invariants(void **state)
{
	(void)state;
	for (uint32_t s = 0; s < 48; s++) {
		uint32_t h = 16 - s % 16;

		for (uint32_t n = 0; n <= 300; n++) {
			struct rom_erase_effect fx;

			rom_erase_model(s * SEC, n * SEC, &fx);
			assert_int_equal(fx.sectors, n + (h < n ? h : n));
			/* every operation erases what the count says */
			assert_int_equal(fx.sector_erases + 16 * fx.block_erases, fx.sectors);
		}
	}
}

static void workaround_every_class(void **state)
{
	(void)state;
	for (uint32_t s = 0; s < 64; s++) {
		uint32_t h = 16 - s % 16;

		for (uint32_t n = 1; n <= 200; n++) {
			struct rom_erase_effect fx;
			uint32_t head = h < n ? h : n;
			uint32_t es = rom_erase_size_workaround(s * SEC, n * SEC);

			rom_erase_model(s * SEC, es, &fx);
			/* at least what was asked; one extra only for odd n < 2*head */
			if (n % 2 == 1 && n < 2 * head)
				assert_int_equal(fx.sectors, n + 1);
			else
				assert_int_equal(fx.sectors, n);
		}
	}
	/* partial sizes round up to sectors */
	assert_int_equal(rom_erase_size_workaround(0, 1), SEC);
	/* 20 sectors at 0: head 16, 20 >= 32 is false -> (20+1)/2 = 10 sectors */
	assert_int_equal(rom_erase_size_workaround(0, 20 * SEC), 10 * SEC);
	/* 40 sectors at 0: 40 >= 32 -> 40 - 16 */
	assert_int_equal(rom_erase_size_workaround(0, 40 * SEC), 24 * SEC);
}

/* Replay a plan: every sector of [offset, offset+length) erased once, no other. */
static void check_plan_exact(const struct erase_plan *p, uint32_t offset, uint32_t length,
			     uint32_t flash_size)
{
	uint32_t first = offset / SEC, n = length / SEC, total = flash_size / SEC;
	uint8_t hits[16 * MiB / SEC] = { 0 }; /* on the stack: a failed assert leaks nothing */
	uint32_t se = 0, be = 0;

	assert_true(total <= sizeof(hits));
	assert_true(p->nsteps >= 1);
	assert_true(p->nsteps <= PLAN_MAX_STEPS);
	assert_int_equal(p->offset, offset);
	assert_int_equal(p->length, length);
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct plan_step *st = &p->step[i];
		uint32_t from, count;

		assert_int_equal(st->offset % SEC, 0);
		if (st->kind == PLAN_FLASH_BEGIN) {
			struct rom_erase_effect fx;

			rom_erase_model(st->offset, st->erase_size, &fx);
			from = fx.first_sector;
			count = fx.sectors;
			assert_int_equal(st->sector_erases, fx.sector_erases);
			assert_int_equal(st->block_erases, fx.block_erases);
			/* the ROM checks chip_size >= start + sent length */
			assert_true((uint64_t)st->offset + st->erase_size <= flash_size);
			assert_true(st->erase_size > 0);
		} else {
			assert_int_equal(st->kind, PLAN_SPI_SECTOR);
			from = st->offset / SEC;
			count = 1;
			assert_int_equal(st->sector_erases, 1);
			assert_int_equal(st->block_erases, 0);
		}
		assert_int_equal(st->covers, count * SEC);
		assert_true(from + count <= total);
		for (uint32_t k = from; k < from + count; k++)
			hits[k]++;
		se += st->sector_erases;
		be += st->block_erases;
	}
	for (uint32_t k = 0; k < total; k++) {
		uint8_t want = k >= first && k < first + n;

		if (hits[k] != want)
			fail_msg("plan for [%u, +%u) sectors: sector %u erased %u times", first, n, k,
				 hits[k]);
	}
	assert_int_equal(p->sector_erases, se);
	assert_int_equal(p->block_erases, be);
}

/* Least cost of an exact partition, from the model alone (O(n^2) search). */
#define BRUTE_MAX 600
static uint64_t brute_min_cost(uint32_t first, uint32_t n, const struct flash_timing *t)
{
	uint64_t best[BRUTE_MAX + 1];

	assert_true(n <= BRUTE_MAX);
	best[0] = 0;
	for (uint32_t i = 1; i <= n; i++)
		best[i] = UINT64_MAX;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t spi = best[i] + t->se_typ_us + PLAN_SPI_SECTOR_OVERHEAD_US;

		if (spi < best[i + 1])
			best[i + 1] = spi;
		for (uint32_t sent = 1; sent <= n - i; sent++) {
			struct rom_erase_effect fx;

			rom_erase_model((first + i) * SEC, sent * SEC, &fx);
			if (i + fx.sectors > n)
				break; /* covers grow with sent */
			uint64_t c = best[i] + (uint64_t)fx.sector_erases * t->se_typ_us +
				     (uint64_t)fx.block_erases * t->be_typ_us +
				     PLAN_FLASH_BEGIN_OVERHEAD_US;
			if (c < best[i + fx.sectors])
				best[i + fx.sectors] = c;
		}
	}
	return best[n];
}

static void plan_sweep(const struct flash_timing *t, uint32_t max_len, int *max_steps)
{
	struct erase_plan plan, *p = &plan;

	for (uint32_t base = 0; base < 64; base += 16) {
		for (uint32_t r = 0; r < 16; r++) {
			uint32_t first = 64 + base + r; /* not at 0: not a whole-chip plan */

			for (uint32_t n = 1; n <= max_len; n++) {
				assert_int_equal(plan_erase_timed(first * SEC, n * SEC, 4 * MiB, t, p), 0);
				check_plan_exact(p, first * SEC, n * SEC, 4 * MiB);
				if ((int)p->nsteps > *max_steps)
					*max_steps = (int)p->nsteps;
				uint64_t want = brute_min_cost(first, n, t);
				if (plan_typ_us(p, t) != want)
					fail_msg("start %u n %u: plan %llu us, best %llu us", first, n,
						 (unsigned long long)plan_typ_us(p, t),
						 (unsigned long long)want);
			}
		}
	}
}

static void plan_every_class_winbond(void **state)
{
	(void)state;
	int max_steps = 0;

	plan_sweep(flash_timing_for(0x1640EF), 80, &max_steps);
	assert_true(max_steps <= 6);
}

static void plan_every_class_other_timings(void **state)
{
	(void)state;
	int max_steps = 0;

	plan_sweep(flash_timing_for(0x164085), 80, &max_steps); /* SE = BE */
	plan_sweep(flash_timing_for(0x164042), 80, &max_steps); /* default */
	assert_true(max_steps <= PLAN_MAX_STEPS);
}

static void plan_default_is_winbond(void **state)
{
	(void)state;
	struct erase_plan a, b;

	for (uint32_t n = 1; n <= 40; n++) {
		assert_int_equal(plan_erase(0x13000, n * SEC, 4 * MiB, &a), 0);
		assert_int_equal(plan_erase_timed(0x13000, n * SEC, 4 * MiB, flash_timing_for(0xEF), &b),
				 0);
		assert_int_equal(a.nsteps, b.nsteps);
		assert_memory_equal(a.step, b.step, a.nsteps * sizeof(a.step[0]));
	}
}

static void plan_large_regions(void **state)
{
	(void)state;
	const struct flash_timing *t = flash_timing_for(0x1640EF);
	struct erase_plan p;
	const uint32_t lens[] = { 81, 95, 127, 128, 129, 255, 256, 300, 511 };

	for (uint32_t r = 0; r < 16; r++) {
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			uint32_t first = 256 + r;

			assert_int_equal(plan_erase_timed(first * SEC, lens[i] * SEC, 4 * MiB, t, &p), 0);
			check_plan_exact(&p, first * SEC, lens[i] * SEC, 4 * MiB);
			assert_int_equal(plan_typ_us(&p, t), brute_min_cost(first, lens[i], t));
			assert_true(p.nsteps <= 6);
		}
	}
	/* everything but the first sector of an 8 MiB chip, and the last 3 MB */
	assert_int_equal(plan_erase(SEC, 8 * MiB - SEC, 8 * MiB, &p), 0);
	check_plan_exact(&p, SEC, 8 * MiB - SEC, 8 * MiB);
	assert_int_equal(plan_erase(MiB + 5 * SEC, 3 * MiB - 5 * SEC, 4 * MiB, &p), 0);
	check_plan_exact(&p, MiB + 5 * SEC, 3 * MiB - 5 * SEC, 4 * MiB);
	assert_true(p.nsteps <= 6);
}

static void plan_small_cases(void **state)
{
	(void)state;
	struct erase_plan p;

	/* one sector: nothing but an SPI sector erase can do it */
	assert_int_equal(plan_erase(0x10000, SEC, 4 * MiB, &p), 0);
	assert_int_equal(p.nsteps, 1);
	assert_int_equal(p.step[0].kind, PLAN_SPI_SECTOR);
	assert_int_equal(p.step[0].offset, 0x10000);

	/* two sectors anywhere: one FLASH_BEGIN of one sector */
	assert_int_equal(plan_erase(0x1F000, 2 * SEC, 4 * MiB, &p), 0);
	assert_int_equal(p.nsteps, 1);
	assert_int_equal(p.step[0].kind, PLAN_FLASH_BEGIN);
	assert_int_equal(p.step[0].erase_size, SEC);
	assert_int_equal(p.step[0].covers, 2 * SEC);

	/* the last sector of the chip */
	assert_int_equal(plan_erase(4 * MiB - SEC, SEC, 4 * MiB, &p), 0);
	check_plan_exact(&p, 4 * MiB - SEC, SEC, 4 * MiB);

	/* one 64 KiB block, aligned: 16 sectors = FLASH_BEGIN of 8 */
	assert_int_equal(plan_erase(0x30000, 16 * SEC, 4 * MiB, &p), 0);
	assert_int_equal(p.nsteps, 1);
	assert_int_equal(p.step[0].erase_size, 8 * SEC);
}

static void plan_whole_chip(void **state)
{
	(void)state;
	const uint32_t sizes[] = { 1, 2, 4, 8, 16 };
	struct erase_plan p;

	for (size_t i = 0; i < 5; i++) {
		uint32_t size = sizes[i] * MiB, n = size / SEC;

		assert_int_equal(plan_erase(0, size, size, &p), 0);
		assert_int_equal(p.nsteps, 1);
		assert_int_equal(p.step[0].kind, PLAN_FLASH_BEGIN);
		assert_int_equal(p.step[0].offset, 0);
		assert_int_equal(p.step[0].erase_size, (n - 16) * SEC);
		assert_int_equal(p.step[0].covers, size);
		assert_int_equal(p.sector_erases, 32);
		assert_int_equal(p.block_erases, (n - 32) / 16);
		check_plan_exact(&p, 0, size, size);
	}
	assert_int_equal(plan_erase(0, 4 * MiB, 4 * MiB, &p), 0);
	assert_int_equal(p.sector_erases, 32);
	assert_int_equal(p.block_erases, 62);

	/* the same range as a region of a bigger chip costs no less */
	struct erase_plan q;
	const struct flash_timing *t = flash_timing_for(0x1740EF);
	assert_int_equal(plan_erase(0, 4 * MiB, 8 * MiB, &q), 0);
	check_plan_exact(&q, 0, 4 * MiB, 8 * MiB);
	assert_true(plan_typ_us(&q, t) >= plan_typ_us(&p, t));
	assert_int_equal(q.sector_erases * t->se_typ_us + q.block_erases * t->be_typ_us,
			 32 * t->se_typ_us + 62 * t->be_typ_us);

	/* 4 MiB at typical Winbond times: 32 x 45 ms + 62 x 150 ms + one round trip */
	assert_int_equal(plan_typ_us(&p, t), 32 * 45000 + 62 * 150000 + PLAN_FLASH_BEGIN_OVERHEAD_US);
	assert_int_equal(plan_max_us(&p, t), 32 * 400000ull + 62 * 2000000ull +
						     PLAN_FLASH_BEGIN_OVERHEAD_US);
}

static void plan_rejects(void **state)
{
	(void)state;
	struct erase_plan p;

	memset(&p, 0x5A, sizeof(p));
	assert_int_equal(plan_erase(1, SEC, 4 * MiB, &p), -EINVAL);
	assert_int_equal(p.nsteps, 0);
	assert_int_equal(plan_erase(0, SEC + 1, 4 * MiB, &p), -EINVAL);
	assert_int_equal(plan_erase(0, 0, 4 * MiB, &p), -EINVAL);
	assert_int_equal(plan_erase(4 * MiB - SEC, 2 * SEC, 4 * MiB, &p), -EINVAL);
	assert_int_equal(plan_erase(0xFFFFF000u, 0x2000, 0xFFFFFFFFu, &p), -EINVAL);
	assert_int_equal(plan_erase(0, 4 * MiB, 0, &p), -EINVAL);
	assert_int_equal(p.nsteps, 0);
}

static void timing_table(void **state)
{
	(void)state;
	const struct flash_timing *w = flash_timing_for(0x001640EF);
	const uint32_t ids[] = { 0x1640EF, 0x1640C8, 0x164085, 0x164020, 0x000000, 0xFFFFFF };

	assert_int_equal(w->se_typ_us, 45000);
	assert_int_equal(w->se_max_us, 400000);
	assert_int_equal(w->be_typ_us, 150000);
	assert_int_equal(w->be_max_us, 2000000);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct flash_timing *t = flash_timing_for(ids[i]);

		assert_non_null(t);
		assert_non_null(t->part);
		assert_true(t->se_typ_us > 0 && t->se_typ_us <= t->se_max_us);
		assert_true(t->be_typ_us > 0 && t->be_typ_us <= t->be_max_us);
	}
	/* unknown parts get maxima at least as generous as Winbond's */
	assert_true(flash_timing_for(0x164042)->se_max_us >= w->se_max_us);
	assert_true(flash_timing_for(0x164042)->be_max_us >= w->be_max_us);
}

static void step_timeouts(void **state)
{
	(void)state;
	const struct flash_timing *w = flash_timing_for(0xEF);
	struct erase_plan p;

	assert_int_equal(plan_erase(0, 4 * MiB, 4 * MiB, &p), 0);
	uint32_t ms = plan_step_timeout_ms(&p.step[0], w);
	/* above the datasheet maximum, and above the sheet's 50 s per 4 MB */
	assert_true((uint64_t)ms * 1000 > plan_step_max_us(&p.step[0], w));
	assert_true(ms >= 50000);
	assert_int_equal(plan_erase(0x10000, SEC, 4 * MiB, &p), 0);
	assert_true(plan_step_timeout_ms(&p.step[0], w) >= 3000);
}

static void progress_properties(void **state)
{
	(void)state;
	const uint64_t typs[] = { 0, 1, 1000, 6000, 10740000, 1ull << 40 };

	for (size_t i = 0; i < sizeof(typs) / sizeof(typs[0]); i++) {
		uint64_t typ = typs[i];
		unsigned int prev = 0;

		for (uint64_t e = 0; e < 200 * (typ + 1); e += (typ + 1) / 64 + 1) {
			unsigned int p = progress_estimate_permille(e, typ);

			assert_true(p >= prev);
			assert_true(p < 1000);
			assert_true(p <= 990);
			prev = p;
		}
		assert_true(prev >= 985);
		assert_true(progress_estimate_permille(UINT64_MAX, typ) <= 990);
		assert_true(progress_estimate_permille(UINT64_MAX, typ) >= 989);
	}
	assert_int_equal(progress_estimate_permille(0, 1000000), 0);
	assert_int_equal(progress_estimate_permille(500000, 1000000), 450);
	assert_int_equal(progress_estimate_permille(1000000, 1000000), 900);
	/* slows down past the typical time */
	assert_int_equal(progress_estimate_permille(2000000, 1000000), 945);
	assert_int_equal(progress_estimate_permille(10000000, 1000000), 981);
}

int unit_flashplan_tests(int *total)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(model_examples),
		cmocka_unit_test(model_invariants),
		cmocka_unit_test(workaround_every_class),
		cmocka_unit_test(plan_every_class_winbond),
		cmocka_unit_test(plan_every_class_other_timings),
		cmocka_unit_test(plan_default_is_winbond),
		cmocka_unit_test(plan_large_regions),
		cmocka_unit_test(plan_small_cases),
		cmocka_unit_test(plan_whole_chip),
		cmocka_unit_test(plan_rejects),
		cmocka_unit_test(timing_table),
		cmocka_unit_test(step_timeouts),
		cmocka_unit_test(progress_properties),
	};

	return UNIT_RUN_GROUP("flashplan", tests, total);
}
