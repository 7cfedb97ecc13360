/*
 * lifecycle.c - one OCI lifecycle without a shell, for scripts/bench-oci.sh:
 *
 *   lifecycle RUNTIME STATE_DIR BUNDLE ID
 *
 * runs `RUNTIME --root STATE_DIR create --bundle BUNDLE ID` with its stdout on a pipe,
 * then `RUNTIME --root STATE_DIR start ID`, reads the pipe to its end (the container's
 * process holds it: its end is the wait), then `RUNTIME --root STATE_DIR delete --force ID`.
 * The same commands as the script's `bash -c` form, without bash and cat: what is left is the
 * runtimes' own time (and this program's few forks). Exits 0 when every step exits 0, else
 * 1 with the step on stderr. RUNTIME must be a path: no PATH search.
 *
 * Build: musl-gcc -static -Os -o lifecycle lifecycle.c
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char **env;

/* Runs argv with stdout on out (if >= 0); returns 0 when it exits 0. */
static int run(char *const argv[], int out, int close_fd)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out >= 0 && dup2(out, 1) < 0)
			_exit(126);
		if (close_fd >= 0)
			close(close_fd);
		if (out >= 0 && out != 1)
			close(out);
		execve(argv[0], argv, env);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int fail(const char *step)
{
	fprintf(stderr, "lifecycle: %s failed\n", step);
	return 1;
}

int main(int argc, char **argv, char **envp)
{
	env = envp;
	if (argc != 5) {
		fprintf(stderr, "usage: lifecycle RUNTIME STATE_DIR BUNDLE ID\n");
		return 2;
	}
	char *rt = argv[1], *root = argv[2], *bundle = argv[3], *id = argv[4];
	int p[2];
	if (pipe(p) < 0)
		return fail("pipe");
	char *create[] = { rt, "--root", root, "create", "--bundle", bundle, id, NULL };
	if (run(create, p[1], p[0]) < 0)
		return fail("create");
	char *start[] = { rt, "--root", root, "start", id, NULL };
	if (run(start, p[1], p[0]) < 0)
		return fail("start");
	close(p[1]);
	char buf[512];
	while (read(p[0], buf, sizeof buf) > 0)
		;
	close(p[0]);
	char *del[] = { rt, "--root", root, "delete", "--force", id, NULL };
	if (run(del, -1, -1) < 0)
		return fail("delete");
	return 0;
}
