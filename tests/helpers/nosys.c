/*
 * nosys: runs a command under a seccomp filter that makes chosen syscalls fail with ENOSYS, as
 * on a kernel that predates them. The filter is inherited across fork, clone and execve, so the
 * command and everything it starts (nsrun, its init, the container's command) run under it.
 *
 *   nosys SYSCALL[,SYSCALL...] -- CMD [ARG...]   run CMD with the listed syscalls missing
 *   nosys all -- CMD [ARG...]                    every syscall of the table missing
 *   nosys setns_flags[,...] -- CMD [ARG...]      setns(2) as before Linux 5.8: a call whose
 *                                                type is not 0 or one CLONE_NEW* flag (the
 *                                                several flags of a setns through a pidfd) fails
 *                                                with EINVAL; may be combined with the names above
 *   nosys pidfd_ns_ioctls[,...] -- CMD [ARG...]  ioctl(2) as before Linux 6.11: the requests
 *                                                PIDFD_GET_*_NAMESPACE (_IO(0xFF, 1..10)) fail
 *                                                with ENOTTY; may be combined as setns_flags
 *   nosys --probe SYSCALL                        call SYSCALL with harmless invalid arguments
 *                                                and print "SYSCALL: ENOSYS" or "SYSCALL: errno N"
 *   nosys --list                                 print the names the table knows
 *
 * Exit status: 2 bad usage, 125 the filter could not be installed, 126/127 CMD could not be
 * executed, else CMD's own status.
 *
 * As root the filter is installed as it is; without CAP_SYS_ADMIN the kernel requires
 * no_new_privs first, and nosys sets it then (only then, so root's runs keep setuid and
 * nsrun's --no-new-privs meaningful).
 *
 * The filter (classic BPF) checks the architecture first: a syscall made with another ABI
 * (i386 on x86-64, arm32 on arm64) has other numbers, and is allowed unfiltered. On x86-64 the
 * x32 bit is masked off, so an x32 call of a listed syscall is caught too. This is a test helper
 * for kernel-fallback tests, not a sandbox.
 *
 * Built by the tests with `cc -O2 -o nosys nosys.c` (tests/helpers/mod.rs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NOSYS_ARCH AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define NOSYS_ARCH AUDIT_ARCH_AARCH64
#else
#error "nosys knows the syscall numbers of x86-64 and arm64 only"
#endif

/* Numbers the headers of an older libc may lack: the same on x86-64 and arm64 (the unified
 * numbering from 403 up), except statx. */
#ifndef SYS_statx
#if defined(__x86_64__)
#define SYS_statx 332
#else
#define SYS_statx 291
#endif
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_fspick
#define SYS_fspick 433
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

struct entry {
    const char *name;
    long nr;
    const char *since; /* the first Linux release with it */
};

static const struct entry table[] = {
    {"seccomp", SYS_seccomp, "3.17"},
    {"statx", SYS_statx, "4.11"},
    {"pidfd_send_signal", SYS_pidfd_send_signal, "5.1"},
    {"open_tree", SYS_open_tree, "5.2"},
    {"move_mount", SYS_move_mount, "5.2"},
    {"fsopen", SYS_fsopen, "5.2"},
    {"fsconfig", SYS_fsconfig, "5.2"},
    {"fsmount", SYS_fsmount, "5.2"},
    {"fspick", SYS_fspick, "5.2"},
    {"pidfd_open", SYS_pidfd_open, "5.3"},
    {"clone3", SYS_clone3, "5.3"},
    {"openat2", SYS_openat2, "5.6"},
    {"pidfd_getfd", SYS_pidfd_getfd, "5.6"},
    {"close_range", SYS_close_range, "5.9"},
    {"mount_setattr", SYS_mount_setattr, "5.12"},
};
#define TABLE_LEN (sizeof table / sizeof table[0])

static void usage(void)
{
    fprintf(stderr, "usage: nosys SYSCALL[,SYSCALL...]|all -- CMD [ARG...]\n"
                    "       nosys --probe SYSCALL\n"
                    "       nosys --list\n");
    exit(2);
}

/* The pseudo-name for setns(2) before 5.8 (see the usage above), and the types it lets through. */
static const char SETNS_FLAGS[] = "setns_flags";
static const unsigned setns_types[] = {
    0, CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, 0x80 /* CLONE_NEWTIME */,
};
#define SETNS_TYPES (sizeof setns_types / sizeof setns_types[0])
/* The instructions the setns block takes: the test of the number, the load of the type, one
 * test per type and the EINVAL. */
#define SETNS_BLOCK (1 + 1 + SETNS_TYPES + 1)

/* The pseudo-name for ioctl(2) before 6.11 (see the usage above). Its block: the test of the
 * number, the load of the request, two tests of its range and the ENOTTY. */
static const char NS_IOCTLS[] = "pidfd_ns_ioctls";
#define NS_IOCTL_BLOCK 5

static const struct entry *lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < TABLE_LEN; i++) {
        if (strlen(table[i].name) == len && memcmp(table[i].name, name, len) == 0) {
            return &table[i];
        }
    }
    return NULL;
}

/* Calls the syscall with every argument -1: an invalid descriptor, flags with unknown bits, a
 * size past any limit and pointers into nothing, so each of these calls fails before it does
 * anything (EBADF, EINVAL, E2BIG, EFAULT); ENOSYS says the kernel (or a filter) lacks it. */
