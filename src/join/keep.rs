//! `--keep DIR`: the container's namespace files bound under DIR so they outlive its processes,
//! as `unshare --net=FILE` does, and `nsrun release DIR`, which undoes exactly that.
//!
//! Layout (the contract with `nsrun enter --from DIR`): DIR/NAME for each namespace the
//! container is in that is not the launcher's own (made, or joined), named as in /proc/PID/ns:
//! mnt uts ipc net pid user cgroup time (pid: the container's PID namespace; time: the one its
//! command runs in, the child's time_for_children). DIR/.nsrun-keep records what nsrun made, line
//! by line, each written before it is made, so a killed launcher leaves enough for `release`:
//!
//! ```text
//! nsrun-keep 1
//! self-bind MNTID      (only when nsrun made DIR a private bind mount of itself)
//! net INODE            (one per bound file: its name and the namespace's inode)
//! ```
//!
//! The mount namespace file can be bound only where the bind does not propagate back into that
//! namespace (the kernel refuses to copy it, EINVAL): DIR must be a mount of its own that is not
//! shared; otherwise nsrun makes it a private bind mount of itself (open_tree + move_mount, Linux
//! 5.2), before clone, so the container's namespace gets no peer of it.
//!
//! DIR is resolved once into a descriptor; every file is created with openat(O_EXCL|O_NOFOLLOW)
//! under it and bound through /proc/self/fd, so a DIR renamed or swapped for a symbolic link
//! during the run cannot make nsrun bind or unmount anywhere else.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::CStr;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

use crate::ns::Kind;
use crate::out::Bytes as Show;
use crate::report;
use crate::setup::step::c_string;

/// The record's name in DIR.
pub const MARKER: &CStr = c".nsrun-keep";
const HEADER: &[u8] = b"nsrun-keep 1\n";

/// A kept directory being filled: DIR as a descriptor (the top mount, after the self-bind) and
/// its record.
pub struct Keep {
    dir: OwnedFd,
    marker: OwnedFd,
    shown: Vec<u8>,
}

/// `--keep DIR: ...` with the errno text and a hint.
fn fail(dir: &[u8], what: &str, e: Errno, hint: Option<&str>) -> String {
    report::line_of(&["--keep ", &crate::out::shown(dir), ": ", what], e, hint)
}

/// Whether this process may mount in its own mount namespace (CAP_SYS_ADMIN in its effective
/// set; the kernel checks it against the namespace's owner).
fn can_mount() -> bool {
    use rustix::thread::CapabilitySet;
    rustix::thread::capabilities(None).is_ok_and(|c| c.effective.contains(CapabilitySet::SYS_ADMIN))
}

/// Before clone: opens DIR, creates its record and, when DIR is not a mount of its own that is
/// not shared, makes it a private bind mount of itself. Refuses an ordinary user (binding needs
/// CAP_SYS_ADMIN over nsrun's own mount namespace) and a directory that holds kept namespaces.
#[inline(never)]
pub fn prepare(path: &[u8]) -> Result<Keep, String> {
    if !can_mount() {
        return Err(format!(
            "--keep {}: binding namespace files changes the mounts of nsrun's own mount \
             namespace, which needs CAP_SYS_ADMIN there (hint: run as root, or inside \
             `unshare -rm` for a private mount namespace of your own)",
            Show(path)
        ));
    }
    let dir = rustix::fs::open(
        c_string(path.to_vec()),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| fail(path, "open the directory", e, None))?;
    // Another user who may rename entries of DIR (its owner; anyone, where others may write it
    // without the sticky bit) could move a file nsrun made into a directory of theirs before
    // it is bound: the bind would land there, out of release's reach.
    let st = rustix::fs::fstat(&dir).map_err(|e| fail(path, "stat the directory", e, None))?;
    let euid = rustix::process::geteuid().as_raw();
    if st.st_uid != euid || (st.st_mode & 0o022 != 0 && st.st_mode & 0o1000 == 0) {
        return Err(format!(
            "--keep {}: another user may rename the files in it (owner uid {}, mode {:o}) \
             (hint: give a directory of your own that others cannot write)",
            Show(path),
            st.st_uid,
            st.st_mode & 0o7777
        ));
    }
    let marker = rustix::fs::openat(
        &dir,
        MARKER,
        OFlags::WRONLY
            | OFlags::CREATE
            | OFlags::EXCL
            | OFlags::NOFOLLOW
            | OFlags::APPEND
            | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )
    .map_err(|e| match e {
        Errno::EXIST => format!(
            "--keep {}: it holds kept namespaces already (.nsrun-keep is there; hint: nsrun \
             release {} first, or choose another directory)",
            Show(path),
            Show(path)
        ),
        e => fail(path, "create .nsrun-keep", e, None),
    })?;
    crate::sys::fd::write_all(marker.as_fd(), HEADER);
    let mut keep = Keep {
        dir,
        marker,
        shown: path.to_vec(),
    };
    if let Err(line) = keep.make_private() {
        keep.undo();
        return Err(line);
    }
    Ok(keep)
}

