//! Tests written to break the promises of the seccomp options (README, "Locking a container down",
//! "Seccomp"), through the nsrun binary: `--seccomp-deny` and `--seccomp-errno`, `--seccomp-allow`,
//! `--seccomp-preset default` (keyctl, bpf, mount, unshare/clone of a user namespace without
//! CAP_SYS_ADMIN, TIOCSTI with and without the request's upper bits), the architecture checks
//! (x32 refused, i386 `int $0x80` under the same rules), `--seccomp FD` / `--add-seccomp-fd FD`
//! (bubblewrap's compiled programs, from a file and from a pipe), usage errors, stacking, exec
//! and fork, and rootless use.
//!
//! What each call did is observed with `tests/helpers/sysprobe.c`, compiled by the tests, which
//! makes the call with harmless arguments and prints `OP: ok` or `OP: errno N`. Every test that
//! expects a filter to change a result first shows the result without the filter (the baseline),
//! so a filter that does nothing fails the test. A command killed by SIGSYS would dump core:
//! every such run has `--rlimit core=0`.
//!
//! Nothing here changes the machine: the calls made fail or act only on the calling process (a
//! new user namespace, a pty of its own); mounts are attempted only inside nsrun's mount
//! namespaces.

mod common;
mod helpers;
mod rootfs;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    is_root, nsrun, require_root, run, skip_without_unprivileged_userns, Output, TempDir,
};
use rootfs::{as_nobody, Rootfs};

// ---------------------------------------------------------------------------------------------
// Helpers

/// The probe binary.
fn probe_bin() -> PathBuf {
    helpers::sysprobe_bin().to_path_buf()
}

/// Runs `nsrun OPTS... -- sysprobe OPS...`.
fn probe(opts: &[&str], ops: &[&str]) -> Output {
    let bin = probe_bin();
    let mut args: Vec<String> = opts.iter().map(|s| s.to_string()).collect();
    args.push("--".into());
    args.push(bin.display().to_string());
    args.extend(ops.iter().map(|s| s.to_string()));
    nsrun(&args)
}

/// The probe's lines `OP: RESULT` as a map OP -> RESULT.
fn results(out: &Output) -> BTreeMap<String, String> {
    out.stdout
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The result of `op` in `out` (fails the test when the probe printed none).
#[track_caller]
fn result(out: &Output, op: &str) -> String {
    results(out)
        .get(op)
        .cloned()
        .unwrap_or_else(|| panic!("no result for {op}\n{out}"))
}

/// Asserts that `out` exited 0 with an empty stderr and each `(op, result)` of `want`.
#[track_caller]
fn assert_results(out: &Output, want: &[(&str, &str)]) {
    out.assert_ok();
    for (op, r) in want {
        assert_eq!(result(out, op), *r, "result of {op}\n{out}");
    }
}

/// Every call the probe makes from exec to exit for `sysprobe getpid` on this machine (found with
/// strace: the dynamic loader's, glibc's start-up, the write of its line), with `getpid` itself.
/// Used for allow lists: a run with exactly these must work (the positive control that shows an
/// allow list test's kill comes from the one call left out).
const PROBE_CALLS: &str = "access,arch_prctl,brk,close,execve,exit_group,getpid,mmap,mprotect,\
munmap,newfstatat,fstat,openat,pread64,prlimit64,read,rseq,set_robust_list,set_tid_address,write,\
getrandom,futex,exit";

/// The instructions of a classic BPF program as bubblewrap reads them: `struct sock_filter`
/// (u16 code, u8 jt, u8 jf, u32 k), native byte order.
fn program(insns: &[(u16, u8, u8, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    for &(code, jt, jf, k) in insns {
        out.extend_from_slice(&code.to_ne_bytes());
        out.push(jt);
        out.push(jf);
        out.extend_from_slice(&k.to_ne_bytes());
    }
    out
}

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "x86_64")]
const NR_GETPPID: u32 = 110;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;
#[cfg(target_arch = "aarch64")]
const NR_GETPPID: u32 = 173;

/// A bubblewrap-style program: after the architecture check (another one is killed), getppid
/// fails with EPERM, everything else runs.
fn getppid_eperm_program() -> Vec<u8> {
    const LD_W_ABS: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    program(&[
        (LD_W_ABS, 0, 0, 4), // A = seccomp_data.arch
        (JEQ_K, 1, 0, AUDIT_ARCH),
        (RET_K, 0, 0, 0x8000_0000), // SECCOMP_RET_KILL_PROCESS
        (LD_W_ABS, 0, 0, 0),        // A = seccomp_data.nr
        (JEQ_K, 0, 1, NR_GETPPID),
        (RET_K, 0, 0, 0x0005_0000 | 1), // SECCOMP_RET_ERRNO | EPERM
        (RET_K, 0, 0, 0x7fff_0000),     // SECCOMP_RET_ALLOW
    ])
}

/// Runs `script` with `sh -c` (`$NSRUN` the binary under test, `$PROBE` the probe, `$1`... the
/// `args`): for descriptor plumbing (files and pipes on fd 3, 4).
fn sh(script: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script, "sh"])
        .args(args)
        .env("NSRUN", common::nsrun_bin())
        .env("PROBE", probe_bin());
    run(&mut cmd)
}

