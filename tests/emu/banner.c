// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the chip prints by itself: the ROM boot banner and the output of
 * the booted app, each at the baud rate the ROM or the app uses.
 *  ESP8266 (sheet §3, §11): " ets Jan  8 2013,rst cause:N, boot mode:(M,6)"
 *  at 74880·xtal/26.  ESP32 family (family sheet §10): "ets <date>" (ESP32)
 *  or "ESP-ROM:<chip>-<date>" / "Build:..." then "rst:..,boot:.." and, in
 *  download mode, "waiting for download", at 115200.
 */
#include "emu_internal.h"

uint32_t banner_baud(const struct emu *e)
{
	/* over USB-Serial/JTAG the bytes arrive whatever line coding the host set */
	if (e->cfg.link_mode == EMU_LINK_USJ)
		return e->baud;
	if (!e->chip->family)
		return 74880u * e->cfg.crystal_mhz / 26;
	if (e->chip->log_assumes_40mhz)
		return 115200u * e->cfg.crystal_mhz / 40;
	return 115200u; /* ESP32 with 26 MHz: unknown (sheet §12), 115200 [?] */
}

static const char *rom_id(const struct emu *e)
{
	unsigned int rev = chip_rev(&e->cfg);
	const char *text = e->chip->rom_id[0].text;

	if (e->chip->rom_id[1].text && rev >= e->chip->rom_id[1].from)
		text = e->chip->rom_id[1].text;
	return text ? text : "";
}

/* cause: 1 power-on, 2 EN pin, 4 software (FLASH_END, unknown-op reset), 0x15 USB-Serial/JTAG */
void banner_boot(struct emu *e, uint64_t t_us, bool loader, int cause)
{
	const struct emu_chip_info *c = e->chip;
	char text[320];

	if (!e->cfg.boot_banner)
		return;
	if (!c->family)
		snprintf(text, sizeof(text),
			 "\r\n ets Jan  8 2013,rst cause:%d, boot mode:(%d,6)\r\n\r\n", cause,
			 loader ? 1 : 3);
	else
		snprintf(text, sizeof(text), "\r\n%s\r\nrst:%s,boot:%s\r\n%s", rom_id(e),
			 cause == 4 ? c->rst_sw : cause == 0x15 ? "0x15 (USB_UART_CHIP_RESET)" : c->rst_poweron,
			 loader ? c->boot_download : c->boot_spi,
			 loader ? "waiting for download\r\n" : "");
	uart_send_text_at(e, t_us, text, banner_baud(e));
}

static bool flash_has_image(const struct emu *e)
{
	return e->flash.data[0] == 0xE9;
}

/* The ROM found no image: the family ROM says so (and retries every tick) [?]. */
static const char *no_image(const struct emu *e)
{
	return e->chip->family ? "invalid header: 0xffffffff\r\n" : "ets_main.c \r\n";
}

void banner_app_start(struct emu *e, uint64_t t_us)
{
	if (!flash_has_image(e))
		uart_send_text_at(e, t_us, no_image(e), banner_baud(e));
}

void banner_app_tick(struct emu *e, uint64_t t_us)
{
	if (flash_has_image(e)) {
		/* some firmware chatting at 115200 */
		uart_send_text_at(e, t_us, "app: tick\r\n", 115200);
	} else if (e->chip->family) {
		uart_send_text_at(e, t_us, no_image(e), banner_baud(e));
	} else {
		/* blank flash: the ROM finds no image; the watchdog reboots it */
		uart_send_text_at(e, t_us,
				  "\r\n ets Jan  8 2013,rst cause:4, boot mode:(3,6)\r\n\r\n"
				  "ets_main.c \r\n",
				  banner_baud(e));
	}
}
