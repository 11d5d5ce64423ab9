/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Runs every unit test group and prints the "N passed, N failed" line. */
#include <stdio.h>

#include "unit.h"

int main(void)
{
	int total = 0, failed = 0;

	failed += unit_slip_tests(&total);
	failed += unit_rom_tests(&total);
	failed += unit_connect_tests(&total);
	failed += unit_chip_tests(&total);
	failed += unit_flashplan_tests(&total);
	failed += unit_family_tests(&total);
	failed += unit_links_tests(&total);
	printf("%d passed, %d failed\n", total - failed, failed);
	fflush(stdout); /* before any sanitizer exit handler can abort */
	return failed ? 1 : 0;
}
