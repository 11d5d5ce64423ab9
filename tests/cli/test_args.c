// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the command-line parser (userspace/args.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"
#include "links.h"

#define ARGV(...) ((char *[]){ "espwipe", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "espwipe", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(a, err, ...) args_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (a), (err), sizeof(err))

static void test_sizes(void **state)
{
	uint32_t v;

	(void)state;
	assert_int_equal(args_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(args_parse_size("0x3FC000", &v), 0);
	assert_int_equal(v, 0x3FC000);
	assert_int_equal(args_parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(args_parse_size("4M", &v), 0);
	assert_int_equal(v, 4u << 20);
	assert_int_equal(args_parse_size("16KiB", &v), 0);
	assert_int_equal(v, 16384);
	assert_int_equal(args_parse_size("4G", &v), -1);
	assert_int_equal(args_parse_size("", &v), -1);
	assert_int_equal(args_parse_size("-1", &v), -1);
	assert_int_equal(args_parse_size("0x", &v), -1);
	assert_int_equal(args_parse_size("12 ", &v), -1);
	assert_int_equal(args_parse_size("4294967296", &v), -1);
	assert_int_equal(args_parse_size("5000M", &v), -1);
	assert_int_equal(args_parse_size("Ki", &v), -1);
	/* found by the fuzzer: white space let a sign through, K/M overflowed */
	assert_int_equal(args_parse_size("\t4096", &v), -1);
	assert_int_equal(args_parse_size("\n-18446744073709547520", &v), -1);
	assert_int_equal(args_parse_size("17592186044417M", &v), -1);
	assert_int_equal(args_parse_size("4194304K", &v), -1);
	assert_int_equal(args_parse_size("4194303K", &v), 0);
	assert_int_equal(v, 4194303u * 1024);
	assert_int_equal(args_parse_size("4095M", &v), 0);
}

static void test_regions(void **state)
{
	uint32_t o, l;

	(void)state;
	assert_int_equal(args_parse_region("0x3FC000:16K", &o, &l), 0);
	assert_int_equal(o, 0x3FC000);
	assert_int_equal(l, 16384);
	assert_int_equal(args_parse_region("0:4096", &o, &l), 0);
	assert_int_equal(args_parse_region("0:0", &o, &l), -1);         /* empty */
	assert_int_equal(args_parse_region("0x1001:0x1000", &o, &l), -1); /* misaligned offset */
	assert_int_equal(args_parse_region("0:0x1800", &o, &l), -1);    /* misaligned size */
	assert_int_equal(args_parse_region("4096", &o, &l), -1);        /* no size */
	assert_int_equal(args_parse_region(":4096", &o, &l), -1);
	assert_int_equal(args_parse_region("0xFFFFF000:8K", &o, &l), -1); /* overflow */
	assert_int_equal(args_parse_region("0:4K:4K", &o, &l), -1);
}

static void test_defaults_and_command(void **state)
{
	struct args a;
	char err[128];

	(void)state;
	assert_int_equal(PARSE(&a, err, "erase"), 0);
	assert_int_equal(a.op.cmd, CMD_ERASE);
	assert_int_equal(a.op.baud, 115200);
	assert_int_equal(a.op.reset, RESET_AUTO);
	assert_int_equal(a.op.after, AFTER_HARD_RESET);
	assert_null(a.op.port);
	assert_false(a.op.region);
	assert_int_equal(a.mode, OUT_HUMAN);
}

static void test_options_anywhere(void **state)
{
	struct args a;
	char err[128];

	(void)state;
	assert_int_equal(PARSE(&a, err, "-p", "/dev/ttyUSB3", "erase", "--region", "0x10000:64K", "--json",
			       "--verify", "-b", "921600", "--reset", "tiocm", "--after", "stay", "-vv"), 0);
	assert_string_equal(a.op.port, "/dev/ttyUSB3");
	assert_int_equal(a.op.cmd, CMD_ERASE);
	assert_true(a.op.region);
	assert_int_equal(a.op.region_offset, 0x10000);
	assert_int_equal(a.op.region_length, 0x10000);
	assert_true(a.op.verify);
	assert_int_equal(a.op.baud, 921600);
	assert_int_equal(a.op.reset, RESET_TIOCM);
	assert_int_equal(a.op.after, AFTER_STAY);
	assert_int_equal(a.verbose, 2);
	assert_int_equal(a.mode, OUT_JSON);
	/* parse again: getopt state is reset */
	assert_int_equal(PARSE(&a, err, "info", "--port=/dev/ttyUSB0", "-q"), 0);
	assert_int_equal(a.op.cmd, CMD_INFO);
	assert_true(a.quiet);
	assert_string_equal(a.op.port, "/dev/ttyUSB0");
}

static void test_bootloader_stays(void **state)
{
	struct args a;
	char err[128];

	(void)state;
	assert_int_equal(PARSE(&a, err, "bootloader"), 0);
	assert_int_equal(a.op.after, AFTER_STAY);
}

static void test_flash_size_and_force(void **state)
{
	struct args a;
	char err[128];

	(void)state;
	assert_int_equal(PARSE(&a, err, "erase"), 0);
	assert_int_equal(a.op.flash_size, 0);
	assert_false(a.op.force);
	assert_int_equal(PARSE(&a, err, "erase", "--flash-size", "4M", "--force"), 0);
	assert_int_equal(a.op.flash_size, 4u << 20);
	assert_true(a.op.force);
	assert_int_equal(PARSE(&a, err, "info", "--flash-size=0x200000"), 0);
	assert_int_equal(a.op.flash_size, 2u << 20);
	assert_int_equal(PARSE(&a, err, "verify", "--flash-size", "16M"), 0);
}

static void expect_error(int argc, char **argv, const char *frag)
{
	struct args a;
	char err[256] = "";

	assert_int_equal(args_parse(argc, argv, &a, err, sizeof(err)), -1);
	if (!strstr(err, frag))
		fail_msg("error '%s' does not mention '%s'", err, frag);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(ARGC("frobnicate"), ARGV("frobnicate"), "unknown command");
	expect_error(1, (char *[]){ "espwipe", NULL }, "no command");
	expect_error(ARGC("erase", "info"), ARGV("erase", "info"), "unexpected argument");
	expect_error(ARGC("erase", "--reset", "kernel"), ARGV("erase", "--reset", "kernel"), "--reset");
	expect_error(ARGC("erase", "--after", "soft"), ARGV("erase", "--after", "soft"), "--after");
	expect_error(ARGC("erase", "-p"), ARGV("erase", "-p"), "needs a value");
	expect_error(ARGC("erase", "--nope"), ARGV("erase", "--nope"), "unknown option");
	expect_error(ARGC("info", "--region", "0:4K"), ARGV("info", "--region", "0:4K"), "erase and verify");
	expect_error(ARGC("verify", "--verify"), ARGV("verify", "--verify"), "--verify applies");
	expect_error(ARGC("erase", "--full"), ARGV("erase", "--full"), "--full applies");
	expect_error(ARGC("erase", "-b", "12"), ARGV("erase", "-b", "12"), "baud");
	expect_error(ARGC("erase", "--connect-attempts", "0"), ARGV("erase", "--connect-attempts", "0"),
		     "connect-attempts");
	expect_error(ARGC("erase", "--flash-size", "4097"), ARGV("erase", "--flash-size", "4097"),
		     "--flash-size");
	expect_error(ARGC("erase", "--flash-size", "4K"), ARGV("erase", "--flash-size", "4K"),
		     "at least 64K");
	expect_error(ARGC("erase", "--flash-size", "x"), ARGV("erase", "--flash-size", "x"), "--flash-size");
	expect_error(ARGC("reset", "--flash-size", "4M"), ARGV("reset", "--flash-size", "4M"),
		     "--flash-size applies");
	expect_error(ARGC("verify", "--force"), ARGV("verify", "--force"), "--force applies to erase");
}

/* --link names a row of the link table; the first row with that word. */
static void test_link(void **state)
{
	struct args a;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&a, err, "erase"), 0);
	assert_null(a.op.link);
	assert_int_equal(PARSE(&a, err, "erase", "--link", "usb-serial-jtag"), 0);
	assert_non_null(a.op.link);
	assert_string_equal(a.op.link->link, "usb-serial-jtag");
	assert_true(a.op.link->reenumerates);
	assert_int_equal(PARSE(&a, err, "info", "--link=cdc-acm", "-p", "/dev/pts/3"), 0);
	assert_string_equal(a.op.link->label, "WCH CH9102F");
	char *words[] = { "ch341", "cp210x", "ftdi", "pl2303" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		assert_int_equal(PARSE(&a, err, "reset", "--link", words[i]), 0);
		assert_string_equal(a.op.link->link, words[i]);
	}
	expect_error(ARGC("erase", "--link", "usj"), ARGV("erase", "--link", "usj"),
		     "invalid --link 'usj' (ch341, cp210x, ftdi, pl2303, cdc-acm, usb-serial-jtag)");
	expect_error(ARGC("erase", "--link", "CH341"), ARGV("erase", "--link", "CH341"), "invalid --link");
	expect_error(ARGC("list", "--link", "ftdi"), ARGV("list", "--link", "ftdi"), "--link applies to");
	expect_error(ARGC("log", "--link", "ftdi"), ARGV("log", "--link", "ftdi"), "--link applies to");
	expect_error(ARGC("erase", "--link"), ARGV("erase", "--link"), "needs a value");
}

static void test_help_names_every_option(void **state)
{
	static const char *const opts[] = { "--port", "--baud", "--reset", "--after", "--region", "--verify",
					    "--full", "--connect-attempts", "--json", "--quiet",
					    "--flash-size", "--force", "ESP32", "--link", "usb-serial-jtag",
					    "--verbose", "--help", "--version" };

	(void)state;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strstr(args_usage, opts[i]))
			fail_msg("--help does not mention %s", opts[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_defaults_and_command),
		cmocka_unit_test(test_options_anywhere),
		cmocka_unit_test(test_bootloader_stays),
		cmocka_unit_test(test_flash_size_and_force),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_help_names_every_option),
	};

	return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}