/// Writes `bytes` to `dir/name`; returns the path as a string.
fn write_file(dir: &TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path.display().to_string()
}

// ---------------------------------------------------------------------------------------------
// --seccomp-deny, --seccomp-errno

#[test]
#[ignore = "needs root"]
fn deny_fails_with_eperm_by_default_and_with_the_errno_chosen() {
    require_root();
    let out = probe(&[], &["getppid", "getpid"]);
    assert_results(&out, &[("getppid", "ok"), ("getpid", "ok")]);

    let out = probe(&["--seccomp-deny", "getppid"], &["getppid", "getpid"]);
    assert_results(&out, &[("getppid", "errno 1"), ("getpid", "ok")]);

    for errno in ["13", "38", "4095"] {
        let out = probe(
            &["--seccomp-deny", "getppid", "--seccomp-errno", errno],
            &["getppid", "getpid"],
        );
        assert_results(
            &out,
            &[("getppid", &format!("errno {errno}")), ("getpid", "ok")],
        );
    }
    // The errno applies to every deny list, and several names in one list all fail.
    let out = probe(
        &["--seccomp-errno", "13", "--seccomp-deny", "getppid,getpgrp"],
        &["getppid", "getpgrp", "getpid"],
    );
    assert_results(
        &out,
        &[
            ("getppid", "errno 13"),
            ("getpgrp", "errno 13"),
            ("getpid", "ok"),
        ],
    );
}

#[test]
#[ignore = "needs root"]
fn deny_seen_by_an_ordinary_program() {
    require_root();
    // coreutils' mkdir reports the errno the filter chose, by its text.
    let dir = TempDir::new("seccomp-mkdir");
    let target = dir.path().join("d");
    let target = target.to_str().unwrap();
    let out = nsrun(&["--seccomp-deny", "mkdir,mkdirat", "--", "mkdir", target]);
    assert_eq!(out.code(), Some(1), "{out}");
    assert!(out.stderr.contains("Operation not permitted"), "{out}");
    let out = nsrun(&[
        "--seccomp-deny",
        "mkdir,mkdirat",
        "--seccomp-errno",
        "28",
        "--",
        "mkdir",
        target,
    ]);
    assert_eq!(out.code(), Some(1), "{out}");
    assert!(out.stderr.contains("No space left on device"), "{out}");
    assert!(
        !dir.path().join("d").exists(),
        "mkdir ran despite the filter"
    );
    // The control: without the filter it works.
    nsrun(&["--", "mkdir", target]).assert_ok();
    assert!(dir.path().join("d").is_dir());
}

// ---------------------------------------------------------------------------------------------
// --seccomp-allow

