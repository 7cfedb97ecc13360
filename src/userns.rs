//! The parent's part of a new user namespace: writing the child's id maps through /proc.

use alloc::format;
use alloc::string::String;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use crate::plan::Maps;
use crate::report;

/// Writes setgroups (when needed), uid_map and gid_map of process `pid`; on failure returns the
/// message line.
pub fn write_maps(pid: i32, maps: &Maps) -> Result<(), String> {
    if maps.deny_setgroups {
        write(pid, "setgroups", b"deny")?;
    }
    if !maps.uid.is_empty() {
        write(pid, "uid_map", &maps.uid)?;
    }
    if !maps.gid.is_empty() {
        write(pid, "gid_map", &maps.gid)?;
    }
    Ok(())
}

fn write(pid: i32, file: &str, text: &[u8]) -> Result<(), String> {
    let path = format!("/proc/{pid}/{file}");
    let fail = |e: Errno| {
        let hint = match e {
            Errno::NOENT => "writing id maps needs /proc mounted on the host",
            Errno::PERM | Errno::INVAL => {
                "an unprivileged user may map only their own uid and gid (--map-root-user); \
                 other ranges need root"
            }
            _ => "",
        };
        report::line(
            &format!("write {path}"),
            e,
            (!hint.is_empty()).then_some(hint),
        )
    };
    let fd = rustix::fs::open(
        path.as_str(),
        OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(fail)?;
    match rustix::io::write(&fd, text) {
        Ok(n) if n == text.len() => Ok(()),
        Ok(_) => Err(fail(Errno::IO)),
        Err(e) => Err(fail(e)),
    }
}

/// The map text of `--map-current-user`: the caller's id `outer` as itself inside (`OUTER OUTER 1`).
/// For plan.rs's `map_text`: with `spec.map_current_user`, the uid map is
/// `current_user_map(caller.uid)` and the gid map `current_user_map(caller.gid)`.
pub fn current_user_map(outer: u32) -> alloc::vec::Vec<u8> {
    format!("{outer} {outer} 1\n").into_bytes()
}
