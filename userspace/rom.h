/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ROM loader commands (ESP8266 and ESP32 family): packets, checksum, replies, status words. */
#ifndef ESPWIPE_ROM_H
#define ESPWIPE_ROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slip.h"
#include "transport.h"

/*
 * Opcodes of the ROM loaders (sheets §2, esp32-family-rom.md §3).  Which of
 * them may go out depends on the chip: see rom_link_set_ops.
 */
enum rom_op {
	ROM_FLASH_BEGIN = 0x02,
	ROM_FLASH_DATA = 0x03,
	ROM_FLASH_END = 0x04,
	ROM_MEM_BEGIN = 0x05,
	ROM_MEM_END = 0x06,
	ROM_MEM_DATA = 0x07,
	ROM_SYNC = 0x08,
	ROM_WRITE_REG = 0x09,
	ROM_READ_REG = 0x0A,
	ROM_SPI_SET_PARAMS = 0x0B, /* ESP8266: [?] sent only to lift the ROM's flash-size limit */
	ROM_SPI_ATTACH = 0x0D,     /* ESP32 family: required before any flash access */
	ROM_READ_FLASH_SLOW = 0x0E,
	ROM_CHANGE_BAUDRATE = 0x0F,
	ROM_FLASH_DEFL_BEGIN = 0x10,
	ROM_FLASH_DEFL_DATA = 0x11,
	ROM_FLASH_DEFL_END = 0x12,
	ROM_SPI_FLASH_MD5 = 0x13,  /* the ROM answers 32 ASCII hex digits */
	ROM_GET_SECURITY_INFO = 0x14, /* S2 and later: 12 (S2) or 20 bytes */
};

/* Bit of an opcode in a mask of allowed opcodes (all are below 32). */
#define ROM_OP_BIT(op) (1u << (op))
/* What a fresh link may send: nothing but SYNC and READ_REG until the chip is known. */
#define ROM_OPS_BEFORE_DETECTION (ROM_OP_BIT(ROM_SYNC) | ROM_OP_BIT(ROM_READ_REG))

#define ROM_SYNC_VALUE 0x20120707u
#define ROM_CHECKSUM_SEED 0xEF
#define ROM_HEADER_LEN 8
/* Largest request data: a MEM_DATA header plus esptool's 0x1800-byte block. */
#define ROM_MAX_DATA (16 + 0x1800)
/* The ESP8266 ROM sends one SYNC reply per SYNC this many times. */
#define ROM_SYNC_REPLIES 8

/* Result of a command, as the caller sees it. */
enum rom_result {
	ROM_OK = 0,
	ROM_E_FAILED = -1,  /* ROM answered status 1; see reply.error */
	ROM_E_TIMEOUT = -2, /* no matching reply in time */
	ROM_E_IO = -3,      /* transport error (errno in link->last_errno) */
	ROM_E_PROTO = -4,   /* malformed or oversize frames only; or an opcode the chip lacks */
	/*
	 * Probes only (rom_read_reg_probe, rom_get_security_info): the ROM
	 * answered with the unsupported-command pattern (status 01 05 under
	 * another op, repeated), and the repeats were drained.
	 */
	ROM_E_UNSUPPORTED = -5,
};

#define ROM_REPLY_DATA_MAX 64

/*
 * A reply: 01 op size value data.  The data field is the payload the command
 * returns followed by the status: 2 bytes (ESP8266 ROM, stubs) or 4 (ESP32
 * family ROM: status, error, 2 reserved).  The status is located from the
 * payload length the caller expects, never from the end.
 */
struct rom_reply {
	uint8_t op;
	uint32_t value;
	uint8_t status; /* 0 ok, 1 failed */
	uint8_t error;  /* ROM error code when status != 0 */
	uint8_t data[ROM_REPLY_DATA_MAX]; /* the whole data field */
	size_t data_len;    /* its length */
	size_t payload_len; /* bytes before the status, once located */
	size_t status_len;  /* 2 or 4, once located */
};

struct rom_link {
	struct transport *tr;
	struct slip_decoder dec;
	int last_errno;
	unsigned long frames_skipped; /* frames that were not the awaited reply */
	unsigned long malformed;      /* frames that were not well-formed replies */
	unsigned int retries;         /* extra tries of READ_REG/WRITE_REG (default 2) */
	unsigned long retried;        /* how many such retries happened */
	uint32_t sync_value;          /* value field of the last SYNC reply */
	bool stub;                    /* that value was 0: a flasher stub, not the ROM */
	uint32_t ops;                 /* ROM_OP_BIT() of the opcodes that may be sent */
	unsigned long unsupported_frames; /* unsupported-pattern frames seen by probes */
	/* bytes read from the transport but not yet fed to the decoder */
	uint8_t rx[256];
	size_t rx_pos, rx_len;
};

