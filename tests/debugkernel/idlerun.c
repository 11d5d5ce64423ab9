// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * idlerun CMD [ARG...]: run CMD under SCHED_IDLE, for the debug guest's
 * dk-unplug-busy scenario (busybox has no chrt).  A SCHED_IDLE writer gets
 * the CPU only when no normal task wants it, so the kernel's unplug work
 * runs ahead of it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sched_param sp = { .sched_priority = 0 };

	if (argc < 2) {
		fprintf(stderr, "usage: idlerun CMD [ARG...]\n");
		return 2;
	}
	if (sched_setscheduler(0, SCHED_IDLE, &sp)) {
		perror("idlerun: sched_setscheduler");
		return 1;
	}
	execvp(argv[1], argv + 1);
	perror("idlerun: exec");
	return 127;
}
