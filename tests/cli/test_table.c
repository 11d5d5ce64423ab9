// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the live table's layout and formatting (userspace/table.c),
 * and of the multi-board options of the parser (userspace/args.c).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "args.h"
#include "table.h"

#define ARGV(...) ((char *[]){ "espwipe", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "espwipe", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(a, err, ...) args_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (a), (err), sizeof(err))

static struct table_row row(const char *socket, const char *port, const char *phase, int permille,
			    const char *result)
{
	struct table_row r = {
		.socket = socket, .port = port, .chip = "ESP8266EX", .mac = "5c:cf:7f:12:34:56", .size = "4M",
		.phase = phase, .permille = permille, .remaining_s = permille >= 0 ? 65 : -1,
		.finished = result[0] != '\0', .seconds = 10.84, .result = result,
	};
	return r;
}

static struct table_row rows8[8];

static void make_rows(void)
{
	static char sockets[8][64], ports[8][24];

	for (int i = 0; i < 8; i++) {
		snprintf(sockets[i], sizeof(sockets[i]), "pci-0000:00:14.0-usb-0:1.%d:1.0", i + 1);
		snprintf(ports[i], sizeof(ports[i]), "ttyUSB%d", i + 8);
		rows8[i] = row(sockets[i], ports[i], i % 2 ? "erasing" : "connecting", i % 2 ? 420 : -1, "");
	}
	rows8[3] = row(sockets[3], ports[3], "failed", -1, "no-sync 5");
	rows8[5] = row(sockets[5], ports[5], "done", -1, "ok");
}

/* Every line at every width is narrower than the terminal, and the header matches the rows. */
static void test_widths_never_wrap(void **state)
{
	struct table_layout l;
	char buf[512];

	(void)state;
	make_rows();
	for (int cols = 20; cols <= 200; cols++) {
		table_layout_compute(&l, rows8, 8, cols);
		assert_true(l.total <= cols - 1);
		table_format_colhead(&l, buf, sizeof(buf));
		assert_true((int)strlen(buf) <= cols - 1);
		for (int i = 0; i < 8; i++) {
			table_format_row(&l, &rows8[i], buf, sizeof(buf));
			assert_true((int)strlen(buf) <= cols - 1);
		}
	}
}

static void test_80_columns(void **state)
{
	struct table_layout l;
	char head[512], line[512];

	(void)state;
	make_rows();
	table_layout_compute(&l, rows8, 8, 80);
	table_format_colhead(&l, head, sizeof(head));
	/* every column is there at 80; the shared ID_PATH prefix is left out */
	for (const char *w = "SOCKET PORT CHIP MAC SIZE PHASE PROGRESS RESULT"; *w;) {
		char word[16];
		int n;

		sscanf(w, "%15s%n", word, &n);
		assert_non_null(strstr(head, word));
		w += n;
		while (*w == ' ')
			w++;
	}
	assert_int_equal(l.socket_skip, strlen("pci-0000:00:14.0-usb-0:"));
	table_format_row(&l, &rows8[1], line, sizeof(line));
	assert_non_null(strstr(line, "1.2:1.0 "));
	assert_non_null(strstr(line, "ttyUSB9"));
	assert_non_null(strstr(line, "ESP8266EX"));
	assert_non_null(strstr(line, "12:34:56"));      /* at least the last three octets */
	assert_non_null(strstr(line, "erasing"));
	assert_non_null(strstr(line, "####"));          /* 42 % of the bar */
	assert_non_null(strstr(line, "1m05"));          /* time left */
	table_format_row(&l, &rows8[3], line, sizeof(line));
	assert_non_null(strstr(line, "failed"));
	assert_non_null(strstr(line, "no-sync 5"));
	assert_non_null(strstr(line, "10.8s"));         /* its total time where the bar was */
	table_format_row(&l, &rows8[5], line, sizeof(line));
	assert_non_null(strstr(line, " ok"));
	/* the columns line up: PHASE starts at the same place in every line */
	size_t at = (size_t)(strstr(head, "PHASE") - head);

	for (int i = 0; i < 8; i++) {
		table_format_row(&l, &rows8[i], line, sizeof(line));
		assert_true(strlen(line) > at);
		assert_true(line[at - 1] == ' ' && line[at] != ' ');
	}
}

