//! The OCI runtime's commands ([`super::cli::Cmd`]), one file each. They share the launcher
//! ([`crate::run::launch`], which `create` drives with [`crate::spec::Life::hold`]) and the
//! state store ([`crate::state`]) with nsrun's own commands: an OCI container is an entry of the
//! store like a named run, with `oci` set, its bundle and annotations.
//!
//! Errors are one line each, on stderr or appended to `--log FILE`, as a JSON object with
//! `--log-format json`; the exit status is 0 on success and 1 on any failure.

use alloc::string::String;

use super::cli::{Cmd, Request};
use crate::out;
use crate::state::{Entry, Life, Store};

mod create;
mod delete;
mod exec;
mod features;
mod freeze;
mod kill;
mod list;
mod ps;
mod spec;
mod start;
mod state;

/// A failure: its line.
pub type Failed = String;

/// Does what `request` asks; returns the exit status (0 or 1). `create` and `run` leave from
/// inside the launcher.
pub fn main(request: &Request, env: &[&[u8]]) -> i32 {
    let g = &request.globals;
    if let Ok(Cmd::Create { preserve_fds, .. }) = &request.cmd {
        if let Err(line) = create::check_preserved(*preserve_fds, env) {
            out::error_str(&line);
            return 1;
        }
    }
    if let Some(path) = &g.log {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::APPEND | OFlags::CLOEXEC;
        match rustix::fs::open(path.as_slice(), flags, Mode::from(0o644)) {
            // Kept open for the life of the process (the launcher keeps 2 only: see create).
            Ok(fd) => out::errors_to(rustix::fd::IntoRawFd::into_raw_fd(fd)),
            Err(e) => {
                let what = out::around("open the log ", path, "");
                out::error_str(&crate::report::line(&what, e, None));
                return 1;
            }
        }
    }
    if g.json {
        out::json_errors();
    }
    let done = match &request.cmd {
        Err(e) => Err(crate::out::cat(&[e, " (see nsrun --help)"])),
        Ok(cmd) => run(cmd, g, env),
    };
    match done {
        Ok(()) => 0,
        Err(line) => {
            out::error_str(&line);
            1
        }
    }
}

fn run(cmd: &Cmd, g: &super::cli::Globals, env: &[&[u8]]) -> Result<(), Failed> {
    let root = g.root.as_deref();
    match cmd {
        Cmd::Print(text) => {
            out::stdout_str(text);
            Ok(())
        }
        Cmd::Create { .. } => create::run(cmd, g, env),
        Cmd::Start(id) => start::run(&open(root, env)?, id),
        Cmd::State(id) => state::run(&open(root, env)?, id),
        Cmd::Kill { all, id, signal } => kill::run(&open(root, env)?, id, *signal, *all),
        Cmd::Delete { force, id } => delete::run(&open(root, env)?, id, *force),
        Cmd::List { json, quiet } => list::run(&open(root, env)?, *json, *quiet),
        Cmd::Ps { json, id } => ps::run(&open(root, env)?, id, *json),
        Cmd::Freeze(on, id) => freeze::run(&open(root, env)?, id, *on),
        Cmd::Features => features::run(),
        Cmd::Spec { rootless, bundle } => spec::run(*rootless, bundle.as_deref()),
        Cmd::Exec(a) => {
            let code = exec::run(&open(root, env)?, a, env)?;
            crate::sys::exit::exit_now(code)
        }
    }
}

/// The state directory.
fn open(root: Option<&[u8]>, env: &[&[u8]]) -> Result<Store, Failed> {
    Store::open(root, env).map_err(|e| e.line)
}

/// The entry of `id` (a stale one is removed first), or containerd's words for none.
fn find(store: &Store, id: &[u8]) -> Result<Entry, Failed> {
    match store.find(id).map_err(|e| e.line)? {
        Some(e) => Ok(e),
        None => Err(out::around(
            "container '",
            id,
            "': container does not exist",
        )),
    }
}

/// The OCI status of `e`: created, running, paused or stopped.
fn status(e: &Entry) -> Result<&'static str, Failed> {
    match crate::state::life(e) {
        Life::Alive if freeze::frozen(e) => Ok("paused"),
        Life::Alive => Ok(e.status().name()),
        Life::Elsewhere => Err(crate::state::elsewhere(&e.name).line),
        _ => Ok("stopped"),
    }
}

/// The state object of `e`, as runc prints it (`indent` before each member).
fn state_json(out: &mut String, e: &Entry, indent: &str) -> Result<(), Failed> {
    let status = status(e)?;
    let pid = if status == "stopped" { 0 } else { e.pid };
    state_json_as(out, e, status, pid, indent);
    Ok(())
}

/// The state a hook reads on its standard input: `e` with `status` and `pid` (the pid as the
/// hook's namespace sees it), as `state` prints it.
pub fn hook_state(e: &Entry, status: &str, pid: i32) -> alloc::vec::Vec<u8> {
    let mut out = String::new();
    state_json_as(&mut out, e, status, pid, "  ");
    out.push('\n');
    out.into_bytes()
}

/// [`state_json`] with the status and pid given.
fn state_json_as(out: &mut String, e: &Entry, status: &str, pid: i32, indent: &str) {
    let key = |out: &mut String, k: &str| {
        out.push_str(indent);
        out.push('"');
        out.push_str(k);
        out.push_str("\": ");
    };
    out.push_str("{\n");
    key(out, "ociVersion");
    out.push_str("\"1.0.2-dev\",\n");
    key(out, "id");
    crate::json::string(out, &e.name);
    out.push_str(",\n");
    key(out, "pid");
    crate::out::push_i32(out, pid);
    out.push_str(",\n");
    key(out, "status");
    crate::json::string(out, status.as_bytes());
    out.push_str(",\n");
    key(out, "bundle");
    crate::json::string(out, e.bundle.as_deref().unwrap_or_default());
    out.push_str(",\n");
    key(out, "rootfs");
    crate::json::string(out, e.root.as_deref().unwrap_or_default());
    out.push_str(",\n");
    key(out, "created");
    out.push('"');
    crate::json::rfc3339(out, e.created);
    out.push_str("\",\n");
    // runc's order: annotations (when any), then owner.
    if !e.annotations.is_empty() {
        key(out, "annotations");
        out.push('{');
        for (i, (k, v)) in e.annotations.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            out.push_str(indent);
            out.push_str(indent);
            crate::json::string(out, k);
            out.push_str(": ");
            crate::json::string(out, v);
        }
        out.push('\n');
        out.push_str(indent);
        out.push_str("},\n");
    }
    key(out, "owner");
    out.push_str("\"\"\n");
    out.push_str(&indent[..indent.len().saturating_sub(2)]);
    out.push('}');
}
