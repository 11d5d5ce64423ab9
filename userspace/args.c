// SPDX-License-Identifier: GPL-2.0-or-later
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "links.h"

const char args_usage[] =
	"Usage: espwipe [OPTIONS] COMMAND\n"
	"Put an ESP8266 or ESP32-family chip (ESP32, -S2, -S3, -C2, -C3, -C5, -C6, -C61,\n"
	"-H2, -P4) into its ROM serial loader and erase its flash, without a stub.\n"
	"\n"
	"Commands:\n"
	"  erase       erase the whole flash (or --region OFFSET:SIZE)\n"
	"  verify      check that the flash is blank (sampled; --full checks every byte)\n"
	"  info        show chip and revision, MAC, crystal (ESP8266), flash JEDEC id and\n"
	"              size, Secure Download Mode and security features\n"
	"  reset       hard-reset the board into its application\n"
	"  bootloader  enter the ROM loader, sync, and stay there\n"
	"  list        list candidate serial ports\n"
	"  autowipe PORT  erase PORT if the auto-wipe allow-list names it, once per\n"
	"              plug-in (run by udev/systemd; see udev/README.md)\n"
	"  log         the wipes recorded in the systemd journal (--follow, -n N)\n"
	"\n"
	"Several boards at once (erase, info, verify, reset): give -p more than once,\n"
	"or --all; erase --each keeps running and wipes every board plugged in.  On a\n"
	"terminal a live table shows every board; otherwise one line (or JSON object)\n"
	"per event, each with its port, and a summary.  Exit code: 0 if every board\n"
	"succeeded, else the code of the first failed board in the table's order.\n"
	"\n"
	"Options:\n"
	"  -p, --port PORT          device path, ID_PATH or USB serial number\n"
	"                           (default: the only supported port); repeat it\n"
	"                           for several boards, wiped in parallel\n"
	"      --all                every supported port (see list), in parallel\n"
	"      --each               erase: keep running; wipe each supported board once\n"
	"                           per plug-in as it is plugged in (with --all: and the\n"
	"                           ones plugged in already); Ctrl-C ends with a summary\n"
	"      --match RULE         --all/--each: only ports an allow-list rule matches\n"
	"                           ('path ID_PATH', 'serial SERIAL', 'usb VID:PID'; see\n"
	"                           autowipe.conf); repeatable, any rule may match\n"
	"  -b, --baud RATE          serial rate, default 115200 (the ROM auto-bauds)\n"
	"      --reset METHOD       auto|sysfs|tiocm|none: how to enter the loader (default auto)\n"
	"      --after ACTION       hard-reset|stay: what to do when done (default hard-reset)\n"
	"      --link LINK          the port's link when udev cannot tell (a pty, an unknown\n"
	"                           USB id): ch341|cp210x|ftdi|pl2303|cdc-acm|usb-serial-jtag;\n"
	"                           picks the reset sequences (default: from udev)\n"
	"      --region OFFSET:SIZE erase/verify only this range (4 KiB multiples; K/M suffixes)\n"
	"      --verify             erase: blank-check afterwards\n"
	"      --full               verify: check every byte (ESP8266: slow reads; ESP32\n"
	"                           family: one ROM MD5 over the range)\n"
	"      --flash-size SIZE    the flash size when it cannot be read (Secure Download\n"
	"                           Mode, unknown JEDEC id); must match a size that was read\n"
	"      --force              erase even with flash encryption or secure boot enabled\n"
	"      --connect-attempts N reset-and-sync attempts (default 4)\n"
	"      --json               one JSON object per line on stdout\n"
	"  -n, --lines N            log: show the last N records (default 10)\n"
	"  -f, --follow             log: keep waiting for new records\n"
	"  -q, --quiet              print errors only\n"
	"  -v, --verbose            more detail; the packet trace\n"
	"  -h, --help               this help\n"
	"  -V, --version            version\n"
	"\n"
	"Exit codes: 0 ok, 1 internal, 2 usage, 3 port missing or denied, 4 port busy,\n"
	"5 no sync, 6 unsupported chip, 7 erase failed, 8 verify failed, 9 link lost,\n"
	"10 auto-wipe allow-list or marker directory unusable, 11 journal unavailable,\n"
	"12 security features enabled (see --force), 13 partial: flash above 16 MiB not\n"
	"erased, 14 sdm: not possible in Secure Download Mode;\n"
	"128+N stopped by signal N (143 SIGTERM, 130 SIGINT), after reporting what was erased.\n";

