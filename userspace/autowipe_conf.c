// SPDX-License-Identifier: GPL-2.0-or-later
/* The auto-wipe allow-list: parser, matcher, and the careful file loader. */
#include "autowipe_conf.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct token {
	const char *p;
	size_t len;
};

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int hex16(const char *p, size_t len, uint16_t *out)
{
	unsigned int v = 0;

	if (len != 4)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char ch = p[i];
		unsigned int d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned int)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned int)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			d = (unsigned int)(ch - 'A' + 10);
		else
			return -1;
		v = v * 16 + d;
	}
	*out = (uint16_t)v;
	return 0;
}

static int add_rule(struct aw_conf *c, const struct aw_rule *r)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct aw_rule *nr = realloc(c->rules, cap * sizeof(*nr));

		if (!nr)
			return -1;
		c->rules = nr;
		c->cap = cap;
	}
	c->rules[c->n++] = *r;
	return 0;
}

static bool tok_is(const struct token *t, const char *word)
{
	return t->len == strlen(word) && memcmp(t->p, word, t->len) == 0;
}

/* One line (without its newline): 0, 1 if it held no rule, or -1 with err set. */
static int parse_line(const char *p, size_t len, unsigned int line, const char *name,
		      struct aw_rule *r, char *err, size_t errlen)
{
	struct token tok[3];
	size_t ntok = 0, i = 0;

	while (i < len) {
		size_t start;

		while (i < len && is_blank(p[i]))
			i++;
		if (i >= len || p[i] == '#')
			break;
		start = i;
		while (i < len && !is_blank(p[i])) {
			unsigned char ch = (unsigned char)p[i];

			if (ch < 0x20 || ch == 0x7f) {
				set_err(err, errlen, "%s:%u: control character 0x%02x", name, line, ch);
				return -1;
			}
			i++;
		}
		if (ntok == 3) {
			set_err(err, errlen, "%s:%u: too many words (one rule per line)", name, line);
			return -1;
		}
		tok[ntok].p = p + start;
		tok[ntok].len = i - start;
		ntok++;
	}
	if (ntok == 0)
		return 1;
	memset(r, 0, sizeof(*r));
	r->line = line;
	if (tok_is(&tok[0], "any")) {
		if (ntok != 1) {
			set_err(err, errlen, "%s:%u: 'any' takes no value", name, line);
			return -1;
		}
		r->kind = AW_ANY;
		return 0;
	}
	if (tok_is(&tok[0], "path"))
		r->kind = AW_PATH;
	else if (tok_is(&tok[0], "serial"))
		r->kind = AW_SERIAL;
	else if (tok_is(&tok[0], "usb"))
		r->kind = AW_USB;
	else {
		set_err(err, errlen, "%s:%u: unknown rule '%.*s' (any, path, serial or usb)", name, line,
			(int)(tok[0].len > 32 ? 32 : tok[0].len), tok[0].p);
		return -1;
	}
	if (ntok != 2) {
		set_err(err, errlen, "%s:%u: '%.*s' takes exactly one value", name, line, (int)tok[0].len,
			tok[0].p);
		return -1;
	}
	if (r->kind == AW_USB) {
		const char *colon = memchr(tok[1].p, ':', tok[1].len);

		if (!colon || hex16(tok[1].p, (size_t)(colon - tok[1].p), &r->vid) ||
		    hex16(colon + 1, tok[1].len - (size_t)(colon - tok[1].p) - 1, &r->pid)) {
			set_err(err, errlen, "%s:%u: usb wants VID:PID, four hex digits each (1a86:7523)", name,
				line);
			return -1;
		}
		snprintf(r->value, sizeof(r->value), "%04x:%04x", r->vid, r->pid);
		return 0;
	}
	if (tok[1].len >= sizeof(r->value)) {
		set_err(err, errlen, "%s:%u: value longer than %d characters", name, line, AW_VALUE_MAX - 1);
		return -1;
	}
	memcpy(r->value, tok[1].p, tok[1].len);
	r->value[tok[1].len] = '\0';
	return 0;
}

