//! What the launcher checks about the host before it changes anything.

use alloc::vec::Vec;

/// Whether the mount at `/` of nsrun's mount namespace is shared (it has a `shared:N` field in
/// /proc/self/mountinfo). A new mount namespace made without a new user namespace starts with its
/// mounts as peers of these: with `--propagation unchanged`, what the container mounts then appears
/// on the host, and pivot_root fails. Without /proc (or with an unreadable mountinfo): false.
pub fn root_is_shared() -> bool {
    read_mountinfo().is_some_and(|text| root_shared_in(&text))
}

/// Whether any mount of nsrun's mount namespace is shared: with `--propagation unchanged` (or
/// `shared`) a mount the container makes on or below it (its /proc over a shared /proc, a bind
/// of a tree with a shared mount inside) reaches the host. False without a readable mountinfo.
/// None when mountinfo cannot be read (no /proc): then nobody can tell, and callers assume the
/// worst.
pub fn any_shared() -> Option<bool> {
    read_mountinfo().map(|text| text.split(|&b| b == b'\n').any(has_shared))
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
    fn any_shared_mount() {
        let text = b"27 1 254:0 / / rw - ext4 /dev/vda rw\n\
            31 27 0:40 / /srv rw shared:7 - tmpfs tmpfs rw\n";
        assert!(text.split(|&b| b == b'\n').any(has_shared));
        let text = b"27 1 254:0 / / rw master:1 - ext4 /dev/vda rw\n";
        assert!(!text.split(|&b| b == b'\n').any(has_shared));
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