#[test]
#[ignore = "needs root"]
fn allow_kills_the_process_on_any_other_call_with_sigsys() {
    require_root();
    // rt_sigprocmask is in the list because nsrun itself calls it after installing the filter
    // (see allow_list_of_the_commands_own_calls_is_enough, which fails on that).
    let list = format!("{PROBE_CALLS},rt_sigprocmask");
    // The positive control: with getppid in the list, both calls run.
    let with = format!("{list},getppid");
    let out = probe(
        &["--rlimit", "core=0", "--seccomp-allow", &with],
        &["getpid", "getppid"],
    );
    assert_results(&out, &[("getpid", "ok"), ("getppid", "ok")]);
    // Without it, getppid kills the command: status 128 + SIGSYS, after the line before it.
    let out = probe(
        &["--rlimit", "core=0", "--seccomp-allow", &list],
        &["getpid", "getppid"],
    );
    assert_eq!(out.code(), Some(159), "{out}");
    assert_eq!(out.stdout, "getpid: ok\n", "{out}");
    // The whole process dies, not only the calling thread: a forked child dies too, and its
    // parent sees SIGSYS (31).
    let with_fork = format!("{list},clone,clone3,wait4");
    let out = probe(
        &["--rlimit", "core=0", "--seccomp-allow", &with_fork],
        &["fork:getppid", "getpid"],
    );
    assert_eq!(out.code(), Some(0), "{out}");
    assert!(
        out.stdout.contains("fork:getppid: killed by signal 31"),
        "{out}"
    );
}

#[test]
#[ignore = "needs root"]
fn allow_list_of_the_commands_own_calls_is_enough() {
    require_root();
    // README: "--seccomp-allow NAMES: only these run", the filters "bind only the command:
    // nsrun's own setup is done by then". A list of every call the command makes (what strace
    // shows from its execve on) must run it. nsrun calls rt_sigprocmask between installing the
    // filter and execve, so such a list kills the command before it starts.
    let out = probe(
        &["--rlimit", "core=0", "--seccomp-allow", PROBE_CALLS],
        &["getpid"],
    );
    assert_results(&out, &[("getpid", "ok")]);
}

// ---------------------------------------------------------------------------------------------
// --seccomp-preset default

#[test]
#[ignore = "needs root"]
fn preset_denies_keyctl_bpf_and_mount() {
    require_root();
    let ops = ["keyctl", "bpf", "mount", "getpid"];
    let base = probe(&[], &ops);
    base.assert_ok();
    for op in ["keyctl", "bpf", "mount"] {
        assert_ne!(
            result(&base, op),
            "errno 1",
            "{op} is EPERM without a filter\n{base}"
        );
    }
    let out = probe(&["--seccomp-preset", "default"], &ops);
    assert_results(
        &out,
        &[
            ("keyctl", "errno 1"),
            ("bpf", "errno 1"),
            ("mount", "errno 1"),
            ("getpid", "ok"),
        ],
    );
}

#[test]
#[ignore = "needs root"]
fn preset_denies_a_new_user_namespace_only_without_cap_sys_admin() {
    require_root();
    for op in ["unshare-user", "clone-user"] {
        // Without CAP_SYS_ADMIN (the container set) and without the preset, it works...
        let base = probe(&["--caps-preset", "container"], &[op]);
        assert_results(&base, &[(op, "ok")]);
        // ...and the preset denies it.
        let out = probe(
            &["--caps-preset", "container", "--seccomp-preset", "default"],
            &[op],
        );
        assert_results(&out, &[(op, "errno 1")]);
        // With every capability (CAP_SYS_ADMIN among them) the preset lets it through.
        let out = probe(&["--seccomp-preset", "default"], &[op]);
        assert_results(&out, &[(op, "ok")]);
        let out = probe(
            &["--caps-preset", "all", "--seccomp-preset", "default"],
            &[op],
        );
        assert_results(&out, &[(op, "ok")]);
    }
    // An ordinary clone (fork) still runs under the preset without CAP_SYS_ADMIN.
    let out = probe(
        &["--caps-preset", "container", "--seccomp-preset", "default"],
        &["fork:getpid"],
    );
    assert_results(&out, &[("getpid", "ok")]);
}

#[test]
#[ignore = "needs root"]
fn preset_denies_tiocsti_also_with_the_upper_bits_set() {
    require_root();
    for caps in ["all", "container"] {
        let ops = ["tiocsti", "tiocsti-hi"];
        // Without the filter, the byte is pushed into the terminal, with either request.
        let base = probe(&["--caps-preset", caps], &ops);
        assert_results(
            &base,
            &[("tiocsti", "ok pushed"), ("tiocsti-hi", "ok pushed")],
        );
        let out = probe(
            &["--caps-preset", caps, "--seccomp-preset", "default"],
            &ops,
        );
        assert_results(&out, &[("tiocsti", "errno 1"), ("tiocsti-hi", "errno 1")]);
    }
}