int aw_conf_parse(const char *buf, size_t len, const char *name, struct aw_conf *c, char *err,
		  size_t errlen)
{
	unsigned int line = 0;
	size_t pos = 0;

	memset(c, 0, sizeof(*c));
	if (!name)
		name = "(config)";
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		struct aw_rule r;
		int res;

		line++;
		if (memchr(buf + pos, '\0', end - pos)) {
			set_err(err, errlen, "%s:%u: NUL byte (not a text file?)", name, line);
			aw_conf_free(c);
			return -1;
		}
		res = parse_line(buf + pos, end - pos, line, name, &r, err, errlen);
		if (res < 0) {
			aw_conf_free(c);
			return -1;
		}
		if (res == 0) {
			if (c->n >= AW_RULES_MAX) {
				set_err(err, errlen, "%s:%u: more than %d rules", name, line, AW_RULES_MAX);
				aw_conf_free(c);
				return -1;
			}
			if (add_rule(c, &r)) {
				set_err(err, errlen, "%s:%u: out of memory", name, line);
				aw_conf_free(c);
				return -1;
			}
		}
		pos = end + 1;
	}
	return 0;
}

void aw_conf_free(struct aw_conf *c)
{
	free(c->rules);
	memset(c, 0, sizeof(*c));
}

static bool has(const char *s)
{
	return s && *s;
}

static bool rule_matches(const struct aw_rule *r, const struct aw_device *d)
{
	uint16_t vid, pid;

	switch (r->kind) {
	case AW_ANY:
		return true;
	case AW_PATH:
		return has(d->id_path) && fnmatch(r->value, d->id_path, 0) == 0;
	case AW_SERIAL:
		return has(d->serial) && fnmatch(r->value, d->serial, 0) == 0;
	case AW_USB:
		return has(d->vid) && has(d->pid) && hex16(d->vid, strlen(d->vid), &vid) == 0 &&
		       hex16(d->pid, strlen(d->pid), &pid) == 0 && vid == r->vid && pid == r->pid;
	}
	return false;
}

const struct aw_rule *aw_conf_match(const struct aw_conf *c, const struct aw_device *d)
{
	for (size_t i = 0; i < c->n; i++)
		if (rule_matches(&c->rules[i], d))
			return &c->rules[i];
	return NULL;
}

void aw_rule_format(const struct aw_rule *r, char *buf, size_t len)
{
	static const char *const kw[] = { "any", "path", "serial", "usb" };

	if (r->kind == AW_ANY)
		snprintf(buf, len, "any");
	else
		snprintf(buf, len, "%s %s", kw[r->kind], r->value);
}

const char *aw_conf_path(void)
{
	const char *p = getenv(AW_CONF_ENV);

	return p && *p ? p : AW_CONF_DEFAULT_PATH;
}

enum aw_load aw_conf_load(const char *path, uid_t owner_uid, struct aw_conf *c, char *err,
			  size_t errlen)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd, e;

	memset(c, 0, sizeof(*c));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		set_err(err, errlen, "%s: %s", path, strerror(e));
		return e == ENOENT ? AW_LOAD_MISSING : AW_LOAD_IO;
	}
	/* Check the file that was opened, not the name (no swap in between). */
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		set_err(err, errlen, "%s: %s", path, strerror(e));
		return AW_LOAD_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		set_err(err, errlen, "%s: not a regular file; refusing it", path);
		return AW_LOAD_INSECURE;
	}
	if (st.st_uid != 0 && st.st_uid != owner_uid) {
		close(fd);
		set_err(err, errlen, "%s: owned by uid %u, not by root; refusing it", path,
			(unsigned int)st.st_uid);
		return AW_LOAD_INSECURE;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		close(fd);
		set_err(err, errlen, "%s: writable by %s (mode %04o); refusing it (chmod go-w)", path,
			st.st_mode & S_IWOTH ? "everyone" : "its group", (unsigned int)(st.st_mode & 07777));
		return AW_LOAD_INSECURE;
	}
	if (st.st_size > AW_FILE_MAX) {
		close(fd);
		set_err(err, errlen, "%s: larger than %d bytes", path, AW_FILE_MAX);
		return AW_LOAD_SYNTAX;
	}
	buf = malloc(AW_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		set_err(err, errlen, "%s: out of memory", path);
		return AW_LOAD_IO;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, AW_FILE_MAX + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			free(buf);
			close(fd);
			set_err(err, errlen, "%s: %s", path, strerror(e));
			return AW_LOAD_IO;
		}
		if (n == 0 || got + (size_t)n > AW_FILE_MAX) {
			got += (size_t)n;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (got > AW_FILE_MAX) {
		free(buf);
		set_err(err, errlen, "%s: larger than %d bytes", path, AW_FILE_MAX);
		return AW_LOAD_SYNTAX;
	}
	e = aw_conf_parse(buf, got, path, c, err, errlen);
	free(buf);
	return e ? AW_LOAD_SYNTAX : AW_LOAD_OK;
}
