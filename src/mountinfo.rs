//! `/proc/PID/mountinfo` and `/proc/PID/fdinfo/N`, read without allocating: the child walks the
//! submounts of a mount with these on kernels without mount_setattr (see `sys::mount`).
//!
//! A mountinfo line (Documentation/filesystems/proc.rst, "3.5 `/proc/<pid>/mountinfo`"):
//!
//! ```text
//! 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//! (1)(2)(3)   (4)   (5)      (6)     (7)    (8) (9)     (10)        (11)
//! ```
//!
//! (1) mount id, (2) parent id, (3) st_dev, (4) root of the mount in its filesystem, (5) mount
//! point relative to the reading process's root, (6) per-mount options, (7) zero or more optional
//! fields `tag[:value]`, (8) a lone `-`, (9) filesystem type, (10) source, (11) superblock options.
//! In the path fields the kernel writes space, tab, newline and backslash as `\ooo` (octal).
//!
//! Everything here works on byte slices the caller owns (a stack buffer in the child), so it is
//! also what the unit tests drive with made-up tables.

use core::ops::Range;
use rustix::io::Errno;

/// The error for a line longer than the read buffer whose first five fields do not fit in it
/// either: such a line cannot be parsed without guessing, so the walk fails.
pub const LINE_TOO_LONG: Errno = Errno::NAMETOOLONG;
/// The error for more submounts than a [`Subtree`] holds: the walk fails rather than leave the
/// rest as they were.
pub const TOO_MANY: Errno = Errno::NOBUFS;
/// The error for a line that is not in the kernel's format (a bad number, a lone backslash, a
/// missing ` - ` separator, a text without a final newline).
pub const MALFORMED: Errno = Errno::INVAL;

/// The fields of one line that the walk needs; the mount point as a range of the line, still
/// escaped (see [`unescape_in_place`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Field 1, the mount id (the `mnt_id` of fdinfo and statx STATX_MNT_ID).
    pub id: u32,
    /// Field 2, the parent's mount id (the mount's own id for the root of the namespace).
    pub parent: u32,
    /// Field 5, where the mount point lies in the line: escaped, relative to the process root.
    pub point: Range<usize>,
    /// A `shared:N` optional field: the mount is in a peer group (read only from a complete line).
    pub shared: bool,
}

/// The fields of `line` (without its newline), separated by single spaces as the kernel writes
/// them, with the start offset of each.
fn fields(line: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = 0;
    line.split(|&b| b == b' ').map(move |f| {
        let at = start;
        start += f.len() + 1;
        (at, f)
    })
}

/// A decimal field (a mount id): digits only, at most u32::MAX.
pub(crate) fn number(field: &[u8]) -> Result<u32, Errno> {
    if field.is_empty() || field.len() > 10 {
        return Err(MALFORMED);
    }
    let mut n: u64 = 0;
    for &b in field {
        if !b.is_ascii_digit() {
            return Err(MALFORMED);
        }
        n = n * 10 + u64::from(b - b'0');
    }
    u32::try_from(n).map_err(|_| MALFORMED)
}