static void test_wide_shows_everything(void **state)
{
	struct table_layout l;
	char line[512];

	(void)state;
	make_rows();
	table_layout_compute(&l, rows8, 8, 140);
	assert_int_equal(l.socket_skip, 0);
	table_format_row(&l, &rows8[1], line, sizeof(line));
	assert_non_null(strstr(line, "pci-0000:00:14.0-usb-0:1.2:1.0"));
	assert_non_null(strstr(line, "5c:cf:7f:12:34:56"));
	assert_true(l.bar >= 10);
}

static void test_60_and_40_columns(void **state)
{
	struct table_layout l;
	char head[512], line[512];

	(void)state;
	make_rows();
	table_layout_compute(&l, rows8, 8, 60);
	table_format_colhead(&l, head, sizeof(head));
	/* the MAC goes first; what a person needs stays */
	assert_null(strstr(head, "MAC"));
	assert_non_null(strstr(head, "SOCKET"));
	assert_non_null(strstr(head, "PORT"));
	assert_non_null(strstr(head, "PHASE"));
	assert_non_null(strstr(head, "RESULT"));
	table_format_row(&l, &rows8[1], line, sizeof(line));
	assert_non_null(strstr(line, "ttyUSB9"));
	assert_true(strstr(line, "erasing") || strstr(line, "erase"));
	assert_true(strstr(line, "42%") || strstr(line, "#"));
	table_format_row(&l, &rows8[3], line, sizeof(line));
	assert_non_null(strstr(line, "no-sync 5"));

	table_layout_compute(&l, rows8, 8, 40);
	table_format_colhead(&l, head, sizeof(head));
	assert_non_null(strstr(head, "PORT"));
	assert_non_null(strstr(head, "RESULT"));
	table_format_row(&l, &rows8[3], line, sizeof(line));
	assert_non_null(strstr(line, "ttyUSB11"));
	assert_non_null(strstr(line, "failed"));
}

static void test_truncation_rules(void **state)
{
	struct table_layout l;
	struct table_row r[1];
	char line[512];

	(void)state;
	r[0] = row("pci-0000:00:14.0-usb-0:1.2.3.4:1.0", "ttyUSB12", "verifying", 500, "");
	table_layout_compute(&l, r, 1, 60);
	table_format_row(&l, &r[0], line, sizeof(line));
	/* a lone socket keeps its tail, marked ".." */
	assert_non_null(strstr(line, ".."));
	assert_non_null(strstr(line, ":1.0 "));
	/* control bytes never reach the terminal */
	r[0] = row("evil\033[2Jname", "pts/1\n", "done", -1, "ok");
	table_layout_compute(&l, r, 1, 80);
	table_format_row(&l, &r[0], line, sizeof(line));
	assert_null(strchr(line, '\033'));
	assert_null(strchr(line, '\n'));
	assert_non_null(strstr(line, "evil?[2Jname"));
}

