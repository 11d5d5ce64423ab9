/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The serial port: opening it exclusively, raw termios, the modem lines, and
 * the ways of putting the chip into its ROM loader (the espwipe.ko sysfs
 * attribute, TIOCMSET steps, or nothing), with the sequences of the port's
 * link (links.h).  On a link whose tty re-enumerates on reset (USB-Serial/
 * JTAG) it finds the port again after the reset (refind.h), also when the
 * hang-up shows only in the first reads or writes after it.  Implements
 * struct transport.
 */
#ifndef ESPWIPE_PORT_H
#define ESPWIPE_PORT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "refind.h"
#include "transport.h"

struct link_row;
struct dev_props;

enum reset_method {
	RESET_AUTO,  /* sysfs attribute if present and writable, else TIOCMSET, else none */
	RESET_SYSFS, /* the espwipe.ko attribute; fail if missing */
	RESET_TIOCM, /* one TIOCMSET per step from userspace */
	RESET_NONE,  /* the chip is already in its loader */
};

enum after_action {
	AFTER_HARD_RESET,
	AFTER_STAY,
};

const char *reset_method_name(enum reset_method m);
int reset_method_parse(const char *s, enum reset_method *m);

/* Called while a read waits, at most every tick_ms (progress display). */
typedef void (*port_tick_fn)(void *ctx, uint64_t now_us);

struct port {
	char path[PATH_MAX];     /* as given by the user */
	char tty_name[NAME_MAX + 1]; /* e.g. ttyUSB0 */
	char sysfs_dev[PATH_MAX]; /* <sysfs>/class/tty/<name>/device */
	int fd;
	uint32_t baud;
	bool has_lines;          /* TIOCMGET works (false on a pty) */
	bool excl_set;           /* we set TIOCEXCL: clear it again on close */
	enum reset_method used;  /* what the last enter/reset actually used */
	port_tick_fn tick;
	void *tick_ctx;
	int tick_ms;
	struct transport tr;
	/* added with the link table */
	const struct link_row *link; /* NULL: not known, the classic sequences */
	struct refind_id who;    /* the board, for finding it again after a reset */
	struct refind *refind;   /* watching, from a reset on a re-enumerating link */
	bool refind_armed;       /* until port_link_settled() */
	unsigned int comebacks;  /* times the port left the bus and was found again */
	unsigned int comeback_ms; /* how long the last absence took */
	char comeback_path[PATH_MAX]; /* where it came back */
	int refind_err;          /* it left the bus and was not found again: -ETIMEDOUT, -EINTR, ... */
};

/* Why port_open failed, for the caller's message and exit code. */
enum port_error {
	PORT_OK,
	PORT_NOT_FOUND,
	PORT_DENIED,
	PORT_BUSY,
	PORT_NOT_TTY,
	PORT_BAD_BAUD,
	PORT_OTHER,
};

/* Open path exclusively (flock + TIOCEXCL) in raw mode at baud. */
enum port_error port_open(struct port *p, const char *path, uint32_t baud, int *err);
void port_close(struct port *p);

/*
 * The port's link (NULL: unknown; the classic sequences) and its udev record
 * (NULL if none), which names the board for finding it again.
 */
void port_set_link(struct port *p, const struct link_row *link, const struct dev_props *props);
/* The ROM answered: a later hang-up is a lost link, not a re-enumeration. */
void port_link_settled(struct port *p);

/*
 * Enter the loader with the link's sequence.  attempt selects the variant
 * where the link has two (classic: even 50 ms, odd 550 ms GPIO0 hold).
 * Sets p->used.  0 or -errno (-ENOENT: sysfs asked for but the module's
 * attribute is missing; on a re-enumerating link, when the port left the
 * bus and did not come back, p->refind_err says why).
 */
int port_enter_loader(struct port *p, enum reset_method m, int attempt);
/*
 * Hard reset into the application: the link's reset sequence, or the
 * module's `reset`.  -ENOTTY when the port has no lines or the link cannot
 * be reset by them.  On a re-enumerating link the port going away after the
 * reset is success.
 */
int port_hard_reset(struct port *p, enum reset_method m);
/* The link's loader sequence text (NULL: the lines cannot enter it). */
const char *port_loader_sequence(const struct port *p, int attempt);

/* Resolve the method `auto` would use for this port (for messages). */
enum reset_method port_resolve_method(const struct port *p, enum reset_method m);

/*
 * Catch SIGTERM, SIGINT and SIGHUP: the waits in this file then return
 * -EINTR at once, so the caller can still report what was done.
 */
int port_catch_stop_signals(void);
/* The stop signal caught, or 0. */
int port_stop_signal(void);
/*
 * A descriptor that becomes readable (and stays so) when a stop signal is
 * caught, for a thread's own poll(); -1 before port_catch_stop_signals().
 */
int port_stop_fd(void);

/* Monotonic clock, microseconds. */
uint64_t port_now_us(void);

#endif /* ESPWIPE_PORT_H */
