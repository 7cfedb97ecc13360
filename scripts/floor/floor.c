/*
 * floor.c - the least work a namespace launcher has to do; the "floor" that
 * scripts/bench.sh measures nsrun against.
 *
 *   floor-plain CMD [ARG...]   clone(2) into new mount, UTS, IPC, net and PID
 *                              namespaces; the child makes / recursively private,
 *                              mounts a fresh /proc and execs CMD as PID 1.
 *   floor-init  CMD [ARG...]   (built with -DINIT_FLOOR) the same, but the child
 *                              stays PID 1, vforks CMD, waits for it and exits
 *                              with its status (nsrun's default init mode).
 *
 * Built with -DLO_UP, the child also brings up the loopback interface first
 * (socket + SIOCGIFFLAGS + SIOCSIFFLAGS), as nsrun does in a new network
 * namespace: a like-for-like floor beside the one the targets name.
 *
 * The parent waits and exits with the child's status (128+N if killed by
 * signal N). Each syscall is checked and a failure exits non-zero; nothing else.
 * CMD must be a path: no PATH search.
 *
 * Build: musl-gcc -static -Os [-DINIT_FLOOR] -o floor-plain floor.c
 */
#define _GNU_SOURCE
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (64 * 1024)

extern char **environ;

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

#ifdef LO_UP
static int lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
		return -1;
	return close(fd);
}
#endif

static int child(void *arg)
{
	char **argv = arg;

#ifdef LO_UP
	if (lo_up() != 0)
		return 125;
#endif
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 125;
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		return 125;
#ifdef INIT_FLOOR
	pid_t pid = vfork();
	if (pid < 0)
		return 125;
	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return 125;
	return status_code(st);
#else
	execve(argv[0], argv, environ);
	return 127;
#endif
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;

	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return 125;

	pid_t pid = clone(child, stack + STACK_SIZE,
			  CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
			  CLONE_NEWPID | SIGCHLD, argv + 1);
	if (pid < 0)
		return 125;

	int st;
	if (waitpid(pid, &st, 0) != pid)
		return 125;
	return status_code(st);
}
