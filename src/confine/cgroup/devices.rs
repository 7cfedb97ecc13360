//! Device rules on cgroup v2: the same rule lines the v1 devices controller takes (`c 1:3 rwm`,
//! `a *:* rwm`, allow or deny) compiled into an eBPF program of type
//! `BPF_PROG_TYPE_CGROUP_DEVICE`, attached to the container's cgroup (as runc and crun do; the
//! kernel's cgroup-v2.rst, "Device controller").
//!
//! The program sees one access (`struct bpf_cgroup_dev_ctx`: the type and access bits, the major
//! and minor) and answers 1 (allowed) or 0. The rules are tried from the last to the first: the
//! last rule that matches decides, and an access no rule matches is denied. An allow rule matches
//! when it names the device and covers every access bit asked for; a deny rule when it names the
//! device and any of the bits asked for. For the lists nsrun writes (a deny-all first, then
//! allows, maybe a deny of one device) this is what the v1 controller does with them in order.

use alloc::vec::Vec;

use crate::sys::bpf::Insn;

/// One rule, parsed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Rule {
    /// Allow (true) or deny.
    pub allow: bool,
    /// `BPF_DEVCG_DEV_BLOCK` (1), `BPF_DEVCG_DEV_CHAR` (2), or None for `a` (all).
    pub kind: Option<u32>,
    /// The major, None for `*`.
    pub major: Option<u32>,
    /// The minor, None for `*`.
    pub minor: Option<u32>,
    /// `BPF_DEVCG_ACC_MKNOD` (1) | `READ` (2) | `WRITE` (4).
    pub access: u32,
}

/// Parses a rule line (`c 1:3 rwm`, `b *:* m`, `a *:* rwm`, `a`); None if it is not one.
pub(crate) fn parse(allow: bool, line: &[u8]) -> Option<Rule> {
    let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let kind = match words.next()? {
        b"a" => None,
        b"b" => Some(1),
        b"c" => Some(2),
        _ => return None,
    };
    let number = |w: &[u8]| -> Option<Option<u32>> {
        match w {
            b"*" => Some(None),
            _ => super::parse::decimal(w)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|&n| n <= i32::MAX as u32)
                .map(Some),
        }
    };
    let (major, minor, access) = match words.next() {
        // `a` alone: every device, every access.
        None if kind.is_none() => (None, None, 7),
        None => return None,
        Some(nums) => {
            let colon = nums.iter().position(|&b| b == b':')?;
            let major = number(&nums[..colon])?;
            let minor = number(&nums[colon + 1..])?;
            let mut access = 0;
            for &b in words.next()? {
                access |= match b {
                    b'm' => 1,
                    b'r' => 2,
                    b'w' => 4,
                    _ => return None,
                };
            }
            if words.next().is_some() || access == 0 {
                return None;
            }
            (major, minor, access)
        }
    };
    Some(Rule {
        allow,
        kind,
        major,
        minor,
        access,
    })
}

const LDX_W: u8 = 0x61;
const MOV_X: u8 = 0xbf;
const MOV_K: u8 = 0xb7;
const AND_K: u8 = 0x57;
const RSH_K: u8 = 0x77;
const JEQ_K: u8 = 0x15;
const JNE_K: u8 = 0x55;
const EXIT: u8 = 0x95;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: dst | src << 4,
        off,
        imm,
    }
}

