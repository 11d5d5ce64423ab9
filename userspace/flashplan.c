/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Erase planning around the ESP8266 ROM's FLASH_BEGIN erase (fact sheet §7).
 *
 * Sent erase_size = n sectors at start sector s, with h = 16 - s%16, the ROM
 * erases n + min(h, n) sectors.  So from s one FLASH_BEGIN can cover an even
 * count 2k for k <= h (n = k, all sector erases), or any count >= 2h+1
 * (n = count - h: h sector erases up to the block boundary, then 64 KiB
 * block erases while more than 16 sectors remain, then 1..16 sector erases).
 * Odd counts up to 2h-1, and in particular a single sector, need a second
 * step or an SPI sector erase.  The planner picks the partition of the range
 * into such steps with the least modelled time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flashplan.h"

#define SECTORS_PER_BLOCK 16u

static uint32_t sectors_ceil(uint32_t bytes)
{
	return bytes / FLASH_SECTOR + (bytes % FLASH_SECTOR != 0);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * The sector/block walk of the ROM's area erase: sectors up to the next
 * 64 KiB boundary (16 when aligned), then 64 KiB blocks while more than 16
 * sectors remain, then the tail sectors.  The ESP8266 ROM restarts its count
 * at n after the head (the erase-size bug, sheet §7); the ESP32 family
 * counts on from n - head [I].
 */
static int erase_walk(uint32_t offset, uint32_t erase_size, bool count_restarts, erase_unit_fn fn,
		      void *ctx)
{
	uint32_t s = offset / FLASH_SECTOR;
	uint32_t n = sectors_ceil(erase_size);
	uint32_t head = min_u32(SECTORS_PER_BLOCK - s % SECTORS_PER_BLOCK, n);
	uint32_t rest = count_restarts ? n : n - head;
	int r = 0;

	for (uint32_t i = 0; i < head && !r; i++, s++)
		r = fn(ctx, s * FLASH_SECTOR, FLASH_SECTOR);
	for (; rest > SECTORS_PER_BLOCK && !r; rest -= SECTORS_PER_BLOCK, s += SECTORS_PER_BLOCK)
		r = fn(ctx, s * FLASH_SECTOR, FLASH_BLOCK);
	for (; rest > 0 && !r; rest--, s++)
		r = fn(ctx, s * FLASH_SECTOR, FLASH_SECTOR);
	return r;
}

int rom_erase_walk(uint32_t offset, uint32_t erase_size, erase_unit_fn fn, void *ctx)
{
	return erase_walk(offset, erase_size, true, fn, ctx);
}

int rom_erase_walk_exact(uint32_t offset, uint32_t erase_size, erase_unit_fn fn, void *ctx)
{
	return erase_walk(offset, erase_size, false, fn, ctx);
}

static int count_unit(void *ctx, uint32_t offset, uint32_t length)
{
	struct rom_erase_effect *e = ctx;

	(void)offset;
	if (length == FLASH_BLOCK)
		e->block_erases++;
	else
		e->sector_erases++;
	e->sectors += length / FLASH_SECTOR;
	return 0;
}

void rom_erase_model(uint32_t offset, uint32_t erase_size, struct rom_erase_effect *out)
{
	memset(out, 0, sizeof(*out));
	out->first_sector = offset / FLASH_SECTOR;
	if (offset % FLASH_SECTOR)
		return; /* the ROM refuses a misaligned start */
	rom_erase_walk(offset, erase_size, count_unit, out);
}

void rom_erase_model_of(enum erase_model m, uint32_t offset, uint32_t erase_size,
			struct rom_erase_effect *out)
{
	if (m == ERASE_MODEL_ESP8266_BUG) {
		rom_erase_model(offset, erase_size, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->first_sector = offset / FLASH_SECTOR;
	if (offset % FLASH_SECTOR)
		return;
	rom_erase_walk_exact(offset, erase_size, count_unit, out);
}

int plan_step_walk(const struct plan_step *st, erase_unit_fn fn, void *ctx)
{
	if (st->kind == PLAN_SPI_SECTOR)
		return fn(ctx, st->offset, FLASH_SECTOR);
	if (st->model == ERASE_MODEL_EXACT)
		return rom_erase_walk_exact(st->offset, st->erase_size, fn, ctx);
	return rom_erase_walk(st->offset, st->erase_size, fn, ctx);
}

uint32_t rom_erase_size_workaround(uint32_t offset, uint32_t size)
{
	uint32_t num = sectors_ceil(size);
	uint32_t s = offset / FLASH_SECTOR;
	uint32_t head = min_u32(SECTORS_PER_BLOCK - s % SECTORS_PER_BLOCK, num);

	if (num < 2 * head)
		return (num + 1) / 2 * FLASH_SECTOR;
	return (num - head) * FLASH_SECTOR;
}

/*
 * Erase times in µs.  Typical values drive planning and progress, maxima the
 * timeouts.  Sources (fact sheet §9, marked [?] there, i.e. not re-checked
 * against datasheets):
 *  - Winbond W25Q32JV/FV: SE 45/400 ms, BE64 150/2000 ms (typ/max).
 *  - GigaDevice GD25Q32C: SE ~50/400 ms; BE64 not given there: the GD25Q128B
 *    simulation model's 400 ms BE64 is used as typical and a Winbond-like
 *    2 s as maximum.
 *  - PUYA P25Q32H: SE = BE ~6 ms typical (its simulation model); no maximum
 *    known, so a generous 300 ms / 1 s is assumed.  Slow "low-power" parts
 *    exist (esptool #300), which is one more reason for generous maxima.
 *  - Everything else: typical 60/300 ms, maximum 500/3000 ms, above every
 *    datasheet figure we have seen.
 */
static const struct flash_timing timing_winbond = {
	"Winbond", 45000, 400000, 150000, 2000000,
};
static const struct flash_timing timing_gigadevice = {
	"GigaDevice", 50000, 400000, 400000, 2000000,
};
static const struct flash_timing timing_puya = {
	"PUYA", 6000, 300000, 6000, 1000000,
};
static const struct flash_timing timing_default = {
	"unknown", 60000, 500000, 300000, 3000000,
};

const struct flash_timing *flash_timing_for(uint32_t jedec_id)
{
	switch (jedec_id & 0xFF) {
	case 0xEF: return &timing_winbond;
	case 0xC8: return &timing_gigadevice;
	case 0x85: return &timing_puya;
	default: return &timing_default;
	}
}

static uint32_t step_overhead_us(const struct plan_step *s)
{
	return s->kind == PLAN_SPI_SECTOR ? PLAN_SPI_SECTOR_OVERHEAD_US
					  : PLAN_FLASH_BEGIN_OVERHEAD_US;
}

uint64_t plan_step_typ_us(const struct plan_step *s, const struct flash_timing *t)
{
	return (uint64_t)s->sector_erases * t->se_typ_us +
	       (uint64_t)s->block_erases * t->be_typ_us + step_overhead_us(s);
}

uint64_t plan_step_max_us(const struct plan_step *s, const struct flash_timing *t)
{
	return (uint64_t)s->sector_erases * t->se_max_us +
	       (uint64_t)s->block_erases * t->be_max_us + step_overhead_us(s);
}

uint64_t plan_typ_us(const struct erase_plan *p, const struct flash_timing *t)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < p->nsteps; i++)
		sum += plan_step_typ_us(&p->step[i], t);
	return sum;
}

uint64_t plan_max_us(const struct erase_plan *p, const struct flash_timing *t)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < p->nsteps; i++)
		sum += plan_step_max_us(&p->step[i], t);
	return sum;
}