void op_options_default(struct op_options *o)
{
	memset(o, 0, sizeof(*o));
	o->cmd = CMD_ERASE;
	o->baud = 115200;
	o->reset = RESET_AUTO;
	o->after = AFTER_HARD_RESET;
	o->connect_attempts = 4;
	o->verify_budget_s = 2.0;
	o->log_lines = 10;
}

int args_parse_size(const char *s, uint32_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	/* A digit first: strtoull would accept white space and a sign. */
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (*end == 'K' || *end == 'k')
		mult = 1024;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024;
	if (mult > 1) {
		end++;
		if (end[0] == 'i' && end[1] == 'B')
			end += 2;
	}
	if (*end || v > UINT32_MAX / mult)
		return -1;
	*out = (uint32_t)(v * mult);
	return 0;
}

int args_parse_region(const char *s, uint32_t *offset, uint32_t *size)
{
	char buf[64];
	char *colon;
	uint32_t o, l;

	if (!s || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	if (args_parse_size(buf, &o) || args_parse_size(colon + 1, &l))
		return -1;
	if (l == 0 || o % 4096 || l % 4096 || (uint64_t)o + l > UINT32_MAX)
		return -1;
	*offset = o;
	*size = l;
	return 0;
}

/* The command words, indexed by enum command. */
static const char *const command_names[] = {
	[CMD_INFO] = "info", [CMD_ERASE] = "erase", [CMD_VERIFY] = "verify",
	[CMD_RESET] = "reset", [CMD_BOOTLOADER] = "bootloader", [CMD_LIST] = "list",
	[CMD_AUTOWIPE] = "autowipe", [CMD_LOG] = "log",
};

const char *command_name(enum command c)
{
	if ((size_t)c < sizeof(command_names) / sizeof(command_names[0]) && command_names[c])
		return command_names[c];
	return "?";
}

static int parse_command(const char *s, enum command *c)
{
	for (size_t i = 0; i < sizeof(command_names) / sizeof(command_names[0]); i++) {
		if (command_names[i] && strcmp(s, command_names[i]) == 0) {
			*c = (enum command)i;
			return 0;
		}
	}
	return -1;
}

enum {
	OPT_RESET = 256,
	OPT_AFTER,
	OPT_REGION,
	OPT_VERIFY,
	OPT_FULL,
	OPT_JSON,
	OPT_ATTEMPTS,
	OPT_FLASH_SIZE,
	OPT_FORCE,
	OPT_ALL,
	OPT_EACH,
	OPT_MATCH,
	OPT_LINK,
};

/* The command's own positional argument (autowipe PORT); 0, or -1 with err set. */
static int command_operand(struct args *a, const char *arg, char *err, size_t errlen)
{
	if (a->op.cmd != CMD_AUTOWIPE) {
		snprintf(err, errlen, "unexpected argument '%s'", arg);
		return -1;
	}
	if (a->op.port) {
		snprintf(err, errlen, "autowipe takes one port (got '%s' and '%s')", a->op.port, arg);
		return -1;
	}
	a->op.port = arg;
	return 0;
}

/* Several boards: which commands, and which options go together.  0, or -1 with err set. */
static int multi_checks(const struct args *a, char *err, size_t errlen)
{
	const struct op_options *o = &a->op;
	bool several_ok = o->cmd == CMD_ERASE || o->cmd == CMD_INFO || o->cmd == CMD_VERIFY ||
			  o->cmd == CMD_RESET;

	if ((o->nports > 1 || o->all) && !several_ok) {
		snprintf(err, errlen, "%s apply to erase, info, verify and reset only",
			 o->all ? "--all" : "several ports");
		return -1;
	}
	if (o->each && o->cmd != CMD_ERASE) {
		snprintf(err, errlen, "--each applies to erase only");
		return -1;
	}
	if ((o->all || o->each) && o->nports) {
		snprintf(err, errlen, "%s and -p exclude each other (--match picks ports)",
			 o->all ? "--all" : "--each");
		return -1;
	}
	if (o->nmatch && !o->all && !o->each) {
		snprintf(err, errlen, "--match applies to --all and --each only");
		return -1;
	}
	return 0;
}

int args_parse(int argc, char **argv, struct args *a, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "baud", required_argument, NULL, 'b' },
		{ "reset", required_argument, NULL, OPT_RESET },
		{ "after", required_argument, NULL, OPT_AFTER },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "full", no_argument, NULL, OPT_FULL },
		{ "connect-attempts", required_argument, NULL, OPT_ATTEMPTS },
		{ "flash-size", required_argument, NULL, OPT_FLASH_SIZE },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "each", no_argument, NULL, OPT_EACH },
		{ "match", required_argument, NULL, OPT_MATCH },
		{ "link", required_argument, NULL, OPT_LINK },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "lines", required_argument, NULL, 'n' },
		{ "follow", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_cmd = false, lines_set = false;
	uint32_t v;
	int c;

	memset(a, 0, sizeof(*a));
	op_options_default(&a->op);
	a->mode = OUT_HUMAN;
	optind = 0; /* full reset of getopt's state (glibc) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:b:n:fqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (a->op.nports == OPS_PORTS_MAX) {
				snprintf(err, errlen, "too many ports (at most %d -p)", OPS_PORTS_MAX);
				return -1;
			}
			if (!a->op.port)
				a->op.port = optarg;
			a->op.ports[a->op.nports++] = optarg;
			break;
		case OPT_ALL:
			a->op.all = true;
			break;
		case OPT_EACH:
			a->op.each = true;
			break;
		case OPT_MATCH:
			if (a->op.nmatch == OPS_MATCH_MAX) {
				snprintf(err, errlen, "too many --match rules (at most %d)", OPS_MATCH_MAX);
				return -1;
			}
			if (!optarg[0] || strchr(optarg, '\n')) {
				snprintf(err, errlen, "invalid --match '%s' (one rule: path, serial, usb or any)",
					 optarg);
				return -1;
			}
			a->op.match[a->op.nmatch++] = optarg;
			break;
		case 'b':
			if (args_parse_size(optarg, &v) || v < 300) {
				snprintf(err, errlen, "invalid baud rate '%s'", optarg);
				return -1;
			}
			a->op.baud = v;
			break;
		case OPT_RESET:
			if (reset_method_parse(optarg, &a->op.reset)) {
				snprintf(err, errlen, "invalid --reset '%s' (auto, sysfs, tiocm or none)", optarg);
				return -1;
			}
			break;
		case OPT_LINK:
			a->op.link = link_by_name(optarg);
			if (!a->op.link) {
				char words[160];

				link_words(words, sizeof(words));
				snprintf(err, errlen, "invalid --link '%s' (%s)", optarg, words);
				return -1;
			}
			break;
		case OPT_AFTER:
			if (strcmp(optarg, "hard-reset") == 0) {
				a->op.after = AFTER_HARD_RESET;
			} else if (strcmp(optarg, "stay") == 0) {
				a->op.after = AFTER_STAY;
			} else {
				snprintf(err, errlen, "invalid --after '%s' (hard-reset or stay)", optarg);
				return -1;
			}
			break;
		case OPT_REGION:
			if (args_parse_region(optarg, &a->op.region_offset, &a->op.region_length)) {
				snprintf(err, errlen,
					 "invalid --region '%s' (OFFSET:SIZE, both multiples of 4096, size > 0)",
					 optarg);
				return -1;
			}
			a->op.region = true;
			break;
		case OPT_VERIFY:
			a->op.verify = true;
			break;
		case OPT_FULL:
			a->op.full = true;
			break;
		case OPT_ATTEMPTS:
			if (args_parse_size(optarg, &v) || v < 1 || v > 100) {
				snprintf(err, errlen, "invalid --connect-attempts '%s' (1..100)", optarg);
				return -1;
			}
			a->op.connect_attempts = (int)v;
			break;
		case OPT_FLASH_SIZE:
			if (args_parse_size(optarg, &v) || v < 64 * 1024 || v % 4096) {
				snprintf(err, errlen,
					 "invalid --flash-size '%s' (a multiple of 4096, at least 64K)", optarg);
				return -1;
			}
			a->op.flash_size = v;
			break;
		case OPT_FORCE:
			a->op.force = true;
			break;
		case OPT_JSON:
			a->mode = OUT_JSON;
			break;
		case 'n':
			if (args_parse_size(optarg, &v) || v < 1 || v > 1000000) {
				snprintf(err, errlen, "invalid --lines '%s' (1..1000000)", optarg);
				return -1;
			}
			a->op.log_lines = v;
			lines_set = true;
			break;
		case 'f':
			a->op.follow = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'v':
			a->verbose++;
			break;
		case 'h':
			a->help = true;
			return 0;
		case 'V':
			a->version = true;
			return 0;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	for (; optind < argc; optind++) {
		if (have_cmd) {
			if (command_operand(a, argv[optind], err, errlen))
				return -1;
			continue;
		}
		if (parse_command(argv[optind], &a->op.cmd)) {
			snprintf(err, errlen, "unknown command '%s'", argv[optind]);
			return -1;
		}
		have_cmd = true;
	}
	if (!have_cmd) {
		snprintf(err, errlen,
			 "no command given (erase, verify, info, reset, bootloader, list, autowipe, log)");
		return -1;
	}
	if (a->op.cmd == CMD_AUTOWIPE && !a->op.port) {
		snprintf(err, errlen, "autowipe needs the port: espwipe autowipe /dev/ttyUSB0");
		return -1;
	}
	if ((a->op.follow || lines_set) && a->op.cmd != CMD_LOG) {
		snprintf(err, errlen, "--follow and --lines apply to log only");
		return -1;
	}
	if (a->op.region && a->op.cmd != CMD_ERASE && a->op.cmd != CMD_VERIFY) {
		snprintf(err, errlen, "--region applies to erase and verify only");
		return -1;
	}
	if (a->op.verify && a->op.cmd != CMD_ERASE) {
		snprintf(err, errlen, "--verify applies to erase only (use the verify command)");
		return -1;
	}
	if (a->op.full && a->op.cmd != CMD_VERIFY && !(a->op.cmd == CMD_ERASE && a->op.verify)) {
		snprintf(err, errlen, "--full applies to verify and erase --verify only");
		return -1;
	}
	if (a->op.flash_size && a->op.cmd != CMD_ERASE && a->op.cmd != CMD_VERIFY &&
	    a->op.cmd != CMD_INFO) {
		snprintf(err, errlen, "--flash-size applies to erase, verify and info only");
		return -1;
	}
	if (a->op.link && (a->op.cmd == CMD_LIST || a->op.cmd == CMD_LOG || a->op.cmd == CMD_AUTOWIPE)) {
		snprintf(err, errlen, "--link applies to erase, verify, info, reset and bootloader only");
		return -1;
	}
	if (a->op.force && a->op.cmd != CMD_ERASE) {
		snprintf(err, errlen, "--force applies to erase only");
		return -1;
	}
	if (multi_checks(a, err, errlen))
		return -1;
	if (a->op.cmd == CMD_BOOTLOADER)
		a->op.after = AFTER_STAY;
	return 0;
}