#[test]
#[ignore = "needs root"]
fn preset_allows_ordinary_work_in_a_busybox_shell() {
    require_root();
    let r = Rootfs::new("seccomp-work");
    let script = r#"
        set -e
        mkdir -p /tmp/a/b
        echo hello > /tmp/a/b/f
        cat /tmp/a/b/f | tr a-z A-Z
        printf '3\n1\n2\n' | sort | xargs echo
        ( echo sub; exit 0 )
        sleep 0.01 & wait $!
        echo "bg=$?"
        ln -s b /tmp/a/l && readlink /tmp/a/l
        rm -r /tmp/a && test ! -e /tmp/a && echo removed
        id -u
        hostname
        if mount -t tmpfs none /mnt 2>/dev/null; then echo mounted; else echo mount-refused; fi
    "#;
    let opts = [
        "--seccomp-preset",
        "default",
        "--tmpfs",
        "/tmp",
        "--dev",
        "/dev",
        "--hostname",
        "box",
    ];
    let out = r.sh(&opts, script);
    out.assert_ok();
    assert_eq!(
        out.lines(),
        [
            "HELLO",
            "1 2 3",
            "sub",
            "bg=0",
            "b",
            "removed",
            "0",
            "box",
            "mount-refused"
        ],
        "{out}"
    );
    // The control: without the preset, the same mount works (the root keeps CAP_SYS_ADMIN with
    // --caps-preset all), so the refusal above was the filter's.
    let out = r.sh(
        &["--caps-preset", "all", "--tmpfs", "/tmp", "--dev", "/dev"],
        "mount -t tmpfs none /mnt && echo mounted",
    );
    out.assert_ok();
    assert_eq!(out.lines(), ["mounted"], "{out}");
    r.finish();
}