uint32_t plan_step_timeout_ms(const struct plan_step *s, const struct flash_timing *t)
{
	uint64_t ms = plan_step_max_us(s, t) / 1000u;

	ms = ms + ms / 4 + 3000u;
	if (ms > UINT32_MAX)
		ms = UINT32_MAX;
	return (uint32_t)ms;
}

unsigned int progress_estimate_permille(uint64_t elapsed_us, uint64_t typ_us)
{
	double e = (double)elapsed_us;
	double t = typ_us ? (double)typ_us : 1.0;
	double p;

	/* linear to 900 at the typical time, then 990 - 90*t/e: towards 990 */
	if (e <= t)
		p = 900.0 * e / t;
	else
		p = 990.0 - 90.0 * t / e;
	if (p > 990.0)
		p = 990.0;
	return (unsigned int)p;
}

/* Fill a step from what the model says the ROM does. */
static void make_flash_begin_step(struct plan_step *st, uint32_t sector, uint32_t n)
{
	struct rom_erase_effect fx;

	memset(st, 0, sizeof(*st));
	st->kind = PLAN_FLASH_BEGIN;
	st->offset = sector * FLASH_SECTOR;
	st->erase_size = n * FLASH_SECTOR;
	rom_erase_model(st->offset, st->erase_size, &fx);
	st->covers = fx.sectors * FLASH_SECTOR;
	st->sector_erases = fx.sector_erases;
	st->block_erases = fx.block_erases;
}

