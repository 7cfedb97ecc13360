/*
 * sysprobe: makes chosen system calls with harmless arguments and prints, for each, one line
 * "OP: ok" or "OP: errno N", so a test can see what a seccomp filter did to it (a call the filter
 * kills ends the process with SIGSYS before its line).
 *
 *   sysprobe OP [OP...]
 *
 * Each OP runs in order, in this process; "fork:OP" runs OP in a forked child (which prints
 * the line) and waits for it. The OPs:
 *
 *   getpid getppid getpgrp   never fail without a filter
 *   keyctl          keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0): no keyring is
 *                   created, so ENOKEY (or a number) without a filter
 *   bpf             bpf(0x7fff, NULL, 0): EINVAL without a filter (an unknown command)
 *   mount           mount("none", "/nonexistent-sysprobe", "tmpfs"): ENOENT without a filter
 *   unshare-user    unshare(CLONE_NEWUSER) (changes only this process)
 *   clone-user      clone(CLONE_NEWUSER|SIGCHLD); the child exits at once
 *   tiocsti         in a forked child made session leader with a new pty as its controlling
 *                   terminal: ioctl(slave, TIOCSTI, "x"); the line says whether the byte arrived
 *   tiocsti-hi      the same with the request's upper 32 bits set (the kernel reads 32 bits)
 *   x32-getppid     syscall(__X32_SYSCALL_BIT | 110), x86_64 only
 *   i386-getpid i386-getppid i386-keyctl   the same calls through int $0x80 (the i386 ABI,
 *                   numbers 20, 64, 288), x86_64 only
 *   forkn:N         fork N children that wait for SIGKILL (or 30 s), print "forked OK failed F",
 *                   then kill and reap them
 *
 * Output is unbuffered, so a line printed before a fatal call is seen.
 * Built by the tests with `cc -O2 -Wall -Wextra -Werror -o sysprobe sysprobe.c`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void report(const char *op, long rc, int err)
{
    if (rc < 0) {
        printf("%s: errno %d\n", op, err);
    } else {
        printf("%s: ok\n", op);
    }
}

#if defined(__x86_64__)
/* An i386 system call through int $0x80 from this 64-bit process: returns -errno or the value. */
static long int80(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(nr), "b"(a), "c"(b), "d"(c)
                     : "memory", "r8", "r9", "r10", "r11");
    return ret;
}

static void report_raw(const char *op, long ret)
{
    if (ret < 0 && ret > -4096) {
        printf("%s: errno %ld\n", op, -ret);
    } else {
        printf("%s: ok\n", op);
    }
}
#endif

static int tiocsti(const char *op, unsigned long request)
{
    pid_t pid = fork();
    if (pid < 0) {
        printf("%s: fork failed: %s\n", op, strerror(errno));
        return 1;
    }
    if (pid == 0) {
        if (setsid() < 0) {
            printf("%s: setsid failed: %s\n", op, strerror(errno));
            _exit(1);
        }
        int master = posix_openpt(O_RDWR | O_NOCTTY);
        if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
            printf("%s: no pty: %s\n", op, strerror(errno));
            _exit(1);
        }
        const char *name = ptsname(master);
        int slave = name ? open(name, O_RDWR) : -1; /* without O_NOCTTY: the controlling tty */
        if (slave < 0) {
            printf("%s: open pty slave: %s\n", op, strerror(errno));
            _exit(1);
        }
        struct termios t;
        if (tcgetattr(slave, &t) == 0) {
            cfmakeraw(&t);
            tcsetattr(slave, TCSANOW, &t);
        }
        char c = 'x';
        long rc = syscall(SYS_ioctl, slave, request, &c);
        int err = errno;
        if (rc < 0) {
            printf("%s: errno %d\n", op, err);
            _exit(0);
        }
        /* The byte pushed is input of the slave: read it back (raw mode, non-blocking). */
        fcntl(slave, F_SETFL, O_NONBLOCK);
        char got = 0;
        ssize_t n = -1;
        for (int i = 0; i < 100 && n != 1; i++) {
            n = read(slave, &got, 1);
            if (n != 1) {
                usleep(10000);
            }
        }
        printf("%s: ok%s\n", op, n == 1 && got == 'x' ? " pushed" : " (byte not seen)");
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    return 0;
}

