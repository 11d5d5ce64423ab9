// SPDX-License-Identifier: GPL-2.0-or-later
/* espwipe: main. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "autowipe.h"
#include "autowipe_conf.h"
#include "discovery.h"
#include "exitcode.h"
#include "journal.h"
#include "multi.h"
#include "ops.h"
#include "output.h"
#include "port.h"

#ifndef ESPWIPE_VERSION
#define ESPWIPE_VERSION "0.1.0"
#endif

/* Would `espwipe autowipe` wipe this port?  Only supported ports are ever auto-wiped. */
static bool autowipe_allowed(const struct aw_conf *conf, const struct candidate *c)
{
	char vid[8] = "", pid[8] = "";
	struct aw_device d = { .id_path = c->id_path, .serial = c->serial, .vid = vid, .pid = pid };

	sscanf(c->vid_pid, "%7[0-9a-fA-F]:%7[0-9a-fA-F]", vid, pid);
	return c->supported && aw_conf_match(conf, &d) != NULL;
}

static int list_ports(struct output *out)
{
	struct candidate c[DISCOVERY_MAX];
	int n = discover_ports(c, DISCOVERY_MAX);
	struct aw_conf conf;
	char err[512];
	enum aw_load lr;

	if (n < 0) {
		out_error(out, EXIT_INTERNAL, "cannot enumerate devices through udev", NULL);
		return EXIT_INTERNAL;
	}
	lr = aw_conf_load(aw_conf_path(), geteuid(), &conf, err, sizeof(err));
	if (lr != AW_LOAD_OK && lr != AW_LOAD_MISSING)
		out_note(out, "auto-wipe allow-list ignored (autowipe would wipe nothing): %s", err);
	if (out->mode == OUT_HUMAN && !out->quiet)
		printf("%-14s %-11s %-15s %-9s %-6s %-9s %-8s %s\n", "PORT", "DRIVER", "LINK", "VID:PID",
		       "MODULE", "SUPPORTED", "AUTOWIPE", "ID_PATH");
	for (int i = 0; i < n; i++) {
		const char *mod = c[i].attr_writable ? "rw" : c[i].attr_present ? "ro" : "-";
		bool aw = autowipe_allowed(&conf, &c[i]);

		if (out->mode == OUT_JSON) {
			struct json_object *f = json_object_new_object();

			json_object_object_add(f, "port", json_object_new_string(c[i].devnode));
			json_object_object_add(f, "driver", json_object_new_string(c[i].driver));
			json_object_object_add(f, "vid_pid", json_object_new_string(c[i].vid_pid));
			json_object_object_add(f, "product", json_object_new_string(c[i].product));
			json_object_object_add(f, "serial", json_object_new_string(c[i].serial));
			json_object_object_add(f, "id_path", json_object_new_string(c[i].id_path));
			json_object_object_add(f, "supported", json_object_new_boolean(c[i].supported));
			json_object_object_add(f, "link", c[i].row ? json_object_new_string(c[i].link) : NULL);
			json_object_object_add(f, "link_label",
					       c[i].row ? json_object_new_string(c[i].row->label) : NULL);
			json_object_object_add(f, "why", c[i].row ? NULL : json_object_new_string(c[i].why));
			json_object_object_add(f, "usb_path", json_object_new_string(c[i].usb_path));
			json_object_object_add(f, "interface", json_object_new_int(c[i].interface));
			json_object_object_add(f, "module_link",
					       c[i].module_link[0] ? json_object_new_string(c[i].module_link) : NULL);
			json_object_object_add(f, "attribute_present", json_object_new_boolean(c[i].attr_present));
			json_object_object_add(f, "attribute_writable",
					       json_object_new_boolean(c[i].attr_writable));
			json_object_object_add(f, "autowipe", json_object_new_boolean(aw));
			out_event(out, "port", f, NULL);
		} else if (!out->quiet) {
			printf("%-14s %-11s %-15s %-9s %-6s %-9s %-8s %s\n", c[i].devnode, c[i].driver,
			       c[i].row ? c[i].link : "-", c[i].vid_pid, mod, c[i].supported ? "yes" : "no",
			       aw ? "yes" : "no", c[i].id_path);
		}
	}
	aw_conf_free(&conf);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct args a;
	struct output out;
	char err[256];

	if (args_parse(argc, argv, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "espwipe: %s\nTry 'espwipe --help'.\n", err);
		return EXIT_USAGE;
	}
	if (a.help) {
		fputs(args_usage, stdout);
		return EXIT_OK;
	}
	if (a.version) {
		printf("espwipe %s\n", ESPWIPE_VERSION);
		return EXIT_OK;
	}
	output_init(&out, a.mode, a.quiet, a.verbose);
	/* A stopped wipe still reports (and records) what it erased. */
	if (a.op.cmd != CMD_LIST && a.op.cmd != CMD_LOG && port_catch_stop_signals() < 0) {
		out_error(&out, EXIT_INTERNAL, "cannot install signal handlers", NULL);
		return EXIT_INTERNAL;
	}
	if (a.op.cmd == CMD_LIST)
		return list_ports(&out);
	if (a.op.cmd == CMD_AUTOWIPE)
		return autowipe_run(&a.op, &out);
	if (a.op.cmd == CMD_LOG)
		return journal_log_run(&a.op, &out);
	if (multi_wanted(&a.op))
		return multi_run(&a.op, &out);
	return ops_run(&a.op, &out);
}
