/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few types the sequence parser needs, from the kernel when it is built
 * into espwipe.ko and from libc when the unit tests and fuzzers build it.
 * Nothing else may be included by espwipe_seq.c.
 */
#ifndef ESPWIPE_SHIM_H
#define ESPWIPE_SHIM_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#endif

#endif /* ESPWIPE_SHIM_H */
