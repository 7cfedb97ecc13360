//! The locks of [`crate::confine`] as the plan prepares them: what the capability options come
//! to, and the steps the child and the command process apply.

use alloc::format;
use alloc::vec::Vec;

use super::Refusal;
use crate::confine::caps;
use crate::confine::seccomp::{self, preset::PresetContext, Filter};
use crate::out::Bytes as Show;
use crate::setup::step::Step;
use crate::spec::{Bytes, CapOp, CapsPreset, SeccompOp, Spec};
use crate::status;

/// The preset in effect: the one asked for, else `container` with `--root`, else `all`.
pub fn caps_preset(spec: &Spec) -> CapsPreset {
    match (spec.locks.caps_preset, &spec.root) {
        (Some(p), _) => p,
        (None, Some(_)) => CapsPreset::Container,
        (None, None) => CapsPreset::All,
    }
}

/// What the command holds, or None when the capability options leave it as the kernel makes it
/// (preset `all`, nothing dropped or added).
pub fn caps(spec: &Spec) -> Result<Option<caps::Apply>, Refusal> {
    if let Some(sets) = spec.locks.cap_sets {
        let held = caps::bounding();
        let missing = (sets.permitted | sets.effective | sets.ambient) & !held;
        if missing != 0 {
            return Err(Refusal {
                line: format!(
                    "process.capabilities: {}: nsrun's bounding set lacks it, so the process \
                     cannot hold it (hint: see CapBnd in /proc/self/status)",
                    caps::describe(missing)
                ),
                code: status::SETUP_FAILED,
            });
        }
        return Ok(Some(caps::Apply {
            keep: sets.bounding,
            ambient: sets.ambient,
            exact: Some(sets),
            held,
        }));
    }
    let preset = caps_preset(spec);
    if preset == CapsPreset::All && spec.locks.caps.is_empty() {
        return Ok(None);
    }
    let bounding = caps::bounding();
    let mut keep = match preset {
        CapsPreset::Container => caps::CONTAINER,
        CapsPreset::All => bounding,
    };
    let mut added = 0;
    for op in &spec.locks.caps {
        match *op {
            CapOp::Drop(m) => {
                keep &= !m;
                added &= !m;
            }
            CapOp::Add(m) => {
                keep |= m;
                // `--cap-add ALL` adds what nsrun holds.
                added |= m & if m == caps::ALL { bounding } else { m };
            }
        }
    }
    let missing = added & !bounding;
    if missing != 0 {
        return Err(Refusal {
            line: format!(
                "--cap-add {}: nsrun's bounding set lacks it, so the command cannot hold it \
                 (hint: see CapBnd in /proc/self/status; a capability once dropped from the \
                 bounding set cannot come back)",
                caps::describe(missing)
            ),
            code: status::SETUP_FAILED,
        });
    }
    keep &= bounding;
    Ok(Some(caps::Apply {
        keep,
        ambient: added & keep,
        exact: None,
        held: bounding,
    }))
}

/// Whether no_new_privs is set: asked for, or implied by a seccomp filter or the container
/// preset.
pub fn no_new_privs(spec: &Spec) -> bool {
    if spec.oci {
        return spec.no_new_privs;
    }
    spec.no_new_privs
        || !spec.locks.seccomp.is_empty()
        || caps_preset(spec) == CapsPreset::Container
}

/// The steps the command process applies just before exec, in this order: a new session, the
/// umask, the resource limits (raising one needs CAP_SYS_RESOURCE, so before the capabilities
/// go), the capabilities, the seccomp filters (prepared by [`seccomp_steps`]) last.
pub fn exec_steps(spec: &Spec, caps: Option<caps::Apply>, steps: &mut Vec<Step>) {
    let locks = &spec.locks;
    if locks.new_session {
        steps.push(Step::NewSession);
    }
    if let Some(mask) = locks.umask {
        steps.push(Step::Umask(mask));
    }
    for limit in &locks.rlimits {
        steps.push(Step::Rlimit(*limit));
    }
    if let Some(apply) = caps {
        steps.push(Step::Caps(apply));
    }
}

