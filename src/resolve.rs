//! Resolving a container path under a root that is not yet `/`, without allocating.
//!
//! Before pivot_root the kernel would resolve `ROOT/etc/x` from the host's `/`: an absolute symlink
//! in the tree (`ROOT/var/run -> /run`) would lead out of it. This walks the path one component at
//! a time the way the kernel will once ROOT is `/`: absolute links restart at ROOT, `..` stops there.

use core::ffi::CStr;
use rustix::io::Errno;

/// The longest path handled (Linux's PATH_MAX).
pub const PATH_MAX: usize = 4096;

/// The most links followed in one resolution, as the kernel allows.
const MAX_LINKS: u32 = 40;

/// How symlinks on the way are treated.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Links {
    /// Follow every one, the last component's too (mount targets).
    Follow,
    /// Follow all but the last component's (a link about to be created).
    NotLast,
    /// Refuse any with ELOOP (paths nsrun creates, so a link cannot carry a creation out of a
    /// filesystem nsrun mounted).
    Refuse,
    /// Refuse any but leave the last component unexamined (a link about to be created).
    RefuseNotLast,
}

impl Links {
    /// Whether the kernel's own resolution from the real root does the same.
    pub fn is_kernel_default(self) -> bool {
        matches!(self, Links::Follow | Links::NotLast)
    }
}

/// Resolves `path` (absolute) under `root` (no trailing slash; empty for the real root) into `out`
/// and returns it as a C string. Missing components are kept as written.
pub fn under<'b>(
    root: &[u8],
    path: &[u8],
    links: Links,
    out: &'b mut [u8; PATH_MAX],
) -> Result<&'b CStr, Errno> {
    // The part still to walk sits at the end of `todo`, so a link's target can be put in front.
    let mut todo = [0u8; PATH_MAX];
    let mut start = PATH_MAX - path.len();
    if path.len() >= PATH_MAX || root.len() >= PATH_MAX {
        return Err(Errno::NAMETOOLONG);
    }
    todo[start..].copy_from_slice(path);
    out[..root.len()].copy_from_slice(root);
    let mut len = root.len();
    let mut followed = 0;
    let mut target = [0u8; PATH_MAX];
    loop {
        while start < PATH_MAX && todo[start] == b'/' {
            start += 1;
        }
        if start == PATH_MAX {
            break;
        }
        let end = todo[start..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(PATH_MAX, |i| start + i);
        let last = todo[end..].iter().all(|&b| b == b'/');
        let (comp_start, comp_end) = (start, end);
        start = end;
        let comp = &todo[comp_start..comp_end];
        if comp == b"." {
            continue;
        }
        if comp == b".." {
            while len > root.len() && out[len - 1] != b'/' {
                len -= 1;
            }
            len = len.saturating_sub(1).max(root.len());
            continue;
        }
        if len + 1 + comp.len() + 1 > PATH_MAX {
            return Err(Errno::NAMETOOLONG);
        }
        let before = len;
        out[len] = b'/';
        out[len + 1..len + 1 + comp.len()].copy_from_slice(comp);
        len += 1 + comp.len();
        if last && matches!(links, Links::NotLast | Links::RefuseNotLast) {
            continue;
        }
        out[len] = 0;
        let here = CStr::from_bytes_with_nul(&out[..=len]).map_err(|_| Errno::INVAL)?;
        let n = match rustix::fs::readlinkat_raw(rustix::fs::CWD, here, &mut target[..]) {
            Ok(n) => n,
            // Not a link, or not there (yet): keep the component as written.
            Err(Errno::INVAL | Errno::NOENT | Errno::NOTDIR) => continue,
            Err(e) => return Err(e),
        };
        if matches!(links, Links::Refuse | Links::RefuseNotLast) {
            return Err(Errno::LOOP);
        }
        followed += 1;
        if followed > MAX_LINKS || n >= PATH_MAX {
            return Err(Errno::LOOP);
        }
        len = if target[0] == b'/' {
            root.len()
        } else {
            before
        };
        // Put `target/` in front of what is left.
        if n + 1 > start {
            return Err(Errno::NAMETOOLONG);
        }
        start -= n + 1;
        todo[start..start + n].copy_from_slice(&target[..n]);
        todo[start + n] = b'/';
    }
    if len == 0 {
        out[0] = b'/';
        len = 1;
    }
    out[len] = 0;
    CStr::from_bytes_with_nul(&out[..=len]).map_err(|_| Errno::INVAL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn resolve(root: &std::path::Path, path: &str, links: Links) -> Result<String, Errno> {
        let mut out = [0u8; PATH_MAX];
        let root = root.to_str().unwrap().as_bytes();
        let c = under(root, path.as_bytes(), links, &mut out)?;
        Ok(c.to_str().unwrap()[root.len()..].to_string())
    }

    #[test]
    fn links_stay_inside_the_root() {
        let dir = std::env::temp_dir().join(format!("nsrun-resolve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("var")).unwrap();
        std::fs::create_dir_all(dir.join("real/run")).unwrap();
        symlink("/real/run", dir.join("var/run")).unwrap();
        symlink("../../..", dir.join("real/run/up")).unwrap();
        symlink("loop", dir.join("loop")).unwrap();
        symlink("real", dir.join("rel")).unwrap();

        assert_eq!(
            resolve(&dir, "/var/run/x", Links::Follow).unwrap(),
            "/real/run/x"
        );
        assert_eq!(
            resolve(&dir, "/var/run", Links::NotLast).unwrap(),
            "/var/run"
        );
        assert_eq!(
            resolve(&dir, "/var/run/up/etc", Links::Follow).unwrap(),
            "/etc"
        );
        assert_eq!(resolve(&dir, "/../../etc", Links::Follow).unwrap(), "/etc");
        assert_eq!(
            resolve(&dir, "/rel/./run/", Links::Follow).unwrap(),
            "/real/run"
        );
        assert_eq!(
            resolve(&dir, "/missing/a/b", Links::Follow).unwrap(),
            "/missing/a/b"
        );
        assert_eq!(resolve(&dir, "/loop", Links::Follow), Err(Errno::LOOP));
        assert_eq!(resolve(&dir, "/var/run/x", Links::Refuse), Err(Errno::LOOP));
        assert_eq!(
            resolve(&dir, "/real/run/x", Links::Refuse).unwrap(),
            "/real/run/x"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_root_is_the_real_root() {
        let mut out = [0u8; PATH_MAX];
        assert_eq!(
            under(b"", b"/", Links::Follow, &mut out)
                .unwrap()
                .to_bytes(),
            b"/"
        );
        let mut out = [0u8; PATH_MAX];
        let p = under(b"", b"/proc/self/..", Links::NotLast, &mut out).unwrap();
        assert_eq!(p.to_bytes(), b"/proc");
    }
}
