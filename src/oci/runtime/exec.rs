//! `exec [--process FILE] [--detach] [--pid-file F] [--cwd D] [--env K=V] [--user U[:G]] ID
//! [CMD...]`: runs a process in a running container through [`crate::join::enter`] (its
//! namespaces, root and working directory), as the process JSON (or the config's process with
//! CMD) says: env, cwd, user, capabilities, rlimits, noNewPrivileges, and the container's
//! seccomp filter from its config.json as `create` read it (kept in the state directory). Without `--detach` it waits and exits with the
//! process's status; with it, it returns once the process runs, leaving it to the caller's
//! subreaper. With `--tty` (or process.terminal) and `--console-socket`, the process gets a
//! terminal of the container's devpts whose master is sent to the socket
//! ([`crate::join::enter::Console`]), as runc's `exec -t` does.

use alloc::vec::Vec;

use super::super::cli::ExecArgs;
use super::{find, Failed};
use crate::join::enter::{self, Console, Process, Request, Source};
use crate::state::{Life, Store};

/// Runs `exec`; its exit status.
pub fn run(store: &Store, a: &ExecArgs, env: &[&[u8]]) -> Result<i32, Failed> {
    let e = find(store, &a.id)?;
    if crate::state::life(&e) != Life::Alive {
        return Err(crate::out::around(
            "cannot exec in container '",
            &a.id,
            "': it is stopped",
        ));
    }
    if super::freeze::frozen(&e) {
        return Err(crate::out::around(
            "cannot exec in a paused container '",
            &a.id,
            "' (hint: nsrun resume it first)",
        ));
    }
    // config.json as `create` read it (the bundle's may have been changed since, by the
    // container itself when its root is the bundle).
    let saved = store.saved_config(&a.id).map_err(|e| e.line)?;
    let config = crate::oci::parse(&saved).map_err(|e| e.0)?;
    let mut process = match &a.process {
        Some(path) => {
            let text = super::create::read(path)?;
            crate::oci::parse_process(&text, "process.json").map_err(|e| e.0)?
        }
        None => config
            .process
            .clone()
            .ok_or_else(|| String::from("config.json: process: missing"))?,
    };
    if !a.command.is_empty() {
        process.args = a
            .command
            .iter()
            .map(|w| String::from_utf8_lossy(w).into())
            .collect();
    }
    if process.args.is_empty() {
        return Err(String::from(
            "exec: no command (give CMD or --process FILE)",
        ));
    }
    // runc's rule: --tty asks as process.terminal does, and a terminal goes with the socket.
    let terminal = a.tty || process.terminal;
    match (terminal, &a.console_socket) {
        (true, None) => {
            return Err(String::from(
                "exec: --tty (or process.terminal: true) needs --console-socket PATH: nsrun \
                 sends the terminal's master there and relays no terminal itself (hint: leave \
                 out --tty, or give the socket the engine listens on)",
            ))
        }
        (false, Some(_)) => {
            return Err(String::from(
                "exec: --console-socket: no terminal was asked, so there is nothing to send \
                 (hint: add --tty, or \"terminal\": true in the --process file)",
            ))
        }
        _ => {}
    }
    for kv in &a.env {
        process.env.push(String::from_utf8_lossy(kv).into());
    }
    if let Some(cwd) = &a.cwd {
        process.cwd = String::from_utf8_lossy(cwd).into();
    }
    if let Some((uid, gid)) = a.user {
        process.user.uid = uid;
        process.user.gid = gid.unwrap_or(0);
    }
    let caps = match crate::oci::to_spec::cap_sets(&process).map_err(|e| e.0)? {
        Some(sets) => crate::confine::caps::Apply {
            keep: sets.bounding,
            ambient: sets.ambient,
            exact: Some(sets),
            held: crate::confine::caps::bounding(),
        },
        None => crate::confine::caps::Apply {
            keep: 0,
            ambient: 0,
            exact: None,
            held: crate::confine::caps::bounding(),
        },
    };
    let seccomp = match config.linux.as_ref().and_then(|l| l.seccomp.as_ref()) {
        Some(s) if !process.no_new_privileges && crate::oci::to_spec::fakes_success(&s.filter) => {
            return Err(String::from(
                "config.json: linux.seccomp: an SCMP_ACT_ERRNO with errnoRet 0 fakes success, and \
                 without the process's noNewPrivileges the filter covers nsrun's own change of ids \
                 and capabilities",
            ))
        }
        Some(s) if s.flags != 0 => {
            return Err(String::from(
                "config.json: linux.seccomp.flags: not applied to exec'd processes yet",
            ))
        }
        Some(s) => Some(
            crate::confine::seccomp::compile(&crate::oci::to_spec::known_only(&s.filter))
                .map_err(|e| {
                    let why = match e {
                        crate::confine::seccomp::Error::Unknown { .. } => {
                            "a syscall of no known architecture"
                        }
                        crate::confine::seccomp::Error::ArgIndex { .. } => {
                            "an argument index above 5"
                        }
                        crate::confine::seccomp::Error::TooLong => "more than 4096 instructions",
                        crate::confine::seccomp::Error::Arch => {
                            "no syscall numbers for this architecture"
                        }
                    };
                    crate::out::cat(&["config.json: linux.seccomp: cannot compile it: ", why])
                })?
                .0,
        ),
        None => None,
    };
    let cwd = match process.cwd.is_empty() {
        true => None,
        false => Some(crate::setup::step::c_string(
            process.cwd.as_bytes().to_vec(),
        )),
    };
    let p = Process {
        cwd,
        ids: (
            process.user.uid,
            process.user.gid,
            process.user.additional_gids.clone(),
        ),
        caps,
        no_new_privs: process.no_new_privileges || a.no_new_privs,
        rlimits: process
            .rlimits
            .iter()
            .map(|r| crate::spec::Rlimit {
                resource: r.resource,
                soft: Some(r.soft),
                hard: Some(r.hard),
            })
            .collect(),
        seccomp,
        detach: a.detach,
        pid_file: match &a.pid_file {
            Some(path) => Some(pid_file(path)?),
            None => None,
        },
        console: match &a.console_socket {
            Some(path) => Some(Console {
                socket: crate::sys::console::connect(path).map_err(|e| {
                    let what = crate::out::around("exec: connect to the console socket ", path, "");
                    crate::report::line(&what, e, Some("the engine must listen there"))
                })?,
                size: process.console_size,
            }),
            None => None,
        },
    };
    let command: Vec<Vec<u8>> = process.args.iter().map(|s| s.as_bytes().to_vec()).collect();
    let environ: Vec<&[u8]> = process.env.iter().map(|s| s.as_bytes()).collect();
    let _ = env;
    join_cgroups(&e)?;
    enter::try_enter(
        &Request {
            source: Source::Process {
                pid: e.pid,
                start: Some(e.pid_start),
            },
            kinds: None,
            command: &command,
            process: Some(&p),
        },
        &environ,
    )
    .map_err(|line| crate::out::cat(&["exec: ", &line]))
}

