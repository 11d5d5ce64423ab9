/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libespemu: an ESP8266 (or ESP8285), or a chip of the ESP32 family (ESP32,
 * -S2, -S3, -C2, -C3, -C5, -C6, -C61, -H2, -P4), with its ROM serial loader,
 * SPI flash, eFuses and the two-transistor auto-reset circuit, as a pure
 * state machine.
 *
 * The caller owns the clock and all I/O: every entry point takes "now" in
 * microseconds of a monotonic clock that must never go backwards.  Nothing in
 * here sleeps, allocates after emu_new(), or touches a file descriptor, so the
 * same model runs behind a pseudo-terminal (espemu), behind emulated USB
 * bridges in the QEMU guest, and under a fake clock in unit tests.
 */
#ifndef ESPEMU_H
#define ESPEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum emu_chip {
	EMU_CHIP_ESP8266EX,
	EMU_CHIP_ESP8285,
	EMU_CHIP_ESP32,
	EMU_CHIP_ESP32S2,
	EMU_CHIP_ESP32S3,
	EMU_CHIP_ESP32C2,
	EMU_CHIP_ESP32C3,
	EMU_CHIP_ESP32C5,
	EMU_CHIP_ESP32C6,
	EMU_CHIP_ESP32C61,
	EMU_CHIP_ESP32H2,
	EMU_CHIP_ESP32P4,
	EMU_CHIP_COUNT
};

enum emu_mode {
	EMU_MODE_RESET,   /* EN held low */
	EMU_MODE_BOOTING, /* EN released, ROM not yet listening */
	EMU_MODE_LOADER,  /* ROM serial loader (boot mode 1) */
	EMU_MODE_APP,     /* booted from flash (boot mode 3) */
	EMU_MODE_HUNG,    /* fault injection: stopped answering */
};

/* How the ROM answers an opcode it does not implement (sheet §2, §11). */
enum emu_unknown_op {
	EMU_UNKNOWN_PREV_OP, /* frames carrying the previous command's op, 01 05 (the trace) */
	EMU_UNKNOWN_SAME_OP, /* one frame with the request's op, 01 05 */
	EMU_UNKNOWN_SILENT,  /* no answer */
	EMU_UNKNOWN_RESET,   /* chip resets into the mode its straps select */
};

/*
 * The link the host's DTR/RTS reach (tests/emu/README.md, "Links").
 *  BRIDGE: a USB-serial bridge and the two-transistor circuit (reset.c).
 *  USJ: the chip's own USB-Serial/JTAG peripheral, which decodes the line
 *  states itself [I]: (DTR,RTS) = (1,0) sets the force-download flag, (0,0)
 *  clears it, entering (0,1) resets the chip (a core reset: download mode if
 *  the flag is set, else what the straps said at power-on), (1,1) does
 *  nothing.  esptool's USBJTAGSerialReset enters the loader through it; the
 *  classic circuit's sequence resets the chip into its application.
 */
enum emu_link {
	EMU_LINK_BRIDGE,
	EMU_LINK_USJ,
};

/* What a USB-Serial/JTAG chip reset does to the USB device. */
enum emu_reenum {
	EMU_REENUM_OFF,  /* it stays on the bus */
	EMU_REENUM_ON,   /* it leaves the bus and comes back (a new tty) */
	EMU_REENUM_GONE, /* it leaves the bus and never comes back */
};

struct emu_config {
	/* chip and flash */
	enum emu_chip chip;
	uint8_t mac[6];           /* OUI rules of sheet §5 apply when encoding eFuses */
	uint32_t jedec_id;        /* W0 layout: cap<<16 | type<<8 | mfr */
	uint32_t flash_size;      /* bytes, 4 KiB..32 MiB; 0 = derived from jedec_id */
	unsigned int crystal_mhz; /* 26, 32, 40 or 48 as the chip allows; 0 = the chip's */
	uint32_t magic;           /* value at 0x40001000 when magic_set (another chip's, to
				   * test refusal); otherwise the chip's own word */
	bool flash_prefill;       /* start with non-blank "firmware" contents */

