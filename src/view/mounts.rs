//! `nsrun mounts [--json] [PID]`: the mount tree of a process (nsrun's own by default), read
//! from `/proc/PID/mountinfo` with [`crate::mountinfo::parse`]. Each mount is shown under its
//! parent (by mount id), with its filesystem type, source and propagation: the kernel's optional
//! fields as they are (`shared:N`, `master:N` for a slave of peer group N, `propagate_from:N`,
//! `unbindable`), or `private` when there are none. Paths are decoded (`\040` is a space).
//!
//! `--json` prints an array of objects in the same (depth-first) order, one a line:
//! `{"id":N,"parent":N,"depth":N,"target":"/","fstype":"ext4","source":"/dev/vda",
//! "propagation":"shared:1"}`; strings as [`crate::json::string`] writes them (a byte that is not
//! UTF-8 as `\udcXX`).

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::CStr;
use core::fmt::Write;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use crate::mountinfo::{self, unescape_in_place};
use crate::out::Bytes;
use crate::sys::fd;

/// One line of the table, decoded.
pub struct Mount {
    /// The mount id.
    pub id: u32,
    /// The parent's mount id.
    pub parent: u32,
    /// The mount point, decoded, relative to the reading process's root.
    pub point: Vec<u8>,
    /// The filesystem type.
    pub fstype: Vec<u8>,
    /// The source, decoded.
    pub source: Vec<u8>,
    /// The optional fields as the kernel writes them (`shared:1 master:2`), or `private`.
    pub propagation: String,
    /// N of `shared:N`.
    pub shared: Option<u32>,
}

fn decoded(field: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut v = field.to_vec();
    let n = unescape_in_place(&mut v)?;
    v.truncate(n);
    Ok(v)
}

fn mount(line: &[u8]) -> Result<Mount, Errno> {
    let e = mountinfo::parse(line, true)?;
    let mut f = line.split(|&b| b == b' ');
    let mut propagation = String::new();
    let mut shared = None;
    for tag in f.by_ref().skip(6).take_while(|t| *t != b"-") {
        if let Some(n) = tag.strip_prefix(b"shared:") {
            shared = mountinfo::number(n).ok();
        }
        if !propagation.is_empty() {
            propagation.push(' ');
        }
        let _ = write!(propagation, "{}", Bytes(tag));
    }
    if propagation.is_empty() {
        propagation.push_str("private");
    }
    let mut next = || decoded(f.next().unwrap_or_default());
    Ok(Mount {
        id: e.id,
        parent: e.parent,
        point: decoded(&line[e.point])?,
        fstype: next()?,
        source: next()?,
        propagation,
        shared,
    })
}

/// The mounts in tree order: (index, depth), each mount after its parent, children in table
/// order. A mount whose parent is not in the table (or is itself) is a root.
fn tree(m: &[Mount]) -> Vec<(usize, usize)> {
    let mut kids = vec![Vec::new(); m.len()];
    let mut stack = Vec::new();
    // The parent of the mount before is tried first (siblings come together), then the mounts
    // before it (a parent is listed before its children unless it was moved), then all: linear
    // in the usual table, without sort and search code in the binary.
    let mut last: Option<usize> = None;
    for (i, x) in m.iter().enumerate().rev() {
        let parent = last
            .filter(|&k| m[k].id == x.parent)
            .or_else(|| m[..i].iter().rposition(|p| p.id == x.parent))
            .or_else(|| m.iter().position(|p| p.id == x.parent));
        last = parent;
        match parent {
            Some(k) if x.parent != x.id => kids[k].push(i),
            _ => stack.push((i, 0)),
        }
    }
    let mut order = Vec::with_capacity(m.len());
    while let Some((i, depth)) = stack.pop() {
        order.push((i, depth));
        stack.extend(kids[i].iter().map(|&k| (k, depth + 1)));
    }
    order
}

