// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the auto-wipe allow-list (userspace/autowipe_conf.c), the
 * marker names (autowipe.c) and the journal records (journal.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "autowipe.h"
#include "autowipe_conf.h"
#include "exitcode.h"
#include "journal.h"

static int parse(const char *text, struct aw_conf *c, char *err, size_t errlen)
{
	return aw_conf_parse(text, strlen(text), "t.conf", c, err, errlen);
}

/* The text must fail to parse with this message. */
static void expect_bad(const char *text, const char *msg)
{
	struct aw_conf c;
	char err[256] = "";

	if (parse(text, &c, err, sizeof(err)) != -1)
		fail_msg("parsed but should not: %s", text);
	if (!strstr(err, msg))
		fail_msg("error for %s was '%s', wanted '%s'", text, err, msg);
	assert_int_equal(c.n, 0);
	assert_null(c.rules);
}

static void test_parse_valid(void **state)
{
	const char *text =
		"# allow-list for the bench\n"
		"\n"
		"   \t\n"
		"path pci-0000:00:14.0-usb-0:1.2:1.0   # left socket\n"
		"serial\t0001\r\n"
		"usb 1A86:7523\n"
		"  any  \n"
		"path pci-*-usb-0:3.*\n"
		"serial A#1";   /* '#' inside a word is part of it; no final newline */
	struct aw_conf c;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(text, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 6);
	assert_int_equal(c.rules[0].kind, AW_PATH);
	assert_string_equal(c.rules[0].value, "pci-0000:00:14.0-usb-0:1.2:1.0");
	assert_int_equal(c.rules[0].line, 4);
	assert_int_equal(c.rules[1].kind, AW_SERIAL);
	assert_string_equal(c.rules[1].value, "0001");
	assert_int_equal(c.rules[1].line, 5);
	assert_int_equal(c.rules[2].kind, AW_USB);
	assert_int_equal(c.rules[2].vid, 0x1a86);
	assert_int_equal(c.rules[2].pid, 0x7523);
	assert_int_equal(c.rules[3].kind, AW_ANY);
	assert_int_equal(c.rules[3].line, 7);
	assert_int_equal(c.rules[5].kind, AW_SERIAL);
	assert_string_equal(c.rules[5].value, "A#1");
	assert_int_equal(c.rules[5].line, 9);
	aw_conf_free(&c);

	/* Empty and comment-only files allow nothing. */
	assert_int_equal(parse("", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(parse("# nothing\n#any\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
	aw_conf_free(&c);
}

static void test_parse_errors_name_the_line(void **state)
{
	char longv[300];

	(void)state;
	expect_bad("frobnicate x\n", "t.conf:1: unknown rule 'frobnicate'");
	expect_bad("# ok\nany\npath\n", "t.conf:3: 'path' takes exactly one value");
	expect_bad("\n\n\nserial a b\n", "t.conf:4: 'serial' takes exactly one value");
	expect_bad("path a b c d\n", "t.conf:1: too many words");
	expect_bad("any thing\n", "t.conf:1: 'any' takes no value");
	expect_bad("usb 1a86\n", "t.conf:1: usb wants VID:PID");
	expect_bad("usb 1a86:752\n", "usb wants VID:PID");
	expect_bad("usb 1a86:75233\n", "usb wants VID:PID");
	expect_bad("usb 1g86:7523\n", "usb wants VID:PID");
	expect_bad("usb :7523\n", "usb wants VID:PID");
	expect_bad("usb 1a86:\n", "usb wants VID:PID");
	expect_bad("usb 1a86-7523\n", "usb wants VID:PID");
	expect_bad("PATH x\n", "unknown rule 'PATH'");   /* keywords are lower-case */
	expect_bad("any\nserial a\x01z\n", "t.conf:2: control character 0x01");
	expect_bad("any\nserial a\x7fz\n", "t.conf:2: control character 0x7f");
	memset(longv, 'x', sizeof(longv));
	memcpy(longv, "path ", 5);
	longv[5 + AW_VALUE_MAX] = '\0';   /* exactly one character too long */
	expect_bad(longv, "t.conf:1: value longer than 127");
	longv[5 + AW_VALUE_MAX - 1] = '\0';
	{
		struct aw_conf c;
		char err[256];

		assert_int_equal(parse(longv, &c, err, sizeof(err)), 0);
		assert_int_equal(strlen(c.rules[0].value), AW_VALUE_MAX - 1);
		aw_conf_free(&c);
	}
}

static void test_parse_nul_and_limits(void **state)
{
	static const char nul[] = "any\nserial a\0b\n";
	struct aw_conf c;
	char err[256] = "";
	char *many;
	size_t len = 0;

	(void)state;
	assert_int_equal(aw_conf_parse(nul, sizeof(nul) - 1, "n.conf", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "n.conf:2: NUL byte"));
	/* AW_RULES_MAX rules are fine, one more is not. */
	many = malloc((AW_RULES_MAX + 1) * 4 + 1);
	assert_non_null(many);
	for (int i = 0; i < AW_RULES_MAX; i++)
		len += (size_t)sprintf(many + len, "any\n");
	assert_int_equal(aw_conf_parse(many, len, "m.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, AW_RULES_MAX);
	aw_conf_free(&c);
	len += (size_t)sprintf(many + len, "any\n");
	assert_int_equal(aw_conf_parse(many, len, "m.conf", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "m.conf:1025: more than 1024 rules"));
	free(many);
}

static void test_match(void **state)
{
	struct aw_conf c;
	char err[256], buf[160];
	const struct aw_rule *r;
	struct aw_device left = { "pci-0000:00:14.0-usb-0:1.2:1.0", "0001", "1a86", "7523" };
	struct aw_device right = { "pci-0000:00:14.0-usb-0:3.4:1.0", "XYZ", "10C4", "EA60" };
	struct aw_device bare = { NULL, "", NULL, NULL };

	(void)state;
	assert_int_equal(parse("path pci-0000:00:14.0-usb-0:1.2:1.0\n"
			       "serial XY?\n"
			       "usb 10c4:ea60\n", &c, err, sizeof(err)), 0);
	r = aw_conf_match(&c, &left);
	assert_non_null(r);
	assert_int_equal(r->line, 1);
	r = aw_conf_match(&c, &right);   /* the first matching rule wins */
	assert_non_null(r);
	assert_int_equal(r->line, 2);
	aw_rule_format(r, buf, sizeof(buf));
	assert_string_equal(buf, "serial XY?");
	assert_null(aw_conf_match(&c, &bare));
	aw_conf_free(&c);

	/* usb ids compare as numbers, whatever their case */
	assert_int_equal(parse("usb 10C4:EA60\n", &c, err, sizeof(err)), 0);
	right.serial = NULL;
	assert_non_null(aw_conf_match(&c, &right));
	aw_rule_format(&c.rules[0], buf, sizeof(buf));
	assert_string_equal(buf, "usb 10c4:ea60");
	assert_null(aw_conf_match(&c, &left));
	aw_conf_free(&c);

	/* wildcards: a hub's ports; an unknown ID_PATH never matches a pattern */
	assert_int_equal(parse("path pci-0000:00:14.0-usb-0:3.*\n", &c, err, sizeof(err)), 0);
	assert_non_null(aw_conf_match(&c, &right));
	assert_null(aw_conf_match(&c, &left));
	assert_null(aw_conf_match(&c, &bare));
	aw_conf_free(&c);
	assert_int_equal(parse("serial *\n", &c, err, sizeof(err)), 0);
	assert_null(aw_conf_match(&c, &bare));    /* no serial at all: not "anything" */
	aw_conf_free(&c);

	/* any matches even a device udev knows nothing about */
	assert_int_equal(parse("any\n", &c, err, sizeof(err)), 0);
	assert_non_null(aw_conf_match(&c, &bare));
	aw_conf_free(&c);

	/* an empty list matches nothing */
	assert_int_equal(parse("# nothing\n", &c, err, sizeof(err)), 0);
	assert_null(aw_conf_match(&c, &left));
	aw_conf_free(&c);
}

/* ---- the loader ---- */

struct tmpdir {
	char dir[64];
	char file[96];
};

static int tmp_setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/espwipe-awtest-XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->file, sizeof(t->file), "%s/autowipe.conf", t->dir);
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmpdir *t = *state;
	char sub[128];

	unlink(t->file);
	snprintf(sub, sizeof(sub), "%s/sub", t->dir);
	rmdir(sub);
	rmdir(t->dir);
	free(t);
	return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_load_ok_and_missing(void **state)
{
	struct tmpdir *t = *state;
	struct aw_conf c;
	char err[512] = "";

	assert_int_equal(aw_conf_load(t->file, getuid(), &c, err, sizeof(err)), AW_LOAD_MISSING);
	assert_int_equal(c.n, 0);
	assert_non_null(strstr(err, "No such file"));
	write_file(t->file, "# bench\nusb 1a86:7523\nany\n", 0644);
	assert_int_equal(aw_conf_load(t->file, getuid(), &c, err, sizeof(err)), AW_LOAD_OK);
	assert_int_equal(c.n, 2);
	aw_conf_free(&c);
	/* read-only for everyone is fine too */
	assert_int_equal(chmod(t->file, 0400), 0);
	assert_int_equal(aw_conf_load(t->file, getuid(), &c, err, sizeof(err)), AW_LOAD_OK);
	aw_conf_free(&c);
}

static void test_load_refuses_writable_by_others(void **state)
{
	struct tmpdir *t = *state;
	struct aw_conf c;
	char err[512] = "";

	write_file(t->file, "any\n", 0664);
	assert_int_equal(aw_conf_load(t->file, getuid(), &c, err, sizeof(err)), AW_LOAD_INSECURE);
	assert_non_null(strstr(err, "writable by its group (mode 0664); refusing it"));
	assert_int_equal(c.n, 0);
	assert_int_equal(chmod(t->file, 0646), 0);
	assert_int_equal(aw_conf_load(t->file, getuid(), &c, err, sizeof(err)), AW_LOAD_INSECURE);
	assert_non_null(strstr(err, "writable by everyone"));
	assert_int_equal(chmod(t->file, 0620), 0);
	assert_int_equal(aw_conf_load(t->file, getuid(), &c, err, sizeof(err)), AW_LOAD_INSECURE);
}

static void test_load_refuses_other_owner(void **state)
{
	struct tmpdir *t = *state;
	struct aw_conf c;
	char err[512] = "";

	write_file(t->file, "any\n", 0644);
	if (geteuid() == 0) {
		/* Root: give the file to someone else; neither root's nor ours. */
		assert_int_equal(chown(t->file, 4242, 4242), 0);
		assert_int_equal(aw_conf_load(t->file, 0, &c, err, sizeof(err)), AW_LOAD_INSECURE);
		assert_non_null(strstr(err, "owned by uid 4242, not by root; refusing it"));
		/* a file of uid 4242 is fine for uid 4242's own runs */
		assert_int_equal(aw_conf_load(t->file, 4242, &c, err, sizeof(err)), AW_LOAD_OK);
		aw_conf_free(&c);
	} else {
		/* Not root: our own file is refused for another uid's runs. */
		assert_int_equal(aw_conf_load(t->file, getuid() + 1, &c, err, sizeof(err)), AW_LOAD_INSECURE);
		assert_non_null(strstr(err, "not by root; refusing it"));
	}
	assert_int_equal(c.n, 0);
}

static void test_load_other_failures(void **state)
{
	struct tmpdir *t = *state;
	struct aw_conf c;
	char err[512] = "", sub[128];
	char *big;

	/* a directory is not a config file */
	snprintf(sub, sizeof(sub), "%s/sub", t->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(aw_conf_load(sub, getuid(), &c, err, sizeof(err)), AW_LOAD_INSECURE);
	assert_non_null(strstr(err, "not a regular file"));
	/* syntax errors carry the path and line */
	write_file(t->file, "any\n\nusb nope\n", 0644);
	assert_int_equal(aw_conf_load(t->file, getuid(), &c, err, sizeof(err)), AW_LOAD_SYNTAX);
	assert_non_null(strstr(err, "autowipe.conf:3: usb wants VID:PID"));
	assert_int_equal(c.n, 0);
	/* too large */
	big = malloc(AW_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, '#', AW_FILE_MAX + 1);
	big[AW_FILE_MAX + 1] = '\0';
	write_file(t->file, big, 0644);
	free(big);
	assert_int_equal(aw_conf_load(t->file, getuid(), &c, err, sizeof(err)), AW_LOAD_SYNTAX);
	assert_non_null(strstr(err, "larger than"));
}

static void test_conf_path_env(void **state)
{
	(void)state;
	unsetenv(AW_CONF_ENV);
	assert_string_equal(aw_conf_path(), "/etc/espwipe/autowipe.conf");
	setenv(AW_CONF_ENV, "/tmp/x.conf", 1);
	assert_string_equal(aw_conf_path(), "/tmp/x.conf");
	setenv(AW_CONF_ENV, "", 1);
	assert_string_equal(aw_conf_path(), "/etc/espwipe/autowipe.conf");
	unsetenv(AW_CONF_ENV);
}

/* Random buffers: the parser must never crash or leak, and fail cleanly. */
static void test_parse_random_input(void **state)
{
	static const char alphabet[] = "anyusbpathserial :#\n\t\r01aF*?x\x01\0";
	uint32_t seed = 12345;
	char buf[256], err[256];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len = 0;
		struct aw_conf c;
		int r;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % sizeof(buf);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		err[0] = '\0';
		r = aw_conf_parse(buf, len, "f", &c, err, sizeof(err));
		if (r == 0) {
			for (size_t i = 0; i < c.n; i++)
				assert_true(c.rules[i].line >= 1);
		} else {
			assert_int_equal(r, -1);
			assert_true(strncmp(err, "f:", 2) == 0);
			assert_int_equal(c.n, 0);
		}
		aw_conf_free(&c);
	}
}

/* ---- markers ---- */

static void test_marker_names(void **state)
{
	char buf[96];

	(void)state;
	autowipe_marker_name("usec1795724684021604", buf, sizeof(buf));
	assert_string_equal(buf, "plug-usec1795724684021604");
	autowipe_marker_name("../../etc/x y", buf, sizeof(buf));
	assert_string_equal(buf, "plug-.._.._etc_x_y");
	assert_null(strchr(buf, '/'));
	autowipe_marker_name("abcdefghij", buf, 10);
	assert_string_equal(buf, "plug-abcd");
}

/* ---- journal records ---- */

static const char *field(const struct journal_fields *f, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < f->n; i++)
		if (strncmp(f->f[i], key, kl) == 0 && f->f[i][kl] == '=')
			return f->f[i] + kl + 1;
	return NULL;
}

static void test_journal_success_record(void **state)
{
	struct wipe_record r = {
		.command = "autowipe", .port = "/dev/ttyUSB0", .id_path = "pci-0000:00:14.0-usb-0:1:1.0",
		.reset = "sysfs", .have_chip = true, .chip = "ESP8266EX",
		.mac = { 0x5c, 0xcf, 0x7f, 0x12, 0x34, 0x56 }, .flash_id = 0x1640ef,
		.flash_size = 4u << 20, .erase_attempted = true, .erased_offset = 0,
		.erased_length = 4u << 20, .exit_code = 0, .seconds = 10.7421,
		.verify_method = "md5",
	};
	struct journal_fields f;

	(void)state;
	journal_build(&r, &f);
	assert_string_equal(field(&f, "MESSAGE_ID"), "05db009042734d8a80c5f0de32f4fec5");
	assert_int_equal(strlen(ESPWIPE_WIPE_MESSAGE_ID), 32);
	assert_string_equal(field(&f, "SYSLOG_IDENTIFIER"), "espwipe");
	assert_string_equal(field(&f, "PRIORITY"), "6");
	assert_string_equal(field(&f, "ESPWIPE_COMMAND"), "autowipe");
	assert_string_equal(field(&f, "ESPWIPE_PORT"), "/dev/ttyUSB0");
	assert_string_equal(field(&f, "ESPWIPE_ID_PATH"), "pci-0000:00:14.0-usb-0:1:1.0");
	assert_string_equal(field(&f, "ESPWIPE_CHIP"), "ESP8266EX");
	assert_string_equal(field(&f, "ESPWIPE_MAC"), "5c:cf:7f:12:34:56");
	assert_string_equal(field(&f, "ESPWIPE_FLASH_ID"), "0x1640ef");
	assert_string_equal(field(&f, "ESPWIPE_FLASH_SIZE"), "4194304");
	assert_string_equal(field(&f, "ESPWIPE_RESET"), "sysfs");
	assert_string_equal(field(&f, "ESPWIPE_ERASED"), "0x000000+0x400000");
	assert_string_equal(field(&f, "ESPWIPE_VERIFY"), "md5");
	assert_string_equal(field(&f, "ESPWIPE_RESULT"), "ok");
	assert_string_equal(field(&f, "ESPWIPE_EXIT_CODE"), "0");
	assert_string_equal(field(&f, "ESPWIPE_SECONDS"), "10.742");
	assert_string_equal(field(&f, "MESSAGE"),
			    "espwipe: autowipe wiped /dev/ttyUSB0 (ESP8266EX, MAC 5c:cf:7f:12:34:56, flash 4 MiB) in 10.7 s");
}

static void test_journal_failure_record(void **state)
{
	struct wipe_record r = {
		.port = "/dev/ttyUSB1", .reset = "tiocm", .exit_code = EXIT_NOSYNC, .seconds = 2.5,
		.error = "/dev/ttyUSB1: the chip did not answer SYNC\nafter 4 attempts",
	};
	struct journal_fields f;

	(void)state;
	journal_build(&r, &f);
	assert_string_equal(field(&f, "ESPWIPE_COMMAND"), "erase");
	assert_string_equal(field(&f, "PRIORITY"), "3");
	assert_string_equal(field(&f, "ESPWIPE_RESULT"), "no-sync");
	assert_string_equal(field(&f, "ESPWIPE_EXIT_CODE"), "5");
	/* no chip, no id_path, no erase: those fields are left out, not faked */
	assert_null(field(&f, "ESPWIPE_CHIP"));
	assert_null(field(&f, "ESPWIPE_MAC"));
	assert_null(field(&f, "ESPWIPE_FLASH_ID"));
	assert_null(field(&f, "ESPWIPE_ID_PATH"));
	assert_null(field(&f, "ESPWIPE_ERASED"));
	assert_null(field(&f, "ESPWIPE_VERIFY"));
	/* the message is one line */
	assert_string_equal(field(&f, "MESSAGE"),
			    "espwipe: erase of /dev/ttyUSB1 failed (exit 5, no-sync): /dev/ttyUSB1: the chip did "
			    "not answer SYNC?after 4 attempts");
	/* no port chosen at all */
	r.port = NULL;
	journal_build(&r, &f);
	assert_string_equal(field(&f, "ESPWIPE_PORT"), "(none)");
}

static void test_log_entry_round_trip(void **state)
{
	struct wipe_record r = {
		.command = "erase", .port = "/dev/ttyUSB0", .id_path = "pci-0000:00:14.0-usb-0:1:1.0",
		.reset = "sysfs", .have_chip = true, .chip = "ESP8266EX",
		.mac = { 0x5c, 0xcf, 0x7f, 0x12, 0x34, 0x56 }, .flash_id = 0x1640ef,
		.flash_size = 4u << 20, .exit_code = 0, .seconds = 10.74,
	};
	struct journal_fields f;
	struct log_entry e;
	struct json_object *j, *v;
	char row[512], hdr[256];

	(void)state;
	journal_build(&r, &f);
	log_entry_init(&e);
	for (size_t i = 0; i < f.n; i++)
		log_entry_set(&e, f.f[i], strlen(f.f[i]));
	log_entry_set(&e, "_PID=42", 7);           /* other fields are ignored */
	log_entry_set(&e, "NOEQUALSIGN", 11);
	log_entry_set(&e, "ESPWIPE_PORT=/dev/ttyUSB0garbage", 25); /* length, not NUL, ends a datum */
	e.realtime_us = 1795724684000000ull;     /* 2026-11-26 20:24:44 UTC */
	assert_string_equal(e.port, "/dev/ttyUSB0");
	assert_string_equal(e.chip, "ESP8266EX");
	assert_int_equal(e.flash_size, 4u << 20);
	assert_int_equal(e.exit_code, 0);
	assert_true(e.seconds > 10.73 && e.seconds < 10.75);
	setenv("TZ", "UTC", 1);
	tzset();
	log_format_header(hdr, sizeof(hdr));
	log_format_row(&e, row, sizeof(row));
	assert_true(strncmp(hdr, "TIME ", 5) == 0);
	assert_non_null(strstr(hdr, "ID_PATH"));
	assert_non_null(strstr(hdr, "SECONDS"));
	assert_string_equal(row, "2026-11-26 20:24:44 /dev/ttyUSB0  pci-0000:00:14.0-usb-0:1:1.0       "
				 "ESP8266EX 5c:cf:7f:12:34:56 4 MiB   ok       10.7");
	j = log_entry_json(&e);
	assert_true(json_object_object_get_ex(j, "mac", &v));
	assert_string_equal(json_object_get_string(v), "5c:cf:7f:12:34:56");
	assert_true(json_object_object_get_ex(j, "flash_size", &v));
	assert_int_equal(json_object_get_int64(v), 4 << 20);
	assert_true(json_object_object_get_ex(j, "exit_code", &v));
	assert_int_equal(json_object_get_int(v), 0);
	json_object_put(j);

	/* A record with bad numbers and no chip still formats. */
	log_entry_init(&e);
	log_entry_set(&e, "ESPWIPE_EXIT_CODE=-3", 20);
	log_entry_set(&e, "ESPWIPE_SECONDS=abc", 19);
	log_entry_set(&e, "ESPWIPE_FLASH_SIZE=99999999999", 30);
	assert_int_equal(e.exit_code, -1);
	assert_true(e.seconds < 0);
	assert_int_equal(e.flash_size, 0);
	log_format_row(&e, row, sizeof(row));
	snprintf(hdr, sizeof(hdr), "%-19s %-13s %-34s %-9s", "-", "-", "-", "-");
	assert_true(strncmp(row, hdr, strlen(hdr)) == 0);
	j = log_entry_json(&e);
	assert_true(json_object_object_get_ex(j, "exit_code", &v));
	assert_null(v);
	json_object_put(j);
}

/* ---- the new commands on the command line ---- */

#define ARGV(...) ((char *[]){ "espwipe", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "espwipe", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(a, err, ...) args_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (a), (err), sizeof(err))

static void test_args_autowipe_and_log(void **state)
{
	struct args a;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&a, err, "autowipe", "/dev/ttyUSB3"), 0);
	assert_int_equal(a.op.cmd, CMD_AUTOWIPE);
	assert_string_equal(a.op.port, "/dev/ttyUSB3");
	assert_int_equal(a.op.after, AFTER_HARD_RESET);
	assert_int_equal(PARSE(&a, err, "-p", "/dev/ttyUSB1", "autowipe", "--json"), 0);
	assert_string_equal(a.op.port, "/dev/ttyUSB1");
	assert_int_equal(a.mode, OUT_JSON);
	assert_int_equal(PARSE(&a, err, "autowipe"), -1);
	assert_non_null(strstr(err, "autowipe needs the port"));
	assert_int_equal(PARSE(&a, err, "autowipe", "-p", "/dev/a", "/dev/b"), -1);
	assert_non_null(strstr(err, "autowipe takes one port"));
	assert_int_equal(PARSE(&a, err, "erase", "/dev/ttyUSB0"), -1);
	assert_non_null(strstr(err, "unexpected argument"));

	assert_int_equal(PARSE(&a, err, "log"), 0);
	assert_int_equal(a.op.cmd, CMD_LOG);
	assert_int_equal(a.op.log_lines, 10);
	assert_false(a.op.follow);
	assert_int_equal(PARSE(&a, err, "log", "-n", "250", "--follow"), 0);
	assert_int_equal(a.op.log_lines, 250);
	assert_true(a.op.follow);
	assert_int_equal(PARSE(&a, err, "log", "--lines=3", "-f"), 0);
	assert_int_equal(a.op.log_lines, 3);
	assert_int_equal(PARSE(&a, err, "log", "-n", "0"), -1);
	assert_int_equal(PARSE(&a, err, "log", "-n", "1000001"), -1);
	assert_int_equal(PARSE(&a, err, "log", "extra"), -1);
	assert_int_equal(PARSE(&a, err, "erase", "-f"), -1);
	assert_non_null(strstr(err, "apply to log only"));
	assert_int_equal(PARSE(&a, err, "list", "-n", "5"), -1);
	assert_non_null(strstr(args_usage, "autowipe PORT"));
	assert_non_null(strstr(args_usage, "--follow"));
	assert_non_null(strstr(args_usage, "--lines"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_errors_name_the_line),
		cmocka_unit_test(test_parse_nul_and_limits),
		cmocka_unit_test(test_match),
		cmocka_unit_test_setup_teardown(test_load_ok_and_missing, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_refuses_writable_by_others, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_refuses_other_owner, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_other_failures, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_conf_path_env),
		cmocka_unit_test(test_parse_random_input),
		cmocka_unit_test(test_marker_names),
		cmocka_unit_test(test_journal_success_record),
		cmocka_unit_test(test_journal_failure_record),
		cmocka_unit_test(test_log_entry_round_trip),
		cmocka_unit_test(test_args_autowipe_and_log),
	};

	return cmocka_run_group_tests_name("autowipe", tests, NULL, NULL);
}
