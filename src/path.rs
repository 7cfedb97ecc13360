//! Container paths: normalising them and telling which filesystem covers one.

use alloc::vec::Vec;

use crate::spec::Bytes;

/// `//a/./b/` → `/a/b`; `/` stays `/`. `..` components are kept (the command line rejects them).
pub fn normalize(path: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(path.len());
    for part in path.split(|&b| b == b'/') {
        if part.is_empty() || part == b"." {
            continue;
        }
        out.push(b'/');
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// Whether `dir` is `path` or one of its ancestors (both normalised).
pub fn contains(dir: &[u8], path: &[u8]) -> bool {
    dir == b"/" || path == dir || (path.starts_with(dir) && path.get(dir.len()) == Some(&b'/'))
}

/// The mounts planned so far, in order, and whether nsrun made each filesystem itself (a tmpfs:
/// it may create files there) or it shows a host filesystem (a bind, the root: it may not).
#[derive(Default)]
pub struct Coverage {
    mounts: Vec<(Bytes, bool)>,
}

impl Coverage {
    /// Room for `n` mounts.
    pub fn with_capacity(n: usize) -> Coverage {
        Coverage {
            mounts: Vec::with_capacity(n),
        }
    }

    /// Records a mount at `dst`; `ours` when nsrun made the filesystem.
    pub fn mounted(&mut self, dst: &[u8], ours: bool) {
        self.mounts.push((dst.to_vec(), ours));
    }

    /// Whether missing parts of `path` would be created on a filesystem nsrun made: the deepest
    /// mount strictly above `path` (the latest one where several share a mount point) is ours.
    /// Missing parts always lie below that mount, since every mount point exists.
    pub fn may_create(&self, path: &[u8]) -> bool {
        let mut best: Option<&(Bytes, bool)> = None;
        for m in &self.mounts {
            if m.0 != path && contains(&m.0, path) && best.is_none_or(|b| m.0.len() >= b.0.len()) {
                best = Some(m);
            }
        }
        best.is_some_and(|m| m.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize(b"//a/./b/"), b"/a/b");
        assert_eq!(normalize(b"/"), b"/");
        assert_eq!(normalize(b"/./"), b"/");
    }

    #[test]
    fn contains_is_by_component() {
        assert!(contains(b"/a", b"/a/b"));
        assert!(contains(b"/a", b"/a"));
        assert!(!contains(b"/a", b"/ab"));
        assert!(contains(b"/", b"/x"));
    }

    #[test]
    fn creation_only_on_our_filesystems() {
        let mut c = Coverage::default();
        assert!(!c.may_create(b"/x"), "the host's root");
        c.mounted(b"/t", true);
        assert!(c.may_create(b"/t/a/b"));
        assert!(
            !c.may_create(b"/t"),
            "the mount point itself is above the tmpfs"
        );
        c.mounted(b"/t/host", false);
        assert!(
            !c.may_create(b"/t/host/x"),
            "a bind of a host directory inside the tmpfs"
        );
        assert!(c.may_create(b"/t/other"));
        c.mounted(b"/t/host", true);
        assert!(
            c.may_create(b"/t/host/x"),
            "a later tmpfs on the same mount point wins"
        );
        c.mounted(b"/", true);
        assert!(c.may_create(b"/y"));
    }
}