	/* ROM loader behaviour */
	uint32_t rom_flash_limit;  /* ROM's default chip_size; FLASH_BEGIN beyond it fails;
				    * 0 = the chip's (4 MiB ESP8266, 2 MiB ESP32 family) */
	bool spi_set_params;       /* 0x0B accepted (raises the limit) */
	enum emu_unknown_op unknown_op;
	bool first_sync_lost;      /* auto-baud swallows the first frame after boot */
	bool boot_banner;          /* boot text at 74880 baud, garbage at other rates */
	uint32_t boot_delay_us;    /* EN effectively high -> ROM listening */
	uint32_t sync_reply_gap_us; /* spacing of the 8 SYNC replies */
	uint32_t baud;             /* host baud rate (for bytes-on-wire time, UART divider) */
	bool wire_timing;          /* pace tx bytes at 10 bits per byte at `baud` */

	/* flash timing, microseconds, typical; divided by time_scale */
	uint32_t t_sector_erase_us;
	uint32_t t_block_erase_us;
	uint32_t t_chip_erase_us;
	double time_scale;

	/* reset circuit */
	uint32_t en_rc_us;       /* EN rise delay (RC on EN): straps latch when it elapses */
	uint32_t min_reset_us;   /* EN low shorter than this does not reset the chip */
	enum emu_mode start_mode; /* EMU_MODE_LOADER or EMU_MODE_APP at power-on */

	/* faults */
	uint64_t seed;
	double drop_rate;        /* probability a host->chip byte is lost */
	double noise_rate;       /* probability a garbage byte is inserted chip->host */
	long hang_after;         /* stop answering after this many commands; -1 = never */
	long bad_sector;         /* sector index that ignores erase; -1 = none */
	double erase_slowdown;   /* multiplies erase times (>1: slower than typical) */

	/* added after the first version of this header */
	bool noise_in_frames;       /* noise may land inside frames too (corrupts them) */
	uint32_t t_block32_erase_us; /* 0x52 BE32, reachable only through SPI registers */
	uint32_t flash_begin_error;  /* non-zero: every erasing FLASH_BEGIN (size > 0) is
				      * answered status 1 with this error code, erasing nothing */

	/* added with the ESP32-family models */
	bool magic_set;              /* `magic` replaces the chip's word at 0x40001000 */
	int rev_major, rev_minor;    /* chip revision in the eFuses; -1 = the chip's default */
	bool sdm;                    /* Secure Download Mode (S2 and later) */
	bool secure_boot;            /* security-info flag bit 0 and the eFuse */
	uint32_t flash_crypt_cnt;    /* raw eFuse field; odd popcount = encryption on */
	long chip_id;                /* security-info chip id; -1 = the chip's own */
	uint32_t md5_us_per_mib;     /* ROM SPI_FLASH_MD5 time per MiB (divided by time_scale) */
	bool usb_serial_jtag;        /* UARTDEV_BUF_NO says USB-Serial/JTAG */

	/* added with the link modes */
	enum emu_link link_mode;     /* what DTR/RTS reach: the bridge's circuit, or the USJ */
	enum emu_reenum reenumerate; /* USJ: what a chip reset does to the USB device */
	uint32_t detach_delay_us;    /* USJ reset -> the device leaves the bus */
	uint32_t reenumerate_us;     /* off the bus -> back (EMU_REENUM_ON) */
};

/* Fill in the documented defaults (see espemu --help). */
void emu_config_defaults(struct emu_config *cfg);

/*
 * Set one option by name, as used on espemu's command line and by the QEMU
 * bridges: "chip=esp8285", "jedec=0x1840ef", "flash-size=16M", "mac=...",
 * "time-scale=100", "drop-rate=0.01", "hang-after=5", "bad-sector=17", ...
 * Returns 0, or -1 with a message in err (errlen bytes).
 */
int emu_config_set(struct emu_config *cfg, const char *key, const char *value,
		   char *err, size_t errlen);
/* One line per option with its meaning and default, for --help. */
void emu_config_help(FILE *out);
/*
 * Checks that depend on the chip (crystal, revision range, SDM, USB-Serial/JTAG,
 * MAC encodable).  emu_new() refuses a config that fails it.  Returns 0 or -1.
 */
int emu_config_check(const struct emu_config *cfg, char *err, size_t errlen);
/* The option name of a chip ("esp32c3"), or NULL. */
const char *emu_chip_key(enum emu_chip chip);

struct emu;

struct emu *emu_new(const struct emu_config *cfg, uint64_t now_us);
void emu_free(struct emu *e);