void rom_link_init(struct rom_link *link, struct transport *tr);
/*
 * Discard unread input: the transport's buffers, bytes read ahead and any
 * partial frame.  The garbage and error counters are kept.  0 or ROM_E_IO.
 */
int rom_link_flush(struct rom_link *link);
/* Bytes skipped outside frames so far (boot text, noise). */
unsigned long rom_link_garbage(const struct rom_link *link);
/*
 * Let ms pass on the transport clock while reading: whatever arrives goes
 * through the decoder (so garbage is counted) and complete frames are
 * dropped.  A pause that keeps the input clean; never a sleep.  0 or ROM_E_IO.
 */
int rom_link_drain(struct rom_link *link, int ms);

uint8_t rom_checksum(const uint8_t *data, size_t len);

/* Build a request body (unescaped): returns length or 0 if it does not fit. */
size_t rom_build_request(uint8_t op, const uint8_t *data, size_t len, uint32_t checksum,
			 uint8_t *out, size_t cap);

/*
 * What the link may send from now on (ROM_OP_BIT mask): the chip's ROM
 * opcodes once it is identified.  rom_send refuses anything else with
 * ROM_E_PROTO before a byte goes out.
 */
void rom_link_set_ops(struct rom_link *link, uint32_t ops);
bool rom_link_may_send(const struct rom_link *link, uint8_t op);

/*
 * Parse a reply body; false if it is not a well-formed ROM reply (direction 1,
 * length field consistent, 2 to ROM_REPLY_DATA_MAX data bytes).  The status
 * is located as for a command without payload (rom_reply_locate_status 0)
 * when that fits, else left 0.
 */
bool rom_parse_reply(const uint8_t *body, size_t len, struct rom_reply *out);
/*
 * Locate the status after `payload` bytes: true when 2 or 4 bytes follow the
 * payload (status = data[payload], error = data[payload + 1]).  A shorter
 * data field of 2 or 4 bytes whose first byte is non-zero is a bare failure
 * status (the ROM sent no payload): true, with payload_len 0.  Anything else
 * does not fit the command: false.
 */
bool rom_reply_locate_status(struct rom_reply *r, size_t payload);
/* 01 05 under another op than the request's: the unsupported-command pattern. */
bool rom_reply_is_unsupported(const struct rom_reply *r, uint8_t request_op);

/* "message invalid", "checksum error", ... for the ROM's error byte. */
const char *rom_error_str(uint8_t error);
/*
 * The failure of a reply in words: the ROM puts its code in the second
 * status byte, a stub in the first (C0..C9, FF) with 0 in the second.
 */
const char *rom_reply_error_str(const struct rom_reply *reply);
/* The two status bytes as esptool prints them ("0105", "C100"); buf >= 5. */
void rom_status_hex(const struct rom_reply *reply, char buf[5]);
const char *rom_op_name(uint8_t op);
/* True for the opcodes in enum rom_op (whether one may go out: rom_link_may_send). */
bool rom_op_known(uint8_t op);
/* "timed out", "I/O error", ... for an enum rom_result. */
const char *rom_result_str(int result);

/*
 * Send a command and wait for the reply with direction 1 and the same op,
 * skipping anything else (boot text, stale SYNC replies, error frames
 * carrying another op).  `payload` is the number of data bytes the command
 * returns before its status (0 for most).  ROM_E_FAILED leaves the status in *reply.
 * timeout_ms is an overall deadline on the transport clock, however many
 * frames are skipped.  reply may be NULL; it is written only when the
 * matching reply came (ROM_OK or ROM_E_FAILED).  ROM_E_PROTO: the deadline
 * passed and nothing but malformed frames (bad escapes, bad lengths) came.
 */
int rom_command(struct rom_link *link, uint8_t op, const uint8_t *data, size_t len,
		uint32_t checksum, size_t payload, int timeout_ms, struct rom_reply *reply);
/*
 * The two halves of rom_command, for callers that want to do something while
 * a long command runs (a progress bar during FLASH_BEGIN): send, then wait in
 * slices with rom_wait_reply until it returns something else than
 * ROM_E_TIMEOUT or their own deadline passes.  rom_send refuses opcodes
 * the link may not send (ROM_E_PROTO) and data above ROM_MAX_DATA.
 */
int rom_send(struct rom_link *link, uint8_t op, const uint8_t *data, size_t len,
	     uint32_t checksum);
int rom_wait_reply(struct rom_link *link, uint8_t op, size_t payload, uint64_t deadline_us,
		   struct rom_reply *reply);

/*
 * Convenience wrappers.  rom_read_reg and rom_write_reg are idempotent, so
 * on a timeout, a malformed reply or a "message invalid" (05) answer (a
 * request mangled on the wire) they flush the input and try again, up to
 * link->retries more times; timeout_ms applies to each try.  The others
 * (FLASH_BEGIN, SPI_SET_PARAMS, FLASH_END) are resent only after a 01 05
 * answer, which means the ROM did nothing; a timeout or a mangled reply is
 * returned as it is, since the command may have acted.
 */
