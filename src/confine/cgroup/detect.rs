//! Which cgroup hierarchies there are and where nsrun's own cgroup lies in each: from
//! /proc/self/mountinfo (proc(5)) and /proc/self/cgroup (cgroups(7)). See the module
//! [`super`] for the rules.

use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;
use rustix::io::Errno;

use super::fs::{Fs, Real};
use super::{ctl, Error, Request};
use crate::out::Bytes as Show;
use crate::spec::Bytes;

/// The mount table read.
pub(crate) const MOUNTINFO: &[u8] = b"/proc/self/mountinfo";
/// nsrun's own cgroups, one line per hierarchy.
pub(crate) const CGROUP: &[u8] = b"/proc/self/cgroup";

/// One hierarchy: where it is mounted and where nsrun's own cgroup lies in it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Hierarchy {
    /// The mount point, as this process reaches it.
    pub mount: Bytes,
    /// nsrun's own cgroup relative to the mount's root, without a leading `/` (empty: the root
    /// itself); None when the mount does not show it.
    pub own: Option<Bytes>,
    /// The controllers nsrun uses that it holds (bits of `ctl`): for v2, those of the root's
    /// cgroup.controllers; for v1, those of the mount options.
    pub controllers: u8,
}

/// The hierarchies a cgroup is made in.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Layout {
    /// cgroup v2: one hierarchy.
    V2(Hierarchy),
    /// cgroup v1: one hierarchy per group of needed controllers, in the order memory, pids, cpu.
    V1(Vec<Hierarchy>),
}

/// A cgroup mount of the mount table.
struct Mount {
    /// Field 4, unescaped: the mount's root within the hierarchy.
    root: Bytes,
    /// Field 5, unescaped: the mount point.
    point: Bytes,
    /// cgroup2 rather than cgroup.
    v2: bool,
    /// For v1, the controllers nsrun uses among the superblock options (bits of `ctl`).
    controllers: u8,
}

/// A line `ID:CONTROLLERS:PATH` of /proc/self/cgroup.
struct Line {
    /// The v2 line (`0::PATH`).
    v2: bool,
    /// The controllers nsrun uses among CONTROLLERS.
    controllers: u8,
    /// PATH.
    path: Bytes,
}

/// The bits of `ctl` named in a list separated by commas (mount options, a cgroup line's
/// controllers) or by spaces (cgroup.controllers). `cpuacct` and `name=…` are not `cpu`: names
/// are compared whole.
fn named(list: &[u8]) -> u8 {
    let mut bits = 0;
    for word in list.split(|&b| b == b',' || b == b' ' || b == b'\n') {
        for (bit, name) in ctl::NAMES {
            if word == name.as_bytes() {
                bits |= bit;
            }
        }
    }
    bits
}

/// The controllers nsrun uses that a file like cgroup.controllers or cgroup.subtree_control
/// lists (none when it cannot be read).
pub(crate) fn listed(fs: &impl Fs, file: &[u8]) -> u8 {
    let mut buf = [0u8; 512];
    let n = fs.read(file, &mut buf).unwrap_or(0);
    named(buf.get(..n).unwrap_or_default())
}

/// The cgroup mount described by a mountinfo line, None for another filesystem.
fn parse_mount(line: &[u8]) -> Result<Option<Mount>, Errno> {
    use crate::mountinfo::{unescape_in_place, MALFORMED};
    crate::mountinfo::parse(line, true)?;
    // `parse` proved fields 1 to 6, a `-` after them and three fields after it.
    let mut fields = line.split(|&b| b == b' ');
    let (root, point) = (fields.nth(3), fields.next());
    let mut after = fields.skip(1).skip_while(|f| *f != b"-").skip(1);
    let (fstype, options) = (after.next(), after.nth(1));
    let (Some(root), Some(point), Some(fstype), Some(options)) = (root, point, fstype, options)
    else {
        return Err(MALFORMED);
    };
    let v2 = match fstype {
        b"cgroup2" => true,
        b"cgroup" => false,
        _ => return Ok(None),
    };
    let unescaped = |f: &[u8]| -> Result<Bytes, Errno> {
        let mut v = f.to_vec();
        let n = unescape_in_place(&mut v)?;
        v.truncate(n);
        Ok(v)
    };
    Ok(Some(Mount {
        root: unescaped(root)?,
        point: unescaped(point)?,
        v2,
        controllers: if v2 { 0 } else { named(options) },
    }))
}

/// Parses a line of /proc/self/cgroup.
fn parse_line(line: &[u8]) -> Result<Line, Errno> {
    let mut parts = line.splitn(3, |&b| b == b':');
    let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Errno::INVAL);
    };
    let id = super::parse::decimal(id).ok_or(Errno::INVAL)?;
    if !path.starts_with(b"/") {
        return Err(Errno::INVAL);
    }
    Ok(Line {
        v2: id == 0 && controllers.is_empty(),
        controllers: named(controllers),
        path: path.to_vec(),
    })
}