static void test_words(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(table_phase_short("connecting"), "connect");
	assert_string_equal(table_phase_short("unplugged"), "unplug");
	assert_string_equal(table_phase_short("other"), "other");
	table_format_eta(9.4, buf, sizeof(buf));
	assert_string_equal(buf, "9s");
	table_format_eta(65, buf, sizeof(buf));
	assert_string_equal(buf, "1m05");
	table_format_eta(-3, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	table_format_eta(1e6, buf, sizeof(buf));
	assert_string_equal(buf, "99m+");
}

/* A frame after the first moves up over the last one and clears each line: no full clears. */
static void test_screen_redraws_in_place(void **state)
{
	int p[2];
	char out[4096];
	ssize_t n;
	struct table_screen s;
	const char *a[] = { "one", "two", "three" }, *b[] = { "ONE", "TWO" };

	(void)state;
	assert_int_equal(pipe(p), 0);
	table_screen_begin(&s, p[1]);
	table_screen_frame(&s, a, 3);
	table_screen_frame(&s, b, 2);
	table_screen_end(&s);
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	assert_true(n > 0);
	out[n] = '\0';
	assert_null(strstr(out, "\033[2J"));           /* never clears the screen */
	assert_non_null(strstr(out, "\033[?25l"));     /* cursor hidden while drawing */
	assert_non_null(strstr(out, "one\033[K\r\ntwo\033[K\r\nthree\033[K\r\n\033[J"));
	assert_non_null(strstr(out, "\r\033[3AONE\033[K\r\nTWO\033[K\r\n\033[J"));
	assert_non_null(strstr(out, "\033[?25h"));
}

/* ---- the multi-board options ---- */

static void test_args_several_ports(void **state)
{
	struct args a;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&a, err, "erase", "-p", "/dev/ttyUSB0", "-p", "/dev/ttyUSB1", "--port", "x"), 0);
	assert_int_equal(a.op.nports, 3);
	assert_string_equal(a.op.port, "/dev/ttyUSB0");
	assert_string_equal(a.op.ports[2], "x");
	assert_int_equal(PARSE(&a, err, "info", "-p", "a", "-p", "b"), 0);
	assert_int_equal(PARSE(&a, err, "verify", "-p", "a", "-p", "b"), 0);
	assert_int_equal(PARSE(&a, err, "reset", "-p", "a", "-p", "b"), 0);
	assert_int_equal(PARSE(&a, err, "bootloader", "-p", "a", "-p", "b"), -1);
	assert_non_null(strstr(err, "erase, info, verify and reset"));
	assert_int_equal(PARSE(&a, err, "erase", "-p", "a"), 0);
	assert_int_equal(a.op.nports, 1);
}

static void test_args_all_each_match(void **state)
{
	struct args a;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&a, err, "erase", "--all"), 0);
	assert_true(a.op.all && !a.op.each);
	assert_int_equal(PARSE(&a, err, "info", "--all"), 0);
	assert_int_equal(PARSE(&a, err, "erase", "--each", "--match", "usb 1a86:7523", "--match", "path pci-*"), 0);
	assert_true(a.op.each);
	assert_int_equal(a.op.nmatch, 2);
	assert_string_equal(a.op.match[1], "path pci-*");
	assert_int_equal(PARSE(&a, err, "erase", "--all", "--each", "--verify"), 0);
	assert_int_equal(PARSE(&a, err, "verify", "--each"), -1);
	assert_non_null(strstr(err, "--each applies to erase only"));
	assert_int_equal(PARSE(&a, err, "log", "--all"), -1);
	assert_int_equal(PARSE(&a, err, "erase", "--all", "-p", "a"), -1);
	assert_non_null(strstr(err, "exclude"));
	assert_int_equal(PARSE(&a, err, "erase", "--each", "-p", "a"), -1);
	assert_int_equal(PARSE(&a, err, "erase", "--match", "any"), -1);
	assert_non_null(strstr(err, "--all and --each only"));
	assert_int_equal(PARSE(&a, err, "erase", "--all", "--match", ""), -1);
	assert_int_equal(PARSE(&a, err, "erase", "--all", "--match"), -1);
}

static void test_args_port_limit(void **state)
{
	char *argv[2 + 2 * (OPS_PORTS_MAX + 1) + 1];
	int argc = 0;
	struct args a;
	char err[256];

	(void)state;
	argv[argc++] = "espwipe";
	argv[argc++] = "erase";
	for (int i = 0; i < OPS_PORTS_MAX; i++) {
		argv[argc++] = "-p";
		argv[argc++] = "/dev/x";
	}
	argv[argc] = NULL;
	assert_int_equal(args_parse(argc, argv, &a, err, sizeof(err)), 0);
	argv[argc++] = "-p";
	argv[argc++] = "/dev/x";
	argv[argc] = NULL;
	assert_int_equal(args_parse(argc, argv, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too many ports"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_widths_never_wrap),
		cmocka_unit_test(test_80_columns),
		cmocka_unit_test(test_wide_shows_everything),
		cmocka_unit_test(test_60_and_40_columns),
		cmocka_unit_test(test_truncation_rules),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_screen_redraws_in_place),
		cmocka_unit_test(test_args_several_ports),
		cmocka_unit_test(test_args_all_each_match),
		cmocka_unit_test(test_args_port_limit),
	};

	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
