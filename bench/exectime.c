/*
 * exectime N STDIN PROGRAM [ARG...]: run PROGRAM N times, as a web server
 * runs a CGI program (its environment, STDIN as the body, stdout to
 * /dev/null), one after another; print the median and 99th percentile
 * wall time per run in microseconds, and the largest peak RSS in KiB.
 * Each run is timed from fork to reaped exit, as a server would see it.
 */
#define _GNU_SOURCE

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int
cmp(const void *a, const void *b)
{
	long	 x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	struct timespec	 t0, t1;
	struct rusage	 ru;
	long		*us, maxrss = 0;
	int		 n, i, in, out, st;
	pid_t		 pid;

	if (argc < 4 || (n = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: exectime N STDIN PROGRAM [ARG...]\n");
		return 2;
	}
	if ((us = calloc((size_t)n, sizeof(*us))) == NULL ||
	    (out = open("/dev/null", O_WRONLY)) == -1)
		return 1;
	for (i = 0; i < n; i++) {
		if ((in = open(argv[2], O_RDONLY)) == -1) {
			perror(argv[2]);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if ((pid = fork()) == 0) {
			dup2(in, 0);
			dup2(out, 1);
			execv(argv[3], argv + 3);
			_exit(127);
		}
		if (pid == -1 || wait4(pid, &st, 0, &ru) != pid ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "exectime: %s failed\n", argv[3]);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		close(in);
		us[i] = (t1.tv_sec - t0.tv_sec) * 1000000L +
		    (t1.tv_nsec - t0.tv_nsec) / 1000;
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
	}
	qsort(us, (size_t)n, sizeof(*us), cmp);
	printf("%ld %ld %ld\n", us[n / 2], us[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1],
	    maxrss);
	return 0;
}