/// The seccomp filters, compiled (or read, for `--seccomp FD`) here in the launcher, as steps of
/// the command process. `sys_admin`: whether the command holds CAP_SYS_ADMIN, which the preset
/// asks.
pub fn seccomp_steps(spec: &Spec, sys_admin: bool, steps: &mut Vec<Step>) -> Result<(), Refusal> {
    let usage = |line: alloc::string::String| Refusal {
        line,
        code: status::USAGE,
    };
    let errno = spec.locks.seccomp_errno.unwrap_or(libc::EPERM as u16);
    // Each install is a system call the filters installed before it see: so first the filters
    // that only deny (the preset, the deny lists), then the allow list (one: a second could
    // not be installed under the first), then the programs from descriptors, in their order,
    // as bubblewrap installs them. The kernel's answer does not depend on the order (the
    // strictest wins), but for two errnos, where the later filter's is given.
    let ops = &spec.locks.seccomp;
    // A filter that blocks seccomp(2) itself (an allow list without it, a deny list with it)
    // must be installed last: at most one of them. Programs from descriptors come before it, in
    // their order (each must let the later installs through, as under bubblewrap).
    let names_seccomp = |names: &[Bytes]| names.iter().any(|n| n == b"seccomp");
    let blocks = |op: &SeccompOp| match op {
        SeccompOp::Allow(names) => !names_seccomp(names),
        SeccompOp::Deny(names) => names_seccomp(names),
        _ => false,
    };
    if ops.iter().filter(|o| blocks(o)).count() > 1 {
        return Err(usage(
            "two seccomp filters that block seccomp(2) (an allow list without it, or a deny \
             list with it): nsrun installs each filter with seccomp(2), so only one of them can \
             come last (hint: give one --seccomp-allow list, or allow seccomp in it)"
                .into(),
        ));
    }
    let rank = |op: &SeccompOp| match op {
        _ if blocks(op) => 2,
        SeccompOp::Fd { .. } => 1,
        _ => 0,
    };
    let ordered = (0..3).flat_map(|r| ops.iter().filter(move |o| rank(o) == r));
    for op in ordered {
        let (filter, named, option) = match op {
            SeccompOp::Rules {
                filter,
                flags,
                label,
            } => {
                let program = seccomp::compile(filter).map_err(|e| {
                    usage(match e {
                        seccomp::Error::TooLong => {
                            format!(
                                "{label}: the filter would exceed the kernel's 4096 instructions"
                            )
                        }
                        seccomp::Error::ArgIndex { rule } => {
                            format!("{label}: rule {rule}: an argument index above 5")
                        }
                        _ => format!(
                            "{label}: nsrun knows no system call numbers for this architecture"
                        ),
                    })
                })?;
                steps.push(Step::Seccomp {
                    program,
                    flags: *flags,
                    option: (*label).into(),
                });
                continue;
            }
            SeccompOp::Fd { fd, add } => {
                let option = match add {
                    false => format!("--seccomp {fd}"),
                    true => format!("--add-seccomp-fd {fd}"),
                };
                let program = crate::sys::seccomp::read_program(crate::sys::fd::borrow_named(*fd))
                    .map_err(|e| {
                        use crate::sys::seccomp::ProgramError;
                        usage(match e {
                            ProgramError::Read(e) => crate::report::line(
                                &format!("{option}: read the filter"),
                                e,
                                Some("give a descriptor open for reading, as bubblewrap takes it"),
                            ),
                            ProgramError::Length => format!(
                                "{option}: the filter is empty or not whole instructions \
                                 (a struct sock_filter array: a multiple of 8 bytes)"
                            ),
                            ProgramError::TooLong => format!(
                                "{option}: the filter holds more than the kernel's 4096 instructions"
                            ),
                        })
                    })?;
                steps.push(Step::Seccomp {
                    program: seccomp::Program(program),
                    flags: 0,
                    option,
                });
                continue;
            }
            SeccompOp::Deny(names) => {
                let filter = Filter::deny(names.clone(), errno);
                (filter, None, "--seccomp-deny")
            }
            SeccompOp::Allow(names) => (Filter::allow(names.clone()), None, "--seccomp-allow"),
            SeccompOp::Preset => {
                // Its names were looked up when nsrun was built.
                let (filter, named) = seccomp::preset::default_named(&PresetContext {
                    sys_admin,
                    kernel: kernel_version(),
                });
                (filter, Some(named), "--seccomp-preset default")
            }
        };
        let program = match &named {
            Some(named) => seccomp::compile_named(&filter, named),
            None => seccomp::compile(&filter),
        };
        let program = program.map_err(|e| {
            usage(match e {
                seccomp::Error::Unknown { rule, name } => {
                    let name = filter
                        .rules
                        .get(rule)
                        .and_then(|r| r.names.get(name))
                        .map_or(&b"?"[..], |n| n.as_slice());
                    format!(
                        "{option}: '{}' is not a system call nsrun knows (names as in the syscalls(2) manual)",
                        Show(name)
                    )
                }
                seccomp::Error::TooLong => {
                    format!("{option}: the filter would exceed the kernel's 4096 instructions")
                }
                seccomp::Error::ArgIndex { .. } => format!("{option}: an argument index above 5"),
                seccomp::Error::Arch => {
                    format!("{option}: nsrun knows no system call numbers for this architecture")
                }
            })
        })?;
        // The filter is installed before the command is executed: without execve (or execveat)
        // in an allow list, the exec itself would be killed.
        if let SeccompOp::Allow(names) = op {
            if !names.iter().any(|n| n == b"execve" || n == b"execveat") {
                return Err(usage(
                    "--seccomp-allow: the list must allow execve (or execveat): nsrun executes \
                     the command after installing the filter"
                        .into(),
                ));
            }
        }
        steps.push(Step::Seccomp {
            program,
            flags: 0,
            option: option.into(),
        });
    }
    Ok(())
}

/// The running kernel's (major, minor), from uname; (0, 0) when it cannot be read, which the
/// preset treats as old (it then denies ptrace too).
fn kernel_version() -> (u32, u32) {
    let uname = rustix::system::uname();
    let release = uname.release().to_bytes();
    let mut parts = release.split(|&b| b == b'.').map(|p| {
        let digits = p.iter().take_while(|b| b.is_ascii_digit()).count();
        core::str::from_utf8(&p[..digits])
            .ok()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0)
    });
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}
