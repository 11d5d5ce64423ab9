/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libespemu internals: the one struct that holds the whole chip, and the
 * entry points the per-job files (uart.c, rom_loader.c, rom_esp32.c, regs.c,
 * efuse.c, spi.c, flash.c, reset.c, banner.c, md5.c) offer each other.  Not
 * installed, not for callers.
 */
#ifndef ESPEMU_INTERNAL_H
#define ESPEMU_INTERNAL_H

#include "chips.h"
#include "espemu.h"

#define EMU_SECTOR 4096u
#define EMU_BLOCK 65536u
#define EMU_SLIP_MAX 0x2000u       /* the ROM's receive buffer (sheet §2) */
#define EMU_RXQ_CAP 65536u         /* bytes on their way in (UART FIFO + wire) */
#define EMU_TXQ_CAP 65536u         /* bytes on their way out */
#define EMU_LINE_LOG_CAP 4096u
#define EMU_ERASE_LOG_CAP 16384u
#define EMU_CMD_LOG_CAP 4096u
#define EMU_OTHER_REGS 64u
#define EMU_FB_LOG_CAP 256u       /* FLASH_BEGIN word counts kept */
#define EMU_REPLY_MAX 96u         /* largest reply body: 8 + 64 data + 4 status */
#define EMU_ROM_ADDR_MASK 0xFFFFFFu /* the family ROM's 24-bit flash addresses */
#define EMU_WDT_BOOT_CONFIG0 0x80000000u /* RTC WDT enabled after reset [?] */
#define EMU_SYNC_VALUE 0x20120707u
#define EMU_MAGIC_VALUE 0xFFF0C101u
#define EMU_REPEAT_COUNT 8u        /* SYNC replies, and unknown-op frames [?] */
#define EMU_APP_PERIOD_US 1000000u /* blank-flash watchdog reboot text [?] */
#define DRAM_START 0x3FFE8000u
#define DRAM_END 0x40000000u
#define IRAM_START 0x40100000u
#define IRAM_END 0x40108000u
#define DRAM_SIZE (DRAM_END - DRAM_START)
#define IRAM_SIZE (IRAM_END - IRAM_START)

/* ROM loader opcodes and error codes (both loaders: rom_loader.c, rom_esp32.c). */
#define OP_FLASH_BEGIN 0x02
#define OP_FLASH_DATA 0x03
#define OP_FLASH_END 0x04
#define OP_MEM_BEGIN 0x05
#define OP_MEM_END 0x06
#define OP_MEM_DATA 0x07
#define OP_SYNC 0x08
#define OP_WRITE_REG 0x09
#define OP_READ_REG 0x0A
#define OP_SPI_SET_PARAMS 0x0B
#define OP_SPI_ATTACH 0x0D
#define OP_READ_FLASH_SLOW 0x0E
#define OP_CHANGE_BAUDRATE 0x0F
#define OP_SPI_FLASH_MD5 0x13
#define OP_GET_SECURITY_INFO 0x14

#define ERR_INVALID 0x05
#define ERR_FAILED 0x06
#define ERR_CHECKSUM 0x07
#define ERR_FLASH_WRITE 0x08

struct emu_timed_byte {
	uint64_t t_us;
	uint8_t b;
};

/* A ring of bytes, each due at a time; times never decrease along the ring. */
struct emu_byteq {
	struct emu_timed_byte *buf;
	size_t cap, head, len;
	uint64_t wire_free_ns; /* when the wire is free for the next byte */
};

/* One reply body before SLIP framing. */
struct emu_frame {
	uint8_t b[EMU_REPLY_MAX];
	size_t len;
};

/* A reply sent several times in a row (SYNC, unknown opcodes). */
struct emu_repeat {
	struct emu_frame f;
	unsigned int left;
	uint64_t next_us;
};

struct emu_md5 {
	uint32_t h[4];
	uint64_t len;
	uint8_t buf[64];
	size_t n;
};

struct emu_flash {
	uint8_t *data;
	uint32_t size;
	uint32_t jedec;
	uint8_t sr;            /* status register 1, WIP and WEL are computed */
	bool wel;
	uint64_t busy_until_us;
};

struct emu_reset {
	bool dtr, rts;          /* asserted = true */
	bool en_low;            /* EN pulled low by the circuit */
	uint64_t en_low_since;
	bool reset_pending;     /* EN low, chip not yet in reset (min_reset_us) */
	bool latch_pending;     /* EN released, rising through the RC */
	uint64_t latch_at;
	bool boot_pending;
	uint64_t boot_at;
	bool boot_to_loader;
};