use alloc::string::String;

/// Moves this process into every cgroup of the container (each v1 hierarchy's directory, or
/// the v2 one), as runc puts an exec'd process: what it starts is confined by the same device
/// rules and limits, frozen by `pause`, listed by `ps` and ended by `kill --all` and `delete
/// --force`. Done last, once everything else was checked, just before the namespaces are
/// joined (the cgroup files are the host's).
fn join_cgroups(e: &crate::state::Entry) -> Result<(), Failed> {
    let mut pid = Vec::new();
    crate::state::entry::decimal(
        &mut pid,
        rustix::process::getpid().as_raw_nonzero().get() as u64,
    );
    for dir in &e.cgroups {
        let file = [dir.as_slice(), b"/cgroup.procs"].concat();
        let what = || crate::out::around("exec: join the container's cgroup ", dir, "");
        let fd = rustix::fs::open(
            file.as_slice(),
            rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC | rustix::fs::OFlags::NOFOLLOW,
            rustix::fs::Mode::empty(),
        )
        .map_err(|err| crate::report::line(&what(), err, None))?;
        rustix::io::write(&fd, &pid).map_err(|err| crate::report::line(&what(), err, None))?;
    }
    Ok(())
}

/// The pid file's directory, opened here on the host (the file is written after the
/// container's root was entered), and its name.
fn pid_file(path: &[u8]) -> Result<(rustix::fd::OwnedFd, alloc::ffi::CString), Failed> {
    use rustix::fs::{Mode, OFlags};
    let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
        Some(0) => (&b"/"[..], &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&b"."[..], path),
    };
    if name.is_empty() {
        return Err(crate::out::around("--pid-file ", path, ": names no file"));
    }
    let fd = rustix::fs::open(
        dir,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        crate::report::line(
            &crate::out::around("open the directory of --pid-file ", path, ""),
            e,
            None,
        )
    })?;
    Ok((fd, crate::setup::step::c_string(name.to_vec())))
}
