//! Tests of the compiler (on a small classic BPF interpreter) and of real installs.

use super::bpf::{ALU_AND_K, JA, JEQ, JGE, JGT, LD_W_ABS, RET_K};
use super::preset::{self, PresetContext};
use super::*;
use crate::sys::seccomp::testing::{self, End};
use alloc::vec;

/// `struct seccomp_data`.
#[derive(Clone, Copy)]
pub(super) struct Data {
    pub nr: i32,
    pub arch: u32,
    pub ip: u64,
    pub args: [u64; 6],
}

impl Data {
    /// The struct's bytes, in native order.
    fn bytes(&self) -> [u8; 64] {
        let mut bytes = [0u8; 64];
        bytes[0..4].copy_from_slice(&self.nr.to_ne_bytes());
        bytes[4..8].copy_from_slice(&self.arch.to_ne_bytes());
        bytes[8..16].copy_from_slice(&self.ip.to_ne_bytes());
        for (i, a) in self.args.iter().enumerate() {
            bytes[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_ne_bytes());
        }
        bytes
    }
}

/// Runs `prog` on `data` as the kernel would; returns the action value.
pub(super) fn run(prog: &Program, data: &Data) -> u32 {
    let code = &prog.0;
    let bytes = data.bytes();
    let mut pc = 0usize;
    let mut a = 0u32;
    loop {
        let ins = code
            .get(pc)
            .unwrap_or_else(|| panic!("pc {pc} out of the program"));
        let jump = |cond: bool| pc + 1 + if cond { ins.jt } else { ins.jf } as usize;
        pc = match ins.code {
            LD_W_ABS => {
                let o = ins.k as usize;
                assert!(
                    o.is_multiple_of(4) && o < 64,
                    "load out of seccomp_data: {o}"
                );
                a = u32::from_ne_bytes(bytes[o..o + 4].try_into().unwrap());
                pc + 1
            }
            ALU_AND_K => {
                a &= ins.k;
                pc + 1
            }
            JA => pc + 1 + ins.k as usize,
            JEQ => jump(a == ins.k),
            JGT => jump(a > ins.k),
            JGE => jump(a >= ins.k),
            RET_K => return ins.k,
            other => panic!("unexpected instruction {other:#x}"),
        };
    }
}

/// Checks what the kernel's checker checks of the program's shape: length, jumps in range,
/// a `ret` last.
fn check_shape(prog: &Program) {
    let code = &prog.0;
    assert!(!code.is_empty() && code.len() <= MAX_INSNS);
    assert_eq!(code.last().unwrap().code, RET_K);
    for (i, ins) in code.iter().enumerate() {
        let reach = match ins.code {
            JA => ins.k as usize,
            JEQ | JGT | JGE => ins.jt.max(ins.jf) as usize,
            _ => 0,
        };
        assert!(
            i + 1 + reach < code.len() || ins.code == RET_K,
            "jump out at {i}"
        );
    }
}

fn names(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|n| n.as_bytes().to_vec()).collect()
}

fn compiled(filter: &Filter) -> Program {
    let prog = compile(filter).unwrap_or_else(|_| panic!("compile failed"));
    check_shape(&prog);
    prog
}

fn native() -> &'static arch::Abi {
    arch::NATIVE.as_ref().unwrap()
}

/// The native number of `name`.
fn nr(name: &str) -> i32 {
    native()
        .number(table_index(name.as_bytes()).unwrap())
        .unwrap() as i32
}

/// A native call of `name` with `args`.
fn call(name: &str, args: [u64; 6]) -> Data {
    Data {
        nr: nr(name),
        arch: native().audit,
        ip: 0,
        args,
    }
}

const ALLOW: u32 = Action::Allow.ret();
const KILL: u32 = Action::KillProcess.ret();
const fn errno(e: u16) -> u32 {
    Action::Errno(e).ret()
}

fn one(name: &str, op: Op, value: u64, value_two: u64) -> Filter {
    Filter {
        default: Action::Allow,
        rules: vec![Rule {
            names: names(&[name]),
            action: Action::Errno(1),
            args: vec![ArgCmp {
                index: 2,
                op,
                value,
                value_two,
            }],
        }],
    }
}

/// Reference semantics of one comparison.
fn holds(op: Op, arg: u64, value: u64, value_two: u64) -> bool {
    match op {
        Op::Ne => arg != value,
        Op::Lt => arg < value,
        Op::Le => arg <= value,
        Op::Eq => arg == value,
        Op::Ge => arg >= value,
        Op::Gt => arg > value,
        Op::MaskedEq => arg & value == value_two,
    }
}

