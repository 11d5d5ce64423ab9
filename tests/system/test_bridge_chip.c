// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit test of the bridges' request decoding (bridge_chip.c): the
 * values the 6.1 drivers send must become the right line states, baud
 * rates and replies.  Runs without QEMU.
 */
#include <stdio.h>
#include <string.h>

#include "bridge_chip.h"

struct tally {
	int passed, failed;
};

static void expect(struct tally *t, int cond, const char *what)
{
	if (cond) {
		t->passed++;
	} else {
		t->failed++;
		printf("FAIL %s\n", what);
	}
}

static void send(struct bridge_state *st, uint8_t type, uint8_t req, uint16_t value,
		 uint16_t len, const uint8_t *data, uint8_t *reply, struct bridge_effect *fx)
{
	struct bridge_setup s = { type, req, value, 0, len };

	bridge_handle(st, &s, data, reply, fx);
}

static void test_ch340_lines(struct tally *t)
{
	static const struct {
		uint16_t value;
		bool dtr, rts;
	} cases[] = { { 0xffbf, false, true }, { 0xffdf, true, false },
		      { 0xffff, false, false }, { 0xff9f, true, true } };
	struct bridge_state st;
	struct bridge_effect fx;
	uint8_t reply[64];
	size_t i;

	bridge_state_init(&st, BRIDGE_CH340);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		send(&st, 0x40, 0xa4, cases[i].value, 0, NULL, reply, &fx);
		expect(t, fx.lines_changed && st.dtr == cases[i].dtr && st.rts == cases[i].rts,
		       "ch340 0xA4 ~mcr decodes to DTR/RTS");
	}
}

static void test_ch340_replies(struct tally *t)
{
	struct bridge_state st;
	struct bridge_effect fx;
	uint8_t reply[64];

	bridge_state_init(&st, BRIDGE_CH340);
	memset(reply, 0xaa, sizeof(reply));
	send(&st, 0xc0, 0x5f, 0, 2, NULL, reply, &fx);
	expect(t, fx.reply_len == 2 && reply[0] == 0x31 && reply[1] == 0, "ch340 version reply");
	send(&st, 0xc0, 0x95, 0x0706, 2, NULL, reply, &fx);
	expect(t, fx.reply_len == 2 && reply[0] == 0xff, "ch340 status: no input line asserted");
	send(&st, 0xc0, 0x95, 0x2518, 7, NULL, reply, &fx);
	expect(t, fx.reply_len == 7 && !fx.stall, "unknown IN request gets exactly wLength bytes");
	send(&st, 0x40, 0xa1, 0, 0, NULL, reply, &fx);
	expect(t, !fx.lines_changed && !fx.stall && fx.reply_len == 0, "serial init is accepted");
}

static void test_ch340_baud(struct tally *t)
{
	struct bridge_state st;
	struct bridge_effect fx;
	uint8_t reply[8];
	struct bridge_setup s = { 0x40, 0x9a, 0x1312, (uint16_t)(0x98 << 8 | 0x80 | 4 | 3), 0 };

	/* ps=3, fact=1: 48 MHz / 4 / (256 - 0x98 = 104) = 115384 -> 115200 */
	bridge_state_init(&st, BRIDGE_CH340);
	st.baud = 0;
	bridge_handle(&st, &s, NULL, reply, &fx);
	expect(t, fx.baud_changed && st.baud == 115200, "ch340 divisor 0x98/ps3/fact -> 115200");
	/* ps=2, fact=1: 48 MHz / 32 / 20 = 75000 -> 74880 */
	expect(t, bridge_ch341_baud((uint16_t)((256 - 20) << 8 | 4 | 2)) == 74880,
	       "ch340 divisor -> 74880");
	expect(t, bridge_ch341_baud((uint16_t)((256 - 13) << 8 | 4 | 3)) == 921600,
	       "ch340 divisor -> 921600");
}

static void test_cp2102(struct tally *t)
{
	struct bridge_state st;
	struct bridge_effect fx;
	uint8_t reply[64], data[16] = { 0 };
	const uint8_t baud[4] = { 0x00, 0x10, 0x0e, 0x00 }; /* 921600 */

	bridge_state_init(&st, BRIDGE_CP2102);
	send(&st, 0xc0, 0xff, 0x370b, 1, NULL, reply, &fx);
	expect(t, fx.reply_len == 1 && reply[0] == 0x02, "cp2102 part number");
	send(&st, 0x41, 0x07, 0x0303, 0, NULL, reply, &fx);
	expect(t, fx.lines_changed && st.dtr && st.rts, "SET_MHS 0303 -> both asserted");
	send(&st, 0x41, 0x07, 0x0302, 0, NULL, reply, &fx);
	expect(t, !st.dtr && st.rts, "SET_MHS 0302 -> (0,1)");
	send(&st, 0x41, 0x07, 0x0101, 0, NULL, reply, &fx);
	expect(t, st.dtr && st.rts, "SET_MHS masks leave RTS alone");
	send(&st, 0xc1, 0x08, 0, 1, NULL, reply, &fx);
	expect(t, fx.reply_len == 1 && reply[0] == 0x03, "GET_MDMSTS reflects the lines");
	send(&st, 0x41, 0x1e, 0, 4, baud, reply, &fx);
	expect(t, fx.baud_changed && st.baud == 921600, "SET_BAUDRATE is a LE u32");
	/* SET_FLOW: DTR active, RTS handshake (crtscts) */
	data[0] = 0x01;
	data[4] = 0x80;
	send(&st, 0x41, 0x13, 0, 16, data, reply, &fx);
	expect(t, fx.lines_changed && st.dtr && st.rts && st.crtscts, "SET_FLOW with crtscts");
	send(&st, 0x41, 0x07, 0x0200, 0, NULL, reply, &fx);
	expect(t, fx.stall, "SET_MHS on RTS stalls under auto-RTS");
	send(&st, 0xc1, 0x14, 0, 16, NULL, reply, &fx);
	expect(t, fx.reply_len == 16 && reply[0] == 0x01 && reply[4] == 0x80, "GET_FLOW echoes");
	data[0] = 0x00;
	data[4] = 0x40;
	send(&st, 0x41, 0x13, 0, 16, data, reply, &fx);
	expect(t, !st.dtr && st.rts && !st.crtscts, "SET_FLOW: DTR inactive, RTS active");
	send(&st, 0xc1, 0x10, 0, 19, NULL, reply, &fx);
	expect(t, fx.reply_len == 19, "GET_COMM_STATUS answered with wLength bytes");
}

int main(void)
{
	struct tally t = { 0, 0 };

	test_ch340_lines(&t);
	test_ch340_replies(&t);
	test_ch340_baud(&t);
	test_cp2102(&t);
	printf("%d passed, %d failed\n", t.passed, t.failed);
	return t.failed ? 1 : 0;
}