/// Parses a mountinfo line (without its newline). With `complete` false, `line` is only the start
/// of a line too long for the buffer: then only fields 1 to 5 are read, and they must lie wholly
/// inside it (field 5 followed by a space), else [`LINE_TOO_LONG`]. A complete line must have
/// every field of the format, including the ` - ` separator after the optional fields.
pub fn parse(line: &[u8], complete: bool) -> Result<Entry, Errno> {
    let mut it = fields(line);
    let mut next = |truncated: Errno| it.next().ok_or(truncated);
    // Fields 1 to 5 must be followed by another field: in a head, that proves them whole.
    let short = if complete { MALFORMED } else { LINE_TOO_LONG };
    let (_, id) = next(short)?;
    let (_, parent) = next(short)?;
    let (_, dev) = next(short)?;
    // The root within the filesystem: a path, or `net:[4026531840]` for an nsfs bind.
    let (_, _root) = next(short)?;
    let (at, point) = next(short)?;
    let (_, options) = next(short)?;
    let id = number(id)?;
    let parent = number(parent)?;
    let mut shared = false;
    let dev_ok = match dev.iter().position(|&b| b == b':') {
        Some(i) => number(&dev[..i]).is_ok() && number(&dev[i + 1..]).is_ok(),
        None => false,
    };
    if !dev_ok || !point.starts_with(b"/") {
        return Err(MALFORMED);
    }
    if complete {
        if options.is_empty() {
            return Err(MALFORMED);
        }
        // Optional fields (none or several, each `tag[:value]`), then `-`, then three fields.
        let mut separated = false;
        for (_, f) in it.by_ref() {
            if f == b"-" {
                separated = true;
                break;
            }
            if f.is_empty() {
                return Err(MALFORMED);
            }
            shared |= f.starts_with(b"shared:");
        }
        // Type, source and superblock options; some filesystems write spaces into the last
        // unescaped, so more fields are accepted.
        if !separated || it.count() < 3 {
            return Err(MALFORMED);
        }
    }
    Ok(Entry {
        id,
        parent,
        point: at..at + point.len(),
        shared,
    })
}

/// Decodes the kernel's `\ooo` escapes of a path field in place; returns the decoded length (never
/// more than the field's). A backslash not followed by three octal digits, a value above 255, or
/// an escaped NUL (no path holds one) is [`MALFORMED`].
pub fn unescape_in_place(field: &mut [u8]) -> Result<usize, Errno> {
    let mut out = 0;
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        if b == 0 {
            return Err(MALFORMED);
        }
        if b != b'\\' {
            field[out] = b;
            out += 1;
            i += 1;
            continue;
        }
        let digits = field.get(i + 1..i + 4).ok_or(MALFORMED)?;
        let mut v: u32 = 0;
        for &d in digits {
            if !(b'0'..=b'7').contains(&d) {
                return Err(MALFORMED);
            }
            v = v * 8 + u32::from(d - b'0');
        }
        let v = u8::try_from(v).map_err(|_| MALFORMED)?;
        if v == 0 {
            return Err(MALFORMED);
        }
        field[out] = v;
        out += 1;
        i += 4;
    }
    Ok(out)
}

/// Streams the lines of a text through `buf`, reading with `read` (which returns 0 at the end) and
/// calling `each(line, complete)` for each line without its newline. A line that does not fit in
/// `buf` is given once, as its first `buf.len()` bytes with `complete` false; its rest is skipped.
/// A text that does not end with a newline is [`MALFORMED`] (the kernel ends every line with one).
pub fn for_each_line(
    buf: &mut [u8],
    mut read: impl FnMut(&mut [u8]) -> Result<usize, Errno>,
    mut each: impl FnMut(&mut [u8], bool) -> Result<(), Errno>,
) -> Result<(), Errno> {
    if buf.is_empty() {
        return Err(LINE_TOO_LONG);
    }
    let (mut start, mut end) = (0, 0);
    // Inside the rest of a line already given as a head.
    let mut skipping = false;
    loop {
        if let Some(i) = buf[start..end].iter().position(|&b| b == b'\n') {
            let nl = start + i;
            if !skipping {
                each(&mut buf[start..nl], true)?;
            }
            skipping = false;
            start = nl + 1;
            continue;
        }
        if skipping {
            (start, end) = (0, 0);
        } else if start == 0 && end == buf.len() {
            each(buf, false)?;
            skipping = true;
            (start, end) = (0, 0);
        } else if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        let n = read(&mut buf[end..])?;
        if n == 0 {
            return match start == end && !skipping {
                true => Ok(()),
                false => Err(MALFORMED),
            };
        }
        end += n;
    }
}

/// A set of mount ids: a mount and the mounts found below it, in a fixed array (the child
/// allocates nothing). The first id is the mount itself.
pub struct Subtree<const N: usize> {
    ids: [u32; N],
    len: usize,
}