#define ROM_DEFAULT_RETRIES 2
/* After a retried command succeeds, late answers to the earlier tries are
 * drained for this long so they cannot answer the next command. */
#define ROM_RETRY_SETTLE_MS 20
int rom_read_reg(struct rom_link *link, uint32_t addr, uint32_t *value, int timeout_ms);
/*
 * The same as a probe: the unsupported-command pattern (01 05 under another
 * op, at least ROM_UNSUPPORTED_MIN_REPEATS times) gives ROM_E_UNSUPPORTED
 * once the repeats are drained (the line quiet for ROM_UNSUPPORTED_QUIET_MS,
 * at most ROM_UNSUPPORTED_DRAIN_MS after the first) and the input flushed.
 * Only the detection's magic read uses it.
 */
#define ROM_UNSUPPORTED_MIN_REPEATS 2
#define ROM_UNSUPPORTED_QUIET_MS 50
#define ROM_UNSUPPORTED_DRAIN_MS 200
int rom_read_reg_probe(struct rom_link *link, uint32_t addr, uint32_t *value, int timeout_ms);
int rom_write_reg(struct rom_link *link, uint32_t addr, uint32_t value, int timeout_ms);
int rom_flash_begin(struct rom_link *link, uint32_t erase_size, uint32_t num_blocks,
		    uint32_t block_size, uint32_t offset, int timeout_ms, struct rom_reply *reply);
/*
 * FLASH_BEGIN with a 5th word (S2 and later ROMs: 1 = encrypted, 0 = plain;
 * words = 4 sends the ESP8266/ESP32 form).  Not resent after a timeout.
 */
int rom_flash_begin_words(struct rom_link *link, unsigned int words, uint32_t erase_size,
			  uint32_t num_blocks, uint32_t block_size, uint32_t offset,
			  uint32_t encrypted, int timeout_ms, struct rom_reply *reply);
/* SPI_ATTACH (0x0D): the ROM form, 8 bytes: config word, then 0; retried (idempotent). */
int rom_spi_attach(struct rom_link *link, uint32_t config, int timeout_ms, struct rom_reply *reply);
/*
 * SPI_FLASH_MD5 (0x13) over [addr, addr+len): the ROM's 32 ASCII hex digits
 * into hex (not NUL-terminated).  Retried like a register read (it changes
 * nothing).
 */
#define ROM_MD5_HEX_LEN 32
int rom_spi_flash_md5(struct rom_link *link, uint32_t addr, uint32_t len, int timeout_ms,
		      char hex[ROM_MD5_HEX_LEN], struct rom_reply *reply);
/*
 * GET_SECURITY_INFO (0x14), a probe: ROM_OK with the payload in data (20 or
 * 12 bytes, *len says which), ROM_E_UNSUPPORTED as rom_read_reg_probe, or
 * ROM_E_PROTO for a reply of another length.
 */
#define ROM_SECINFO_MAX 20
int rom_get_security_info(struct rom_link *link, int timeout_ms, uint8_t data[ROM_SECINFO_MAX],
			  size_t *len, struct rom_reply *reply);
/* FLASH_BEGIN(0, 0, 0x400, 0): attach and unlock the flash, erase nothing; retried. */
int rom_flash_attach(struct rom_link *link, int timeout_ms);
int rom_spi_set_params(struct rom_link *link, uint32_t flash_id, uint32_t total_size,
		       int timeout_ms, struct rom_reply *reply);
int rom_flash_end(struct rom_link *link, bool run_user_code, int timeout_ms);

/*
 * One SYNC: send it, wait first_timeout_ms for the first reply, then drain
 * further SYNC replies for drain_ms without requiring them.  Returns ROM_OK
 * and the number of replies seen in *replies.
 * The drain ends drain_ms after the last reply, and at the latest
 * 8 x drain_ms after the first one.  Any SYNC reply with status 0 counts;
 * link->sync_value and link->stub record what answered (value 0 = stub).
 * Without a reply: ROM_E_TIMEOUT (or ROM_E_PROTO if only malformed frames
 * came), and *replies = 0.
 */
int rom_sync(struct rom_link *link, int first_timeout_ms, int drain_ms, int *replies);
/*
 * The same with `frames` SYNC frames sent back to back.  Right after a reset
 * the ROM spends the first frame on measuring the baud rate and drops it
 * (sheet §3, §11); two frames close together are answered 8 times, not 16,
 * so sending two saves the first-reply timeout without extra replies.
 * *first_reply_us (if not NULL) is when the first reply arrived: the moment
 * the ROM was known to be in sync, before the extra replies were drained.
 */
int rom_sync_frames(struct rom_link *link, int frames, int first_timeout_ms, int drain_ms,
		    int *replies, uint64_t *first_reply_us);

#endif /* ESPWIPE_ROM_H */
