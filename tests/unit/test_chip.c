/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Chip decoders and the SPI register sequences, byte-exact. */
#include <stdlib.h>
#include <string.h>

#include "chip.h"
#include "fake_rom.h"
#include "fake_transport.h"
#include "unit.h"

/* The ESP8266 row's SPI0 registers. */
#define E8266 (chip_by_name("ESP8266"))
#define SPI(off) (E8266->spi.base + (off))
#define SPI_REG_USR (E8266->spi.usr)
#define SPI_REG_USR1 (E8266->spi.usr1)
#define SPI_REG_USR2 (E8266->spi.usr2)
#define SPI_REG_W0 (E8266->spi.w0)
#define ESP8266_MAGIC 0xFFF0C101u
#define ESP8266_MAGIC_REG CHIP_MAGIC_REG
#define ESP8266_EFUSE_BASE (E8266->mac_lo)
#define ESP8266_UART_CLKDIV_REG (E8266->uart_clkdiv_reg)

struct chx {
	struct fake_tr *f;
	struct fake_rom rom;
	struct rom_link link;
	size_t checked; /* frames already compared by expect_* */
};

static int chx_setup(void **state)
{
	struct chx *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	x->f = fake_new();
	fake_rom_init(&x->rom, x->f);
	rom_link_init(&x->link, &x->f->tr);
	rom_link_set_ops(&x->link, E8266->rom_ops);
	/* what the ROM left in USR/USR2; must be restored */
	fake_rom_set_reg(&x->rom, SPI(SPI_REG_USR), 0x80000064);
	fake_rom_set_reg(&x->rom, SPI(SPI_REG_USR2), 0x70000003);
	*state = x;
	return 0;
}

