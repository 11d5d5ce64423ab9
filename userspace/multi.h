/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Several boards from one process: every -p, --all, or erase --each (wipe
 * each board as it is plugged in).  One thread per board runs ops_run with
 * its own session, port, link and output; each board's output goes through a
 * sink to the live table (on a terminal) or to one line / JSON object per
 * event with the port attached, and a summary at the end.
 *
 * Exit code: 0 when every board succeeded; otherwise the code of the first
 * failed board in the table's order (by socket, i.e. ID_PATH; boards without
 * one after, by device path; with --each, a socket's wipes in plug-in order).
 */
#ifndef ESPWIPE_MULTI_H
#define ESPWIPE_MULTI_H

#include <stdbool.h>

#include "ops.h"
#include "output.h"

/* Does this command line run several boards (more than one -p, --all, --each)? */
bool multi_wanted(const struct op_options *o);

/* Run it; out is the process's output (mode, -q, -v), for what is no board's. */
int multi_run(const struct op_options *o, struct output *out);

#endif /* ESPWIPE_MULTI_H */