const OPS: [Op; 7] = [Op::Ne, Op::Lt, Op::Le, Op::Eq, Op::Ge, Op::Gt, Op::MaskedEq];

/// Values around the word boundaries: differing only in the high word, only in the low word.
const EDGES: [u64; 14] = [
    0,
    1,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_0001,
    0x1_ffff_ffff,
    0x2_0000_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff_0000_0000,
    0xffff_ffff_ffff_fffe,
    u64::MAX,
    0x5412,
    0xdead_beef_0000_5412,
];

#[test]
fn every_op_at_64_bit_boundaries() {
    for op in OPS {
        for &value in &EDGES {
            for &value_two in if op == Op::MaskedEq {
                &EDGES[..]
            } else {
                &EDGES[..1]
            } {
                let prog = compiled(&one("getppid", op, value, value_two));
                for &arg in &EDGES {
                    let got = run(&prog, &call("getppid", [0, 0, arg, 0, 0, 0]));
                    let want = if holds(op, arg, value, value_two) {
                        errno(1)
                    } else {
                        ALLOW
                    };
                    assert_eq!(
                        got, want,
                        "op {op:?} value {value:#x}/{value_two:#x} arg {arg:#x}"
                    );
                }
                // Other syscalls and other arguments are not concerned.
                assert_eq!(run(&prog, &call("getpid", [0, 0, value, 0, 0, 0])), ALLOW);
            }
        }
    }
}

#[test]
fn deny_and_allow_lists() {
    let deny = compiled(&Filter::deny(names(&["getppid", "getuid"]), 13));
    assert_eq!(run(&deny, &call("getppid", [0; 6])), errno(13));
    assert_eq!(run(&deny, &call("getuid", [0; 6])), errno(13));
    assert_eq!(run(&deny, &call("getpid", [0; 6])), ALLOW);
    let allow = compiled(&Filter::allow(names(&["exit_group", "write", "read"])));
    assert_eq!(run(&allow, &call("write", [0; 6])), ALLOW);
    assert_eq!(run(&allow, &call("exit_group", [0; 6])), ALLOW);
    assert_eq!(run(&allow, &call("getpid", [0; 6])), KILL);
}

#[test]
fn rules_for_one_syscall_in_order() {
    let cmp = |op, value| ArgCmp {
        index: 0,
        op,
        value,
        value_two: 0,
    };
    let filter = Filter {
        default: Action::Errno(99),
        rules: vec![
            Rule {
                names: names(&["getppid"]),
                action: Action::Errno(1),
                args: vec![cmp(Op::Gt, 10), cmp(Op::Lt, 20)],
            },
            Rule {
                names: names(&["getppid", "getpid"]),
                action: Action::Errno(2),
                args: vec![cmp(Op::Ge, 15)],
            },
            Rule {
                names: names(&["getppid"]),
                action: Action::Allow,
                args: vec![],
            },
            Rule {
                names: names(&["getppid"]),
                action: Action::Errno(4),
                args: vec![],
            },
        ],
    };
    let prog = compiled(&filter);
    let at = |name, a0| run(&prog, &call(name, [a0, 0, 0, 0, 0, 0]));
    assert_eq!(at("getppid", 15), errno(1));
    assert_eq!(at("getppid", 10), ALLOW);
    assert_eq!(at("getppid", 20), errno(2));
    assert_eq!(at("getppid", 1 << 40), errno(2));
    assert_eq!(at("getpid", 15), errno(2));
    assert_eq!(at("getpid", 14), errno(99));
    assert_eq!(at("getuid", 14), errno(99));
}