/// Whether a path has a `..` component: the kernel's way of naming a cgroup outside the
/// reader's cgroup namespace (or a mount's root outside it).
fn outside(path: &[u8]) -> bool {
    path.split(|&b| b == b'/').any(|c| c == b"..")
}

/// `path` (from /proc/self/cgroup) relative to a mount's `root` (field 4 of mountinfo), both
/// relative to the same cgroup namespace root; None when the mount does not show it.
pub(crate) fn relative(root: &[u8], path: &[u8]) -> Option<Bytes> {
    if outside(root) || outside(path) {
        return None;
    }
    let root = root.strip_suffix(b"/").unwrap_or(root);
    let rest = path.strip_prefix(root)?;
    if !rest.is_empty() && !rest.starts_with(b"/") {
        return None; // `/a` is not below `/ab`
    }
    let rest = rest.strip_prefix(b"/").unwrap_or(rest);
    Some(rest.strip_suffix(b"/").unwrap_or(rest).to_vec())
}

/// Reads the lines of `path` with `each`, which may fail; the first failure is returned.
fn each_line(
    fs: &impl Fs,
    path: &[u8],
    each: &mut dyn FnMut(&[u8]) -> Result<(), Errno>,
) -> Result<(), Box<Error>> {
    let mut failed = Ok(());
    let read = fs.lines(path, &mut |line| {
        if failed.is_ok() {
            failed = each(line);
        }
    });
    let (errno, hint) = match (read, failed) {
        (Err(Errno::NOENT), _) => (
            Errno::NOENT,
            "nsrun finds the cgroup hierarchies in /proc: mount a proc there",
        ),
        (Err(e), _) => (e, ""),
        (Ok(()), Err(e)) => (e, "a line not in the kernel's format"),
        (Ok(()), Ok(())) => return Ok(()),
    };
    Err(Error::new(0, "read", path, Some(errno), hint.into()))
}

/// What the tables show: the v2 hierarchy, then the v1 hierarchy of each controller of
/// `ctl::NAMES`, each the first mount that shows nsrun's cgroup, else the first mount.
pub(crate) type Found = [Option<Hierarchy>; 7];

/// Reads /proc/self/cgroup and /proc/self/mountinfo.
pub(crate) fn tables(fs: &impl Fs) -> Result<Found, Box<Error>> {
    let mut lines = Vec::new();
    each_line(fs, CGROUP, &mut |l| {
        lines.push(parse_line(l)?);
        Ok(())
    })?;
    let mut found: Found = Default::default();
    each_line(fs, MOUNTINFO, &mut |l| {
        let Some(m) = parse_mount(l)? else {
            return Ok(());
        };
        for (i, slot) in found.iter_mut().enumerate() {
            // Slot 0: v2; slot i: the v1 hierarchy of the controller NAMES[i - 1].
            let bit = i
                .checked_sub(1)
                .map_or(0, |i| ctl::NAMES[i % ctl::NAMES.len()].0);
            let ours = |v2: bool, controllers: u8| v2 == (bit == 0) && controllers & bit == bit;
            if !ours(m.v2, if m.v2 { 0 } else { m.controllers }) {
                continue;
            }
            let line = lines.iter().find(|l| ours(l.v2, l.controllers));
            let own = line.and_then(|l| relative(&m.root, &l.path));
            if slot
                .as_ref()
                .is_none_or(|h| h.own.is_none() && own.is_some())
            {
                *slot = Some(Hierarchy {
                    mount: m.point.clone(),
                    own,
                    controllers: m.controllers,
                });
            }
        }
        Ok(())
    })?;
    if let Some(h) = &mut found[0] {
        h.controllers = listed(fs, &[&h.mount[..], b"/cgroup.controllers"].concat());
    }
    Ok(found)
}

/// Chooses the hierarchies for the controllers `needs` (bits of `ctl`) on the system `fs` shows;
/// `req` names the options in messages.
pub(crate) fn detect_in(fs: &impl Fs, req: &Request, needs: u8) -> Result<Layout, Box<Error>> {
    choose(&tables(fs)?, req, needs)
}

