//! What the launcher checks about the host before it changes anything.

use alloc::vec::Vec;

/// Which mounts of nsrun's mount namespace are shared (they have a `shared:N` field in
/// /proc/self/mountinfo). A new mount namespace made without a new user namespace starts with its
/// mounts as peers of these: with `--propagation unchanged` (or `shared`), a mount the container
/// makes on or below one (its /proc over a shared /proc, a bind of a tree with a shared mount
/// inside) reaches the host, and pivot_root fails under a shared parent.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Sharing {
    /// Some mount is shared.
    pub any: bool,
    /// The mount on `/` is.
    pub root: bool,
}

/// The host's [`Sharing`], from one read of mountinfo; None when it cannot be read (no /proc):
/// then nobody can tell, and callers assume the worst.
pub fn sharing() -> Option<Sharing> {
    read_mountinfo().map(|text| sharing_in(&text))
}

/// [`Sharing`] in mountinfo text, its lines parsed by [`crate::mountinfo::parse`] (lines not in
/// the kernel's format are passed over). The mount on `/` that counts is the last one listed there:
/// the one on top, that path lookups see.
fn sharing_in(mountinfo: &[u8]) -> Sharing {
    let mut sharing = Sharing {
        any: false,
        root: false,
    };
    for line in mountinfo.split(|&b| b == b'\n') {
        let Ok(entry) = crate::mountinfo::parse(line, true) else {
            continue;
        };
        sharing.any |= entry.shared;
        if line.get(entry.point.clone()) == Some(b"/") {
            sharing.root = entry.shared;
        }
    }
    sharing
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_shared_mount() {
        let text = b"27 1 254:0 / / rw - ext4 /dev/vda rw\n\
            31 27 0:40 / /srv rw shared:7 - tmpfs tmpfs rw\n";
        assert_eq!(
            sharing_in(text),
            Sharing {
                any: true,
                root: false
            }
        );
        let text = b"27 1 254:0 / / rw master:1 - ext4 /dev/vda rw\n";
        assert!(!sharing_in(text).any);
    }

    #[test]
    fn finds_the_last_mount_on_slash() {
        let private = b"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n\
            30 27 0:5 / /proc rw shared:4 - proc proc rw\n";
        assert!(!sharing_in(private).root);
        let shared = b"27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n";
        assert!(sharing_in(shared).root);
        let slave = b"27 1 254:0 / / rw master:1 - ext4 /dev/vda rw\n";
        assert!(!sharing_in(slave).root);
        let both = b"27 1 254:0 / / rw shared:2 master:1 - ext4 /dev/vda rw\n";
        assert!(sharing_in(both).root);
        // A tmpfs stacked on / later: it is what counts.
        let stacked = b"27 1 254:0 / / rw shared:1 - ext4 /dev/vda rw\n\
            90 27 0:40 / / rw - tmpfs tmpfs rw\n";
        assert!(!sharing_in(stacked).root);
        // "shared:" after the separator is a super option, not propagation.
        let tricky = b"27 1 254:0 / / rw - ext4 shared:1 rw\n";
        assert!(!sharing_in(tricky).root);
        assert!(!sharing_in(b"").root);
        assert!(!sharing_in(b"garbage\n\n   \n").root);
    }

    #[test]
    fn reads_this_process_mountinfo() {
        let text = std::fs::read("/proc/self/mountinfo").unwrap();
        assert_eq!(sharing(), Some(sharing_in(&text)));
    }
}