#[test]
#[ignore = "needs root"]
fn filters_bind_only_the_command_not_nsruns_setup() {
    require_root();
    // Deny exactly the calls nsrun's setup needs (and the preset): the setup still mounts,
    // binds, pivots and sets the hostname, and only the command is refused.
    let r = Rootfs::new("seccomp-setup");
    let share = r.scratch("share");
    std::fs::create_dir(&share).unwrap();
    std::fs::write(share.join("file"), "from-host\n").unwrap();
    let share = share.to_str().unwrap().to_string();
    let opts = [
        "--seccomp-preset",
        "default",
        "--seccomp-deny",
        "mount,umount2,pivot_root,sethostname,open_tree,move_mount,fsopen,fsmount,fsconfig,mount_setattr,chroot",
        "--caps-preset",
        "all",
        "--hostname",
        "inside",
        "--tmpfs",
        "/tmp",
        "--dev",
        "/dev",
        "--ro-bind",
        &share,
        "/mnt",
    ];
    let script = "cat /mnt/file; hostname; \
        grep -c ' /tmp tmpfs\\| /tmp .* - tmpfs' /proc/self/mountinfo; test -c /dev/null && echo dev; \
        mount -t tmpfs none /tmp 2>/dev/null && echo mounted || echo mount-refused; \
        hostname other 2>/dev/null && echo renamed || echo hostname-refused";
    let out = r.sh(&opts, script);
    out.assert_ok();
    assert_eq!(
        out.lines(),
        [
            "from-host",
            "inside",
            "1",
            "dev",
            "mount-refused",
            "hostname-refused"
        ],
        "{out}"
    );
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// Architectures

#[test]
#[ignore = "needs root"]
#[cfg(target_arch = "x86_64")]
fn x32_calls_kill_the_command() {
    require_root();
    // README: "On x86-64 every x32 call (numbers with bit 30 set) kills the process, as a foreign
    // architecture's does". This kernel has no x32 ABI, so without a filter the call is ENOSYS;
    // under any filter of nsrun's the command dies of SIGSYS at that call, before the next.
    let base = probe(&[], &["x32-getppid", "getpid"]);
    assert_results(&base, &[("x32-getppid", "errno 38"), ("getpid", "ok")]);
    for opts in [
        &["--seccomp-deny", "getppid"][..],
        &["--seccomp-preset", "default"][..],
        &["--seccomp-deny", "keyctl", "--seccomp-errno", "13"][..],
    ] {
        let mut o = vec!["--rlimit", "core=0"];
        o.extend_from_slice(opts);
        let out = probe(&o, &["x32-getppid", "getpid"]);
        out.assert_code(128 + libc::SIGSYS);
        assert!(!out.stdout.contains("getpid"), "{out}");
    }
}

#[test]
#[ignore = "needs root"]
#[cfg(target_arch = "x86_64")]
fn i386_int80_calls_follow_the_same_rules() {
    require_root();
    let ops = ["i386-getppid", "i386-getpid", "i386-keyctl"];
    let base = probe(&[], &ops);
    base.assert_ok();
    if result(&base, "i386-getpid") != "ok" {
        panic!("int $0x80 does not work on this kernel (IA32 emulation off?)\n{base}");
    }
    assert_eq!(result(&base, "i386-getppid"), "ok", "{base}");
    assert_ne!(result(&base, "i386-keyctl"), "errno 1", "{base}");

    // A deny list by name covers the i386 number of the name (getppid is 64 there, 110 here).
    let out = probe(
        &["--seccomp-deny", "getppid", "--seccomp-errno", "13"],
        &ops,
    );
    assert_results(&out, &[("i386-getppid", "errno 13"), ("i386-getpid", "ok")]);
    // i386's keyctl is 288; x86_64's 288 is accept4, which must still run natively.
    let out = probe(&["--seccomp-preset", "default"], &ops);
    assert_results(
        &out,
        &[
            ("i386-keyctl", "errno 1"),
            ("i386-getpid", "ok"),
            ("i386-getppid", "ok"),
        ],
    );
    // An allow list too: i386 getpid is allowed by name, i386 getppid is not and kills.
    let list = format!("{PROBE_CALLS},rt_sigprocmask");
    let out = probe(
        &["--rlimit", "core=0", "--seccomp-allow", &list],
        &["i386-getpid", "i386-getppid"],
    );
    assert_eq!(out.code(), Some(159), "{out}");
    assert_eq!(out.stdout, "i386-getpid: ok\n", "{out}");
}

// ---------------------------------------------------------------------------------------------
// --seccomp FD, --add-seccomp-fd FD

#[test]
#[ignore = "needs root"]
fn seccomp_fd_takes_a_bwrap_program_from_a_file_and_from_a_pipe() {
    require_root();
    let dir = TempDir::new("seccomp-fd");
    let file = write_file(&dir, "prog.bpf", &getppid_eperm_program());
    let want = "getppid: errno 1\ngetpid: ok\n";
    for opt in ["--seccomp", "--add-seccomp-fd"] {
        // From a file on fd 3.
        let out = sh(
            &format!("exec 3<\"$1\"; exec \"$NSRUN\" {opt} 3 -- \"$PROBE\" getppid getpid"),
            &[&file],
        );
        out.assert_ok();
        assert_eq!(out.stdout, want, "{out}");
        // From a pipe on fd 3 (written by cat, read to its end by nsrun).
        let out = sh(
            &format!(
                "cat \"$1\" | {{ exec 3<&0 </dev/null; exec \"$NSRUN\" {opt} 3 -- \"$PROBE\" getppid getpid; }}"
            ),
            &[&file],
        );
        out.assert_ok();
        assert_eq!(out.stdout, want, "{out}");
    }
    // Two programs with --add-seccomp-fd, and one stacked with a deny list.
    let out = sh(
        "exec 3<\"$1\" 4<\"$1\"; exec \"$NSRUN\" --add-seccomp-fd 3 --add-seccomp-fd 4 \
         --seccomp-deny getpgrp -- \"$PROBE\" getppid getpgrp getpid",
        &[&file],
    );
    out.assert_ok();
    assert_eq!(
        out.stdout, "getppid: errno 1\ngetpgrp: errno 1\ngetpid: ok\n",
        "{out}"
    );
    // The control: the same command without the program.
    let out = sh("exec \"$NSRUN\" -- \"$PROBE\" getppid", &[]);
    out.assert_ok();
    assert_eq!(out.stdout, "getppid: ok\n", "{out}");
}

#[test]
#[ignore = "needs root"]
fn seccomp_fd_refuses_bad_programs_and_descriptors() {
    require_root();
    let dir = TempDir::new("seccomp-fd-bad");
    let empty = write_file(&dir, "empty", b"");
    let odd = write_file(&dir, "odd", &getppid_eperm_program()[..12]);
    let ragged = {
        let mut p = getppid_eperm_program();
        p.push(0);
        write_file(&dir, "ragged", &p)
    };
    for opt in ["--seccomp", "--add-seccomp-fd"] {
        for (file, what) in [(&empty, "empty"), (&odd, "odd"), (&ragged, "ragged")] {
            let out = sh(
                &format!("exec 3<\"$1\"; exec \"$NSRUN\" {opt} 3 -- \"$PROBE\" getppid"),
                &[file],
            );
            assert_eq!(out.code(), Some(2), "{what}\n{out}");
            out.assert_one_error_line(&["3", "multiple of 8"]);
            assert_eq!(out.stdout, "", "{what}: the command ran\n{out}");
        }
        // A descriptor open for writing only, and one not open at all.
        let out = sh(
            &format!("exec 3>/dev/null; exec \"$NSRUN\" {opt} 3 -- \"$PROBE\" getppid"),
            &[],
        );
        assert_eq!(out.code(), Some(2), "{out}");
        out.assert_one_error_line(&["3", "read"]);
        assert_eq!(out.stdout, "", "{out}");
        let out = sh(
            &format!("exec 9<&-; exec \"$NSRUN\" {opt} 9 -- \"$PROBE\" getppid"),
            &[],
        );
        assert_eq!(out.code(), Some(2), "{out}");
        out.assert_one_error_line(&["9", "read", "Bad file descriptor"]);
        assert_eq!(out.stdout, "", "{out}");
    }
    // A program the kernel refuses (an unknown instruction): a setup failure, one line.
    let bad = write_file(&dir, "bad", &program(&[(0xffff, 0, 0, 0)]));
    let out = sh(
        "exec 3<\"$1\"; exec \"$NSRUN\" --seccomp 3 -- \"$PROBE\" getppid",
        &[&bad],
    );
    assert_eq!(out.code(), Some(125), "{out}");
    out.assert_one_error_line(&["--seccomp 3"]);
    assert_eq!(out.stdout, "", "{out}");
}

#[test]
#[ignore = "needs root"]
fn seccomp_fd_errors_name_the_option_given() {
    require_root();
    // The error line names the option the user wrote: `--add-seccomp-fd 3` alone, or `--seccomp 3`
    // beside another seccomp option, must not be reported as the other one.
    for (opts, want, not) in [
        ("--add-seccomp-fd 3", "--add-seccomp-fd 3:", "--seccomp 3"),
        (
            "--seccomp 3 --seccomp-deny getppid",
            "--seccomp 3:",
            "--add-seccomp-fd",
        ),
        (
            "--seccomp-deny getppid --seccomp 3",
            "--seccomp 3:",
            "--add-seccomp-fd",
        ),
        (
            "--seccomp-deny getppid --add-seccomp-fd 3",
            "--add-seccomp-fd 3:",
            "--seccomp 3",
        ),
    ] {
        let out = sh(
            &format!("exec 3</dev/null; exec \"$NSRUN\" {opts} -- \"$PROBE\" getppid"),
            &[],
        );
        assert_eq!(out.code(), Some(2), "{out}");
        let line = out.assert_one_error_line(&[want]).to_string();
        assert!(!line.contains(not), "{opts}: the line names {not}\n{out}");
    }
}

#[test]
fn seccomp_and_add_seccomp_fd_exclude_each_other() {
    // Parsing refuses them before any descriptor is read or anything is made.
    for args in [
        &["--seccomp", "3", "--add-seccomp-fd", "4", "--", "true"][..],
        &["--add-seccomp-fd", "4", "--seccomp", "3", "--", "true"][..],
    ] {
        let out = nsrun(args);
        assert_eq!(out.code(), Some(2), "{out}");
        out.assert_one_error_line(&["--seccomp", "--add-seccomp-fd"]);
    }
    let out = nsrun(&["--seccomp", "3", "--seccomp", "3", "--", "true"]);
    assert_eq!(out.code(), Some(2), "{out}");
    out.assert_one_error_line(&["--seccomp"]);
    for bad in ["x", "-1", "", "3x"] {
        let out = nsrun(&["--seccomp", bad, "--", "true"]);
        assert_eq!(out.code(), Some(2), "{bad:?}\n{out}");
        out.assert_one_error_line(&["--seccomp"]);
    }
}

// ---------------------------------------------------------------------------------------------
// Usage errors

#[test]
fn unknown_syscall_names_and_bad_values_exit_2_with_one_line() {
    for (args, parts) in [
        (
            &["--seccomp-deny", "nosuchcall"][..],
            &["--seccomp-deny", "'nosuchcall'"][..],
        ),
        (
            &["--seccomp-deny", "getppid,nosuchcall"][..],
            &["'nosuchcall'"][..],
        ),
        (
            &["--seccomp-allow", "read,write,bogus_call"][..],
            &["--seccomp-allow", "'bogus_call'"][..],
        ),
        (&["--seccomp-deny", ""][..], &["--seccomp-deny"][..]),
        (
            &["--seccomp-deny", "getppid,,getpid"][..],
            &["--seccomp-deny"][..],
        ),
        (
            &["--seccomp-deny", "getppid", "--seccomp-errno", "0"][..],
            &["--seccomp-errno"][..],
        ),
        (
            &["--seccomp-deny", "getppid", "--seccomp-errno", "4096"][..],
            &["--seccomp-errno"][..],
        ),
        (
            &["--seccomp-deny", "getppid", "--seccomp-errno", "EPERM"][..],
            &["--seccomp-errno"][..],
        ),
        (
            &["--seccomp-preset", "strict"][..],
            &["--seccomp-preset", "strict"][..],
        ),
    ] {
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["--", "true"]);
        let out = nsrun(&a);
        assert_eq!(out.code(), Some(2), "{args:?}\n{out}");
        out.assert_one_error_line(parts);
        assert_eq!(out.stdout, "", "{out}");
    }
    // A name only another architecture has is skipped, not an error (iopl is x86's; on x86_64
    // arm's private cacheflush is the one).
    #[cfg(target_arch = "x86_64")]
    let other = "cacheflush";
    #[cfg(not(target_arch = "x86_64"))]
    let other = "iopl";
    if is_root() {
        let out = nsrun(&["--seccomp-deny", other, "--", "true"]);
        out.assert_ok();
    }
}