/// [`detect_in`] on the tables `found` already read.
pub(crate) fn choose(found: &Found, req: &Request, needs: u8) -> Result<Layout, Box<Error>> {
    let v2 = &found[0];
    // Device rules, the default ones too, go to a v1 devices hierarchy, else to an eBPF
    // program on the v2 cgroup; a layout with neither fails (nothing runs unconfined).
    let optional = ctl::FREEZER;
    if let Some(h) = v2 {
        // cgroup.freeze is a core file of every v2 cgroup: no controller to list or enable.
        // Default device rules go to v1 where it has a devices hierarchy (a hybrid host).
        let v1_devices = ctl::NAMES
            .iter()
            .position(|(bit, _)| *bit == ctl::DEVICES)
            .is_some_and(|i| found.get(i + 1).is_some_and(Option::is_some));
        // Without a v1 devices hierarchy the rules are an eBPF program on the v2 cgroup.
        let filter = if v1_devices { 0 } else { ctl::DEVICES };
        if needs & !(h.controllers | optional | filter) == 0
            && (needs & ctl::DEVICES == 0 || !v1_devices)
        {
            return Ok(Layout::V2(h.clone()));
        }
    }
    let wanted = if needs == 0 { ctl::PIDS } else { needs };
    let mut v1: Vec<Hierarchy> = Vec::new();
    for ((bit, name), h) in ctl::NAMES.into_iter().zip(&found[1..]) {
        if wanted & bit == 0 {
            continue;
        }
        let Some(h) = h else {
            // Without a freezer hierarchy the container runs; only `pause` says it has none.
            if bit & optional != 0 {
                continue;
            }
            let hint = match v2 {
                Some(h) => {
                    let lacks = ctl::NAMES
                        .iter()
                        .find(|(b, _)| needs & !h.controllers & b != 0);
                    format!(
                        "{}/cgroup.controllers has no {}, and no cgroup v1 hierarchy has {name}",
                        Show(&h.mount),
                        lacks.map_or("", |(_, n)| n)
                    )
                }
                None => format!(
                    "/proc/self/mountinfo has no cgroup2 and no cgroup v1 hierarchy with {name}"
                ),
            };
            let op = "no cgroup hierarchy has its controller";
            return Err(Error::new(bit, op, b"", None, hint).about(req));
        };
        // cpu and cpuacct, or memory and pids, may share one hierarchy: one directory there.
        match v1.iter_mut().find(|o| o.mount == h.mount) {
            Some(o) => o.controllers |= bit,
            None => v1.push(Hierarchy {
                controllers: bit,
                ..h.clone()
            }),
        }
    }
    Ok(Layout::V1(v1))
}

/// Every hierarchy a cgroup of nsrun may be in: the v2 one and the v1 ones of memory, pids and
/// cpu, each once (for [`super::gc`]).
pub(crate) fn all_in(fs: &impl Fs) -> Result<Vec<Hierarchy>, Box<Error>> {
    Ok(distinct(&tables(fs)?))
}

/// [`all_in`] on the tables `found` already read.
pub(crate) fn distinct(found: &Found) -> Vec<Hierarchy> {
    let mut out: Vec<Hierarchy> = Vec::new();
    for h in found.iter().flatten() {
        if !out.iter().any(|o| o.mount == h.mount) {
            out.push(h.clone());
        }
    }
    out
}

/// The hierarchies [`super::create`] would use for `req` on this system.
pub fn detect(req: &Request) -> Result<Layout, Box<Error>> {
    detect_in(&Real, req, req.needs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let r = |root: &str, path: &str| {
            relative(root.as_bytes(), path.as_bytes()).map(|v| String::from_utf8(v).unwrap())
        };
        assert_eq!(r("/", "/").as_deref(), Some(""));
        assert_eq!(r("/", "/a/b").as_deref(), Some("a/b"));
        assert_eq!(r("/a", "/a/b").as_deref(), Some("b"));
        assert_eq!(r("/a", "/a").as_deref(), Some(""));
        assert_eq!(r("/a/", "/a/b/").as_deref(), Some("b"));
        assert_eq!(r("/a", "/ab"), None);
        assert_eq!(r("/a", "/b"), None);
        assert_eq!(r("/..", "/"), None);
        assert_eq!(r("/", "/../x"), None);
        assert_eq!(r("/../..", "/a"), None);
    }

    #[test]
    fn lines_of_proc_self_cgroup() {
        let l = parse_line(b"4:memory:/a/b").unwrap();
        assert!(!l.v2 && l.controllers == ctl::MEMORY && l.path == b"/a/b");
        let l = parse_line(b"0::/user.slice/x:y").unwrap();
        assert!(l.v2 && l.controllers == 0 && l.path == b"/user.slice/x:y");
        let l = parse_line(b"2:cpu,cpuacct:/").unwrap();
        assert_eq!(l.controllers, ctl::CPU);
        assert_eq!(parse_line(b"2:cpuacct:/").unwrap().controllers, 0);
        assert_eq!(parse_line(b"1:name=systemd:/").unwrap().controllers, 0);
        for bad in [
            &b""[..],
            b"0",
            b"0:",
            b"0::",
            b"x::/",
            b"0::rel",
            b"-1::/",
            b"::/",
        ] {
            assert!(parse_line(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn mount_lines() {
        let m = parse_mount(b"35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory")
            .unwrap()
            .unwrap();
        assert!(!m.v2 && m.controllers == ctl::MEMORY && m.point == b"/sys/fs/cgroup/memory");
        let m = parse_mount(b"32 31 0:29 / /c/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct")
            .unwrap()
            .unwrap();
        assert_eq!(m.controllers, ctl::CPU);
        let m = parse_mount(b"41 31 0:38 /a\\040b /x\\040y rw shared:9 - cgroup2 cgroup2 rw")
            .unwrap()
            .unwrap();
        assert!(m.v2 && m.root == b"/a b" && m.point == b"/x y");
        assert!(
            parse_mount(b"31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw")
                .unwrap()
                .is_none()
        );
        assert!(parse_mount(b"31 23 0:28 / /sys/fs/cgroup rw - cgroup").is_err());
        assert!(parse_mount(b"garbage").is_err());
    }
}
