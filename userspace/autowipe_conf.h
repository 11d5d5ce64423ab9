/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The auto-wipe allow-list (/etc/espwipe/autowipe.conf): which boards
 * `espwipe autowipe` may erase when they are plugged in.  One rule per line:
 *
 *   any                 every port on a supported link (links.h)
 *   path   ID_PATH      the physical socket (udev ID_PATH; shell wildcards)
 *   serial SERIAL       the bridge's USB serial number (ID_SERIAL_SHORT; wildcards)
 *   usb    VID:PID      the bridge's USB ids, four hex digits each
 *
 * '#' at the start of a line or after white space starts a comment.  The
 * parser does no I/O (buffer in, rules out) so it can be unit-tested and
 * fuzzed; aw_conf_load() adds the file and its ownership checks.
 */
#ifndef ESPWIPE_AUTOWIPE_CONF_H
#define ESPWIPE_AUTOWIPE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AW_CONF_DEFAULT_PATH "/etc/espwipe/autowipe.conf"
#define AW_CONF_ENV "ESPWIPE_AUTOWIPE_CONF"
#define AW_VALUE_MAX 128     /* longest value, including the NUL */
#define AW_RULES_MAX 1024
#define AW_FILE_MAX (64 * 1024)

enum aw_kind {
	AW_ANY,
	AW_PATH,
	AW_SERIAL,
	AW_USB,
};

struct aw_rule {
	enum aw_kind kind;
	unsigned int line;           /* where it was written, for messages */
	char value[AW_VALUE_MAX];    /* path and serial patterns */
	uint16_t vid, pid;           /* usb */
};

struct aw_conf {
	struct aw_rule *rules;
	size_t n, cap;
};

/* What is known about a port; any field may be NULL or empty (then no rule on it matches). */
struct aw_device {
	const char *id_path;
	const char *serial;
	const char *vid;  /* "1a86" */
	const char *pid;  /* "7523" */
};

/*
 * Parse len bytes of buf (need not be NUL-terminated) into c, which must be
 * zeroed or freed.  name is used in messages.  0, or -1 with
 * "NAME:LINE: what is wrong" in err and c left empty.
 */
int aw_conf_parse(const char *buf, size_t len, const char *name, struct aw_conf *c, char *err,
		  size_t errlen);
void aw_conf_free(struct aw_conf *c);

/* The first rule that matches d, or NULL. */
const struct aw_rule *aw_conf_match(const struct aw_conf *c, const struct aw_device *d);

/* The rule as written ("usb 1a86:7523"), for messages. */
void aw_rule_format(const struct aw_rule *r, char *buf, size_t len);

enum aw_load {
	AW_LOAD_OK,
	AW_LOAD_MISSING,   /* no such file: nothing is allowed */
	AW_LOAD_INSECURE,  /* wrong owner, group/world-writable, not a regular file */
	AW_LOAD_IO,        /* cannot be read */
	AW_LOAD_SYNTAX,    /* does not parse */
};

/* $ESPWIPE_AUTOWIPE_CONF, else the default path. */
const char *aw_conf_path(void);

/*
 * Read and parse path.  The file must be a regular file owned by root or by
 * owner_uid (espwipe passes its effective uid: a user may allow-list boards
 * for their own runs, never for root's or the service's), and neither group-
 * nor world-writable.  On anything but AW_LOAD_OK, c is empty and err says
 * why (for MISSING too).
 */
enum aw_load aw_conf_load(const char *path, uid_t owner_uid, struct aw_conf *c, char *err,
			  size_t errlen);

#endif /* ESPWIPE_AUTOWIPE_CONF_H */
