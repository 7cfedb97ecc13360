//! `create [--bundle DIR] [--pid-file FILE] [--preserve-fds N] ID` (and `run`, which also
//! starts the container and waits for it): reads DIR/config.json, maps it to a [`Spec`]
//! ([`crate::oci::to_spec`]) and hands it to the launcher with [`Life::hold`]: the launcher
//! sets the container up, records it and exits; its process waits for `start` on its fifo.

use alloc::vec::Vec;

use super::super::cli::{Cmd, Globals};
use super::Failed;
use crate::out;
use crate::spec::{EnvOp, Hold, Life, Spec};

/// Runs `create` or `run`.
pub fn run(cmd: &Cmd, g: &Globals, env: &[&[u8]]) -> Result<(), Failed> {
    let Cmd::Create {
        bundle,
        pid_file,
        console_socket,
        preserve_fds,
        id,
        start,
        detach,
    } = cmd
    else {
        return Ok(());
    };
    if g.systemd_cgroup && (!g.json || g.debug) {
        out::error_str(
            "warning: --systemd-cgroup: nsrun manages cgroupfs itself (the container's cgroup \
             is a directory it makes, not a systemd unit)",
        );
    }
    let bundle = absolute(bundle.as_deref().unwrap_or(b"."))?;
    let config_path = [bundle.as_slice(), b"/config.json"].concat();
    let text = read(&config_path)?;
    let config = crate::oci::parse(&text).map_err(|e| e.0)?;
    let terminal = config.process.as_ref().filter(|p| p.terminal);
    let mut spec: Spec = crate::oci::to_spec::to_spec(&config, &bundle).map_err(|e| e.0)?;
    // The cgroup, if the config asks for one, outlives this process (delete removes it) and
    // may be frozen (pause).
    if spec.locks.cgroup != crate::confine::cgroup::Request::default() {
        spec.locks.cgroup.keep = true;
    }
    // The console, as runc: process.terminal and --console-socket go together.
    match (terminal, console_socket) {
        (Some(p), Some(path)) => {
            let socket = crate::sys::console::connect(path).map_err(|e| {
                let what = crate::out::around("connect to the console socket ", path, "");
                crate::report::line(&what, e, None)
            })?;
            use rustix::fd::IntoRawFd;
            spec.console = Some(crate::spec::Console {
                // Close-on-exec; the child sends the pty master on it and closes it.
                socket: socket.into_raw_fd(),
                size: p.console_size,
            });
        }
        (Some(_), None) => {
            return Err(String::from(
                "config.json: process.terminal: true needs --console-socket (the engine's \
                 socket that receives the terminal's master)",
            ))
        }
        (None, Some(_)) => {
            return Err(String::from(
                "--console-socket: config.json's process.terminal is false (no terminal to send)",
            ))
        }
        (None, None) => {}
    }
    preserve(&mut spec, *preserve_fds, env);
    let annotations = config
        .annotations
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    spec.life = Life {
        name: Some(id.clone()),
        state_dir: g.root.clone(),
        hold: Some(Hold {
            bundle,
            annotations,
            pid_file: pid_file.clone(),
            hooks: config.hooks.clone(),
            config: text,
        }),
        ..Life::default()
    };
    if !*start {
        crate::run::launch::run(&spec, env)
    }
    run_and_wait(&spec, g, id, *detach, env)
}

use alloc::string::String;

