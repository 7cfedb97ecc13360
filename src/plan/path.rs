//! Container paths as written: normalising them.

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
}
