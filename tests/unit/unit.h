/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The unit test groups; each runs its cmocka group and returns the failures. */
#ifndef ESPWIPE_UNIT_H
#define ESPWIPE_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Run a group, add its size to *total, return the number of failed tests. */
#define UNIT_RUN_GROUP(name, tests, total)                                     \
	(*(total) += (int)(sizeof(tests) / sizeof((tests)[0])),                \
	 cmocka_run_group_tests_name(name, tests, NULL, NULL))

int unit_slip_tests(int *total);
int unit_rom_tests(int *total);
int unit_connect_tests(int *total);
int unit_chip_tests(int *total);
int unit_flashplan_tests(int *total);
int unit_family_tests(int *total);
int unit_links_tests(int *total);

#endif /* ESPWIPE_UNIT_H */
