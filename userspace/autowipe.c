// SPDX-License-Identifier: GPL-2.0-or-later
/* `espwipe autowipe PORT`: allow-list check, once-per-plug-in marker, erase. */
#include "autowipe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autowipe_conf.h"
#include "devprops.h"
#include "discovery.h"
#include "exitcode.h"
#include "links.h"

void autowipe_marker_name(const char *plug_key, char *buf, size_t len)
{
	size_t i = 0;

	if (!len)
		return;
	snprintf(buf, len, "plug-");
	i = strlen(buf);
	for (const char *p = plug_key; *p && i + 1 < len; p++, i++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  ch == '.' || ch == '_' || ch == '-';

		buf[i] = ok ? ch : '_';
	}
	buf[i] = '\0';
}

static int aw_error(struct output *out, int code, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int aw_error(struct output *out, int code, const char *hint, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	out_error(out, code, msg, hint);
	return code;
}

static void describe(const struct dev_props *p, char *buf, size_t len)
{
	snprintf(buf, len, "ID_PATH %s, serial %s, usb %s:%s%s%s", p->id_path[0] ? p->id_path : "-",
		 p->serial[0] ? p->serial : "-", p->vid[0] ? p->vid : "-", p->pid[0] ? p->pid : "-",
		 p->link ? ", link " : "", p->link ? p->link->link : "");
}

static struct json_object *decision(const char *port, const struct dev_props *p, bool allowed,
				    const char *rule)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "port", json_object_new_string(port));
	json_object_object_add(f, "id_path", json_object_new_string(p->id_path));
	json_object_object_add(f, "serial", json_object_new_string(p->serial));
	json_object_object_add(f, "vid", json_object_new_string(p->vid));
	json_object_object_add(f, "pid", json_object_new_string(p->pid));
	json_object_object_add(f, "link", p->link ? json_object_new_string(p->link->link) : NULL);
	json_object_object_add(f, "plug_key", json_object_new_string(p->plug_key));
	json_object_object_add(f, "allowed", json_object_new_boolean(allowed));
	json_object_object_add(f, "rule", rule ? json_object_new_string(rule) : NULL);
	return f;
}

/* Drop the markers of earlier plug-ins of this tty (the new one is `keep`). */
static void drop_stale_markers(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "plug-", 5) == 0 && strcmp(de->d_name, keep) != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/*
 * Claim this plug-in: 0 and an open marker fd, 1 if it was claimed before,
 * or -errno (then err says where).
 */
static int claim_marker(const struct dev_props *p, int *fd, char *where, size_t wlen)
{
	const char *rundir = getenv(AUTOWIPE_RUNDIR_ENV);
	char dir[PATH_MAX], name[96];

	if (!rundir || !*rundir)
		rundir = AUTOWIPE_RUNDIR_DEFAULT;
	snprintf(where, wlen, "%s", rundir);
	if (mkdir(rundir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", rundir, p->name) >= sizeof(dir))
		return -ENAMETOOLONG;
	snprintf(where, wlen, "%s", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	autowipe_marker_name(p->plug_key, name, sizeof(name));
	if ((size_t)snprintf(where, wlen, "%s/%s", dir, name) >= wlen)
		return -ENAMETOOLONG;
	*fd = open(where, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0)
		return errno == EEXIST ? 1 : -errno;
	drop_stale_markers(dir, name);
	return 0;
}

int autowipe_run(const struct op_options *o, struct output *out)
{
	char devnode[256], err[512], who[320], rule[AW_VALUE_MAX + 16], where[PATH_MAX];
	const char *conf_path = aw_conf_path();
	struct op_options erase;
	struct dev_props props;
	struct aw_conf conf;
	struct aw_device dev;
	const struct aw_rule *hit;
	enum aw_load lr;
	int r, fd = -1, code;

	r = discovery_resolve(o->port, devnode, sizeof(devnode));
	if (r < 0)
		return aw_error(out, EXIT_PORT, "`espwipe list` shows the ports", "%s: no such port", o->port);
	r = devprops_lookup(devnode, &props);
	if (r < 0)
		return aw_error(out, EXIT_PORT, NULL, "%s: %s", devnode,
			     r == -ENOTTY ? "not a character device" : strerror(-r));
	describe(&props, who, sizeof(who));
	if (props.from_udev && !props.link) {
		char words[160];

		/* The udev rule only starts us for these; a hand-made call gets the same answer. */
		link_words(words, sizeof(words));
		out_event(out, "autowipe", decision(devnode, &props, false, NULL),
			  "%s (driver %s, usb %s:%s) is not on a supported link (%s), not wiped", devnode,
			  props.driver[0] ? props.driver : "none", props.vid[0] ? props.vid : "-",
			  props.pid[0] ? props.pid : "-", words);
		return EXIT_OK;
	}
	lr = aw_conf_load(conf_path, geteuid(), &conf, err, sizeof(err));
	if (lr == AW_LOAD_MISSING) {
		out_event(out, "autowipe", decision(devnode, &props, false, NULL),
			  "%s (%s): no allow-list at %s, not wiped", devnode, who, conf_path);
		return EXIT_OK;
	}
	if (lr != AW_LOAD_OK)
		return aw_error(out, EXIT_CONFIG, "fix the allow-list (see udev/README.md); nothing was wiped",
			     "auto-wipe allow-list: %s", err);
	dev.id_path = props.id_path;
	dev.serial = props.serial;
	dev.vid = props.vid;
	dev.pid = props.pid;
	hit = aw_conf_match(&conf, &dev);
	if (!hit) {
		aw_conf_free(&conf);
		out_event(out, "autowipe", decision(devnode, &props, false, NULL),
			  "%s (%s) is not in the allow-list, not wiped", devnode, who);
		return EXIT_OK;
	}
	aw_rule_format(hit, rule, sizeof(rule));
	snprintf(rule + strlen(rule), sizeof(rule) - strlen(rule), " (line %u)", hit->line);
	aw_conf_free(&conf);
	r = claim_marker(&props, &fd, where, sizeof(where));
	if (r == 1) {
		out_event(out, "autowipe", decision(devnode, &props, true, rule),
			  "%s (%s) was already wiped for this plug-in (%s), not wiped again", devnode, who,
			  where);
		return EXIT_OK;
	}
	if (r < 0)
		return aw_error(out, EXIT_CONFIG, "the marker stops a second wipe of the same plug-in; "
			     "make the directory writable (RuntimeDirectory= in the unit)",
			     "%s: cannot create the per-plug-in marker: %s; not wiped", where, strerror(-r));
	out_event(out, "autowipe", decision(devnode, &props, true, rule),
		  "%s (%s) matches the allow-list rule '%s': wiping", devnode, who, rule);
	erase = *o;
	erase.cmd = CMD_ERASE;
	erase.port = devnode;
	erase.autowipe = true;
	erase.props = &props; /* looked up above: no second udev query */
	erase.region = false;
	erase.verify = false;
	erase.after = AFTER_HARD_RESET;
	code = ops_run(&erase, out);
	if (dprintf(fd, "exit=%d\n", code) < 0)
		out_note(out, "%s: could not record the result: %s", where, strerror(errno));
	close(fd);
	return code;
}