/// `run`: as a subreaper (so the container's process, once its launcher has exited, is this
/// process's child), creates it in a forked launcher, starts it, then (unless `detach`) waits
/// for it, deletes it and exits with its status.
fn run_and_wait(
    spec: &Spec,
    g: &Globals,
    id: &[u8],
    detach: bool,
    env: &[&[u8]],
) -> Result<(), Failed> {
    use rustix::process::{Pid, WaitOptions};
    if !detach {
        rustix::process::set_child_subreaper(rustix::process::getpid().into()).map_err(|e| {
            crate::report::line("become a subreaper (PR_SET_CHILD_SUBREAPER)", e, None)
        })?;
    }
    match crate::sys::process::fork() {
        Ok(None) => crate::run::launch::run(spec, env),
        Ok(Some(child)) => {
            let created = rustix::process::waitpid(Pid::from_raw(child), WaitOptions::empty());
            if !matches!(created, Ok(Some((_, st))) if st.exit_status() == Some(0)) {
                // The launcher has said why.
                crate::sys::exit::exit_now(1);
            }
        }
        Err(e) => return Err(crate::report::line("fork", e, None)),
    }
    let store = super::open(g.root.as_deref(), env)?;
    // Blocked from before the start (the process's own mask was set at create): what this
    // process is sent until the container ends is passed on to it, as runc run does.
    let waited = crate::run::forward::waited(&[]);
    if !detach {
        crate::sys::signal::block(&waited);
    }
    if let Err(line) = super::start::run(&store, id) {
        // A created (or stopped, after a failed poststart hook) container is not left behind.
        let _ = super::delete::run(&store, id, true);
        return Err(line);
    }
    if detach {
        return Ok(());
    }
    let e = super::find(&store, id)?;
    let code = loop {
        match rustix::process::waitpid(Pid::from_raw(e.pid), WaitOptions::NOHANG) {
            Ok(Some((_, st))) => break crate::status::from_wait(st.as_raw()),
            Ok(None) | Err(rustix::io::Errno::INTR) => {}
            _ => break crate::status::SETUP_FAILED,
        }
        if let Ok(caught) = crate::sys::signal::wait(&waited) {
            if crate::run::forward::passes(caught.signo, caught.from_kernel) {
                crate::sys::signal::send(e.pid, caught.signo);
            }
        }
    };
    super::delete::run(&store, id, true)?;
    crate::sys::exit::exit_now(code)
}

/// `--preserve-fds N` and systemd's socket activation (LISTEN_FDS), as runc: descriptors 3 to
/// 3+N-1 (and the LISTEN_FDS ones, with LISTEN_FDS and LISTEN_PID=1 in the process's
/// environment) stay open in the process.
fn preserve(spec: &mut Spec, n: u32, env: &[&[u8]]) {
    let listen = listen_fds(env);
    if let Some(l) = listen {
        let mut v = Vec::new();
        crate::state::entry::decimal(&mut v, u64::from(l));
        spec.env.push(EnvOp::Set(b"LISTEN_FDS".to_vec(), v));
        spec.env
            .push(EnvOp::Set(b"LISTEN_PID".to_vec(), b"1".to_vec()));
    }
    let count = n + listen.unwrap_or(0);
    spec.keep_fds.extend((0..count as i32).map(|i| 3 + i));
}

/// LISTEN_FDS of `env`, when it names some (systemd's socket activation).
fn listen_fds(env: &[&[u8]]) -> Option<u32> {
    crate::state::getenv(env, "LISTEN_FDS")
        .and_then(|v| crate::cli::parse_u32(v, 10))
        .filter(|n| *n > 0 && *n < 1 << 16)
}

/// Checks, before the runtime opens anything (its `--log`), that every descriptor `create`
/// would pass on (`--preserve-fds N` and LISTEN_FDS: 3 to 3+N-1) is open: one the caller left
/// closed would otherwise be the number the runtime's own next descriptor takes, and the
/// container would get it.
pub fn check_preserved(n: u32, env: &[&[u8]]) -> Result<(), Failed> {
    let count = n.saturating_add(listen_fds(env).unwrap_or(0));
    match (0..count)
        .map(|i| 3 + i as i32)
        .find(|fd| !crate::sys::fd::is_open(*fd))
    {
        Some(fd) => Err(alloc::format!(
            "--preserve-fds {n}: descriptor {fd} is not open (hint: pass open descriptors 3 to {})",
            2 + count
        )),
        None => Ok(()),
    }
}

/// `dir` as an absolute path: joined to the current directory when relative.
fn absolute(dir: &[u8]) -> Result<Vec<u8>, Failed> {
    if dir.first() == Some(&b'/') {
        return Ok(dir.to_vec());
    }
    let cwd = rustix::process::getcwd(Vec::new())
        .map_err(|e| crate::report::line("read the current directory", e, None))?;
    let mut path = cwd.into_bytes();
    if dir != b"." {
        path.push(b'/');
        path.extend_from_slice(dir.strip_prefix(b"./").unwrap_or(dir));
    }
    Ok(path)
}

/// The bytes of the config file `path` (at most 4 MiB).
pub(super) fn read(path: &[u8]) -> Result<Vec<u8>, Failed> {
    let fail = |e| {
        let hint = (e == rustix::io::Errno::NOENT).then_some("give the bundle with --bundle DIR");
        crate::report::line(&out::around("read ", path, ""), e, hint)
    };
    let text = crate::state::ops::read_small(path).map_err(fail)?;
    if text.len() > 4 << 20 {
        return Err(out::around("", path, ": larger than 4 MiB"));
    }
    Ok(text)
}