/// The mounts of a mountinfo text, in its order; Err(line number) for a line not in its format.
pub fn table(text: &[u8]) -> Result<Vec<Mount>, usize> {
    let lines = text.strip_suffix(b"\n").unwrap_or(text);
    let mut m = Vec::new();
    for (n, line) in lines.split(|&b| b == b'\n').enumerate() {
        if !text.is_empty() {
            m.push(mount(line).map_err(|_| n + 1)?);
        }
    }
    Ok(m)
}

/// The text (or JSON) for a mountinfo table; Err(line number) for a line not in its format.
pub fn render(text: &[u8], json: bool) -> Result<String, usize> {
    let m = table(text)?;
    let mut s = String::from(if json { "[" } else { "" });
    for (k, &(i, depth)) in tree(&m).iter().enumerate() {
        let x = &m[i];
        if !json {
            s.extend(core::iter::repeat_n(' ', 2 * depth));
            let _ = writeln!(
                s,
                "{}  {} {}  {}",
                Bytes(&x.point),
                Bytes(&x.fstype),
                Bytes(&x.source),
                x.propagation,
            );
            continue;
        }
        let sep = if k == 0 { "" } else { "," };
        let _ = write!(
            s,
            "{sep}\n{{\"id\":{},\"parent\":{},\"depth\":{depth},\"target\":",
            x.id, x.parent
        );
        crate::json::string(&mut s, &x.point);
        s.push_str(",\"fstype\":");
        crate::json::string(&mut s, &x.fstype);
        s.push_str(",\"source\":");
        crate::json::string(&mut s, &x.source);
        s.push_str(",\"propagation\":");
        crate::json::string(&mut s, x.propagation.as_bytes());
        s.push('}');
    }
    if json {
        s.push_str("\n]\n");
    } else if let Some(n) = m
        .iter()
        .rev()
        .find(|x| x.point == b"/")
        .and_then(|x| x.shared)
    {
        let _ = writeln!(
            s,
            "note: / is shared (peer group {n}): a new mount namespace starts as its peer, so a \
             mount made in it would appear here; nsrun makes / private first (--propagation \
             private, the default)"
        );
    }
    Ok(s)
}

/// Reads the whole of `name` in the directory `dir` (a /proc/PID directory).
pub fn read_at(dir: BorrowedFd<'_>, name: &CStr) -> Result<Vec<u8>, Errno> {
    let f = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )?;
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match fd::read(f.as_fd(), &mut buf)? {
            0 => return Ok(text),
            n => text.extend_from_slice(&buf[..n]),
        }
    }
}

/// Opens `/proc/PID` (None: `/proc/self`, the directory of this process) as a directory
/// descriptor. Every file of the process is then read through it: the directory stays bound to
/// the process it was opened for, so if that one ends and its pid is reused, reads through it fail
/// (ESRCH) instead of showing the newcomer's files. EXDEV when it is not on a procfs (something
/// else mounted on /proc, which could show any table).
pub fn open_proc_dir(pid: Option<u32>) -> Result<OwnedFd, Errno> {
    let dir = open_proc_path(pid)?;
    match rustix::fs::fstatfs(&dir)?.f_type == rustix::fs::PROC_SUPER_MAGIC {
        true => Ok(dir),
        false => Err(Errno::XDEV),
    }
}

fn open_proc_path(pid: Option<u32>) -> Result<OwnedFd, Errno> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    match pid {
        None => rustix::fs::open(c"/proc/self", flags, Mode::empty()),
        Some(p) => {
            let mut buf = [0u8; 24];
            let path = mountinfo::with_number(&mut buf, b"/proc/", p).ok_or(Errno::NAMETOOLONG)?;
            let path = CStr::from_bytes_with_nul(path).map_err(|_| Errno::INVAL)?;
            // A pid is digits: `/proc/N` has no symlink to follow but `self` and `thread-self`,
            // which digits cannot spell.
            rustix::fs::open(path, flags | OFlags::NOFOLLOW, Mode::empty())
        }
    }
}

