/*
 * pairs.c - the added cost of one command over another, paired run by run, for
 * scripts/bench-named.sh:
 *
 *   pairs N WARMUP A-PATH A-ARGS... ::: B-PATH B-ARGS...
 *
 * runs A and B alternately N times each (A first in even pairs, B first in odd ones), after
 * WARMUP pairs not counted, each with stdin, stdout and stderr on /dev/null, timing each from
 * fork to the end of its wait with CLOCK_MONOTONIC. Prints one line:
 *
 *   a_median_us b_median_us diff_median_us diff_p25_us diff_p75_us
 *
 * where diff is B's time minus A's in the same pair. Two runs a few milliseconds apart see the
 * same machine: the drift of this VM from one minute to the next (larger than a named run's
 * added cost) falls out of each difference. Exits 1 when a run fails (its status on stderr).
 * The paths must be paths: no PATH search.
 *
 * Build: cc -O2 -o pairs pairs.c
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char **env;

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Runs argv once; its time in microseconds, or exits 1 if it fails. */
static double timed(char *const argv[], int null)
{
	double start = now_us();
	pid_t pid = fork();
	if (pid < 0) {
		perror("pairs: fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execve(argv[0], argv, env);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid) {
		perror("pairs: waitpid");
		exit(1);
	}
	double took = now_us() - start;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "pairs: %s failed (wait status %d)\n", argv[0], st);
		exit(1);
	}
	return took;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv, char **envp)
{
	env = envp;
	if (argc < 6) {
		fprintf(stderr, "usage: pairs N WARMUP A-PATH A-ARGS... ::: B-PATH B-ARGS...\n");
		return 2;
	}
	long n = strtol(argv[1], NULL, 10), warmup = strtol(argv[2], NULL, 10);
	char **a = argv + 3, **b = NULL;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], ":::") == 0) {
			argv[i] = NULL;
			b = argv + i + 1;
			break;
		}
	}
	if (n < 2 || warmup < 0 || b == NULL || b[0] == NULL || a[0] == NULL) {
		fprintf(stderr, "usage: pairs N WARMUP A-PATH A-ARGS... ::: B-PATH B-ARGS...\n");
		return 2;
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0) {
		perror("pairs: /dev/null");
		return 1;
	}
	for (long i = 0; i < warmup; i++) {
		timed(a, null);
		timed(b, null);
	}
	double *ta = malloc(n * sizeof *ta), *tb = malloc(n * sizeof *tb), *d = malloc(n * sizeof *d);
	if (!ta || !tb || !d) {
		fprintf(stderr, "pairs: out of memory\n");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		if (i % 2 == 0) {
			ta[i] = timed(a, null);
			tb[i] = timed(b, null);
		} else {
			tb[i] = timed(b, null);
			ta[i] = timed(a, null);
		}
		d[i] = tb[i] - ta[i];
	}
	qsort(ta, n, sizeof *ta, cmp);
	qsort(tb, n, sizeof *tb, cmp);
	qsort(d, n, sizeof *d, cmp);
	printf("%.1f %.1f %.1f %.1f %.1f\n", ta[n / 2], tb[n / 2], d[n / 2], d[n / 4], d[3 * n / 4]);
	return 0;
}