// ---------------------------------------------------------------------------------------------
// Stacking, exec, fork

#[test]
#[ignore = "needs root"]
fn several_filters_stack() {
    require_root();
    let ops = ["getppid", "getpgrp", "getpid"];
    let out = probe(
        &["--seccomp-deny", "getppid", "--seccomp-deny", "getpgrp"],
        &ops,
    );
    assert_results(
        &out,
        &[
            ("getppid", "errno 1"),
            ("getpgrp", "errno 1"),
            ("getpid", "ok"),
        ],
    );
    // A deny list and an allow list that allows the call: the deny wins (the strictest), in
    // either order on the command line. (README: "Each option adds one filter, in command-line
    // order; the kernel runs every filter installed and the strictest answer wins.")
    let list = format!("{PROBE_CALLS},rt_sigprocmask,getppid,getpgrp");
    for opts in [
        ["--seccomp-deny", "getppid", "--seccomp-allow", &list],
        ["--seccomp-allow", &list, "--seccomp-deny", "getppid"],
    ] {
        let mut o = vec!["--rlimit", "core=0"];
        o.extend_from_slice(&opts);
        let out = probe(&o, &ops);
        assert_results(
            &out,
            &[("getppid", "errno 1"), ("getpgrp", "ok"), ("getpid", "ok")],
        );
    }
    // The preset and a deny list together.
    let out = probe(
        &["--seccomp-preset", "default", "--seccomp-deny", "getppid"],
        &["keyctl", "getppid", "getpid"],
    );
    assert_results(
        &out,
        &[
            ("keyctl", "errno 1"),
            ("getppid", "errno 1"),
            ("getpid", "ok"),
        ],
    );
}