impl<const N: usize> Subtree<N> {
    /// The set holding only `top`.
    pub fn new(top: u32) -> Subtree<N> {
        let mut ids = [0; N];
        ids[0] = top;
        Subtree { ids, len: 1 }
    }

    /// The ids, `top` first.
    pub fn ids(&self) -> &[u32] {
        &self.ids[..self.len]
    }

    /// Where `id` is in [`Self::ids`].
    pub fn index_of(&self, id: u32) -> Option<usize> {
        self.ids().iter().position(|&i| i == id)
    }

    /// Takes in the mount `id` if its parent is in the set and it is not; returns whether it was
    /// added. [`TOO_MANY`] when the set is full. The root of a namespace, its own parent, is
    /// never added (it is below nothing).
    pub fn absorb(&mut self, id: u32, parent: u32) -> Result<bool, Errno> {
        if id == parent || self.index_of(parent).is_none() || self.index_of(id).is_some() {
            return Ok(false);
        }
        if self.len == N {
            return Err(TOO_MANY);
        }
        self.ids[self.len] = id;
        self.len += 1;
        Ok(true)
    }
}

/// The `mnt_id:` value of an fdinfo text (Linux 3.15 and later), or None.
pub fn fdinfo_mnt_id(text: &[u8]) -> Option<u32> {
    text.split(|&b| b == b'\n')
        .find_map(|l| l.strip_prefix(b"mnt_id:"))
        .map(|v| {
            let start = v
                .iter()
                .position(|b| !b" \t".contains(b))
                .unwrap_or(v.len());
            &v[start..]
        })
        .and_then(|v| number(v).ok())
}