static void make_spi_step(struct plan_step *st, uint32_t sector)
{
	memset(st, 0, sizeof(*st));
	st->kind = PLAN_SPI_SECTOR;
	st->offset = sector * FLASH_SECTOR;
	st->erase_size = FLASH_SECTOR;
	st->covers = FLASH_SECTOR;
	st->sector_erases = 1;
}

static void plan_totals(struct erase_plan *plan)
{
	plan->sector_erases = plan->block_erases = 0;
	for (size_t i = 0; i < plan->nsteps; i++) {
		plan->sector_erases += plan->step[i].sector_erases;
		plan->block_erases += plan->step[i].block_erases;
	}
}

/*
 * The search.  best[j] is the least cost of covering sectors [first, j)
 * exactly; from[j] the start of the last step.  Three kinds of last step end
 * at j:
 *   - an SPI sector erase of j-1;
 *   - a FLASH_BEGIN from a = j-2k with k <= h(a) (k sector erases twice);
 *   - a FLASH_BEGIN from a with j >= a + 2h(a) + 1.  With B = a + h(a) the
 *     block boundary, its cost h(a)*SE + nb*BE + tail*SE, nb = (j-B-1)/16,
 *     tail = j-B-16*nb, splits into a part of a alone,
 *     h(a)*SE - (B/16)*BE, and a part of j alone,
 *     floor((j-1)/16)*BE + (j - 16*floor((j-1)/16))*SE,
 *     so a running minimum over the starts allowed so far does it in O(1).
 * All in all O(sectors x 16).
 */
struct plan_cell {
	int64_t cost;
	uint32_t from;
	uint8_t spi;
};

static uint32_t head_of(uint32_t sector)
{
	return SECTORS_PER_BLOCK - sector % SECTORS_PER_BLOCK;
}

static int plan_search(uint32_t first, uint32_t count, const struct flash_timing *t,
		       struct erase_plan *plan)
{
	const int64_t se = t->se_typ_us, be = t->be_typ_us;
	const int64_t ov_fb = PLAN_FLASH_BEGIN_OVERHEAD_US, ov_spi = PLAN_SPI_SECTOR_OVERHEAD_US;
	struct plan_cell *cell;
	int64_t run_key = INT64_MAX;
	uint32_t run_from = 0;
	size_t nsteps = 0;

