//! A minimal /dev on its own tmpfs (`--dev DST`), as bubblewrap builds it.

use alloc::vec::Vec;
use rustix::mount::MountFlags;

use crate::step::{c_string, At, Mount, Node, Step};
use crate::sys::mount::NOSUID;

/// The host devices bound into it.
const DEVICES: [&[u8]; 6] = [b"null", b"zero", b"full", b"random", b"urandom", b"tty"];

/// Links to the process's own descriptors.
const LINKS: [(&[u8], &[u8]); 5] = [
    (b"fd", b"/proc/self/fd"),
    (b"stdin", b"/proc/self/fd/0"),
    (b"stdout", b"/proc/self/fd/1"),
    (b"stderr", b"/proc/self/fd/2"),
    (b"ptmx", b"pts/ptmx"),
];

/// Appends the steps that build a minimal /dev at `dst` (inside the container, under `root`).
pub fn steps(steps: &mut Vec<Step>, root: &[u8], dst: &[u8]) {
    let at = |name: &[u8]| {
        let mut p = dst.to_vec();
        if p != b"/" {
            p.push(b'/');
        }
        p.extend_from_slice(name);
        At::new(root, &p)
    };
    steps.push(Step::Mount(Mount {
        fstype: c"tmpfs",
        target: At::new(root, dst),
        flags: MountFlags::NOSUID | MountFlags::NODEV,
        data: Some(c"mode=0755".into()),
    }));
    for dev in DEVICES {
        steps.push(Step::Create {
            path: at(dev),
            node: Node::File,
        });
        let mut src = b"/dev/".to_vec();
        src.extend_from_slice(dev);
        steps.push(Step::Bind {
            src: At::host(&src),
            target: at(dev),
            attrs: NOSUID,
            option: "bind",
        });
    }
    steps.push(Step::Create {
        path: at(b"shm"),
        node: Node::Dir(0o1777),
    });
    steps.push(Step::Create {
        path: at(b"pts"),
        node: Node::Dir(0o755),
    });
    steps.push(Step::Mount(Mount {
        fstype: c"devpts",
        target: at(b"pts"),
        flags: MountFlags::NOSUID | MountFlags::NOEXEC,
        data: Some(c"newinstance,ptmxmode=0666,mode=620".into()),
    }));
    for (name, target) in LINKS {
        steps.push(Step::Symlink {
            target: c_string(target.to_vec()),
            path: at(name),
            create: true,
        });
    }
    if let Some(tty) = terminal() {
        steps.push(Step::Create {
            path: at(b"console"),
            node: Node::File,
        });
        steps.push(Step::Bind {
            src: At::host(&tty),
            target: at(b"console"),
            attrs: NOSUID,
            option: "bind",
        });
    }
}

/// The terminal on standard input, if any, found through the host's /proc before clone.
fn terminal() -> Option<Vec<u8>> {
    if !crate::sys::fd::is_tty(0) {
        return None;
    }
    let mut buf = [0u8; 256];
    let n = rustix::fs::readlinkat_raw(rustix::fs::CWD, c"/proc/self/fd/0", &mut buf[..]).ok()?;
    let path = &buf[..n];
    path.starts_with(b"/dev/").then(|| path.to_vec())
}