static int chx_teardown(void **state)
{
	struct chx *x = *state;

	fake_free(x->f);
	free(x);
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The next host frame must be READ_REG addr, byte for byte. */
static void expect_read(struct chx *x, uint32_t addr)
{
	uint8_t want[12] = { 0x00, 0x0A, 0x04, 0x00, 0, 0, 0, 0 };

	put32(want + 8, addr);
	assert_true(x->checked < x->f->nframes);
	assert_int_equal(x->f->frames[x->checked].len, sizeof(want));
	assert_memory_equal(x->f->frames[x->checked].body, want, sizeof(want));
	x->checked++;
}

/* The next host frame must be WRITE_REG addr=value, mask FFFFFFFF, delay 0. */
static void expect_write(struct chx *x, uint32_t addr, uint32_t value)
{
	uint8_t want[24] = { 0x00, 0x09, 0x10, 0x00, 0, 0, 0, 0 };

	put32(want + 8, addr);
	put32(want + 12, value);
	put32(want + 16, 0xFFFFFFFF);
	put32(want + 20, 0);
	assert_true(x->checked < x->f->nframes);
	if (x->f->frames[x->checked].len != sizeof(want) ||
	    memcmp(x->f->frames[x->checked].body, want, sizeof(want)) != 0)
		fail_msg("frame %zu: want WRITE_REG 0x%08x = 0x%08x", x->checked, addr, value);
	x->checked++;
}

static void expect_end(struct chx *x)
{
	assert_int_equal(x->checked, x->f->nframes);
}

static void variant_from_efuse(void **state)
{
	(void)state;
	uint32_t e[4] = { 0, 0, 0, 0 };

	assert_int_equal(chip_variant_from_efuse(e), CHIP_ESP8266EX);
	e[0] = 1u << 4;
	assert_int_equal(chip_variant_from_efuse(e), CHIP_ESP8285);
	e[0] = 0;
	e[2] = 1u << 16;
	assert_int_equal(chip_variant_from_efuse(e), CHIP_ESP8285);
	e[2] = ~(1u << 16);
	e[0] = ~(1u << 4);
	assert_int_equal(chip_variant_from_efuse(e), CHIP_ESP8266EX);
	assert_string_equal(chip_variant_name(CHIP_ESP8266EX), "ESP8266EX");
	assert_string_equal(chip_variant_name(CHIP_ESP8285), "ESP8285");
}

static void mac_rules(void **state)
{
	(void)state;
	uint8_t mac[6];
	uint32_t e[4] = { 0xAB000000, 0x00001234, 0, 0x00112233 };
	const uint8_t from_m3[] = { 0x11, 0x22, 0x33, 0x12, 0x34, 0xAB };
	const uint8_t oui0[] = { 0x18, 0xFE, 0x34, 0x12, 0x34, 0xAB };
	const uint8_t oui1[] = { 0xAC, 0xD0, 0x74, 0x12, 0x34, 0xAB };

	assert_int_equal(chip_mac_from_efuse(e, mac), 0);
	assert_memory_equal(mac, from_m3, 6);
	e[3] = 0;
	assert_int_equal(chip_mac_from_efuse(e, mac), 0);
	assert_memory_equal(mac, oui0, 6);
	e[1] = 0x00011234;
	assert_int_equal(chip_mac_from_efuse(e, mac), 0);
	assert_memory_equal(mac, oui1, 6);
	e[1] = 0x00021234;
	assert_int_equal(chip_mac_from_efuse(e, mac), -1);
	/* m1's top byte is not part of the rule */
	e[1] = 0xFF001234;
	assert_int_equal(chip_mac_from_efuse(e, mac), 0);
	assert_memory_equal(mac, oui0, 6);
}

static void embedded_flash(void **state)
{
	(void)state;
	const uint32_t a = 1u << 4, b = 1u << 25, c = 1u << 26, d = 1u << 27;
	struct { uint32_t r0, r3, size; } cases[] = {
		{ a, 0, 1u << 20 },     { a, c, 2u << 20 },     { 0, b, 2u << 20 },
		{ 0, b | c, 4u << 20 }, { a, b, 0 },            { 0, 0, 0 },
		{ a, d, 0 },            { 0, b | d, 0 },        { a, c | d, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t e[4] = { cases[i].r0, 0, 0, cases[i].r3 };

		assert_int_equal(chip_embedded_flash_size(e), cases[i].size);
	}
}

static void crystal(void **state)
{
	(void)state;
	assert_int_equal(chip_crystal_from_divider(0x1C4, 115200), 26);
	assert_int_equal(chip_crystal_from_divider(0x1CE, 115200), 26);
	assert_int_equal(chip_crystal_from_divider(694, 115200), 40);
	/* 33 MHz exactly is not "above 33" */
	assert_int_equal(chip_crystal_from_divider(66, 1000000), 26);
	assert_int_equal(chip_crystal_from_divider(67, 1000000), 40);
	/* only the low 20 bits are the divider */
	assert_int_equal(chip_crystal_from_divider(0xFFF001C4, 115200), 26);
	assert_int_equal(chip_crystal_from_divider(0x1C4 / 2, 230400), 26);
}

static void jedec_sizes(void **state)
{
	(void)state;
	struct { uint32_t id, size; } cases[] = {
		{ 0x001640EF, 4u << 20 },  { 0x001440EF, 1u << 20 },  { 0x001540C8, 2u << 20 },
		{ 0x001240EF, 256u << 10 }, { 0x00134085, 512u << 10 }, { 0x00174020, 8u << 20 },
		{ 0x00184068, 16u << 20 }, { 0x0019405E, 32u << 20 }, { 0x001A40EF, 64u << 20 },
		{ 0x001C40EF, 256u << 20 }, { 0x002040C2, 64u << 20 }, { 0x002240C2, 256u << 20 },
		{ 0x0032600B, 256u << 10 }, { 0x0036600B, 4u << 20 }, { 0x003A600B, 64u << 20 },
		{ 0x001140EF, 0 },         { 0x001D40EF, 0 },         { 0x003B600B, 0 },
		{ 0x00FFFFFF, 0 },         { 0x00000000, 0 },
		/* Adesto: density in the type byte */
		{ 0x0001841F, 512u << 10 }, { 0x0001861F, 2u << 20 }, { 0x0000471F, 4u << 20 },
		{ 0x0000491F, 16u << 20 }, { 0x0000431F, 0 },         { 0x00004A1F, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (chip_flash_size_from_jedec(cases[i].id) != cases[i].size)
			fail_msg("id 0x%06x: got %u want %u", cases[i].id,
				 chip_flash_size_from_jedec(cases[i].id), cases[i].size);
}

static void vendors(void **state)
{
	(void)state;
	assert_string_equal(chip_flash_vendor(0x1640EF), "Winbond");
	assert_string_equal(chip_flash_vendor(0x1640C8), "GigaDevice");
	assert_string_equal(chip_flash_vendor(0x164085), "PUYA");
	assert_string_equal(chip_flash_vendor(0x164020), "XMC");
	assert_string_equal(chip_flash_vendor(0x164068), "Boya");
	assert_string_equal(chip_flash_vendor(0x16405E), "Zbit");
	assert_string_equal(chip_flash_vendor(0x1640A1), "Fudan");
	assert_string_equal(chip_flash_vendor(0x16400B), "XTX");
	assert_string_equal(chip_flash_vendor(0x16401C), "EON");
	assert_string_equal(chip_flash_vendor(0x1640C2), "Macronix");
	assert_string_equal(chip_flash_vendor(0x01841F), "Adesto");
	assert_string_equal(chip_flash_vendor(0x164042), "unknown");
}

static void magic_names(void **state)
{
	(void)state;
	assert_string_equal(chip_name_for_magic(0xFFF0C101), "ESP8266");
	/* only the ESP8266 and ESP32 are identified by their magic */
	assert_ptr_equal(chip_by_magic(0xFFF0C101), chip_by_name("ESP8266"));
	assert_ptr_equal(chip_by_magic(0x00F01D83), chip_by_name("ESP32"));
	assert_null(chip_by_magic(0x000007C6));
	assert_null(chip_by_magic(0x6921506F));
	assert_string_equal(chip_name_for_magic(0x00F01D83), "ESP32");
	assert_string_equal(chip_name_for_magic(0x000007C6), "ESP32-S2");
	assert_string_equal(chip_name_for_magic(0x00000009), "ESP32-S3");
	const uint32_t c3[] = { 0x6921506F, 0x1B31506F, 0x4881606F, 0x4361606F };
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(chip_name_for_magic(c3[i]), "ESP32-C3");
	assert_string_equal(chip_name_for_magic(0x6F51306F), "ESP32-C2");
	assert_string_equal(chip_name_for_magic(0x7C41A06F), "ESP32-C2");
	assert_string_equal(chip_name_for_magic(0x2CE0806F), "ESP32-C6");
	assert_string_equal(chip_name_for_magic(0xD7B73E80), "ESP32-H2");
	assert_null(chip_name_for_magic(0));
	assert_null(chip_name_for_magic(0xDEADBEEF));
}

static void read_magic(void **state)
{
	struct chx *x = *state;
	uint32_t m = 0;

	fake_rom_set_reg(&x->rom, ESP8266_MAGIC_REG, ESP8266_MAGIC);
	assert_int_equal(chip_read_magic(&x->link, &m), ROM_OK);
	assert_int_equal(m, ESP8266_MAGIC);
	expect_read(x, 0x40001000);
	expect_end(x);
}

static void rdid_sequence(void **state)
{
	struct chx *x = *state;
	uint32_t id = 0;

	x->rom.jedec = 0x001640EF;
	x->rom.cmd_busy_reads = 1;
	assert_int_equal(chip_flash_jedec(&x->link, E8266, &id), ROM_OK);
	assert_int_equal(id, 0x001640EF);
	expect_read(x, SPI(SPI_REG_USR));
	expect_read(x, SPI(SPI_REG_USR2));
	expect_write(x, SPI(SPI_REG_USR1), 0x1700);
	expect_write(x, SPI(SPI_REG_USR), 0x90000000);
	expect_write(x, SPI(SPI_REG_USR2), 0x7000009F);
	expect_write(x, SPI(SPI_REG_W0), 0);
	expect_write(x, SPI(SPI_REG_CMD), 0x40000);
	expect_read(x, SPI(SPI_REG_CMD)); /* still busy */
	expect_read(x, SPI(SPI_REG_CMD)); /* done */
	expect_read(x, SPI(SPI_REG_W0));
	expect_write(x, SPI(SPI_REG_USR), 0x80000064);
	expect_write(x, SPI(SPI_REG_USR2), 0x70000003);
	expect_end(x);
}

static void rdsr_sequence(void **state)
{
	struct chx *x = *state;
	uint8_t st = 0xAA;

	x->rom.status = 0x02;
	x->rom.cmd_busy_reads = 0;
	assert_int_equal(chip_flash_status(&x->link, E8266, &st), ROM_OK);
	assert_int_equal(st, 0x02);
	expect_read(x, SPI(SPI_REG_USR));
	expect_read(x, SPI(SPI_REG_USR2));
	expect_write(x, SPI(SPI_REG_USR1), 0x700);
	expect_write(x, SPI(SPI_REG_USR), 0x90000000);
	expect_write(x, SPI(SPI_REG_USR2), 0x70000005);
	expect_write(x, SPI(SPI_REG_W0), 0);
	expect_write(x, SPI(SPI_REG_CMD), 0x40000);
	expect_read(x, SPI(SPI_REG_CMD));
	expect_read(x, SPI(SPI_REG_W0));
	expect_write(x, SPI(SPI_REG_USR), 0x80000064);
	expect_write(x, SPI(SPI_REG_USR2), 0x70000003);
	expect_end(x);
}

static void addr_dummy_mosi_layout(void **state)
{
	struct chx *x = *state;
	/* SFDP-style read: address, 8 dummy bits, 32 bits in */
	struct spi_cmd sfdp = { .opcode = 0x5A, .has_addr = true, .addr = 0x10, .dummy_bits = 8,
				.miso_bits = 32 };
	const uint8_t sr[] = { 0x00, 0x02, 0x5A };
	struct spi_cmd wrsr = { .opcode = 0x01, .mosi = sr, .mosi_len = 3 };
	uint32_t v;

	x->rom.cmd_busy_reads = 0;
	assert_int_equal(chip_spi_command(&x->link, E8266, &sfdp, &v), ROM_OK);
	expect_read(x, SPI(SPI_REG_USR));
	expect_read(x, SPI(SPI_REG_USR2));
	expect_write(x, SPI(SPI_REG_USR1), (23u << 26) | (31u << 8) | 7u);
	expect_write(x, SPI(SPI_REG_USR), 0x80000000 | 0x40000000 | 0x20000000 | 0x10000000);
	expect_write(x, SPI(SPI_REG_USR2), 0x7000005A);
	expect_write(x, SPI(SPI_REG_ADDR), 0x10 << 8);
	expect_write(x, SPI(SPI_REG_W0), 0);
	expect_write(x, SPI(SPI_REG_CMD), 0x40000);
	expect_read(x, SPI(SPI_REG_CMD));
	expect_read(x, SPI(SPI_REG_W0));
	expect_write(x, SPI(SPI_REG_USR), 0x80000064);
	expect_write(x, SPI(SPI_REG_USR2), 0x70000003);

	assert_int_equal(chip_spi_command(&x->link, E8266, &wrsr, NULL), ROM_OK);
	expect_read(x, SPI(SPI_REG_USR));
	expect_read(x, SPI(SPI_REG_USR2));
	expect_write(x, SPI(SPI_REG_USR1), 23u << 17);
	expect_write(x, SPI(SPI_REG_USR), 0x88000000);
	expect_write(x, SPI(SPI_REG_USR2), 0x70000001);
	expect_write(x, SPI(SPI_REG_W0), 0x5A0200);
	expect_write(x, SPI(SPI_REG_CMD), 0x40000);
	expect_read(x, SPI(SPI_REG_CMD));
	expect_write(x, SPI(SPI_REG_USR), 0x80000064);
	expect_write(x, SPI(SPI_REG_USR2), 0x70000003);
	expect_end(x);
}

static void invalid_spi_cmd(void **state)
{
	struct chx *x = *state;
	uint8_t big[65] = { 0 };
	struct spi_cmd c1 = { .opcode = 0x9F, .miso_bits = 33 };
	struct spi_cmd c2 = { .opcode = 0x02, .mosi = big, .mosi_len = 65 };
	struct spi_cmd c3 = { .opcode = 0x02, .mosi = NULL, .mosi_len = 4 };

	assert_int_equal(chip_spi_command(&x->link, E8266, &c1, NULL), ROM_E_PROTO);
	assert_int_equal(chip_spi_command(&x->link, E8266, &c2, NULL), ROM_E_PROTO);
	assert_int_equal(chip_spi_command(&x->link, E8266, &c3, NULL), ROM_E_PROTO);
	assert_int_equal(x->f->nframes, 0);
}

static void spi_poll_gives_up(void **state)
{
	struct chx *x = *state;
	uint32_t id = 0;
	int cmd_reads = 0;

	x->rom.cmd_busy_reads = 1000;
	assert_int_equal(chip_flash_jedec(&x->link, E8266, &id), ROM_E_TIMEOUT);
	for (size_t i = 0; i < x->f->nframes; i++) {
		const uint8_t *b = x->f->frames[i].body;

		if (b[1] == ROM_READ_REG && b[8] == 0x00 && b[9] == 0x02 && b[10] == 0x00 &&
		    b[11] == 0x60)
			cmd_reads++;
	}
	assert_int_equal(cmd_reads, SPI_POLL_READS);
	/* USR and USR2 were still restored */
	assert_int_equal(fake_rom_get_reg(&x->rom, SPI(SPI_REG_USR)), 0x80000064);
	assert_int_equal(fake_rom_get_reg(&x->rom, SPI(SPI_REG_USR2)), 0x70000003);
	x->checked = x->f->nframes - 2;
	expect_write(x, SPI(SPI_REG_USR), 0x80000064);
	expect_write(x, SPI(SPI_REG_USR2), 0x70000003);
}

static void flash_read_words(void **state)
{
	struct chx *x = *state;
	uint8_t buf[32];

	x->rom.cmd_busy_reads = 0;
	assert_int_equal(chip_flash_read(&x->link, E8266, 0x3FF000, buf, 32), ROM_OK);
	for (uint32_t i = 0; i < 32; i++)
		assert_int_equal(buf[i], fake_rom_flash_byte(0x3FF000 + i));
	expect_write(x, SPI(SPI_REG_ADDR), 0x3FF000 | (32u << 24));
	expect_write(x, SPI(SPI_REG_CMD), 0x80000000);
	expect_read(x, SPI(SPI_REG_CMD));
	for (uint32_t w = 0; w < 8; w++)
		expect_read(x, SPI(SPI_REG_W0 + 4 * w));
	expect_end(x);

	assert_int_equal(chip_flash_read(&x->link, E8266, 0, buf, 0), ROM_E_PROTO);
	assert_int_equal(chip_flash_read(&x->link, E8266, 0, buf, 6), ROM_E_PROTO);
	assert_int_equal(chip_flash_read(&x->link, E8266, 0, buf, 36), ROM_E_PROTO);
	assert_int_equal(chip_flash_read(&x->link, E8266, 0x1000000, buf, 4), ROM_E_PROTO);
}

static void sector_erase_sequence(void **state)
{
	struct chx *x = *state;

	x->rom.cmd_busy_reads = 0;
	x->rom.erase_wip_reads = 3;
	assert_int_equal(chip_flash_sector_erase(&x->link, E8266, 0x7F000, 1000), ROM_OK);
	assert_int_equal(x->rom.se_count, 1);
	assert_int_equal(x->rom.se_addr[0], 0x7F000);
	assert_int_equal(x->rom.rdsr_count, 4); /* 3 busy, then done */
	/* built-in WREN, then SE with the address in the low 24 bits of ADDR */
	expect_write(x, SPI(SPI_REG_CMD), 1u << 30);
	expect_read(x, SPI(SPI_REG_CMD));
	expect_write(x, SPI(SPI_REG_ADDR), 0x7F000);
	expect_write(x, SPI(SPI_REG_CMD), 1u << 24);
	expect_read(x, SPI(SPI_REG_CMD));
	assert_int_equal(x->f->nframes - x->checked, 4 * 11);
}

static void sector_erase_timeout(void **state)
{
	struct chx *x = *state;
	uint64_t t0 = x->f->now_us;

	x->rom.cmd_busy_reads = 0;
	x->rom.erase_wip_reads = 1000000;
	assert_int_equal(chip_flash_sector_erase(&x->link, E8266, 0x1000, 500), ROM_E_TIMEOUT);
	/* gave up after the deadline, not long after: one RDSR is 11 round trips */
	assert_true(x->f->now_us - t0 >= 500000);
	assert_true(x->f->now_us - t0 < 500000 + 11 * 1500 + 40 * 1500);
	assert_int_equal(chip_flash_sector_erase(&x->link, E8266, 0x1001, 500), ROM_E_PROTO);
}

static void identify(void **state)
{
	struct chx *x = *state;
	struct chip_info info;
	struct chip_detection det;
	/* R3 carries both the OUI (low 24 bits) and the flash-size bits */
	const uint8_t mac[] = { 0x5C, 0xCF, 0x7F, 0x12, 0x34, 0xAB };

	fake_rom_set_reg(&x->rom, ESP8266_EFUSE_BASE + 0, 0xAB000000 | (1u << 4) | (1u << 5));
	fake_rom_set_reg(&x->rom, ESP8266_EFUSE_BASE + 4, 0x00011234);
	fake_rom_set_reg(&x->rom, ESP8266_EFUSE_BASE + 8, 0);
	fake_rom_set_reg(&x->rom, ESP8266_EFUSE_BASE + 12, (1u << 26) | 0x5CCF7F);
	fake_rom_set_reg(&x->rom, ESP8266_UART_CLKDIV_REG, 0x1C4);
	x->rom.jedec = 0x001540C8;
	fake_rom_set_reg(&x->rom, ESP8266_MAGIC_REG, ESP8266_MAGIC);
	rom_link_set_ops(&x->link, ROM_OPS_BEFORE_DETECTION);
	assert_int_equal(chip_detect(&x->link, &det), ROM_OK);
	assert_ptr_equal(det.desc, E8266);
	assert_int_equal(det.secinfo_result, 1); /* never sent GET_SECURITY_INFO */
	assert_int_equal(chip_identify(&x->link, 115200, &det, &info), ROM_OK);
	assert_string_equal(info.name, "ESP8285");
	assert_string_equal(info.model, "ESP8285");
	assert_false(info.has_revision);
	assert_int_equal(info.variant, CHIP_ESP8285);
	assert_true(info.high_temp);
	assert_true(info.mac_valid);
	assert_memory_equal(info.mac, mac, 6);
	assert_int_equal(info.crystal_mhz, 26);
	assert_int_equal(info.embedded_flash_size, 2u << 20);
	assert_int_equal(info.flash_id, 0x001540C8);
	assert_int_equal(info.flash_size, 2u << 20);
	/* the attach is FLASH_BEGIN(0, 0, 0x400, 0): erases nothing */
	assert_int_equal(x->rom.fb_count, 1);
	assert_int_equal(x->rom.fb_args[0][0], 0);
	assert_int_equal(x->rom.fb_args[0][1], 0);
	assert_int_equal(x->rom.fb_args[0][2], 0x400);
	assert_int_equal(x->rom.fb_args[0][3], 0);
	/* only the ESP8266 ROM's own opcodes went out, and never 0x14 */
	for (size_t i = 0; i < x->f->nframes; i++) {
		assert_true(x->f->frames[i].body[1] >= 0x02 && x->f->frames[i].body[1] <= 0x0B);
		assert_int_not_equal(x->f->frames[i].body[1], 0x14);
	}
	assert_int_equal(x->rom.unsupported_count, 0);
}

static void attach_retried(void **state)
{
	struct chx *x = *state;

	/* FLASH_BEGIN(0, 0, 0x400, 0) erases nothing, so a lost one is resent */
	struct chip_info info = { .desc = E8266 };

	x->rom.ignore_requests = 1;
	assert_int_equal(chip_flash_attach(&x->link, &info), ROM_OK);
	assert_int_equal(x->rom.fb_count, 1);
	assert_int_equal(x->f->nframes, 2);
	/* a real refusal is not */
	x->rom.fb_status = 1;
	x->rom.fb_error = 0x06;
	assert_int_equal(chip_flash_attach(&x->link, &info), ROM_E_FAILED);
	assert_int_equal(x->f->nframes, 3);
}

int unit_chip_tests(int *total)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(variant_from_efuse),
		cmocka_unit_test(mac_rules),
		cmocka_unit_test(embedded_flash),
		cmocka_unit_test(crystal),
		cmocka_unit_test(jedec_sizes),
		cmocka_unit_test(vendors),
		cmocka_unit_test(magic_names),
		cmocka_unit_test_setup_teardown(read_magic, chx_setup, chx_teardown),
		cmocka_unit_test_setup_teardown(rdid_sequence, chx_setup, chx_teardown),
		cmocka_unit_test_setup_teardown(rdsr_sequence, chx_setup, chx_teardown),
		cmocka_unit_test_setup_teardown(addr_dummy_mosi_layout, chx_setup, chx_teardown),
		cmocka_unit_test_setup_teardown(invalid_spi_cmd, chx_setup, chx_teardown),
		cmocka_unit_test_setup_teardown(spi_poll_gives_up, chx_setup, chx_teardown),
		cmocka_unit_test_setup_teardown(flash_read_words, chx_setup, chx_teardown),
		cmocka_unit_test_setup_teardown(sector_erase_sequence, chx_setup, chx_teardown),
		cmocka_unit_test_setup_teardown(sector_erase_timeout, chx_setup, chx_teardown),
		cmocka_unit_test_setup_teardown(identify, chx_setup, chx_teardown),
		cmocka_unit_test_setup_teardown(attach_retried, chx_setup, chx_teardown),
	};

	return UNIT_RUN_GROUP("chip", tests, total);
}