static int forkn(const char *arg)
{
    int n = atoi(arg);
    pid_t *kids = calloc((size_t)n + 1, sizeof *kids);
    int ok = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            failed++;
            continue;
        }
        if (pid == 0) {
            sleep(30);
            _exit(0);
        }
        kids[ok++] = pid;
    }
    printf("forked %d failed %d\n", ok, failed);
    for (int i = 0; i < ok; i++) {
        kill(kids[i], SIGKILL);
    }
    for (int i = 0; i < ok; i++) {
        waitpid(kids[i], NULL, 0);
    }
    return 0;
}

static int one(const char *op)
{
    long rc;
    if (strncmp(op, "fork:", 5) == 0) {
        pid_t pid = fork();
        if (pid < 0) {
            printf("%s: fork failed: %s\n", op, strerror(errno));
            return 1;
        }
        if (pid == 0) {
            _exit(one(op + 5));
        }
        int st;
        waitpid(pid, &st, 0);
        if (WIFSIGNALED(st)) {
            printf("%s: killed by signal %d\n", op, WTERMSIG(st));
        }
        return 0;
    }
    if (strncmp(op, "forkn:", 6) == 0) {
        return forkn(op + 6);
    }
    errno = 0;
    if (strcmp(op, "getpid") == 0) {
        rc = syscall(SYS_getpid);
    } else if (strcmp(op, "getppid") == 0) {
        rc = syscall(SYS_getppid);
    } else if (strcmp(op, "getpgrp") == 0) {
#ifdef SYS_getpgrp
        rc = syscall(SYS_getpgrp);
#else
        rc = syscall(SYS_getpgid, 0);
#endif
    } else if (strcmp(op, "keyctl") == 0) {
        rc = syscall(SYS_keyctl, 0L /* KEYCTL_GET_KEYRING_ID */, -1L /* thread keyring */, 0L);
    } else if (strcmp(op, "bpf") == 0) {
        rc = syscall(SYS_bpf, 0x7fffL, NULL, 0L);
    } else if (strcmp(op, "mount") == 0) {
        rc = syscall(SYS_mount, "none", "/nonexistent-sysprobe", "tmpfs", 0L, NULL);
    } else if (strcmp(op, "unshare-user") == 0) {
        rc = syscall(SYS_unshare, (long)CLONE_NEWUSER);
    } else if (strcmp(op, "clone-user") == 0) {
        rc = syscall(SYS_clone, (long)(CLONE_NEWUSER | SIGCHLD), 0L, 0L, 0L, 0L);
        if (rc == 0) {
            _exit(0);
        }
        int err = errno;
        if (rc > 0) {
            waitpid((pid_t)rc, NULL, 0);
        }
        errno = err;
    } else if (strcmp(op, "tiocsti") == 0) {
        return tiocsti(op, TIOCSTI);
    } else if (strcmp(op, "tiocsti-hi") == 0) {
        return tiocsti(op, 0xffffffff00000000UL | TIOCSTI);
#if defined(__x86_64__)
    } else if (strcmp(op, "x32-getppid") == 0) {
        rc = syscall(0x40000000L | SYS_getppid);
    } else if (strcmp(op, "i386-getpid") == 0) {
        report_raw(op, int80(20, 0, 0, 0));
        return 0;
    } else if (strcmp(op, "i386-getppid") == 0) {
        report_raw(op, int80(64, 0, 0, 0));
        return 0;
    } else if (strcmp(op, "i386-keyctl") == 0) {
        report_raw(op, int80(288, 0, -1, 0));
        return 0;
#endif
    } else {
        fprintf(stderr, "sysprobe: unknown op '%s'\n", op);
        exit(2);
    }
    report(op, rc, errno);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) {
        fprintf(stderr, "usage: sysprobe OP [OP...]\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        one(argv[i]);
    }
    return 0;
}