/* The USB-Serial/JTAG peripheral's view of the lines, and the USB device (reset.c). */
struct emu_usj {
	bool download_flag;     /* set by (DTR,RTS) = (1,0), cleared by (0,0) [I] */
	bool present;           /* the USB device is on the bus */
	bool leave_pending;
	uint64_t leave_at;
	bool back_pending;
	uint64_t back_at;
	unsigned long generation;
};

struct emu_loader {
	/* SLIP receiver of the ROM */
	bool in_frame, esc, overflow;
	uint8_t frame[EMU_SLIP_MAX];
	size_t len;

	bool lose_next_frame;   /* auto-baud still measuring */
	uint32_t last_value;
	uint8_t last_op;        /* last supported op handled (0 = none yet) */
	unsigned long commands_total;
	bool hang_fired;

	/* a reply held back until an erase (or an MD5) has finished */
	bool deferred;
	uint64_t deferred_at;
	struct emu_frame deferred_frame;

	bool spi_attached;      /* ESP32 family: SPI_ATTACH received since boot */

	struct emu_repeat sync_rep, unk_rep;

	/* FLASH_BEGIN / FLASH_DATA state */
	bool flash_open;
	uint32_t flash_next_addr, flash_next_seq;
	/* MEM_BEGIN / MEM_DATA state */
	bool mem_open;
	uint32_t mem_addr, mem_size, mem_written, mem_next_seq;
};

struct emu_reg_slot {
	uint32_t addr, value;
};

/* USB-Serial/JTAG watchdog registers (sheet §8.4) */
struct emu_wdt {
	uint32_t config0, wprotect, swd_conf, swd_wprotect;
};

struct emu {
	struct emu_config cfg;  /* chip defaults resolved by emu_new() */
	const struct emu_chip_info *chip;
	uint64_t now_us;
	enum emu_mode mode;
	uint32_t baud;
	uint64_t rng;

	struct emu_byteq rxq, txq;
	struct emu_loader ld;
	struct emu_flash flash;
	struct emu_reset rst;
	struct emu_usj usj;
	uint32_t spi[64];
	struct emu_reg_slot other[EMU_OTHER_REGS];
	struct emu_wdt wdt;
	uint8_t *ram;           /* DRAM then IRAM, for MEM_DATA */
	uint64_t app_next_us;
	bool app_pending;

	struct emu_stats st;
	struct emu_line_event *line_log;
	size_t line_n;
	struct emu_erase_event *erase_log;
	size_t erase_n;
	uint8_t *cmd_log;
	size_t cmd_n;
	uint8_t fb_words[EMU_FB_LOG_CAP];
	size_t fb_n;
};

/* emu.c */
uint64_t emu_rand(struct emu *e);
double emu_rand01(struct emu *e);

/* uart.c: the chip's UART, both directions */
bool byteq_push(struct emu_byteq *q, uint64_t t_us, uint8_t b);
const struct emu_timed_byte *byteq_peek(const struct emu_byteq *q);
void byteq_pop(struct emu_byteq *q);
void uart_send_raw(struct emu *e, uint64_t t_us, const uint8_t *buf, size_t len);
void uart_send_frame(struct emu *e, uint64_t t_us, const uint8_t *body, size_t len);
void uart_cancel_after(struct emu *e, uint64_t t_us);
void uart_send_text_at(struct emu *e, uint64_t t_us, const char *text, uint32_t text_baud);
size_t uart_resample(const uint8_t *text, size_t n, uint32_t src_baud, uint32_t dst_baud,
		     uint8_t *out, size_t cap);
uint64_t uart_byte_ns(const struct emu *e);

/* rom_loader.c: framing, the ESP8266 handlers, and what both ROMs share */
uint32_t rom_le32(const uint8_t *p);
void rom_build(const struct emu *e, struct emu_frame *f, uint8_t op, uint32_t value,
	       const uint8_t *data, size_t n, uint8_t err);
void rom_reply(struct emu *e, uint64_t t_us, uint8_t op, uint8_t err);
void rom_reply_data(struct emu *e, uint64_t t_us, uint8_t op, const uint8_t *data, size_t n,
		    uint8_t err);
/* The reply goes out at done_us (an erase or MD5 finishing); the ROM is busy until then. */
void rom_reply_at(struct emu *e, uint64_t now, uint64_t done_us, uint8_t op,
		  const uint8_t *data, size_t n, uint8_t err);
