//! A minimal /dev on its own tmpfs (`--dev DST`), as bubblewrap builds it.

use alloc::vec::Vec;
use rustix::mount::MountFlags;

use crate::setup::step::{c_string, Mount, Step};
use crate::spec::Bytes;
use crate::sys::mount::NOSUID;

/// The host devices bound into it.
const DEVICES: [&[u8]; 6] = [b"null", b"zero", b"full", b"random", b"urandom", b"tty"];

/// Links to the process's own descriptors, and the kernel's memory image for debuggers.
const LINKS: [(&[u8], &[u8]); 6] = [
    (b"fd", b"/proc/self/fd"),
    (b"stdin", b"/proc/self/fd/0"),
    (b"stdout", b"/proc/self/fd/1"),
    (b"stderr", b"/proc/self/fd/2"),
    (b"ptmx", b"pts/ptmx"),
    (b"core", b"/proc/kcore"),
];

/// The host paths a /dev binds: the devices, and the terminal on standard input if any. The child
/// opens them before anything is mounted.
pub fn sources() -> Vec<Bytes> {
    let mut list: Vec<Bytes> = DEVICES
        .iter()
        .map(|d| {
            let mut p = b"/dev/".to_vec();
            p.extend_from_slice(d);
            p
        })
        .collect();
    if let Some(tty) = terminal() {
        list.push(tty);
    }
    list
}

/// Appends the steps that build a minimal /dev at `dst` (inside the container), binding the
/// sources opened into the given slots (those of [`sources`] that exist).
pub fn steps(steps: &mut Vec<Step>, dst: &[u8], opened: &[(Bytes, u32)], tag: u64) {
    let at = |name: &[u8]| {
        let mut p = dst.to_vec();
        if p != b"/" {
            p.push(b'/');
        }
        p.extend_from_slice(name);
        p
    };
    steps.push(Step::Mount(Mount {
        fstype: c"tmpfs",
        target: dst.to_vec(),
        flags: MountFlags::NOSUID | MountFlags::NODEV,
        data: Some(crate::setup::step::c_string(
            alloc::format!("mode=0755,nr_inodes={tag}").into_bytes(),
        )),
        tag: Some(tag),
    }));
    for (src, slot) in opened {
        let name = match src.strip_prefix(b"/dev/") {
            Some(dev) if DEVICES.contains(&dev) => dev,
            // The terminal.
            _ => b"console",
        };
        steps.push(Step::Bind {
            slot: *slot,
            src: src.clone(),
            target: at(name),
            attrs: NOSUID,
            private: false,
            option: "bind",
        });
    }
    steps.push(Step::Mkdir {
        path: at(b"shm"),
        mode: 0o1777,
    });
    steps.push(Step::Mkdir {
        path: at(b"pts"),
        mode: 0o755,
    });
    steps.push(Step::Mount(Mount {
        fstype: c"devpts",
        target: at(b"pts"),
        flags: MountFlags::NOSUID | MountFlags::NOEXEC,
        data: Some(c"newinstance,ptmxmode=0666,mode=620".into()),
        tag: None,
    }));
    for (name, target) in LINKS {
        steps.push(Step::Symlink {
            target: c_string(target.to_vec()),
            path: at(name),
        });
    }
}

/// The terminal on standard input, if any, found through the host's /proc before clone.
fn terminal() -> Option<Vec<u8>> {
    if !crate::sys::fd::is_tty(crate::sys::fd::stdin()) {
        return None;
    }
    let mut buf = [0u8; 256];
    let n = rustix::fs::readlinkat_raw(rustix::fs::CWD, c"/proc/self/fd/0", &mut buf[..]).ok()?;
    let path = &buf[..n];
    path.starts_with(b"/dev/").then(|| path.to_vec())
}
