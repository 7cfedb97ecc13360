//! What the launcher checks about the host before it changes anything.

use alloc::vec::Vec;

/// Whether the mount at `/` of nsrun's mount namespace is shared (it has a `shared:N` field in
/// /proc/self/mountinfo). A new mount namespace made without a new user namespace starts with its
/// mounts as peers of these: with `--propagation unchanged`, what the container mounts then appears
/// on the host, and pivot_root fails. Without /proc (or with an unreadable mountinfo): false.
pub fn root_is_shared() -> bool {
    read_mountinfo().is_some_and(|text| root_shared_in(&text))
}

/// Whether the mount that directory `path` lies on is shared (as [`root_is_shared`], for the
/// mount of a `--root DIR`). False where /proc or the mount id cannot be read.
pub fn mount_of_is_shared(path: &[u8]) -> bool {
    use rustix::fd::AsFd;
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let Ok(dir) = rustix::fs::open(crate::step::c_string(path.to_vec()), flags, Mode::empty())
    else {
        return false;
    };
    let proc = rustix::fs::open(c"/proc", flags, Mode::empty()).ok();
    let Ok(id) = crate::sys::mount::mount_id(dir.as_fd(), proc.as_ref().map(|p| p.as_fd())) else {
        return false;
    };
    read_mountinfo().is_some_and(|text| shared_in(&text, id))
}

/// Whether, in mountinfo text, the mount with id `id` has a `shared:N` optional field.
fn shared_in(mountinfo: &[u8], id: u32) -> bool {
    let mut digits = [0u8; 16];
    let id = crate::mountinfo::with_number(&mut digits, b"", id);
    let Some(id) = id.and_then(|d| d.strip_suffix(b"\0")) else {
        return false;
    };
    mountinfo
        .split(|&b| b == b'\n')
        .find(|line| line.split(|&b| b == b' ').next() == Some(id))
        .is_some_and(has_shared)
}

/// Fields 7.. up to the lone "-" are the optional fields: shared:N, master:N, ...
fn has_shared(line: &[u8]) -> bool {
    line.split(|&b| b == b' ')
        .skip(6)
        .take_while(|field| *field != b"-")
        .any(|field| field.starts_with(b"shared:"))
}

/// Reads /proc/self/mountinfo whole (generated as it is read: read until end of file).
fn read_mountinfo() -> Option<Vec<u8>> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(
        "/proc/self/mountinfo",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let mut text = Vec::with_capacity(8192);
    let mut buf = [0u8; 4096];
    loop {
        match rustix::io::read(&fd, &mut buf) {
            Ok(0) => return Some(text),
            Ok(n) => text.extend_from_slice(&buf[..n]),
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return None,
        }
    }
}

/// Whether, in mountinfo text, the last mount whose mount point is `/` (the one on top, that path
/// lookups see) has a `shared:N` optional field.
fn root_shared_in(mountinfo: &[u8]) -> bool {
    let root = mountinfo
        .split(|&b| b == b'\n')
        .rfind(|line| line.split(|&b| b == b' ').nth(4) == Some(b"/"));
    let Some(line) = root else {
        return false;
    };
    has_shared(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_mount_by_its_id() {
        let text = b"27 1 254:0 / / rw - ext4 /dev/vda rw\n\
            31 27 0:40 / /srv rw shared:7 - tmpfs tmpfs rw\n\
            310 27 0:41 / /srv2 rw - tmpfs tmpfs rw\n";
        assert!(shared_in(text, 31));
        assert!(!shared_in(text, 27));
        assert!(!shared_in(text, 310));
        assert!(!shared_in(text, 3));
    }

    #[test]
    fn finds_the_last_mount_on_slash() {
        let private = b"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n\
            30 27 0:5 / /proc rw shared:4 - proc proc rw\n";
        assert!(!root_shared_in(private));
        let shared = b"27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n";
        assert!(root_shared_in(shared));
        let slave = b"27 1 254:0 / / rw master:1 - ext4 /dev/vda rw\n";
        assert!(!root_shared_in(slave));
        let both = b"27 1 254:0 / / rw shared:2 master:1 - ext4 /dev/vda rw\n";
        assert!(root_shared_in(both));
        // A tmpfs stacked on / later: it is what counts.
        let stacked = b"27 1 254:0 / / rw shared:1 - ext4 /dev/vda rw\n\
            90 27 0:40 / / rw - tmpfs tmpfs rw\n";
        assert!(!root_shared_in(stacked));
        // "shared:" after the separator is a super option, not propagation.
        let tricky = b"27 1 254:0 / / rw - ext4 shared:1 rw\n";
        assert!(!root_shared_in(tricky));
        assert!(!root_shared_in(b""));
        assert!(!root_shared_in(b"garbage\n\n   \n"));
    }

    #[test]
    fn reads_this_process_mountinfo() {
        let text = std::fs::read("/proc/self/mountinfo").unwrap();
        assert_eq!(root_is_shared(), root_shared_in(&text));
    }
}