/// The mount table of `pid` (None: nsrun's own), read through one descriptor of its /proc
/// directory.
pub fn read_table(pid: Option<u32>) -> Result<Vec<u8>, Errno> {
    let dir = open_proc_dir(pid)?;
    read_at(dir.as_fd(), c"mountinfo")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
22 27 0:21 / /proc rw - proc proc rw
27 1 254:0 / / rw shared:1 - ext4 /dev/vda rw
40 27 0:30 / /srv/a\\040b rw master:3 propagate_from:2 - tmpfs my\\040src rw
41 40 0:31 / /srv/a\\040b/c rw unbindable - tmpfs t rw
23 27 0:22 / /sys rw - sysfs sysfs rw
";

    #[test]
    fn text_tree() {
        let s = render(TABLE.as_bytes(), false).unwrap();
        let want = "\
/  ext4 /dev/vda  shared:1
  /proc  proc proc  private
  /srv/a b  tmpfs my src  master:3 propagate_from:2
    /srv/a b/c  tmpfs t  unbindable
  /sys  sysfs sysfs  private
note: / is shared (peer group 1): a new mount namespace starts as its peer, so a mount made in \
it would appear here; nsrun makes / private first (--propagation private, the default)
";
        assert_eq!(s, want);
        assert!(!render(TABLE.replace("shared:1 ", "").as_bytes(), false)
            .unwrap()
            .contains("note"));
    }

    #[test]
    fn json_tree() {
        let s = render(b"5 5 0:1 / /\\042q\\134\\011 rw - e \xff rw\n", true).unwrap();
        assert_eq!(
            s,
            "[\n{\"id\":5,\"parent\":5,\"depth\":0,\"target\":\"/\\\"q\\\\\\t\",\
             \"fstype\":\"e\",\"source\":\"\\udcff\",\"propagation\":\"private\"}\n]\n"
        );
        assert_eq!(render(b"", true).unwrap(), "[\n]\n");
    }

    /// The /proc/PID directory stays bound to the process it was opened for: once that one is gone,
    /// reads through it fail (whoever gets the pid next), and a fresh open fails too.
    #[test]
    fn a_proc_directory_outlives_no_process() {
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let pid = child.id();
        let dir = open_proc_dir(Some(pid)).unwrap();
        assert!(!read_at(dir.as_fd(), c"mountinfo").unwrap().is_empty());
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(
            read_at(dir.as_fd(), c"mountinfo").err(),
            Some(Errno::SRCH),
            "the dead process's directory reads nothing"
        );
        assert_eq!(read_table(Some(pid)).err(), Some(Errno::NOENT));
        // `self` is this process; a pid is only ever digits.
        assert!(!read_table(None).unwrap().is_empty());
    }

    /// Many siblings, a deep chain and a child listed before its parent all land where the ids put
    /// them.
    #[test]
    fn large_tables() {
        let mut t = String::from("1 0 0:1 / / rw - e s o\n");
        for i in 2..5000 {
            t.push_str(&format!("{i} 1 0:1 / /f{i} rw - e s o\n"));
        }
        for i in 5000..5300 {
            t.push_str(&format!("{i} {} 0:1 / /c rw - e s o\n", i - 1));
        }
        t.push_str("9001 9000 0:1 / /early rw - e s o\n9000 1 0:1 / /late rw - e s o\n");
        let m = table(t.as_bytes()).unwrap();
        let depths: Vec<(u32, usize)> = tree(&m).iter().map(|&(i, d)| (m[i].id, d)).collect();
        assert_eq!(depths.len(), 5301);
        assert_eq!(depths[0], (1, 0));
        assert!(depths.contains(&(4999, 1)));
        assert!(
            depths.contains(&(5299, 301)),
            "the chain hangs 300 deep under /f4999"
        );
        let late = depths.iter().position(|&(id, _)| id == 9000).unwrap();
        assert_eq!(
            depths[late + 1],
            (9001, 2),
            "a child listed first still goes under its parent"
        );
    }

    #[test]
    fn malformed() {
        assert_eq!(render(b"1 1 0:1 / / rw - e s o\nbad\n", false), Err(2));
    }
}
