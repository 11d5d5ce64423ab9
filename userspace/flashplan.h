/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Planning erases: around the ESP8266 ROM's erase bug (sheet §7), or exactly
 * as asked on the ESP32 family, whose ROM has no such bug.
 *
 * The ROM, given erase_size bytes at a sector-aligned start, erases
 * n + min(h, n) sectors (n = ceil(erase_size/4096), h = 16 - start%16):
 * min(h,n) sector erases, then it restarts counting from n, block-erasing
 * 64 KiB while more than 16 sectors remain and sector-erasing the rest.
 */
#ifndef ESPWIPE_FLASHPLAN_H
#define ESPWIPE_FLASHPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLASH_SECTOR 4096u
#define FLASH_BLOCK 65536u

/* How a ROM's FLASH_BEGIN turns erase_size into erase operations. */
enum erase_model {
	ERASE_MODEL_ESP8266_BUG, /* the ESP8266 ROM: n + min(h, n) sectors (below) */
	/*
	 * The ESP32-family ROMs [I]: exactly ceil(erase_size / 4096) sectors:
	 * sectors up to the next 64 KiB boundary (16 when aligned), then 64 KiB
	 * blocks while more than 16 sectors remain, then the tail sectors.
	 */
	ERASE_MODEL_EXACT,
};

/* What the ROM does for one FLASH_BEGIN (the model; unit-tested). */
struct rom_erase_effect {
	uint32_t first_sector;
	uint32_t sectors;       /* total sectors erased from first_sector */
	uint32_t sector_erases; /* SE operations */
	uint32_t block_erases;  /* BE64 operations */
};
void rom_erase_model(uint32_t offset, uint32_t erase_size, struct rom_erase_effect *out);

/* One erase operation: a 4 KiB sector or a 64 KiB block at offset. */
typedef int (*erase_unit_fn)(void *ctx, uint32_t offset, uint32_t length);
/*
 * Call fn for every erase operation the ROM runs for one FLASH_BEGIN, in its
 * order (the model above); stops at, and returns, fn's first non-zero result.
 */
int rom_erase_walk(uint32_t offset, uint32_t erase_size, erase_unit_fn fn, void *ctx);
/* The same for the exact model (ERASE_MODEL_EXACT). */
int rom_erase_walk_exact(uint32_t offset, uint32_t erase_size, erase_unit_fn fn, void *ctx);
/* rom_erase_model for either model. */
void rom_erase_model_of(enum erase_model m, uint32_t offset, uint32_t erase_size,
			struct rom_erase_effect *out);

/* esptool's workaround: erase_size to send so that about `size` bytes get erased. */
uint32_t rom_erase_size_workaround(uint32_t offset, uint32_t size);

/* One step of a plan. */
enum plan_kind {
	PLAN_FLASH_BEGIN, /* ROM FLASH_BEGIN(erase_size, 0, 0x400, offset) */
	PLAN_SPI_SECTOR,  /* WREN + 0x20 through the SPI registers: exactly one sector */
};

struct plan_step {
	enum plan_kind kind;
	enum erase_model model; /* how the ROM walks a FLASH_BEGIN step */
	uint32_t offset;       /* where the erase starts */
	uint32_t erase_size;   /* the value sent (FLASH_BEGIN) */
	uint32_t covers;       /* bytes this step erases, from offset */
	uint32_t sector_erases, block_erases;
};

#define PLAN_MAX_STEPS 64

struct erase_plan {
	uint32_t offset, length; /* the range asked for */
	struct plan_step step[PLAN_MAX_STEPS];
	size_t nsteps;
	uint32_t sector_erases, block_erases; /* totals */
};

/* The erase operations of one plan step, as rom_erase_walk. */
int plan_step_walk(const struct plan_step *st, erase_unit_fn fn, void *ctx);

/* Typical and datasheet-maximum erase times for a flash part. */
struct flash_timing {
	const char *part;
	uint32_t se_typ_us, se_max_us;
	uint32_t be_typ_us, be_max_us;
};
/* Never NULL: unknown parts get a conservative default entry. */
const struct flash_timing *flash_timing_for(uint32_t jedec_id);

/*
 * Fixed costs the planner adds per step (besides the flash's erase time):
 * a FLASH_BEGIN is one round trip; an SPI sector erase is about 30 register
 * round trips (WREN, SE, RDSR polls) at a few ms each.
 */
#define PLAN_FLASH_BEGIN_OVERHEAD_US 5000u
#define PLAN_SPI_SECTOR_OVERHEAD_US 100000u

/*
 * Plan an erase of exactly [offset, offset+length): both 4 KiB aligned,
 * inside flash_size.  Whole chip: one FLASH_BEGIN (n-16 sectors from 0).
 * Returns 0, or -EINVAL (misaligned/out of range/empty) with nothing planned.
 * Regions: the partition into steps with the least modelled typical time
 * (erase times of a typical Winbond part plus the per-step overheads above);
 * no sector outside the range is touched and none is erased twice.
 * -E2BIG if that needs more than PLAN_MAX_STEPS steps (not seen in practice:
 * optimal plans have a handful), -ENOMEM if the planner's table cannot be had.
 */
int plan_erase(uint32_t offset, uint32_t length, uint32_t flash_size, struct erase_plan *plan);
/* The same, optimising for a given part's typical times. */
int plan_erase_timed(uint32_t offset, uint32_t length, uint32_t flash_size,
		     const struct flash_timing *t, struct erase_plan *plan);
/*
 * A plan for a ROM of the given model: the ESP8266 planner above, or for
 * ERASE_MODEL_EXACT one FLASH_BEGIN of exactly the range (same checks).
 */
int plan_erase_for(enum erase_model m, uint32_t offset, uint32_t length, uint32_t flash_size,
		   const struct flash_timing *t, struct erase_plan *plan);

/*
 * Expected (typical) and worst-case time of a step or a whole plan, in µs:
 * the erase operations at the part's typical/maximum times plus the fixed
 * per-step overhead above.
 */
uint64_t plan_step_typ_us(const struct plan_step *s, const struct flash_timing *t);
uint64_t plan_step_max_us(const struct plan_step *s, const struct flash_timing *t);
uint64_t plan_typ_us(const struct erase_plan *p, const struct flash_timing *t);
uint64_t plan_max_us(const struct erase_plan *p, const struct flash_timing *t);

/*
 * Reply timeout for one step, in ms: the datasheet-maximum time plus 25 %
 * and 3 s for the link and the ROM's own work, at least 3 s (esptool's floor).
 */
uint32_t plan_step_timeout_ms(const struct plan_step *s, const struct flash_timing *t);

/*
 * Progress estimate in permille for a step running for elapsed_us that should
 * take typ_us: grows with time, slows down past typ_us, never reaches 1000
 * (only the ROM's reply does that).
 */
unsigned int progress_estimate_permille(uint64_t elapsed_us, uint64_t typ_us);

#endif /* ESPWIPE_FLASHPLAN_H */