/// The program for `rules` (in the order they are written).
pub(crate) fn compile(rules: &[Rule]) -> Vec<Insn> {
    // r2: access bits, r3: type, r4: major, r5: minor.
    let mut p = alloc::vec![
        insn(LDX_W, 2, 1, 0, 0),
        insn(MOV_X, 3, 2, 0, 0),
        insn(AND_K, 3, 0, 0, 0xffff),
        insn(RSH_K, 2, 0, 0, 16),
        insn(LDX_W, 4, 1, 4, 0),
        insn(LDX_W, 5, 1, 8, 0),
    ];
    for r in rules.iter().rev() {
        // Each test jumps past the block's end when the rule does not match.
        let mut block: Vec<Insn> = Vec::with_capacity(9);
        let mut skips: Vec<usize> = Vec::with_capacity(4);
        for (reg, want) in [(3, r.kind), (4, r.major), (5, r.minor)] {
            if let Some(v) = want {
                skips.push(block.len());
                block.push(insn(JNE_K, reg, 0, 0, v as i32));
            }
        }
        block.push(insn(MOV_X, 6, 2, 0, 0));
        match r.allow {
            // Every bit asked for is one the rule allows.
            true => {
                block.push(insn(AND_K, 6, 0, 0, (!r.access & 7) as i32));
                skips.push(block.len());
                block.push(insn(JNE_K, 6, 0, 0, 0));
            }
            // Any bit asked for is one the rule denies.
            false => {
                block.push(insn(AND_K, 6, 0, 0, r.access as i32));
                skips.push(block.len());
                block.push(insn(JEQ_K, 6, 0, 0, 0));
            }
        }
        block.push(insn(MOV_K, 0, 0, 0, i32::from(r.allow)));
        block.push(insn(EXIT, 0, 0, 0, 0));
        let len = block.len();
        for at in skips {
            block[at].off = (len - at - 1) as i16;
        }
        p.extend(block);
    }
    p.push(insn(MOV_K, 0, 0, 0, 0));
    p.push(insn(EXIT, 0, 0, 0, 0));
    p
}

/// What the rules decide for one access, as [`compile`]'s program decides it.
#[cfg(test)]
pub(crate) fn decide(rules: &[Rule], kind: u32, major: u32, minor: u32, access: u32) -> bool {
    for r in rules.iter().rev() {
        let names = r.kind.is_none_or(|k| k == kind)
            && r.major.is_none_or(|m| m == major)
            && r.minor.is_none_or(|m| m == minor);
        let covers = match r.allow {
            true => access & !r.access == 0,
            false => access & r.access != 0,
        };
        if names && covers {
            return r.allow;
        }
    }
    false
}

/// On cgroup v1, a deny that follows an allow it overlaps without naming the same type and
/// numbers (one of them has a `*` or type `a` where the other names one) and shares an access
/// with: the v1 controller removes a deny
/// only from an exception of exactly the same type and numbers, so it would drop this one
/// silently and the device stay open. The deny's line and the allow's (runc refuses such a
/// list on v1 too). A deny-all starts over.
pub(crate) fn v1_hole(lines: &[(bool, Vec<u8>)]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut allows: Vec<(Rule, &[u8])> = Vec::new();
    for (allow, line) in lines {
        let Some(r) = parse(*allow, line) else {
            continue;
        };
        if r.allow {
            allows.push((r, line));
            continue;
        }
        if r.kind.is_none() && r.major.is_none() && r.minor.is_none() {
            allows.clear();
            continue;
        }
        // Overlapping without the same numbers (either may be the wider): v1 would keep the
        // allow's exception whole.
        let covers = |a: &Rule| {
            let meet = |x: Option<u32>, y: Option<u32>| x.is_none() || y.is_none() || x == y;
            meet(a.kind, r.kind)
                && meet(a.major, r.major)
                && meet(a.minor, r.minor)
                && (a.kind, a.major, a.minor) != (r.kind, r.major, r.minor)
                && a.access & r.access != 0
        };
        if let Some((_, a)) = allows.iter().find(|(a, _)| covers(a)) {
            return Some((line.clone(), a.to_vec()));
        }
    }
    None
}