#[test]
#[ignore = "needs root"]
fn the_filter_survives_exec_and_fork_in_the_command() {
    require_root();
    let bin = probe_bin();
    let bin = bin.to_str().unwrap();
    // sh forks the probe, the probe forks a child that calls getppid, then sh execs the probe.
    let script = "\"$0\" getppid fork:getppid; (\"$0\" getppid); exec \"$0\" getppid getpid";
    let out = nsrun(&[
        "--seccomp-deny",
        "getppid",
        "--seccomp-errno",
        "13",
        "--",
        "sh",
        "-c",
        script,
        bin,
    ]);
    out.assert_ok();
    assert_eq!(
        out.lines(),
        [
            "getppid: errno 13",
            "getppid: errno 13",
            "getppid: errno 13",
            "getppid: errno 13",
            "getpid: ok"
        ],
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// Rootless

#[test]
fn seccomp_works_unprivileged_in_the_automatic_user_namespace() {
    if skip_without_unprivileged_userns() {
        return;
    }
    // A copy of the probe in a 0755 directory of its own, so uid 65534 can run it.
    let dir = TempDir::new("seccomp-nobody");
    let bin = dir.copy_in(helpers::sysprobe_bin(), "sysprobe");
    let bin = bin.to_str().unwrap();
    let unpriv = |args: &[&str]| match is_root() {
        true => as_nobody(args),
        false => nsrun(args),
    };
    let out = unpriv(&["--", bin, "getppid", "keyctl"]);
    out.assert_ok();
    assert_eq!(result(&out, "getppid"), "ok", "{out}");
    assert_ne!(result(&out, "keyctl"), "errno 1", "{out}");
    let out = unpriv(&[
        "--seccomp-deny",
        "getppid",
        "--seccomp-errno",
        "13",
        "--",
        bin,
        "getppid",
        "getpid",
    ]);
    assert_results(&out, &[("getppid", "errno 13"), ("getpid", "ok")]);
    let out = unpriv(&[
        "--seccomp-preset",
        "default",
        "--",
        bin,
        "keyctl",
        "mount",
        "getpid",
    ]);
    assert_results(
        &out,
        &[
            ("keyctl", "errno 1"),
            ("mount", "errno 1"),
            ("getpid", "ok"),
        ],
    );
    let dir2 = TempDir::new("seccomp-nobody-fd");
    let file = write_file(&dir2, "prog.bpf", &getppid_eperm_program());
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let mut cmd = match is_root() {
        true => {
            let mut c = Command::new(common::require_tool("setpriv"));
            c.args(helpers::NOBODY).arg("sh");
            c
        }
        false => Command::new("sh"),
    };
    cmd.args([
        "-c",
        "exec 3<\"$1\"; exec \"$NSRUN\" --seccomp 3 -- \"$2\" getppid getpid",
        "sh",
        &file,
        bin,
    ])
    .env("NSRUN", common::nsrun_bin());
    let out = run(&mut cmd);
    assert_results(&out, &[("getppid", "errno 1"), ("getpid", "ok")]);
    let _ = Path::new(bin);
}

/// Before Linux 3.17 there is no seccomp(2): nsrun installs its filters with
/// prctl(PR_SET_SECCOMP) instead (src/sys/seccomp.rs, `install`). With seccomp(2) made ENOSYS
/// (the nosys helper), every form still filters: a deny list, the preset, an allow list.
#[test]
#[ignore = "needs root"]
fn without_seccomp_2_the_filters_are_installed_by_prctl() {
    require_root();
    let probe = probe_bin().display().to_string();
    let run = |opts: &[&str], ops: &[&str]| {
        let mut args: Vec<&str> = vec!["--rlimit", "core=0"];
        args.extend_from_slice(opts);
        args.push("--");
        args.push(&probe);
        args.extend_from_slice(ops);
        helpers::nsrun_without("seccomp", &args)
    };
    // The probe itself under nosys: seccomp(2) is missing, getppid works.
    let base = run(&[], &["getppid"]);
    assert_results(&base, &[("getppid", "ok")]);
    let out = run(
        &["--seccomp-deny", "getppid", "--seccomp-errno", "13"],
        &["getppid", "getpid"],
    );
    assert_results(&out, &[("getppid", "errno 13"), ("getpid", "ok")]);
    let out = run(&["--seccomp-preset", "default"], &["keyctl", "getpid"]);
    assert_results(&out, &[("keyctl", "errno 1"), ("getpid", "ok")]);
}