	cell = calloc((size_t)count + 1, sizeof(*cell));
	if (!cell)
		return -ENOMEM;
	/* index i stands for sector first + i */
	cell[0].cost = 0;
	for (uint32_t i = 1; i <= count; i++) {
		uint32_t j = first + i;
		struct plan_cell best = { cell[i - 1].cost + se + ov_spi, i - 1, 1 };

		for (uint32_t k = 1; k <= SECTORS_PER_BLOCK && 2 * k <= i; k++) {
			uint32_t a = i - 2 * k;

			if (k <= head_of(first + a)) {
				int64_t c = cell[a].cost + 2 * (int64_t)k * se + ov_fb;

				if (c < best.cost)
					best = (struct plan_cell){ c, a, 0 };
			}
		}
		/* starts a whose big step may end here for the first time */
		for (uint32_t back = 3; back <= 2 * SECTORS_PER_BLOCK + 1 && back <= i; back++) {
			uint32_t a = i - back;
			uint32_t h = head_of(first + a);

			if (back == 2 * h + 1) {
				uint32_t bnd = first + a + h;
				int64_t key = cell[a].cost + (int64_t)h * se -
					      (int64_t)(bnd / SECTORS_PER_BLOCK) * be;

				if (key < run_key) {
					run_key = key;
					run_from = a;
				}
			}
		}
		if (run_key != INT64_MAX) {
			int64_t q = (j - 1) / SECTORS_PER_BLOCK;
			int64_t c = run_key + q * be + ((int64_t)j - 16 * q) * se + ov_fb;

			if (c < best.cost)
				best = (struct plan_cell){ c, run_from, 0 };
		}
		cell[i] = best;
	}

	for (uint32_t i = count; i > 0; i = cell[i].from)
		nsteps++;
	if (nsteps > PLAN_MAX_STEPS) {
		free(cell);
		return -E2BIG;
	}
	plan->nsteps = nsteps;
	for (uint32_t i = count; i > 0; i = cell[i].from) {
		struct plan_step *st = &plan->step[--nsteps];
		uint32_t a = cell[i].from, c = i - a, s = first + a, h = head_of(s);

		if (cell[i].spi)
			make_spi_step(st, s);
		else
			make_flash_begin_step(st, s, c <= 2 * h ? c / 2 : c - h);
	}
	free(cell);
	return 0;
}

int plan_erase_timed(uint32_t offset, uint32_t length, uint32_t flash_size,
		     const struct flash_timing *t, struct erase_plan *plan)
{
	uint32_t first = offset / FLASH_SECTOR, count = length / FLASH_SECTOR;
	int rc;

	memset(plan, 0, sizeof(*plan));
	if (offset % FLASH_SECTOR || length % FLASH_SECTOR || length == 0 ||
	    (uint64_t)offset + length > flash_size)
		return -EINVAL;
	if (!t)
		t = &timing_winbond;

	if (offset == 0 && length == flash_size && count >= 2 * SECTORS_PER_BLOCK) {
		/* whole chip: 16 SE, (n-32)/16 BE, 16 SE in one command */
		plan->nsteps = 1;
		make_flash_begin_step(&plan->step[0], 0, count - SECTORS_PER_BLOCK);
	} else {
		rc = plan_search(first, count, t, plan);
		if (rc) {
			memset(plan, 0, sizeof(*plan));
			return rc;
		}
	}
	plan->offset = offset;
	plan->length = length;
	plan_totals(plan);
	return 0;
}

int plan_erase_for(enum erase_model m, uint32_t offset, uint32_t length, uint32_t flash_size,
		   const struct flash_timing *t, struct erase_plan *plan)
{
	struct plan_step *st;
	struct rom_erase_effect fx;

	if (m == ERASE_MODEL_ESP8266_BUG)
		return plan_erase_timed(offset, length, flash_size, t, plan);
	memset(plan, 0, sizeof(*plan));
	if (offset % FLASH_SECTOR || length % FLASH_SECTOR || length == 0 ||
	    (uint64_t)offset + length > flash_size)
		return -EINVAL;
	/* no erase-size bug: one FLASH_BEGIN covers exactly the range */
	st = &plan->step[0];
	st->kind = PLAN_FLASH_BEGIN;
	st->model = ERASE_MODEL_EXACT;
	st->offset = offset;
	st->erase_size = length;
	rom_erase_model_of(ERASE_MODEL_EXACT, offset, length, &fx);
	st->covers = fx.sectors * FLASH_SECTOR;
	st->sector_erases = fx.sector_erases;
	st->block_erases = fx.block_erases;
	plan->nsteps = 1;
	plan->offset = offset;
	plan->length = length;
	plan_totals(plan);
	return 0;
}

int plan_erase(uint32_t offset, uint32_t length, uint32_t flash_size, struct erase_plan *plan)
{
	return plan_erase_timed(offset, length, flash_size, NULL, plan);
}
