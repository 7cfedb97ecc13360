/* sleeper.c - static sleeper for the memory measurements in scripts/bench.sh:
 * sleeps SECONDS (default 5) and exits 0. No PATH lookup, no shell, no libc
 * start-up beyond musl's. The bench script ends it early with SIGKILL. */
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec ts = { argc > 1 ? atoi(argv[1]) : 5, 0 };

	while (nanosleep(&ts, &ts) != 0)
		;
	return 0;
}
