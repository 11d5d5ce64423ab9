// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * emu_report_json: the whole observable state as one JSON object, for
 * espemu --report and for test scripts.  Format documented in README.md.
 */
#include <inttypes.h>

#include "emu_internal.h"

static void blank_ranges(const struct emu *e, FILE *out)
{
	uint32_t nsec = e->flash.size / EMU_SECTOR;
	bool first = true;

	fputs("[", out);
	for (uint32_t s = 0; s < nsec;) {
		uint32_t start;

		if (!emu_flash_is_blank(e, s * EMU_SECTOR, EMU_SECTOR)) {
			s++;
			continue;
		}
		start = s;
		while (s < nsec && emu_flash_is_blank(e, s * EMU_SECTOR, EMU_SECTOR))
			s++;
		fprintf(out, "%s[%" PRIu32 ", %" PRIu32 "]", first ? "" : ", ", start * EMU_SECTOR,
			s * EMU_SECTOR);
		first = false;
	}
	fputs("]", out);
}

int emu_report_json(const struct emu *e, FILE *out)
{
	const struct emu_stats *st = &e->st;
	bool first = true;

	fprintf(out, "{\n  \"mode\": \"%s\",\n  \"time_us\": %" PRIu64 ",\n",
		emu_mode_name(e->mode), e->now_us);
	fprintf(out, "  \"chip\": \"%s\", \"revision\": \"v%u.%u\", \"sdm\": %s, "
		     "\"spi_attached\": %s, \"watchdogs_disabled\": %s,\n",
		e->chip->key, chip_rev(&e->cfg) / 100, chip_rev(&e->cfg) % 100,
		e->cfg.sdm ? "true" : "false", e->ld.spi_attached ? "true" : "false",
		emu_watchdogs_disabled(e) ? "true" : "false");
	fprintf(out, "  \"link_mode\": \"%s\", \"usb_present\": %s, \"usb_generation\": %lu, "
		     "\"usj_download_flag\": %s,\n",
		e->cfg.link_mode == EMU_LINK_USJ ? "usb-serial-jtag" : "bridge",
		e->usj.present ? "true" : "false", e->usj.generation,
		e->usj.download_flag ? "true" : "false");
	fprintf(out, "  \"flash\": {\"size\": %" PRIu32 ", \"jedec\": \"0x%06" PRIX32
		     "\", \"blank\": %s, \"blank_ranges\": ",
		e->flash.size, e->flash.jedec,
		emu_flash_is_blank(e, 0, e->flash.size) ? "true" : "false");
	blank_ranges(e, out);
	fputs("},\n", out);

	fprintf(out,
		"  \"stats\": {\"unsupported\": %lu, \"sync_frames\": %lu, \"resets\": %lu, "
		"\"boots_loader\": %lu, \"boots_app\": %lu, \"sector_erases\": %lu, "
		"\"block_erases\": %lu, \"chip_erases\": %lu, \"flash_busy_us\": %" PRIu64 ", "
		"\"bytes_rx\": %lu, \"bytes_tx\": %lu, \"bytes_dropped\": %lu, "
		"\"noise_bytes\": %lu, \"rom_chip_size\": %" PRIu32 ", \"md5_requests\": %lu, "
		"\"md5_busy_us\": %" PRIu64 ", \"usj_resets\": %lu, \"usj_download_resets\": %lu, "
		"\"usb_detaches\": %lu, \"usb_attaches\": %lu, \"lines_lost\": %lu,\n    \"commands\": {",
		st->unsupported, st->sync_frames, st->resets, st->boots_loader, st->boots_app,
		st->sector_erases, st->block_erases, st->chip_erases, st->flash_busy_us,
		st->bytes_rx, st->bytes_tx, st->bytes_dropped, st->noise_bytes, st->rom_chip_size,
		st->md5_requests, st->md5_busy_us, st->usj_resets, st->usj_download_resets,
		st->usb_detaches, st->usb_attaches, st->lines_lost);
	for (int op = 0; op < 256; op++) {
		if (!st->commands[op])
			continue;
		fprintf(out, "%s\"0x%02x\": %lu", first ? "" : ", ", op, st->commands[op]);
		first = false;
	}
	fputs("}},\n  \"command_log\": [", out);
	for (size_t i = 0; i < e->cmd_n; i++)
		fprintf(out, "%s%u", i ? ", " : "", e->cmd_log[i]);
	fputs("],\n  \"flash_begin_words\": [", out);
	for (size_t i = 0; i < e->fb_n; i++)
		fprintf(out, "%s%u", i ? ", " : "", e->fb_words[i]);
	fputs("],\n  \"line_events\": [", out);
	for (size_t i = 0; i < e->line_n; i++)
		fprintf(out, "%s\n    {\"t_us\": %" PRIu64 ", \"dtr\": %s, \"rts\": %s}",
			i ? "," : "", e->line_log[i].t_us, e->line_log[i].dtr ? "true" : "false",
			e->line_log[i].rts ? "true" : "false");
	fputs("],\n  \"erase_events\": [", out);
	for (size_t i = 0; i < e->erase_n; i++) {
		const struct emu_erase_event *ev = &e->erase_log[i];

		fprintf(out,
			"%s\n    {\"t_us\": %" PRIu64 ", \"offset\": %" PRIu32 ", \"length\": %" PRIu32
			", \"kind\": \"%c\", \"failed\": %s}",
			i ? "," : "", ev->t_us, ev->offset, ev->length, ev->kind,
			ev->failed ? "true" : "false");
	}
	fputs("]\n}\n", out);
	return ferror(out) ? -1 : 0;
}