/// Writes `prefix` and the decimal `n` and a NUL into `buf`; returns the bytes with the NUL
/// (`self/fd/7\0`), or None when they do not fit.
pub fn with_number<'b>(buf: &'b mut [u8], prefix: &[u8], n: u32) -> Option<&'b [u8]> {
    let mut digits = [0u8; 10];
    let mut len = 0;
    let mut v = n;
    loop {
        digits[len] = b'0' + (v % 10) as u8;
        len += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let total = prefix.len() + len + 1;
    let out = buf.get_mut(..total)?;
    out[..prefix.len()].copy_from_slice(prefix);
    for (i, d) in digits[..len].iter().rev().enumerate() {
        out[prefix.len() + i] = *d;
    }
    out[total - 1] = 0;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
23 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
40 22 0:30 / /srv/tree rw,relatime shared:20 - ext4 /dev/vdb rw
41 40 0:31 / /srv/tree/sub rw,nosuid,nodev master:3 propagate_from:2 - tmpfs tmpfs rw
42 41 0:32 / /srv/tree/sub/deeper rw - tmpfs tmpfs rw,size=4k
43 22 0:33 / /srv/treeish rw unbindable - tmpfs tmpfs rw
44 40 0:34 /dir /srv/tree/with\\040space rw - ext4 /dev/vdc rw
";

    fn parse_str(line: &str) -> Result<Entry, Errno> {
        parse(line.as_bytes(), true)
    }

    #[test]
    fn fields_of_a_line_with_optional_fields() {
        let line =
            "41 40 0:31 / /srv/tree/sub rw,nosuid master:3 propagate_from:2 - tmpfs tmpfs rw";
        let e = parse_str(line).unwrap();
        assert_eq!((e.id, e.parent), (41, 40));
        assert_eq!(&line.as_bytes()[e.point], b"/srv/tree/sub");
    }

    #[test]
    fn no_optional_fields_and_many() {
        assert!(
            !parse_str("5 1 8:1 / /a rw - ext4 /dev/x rw")
                .unwrap()
                .shared
        );
        let many = "5 1 8:1 / /a rw shared:1 master:2 propagate_from:3 unbindable - ext4 /dev/x rw";
        assert_eq!(parse_str(many).unwrap().id, 5);
        assert!(parse_str(many).unwrap().shared);
        assert!(
            !parse_str("5 1 8:1 / /a rw master:1 - ext4 shared:1 rw")
                .unwrap()
                .shared
        );
        // A filesystem type, source or superblock options of `-` do not confuse the separator.
        assert!(parse_str("5 1 8:1 / /a rw - - - -").is_ok());
        assert!(parse_str("5 1 8:1 / /a rw - fuse src rw,opt=a b").is_ok());
        // An nsfs bind (ip netns) has no path for a root; an empty source is an empty field.
        let nsfs = "600 25 0:4 net:[4026532281] /run/netns/x rw shared:280 - nsfs nsfs rw";
        assert_eq!(parse_str(nsfs).unwrap().id, 600);
        assert!(parse_str("5 1 0:9 / /a rw - tmpfs  rw").is_ok());
    }

    #[test]
    fn malformed_lines_are_refused() {
        for line in [
            "",
            "5",
            "5 1 8:1 / /a rw",
            "5 1 8:1 / /a rw shared:1",
            "5 1 8:1 / /a rw - ext4 /dev/x",
            "5 1 8:1 / /a rw - ext4",
            "5 1 8: / /a rw - ext4 /dev/x rw",
            "x 1 8:1 / /a rw - ext4 /dev/x rw",
            "5 -1 8:1 / /a rw - ext4 /dev/x rw",
            "5 1 81 / /a rw - ext4 /dev/x rw",
            "5 1 8:1 / a rw - ext4 /dev/x rw",
            "5  1 8:1 / /a rw - ext4 /dev/x rw",
            "99999999999 1 8:1 / /a rw - ext4 /dev/x rw",
            "4294967296 1 8:1 / /a rw - ext4 /dev/x rw",
        ] {
            assert_eq!(parse_str(line), Err(MALFORMED), "{line:?}");
        }
        assert_eq!(
            parse_str("4294967295 1 8:1 / /a rw - e s o").unwrap().id,
            u32::MAX
        );
    }

    fn unescaped(s: &str) -> Result<Vec<u8>, Errno> {
        let mut v = s.as_bytes().to_vec();
        let n = unescape_in_place(&mut v)?;
        v.truncate(n);
        Ok(v)
    }

    #[test]
    fn escapes() {
        assert_eq!(unescaped("/plain").unwrap(), b"/plain");
        assert_eq!(unescaped("/a\\040b").unwrap(), b"/a b");
        assert_eq!(unescaped("/t\\011n\\012b\\134").unwrap(), b"/t\tn\nb\\");
        assert_eq!(unescaped("\\134\\134").unwrap(), b"\\\\");
        assert_eq!(unescaped("/\\377").unwrap(), b"/\xff");
        for bad in [
            "/a\\", "/a\\04", "/a\\0a0", "/a\\400", "/a\\000", "/a\\x41", "/a\0b",
        ] {
            assert_eq!(unescaped(bad), Err(MALFORMED), "{bad:?}");
        }
    }

    #[test]
    fn escaped_mount_point_in_a_line() {
        let mut line = b"44 40 0:34 /dir /srv/with\\040space\\012x rw - ext4 /dev/vdc rw".to_vec();
        let e = parse(&line, true).unwrap();
        let n = unescape_in_place(&mut line[e.point.clone()]).unwrap();
        assert_eq!(
            &line[e.point.start..e.point.start + n],
            b"/srv/with space\nx"
        );
    }

    /// A reader that hands out `text` at most `chunk` bytes per call.
    fn reader(text: &[u8], chunk: usize) -> impl FnMut(&mut [u8]) -> Result<usize, Errno> + '_ {
        let mut pos = 0;
        move |buf: &mut [u8]| {
            let n = chunk.min(buf.len()).min(text.len() - pos);
            buf[..n].copy_from_slice(&text[pos..pos + n]);
            pos += n;
            Ok(n)
        }
    }

    /// Every (line, complete) that `for_each_line` gives with a buffer of `size`.
    fn lines(text: &[u8], size: usize, chunk: usize) -> Result<Vec<(Vec<u8>, bool)>, Errno> {
        let mut buf = vec![0u8; size];
        let mut got = Vec::new();
        for_each_line(&mut buf, reader(text, chunk), |l, c| {
            got.push((l.to_vec(), c));
            Ok(())
        })?;
        Ok(got)
    }

    #[test]
    fn lines_come_whole_whatever_the_read_sizes() {
        let want: Vec<(Vec<u8>, bool)> = TABLE
            .lines()
            .map(|l| (l.as_bytes().to_vec(), true))
            .collect();
        for size in [100, 101, 128, 4096] {
            for chunk in [1, 2, 7, 64, 4096] {
                assert_eq!(lines(TABLE.as_bytes(), size, chunk).unwrap(), want);
            }
        }
        assert_eq!(lines(b"", 16, 4).unwrap(), vec![]);
        assert_eq!(lines(b"\n\n", 16, 4).unwrap().len(), 2);
    }

    #[test]
    fn a_text_without_a_final_newline_is_refused() {
        assert_eq!(lines(b"1 2 3\n4 5", 64, 3), Err(MALFORMED));
    }

    #[test]
    fn long_lines_give_their_head_once_and_the_rest_is_skipped() {
        let long = format!(
            "7 1 0:5 / /long rw - overlay overlay lowerdir={}\n",
            "x".repeat(300)
        );
        let text =
            format!("1 1 0:1 / / rw - ext4 a rw\n{long}8 7 0:6 / /long/sub rw - tmpfs t rw\n");
        for chunk in [1, 5, 64, 1000] {
            let got = lines(text.as_bytes(), 64, chunk).unwrap();
            assert_eq!(got.len(), 3, "chunk {chunk}");
            assert!(got[0].1 && !got[1].1 && got[2].1);
            assert_eq!(got[1].0, &long.as_bytes()[..64]);
            let e = parse(&got[1].0, false).unwrap();
            assert_eq!((e.id, e.parent), (7, 1));
            assert_eq!(&got[1].0[e.point], b"/long");
            assert_eq!(parse(&got[2].0, true).unwrap().id, 8);
        }
        // A line exactly as long as the buffer (newline not counted) is a head too, and the
        // newline that follows ends it.
        let exact = "2 1 0:1 / /e rw - ext4 a rw";
        let got = lines(
            format!("{exact}\n3 1 0:1 / /f rw - e a rw\n").as_bytes(),
            exact.len(),
            4,
        );
        let got = got.unwrap();
        assert_eq!(got[0], (exact.as_bytes().to_vec(), false));
        assert_eq!(got[1].0, b"3 1 0:1 / /f rw - e a rw");
        // A text that ends inside a long line is truncated.
        assert_eq!(lines(long.trim_end().as_bytes(), 64, 8), Err(MALFORMED));
    }

    #[test]
    fn a_head_without_a_whole_mount_point_is_too_long() {
        let point = format!("/{}", "p".repeat(100));
        let line = format!("7 1 0:5 / {point} rw - tmpfs t rw");
        let head = &line.as_bytes()[..50];
        assert_eq!(parse(head, false), Err(LINE_TOO_LONG));
        // Cut right after the mount point, before its space: still not proven whole.
        let cut = line.find(" rw").unwrap();
        assert_eq!(parse(&line.as_bytes()[..cut], false), Err(LINE_TOO_LONG));
        assert_eq!(parse(&line.as_bytes()[..cut + 1], false).unwrap().id, 7);
        // And the whole walk fails on it, with the line given as a head.
        let mut buf = [0u8; 50];
        let text = format!("{line}\n");
        let r = for_each_line(&mut buf, reader(text.as_bytes(), 9), |l, c| {
            parse(l, c).map(drop)
        });
        assert_eq!(r, Err(LINE_TOO_LONG));
    }

    /// Collects the subtree of `top` in `table` as the child does: passes until nothing is added.
    fn subtree<const N: usize>(table: &str, top: u32) -> Result<(Vec<u32>, usize), Errno> {
        let mut set = Subtree::<N>::new(top);
        let mut passes = 0;
        loop {
            passes += 1;
            let mut added = false;
            for line in table.lines() {
                let e = parse_str(line)?;
                added |= set.absorb(e.id, e.parent)?;
            }
            if !added {
                return Ok((set.ids().to_vec(), passes));
            }
        }
    }

    #[test]
    fn subtree_collection() {
        assert_eq!(subtree::<8>(TABLE, 40).unwrap(), (vec![40, 41, 42, 44], 2));
        // /srv/treeish shares a prefix with /srv/tree but is not below it: ids, not paths, count.
        assert_eq!(subtree::<8>(TABLE, 43).unwrap().0, vec![43]);
        assert_eq!(subtree::<8>(TABLE, 42).unwrap().0, vec![42]);
        // The namespace root is its own parent and is not taken in twice.
        let all = subtree::<8>("1 1 0:1 / / rw - e a rw\n2 1 0:2 / /a rw - e a rw\n", 1);
        assert_eq!(all.unwrap().0, vec![1, 2]);
    }

    #[test]
    fn children_listed_before_their_parents_need_more_passes() {
        // A moved mount can appear before its new parent in the table.
        let table = "\
3 2 0:3 / /t/a/b rw - tmpfs t rw
2 1 0:2 / /t/a rw - tmpfs t rw
1 9 0:1 / /t rw - tmpfs t rw
";
        assert_eq!(subtree::<4>(table, 1).unwrap(), (vec![1, 2, 3], 3));
    }

    #[test]
    fn too_many_submounts_fail() {
        let mut table = String::from("1 0 0:1 / /t rw - tmpfs t rw\n");
        for i in 2..=5 {
            table.push_str(&format!("{i} 1 0:{i} / /t/{i} rw - tmpfs t rw\n"));
        }
        assert_eq!(subtree::<5>(&table, 1).unwrap().0, vec![1, 2, 3, 4, 5]);
        assert_eq!(subtree::<4>(&table, 1), Err(TOO_MANY));
    }

    #[test]
    fn fdinfo() {
        let text = b"pos:\t0\nflags:\t012100000\nmnt_id:\t26\nino:\t2\n";
        assert_eq!(fdinfo_mnt_id(text), Some(26));
        assert_eq!(fdinfo_mnt_id(b"mnt_id: 7"), Some(7));
        assert_eq!(fdinfo_mnt_id(b"pos:\t0\nflags:\t0\n"), None);
        assert_eq!(fdinfo_mnt_id(b"mnt_id:\tx\n"), None);
        assert_eq!(fdinfo_mnt_id(b"mnt_id:\t\n"), None);
    }

    #[test]
    fn numbered_paths() {
        let mut buf = [0u8; 32];
        assert_eq!(
            with_number(&mut buf, b"self/fd/", 7).unwrap(),
            b"self/fd/7\0"
        );
        assert_eq!(with_number(&mut buf, b"", 0).unwrap(), b"0\0");
        let max = with_number(&mut buf, b"self/fdinfo/", u32::MAX).unwrap();
        assert_eq!(max, b"self/fdinfo/4294967295\0");
        assert_eq!(with_number(&mut [0u8; 9], b"self/fd/", 10), None);
    }

    #[test]
    fn this_machines_tables_parse() {
        let text = std::fs::read("/proc/self/mountinfo").expect("read mountinfo");
        let mut n = 0;
        let mut buf = [0u8; 8192];
        for_each_line(&mut buf, reader(&text, 100), |l, c| {
            parse(l, c).map(|_| n += 1)
        })
        .unwrap();
        assert_eq!(n, text.iter().filter(|&&b| b == b'\n').count());
        let f = std::fs::File::open("/proc/self/mountinfo").unwrap();
        use std::os::fd::AsRawFd;
        let info = std::fs::read(format!("/proc/self/fdinfo/{}", f.as_raw_fd())).unwrap();
        assert!(
            fdinfo_mnt_id(&info).is_some(),
            "{}",
            String::from_utf8_lossy(&info)
        );
    }
}