/// The mount id of `fd` and whether `fd` is the root of that mount.
fn mount_of(fd: BorrowedFd<'_>) -> Result<(u32, bool), Errno> {
    let id = crate::sys::mount::mount_id(fd, None)?;
    let parent = rustix::fs::openat(
        fd,
        c"..",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let up = crate::sys::mount::mount_id(parent.as_fd(), None)?;
    let (a, b) = (rustix::fs::fstat(fd)?, rustix::fs::fstat(&parent)?);
    // `..` of a root is itself.
    let top = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    Ok((id, up != id || top))
}

/// Whether mount `id` of this process's namespace is in a peer group (`shared:N`).
fn is_shared(id: u32) -> Result<bool, Errno> {
    let text = read_all(c"/proc/self/mountinfo", 1 << 22)?;
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let e = crate::mountinfo::parse(line, true)?;
        if e.id == id {
            return Ok(e.shared);
        }
    }
    Err(Errno::NOENT)
}

/// Reads a whole small file (at most `max` bytes).
pub(crate) fn read_all(path: &CStr, max: usize) -> Result<Vec<u8>, Errno> {
    let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    read_fd(fd.as_fd(), max)
}

fn read_fd(fd: BorrowedFd<'_>, max: usize) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match crate::sys::fd::read(fd, &mut buf)? {
            0 => return Ok(out),
            n if out.len() + n > max => return Err(Errno::FBIG),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

impl Keep {
    /// Makes DIR a private bind mount of itself unless it is a mount of its own that is not
    /// shared already; records that it did.
    fn make_private(&mut self) -> Result<(), String> {
        let path = self.shown.clone();
        let (id, root) =
            mount_of(self.dir.as_fd()).map_err(|e| fail(&path, "find its mount", e, None))?;
        let shared =
            is_shared(id).map_err(|e| fail(&path, "read /proc/self/mountinfo", e, None))?;
        if root && !shared {
            return Ok(());
        }
        use rustix::mount::{MoveMountFlags as M, OpenTreeFlags as T};
        let hint = Some(
            "the mount namespace file can be bound only on a mount that does not propagate: \
             make DIR a private mount yourself (mount --bind DIR DIR; mount --make-private DIR)",
        );
        let what = "make it a private bind mount of itself";
        let tree = rustix::mount::open_tree(
            &self.dir,
            c"",
            T::OPEN_TREE_CLONE | T::OPEN_TREE_CLOEXEC | T::AT_EMPTY_PATH,
        )
        .map_err(|e| fail(&path, what, e, hint))?;
        crate::sys::mount::make_private_fd(tree.as_fd(), false, None)
            .map_err(|e| fail(&path, what, e, hint))?;
        let id = crate::sys::mount::mount_id(tree.as_fd(), None)
            .map_err(|e| fail(&path, what, e, hint))?;
        // Recorded first: a launcher killed after the move leaves the bind for release to undo.
        self.record(&format!("self-bind {id}\n"));
        rustix::mount::move_mount(
            &tree,
            c"",
            &self.dir,
            c"",
            M::MOVE_MOUNT_F_EMPTY_PATH | M::MOVE_MOUNT_T_EMPTY_PATH,
        )
        .map_err(|e| fail(&path, what, e, hint))?;
        // Attached under a shared parent, it joined a peer group again: private once more.
        crate::sys::mount::make_private_fd(tree.as_fd(), false, None)
            .map_err(|e| fail(&path, what, e, hint))?;
        self.dir = tree;
        Ok(())
    }

    fn record(&self, line: &str) {
        crate::sys::fd::write_all(self.marker.as_fd(), line.as_bytes());
    }

    /// At the child's keep point: binds DIR/NAME for each namespace of process `pid` that is
    /// not the launcher's own, as the kernel reports them.
    pub fn bind(&self, pid: i32) -> Result<(), String> {
        for kind in Kind::ALL {
            let name = super::proc_name(kind);
            let theirs = match kind {
                Kind::Time => "time_for_children",
                _ => name,
            };
            let src_path = format!("/proc/{pid}/ns/{theirs}");
            let src = match rustix::fs::open(
                src_path.as_str(),
                OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                // A kernel without this kind (time before 5.6, cgroup before 4.6).
                Err(Errno::NOENT) => continue,
                Err(e) => {
                    return Err(fail(
                        &self.shown,
                        &crate::out::cat(&["open ", &src_path]),
                        e,
                        None,
                    ))
                }
                Ok(fd) => fd,
            };
            let st = rustix::fs::fstat(&src).map_err(|e| {
                fail(
                    &self.shown,
                    &crate::out::cat(&["stat ", &src_path]),
                    e,
                    None,
                )
            })?;
            let own = crate::out::cat(&["/proc/self/ns/", name]);
            if let Ok(o) = rustix::fs::stat(own.as_str()) {
                if o.st_ino == st.st_ino && o.st_dev == st.st_dev {
                    continue;
                }
            }
            self.record(&format!("{name} {}\n", st.st_ino));
            let what = || format!("bind {src_path} on {}/{name}", Show(&self.shown));
            let file = rustix::fs::openat(
                &self.dir,
                c_string(name.as_bytes().to_vec()),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o444),
            )
            .map_err(|e| {
                let hint = (e == Errno::EXIST).then_some("give an empty directory");
                report::line(&what(), e, hint)
            })?;
            let from = format!("/proc/self/fd/{}", src.as_raw_fd());
            let to = format!("/proc/self/fd/{}", file.as_raw_fd());
            rustix::mount::mount_bind(from.as_str(), to.as_str()).map_err(|e| {
                // The kernel's loop check compares namespace ids, which recent kernels (seen on
                // 6.18) hand out from per-CPU batches: one made on another CPU than the
                // launcher's own namespace may look older.
                let hint = (e == Errno::INVAL && kind == Kind::Mount).then_some(
                    "the kernel binds a mount namespace file only where it does not propagate \
                     and only when it takes that namespace for newer than nsrun's own; recent \
                     kernels number namespaces per CPU, so make nsrun's mount namespace and run \
                     nsrun on one CPU (taskset -c 0 unshare -m ..., taskset -c 0 nsrun ...) or \
                     keep no new mount namespace (--share-mount)",
                );
                report::line(&what(), e, hint)
            })?;
        }
        Ok(())
    }

    /// Undoes what was made so far (a failed run changes nothing of the host).
    pub fn undo(self) {
        let shown = self.shown.clone();
        drop(self.marker);
        if let Err(line) = release_dir(self.dir, &shown) {
            crate::out::error_line(format_args!("warning: {line}"));
        }
    }

    /// The descriptors the launcher keeps open after clone.
    pub fn fds(&self) -> [i32; 2] {
        [self.dir.as_raw_fd(), self.marker.as_raw_fd()]
    }
}

