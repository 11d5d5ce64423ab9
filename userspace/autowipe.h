/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `espwipe autowipe PORT`: run by espwipe-autowipe@.service when a board is
 * plugged in.  Erases the board (as `espwipe erase` with the default reset
 * and a hard reset after) only if the allow-list names it, and at most once
 * per plug-in: a marker in $ESPWIPE_RUNDIR (default /run/espwipe), keyed by
 * udev's USEC_INITIALIZED for the device, is claimed before the board is
 * touched.
 */
#ifndef ESPWIPE_AUTOWIPE_H
#define ESPWIPE_AUTOWIPE_H

#include <stddef.h>

#include "ops.h"
#include "output.h"

#define AUTOWIPE_RUNDIR_DEFAULT "/run/espwipe"
#define AUTOWIPE_RUNDIR_ENV "ESPWIPE_RUNDIR"

/* Returns the exit code. */
int autowipe_run(const struct op_options *o, struct output *out);

/* "plug-<key>" with every character outside [A-Za-z0-9._-] replaced by '_' (pure). */
void autowipe_marker_name(const char *plug_key, char *buf, size_t len);

#endif /* ESPWIPE_AUTOWIPE_H */