static int probe(const char *name)
{
    const struct entry *e = lookup(name, strlen(name));
    if (e == NULL) {
        fprintf(stderr, "nosys: unknown syscall '%s' (nosys --list)\n", name);
        return 2;
    }
    long rc = syscall(e->nr, -1L, -1L, -1L, -1L, -1L, -1L);
    int err = errno;
    if (rc >= 0) {
        printf("%s: returned %ld\n", name, rc);
    } else if (err == ENOSYS) {
        printf("%s: ENOSYS\n", name);
    } else {
        printf("%s: errno %d (%s)\n", name, err, strerror(err));
    }
    return 0;
}

#define MAX_LISTED TABLE_LEN

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < TABLE_LEN; i++) {
            printf("%s %ld %s\n", table[i].name, table[i].nr, table[i].since);
        }
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--probe") == 0) {
        return probe(argv[2]);
    }
    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        usage();
    }

    /* The listed numbers, without duplicates. */
    long nrs[MAX_LISTED];
    size_t n = 0;
    int setns_flags = 0;
    int ns_ioctls = 0;
    const char *list = argv[1];
    if (strcmp(list, "all") == 0) {
        for (size_t i = 0; i < TABLE_LEN; i++) {
            nrs[n++] = table[i].nr;
        }
    } else {
        const char *p = list;
        for (;;) {
            size_t len = strcspn(p, ",");
            const struct entry *e = lookup(p, len);
            if (e == NULL && len == strlen(NS_IOCTLS) && memcmp(p, NS_IOCTLS, len) == 0) {
                ns_ioctls = 1;
                if (p[len] == '\0') {
                    break;
                }
                p += len + 1;
                continue;
            }
            if (e == NULL && len == strlen(SETNS_FLAGS) && memcmp(p, SETNS_FLAGS, len) == 0) {
                setns_flags = 1;
                if (p[len] == '\0') {
                    break;
                }
                p += len + 1;
                continue;
            }
            if (e == NULL) {
                fprintf(stderr, "nosys: unknown syscall '%.*s' (nosys --list)\n", (int)len, p);
                return 2;
            }
            int seen = 0;
            for (size_t i = 0; i < n; i++) {
                seen |= nrs[i] == e->nr;
            }
            if (!seen) {
                nrs[n++] = e->nr;
            }
            if (p[len] == '\0') {
                break;
            }
            p += len + 1;
        }
    }

    /* arch check, (x32 mask), load nr, one test per number, ALLOW, ERRNO(ENOSYS). */
    struct sock_filter prog[4 + 1 + MAX_LISTED + NS_IOCTL_BLOCK + SETNS_BLOCK + 2];
    size_t setns_block = setns_flags ? SETNS_BLOCK : 0;
    size_t block = setns_block + (ns_ioctls ? NS_IOCTL_BLOCK : 0);
    size_t k = 0;
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                             offsetof(struct seccomp_data, arch));
    prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NOSYS_ARCH, 1, 0);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                             offsetof(struct seccomp_data, nr));
#ifdef X32_BIT
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_BIT);
#endif
    for (size_t i = 0; i < n; i++) {
        /* A match jumps over the remaining tests and the ALLOW to the ERRNO. */
        unsigned char skip = (unsigned char)(n - 1 - i + block + 1);
        prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nrs[i],
                                                 skip, 0);
    }
    if (ns_ioctls) {
        /* ioctl: a request of 0xff01..0xff0a gets ENOTTY; any other one, once loaded (the
         * number is gone from the accumulator), goes to the ALLOW past the setns block. */
        prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0,
                                                 NS_IOCTL_BLOCK - 1);
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                 offsetof(struct seccomp_data, args[1]));
        prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0xff01, 0,
                                                 (unsigned char)(2 + setns_block));
        prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 0xff0a,
                                                 (unsigned char)(1 + setns_block), 0);
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
                                                 SECCOMP_RET_ERRNO | (ENOTTY & SECCOMP_RET_DATA));
    }
    if (setns_flags) {
        /* setns: anything but the known types jumps to the EINVAL; a known one to the ALLOW. */
        prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setns, 0,
                                                 (unsigned char)(SETNS_BLOCK - 1));
        /* The low 32 bits of argument 1 (both architectures are little-endian). */
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                 offsetof(struct seccomp_data, args[1]));
        for (size_t i = 0; i < SETNS_TYPES; i++) {
            prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, setns_types[i],
                                                     (unsigned char)(SETNS_TYPES - 1 - i + 1), 0);
        }
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
                                                 SECCOMP_RET_ERRNO | (EINVAL & SECCOMP_RET_DATA));
    }
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
                                             SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
    struct sock_fprog fprog = {.len = (unsigned short)k, .filter = prog};

    /* With CAP_SYS_ADMIN (root) the filter goes in without no_new_privs, so the command runs as
     * it would on the old kernel, setuid programs and nsrun's own --no-new-privs included. Without
     * it the kernel demands no_new_privs first (EACCES), and nosys sets it. */
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0) {
        if (errno != EACCES) {
            fprintf(stderr, "nosys: prctl(PR_SET_SECCOMP): %s\n", strerror(errno));
            return 125;
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
            fprintf(stderr, "nosys: prctl(PR_SET_NO_NEW_PRIVS): %s\n", strerror(errno));
            return 125;
        }
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0) {
            fprintf(stderr, "nosys: prctl(PR_SET_SECCOMP): %s\n", strerror(errno));
            return 125;
        }
    }
    execvp(argv[3], &argv[3]);
    int err = errno;
    fprintf(stderr, "nosys: execute %s: %s\n", argv[3], strerror(err));
    return err == ENOENT ? 127 : 126;
}