/// `nsrun release DIR`: unmounts and removes what `--keep DIR` made, as its record says, each
/// file checked to be the namespace recorded; the self-bind only when nsrun made it. Refuses a
/// directory without a record of this user's.
pub fn release(path: &[u8]) -> Result<(), String> {
    let dir = rustix::fs::open(
        c_string(path.to_vec()),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| report::line_of(&["release ", &crate::out::shown(path)], e, None))?;
    release_dir(dir, path)
}

/// One line of the record.
enum Line {
    SelfBind(u32),
    File(Kind, u64),
}

fn parse_record(text: &[u8]) -> Option<Vec<Line>> {
    let rest = text.strip_prefix(HEADER)?;
    let mut lines = Vec::new();
    for line in rest.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(2, |&b| b == b' ');
        let (name, value) = (parts.next()?, parts.next()?);
        let value = core::str::from_utf8(value).ok()?;
        match name {
            b"self-bind" => lines.push(Line::SelfBind(value.parse().ok()?)),
            _ => {
                let kind = Kind::ALL
                    .into_iter()
                    .find(|k| super::proc_name(*k).as_bytes() == name)?;
                lines.push(Line::File(kind, value.parse().ok()?));
            }
        }
    }
    Some(lines)
}

fn release_dir(dir: OwnedFd, path: &[u8]) -> Result<(), String> {
    let what = crate::out::cat(&["release ", &crate::out::shown(path)]);
    let not_kept = |why: &str| {
        crate::out::cat(&[
            &what,
            ": not a directory made by nsrun --keep (",
            why,
            "; hint: give the DIR of --keep)",
        ])
    };
    let marker = match rustix::fs::openat(
        &dir,
        MARKER,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Err(not_kept("no .nsrun-keep in it")),
        Err(Errno::LOOP) => return Err(not_kept(".nsrun-keep is a symbolic link")),
        Err(e) => return Err(report::line_of(&[&what, ": open .nsrun-keep"], e, None)),
    };
    let st = rustix::fs::fstat(&marker).map_err(|e| report::line(&what, e, None))?;
    if st.st_mode & 0o170000 != 0o100000 {
        return Err(not_kept(".nsrun-keep is not a regular file"));
    }
    if st.st_uid != rustix::process::geteuid().as_raw() {
        return Err(not_kept(".nsrun-keep belongs to another user"));
    }
    let text = read_fd(marker.as_fd(), 4096).map_err(|e| report::line(&what, e, None))?;
    let lines = parse_record(&text).ok_or_else(|| not_kept(".nsrun-keep is not nsrun's record"))?;
    let mut left = Vec::new();
    for line in &lines {
        if let Line::File(kind, ino) = line {
            if let Err(why) = release_file(dir.as_fd(), *kind, *ino) {
                left.push(why);
            }
        }
    }
    if !left.is_empty() {
        return Err(format!(
            "{what}: {}; the record stays for another try",
            left.join("; ")
        ));
    }
    let self_bind = lines.iter().find_map(|l| match l {
        Line::SelfBind(id) => Some(*id),
        _ => None,
    });
    if let Some(id) = self_bind {
        // Only the bind nsrun made: DIR must be the root of that very mount.
        match mount_of(dir.as_fd()) {
            Ok((now, true)) if now == id => {
                rustix::fs::unlinkat(&dir, MARKER, AtFlags::empty())
                    .map_err(|e| report::line_of(&[&what, ": remove .nsrun-keep"], e, None))?;
                let at = format!("/proc/self/fd/{}", dir.as_raw_fd());
                rustix::mount::unmount(at.as_str(), rustix::mount::UnmountFlags::DETACH).map_err(
                    |e| report::line_of(&[&what, ": unmount its private bind mount"], e, None),
                )?;
                return Ok(());
            }
            // Unmounted by someone else already (or never made): nothing of nsrun's is left.
            Ok(_) => {}
            Err(e) => return Err(report::line_of(&[&what, ": find its mount"], e, None)),
        }
    }
    rustix::fs::unlinkat(&dir, MARKER, AtFlags::empty())
        .map_err(|e| report::line_of(&[&what, ": remove .nsrun-keep"], e, None))
}