/// Loads the program for the rule lines `lines` and attaches it to the cgroup v2 directory
/// `dir`.
pub(crate) fn attach(
    dir: &[u8],
    lines: &[(bool, Vec<u8>)],
) -> Result<(), (Vec<u8>, rustix::io::Errno)> {
    let mut rules = Vec::with_capacity(lines.len());
    for (allow, line) in lines {
        match parse(*allow, line) {
            Some(r) => rules.push(r),
            None => return Err((line.clone(), rustix::io::Errno::INVAL)),
        }
    }
    let prog = compile(&rules);
    let fail = |e| (dir.to_vec(), e);
    let flags =
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC;
    let cg = rustix::fs::open(dir, flags, rustix::fs::Mode::empty()).map_err(fail)?;
    let fd = crate::sys::bpf::load_device_filter(&prog).map_err(fail)?;
    use rustix::fd::AsFd;
    crate::sys::bpf::attach_device_filter(cg.as_fd(), fd.as_fd()).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// Runs `prog` (the opcodes [`compile`] emits) on one access, as the kernel would.
    fn run(prog: &[Insn], kind: u32, major: u32, minor: u32, access: u32) -> u64 {
        let ctx = [access << 16 | kind, major, minor];
        let mut r = [0u64; 11];
        let mut pc = 0usize;
        loop {
            let i = prog[pc];
            let (dst, src) = ((i.regs & 15) as usize, (i.regs >> 4) as usize);
            let imm = i.imm as i64 as u64;
            pc += 1;
            match i.code {
                LDX_W => {
                    assert_eq!(src, 1, "loads only from the context");
                    r[dst] = u64::from(ctx[i.off as usize / 4]);
                }
                MOV_X => r[dst] = r[src],
                MOV_K => r[dst] = imm,
                AND_K => r[dst] &= imm,
                RSH_K => r[dst] >>= imm,
                JEQ_K if r[dst] == imm => pc += i.off as usize,
                JNE_K if r[dst] != imm => pc += i.off as usize,
                JEQ_K | JNE_K => {}
                EXIT => return r[0],
                c => panic!("opcode {c:#x}"),
            }
        }
    }

    #[test]
    fn v1_holes() {
        let l = |allow: bool, t: &str| (allow, t.as_bytes().to_vec());
        let hole = v1_hole(&[
            l(false, "a *:* rwm"),
            l(true, "b *:* rwm"),
            l(false, "b 7:0 r"),
        ]);
        assert_eq!(hole, Some((b"b 7:0 r".to_vec(), b"b *:* rwm".to_vec())));
        // The same numbers: v1 takes the access away from that exception.
        assert_eq!(v1_hole(&[l(true, "c 1:3 rwm"), l(false, "c 1:3 w")]), None);
        // No shared access, another type, or a deny-all between: no hole.
        assert_eq!(v1_hole(&[l(true, "c *:* m"), l(false, "c 1:3 rw")]), None);
        assert_eq!(v1_hole(&[l(true, "c *:* rwm"), l(false, "b 7:0 r")]), None);
        assert_eq!(
            v1_hole(&[
                l(true, "c *:* rwm"),
                l(false, "a *:* rwm"),
                l(false, "c 1:3 r")
            ]),
            None
        );
        assert!(v1_hole(&[l(true, "c 1:* rwm"), l(false, "c 1:3 r")]).is_some());
        // A deny wider than an earlier allow: v1 drops it too (it names no exception).
        assert!(v1_hole(&[l(true, "b 7:0 r"), l(false, "b 7:* rwm")]).is_some());
        assert!(v1_hole(&[l(true, "c 1:3 r"), l(false, "c *:* r")]).is_some());
        assert!(v1_hole(&[l(true, "a *:* rwm"), l(false, "c 1:3 r")]).is_some());
    }

    #[test]
    fn rule_lines() {
        let all = Rule {
            allow: false,
            kind: None,
            major: None,
            minor: None,
            access: 7,
        };
        assert_eq!(parse(false, b"a *:* rwm"), Some(all));
        assert_eq!(parse(false, b"a"), Some(all));
        let null = parse(true, b"c 1:3 rw").unwrap();
        assert_eq!(
            (null.kind, null.major, null.minor, null.access),
            (Some(2), Some(1), Some(3), 6)
        );
        let pts = parse(true, b"c 136:* m").unwrap();
        assert_eq!((pts.major, pts.minor, pts.access), (Some(136), None, 1));
        for bad in [
            "",
            "x 1:3 rwm",
            "c 1:3",
            "c 1-3 rwm",
            "c 1:3 rwx",
            "c 1:3 rwm z",
            "c :3 r",
            "c 1:99999999999 r",
            "b",
        ] {
            assert_eq!(parse(true, bad.as_bytes()), None, "{bad}");
        }
    }

    /// The program decides every access as [`decide`] does, on random rule lists.
    #[test]
    fn the_program_decides_as_the_rules_say() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..300 {
            let rules: Vec<Rule> = (0..next(8))
                .map(|_| Rule {
                    allow: next(3) != 0,
                    kind: [None, Some(1), Some(2)][next(3) as usize],
                    major: [None, Some(1), Some(5), Some(136)][next(4) as usize],
                    minor: [None, Some(0), Some(3), Some(9)][next(4) as usize],
                    access: 1 + next(7) as u32,
                })
                .collect();
            let prog = compile(&rules);
            for kind in [1, 2] {
                for major in [1, 5, 7, 136] {
                    for minor in [0, 3, 9, 42] {
                        for access in 1..8 {
                            let want = decide(&rules, kind, major, minor, access);
                            let got = run(&prog, kind, major, minor, access);
                            assert_eq!(
                                got,
                                u64::from(want),
                                "{rules:?} {kind} {major}:{minor} {access}"
                            );
                        }
                    }
                }
            }
        }
        // No rule: everything is denied.
        assert_eq!(run(&compile(&[]), 2, 1, 3, 2), 0);
        // runc's default list: deny all, then /dev/null and the terminals.
        let rules = vec![
            parse(false, b"a *:* rwm").unwrap(),
            parse(true, b"c 1:3 rwm").unwrap(),
            parse(true, b"c 136:* rwm").unwrap(),
            parse(true, b"b *:* m").unwrap(),
        ];
        let prog = compile(&rules);
        assert_eq!(run(&prog, 2, 1, 3, 6), 1, "read and write /dev/null");
        assert_eq!(run(&prog, 2, 1, 5, 2), 0, "/dev/zero");
        assert_eq!(run(&prog, 2, 136, 4, 6), 1, "a pty");
        assert_eq!(run(&prog, 1, 8, 0, 1), 1, "mknod of a block device");
        assert_eq!(run(&prog, 1, 8, 0, 2), 0, "reading it");
    }

    /// The cgroup v2 mount and this process's cgroup below it, from /proc/self.
    fn own_v2() -> Option<std::path::PathBuf> {
        let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        let mount = info.lines().find_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            right
                .starts_with("cgroup2 ")
                .then(|| left.split(' ').nth(4).map(str::to_owned))?
        })?;
        let cg = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let own = cg.lines().find_map(|l| l.strip_prefix("0::"))?;
        Some(std::path::Path::new(&mount).join(own.trim_start_matches('/')))
    }

    /// The program, loaded into this kernel and attached to a scratch cgroup v2 directory
    /// (removed after): a process in it opens /dev/null, not /dev/zero.
    #[test]
    #[ignore = "needs root"]
    fn the_kernel_enforces_the_program() {
        let Some(own) = own_v2() else {
            eprintln!("skipped: no cgroup2 mount");
            return;
        };
        let dir = own.join(format!("nsrun-devices-test-{}", std::process::id()));
        std::fs::create_dir(&dir).unwrap();
        let lines = vec![
            (false, b"a *:* rwm".to_vec()),
            (true, b"c 1:3 rwm".to_vec()),
        ];
        let attached = attach(dir.as_os_str().as_encoded_bytes(), &lines);
        let out = attached.as_ref().ok().map(|()| {
            let script = format!(
                "echo $$ > {}/cgroup.procs && cat /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null 2>&1 || echo zero-denied",
                dir.display()
            );
            std::process::Command::new("/bin/sh")
                .args(["-c", &script])
                .output()
                .unwrap()
        });
        let removed = std::fs::remove_dir(&dir);
        match attached {
            Err((_, rustix::io::Errno::PERM)) => eprintln!("skipped: no CAP_BPF"),
            Err(e) => panic!("attach: {e:?}"),
            Ok(()) => {
                let out = out.unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                assert_eq!(
                    text,
                    "null-ok\nzero-denied\n",
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        removed.unwrap();
    }
}
