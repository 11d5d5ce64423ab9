// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ttylines: drive a tty's DTR/RTS from userspace, for the system tests and
 * the benchmark (the userspace baseline the kernel attribute is compared to).
 *
 *   ttylines DEV roundtrip       set four line states, read each back
 *   ttylines DEV seq STEPS       one TIOCMSET per step, in espwipe.ko's notation,
 *                                e.g. "U0,1|W0.1|U1,0|W0.05|U0,0" (Dn, Rn, Ud,r set
 *                                lines; Ws holds s seconds, clock_nanosleep absolute)
 *   ttylines DEV hold SECONDS    open the port and keep it open
 *   ttylines DEV hold SECONDS lock|excl   ... holding flock(LOCK_EX), or with
 *                                TIOCEXCL set; prints "held" once it holds the port
 *   ttylines now                 print CLOCK_MONOTONIC in microseconds
 *
 * Prints one "step <i> t_us=<when TIOCMSET returned> dtr= rts=" line per step.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_STEPS 64

struct step {
	bool dtr, rts;
	double hold_ms; /* after this step */
};

static uint64_t ts_us(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000u + (uint64_t)ts->tv_nsec / 1000u;
}

static int set_lines(int fd, bool dtr, bool rts)
{
	int bits = 0;

	if (ioctl(fd, TIOCMGET, &bits) < 0)
		return -1;
	bits &= ~(TIOCM_DTR | TIOCM_RTS);
	bits |= (dtr ? TIOCM_DTR : 0) | (rts ? TIOCM_RTS : 0);
	return ioctl(fd, TIOCMSET, &bits);
}

static int roundtrip(int fd)
{
	static const bool states[][2] = { { true, false }, { false, true },
					  { false, false }, { true, true } };
	int fails = 0;
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		int bits = 0;

		if (set_lines(fd, states[i][0], states[i][1]) < 0 ||
		    ioctl(fd, TIOCMGET, &bits) < 0) {
			printf("roundtrip %zu error %s\n", i, strerror(errno));
			return 1;
		}
		bool dtr = bits & TIOCM_DTR, rts = bits & TIOCM_RTS;
		bool ok = dtr == states[i][0] && rts == states[i][1];

		printf("roundtrip %zu set dtr=%d rts=%d get dtr=%d rts=%d %s\n", i,
		       states[i][0], states[i][1], dtr, rts, ok ? "ok" : "MISMATCH");
		fails += !ok;
	}
	return fails ? 1 : 0;
}

/*
 * Parse the module's step notation: D<0|1>, R<0|1>, U<dtr>,<rts> are one
 * TIOCMSET each; W<seconds> holds after the step before it.
 */
static int parse_steps(const char *spec, bool dtr, bool rts, struct step *out, size_t *n)
{
	char *copy = strdup(spec), *save = NULL, *tok;

	*n = 0;
	if (!copy)
		return -1;
	for (tok = strtok_r(copy, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		char *end;

		if (tok[0] == 'W') {
			double s = strtod(tok + 1, &end);

			if (*end || s < 0 || !*n)
				goto bad;
			out[*n - 1].hold_ms += s * 1000.0;
			continue;
		}
		if (*n >= MAX_STEPS)
			goto bad;
		if ((tok[0] == 'D' || tok[0] == 'R') && (tok[1] == '0' || tok[1] == '1') && !tok[2]) {
			if (tok[0] == 'D')
				dtr = tok[1] == '1';
			else
				rts = tok[1] == '1';
		} else if (tok[0] == 'U' && (tok[1] == '0' || tok[1] == '1') && tok[2] == ',' &&
			   (tok[3] == '0' || tok[3] == '1') && !tok[4]) {
			dtr = tok[1] == '1';
			rts = tok[3] == '1';
		} else {
			goto bad;
		}
		out[*n] = (struct step){ dtr, rts, 0 };
		(*n)++;
	}
	free(copy);
	return 0;
bad:
	fprintf(stderr, "ttylines: bad step list '%s'\n", spec);
	free(copy);
	return -1;
}

static int run_steps(int fd, const char *spec)
{
	struct step steps[MAX_STEPS];
	size_t n, i;
	int bits = 0;

	if (ioctl(fd, TIOCMGET, &bits) < 0 ||
	    parse_steps(spec, bits & TIOCM_DTR, bits & TIOCM_RTS, steps, &n))
		return 2;
	for (i = 0; i < n; i++) {
		struct timespec done;

		if (set_lines(fd, steps[i].dtr, steps[i].rts) < 0) {
			printf("step %zu error %s\n", i, strerror(errno));
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &done);
		printf("step %zu t_us=%llu dtr=%d rts=%d hold_ms=%g\n", i,
		       (unsigned long long)ts_us(&done), steps[i].dtr, steps[i].rts,
		       steps[i].hold_ms);
		if (steps[i].hold_ms > 0) {
			long long ns = (long long)(steps[i].hold_ms * 1e6 + 0.5);
			struct timespec until = done;

			until.tv_sec += (time_t)(ns / 1000000000);
			until.tv_nsec += (long)(ns % 1000000000);
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
				;
		}
	}
	return 0;
}

/* Keep the port open for secs seconds, locked the way other programs lock it. */
static int hold_port(int fd, int secs, const char *how)
{
	if (!strcmp(how, "lock")) {
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			perror("ttylines: flock");
			return 1;
		}
	} else if (!strcmp(how, "excl")) {
		if (ioctl(fd, TIOCEXCL) < 0) {
			perror("ttylines: TIOCEXCL");
			return 1;
		}
	} else {
		fprintf(stderr, "ttylines: hold: 'lock' or 'excl', not '%s'\n", how);
		return 2;
	}
	printf("held\n");
	fflush(stdout);
	return sleep((unsigned int)secs) ? 1 : 0;
}

int main(int argc, char **argv)
{
	int fd, rc;

	if (argc == 2 && !strcmp(argv[1], "now")) {
		struct timespec t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		printf("%llu\n", (unsigned long long)ts_us(&t));
		return 0;
	}
	if (argc < 3) {
		fputs("usage: ttylines DEV roundtrip | seq STEPS | hold SECONDS; ttylines now\n", stderr);
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "ttylines: %s: %s\n", argv[1], strerror(errno));
		return 3;
	}
	if (!strcmp(argv[2], "roundtrip"))
		rc = roundtrip(fd);
	else if (!strcmp(argv[2], "seq") && argc > 3)
		rc = run_steps(fd, argv[3]);
	else if (!strcmp(argv[2], "hold") && argc > 4)
		rc = hold_port(fd, atoi(argv[3]), argv[4]);
	else if (!strcmp(argv[2], "hold") && argc > 3)
		rc = sleep((unsigned int)atoi(argv[3])) ? 1 : 0;
	else
		rc = 2;
	fflush(stdout);
	close(fd);
	return rc;
}