/// Unmounts DIR/NAME while it is the recorded namespace, then removes the empty file nsrun
/// made; anything else found there is left as it is, and named.
fn release_file(dir: BorrowedFd<'_>, kind: Kind, ino: u64) -> Result<(), String> {
    let name = super::proc_name(kind);
    let cname = c_string(name.as_bytes().to_vec());
    let open = || {
        rustix::fs::openat(
            dir,
            &cname,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
    };
    // A few binds stacked on it (by hand) are taken off too; never more than that.
    for _ in 0..8 {
        let fd = match open() {
            Err(Errno::NOENT) => return Ok(()),
            Err(e) => return Err(report::line_of(&["open ", name], e, None)),
            Ok(fd) => fd,
        };
        let nsfs = rustix::fs::fstatfs(&fd).is_ok_and(|s| super::is_nsfs(&s));
        let st = rustix::fs::fstat(&fd).map_err(|e| report::line(name, e, None))?;
        if !nsfs {
            // What nsrun made under the bind: an empty regular file.
            if st.st_mode & 0o170000 == 0o100000 && st.st_size == 0 {
                return rustix::fs::unlinkat(dir, &cname, AtFlags::empty())
                    .map_err(|e| report::line_of(&["remove ", name], e, None));
            }
            return Err(crate::out::cat(&[
                name,
                " is not the empty file nsrun made: left as it is",
            ]));
        }
        if st.st_ino != ino {
            return Err(format!(
                "{name} holds another namespace ({}) than the one kept ({ino}): left as it is",
                st.st_ino
            ));
        }
        let at = format!("/proc/self/fd/{}", fd.as_raw_fd());
        rustix::mount::unmount(at.as_str(), rustix::mount::UnmountFlags::DETACH)
            .map_err(|e| report::line_of(&["unmount ", name], e, None))?;
    }
    Err(crate::out::cat(&[
        name,
        ": still mounted after 8 unmounts: left as it is",
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_refuses_others() {
        let text = b"nsrun-keep 1\nself-bind 42\nnet 4026531840\nmnt 7\n";
        let lines = parse_record(text).expect("parsed");
        assert!(matches!(lines[0], Line::SelfBind(42)));
        assert!(matches!(lines[1], Line::File(Kind::Net, 4026531840)));
        assert!(matches!(lines[2], Line::File(Kind::Mount, 7)));
        assert!(parse_record(b"nsrun-keep 2\n").is_none());
        assert!(parse_record(b"nsrun-keep 1\n../etc 5\n").is_none());
        assert!(parse_record(b"nsrun-keep 1\nnet x\n").is_none());
        assert!(parse_record(b"").is_none());
    }
}