void rom_unsupported(struct emu *e, uint64_t t_us, uint8_t op);
void loader_enter(struct emu *e, uint64_t t_us);
void loader_stop(struct emu *e);
void loader_rx_byte(struct emu *e, uint8_t b, uint64_t t_us);
uint64_t loader_next_event(const struct emu *e);
void loader_run_events(struct emu *e, uint64_t t_us);
uint64_t loader_busy_until(const struct emu *e);

/* rom_esp32.c: what only the ESP32-family ROM does */
bool esp32_op_refused(const struct emu *e, uint8_t op);
void esp32_flash_begin(struct emu *e, uint64_t t, const uint8_t *d, size_t n);
void esp32_flash_end(struct emu *e, uint64_t t, const uint8_t *d, size_t n);
void esp32_spi_attach(struct emu *e, uint64_t t, const uint8_t *d, size_t n);
void esp32_security_info(struct emu *e, uint64_t t);
void esp32_flash_md5(struct emu *e, uint64_t t, const uint8_t *d, size_t n);
void esp32_read_flash_slow(struct emu *e, uint64_t t, const uint8_t *d, size_t n);
void esp32_change_baud(struct emu *e, uint64_t t, const uint8_t *d, size_t n);
/* Sum of WRITE_REG's delay_us words (the ROM waits them out). */
uint64_t esp32_write_reg_delay(const uint8_t *d, size_t n);

/* efuse.c: the family's read-only words (eFuses, revision, MAC, UARTDEV) */
bool efuse_read(const struct emu *e, uint32_t addr, uint32_t *value);
uint32_t efuse_flags(const struct emu *e);

/* banner.c: what the chip prints at boot and in the app */
uint32_t banner_baud(const struct emu *e);
void banner_boot(struct emu *e, uint64_t t_us, bool loader, int cause);
void banner_app_start(struct emu *e, uint64_t t_us);
void banner_app_tick(struct emu *e, uint64_t t_us);

/* md5.c (RFC 1321) */
void md5_init(struct emu_md5 *s);
void md5_update(struct emu_md5 *s, const uint8_t *p, size_t len);
void md5_final(struct emu_md5 *s, uint8_t out[16]);

/* regs.c */
uint32_t regs_read(struct emu *e, uint32_t addr, uint64_t t_us);
void regs_write(struct emu *e, uint32_t addr, uint32_t value, uint64_t t_us);
void regs_efuses(const struct emu_config *cfg, uint32_t r[4]);

/* spi.c */
uint32_t spi_read(struct emu *e, uint32_t off);
void spi_write(struct emu *e, uint32_t off, uint32_t value, uint64_t t_us);

/* flash.c */
int flash_init(struct emu *e);
void flash_free(struct emu *e);
bool flash_busy(const struct emu *e, uint64_t t_us);
uint8_t flash_status(const struct emu *e, uint64_t t_us);
void flash_wren(struct emu *e, uint64_t t_us);
/* Start an erase ('S', 'b' 32 KiB, 'B' 64 KiB, 'C'); returns when it ends, or t_us if refused. */
uint64_t flash_erase(struct emu *e, char kind, uint32_t addr, uint64_t t_us);
/* Page program with NOR AND semantics; returns false if a bit would have to rise. */
bool flash_program(struct emu *e, uint32_t addr, const uint8_t *buf, size_t len);
/* One SPI transaction: input bits (cmd, addr, dummy, MOSI) and MISO bits read at cycle miso_cycle. */
void flash_transaction(struct emu *e, uint64_t t_us, const uint8_t *in, size_t in_bits,
		       size_t miso_cycle, uint8_t *out, size_t out_bits);

/* reset.c: the two-transistor circuit, or the USB-Serial/JTAG decode (cfg.link_mode) */
void reset_lines(struct emu *e, bool dtr, bool rts, uint64_t t_us);
uint64_t reset_next_event(const struct emu *e);
void reset_run_events(struct emu *e, uint64_t t_us);
void reset_reboot_now(struct emu *e, uint64_t t_us, bool to_loader, int cause);

/* emu.c: mode changes shared by reset.c and rom_loader.c */
void emu_enter_app(struct emu *e, uint64_t t_us);
void emu_reset_rtc(struct emu *e);
void emu_log_erase(struct emu *e, const struct emu_erase_event *ev);

#endif /* ESPEMU_INTERNAL_H */