/* Host side of the UART. */
void emu_set_baud(struct emu *e, uint32_t baud, uint64_t now_us);
void emu_rx(struct emu *e, const uint8_t *buf, size_t len, uint64_t now_us);
/* Copy out bytes that are due by now_us; returns the count. */
size_t emu_tx(struct emu *e, uint8_t *buf, size_t cap, uint64_t now_us);
/* How many more host bytes emu_rx() can queue (the rest would be lost). */
size_t emu_rx_room(const struct emu *e);

/* Modem lines as the host sets them: true = asserted (TIOCM bit set, 0 V). */
void emu_set_lines(struct emu *e, bool dtr, bool rts, uint64_t now_us);

/*
 * The USB device is on the bus as far as the host can tell (always, on a
 * bridge link).  From a reset that makes it leave (detach-delay-us before
 * the host notices) until it is back, the host reaches nothing: bytes and
 * line changes are lost, output too.
 */
bool emu_usb_present(const struct emu *e);
/* Counts the times the USB device came (back) onto the bus: a new tty each. */
unsigned long emu_usb_generation(const struct emu *e);

/* Run internal events (erase completion, boot, reply pacing) up to now_us. */
void emu_advance(struct emu *e, uint64_t now_us);
/* Time of the next internal event, or UINT64_MAX if none is pending. */
uint64_t emu_next_event_us(const struct emu *e);

/* ---- observation, for tests and reports ---- */

enum emu_mode emu_mode(const struct emu *e);
const char *emu_mode_name(enum emu_mode m);

struct emu_line_event {
	uint64_t t_us;
	bool dtr, rts;
};

struct emu_erase_event {
	uint64_t t_us;     /* when the erase finished */
	uint32_t offset;   /* bytes */
	uint32_t length;   /* bytes: 4096 (sector), 65536 (block) or the chip */
	char kind;         /* 'S' sector, 'B' 64 KiB block, 'C' chip */
	bool failed;       /* bad-sector fault: flash left as it was */
};

struct emu_stats {
	unsigned long commands[256]; /* by opcode, every frame the ROM parsed */
	unsigned long unsupported;   /* frames with an opcode the ROM lacks */
	unsigned long sync_frames;   /* SYNC frames received (incl. the lost one) */
	unsigned long resets;        /* EN low long enough to reset */
	unsigned long boots_loader, boots_app;
	unsigned long sector_erases, block_erases, chip_erases;
	uint64_t flash_busy_us;      /* emulated physical erase time, unscaled */
	unsigned long bytes_rx, bytes_tx, bytes_dropped, noise_bytes;
	uint32_t rom_chip_size;      /* current ROM chip_size limit */
	/* added with the ESP32-family models */
	unsigned long md5_requests;  /* SPI_FLASH_MD5 commands answered */
	uint64_t md5_busy_us;        /* emulated MD5 time, unscaled */
	/* added with the link modes */
	unsigned long usj_resets;          /* chip resets through USB-Serial/JTAG */
	unsigned long usj_download_resets; /* ... of them with the force-download flag set */
	unsigned long usb_detaches, usb_attaches; /* the USB device left / came back */
	unsigned long lines_lost;          /* line changes while the device was off the bus */
};

void emu_get_stats(const struct emu *e, struct emu_stats *st);
size_t emu_line_events(const struct emu *e, const struct emu_line_event **ev);
size_t emu_erase_events(const struct emu *e, const struct emu_erase_event **ev);
/* Opcodes in the order the ROM received them (bounded log). */
size_t emu_command_log(const struct emu *e, const uint8_t **ops);

/* Word count of every FLASH_BEGIN received, in order (bounded log). */
size_t emu_flash_begin_words(const struct emu *e, const uint8_t **words);
/* The RTC watchdog is off and the super watchdog auto-fed (ESP32 family, §8.4). */
bool emu_watchdogs_disabled(const struct emu *e);

uint32_t emu_flash_size(const struct emu *e);
const uint8_t *emu_flash_data(const struct emu *e);
bool emu_flash_is_blank(const struct emu *e, uint32_t offset, uint32_t length);

/* The whole state as one JSON object (mode, stats, events, blank ranges). */
int emu_report_json(const struct emu *e, FILE *out);

#endif /* ESPEMU_H */
