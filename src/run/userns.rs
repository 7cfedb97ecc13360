//! The parent's part of a new user namespace: writing the child's id maps (and other files of
//! the waiting child) through /proc.

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
    let root = rustix::process::geteuid().is_root();
    write_proc_file(pid, file, text).map_err(|e| {
        let hint = hint(e, root);
        report::line(
            &format!("write /proc/{pid}/{file}"),
            e,
            (!hint.is_empty()).then_some(hint),
        )
    })
}

/// Writes `text` to `/proc/PID/FILE` in one write(2), as the kernel's proc files want.
pub fn write_proc_file(pid: i32, file: &str, text: &[u8]) -> Result<(), Errno> {
    let path = format!("/proc/{pid}/{file}");
    let fd = rustix::fs::open(
        path.as_str(),
        OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    match rustix::io::write(&fd, text)? == text.len() {
        true => Ok(()),
        false => Err(Errno::IO),
    }
}

/// The hint for a failed write of a map file, for root or an ordinary user.
fn hint(e: Errno, root: bool) -> &'static str {
    match (e, root) {
        (Errno::NOENT, _) => "writing id maps needs /proc mounted on the host",
        (Errno::PERM | Errno::INVAL, false) => {
            "an unprivileged user may map only their own uid and gid (--map-root-user); \
             other ranges need root"
        }
        (Errno::INVAL, true) => {
            "the kernel refused the map: each range must fit below 2^32, lines must not overlap \
             inside or outside, and there may be at most 340 lines (5 before Linux 4.15)"
        }
        (Errno::PERM, true) => {
            "every outside id must be mapped in nsrun's own user namespace \
             (see /proc/self/uid_map and gid_map)"
        }
        _ => "",
    }
}

/// The map text of `--map-current-user`: the caller's id `outer` as itself inside (`OUTER OUTER 1`).
/// For plan.rs's `map_text`: with `spec.map_current_user`, the uid map is
/// `current_user_map(caller.uid)` and the gid map `current_user_map(caller.gid)`.
pub fn current_user_map(outer: u32) -> alloc::vec::Vec<u8> {
    format!("{outer} {outer} 1\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_gets_its_own_hints() {
        assert!(hint(Errno::INVAL, false).contains("unprivileged user"));
        assert!(hint(Errno::PERM, false).contains("unprivileged user"));
        assert!(hint(Errno::INVAL, true).contains("must not overlap"));
        assert!(hint(Errno::PERM, true).contains("nsrun's own user namespace"));
        assert!(!hint(Errno::INVAL, true).contains("unprivileged"));
        assert_eq!(current_user_map(1000), b"1000 1000 1\n");
    }
}