#[test]
fn foreign_arch_is_killed() {
    let prog = compiled(&Filter::deny(names(&["getppid"]), 1));
    for arch in [
        0,
        0xc000_0028,
        0x4000_0003 ^ 1,
        native().audit ^ 0x8000_0000,
    ] {
        if arch::COMPAT.as_ref().is_some_and(|c| c.audit == arch) {
            continue;
        }
        let data = Data {
            arch,
            ..call("getpid", [0; 6])
        };
        assert_eq!(run(&prog, &data), KILL);
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn x32_is_killed() {
    let prog = compiled(&Filter::deny(names(&["getppid"]), 1));
    for n in [nr("getpid"), nr("getppid"), 512, 0x3fff_ffff] {
        let data = call("getpid", [0; 6]);
        let x32 = Data {
            nr: n | 0x4000_0000,
            ..data
        };
        assert_eq!(run(&prog, &x32), KILL, "{n}");
    }
    // Negative numbers (-1: a tracer's skip) are not x32: the default.
    let minus = Data {
        nr: -1,
        ..call("getpid", [0; 6])
    };
    assert_eq!(run(&prog, &minus), ALLOW);
}

#[test]
fn compat_numbers_by_name() {
    let Some(compat) = arch::COMPAT.as_ref() else {
        return;
    };
    let filter = Filter {
        default: Action::Allow,
        rules: vec![
            Rule {
                names: names(&["getpid", "ioctl"]),
                action: Action::Errno(7),
                args: vec![],
            },
            Rule {
                names: names(&["personality"]),
                action: Action::Errno(8),
                args: vec![ArgCmp {
                    index: 0,
                    op: Op::Eq,
                    value: 0x1_0000_0008,
                    value_two: 0,
                }],
            },
            Rule {
                names: names(&["personality"]),
                action: Action::Errno(9),
                args: vec![ArgCmp {
                    index: 0,
                    op: Op::Lt,
                    value: 0x1_0000_0000,
                    value_two: 0,
                }],
            },
        ],
    };
    let prog = compiled(&filter);
    let num = |name: &str| {
        compat
            .number(table_index(name.as_bytes()).unwrap())
            .unwrap() as i32
    };
    let at = |name: &str, a0: u64| {
        let data = Data {
            nr: num(name),
            arch: compat.audit,
            ip: 0,
            args: [a0, 0, 0, 0, 0, 0],
        };
        run(&prog, &data)
    };
    assert_ne!(num("getpid"), nr("getpid"));
    assert_eq!(at("getpid", 0), errno(7));
    assert_eq!(at("ioctl", 0), errno(7));
    // The native number of getpid is another compat syscall.
    let native_getpid = Data {
        nr: nr("getpid"),
        arch: compat.audit,
        ip: 0,
        args: [0; 6],
    };
    assert_eq!(run(&prog, &native_getpid), ALLOW);
    // A 32-bit argument is zero-extended: Eq with a 33-bit value never holds, Lt 2^32 always,
    // whatever the upper word says.
    assert_eq!(at("personality", 8), errno(9));
    assert_eq!(at("personality", 0x1_0000_0008), errno(9));
    assert_eq!(at("personality", 0xffff_ffff), errno(9));
}

#[test]
fn long_jumps() {
    // Many rules with arguments on one syscall: the jumps of the first reach over > 255
    // instructions to the default or the next syscall.
    let mut rules = Vec::new();
    for i in 0..300u64 {
        rules.push(Rule {
            names: names(&["getppid"]),
            action: Action::Errno(1000 + i as u16),
            args: vec![ArgCmp {
                index: 1,
                op: Op::Eq,
                value: i << 32 | i,
                value_two: 0,
            }],
        });
    }
    rules.push(Rule {
        names: names(&["getuid", "getgid", "getpid", "gettid", "getegid"]),
        action: Action::Errno(5),
        args: vec![],
    });
    let filter = Filter {
        default: Action::Allow,
        rules,
    };
    let prog = compiled(&filter);
    assert!(prog.0.len() > 900, "{}", prog.0.len());
    assert!(prog.0.iter().any(|i| i.code == JA), "no trampoline");
    for i in [0u64, 1, 150, 299] {
        let data = call("getppid", [0, i << 32 | i, 0, 0, 0, 0]);
        assert_eq!(run(&prog, &data), errno(1000 + i as u16));
    }
    assert_eq!(
        run(&prog, &call("getppid", [0, 300 << 32 | 300, 0, 0, 0, 0])),
        ALLOW
    );
    assert_eq!(run(&prog, &call("getppid", [0, 5, 0, 0, 0, 0])), ALLOW);
    for name in ["getuid", "getgid", "getpid", "gettid", "getegid"] {
        assert_eq!(run(&prog, &call(name, [0; 6])), errno(5));
    }
    assert_eq!(run(&prog, &call("read", [0; 6])), ALLOW);
}

#[test]
fn many_syscalls() {
    // Every native syscall in an allow list but a few: a deep search with shared returns.
    let all: Vec<Vec<u8>> = native_names()
        .into_iter()
        .filter(|n| n != b"getppid" && n != b"kill")
        .collect();
    let prog = compiled(&Filter::allow(all.clone()));
    for name in &all {
        let name = core::str::from_utf8(name).unwrap();
        assert_eq!(run(&prog, &call(name, [0; 6])), ALLOW, "{name}");
    }
    assert_eq!(run(&prog, &call("getppid", [0; 6])), KILL);
    assert_eq!(run(&prog, &call("kill", [0; 6])), KILL);
    assert_eq!(
        run(
            &prog,
            &Data {
                nr: 4000,
                ..call("read", [0; 6])
            }
        ),
        KILL
    );
}

#[test]
fn too_long() {
    let rules = (0..2100u64)
        .map(|i| Rule {
            names: names(&["getppid"]),
            action: Action::Errno(1),
            args: vec![ArgCmp {
                index: 0,
                op: Op::Eq,
                value: i << 32 | i,
                value_two: 0,
            }],
        })
        .collect();
    let filter = Filter {
        default: Action::Allow,
        rules,
    };
    assert!(compile(&filter) == Err(Error::TooLong));
}

#[test]
fn unknown_names_and_bad_args() {
    assert!(known(b"getppid"));
    assert!(known(b"_llseek"));
    assert!(known(b"iopl"));
    assert!(known(b"set_tls"));
    assert!(!known(b"getpppid"));
    assert!(!known(b""));
    assert!(!known(b"GETPID"));
    assert!(!known(b"zzzz"));
    assert!(Names::decode().index(b"").is_none() && Names::decode().index(b"zzzz").is_none());
    let bad = Filter::deny(names(&["getpid", "no_such_call"]), 1);
    assert!(compile(&bad) == Err(Error::Unknown { rule: 0, name: 1 }));
    let mut args = one("getpid", Op::Eq, 0, 0);
    args.rules[0].args[0].index = 6;
    assert!(compile(&args) == Err(Error::ArgIndex { rule: 0 }));
    // A name of another architecture is skipped here.
    let other = if cfg!(target_arch = "x86_64") {
        "set_tls"
    } else {
        "iopl"
    };
    let prog = compiled(&Filter::deny(names(&[other, "getppid"]), 1));
    assert_eq!(run(&prog, &call("getppid", [0; 6])), errno(1));
}

/// The names of the table, in order.
fn all_names() -> Vec<Vec<u8>> {
    let mut names = Vec::new();
    each_name(&mut |_, n| {
        names.push(n.to_vec());
        true
    });
    names
}

/// The native syscalls' names.
fn native_names() -> Vec<Vec<u8>> {
    let names = all_names();
    (0..table::COUNT)
        .filter(|&i| native().number(i).is_some())
        .map(|i| names[i].clone())
        .collect()
}

#[test]
fn table_is_sorted_and_found() {
    let names = all_names();
    let mut count = 0;
    each_name(&mut |i, n| {
        assert_eq!(i, count);
        assert!(
            !n.is_empty()
                && n.iter()
                    .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        );
        count += 1;
        true
    });
    assert_eq!(count, table::COUNT);
    let mut prev = Vec::new();
    let decoded = Names::decode();
    for (i, name) in names.iter().enumerate() {
        assert!(*name > prev);
        assert_eq!(table_index(name), Some(i));
        assert_eq!(decoded.index(name), Some(i));
        let mut after = name.clone();
        after.push(b'0');
        assert_eq!(decoded.index(&after), table_index(&after));
        assert_eq!(
            decoded.index(&name[..name.len() - 1]),
            table_index(&name[..name.len() - 1])
        );
        prev = name.clone();
    }
}

#[test]
fn native_numbers_match_libc() {
    let sample: &[(&str, libc::c_long)] = &[
        ("read", libc::SYS_read),
        ("write", libc::SYS_write),
        ("openat", libc::SYS_openat),
        ("close", libc::SYS_close),
        ("getpid", libc::SYS_getpid),
        ("getppid", libc::SYS_getppid),
        ("ioctl", libc::SYS_ioctl),
        ("clone", libc::SYS_clone),
        ("clone3", libc::SYS_clone3),
        ("unshare", libc::SYS_unshare),
        ("setns", libc::SYS_setns),
        ("keyctl", libc::SYS_keyctl),
        ("bpf", libc::SYS_bpf),
        ("personality", libc::SYS_personality),
        ("mount", libc::SYS_mount),
        ("umount2", libc::SYS_umount2),
        ("pivot_root", libc::SYS_pivot_root),
        ("open_tree", libc::SYS_open_tree),
        ("mount_setattr", libc::SYS_mount_setattr),
        ("exit_group", libc::SYS_exit_group),
        ("seccomp", libc::SYS_seccomp),
        ("execve", libc::SYS_execve),
        ("userfaultfd", libc::SYS_userfaultfd),
        ("perf_event_open", libc::SYS_perf_event_open),
        ("clock_adjtime", libc::SYS_clock_adjtime),
    ];
    for &(name, number) in sample {
        assert_eq!(nr(name) as libc::c_long, number, "{name}");
    }
    #[cfg(target_arch = "x86_64")]
    for (name, number) in [
        ("iopl", libc::SYS_iopl),
        ("open", libc::SYS_open),
        ("kexec_file_load", libc::SYS_kexec_file_load),
    ] {
        assert_eq!(nr(name) as libc::c_long, number, "{name}");
    }
    #[cfg(target_arch = "arm")]
    assert_eq!(nr("set_tls") as libc::c_long, 0xf0005);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn compat_numbers_i386() {
    // A sample of i386's numbers (arch/x86/entry/syscalls/syscall_32.tbl).
    let compat = arch::COMPAT.as_ref().unwrap();
    for (name, number) in [
        ("exit", 1),
        ("getpid", 20),
        ("ioctl", 54),
        ("clone", 120),
        ("personality", 136),
        ("socketcall", 102),
        ("_llseek", 140),
        ("unshare", 310),
        ("keyctl", 288),
        ("clone3", 435),
    ] {
        assert_eq!(
            compat.number(table_index(name.as_bytes()).unwrap()),
            Some(number),
            "{name}"
        );
    }
}

fn ctx(sys_admin: bool, kernel: (u32, u32)) -> PresetContext {
    PresetContext { sys_admin, kernel }
}

#[test]
fn preset_default() {
    let prog = compiled(&preset::default(&ctx(false, (6, 1))));
    let eperm = errno(1);
    for name in [
        "keyctl", "add_key", "mount", "umount2", "fsopen", "bpf", "reboot", "unshare",
    ] {
        assert_eq!(run(&prog, &call(name, [0; 6])), eperm, "{name}");
    }
    assert_eq!(run(&prog, &call("ptrace", [0; 6])), ALLOW);
    assert_eq!(run(&prog, &call("getpid", [0; 6])), ALLOW);
    // ioctl: TIOCSTI and TIOCLINUX on the lower 32 bits of the request only.
    for request in [0x5412, 0x541c, 0x1_0000_5412, 0xffff_ffff_0000_5412] {
        assert_eq!(
            run(&prog, &call("ioctl", [0, request, 0, 0, 0, 0])),
            eperm,
            "{request:#x}"
        );
    }
    for request in [0x5413, 0x5412_0000, 0x5411, 0] {
        assert_eq!(
            run(&prog, &call("ioctl", [0, request, 0, 0, 0, 0])),
            ALLOW,
            "{request:#x}"
        );
    }
    // personality: Docker's values only.
    for value in [0, 8, 0x20000, 0x20008, 0xffff_ffff, 0x7_0000_0008] {
        assert_eq!(
            run(&prog, &call("personality", [value, 0, 0, 0, 0, 0])),
            ALLOW
        );
    }
    for value in [1, 0x400000, 0x20009, 0xfffffffe] {
        assert_eq!(
            run(&prog, &call("personality", [value, 0, 0, 0, 0, 0])),
            eperm
        );
    }
    // clone: threads and forks run, namespaces do not.
    let thread = 0x3d0f00; // glibc's pthread_create flags
    let fork = 0x1200011; // CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD
    for flags in [thread, fork, 0xffff_ffff_0000_0000 | fork] {
        assert_eq!(
            run(&prog, &call("clone", [flags, 0, 0, 0, 0, 0])),
            ALLOW,
            "{flags:#x}"
        );
    }
    for ns in [0x10000000, 0x20000, 0x40000000, 0x2000000] {
        assert_eq!(
            run(&prog, &call("clone", [fork | ns, 0, 0, 0, 0, 0])),
            eperm,
            "{ns:#x}"
        );
    }
    assert_eq!(run(&prog, &call("clone3", [0; 6])), errno(38));
    // With CAP_SYS_ADMIN and before 4.8.
    let admin = compiled(&preset::default(&ctx(true, (4, 4))));
    assert_eq!(
        run(&admin, &call("unshare", [0x10000000, 0, 0, 0, 0, 0])),
        ALLOW
    );
    assert_eq!(
        run(&admin, &call("clone", [0x10000000, 0, 0, 0, 0, 0])),
        ALLOW
    );
    assert_eq!(run(&admin, &call("clone3", [0; 6])), ALLOW);
    assert_eq!(run(&admin, &call("ptrace", [0; 6])), eperm);
    assert_eq!(run(&admin, &call("keyctl", [0; 6])), eperm);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn preset_i386() {
    let prog = compiled(&preset::default(&ctx(false, (6, 1))));
    let i386 = |nr, a0, a1| Data {
        nr,
        arch: 0x4000_0003,
        ip: 0,
        args: [a0, a1, 0, 0, 0, 0],
    };
    assert_eq!(run(&prog, &i386(288, 0, 0)), errno(1)); // keyctl
    assert_eq!(run(&prog, &i386(25, 0, 0)), errno(1)); // stime
    assert_eq!(run(&prog, &i386(404, 0, 0)), errno(1)); // clock_settime64
    assert_eq!(run(&prog, &i386(54, 0, 0x5412)), errno(1)); // ioctl TIOCSTI
    assert_eq!(run(&prog, &i386(54, 0, 0x5413)), ALLOW);
    assert_eq!(run(&prog, &i386(120, 0x10000000, 0)), errno(1)); // clone NEWUSER
    assert_eq!(run(&prog, &i386(120, 0x1200011, 0)), ALLOW);
    assert_eq!(run(&prog, &i386(20, 0, 0)), ALLOW); // getpid
}

#[test]
fn preset_names_looked_up_at_build_time() {
    for sys_admin in [false, true] {
        for kernel in [(4, 4), (6, 1)] {
            let c = ctx(sys_admin, kernel);
            let (filter, named) = preset::default_named(&c);
            let full = preset::default(&c);
            assert_eq!(filter.rules.len(), full.rules.len());
            let by_name: usize = full.rules.iter().map(|r| r.names.len()).sum();
            assert_eq!(named.len(), by_name);
            let looked_up: Vec<(usize, usize)> = full
                .rules
                .iter()
                .enumerate()
                .flat_map(|(r, rule)| rule.names.iter().map(move |n| (table_index(n), r)))
                .map(|(i, r)| (i.unwrap_or(usize::MAX), r))
                .collect();
            assert_eq!(named, looked_up);
            assert_eq!(compile_named(&filter, &named), compile(&full));
        }
    }
}

#[test]
fn preset_names_are_known() {
    for rule in preset::default(&ctx(false, (4, 0))).rules {
        for name in rule.names {
            assert!(known(&name), "{}", String::from_utf8_lossy(&name));
        }
    }
}

// Real installs, each in a forked child.

const SIGSYS: i32 = 31;

fn sys(name: &str) -> usize {
    nr(name) as usize
}

#[test]
fn install_deny_list() {
    let prog = compiled(&Filter::deny(names(&["getppid"]), 1));
    let getppid = sys("getppid");
    let getpid = sys("getpid");
    let end = testing::in_child(&prog.0, || {
        if testing::syscall(getppid, 0, 0) != -1 {
            return 1;
        }
        if testing::syscall(getpid, 0, 0) <= 0 {
            return 2;
        }
        0
    });
    assert_eq!(end, End::Exit(0));
    let prog = compiled(&Filter::deny(names(&["getppid"]), 77));
    let end = testing::in_child(&prog.0, || -testing::syscall(getppid, 0, 0) as i32);
    assert_eq!(end, End::Exit(77));
}

#[test]
fn install_allow_list_kills() {
    let prog = compiled(&Filter::allow(names(&[
        "exit_group",
        "exit",
        "write",
        "getpid",
    ])));
    let getpid = sys("getpid");
    let getppid = sys("getppid");
    let end = testing::in_child(&prog.0, || {
        if testing::syscall(getpid, 0, 0) <= 0 {
            return 1;
        }
        testing::syscall(getppid, 0, 0);
        2
    });
    assert_eq!(end, End::Signal(SIGSYS));
}

#[test]
fn install_preset() {
    let prog = compiled(&preset::default(&ctx(false, (6, 1))));
    let (keyctl, bpf, unshare, ioctl) = (sys("keyctl"), sys("bpf"), sys("unshare"), sys("ioctl"));
    let end = testing::in_child(&prog.0, || {
        let eperm = -1;
        if testing::syscall(keyctl, 0, 0) != eperm {
            return 1;
        }
        if testing::syscall(bpf, 0, 0) != eperm {
            return 2;
        }
        if testing::syscall(unshare, 0x1000_0000, 0) != eperm {
            return 3;
        }
        // TIOCSTI on a descriptor that is surely no terminal: EPERM from the filter, not
        // EBADF from the kernel; also with upper bits set.
        if testing::syscall(ioctl, 999, 0x5412) != eperm {
            return 4;
        }
        #[cfg(target_pointer_width = "64")]
        if testing::syscall(ioctl, 999, 0xffff_0000_0000_5412) != eperm {
            return 5;
        }
        if testing::syscall(ioctl, 999, 0x5413) != -9 {
            return 6;
        }
        0
    });
    assert_eq!(end, End::Exit(0));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn install_x32_and_i386() {
    let prog = compiled(&Filter::deny(names(&["getpid"]), 1));
    let getppid = sys("getppid");
    let end = testing::in_child(&prog.0, || {
        testing::syscall(getppid | 0x4000_0000, 0, 0);
        1
    });
    assert_eq!(end, End::Signal(SIGSYS));
    // int $0x80 without a filter: is there an i386 ABI at all?
    let allow_all = compiled(&Filter {
        default: Action::Allow,
        rules: Vec::new(),
    });
    let works = testing::in_child(&allow_all.0, || (testing::int80_getpid() > 0) as i32);
    if works != End::Exit(1) {
        eprintln!("no i386 ABI here: int $0x80 not tested");
        return;
    }
    let end = testing::in_child(&prog.0, || -testing::int80_getpid());
    assert_eq!(end, End::Exit(1));
}

/// A small xorshift generator: the same random filters every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A value near the interesting edges, or any.
    fn value(&mut self) -> u64 {
        let edge = EDGES[self.below(EDGES.len() as u64) as usize];
        match self.below(4) {
            0 => edge,
            1 => edge.wrapping_add(self.below(3)).wrapping_sub(1),
            2 => edge ^ (1 << self.below(64)),
            _ => self.next(),
        }
    }
}

/// What `filter` decides for a call of `name` with `args` (zero-extended 32-bit ones if not
/// `wide`), by the OCI semantics.
fn reference(filter: &Filter, name: &str, args: [u64; 6], wide: bool) -> u32 {
    for rule in &filter.rules {
        if !rule.names.iter().any(|n| n == name.as_bytes()) {
            continue;
        }
        let all = rule.args.iter().all(|a| {
            let arg = args[a.index as usize];
            let arg = if wide { arg } else { arg & 0xffff_ffff };
            holds(a.op, arg, a.value, a.value_two)
        });
        if all {
            return rule.action.ret();
        }
    }
    filter.default.ret()
}

#[test]
fn random_filters_match_the_reference() {
    const CALLS: [&str; 6] = ["getpid", "getppid", "ioctl", "read", "write", "personality"];
    let actions = [
        Action::Allow,
        Action::Errno(1),
        Action::Errno(2),
        Action::KillProcess,
        Action::Trap,
        Action::Log,
    ];
    let index = CALLS.map(|n| table_index(n.as_bytes()).unwrap());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..300 {
        let rule_count = if round % 50 == 0 {
            150
        } else {
            1 + rng.below(12)
        };
        let mut rules = Vec::new();
        for _ in 0..rule_count {
            let names = (0..1 + rng.below(3))
                .map(|_| {
                    CALLS[rng.below(CALLS.len() as u64) as usize]
                        .as_bytes()
                        .to_vec()
                })
                .collect();
            let args = (0..rng.below(4))
                .map(|_| ArgCmp {
                    index: rng.below(6) as u8,
                    op: OPS[rng.below(7) as usize],
                    value: rng.value(),
                    value_two: rng.value(),
                })
                .collect();
            let action = actions[rng.below(actions.len() as u64) as usize];
            rules.push(Rule {
                names,
                action,
                args,
            });
        }
        let filter = Filter {
            default: actions[rng.below(actions.len() as u64) as usize],
            rules,
        };
        let prog = match compile(&filter) {
            Ok(prog) => prog,
            Err(Error::TooLong) => continue,
            Err(_) => panic!("compile failed"),
        };
        check_shape(&prog);
        // Some are installed for real: the kernel's checker takes them (exit_group, named by no
        // rule, runs whatever the default: the child ends by it).
        if round % 10 == 0 {
            let mut runnable = prog.clone();
            if filter.default != Action::Allow {
                let allowing = Filter {
                    default: Action::Allow,
                    ..filter.clone()
                };
                runnable = compiled(&allowing);
            }
            assert_eq!(
                testing::in_child(&runnable.0, || 0),
                End::Exit(0),
                "round {round}"
            );
        }
        let abis = [Some(native()), arch::COMPAT.as_ref()];
        for abi in abis.into_iter().flatten() {
            for _ in 0..200 {
                let name_i = rng.below(CALLS.len() as u64) as usize;
                let name = CALLS[name_i];
                let mut args = [0u64; 6];
                // Often the values of the rules themselves, to hit equalities.
                for (i, arg) in args.iter_mut().enumerate() {
                    *arg = match filter
                        .rules
                        .get(rng.below(filter.rules.len() as u64) as usize)
                    {
                        Some(r) if rng.below(2) == 0 => r
                            .args
                            .iter()
                            .find(|a| a.index as usize == i)
                            .map_or(rng.value(), |a| match rng.below(3) {
                                0 => a.value,
                                1 => a.value_two,
                                _ => a.value_two ^ (1 << rng.below(64)),
                            }),
                        _ => rng.value(),
                    };
                }
                let nr = abi.number(index[name_i]).unwrap() as i32;
                let data = Data {
                    nr,
                    arch: abi.audit,
                    ip: 0,
                    args,
                };
                let want = reference(&filter, name, args, abi.wide);
                assert_eq!(run(&prog, &data), want, "round {round} {name} {args:x?}");
            }
        }
    }
}

#[test]
fn install_long_allow_list() {
    // The kernel's checker takes the trampolines of a long program, and it runs as interpreted.
    let all: Vec<Vec<u8>> = native_names()
        .into_iter()
        .filter(|n| n != b"getppid")
        .collect();
    let prog = compiled(&Filter::allow(all));
    assert!(prog.0.len() > 300 && prog.0.iter().any(|i| i.code == JA));
    let (getpid, getppid) = (sys("getpid"), sys("getppid"));
    let end = testing::in_child(&prog.0, || {
        if testing::syscall(getpid, 0, 0) <= 0 {
            return 1;
        }
        testing::syscall(getppid, 0, 0);
        2
    });
    assert_eq!(end, End::Signal(SIGSYS));
}

/// The bytes of `prog` as bubblewrap takes them.
fn raw(prog: &[SockFilter]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for i in prog {
        bytes.extend_from_slice(&i.code.to_ne_bytes());
        bytes.extend_from_slice(&[i.jt, i.jf]);
        bytes.extend_from_slice(&i.k.to_ne_bytes());
    }
    bytes
}

/// What read_program makes of `bytes` written to a pipe.
fn read_back(bytes: &[u8]) -> Result<Vec<SockFilter>, crate::sys::seccomp::ProgramError> {
    use rustix::fd::AsFd;
    let (reader, writer) = rustix::pipe::pipe().unwrap();
    crate::sys::fd::write_all(writer.as_fd(), bytes);
    drop(writer);
    crate::sys::seccomp::read_program(reader.as_fd())
}

#[test]
fn read_programs() {
    use crate::sys::seccomp::ProgramError;
    let prog = compiled(&preset::default(&ctx(false, (6, 1))));
    let back = read_back(&raw(&prog.0)).unwrap();
    assert!(back == prog.0);
    // Installed from what was read, it denies as the compiled one does.
    let keyctl = sys("keyctl");
    let end = testing::in_child(&back, || -testing::syscall(keyctl, 0, 0) as i32);
    assert_eq!(end, End::Exit(1));
    assert_eq!(read_back(&[]), Err(ProgramError::Length));
    assert_eq!(read_back(&raw(&prog.0)[..15]), Err(ProgramError::Length));
    let max = vec![prog.0[0]; MAX_INSNS];
    assert_eq!(read_back(&raw(&max)).map(|p| p.len()), Ok(MAX_INSNS));
    let over = vec![prog.0[0]; MAX_INSNS + 1];
    assert_eq!(read_back(&raw(&over)), Err(ProgramError::TooLong));
}
